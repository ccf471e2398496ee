//! The map's data files: GeoJSON layers (communes with their status, CPTS perimeters, opted-in
//! doctors), simplified to a size budget, split into tiles when the territory is large, and a small
//! search index by commune name and postcode.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use geo::MultiPolygon;
use rayon::prelude::*;
use serde::Serialize;

use super::geometry::{self, json_string, number, write_multipolygon, write_point};
use super::status::{ALL, Status};
use super::{CommuneInfo, DoctorInfo, MapFile};
use crate::slug::slugify;

/// The demo's whole map data must stay under these sizes (issue #3).
pub const SINGLE_MAX_BYTES: usize = 300_000;
pub const SINGLE_MAX_GZIP: usize = 100_000;
/// The page never downloads more than this much geometry for the area in view.
pub const VIEW_MAX_BYTES: usize = 500_000;
/// A tile's size is kept under this, so that the tiles a screen shows stay under `VIEW_MAX_BYTES`.
pub const TILE_MAX_BYTES: usize = 80_000;
/// Above this many communes the layers are always tiled.
const SINGLE_MAX_COMMUNES: usize = 3_000;
/// Range of simplification tolerances (degrees) searched for the finest that fits the budget:
/// about 10 m to 700 m.
const FINEST_TOLERANCE: f64 = 0.0001;
const COARSEST_TOLERANCE: f64 = 0.0064;
const BISECTIONS: usize = 5;
/// Tiled layers: commune contours at about 40 m, which is below a pixel at the zoom they load.
const TILED_TOLERANCE: f64 = 0.0004;
/// The overview's squares are this many zoom levels coarser than the tiles (16 tiles each).
const OVERVIEW_LEVELS: u32 = 2;

pub const DATA_URL: &str = "/carte/donnees/";

/// What the page reads first (`index.json`): where each layer is.
#[derive(Serialize)]
pub struct Manifest {
    /// [west, south, east, north] of the territory.
    pub bbox: [f64; 4],
    pub cpts: String,
    /// Whole layers (small territories) …
    pub communes: Option<String>,
    pub medecins: Option<String>,
    /// … or tiles (large ones).
    pub tuiles: Option<Tiles>,
    /// Search index: `{recherche}{key}.json`, key = first letter of the name or first two digits of
    /// the postcode.
    pub recherche: String,
    pub recherche_cles: Vec<String>,
    /// The main towns, named on the interactive map (its own labels would need a font server).
    pub villes: Vec<Town>,
}

/// Towns the interactive map names: the most populous, as many as a territory's map shows
/// legibly at its first zoom.
pub const MAP_TOWNS: usize = 12;

/// The [`MAP_TOWNS`] most populous communes, largest first.
fn main_towns(communes: &[CommuneInfo]) -> Vec<Town> {
    let mut order: Vec<&CommuneInfo> = communes.iter().collect();
    order.sort_by_key(|c| (std::cmp::Reverse(c.population), c.index));
    order
        .into_iter()
        .take(MAP_TOWNS)
        .map(|c| Town {
            nom: c.name.clone(),
            lon: c.centre[0],
            lat: c.centre[1],
        })
        .collect()
}

/// A town named on the interactive map, at its centre.
#[derive(Serialize)]
pub struct Town {
    pub nom: String,
    pub lon: f64,
    pub lat: f64,
}

#[derive(Serialize)]
pub struct Tiles {
    /// Web-Mercator zoom level of the tile grid.
    pub zoom: u8,
    /// The page loads tiles from this map zoom on; below, it shows `apercu`.
    pub zoom_min: f64,
    /// Address pattern: `{modele}` with {z}/{x}/{y} replaced.
    pub modele: String,
    /// Size in bytes of every tile that exists, by "z/x/y".
    pub tailles: BTreeMap<String, usize>,
    pub budget: usize,
    pub apercu: String,
}

