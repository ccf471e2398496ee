//! The commune status of the map: each case of the availability model, the staleness rule, the
//! counts behind a status, and a palette that passes WCAG contrast with a pattern and an icon each.

use chrono::NaiveDate;
use site::map::status::{ALL, CommuneStatus, Status, commune_status, contrast_ratio};
use territory::{Availability, Doctor, LonLat, Nearby};

const TODAY: &str = "2026-11-24";

fn today() -> NaiveDate {
    TODAY.parse().unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// An up-to-date doctor who opted in, accepting now, no home visits, all patients.
fn doctor(availability: Availability) -> Doctor {
    Doctor {
        id: "med-1".into(),
        name: "Dr Test".into(),
        commune: 0,
        location: LonLat {
            lon: 4.9,
            lat: 49.7,
        },
        other_practices: Vec::new(),
        availability,
        yearly_capacity: 10,
        home_visit_radius_km: None,
        priority_only: false,
        public: true,
        updated: date("2026-11-01"),
        email: "dr.test@example.org".into(),
    }
}

fn status_of(doctors: &[(Doctor, f64)]) -> CommuneStatus {
    let nearby: Vec<Nearby> = doctors
        .iter()
        .map(|(doctor, distance_km)| Nearby {
            doctor,
            distance_km: *distance_km,
        })
        .collect();
    commune_status(&nearby, today())
}

#[test]
fn accepting_now_within_10_km() {
    let s = status_of(&[(doctor(Availability::AcceptingNow), 6.0)]);
    assert_eq!(s.status, Status::Accepting);
    assert_eq!(s.counts.accepting_near, 1);
    assert_eq!(s.counts.accepting_far, 1);
}

#[test]
fn accepting_now_but_farther_than_10_km_is_limited() {
    let s = status_of(&[(doctor(Availability::AcceptingNow), 14.0)]);
    assert_eq!(s.status, Status::Limited);
    assert_eq!((s.counts.accepting_near, s.counts.accepting_far), (0, 1));
}

#[test]
fn priority_only_is_limited() {
    let mut d = doctor(Availability::AcceptingNow);
    d.priority_only = true;
    let s = status_of(&[(d, 2.0)]);
    assert_eq!(s.status, Status::Limited);
    assert_eq!(s.counts.priority_only, 1);
    assert_eq!(s.counts.accepting_near, 0);
}

#[test]
fn accepting_from_a_later_date_is_limited_until_that_date() {
    let later = status_of(&[(doctor(Availability::AcceptingFrom(date("2027-01-04"))), 3.0)]);
    assert_eq!(later.status, Status::Limited);
    assert_eq!(later.counts.later, 1);
    let today = status_of(&[(doctor(Availability::AcceptingFrom(date(TODAY))), 3.0)]);
    assert_eq!(today.status, Status::Accepting, "from today on, he accepts");
}

#[test]
fn paused_doctors_count_as_later_until_the_pause_ends() {
    let paused = status_of(&[(doctor(Availability::PausedUntil(date("2026-12-15"))), 3.0)]);
    assert_eq!(paused.status, Status::Limited);
    assert_eq!(paused.counts.later, 1);
    let over = status_of(&[(doctor(Availability::PausedUntil(date("2026-11-23"))), 3.0)]);
    assert_eq!(over.status, Status::Accepting);
}

#[test]
fn not_accepting_or_nobody_within_20_km_is_none() {
    assert_eq!(
        status_of(&[(doctor(Availability::NotAccepting), 1.0)]).status,
        Status::None
    );
    assert_eq!(
        status_of(&[(doctor(Availability::AcceptingNow), 20.5)]).status,
        Status::None
    );
    assert_eq!(status_of(&[]).status, Status::None);
    let edge = status_of(&[(doctor(Availability::AcceptingNow), 20.0)]);
    assert_eq!(edge.status, Status::Limited, "20 km is still within reach");
}

#[test]
fn declarations_older_than_three_months_are_to_confirm() {
    let mut old = doctor(Availability::AcceptingNow);
    old.updated = date("2026-08-23");
    let s = status_of(&[(old.clone(), 4.0)]);
    assert_eq!(s.status, Status::ToConfirm);
    assert_eq!(s.counts.to_confirm, 1);
    assert_eq!(
        s.counts.accepting_near, 0,
        "stale doctors are not counted as accepting"
    );

    old.updated = date("2026-08-24");
    assert_eq!(
        status_of(&[(old.clone(), 4.0)]).status,
        Status::Accepting,
        "exactly three months is still valid"
    );
}

#[test]
fn stale_news_only_matters_when_it_is_better_than_fresh_news() {
    let mut stale_near = doctor(Availability::AcceptingNow);
    stale_near.updated = date("2026-06-01");
    let fresh_far = doctor(Availability::AcceptingNow);
    let fresh_near = doctor(Availability::AcceptingNow);
    assert_eq!(
        status_of(&[(stale_near.clone(), 2.0), (fresh_far.clone(), 15.0)]).status,
        Status::ToConfirm,
        "better news (accepting near) must be confirmed"
    );
    assert_eq!(
        status_of(&[(stale_near.clone(), 2.0), (fresh_near, 5.0)]).status,
        Status::Accepting
    );
    let mut stale_later = doctor(Availability::AcceptingFrom(date("2027-03-01")));
    stale_later.updated = date("2026-06-01");
    assert_eq!(
        status_of(&[(stale_later.clone(), 2.0), (fresh_far, 15.0)]).status,
        Status::Limited,
        "stale news no better than fresh news changes nothing"
    );
    let mut stale_closed = doctor(Availability::NotAccepting);
    stale_closed.updated = date("2026-06-01");
    let s = status_of(&[(stale_closed, 2.0)]);
    assert_eq!(s.status, Status::None);
    assert_eq!(s.counts.to_confirm, 0);
}

#[test]
fn doctors_who_did_not_opt_in_count_anonymously() {
    let mut hidden = doctor(Availability::AcceptingNow);
    hidden.public = false;
    let s = status_of(&[(hidden, 3.0)]);
    assert_eq!(s.status, Status::Accepting);
    assert_eq!(s.counts.accepting_near, 1);
}

#[test]
fn home_visits_count_where_they_reach() {
    let mut d = doctor(Availability::AcceptingNow);
    d.home_visit_radius_km = Some(5.0);
    assert_eq!(status_of(&[(d.clone(), 4.0)]).counts.home_visits, 1);
    assert_eq!(status_of(&[(d, 6.0)]).counts.home_visits, 0);
}

#[test]
fn palette_passes_wcag_contrast_and_never_relies_on_colour_alone() {
    for s in ALL {
        let look = s.look();
        let on_white = contrast_ratio(look.colour, "#ffffff");
        assert!(
            on_white >= 4.5,
            "{}: {} on white is {on_white:.2}:1, text needs 4.5:1",
            s.code(),
            look.colour
        );
        let in_pattern = contrast_ratio(look.colour, look.background);
        assert!(
            in_pattern >= 3.0,
            "{}: pattern contrast {in_pattern:.2}:1, graphics need 3:1",
            s.code()
        );
        // The map's own light background (#f7f7f7) too.
        assert!(contrast_ratio(look.colour, "#f7f7f7") >= 3.0);
    }
    let patterns: std::collections::HashSet<_> = ALL.iter().map(|s| s.look().pattern).collect();
    let icons: std::collections::HashSet<_> = ALL.iter().map(|s| s.look().icon).collect();
    let labels: std::collections::HashSet<_> = ALL.iter().map(|s| s.short_label()).collect();
    assert_eq!(patterns.len(), ALL.len(), "one pattern per status");
    assert_eq!(icons.len(), ALL.len(), "one icon per status");
    assert_eq!(labels.len(), ALL.len(), "one label per status");
    assert!((contrast_ratio("#000000", "#ffffff") - 21.0).abs() < 1e-9);
}
