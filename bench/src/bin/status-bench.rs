//! `status-bench`: how long recomputing every commune's public status takes, once the territory
//! is loaded (what a doctor's declaration change costs before the map is drawn again). Builds the
//! synthetic national territory once, then times `site::map::statuses` (privacy places, spatial
//! index, status of each commune) several times and prints the median. Target: under 1 s for
//! 35 000 communes and 100 000 doctors.
//!
//! Usage: status-bench [--communes N] [--doctors N] [--runs N]

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rayon::prelude::*;
use site::map::status::Status;
use testkit::synthetic;

const TODAY: &str = "2026-11-24";

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let communes = arg(&args, "--communes", 35_000);
    let doctors = arg(&args, "--doctors", 100_000);
    let runs = arg(&args, "--runs", 7).max(1);
    let today: NaiveDate = TODAY.parse().expect("a date");
    let started = Instant::now();
    let territory = synthetic::territory(communes, doctors, today);
    println!(
        "synthetic territory: {} communes, {} doctors, built in {:.2} s (not timed below)",
        territory.communes.len(),
        territory.doctors.len(),
        started.elapsed().as_secs_f64()
    );
    let mut times: Vec<Duration> = Vec::new();
    let mut last = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        last = site::map::statuses(&territory, today);
        times.push(started.elapsed());
    }
    // The way the statuses were computed before: every doctor cloned at his published place,
    // a new territory, and each commune's nearby doctors collected and sorted.
    let mut before: Vec<Duration> = Vec::new();
    let mut reference = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let places = territory::Territory::new(
            Vec::new(),
            Vec::new(),
            site::map::privacy::published_places(&territory.doctors),
        );
        reference = territory
            .communes
            .par_iter()
            .map(|c| {
                site::map::status::commune_status(
                    &places.doctors_within(c.centre, site::map::status::FAR_KM, |_| true),
                    today,
                )
            })
            .collect();
        before.push(started.elapsed());
    }
    before.sort();
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "the way before (one doctor at a time): median {:.0} ms over {runs} runs",
        before[before.len() / 2].as_secs_f64() * 1000.0
    );
    let same = reference == last;
    println!(
        "same statuses and counts for every commune as the way before: {}",
        if same { "yes" } else { "NO" }
    );
    let tally = |s: Status| last.iter().filter(|c| c.status == s).count();
    println!(
        "statuses: {} accepting, {} limited, {} to confirm, {} none",
        tally(Status::Accepting),
        tally(Status::Limited),
        tally(Status::ToConfirm),
        tally(Status::None)
    );
    println!(
        "statuses recomputed: median {:.0} ms over {runs} runs (min {:.0} ms, max {:.0} ms), {} threads — {}",
        median.as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0,
        times[times.len() - 1].as_secs_f64() * 1000.0,
        rayon::current_num_threads(),
        if median < Duration::from_secs(1) {
            "target (< 1 s) met"
        } else {
            "TARGET (< 1 s) MISSED"
        }
    );
    if !same {
        std::process::exit(1);
    }
}
