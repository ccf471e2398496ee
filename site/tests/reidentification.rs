//! A doctor who did not opt in to being named must not be found through the public map.
//!
//! The attack: someone reads the published files (the communes' GeoJSON and the data of every
//! commune page) and, knowing the open-source code, the communes' centres (public geography),
//! the named doctors (published) and even the hidden doctor's declaration, tries every commune as
//! the hidden doctor's place: the communes that would publish exactly the same files are where he
//! may be. The attack succeeds when that set holds his commune and is small: at most three
//! communes, or all within a 5 km disc.

use chrono::NaiveDate;
use rayon::prelude::*;
use serde_json::Value;
use site::map::MapData;
use site::territory_pages::commune_page;
use territory::{Availability, Commune, Doctor, LonLat, Territory, great_circle_km};

fn today() -> NaiveDate {
    "2026-11-24".parse().unwrap()
}

/// Columns and rows of the grid of communes: 12 × 12 communes of about 3.6 × 3.7 km.
const SIDE: usize = 12;
const WEST: f64 = 4.2;
const SOUTH: f64 = 49.2;
const DLON: f64 = 0.05;
const DLAT: f64 = 0.4 / SIDE as f64;

fn communes() -> Vec<Commune> {
    let mut list = Vec::new();
    for row in 0..SIDE {
        for column in 0..SIDE {
            let (w, s) = (WEST + column as f64 * DLON, SOUTH + row as f64 * DLAT);
            let (e, n) = (w + DLON, s + DLAT);
            let i = list.len();
            list.push(Commune {
                code: format!("99{i:03}"),
                name: format!("Commune {i}"),
                postcodes: vec![format!("99{i:03}")],
                population: 500,
                centre: LonLat {
                    lon: w + DLON / 2.0,
                    lat: s + DLAT / 2.0,
                },
                area_km2: 13.0,
                geometry: vec![vec![vec![[w, s], [e, s], [e, n], [w, n], [w, s]]]],
                cpts: None,
            });
        }
    }
    list
}

fn doctor(id: &str, location: LonLat, public: bool) -> Doctor {
    Doctor {
        id: id.into(),
        name: format!("Dr {id}"),
        commune: 0,
        location,
        other_practices: Vec::new(),
        availability: Availability::AcceptingNow,
        yearly_capacity: 10,
        home_visit_radius_km: Some(8.0),
        priority_only: false,
        public,
        updated: "2026-11-01".parse().unwrap(),
        email: format!("{id}@example.org"),
    }
}

fn commune_index(column: usize, row: usize) -> usize {
    row * SIDE + column
}

/// One named doctor in a corner, and the hidden one (not named) at the centre of `place`.
fn territory_with_hidden_at(place: usize) -> Territory {
    let communes = communes();
    let mut named = doctor("nomme", communes[0].centre, true);
    named.commune = 0;
    let mut hidden = doctor("discret", communes[place].centre, false);
    hidden.commune = place;
    Territory::new(communes, Vec::new(), vec![named, hidden])
}

/// Everything the public can read about each commune: its feature in the communes' GeoJSON and
/// the data of its page.
fn published(territory: &Territory) -> Vec<String> {
    let map = MapData::build(territory, today());
    let file = map
        .files
        .iter()
        .find(|f| f.path.ends_with("/communes.geojson"))
        .expect("one communes layer");
    let layer: Value = serde_json::from_slice(&file.bytes).unwrap();
    let features = layer["features"].as_array().unwrap();
    assert_eq!(features.len(), territory.communes.len());
    territory
        .communes
        .iter()
        .zip(features)
        .map(|(commune, feature)| {
            let page = commune_page(territory, commune, today());
            format!(
                "{} {} {}",
                feature["properties"],
                serde_json::to_string(&page).unwrap(),
                map.legend_of(feature["id"].as_u64().unwrap() as usize).code
            )
        })
        .collect()
}

