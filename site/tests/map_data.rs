//! The map data built from the demo territory: valid GeoJSON, within its size budget, the same
//! statuses everywhere, no doctor named who did not opt in; and, at national scale, tiles small
//! enough that a screen never needs more than about 500 KB of geometry.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDate;
use serde_json::Value;
use site::map::geojson::{
    SINGLE_MAX_BYTES, SINGLE_MAX_GZIP, TILE_MAX_BYTES, VIEW_MAX_BYTES, gzip_len, search_key,
};
use site::map::{MapData, status::ALL};
use territory::Territory;
use testkit::synthetic;

fn today() -> NaiveDate {
    "2026-11-24".parse().unwrap()
}

fn demo() -> Territory {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/territory");
    territory::load(&dir, today())
        .territory
        .expect("the demo territory loads")
}

fn file<'a>(map: &'a MapData, name: &str) -> &'a [u8] {
    &map.files
        .iter()
        .find(|f| f.path.ends_with(name))
        .unwrap_or_else(|| panic!("no {name}"))
        .bytes
}

fn position_ok(p: &Value) -> bool {
    matches!(p.as_array().map(Vec::as_slice), Some([x, y])
        if x.as_f64().is_some_and(|x| (-180.0..=180.0).contains(&x))
        && y.as_f64().is_some_and(|y| (-90.0..=90.0).contains(&y)))
}

fn check_polygon(rings: &Value, what: &str) {
    let rings = rings.as_array().unwrap_or_else(|| panic!("{what}: rings"));
    assert!(!rings.is_empty(), "{what}: polygon without ring");
    for ring in rings {
        let ring = ring.as_array().unwrap_or_else(|| panic!("{what}: ring"));
        assert!(ring.len() >= 4, "{what}: ring of {} positions", ring.len());
        assert_eq!(ring.first(), ring.last(), "{what}: ring not closed");
        assert!(ring.iter().all(position_ok), "{what}: bad position");
    }
}

/// RFC 7946 structure: a FeatureCollection of Features with valid geometries.
fn check_geojson(bytes: &[u8], name: &str) -> Vec<Value> {
    let value: Value = serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(value["type"], "FeatureCollection", "{name}");
    let features = value["features"].as_array().expect("features").clone();
    for (i, f) in features.iter().enumerate() {
        let what = format!("{name} feature {i}");
        assert_eq!(f["type"], "Feature", "{what}");
        assert!(f["properties"].is_object(), "{what}: properties");
        let g = &f["geometry"];
        match g["type"].as_str() {
            Some("Point") => assert!(position_ok(&g["coordinates"]), "{what}"),
            Some("Polygon") => check_polygon(&g["coordinates"], &what),
            Some("MultiPolygon") => {
                let polygons = g["coordinates"].as_array().expect("polygons");
                assert!(!polygons.is_empty(), "{what}: empty MultiPolygon");
                polygons.iter().for_each(|p| check_polygon(p, &what));
            }
            other => panic!("{what}: geometry type {other:?}"),
        }
    }
    features
}

