//! Each matching rule, the ranking, the re-examination of waiting cases and the explanation, on
//! small territories built by hand at known coordinates.

use chrono::{Days, NaiveDate};
use functions::domain::lifecycle::{Case, CaseState, Needs};
use functions::domain::matching::{
    self, Candidate, DISTANCE_BAND_KM, FARTHEST_KM, Loads, Unfit, Usage, best, candidates, check,
    choice, explain, reach_km, reexamine, why_none,
};
use territory::{Availability, Commune, Doctor, LonLat, Territory, great_circle_km};

/// Km per degree of latitude on the sphere `territory` measures on.
const KM_PER_DEGREE: f64 = territory::distance::EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;
/// Centre of the patient's commune "08001".
const HOME: LonLat = LonLat {
    lon: 4.5,
    lat: 49.5,
};

fn today() -> NaiveDate {
    date("2026-11-24")
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// A timestamp at noon (UTC) on `day`.
fn noon(day: &str) -> i64 {
    date(day)
        .and_hms_opt(12, 0, 0)
        .expect("time")
        .and_utc()
        .timestamp()
}

/// The point `km` due north of `from` (along a meridian distances are exact).
fn north(from: LonLat, km: f64) -> LonLat {
    LonLat {
        lon: from.lon,
        lat: from.lat + km / KM_PER_DEGREE,
    }
}

fn commune(code: &str, name: &str, centre: LonLat) -> Commune {
    Commune {
        code: code.into(),
        name: name.into(),
        postcodes: vec![],
        population: 1000,
        centre,
        area_km2: 10.0,
        geometry: vec![],
        cpts: None,
    }
}

/// A doctor accepting now, 10 places a year, no home visits, any priority level, declared today,
/// practising `km` north of the patient's commune centre.
fn doctor(id: &str, km: f64) -> Doctor {
    Doctor {
        id: id.into(),
        name: format!("Dr {id}"),
        commune: 1,
        location: north(HOME, km),
        other_practices: Vec::new(),
        availability: Availability::AcceptingNow,
        yearly_capacity: 10,
        home_visit_radius_km: None,
        priority_only: false,
        public: false,
        updated: today(),
        email: format!("{id}@example.org"),
    }
}

/// The patient's commune "08001" at [`HOME`], the practice commune "08002" 5 km north, and a
/// far commune "08003" 200 km east; the doctors as given.
fn territory(doctors: Vec<Doctor>) -> Territory {
    let communes = vec![
        commune("08001", "Rethel", HOME),
        commune("08002", "Sorbon", north(HOME, 5.0)),
        commune(
            "08003",
            "Loin",
            LonLat {
                lon: 7.3,
                lat: 49.5,
            },
        ),
    ];
    Territory::new(communes, vec![], doctors)
}

fn needs(max_distance_km: Option<u32>) -> Needs {
    Needs {
        commune: "08001".into(),
        max_distance_km,
        home_visits: false,
        priority_level: 3,
    }
}

fn fresh(territory: &Territory) -> Loads {
    Loads {
        usage: vec![Usage::default(); territory.doctors.len()],
    }
}

/// Ids of the candidates, best first.
fn ranked(territory: &Territory, loads: &Loads, needs: &Needs, day: NaiveDate) -> Vec<String> {
    candidates(territory, loads, needs, &[], day)
        .iter()
        .map(|c| territory.doctors[c.doctor].id.clone())
        .collect()
}

/// `check` for one doctor at `km`, with default usage and nothing tried.
fn check_one(doctor: &Doctor, needs: &Needs, km: f64, day: NaiveDate) -> Result<(), Unfit> {
    check(doctor, &Usage::default(), needs, km, &[], day)
}

// ---------------------------------------------------------------------------------------------
// Availability

#[test]
fn a_doctor_accepting_now_is_a_candidate() {
    let t = territory(vec![doctor("med-1", 3.0)]);
    let loads = fresh(&t);
    let found = candidates(&t, &loads, &needs(Some(10)), &[], today());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].doctor, 0);
    assert!((found[0].distance_km - 3.0).abs() < 1e-6, "{found:?}");
    assert_eq!(
        best(&t, &loads, &needs(Some(10)), &[], today()),
        Some(found[0])
    );
}

#[test]
fn accepting_later_counts_from_its_date_on() {
    let mut d = doctor("med-1", 3.0);
    d.availability = Availability::AcceptingFrom(date("2026-12-01"));
    let n = needs(Some(10));
    assert_eq!(
        check_one(&d, &n, 3.0, date("2026-11-30")),
        Err(Unfit::NotAccepting)
    );
    assert_eq!(check_one(&d, &n, 3.0, date("2026-12-01")), Ok(()));
    assert_eq!(check_one(&d, &n, 3.0, date("2027-02-01")), Ok(()));
    let t = territory(vec![d]);
    let loads = fresh(&t);
    assert!(best(&t, &loads, &n, &[], date("2026-11-30")).is_none());
    assert!(best(&t, &loads, &n, &[], date("2026-12-01")).is_some());
}

