//! Matching at national scale (issue #6), in process on the synthetic territory of
//! `testkit::synthetic`: (a) one request among every doctor — `matching::best`, then `choice`
//! and `explain` — timed request by request; (b) a full re-examination of a million waiting cases
//! with `matching::reexamine`. Inputs are built before the clock starts.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use functions::domain::lifecycle::{Case, CaseState, Needs};
use functions::domain::matching::{self, Loads, Usage};
use territory::Territory;

use crate::measure::mebibytes;
use crate::random::Random;

pub struct Size {
    pub communes: usize,
    pub doctors: usize,
    pub requests: usize,
    pub cases: usize,
}

/// Runs both parts and prints their figures.
pub fn run(size: &Size, today: NaiveDate) {
    let start = Instant::now();
    let territory = testkit::synthetic::territory(size.communes, size.doctors, today);
    let mut random = Random::new(6);
    let loads = usage(&territory, &mut random, today);
    println!(
        "matching: synthetic territory of {} communes and {} doctors built in {:.2} s (not timed below)",
        territory.communes.len(),
        territory.doctors.len(),
        start.elapsed().as_secs_f64()
    );
    requests(&territory, &loads, size.requests, &mut random, today);
    reexamination(&territory, &loads, size.cases, &mut random, today);
}

/// Counters as a CPTS has them in the autumn: a third of the doctors already solicited, some of
/// them full, a few paused through their link.
fn usage(territory: &Territory, random: &mut Random, today: NaiveDate) -> Loads {
    let now = today
        .and_hms_opt(12, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp());
    let usage = territory
        .doctors
        .iter()
        .map(|d| {
            if random.below(3) != 0 {
                return Usage::default();
            }
            Usage {
                load: random.below(d.yearly_capacity as usize + 1) as u32,
                last_solicited_at: Some(now - random.below(300 * 86_400) as i64),
                paused_until: (random.below(20) == 0).then(|| today + chrono::Days::new(10)),
            }
        })
        .collect();
    Loads { usage }
}

fn needs(territory: &Territory, random: &mut Random) -> Needs {
    let commune = &territory.communes[random.below(territory.communes.len())];
    Needs {
        commune: commune.code.clone(),
        max_distance_km: [Some(10), Some(20), Some(30), None][random.below(4)],
        home_visits: random.below(10) == 0,
        priority_level: 1 + random.below(3) as u8,
    }
}

/// Median and 99th percentile of `times`, which it sorts.
fn quantiles(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "target met" } else { "TARGET MISSED" }
}

/// (a) One request at a time, spread over the territory.
fn requests(
    territory: &Territory,
    loads: &Loads,
    count: usize,
    random: &mut Random,
    today: NaiveDate,
) {
    let all: Vec<Needs> = (0..count).map(|_| needs(territory, random)).collect();
    let mut best_times = Vec::with_capacity(count);
    let mut choice_times = Vec::with_capacity(count);
    let mut explain_times = Vec::with_capacity(count);
    let mut found = 0usize;
    let mut candidates_seen = 0usize;
    // Warm-up: caches and branch predictors as a running service has them.
    for n in all.iter().take(100) {
        black_box(matching::best(territory, loads, n, &[], today));
    }
    for n in &all {
        let start = Instant::now();
        let best = black_box(matching::best(territory, loads, n, &[], today));
        best_times.push(start.elapsed());
        let Some(candidate) = best else {
            continue;
        };
        found += 1;
        // What the handler counts for the explanation ("chosen among N").
        let others = matching::candidates(territory, loads, n, &[], today).len() - 1;
        candidates_seen += others + 1;
        let start = Instant::now();
        black_box(matching::choice(
            territory, loads, n, &candidate, others, today,
        ));
        choice_times.push(start.elapsed());
        let start = Instant::now();
        black_box(matching::explain(
            territory, loads, n, &candidate, others, today,
        ));
        explain_times.push(start.elapsed());
    }
    let (best_median, best_p99) = quantiles(&mut best_times);
    println!(
        "matching, one request among {} doctors: best {} median, {} p99 over {count} requests ({found} with a doctor, {:.0} candidates on average; load average {}) — target < 1 ms: {}",
        territory.doctors.len(),
        micros(best_median),
        micros(best_p99),
        candidates_seen as f64 / found.max(1) as f64,
        load_average(),
        verdict(best_p99 < Duration::from_millis(1))
    );
    if !choice_times.is_empty() {
        let (choice_median, choice_p99) = quantiles(&mut choice_times);
        let (explain_median, explain_p99) = quantiles(&mut explain_times);
        println!(
            "matching, then for the doctor found: choice {} median, {} p99; explain {} median, {} p99",
            micros(choice_median),
            micros(choice_p99),
            micros(explain_median),
            micros(explain_p99)
        );
    }
}

/// (b) Every waiting case re-examined at once.
fn reexamination(
    territory: &Territory,
    loads: &Loads,
    count: usize,
    random: &mut Random,
    today: NaiveDate,
) {
    let now = today
        .and_hms_opt(12, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp());
    let cases: Vec<Case> = (0..count)
        .map(|k| {
            let needs = needs(territory, random);
            // Registered over the last two years.
            let created_at = now - random.below(730 * 86_400) as i64;
            let tried = if random.below(5) == 0 {
                vec![format!("med-{}", random.below(territory.doctors.len()))]
            } else {
                Vec::new()
            };
            Case {
                reference: format!("MT-{k:07}"),
                cpts: None,
                created_at,
                needs,
                has_email: random.below(2) == 0,
                state: CaseState::Waiting,
                version: 1,
                updated_at: created_at,
                proposals: Vec::new(),
                tried,
                closure: None,
                unanswered_calls: 0,
            }
        })
        .collect();
    let waiting: Vec<&Case> = cases.iter().collect();
    let mut loads = loads.clone();
    let places: u64 = territory
        .doctors
        .iter()
        .zip(&loads.usage)
        .filter(|(d, u)| d.accepts_on(today) && u.paused_until.is_none_or(|p| p < today))
        .map(|(d, u)| u64::from(d.yearly_capacity.saturating_sub(u.load)))
        .sum();
    let before = memory();
    reset_peak();
    let start = Instant::now();
    let proposals = black_box(matching::reexamine(
        territory, &mut loads, &waiting, today, now,
    ));
    let elapsed = start.elapsed();
    let after = memory();
    println!(
        "matching, re-examination of {count} waiting cases: {:.2} s, {} proposals made ({places} places free before), peak memory {} (inputs: {}; the re-examination added {}; load average {}) — target < 10 s: {}",
        elapsed.as_secs_f64(),
        proposals.len(),
        mebibytes(after.peak),
        mebibytes(before.resident),
        mebibytes(after.peak.saturating_sub(before.resident)),
        load_average(),
        verdict(elapsed < Duration::from_secs(10))
    );
}

/// The machine's load average over the last minute, as /proc tells it: other work running beside
/// the benchmark shows in the tail latencies.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

struct Memory {
    resident: u64,
    peak: u64,
}

/// This process's resident memory and its peak, from /proc (zero elsewhere).
fn memory() -> Memory {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    Memory {
        resident: field("VmRSS:"),
        peak: field("VmHWM:"),
    }
}

/// Starts the peak memory count again from now (Linux: writing 5 to clear_refs).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
