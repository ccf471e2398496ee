//! The availability map: each commune's status, the GeoJSON layers of the interactive map, and the
//! SVG maps drawn on the server for the map page, the CPTS pages and the commune pages.

pub mod geojson;
pub mod geometry;
pub mod privacy;
pub mod status;
pub mod svg;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use geo::MultiPolygon;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use territory::{Availability, Diagnostic, Severity, Territory};

use crate::statics::{Bytes, StaticFile};

use crate::territory_pages::{self as tp};
use status::{CommuneStatus, FAR_KM, Status};

pub const PAGE_URL: &str = "/carte/";
/// Where MapLibre GL JS is copied in the site.
pub const MAPLIBRE_DIR: &str = "carte/maplibre";
/// The files of the npm package `maplibre-gl` the page needs (the worker is found beside the module).
pub const MAPLIBRE_FILES: [&str; 4] = [
    "maplibre-gl.mjs",
    "maplibre-gl-worker.mjs",
    "maplibre-gl.css",
    "../LICENSE.txt",
];
/// Above this many communes, the SVG of the map page draws CPTS perimeters rather than communes.
const SVG_MAX_COMMUNES: usize = 3_000;
/// Neighbouring communes drawn on a commune page: their centre is within this distance.
const NEIGHBOURHOOD_KM: f64 = 10.0;
/// Holes smaller than this (degrees², about 1.5 km²) in a CPTS perimeter are gaps between commune
/// contours, not enclaves: left out.
const MIN_HOLE_DEG2: f64 = 2e-4;
/// Cell size (degrees) of the grid that finds neighbours.
const GRID_DEG: f64 = 0.25;

fn cell(lon: f64, lat: f64) -> (i64, i64) {
    (
        (lon / GRID_DEG).floor() as i64,
        (lat / GRID_DEG).floor() as i64,
    )
}

/// `[map]` in site.toml.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MapConfig {
    /// Background map under the layers: "aucun" (default: works offline, no other origin),
    /// "ign-gris" or "ign-attenue" (IGN Plan, loaded from the IGN Géoplateforme).
    #[serde(default)]
    pub fond: Basemap,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum Basemap {
    #[default]
    #[serde(rename = "aucun")]
    None,
    #[serde(rename = "ign-gris")]
    IgnGrey,
    #[serde(rename = "ign-attenue")]
    IgnLight,
}

impl Basemap {
    /// Style of the vector basemap, or `None`.
    pub fn style_url(self) -> Option<&'static str> {
        match self {
            Basemap::None => None,
            Basemap::IgnGrey => Some(
                "https://data.geopf.fr/annexes/ressources/vectorTiles/styles/PLAN.IGN/gris.json",
            ),
            Basemap::IgnLight => Some(
                "https://data.geopf.fr/annexes/ressources/vectorTiles/styles/PLAN.IGN/attenue.json",
            ),
        }
    }
}

/// A file of the map data, path relative to the site root.
pub struct MapFile {
    pub path: String,
    pub url: String,
    pub bytes: Vec<u8>,
}

impl MapFile {
    fn new(relative: &str, text: String) -> Self {
        let url = format!("{}{relative}", geojson::DATA_URL);
        MapFile {
            path: url.trim_start_matches('/').to_string(),
            url,
            bytes: text.into_bytes(),
        }
    }
}

pub struct CommuneInfo {
    pub index: usize,
    pub code: String,
    pub name: String,
    pub postcodes: String,
    pub url: String,
    pub centre: [f64; 2],
    pub bbox: [f64; 4],
    pub shape: MultiPolygon<f64>,
    pub status: CommuneStatus,
    pub cpts: Option<usize>,
    pub population: u32,
}

/// An opted-in doctor as the map shows him. Doctors who did not opt in never become one.
pub struct DoctorInfo {
    pub name: String,
    pub town: String,
    /// "maintenant", "plus-tard" or "non".
    pub code: &'static str,
    pub status: String,
    pub conditions: Vec<String>,
    pub updated: String,
    pub to_confirm: bool,
    pub home_visits: bool,
    pub priority_only: bool,
    pub lon: f64,
    pub lat: f64,
}

