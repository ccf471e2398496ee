//! The CPTS pages count doctors, but never so few that a doctor who did not opt in to being
//! named could be recognised (DOMAIN.md §4.2: counts under 11 are masked, and no count may be
//! found by difference from the others or from the named doctors, who are published one by one).

use std::path::Path;

use chrono::NaiveDate;
use serde_json::Value;
use site::territory_pages::{MASKED, MIN_COUNT, cpts_page, published_counts};
use territory::{Availability, Commune, Cpts, Doctor, LonLat, Territory};

fn today() -> NaiveDate {
    "2026-11-24".parse().unwrap()
}

fn commune(i: usize) -> Commune {
    let (w, s) = (4.2 + 0.05 * i as f64, 49.5);
    Commune {
        code: format!("99{i:03}"),
        name: format!("Commune {i}"),
        postcodes: vec![format!("99{i:03}")],
        population: 500,
        centre: LonLat {
            lon: w + 0.025,
            lat: s + 0.015,
        },
        area_km2: 10.0,
        geometry: vec![vec![vec![
            [w, s],
            [w + 0.05, s],
            [w + 0.05, s + 0.03],
            [w, s + 0.03],
            [w, s],
        ]]],
        cpts: Some(0),
    }
}

fn doctor(id: &str, commune: usize, availability: Availability, public: bool) -> Doctor {
    Doctor {
        id: id.into(),
        name: format!("Dr {id}"),
        commune,
        location: LonLat {
            lon: 4.225 + 0.05 * commune as f64,
            lat: 49.515,
        },
        other_practices: Vec::new(),
        availability,
        yearly_capacity: 10,
        home_visit_radius_km: None,
        priority_only: false,
        public,
        updated: "2026-11-01".parse().unwrap(),
        email: format!("{id}@example.org"),
    }
}

fn territory(doctors: Vec<Doctor>) -> Territory {
    let communes: Vec<Commune> = (0..4).map(commune).collect();
    let cpts = Cpts {
        id: "test".into(),
        name: "CPTS de test".into(),
        short_name: "Test".into(),
        description: "Une CPTS de test.".into(),
        communes: (0..4).collect(),
        main_towns: vec![0],
        coordinators: Vec::new(),
        postal_address: None,
    };
    Territory::new(communes, vec![cpts], doctors)
}

fn page(territory: &Territory) -> Value {
    serde_json::to_value(cpts_page(territory, 0, today())).unwrap()
}

/// Every number the page prints about doctors.
fn counts(page: &Value) -> Vec<usize> {
    let mut numbers: Vec<usize> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["figure"].as_str().unwrap().parse().ok())
        .collect();
    numbers.extend(page["doctors"].as_u64().map(|n| n as usize));
    numbers
}

fn variants() -> Vec<(Availability, &'static str)> {
    let date: NaiveDate = "2027-02-01".parse().unwrap();
    vec![
        (Availability::AcceptingNow, "accepts now"),
        (Availability::AcceptingFrom(date), "accepts later"),
        (Availability::PausedUntil(date), "paused"),
        (Availability::NotAccepting, "does not accept"),
    ]
}

/// The attack: the reader knows the named doctors (they are published, with their status) and
/// that one colleague who is not named participates. Whatever that colleague declared, the CPTS
/// page must read the same, or it tells his declaration.
#[test]
fn a_doctor_who_is_not_named_cannot_be_read_from_his_cpts_page() {
    let mut base: Vec<Doctor> = (0..5)
        .map(|k| {
            doctor(
                &format!("nomme-{k}"),
                k % 4,
                Availability::AcceptingNow,
                true,
            )
        })
        .collect();
    base.push(doctor("nomme-5", 1, Availability::NotAccepting, true));
    let pages: Vec<(Value, &str)> = variants()
        .into_iter()
        .flat_map(|(availability, what)| {
            let fresh = doctor("discret", 2, availability, false);
            let mut stale = fresh.clone();
            stale.updated = "2026-06-01".parse().unwrap();
            [fresh, stale].map(|hidden| {
                let mut doctors = base.clone();
                doctors.push(hidden);
                (page(&territory(doctors)), what)
            })
        })
        .collect();
    let (first, _) = &pages[0];
    for (other, what) in &pages {
        assert_eq!(other, first, "the page tells that he {what}");
    }
    assert!(counts(first).iter().all(|&n| n >= MIN_COUNT), "{first}");
}

/// Many doctors who are not named, but only a few in one row: that row is masked, and so is
/// the total, which would give it by difference.
#[test]
fn a_masked_row_cannot_be_found_by_difference_from_the_total() {
    let mut doctors: Vec<Doctor> = (0..30)
        .map(|k| doctor(&format!("a-{k}"), k % 4, Availability::AcceptingNow, false))
        .collect();
    doctors.push(doctor("seul", 3, Availability::NotAccepting, false));
    let p = page(&territory(doctors));
    let rows = p["rows"].as_array().unwrap();
    assert_eq!(rows[0]["figure"], "30");
    assert_eq!(rows[3]["figure"], MASKED);
    assert!(
        p["doctors"].is_null(),
        "the total gives the masked row: {p}"
    );
    assert_eq!(p["masked"], true);
}

#[test]
fn the_rule_of_the_counts() {
    // Enough doctors not named everywhere: everything is printed.
    assert_eq!(
        published_counts([(20, 15), (11, 11), (12, 11), (30, 30)]),
        ([Some(20), Some(11), Some(12), Some(30)], Some(73))
    );
    // 14 accept, but 10 of them are named: the 4 others would be found by subtraction.
    assert_eq!(
        published_counts([(14, 4), (0, 0), (0, 0), (40, 40)]).0,
        [None, None, None, Some(40)]
    );
    // Masked rows together hold 11 doctors not named: the total may say how many they are.
    assert_eq!(
        published_counts([(30, 30), (6, 6), (5, 5), (0, 0)]),
        ([Some(30), None, None, None], Some(41))
    );
    // Together 10: the total would tell.
    assert_eq!(published_counts([(30, 30), (6, 6), (4, 4), (0, 0)]).1, None);
    // Too few in all: nothing.
    assert_eq!(
        published_counts([(3, 3), (2, 2), (1, 1), (4, 4)]),
        ([None; 4], None)
    );
}

/// The demo territory as published: no CPTS page prints a count under 11.
#[test]
fn no_cpts_page_of_the_demo_prints_a_small_count() {
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
    let territory = site::handler::load_territory(&content, today()).expect("the demo loads");
    assert!(!territory.cpts.is_empty());
    for i in 0..territory.cpts.len() {
        let p = serde_json::to_value(cpts_page(&territory, i, today())).unwrap();
        for n in counts(&p) {
            assert!(n >= MIN_COUNT, "{}: a count of {n}", territory.cpts[i].id);
        }
        assert_eq!(p["rows"].as_array().unwrap().len(), 4);
    }
}
