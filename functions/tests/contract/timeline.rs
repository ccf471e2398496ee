//! The timeline of a request (issue #13): entries written with their transition, all or
//! nothing, read back in order, per request.

use functions::domain::lifecycle::{self, CallOutcome, EntryKind};
use functions::store::{Applied, Store};

use super::registered;

/// Entries are written with the case change they go with, and read back in order.
pub async fn timeline_entries_are_written_with_their_transition<S: Store>(store: &S) {
    let case = registered(store, "TIME0001", 1_000).await;
    let other = registered(store, "TIME0002", 1_000).await;
    assert!(store.timeline("TIME0001").await.unwrap().is_empty());
    let t = lifecycle::note(&case, 2_000, "Claire", "Rappeler le soir");
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let case = store.case("TIME0001").await.unwrap().unwrap();
    let t = lifecycle::call(&case, None, 3_000, "Claire", CallOutcome::NoAnswer).unwrap();
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let t = lifecycle::note(&other, 2_500, "Marc", "Autre demande");
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let entries = store.timeline("TIME0001").await.unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].kind, EntryKind::Note);
    assert_eq!(entries[0].text, "Rappeler le soir");
    assert_eq!(entries[0].by, "Claire");
    assert_eq!(
        entries[1].kind,
        EntryKind::Call {
            outcome: CallOutcome::NoAnswer
        }
    );
    assert_eq!(store.timeline("TIME0002").await.unwrap().len(), 1);
    assert_eq!(
        store
            .case("TIME0001")
            .await
            .unwrap()
            .unwrap()
            .unanswered_calls,
        1
    );
}

/// A transition refused (the case changed meanwhile) writes none of its entries.
pub async fn a_refused_transition_writes_no_timeline_entry<S: Store>(store: &S) {
    let case = registered(store, "TIME0003", 1_000).await;
    let first = lifecycle::note(&case, 2_000, "Claire", "première");
    let stale = lifecycle::note(&case, 2_001, "Marc", "périmée");
    assert_eq!(store.apply(&first).await.unwrap(), Applied::Done);
    assert_eq!(store.apply(&stale).await.unwrap(), Applied::Conflict);
    let entries = store.timeline("TIME0003").await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].text, "première");
    // Entries with every kind read back as written (the record round-trips).
    let case = store.case("TIME0003").await.unwrap().unwrap();
    let t = lifecycle::change_priority(&case, 3_000, "Claire", 3, "évaluation").unwrap();
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let entries = store.timeline("TIME0003").await.unwrap();
    assert_eq!(entries[1], t.entries[0]);
}

/// A closed request reopens: it waits again, and the timeline says how it had ended.
pub async fn a_closed_request_reopens<S: Store>(store: &S) {
    let case = registered(store, "TIME0004", 1_000).await;
    let closed = lifecycle::close(
        &case,
        None,
        2_000,
        "Claire",
        lifecycle::ClosingReason::Duplicate,
    )
    .unwrap();
    assert_eq!(store.apply(&closed).await.unwrap(), Applied::Done);
    let case = store.case("TIME0004").await.unwrap().unwrap();
    let t = lifecycle::reopen(&case, 3_000, "Claire").unwrap();
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let case = store.case("TIME0004").await.unwrap().unwrap();
    assert_eq!(case.state, lifecycle::CaseState::Waiting);
    assert!(case.closure.is_none());
    let waiting = store
        .cases(&[lifecycle::CaseState::Waiting], None)
        .await
        .unwrap();
    assert!(waiting.iter().any(|c| c.reference == "TIME0004"));
    let entries = store.timeline("TIME0004").await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].kind, EntryKind::Reopened);
    assert!(store.request("TIME0004").await.unwrap().is_some());
}