/// Sizes measured while building, for tests and the benchmark.
#[derive(Debug, Clone, Default)]
pub struct Sizes {
    pub tolerance_deg: f64,
    /// Bytes of all layer files (not tiles, not search).
    pub layers_bytes: usize,
    pub layers_gzip: usize,
    pub tiled: bool,
    pub tile_zoom: u8,
    pub largest_tile: usize,
    /// Largest total of the tiles a 1280×800 screen can show at the zoom they start loading.
    pub largest_view: usize,
}

pub fn build(
    communes: &[CommuneInfo],
    cpts: &[(String, String, String, MultiPolygon<f64>)],
    doctors: &[DoctorInfo],
) -> (Vec<MapFile>, Manifest, Sizes) {
    let bbox = communes
        .iter()
        .filter_map(|c| geometry::bbox(&c.shape))
        .fold(None, |acc, b| Some(geometry::extend(acc, b)))
        .unwrap_or([-5.0, 41.0, 10.0, 51.5]);
    let doctor_features: Vec<String> = doctors.iter().map(doctor_feature).collect();
    let (search_files, keys) = search_index(communes);
    let mut files = search_files;
    let mut manifest = Manifest {
        bbox,
        cpts: format!("{DATA_URL}cpts.geojson"),
        communes: None,
        medecins: None,
        tuiles: None,
        recherche: format!("{DATA_URL}recherche/"),
        recherche_cles: keys,
        villes: main_towns(communes),
    };
    let sizes;
    if communes.len() <= SINGLE_MAX_COMMUNES {
        let doctors_file = collection(&doctor_features);
        // The finest tolerance within budget: the finest one first, then halving the interval
        // between a tolerance too fine and one that fits.
        let attempt = |tolerance: f64| {
            let commune_features: Vec<String> = communes
                .par_iter()
                .map(|c| commune_feature(c, &geometry::simplify(&c.shape, tolerance)))
                .collect();
            let communes_file = collection(&commune_features);
            let cpts_file = cpts_collection(cpts, tolerance * 2.0);
            let bytes = communes_file.len() + cpts_file.len() + doctors_file.len();
            // Compressing is the slow part: only when the raw size fits.
            let gzip = if bytes <= SINGLE_MAX_BYTES {
                gzip_len(communes_file.as_bytes())
                    + gzip_len(cpts_file.as_bytes())
                    + gzip_len(doctors_file.as_bytes())
            } else {
                usize::MAX
            };
            let fits = bytes <= SINGLE_MAX_BYTES && gzip <= SINGLE_MAX_GZIP;
            (fits, tolerance, bytes, gzip, communes_file, cpts_file)
        };
        let mut best = attempt(FINEST_TOLERANCE);
        if !best.0 {
            let mut too_fine = FINEST_TOLERANCE;
            best = attempt(COARSEST_TOLERANCE);
            for _ in 0..BISECTIONS {
                if !best.0 {
                    break;
                }
                let middle = (too_fine * best.1).sqrt();
                let tried = attempt(middle);
                if tried.0 {
                    best = tried;
                } else {
                    too_fine = middle;
                }
            }
        }
        let (_, tolerance, bytes, gzip, communes_file, cpts_file) = best;
        sizes = Sizes {
            tolerance_deg: tolerance,
            layers_bytes: bytes,
            layers_gzip: gzip,
            ..Sizes::default()
        };
        files.push(MapFile::new("cpts.geojson", cpts_file));
        files.push(MapFile::new("communes.geojson", communes_file));
        files.push(MapFile::new("medecins.geojson", doctors_file));
        manifest.communes = Some(format!("{DATA_URL}communes.geojson"));
        manifest.medecins = Some(format!("{DATA_URL}medecins.geojson"));
    } else {
        let commune_features: Vec<String> = communes
            .par_iter()
            .map(|c| commune_feature(c, &geometry::simplify(&c.shape, TILED_TOLERANCE)))
            .collect();
        let (tile_files, tiles, tile_sizes) =
            tiles(communes, commune_features, doctors, doctor_features);
        let mut tolerance = TILED_TOLERANCE * 4.0;
        let mut cpts_file = cpts_collection(cpts, tolerance);
        while cpts_file.len() > VIEW_MAX_BYTES / 2 && tolerance < 0.1 {
            tolerance *= 2.0;
            cpts_file = cpts_collection(cpts, tolerance);
        }
        sizes = Sizes {
            tolerance_deg: TILED_TOLERANCE,
            layers_bytes: cpts_file.len(),
            layers_gzip: gzip_len(cpts_file.as_bytes()),
            ..tile_sizes
        };
        files.push(MapFile::new("cpts.geojson", cpts_file));
        files.extend(tile_files);
        manifest.tuiles = Some(tiles);
    }
    files.push(MapFile::new(
        "index.json",
        serde_json::to_string(&manifest).expect("plain data"),
    ));
    (files, manifest, sizes)
}

