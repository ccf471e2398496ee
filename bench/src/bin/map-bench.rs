//! `map-bench`: what the availability map costs the build, and how big its data is, for the demo
//! territory and for a synthetic national one. Prints figures; asserts nothing. The browser side
//! (bytes transferred, time to MapLibre's `idle`) is measured by `tests/browser/bench.mjs`, run
//! with this by `scripts/bench-map.sh`.
//!
//! Usage: map-bench [--communes N] [--doctors N] [--runs N]

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rayon::prelude::*;
use site::map::MapData;
use site::map::geojson::{SINGLE_MAX_BYTES, SINGLE_MAX_GZIP, VIEW_MAX_BYTES, gzip_len};
use territory::Territory;
use testkit::synthetic;

const TODAY: &str = "2026-11-24";

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn timed<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        last = Some(f());
        times.push(started.elapsed());
    }
    (median(times), last.expect("at least one run"))
}

fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "target met" } else { "TARGET MISSED" }
}

/// The map's share of a build: its data, then the SVG maps of the map page and of every commune
/// and CPTS page (what the build renders in addition to the pages it had before).
fn measure(name: &str, territory: &Territory, today: NaiveDate, runs: usize) {
    let (data_time, map) = timed(runs, || MapData::build(territory, today));
    let (svg_time, svg_bytes) = timed(runs, || {
        let communes: usize = (0..territory.communes.len())
            .into_par_iter()
            .map(|i| map.commune_block(territory, i).svg.len())
            .sum();
        let cpts: usize = (0..territory.cpts.len())
            .into_par_iter()
            .map(|i| map.cpts_block(territory, i).svg.len())
            .sum();
        communes + cpts + map.territory_block(territory).svg.len()
    });
    let files: usize = map.files.len();
    let total: usize = map.files.iter().map(|f| f.bytes.len()).sum();
    println!(
        "{name}: {} communes, {} doctors ({} named on the map)",
        territory.communes.len(),
        territory.doctors.len(),
        territory.doctors.iter().filter(|d| d.public).count()
    );
    println!(
        "  extra build time: map data {:.3} s + SVG maps of all pages {:.3} s (median of {runs}, {} threads)",
        data_time.as_secs_f64(),
        svg_time.as_secs_f64(),
        rayon::current_num_threads()
    );
    println!(
        "  map data: {files} files, {} in all; SVG maps {} in all",
        kb(total),
        kb(svg_bytes)
    );
    let s = &map.sizes;
    if s.tiled {
        let tiles = map
            .files
            .iter()
            .filter(|f| f.path.contains("/tuiles/"))
            .count();
        let overview = map
            .files
            .iter()
            .find(|f| f.path.ends_with("apercu.geojson"))
            .map_or(0, |f| f.bytes.len());
        println!(
            "  tiled at zoom {} ({tiles} tiles, largest {}), CPTS layer {} ({} gzip), overview {}",
            s.tile_zoom,
            kb(s.largest_tile),
            kb(s.layers_bytes),
            kb(s.layers_gzip),
            kb(overview)
        );
        let first_view = s.layers_bytes + overview;
        println!(
            "  geometry for one screen (1280×800): at most {} of tiles when they load, {} before — target ≤ {}: {}",
            kb(s.largest_view),
            kb(first_view),
            kb(VIEW_MAX_BYTES),
            verdict(s.largest_view <= VIEW_MAX_BYTES && first_view <= VIEW_MAX_BYTES)
        );
    } else {
        println!(
            "  layers (communes + CPTS + doctors): {} ({} gzip) at tolerance {}° — target ≤ {} ({} gzip): {}",
            kb(s.layers_bytes),
            kb(s.layers_gzip),
            s.tolerance_deg,
            kb(SINGLE_MAX_BYTES),
            kb(SINGLE_MAX_GZIP),
            verdict(s.layers_bytes <= SINGLE_MAX_BYTES && s.layers_gzip <= SINGLE_MAX_GZIP)
        );
    }
    let page_svg = map.territory_block(territory).svg;
    println!(
        "  SVG of the map page: {} ({} gzip)",
        kb(page_svg.len()),
        kb(gzip_len(page_svg.as_bytes()))
    );
}

fn main() {
    let mut communes = 35_000;
    let mut doctors = 100_000;
    let mut runs = 3;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value: usize = args
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{flag} needs a number"));
        match flag.as_str() {
            "--communes" => communes = value,
            "--doctors" => doctors = value,
            "--runs" => runs = value,
            other => panic!("unknown option {other}"),
        }
    }
    let today: NaiveDate = TODAY.parse().expect("a date");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/territory");
    let demo = territory::load(&dir, today)
        .territory
        .expect("the demo territory loads");
    measure("demo (content/)", &demo, today, runs.max(5));
    let started = Instant::now();
    let national = synthetic::territory(communes, doctors, today);
    println!(
        "(synthetic national territory generated in {:.2} s)",
        started.elapsed().as_secs_f64()
    );
    measure("synthetic national territory", &national, today, runs);
}
