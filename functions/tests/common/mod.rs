//! A real handler for tests: the demo territory, SQLite and the outbox in a temporary folder.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode, header};
use functions::mail::Outbox;
use functions::signed::KeyRing;
use functions::store::SqliteStore;
use functions::{App, Config, Limits, Phone};
use territory::Territory;
use tower::ServiceExt;

pub type TestApp = Arc<App<SqliteStore, Outbox>>;

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub app: TestApp,
}

pub fn content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../content")
}

pub fn demo_territory() -> Arc<Territory> {
    let today = chrono::Local::now().date_naive();
    let loaded = territory::load(&content_dir().join("territory"), today);
    Arc::new(loaded.territory.expect("the demo territory loads"))
}

pub fn config(limits: Limits) -> Config {
    Config {
        site_title: "Médecin traitant Ardennes".into(),
        phone: Some(Phone {
            number: "03 53 01 20 08".into(),
            international: "+33353012008".into(),
            hours: "du lundi au vendredi".into(),
        }),
        public_url: "http://127.0.0.1:8000".into(),
        allowed_origins: vec!["http://127.0.0.1:8000".into()],
        privacy_url: "/donnees-personnelles/".into(),
        mail_from: "CPTS <ne-pas-repondre@example.org>".into(),
        limits,
    }
}

/// Limits where a form may be sent at once (tests that check the fill time use their own).
pub fn quick_limits() -> Limits {
    Limits {
        min_fill_seconds: 0,
        ..Limits::default()
    }
}

impl Harness {
    pub fn new(limits: Limits) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox {
            dir: dir.path().join("outbox"),
            from: "CPTS <ne-pas-repondre@example.org>".into(),
            print_paths: false,
        };
        Self::with_outbox(dir, limits, outbox)
    }

    pub fn with_outbox(dir: tempfile::TempDir, limits: Limits, outbox: Outbox) -> Self {
        let store = SqliteStore::open(&dir.path().join("cpts.sqlite")).unwrap();
        let app = App::new(
            config(limits),
            demo_territory(),
            KeyRing::generate(),
            store,
            outbox,
        );
        Self { dir, app }
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.dir.path().join("outbox")
    }

    /// A token issued `age` seconds ago.
    pub fn token_aged(&self, age: i64) -> String {
        let ttl = self.app.config.limits.form_token_seconds;
        let nonce = functions::signed::random_id(16);
        self.app
            .keys
            .sign("form", &nonce, functions::now() - age + ttl)
    }

    pub async fn send(&self, request: Request<Body>) -> (Response<Body>, String) {
        let response = functions::router(Arc::clone(&self.app))
            .oneshot(request)
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 22).await.unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        (Response::from_parts(parts, Body::empty()), text)
    }

    /// The status, headers and raw bytes of a response (a workbook or a PDF is not text).
    pub async fn send_bytes(
        &self,
        request: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let response = functions::router(Arc::clone(&self.app))
            .oneshot(request)
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 22).await.unwrap();
        (parts.status, parts.headers, bytes.to_vec())
    }

    pub async fn post_form(&self, body: &str) -> (Response<Body>, String) {
        self.send(form_request(body, "10.0.0.1")).await
    }

    pub async fn get(&self, uri: &str) -> (Response<Body>, String) {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn pending(&self) -> usize {
        use functions::store::Store;
        self.app.store.pending_mail_count().await.unwrap()
    }
}

pub fn form_request(body: &str, client: &str) -> Request<Body> {
    let mut request = Request::post("/api/registrations")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:8000")
        .header(header::ORIGIN, "http://127.0.0.1:8000")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(body.to_string()))
        .unwrap();
    let address: SocketAddr = format!("{client}:50000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(address));
    request
}

