//! Every front-matter mistake of a file is reported in one run, in line order, with the body's
//! problems too; TOML's usual mistakes are explained in French; a broken site.toml or doctors list
//! hides nothing else.

mod fixture;

use fixture::{Fixture, today};
use site::{build, output};
use territory::Diagnostic;

fn diagnostics(fixture: &Fixture) -> Vec<Diagnostic> {
    match build::load(fixture.path(), today()) {
        Ok(site) => site.warnings,
        Err(all) => all,
    }
}

fn render(all: &[Diagnostic]) -> String {
    all.iter().map(|d| format!("{d}\n")).collect()
}

/// The errors of one file, as (line, column, message, fix).
fn errors_in(f: &Fixture, file: &str) -> Vec<(usize, usize, String, String)> {
    diagnostics(f)
        .into_iter()
        .filter(|d| d.is_error() && d.file == f.file(file))
        .map(|d| (d.line, d.column, d.message, d.fix))
        .collect()
}

const BROKEN_PAGE: &str = "+++
title = “Horaires”
description = \"Les horaires.\"
date = 01/12/2026
updated = 2026-02-30
weight = dix
auteur = \"Moi\"
+++
Appelez le {{ numero }}. Voir [la FAQ](/faq).
";

#[test]
fn every_front_matter_error_of_a_file_at_once_with_the_body_errors() {
    let f = Fixture::pages_only();
    f.write("pages/horaires.md", BROKEN_PAGE);
    let errors = errors_in(&f, "pages/horaires.md");
    let lines: Vec<usize> = errors.iter().map(|e| e.0).collect();
    // Five front-matter lines, then the body's unknown placeholder and broken link.
    assert_eq!(lines, [2, 4, 5, 6, 7, 9, 9], "{errors:#?}");
    let columns: Vec<usize> = errors.iter().map(|e| e.1).collect();
    assert_eq!(columns, [9, 8, 11, 10, 1, 12, 31], "{errors:#?}");
    assert!(
        errors[4].2.contains("clé inconnue « auteur »"),
        "{errors:#?}"
    );
    assert!(errors[5].2.contains("{{ numero }}"), "{errors:#?}");
    assert!(errors[6].2.contains("« /faq »"), "{errors:#?}");
}

#[test]
fn typographic_and_french_quotes_ask_for_straight_quotes() {
    for value in ["“Horaires”", "« Horaires »", "”Horaires”"] {
        let f = Fixture::pages_only();
        f.write(
            "pages/horaires.md",
            &format!("+++\ntitle = {value}\ndescription = \"x\"\n+++\nTexte.\n"),
        );
        let errors = errors_in(&f, "pages/horaires.md");
        assert_eq!(errors.len(), 1, "{value}: {errors:#?}");
        let (line, column, message, fix) = &errors[0];
        assert_eq!((*line, *column), (2, 9), "{value}");
        assert_eq!(
            message,
            "guillemets typographiques dans la valeur de « title »"
        );
        assert!(fix.contains("guillemets droits \"…\""), "{fix}");
    }
}

#[test]
fn a_french_date_is_rewritten_in_the_fix() {
    let f = Fixture::pages_only();
    f.edit(
        "news/lancement.md",
        "date = 2026-11-02",
        "date = 01/12/2026",
    );
    let errors = errors_in(&f, "news/lancement.md");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let (line, column, message, fix) = &errors[0];
    assert_eq!((*line, *column), (4, 8));
    assert_eq!(message, "date « 01/12/2026 » écrite à la française");
    assert!(fix.starts_with("écrivez 2026-12-01"), "{fix}");
}

#[test]
fn a_day_that_does_not_exist_is_named() {
    // Unquoted: a TOML syntax error; quoted: a text that is no date. Both say why.
    for (value, column) in [("2026-02-30", 8), ("\"2026-02-30\"", 8)] {
        let f = Fixture::pages_only();
        f.edit(
            "news/lancement.md",
            "date = 2026-11-02",
            &format!("date = {value}"),
        );
        let errors = errors_in(&f, "news/lancement.md");
        assert_eq!(errors.len(), 1, "{value}: {errors:#?}");
        let (line, col, message, fix) = &errors[0];
        assert_eq!((*line, *col), (4, column), "{value}");
        assert_eq!(message, "date « 2026-02-30 » impossible");
        assert!(fix.starts_with("ce jour n'existe pas"), "{fix}");
    }
}