#[test]
fn a_doctor_not_accepting_is_never_proposed() {
    let mut d = doctor("med-1", 3.0);
    d.availability = Availability::NotAccepting;
    let n = needs(Some(10));
    for day in ["2026-11-24", "2027-06-01", "2030-01-01"] {
        assert_eq!(check_one(&d, &n, 3.0, date(day)), Err(Unfit::NotAccepting));
    }
    let t = territory(vec![d]);
    assert!(candidates(&t, &fresh(&t), &n, &[], today()).is_empty());
}

#[test]
fn paused_in_the_csv_until_a_date_then_back_the_day_after() {
    let mut d = doctor("med-1", 3.0);
    d.availability = Availability::PausedUntil(date("2026-12-10"));
    let n = needs(Some(10));
    assert_eq!(check_one(&d, &n, 3.0, today()), Err(Unfit::NotAccepting));
    assert_eq!(
        check_one(&d, &n, 3.0, date("2026-12-10")),
        Err(Unfit::NotAccepting)
    );
    assert_eq!(check_one(&d, &n, 3.0, date("2026-12-11")), Ok(()));
    let t = territory(vec![d]);
    let loads = fresh(&t);
    assert!(best(&t, &loads, &n, &[], date("2026-12-10")).is_none());
    assert!(best(&t, &loads, &n, &[], date("2026-12-11")).is_some());
}

#[test]
fn paused_through_the_store_until_a_date_inclusive() {
    let d = doctor("med-1", 3.0);
    let n = needs(Some(10));
    let usage = Usage {
        paused_until: Some(date("2026-12-10")),
        ..Usage::default()
    };
    for (day, expected) in [
        ("2026-11-24", Err(Unfit::Paused)),
        ("2026-12-10", Err(Unfit::Paused)),
        ("2026-12-11", Ok(())),
    ] {
        assert_eq!(
            check(&d, &usage, &n, 3.0, &[], date(day)),
            expected,
            "{day}"
        );
    }
    // A pause that ended before today no longer counts.
    let past = Usage {
        paused_until: Some(date("2026-11-23")),
        ..Usage::default()
    };
    assert_eq!(check(&d, &past, &n, 3.0, &[], today()), Ok(()));
    let t = territory(vec![d]);
    let loads = Loads { usage: vec![usage] };
    assert!(best(&t, &loads, &n, &[], date("2026-12-10")).is_none());
    assert!(best(&t, &loads, &n, &[], date("2026-12-11")).is_some());
}

// ---------------------------------------------------------------------------------------------
// Reach

#[test]
fn reach_is_what_the_patient_said_or_the_farthest_limit() {
    assert_eq!(reach_km(&needs(Some(10))), 10.0);
    assert_eq!(reach_km(&needs(Some(30))), 30.0);
    assert_eq!(reach_km(&needs(None)), FARTHEST_KM);
    // Nobody is sent farther than the farthest limit, whatever was typed.
    assert_eq!(reach_km(&needs(Some(500))), FARTHEST_KM);
}

#[test]
fn within_ten_km_a_doctor_at_9_9_km_yes_at_10_1_km_no() {
    let n = needs(Some(10));
    let d = doctor("med-1", 0.0);
    assert_eq!(check_one(&d, &n, 9.9, today()), Ok(()));
    assert_eq!(check_one(&d, &n, 10.0, today()), Ok(()));
    assert_eq!(check_one(&d, &n, 10.1, today()), Err(Unfit::TooFar));
    // The same through the spatial index, with real distances from the commune centre.
    let t = territory(vec![doctor("med-near", 9.9), doctor("med-far", 10.1)]);
    assert!((great_circle_km(HOME, t.doctors[0].location) - 9.9).abs() < 1e-6);
    assert_eq!(ranked(&t, &fresh(&t), &n, today()), ["med-near"]);
}

#[test]
fn farther_is_not_a_problem_goes_up_to_the_farthest_limit() {
    let t = territory(vec![
        doctor("med-15", 15.0),
        doctor("med-39", FARTHEST_KM - 0.1),
        doctor("med-41", FARTHEST_KM + 0.1),
    ]);
    let loads = fresh(&t);
    assert_eq!(
        ranked(&t, &loads, &needs(None), today()),
        ["med-15", "med-39"]
    );
    assert!(ranked(&t, &loads, &needs(Some(10)), today()).is_empty());
    assert_eq!(ranked(&t, &loads, &needs(Some(20)), today()), ["med-15"]);
}

