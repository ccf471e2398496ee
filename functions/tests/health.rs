//! `/api/health` tells the truth (issue #14): 200 only when the database can be read and written
//! and the mail queue flows; 503 naming what is wrong on a read-only or corrupted database, with
//! mails waiting too long or given up. Counts only in the answer.

mod common;

use std::path::Path;

use axum::http::StatusCode;
use common::*;
use functions::App;
use functions::domain::lifecycle::AuditEntry;
use functions::mail::{GIVEN_UP, Outbox};
use functions::signed::KeyRing;
use functions::store::{SqliteStore, Store};
use functions::web::registration::MAIL_DELAY_LIMIT_SECONDS;

/// A handler on `store`, its outbox in `dir`.
fn harness_on(dir: tempfile::TempDir, store: SqliteStore) -> Harness {
    let outbox = Outbox {
        dir: dir.path().join("outbox"),
        from: "CPTS <ne-pas-repondre@example.org>".into(),
        print_paths: false,
    };
    let app = App::new(
        config(quick_limits()),
        demo_territory(),
        KeyRing::generate(),
        store,
        outbox,
    );
    Harness { dir, app }
}

/// A database file with a few requests in it, closed (its WAL folded into the file).
async fn filled_database(path: &Path) {
    let h = harness_on(
        tempfile::tempdir().unwrap(),
        SqliteStore::open(path).unwrap(),
    );
    for i in 0..20 {
        let body = encode(&with(
            valid(),
            &[
                ("token", Some(&h.token_aged(60))),
                ("phone", Some(&format!("06 12 34 56 {i:02}"))),
            ],
        ));
        let (r, page) = h.send(form_request(&body, &format!("10.0.0.{i}"))).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{page}");
    }
    let (r, body) = h.get("/api/health").await;
    assert_eq!(r.status(), StatusCode::OK, "{body}");
}

fn status(body: &str) -> String {
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    json["status"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_read_only_database_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpts.sqlite");
    filled_database(&path).await;
    // Read-only for its owner; opened read-only too, as root ignores the file's mode.
    #[cfg(unix)]
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o400)).unwrap();
    let uri = format!("file:{}?mode=ro", path.display());
    let store = SqliteStore::open(Path::new(&uri)).expect("a read-only database opens");
    let h = harness_on(dir, store);
    let (r, body) = h.get("/api/health").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(status(&body), "database unavailable");
}

#[tokio::test]
async fn a_corrupted_database_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpts.sqlite");
    filled_database(&path).await;
    let store = SqliteStore::open(&path).unwrap();
    // Every page after the schema's overwritten, under the running server.
    let size = std::fs::metadata(&path).unwrap().len() as usize;
    let page = 4096;
    assert!(size > 4 * page, "{size} bytes");
    let mut bytes = std::fs::read(&path).unwrap();
    for (i, b) in bytes[page..].iter_mut().enumerate() {
        *b = (i * 37 % 251) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();
    let h = harness_on(dir, store);
    let (r, body) = h.get("/api/health").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(status(&body), "database unavailable");
}

#[tokio::test]
async fn mails_waiting_too_long_or_given_up_are_reported() {
    let h = Harness::new(quick_limits());
    let (r, body) = h.get("/api/health").await;
    assert_eq!(r.status(), StatusCode::OK, "{body}");
    assert_eq!(status(&body), "ok");
    let now = functions::now();
    let queue = |id: &'static str, at: i64| {
        let store = &h.app.store;
        async move {
            let mail = functions::domain::lifecycle::Mail {
                id: id.into(),
                to: vec!["lea.dupre@example.fr".into()],
                subject: "s".into(),
                text: "t".into(),
                html: "<p>h</p>".into(),
                reply_to: Vec::new(),
                from_name: None,
            };
            let audit = AuditEntry {
                at,
                actor: "system".into(),
                action: "queued".into(),
                object: id.into(),
            };
            assert!(store.queue_mail(&mail, &audit, &[], at).await.unwrap());
        }
    };
    // Queued a moment ago: the queue flows.
    queue("ABCD2345-coordination", now - 60).await;
    let (r, body) = h.get("/api/health").await;
    assert_eq!(r.status(), StatusCode::OK, "{body}");
    // Waiting longer than the limit.
    queue("EFGH2345-coordination", now - MAIL_DELAY_LIMIT_SECONDS - 60).await;
    let (r, body) = h.get("/api/health").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(status(&body), "mails delayed");
    // Given up: a person must act (said first).
    h.app
        .store
        .mail_failed("ABCD2345-coordination", GIVEN_UP)
        .await
        .unwrap();
    let (r, body) = h.get("/api/health").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(status(&body), "mails given up");
    // Counts only: no address, no id.
    assert!(!body.contains('@') && !body.contains("2345"), "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["pending_mails"], 2);
    assert_eq!(json["given_up_mails"], 1);
}
