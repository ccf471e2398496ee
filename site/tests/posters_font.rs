//! Without the font, the site is still built (a new phone number must reach the web) and a French
//! warning names the font and the command that installs it. Its own test binary: it sets
//! CPTS_FONTS_DIR for the whole process.

mod fixture;

use std::process::Command;

use fixture::{Fixture, TODAY};

#[test]
fn missing_font_skips_posters_with_a_warning_naming_the_install_command() {
    let f = Fixture::complete();
    let empty = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_cpts"))
        .args(["build", "--content"])
        .arg(f.path())
        .arg("--out")
        .arg(out.path())
        .env("CPTS_TODAY", TODAY)
        .env("CPTS_FONTS_DIR", empty.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("avertissement : police « Inter » introuvable"),
        "{stderr}"
    );
    assert!(stderr.contains("apt-get install fonts-inter"), "{stderr}");
    assert!(!out.path().join("site/affiches").exists());
    let home = std::fs::read_to_string(out.path().join("site/index.html")).unwrap();
    assert!(!home.contains("og:image") && !home.contains("/affiches/"));
}

#[test]
fn build_prints_the_posters_timing_line() {
    let f = Fixture::complete();
    let out = tempfile::tempdir().unwrap();
    let run = || {
        let output = Command::new(env!("CARGO_BIN_EXE_cpts"))
            .args(["build", "--content"])
            .arg(f.path())
            .arg("--out")
            .arg(out.path())
            .env("CPTS_TODAY", TODAY)
            .env_remove("CPTS_FONTS_DIR")
            .output()
            .unwrap();
        assert!(output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    assert!(run().contains("Affiches : 14 fichiers (14 dessinés, 0 repris du cache)"));
    assert!(run().contains("Affiches : 14 fichiers (0 dessinés, 14 repris du cache)"));
}