struct Found {
    communes: Vec<usize>,
    /// Radius of the disc around their mean centre that holds them all.
    radius_km: f64,
}

fn attack(seen: &[String]) -> Found {
    let communes = communes();
    let candidates: Vec<usize> = (0..communes.len())
        .into_par_iter()
        .filter(|&place| published(&territory_with_hidden_at(place)) == seen)
        .collect();
    let n = candidates.len().max(1) as f64;
    let centre = LonLat {
        lon: candidates
            .iter()
            .map(|&i| communes[i].centre.lon)
            .sum::<f64>()
            / n,
        lat: candidates
            .iter()
            .map(|&i| communes[i].centre.lat)
            .sum::<f64>()
            / n,
    };
    let radius_km = candidates
        .iter()
        .map(|&i| great_circle_km(centre, communes[i].centre))
        .fold(0.0, f64::max);
    Found {
        communes: candidates,
        radius_km,
    }
}

#[test]
fn an_isolated_doctor_who_is_not_named_cannot_be_located() {
    let truth = commune_index(8, 7);
    let seen = published(&territory_with_hidden_at(truth));
    let found = attack(&seen);
    println!(
        "attack: {} commune(s) consistent with the published files, within {:.1} km of their middle",
        found.communes.len(),
        found.radius_km
    );
    assert!(
        found.communes.contains(&truth),
        "the attacker must not be misled either: the truth stays among the candidates"
    );
    let located = found.communes.len() <= 3 || found.radius_km <= 5.0;
    assert!(
        !located,
        "the hidden doctor is located: {} commune(s) within {:.1} km",
        found.communes.len(),
        found.radius_km
    );
}

