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

    let mut answers = fill_from_markup(&page.form);
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
    let app = functions::App::new(
        functions::Config {
            site_title: config.title.clone(),
            phone: None,
            public_url: "http://127.0.0.1:8000".into(),
            allowed_origins: Vec::new(),
            privacy_url: site::registration_pages::PRIVACY_URL.into(),
            mail_from: "CPTS <ne-pas-repondre@example.org>".into(),
            limits: functions::Limits::default(),
        },
        Arc::new(territory),
        KeyRing::generate(),
        SqliteStore::open(&dir.path().join("cpts.sqlite")).unwrap(),
        Outbox {
            dir: dir.path().join("outbox"),
            from: "CPTS <ne-pas-repondre@example.org>".into(),
            print_paths: false,
        },
    );
    let issued_a_minute_ago = functions::now() - 60 + app.config.limits.form_token_seconds;
    answers.insert(
        "token".into(),
        app.keys.sign("form", &random_id(16), issued_a_minute_ago),
    );
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&answers)
        .finish();
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
