//! Staff sign-in without passwords (issue #13), through the Router on real SQLite: the emailed
//! single-use link, the session cookie, its refusals, sign-out, and the scope of each role on the
//! coordinator's request page and the overview.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use functions::domain::staff::Session;
use functions::sessions::sha256_hex;
use functions::store::Store;

const BASE: &str = "http://127.0.0.1:8000";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
const CHROME: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36";

/// Coordinator of the Sedanais, coordinator of the Rethélois, territory coordination,
/// communication (content/territory/cpts.toml).
const SEDAN: &str = "coordination.sedanais@example.org";
const RETHEL: &str = "coordination.rethelois@example.org";
const TERRITORY: &str = "numero-unique@example.org";
const COMMUNICATION: &str = "communication@example.org";

fn post(uri: &str, body: &str, agent: &str, cookie: Option<&str>) -> Request<Body> {
    let mut r = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:8000")
        .header(header::ORIGIN, BASE)
        .header("sec-fetch-site", "same-origin")
        .header(header::USER_AGENT, agent);
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(Body::from(body.to_string())).unwrap()
}

fn get(uri: &str, agent: &str, cookie: Option<&str>) -> Request<Body> {
    let mut r = Request::get(uri)
        .header(header::HOST, "127.0.0.1:8000")
        .header(header::USER_AGENT, agent);
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(Body::empty()).unwrap()
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// The sign-in mails queued, as (to, text).
async fn sign_in_mails(h: &Harness) -> Vec<(Vec<String>, String)> {
    h.app
        .store
        .due_mails(i64::MAX / 2, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.mail.id.starts_with("connexion-"))
        .map(|m| (m.mail.to, m.mail.text))
        .collect()
}

/// Asks for a link for `email` and returns the path of the one mailed (with its token).
async fn ask_link(h: &Harness, email: &str) -> String {
    let before = sign_in_mails(h).await.len();
    let (r, page) = h
        .send(post(
            "/espace/",
            &form(&[("courriel", email)]),
            FIREFOX,
            None,
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    let mails = sign_in_mails(h).await;
    assert_eq!(mails.len(), before + 1, "one more sign-in mail");
    let text = &mails.last().unwrap().1;
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{BASE}/espace/connexion/")))
        .unwrap_or_else(|| panic!("no link in {text}"));
    line[BASE.len()..].to_string()
}

fn token_of(link: &str) -> (String, String) {
    let (path, query) = link.split_once('?').unwrap();
    let token = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "jeton")
        .unwrap()
        .1
        .into_owned();
    (path.to_string(), token)
}

/// Signs `email` in with browser `agent`; returns the `Cookie` header to send.
async fn sign_in(h: &Harness, email: &str, agent: &str) -> String {
    let link = ask_link(h, email).await;
    let (path, token) = token_of(&link);
    let (r, page) = h
        .send(post(&path, &form(&[("jeton", &token)]), agent, None))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{page}");
    assert_eq!(location(&r), "/espace/");
    let set = r.headers()[header::SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_string()
}

/// The CSRF token on the signed-in home page.
async fn csrf(h: &Harness, cookie: &str, agent: &str) -> String {
    let (r, page) = h.send(get("/espace/", agent, Some(cookie))).await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    let start = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn a_listed_address_gets_a_link_and_an_unlisted_one_the_same_page_and_no_mail() {
    let h = Harness::new(quick_limits());
    let (r, page) = h.send(get("/espace/", FIREFOX, None)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(page.contains("Votre adresse de courriel"), "{page}");

    let unlisted = "quelquun@example.org";
    let (_, unlisted_page) = h
        .send(post(
            "/espace/",
            &form(&[("courriel", unlisted)]),
            FIREFOX,
            None,
        ))
        .await;
    assert!(
        sign_in_mails(&h).await.is_empty(),
        "no mail for an unlisted address"
    );
    let (r, listed_page) = h
        .send(post(
            "/espace/",
            &form(&[("courriel", SEDAN)]),
            FIREFOX,
            None,
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        unlisted_page.replace(unlisted, "X"),
        listed_page.replace(SEDAN, "X"),
        "the same answer either way"
    );
    let mails = sign_in_mails(&h).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].0, [SEDAN]);
    // No personal data: not her name, not her id, only the link.
    for word in ["Mélanie", "Gosset", "melanie-gosset"] {
        assert!(
            !mails[0].1.contains(word),
            "{word} in the mail: {}",
            mails[0].1
        );
    }
    // The mail as sent (both parts): the same.
    h.app.deliver_due(i64::MAX / 2).await;
    let sent: Vec<String> = outbox_files(&h.outbox_dir())
        .iter()
        .map(|raw| decode_mail(raw))
        .collect();
    assert_eq!(sent.len(), 1);
    for word in ["Mélanie", "Gosset", "melanie-gosset"] {
        assert!(!sent[0].contains(word), "{word} in the mail sent");
    }
    // Case and spaces ignored.
    ask_link(&h, "  Coordination.Sedanais@Example.ORG ").await;
}

#[tokio::test]
async fn sign_in_mails_are_bounded_per_address_without_saying_so() {
    let h = Harness::new(quick_limits());
    let mut pages = Vec::new();
    for _ in 0..7 {
        let (r, page) = h
            .send(post(
                "/espace/",
                &form(&[("courriel", SEDAN)]),
                FIREFOX,
                None,
            ))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        pages.push(page);
    }
    assert_eq!(sign_in_mails(&h).await.len(), 5);
    assert!(
        pages.windows(2).all(|w| w[0] == w[1]),
        "the same page throughout"
    );
}

#[tokio::test]
async fn get_and_head_of_the_link_sign_no_one_in_and_post_signs_in_once() {
    let h = Harness::new(quick_limits());
    let link = ask_link(&h, SEDAN).await;
    let (path, token) = token_of(&link);
    for method in ["GET", "HEAD"] {
        let request = Request::builder()
            .method(method)
            .uri(&link)
            .header(header::USER_AGENT, "MailScanner/1.0")
            .body(Body::empty())
            .unwrap();
        let (r, page) = h.send(request).await;
        assert_eq!(r.status(), StatusCode::OK, "{method}");
        assert!(r.headers().get(header::SET_COOKIE).is_none(), "{method}");
        if method == "GET" {
            assert!(page.contains("Se connecter"), "{page}");
            assert!(page.contains("Mélanie Gosset"), "{page}");
        }
    }
    // The link still works after the scanner's visits.
    let (r, page) = h
        .send(post(&path, &form(&[("jeton", &token)]), FIREFOX, None))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{page}");
    let set = r.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(set.starts_with("cpts_session="), "{set}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=36000"] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    assert!(!set.contains("Secure"), "not over plain http: {set}");
    let cookie = set.split(';').next().unwrap();
    let (r, page) = h.send(get("/espace/", FIREFOX, Some(cookie))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(page.contains("Mélanie Gosset") && page.contains("coordination de la CPTS"));
    assert!(page.contains("/api/coordination/portes-du-luxembourg-et-du-sedanais"));
    assert!(!page.contains("/api/coordination/rethelois"));

    // Used twice: refused, nothing opened.
    let (r, page) = h
        .send(post(&path, &form(&[("jeton", &token)]), CHROME, None))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(page.contains("déjà utilisé"), "{page}");
    assert!(r.headers().get(header::SET_COOKIE).is_none());

    let trail = h
        .app
        .store
        .audit_trail("staff:melanie-gosset")
        .await
        .unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["sign-in-link-sent", "signed-in"]);
    assert!(trail.iter().all(|e| e.actor == "staff:melanie-gosset"));
}

#[tokio::test]
async fn expired_and_invalid_links_have_their_own_pages() {
    let h = Harness::new(quick_limits());
    let link = ask_link(&h, SEDAN).await;
    let (path, token) = token_of(&link);
    let object = path.trim_start_matches("/espace/connexion/");
    let expired = h.app.keys.sign("connexion", object, functions::now() - 1);
    let (r, page) = h
        .send(post(&path, &form(&[("jeton", &expired)]), FIREFOX, None))
        .await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(page.contains("expiré"), "{page}");
    let (r, _) = h
        .send(get(&format!("{path}?jeton={expired}"), FIREFOX, None))
        .await;
    assert_eq!(r.status(), StatusCode::GONE);
    let tampered = token.replacen('.', ".x", 1);
    let (r, page) = h
        .send(post(&path, &form(&[("jeton", &tampered)]), FIREFOX, None))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(page.contains("non valide"), "{page}");
    // The real one still works: the failures changed nothing.
    let (r, _) = h
        .send(post(&path, &form(&[("jeton", &token)]), FIREFOX, None))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_session_from_another_browser_or_expired_is_refused() {
    let h = Harness::new(quick_limits());
    let cookie = sign_in(&h, SEDAN, FIREFOX).await;
    let (r, page) = h.send(get("/espace/", CHROME, Some(&cookie))).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(page.contains("autre navigateur"), "{page}");
    // Still valid in its own browser.
    let (r, _) = h.send(get("/espace/", FIREFOX, Some(&cookie))).await;
    assert_eq!(r.status(), StatusCode::OK);

    let now = functions::now();
    h.app
        .store
        .open_session(&Session {
            id_hash: sha256_hex("old-secret"),
            staff: "melanie-gosset".into(),
            created_at: now - 40_000,
            expires_at: now - 4_000,
            agent_hash: sha256_hex(FIREFOX),
            csrf: "c".into(),
        })
        .await
        .unwrap();
    let (r, page) = h
        .send(get("/espace/", FIREFOX, Some("cpts_session=old-secret")))
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(page.contains("Session expirée"), "{page}");
    let (r, page) = h
        .send(get("/espace/", FIREFOX, Some("cpts_session=never-issued")))
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(page.contains("Connexion nécessaire"), "{page}");
}

#[tokio::test]
async fn sign_out_needs_the_csrf_token_and_revokes_server_side() {
    let h = Harness::new(quick_limits());
    let cookie = sign_in(&h, SEDAN, FIREFOX).await;
    let token = csrf(&h, &cookie, FIREFOX).await;
    // Without the token, or from another site: refused, still signed in.
    let (r, _) = h
        .send(post("/espace/deconnexion", "", FIREFOX, Some(&cookie)))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let mut other_site = post(
        "/espace/deconnexion",
        &form(&[("csrf", &token)]),
        FIREFOX,
        Some(&cookie),
    );
    other_site
        .headers_mut()
        .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    other_site
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    let (r, _) = h.send(other_site).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (r, _) = h.send(get("/espace/", FIREFOX, Some(&cookie))).await;
    assert_eq!(r.status(), StatusCode::OK, "still signed in");

    let (r, page) = h
        .send(post(
            "/espace/deconnexion",
            &form(&[("csrf", &token)]),
            FIREFOX,
            Some(&cookie),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    assert!(
        r.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    // The cookie replayed: the server no longer knows it.
    let (r, page) = h.send(get("/espace/", FIREFOX, Some(&cookie))).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(page.contains("Connexion nécessaire"), "{page}");
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_browser() {
    let h = Harness::new(quick_limits());
    let firefox = sign_in(&h, SEDAN, FIREFOX).await;
    let chrome = sign_in(&h, SEDAN, CHROME).await;
    let other = sign_in(&h, RETHEL, CHROME).await;
    let token = csrf(&h, &firefox, FIREFOX).await;
    let (r, _) = h
        .send(post(
            "/espace/deconnexion-partout",
            &form(&[("csrf", &token)]),
            FIREFOX,
            Some(&firefox),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    for (cookie, agent) in [(&firefox, FIREFOX), (&chrome, CHROME)] {
        let (r, _) = h.send(get("/espace/", agent, Some(cookie))).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let (r, _) = h.send(get("/espace/", CHROME, Some(&other))).await;
    assert_eq!(r.status(), StatusCode::OK, "another person stays signed in");
    let trail = h
        .app
        .store
        .audit_trail("staff:melanie-gosset")
        .await
        .unwrap();
    assert!(trail.iter().any(|e| e.action == "signed-out-everywhere"));
}

#[tokio::test]
async fn each_role_sees_only_its_scope() {
    let h = Harness::new(quick_limits());
    // A request from Sedan: the Sedanais CPTS.
    let body = encode(&with(valid(), &[("token", Some(&h.token_aged(60)))]));
    let (r, page) = h.post_form(&body).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{page}");
    let reference = reference_of(&location(&r));
    let request_page = format!("/api/demandes/{reference}");
    let sedan_overview = "/api/coordination/portes-du-luxembourg-et-du-sedanais";

    let sedan = sign_in(&h, SEDAN, FIREFOX).await;
    let (r, page) = h.send(get(&request_page, FIREFOX, Some(&sedan))).await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    assert!(page.contains("Dupré-Lefèvre"), "her request");
    let (r, _) = h.send(get(sedan_overview, FIREFOX, Some(&sedan))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (r, _) = h
        .send(get(
            &format!("{sedan_overview}/export.csv"),
            FIREFOX,
            Some(&sedan),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (r, _) = h
        .send(get("/api/coordination/rethelois", FIREFOX, Some(&sedan)))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let rethel = sign_in(&h, RETHEL, FIREFOX).await;
    let (r, page) = h.send(get(&request_page, FIREFOX, Some(&rethel))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!page.contains("Dupré"), "nothing of the request shown");
    let token = csrf(&h, &rethel, FIREFOX).await;
    let (r, _) = h
        .send(post(
            &request_page,
            &form(&[
                ("jeton", &token),
                ("decision", "clore"),
                ("motif", "trouve_seul"),
            ]),
            FIREFOX,
            Some(&rethel),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let case = h.app.store.case(&reference).await.unwrap().unwrap();
    assert_ne!(case.state, functions::domain::lifecycle::CaseState::Closed);

    let territory = sign_in(&h, TERRITORY, FIREFOX).await;
    let (r, _) = h.send(get(&request_page, FIREFOX, Some(&territory))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (r, _) = h
        .send(get(
            "/api/coordination/hors-cpts",
            FIREFOX,
            Some(&territory),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    let communication = sign_in(&h, COMMUNICATION, FIREFOX).await;
    let (r, page) = h.send(get("/espace/", FIREFOX, Some(&communication))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(page.contains("ne donne pas accès aux demandes"), "{page}");
    for path in [request_page.as_str(), sedan_overview] {
        let (r, _) = h.send(get(path, FIREFOX, Some(&communication))).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }

    // Without a cookie or a token: the link's own error, as before.
    let (r, _) = h.send(get(&request_page, FIREFOX, None)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // The Sedanais coordinator's decision, from the session: audited staff:<id>, her name shown.
    let token = csrf(&h, &sedan, FIREFOX).await;
    let current = h.app.store.case(&reference).await.unwrap().unwrap();
    let current = current.current_proposal().unwrap_or("").to_string();
    let (r, page) = h
        .send(post(
            &request_page,
            &form(&[
                ("jeton", &token),
                ("proposition", &current),
                ("decision", "clore"),
                ("motif", "trouve_seul"),
            ]),
            FIREFOX,
            Some(&sedan),
        ))
        .await;
    assert!(r.status().is_success(), "{}: {page}", r.status());
    let case = h.app.store.case(&reference).await.unwrap().unwrap();
    let closure = case.closure.expect("closed");
    assert_eq!(closure.by, "Mélanie Gosset");
    let trail = h.app.store.audit_trail(&reference).await.unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == "closed" && e.actor == "staff:melanie-gosset"),
        "{trail:?}"
    );
    assert!(trail.iter().all(|e| !e.actor.contains("Gosset")));
}

#[tokio::test]
async fn over_https_the_cookie_is_host_prefixed_and_secure() {
    let h = Harness::new(quick_limits());
    let mut config = h.app.config.clone();
    config.public_url = "https://medecin.example.org".into();
    let app = functions::App::new(
        config,
        demo_territory(),
        h.app.keys.clone(),
        functions::store::SqliteStore::in_memory().unwrap(),
        functions::mail::Outbox {
            dir: h.dir.path().join("outbox-https"),
            from: "CPTS <ne-pas-repondre@example.org>".into(),
            print_paths: false,
        },
    );
    let router = || functions::router(Arc::clone(&app));
    use tower::ServiceExt;
    let r = router()
        .oneshot(post(
            "/espace/",
            &form(&[("courriel", SEDAN)]),
            FIREFOX,
            None,
        ))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let mail = app.store.due_mails(i64::MAX / 2, 10).await.unwrap();
    let text = &mail[0].mail.text;
    let line = text
        .lines()
        .find(|l| l.starts_with("https://medecin.example.org/espace/connexion/"))
        .unwrap();
    let (path, token) = token_of(&line["https://medecin.example.org".len()..]);
    let r = router()
        .oneshot(post(&path, &form(&[("jeton", &token)]), FIREFOX, None))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set = r.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(set.starts_with("__Host-cpts_session="), "{set}");
    assert!(set.contains("; Secure") && set.contains("Path=/") && !set.contains("Domain"));
}

/// The intake form's token, read from the page the signed-in person sees.
fn field_value(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name}"))
        + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn a_request_taken_by_phone_needs_a_session_with_access_to_requests() {
    let h = Harness::new(quick_limits());
    let intake = "/espace/demandes/nouvelle";
    // Not signed in: the sign-in page, nothing stored.
    let (r, _) = h.send(get(intake, FIREFOX, None)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Communication staff may not see requests: nor take one.
    let communication = sign_in(&h, COMMUNICATION, FIREFOX).await;
    let (r, _) = h.send(get(intake, FIREFOX, Some(&communication))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let tele = sign_in(&h, "telesecretariat@example.org", FIREFOX).await;
    let (r, home) = h.send(get("/espace/", FIREFOX, Some(&tele))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        home.contains(intake),
        "the home page leads to the intake form"
    );
    let (r, page) = h.send(get(intake, FIREFOX, Some(&tele))).await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    let csrf = field_value(&page, "csrf");
    let token = field_value(&page, "token");
    let today = chrono::Local::now()
        .date_naive()
        .format("%d/%m/%Y")
        .to_string();
    let mut answers = with(valid(), &[("token", Some(&token)), ("csrf", Some(&csrf))]);
    answers.extend(
        [
            ("channel", "telephone"),
            ("received_on", today.as_str()),
            ("caller_relation", "person"),
        ]
        .map(|(k, v)| (k, v.to_string())),
    );
    let body = encode(&answers);

    // Without the session's token, or from another origin: refused, nothing stored.
    let forged = encode(&with(answers.clone(), &[("csrf", Some("forged"))]));
    let (r, _) = h.send(post(intake, &forged, FIREFOX, Some(&tele))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let mut other_origin = post(intake, &body, FIREFOX, Some(&tele));
    other_origin
        .headers_mut()
        .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    let (r, _) = h.send(other_origin).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        h.app
            .store
            .cases(&functions::domain::lifecycle::CaseState::ALL, None)
            .await
            .unwrap()
            .is_empty(),
        "nothing stored by a refused form"
    );

    let (r, page) = h.send(post(intake, &body, FIREFOX, Some(&tele))).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{page}");
    let cases = h
        .app
        .store
        .cases(&functions::domain::lifecycle::CaseState::ALL, None)
        .await
        .unwrap();
    assert_eq!(cases.len(), 1);
    let reference = &cases[0].reference;
    let request = h.app.store.request(reference).await.unwrap().unwrap();
    assert_eq!(request.channel.code(), "telephone");
    let trail = h.app.store.audit_trail(reference).await.unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == "registered" && e.actor == "staff:thomas-renard"),
        "{trail:?}"
    );
    assert!(page.contains(&format!("/api/demandes/{reference}")));
    assert!(!page.contains("Doublon possible"), "{page}");

    // She finds it again by the name without accents and a typo, or by the phone in another
    // format; a coordinator of another CPTS does not.
    for q in ["dupre-lefevre", "Dupre Lefebvre", "+33612345678"] {
        let url = format!(
            "/espace/recherche?q={}",
            form(&[("", q)]).trim_start_matches('=')
        );
        let (r, found) = h.send(get(&url, FIREFOX, Some(&tele))).await;
        assert_eq!(r.status(), StatusCode::OK, "{found}");
        assert!(found.contains(reference.as_str()), "{q}: {found}");
    }
    let rethel = sign_in(&h, RETHEL, FIREFOX).await;
    let (r, found) = h
        .send(get("/espace/recherche?q=dupre", FIREFOX, Some(&rethel)))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!found.contains(reference.as_str()), "{found}");
    let (r, _) = h
        .send(get(
            "/espace/recherche?q=dupre",
            FIREFOX,
            Some(&communication),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The same person calls again: the new request is stored, and both pages flag the other.
    let (_, page) = h.send(get(intake, FIREFOX, Some(&tele))).await;
    let again = encode(&with(
        answers.clone(),
        &[("token", Some(&field_value(&page, "token")))],
    ));
    let (r, page) = h.send(post(intake, &again, FIREFOX, Some(&tele))).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{page}");
    assert!(page.contains("Doublon possible"), "{page}");
    assert!(page.contains(&format!("Demande {reference}")), "{page}");
    let (_, request_page) = h
        .send(get(
            &format!("/api/demandes/{reference}"),
            FIREFOX,
            Some(&tele),
        ))
        .await;
    assert!(request_page.contains("Doublon possible"), "{request_page}");
}

#[tokio::test]
async fn a_coordinator_cannot_act_on_another_cpts_request() {
    let h = Harness::new(quick_limits());
    let body = encode(&with(valid(), &[("token", Some(&h.token_aged(60)))]));
    let (r, page) = h.post_form(&body).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{page}");
    let reference = reference_of(&location(&r));
    let before = h.app.store.case(&reference).await.unwrap().unwrap();

    let rethel = sign_in(&h, RETHEL, FIREFOX).await;
    let token = csrf(&h, &rethel, FIREFOX).await;
    let note = form(&[
        ("jeton", &token),
        ("decision", "note"),
        ("note", "Rappeler lundi."),
    ]);
    let (r, _) = h
        .send(post(
            &format!("/api/demandes/{reference}"),
            &note,
            FIREFOX,
            Some(&rethel),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(h.app.store.case(&reference).await.unwrap().unwrap(), before);
    assert!(h.app.store.timeline(&reference).await.unwrap().is_empty());

    // Her colleague of the Sedanais may: audited with her id, not her name.
    let sedan = sign_in(&h, SEDAN, FIREFOX).await;
    let token = csrf(&h, &sedan, FIREFOX).await;
    let note = form(&[
        ("jeton", &token),
        ("decision", "note"),
        ("note", "Rappeler lundi."),
    ]);
    let (r, page) = h
        .send(post(
            &format!("/api/demandes/{reference}"),
            &note,
            FIREFOX,
            Some(&sedan),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    let trail = h.app.store.audit_trail(&reference).await.unwrap();
    let last = trail.last().unwrap();
    assert_eq!(last.actor, "staff:melanie-gosset", "{trail:?}");
}
