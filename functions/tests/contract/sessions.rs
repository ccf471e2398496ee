//! Staff sign-in: single-use keys, the sign-in mail under its rate limit, sessions and their
//! revocation (issue #13).

use functions::domain::lifecycle::AuditEntry;
use functions::domain::staff::Session;
use functions::store::{RateLimit, Store};

use super::sample_mail;

pub fn sample_session(id_hash: &str, staff: &str, created_at: i64) -> Session {
    Session {
        id_hash: id_hash.into(),
        staff: staff.into(),
        created_at,
        expires_at: created_at + 36_000,
        agent_hash: "agent".into(),
        csrf: format!("csrf-{id_hash}"),
    }
}

pub async fn a_key_is_used_once<S: Store>(store: &S) {
    assert!(store.use_once("signin:A", 2_000).await.unwrap());
    assert!(!store.use_once("signin:A", 2_000).await.unwrap());
    assert!(store.use_once("signin:B", 2_000).await.unwrap());
    // Racing uses: exactly one wins.
    let (a, b) = tokio::join!(
        store.use_once("signin:C", 2_000),
        store.use_once("signin:C", 2_000)
    );
    assert!(a.unwrap() ^ b.unwrap());
}

pub async fn a_limited_mail_is_queued_until_its_limit<S: Store>(store: &S) {
    let limit = |limit| RateLimit {
        key: "signin-mail:abc".into(),
        window: 7,
        limit,
    };
    let audit = |n: u32| AuditEntry {
        at: 1_000,
        actor: "staff:alice".into(),
        action: "sign-in-link-sent".into(),
        object: format!("staff:alice:{n}"),
    };
    for n in 0..2 {
        let queued = store
            .queue_mail(
                &sample_mail(&format!("s{n}")),
                &audit(n),
                &[limit(2)],
                1_000,
            )
            .await
            .unwrap();
        assert!(queued, "mail {n} within the limit");
    }
    let refused = store
        .queue_mail(&sample_mail("s2"), &audit(2), &[limit(2)], 1_000)
        .await
        .unwrap();
    assert!(!refused, "the third mail is over the limit");
    let due = store.due_mails(1_000, 10).await.unwrap();
    let ids: Vec<&str> = due.iter().map(|m| m.mail.id.as_str()).collect();
    assert_eq!(ids, ["s0", "s1"], "the refused mail was not queued");
    assert_eq!(store.audit_trail("staff:alice:1").await.unwrap().len(), 1);
    assert!(
        store.audit_trail("staff:alice:2").await.unwrap().is_empty(),
        "nor its audit entry"
    );
    // Another window counts from zero.
    let next = RateLimit {
        window: 8,
        ..limit(2)
    };
    assert!(
        store
            .queue_mail(&sample_mail("s3"), &audit(3), &[next], 1_000)
            .await
            .unwrap()
    );
}

pub async fn sessions_open_read_and_close<S: Store>(store: &S) {
    assert_eq!(store.session("h1").await.unwrap(), None);
    let first = sample_session("h1", "alice", 1_000);
    store.open_session(&first).await.unwrap();
    assert_eq!(store.session("h1").await.unwrap(), Some(first.clone()));
    store.close_session("h1").await.unwrap();
    assert_eq!(store.session("h1").await.unwrap(), None);
    // Closing what is not there is no error.
    store.close_session("h1").await.unwrap();
}

pub async fn an_expired_session_reads_as_expired<S: Store>(store: &S) {
    let s = sample_session("old", "alice", 1_000);
    store.open_session(&s).await.unwrap();
    let read = store.session("old").await.unwrap();
    // Still stored (TTL deletes it later, or SQLite's purge), but refused from its end on.
    if let Some(read) = read {
        assert_eq!(read.expires_at, s.expires_at);
        assert!(read.is_expired(s.expires_at));
        assert!(!read.is_expired(s.expires_at - 1));
    }
}

pub async fn signing_out_everywhere_closes_only_that_persons_sessions<S: Store>(store: &S) {
    for (h, who) in [("a1", "alice"), ("a2", "alice"), ("b1", "bob")] {
        store
            .open_session(&sample_session(h, who, 1_000))
            .await
            .unwrap();
    }
    // The DynamoDB list index is eventually consistent: wait until it shows both.
    let mut closed = 0;
    for _ in 0..50 {
        closed += store.close_sessions_of("alice").await.unwrap();
        if closed >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(closed, 2);
    assert_eq!(store.session("a1").await.unwrap(), None);
    assert_eq!(store.session("a2").await.unwrap(), None);
    assert!(store.session("b1").await.unwrap().is_some());
}
