//! Joining end to end through the Router on real SQLite (issue #15 item 4): the public form
//! (errors in French with the answers kept, stored = said stored, rate-limited per address), the
//! coordinator's list with « Accepter » / « Refuser » (signed in, CSRF, her CPTS only), and the
//! roster export.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use functions::store::Store;

const AGENT: &str = STAFF_AGENT;
const FORM: &str = "/api/medecins/rejoindre";

fn post(uri: &str, body: &str, cookie: Option<&str>, client: &str) -> Request<Body> {
    let mut request = form_request(body, client);
    *request.uri_mut() = uri.parse().unwrap();
    request
        .headers_mut()
        .insert(header::USER_AGENT, AGENT.parse().unwrap());
    if let Some(c) = cookie {
        request
            .headers_mut()
            .insert(header::COOKIE, c.parse().unwrap());
    }
    request
}

fn get(uri: &str, cookie: &str) -> Request<Body> {
    staff_get(uri, cookie)
}

/// The value of the hidden field `name` on `page`.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

fn answers(token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("token", token.to_string()),
        ("name", "Dr Inès Morel".into()),
        ("commune", "Rethel (08300)".into()),
        ("email", "ines.morel@example.org".into()),
        ("phone", "".into()),
        ("status", "accepte_maintenant".into()),
        ("capacity", "12".into()),
    ]
}

/// Signs `email` in; returns the cookie to send.
async fn sign_in(h: &Harness, email: &str) -> String {
    staff_cookie(h, email).await
}

