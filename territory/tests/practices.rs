//! A doctor's other places of practice in doctors.csv (`autres_lieux`): optional, read as
//! commune codes, each located at its commune's centre; a wrong code is named at its cell; and
//! "doctors near here" meets such a doctor once, at his nearest practice.

use std::path::Path;

use chrono::NaiveDate;
use territory::{Loaded, great_circle_km};

fn today() -> NaiveDate {
    "2026-11-24".parse().unwrap()
}

/// The demo territory with `doctors` as its doctors.csv.
fn load_with(doctors: &str) -> Loaded {
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/territory");
    for file in ["communes.geojson", "cpts.toml"] {
        std::fs::copy(demo.join(file), dir.path().join(file)).unwrap();
    }
    std::fs::write(dir.path().join("doctors.csv"), doctors).unwrap();
    territory::load(dir.path(), today())
}

const HEADER: &str = "id;nom;commune;lat;lon;statut;date_statut;capacite_annuelle;visites_domicile;rayon_visites_km;priorite_seulement;public;mis_a_jour;email;autres_lieux\n";

#[test]
fn other_practices_are_read_and_met_once_at_the_nearest() {
    let csv = format!(
        "{HEADER}med-1;Dr Un;08409;;;accepte_maintenant;;10;non;;non;oui;2026-11-01;un@example.org;08090, 08311 08409\n\
         med-2;Dr Deux;08105;;;accepte_maintenant;;10;non;;non;non;2026-11-01;deux@example.org;\n"
    );
    let loaded = load_with(&csv);
    let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let territory = loaded.territory.unwrap();
    let one = territory.doctor("med-1").unwrap();
    let codes: Vec<&str> = one
        .other_practices
        .iter()
        .map(|p| territory.communes[p.commune].code.as_str())
        .collect();
    // Sedan, his main practice, is not repeated as another.
    assert_eq!(codes, ["08090", "08311"]);
    let carignan = territory.commune("08090").unwrap();
    assert_eq!(one.other_practices[0].location, carignan.centre);
    assert!(
        territory
            .doctor("med-2")
            .unwrap()
            .other_practices
            .is_empty()
    );
    assert_eq!(territory.practice_towns(one), "Sedan, Carignan et Mouzon");

    // Near Carignan: met once, at Carignan, although Sedan and Mouzon are within reach too.
    let near = territory.doctors_within(carignan.centre, 30.0, |d| d.id == "med-1");
    assert_eq!(near.len(), 1);
    assert!(near[0].distance_km < 0.01, "{}", near[0].distance_km);
    assert_eq!(
        territory.count_doctors_within(carignan.centre, 30.0, |d| d.id == "med-1"),
        1
    );
    let mut visits = Vec::new();
    territory.visit_doctors_within(carignan.centre, 30.0, |p, km| visits.push((p, km)));
    assert_eq!(
        visits
            .iter()
            .filter(|(p, _)| territory.doctors[*p].id == "med-1")
            .count(),
        1
    );
    // The distance is to his nearest practice.
    let sedan = territory.commune("08409").unwrap().centre;
    assert!(one.distance_km(carignan.centre) < great_circle_km(carignan.centre, sedan));
}

#[test]
fn a_file_without_the_column_still_loads() {
    let csv = "id;nom;commune;lat;lon;statut;date_statut;capacite_annuelle;visites_domicile;rayon_visites_km;priorite_seulement;public;mis_a_jour;email\n\
               med-1;Dr Un;08409;;;accepte_maintenant;;10;non;;non;oui;2026-11-01;un@example.org\n";
    let loaded = load_with(csv);
    let territory = loaded.territory.expect("loads");
    assert!(territory.doctors[0].other_practices.is_empty());
}

#[test]
fn an_unknown_code_is_named_at_its_cell() {
    let csv = format!(
        "{HEADER}med-1;Dr Un;08409;;;accepte_maintenant;;10;non;;non;oui;2026-11-01;un@example.org;08090, 75056\n"
    );
    let loaded = load_with(&csv);
    let error = loaded
        .diagnostics
        .iter()
        .find(|d| d.is_error())
        .expect("an error");
    assert!(error.message.contains("« 75056 »"), "{}", error.message);
    assert!(
        error.fix.contains("séparés par des virgules"),
        "{}",
        error.fix
    );
    assert_eq!(error.line, 2);
    let column = csv.lines().nth(1).unwrap().rfind(';').unwrap() + 2;
    assert_eq!(error.column, column);
    assert!(loaded.territory.is_none());
}
