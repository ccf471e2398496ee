//! `declaration-bench`: how long a doctor's declaration takes to reach the public site of the
//! demo on one machine (issue #15; target under 2 s). Opens the handler on a fresh data folder as
//! `cpts serve` and `cpts run` do, builds the site once (posters cached), then, several times:
//! stores a declaration (alternately a pause and « accepte maintenant », so the site changes
//! each time), computes what the site must show (`public_overlay`), and rebuilds the site
//! with it into the same folder. Prints each part's median and the total with the servers' wait
//! for changes to settle (`running::DOCTORS_SETTLE`).
//!
//! Usage: declaration-bench [--runs N]

use std::path::Path;
use std::time::{Duration, Instant};

use functions::domain::declarations::{Declaration, Status};
use site::handler::{self, Links, Setup};
use site::{output, running};

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(7usize)
        .max(1);
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
    let data = std::env::temp_dir().join(format!("declaration-bench-{}", std::process::id()));
    let today = chrono::Local::now().date_naive();
    let opened = handler::open(&Setup {
        content: &content,
        data: &data,
        links: Links::Loopback(8000),
        today,
        create: true,
    })
    .expect("the handler opens");
    let app = opened.app;
    let out = data.join("preview");
    let posters = out.join(output::POSTER_CACHE);
    let started = Instant::now();
    running::build_into(
        &content,
        today,
        &Default::default(),
        true,
        &out,
        posters.clone(),
    )
    .expect("the demo builds");
    println!(
        "first build (posters drawn, not timed below): {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let doctor = app.territory().doctors[0].id.clone();
    let (mut declare, mut shown, mut build, mut total) = (vec![], vec![], vec![], vec![]);
    for run in 0..runs {
        let status = if run % 2 == 0 {
            Status::PausedUntil(today + chrono::Days::new(30))
        } else {
            Status::AcceptingNow
        };
        let declaration = Declaration {
            doctor: doctor.clone(),
            status,
            yearly_capacity: 5,
            home_visit_radius_km: None,
            priority_only: false,
            public: true,
            other_practices: None,
            declared_at: functions::now(),
            by: "doctor".into(),
        };
        let t0 = Instant::now();
        app.declare(&declaration, &format!("doctor:{doctor}"))
            .await
            .expect("stored");
        let t1 = Instant::now();
        let public = running::public(&app, today).await;
        assert!(public.overlay.declared.iter().any(|(id, _)| *id == doctor));
        let t2 = Instant::now();
        running::build_into(&content, today, &public, false, &out, posters.clone())
            .expect("rebuilt");
        let t3 = Instant::now();
        declare.push(t1 - t0);
        shown.push(t2 - t1);
        build.push(t3 - t2);
        total.push(t3 - t0);
    }
    let settle = running::DOCTORS_SETTLE;
    println!("runs: {runs}");
    println!(
        "declaration stored (SQLite, audited): median {:.1} ms",
        ms(median(declare))
    );
    println!(
        "what the site shows computed:         median {:.1} ms",
        ms(median(shown))
    );
    println!(
        "site rebuilt (demo, posters cached):  median {:.0} ms",
        ms(median(build))
    );
    let total = median(total);
    println!(
        "declaration → rebuilt site: median {:.0} ms, {:.0} ms with the {} ms wait for changes to settle (target: under 2000 ms)",
        ms(total),
        ms(total + settle),
        settle.as_millis()
    );
    let _ = std::fs::remove_dir_all(&data);
}
