//! Logs carry ids only (DESIGN.md): a request registered through the Router, a tampered link, the
//! coordinator's decision and the doctor's answer through their signed links, the scheduled jobs
//! and the mails — all logged at every level, as console lines and as JSON, into a buffer that
//! then holds the reference and the routes, and nothing of the form's personal data, no email
//! address, no token, no client address.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use functions::store::Store;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;

const BASE: &str = "http://127.0.0.1:8000";

/// Where the logs go: shared by every writer the subscriber makes.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Sends what is due, then the link of mail `id` that starts with `prefix`, as a path.
async fn link_in_mail(h: &Harness, id: &str, prefix: &str) -> String {
    h.app.deliver_due(i64::MAX / 2).await;
    let raw = std::fs::read_to_string(h.outbox_dir().join(format!("{id}.eml")))
        .unwrap_or_else(|_| panic!("no mail {id}"));
    let mail = decode_mail(&raw);
    let start = format!("{BASE}{prefix}");
    let line = mail
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(&start))
        .unwrap_or_else(|| panic!("no link {start}… in:\n{mail}"));
    line[BASE.len()..].to_string()
}

/// The path and the token of a link.
fn split(link: &str) -> (String, String) {
    let (path, query) = link.split_once('?').unwrap();
    let token = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "jeton")
        .unwrap()
        .1
        .into_owned();
    (path.to_string(), token)
}

async fn post(h: &Harness, path: &str, fields: &[(&str, &str)]) -> StatusCode {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:8000")
        .header(header::ORIGIN, BASE)
        .body(Body::from(body))
        .unwrap();
    h.send(request).await.0.status()
}

#[tokio::test]
async fn logs_carry_ids_only_never_personal_data_or_tokens() {
    let buffer = Buffer::default();
    let (lines, json) = (buffer.clone(), buffer.clone());
    let subscriber = tracing_subscriber::registry()
        .with(LevelFilter::TRACE)
        .with(tracing_subscriber::fmt::layer().with_writer(move || lines.clone()))
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(true)
                .with_writer(move || json.clone()),
        );
    // This test's thread only (a current-thread runtime: every step runs here).
    let _logging = tracing::subscriber::set_default(subscriber);

    let h = Harness::new(quick_limits());
    let form_token = h.token_aged(60);
    let answers = with(valid(), &[("token", Some(&form_token))]);
    let (r, page) = h.post_form(&encode(&answers)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{page}");
    let reference = reference_of(&location(&r));

    // The coordinator opens her link, then a tampered copy of it, then validates.
    let link = link_in_mail(&h, &format!("{reference}-coordination"), "/api/demandes/").await;
    let (path, coordinator_token) = split(&link);
    assert_eq!(h.get(&link).await.0.status(), StatusCode::OK);
    let tampered = format!("{path}?jeton={}x", coordinator_token);
    assert_eq!(h.get(&tampered).await.0.status(), StatusCode::BAD_REQUEST);
    let case = h.app.store.case(&reference).await.unwrap().unwrap();
    let proposal = case.current_proposal().unwrap().to_string();
    let decided = post(
        &h,
        &path,
        &[
            ("jeton", &coordinator_token),
            ("proposition", &proposal),
            ("decision", "valider"),
            ("qui", "0"),
        ],
    )
    .await;
    assert_eq!(decided, StatusCode::OK);

    // The doctor opens his link and accepts; the patient is told; the jobs run.
    let link = link_in_mail(&h, &format!("{proposal}-medecin"), "/api/propositions/").await;
    let (path, doctor_token) = split(&link);
    assert_eq!(h.get(&link).await.0.status(), StatusCode::OK);
    let answered = post(
        &h,
        &path,
        &[("jeton", &doctor_token), ("reponse", "accepter")],
    )
    .await;
    assert_eq!(answered, StatusCode::SEE_OTHER);
    h.app.run_jobs(functions::now()).await.unwrap();
    h.app.deliver_due(i64::MAX / 2).await;

    let logs = buffer.text();
    // Something was logged, by id: the test cannot pass by logging nothing.
    assert!(logs.contains(&reference), "no reference in:\n{logs}");
    assert!(logs.contains(&proposal), "no proposal id in:\n{logs}");
    assert!(logs.contains("demande enregistrée"), "{logs}");
    assert!(
        logs.contains("/api/demandes/{object}"),
        "routes by pattern:\n{logs}"
    );
    assert!(logs.contains("/api/propositions/{object}"), "{logs}");

    let mut private: Vec<String> = answers
        .iter()
        .filter(|(field, _)| {
            ["last_name", "first_name", "birth_date", "phone", "email"].contains(field)
        })
        .map(|(_, value)| value.clone())
        .collect();
    assert_eq!(private.len(), 5, "{answers:?}");
    private.extend(
        [
            "Dupré",
            "Léa",
            "1950-07-14",
            "0612345678",
            "+33612345678",
            "lea.dupre",
            "retired",
            "pregnan",
            "10.0.0.1",
        ]
        .map(String::from),
    );
    for value in &private {
        assert!(
            !logs.contains(value.as_str()),
            "« {value} » in the logs:\n{logs}"
        );
    }
    assert!(!logs.contains('@'), "an email address in the logs:\n{logs}");
    for token in [&form_token, &coordinator_token, &doctor_token] {
        assert!(
            !logs.contains(token.as_str()),
            "a token in the logs:\n{logs}"
        );
    }
    for marker in ["jeton=", "v1."] {
        assert!(!logs.contains(marker), "« {marker} » in the logs:\n{logs}");
    }
}