pub fn gzip_len(bytes: &[u8]) -> usize {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("in memory");
    encoder.finish().expect("in memory").len()
}

fn collection(features: &[String]) -> String {
    let mut out = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    out.push_str(&features.join(",\n"));
    out.push_str("\n]}\n");
    out
}

fn commune_feature(c: &CommuneInfo, shape: &MultiPolygon<f64>) -> String {
    let mut out = String::with_capacity(1024);
    out.push_str("{\"type\":\"Feature\",\"id\":");
    let _ = write!(out, "{}", c.index);
    out.push_str(",\"properties\":{\"code\":");
    json_string(&mut out, &c.code);
    out.push_str(",\"nom\":");
    json_string(&mut out, &c.name);
    out.push_str(",\"cp\":");
    json_string(&mut out, &c.postcodes);
    out.push_str(",\"url\":");
    json_string(&mut out, &c.url);
    // Yes or no, never how many (see `privacy`).
    let n = c.status.facts();
    let _ = write!(
        out,
        ",\"statut\":\"{}\",\"proches\":{},\"plus_tard\":{},\"prioritaires\":{},\"domicile\":{},\"a_confirmer\":{}}}",
        c.status.status.code(),
        n.accepting_near,
        n.later,
        n.priority_only,
        n.home_visits,
        n.to_confirm
    );
    out.push_str(",\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":");
    write_multipolygon(&mut out, shape);
    out.push_str("}}");
    out
}

fn doctor_feature(d: &DoctorInfo) -> String {
    let mut out = String::with_capacity(400);
    out.push_str("{\"type\":\"Feature\",\"properties\":{\"nom\":");
    json_string(&mut out, &d.name);
    out.push_str(",\"ville\":");
    json_string(&mut out, &d.town);
    let _ = write!(out, ",\"statut\":\"{}\",\"texte\":", d.code);
    json_string(&mut out, &d.status);
    out.push_str(",\"conditions\":");
    json_string(&mut out, &d.conditions.join(" ; "));
    out.push_str(",\"maj\":");
    json_string(&mut out, &d.updated);
    let _ = write!(
        out,
        ",\"a_confirmer\":{},\"domicile\":{},\"prioritaires\":{}}}",
        d.to_confirm, d.home_visits, d.priority_only
    );
    out.push_str(",\"geometry\":{\"type\":\"Point\",\"coordinates\":");
    write_point(&mut out, d.lon, d.lat);
    out.push_str("}}");
    out
}

fn cpts_collection(cpts: &[(String, String, String, MultiPolygon<f64>)], tolerance: f64) -> String {
    let features: Vec<String> = cpts
        .iter()
        .map(|(name, short, url, shape)| {
            let mut out = String::from("{\"type\":\"Feature\",\"properties\":{\"nom\":");
            json_string(&mut out, name);
            out.push_str(",\"court\":");
            json_string(&mut out, short);
            out.push_str(",\"url\":");
            json_string(&mut out, url);
            out.push_str("},\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":");
            write_multipolygon(&mut out, &geometry::simplify(shape, tolerance));
            out.push_str("}}");
            out
        })
        .collect();
    collection(&features)
}

/// Web-Mercator tile holding a point at zoom `z`.
pub fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let lat = lat.clamp(-85.0, 85.0).to_radians();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    (x.clamp(0.0, n - 1.0) as u32, y.clamp(0.0, n - 1.0) as u32)
}

type Grouped = BTreeMap<(u32, u32), (Vec<usize>, Vec<usize>, usize)>;

fn group(
    communes: &[CommuneInfo],
    features: &[String],
    doctors: &[DoctorInfo],
    doctor_features: &[String],
    z: u8,
) -> Grouped {
    let mut grouped: Grouped = BTreeMap::new();
    for (i, c) in communes.iter().enumerate() {
        let entry = grouped
            .entry(tile_of(c.centre[0], c.centre[1], z))
            .or_default();
        entry.0.push(i);
        entry.2 += features[i].len() + 2;
    }
    for (i, d) in doctors.iter().enumerate() {
        let entry = grouped.entry(tile_of(d.lon, d.lat, z)).or_default();
        entry.1.push(i);
        entry.2 += doctor_features[i].len() + 2;
    }
    grouped
}

/// Communes and doctors grouped by the tile holding their centre, at the smallest zoom where
/// every tile fits `TILE_MAX_BYTES`; an overview of squares `OVERVIEW_LEVELS` zooms coarser for
/// the zooms below.
fn tiles(
    communes: &[CommuneInfo],
    features: Vec<String>,
    doctors: &[DoctorInfo],
    doctor_features: Vec<String>,
) -> (Vec<MapFile>, Tiles, Sizes) {
    let mut z = 6;
    let mut grouped = group(communes, &features, doctors, &doctor_features, z);
    while z < 14 && grouped.values().any(|g| g.2 > TILE_MAX_BYTES) {
        z += 1;
        grouped = group(communes, &features, doctors, &doctor_features, z);
    }
    let mut files = Vec::new();
    let mut tailles = BTreeMap::new();
    let mut overview: BTreeMap<(u32, u32), Vec<usize>> = BTreeMap::new();
    for (&(x, y), (cs, ds, _)) in &grouped {
        let mut parts: Vec<String> = cs.iter().map(|&i| features[i].clone()).collect();
        parts.extend(ds.iter().map(|&i| doctor_features[i].clone()));
        let text = collection(&parts);
        tailles.insert(format!("{z}/{x}/{y}"), text.len());
        files.push(MapFile::new(&format!("tuiles/{z}/{x}/{y}.geojson"), text));
        if !cs.is_empty() {
            let square = (x >> OVERVIEW_LEVELS, y >> OVERVIEW_LEVELS);
            overview.entry(square).or_default().extend(cs);
        }
    }
    let largest_tile = tailles.values().copied().max().unwrap_or(0);
    let zoom_min = f64::from(z) + 1.0;
    let largest_view = largest_view(&grouped, &tailles, z, zoom_min);
    let oz = z.saturating_sub(OVERVIEW_LEVELS as u8);
    let overview: Vec<String> = overview
        .iter()
        .map(|(&(x, y), members)| overview_feature(communes, members, x, y, oz))
        .collect();
    files.push(MapFile::new("apercu.geojson", collection(&overview)));
    let tiles = Tiles {
        zoom: z,
        zoom_min,
        modele: format!("{DATA_URL}tuiles/{{z}}/{{x}}/{{y}}.geojson"),
        tailles,
        budget: VIEW_MAX_BYTES,
        apercu: format!("{DATA_URL}apercu.geojson"),
    };
    let sizes = Sizes {
        tiled: true,
        tile_zoom: z,
        largest_tile,
        largest_view,
        ..Sizes::default()
    };
    (files, tiles, sizes)
}

/// The most bytes of tiles one 1280×800 screen can show at `zoom_min` (512-pixel tiles):
/// every window of the tile grid that size covers, wherever the screen stands.
fn largest_view(grouped: &Grouped, sizes: &BTreeMap<String, usize>, z: u8, zoom_min: f64) -> usize {
    let scale = 2f64.powf(zoom_min - f64::from(z)) * 512.0;
    let columns = (1280.0 / scale).ceil() as u32 + 1;
    let rows = (800.0 / scale).ceil() as u32 + 1;
    grouped
        .keys()
        .map(|&(x0, y0)| {
            let mut total = 0;
            for x in x0..x0 + columns {
                for y in y0..y0 + rows {
                    total += sizes.get(&format!("{z}/{x}/{y}")).copied().unwrap_or(0);
                }
            }
            total
        })
        .max()
        .unwrap_or(0)
}

/// One square per tile: how many of its communes have each status, and the most frequent one.
fn overview_feature(communes: &[CommuneInfo], members: &[usize], x: u32, y: u32, z: u8) -> String {
    let mut counts = [0usize; 4];
    for &i in members {
        let k = ALL
            .iter()
            .position(|s| *s == communes[i].status.status)
            .unwrap_or(3);
        counts[k] += 1;
    }
    let best = (0..4).max_by_key(|&k| (counts[k], 4 - k)).unwrap_or(3);
    let corner = |x: u32, y: u32| {
        let n = f64::from(1u32 << z);
        let lon = f64::from(x) / n * 360.0 - 180.0;
        let lat = (std::f64::consts::PI * (1.0 - 2.0 * f64::from(y) / n))
            .sinh()
            .atan()
            .to_degrees();
        (lon, lat)
    };
    let (w, n) = corner(x, y);
    let (e, s) = corner(x + 1, y + 1);
    let mut out = String::new();
    let _ = write!(
        out,
        "{{\"type\":\"Feature\",\"properties\":{{\"statut\":\"{}\",\"communes\":{},\"disponible\":{},\"limite\":{},\"a_confirmer\":{},\"aucun\":{}}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[",
        ALL[best].code(),
        members.len(),
        counts[0],
        counts[1],
        counts[2],
        counts[3]
    );
    for (i, (lon, lat)) in [(w, s), (e, s), (e, n), (w, n), (w, s)]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            out.push(',');
        }
        write_point(&mut out, lon, lat);
    }
    out.push_str("]]}}");
    out
}

