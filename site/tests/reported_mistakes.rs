//! Mistakes that used to pass in silence — a missing image, an undated or future news post, the
//! site's number written by hand, a broken `#anchor`, files differing only by case, a poster text
//! too long, a PNG logo — are reported at their place, in French, with a fix; headings get ids,
//! images beside a page are published, file names are slugified.

mod fixture;

use std::path::{Path, PathBuf};

use fixture::{Fixture, today};
use site::build;
use territory::{Diagnostic, Severity};

fn diagnostics(fixture: &Fixture) -> Vec<Diagnostic> {
    match build::load(fixture.path(), today()) {
        Ok(site) => site.warnings,
        Err(all) => all,
    }
}

fn render(all: &[Diagnostic]) -> String {
    all.iter().map(|d| format!("{d}\n")).collect()
}

/// The one diagnostic whose message starts with `start`, checked against its severity, file and
/// place.
#[track_caller]
fn assert_reported(
    fixture: &Fixture,
    severity: Severity,
    file: &str,
    (line, column): (usize, usize),
    start: &str,
) -> Diagnostic {
    let all = diagnostics(fixture);
    let found: Vec<&Diagnostic> = all
        .iter()
        .filter(|d| d.message.starts_with(start))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one « {start} », got:\n{}",
        render(&all)
    );
    let d = found[0].clone();
    assert_eq!(d.severity, severity, "{d}");
    assert_eq!(d.file, fixture.file(file), "{d}");
    assert_eq!((d.line, d.column), (line, column), "{d}");
    assert!(!d.fix.is_empty(), "{d}");
    d
}

/// Builds the fixture into a temporary folder; returns it and the site's folder in it.
fn built(fixture: &Fixture) -> (tempfile::TempDir, PathBuf) {
    let site = build::load(fixture.path(), today())
        .unwrap_or_else(|ds| panic!("build failed:\n{}", render(&ds)));
    let out = tempfile::tempdir().unwrap();
    match site::output::write(&site, &out.path().join("site")) {
        Ok(dir) => (out, dir),
        Err(_) => panic!("cannot write the site"),
    }
}