/// Staff sign-in, a session's page and sign-out, logged at every level: neither the address,
/// the name, the link's token, the cookie nor the CSRF token appears.
#[tokio::test]
async fn staff_sign_in_logs_no_address_name_or_token() {
    let buffer = Buffer::default();
    let lines = buffer.clone();
    let subscriber = tracing_subscriber::registry()
        .with(LevelFilter::TRACE)
        .with(tracing_subscriber::fmt::layer().with_writer(move || lines.clone()));
    let _logging = tracing::subscriber::set_default(subscriber);

    let h = Harness::new(quick_limits());
    let email = "coordination.sedanais@example.org";
    let ask = |address: &str| {
        Request::post("/espace/")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "127.0.0.1:8000")
            .header(header::ORIGIN, BASE)
            .body(Body::from(format!("courriel={address}")))
            .unwrap()
    };
    assert_eq!(h.send(ask(email)).await.0.status(), StatusCode::OK);
    assert_eq!(
        h.send(ask("inconnu@example.org")).await.0.status(),
        StatusCode::OK
    );
    let mail = h.app.store.due_mails(i64::MAX / 2, 10).await.unwrap();
    let text = &mail[0].mail.text;
    let link = text
        .lines()
        .find(|l| l.starts_with(&format!("{BASE}/espace/connexion/")))
        .unwrap();
    let (path, token) = split(&link[BASE.len()..]);
    let sign_in = Request::post(&path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:8000")
        .header(header::ORIGIN, BASE)
        .body(Body::from(
            form_urlencoded::Serializer::new(String::new())
                .append_pair("jeton", &token)
                .finish(),
        ))
        .unwrap();
    let (r, _) = h.send(sign_in).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = r.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let secret = cookie.split_once('=').unwrap().1.to_string();
    let home = Request::get("/espace/")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    let (r, page) = h.send(home).await;
    assert_eq!(r.status(), StatusCode::OK);
    let start = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = page[start..start + page[start..].find('"').unwrap()].to_string();

    let logs = buffer.text();
    assert!(logs.contains("/espace/"), "the routes are logged:\n{logs}");
    for secret_text in [
        email,
        "inconnu@example.org",
        "Mélanie",
        "Gosset",
        &token,
        &secret,
        &csrf,
    ] {
        assert!(
            !logs.contains(secret_text),
            "{secret_text} in the logs:\n{logs}"
        );
    }
}

/// A doctor's standing link asked for, opened, used to declare and to confirm, and a tampered
/// one: neither his address, his name, nor the token appears.
#[tokio::test]
async fn the_doctors_standing_link_logs_no_address_name_or_token() {
    let buffer = Buffer::default();
    let lines = buffer.clone();
    let subscriber = tracing_subscriber::registry()
        .with(LevelFilter::TRACE)
        .with(tracing_subscriber::fmt::layer().with_writer(move || lines.clone()));
    let _logging = tracing::subscriber::set_default(subscriber);

    let h = Harness::new(quick_limits());
    let email = "dr.claire.vautrin@example.org";
    let ask = "/api/medecins/lien";
    assert_eq!(post(&h, ask, &[("courriel", email)]).await, StatusCode::OK);
    assert_eq!(
        post(&h, ask, &[("courriel", "x@example.org")]).await,
        StatusCode::OK
    );
    let mails = h.app.store.due_mails(i64::MAX / 2, 10).await.unwrap();
    let text = &mails[0].mail.text;
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{BASE}/api/medecins/")))
        .unwrap();
    let (path, token) = split(&line[BASE.len()..]);
    let (r, _) = h
        .send(
            Request::get(line[BASE.len()..].to_string())
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let declared = [
        ("jeton", token.as_str()),
        ("statut", "non"),
        ("capacite", "3"),
    ];
    assert_eq!(post(&h, &path, &declared).await, StatusCode::OK);
    let confirmed = [("jeton", token.as_str()), ("action", "confirmer")];
    assert_eq!(post(&h, &path, &confirmed).await, StatusCode::OK);
    let tampered = format!("{path}?jeton=v1.k1.declaration.med-001.1.x");
    let (r, _) = h
        .send(Request::get(tampered).body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    let logs = buffer.text();
    assert!(logs.contains("/api/medecins/{object}"), "{logs}");
    assert!(logs.contains("déclaration enregistrée"), "{logs}");
    for secret in [
        email,
        "x@example.org",
        "Claire",
        "Vautrin",
        &token,
        "jeton=",
    ] {
        assert!(!logs.contains(secret), "« {secret} » in the logs:\n{logs}");
    }
}