#[test]
fn a_request_from_an_unknown_commune_has_no_candidate() {
    let t = territory(vec![doctor("med-1", 1.0)]);
    let mut n = needs(None);
    n.commune = "99999".into();
    assert!(candidates(&t, &fresh(&t), &n, &[], today()).is_empty());
    assert!(best(&t, &fresh(&t), &n, &[], today()).is_none());
}

// ---------------------------------------------------------------------------------------------
// Needs

#[test]
fn home_visits_needed_the_radius_must_cover_the_distance() {
    let mut n = needs(Some(20));
    n.home_visits = true;
    let mut visits = doctor("med-1", 0.0);
    visits.home_visit_radius_km = Some(8.0);
    assert_eq!(check_one(&visits, &n, 7.9, today()), Ok(()));
    assert_eq!(check_one(&visits, &n, 8.0, today()), Ok(()));
    assert_eq!(
        check_one(&visits, &n, 8.1, today()),
        Err(Unfit::NoHomeVisitsThatFar)
    );
    let no_visits = doctor("med-2", 0.0);
    assert_eq!(
        check_one(&no_visits, &n, 1.0, today()),
        Err(Unfit::NoHomeVisitsThatFar)
    );
    // Within reach but beyond the radius: not proposed; within the radius: proposed.
    let mut near = doctor("med-near", 7.0);
    near.home_visit_radius_km = Some(8.0);
    let mut far = doctor("med-far", 12.0);
    far.home_visit_radius_km = Some(8.0);
    let t = territory(vec![doctor("med-none", 2.0), far, near]);
    assert_eq!(ranked(&t, &fresh(&t), &n, today()), ["med-near"]);
}

#[test]
fn home_visits_not_needed_the_radius_does_not_matter() {
    let n = needs(Some(20));
    let mut small = doctor("med-1", 0.0);
    small.home_visit_radius_km = Some(2.0);
    assert_eq!(check_one(&small, &n, 15.0, today()), Ok(()));
    assert_eq!(check_one(&doctor("med-2", 0.0), &n, 15.0, today()), Ok(()));
}

#[test]
fn a_priority_only_doctor_takes_levels_1_and_2_not_3() {
    let mut d = doctor("med-1", 0.0);
    d.priority_only = true;
    let mut n = needs(Some(10));
    for (level, expected) in [(1, Ok(())), (2, Ok(())), (3, Err(Unfit::PriorityOnly))] {
        n.priority_level = level;
        assert_eq!(check_one(&d, &n, 3.0, today()), expected, "level {level}");
    }
    // Other doctors take every level.
    assert_eq!(check_one(&doctor("med-2", 0.0), &n, 3.0, today()), Ok(()));
}

// ---------------------------------------------------------------------------------------------
// Capacity and history

#[test]
fn no_place_left_when_the_load_reaches_the_capacity() {
    let mut d = doctor("med-1", 3.0);
    d.yearly_capacity = 4;
    let n = needs(Some(10));
    let usage = |load| Usage {
        load,
        ..Usage::default()
    };
    assert_eq!(check(&d, &usage(3), &n, 3.0, &[], today()), Ok(()));
    assert_eq!(
        check(&d, &usage(4), &n, 3.0, &[], today()),
        Err(Unfit::NoCapacityLeft)
    );
    assert_eq!(
        check(&d, &usage(9), &n, 3.0, &[], today()),
        Err(Unfit::NoCapacityLeft)
    );
    d.yearly_capacity = 0;
    assert_eq!(
        check(&d, &usage(0), &n, 3.0, &[], today()),
        Err(Unfit::NoCapacityLeft)
    );
}

#[test]
fn a_doctor_already_proposed_for_this_request_is_not_proposed_again() {
    let d = doctor("med-1", 3.0);
    let n = needs(Some(10));
    let tried = vec!["med-7".to_string(), "med-1".to_string()];
    assert_eq!(
        check(&d, &Usage::default(), &n, 3.0, &tried, today()),
        Err(Unfit::AlreadyProposed)
    );
    assert_eq!(
        check(&d, &Usage::default(), &n, 3.0, &tried[..1], today()),
        Ok(())
    );
    let t = territory(vec![doctor("med-1", 1.0), doctor("med-2", 2.0)]);
    let loads = fresh(&t);
    let first = best(&t, &loads, &n, &[], today()).expect("a doctor");
    assert_eq!(t.doctors[first.doctor].id, "med-1");
    let next = best(&t, &loads, &n, &["med-1".into()], today()).expect("another");
    assert_eq!(t.doctors[next.doctor].id, "med-2");
    assert!(best(&t, &loads, &n, &["med-1".into(), "med-2".into()], today()).is_none());
}

