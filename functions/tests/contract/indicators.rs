//! The figures of a cohort (issue #16) read from the store: the channel with the poster's tag
//! and the age bracket from the request, the dates from its proposals, an erased request still
//! counted from what is left of it — the same on every store.

use chrono::NaiveDate;
use functions::domain::indicators::{self, Outcome, Period};
use functions::domain::intake::{Channel, Source};
use functions::domain::lifecycle::{self, ClosingReason, RejectionReason};
use functions::store::{Applied, Store};
use functions::web::figures::entries;

use super::{RegisterSample, YEAR, choice, sample_mail, sample_request};

const DAY: i64 = 86_400;
/// 2026-03-02, 12:00 UTC.
const MARCH: i64 = 1_772_452_800;

async fn register<S: Store>(store: &S, reference: &str, created_at: i64, channel: Channel) {
    let mut request = sample_request(reference, created_at);
    request.channel = channel;
    let mail = sample_mail(&format!("{reference}-coordination"));
    store
        .register_sample(&request, &format!("nonce-{reference}"), &mail, &[])
        .await
        .unwrap();
}

async fn apply<S: Store>(store: &S, t: &lifecycle::Transition) {
    assert_eq!(store.apply(t).await.unwrap(), Applied::Done);
}

pub async fn figures_count_channels_outcomes_delays_and_erased_requests<S: Store>(store: &S) {
    let poster = Channel::Web {
        source: Source::parse("affiche-rethel-a4"),
    };
    register(store, "FIG00001", MARCH, poster.clone()).await;
    register(store, "FIG00002", MARCH + DAY, Channel::Telephone).await;
    register(store, "FIG00003", MARCH + 2 * DAY, poster).await;
    // Received the day before the period.
    register(store, "FIG00004", MARCH - DAY, Channel::Paper).await;

    // 1: proposed after 2 days, accepted 3 days later.
    let case = store.case("FIG00001").await.unwrap().unwrap();
    let (t, p) =
        lifecycle::propose(&case, &choice("med-001", 5), MARCH + 2 * DAY, YEAR, vec![]).unwrap();
    apply(store, &t).await;
    let case = store.case("FIG00001").await.unwrap().unwrap();
    let (t, p) = lifecycle::validate(&case, &p, MARCH + 3 * DAY, "Claire", vec![]).unwrap();
    apply(store, &t).await;
    let case = store.case("FIG00001").await.unwrap().unwrap();
    let (t, _) = lifecycle::accept(&case, &p, 5, MARCH + 5 * DAY, vec![]).unwrap();
    apply(store, &t).await;
    // 2: a doctor set aside as too far, then the person refused.
    let case = store.case("FIG00002").await.unwrap().unwrap();
    let (t, p) =
        lifecycle::propose(&case, &choice("med-002", 5), MARCH + 2 * DAY, YEAR, vec![]).unwrap();
    apply(store, &t).await;
    let case = store.case("FIG00002").await.unwrap().unwrap();
    let (t, _) = lifecycle::reject(
        &case,
        &p,
        MARCH + 2 * DAY,
        "Claire",
        RejectionReason::TooFar,
    )
    .unwrap();
    apply(store, &t).await;
    let case = store.case("FIG00002").await.unwrap().unwrap();
    let t = lifecycle::close(
        &case,
        None,
        MARCH + 4 * DAY,
        "Claire",
        ClosingReason::RefusedProposal,
    )
    .unwrap();
    apply(store, &t).await;
    // 3: the person withdrew, her data erased: still counted.
    let case = store.case("FIG00003").await.unwrap().unwrap();
    let request = store.request("FIG00003").await.unwrap().unwrap();
    let erasure = lifecycle::erase(&case, None, &request, MARCH + 3 * DAY, "Claire").unwrap();
    assert_eq!(store.erase(&erasure).await.unwrap(), Applied::Done);

    let march = Period {
        from: NaiveDate::from_ymd_opt(2026, 3, 2),
        to: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
    };
    let cohort = entries(store, Some(Some("sedanais")), &march)
        .await
        .unwrap();
    assert!(cohort.is_empty(), "another CPTS: none");
    let cohort = entries(store, None, &march).await.unwrap();
    let f = indicators::compute(&cohort, &march);
    assert_eq!(f.received, 3);
    let n = |label: &str| f.by_channel.iter().find(|(l, _)| l == label).unwrap().1;
    assert_eq!(n("Formulaire en ligne, affiche « affiche-rethel-a4 »"), 1);
    // What is left of an erased request keeps the channel, not the poster's tag.
    assert_eq!(n("Formulaire en ligne, sans affiche"), 1);
    assert_eq!(n("Appel téléphonique"), 1);
    assert_eq!(n("Formulaire papier"), 0, "received before the period");
    assert_eq!(
        f.by_age,
        vec![("0-5", 0), ("6-15", 0), ("16-69", 0), ("70+", 3)]
    );
    let outcome = |o: Outcome| f.outcomes.iter().find(|(x, _)| *x == o).unwrap().1;
    assert_eq!(outcome(Outcome::DoctorAccepted), 1);
    assert_eq!(f.found_through_cpts(), 1);
    assert_eq!(f.refused_too_far, 1);
    let closed = |r| Outcome::Closed(indicators::Reason::of(r));
    assert_eq!(outcome(closed(ClosingReason::RefusedProposal)), 1);
    assert_eq!(outcome(closed(ClosingReason::Withdrawn)), 1);
    assert_eq!(f.delays[0].count, 2);
    assert_eq!(
        f.delays[0].median,
        Some(2),
        "2 and 1 days: the upper middle"
    );
    assert_eq!((f.delays[1].count, f.delays[1].median), (1, Some(3)));
    assert_eq!(f.delays[2].median, Some(5));
    let since = Period::since_start(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
    let all = entries(store, None, &since).await.unwrap();
    assert_eq!(indicators::compute(&all, &since).received, 4);
}
