//! Doctors' own declarations (issue #15): stored one per doctor, replaced whole, audited in the
//! same transaction, and counted so that a reader knows when to read them again.

use functions::domain::declarations::{ConfirmationAsk, Declaration, Status};
use functions::domain::lifecycle::AuditEntry;
use functions::store::Store;

fn declaration(doctor: &str, status: Status, capacity: u32, at: i64) -> Declaration {
    Declaration {
        doctor: doctor.into(),
        status,
        yearly_capacity: capacity,
        home_visit_radius_km: Some(7.5),
        priority_only: false,
        public: true,
        other_practices: None,
        declared_at: at,
        by: "doctor".into(),
    }
}

fn declared(doctor: &str, at: i64) -> AuditEntry {
    AuditEntry {
        at,
        actor: format!("doctor:{doctor}"),
        action: "declared".into(),
        object: format!("doctor:{doctor}"),
    }
}

pub async fn declarations_are_kept_one_per_doctor_and_counted<S: Store>(store: &S) {
    assert_eq!(store.declarations_stamp().await.unwrap(), 0);
    let empty = store.declarations().await.unwrap();
    assert_eq!((empty.stamp, empty.list.len()), (0, 0));

    let paused = Status::PausedUntil("2027-01-15".parse().unwrap());
    let first = declaration("med-002", paused, 5, 1_000);
    store
        .declare(&first, &declared("med-002", 1_000))
        .await
        .unwrap();
    let other = declaration("med-001", Status::NotAccepting, 0, 1_100);
    store
        .declare(&other, &declared("med-001", 1_100))
        .await
        .unwrap();
    assert_eq!(store.declarations_stamp().await.unwrap(), 2);

    // A new declaration replaces the doctor's previous one whole.
    let mut second = declaration("med-002", Status::AcceptingNow, 8, 2_000);
    second.home_visit_radius_km = None;
    second.by = "staff:coord-rethel".into();
    store
        .declare(&second, &declared("med-002", 2_000))
        .await
        .unwrap();
    let read = store.declarations().await.unwrap();
    assert_eq!(read.stamp, 3);
    let mut list = read.list;
    list.sort_by(|a, b| a.doctor.cmp(&b.doctor));
    assert_eq!(list, vec![other, second]);

    // Each one is audited with it.
    let trail = store.audit_trail("doctor:med-002").await.unwrap();
    assert_eq!(
        trail.iter().map(|e| e.at).collect::<Vec<_>>(),
        vec![1_000, 2_000]
    );
}

pub async fn a_same_declaration_still_counts_as_a_change<S: Store>(store: &S) {
    // A confirmation (« rien n'a changé ») repeats the declaration with a new date: readers
    // must see it, since the date decides what is stale.
    let d = declaration("med-003", Status::AcceptingNow, 10, 1_000);
    store
        .declare(&d, &declared("med-003", 1_000))
        .await
        .unwrap();
    let again = Declaration {
        other_practices: None,
        declared_at: 5_000,
        ..d
    };
    store
        .declare(&again, &declared("med-003", 5_000))
        .await
        .unwrap();
    let read = store.declarations().await.unwrap();
    assert_eq!(read.stamp, 2);
    assert_eq!(read.list, vec![again]);
}

fn ask(doctor: &str, about: &str, asked_at: i64, reminded_at: Option<i64>) -> ConfirmationAsk {
    ConfirmationAsk {
        doctor: doctor.into(),
        about: about.parse().unwrap(),
        asked_at,
        reminded_at,
    }
}

fn asked(doctor: &str, at: i64) -> AuditEntry {
    AuditEntry {
        at,
        actor: "system".into(),
        action: "confirmation asked".into(),
        object: format!("doctor:{doctor}"),
    }
}

pub async fn a_request_to_confirm_is_sent_once<S: Store>(store: &S) {
    assert!(store.confirmation_asks().await.unwrap().is_empty());
    let first = ask("med-004", "2026-09-01", 1_000, None);
    let mail = super::sample_mail("confirmation-med-004-2026-09-01");
    assert!(
        store
            .ask_confirmation(&first, None, &mail, &asked("med-004", 1_000))
            .await
            .unwrap()
    );
    // A second run of the jobs that read no request finds one: nothing is written twice.
    let again = super::sample_mail("confirmation-med-004-2026-09-01-bis");
    assert!(
        !store
            .ask_confirmation(&first, None, &again, &asked("med-004", 1_001))
            .await
            .unwrap()
    );
    assert_eq!(store.pending_mail_count().await.unwrap(), 1);

    // The reminder replaces the request it was read with, once.
    let reminded = ask("med-004", "2026-09-01", 1_000, Some(2_000));
    let reminder = super::sample_mail("confirmation-med-004-2026-09-01-rappel");
    assert!(
        store
            .ask_confirmation(&reminded, Some(&first), &reminder, &asked("med-004", 2_000))
            .await
            .unwrap()
    );
    let late = super::sample_mail("confirmation-med-004-2026-09-01-rappel-bis");
    assert!(
        !store
            .ask_confirmation(&reminded, Some(&first), &late, &asked("med-004", 2_001))
            .await
            .unwrap()
    );
    assert_eq!(store.confirmation_asks().await.unwrap(), vec![reminded]);
    assert_eq!(store.pending_mail_count().await.unwrap(), 2);
    assert_eq!(store.audit_trail("doctor:med-004").await.unwrap().len(), 2);
}
