//! The build as communication staff run it: `cpts build` and `cpts check` on a content folder.

mod fixture;

use std::path::Path;
use std::process::{Command, Output};

use fixture::{Fixture, TODAY};

fn cpts(args: &[&str], content: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cpts"))
        .args(args)
        .arg("--content")
        .arg(content)
        .env("CPTS_TODAY", TODAY)
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The fixture's doctors as a workbook saved by Excel: numbers as numbers (08409 → 8409).
fn doctors_xlsx(rows: &str) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet().set_name("Feuille1").unwrap();
    for (r, line) in (0u32..).zip(format!("{}{rows}", fixture::DOCTORS_HEADER).lines()) {
        for (c, cell) in (0u16..).zip(line.split(';')) {
            match cell.parse::<f64>() {
                Ok(n) => sheet.write_number(r, c, n).unwrap(),
                Err(_) => sheet.write_string(r, c, cell).unwrap(),
            };
        }
    }
    workbook.save_to_buffer().unwrap()
}

#[test]
fn check_and_build_read_doctors_xlsx_instead_of_doctors_csv() {
    let f = Fixture::complete();
    std::fs::remove_file(f.file("territory/doctors.csv")).unwrap();
    let rows = fixture::DOCTOR_ROWS.replace("accepte_plus_tard", "plus_tard");
    std::fs::write(f.file("territory/doctors.xlsx"), doctors_xlsx(&rows)).unwrap();
    let checked = cpts(&["check"], f.path());
    assert_eq!(checked.status.code(), Some(1));
    let message = stderr(&checked);
    assert!(
        message.contains("doctors.xlsx:Feuille1!F4: erreur : statut « plus_tard » inconnu"),
        "{message}"
    );

    std::fs::write(
        f.file("territory/doctors.xlsx"),
        doctors_xlsx(fixture::DOCTOR_ROWS),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let built = cpts(&["build", "--out", out.path().to_str().unwrap()], f.path());
    assert!(built.status.success(), "{}", stderr(&built));
    // The codes Excel stored as numbers are read, with a warning each.
    assert!(
        stderr(&built).contains("le tableur a enlevé le 0 du début"),
        "{}",
        stderr(&built)
    );
    assert!(
        out.path()
            .join("site/communes/sedan-08409/index.html")
            .exists()
    );

    // Two lists: which one is meant?
    f.write(
        "territory/doctors.csv",
        &format!("{}{}", fixture::DOCTORS_HEADER, fixture::DOCTOR_ROWS),
    );
    let checked = cpts(&["check"], f.path());
    assert_eq!(checked.status.code(), Some(1));
    assert!(
        stderr(&checked).contains("deux listes de médecins : doctors.csv et doctors.xlsx"),
        "{}",
        stderr(&checked)
    );
}

#[test]
fn build_writes_the_site_and_check_writes_nothing() {
    let f = Fixture::complete();
    let out = tempfile::tempdir().unwrap();
    let checked = cpts(&["check"], f.path());
    assert!(checked.status.success(), "{}", stderr(&checked));
    assert!(!f.file("dist").exists() && !Path::new("dist/site/communes/floing-08174").exists());

    let built = cpts(&["build", "--out", out.path().to_str().unwrap()], f.path());
    assert!(built.status.success(), "{}", stderr(&built));
    assert!(
        stderr(&built).contains("Site construit"),
        "{}",
        stderr(&built)
    );
    for file in [
        "index.html",
        "comment-ca-marche/index.html",
        "actualites/index.html",
        "actualites/lancement/index.html",
        "actualites/atom.xml",
        "cpts/sedanais/index.html",
        "communes/index.html",
        "communes/sedan-08409/index.html",
        "communes/floing-08174/index.html",
        "communes/charleville-mezieres-08105/index.html",
        "sitemap.xml",
        "robots.txt",
        "404.html",
        "style.css",
    ] {
        assert!(
            out.path().join("site").join(file).is_file(),
            "missing {file}"
        );
    }
}

#[test]
fn a_folder_with_only_site_toml_and_pages_builds() {
    let f = Fixture::complete();
    for extra in ["territory", "news"] {
        std::fs::remove_dir_all(f.file(extra)).unwrap();
    }
    f.edit(
        "pages/comment-ca-marche.md",
        " Voir aussi [Sedan](/communes/sedan-08409/).",
        "",
    );
    let out = tempfile::tempdir().unwrap();
    let built = cpts(&["build", "--out", out.path().to_str().unwrap()], f.path());
    assert!(built.status.success(), "{}", stderr(&built));
    let home = std::fs::read_to_string(out.path().join("site/index.html")).unwrap();
    assert!(home.contains("03 53 01 20 08"));
    assert!(!out.path().join("site/communes").exists());
}

#[test]
fn a_failed_build_leaves_the_last_good_site_in_place() {
    let f = Fixture::complete();
    let out = tempfile::tempdir().unwrap();
    let out_arg = out.path().to_str().unwrap();
    assert!(
        cpts(&["build", "--out", out_arg], f.path())
            .status
            .success()
    );
    let before =
        std::fs::read_to_string(out.path().join("site/comment-ca-marche/index.html")).unwrap();

    f.edit(
        "pages/comment-ca-marche.md",
        "Le numéro unique",
        "Le numéro unique modifié",
    );
    f.edit("territory/doctors.csv", "accepte_plus_tard", "plus_tard");
    let failed = cpts(&["build", "--out", out_arg], f.path());
    assert_eq!(failed.status.code(), Some(1));
    let message = stderr(&failed);
    assert!(
        message.contains("doctors.csv:4:46: erreur : statut « plus_tard » inconnu"),
        "{message}"
    );
    assert!(
        message.contains("le site précédent reste en ligne"),
        "{message}"
    );

    let after =
        std::fs::read_to_string(out.path().join("site/comment-ca-marche/index.html")).unwrap();
    assert_eq!(before, after);
    let mut leftovers: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    leftovers.sort();
    // `.cache` keeps rendered posters between builds (site::posters::cache).
    assert_eq!(
        leftovers,
        [".cache", "site"],
        "no temporary folder is left behind"
    );
}

/// Every file under `dir`, read whole (bytes), for searching what was published.
fn everything_under(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                all.extend(everything_under(&path));
            } else if let Ok(bytes) = std::fs::read(&path) {
                all.extend(bytes);
            }
        }
    }
    all
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_in_content_is_refused_and_nothing_of_its_target_is_published() {
    use std::os::unix::fs::symlink;
    const SECRET: &str = "SECRET-7f3a-do-not-publish";
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("keys.json");
    std::fs::write(&secret, format!("{{\"k1\": \"{SECRET}\"}}")).unwrap();
    std::fs::write(
        outside.path().join("page.md"),
        format!("+++\ntitle = \"Fuite\"\n+++\n{SECRET}\n"),
    )
    .unwrap();
    let f = Fixture::complete();
    std::fs::create_dir_all(f.file("static")).unwrap();
    symlink(&secret, f.file("static/keys.json")).unwrap();
    symlink(outside.path(), f.file("static/tout")).unwrap();
    symlink(outside.path().join("page.md"), f.file("pages/fuite.md")).unwrap();

    let out = tempfile::tempdir().unwrap();
    let built = cpts(&["build", "--out", out.path().to_str().unwrap()], f.path());
    assert_eq!(built.status.code(), Some(1), "{}", stderr(&built));
    let message = stderr(&built);
    for link in ["static/keys.json", "static/tout", "pages/fuite.md"] {
        let located = format!("{}:1:1: erreur : lien symbolique", f.file(link).display());
        assert!(message.contains(&located), "{located} in:\n{message}");
    }
    assert!(
        message.contains("remplacez le lien par une copie"),
        "{message}"
    );
    assert!(!message.contains(SECRET), "{message}");
    let published = everything_under(out.path());
    assert!(
        !String::from_utf8_lossy(&published).contains(SECRET),
        "the secret was published"
    );

    let checked = cpts(&["check"], f.path());
    assert_eq!(checked.status.code(), Some(1));
    assert!(stderr(&checked).contains("lien symbolique"));

    // The handler (`cpts serve`, `cpts jobs run`) refuses the same folder: no template or
    // territory file is read through a link.
    let view = site::handler::load_view(f.path()).err().expect("refused");
    assert!(view.message.contains("lien symbolique"), "{view}");
    let territory = site::handler::load_territory(f.path(), fixture::today())
        .err()
        .expect("refused");
    assert!(territory[0].message.contains("lien symbolique"));
}

#[test]
fn check_reports_errors_with_their_place_and_fails() {
    let f = Fixture::complete();
    f.edit("pages/_index.md", "{{ telephone }}", "{{ numero }}");
    let checked = cpts(&["check"], f.path());
    assert_eq!(checked.status.code(), Some(1));
    let message = stderr(&checked);
    assert!(
        message.contains("_index.md:5:12: erreur : variable « {{ numero }} » inconnue"),
        "{message}"
    );
    assert!(message.contains("→ variables possibles"), "{message}");
}

#[test]
fn unknown_command_and_option_are_explained() {
    let f = Fixture::complete();
    let output = cpts(&["publier"], f.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("commande inconnue : publier"));
    let output = cpts(&["check", "--sortie", "x"], f.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("option inconnue : --sortie"));
}