// ---------------------------------------------------------------------------------------------
// Ranking

#[test]
fn a_nearer_band_comes_first_whatever_the_solicitations() {
    assert_eq!(DISTANCE_BAND_KM, 5.0);
    let t = territory(vec![doctor("med-far", 6.0), doctor("med-near", 2.0)]);
    let mut loads = fresh(&t);
    // The near one was asked yesterday, the far one never: distance still wins across bands.
    loads.usage[1].last_solicited_at = Some(noon("2026-11-23"));
    assert_eq!(
        ranked(&t, &loads, &needs(Some(20)), today()),
        ["med-near", "med-far"]
    );
}

#[test]
fn within_a_band_the_least_recently_solicited_comes_first_never_solicited_first() {
    let t = territory(vec![
        doctor("med-yesterday", 0.5),
        doctor("med-last-month", 2.0),
        doctor("med-never", 4.5),
        doctor("med-last-week", 1.0),
    ]);
    let mut loads = fresh(&t);
    loads.usage[0].last_solicited_at = Some(noon("2026-11-23"));
    loads.usage[1].last_solicited_at = Some(noon("2026-10-24"));
    loads.usage[3].last_solicited_at = Some(noon("2026-11-17"));
    assert_eq!(
        ranked(&t, &loads, &needs(Some(20)), today()),
        [
            "med-never",
            "med-last-month",
            "med-last-week",
            "med-yesterday"
        ]
    );
}

#[test]
fn same_band_and_same_solicitation_the_nearer_first_then_by_id() {
    let t = territory(vec![
        doctor("med-c", 3.0),
        doctor("med-b", 1.0),
        // Same place: the id decides, not the order of the CSV.
        doctor("med-z", 2.0),
        doctor("med-a", 2.0),
    ]);
    let loads = fresh(&t);
    assert_eq!(
        ranked(&t, &loads, &needs(Some(20)), today()),
        ["med-b", "med-a", "med-z", "med-c"]
    );
    let first = best(&t, &loads, &needs(Some(20)), &[], today()).expect("a doctor");
    assert_eq!(t.doctors[first.doctor].id, "med-b");
}

#[test]
fn candidates_skip_the_unfit_and_keep_the_order() {
    let mut paused = doctor("med-paused", 0.5);
    paused.availability = Availability::PausedUntil(date("2027-01-15"));
    let mut full = doctor("med-full", 1.0);
    full.yearly_capacity = 2;
    let t = territory(vec![
        paused,
        full,
        doctor("med-ok-far", 7.0),
        doctor("med-ok", 3.0),
    ]);
    let mut loads = fresh(&t);
    loads.usage[1].load = 2;
    assert_eq!(
        ranked(&t, &loads, &needs(Some(10)), today()),
        ["med-ok", "med-ok-far"]
    );
}

// ---------------------------------------------------------------------------------------------
// Re-examination of waiting cases

fn case(reference: &str, commune: &str, level: u8, created_at: i64) -> Case {
    Case {
        reference: reference.into(),
        cpts: None,
        created_at,
        needs: Needs {
            commune: commune.into(),
            max_distance_km: Some(20),
            home_visits: false,
            priority_level: level,
        },
        has_email: false,
        state: CaseState::Waiting,
        version: 1,
        updated_at: created_at,
        proposals: vec![],
        tried: vec![],
        closure: None,
        unanswered_calls: 0,
    }
}

/// (reference, doctor id) of each proposal made.
fn served(
    territory: &Territory,
    waiting: &[&Case],
    made: &[(usize, Candidate)],
) -> Vec<(String, String)> {
    made.iter()
        .map(|(i, c)| {
            (
                waiting[*i].reference.clone(),
                territory.doctors[c.doctor].id.clone(),
            )
        })
        .collect()
}

#[test]
fn the_last_place_goes_to_the_highest_priority_level_then_the_oldest() {
    let mut d = doctor("med-1", 3.0);
    d.yearly_capacity = 5;
    let t = territory(vec![d]);
    let mut loads = fresh(&t);
    loads.usage[0].load = 4;
    let old_level_3 = case("A-old-3", "08001", 3, 100);
    let new_level_1 = case("B-new-1", "08001", 1, 900);
    let old_level_1 = case("C-old-1", "08001", 1, 500);
    let waiting = [&old_level_3, &new_level_1, &old_level_1];
    let made = reexamine(&t, &mut loads, &waiting, today(), noon("2026-11-24"));
    assert_eq!(
        served(&t, &waiting, &made),
        [("C-old-1".to_string(), "med-1".to_string())]
    );
    assert_eq!(made[0].0, 2, "positions index the waiting list");
    assert_eq!(loads.usage[0].load, 5);
    assert_eq!(loads.usage[0].last_solicited_at, Some(noon("2026-11-24")));
}

