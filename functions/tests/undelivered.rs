//! Mails that will never go (issue #14): an address the mailer cannot build is given up at its
//! first attempt, the case of a person whose mail was given up no longer says he was told, and
//! mails failed too often or given up are on the coordinators' to-do list, with their request.

mod common;

use axum::http::StatusCode;
use common::*;
use functions::domain::lifecycle::{CaseState, EntryKind, Mail, PATIENT_MAIL_GIVEN_UP};
use functions::mail::{GIVEN_UP, Outbox, REPORT_AFTER_ATTEMPTS, deliver_due};
use functions::store::{SqliteStore, Store, Undelivered};
use functions::web::overview::{self, OverviewPage};
use functions::workflow::{Decision, Outcome};

const BASE: &str = "http://127.0.0.1:8000";

#[tokio::test]
async fn an_address_the_mailer_cannot_build_is_given_up_at_its_first_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::in_memory().unwrap();
    let outbox = Outbox {
        dir: dir.path().join("outbox"),
        from: "CPTS <ne-pas-repondre@example.org>".into(),
        print_paths: false,
    };
    let mail = Mail {
        id: "ABCD2345-patient".into(),
        to: vec!["\"lea dupre\"@exemple.fr".into()],
        subject: "Un médecin traitant accepte votre demande".into(),
        text: "Bonjour".into(),
        html: "<p>Bonjour</p>".into(),
        reply_to: Vec::new(),
        from_name: None,
    };
    let audit = functions::domain::lifecycle::AuditEntry {
        at: 1_000,
        actor: "system".into(),
        action: "queued".into(),
        object: mail.id.clone(),
    };
    assert!(store.queue_mail(&mail, &audit, &[], 1_000).await.unwrap());
    assert_eq!(deliver_due(&store, &outbox, 1_000).await, (0, 1));
    assert_eq!(
        store.undelivered_mails(u32::MAX).await.unwrap(),
        [Undelivered {
            id: mail.id.clone(),
            created_at: 1_000,
            attempts: 1,
            given_up: true,
        }]
    );
    // Never tried again, however long one waits.
    assert!(store.due_mails(GIVEN_UP - 1, 10).await.unwrap().is_empty());
    assert_eq!(deliver_due(&store, &outbox, 1_000_000).await, (0, 0));
}

async fn register(h: &Harness, phone: &str) -> String {
    let body = encode(&with(
        valid(),
        &[("token", Some(&h.token_aged(60))), ("phone", Some(phone))],
    ));
    let (r, page) = h.post_form(&body).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{page}");
    reference_of(&location(&r))
}

