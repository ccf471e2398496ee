//! The health check and the undelivered mails (issue #14): the store is read and written, the
//! mail queue counted (pending, oldest, given up), and the mails to report on the coordinators'
//! to-do list are those failed often or given up.

use functions::domain::lifecycle::AuditEntry;
use functions::store::{GIVEN_UP, Health, Store, Undelivered};

use super::sample_mail;

async fn queue<S: Store>(store: &S, id: &str, at: i64) {
    let audit = AuditEntry {
        at,
        actor: "system".into(),
        action: "queued".into(),
        object: id.into(),
    };
    assert!(
        store
            .queue_mail(&sample_mail(id), &audit, &[], at)
            .await
            .unwrap()
    );
}

pub async fn health_writes_and_counts_the_mail_queue<S: Store>(store: &S) {
    assert_eq!(store.health(1_000).await.unwrap(), Health::default());
    // The probe is rewritten each time.
    assert_eq!(store.health(1_001).await.unwrap(), Health::default());
    queue(store, "old-mail", 1_000).await;
    queue(store, "new-mail", 2_000).await;
    assert_eq!(
        store.health(3_000).await.unwrap(),
        Health {
            pending_mails: 2,
            oldest_pending_at: Some(1_000),
            given_up_mails: 0,
        }
    );
    // A mail given up is counted apart: the oldest still to try is the other one.
    store.mail_failed("old-mail", GIVEN_UP).await.unwrap();
    assert_eq!(
        store.health(3_000).await.unwrap(),
        Health {
            pending_mails: 2,
            oldest_pending_at: Some(2_000),
            given_up_mails: 1,
        }
    );
    store
        .mails_sent(&["new-mail".to_string()], 3_100)
        .await
        .unwrap();
    assert_eq!(
        store.health(3_200).await.unwrap(),
        Health {
            pending_mails: 1,
            oldest_pending_at: None,
            given_up_mails: 1,
        }
    );
}

pub async fn undelivered_mails_are_those_failed_often_or_given_up<S: Store>(store: &S) {
    queue(store, "often", 1_000).await;
    queue(store, "given-up", 2_000).await;
    queue(store, "once", 3_000).await;
    queue(store, "fine", 4_000).await;
    for retry in [1_100, 1_200, 1_300] {
        store.mail_failed("often", retry).await.unwrap();
    }
    store.mail_failed("given-up", GIVEN_UP).await.unwrap();
    store.mail_failed("once", 3_100).await.unwrap();
    assert_eq!(
        store.undelivered_mails(3).await.unwrap(),
        [
            Undelivered {
                id: "often".into(),
                created_at: 1_000,
                attempts: 3,
                given_up: false,
            },
            Undelivered {
                id: "given-up".into(),
                created_at: 2_000,
                attempts: 1,
                given_up: true,
            },
        ]
    );
    // No count of attempts reaches u32::MAX: given-up mails only.
    let given_up: Vec<String> = store
        .undelivered_mails(u32::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(given_up, ["given-up"]);
    // A mail sent at last leaves the list.
    store
        .mails_sent(&["often".to_string()], 1_400)
        .await
        .unwrap();
    let left: Vec<String> = store
        .undelivered_mails(1)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(left, ["given-up", "once"]);
}
