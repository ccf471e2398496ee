//! Retention (issue #14): what is past its period is gone, the rest is kept. The clock is moved
//! by `TimePasses`: on SQLite the jobs' purge, on DynamoDB what its TTL deletes (DynamoDB Local
//! does not expire items itself: the test deletes every item whose `expires_at` is past, so the
//! check is on the attribute each item is written with).

use std::future::Future;

use functions::domain::lifecycle::{self, AuditEntry};
use functions::domain::registration::Name;
use functions::domain::retention::{
    AUDIT_ENTRY, CLOSED_REQUEST, OPEN_REQUEST, RATE_COUNTER, SENT_MAIL,
};
use functions::domain::search::Query;
use functions::domain::staff::Scope;
use functions::store::{Applied, RateLimit, Registered, Store};

use super::search::demo;
use super::{RawText, RegisterSample, choice, registered, sample_mail, sample_request};

pub trait TimePasses {
    /// Deletes what the store deletes by itself when the clock reaches `now`.
    fn time_passes(&self, now: i64) -> impl Future<Output = ()>;
}

/// The references a search for `query` finds in the whole territory.
async fn found<S: Store>(store: &S, query: &str) -> Vec<String> {
    let query = Query::parse(query, &demo()).unwrap();
    let found = store.search(&query, &Scope::Territory).await.unwrap();
    found.hits.into_iter().map(|h| h.reference).collect()
}

async fn kept<S: Store>(store: &S, reference: &str) -> bool {
    let request = store.request(reference).await.unwrap().is_some();
    let case = store.case(reference).await.unwrap().is_some();
    assert_eq!(request, case, "{reference}: a request goes with its case");
    request
}

pub async fn each_kind_of_data_goes_at_the_end_of_its_period<S: Store + TimePasses + RawText>(
    store: &S,
) {
    const START: i64 = 1_000_000;
    // Waits, with a proposal and a note: lapses two years after its registration.
    let lapsing = registered(store, "LAPSE001", START).await;
    let (t, _) =
        lifecycle::propose(&lapsing, &choice("med-1", 5), START + 10, 2026, vec![]).unwrap();
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let proposal = t.proposals[0].1.id.clone();
    let case = store.case("LAPSE001").await.unwrap().unwrap();
    let t = lifecycle::note(&case, START + 20, "Claire", "Rappeler le soir");
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    // Closed a little later: goes one year after its closure, with what it wrote before its
    // closure (search keys, a proposal, a note).
    let mut request = sample_request("CLOSE001", START);
    request.registration.last_name = Name::parse("Closerie", "le nom").unwrap();
    assert_eq!(
        store
            .register_sample(
                &request,
                "nonce-CLOSE001",
                &sample_mail("CLOSE001-mail"),
                &[]
            )
            .await
            .unwrap(),
        Registered::New
    );
    let closing = store.case("CLOSE001").await.unwrap().unwrap();
    let (t, _) =
        lifecycle::propose(&closing, &choice("med-2", 5), START + 10, 2026, vec![]).unwrap();
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let closing_proposal = t.proposals[0].1.id.clone();
    let closing = store.case("CLOSE001").await.unwrap().unwrap();
    let t = lifecycle::note(&closing, START + 20, "Claire", "Rappeler le matin");
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let closing = store.case("CLOSE001").await.unwrap().unwrap();
    let proposal_now = store.proposal(&closing_proposal).await.unwrap();
    let closed_at = START + 5_000;
    let t = lifecycle::close(
        &closing,
        proposal_now.as_ref(),
        closed_at,
        "Claire",
        lifecycle::ClosingReason::FoundAlone,
    )
    .unwrap();
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    // Registered two years later: outlives both.
    let later = START + OPEN_REQUEST.seconds;
    registered(store, "KEEP0001", later).await;
    // An audit entry and a sent mail of their own.
    let old = AuditEntry {
        at: START,
        actor: "system".into(),
        action: "viewed".into(),
        object: "old-object".into(),
    };
    store.audit(&old).await.unwrap();
    let mail = sample_mail("sent-mail-0001");
    let queued = AuditEntry {
        object: "queued-object".into(),
        at: later,
        ..old.clone()
    };
    assert!(store.queue_mail(&mail, &queued, &[], START).await.unwrap());
    store
        .mails_sent(std::slice::from_ref(&mail.id), START)
        .await
        .unwrap();

    // One second before the closed request's end: everything is there.
    let closed_ends = closed_at + CLOSED_REQUEST.seconds;
    store.time_passes(closed_ends - 1).await;
    for reference in ["LAPSE001", "CLOSE001", "KEEP0001"] {
        assert!(kept(store, reference).await, "{reference} kept");
    }
    // The sent mail went 30 days after it was sent, long before.
    assert!(SENT_MAIL.seconds < closed_ends - START);
    assert!(!store.raw_text().await.contains("sent-mail-0001"));
    assert_eq!(store.audit_trail("old-object").await.unwrap().len(), 1);

    assert_eq!(found(store, "close001").await, ["CLOSE001"]);
    assert!(store.raw_text().await.contains("Closerie"));
    store.time_passes(closed_ends).await;
    assert!(!kept(store, "CLOSE001").await, "the closed request is gone");
    assert!(
        found(store, "close001").await.is_empty(),
        "the closed request's search keys are gone with it"
    );
    assert!(
        !store.raw_text().await.to_lowercase().contains("closerie"),
        "nothing of the closed request's person is left (its search keys neither)"
    );
    assert!(
        store.timeline("CLOSE001").await.unwrap().is_empty(),
        "its timeline is gone with it"
    );
    assert!(
        store.proposal(&closing_proposal).await.unwrap().is_none(),
        "its proposal is gone with it"
    );
    assert!(kept(store, "LAPSE001").await);
    assert!(store.proposal(&proposal).await.unwrap().is_some());
    assert_eq!(store.timeline("LAPSE001").await.unwrap().len(), 1);

    store.time_passes(START + OPEN_REQUEST.seconds - 1).await;
    assert!(kept(store, "LAPSE001").await);
    store.time_passes(START + OPEN_REQUEST.seconds).await;
    assert!(
        !kept(store, "LAPSE001").await,
        "the request still open lapsed"
    );
    assert!(store.proposal(&proposal).await.unwrap().is_none());
    assert!(store.timeline("LAPSE001").await.unwrap().is_empty());
    assert!(store.erased("LAPSE001").await.unwrap().is_none());
    assert!(kept(store, "KEEP0001").await);

    store.time_passes(START + AUDIT_ENTRY.seconds - 1).await;
    assert_eq!(store.audit_trail("old-object").await.unwrap().len(), 1);
    store.time_passes(START + AUDIT_ENTRY.seconds).await;
    assert!(store.audit_trail("old-object").await.unwrap().is_empty());
    assert_eq!(store.audit_trail("queued-object").await.unwrap().len(), 1);
    assert!(kept(store, "KEEP0001").await);
}