/// The key a search text is looked up under: first letter of the name, or first two digits of a
/// postcode.
pub fn search_key(text: &str) -> Option<String> {
    let slug = slugify(text);
    let first = slug.chars().next()?;
    if first.is_ascii_digit() {
        let digits: String = slug
            .chars()
            .take_while(char::is_ascii_digit)
            .take(2)
            .collect();
        (digits.len() == 2).then_some(digits)
    } else {
        Some(first.to_string())
    }
}

/// Search entries `[code, name, postcodes, west, south, east, north, status, url]`, one file per
/// key, so that a search downloads only the communes sharing its first letter or department.
fn search_index(communes: &[CommuneInfo]) -> (Vec<MapFile>, Vec<String>) {
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in communes {
        let mut entry = String::from("[");
        json_string(&mut entry, &c.code);
        entry.push(',');
        json_string(&mut entry, &c.name);
        entry.push(',');
        json_string(&mut entry, &c.postcodes);
        for v in c.bbox {
            entry.push(',');
            number(&mut entry, v);
        }
        let _ = write!(entry, ",\"{}\",", c.status.status.code());
        json_string(&mut entry, &c.url);
        entry.push(']');
        let mut keys: Vec<String> = std::iter::once(search_key(&c.name))
            .chain(c.postcodes.split(", ").map(search_key))
            .flatten()
            .collect();
        keys.dedup();
        for key in keys {
            let list = by_key.entry(key).or_default();
            if list.last() != Some(&entry) {
                list.push(entry.clone());
            }
        }
    }
    let keys = by_key.keys().cloned().collect();
    let files = by_key
        .into_iter()
        .map(|(key, entries)| {
            MapFile::new(
                &format!("recherche/{key}.json"),
                format!("[\n{}\n]\n", entries.join(",\n")),
            )
        })
        .collect();
    (files, keys)
}

/// Status codes in the order of the legend, for the page's script.
pub fn status_codes() -> Vec<&'static str> {
    ALL.iter().map(|s: &Status| s.code()).collect()
}
