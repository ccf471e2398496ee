//! Search among stored requests (issue #13), on the SQLite store as `cpts serve` opens it: the
//! demo territory's communes and CPTS, `--stored` synthetic requests (100 000), then typical
//! searches — a name with a typo, a phone number, a birth year, a commune — within one CPTS and
//! across the territory, timed one by one (p50, p95, p99). Filling the store is not timed.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use functions::domain::lifecycle::{self, Mail, Request};
use functions::domain::phone::PhoneNumber;
use functions::domain::priority;
use functions::domain::registration::{
    BirthDate, CallTime, Communication, FilledBy, Filler, GpStatus, Mobility, Name, Reason,
    Registration, WithoutGpSince,
};
use functions::domain::search::Query;
use functions::domain::staff::Scope;
use functions::store::{SqliteStore, Store};
use territory::Territory;

use crate::random::Random;

const SYLLABLES: [&str; 30] = [
    "ber", "mar", "du", "le", "fe", "vre", "ro", "ch", "pon", "ti", "gar", "nier", "lau", "ren",
    "mo", "rel", "bou", "chet", "fa", "bre", "gi", "rard", "lam", "bert", "mer", "cier", "dé",
    "sé", "val", "lin",
];
const FIRST: [&str; 24] = [
    "Léa", "Jean", "Marie", "Paul", "Louise", "Hugo", "Chloé", "Lucas", "Emma", "Noël", "Inès",
    "Jules", "Zoé", "Marc", "Anne", "Luc", "Éric", "Julie", "Sarah", "Théo", "Camille", "Nathan",
    "Manon", "Gaëlle",
];
/// Searches timed per kind and scope.
const SEARCHES: usize = 300;

fn last_name(random: &mut Random) -> String {
    let parts = 2 + random.below(2);
    let mut name: String = (0..parts).map(|_| SYLLABLES[random.below(30)]).collect();
    if let Some(first) = name.get(..1) {
        name = first.to_uppercase() + &name[1..];
    }
    name
}

struct Person {
    last: String,
    phone: String,
    year: i32,
    commune: String,
    cpts: Option<String>,
}

fn request(
    territory: &Territory,
    random: &mut Random,
    k: usize,
    today: NaiveDate,
) -> (Request, Person) {
    let commune = &territory.communes[random.below(territory.communes.len())];
    let cpts = territory.cpts_of(commune).map(|c| c.id.clone());
    let last = last_name(random);
    let year = 1930 + random.below(90) as i32;
    let birth = format!(
        "{:02}/{:02}/{year}",
        1 + random.below(28),
        1 + random.below(12)
    );
    let phone = format!("06{:08}", random.below(100_000_000));
    let registration = Registration {
        gp_status: GpStatus::None,
        filled_by: Filler {
            role: FilledBy::Patient,
            organisation: None,
        },
        last_name: Name::parse(&last, "le nom").expect("name"),
        first_name: Name::parse(FIRST[random.below(FIRST.len())], "le prénom").expect("name"),
        birth_date: BirthDate::parse(&birth, today).expect("date"),
        phone: PhoneNumber::parse(&phone).expect("phone"),
        email: None,
        call_time: CallTime::Any,
        commune: commune.code.clone(),
        mobility: Mobility {
            max_distance_km: Some(20),
            home_visits: false,
        },
        without_gp_since: WithoutGpSince::OneTo2Years,
        reason: Reason::DoctorRetired,
        criteria: Vec::new(),
        communication: Communication {
            interpreter_language: None,
            reading_help: false,
        },
        consent_date: today,
    };
    let priority = priority::assess(&registration, today);
    let now = today
        .and_hms_opt(12, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp());
    let request = Request {
        reference: format!("B{k:07}"),
        created_at: now - random.below(730 * 86_400) as i64,
        cpts: cpts.clone(),
        registration,
        priority,
        channel: Default::default(),
        intake: None,
    };
    let person = Person {
        last,
        phone,
        year,
        commune: commune.name.clone(),
        cpts,
    };
    (request, person)
}

/// `word` with two neighbouring letters swapped (a typo the search tolerates from 4 letters).
fn typo(word: &str) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() >= 4 {
        chars.swap(1, 2);
    }
    chars.into_iter().collect()
}

fn percentiles(times: &mut [Duration]) -> [Duration; 3] {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    [at(0.5), at(0.95), at(0.99)]
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

pub fn run(stored: usize, work: &Path, today: NaiveDate) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/territory");
    let territory = territory::load(&content, today)
        .territory
        .ok_or("the demo territory does not load")?;
    let path = work.join("search.sqlite");
    let _ = std::fs::remove_file(&path);
    let store = SqliteStore::open(&path).map_err(|e| e.to_string())?;
    let mut random = Random::new(13);
    let start = Instant::now();
    let mut people = Vec::with_capacity(stored);
    runtime.block_on(async {
        for k in 0..stored {
            let (request, person) = request(&territory, &mut random, k, today);
            let mail = Mail {
                id: format!("M{k:07}"),
                to: vec!["coordination@example.org".into()],
                subject: "Nouvelle demande".into(),
                text: String::new(),
                html: String::new(),
                reply_to: Vec::new(),
                from_name: None,
            };
            let opening = lifecycle::open(request, mail);
            store
                .register(&opening, &format!("N{k:07}"), &[])
                .await
                .map_err(|e| e.to_string())?;
            people.push(person);
        }
        Ok::<(), String>(())
    })?;
    println!(
        "search: {stored} synthetic requests stored in {:.1} s (SQLite on {}, not timed below)",
        start.elapsed().as_secs_f64(),
        work.display()
    );
    type Make = fn(&Person) -> String;
    let kinds: [(&str, Make); 4] = [
        ("name with a typo", |p| typo(&p.last.to_lowercase())),
        ("phone", |p| {
            let d = &p.phone;
            format!(
                "{} {} {} {} {}",
                &d[0..2],
                &d[2..4],
                &d[4..6],
                &d[6..8],
                &d[8..10]
            )
        }),
        ("birth year", |p| p.year.to_string()),
        ("commune", |p| p.commune.clone()),
    ];
    let mut worst = Duration::ZERO;
    for (kind, make) in kinds {
        for across in [false, true] {
            let mut times = Vec::with_capacity(SEARCHES);
            let mut results = 0usize;
            for _ in 0..SEARCHES {
                let person = &people[random.below(people.len())];
                let scope = match (&person.cpts, across) {
                    (Some(id), false) => Scope::Cpts(id.clone()),
                    _ => Scope::Territory,
                };
                let text = make(person);
                let begin = Instant::now();
                let query = Query::parse(&text, &territory).map_err(|e| e.message().to_string())?;
                let found = runtime
                    .block_on(store.search(&query, &scope))
                    .map_err(|e| e.to_string())?;
                times.push(begin.elapsed());
                results += found.hits.len();
            }
            let [p50, p95, p99] = percentiles(&mut times);
            worst = worst.max(p99);
            println!(
                "search, {kind}, {}: p50 {}, p95 {}, p99 {} ({:.1} results on average)",
                if across {
                    "across the territory"
                } else {
                    "in one CPTS"
                },
                millis(p50),
                millis(p95),
                millis(p99),
                results as f64 / SEARCHES as f64
            );
        }
    }
    println!(
        "search among {stored} requests: worst p99 {} — target < 50 ms: {}",
        millis(worst),
        if worst < Duration::from_millis(50) {
            "target met"
        } else {
            "TARGET MISSED"
        }
    );
    Ok(())
}
