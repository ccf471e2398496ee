//! A request taken by phone by a staff member, through the real use case, SQLite and outbox: the
//! same checks as the public form, no rate limit, stored once on a double submit, audited with
//! the staff member's id, and proposed to a doctor as a web request is. The request page says how
//! it came, who took it and who called; no mail says any of it.

mod common;

use axum::http::StatusCode;
use common::*;
use functions::Limits;
use functions::domain::answers::Answers;
use functions::domain::intake::{Channel, Relation};
use functions::store::Store;
use functions::web::intake::{self, StaffForm};

const BASE: &str = "http://127.0.0.1:8000";

const WHO: StaffForm<'static> = StaffForm {
    staff: "tele-1",
    csrf: "csrf-of-the-session",
    scope: Some(&functions::domain::staff::Scope::Territory),
};

fn call(h: &Harness, changes: &[(&'static str, Option<&str>)]) -> Answers {
    let token = h.app.intake_token(functions::now());
    let today = chrono::Local::now()
        .date_naive()
        .format("%d/%m/%Y")
        .to_string();
    let mut answers = with(valid(), &[("token", Some(&token))]);
    answers.extend(
        [
            ("channel", "telephone"),
            ("received_on", today.as_str()),
            ("caller_relation", "relative"),
            ("caller_name", "Chantal Dupré"),
            ("caller_phone", "03 24 00 00 00"),
            ("note", "Rappeler après 17 h."),
        ]
        .map(|(k, v)| (k, v.to_string())),
    );
    Answers::from_form(encode(&with(answers, changes)).as_bytes())
}

async fn body_of(response: axum::response::Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn the_form_has_every_question_and_the_date_of_the_call_is_today() {
    let h = Harness::new(quick_limits());
    let response = intake::show(&h.app, WHO, functions::now());
    assert_eq!(response.status(), StatusCode::OK);
    let body = body_of(response).await;
    for field in functions::domain::registration::FIELDS
        .iter()
        .chain(functions::domain::intake::FIELDS)
    {
        assert!(body.contains(&format!("name=\"{field}\"")), "{field}");
    }
    let today = chrono::Local::now()
        .date_naive()
        .format("%d/%m/%Y")
        .to_string();
    assert!(body.contains(&format!("name=\"received_on\" value=\"{today}\"")));
    assert!(body.contains("Pas de diagnostic ni de traitement dans cette note."));
    assert!(body.contains("value=\"csrf-of-the-session\""));
    assert!(!body.contains("name=\"website\""), "no honeypot for staff");
}

#[tokio::test]
async fn a_phone_call_is_stored_audited_and_proposed_to_a_doctor() {
    let h = Harness::new(quick_limits());
    let answers = call(&h, &[]);
    let response = intake::submit(&h.app, WHO, &answers, functions::now()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body = body_of(response).await;
    assert!(body.contains("Demande enregistrée"));
    assert!(body.contains("Niveau 1"), "ALD and 70 or over: {body}");
    assert!(body.contains("affection de longue durée"));
    let reference = body
        .split("class=\"reference\">")
        .nth(1)
        .and_then(|s| s.get(..8))
        .unwrap()
        .to_string();
    let request = h.app.store.request(&reference).await.unwrap().unwrap();
    assert_eq!(request.channel, Channel::Telephone);
    let intake = request.intake.unwrap();
    assert_eq!(intake.staff, "tele-1");
    let caller = intake.caller.unwrap();
    assert_eq!(caller.relation, Relation::Relative);
    assert_eq!(caller.phone.as_str(), "+33324000000");
    assert_eq!(intake.note.unwrap().as_str(), "Rappeler après 17 h.");
    let trail = h.app.store.audit_trail(&reference).await.unwrap();
    assert_eq!(trail[0].actor, "staff:tele-1");
    assert_eq!(trail[0].action, "registered");
    let case = h.app.store.case(&reference).await.unwrap().unwrap();
    assert_eq!(case.proposals.len(), 1, "proposed as a web request is");
    assert!(body.contains("Un médecin est déjà proposé"));
    assert_eq!(h.pending().await, 1, "the coordinators' mail");
}

#[tokio::test]
async fn no_rate_limit_nor_fill_time_but_a_double_submit_is_stored_once() {
    let h = Harness::new(Limits {
        per_phone_per_day: 1,
        per_address_per_hour: 1,
        ..Limits::default()
    });
    let answers = call(&h, &[]);
    let first = intake::submit(&h.app, WHO, &answers, functions::now()).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let again = intake::submit(&h.app, WHO, &answers, functions::now()).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert!(body_of(again).await.contains("Demande déjà enregistrée"));
    assert_eq!(h.pending().await, 1);
    // A town hall calls for three people with the same phone, at once: all stored.
    for _ in 0..3 {
        let r = intake::submit(&h.app, WHO, &call(&h, &[]), functions::now()).await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    assert_eq!(h.pending().await, 4);
}

#[tokio::test]
async fn bad_fields_come_back_next_to_their_fields_with_every_answer_kept() {
    let h = Harness::new(quick_limits());
    let answers = call(
        &h,
        &[
            ("caller_phone", Some("12")),
            ("caller_name", None),
            ("phone", Some("abc")),
            ("note", Some(&"x".repeat(300))),
        ],
    );
    let response = intake::submit(&h.app, WHO, &answers, functions::now()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = body_of(response).await;
    for id in [
        "f-caller_phone-error",
        "f-caller_name-error",
        "f-phone-error",
        "f-note-error",
    ] {
        assert!(body.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(body.contains("name=\"last_name\" value=\"Dupré-Lefèvre\""));
    assert!(body.contains("id=\"f-channel-telephone\" value=\"telephone\" checked"));
    assert!(body.contains("id=\"f-caller_relation-relative\" value=\"relative\" checked"));
    assert!(body.contains(&"x".repeat(300)), "the note kept");
    assert_eq!(h.pending().await, 0, "nothing stored");
    // Someone with a GP who wants another: said so, nothing stored.
    let change = call(&h, &[("gp_status", Some("change"))]);
    let response = intake::submit(&h.app, WHO, &change, functions::now()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body_of(response).await.contains("pas pour elle. Rien n"));
    assert_eq!(h.pending().await, 0);
}

#[tokio::test]
async fn requests_stored_before_channels_still_read() {
    let h = Harness::new(quick_limits());
    let body = encode(&with(valid(), &[("token", Some(&h.token_aged(60)))]));
    let (r, _) = h.post_form(&body).await;
    let reference = reference_of(&location(&r));
    // Take the two new keys out of the stored record, as an older version wrote it.
    let db = rusqlite::Connection::open(h.dir.path().join("cpts.sqlite")).unwrap();
    let record: String = db
        .query_row(
            "SELECT record FROM requests WHERE reference = ?1",
            [&reference],
            |r| r.get(0),
        )
        .unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&record).unwrap();
    let object = json.as_object_mut().unwrap();
    assert!(object.remove("channel").is_some());
    assert!(object.remove("intake").is_some());
    db.execute(
        "UPDATE requests SET record = ?1 WHERE reference = ?2",
        [json.to_string(), reference.clone()],
    )
    .unwrap();
    let request = h.app.store.request(&reference).await.unwrap().unwrap();
    assert_eq!(request.channel, Channel::Web { source: None });
    assert_eq!(request.intake, None);
}

/// The reference on the answer page after storing.
fn reference_in(body: &str) -> String {
    body.split("class=\"reference\">")
        .nth(1)
        .and_then(|s| s.get(..8))
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_request_page_says_how_it_came_who_took_it_and_who_called_and_no_mail_does() {
    let h = Harness::new(quick_limits());
    // The demo's telesecretariat (content/territory/cpts.toml).
    let who = StaffForm {
        staff: "thomas-renard",
        csrf: "csrf-of-the-session",
        scope: Some(&functions::domain::staff::Scope::Territory),
    };
    let today = chrono::Local::now().date_naive();
    let response = intake::submit(&h.app, who, &call(&h, &[]), functions::now()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let reference = reference_in(&body_of(response).await);
    let link = h.app.coordinator_link(&reference, functions::now());
    let (r, page) = h.get(link.trim_start_matches(BASE)).await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    let start = page
        .find("Comment la demande est arrivée")
        .expect("the section");
    let arrival = &page[start..start + page[start..].find("</dl>").unwrap()];
    for shown in [
        "<dt>Moyen</dt><dd>Par téléphone</dd>",
        "<dt>Saisie par</dt><dd>Thomas Renard</dd>",
        &format!(
            "<dt>Date de l&#39;appel</dt><dd>{}</dd>",
            territory::dates::french_long(today)
        ),
        "<dt>Qui a appelé</dt><dd>Chantal Dupré, un proche : <a class=\"target\" href=\"tel:+33324000000\">03 24 00 00 00</a></dd>",
        "<dt>Note à l'enregistrement</dt><dd>Rappeler après 17 h.</dd>",
    ] {
        assert!(arrival.contains(shown), "{shown} in\n{arrival}");
    }
    // The person's own phone is still the one to call first.
    assert!(page.contains("<a class=\"button\" href=\"tel:+33612345678\">"));

    // A call from the person herself, on paper: no caller, the date of receipt.
    let paper = call(
        &h,
        &[
            ("channel", Some("paper")),
            ("caller_relation", Some("person")),
            ("caller_name", None),
            ("caller_phone", None),
            ("note", None),
            ("phone", Some("06 11 22 33 44")),
        ],
    );
    let response = intake::submit(&h.app, who, &paper, functions::now()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let paper_reference = reference_in(&body_of(response).await);
    let (_, page) = h
        .get(
            h.app
                .coordinator_link(&paper_reference, functions::now())
                .trim_start_matches(BASE),
        )
        .await;
    assert!(page.contains("<dt>Moyen</dt><dd>Formulaire papier</dd>"));
    assert!(page.contains("<dt>Reçue le</dt>"));
    assert!(page.contains("<dt>Qui a envoyé la demande</dt><dd>la personne elle-même</dd>"));
    assert!(!page.contains("Note à l'enregistrement"));

    // The public form with a poster's tag: no one entered it.
    let body = encode(&with(
        valid(),
        &[
            ("token", Some(&h.token_aged(60))),
            ("src", Some("affiche-rethelois-a4")),
            ("phone", Some("06 55 44 33 22")),
        ],
    ));
    let (r, _) = h.post_form(&body).await;
    let web_reference = reference_of(&location(&r));
    let (_, page) = h
        .get(
            h.app
                .coordinator_link(&web_reference, functions::now())
                .trim_start_matches(BASE),
        )
        .await;
    assert!(
        page.contains(
            "<dt>Moyen</dt><dd>Formulaire en ligne (affiche : affiche-rethelois-a4)</dd>"
        ),
        "{page}"
    );
    assert!(!page.contains("<dt>Saisie par</dt>"));

    // No mail says how the request came, who took it, who called nor the note.
    h.app.deliver_due(i64::MAX / 2).await;
    let mails: Vec<String> = outbox_files(&h.outbox_dir())
        .iter()
        .map(|raw| decode_mail(raw))
        .collect();
    assert!(mails.len() >= 3, "the coordinators' mails: {}", mails.len());
    for mail in &mails {
        for secret in [
            "Chantal",
            "03 24 00",
            "0324000000",
            "+33324",
            "Rappeler après",
            "Thomas Renard",
            "thomas-renard",
            "Par téléphone",
            "Formulaire papier",
            "Saisie par",
            "affiche-rethelois",
        ] {
            assert!(!mail.contains(secret), "{secret} in a mail:\n{mail}");
        }
    }
}