fn read(dir: &Path, relative: &str) -> String {
    std::fs::read_to_string(dir.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

const TEAM_MD: &str = "+++
title = \"L'équipe\"
description = \"Qui nous sommes.\"
+++
## Qui sommes-nous ?

![L'équipe](photo.jpg)

## Qui sommes-nous ?
";

#[test]
fn a_missing_image_is_an_error_at_its_place() {
    let f = Fixture::pages_only();
    f.write("pages/equipe/index.md", TEAM_MD);
    let d = assert_reported(
        &f,
        Severity::Error,
        "pages/equipe/index.md",
        (7, 1),
        "image introuvable : « photo.jpg »",
    );
    assert!(d.fix.contains("à côté de la page"), "{d}");
}

#[test]
fn an_image_beside_its_page_is_published_there_and_headings_get_unique_ids() {
    let f = Fixture::pages_only();
    f.write("pages/equipe/index.md", TEAM_MD);
    f.write("pages/equipe/photo.jpg", "not really a jpeg");
    f.write("pages/equipe/.DS_Store", "finder");
    let (_out, root) = built(&f);
    assert_eq!(read(&root, "equipe/photo.jpg"), "not really a jpeg");
    assert!(!root.join("equipe/.DS_Store").exists());
    let html = read(&root, "equipe/index.html");
    assert!(html.contains("<h2 id=\"qui-sommes-nous\">"), "{html}");
    assert!(html.contains("<h2 id=\"qui-sommes-nous-1\">"), "{html}");
}

#[test]
fn a_file_name_with_spaces_capitals_and_accents_is_slugified() {
    let f = Fixture::pages_only();
    f.write(
        "pages/Pharmacies de garde é.md",
        "+++\ntitle = \"Pharmacies\"\ndescription = \"De garde.\"\n+++\nTexte.\n",
    );
    f.edit(
        "pages/_index.md",
        "[comment ça marche](/comment-ca-marche/)",
        "[comment ça marche](/comment-ca-marche/) et [les pharmacies](/pharmacies-de-garde-e/)",
    );
    let all = diagnostics(&f);
    assert!(all.is_empty(), "{}", render(&all));
}

#[test]
fn a_news_post_without_a_date_is_an_error() {
    let f = Fixture::complete();
    f.edit("news/lancement.md", "date = 2026-11-02\n", "");
    let d = assert_reported(
        &f,
        Severity::Error,
        "news/lancement.md",
        (2, 1),
        "actualité sans date",
    );
    assert!(d.fix.contains("date = 2026-11-24"), "{d}");
}

#[test]
fn a_future_news_post_is_published_on_its_date_not_before() {
    let f = Fixture::complete();
    f.edit(
        "news/lancement.md",
        "date = 2026-11-02",
        "date = 2026-12-05",
    );
    let d = assert_reported(
        &f,
        Severity::Warning,
        "news/lancement.md",
        (4, 1),
        "actualité datée du 5 décembre 2026 : elle sera publiée ce jour-là",
    );
    assert!(!d.is_error());
    let (_out, root) = built(&f);
    assert!(root.join("index.html").exists());
    assert!(!root.join("actualites/lancement/index.html").exists());
    // On its date, it is published.
    let site = build::load(f.path(), "2026-12-05".parse().unwrap()).unwrap();
    assert!(
        site.warnings
            .iter()
            .all(|d| !d.message.contains("publiée ce jour-là"))
    );
}

#[test]
fn the_sites_number_written_by_hand_is_a_warning() {
    let f = Fixture::pages_only();
    f.edit(
        "pages/_index.md",
        "Appelez le {{ telephone }}.",
        "Appelez le 03 53 01 20 08 ou [appelez](tel:+33353012008).",
    );
    let all = diagnostics(&f);
    let found: Vec<&Diagnostic> = all
        .iter()
        .filter(|d| d.message.starts_with("numéro de téléphone"))
        .collect();
    assert_eq!(found.len(), 2, "{}", render(&all));
    assert_eq!(found[0].severity, Severity::Warning);
    assert_eq!((found[0].line, found[0].column), (5, 12), "{}", found[0]);
    assert!(found[0].fix.contains("{{ telephone }}"), "{}", found[0]);
    assert_eq!((found[1].line, found[1].column), (5, 44), "{}", found[1]);
}

#[test]
fn an_anchor_that_does_not_exist_is_an_error_on_the_same_page_or_another() {
    let f = Fixture::pages_only();
    f.edit(
        "pages/_index.md",
        "[comment ça marche](/comment-ca-marche/)",
        "[comment ça marche](/comment-ca-marche/#le-numero-unique), [plus bas](#nulle-part), [ailleurs](/comment-ca-marche/#tarifs)",
    );
    let all = diagnostics(&f);
    let found: Vec<&Diagnostic> = all
        .iter()
        .filter(|d| d.message.starts_with("ancre"))
        .collect();
    assert_eq!(found.len(), 2, "{}", render(&all));
    assert_eq!(
        found[0].message,
        "ancre « #nulle-part » introuvable sur cette page"
    );
    assert_eq!(
        found[1].message,
        "ancre « #tarifs » introuvable sur la page « /comment-ca-marche/ »"
    );
    assert!(found[1].fix.contains("#le-numero-unique"), "{}", found[1]);
    assert_eq!(found[1].file, f.file("pages/_index.md"));
}

#[test]
fn two_files_differing_only_by_case_are_an_error() {
    let f = Fixture::pages_only();
    f.write(
        "pages/Equipe.md",
        "+++\ntitle = \"Équipe\"\ndescription = \"E.\"\n+++\n",
    );
    f.write(
        "pages/equipe.md",
        "+++\ntitle = \"Équipe\"\ndescription = \"E.\"\n+++\n",
    );
    f.write("static/Logo.svg", "<svg/>");
    f.write("static/logo.svg", "<svg/>");
    let all = diagnostics(&f);
    let found: Vec<&Diagnostic> = all
        .iter()
        .filter(|d| d.message.contains("ne diffèrent que par les majuscules"))
        .collect();
    assert_eq!(found.len(), 2, "{}", render(&all));
    assert!(found.iter().all(|d| d.is_error()));
}

#[test]
fn a_png_logo_on_a_poster_is_refused_as_svg_only() {
    let f = Fixture::complete();
    f.write("static/logos/ars.png", "png");
    f.write(
        "posters/sedan.toml",
        "cpts = \"sedanais\"\nlogos = [\"ars.png\"]\n",
    );
    let d = assert_reported(
        &f,
        Severity::Error,
        "posters/sedan.toml",
        (2, 10),
        "logo « ars.png » : SVG seulement",
    );
    assert!(d.fix.contains("ars.svg"), "{d}");
}

#[test]
fn a_poster_text_that_overflows_is_an_error_naming_the_poster_and_field() {
    let f = Fixture::complete();
    let long = "Votre pharmacien, votre infirmier ou votre mairie peuvent vous aider. ".repeat(12);
    f.write(
        "posters/sedan.toml",
        &format!("cpts = \"sedanais\"\nformats = [\"a4\"]\nhelp = \"{long}\"\n"),
    );
    let d = assert_reported(
        &f,
        Severity::Error,
        "posters/sedan.toml",
        (3, 1),
        "affiche « sedanais » (a4) : le texte déborde",
    );
    assert!(d.message.contains("« help »"), "{d}");
}