/// A complete, valid set of answers.
pub fn valid() -> Vec<(&'static str, String)> {
    [
        ("gp_status", "none"),
        ("filled_by", "patient"),
        ("last_name", "Dupré-Lefèvre"),
        ("first_name", "Léa"),
        ("birth_date", "14/07/1950"),
        ("phone", "06 12 34 56 78"),
        ("email", "lea.dupre@example.fr"),
        ("call_time", "morning"),
        ("commune", "Sedan (08200)"),
        ("max_distance", "20"),
        ("home_visits", "no"),
        ("without_gp_since", "1to2y"),
        ("reason", "retired"),
        ("pregnancy", "oui"),
        ("ald", "oui"),
        ("consent", "oui"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}

/// Replaces (or adds, or with `None` removes) answers.
pub fn with(
    mut answers: Vec<(&'static str, String)>,
    changes: &[(&'static str, Option<&str>)],
) -> Vec<(&'static str, String)> {
    for (field, value) in changes {
        answers.retain(|(k, _)| k != field);
        if let Some(v) = value {
            answers.push((field, v.to_string()));
        }
    }
    answers
}

pub fn encode(answers: &[(&str, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in answers {
        s.append_pair(k, v);
    }
    s.finish()
}

pub fn location(response: &Response<Body>) -> String {
    response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The reference in "/api/registrations/<reference>/merci".
pub fn reference_of(location: &str) -> String {
    location
        .trim_start_matches("/api/registrations/")
        .trim_end_matches("/merci")
        .to_string()
}

/// Every .eml file in the outbox, as text.
pub fn outbox_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect()
}

#[path = "mail_text.rs"]
mod mail_text;
#[allow(unused_imports)]
pub use mail_text::decode_mail;

/// Pieces of the personal data in [`valid`] (name, first name — also quoted-printable —, phone,
/// birth date, email) and of the health answers, which no mail may contain.
pub const PERSONAL_DATA: &[&str] = &[
    "Dupr",
    "Lef",
    "Léa",
    "L=C3=A9a",
    "06 12",
    "0612",
    "612345678",
    "1950",
    "14/07",
    "lea.dupre",
    "grossesse",
    "enceinte",
    "ALD",
    "affection",
    "priorit",
    "Niveau",
];

/// The mail with its random parts (MIME boundary, reference, signed tokens, Message-ID) replaced
/// by fixed words, so that a test looking for personal data cannot be fooled by chance letters.
pub fn without_random_parts(mail: &str, reference: &str) -> String {
    let mut text = mail.replace(reference, "REFERENCE");
    if let Some(start) = text.find("boundary=\"") {
        let rest = &text[start + "boundary=\"".len()..];
        if let Some(end) = rest.find('"') {
            let boundary = rest[..end].to_string();
            text = text.replace(&boundary, "BOUNDARY");
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("jeton=") {
        out.push_str(&rest[..at + "jeton=".len()]);
        out.push_str("TOKEN");
        let after = &rest[at + "jeton=".len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.%=~".contains(c)))
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out.lines()
        .filter(|l| !l.starts_with("Message-ID:"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Validates the current proposal of `reference` and has its doctor accept.
pub async fn accepted(h: &Harness, reference: &str, now: i64) {
    use functions::store::Store;
    use functions::workflow::{Answer, Decision, Outcome};
    let case = h.app.store.case(reference).await.unwrap().unwrap();
    let id = case.current_proposal().unwrap().to_string();
    let validated = h
        .app
        .coordinator_decides(reference, Some(&id), Decision::Validate, "Claire", now)
        .await
        .unwrap();
    assert_eq!(validated, Outcome::Done);
    let answer = h
        .app
        .doctor_answers(&id, Answer::Accept, now)
        .await
        .unwrap();
    assert_eq!(answer, Outcome::Done);
}

/// The browser staff sign in with in the tests (a session is bound to its User-Agent).
pub const STAFF_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";

/// Signs `email` in (as [`STAFF_AGENT`]); returns the cookie to send.
pub async fn staff_cookie(h: &Harness, email: &str) -> String {
    use functions::store::Store;
    let now = functions::now();
    h.app.request_sign_in(email, now).await.unwrap();
    let mail = h
        .app
        .store
        .due_mails(i64::MAX / 2, 100)
        .await
        .unwrap()
        .into_iter()
        .rfind(|m| m.mail.to == [email.to_string()])
        .expect("sign-in mail")
        .mail;
    let link = mail
        .text
        .lines()
        .find(|l| l.contains("/espace/connexion/"))
        .unwrap();
    let (path, query) = link.split_once('?').unwrap();
    let object = path.rsplit('/').next().unwrap();
    let token = query.strip_prefix("jeton=").unwrap();
    let opened = h
        .app
        .sign_in(object, token, STAFF_AGENT, now)
        .await
        .unwrap();
    format!(
        "{}={}",
        functions::web::staff::cookie_name(&h.app.config.public_url),
        opened.secret
    )
}

/// A GET of `uri` by the signed-in browser of `cookie`.
pub fn staff_get(uri: &str, cookie: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::HOST, "127.0.0.1:8000")
        .header(header::USER_AGENT, STAFF_AGENT)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}