#[test]
fn demo_layers_are_valid_geojson_within_budget() {
    let territory = demo();
    let map = MapData::build(&territory, today());
    let communes = check_geojson(file(&map, "/communes.geojson"), "communes");
    let cpts = check_geojson(file(&map, "/cpts.geojson"), "cpts");
    let doctors = check_geojson(file(&map, "/medecins.geojson"), "medecins");
    assert_eq!(
        doctors.len(),
        territory.doctors.iter().filter(|d| d.public).count()
    );
    assert_eq!(communes.len(), territory.communes.len());
    assert_eq!(cpts.len(), territory.cpts.len());
    let codes: HashSet<&str> = communes
        .iter()
        .map(|f| f["properties"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes.len(),
        territory.communes.len(),
        "one feature per commune"
    );
    let statuses: HashSet<&str> = ALL.iter().map(|s| s.code()).collect();
    for f in &communes {
        assert!(statuses.contains(f["properties"]["statut"].as_str().unwrap()));
    }

    let layers = ["/communes.geojson", "/cpts.geojson", "/medecins.geojson"];
    let bytes: usize = layers.iter().map(|n| file(&map, n).len()).sum();
    let gzip: usize = layers.iter().map(|n| gzip_len(file(&map, n))).sum();
    println!("demo map data: {bytes} bytes, {gzip} bytes gzip");
    assert!(
        bytes <= SINGLE_MAX_BYTES,
        "{bytes} bytes > {SINGLE_MAX_BYTES}"
    );
    assert!(
        gzip <= SINGLE_MAX_GZIP,
        "{gzip} bytes gzip > {SINGLE_MAX_GZIP}"
    );
    assert_eq!(
        (map.sizes.layers_bytes, map.sizes.layers_gzip),
        (bytes, gzip)
    );
    assert!(!map.sizes.tiled);

    let manifest: Value = serde_json::from_slice(file(&map, "/index.json")).unwrap();
    assert_eq!(manifest["communes"], "/carte/donnees/communes.geojson");
    assert!(manifest["tuiles"].is_null());
}

#[test]
fn only_opted_in_doctors_are_named_in_the_map_data() {
    let territory = demo();
    let map = MapData::build(&territory, today());
    let doctors = check_geojson(file(&map, "/medecins.geojson"), "medecins");
    let public: Vec<&str> = territory
        .doctors
        .iter()
        .filter(|d| d.public)
        .map(|d| d.name.as_str())
        .collect();
    let named: Vec<&str> = doctors
        .iter()
        .map(|f| f["properties"]["nom"].as_str().unwrap())
        .collect();
    assert_eq!(named, public);
    let hidden: Vec<&territory::Doctor> = territory.doctors.iter().filter(|d| !d.public).collect();
    assert!(
        !hidden.is_empty(),
        "the demo has doctors who did not opt in"
    );
    for f in &map.files {
        let text = String::from_utf8_lossy(&f.bytes);
        for d in &hidden {
            assert!(!text.contains(&d.name), "{} names {}", f.path, d.name);
            assert!(
                !text.contains(&d.email),
                "{} gives {}'s email",
                f.path,
                d.name
            );
            assert!(!text.contains(&d.id), "{} gives {}'s id", f.path, d.name);
        }
        for d in &territory.doctors {
            assert!(!text.contains(&d.email), "no email on the map: {}", f.path);
        }
    }
}

#[test]
fn svg_table_geojson_and_search_agree_on_every_status() {
    let territory = demo();
    let map = MapData::build(&territory, today());
    let from_geojson: HashMap<String, String> = check_geojson(file(&map, "/communes.geojson"), "c")
        .iter()
        .map(|f| {
            (
                f["properties"]["code"].as_str().unwrap().to_string(),
                f["properties"]["statut"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let block = map.territory_block(&territory);
    assert_eq!(block.rows.len(), territory.communes.len());
    for row in &block.rows {
        assert_eq!(
            from_geojson[&row.code], row.status,
            "table row {}",
            row.name
        );
        let needle = format!("data-code=\"{}\" data-statut=\"{}\"", row.code, row.status);
        assert!(block.svg.contains(&needle), "SVG path of {}", row.name);
    }
    // Every commune can be found by its name and by its postcode, with the same status.
    for (i, c) in territory.communes.iter().enumerate() {
        for text in std::iter::once(&c.name).chain(&c.postcodes) {
            let key = search_key(text).unwrap();
            let index: Value =
                serde_json::from_slice(file(&map, &format!("/recherche/{key}.json")))
                    .unwrap_or_else(|e| panic!("search file {key}: {e}"));
            let entry = index
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e[0] == c.code.as_str())
                .unwrap_or_else(|| panic!("{} not under {key}", c.name));
            assert_eq!(entry[7], map.communes[i].status.status.code());
        }
    }
}

#[test]
fn commune_and_cpts_maps_show_their_communes() {
    let territory = demo();
    let map = MapData::build(&territory, today());
    let sedan = territory
        .communes
        .iter()
        .position(|c| c.code == "08409")
        .unwrap();
    assert!(map.has_commune_maps());
    let block = map.commune_block(&territory, sedan);
    assert!(block.rows.iter().any(|r| r.here && r.code == "08409"));
    assert!(block.rows.len() > 5, "Sedan has neighbours");
    assert!(
        block.svg.contains("class=\"ici\""),
        "the commune is outlined"
    );
    let cpts = map.cpts_block(&territory, 0);
    assert_eq!(cpts.rows.len(), territory.cpts[0].communes.len());
    assert_eq!(
        cpts.svg.matches("<path class=\"s-").count(),
        cpts.rows.len()
    );
}

#[test]
fn national_scale_is_tiled_within_the_view_budget() {
    let territory = synthetic::territory(6_000, 15_000, today());
    let map = MapData::build(&territory, today());
    let sizes = &map.sizes;
    println!("national-like map data: {sizes:?}");
    assert!(sizes.tiled);
    assert!(
        !map.has_commune_maps(),
        "national commune pages link to the map instead of carrying one"
    );
    assert!(sizes.largest_tile <= TILE_MAX_BYTES, "{sizes:?}");
    assert!(sizes.largest_view <= VIEW_MAX_BYTES, "{sizes:?}");
    let cpts = file(&map, "/cpts.geojson");
    let overview = file(&map, "/apercu.geojson");
    assert!(cpts.len() + overview.len() <= VIEW_MAX_BYTES);
    check_geojson(cpts, "cpts");
    check_geojson(overview, "apercu");
    let mut communes = 0;
    let mut doctors = 0;
    for f in map.files.iter().filter(|f| f.path.contains("/tuiles/")) {
        for feature in check_geojson(&f.bytes, &f.path) {
            if feature["geometry"]["type"] == "Point" {
                doctors += 1;
            } else {
                communes += 1;
            }
        }
    }
    assert_eq!(
        communes,
        territory.communes.len(),
        "every commune in one tile"
    );
    assert_eq!(
        doctors,
        territory.doctors.iter().filter(|d| d.public).count()
    );
    let manifest: Value = serde_json::from_slice(file(&map, "/index.json")).unwrap();
    assert!(manifest["communes"].is_null());
    assert_eq!(manifest["tuiles"]["budget"], VIEW_MAX_BYTES);
}