/// A row of the accessible table beside an SVG map.
#[derive(Serialize)]
pub struct Row {
    pub name: String,
    pub url: String,
    pub postcodes: String,
    pub code: String,
    pub status: &'static str,
    pub label: &'static str,
    pub icon: &'static str,
    pub here: bool,
}

/// What a template needs to show an SVG map with its legend and table.
#[derive(Serialize)]
pub struct MapBlock {
    pub svg: String,
    pub rows: Vec<Row>,
    pub legend: Vec<LegendItem>,
    /// Rows are CPTS, not communes (large territories on the map page).
    pub by_cpts: bool,
}

#[derive(Serialize)]
pub struct LegendItem {
    pub code: &'static str,
    pub label: &'static str,
    pub short_label: &'static str,
    pub icon: &'static str,
    pub colour: &'static str,
    pub pattern: status::Pattern,
}

pub fn legend() -> Vec<LegendItem> {
    status::ALL
        .iter()
        .map(|s| LegendItem {
            code: s.code(),
            label: s.label(),
            short_label: s.short_label(),
            icon: s.look().icon,
            colour: s.look().colour,
            pattern: s.look().pattern,
        })
        .collect()
}

pub struct MapData {
    pub communes: Vec<CommuneInfo>,
    /// Communes by the `GRID_DEG` cell holding their centre, to find neighbours quickly.
    grid: HashMap<(i64, i64), Vec<usize>>,
    pub cpts_shapes: Vec<MultiPolygon<f64>>,
    pub files: Vec<MapFile>,
    pub manifest: geojson::Manifest,
    pub sizes: geojson::Sizes,
}

impl MapData {
    /// Statuses of every commune, CPTS perimeters and the data files of the interactive map.
    /// The statuses place the doctors who are not named at their square, not their practice
    /// (`privacy`): no public file can locate them.
    pub fn build(territory: &Territory, today: NaiveDate) -> MapData {
        let statuses = statuses(territory, today);
        let communes: Vec<CommuneInfo> = territory
            .communes
            .par_iter()
            .zip(statuses)
            .enumerate()
            .map(|(index, (c, status))| {
                let shape = geometry::to_geo(&c.geometry);
                let bbox = geometry::bbox(&shape).unwrap_or([
                    c.centre.lon,
                    c.centre.lat,
                    c.centre.lon,
                    c.centre.lat,
                ]);
                CommuneInfo {
                    index,
                    code: c.code.clone(),
                    name: c.name.clone(),
                    postcodes: c.postcodes.join(", "),
                    url: tp::commune_url(c),
                    centre: [c.centre.lon, c.centre.lat],
                    bbox,
                    shape,
                    status,
                    cpts: c.cpts,
                    population: c.population,
                }
            })
            .collect();
        let cpts_shapes: Vec<MultiPolygon<f64>> = territory
            .cpts
            .par_iter()
            .map(|cpts| {
                let shapes: Vec<&MultiPolygon<f64>> =
                    cpts.communes.iter().map(|&i| &communes[i].shape).collect();
                geometry::union(&shapes, MIN_HOLE_DEG2)
            })
            .collect();
        let cpts_layer: Vec<(String, String, String, MultiPolygon<f64>)> = territory
            .cpts
            .iter()
            .zip(&cpts_shapes)
            .map(|(c, shape)| {
                (
                    c.name.clone(),
                    c.short_name.clone(),
                    tp::cpts_url(c),
                    shape.clone(),
                )
            })
            .collect();
        let doctors = public_doctors(territory, today);
        let (files, manifest, sizes) = geojson::build(&communes, &cpts_layer, &doctors);
        let mut grid: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
        for c in &communes {
            grid.entry(cell(c.centre[0], c.centre[1]))
                .or_default()
                .push(c.index);
        }
        MapData {
            communes,
            grid,
            cpts_shapes,
            files,
            manifest,
            sizes,
        }
    }

    fn row(&self, i: usize, here: bool) -> Row {
        let c = &self.communes[i];
        let s = c.status.status;
        Row {
            name: c.name.clone(),
            url: c.url.clone(),
            postcodes: c.postcodes.clone(),
            code: c.code.clone(),
            status: s.code(),
            label: s.short_label(),
            icon: s.look().icon,
            here,
        }
    }

