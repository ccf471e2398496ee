//! The to-do list of a CPTS (« Ce qui vous attend ») with many open requests on SQLite: the
//! demo territory, `--requests N` (10 000) waiting requests of one CPTS spread over its
//! communes with mixed needs (distance, home visits, priority level), then the overview built
//! (read from the store, what waits, saturated communes, the page's data, rendered) `--runs` times
//! (20). Prints p50 and p95; the target is under 200 ms. Asserts nothing.
//!
//!     cargo run --release -p cpts-bench --bin overview-bench -- [--requests N] [--runs N]

use std::path::Path;
use std::time::{Duration, Instant};

use functions::domain::answers::Answers;
use functions::domain::lifecycle::{self, Mail, Request};
use functions::domain::priority;
use functions::domain::registration::{self, Parsed};
use functions::mail::Outbox;
use functions::signed::KeyRing;
use functions::store::{SqliteStore, Store};
use functions::web::{overview, pages};
use functions::{App, Config, Limits};

const TARGET_MS: u128 = 200;

fn option(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let requests = option("--requests", 10_000);
    let runs = option("--runs", 20).max(1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(requests, runs));
}

async fn run(requests: usize, runs: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let today = chrono::Local::now().date_naive();
    let territory = territory::load(&root.join("content/territory"), today)
        .territory
        .expect("the demo territory loads");
    let cpts = territory.cpts.first().expect("a CPTS").clone();
    let dir = std::env::temp_dir().join(format!("overview-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let store = SqliteStore::open(&dir.join("cpts.sqlite")).expect("SQLite");
    let now = functions::now();

    // One valid registration, varied: commune, distance, home visits, priority criteria.
    let started = Instant::now();
    for i in 0..requests {
        let commune = &territory.communes[cpts.communes[i % cpts.communes.len()]];
        let body = format!(
            "gp_status=none&filled_by=patient&last_name=Martin&first_name=Paul&birth_date=14%2F07%2F{}&phone=06+12+34+56+78&call_time=any&commune={}&max_distance={}&home_visits={}&without_gp_since=1to2y&reason=retired&consent=oui{}",
            1940 + i % 70,
            form_urlencoded_label(&functions::domain::communes::label(commune)),
            ["10", "20", "30", "any"][i % 4],
            if i % 7 == 0 { "yes" } else { "no" },
            if i % 5 == 0 { "&ald=oui" } else { "" },
        );
        let answers = Answers::from_form(body.as_bytes());
        let registration = match registration::parse(&answers, &territory, today) {
            Parsed::Valid(r) => r,
            Parsed::Invalid(errors) => panic!("registration {i} does not parse: {errors:?}"),
            Parsed::NotEligible => panic!("registration {i} not eligible"),
        };
        let request = Request {
            reference: format!("B{i:07}"),
            created_at: now - (requests - i) as i64 * 60,
            cpts: Some(cpts.id.clone()),
            priority: priority::assess(&registration, today),
            registration: *registration,
            channel: Default::default(),
            intake: None,
        };
        let mail = Mail {
            id: format!("B{i:07}-coordination"),
            to: vec!["coordination@example.org".into()],
            subject: "Nouvelle demande".into(),
            text: String::new(),
            html: String::new(),
            reply_to: Vec::new(),
            from_name: None,
        };
        store
            .register(&lifecycle::open(request, mail), &format!("n{i}"), &[])
            .await
            .expect("stored");
    }
    println!(
        "{requests} demandes en attente ({}) enregistrées en {:.1} s",
        cpts.name,
        started.elapsed().as_secs_f64()
    );

    let config = Config {
        site_title: "Banc d'essai".into(),
        phone: None,
        public_url: "http://127.0.0.1:8000".into(),
        allowed_origins: vec!["http://127.0.0.1:8000".into()],
        privacy_url: "/donnees-personnelles/".into(),
        mail_from: "CPTS <ne-pas-repondre@example.org>".into(),
        limits: Limits::default(),
    };
    let outbox = Outbox {
        dir: dir.join("outbox"),
        from: config.mail_from.clone(),
        print_paths: false,
    };
    let app = App::new(
        config,
        std::sync::Arc::new(territory),
        KeyRing::generate(),
        store,
        outbox,
    );
    let mut read = Vec::with_capacity(runs);
    let mut total = Vec::with_capacity(runs);
    let mut size = 0;
    let mut no_doctor = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let o = overview::read(&app, &cpts.id, now).await.expect("overview");
        read.push(started.elapsed());
        let data = overview::page(&app, &o, "jeton", now);
        let html = pages::page(&app, "overview.html", "Tableau de bord", &data);
        total.push(started.elapsed());
        size = html.len();
        no_doctor = o.no_doctor.len();
    }
    let (read50, read95) = quantiles(&mut read);
    let (p50, p95) = quantiles(&mut total);
    println!(
        "lecture et calcul (cas, charges, sans médecin possible, communes saturées) : p50 {read50:?}, p95 {read95:?}"
    );
    println!(
        "tableau de bord complet (page rendue, {} Kio, {no_doctor} demandes sans médecin possible) : p50 {p50:?}, p95 {p95:?} — objectif < {TARGET_MS} ms : {}",
        size / 1024,
        if p95.as_millis() < TARGET_MS {
            "tenu"
        } else {
            "NON TENU"
        }
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn quantiles(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95))
}

/// A commune's label as the form sends it.
fn form_urlencoded_label(label: &str) -> String {
    label
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