#[tokio::test]
async fn a_person_whose_mail_was_given_up_is_to_call_and_stuck_mails_are_on_the_to_do_list() {
    let h = Harness::new(quick_limits());
    let now = functions::now();
    // Accepted and told by a mail, whose address the mailer refuses (as an address the form
    // took before it used the mailer's parser).
    let told = register(&h, "06 12 34 56 01").await;
    accepted(&h, &told, now).await;
    let case = h.app.store.case(&told).await.unwrap().unwrap();
    assert_eq!(case.state, CaseState::Informed);
    let database = rusqlite::Connection::open(h.dir.path().join("cpts.sqlite")).unwrap();
    let changed = database
        .execute(
            "UPDATE outbox SET mail = json_set(mail, '$.to[0]', ?2) WHERE id = ?1",
            [format!("{told}-patient"), "\"lea dupre\"@exemple.fr".into()],
        )
        .unwrap();
    assert_eq!(changed, 1);
    // A coordinators' mail failing again and again (its server refuses it for the moment), and
    // one that failed once fewer than the report needs.
    let stuck = register(&h, "06 12 34 56 02").await;
    let not_yet = register(&h, "06 12 34 56 03").await;
    for _ in 0..REPORT_AFTER_ATTEMPTS {
        let later = now + 10 * 3600;
        h.app
            .store
            .mail_failed(&format!("{stuck}-coordination"), later)
            .await
            .unwrap();
    }
    for _ in 1..REPORT_AFTER_ATTEMPTS {
        h.app
            .store
            .mail_failed(&format!("{not_yet}-coordination"), now + 10 * 3600)
            .await
            .unwrap();
    }

    h.app.run_jobs(now).await.unwrap();
    // Given up at its first attempt.
    let given_up = h.app.store.undelivered_mails(u32::MAX).await.unwrap();
    assert_eq!(given_up.len(), 1, "{given_up:?}");
    assert_eq!(given_up[0].id, format!("{told}-patient"));
    assert_eq!(given_up[0].attempts, 1);
    // The case no longer says the person was told: accepted, to call.
    let case = h.app.store.case(&told).await.unwrap().unwrap();
    assert_eq!(case.state, CaseState::Accepted);
    assert!(!case.has_email);
    let timeline = h.app.store.timeline(&told).await.unwrap();
    let last = timeline.last().unwrap();
    assert_eq!(last.kind, EntryKind::MailGivenUp);
    assert_eq!(last.text, PATIENT_MAIL_GIVEN_UP);
    // A second run changes nothing more.
    h.app.run_jobs(now).await.unwrap();
    assert_eq!(
        h.app.store.case(&told).await.unwrap().unwrap().version,
        case.version
    );

    // The to-do list: the stuck mails with their request, and the person to call.
    let cpts = case.cpts.clone();
    let o = overview::read(&h.app, cpts.as_deref().unwrap(), now)
        .await
        .unwrap();
    let page: OverviewPage = overview::page(&h.app, &o, "jeton", now);
    let mut listed: Vec<(&str, &str)> = page
        .undelivered
        .iter()
        .map(|i| (i.reference.as_str(), i.why.as_str()))
        .collect();
    let attempts =
        format!("courriel à la coordination, {REPORT_AFTER_ATTEMPTS} essais sans succès");
    let mut expected = vec![
        (
            told.as_str(),
            "courriel à la personne abandonné : il ne partira pas",
        ),
        (stuck.as_str(), attempts.as_str()),
    ];
    listed.sort();
    expected.sort();
    assert_eq!(listed, expected);
    let item = page
        .undelivered
        .iter()
        .find(|i| i.reference == told)
        .unwrap();
    assert!(
        item.link
            .starts_with(&format!("{BASE}/api/demandes/{told}?"))
    );
    assert!(page.to_call.iter().any(|i| i.reference == told));
    let link = h.app.overview_link(cpts.as_deref(), now);
    let (r, html) = h.get(link.trim_start_matches(BASE)).await;
    assert_eq!(r.status(), StatusCode::OK, "{html}");
    assert!(html.contains("Courriels non envoyés (2)"), "{html}");
    assert!(!html.contains("exemple.fr"), "no address on the list");
    // The request's page says the mail could not go, not that the person was told.
    let (r, html) = h
        .get(h.app.coordinator_link(&told, now).trim_start_matches(BASE))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{html}");
    assert!(
        html.contains("pas pu être envoyé : son adresse est refusée"),
        "{html}"
    );
    assert!(!html.contains("la personne est prévenue"), "{html}");
    assert!(
        html.contains("médecin trouvé, personne à prévenir"),
        "{html}"
    );

    // The coordinator called the person: the given-up mail is handled.
    let id = case.current_proposal().unwrap().to_string();
    let told_now = h
        .app
        .coordinator_decides(&told, Some(&id), Decision::Informed, "Claire", now)
        .await
        .unwrap();
    assert_eq!(told_now, Outcome::Done);
    let o = overview::read(&h.app, cpts.as_deref().unwrap(), now)
        .await
        .unwrap();
    let page = overview::page(&h.app, &o, "jeton", now);
    let listed: Vec<&str> = page
        .undelivered
        .iter()
        .map(|i| i.reference.as_str())
        .collect();
    assert_eq!(listed, [stuck.as_str()]);
}
