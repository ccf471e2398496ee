//! The form the site publishes at /inscription/ is the form the handler reads: filled from its own
//! markup (first option of each choice) and posted through the Router, it is stored; every commune
//! its list offers is found again by the handler.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use functions::mail::Outbox;
use functions::signed::{KeyRing, random_id};
use functions::store::{SqliteStore, Store};
use tower::ServiceExt;

fn content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../content")
}

/// Every `name="…"` of the form with the value a person would give: the first option of each
/// choice, a valid text for each text field.
fn fill_from_markup(form: &str) -> BTreeMap<String, String> {
    let text: BTreeMap<&str, &str> = [
        ("last_name", "Dupré"),
        ("first_name", "Léa"),
        ("birth_date", "14/07/1950"),
        ("phone", "06 12 34 56 78"),
        ("commune", "Sedan (08200)"),
    ]
    .into();
    let mut answers = BTreeMap::new();
    for input in form.split("<input ").skip(1) {
        let tag = &input[..input.find('>').unwrap()];
        let attribute = |name: &str| {
            tag.split(&format!(" {name}=\""))
                .nth(1)
                .or_else(|| tag.strip_prefix(&format!("{name}=\"")))
                .and_then(|rest| rest.split('"').next())
        };
        let Some(name) = attribute("name") else {
            continue;
        };
        let value = match attribute("type") {
            Some("radio") => attribute("value").unwrap().to_string(),
            Some("checkbox") if name == "consent" => "oui".into(),
            Some("checkbox") | Some("hidden") => continue,
            _ => match text.get(name) {
                Some(v) => v.to_string(),
                None => continue,
            },
        };
        answers.entry(name.to_string()).or_insert(value);
    }
    answers
}

type LocalApp = functions::App<SqliteStore, Outbox>;

/// The handler with the published content on a new database in `dir`, and its published form
/// filled in (no token yet).
fn handler_and_form(
    dir: &Path,
    limits: functions::Limits,
) -> (Arc<LocalApp>, BTreeMap<String, String>) {
    let today: NaiveDate = "2026-11-24".parse().unwrap();
    let mut diagnostics = Vec::new();
    let config = site::config::load(&content_dir(), &mut diagnostics).unwrap();
    let territory = territory::load(&content_dir().join("territory"), today)
        .territory
        .unwrap();
    let answers = fill_from_markup(&site::registration_pages::form_page(&config, &territory).form);
    let app = functions::App::new(
        functions::Config {
            site_title: config.title.clone(),
            phone: None,
            public_url: "http://127.0.0.1:8000".into(),
            allowed_origins: Vec::new(),
            privacy_url: site::registration_pages::PRIVACY_URL.into(),
            mail_from: "CPTS <ne-pas-repondre@example.org>".into(),
            limits,
        },
        Arc::new(territory),
        KeyRing::generate(),
        SqliteStore::open(&dir.join("cpts.sqlite")).unwrap(),
        Outbox {
            dir: dir.join("outbox"),
            from: "CPTS <ne-pas-repondre@example.org>".into(),
            print_paths: false,
        },
    );
    (app, answers)
}

/// `answers` with a token issued a minute ago, as the body of the form's POST.
fn signed_form(app: &LocalApp, answers: &BTreeMap<String, String>) -> String {
    let issued_a_minute_ago = functions::now() - 60 + app.config.limits.form_token_seconds;
    let mut answers = answers.clone();
    answers.insert(
        "token".into(),
        app.keys.sign("form", &random_id(16), issued_a_minute_ago),
    );
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&answers)
        .finish()
}

#[tokio::test]
async fn the_published_form_is_read_by_the_handler() {
    let today: NaiveDate = "2026-11-24".parse().unwrap();
    let mut diagnostics = Vec::new();
    let config = site::config::load(&content_dir(), &mut diagnostics).unwrap();
    let territory = territory::load(&content_dir().join("territory"), today)
        .territory
        .unwrap();
    let page = site::registration_pages::form_page(&config, &territory);
    assert!(page.form.contains(r#"action="/api/registrations""#));

    // Every commune offered is found again, as itself.
    for c in &territory.communes {
        let label = functions::domain::communes::label(c);
        assert!(
            page.form
                .contains(&format!("<option value=\"{}\">", site::html::esc(&label)))
        );
        let found = functions::domain::communes::find(&territory, &label).unwrap();
        assert_eq!(found.postcodes, c.postcodes, "{label}");
    }

    let answers = fill_from_markup(&page.form);
    for required in [
        "gp_status",
        "filled_by",
        "phone",
        "commune",
        "consent",
        "reason",
    ] {
        assert!(answers.contains_key(required), "{required} in the form");
    }
    let dir = tempfile::tempdir().unwrap();
    let (app, published) = handler_and_form(dir.path(), functions::Limits::default());
    assert_eq!(published, answers);
    let body = signed_form(&app, &answers);
    let response = functions::router(Arc::clone(&app))
        .oneshot(
            Request::post("/api/registrations")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{answers:?}");
    assert_eq!(app.store.pending_mail_count().await.unwrap(), 1);
}

/// One registration POSTed on a new connection from `source` (127.0.0.0/8 is all loopback on
/// Linux) with these extra header lines; the answer's status code.
async fn post_from(
    source: [u8; 4],
    server: std::net::SocketAddr,
    headers: &str,
    body: &str,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind((source, 0).into()).unwrap();
    let mut stream = socket.connect(server).await.unwrap();
    let request = format!(
        "POST /api/registrations HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n{headers}Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        stream.read_to_string(&mut answer),
    )
    .await
    .expect("an answer in time")
    .unwrap();
    answer.split(' ').nth(1).unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_visitor_has_her_own_rate_limit() {
    let dir = tempfile::tempdir().unwrap();
    let limits = functions::Limits {
        per_address_per_hour: 2,
        ..functions::Limits::default()
    };
    let (app, answers) = handler_and_form(dir.path(), limits);
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = tcp.local_addr().unwrap();
    tokio::spawn(site::listener::serve(
        tcp,
        functions::router(Arc::clone(&app)),
        site::listener::Limits::default(),
        site::listener::TrustedProxies::parse("127.0.0.1").unwrap(),
        std::future::pending(),
    ));
    let mut phones = (10..).map(|n| format!("06 12 34 56 {n}"));
    let mut form = || {
        let mut answers = answers.clone();
        answers.insert("phone".into(), phones.next().unwrap());
        signed_form(&app, &answers)
    };

    // Three visitors through the proxy (127.0.0.1): three requests stored, though the limit is
    // two per address.
    for visitor in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        let forwarded = format!("X-Forwarded-For: {visitor}\r\n");
        let status = post_from([127, 0, 0, 1], server, &forwarded, &form()).await;
        assert_eq!(status, "303", "{visitor} through the proxy");
    }
    // One visitor straight from 127.0.0.2, naming a new address each time: her header is ignored,
    // the third is refused.
    for (n, claimed) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .iter()
        .enumerate()
    {
        let forwarded = format!("X-Forwarded-For: {claimed}\r\n");
        let status = post_from([127, 0, 0, 2], server, &forwarded, &form()).await;
        assert_eq!(
            status,
            if n < 2 { "303" } else { "429" },
            "claiming {claimed}"
        );
    }
    assert_eq!(app.store.pending_mail_count().await.unwrap(), 5);
}
