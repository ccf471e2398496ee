//! The behaviour every Store must have, written once. Each check takes a fresh, empty store; run
//! them all for an implementation with [`store_contract!`](crate::store_contract):
//!
//! ```text
//! functions::store_contract!(functions::store::SqliteStore::in_memory().unwrap());
//! ```

use chrono::NaiveDate;

use super::{AuditEntry, Mail, RateLimit, Registered, Request, Store};
use crate::priority;
use crate::registration::{
    BirthDate, CallTime, Communication, Criterion, DeclaredCriterion, FilledBy, Filler, GpStatus,
    Mobility, Name, Reason, Registration, WithoutGpSince,
};

/// A request as the handler would store it.
pub fn sample_request(reference: &str, created_at: i64) -> Request {
    let today: NaiveDate = "2026-11-24".parse().expect("date");
    let registration = Registration {
        gp_status: GpStatus::None,
        filled_by: Filler {
            role: FilledBy::Patient,
            organisation: None,
        },
        last_name: Name::parse("Dupré", "le nom").expect("name"),
        first_name: Name::parse("Léa", "le prénom").expect("name"),
        birth_date: BirthDate::parse("14/07/1950", today).expect("date"),
        phone: crate::phone::PhoneNumber::parse("06 12 34 56 78").expect("phone"),
        email: None,
        call_time: CallTime::Any,
        commune: "08409".into(),
        mobility: Mobility {
            max_distance_km: Some(20),
            home_visits: false,
        },
        without_gp_since: WithoutGpSince::OneTo2Years,
        reason: Reason::DoctorRetired,
        criteria: vec![DeclaredCriterion::new(Criterion::Pregnancy, today)],
        communication: Communication {
            interpreter_language: None,
            reading_help: false,
        },
        consent_date: today,
    };
    let priority = priority::assess(&registration, today);
    Request {
        reference: reference.into(),
        created_at,
        cpts: Some("rethelois".into()),
        registration,
        priority,
    }
}

pub fn sample_mail(id: &str) -> Mail {
    Mail {
        id: id.into(),
        to: vec!["coordination@example.org".into()],
        subject: "Nouvelle demande".into(),
        text: "texte".into(),
        html: "<p>html</p>".into(),
    }
}

pub async fn registers_request_mail_and_audit<S: Store>(store: &S) {
    let request = sample_request("REF1", 1000);
    let outcome = store
        .register(&request, "nonce-1", &sample_mail("m1"), &[])
        .await
        .unwrap();
    assert_eq!(outcome, Registered::New);
    assert_eq!(store.request("REF1").await.unwrap(), Some(request));
    assert_eq!(store.request("NOPE").await.unwrap(), None);
    let due = store.due_mails(1000, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].mail, sample_mail("m1"));
    assert_eq!(due[0].attempts, 0);
    let trail = store.audit_trail("REF1").await.unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].action, "registered");
}

pub async fn same_nonce_registers_once<S: Store>(store: &S) {
    store
        .register(
            &sample_request("REF1", 1000),
            "nonce-1",
            &sample_mail("m1"),
            &[],
        )
        .await
        .unwrap();
    let again = store
        .register(
            &sample_request("REF2", 1001),
            "nonce-1",
            &sample_mail("m2"),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(again, Registered::Duplicate("REF1".into()));
    assert_eq!(store.request("REF2").await.unwrap(), None);
    assert_eq!(store.pending_mail_count().await.unwrap(), 1);
}

pub async fn failed_mail_waits_then_is_sent_once<S: Store>(store: &S) {
    store
        .register(&sample_request("REF1", 1000), "n", &sample_mail("m1"), &[])
        .await
        .unwrap();
    store.mail_failed("m1", 1060).await.unwrap();
    assert!(store.due_mails(1059, 10).await.unwrap().is_empty());
    let due = store.due_mails(1060, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].attempts, 1);
    assert_eq!(due[0].next_attempt_at, 1060);
    store.mails_sent(&["m1".to_string()], 1061).await.unwrap();
    assert!(store.due_mails(i64::MAX, 10).await.unwrap().is_empty());
    assert_eq!(store.pending_mail_count().await.unwrap(), 0);
    // A late failure report does not bring a sent mail back.
    store.mail_failed("m1", 1070).await.unwrap();
    assert!(store.due_mails(i64::MAX, 10).await.unwrap().is_empty());
}

pub async fn due_mails_oldest_first_and_limited<S: Store>(store: &S) {
    for i in 0..5 {
        store
            .register(
                &sample_request(&format!("R{i}"), 1000 + i),
                &format!("n{i}"),
                &sample_mail(&format!("m{i}")),
                &[],
            )
            .await
            .unwrap();
    }
    let due = store.due_mails(2000, 3).await.unwrap();
    let ids: Vec<&str> = due.iter().map(|p| p.mail.id.as_str()).collect();
    assert_eq!(ids, ["m0", "m1", "m2"]);
}

pub async fn rate_limits_hold_and_refusals_write_nothing<S: Store>(store: &S) {
    let limit = |key: &str, window| RateLimit {
        key: key.into(),
        window,
        limit: 2,
    };
    let mut n = 0;
    let mut register = |limits: Vec<RateLimit>| {
        n += 1;
        let (reference, nonce, mail) = (format!("R{n}"), format!("n{n}"), format!("m{n}"));
        async move {
            store
                .register(
                    &sample_request(&reference, 1000),
                    &nonce,
                    &sample_mail(&mail),
                    &limits,
                )
                .await
                .unwrap()
        }
    };
    assert_eq!(register(vec![limit("a", 1)]).await, Registered::New);
    assert_eq!(register(vec![limit("a", 1)]).await, Registered::New);
    assert_eq!(register(vec![limit("a", 1)]).await, Registered::Limited);
    assert_eq!(store.request("R3").await.unwrap(), None, "nothing written");
    assert_eq!(store.pending_mail_count().await.unwrap(), 2);
    assert_eq!(
        register(vec![limit("b", 1)]).await,
        Registered::New,
        "another key"
    );
    assert_eq!(
        register(vec![limit("a", 2)]).await,
        Registered::New,
        "another window"
    );
    // Every limit must hold: one over its limit refuses the whole request.
    assert_eq!(
        register(vec![limit("c", 1), limit("a", 1)]).await,
        Registered::Limited
    );
    assert_eq!(
        register(vec![limit("c", 1)]).await,
        Registered::New,
        "c was not counted"
    );
}

pub async fn audit_log_keeps_order<S: Store>(store: &S) {
    for (i, action) in ["viewed", "validated"].iter().enumerate() {
        store
            .audit(&AuditEntry {
                at: 10 + i as i64,
                actor: "coordinator:k1".into(),
                action: action.to_string(),
                object: "REF9".into(),
            })
            .await
            .unwrap();
    }
    let trail = store.audit_trail("REF9").await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["viewed", "validated"]);
    assert!(store.audit_trail("OTHER").await.unwrap().is_empty());
}

/// One `#[tokio::test]` per contract check, each on a fresh store made by `$make`.
#[macro_export]
macro_rules! store_contract {
    ($make:expr) => {
        $crate::store_contract!(@tests $make;
            registers_request_mail_and_audit,
            same_nonce_registers_once,
            failed_mail_waits_then_is_sent_once,
            due_mails_oldest_first_and_limited,
            rate_limits_hold_and_refusals_write_nothing,
            audit_log_keeps_order);
    };
    (@tests $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let store = $make;
                $crate::store::contract::$name(&store).await;
            }
        )*
    };
}