#[test]
fn moving_a_doctor_who_is_not_named_within_his_square_changes_no_public_byte() {
    let communes = communes();
    let place = commune_index(8, 7);
    let at = |offset_km: f64| {
        let mut hidden = doctor("discret", communes[place].centre, false);
        hidden.location.lon += offset_km / 72.0;
        hidden.location.lat -= offset_km / 111.0;
        let map = MapData::build(
            &Territory::new(communes.clone(), Vec::new(), vec![hidden]),
            today(),
        );
        map.files
            .iter()
            .map(|f| (f.path.clone(), f.bytes.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(at(0.0), at(1.5), "the map data moved with him");
}

#[test]
fn named_doctors_are_still_shown_where_they_practise() {
    let territory = territory_with_hidden_at(commune_index(8, 7));
    let map = MapData::build(&territory, today());
    let file = map
        .files
        .iter()
        .find(|f| f.path.ends_with("/medecins.geojson"))
        .expect("a doctors layer");
    let layer: Value = serde_json::from_slice(&file.bytes).unwrap();
    let features = layer["features"].as_array().unwrap();
    assert_eq!(features.len(), 1, "only the named doctor");
    assert_eq!(features[0]["properties"]["nom"], "Dr nomme");
    let centre = territory.communes[0].centre;
    let point = &features[0]["geometry"]["coordinates"];
    assert!((point[0].as_f64().unwrap() - centre.lon).abs() < 1e-4);
    assert!((point[1].as_f64().unwrap() - centre.lat).abs() < 1e-4);
    // His own commune says « within 10 km » from his real place, and names him.
    assert_eq!(map.legend_of(0).code, "disponible");
    let page = commune_page(&territory, &territory.communes[0], today());
    assert_eq!(page.named.len(), 1);
    assert_eq!(page.named[0].name, "Dr nomme");
}

#[test]
fn a_commune_with_many_doctors_around_still_says_so() {
    let communes = communes();
    let town = commune_index(3, 9);
    let doctors: Vec<Doctor> = (0..5)
        .map(|k| {
            let mut d = doctor(&format!("discret-{k}"), communes[town].centre, false);
            d.location.lon += 0.002 * k as f64;
            d.commune = town;
            d
        })
        .collect();
    let territory = Territory::new(communes, Vec::new(), doctors);
    let map = MapData::build(&territory, today());
    assert_eq!(map.legend_of(town).code, "disponible");
    // And so do the communes around, though the doctors count at the centre of their square.
    let accepting = (0..territory.communes.len())
        .filter(|&i| map.legend_of(i).code == "disponible")
        .count();
    assert!(accepting >= 9, "{accepting} communes say so");
    // Yes or no, never how many: the layer carries no count of doctors.
    let file = map
        .files
        .iter()
        .find(|f| f.path.ends_with("/communes.geojson"))
        .unwrap();
    let layer: Value = serde_json::from_slice(&file.bytes).unwrap();
    for f in layer["features"].as_array().unwrap() {
        for (key, value) in f["properties"].as_object().unwrap() {
            assert!(!value.is_number(), "{key} is a number: {value}");
        }
    }
}

#[test]
fn the_map_panel_and_the_commune_pages_say_the_same_facts() {
    use site::map::status::{SAY_HOME_VISITS, SAY_LATER, SAY_PRIORITY_ONLY, SAY_TO_CONFIRM};
    let script = include_str!("../static/carte.js");
    for sentence in [
        SAY_PRIORITY_ONLY,
        SAY_LATER,
        SAY_HOME_VISITS,
        SAY_TO_CONFIRM,
    ] {
        assert!(
            script.contains(sentence),
            "carte.js does not say « {sentence} »"
        );
    }
}

#[test]
fn a_doctor_counts_at_each_of_his_practices() {
    let communes = communes();
    let (main, other) = (commune_index(0, 0), commune_index(11, 11));
    let mut named = doctor("nomme", communes[main].centre, true);
    named.other_practices = vec![territory::Practice {
        commune: other,
        location: communes[other].centre,
    }];
    let territory = Territory::new(communes, Vec::new(), vec![named]);
    let map = MapData::build(&territory, today());
    // Both places say « within 10 km », and the middle of the grid, far from both, does not.
    assert_eq!(map.legend_of(main).code, "disponible");
    assert_eq!(map.legend_of(other).code, "disponible");
    assert_ne!(map.legend_of(commune_index(6, 6)).code, "disponible");
    // Named: a point at each practice, each with its town.
    let file = map
        .files
        .iter()
        .find(|f| f.path.ends_with("/medecins.geojson"))
        .unwrap();
    let layer: Value = serde_json::from_slice(&file.bytes).unwrap();
    let towns: Vec<&str> = layer["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["ville"].as_str().unwrap())
        .collect();
    assert_eq!(towns, ["Commune 0", "Commune 143"]);
    // The page of his other commune names him once, at 0 km, with both towns.
    let page = commune_page(&territory, &territory.communes[other], today());
    assert_eq!(page.named.len(), 1);
    assert_eq!(page.named[0].town, "Commune 0 et Commune 143");
    assert_eq!(page.named[0].distance_km, "0,0 km");
}

#[test]
fn a_hidden_doctor_does_not_hide_among_his_own_practices() {
    let communes = communes();
    let place = commune_index(8, 7);
    let alone = doctor("discret", communes[place].centre, false);
    // Three practices in the same square (three would be enough to stay in a small square).
    let mut several = alone.clone();
    several.other_practices = [0.01, 0.02]
        .into_iter()
        .map(|offset| territory::Practice {
            commune: place,
            location: LonLat {
                lon: communes[place].centre.lon + offset,
                lat: communes[place].centre.lat,
            },
        })
        .collect();
    let placed = |d: &Doctor| site::map::privacy::published_places(std::slice::from_ref(d));
    let one = placed(&alone)[0].location;
    let three = placed(&several);
    assert_eq!(
        three[0].location, one,
        "counted once, he is in the larger square"
    );
    assert!(three[0].other_practices.iter().all(|p| p.location == one));
}