#[test]
fn a_weight_in_words_asks_for_a_number() {
    for value in ["dix", "\"dix\""] {
        let f = Fixture::pages_only();
        f.edit(
            "pages/comment-ca-marche.md",
            "weight = 10",
            &format!("weight = {value}"),
        );
        let errors = errors_in(&f, "pages/comment-ca-marche.md");
        assert_eq!(errors.len(), 1, "{value}: {errors:#?}");
        let (line, column, message, fix) = &errors[0];
        assert_eq!((*line, *column), (4, 10), "{value}");
        assert!(message.contains("un nombre"), "{message}");
        assert!(fix.contains("weight = 10"), "{fix}");
    }
}

#[test]
fn a_broken_site_config_hides_no_other_file() {
    let f = Fixture::complete();
    f.edit(
        "site.toml",
        "title = \"Médecin traitant Test\"",
        "title = « Médecin traitant Test »",
    );
    f.write("pages/horaires.md", BROKEN_PAGE);
    f.edit("territory/doctors.csv", "accepte_plus_tard", "plus_tard");
    let all = diagnostics(&f);
    let errors: Vec<&Diagnostic> = all.iter().filter(|d| d.is_error()).collect();
    let files: Vec<String> = errors
        .iter()
        .map(|d| d.file.strip_prefix(f.path()).unwrap().display().to_string())
        .collect();
    assert_eq!(files.iter().filter(|f| *f == "site.toml").count(), 1);
    assert_eq!(
        files.iter().filter(|f| *f == "pages/horaires.md").count(),
        7,
        "{}",
        render(&all)
    );
    assert!(
        files.iter().any(|f| f == "territory/doctors.csv"),
        "{}",
        render(&all)
    );
    // The other pages' placeholders are not reported as unknown for want of site.toml.
    assert_eq!(errors.len(), 9, "{}", render(&all));
    assert_eq!(
        errors[files.iter().position(|f| f == "site.toml").unwrap()].message,
        "guillemets typographiques dans la valeur de « title »"
    );
}

#[test]
fn a_blank_line_before_the_front_matter_is_accepted() {
    let f = Fixture::pages_only();
    f.write(
        "pages/horaires.md",
        "\n\n+++\ntitle = \"Horaires\"\ndescription = \"x\"\nweight = dix\n+++\nTexte.\n",
    );
    // Accepted, and positions are still those of the file.
    let errors = errors_in(&f, "pages/horaires.md");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!((errors[0].0, errors[0].1), (6, 10));
    f.edit("pages/horaires.md", "weight = dix", "weight = 3");
    let all = diagnostics(&f);
    assert!(all.is_empty(), "{}", render(&all));
}

#[test]
fn placeholders_in_code_are_left_as_written() {
    let f = Fixture::pages_only();
    f.write(
        "pages/modeles.md",
        "+++\ntitle = \"Modèles\"\ndescription = \"x\"\n+++\nLe numéro : {{ telephone }}.\n\nÉcrivez `{{ telephone }}` ou `{{ inconnu }}`.\n\n```\n{{ autre }} et {{ telephone }}\n```\n\n    {{ indente }}\n",
    );
    let site = build::load(f.path(), today()).unwrap_or_else(|d| panic!("{}", render(&d)));
    let out = tempfile::tempdir().unwrap();
    assert!(output::write(&site, out.path()).is_ok());
    let page = std::fs::read_to_string(out.path().join("site/modeles/index.html")).unwrap();
    assert!(page.contains("Le numéro : 03 53 01 20 08."), "{page}");
    assert!(
        page.contains("<code>{{ telephone }}</code> ou <code>{{ inconnu }}</code>"),
        "{page}"
    );
    assert!(page.contains("{{ autre }} et {{ telephone }}"), "{page}");
    assert!(page.contains("{{ indente }}"), "{page}");
}
