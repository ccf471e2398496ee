//! The coordinator's own actions on a request page (issue #13), through the real Router,
//! SQLite and the outbox: a note, call attempts and the suspension after three unanswered ones,
//! a change of priority, a doctor chosen among the candidates or outside them, reopening.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use functions::domain::lifecycle::{CaseState, EntryKind, ProposalState};
use functions::store::Store;

const BASE: &str = "http://127.0.0.1:8000";

async fn register(h: &Harness, changes: &[(&'static str, Option<&str>)]) -> String {
    let body = encode(&with(
        with(valid(), changes),
        &[("token", Some(&h.token_aged(60)))],
    ));
    let (r, page) = h.post_form(&body).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{page}");
    reference_of(&location(&r))
}

/// The request page's path and its token.
fn page_link(h: &Harness, reference: &str) -> (String, String) {
    let url = h.app.coordinator_link(reference, functions::now());
    let link = url.trim_start_matches(BASE);
    let (path, query) = link.split_once("?jeton=").unwrap();
    let token = form_urlencoded::parse(format!("jeton={query}").as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned();
    (path.to_string(), token)
}

async fn page(h: &Harness, reference: &str) -> String {
    let (path, token) = page_link(h, reference);
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("jeton", &token);
    let (r, page) = h.get(&format!("{path}?{}", s.finish())).await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    page
}

/// Posts an action from the request page, as its form does (token, current proposal, name).
async fn act(h: &Harness, reference: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let (path, token) = page_link(h, reference);
    let case = h.app.store.case(reference).await.unwrap().unwrap();
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("jeton", &token);
    s.append_pair("proposition", case.current_proposal().unwrap_or(""));
    s.append_pair("qui", "0");
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:8000")
        .header(header::ORIGIN, BASE)
        .body(Body::from(s.finish()))
        .unwrap();
    let (r, page) = h.send(request).await;
    (r.status(), page)
}

async fn case(h: &Harness, reference: &str) -> functions::domain::lifecycle::Case {
    h.app.store.case(reference).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_note_is_kept_in_the_timeline_and_not_in_the_case() {
    let h = Harness::new(quick_limits());
    let reference = register(&h, &[]).await;
    let before = case(&h, &reference).await;
    let (status, answer) = act(
        &h,
        &reference,
        &[
            ("decision", "note"),
            ("note", "Rappeler après 18 h, voit mal."),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(answer.contains("est noté : la note"), "{answer}");
    let after = case(&h, &reference).await;
    assert_eq!(after.version, before.version + 1);
    assert!(!serde_json::to_string(&after).unwrap().contains("18 h"));
    let timeline = h.app.store.timeline(&reference).await.unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0].kind, EntryKind::Note);
    let shown = page(&h, &reference).await;
    assert!(
        shown.contains("Note : Rappeler après 18 h, voit mal."),
        "{shown}"
    );
    assert!(shown.contains("Pas de diagnostic ni de traitement."));
    // Empty: a clear message, nothing written (the length is checked by the domain's unit
    // tests: a form field never holds more than 500 characters, the note's limit).
    let (status, answer) = act(&h, &reference, &[("decision", "note"), ("note", "  ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.contains("Écrivez la note."), "{answer}");
    assert_eq!(h.app.store.timeline(&reference).await.unwrap().len(), 1);
    // No mail holds the note.
    h.app.deliver_due(i64::MAX / 2).await;
    for raw in outbox_files(&h.outbox_dir()) {
        assert!(!decode_mail(&raw).contains("18 h"));
    }
    // The audit log names the action, never the note's text.
    let audit = h.app.store.audit_trail(&reference).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "note"));
    assert!(audit.iter().all(|e| !e.action.contains("18 h")));
}

#[tokio::test]
async fn three_unanswered_calls_suspend_and_a_reached_one_resets_the_count() {
    let h = Harness::new(quick_limits());
    let reference = register(&h, &[]).await;
    let call = |outcome: &'static str| {
        let h = &h;
        let reference = reference.clone();
        async move {
            act(
                h,
                &reference,
                &[("decision", "appel"), ("resultat", outcome)],
            )
            .await
        }
    };
    call("sans_reponse").await;
    call("mauvais_numero").await;
    assert_eq!(case(&h, &reference).await.unwrap_unanswered(), 2);
    let (status, _) = call("joint").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(case(&h, &reference).await.unwrap_unanswered(), 0);
    let proposal = case(&h, &reference)
        .await
        .current_proposal()
        .unwrap()
        .to_string();
    call("sans_reponse").await;
    call("sans_reponse").await;
    let (status, answer) = call("sans_reponse").await;
    assert_eq!(status, StatusCode::OK);
    assert!(answer.contains("Demande suspendue"), "{answer}");
    let suspended = case(&h, &reference).await;
    assert_eq!(suspended.state, CaseState::Suspended);
    // Its open proposal is withdrawn and the doctor's place given back.
    let p = h.app.store.proposal(&proposal).await.unwrap().unwrap();
    assert_eq!(p.state, ProposalState::Withdrawn);
    let loads = h.app.store.doctor_loads(2026).await.unwrap();
    let loads_next = h.app.store.doctor_loads(2027).await.unwrap();
    assert!(
        loads
            .iter()
            .chain(&loads_next)
            .filter(|l| l.doctor == p.doctor)
            .all(|l| l.load == 0)
    );
    let shown = page(&h, &reference).await;
    assert!(
        shown.contains("Envoyez un courrier à la personne"),
        "{shown}"
    );
    assert!(shown.contains("Nous n'avons pas son adresse postale"));
    assert!(shown.contains("Rouvrir la demande"));
    // It waits in the to-do list, among the suspended requests.
    let overview = functions::web::overview::read(
        &h.app,
        "portes-du-luxembourg-et-du-sedanais",
        functions::now(),
    )
    .await
    .unwrap();
    let todo = functions::web::overview::page(&h.app, &overview, "", functions::now());
    let suspended = serde_json::to_value(&todo).unwrap()["suspended"].clone();
    assert!(suspended.to_string().contains(&reference), "{suspended}");
    // A fourth call is refused: nothing changes.
    let (status, _) = call("sans_reponse").await;
    assert_eq!(status, StatusCode::CONFLICT);
    // The jobs propose nothing to a suspended request.
    let report = h.app.run_jobs(functions::now() + 60).await.unwrap();
    assert_eq!(report.proposed, 0, "{report:?}");
    assert_eq!(case(&h, &reference).await.state, CaseState::Suspended);
    // Reopened: it waits again and is examined like a new request.
    let (status, answer) = act(&h, &reference, &[("decision", "rouvrir")]).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(answer.contains("rouverte"), "{answer}");
    let reopened = case(&h, &reference).await;
    assert_eq!(reopened.state, CaseState::Proposed);
    assert_eq!(reopened.unanswered_calls, 0);
    let shown = page(&h, &reference).await;
    assert!(
        shown.contains("Demande rouverte. Était suspendue"),
        "{shown}"
    );
}

trait Unanswered {
    fn unwrap_unanswered(&self) -> u32;
}

impl Unanswered for functions::domain::lifecycle::Case {
    fn unwrap_unanswered(&self) -> u32 {
        self.unanswered_calls
    }
}

#[tokio::test]
async fn a_closed_request_reopens_and_keeps_its_closure_in_the_timeline() {
    let h = Harness::new(quick_limits());
    let reference = register(&h, &[]).await;
    let (status, _) = act(
        &h,
        &reference,
        &[("decision", "clore"), ("motif", "doublon")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(case(&h, &reference).await.state, CaseState::Closed);
    let (status, answer) = act(&h, &reference, &[("decision", "rouvrir")]).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let reopened = case(&h, &reference).await;
    assert!(reopened.closure.is_none());
    // Re-examined like a new one: another doctor is proposed at once.
    assert_eq!(reopened.state, CaseState::Proposed, "{reopened:?}");
    assert_eq!(reopened.proposals.len(), 2);
    let shown = page(&h, &reference).await;
    assert!(shown.contains("Demande en double"), "{shown}");
    // Reopening a request that is not closed is refused.
    let (status, _) = act(&h, &reference, &[("decision", "rouvrir")]).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_priority_change_is_shown_and_used_by_matching() {
    let h = Harness::new(quick_limits());
    let reference = register(&h, &[]).await;
    let computed = h
        .app
        .store
        .request(&reference)
        .await
        .unwrap()
        .unwrap()
        .priority
        .level;
    let level = if computed == 3 { "1" } else { "3" };
    // Without a reason: refused, nothing changed.
    let (status, answer) = act(
        &h,
        &reference,
        &[("decision", "priorite"), ("niveau", level)],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.contains("la raison du changement"), "{answer}");
    let (status, answer) = act(
        &h,
        &reference,
        &[
            ("decision", "priorite"),
            ("niveau", level),
            ("raison", "Évaluation par l'infirmière"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let changed = case(&h, &reference).await;
    assert_eq!(changed.needs.priority_level.to_string(), level);
    // The computed level stays in the request: both are shown.
    let request = h.app.store.request(&reference).await.unwrap().unwrap();
    assert_eq!(request.priority.level, computed);
    let shown = page(&h, &reference).await;
    assert!(
        shown.contains(&format!("Priorité changée de {computed} à {level} : ")),
        "{shown}"
    );
    assert!(shown.contains("Évaluation par l&#39;infirmière"), "{shown}");
    assert!(shown.contains("Priorité calculée par le formulaire"));
    // Matching reads it: a priority-only doctor becomes a candidate at level 1 only.
    let priority_only = functions::domain::matching::Unfit::PriorityOnly;
    let territory = h.app.territory();
    let loads = functions::domain::matching::Loads::new(&territory, &[]);
    let today = functions::domain::dates::local_date(functions::now());
    let options = functions::casework::doctors_for(&territory, &loads, &changed, today);
    let blocked = options.iter().any(|o| o.unmet.contains(&priority_only));
    assert_eq!(
        blocked,
        changed.needs.priority_level > 2 && territory.doctors.iter().any(|d| d.priority_only)
    );
}

#[tokio::test]
async fn she_chooses_a_candidate_or_another_doctor_after_a_warning() {
    let h = Harness::new(quick_limits());
    let reference = register(&h, &[]).await;
    let first = case(&h, &reference).await;
    let first_proposal = first.current_proposal().unwrap().to_string();
    let shown = page(&h, &reference).await;
    assert!(shown.contains("Choisir un médecin vous-même"), "{shown}");
    let territory = h.app.territory();
    let loads = functions::domain::matching::Loads::new(
        &territory,
        &h.app.store.doctor_loads(2026).await.unwrap(),
    );
    let today = functions::domain::dates::local_date(functions::now());
    let options = functions::casework::doctors_for(&territory, &loads, &first, today);
    let candidate = options
        .iter()
        .find(|o| o.unmet.is_empty())
        .expect("a candidate")
        .doctor
        .clone();
    assert!(shown.contains(&format!("value=\"{candidate}\"")));
    // Among the candidates: proposed at once, the open proposal withdrawn.
    let (status, answer) = act(
        &h,
        &reference,
        &[("decision", "choisir"), ("medecin", &candidate)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let chosen = case(&h, &reference).await;
    assert_eq!(chosen.state, CaseState::Proposed);
    assert_eq!(chosen.proposals.len(), 2);
    let old = h
        .app
        .store
        .proposal(&first_proposal)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.state, ProposalState::Withdrawn);
    let new = h
        .app
        .store
        .proposal(chosen.current_proposal().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(new.doctor, candidate);
    assert!(
        new.reasons
            .iter()
            .any(|r| r.contains("Choisi par la coordination"))
    );
    // Outside the candidates: a warning and a confirmation first, nothing changed meanwhile.
    let outside = options
        .iter()
        .find(|o| {
            !o.unmet.is_empty()
                && !o
                    .unmet
                    .contains(&functions::domain::matching::Unfit::NoCapacityLeft)
        })
        .expect("a doctor outside the candidates");
    let (status, answer) = act(
        &h,
        &reference,
        &[("decision", "choisir"), ("medecin", &outside.doctor)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(
        answer.contains("Ce médecin ne remplit pas ces conditions :"),
        "{answer}"
    );
    assert!(answer.contains("Je confirme"));
    assert_eq!(case(&h, &reference).await.version, chosen.version);
    let (status, answer) = act(
        &h,
        &reference,
        &[
            ("decision", "choisir"),
            ("medecin", &outside.doctor),
            ("confirmer", "oui"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let last = case(&h, &reference).await;
    assert_eq!(last.proposals.len(), 3);
    let timeline = h.app.store.timeline(&reference).await.unwrap();
    assert!(matches!(
        &timeline.last().unwrap().kind,
        EntryKind::DoctorChosen { unmet, .. } if !unmet.is_empty()
    ));
    let shown = page(&h, &reference).await;
    assert!(
        shown.contains("Ce médecin ne remplit pas ces conditions"),
        "{shown}"
    );
    // An unknown doctor: its own message, nothing changed.
    let (status, _) = act(
        &h,
        &reference,
        &[("decision", "choisir"), ("medecin", "med-inconnu")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(case(&h, &reference).await.version, last.version);
}

#[tokio::test]
async fn a_doctor_without_places_left_is_refused_with_its_own_message() {
    let h = Harness::new(quick_limits());
    let reference = register(&h, &[]).await;
    let t = h.app.territory();
    let mut doctors = t.doctors.clone();
    doctors.iter_mut().for_each(|d| d.yearly_capacity = 0);
    let full = doctors[0].id.clone();
    h.app
        .replace_territory(std::sync::Arc::new(territory::Territory::new(
            t.communes.clone(),
            t.cpts.clone(),
            doctors,
        )));
    let before = case(&h, &reference).await;
    let (status, answer) = act(
        &h,
        &reference,
        &[
            ("decision", "choisir"),
            ("medecin", &full),
            ("confirmer", "oui"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert!(answer.contains("plus de place"), "{answer}");
    assert_eq!(case(&h, &reference).await.version, before.version);
}

// ——— The person's rights: correcting her details, erasing them ———

fn details(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&'static str, String)> = [
        ("decision", "corriger"),
        ("last_name", "Dupré-Lefèvre"),
        ("first_name", "Léa"),
        ("birth_date", "14/07/1950"),
        ("phone", "06 12 34 56 78"),
        ("email", "lea.dupre@example.fr"),
        ("call_time", "morning"),
        ("commune", "Sedan (08200)"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect();
    for (k, v) in changes {
        if let Some(f) = fields.iter_mut().find(|f| f.0 == *k) {
            f.1 = v.to_string();
        }
    }
    fields
}

async fn act_owned(
    h: &Harness,
    reference: &str,
    fields: &[(&'static str, String)],
) -> (StatusCode, String) {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    act(h, reference, &pairs).await
}

#[tokio::test]
async fn details_are_corrected_field_by_field_and_the_audit_keeps_no_value() {
    let h = Harness::new(quick_limits());
    let reference = register(&h, &[]).await;
    let shown = page(&h, &reference).await;
    assert!(
        shown.contains("Corriger les coordonnées de la personne"),
        "{shown}"
    );
    assert!(shown.contains("value=\"Dupré-Lefèvre\""), "{shown}");
    // A wrong phone and birth date: each problem next to its field, the rest kept, nothing written.
    let before = case(&h, &reference).await;
    let (status, answer) = act_owned(
        &h,
        &reference,
        &details(&[
            ("phone", "12"),
            ("birth_date", "31/02/2000"),
            ("first_name", "Lea"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer.contains("corriger-phone-erreur"), "{answer}");
    assert!(answer.contains("corriger-birth_date-erreur"), "{answer}");
    assert!(answer.contains("value=\"Lea\""), "answers kept: {answer}");
    assert_eq!(case(&h, &reference).await.version, before.version);
    // The same details: nothing changes.
    let (status, answer) = act_owned(&h, &reference, &details(&[])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(answer.contains("Rien n&#39;a été modifié"), "{answer}");
    // A new phone, birth date and commune in another CPTS.
    let (status, answer) = act_owned(
        &h,
        &reference,
        &details(&[
            ("phone", "07 98 76 54 32"),
            ("birth_date", "02/03/1990"),
            ("commune", "Rethel (08300)"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(answer.contains("la demande passe de"), "{answer}");
    assert!(
        answer.contains("niveau de priorité calculé est"),
        "{answer}"
    );
    let stored = h.app.store.request(&reference).await.unwrap().unwrap();
    assert_eq!(stored.registration.phone.as_str(), "+33798765432");
    assert_eq!(stored.cpts.as_deref(), Some("rethelois"));
    let after = case(&h, &reference).await;
    assert_eq!(after.cpts.as_deref(), Some("rethelois"));
    assert_eq!(after.needs.commune, stored.registration.commune);
    assert_eq!(
        after.needs.priority_level, before.needs.priority_level,
        "not recomputed"
    );
    // The audit and the timeline name the fields, never a value.
    let audit = h.app.store.audit_trail(&reference).await.unwrap();
    let corrected: Vec<&str> = audit
        .iter()
        .map(|e| e.action.as_str())
        .filter(|a| a.starts_with("corrected"))
        .collect();
    assert_eq!(corrected, ["corrected:birth_date,phone,commune"]);
    let timeline = h.app.store.timeline(&reference).await.unwrap();
    let written = serde_json::to_string(&timeline).unwrap();
    for value in [
        "0612", "06 12", "+33612", "1950", "1990", "0798", "+33798", "08200", "Sedan",
    ] {
        assert!(!written.contains(value), "{value} in {written}");
        assert!(audit.iter().all(|e| !e.action.contains(value)));
    }
    let shown = page(&h, &reference).await;
    assert!(
        shown.contains("Coordonnées corrigées : la date de naissance, le téléphone, la commune."),
        "{shown}"
    );
}

#[tokio::test]
async fn erasing_asks_first_then_deletes_the_personal_data_at_once() {
    let h = Harness::new(quick_limits());
    let reference = register(&h, &[]).await;
    act(
        &h,
        &reference,
        &[("decision", "note"), ("note", "Rappeler le soir.")],
    )
    .await;
    // A copy of a mail to the person in the file outbox.
    use functions::mail::Mailer;
    h.app
        .mailer
        .send(&functions::domain::lifecycle::Mail {
            id: "to-the-person".into(),
            to: vec!["lea.dupre@example.fr".into()],
            subject: "Votre demande".into(),
            text: "Bonjour".into(),
            html: "<p>Bonjour</p>".into(),
            reply_to: Vec::new(),
            from_name: None,
        })
        .await
        .unwrap();
    h.app.deliver_due(i64::MAX / 2).await;
    let files = outbox_files(&h.outbox_dir()).len();
    let (status, answer) = act(&h, &reference, &[("decision", "effacer")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        answer.contains(
            "Effacer les données de cette personne ? Cette action ne peut pas être annulée."
        ),
        "{answer}"
    );
    assert!(
        h.app.store.request(&reference).await.unwrap().is_some(),
        "nothing yet"
    );
    let (status, answer) = act(
        &h,
        &reference,
        &[("decision", "effacer"), ("confirmer", "oui")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(h.app.store.request(&reference).await.unwrap().is_none());
    assert!(h.app.store.timeline(&reference).await.unwrap().is_empty());
    let closed = case(&h, &reference).await;
    assert_eq!(closed.state, CaseState::Closed);
    assert_eq!(
        closed.closure.unwrap().reason,
        functions::domain::lifecycle::ClosingReason::Withdrawn
    );
    assert_eq!(
        outbox_files(&h.outbox_dir()).len(),
        files - 1,
        "its .eml is gone"
    );
    for raw in outbox_files(&h.outbox_dir()) {
        assert!(!raw.contains("lea.dupre"));
    }
    // The page says when, and shows nothing personal; no action is possible any more.
    let (path, token) = page_link(&h, &reference);
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("jeton", &token);
    let (r, shown) = h.get(&format!("{path}?{}", s.finish())).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        shown.contains("Données effacées à la demande de la personne, le"),
        "{shown}"
    );
    for personal in [
        "Dupr",
        "Lef",
        "Léa",
        "06 12",
        "0612",
        "1950",
        "14/07",
        "lea.dupre",
    ] {
        assert!(!shown.contains(personal), "{personal} in {shown}");
    }
    let (status, _) = act(&h, &reference, &[("decision", "rouvrir")]).await;
    assert_eq!(status, StatusCode::GONE);
    // The patient's follow link says so.
    let url = h.app.patient_link(&reference, functions::now());
    let (_, patient) = h.get(url.trim_start_matches(BASE)).await;
    assert!(
        patient.contains("vos données ont été effacées"),
        "{patient}"
    );
}