    /// The towns to name on a map of `members`: the commune of the page first, then the most
    /// populous.
    fn labels(&self, members: &[usize], here: Option<usize>) -> Vec<svg::Label<'_>> {
        let mut order: Vec<usize> = members.to_vec();
        order.sort_by_key(|&i| {
            (
                Some(i) != here,
                std::cmp::Reverse(self.communes[i].population),
                i,
            )
        });
        order
            .iter()
            .map(|&i| {
                let c = &self.communes[i];
                svg::Label {
                    lon: c.centre[0],
                    lat: c.centre[1],
                    name: &c.name,
                }
            })
            .collect()
    }

    fn block(&self, members: &[usize], here: Option<usize>, width: f64, title: &str) -> MapBlock {
        let bbox = members
            .iter()
            .map(|&i| self.communes[i].bbox)
            .fold(None, |acc, b| Some(geometry::extend(acc, b)))
            .unwrap_or([0.0, 0.0, 1.0, 1.0]);
        let areas: Vec<svg::Area> = members
            .iter()
            .map(|&i| {
                let c = &self.communes[i];
                svg::Area {
                    shape: &c.shape,
                    status: c.status.status,
                    code: &c.code,
                    name: &c.name,
                    highlighted: Some(i) == here,
                }
            })
            .collect();
        let mut sorted = members.to_vec();
        sorted.sort_by_key(|&i| (crate::slug::slugify(&self.communes[i].name), i));
        let labels = self.labels(members, here);
        MapBlock {
            svg: svg::render(&areas, &[], &labels, bbox, width, title),
            rows: sorted
                .iter()
                .map(|&i| self.row(i, Some(i) == here))
                .collect(),
            legend: legend(),
            by_cpts: false,
        }
    }

    /// The whole territory, for the map page.
    pub fn territory_block(&self, territory: &Territory) -> MapBlock {
        let title =
            "Carte des communes du territoire selon la disponibilité des médecins généralistes";
        if self.communes.len() <= SVG_MAX_COMMUNES {
            let all: Vec<usize> = (0..self.communes.len()).collect();
            let mut block = self.block(&all, None, 800.0, title);
            let outlines: Vec<&MultiPolygon<f64>> = self.cpts_shapes.iter().collect();
            let areas: Vec<svg::Area> = self
                .communes
                .iter()
                .map(|c| svg::Area {
                    shape: &c.shape,
                    status: c.status.status,
                    code: &c.code,
                    name: &c.name,
                    highlighted: false,
                })
                .collect();
            let labels = self.labels(&all, None);
            block.svg = svg::render(&areas, &outlines, &labels, self.manifest.bbox, 800.0, title);
            return block;
        }
        // Too many communes for one drawing: each CPTS with its most frequent status.
        let mut areas = Vec::new();
        let mut rows = Vec::new();
        for (k, cpts) in territory.cpts.iter().enumerate() {
            let mut counts = [0usize; 4];
            for &i in &cpts.communes {
                let s = self.communes[i].status.status;
                counts[status::ALL.iter().position(|x| *x == s).unwrap_or(3)] += 1;
            }
            let best = (0..4).max_by_key(|&j| (counts[j], 4 - j)).unwrap_or(3);
            let s: Status = status::ALL[best];
            areas.push(svg::Area {
                shape: &self.cpts_shapes[k],
                status: s,
                code: &cpts.id,
                name: &cpts.name,
                highlighted: false,
            });
            rows.push(Row {
                name: cpts.name.clone(),
                url: tp::cpts_url(cpts),
                postcodes: String::new(),
                code: cpts.id.clone(),
                status: s.code(),
                label: s.short_label(),
                icon: s.look().icon,
                here: false,
            });
        }
        MapBlock {
            svg: svg::render(&areas, &[], &[], self.manifest.bbox, 800.0, title),
            rows,
            legend: legend(),
            by_cpts: true,
        }
    }

    /// A CPTS's communes, for its page.
    pub fn cpts_block(&self, territory: &Territory, index: usize) -> MapBlock {
        let cpts = &territory.cpts[index];
        self.block(
            &cpts.communes,
            None,
            480.0,
            &format!(
                "Carte des communes de la {} selon la disponibilité des médecins",
                cpts.name
            ),
        )
    }

    /// Whether commune pages carry their own small map. A national site's 35 000 small maps would
    /// add seconds to every build and hundreds of megabytes to the site: its commune pages link to
    /// the interactive map instead.
    pub fn has_commune_maps(&self) -> bool {
        self.communes.len() <= SVG_MAX_COMMUNES
    }

    /// A commune and its neighbours, for its page.
    pub fn commune_block(&self, territory: &Territory, index: usize) -> MapBlock {
        let centre = territory.communes[index].centre;
        let (cx, cy) = cell(centre.lon, centre.lat);
        let reach_lat = (NEIGHBOURHOOD_KM / 111.0 / GRID_DEG).ceil() as i64;
        let reach_lon =
            (NEIGHBOURHOOD_KM / (111.0 * centre.lat.to_radians().cos().max(0.1)) / GRID_DEG).ceil()
                as i64;
        let mut members: Vec<usize> = (cx - reach_lon..=cx + reach_lon)
            .flat_map(|x| (cy - reach_lat..=cy + reach_lat).map(move |y| (x, y)))
            .filter_map(|key| self.grid.get(&key))
            .flatten()
            .copied()
            .filter(|&i| {
                let c = &self.communes[i];
                let other = territory::LonLat {
                    lon: c.centre[0],
                    lat: c.centre[1],
                };
                territory::great_circle_km(centre, other) <= NEIGHBOURHOOD_KM
            })
            .collect();
        members.sort_unstable();
        if !members.contains(&index) {
            members.push(index);
        }
        self.block(
            &members,
            Some(index),
            480.0,
            &format!(
                "Carte de {} et des communes voisines selon la disponibilité des médecins",
                territory.communes[index].name
            ),
        )
    }
}