#[test]
fn re_examination_never_exceeds_a_doctors_capacity() {
    let mut small = doctor("med-small", 1.0);
    small.yearly_capacity = 3;
    let mut other = doctor("med-other", 8.0);
    other.yearly_capacity = 2;
    let t = territory(vec![small, other]);
    let mut loads = fresh(&t);
    loads.usage[0].load = 1;
    let cases: Vec<Case> = (0..10)
        .map(|k| {
            case(
                &format!("R-{k:02}"),
                "08001",
                1 + (k % 3) as u8,
                1000 + k as i64,
            )
        })
        .collect();
    let waiting: Vec<&Case> = cases.iter().collect();
    let made = reexamine(&t, &mut loads, &waiting, today(), 5000);
    let count = |id: &str| {
        served(&t, &waiting, &made)
            .iter()
            .filter(|(_, d)| d == id)
            .count()
    };
    assert_eq!(count("med-small"), 2);
    assert_eq!(count("med-other"), 2);
    assert_eq!(made.len(), 4);
    assert_eq!(loads.usage[0].load, 3);
    assert_eq!(loads.usage[1].load, 2);
    // Each case at most once.
    let mut cases_served: Vec<usize> = made.iter().map(|(i, _)| *i).collect();
    cases_served.dedup();
    assert_eq!(cases_served.len(), 4);
    // The first four in order (level 1 then 2, oldest first) were served.
    let mut refs: Vec<String> = served(&t, &waiting, &made)
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    refs.sort();
    assert_eq!(refs, ["R-00", "R-03", "R-06", "R-09"]);
}

#[test]
fn a_case_whose_commune_is_unknown_is_skipped() {
    let t = territory(vec![doctor("med-1", 1.0)]);
    let mut loads = fresh(&t);
    let lost = case("A-lost", "99999", 1, 10);
    let known = case("B-known", "08001", 3, 20);
    let waiting = [&lost, &known];
    let made = reexamine(&t, &mut loads, &waiting, today(), 5000);
    assert_eq!(
        served(&t, &waiting, &made),
        [("B-known".to_string(), "med-1".to_string())]
    );
}

#[test]
fn re_examination_spreads_the_cases_over_a_band_and_skips_tried_doctors() {
    let t = territory(vec![doctor("med-1", 1.0), doctor("med-2", 2.0)]);
    let mut loads = fresh(&t);
    let first = case("A", "08001", 2, 10);
    let second = case("B", "08001", 2, 20);
    let mut third = case("C", "08001", 2, 30);
    third.tried = vec!["med-1".into()];
    let waiting = [&first, &second, &third];
    let made = reexamine(&t, &mut loads, &waiting, today(), 5000);
    // A takes the nearer one; B the other one, not solicited yet; C was already proposed med-1,
    // so it gets med-2 although med-2 was just solicited.
    assert_eq!(
        served(&t, &waiting, &made),
        [
            ("A".to_string(), "med-1".to_string()),
            ("B".to_string(), "med-2".to_string()),
            ("C".to_string(), "med-2".to_string()),
        ]
    );
}

/// A small deterministic generator for the randomised comparison below.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f64 {
        self.next() as f64 / (1u64 << 31) as f64
    }
}

/// A random territory for [`compare_with_best`]: `communes` communes in a box of `size` degrees
/// from (`west`, `south`), doctors around them (some sharing a practice, some far from any
/// commune), counters already used, and waiting cases of every kind.
struct Scenario {
    seed: u64,
    west: f64,
    south: f64,
    size: f64,
    communes: usize,
    doctors: usize,
    cases: usize,
}

