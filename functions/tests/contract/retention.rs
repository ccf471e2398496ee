//! Retention (issue #14): what is past its period is gone, the rest is kept. The clock is moved
//! by `TimePasses`: on SQLite the jobs' purge, on DynamoDB what its TTL deletes (DynamoDB Local
//! does not expire items itself: the test deletes every item whose `expires_at` is past, so the
//! check is on the attribute each item is written with).

use std::future::Future;

use functions::domain::lifecycle::{self, AuditEntry};
use functions::domain::retention::{AUDIT_ENTRY, CLOSED_REQUEST, OPEN_REQUEST, SENT_MAIL};
use functions::store::{Applied, Store};

use super::{RawText, choice, registered, sample_mail};

pub trait TimePasses {
    /// Deletes what the store deletes by itself when the clock reaches `now`.
    fn time_passes(&self, now: i64) -> impl Future<Output = ()>;
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
    // Closed a little later: goes one year after its closure.
    let closing = registered(store, "CLOSE001", START).await;
    let closed_at = START + 5_000;
    let t = lifecycle::close(
        &closing,
        None,
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

    store.time_passes(closed_ends).await;
    assert!(!kept(store, "CLOSE001").await, "the closed request is gone");
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