/// Every commune's public status, in the order of `territory.communes`: what a declaration change
/// recomputes before the map is drawn again. The doctors who are not named count at their square
/// (`privacy::published_places`), not at their practice.
pub fn statuses(territory: &Territory, today: NaiveDate) -> Vec<CommuneStatus> {
    // Doctors with the same declaration at the same place count the same: one entry each, with
    // how many they are (many share the centre of a square), so that a commune visits a few
    // entries instead of hundreds of doctors.
    let mut groups: HashMap<(u64, u64, status::Declared), usize> = HashMap::new();
    let mut places: Vec<territory::LonLat> = Vec::new();
    let mut entries: Vec<(status::Declared, usize)> = Vec::new();
    // A doctor with several practices counts at each: a commune's status takes the best of
    // them, as it would with his nearest one alone.
    for (position, place) in privacy::published_practices(&territory.doctors) {
        let d = &territory.doctors[position];
        let declared = status::Declared::of(d, today);
        let key = (place.lon.to_bits(), place.lat.to_bits(), declared);
        let entry = *groups.entry(key).or_insert_with(|| {
            places.push(place);
            entries.push((declared, 0));
            entries.len() - 1
        });
        entries[entry].1 += 1;
    }
    let index = territory::PlaceIndex::new(&places);
    territory
        .communes
        .par_iter()
        .map(|c| {
            let mut tally = status::Tally::default();
            index.visit_within(c.centre, FAR_KM, |i, distance_km| {
                let (declared, doctors) = entries[i];
                tally.add(declared, distance_km, doctors);
            });
            tally.status()
        })
        .collect()
}

/// Opted-in doctors only, one point for each of their practices; the others count in the
/// communes' statuses without a name.
fn public_doctors(territory: &Territory, today: NaiveDate) -> Vec<DoctorInfo> {
    territory
        .doctors
        .iter()
        .filter(|d| d.public)
        .flat_map(|d| d.practices().map(move |practice| (d, practice)))
        .map(|(d, practice)| {
            let named = tp::named_doctor(territory, d, 0.0, today);
            let code = if d.accepts_on(today) {
                "maintenant"
            } else if matches!(
                d.availability,
                Availability::AcceptingFrom(_) | Availability::PausedUntil(_)
            ) {
                "plus-tard"
            } else {
                "non"
            };
            DoctorInfo {
                name: named.name,
                town: territory.communes[practice.commune].name.clone(),
                code,
                status: named.status,
                conditions: named.conditions,
                updated: territory::dates::french_long(d.updated),
                to_confirm: d.is_stale(today),
                home_visits: d.home_visit_radius_km.is_some(),
                priority_only: d.priority_only,
                lon: practice.location.lon,
                lat: practice.location.lat,
            }
        })
        .collect()
}

