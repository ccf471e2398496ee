//! The registration endpoint through the real Router, SQLite and outbox: round trips with and
//! without JavaScript, every abuse case storing nothing, mails kept when sending fails, and no
//! personal data in any email.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use functions::Limits;
use functions::mail::Outbox;
use functions::store::Store;

#[tokio::test]
async fn health() {
    let h = Harness::new(quick_limits());
    let (r, body) = h.get("/api/health").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body.contains(r#""status":"ok""#), "{body}");
}

#[tokio::test]
async fn no_js_errors_come_back_next_to_fields_with_every_answer_kept() {
    let h = Harness::new(quick_limits());
    let answers = with(
        valid(),
        &[
            ("phone", Some("06 12 34")),
            ("commune", Some("Paris")),
            ("consent", None),
        ],
    );
    let (r, body) = h.post_form(&encode(&answers)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("<title>Erreur : "),
        "title says there is an error"
    );
    assert!(body.contains("Il y a 3 problèmes dans le formulaire"));
    // The summary links to each field, in the form's order.
    let phone = body.find(r##"href="#f-phone""##).unwrap();
    let commune = body.find(r##"href="#f-commune""##).unwrap();
    let consent = body.find(r##"href="#f-consent""##).unwrap();
    assert!(phone < commune && commune < consent);
    // Each message sits next to its field, which points to it.
    assert!(body.contains(r#"id="f-phone-error""#));
    assert!(body.contains(r#"aria-describedby="f-phone-hint f-phone-error""#));
    assert!(body.contains("Un numéro français a 10 chiffres"));
    assert!(body.contains("Nous ne trouvons pas « Paris »"));
    // Every answer is kept, accents included.
    for kept in [
        r#"value="Dupré-Lefèvre""#,
        r#"value="Léa""#,
        r#"value="14/07/1950""#,
        r#"value="06 12 34""#,
        r#"value="Paris""#,
        r#"value="lea.dupre@example.fr""#,
        r#"value="morning" checked"#,
        r#"value="1to2y" checked"#,
        r#"id="f-pregnancy" name="pregnancy" value="oui" checked"#,
    ] {
        assert!(body.contains(kept), "{kept} kept");
    }
    assert!(!body.contains(r#"id="f-consent" name="consent" value="oui" checked"#));
    // A fresh signed token is added so the next send goes through.
    assert!(body.contains(r#"name="token" value="v1."#));
    assert_eq!(h.pending().await, 0);
}

#[tokio::test]
async fn no_js_valid_form_is_confirmed_once_then_stored() {
    let h = Harness::new(quick_limits());
    let (r, body) = h.post_form(&encode(&valid())).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body.contains("Vérifiez vos réponses"));
    assert_eq!(h.pending().await, 0, "nothing stored before confirmation");
    let token = body
        .split(r#"name="token" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let (r, _) = h
        .post_form(&encode(&with(valid(), &[("token", Some(&token))])))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let reference = reference_of(&location(&r));
    assert_eq!(reference.len(), 8);
    let stored = h.app.store.request(&reference).await.unwrap().unwrap();
    assert_eq!(stored.registration.phone.as_str(), "+33612345678");
    assert_eq!(stored.registration.commune, "08409");
    assert_eq!(
        stored.cpts.as_deref(),
        Some("portes-du-luxembourg-et-du-sedanais")
    );
    assert_eq!(stored.priority.level, 1);
    assert_eq!(stored.priority.version, "priorite-v1");
    assert!(
        stored.priority.reasons.iter().any(|r| r.contains("70 ans")),
        "the record explains its priority: {:?}",
        stored.priority.reasons
    );
    let pregnancy = stored
        .registration
        .criteria
        .iter()
        .find(|c| c.criterion == functions::domain::registration::Criterion::Pregnancy)
        .unwrap();
    assert!(pregnancy.valid_until.is_some(), "pregnancy expires");

    let (r, page) = h.get(&location(&r)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(page.contains(&reference));
    assert!(page.contains("Et maintenant ?"));
}

#[tokio::test]
async fn json_registration_and_errors() {
    let h = Harness::new(quick_limits());
    let mut object = serde_json::Map::new();
    for (k, v) in valid() {
        object.insert(k.to_string(), serde_json::Value::String(v));
    }
    object.insert("ald".into(), serde_json::Value::Bool(true));
    object.insert("token".into(), h.token_aged(10).into());
    let post = |body: String| {
        Request::post("/api/registrations")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    let (r, body) = h
        .send(post(serde_json::Value::Object(object.clone()).to_string()))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["reference"].as_str().unwrap().len(), 8);

    object.insert("birth_date".into(), "31/02/1950".into());
    object.insert("token".into(), h.token_aged(10).into());
    let (r, body) = h
        .send(post(serde_json::Value::Object(object).to_string()))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["errors"][0]["field"], "birth_date");
    assert_eq!(h.pending().await, 1);
}

#[tokio::test]
async fn not_eligible_is_turned_away_kindly_and_nothing_is_kept() {
    let h = Harness::new(quick_limits());
    let answers = with(
        valid(),
        &[
            ("gp_status", Some("change")),
            ("token", Some(&h.token_aged(10))),
        ],
    );
    let (r, body) = h.post_form(&encode(&answers)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body.contains("Ce service est pour les personnes sans médecin traitant"));
    assert!(body.contains("changer de médecin"));
    assert_eq!(h.pending().await, 0);
}

#[tokio::test]
async fn field_validation_accents_long_input_and_invalid_utf8() {
    let h = Harness::new(Limits {
        per_phone_per_day: 100,
        per_address_per_hour: 100,
        ..quick_limits()
    });
    let token = h.token_aged(10);
    let cases: &[(&str, &str, &str)] = &[
        ("last_name", &"A".repeat(200), "80 caractères au plus"),
        ("first_name", "R2D2", "seulement des lettres"),
        ("birth_date", "14/07/2031", "dans le futur"),
        // A year alone is read (DOMAIN.md §2.2); six digits leave the century unknown.
        ("birth_date", "140750", "jour/mois/année"),
        ("email", "lea@", "pas complète"),
        // Addresses the mailer could never write to: refused here, not retried for ever.
        ("email", "\"lea dupre\"@exemple.fr", "pas complète"),
        ("email", "lea@[127.0.0.1]", "pas complète"),
        ("phone", "+33 0 12 34 56 78", "10 chiffres"),
        ("commune", "08200", "Plusieurs communes correspondent"),
        ("commune", "99999", "Aucune commune du territoire"),
        ("filled_by", "robot", "qui remplit"),
        ("max_distance", "1000", "quelle distance"),
    ];
    for (field, value, message) in cases {
        let answers = with(valid(), &[(field, Some(value)), ("token", Some(&token))]);
        let (r, body) = h.post_form(&encode(&answers)).await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}"
        );
        assert!(
            body.contains(message),
            "{field}={value}: « {message} » expected"
        );
    }
    // Invalid UTF-8 in a name.
    let body = format!(
        "{}&last_name=%FF%FEDupr%C3%A9",
        encode(&with(
            valid(),
            &[("last_name", None), ("token", Some(&token))]
        ))
    );
    let (r, page) = h.post_form(&body).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains(r#"id="f-last_name-error""#));
    // Accepted variants.
    for (field, value) in [
        ("commune", "sedan"),
        ("commune", "SAINT MENGES"),
        ("commune", "Saint-Menges (08200)"),
        ("phone", "+33 (0)6 12 34 56 78"),
        ("phone", "0033 6 12 34 56 78"),
        ("birth_date", "1950-07-14"),
        ("email", ""),
        ("last_name", "N’Diaye"),
    ] {
        let answers = with(
            valid(),
            &[(field, Some(value)), ("token", Some(&h.token_aged(10)))],
        );
        let (r, body) = h.post_form(&encode(&answers)).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{field}={value}: {body:.300}"
        );
    }
    // Professionals name their structure.
    let answers = with(
        valid(),
        &[("filled_by", Some("professional")), ("token", Some(&token))],
    );
    let (_, body) = h.post_form(&encode(&answers)).await;
    assert!(body.contains(r#"id="f-organisation-error""#));
}

async fn assert_stores_nothing(
    h: &Harness,
    response: (axum::http::Response<Body>, String),
    expected: StatusCode,
) {
    assert_eq!(
        response.0.status(),
        expected,
        "{}",
        &response.1[..response.1.len().min(300)]
    );
    assert_eq!(h.pending().await, 0);
}

#[tokio::test]
async fn robots_get_a_normal_answer_and_nothing_is_stored() {
    let h = Harness::new(Limits::default());
    // Honeypot filled.
    let answers = with(
        valid(),
        &[
            ("website", Some("http://spam.example")),
            ("token", Some(&h.token_aged(60))),
        ],
    );
    let r = h.post_form(&encode(&answers)).await;
    assert!(location(&r.0).contains("/merci?jeton="));
    assert_stores_nothing(&h, r, StatusCode::SEE_OTHER).await;
    // Tampered token (object changed).
    let token = h.token_aged(60);
    let parts: Vec<&str> = token.split('.').collect();
    let tampered = format!(
        "{}.{}.{}.AAAAAAAAAAAAAAAA.{}.{}",
        parts[0], parts[1], parts[2], parts[4], parts[5]
    );
    let answers = with(valid(), &[("token", Some(&tampered))]);
    let r = h.post_form(&encode(&answers)).await;
    assert_stores_nothing(&h, r, StatusCode::SEE_OTHER).await;
}

/// The token in a form page.
fn token_in(body: &str) -> String {
    body.split(r#"name="token" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_form_sent_too_fast_comes_back_filled_in_and_is_stored_when_sent_again() {
    let h = Harness::new(Limits {
        min_fill_seconds: 1,
        ..Limits::default()
    });
    // No JavaScript: the confirmation page, then a double click on it.
    let (r, body) = h.post_form(&encode(&valid())).await;
    assert_eq!(r.status(), StatusCode::OK);
    let token = token_in(&body);
    let again = with(valid(), &[("token", Some(&token))]);
    let (r, body) = h.post_form(&encode(&again)).await;
    assert_eq!(r.status(), StatusCode::OK, "no fake reference");
    assert!(r.headers().get(header::LOCATION).is_none());
    assert!(
        body.contains(
            "pas encore envoyée : vérifiez vos réponses puis cliquez de nouveau sur Envoyer"
        ),
        "{body}"
    );
    assert!(!body.contains("enregistrée"), "never says it was stored");
    for kept in [
        r#"value="Dupré-Lefèvre""#,
        r#"value="Léa""#,
        r#"value="14/07/1950""#,
        r#"value="lea.dupre@example.fr""#,
    ] {
        assert!(body.contains(kept), "{kept} kept");
    }
    assert_eq!(token_in(&body), token, "the same token comes back");
    assert_eq!(h.pending().await, 0);
    // Sent again a moment later: stored.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (r, _) = h.post_form(&encode(&again)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let reference = reference_of(&location(&r));
    assert!(h.app.store.request(&reference).await.unwrap().is_some());
}

#[tokio::test]
async fn the_fill_time_is_counted_to_the_millisecond() {
    let h = Harness::new(Limits::default());
    let issued = |age_ms: i64| {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let issued = now_ms - age_ms;
        let nonce = format!("{}-{issued}", functions::signed::random_id(16));
        let expires = issued.div_euclid(1000) + h.app.config.limits.form_token_seconds;
        h.app.keys.sign("form", &nonce, expires)
    };
    // 2.7 s is less than 3 s: not sent yet (and said so).
    let answers = with(valid(), &[("token", Some(&issued(2700)))]);
    let (r, body) = h.post_form(&encode(&answers)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body.contains("pas encore envoyée"), "{body}");
    assert_eq!(h.pending().await, 0);
    // JSON says the same.
    let mut object = serde_json::Map::new();
    for (k, v) in valid() {
        object.insert(k.to_string(), serde_json::Value::String(v));
    }
    let post = |body: String| {
        Request::post("/api/registrations")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    object.insert("token".into(), issued(2700).into());
    let (r, body) = h
        .send(post(serde_json::Value::Object(object.clone()).to_string()))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains(r#""stored":false"#), "{body}");
    // 3.05 s is enough.
    object.insert("token".into(), issued(3050).into());
    let (r, body) = h
        .send(post(serde_json::Value::Object(object).to_string()))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn foreign_origin_and_cross_site_are_refused() {
    let h = Harness::new(quick_limits());
    let body = encode(&with(valid(), &[("token", Some(&h.token_aged(60)))]));
    let mut request = form_request(&body, "10.0.0.1");
    request
        .headers_mut()
        .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    let r = h.send(request).await;
    assert!(r.1.contains("depuis un autre site"));
    assert_stores_nothing(&h, r, StatusCode::FORBIDDEN).await;

    let mut request = form_request(&body, "10.0.0.1");
    request.headers_mut().remove(header::ORIGIN);
    request
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    let r = h.send(request).await;
    assert_stores_nothing(&h, r, StatusCode::FORBIDDEN).await;
}

/// DNS rebinding: a page of evil.example, its name pointed at this server, sends the browser's
/// `Host: evil.example` with `Origin: http://evil.example`. The Host header is the attacker's
/// to choose: only the configured origins count.
#[tokio::test]
async fn an_origin_matching_only_the_host_header_is_refused() {
    let h = Harness::new(quick_limits());
    let body = encode(&with(valid(), &[("token", Some(&h.token_aged(60)))]));
    let mut request = form_request(&body, "10.0.0.1");
    let headers = request.headers_mut();
    headers.insert(header::HOST, "evil.example".parse().unwrap());
    headers.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
    let r = h.send(request).await;
    assert!(r.1.contains("depuis un autre site"), "{}", r.1);
    assert_stores_nothing(&h, r, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn oversized_body_is_refused() {
    let h = Harness::new(quick_limits());
    let body = format!("{}&pad={}", encode(&valid()), "x".repeat(17 * 1024));
    let r = h.post_form(&body).await;
    assert!(r.1.contains("trop long"));
    assert_stores_nothing(&h, r, StatusCode::PAYLOAD_TOO_LARGE).await;
    // Without a Content-Length (chunked), the limit holds too.
    let mut request = form_request(&body, "10.0.0.1");
    request.headers_mut().remove(header::CONTENT_LENGTH);
    let r = h.send(request).await;
    assert_stores_nothing(&h, r, StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn a_replayed_form_is_stored_once() {
    let h = Harness::new(quick_limits());
    let body = encode(&with(valid(), &[("token", Some(&h.token_aged(60)))]));
    let (first, _) = h.post_form(&body).await;
    let (second, _) = h.post_form(&body).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&first), location(&second), "same reference");
    assert_eq!(h.pending().await, 1);
}

#[tokio::test]
async fn rate_limits_per_phone_and_per_address() {
    let limits = Limits {
        per_address_per_hour: 5,
        per_phone_per_day: 2,
        ..quick_limits()
    };
    let h = Harness::new(limits);
    let send = |phone: &str, client: &str| {
        let body = encode(&with(
            valid(),
            &[("phone", Some(phone)), ("token", Some(&h.token_aged(60)))],
        ));
        form_request(&body, client)
    };
    for _ in 0..2 {
        let (r, _) = h.send(send("06 11 11 11 11", "10.0.0.1")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let (r, body) = h.send(send("0611111111", "10.0.0.2")).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "same phone written otherwise"
    );
    assert_refusal_is_truthful(&body);
    assert_eq!(h.pending().await, 2);
    for i in 0..3 {
        let (r, _) = h.send(send(&format!("06 22 22 22 2{i}"), "10.0.0.1")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let (r, _) = h.send(send("06 33 33 33 33", "10.0.0.1")).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "sixth from one address"
    );
    let (r, _) = h.send(send("06 33 33 33 33", "10.0.0.3")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "another address");
    assert_eq!(h.pending().await, 6);
}

async fn register_one(h: &Harness) -> String {
    let body = encode(&with(valid(), &[("token", Some(&h.token_aged(60)))]));
    let (r, _) = h.post_form(&body).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    reference_of(&location(&r))
}

#[tokio::test]
async fn coordinator_mail_holds_no_personal_data_and_its_link_opens_the_request() {
    let h = Harness::new(quick_limits());
    let reference = register_one(&h).await;
    assert_eq!(h.app.deliver_due(functions::now()).await, (1, 0));
    let mails = outbox_files(&h.outbox_dir());
    assert_eq!(mails.len(), 1);
    let mail = &decode_mail(&mails[0]);
    assert!(mail.contains("multipart/alternative"));
    assert!(mail.contains("text/plain") && mail.contains("text/html"));
    assert!(mail.contains(&reference));
    assert!(mail.contains("Sedan"));
    assert!(mail.contains("coordination") || mail.contains("@example.org"));
    let readable = without_random_parts(mail, &reference).to_lowercase();
    for personal in PERSONAL_DATA {
        assert!(
            !readable.contains(&personal.to_lowercase()),
            "the mail must not contain « {personal} »:\n{mail}"
        );
    }
    // The link, as printed in the text part.
    let link = mail
        .lines()
        .find(|l| l.starts_with("http://127.0.0.1:8000/api/demandes/"))
        .expect("link on its own line")
        .trim()
        .to_string();
    let path = link.trim_start_matches("http://127.0.0.1:8000");
    let (r, page) = h.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    assert!(page.contains("Léa Dupré-Lefèvre"));
    assert!(page.contains("06 12 34 56 78"));
    assert!(page.contains("Niveau 1"));
    assert!(page.contains("plutôt le matin"));
    // The signed page (and only it, never the mail) shows the declared criteria and why this
    // level (issue #13).
    for criterion in ["Grossesse", "Affection de longue durée (ALD)"] {
        assert!(page.contains(criterion), "{criterion} on the page");
    }
    // GET changes nothing: same record, same mails, only an audit line per reader and hour.
    let before = h.app.store.request(&reference).await.unwrap();
    h.get(path).await;
    assert_eq!(h.app.store.request(&reference).await.unwrap(), before);
    assert_eq!(h.pending().await, 0);
    let trail = h.app.store.audit_trail(&reference).await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["registered", "viewed"]);
    assert!(trail.iter().all(|e| !e.actor.contains('@')), "ids only");
}

/// A link scanner fetching a mailed link twenty times writes one « viewed » entry; the same
/// reader an hour later (the clock moved) writes a second.
#[tokio::test]
async fn views_are_audited_once_per_reader_and_hour() {
    let h = Harness::new(quick_limits());
    let reference = register_one(&h).await;
    let now = functions::now();
    let link = h.app.coordinator_link(&reference, now);
    let path = link.trim_start_matches("http://127.0.0.1:8000");
    for _ in 0..20 {
        let (r, page) = h.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{page}");
    }
    let viewed = |trail: Vec<functions::domain::lifecycle::AuditEntry>| {
        trail
            .into_iter()
            .filter(|e| e.action == "viewed")
            .collect::<Vec<_>>()
    };
    let views = viewed(h.app.store.audit_trail(&reference).await.unwrap());
    assert_eq!(views.len(), 1, "{views:?}");
    let actor = views[0].actor.clone();
    assert!(actor.starts_with("coordinator:"), "{actor}");
    // The page's reader, an hour later.
    let later = now + functions::casework::VIEW_WINDOW_SECONDS;
    let recorded = functions::casework::record_view(&h.app.store, &reference, &actor, later)
        .await
        .unwrap();
    assert!(recorded);
    assert!(
        !functions::casework::record_view(&h.app.store, &reference, &actor, later)
            .await
            .unwrap()
    );
    // Another reader in the same hour is recorded too.
    assert!(
        functions::casework::record_view(&h.app.store, &reference, "staff:claire", now)
            .await
            .unwrap()
    );
    let views = viewed(h.app.store.audit_trail(&reference).await.unwrap());
    let at: Vec<i64> = views.iter().map(|e| e.at).collect();
    assert_eq!(at.len(), 3, "{views:?}");
    assert_eq!(at[1], later);
}

#[tokio::test]
async fn bad_links_get_their_own_page() {
    let h = Harness::new(quick_limits());
    let reference = register_one(&h).await;
    let now = functions::now();
    let keys = &h.app.keys;
    let expired = keys.sign("voir", &reference, now - 1);
    let (r, page) = h
        .get(&format!("/api/demandes/{reference}?jeton={expired}"))
        .await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(page.contains("Ce lien a expiré"));

    let good = keys.sign("voir", &reference, now + 600);
    let tampered = good.replace(&format!(".{}.", now + 600), &format!(".{}.", now + 9999));
    let (r, page) = h
        .get(&format!("/api/demandes/{reference}?jeton={tampered}"))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(page.contains("Ce lien n'est pas valide"));

    let other = keys.sign("voir", "ZZZZZZZZ", now + 600);
    let (r, _) = h
        .get(&format!("/api/demandes/{reference}?jeton={other}"))
        .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "token for another request"
    );

    let unknown = good.replacen(".k1.", ".k7.", 1);
    let (r, page) = h
        .get(&format!("/api/demandes/{reference}?jeton={unknown}"))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(page.contains("Ce lien n'est plus reconnu"));

    let (r, _) = h.get(&format!("/api/demandes/{reference}")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "no token");
}

#[tokio::test]
async fn a_failed_send_keeps_the_registration_and_is_retried_later() {
    let dir = tempfile::tempdir().unwrap();
    // The outbox path is a file: every send fails.
    let blocked = dir.path().join("outbox");
    std::fs::write(&blocked, "not a folder").unwrap();
    let outbox = Outbox {
        dir: blocked.clone(),
        from: "CPTS <ne-pas-repondre@example.org>".into(),
        print_paths: false,
    };
    let h = Harness::with_outbox(dir, quick_limits(), outbox);
    let reference = register_one(&h).await;
    let now = functions::now();
    assert_eq!(h.app.deliver_due(now).await, (0, 1));
    assert!(h.app.store.request(&reference).await.unwrap().is_some());
    assert_eq!(h.pending().await, 1);
    assert_eq!(
        h.app.deliver_due(now + 10).await,
        (0, 0),
        "waits before retrying"
    );
    std::fs::remove_file(&blocked).unwrap();
    assert_eq!(h.app.deliver_due(now + 30).await, (1, 0));
    assert_eq!(h.pending().await, 0);
    let mails = outbox_files(&blocked);
    assert_eq!(mails.len(), 1);
    assert!(decode_mail(&mails[0]).contains(&reference));
}

/// A rate-limit refusal: says nothing was stored, keeps every answer, gives the phone number.
fn assert_refusal_is_truthful(body: &str) {
    assert!(
        body.contains("Votre demande n'est pas enregistrée"),
        "{body}"
    );
    assert!(!body.contains("sans doute déjà enregistrée"));
    assert!(!body.contains("Demande enregistrée"));
    assert!(
        body.contains("href=\"tel:+33353012008\""),
        "the phone to call"
    );
    assert!(body.contains("03 53 01 20 08"));
    for (field, value) in [
        ("last_name", "Dupré-Lefèvre"),
        ("first_name", "Léa"),
        ("birth_date", "14/07/1950"),
        ("commune", "Sedan (08200)"),
    ] {
        assert!(
            body.contains(&format!("name=\"{field}\" value=\"{value}\"")),
            "{field} kept"
        );
    }
    assert!(body.contains("id=\"f-ald\" name=\"ald\" value=\"oui\" checked"));
    assert!(body.contains("id=\"f-call_time-morning\" value=\"morning\" checked"));
}

#[tokio::test]
async fn a_rate_limited_form_is_not_stored_and_comes_back_filled_in_with_the_phone() {
    let limits = Limits {
        per_phone_per_day: 1,
        ..quick_limits()
    };
    let h = Harness::new(limits);
    let first = encode(&with(valid(), &[("token", Some(&h.token_aged(60)))]));
    let (r, _) = h.post_form(&first).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let token = h.token_aged(60);
    let second = encode(&with(valid(), &[("token", Some(&token))]));
    let (r, body) = h.post_form(&second).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_refusal_is_truthful(&body);
    assert!(body.contains(&format!("value=\"{token}\"")), "token kept");
    assert_eq!(h.pending().await, 1, "nothing stored");
    // In JSON too: not stored, and the number to call.
    let json = form_request(&second, "10.0.0.9");
    let (parts, _) = json.into_parts();
    let mut request = axum::http::Request::from_parts(
        parts,
        axum::body::Body::from(
            serde_json::to_string(&serde_json::Map::from_iter(
                with(valid(), &[("token", Some(&h.token_aged(60)))])
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), serde_json::Value::String(v))),
            ))
            .unwrap(),
        ),
    );
    request.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        "application/json".parse().unwrap(),
    );
    let (r, body) = h.send(request).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["stored"], false);
    assert_eq!(v["phone"], "03 53 01 20 08");
    // Only the same form sent twice says it is already recorded, with its reference.
    let (again, _) = h.post_form(&first).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(h.pending().await, 1);
}

#[tokio::test]
async fn the_posters_tag_is_recorded_from_the_form_or_the_page_address() {
    use functions::domain::intake::Channel;
    let h = Harness::new(quick_limits());
    let sent = std::cell::Cell::new(0);
    let stored = |src: Option<&str>, referer: Option<&str>| {
        sent.set(sent.get() + 1);
        let phone = format!("06 12 34 56 0{}", sent.get());
        let body = encode(&with(
            valid(),
            &[
                ("token", Some(&h.token_aged(60))),
                ("src", src),
                ("phone", Some(&phone)),
            ],
        ));
        let mut request = form_request(&body, "10.0.0.1");
        if let Some(referer) = referer {
            request
                .headers_mut()
                .insert(axum::http::header::REFERER, referer.parse().unwrap());
        }
        async {
            let (r, _) = h.send(request).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
            let reference = reference_of(&location(&r));
            h.app
                .store
                .request(&reference)
                .await
                .unwrap()
                .unwrap()
                .channel
        }
    };
    let web = |s: &str| Channel::Web {
        source: functions::domain::intake::Source::parse(s),
    };
    assert_eq!(
        stored(Some("affiche-rethelois-a4"), None).await,
        web("affiche-rethelois-a4")
    );
    assert_eq!(
        stored(
            None,
            Some("http://127.0.0.1:8000/inscription/?src=affiche-territoire-a3")
        )
        .await,
        web("affiche-territoire-a3"),
        "without JavaScript, from the page's address"
    );
    assert_eq!(
        stored(Some("<script>alert(1)</script>"), None).await,
        Channel::Web { source: None },
        "never trusted"
    );
    assert_eq!(stored(None, None).await, Channel::Web { source: None });
}

#[tokio::test]
async fn free_text_keeps_no_control_nor_bidi_character() {
    let h = Harness::new(Limits {
        per_phone_per_day: 100,
        per_address_per_hour: 100,
        ..quick_limits()
    });
    for bad in ["\0", "\r", "\n", "\r\n", "\u{202E}", "\u{1b}", "\u{2066}"] {
        let organisation = format!("Mairie{bad}de Sedan");
        let last_name = format!("Dupré{bad}");
        let token = h.token_aged(10);
        let answers = with(
            valid(),
            &[
                ("filled_by", Some("town_hall")),
                ("organisation", Some(&organisation)),
                ("last_name", Some(&last_name)),
                ("token", Some(&token)),
            ],
        );
        let (r, body) = h.post_form(&encode(&answers)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{bad:?}: {body}");
        let reference = reference_of(&location(&r));
        let stored = h.app.store.request(&reference).await.unwrap().unwrap();
        let kept = stored.registration.filled_by.organisation.unwrap();
        assert!(
            kept.chars()
                .all(|c| !c.is_control() && c != '\u{202E}' && c != '\u{2066}'),
            "{bad:?} kept in {kept:?}"
        );
        assert!(
            kept.starts_with("Mairie") && kept.ends_with("de Sedan"),
            "{kept:?}"
        );
    }
}