/// A closure shortens a request's end, a reopening gives it back: a request closed early then
/// reopened keeps its search keys and timeline past the closed period.
pub async fn a_reopened_request_keeps_what_it_wrote<S: Store + TimePasses>(store: &S) {
    const START: i64 = 1_000_000;
    let case = registered(store, "REOPEN01", START).await;
    let t = lifecycle::note(&case, START + 10, "Claire", "Rappeler");
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let case = store.case("REOPEN01").await.unwrap().unwrap();
    let closed_at = START + 100;
    let t = lifecycle::close(
        &case,
        None,
        closed_at,
        "Claire",
        lifecycle::ClosingReason::Duplicate,
    )
    .unwrap();
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let case = store.case("REOPEN01").await.unwrap().unwrap();
    let t = lifecycle::reopen(&case, closed_at + 100, "Claire").unwrap();
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let entries = store.timeline("REOPEN01").await.unwrap().len();
    assert!(entries >= 2, "the note and the reopening");

    store.time_passes(closed_at + CLOSED_REQUEST.seconds).await;
    assert!(kept(store, "REOPEN01").await);
    assert_eq!(found(store, "reopen01").await, ["REOPEN01"]);
    assert_eq!(store.timeline("REOPEN01").await.unwrap().len(), entries);
    store.time_passes(START + OPEN_REQUEST.seconds).await;
    assert!(!kept(store, "REOPEN01").await);
    assert!(found(store, "reopen01").await.is_empty());
    assert!(store.timeline("REOPEN01").await.unwrap().is_empty());
}

/// A rate counter goes its period after its last increment: the same address may register
/// again once it is gone, not before.
pub async fn a_rate_counter_goes_after_its_period<S: Store + TimePasses>(store: &S) {
    const START: i64 = 1_000_000;
    let limits = [RateLimit {
        key: "address-pseudonym".into(),
        window: 7,
        limit: 1,
    }];
    let register = |reference: &'static str, at: i64| {
        let request = sample_request(reference, at);
        let limits = limits.clone();
        async move {
            store
                .register_sample(
                    &request,
                    &format!("nonce-{reference}"),
                    &sample_mail(&format!("{reference}-coordination")),
                    &limits,
                )
                .await
                .unwrap()
        }
    };
    assert_eq!(register("RATE0001", START).await, Registered::New);
    assert_eq!(register("RATE0002", START + 1).await, Registered::Limited);
    store.time_passes(START + RATE_COUNTER.seconds - 1).await;
    assert_eq!(
        register("RATE0003", START + 2).await,
        Registered::Limited,
        "the counter is kept within its period"
    );
    // Its last increment counts: the limited attempt above wrote nothing.
    store.time_passes(START + RATE_COUNTER.seconds).await;
    assert_eq!(
        register("RATE0004", START + 3).await,
        Registered::New,
        "the counter is gone after its period"
    );
}
