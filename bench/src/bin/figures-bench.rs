//! `figures-bench`: what the public statistics step adds to a build (`/chiffres/`, issue #16).
//! The demo territory and `--requests N` (100 000) synthetic requests spread over its CPTS (and a
//! few outside), the five quarters shown and every outcome; then, `--runs` times (7): the public
//! figures computed from them (cohorts, rounding, primary and secondary suppression), and the
//! demo site written with those figures against without. Prints medians; the target is that the
//! step adds under 0.2 s. Asserts nothing.
//!
//!     cargo run --release -p cpts-bench --bin figures-bench -- [--requests N] [--runs N]

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use functions::domain::indicators::Entry;
use functions::domain::lifecycle::{Case, CaseState, ClosingReason, Closure, Needs};
use functions::domain::public_figures;
use site::{build, output};

const TODAY: &str = "2026-11-24";
const TARGET: Duration = Duration::from_millis(200);
const DAY: i64 = 86_400;

fn option(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let requests = option("--requests", 100_000);
    let runs = option("--runs", 7).max(1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let content = root.join("content");
    let today: NaiveDate = TODAY.parse().expect("a date");
    let territory = territory::load(&content.join("territory"), today)
        .territory
        .expect("the demo territory loads");
    let first = public_figures::quarters(today)
        .last()
        .expect("quarters")
        .from;
    let start = first
        .and_hms_opt(12, 0, 0)
        .expect("noon")
        .and_utc()
        .timestamp();
    let span = (today - first).num_days().max(1);
    let entries: Vec<Entry> = (0..requests)
        .map(|i| {
            let created_at = start + (i as i64 * 7919 % span) * DAY;
            let cpts = match i % 50 {
                0 => None,
                n => Some(territory.cpts[n % territory.cpts.len()].id.clone()),
            };
            let (state, closure) = match i % 6 {
                0 | 1 => (CaseState::Closed, Some(ClosingReason::FoundThroughCpts)),
                2 => (CaseState::Accepted, None),
                3 => (CaseState::Waiting, None),
                4 => (CaseState::Suspended, None),
                _ => (
                    CaseState::Closed,
                    Some(ClosingReason::ALL[i % ClosingReason::ALL.len()]),
                ),
            };
            let case = Case {
                reference: format!("B{i:07}"),
                cpts,
                created_at,
                needs: Needs {
                    commune: "08105".into(),
                    max_distance_km: Some(20),
                    home_visits: false,
                    priority_level: 3,
                },
                has_email: true,
                state,
                version: 1,
                updated_at: created_at,
                proposals: vec![],
                tried: vec![],
                closure: closure.map(|reason| Closure {
                    reason,
                    at: created_at + (i % 60) as i64 * DAY,
                    by: "system".into(),
                }),
                unanswered_calls: 0,
            };
            let mut e = Entry::of(case, Default::default(), None, &[]);
            e.accepted_at = (i % 3 == 0).then_some(created_at + (i % 45) as i64 * DAY);
            e
        })
        .collect();
    println!(
        "{requests} synthetic requests over {} CPTS and 5 quarters (not timed)",
        territory.cpts.len()
    );

    let mut compute = Vec::with_capacity(runs);
    let mut figures = None;
    for _ in 0..runs {
        let started = Instant::now();
        figures = Some(public_figures::compute(&entries, &territory, today));
        compute.push(started.elapsed());
    }
    let compute = median(&mut compute);
    println!("public figures computed: median {compute:?} over {runs} runs");

    let out = std::env::temp_dir().join(format!("figures-bench-{}", std::process::id()));
    let cache = out.join("cache");
    let write = |with: bool| -> Duration {
        let site = build::load(&content, today)
            .unwrap_or_else(|d| panic!("{d:?}"))
            .with_poster_cache(cache.clone())
            .with_public_figures(if with { figures.clone() } else { None });
        let started = Instant::now();
        if output::write(&site, &out.join("site")).is_err() {
            panic!("write failed");
        }
        started.elapsed()
    };
    // Once to fill the posters' cache.
    write(false);
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        without.push(write(false));
        with.push(write(true));
    }
    let (without, with) = (median(&mut without), median(&mut with));
    let page = std::fs::read_to_string(out.join("site/site/chiffres/index.html"))
        .expect("the figures page");
    let added = compute + with.saturating_sub(without);
    println!(
        "site written without figures: median {without:?}; with: {with:?} (page {} Kio)",
        page.len() / 1024
    );
    println!(
        "the public statistics step adds {added:?} to a build — target < {TARGET:?}: {}",
        if added < TARGET { "met" } else { "NOT MET" }
    );
    let _ = std::fs::remove_dir_all(&out);
}