/// Re-examining a batch gives every case, in priority-then-age order, exactly what `best` gives it
/// once the cases before it reserved their doctors: the batch shortcuts change nothing.
fn compare_with_best(s: &Scenario) {
    let mut random = Lcg(s.seed);
    let communes: Vec<Commune> = (0..s.communes)
        .map(|k| {
            commune(
                &format!("{:05}", k),
                &format!("Commune {k}"),
                LonLat {
                    lon: s.west + random.unit() * s.size,
                    lat: s.south + random.unit() * s.size * 0.7,
                },
            )
        })
        .collect();
    let mut doctors = Vec::new();
    for k in 0..s.doctors {
        let home = communes[random.below(s.communes as u64) as usize].centre;
        let spread = if k % 17 == 0 { 1.0 } else { 0.15 };
        // Some doctors share a practice (same point): ties are broken by id.
        let location = if k % 5 == 4 {
            doctors.last().map_or(home, |d: &Doctor| d.location)
        } else {
            LonLat {
                lon: home.lon + (random.unit() - 0.5) * spread,
                lat: home.lat + (random.unit() - 0.5) * spread,
            }
        };
        let availability = match random.below(6) {
            0..=2 => Availability::AcceptingNow,
            3 => Availability::AcceptingFrom(date("2026-11-01")),
            4 => Availability::PausedUntil(date("2026-11-20")),
            _ => Availability::NotAccepting,
        };
        doctors.push(Doctor {
            // Ids whose order differs from the CSV's.
            id: format!("med-{}", s.doctors - 1 - k),
            name: String::new(),
            commune: 0,
            location,
            other_practices: Vec::new(),
            availability,
            yearly_capacity: random.below(4) as u32,
            home_visit_radius_km: (random.below(3) == 0).then(|| 2.0 + random.unit() * 10.0),
            priority_only: random.below(5) == 0,
            public: false,
            updated: today(),
            email: String::new(),
        });
    }
    let t = Territory::new(communes, vec![], doctors);
    let mut initial = fresh(&t);
    for usage in &mut initial.usage {
        if random.below(3) == 0 {
            usage.load = random.below(3) as u32;
            usage.last_solicited_at = Some(random.below(4) as i64 * 1000);
        }
        if random.below(10) == 0 {
            usage.paused_until = Some(today() + Days::new(random.below(3)) - Days::new(1));
        }
    }
    let cases: Vec<Case> = (0..s.cases)
        .map(|k| {
            // A few communes are unknown.
            let mut c = case(
                &format!("R-{k:05}"),
                &format!("{:05}", random.below(s.communes as u64 + 2)),
                1 + random.below(3) as u8,
                random.below(50) as i64,
            );
            c.needs.max_distance_km =
                [Some(5), Some(10), Some(20), Some(30), None][random.below(5) as usize];
            c.needs.home_visits = random.below(10) == 0;
            if random.below(4) == 0 {
                c.tried = vec![format!("med-{}", random.below(s.doctors as u64))];
            }
            c
        })
        .collect();
    let waiting: Vec<&Case> = cases.iter().collect();
    let now = 9000;

    let mut batch = initial.clone();
    let made = reexamine(&t, &mut batch, &waiting, today(), now);

    let mut order: Vec<usize> = (0..waiting.len()).collect();
    order.sort_by_key(|&i| {
        (
            waiting[i].needs.priority_level,
            waiting[i].created_at,
            &waiting[i].reference,
        )
    });
    let mut one_by_one = initial.clone();
    let mut expected = Vec::new();
    for i in order {
        let c = waiting[i];
        if let Some(candidate) = best(&t, &one_by_one, &c.needs, &c.tried, today()) {
            one_by_one.reserve(candidate.doctor, now);
            expected.push((i, candidate.doctor, candidate.distance_km));
        }
    }
    assert!(
        expected.len() > s.cases / 10,
        "the comparison must make proposals: {}",
        expected.len()
    );
    assert!(expected.len() < s.cases, "and some cases must stay waiting");
    let got: Vec<(usize, usize, f64)> = made
        .iter()
        .map(|(i, c)| (*i, c.doctor, c.distance_km))
        .collect();
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!((g.0, g.1), (e.0, e.1), "case {}", waiting[e.0].reference);
        assert_eq!(g.2, e.2, "the same distance, to the bit");
    }
    assert_eq!(batch.usage, one_by_one.usage);
}

#[test]
fn re_examination_agrees_with_best_case_by_case() {
    compare_with_best(&Scenario {
        seed: 2026,
        west: 4.0,
        south: 49.2,
        size: 1.2,
        communes: 40,
        doctors: 150,
        cases: 400,
    });
}

#[test]
fn re_examination_agrees_with_best_over_a_region_with_gaps() {
    compare_with_best(&Scenario {
        seed: 8,
        west: -1.0,
        south: 45.0,
        size: 4.0,
        communes: 300,
        doctors: 600,
        cases: 3000,
    });
}

