//! Poster definitions (`content/posters/*.toml`): defaults without any file, and every mistake
//! reported at its place in French.

mod fixture;

use fixture::{Fixture, today};
use site::build;
use site::posters::definitions::{HEADLINE, STEPS};
use territory::Diagnostic;

fn errors(f: &Fixture) -> Vec<Diagnostic> {
    match build::load(f.path(), today()) {
        Ok(site) => panic!(
            "expected errors, got a site with warnings {:?}",
            site.warnings
        ),
        Err(all) => all,
    }
}

#[track_caller]
fn assert_error(f: &Fixture, line: usize, column: usize, message: &str, fix_mentions: &str) {
    let all = errors(f);
    assert_eq!(all.len(), 1, "{all:#?}");
    let d = &all[0];
    assert_eq!(d.file, f.file("posters/sedan.toml"));
    assert_eq!((d.line, d.column), (line, column), "{d}");
    assert_eq!(d.message, message);
    assert!(d.fix.contains(fix_mentions), "{}", d.fix);
}

#[test]
fn above_twelve_cpts_only_the_territory_and_defined_cpts_get_posters() {
    let f = Fixture::with_many_cpts(13);
    f.write("posters/c3.toml", "cpts = \"cpts-3\"\n");
    let site = build::load(f.path(), today()).unwrap_or_else(|d| panic!("{d:?}"));
    let posters = site.posters().unwrap();
    let ids: Vec<&str> = posters.sets.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["territoire", "cpts-3"]);

    let f = Fixture::with_many_cpts(12);
    let site = build::load(f.path(), today()).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(site.posters().unwrap().sets.len(), 13);
}

#[test]
fn without_definitions_each_cpts_and_the_territory_get_every_format() {
    let f = Fixture::complete();
    let site = build::load(f.path(), today()).unwrap();
    let posters = site.posters().unwrap();
    let ids: Vec<&str> = posters.sets.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["territoire", "sedanais"]);
    for set in &posters.sets {
        assert_eq!(set.formats.len(), 6);
        assert_eq!(set.texts.headline, HEADLINE);
        assert_eq!(set.texts.steps, STEPS.map(String::from));
    }
    assert_eq!(
        posters.sets[1].texts.subheadline,
        "Votre CPTS vous aide à en trouver un près de chez vous."
    );
}

#[test]
fn a_definition_changes_texts_formats_and_logos() {
    let f = Fixture::complete();
    f.write(
        "static/logos/cpts-sedanais.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>",
    );
    f.write(
        "static/logos/partenaire.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>",
    );
    f.write(
        "posters/sedan.toml",
        "cpts = \"sedanais\"\nformats = [\"a4\", \"carre\"]\nheadline = \"Sans médecin traitant ?\"\nlogos = [\"partenaire.svg\"]\n",
    );
    let site = build::load(f.path(), today()).unwrap();
    let posters = site.posters().unwrap();
    let set = &posters.sets[1];
    assert_eq!(
        set.formats.iter().map(|f| f.code()).collect::<Vec<_>>(),
        ["a4", "carre"]
    );
    assert_eq!(set.texts.headline, "Sans médecin traitant ?");
    assert_eq!(
        set.logos
            .iter()
            .map(|l| l.name.as_str())
            .collect::<Vec<_>>(),
        ["partenaire.svg"]
    );
    // Without a file, the territory carries every logo.
    assert_eq!(posters.sets[0].logos.len(), 2);
}

#[test]
fn unknown_cpts_is_located_and_lists_the_known_ones() {
    let f = Fixture::complete();
    f.write("posters/sedan.toml", "# Sedan\ncpts = \"sedan\"\n");
    assert_error(&f, 2, 8, "CPTS « sedan » inconnue", "territoire, sedanais");
}

#[test]
fn unknown_format_is_located() {
    let f = Fixture::complete();
    f.write(
        "posters/sedan.toml",
        "cpts = \"sedanais\"\nformats = [\"a4\", \"a2\"]\n",
    );
    assert_error(
        &f,
        2,
        18,
        "format « a2 » inconnu",
        "a4, a3, a5, carre, portrait, partage",
    );
}

#[test]
fn steps_must_be_three() {
    let f = Fixture::complete();
    f.write(
        "posters/sedan.toml",
        "cpts = \"sedanais\"\nsteps = [\"Un.\", \"Deux.\"]\n",
    );
    assert_error(&f, 2, 1, "2 étape(s) au lieu de 3", "exactement trois");
}

#[test]
fn missing_logo_is_located() {
    let f = Fixture::complete();
    f.write(
        "posters/sedan.toml",
        "cpts = \"sedanais\"\nlogos = [\"ars.svg\"]\n",
    );
    assert_error(
        &f,
        2,
        10,
        "logo « ars.svg » introuvable dans content/static/logos/",
        "content/static/logos/",
    );
}

#[test]
fn unknown_key_and_toml_syntax_are_translated() {
    let f = Fixture::complete();
    f.write("posters/sedan.toml", "cpts = \"sedanais\"\ntitre = \"x\"\n");
    assert_error(&f, 2, 1, "clé inconnue « titre »", "headline");
}

#[test]
fn two_files_for_one_cpts_is_an_error_naming_the_other() {
    let f = Fixture::complete();
    f.write("posters/a.toml", "cpts = \"sedanais\"\n");
    f.write("posters/sedan.toml", "cpts = \"sedanais\"\n");
    assert_error(
        &f,
        1,
        1,
        "les affiches de « sedanais » sont déjà définies",
        "a.toml",
    );
}