#[tokio::test]
async fn a_doctor_offers_to_join_and_the_coordinator_accepts_him() {
    let h = Harness::new(quick_limits());
    let (r, page) = h.get(FORM).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(page.contains("Rethel (08300)"), "the communes' list");
    assert!(
        !page.contains("name=\"public\" value=\"oui\" checked"),
        "public naming unchecked"
    );
    let token = hidden(&page, "token");

    // Errors: in French, next to their field, every answer kept, nothing stored.
    let mut bad = answers(&token);
    bad.retain(|(k, _)| !matches!(*k, "email" | "capacity"));
    bad.push(("capacity", "beaucoup".into()));
    bad.push(("home_visits", "oui".into()));
    let (r, page) = h.send(post(FORM, &encode(&bad), None, "10.0.0.1")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Indiquez votre adresse de courriel complète"),
        "{page}"
    );
    assert!(
        page.contains("combien de kilomètres vous faites des visites"),
        "{page}"
    );
    assert!(page.contains("value=\"Dr Inès Morel\""), "answers kept");
    assert!(h.app.store.join_offers(None).await.unwrap().is_empty());

    let (r, page) = h
        .send(post(FORM, &encode(&answers(&token)), None, "10.0.0.1"))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    assert!(page.contains("Votre proposition est enregistrée"), "{page}");
    let offers = h.app.store.join_offers(None).await.unwrap();
    assert_eq!(offers.len(), 1, "stored as said");
    // Sent twice: stored once.
    let (_, page) = h
        .send(post(FORM, &encode(&answers(&token)), None, "10.0.0.1"))
        .await;
    assert!(page.contains("déjà envoyé"), "{page}");
    assert_eq!(h.app.store.join_offers(None).await.unwrap().len(), 1);

    // The Vouzinois' coordinator does not see it; the Rethélois' does.
    let other = sign_in(&h, "coordination.vouzinois@example.org").await;
    let (_, page) = h.send(get("/espace/medecins", &other)).await;
    assert!(page.contains("Aucune proposition en attente"), "{page}");
    let cookie = sign_in(&h, "coordination.rethelois@example.org").await;
    let (r, page) = h.send(get("/espace/", &cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        page.contains("/espace/medecins"),
        "linked from the workspace"
    );
    let (r, page) = h.send(get("/espace/medecins", &cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        page.contains("Dr Inès Morel") && page.contains("Accepter"),
        "{page}"
    );
    let csrf = hidden(&page, "csrf");
    let accept = format!("/espace/medecins/{}/accepter", offers[0].id);

    // Without the session's token: refused, nothing decided.
    let (r, _) = h
        .send(post(&accept, "csrf=faux", Some(&cookie), "10.0.0.2"))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        h.app
            .store
            .join_offer(&offers[0].id)
            .await
            .unwrap()
            .unwrap()
            .is_pending()
    );

    let (r, page) = h
        .send(post(
            &accept,
            &format!("csrf={csrf}"),
            Some(&cookie),
            "10.0.0.2",
        ))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{page}");
    let decided = h
        .app
        .store
        .join_offer(&offers[0].id)
        .await
        .unwrap()
        .unwrap();
    let doctor = decided.doctor_id().expect("accepted").to_string();
    assert!(decided.decision.unwrap().by.starts_with("staff:"));
    assert!(h.app.current_territory().await.doctor(&doctor).is_some());
    let (_, page) = h.send(get("/espace/medecins", &cookie)).await;
    assert!(page.contains("Aucune proposition en attente"), "{page}");

    // The export: doctors.csv with him in it.
    let (r, csv) = h.send(get("/espace/medecins/export.csv", &cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.starts_with("\u{feff}id;nom;commune;lat;lon;statut"),
        "{csv}"
    );
    assert!(
        csv.contains(&format!("\"{doctor}\";\"Dr Inès Morel\";\"08362\"")),
        "{csv}"
    );
    // The export opens in a spreadsheet and reads back with no error, as doctors.csv and as
    // doctors.xlsx (offered on the page too), him included.
    let (_, page) = h.send(get("/espace/medecins", &cookie)).await;
    assert!(
        page.contains("href=\"/espace/medecins/export.xlsx\""),
        "{page}"
    );
    let (r, xlsx) = h
        .send_bytes(get("/espace/medecins/export.xlsx", &cookie))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    for (name, bytes) in [("doctors.csv", csv.as_bytes()), ("doctors.xlsx", &xlsx[..])] {
        let folder = tempfile::tempdir().unwrap();
        for file in ["communes.geojson", "cpts.toml"] {
            std::fs::copy(
                content_dir().join("territory").join(file),
                folder.path().join(file),
            )
            .unwrap();
        }
        std::fs::write(folder.path().join(name), bytes).unwrap();
        let loaded = territory::load(folder.path(), chrono::Local::now().date_naive());
        let errors: Vec<String> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.to_string())
            .collect();
        assert_eq!(errors, Vec::<String>::new(), "{name}");
        let read = loaded.territory.unwrap();
        let current = h.app.current_territory().await;
        assert_eq!(read.doctors.len(), current.doctors.len(), "{name}");
        let his = read
            .doctor(&doctor)
            .expect("the accepted doctor is in the export");
        assert_eq!(his.name, "Dr Inès Morel", "{name}");
        assert_eq!(read.communes[his.commune].code, "08362", "{name}");
        for (back, d) in read.doctors.iter().zip(&current.doctors) {
            assert_eq!(
                (&back.id, back.availability, back.updated, back.location),
                (&d.id, d.availability, d.updated, d.location),
                "{name}"
            );
        }
    }

    // Signed out: no export.
    let (r, csv) = h.get("/espace/medecins/export.csv").await;
    assert_ne!(r.status(), StatusCode::OK);
    assert!(!csv.contains("med-001"));
}

#[tokio::test]
async fn offers_are_limited_per_address_and_the_limit_stores_nothing() {
    let limits = functions::Limits {
        per_address_per_hour: 1,
        ..quick_limits()
    };
    let h = Harness::new(limits);
    let token = h.app.join_token(functions::now());
    let (r, _) = h
        .send(post(FORM, &encode(&answers(&token)), None, "10.0.0.7"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let second = h.app.join_token(functions::now());
    let (r, page) = h
        .send(post(FORM, &encode(&answers(&second)), None, "10.0.0.7"))
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("est PAS enregistrée"), "{page}");
    assert!(page.contains("value=\"Dr Inès Morel\""), "answers kept");
    assert_eq!(h.app.store.join_offers(None).await.unwrap().len(), 1);
    // Another connection is not held up.
    let third = h.app.join_token(functions::now());
    let (r, _) = h
        .send(post(FORM, &encode(&answers(&third)), None, "10.0.0.8"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(h.app.store.join_offers(None).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_form_without_a_token_is_confirmed_before_it_is_stored() {
    let h = Harness::new(quick_limits());
    let (r, page) = h
        .send(post(FORM, &encode(&answers("")), None, "10.0.0.1"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(page.contains("est encore enregistré"), "{page}");
    assert!(h.app.store.join_offers(None).await.unwrap().is_empty());
    let token = hidden(&page, "token");
    assert!(!token.is_empty());
    let (_, page) = h
        .send(post(FORM, &encode(&answers(&token)), None, "10.0.0.1"))
        .await;
    assert!(page.contains("Votre proposition est enregistrée"), "{page}");
}