#[test]
fn re_examination_agrees_with_best_overseas_and_across_the_antimeridian() {
    // La Réunion (southern hemisphere) and a territory astride longitude 180.
    for (seed, west, south) in [(974, 55.2, -21.4), (987, 179.7, -17.0)] {
        compare_with_best(&Scenario {
            seed,
            west,
            south,
            size: 0.6,
            communes: 30,
            doctors: 120,
            cases: 300,
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Explanation

#[test]
fn the_explanation_gives_distance_places_left_and_last_solicitation() {
    let mut d = doctor("med-1", 4.5);
    d.yearly_capacity = 10;
    let t = territory(vec![d]);
    let mut loads = fresh(&t);
    loads.usage[0].load = 3;
    loads.usage[0].last_solicited_at = Some(noon("2026-11-03"));
    let n = needs(Some(10));
    let c = best(&t, &loads, &n, &[], today()).expect("a doctor");
    let lines = explain(&t, &loads, &n, &c, 2, today());
    let text = lines.join("\n");
    assert!(text.contains("Cabinet à Sorbon"), "{text}");
    assert!(text.contains("à 4,5 km du centre de Rethel"), "{text}");
    assert!(text.contains("jusqu'à 10 km"), "{text}");
    assert!(text.contains("7 places sur 10"), "{text}");
    assert!(
        text.contains("Dernière sollicitation le 3 novembre 2026"),
        "{text}"
    );
    assert!(text.contains("parmi 3 médecins"), "{text}");
    assert!(!text.contains("trois mois"), "a fresh declaration: {text}");
    assert!(!text.contains("visites à domicile"), "{text}");
    // The proposal records the same reasons and the distance to 100 m.
    let chosen = choice(&t, &loads, &n, &c, 2, today());
    assert_eq!(chosen.doctor, "med-1");
    assert_eq!(chosen.yearly_capacity, 10);
    assert_eq!(chosen.distance_km, 4.5);
    assert_eq!(chosen.reasons, lines);
}

#[test]
fn the_explanation_of_a_doctor_never_solicited_with_one_place_and_needs() {
    let mut d = doctor("med-1", 2.0);
    d.yearly_capacity = 1;
    d.home_visit_radius_km = Some(8.0);
    d.priority_only = true;
    let t = territory(vec![d]);
    let loads = fresh(&t);
    let mut n = needs(None);
    n.home_visits = true;
    n.priority_level = 1;
    let c = best(&t, &loads, &n, &[], today()).expect("a doctor");
    let text = explain(&t, &loads, &n, &c, 0, today()).join("\n");
    assert!(text.contains("à 2,0 km"), "{text}");
    assert!(text.contains("limite retenue : 40 km"), "{text}");
    assert!(text.contains("1 place sur 1 encore libre "), "{text}");
    assert!(text.contains("Jamais sollicité"), "{text}");
    assert!(text.contains("visites à domicile jusqu'à 8,0 km"), "{text}");
    assert!(text.contains("niveau 1"), "{text}");
    assert!(text.contains("Seul médecin possible"), "{text}");
}

#[test]
fn the_explanation_flags_a_declaration_older_than_three_months() {
    let mut stale = doctor("med-1", 2.0);
    stale.updated = date("2026-08-23");
    let mut recent = doctor("med-2", 2.0);
    recent.updated = date("2026-08-24");
    let t = territory(vec![stale, recent]);
    let loads = fresh(&t);
    let n = needs(Some(10));
    let text = |doctor: usize| {
        let c = Candidate {
            doctor,
            distance_km: 2.0,
        };
        explain(&t, &loads, &n, &c, 1, today()).join("\n")
    };
    let old = text(0);
    assert!(old.contains("Sa déclaration date du 23 août 2026"), "{old}");
    assert!(old.contains("plus de trois mois"), "{old}");
    assert!(
        !text(1).contains("trois mois"),
        "exactly three months is still valid"
    );
}

#[test]
fn the_explanation_tells_since_when_a_doctor_accepts() {
    let mut later = doctor("med-1", 2.0);
    later.availability = Availability::AcceptingFrom(date("2026-11-01"));
    let mut back = doctor("med-2", 2.0);
    back.availability = Availability::PausedUntil(date("2026-11-09"));
    let t = territory(vec![later, back]);
    let loads = fresh(&t);
    let n = needs(Some(10));
    let text = |doctor: usize| {
        let c = Candidate {
            doctor,
            distance_km: 2.0,
        };
        explain(&t, &loads, &n, &c, 1, today()).join("\n")
    };
    assert!(
        text(0).contains("depuis le 1er novembre 2026"),
        "{}",
        text(0)
    );
    // Paused until the 9th: back on the 10th.
    assert!(text(1).contains("10 novembre 2026"), "{}", text(1));
}

#[test]
fn the_capacity_period_is_the_calendar_year() {
    assert_eq!(matching::period_of(date("2026-01-01")), 2026);
    assert_eq!(matching::period_of(date("2026-12-31")), 2026);
    assert_eq!(matching::period_of(date("2027-01-01")), 2027);
}

// ---------------------------------------------------------------------------------------------
// Why no doctor: the rule that leaves no candidate

#[test]
fn why_none_says_which_rule_leaves_no_candidate() {
    let level = |priority_level: u8, max: u32, home_visits: bool| Needs {
        max_distance_km: Some(max),
        home_visits,
        priority_level,
        ..needs(None)
    };
    let why = |doctors: Vec<Doctor>, loads: Option<Vec<Usage>>, n: &Needs, tried: &[String]| {
        let t = territory(doctors);
        let loads = loads.map_or_else(|| fresh(&t), |usage| Loads { usage });
        why_none(&t, &loads, n, tried, today())
    };
    let not_accepting = |mut d: Doctor| {
        d.availability = Availability::NotAccepting;
        d
    };
    // A candidate: nothing blocks.
    assert_eq!(
        why(vec![doctor("a", 3.0)], None, &level(3, 10, false), &[]),
        None
    );
    // No doctor at all, or an unknown commune: too far.
    assert_eq!(
        why(vec![], None, &level(3, 10, false), &[]),
        Some(Unfit::TooFar)
    );
    let unknown = Needs {
        commune: "99999".into(),
        ..level(3, 10, false)
    };
    assert_eq!(
        why(vec![doctor("a", 3.0)], None, &unknown, &[]),
        Some(Unfit::TooFar)
    );
    // The only doctor near does not accept.
    assert_eq!(
        why(
            vec![not_accepting(doctor("a", 3.0))],
            None,
            &level(3, 10, false),
            &[]
        ),
        Some(Unfit::NotAccepting)
    );
    // Paused through his link.
    let paused = vec![Usage {
        paused_until: Some(date("2026-12-31")),
        ..Usage::default()
    }];
    assert_eq!(
        why(
            vec![doctor("a", 3.0)],
            Some(paused),
            &level(3, 10, false),
            &[]
        ),
        Some(Unfit::Paused)
    );
    // One near who does not accept, one accepting beyond the patient's reach: distance.
    assert_eq!(
        why(
            vec![not_accepting(doctor("a", 3.0)), doctor("b", 15.0)],
            None,
            &level(3, 10, false),
            &[]
        ),
        Some(Unfit::TooFar)
    );
    // Within reach, but no home visits that far.
    let mut visits = doctor("a", 8.0);
    visits.home_visit_radius_km = Some(5.0);
    assert_eq!(
        why(
            vec![visits, doctor("b", 3.0)],
            None,
            &level(3, 10, true),
            &[]
        ),
        Some(Unfit::NoHomeVisitsThatFar)
    );
    // Priority-only doctors and a level-3 request; a level-2 one is served.
    let mut priority = doctor("a", 3.0);
    priority.priority_only = true;
    assert_eq!(
        why(vec![priority.clone()], None, &level(3, 10, false), &[]),
        Some(Unfit::PriorityOnly)
    );
    assert_eq!(why(vec![priority], None, &level(2, 10, false), &[]), None);
    // Capacity used up.
    let full = vec![Usage {
        load: 10,
        ..Usage::default()
    }];
    assert_eq!(
        why(
            vec![doctor("a", 3.0)],
            Some(full),
            &level(3, 10, false),
            &[]
        ),
        Some(Unfit::NoCapacityLeft)
    );
    // Every doctor possible was already proposed.
    assert_eq!(
        why(
            vec![doctor("a", 3.0)],
            None,
            &level(3, 10, false),
            &["a".into()]
        ),
        Some(Unfit::AlreadyProposed)
    );
    // Each reason has its own French sentence.
    let labels: std::collections::HashSet<&str> = [
        Unfit::NotAccepting,
        Unfit::Paused,
        Unfit::TooFar,
        Unfit::NoHomeVisitsThatFar,
        Unfit::PriorityOnly,
        Unfit::NoCapacityLeft,
        Unfit::AlreadyProposed,
    ]
    .iter()
    .map(|u| u.none_label())
    .collect();
    assert_eq!(labels.len(), 7);
}

#[test]
fn why_none_agrees_with_best_on_whether_there_is_a_candidate() {
    let mut visits = doctor("v", 6.0);
    visits.home_visit_radius_km = Some(10.0);
    let mut priority = doctor("p", 2.0);
    priority.priority_only = true;
    let t = territory(vec![
        doctor("a", 12.0),
        visits,
        priority,
        doctor("far", 39.0),
    ]);
    let loads = fresh(&t);
    for max in [None, Some(1), Some(5), Some(10), Some(30)] {
        for home_visits in [false, true] {
            for priority_level in 1..=3 {
                for tried in [vec![], vec!["a".to_string(), "v".into()]] {
                    let n = Needs {
                        max_distance_km: max,
                        home_visits,
                        priority_level,
                        ..needs(None)
                    };
                    assert_eq!(
                        why_none(&t, &loads, &n, &tried, today()).is_none(),
                        best(&t, &loads, &n, &tried, today()).is_some(),
                        "{n:?} {tried:?}"
                    );
                }
            }
        }
    }
}