impl MapData {
    /// The status of commune `index` as the legend shows it.
    /// The sentences of a commune's `Facts`, for its page.
    pub fn facts_of(&self, index: usize) -> Vec<&'static str> {
        self.communes[index].status.facts().sentences()
    }

    pub fn legend_of(&self, index: usize) -> LegendItem {
        let code = self.communes[index].status.status.code();
        legend()
            .into_iter()
            .find(|l| l.code == code)
            .expect("every status has a legend item")
    }
}

/// What the map page's script needs to know (rendered as data attributes).
#[derive(Serialize)]
pub struct Interactive {
    pub module: &'static str,
    pub maplibre: String,
    pub maplibre_css: String,
    pub data: String,
    pub basemap: Option<&'static str>,
    pub attribution: Option<&'static str>,
}

impl Interactive {
    pub fn new(config: &MapConfig) -> Self {
        let style = config.fond.style_url();
        Interactive {
            module: "/carte/carte.js",
            maplibre: format!("/{MAPLIBRE_DIR}/maplibre-gl.mjs"),
            maplibre_css: format!("/{MAPLIBRE_DIR}/maplibre-gl.css"),
            data: format!("{}index.json", geojson::DATA_URL),
            basemap: style,
            attribution: style.map(|_| "Fond de carte : © IGN – Plan IGN"),
        }
    }
}

/// Where the npm package `maplibre-gl` was installed: `CPTS_MAPLIBRE_DIR`, or `site/node_modules`
/// (looked up from the working folder, then from where this program was compiled).
fn maplibre_dist() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("CPTS_MAPLIBRE_DIR").map(PathBuf::from),
        Some(PathBuf::from("site/node_modules/maplibre-gl/dist")),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/maplibre-gl/dist")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|dir| MAPLIBRE_FILES.iter().all(|f| dir.join(f).is_file()))
}

/// MapLibre's files to copy into the site, or a warning (the map page then shows the SVG map only).
pub fn maplibre_files(diagnostics: &mut Vec<Diagnostic>) -> Option<Vec<StaticFile>> {
    let Some(dist) = maplibre_dist() else {
        diagnostics.push(Diagnostic {
            severity: Severity::Warning,
            file: PathBuf::from("site/package.json"),
            line: 1,
            column: 1,
            message: "MapLibre GL JS est introuvable (site/node_modules/maplibre-gl) : la page /carte/ n'aura que la carte fixe (SVG) et la liste des communes".into(),
            fix: "lancez « npm ci » dans le dossier site/ puis reconstruisez le site (ou indiquez son dossier dist dans CPTS_MAPLIBRE_DIR)".into(),
        });
        return None;
    };
    Some(
        MAPLIBRE_FILES
            .iter()
            .map(|f| {
                let source = dist.join(f);
                let name = source
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let path = format!("{MAPLIBRE_DIR}/{name}");
                StaticFile {
                    url: format!("/{path}"),
                    path,
                    bytes: Bytes::File(source),
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basemap_is_off_unless_site_toml_asks_for_ign() {
        let none: MapConfig = toml::from_str("").unwrap();
        assert_eq!(none.fond, Basemap::None);
        assert!(Interactive::new(&none).basemap.is_none());
        let grey: MapConfig = toml::from_str("fond = \"ign-gris\"").unwrap();
        let page = Interactive::new(&grey);
        assert!(page.basemap.is_some_and(|u| u.ends_with("/gris.json")));
        assert!(page.attribution.is_some_and(|a| a.contains("IGN")));
        let light: MapConfig = toml::from_str("fond = \"ign-attenue\"").unwrap();
        assert_eq!(light.fond, Basemap::IgnLight);
        assert!(toml::from_str::<MapConfig>("fond = \"satellite\"").is_err());
        assert!(toml::from_str::<MapConfig>("couleur = 1").is_err());
    }
}
