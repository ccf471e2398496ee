//! Proposals and decisions (issue #6) through the real Router, SQLite and the outbox: the whole
//! path from registration to the patient told, links that mail scanners open, tokens that cannot
//! be used, decisions made twice, doctors who decline or have no place left, the scheduled jobs,
//! the coordinator's overview, and no personal data in any mail.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use functions::domain::lifecycle::{CaseState, ProposalState};
use functions::store::Store;
use functions::workflow::{Answer, Outcome};
use territory::Territory;

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

/// Sends what is due and returns the mail `id`, decoded.
async fn mail(h: &Harness, id: &str) -> String {
    h.app.deliver_due(i64::MAX / 2).await;
    let path = h.outbox_dir().join(format!("{id}.eml"));
    let raw = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("no mail {id}; outbox: {:?}", mail_ids(h)));
    decode_mail(&raw)
}

fn mail_ids(h: &Harness) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(h.outbox_dir())
        .map(|d| {
            d.flatten()
                .filter_map(|e| {
                    e.file_name()
                        .to_str()
                        .and_then(|n| n.strip_suffix(".eml"))
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

/// The links of a mail's text part, as paths on the handler.
fn links(mail: &str) -> Vec<String> {
    let mut found: Vec<String> = mail
        .lines()
        .filter(|l| l.starts_with(BASE))
        .map(|l| l.trim().trim_start_matches(BASE).to_string())
        .collect();
    found.dedup();
    found
}

fn link_to(mail: &str, prefix: &str) -> String {
    links(mail)
        .into_iter()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no link to {prefix} in:\n{mail}"))
}

/// The page's path and its token, for a POST.
fn split(link: &str) -> (String, String) {
    let (path, query) = link.split_once("?jeton=").unwrap();
    let token: String = form_urlencoded::parse(format!("jeton={query}").as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned();
    (path.to_string(), token)
}

async fn post(h: &Harness, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String, String) {
    let mut s = form_urlencoded::Serializer::new(String::new());
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
    (r.status(), location(&r), page)
}

/// What a decision changes: if this is equal before and after, nothing happened.
async fn state(h: &Harness, reference: &str) -> String {
    let store = &h.app.store;
    let case = store.case(reference).await.unwrap();
    let mut proposals = Vec::new();
    for id in case.iter().flat_map(|c| c.proposals.iter()) {
        proposals.push(store.proposal(id).await.unwrap());
    }
    let loads = store.doctor_loads(2026).await.unwrap();
    let loads_next = store.doctor_loads(2027).await.unwrap();
    format!(
        "{case:?}\n{proposals:?}\n{loads:?}\n{loads_next:?}\npending {}\nsent {:?}",
        store.pending_mail_count().await.unwrap(),
        mail_ids(h)
    )
}

/// The CPTS of request `reference`.
async fn cpts_of(h: &Harness, reference: &str) -> territory::Cpts {
    let case = h.app.store.case(reference).await.unwrap().unwrap();
    h.app
        .territory()
        .cpts
        .iter()
        .find(|c| Some(c.id.as_str()) == case.cpts.as_deref())
        .cloned()
        .expect("the request's CPTS")
}

/// A doctor's mail (decoded) comes from `cpts`, by name, and answers to its coordinators.
fn assert_sent_by_cpts(mail: &str, cpts: &territory::Cpts) {
    let from = mail
        .lines()
        .find(|l| l.starts_with("From: "))
        .unwrap_or_default();
    let reply_to = mail
        .lines()
        .find(|l| l.starts_with("Reply-To: "))
        .unwrap_or_default();
    // The display name is encoded when it is not plain ASCII.
    let name_ascii = cpts.name.is_ascii();
    assert!(
        !name_ascii || from.contains(&cpts.name),
        "{from} is not from {}",
        cpts.name
    );
    assert!(
        from.contains("ne-pas-repondre@") || from.contains('<'),
        "{from}"
    );
    assert!(!cpts.coordinators.is_empty());
    for c in &cpts.coordinators {
        assert!(reply_to.contains(&c.email), "{reply_to}: {}", c.email);
    }
}

/// A doctor's page names his CPTS's coordination in its footer, not the patients' phone line.
fn assert_doctor_footer(page: &str, cpts: &territory::Cpts) {
    let footer = &page[page.find("<footer").expect("a footer")..];
    assert!(footer.contains("Écrivez à la coordination"), "{footer}");
    for c in &cpts.coordinators {
        assert!(footer.contains(&c.email), "{footer}");
        assert!(footer.contains(&c.name), "{footer}");
    }
    assert!(!page.contains("Numéro unique"), "{footer}");
    assert!(
        !page.contains("Pas de médecin traitant ? Appelez"),
        "{page}"
    );
    assert!(!footer.contains("116 117"), "{footer}");
}

async fn validate(h: &Harness, reference: &str) -> String {
    let coordination = mail(h, &format!("{reference}-coordination")).await;
    let link = link_to(&coordination, "/api/demandes/");
    let (path, token) = split(&link);
    let case = h.app.store.case(reference).await.unwrap().unwrap();
    let proposal = case.current_proposal().unwrap().to_string();
    let (status, _, page) = post(
        h,
        &path,
        &[
            ("jeton", &token),
            ("proposition", &proposal),
            ("decision", "valider"),
            ("qui", "0"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Proposition validée"), "{page}");
    proposal
}

#[tokio::test]
async fn a_request_goes_from_registration_to_the_patient_informed() {
    let h = Harness::new(quick_limits());
    let reference = register(&h, &[]).await;

    // The coordinator's mail leads to the request, the proposed doctor and why.
    let coordination = mail(&h, &format!("{reference}-coordination")).await;
    let link = link_to(&coordination, "/api/demandes/");
    let (r, page) = h.get(&link).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        page.contains("Léa Dupré-Lefèvre"),
        "she can call the patient"
    );
    assert!(page.contains("Médecin proposé : Dr "), "{page}");
    assert!(page.contains("Pourquoi ce médecin"));
    assert!(page.contains("km du centre de Sedan"));
    assert!(page.contains("place"));
    assert!(!page.contains("<script"), "plain HTML forms");
    assert!(page.contains(r#"method="post""#));

    let proposal = validate(&h, &reference).await;
    let stored = h.app.store.proposal(&proposal).await.unwrap().unwrap();
    assert_eq!(stored.state, ProposalState::Validated);
    let doctor = h
        .app
        .territory()
        .doctors
        .iter()
        .find(|d| d.id == stored.doctor)
        .cloned()
        .unwrap();

    // The doctor's mail: commune and distance, and his link; the page shows no name before he accepts.
    let to_doctor = mail(&h, &format!("{proposal}-medecin")).await;
    assert!(
        to_doctor.contains(&format!("To: {}", doctor.email)) || to_doctor.contains(&doctor.email)
    );
    assert!(to_doctor.contains("Sedan"));
    // It comes from the patient's CPTS, by name, and answers to its coordinators.
    let cpts = &cpts_of(&h, &reference).await;
    assert_sent_by_cpts(&to_doctor, cpts);
    // The criteria the patient declared are on his signed page, never in his mail.
    for criterion in ["Affection de longue durée", "ALD", "Grossesse", "Handicap"] {
        assert!(!to_doctor.contains(criterion), "{criterion} in the mail");
    }
    let doctor_link = link_to(&to_doctor, "/api/propositions/");
    let (r, page) = h.get(&doctor_link).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(page.contains("Commune du patient"));
    assert!(page.contains("Niveau 1"));
    assert!(page.contains("70 ans ou plus"));
    assert!(page.contains("Distance de votre cabinet"), "{page}");
    assert!(
        page.contains("<dt>Affection de longue durée (ALD)</dt><dd>Oui</dd>"),
        "{page}"
    );
    assert!(page.contains("<dt>Grossesse</dt><dd>Oui</dd>"), "{page}");
    assert!(
        page.contains("<dt>Handicap ou perte d&#39;autonomie</dt><dd>Non</dd>"),
        "{page}"
    );
    assert!(page.contains("<dt>Traitement régulier</dt><dd>Non</dd>"));
    assert!(page.contains("<dt>C2S ou AME</dt><dd>Non</dd>"));
    assert!(!page.contains("précarité"), "not the doctor's to know");
    assert_doctor_footer(&page, cpts);
    for hidden in ["Dupré", "Léa", "06 12", "lea.dupre"] {
        assert!(!page.contains(hidden), "{hidden} shown before accepting");
    }

    // He accepts: one place used, his page now shows how to reach the patient.
    let (path, token) = split(&doctor_link);
    let (status, to, _) = post(&h, &path, &[("jeton", &token), ("reponse", "accepter")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = h.get(&to).await;
    assert!(
        page.contains("Léa Dupré-Lefèvre") && page.contains("06 12 34 56 78"),
        "{page}"
    );
    assert_doctor_footer(&page, cpts);
    let load = h
        .app
        .store
        .doctor_loads(functions::domain::matching::period_of(
            chrono::Local::now().date_naive(),
        ))
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.doctor == doctor.id)
        .unwrap();
    assert_eq!((load.load, load.accepted), (1, 1));

    // The patient gave an email: he is told, and the request is "informed".
    let case = h.app.store.case(&reference).await.unwrap().unwrap();
    assert_eq!(case.state, CaseState::Informed);
    let to_patient = mail(&h, &format!("{reference}-patient")).await;
    assert!(to_patient.contains("lea.dupre@example.fr"));
    let (r, page) = h.get(&link_to(&to_patient, "/api/suivi/")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(page.contains(&doctor.name), "{page}");
    // The coordinator is told the doctor accepted.
    let accepted = mail(&h, &format!("{proposal}-acceptee")).await;
    assert!(accepted.contains("a accepté"));

    // She closes the request once the first appointment took place.
    let (path, token) = split(&link);
    let (status, _, page) = post(
        &h,
        &path,
        &[
            ("jeton", &token),
            ("proposition", &proposal),
            ("decision", "clore"),
            ("motif", "trouve_cpts"),
            ("qui", "1"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let case = h.app.store.case(&reference).await.unwrap().unwrap();
    assert_eq!(case.state, CaseState::Closed);
    assert_eq!(
        h.app
            .store
            .proposal(&proposal)
            .await
            .unwrap()
            .unwrap()
            .state,
        ProposalState::Closed
    );
    let trail = h.app.store.audit_trail(&proposal).await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["proposed", "validated", "accepted", "informed"],
        "every transition is in the audit log"
    );
}

#[tokio::test]
async fn every_link_fetched_like_a_mail_scanner_changes_nothing() {
    let h = Harness::new(quick_limits());
    let reference = register(&h, &[]).await;
    let proposal = validate(&h, &reference).await;
    // Every link of every mail so far: the coordinator's pages, the overview, the doctor's page.
    let mut all = Vec::new();
    h.app.deliver_due(i64::MAX / 2).await;
    for id in mail_ids(&h) {
        all.extend(links(&mail(&h, &id).await));
    }
    all.push(format!(
        "/api/suivi/{reference}?jeton={}",
        h.app
            .keys
            .sign("patient", &reference, functions::now() + 600)
    ));
    assert!(all.len() >= 4, "{all:?}");
    let before = state(&h, &reference).await;
    for link in &all {
        for method in ["GET", "HEAD"] {
            let request = Request::builder()
                .method(method)
                .uri(link)
                .body(Body::empty())
                .unwrap();
            let (r, _) = h.send(request).await;
            assert_eq!(r.status(), StatusCode::OK, "{method} {link}");
        }
    }
    assert_eq!(
        state(&h, &reference).await,
        before,
        "GET and HEAD change nothing"
    );
    let p = h.app.store.proposal(&proposal).await.unwrap().unwrap();
    assert_eq!(p.state, ProposalState::Validated);
}

#[tokio::test]
async fn a_decision_sent_twice_acts_once_and_says_who_decided() {
    let h = Harness::new(quick_limits());
    let reference = register(&h, &[]).await;
    let coordination = mail(&h, &format!("{reference}-coordination")).await;
    let (path, token) = split(&link_to(&coordination, "/api/demandes/"));
    let proposal = validate(&h, &reference).await;
    let case = h.app.store.case(&reference).await.unwrap().unwrap();
    let first_coordinator = h
        .app
        .territory()
        .cpts
        .iter()
        .find(|c| Some(&c.id) == case.cpts.as_ref())
        .unwrap()
        .coordinators[0]
        .name
        .clone();
    let after_first = state(&h, &reference).await;
    for decision in ["valider", "autre"] {
        let (status, _, page) = post(
            &h,
            &path,
            &[
                ("jeton", &token),
                ("proposition", &proposal),
                ("decision", decision),
                ("motif", "trop_loin"),
                ("qui", "1"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{page}");
        assert!(page.contains("Déjà décidé"));
        assert!(page.contains("validé"), "what was decided: {page}");
        assert!(page.contains(&first_coordinator), "by whom: {page}");
        assert!(page.contains("Rien n'a été modifié"));
    }
    assert_eq!(state(&h, &reference).await, after_first, "one effect only");

    // The doctor's answer, replayed, is one answer too.
    let to_doctor = mail(&h, &format!("{proposal}-medecin")).await;
    let (path, token) = split(&link_to(&to_doctor, "/api/propositions/"));
    let (status, _, _) = post(&h, &path, &[("jeton", &token), ("reponse", "accepter")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let accepted = state(&h, &reference).await;
    for answer in ["accepter", "refuser"] {
        let (status, _, page) = post(&h, &path, &[("jeton", &token), ("reponse", answer)]).await;
        assert_eq!(status, StatusCode::CONFLICT, "{page}");
        assert!(page.contains("Déjà répondu"));
    }
    assert_eq!(state(&h, &reference).await, accepted);
}

#[tokio::test]
async fn links_that_cannot_be_used_get_their_own_page_and_do_nothing() {
    let h = Harness::new(quick_limits());
    let reference = register(&h, &[]).await;
    let proposal = validate(&h, &reference).await;
    let now = functions::now();
    let keys = &h.app.keys;
    let before = state(&h, &reference).await;
    let doctor_token = keys.sign("medecin", &proposal, now + 600);
    let coordinator_token = keys.sign("voir", &reference, now + 600);
    let cases = [
        // Tampered: another expiry under the same signature.
        (
            format!("/api/propositions/{proposal}"),
            doctor_token.replace(&format!(".{}.", now + 600), &format!(".{}.", now + 99_999)),
            StatusCode::BAD_REQUEST,
            "Ce lien n'est pas valide",
        ),
        (
            format!("/api/propositions/{proposal}"),
            keys.sign("medecin", &proposal, now - 1),
            StatusCode::GONE,
            "Ce lien a expiré",
        ),
        (
            format!("/api/propositions/{proposal}"),
            functions::signed::KeyRing::generate().sign("medecin", &proposal, now + 600),
            StatusCode::BAD_REQUEST,
            "Ce lien n'est pas valide",
        ),
        (
            format!("/api/propositions/{proposal}"),
            doctor_token.replace(".k1.", ".k7."),
            StatusCode::FORBIDDEN,
            "plus reconnu",
        ),
        // Actions swapped between tokens: the coordinator's token on the doctor's page…
        (
            format!("/api/propositions/{proposal}"),
            coordinator_token.clone(),
            StatusCode::BAD_REQUEST,
            "Ce lien n'est pas valide",
        ),
        // …and the doctor's on the coordinator's.
        (
            format!("/api/demandes/{reference}"),
            doctor_token.clone(),
            StatusCode::BAD_REQUEST,
            "Ce lien n'est pas valide",
        ),
        // A token for another request.
        (
            format!("/api/demandes/{reference}"),
            keys.sign("voir", "ZZZZZZZZ", now + 600),
            StatusCode::BAD_REQUEST,
            "Ce lien n'est pas valide",
        ),
    ];
    for (path, token, status, text) in cases {
        let (r, page) = h.get(&format!("{path}?jeton={token}")).await;
        assert_eq!(r.status(), status, "GET {path} {token}");
        assert!(page.contains(text), "{page}");
        let (got, _, page) = post(
            &h,
            &path,
            &[
                ("jeton", &token),
                ("reponse", "accepter"),
                ("decision", "valider"),
                ("proposition", &proposal),
            ],
        )
        .await;
        assert_eq!(got, status, "POST {path}");
        assert!(page.contains(text));
    }
    // A valid token from another site's page.
    let request = Request::post(format!("/api/propositions/{proposal}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:8000")
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::from(format!("jeton={doctor_token}&reponse=accepter")))
        .unwrap();
    let (r, _) = h.send(request).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(state(&h, &reference).await, before, "nothing changed");
}

#[tokio::test]
async fn a_declined_or_paused_proposal_moves_on_to_another_doctor() {
    let h = Harness::new(quick_limits());
    let reference = register(&h, &[]).await;
    let first = validate(&h, &reference).await;
    let first_doctor = h.app.store.proposal(&first).await.unwrap().unwrap().doctor;
    let to_doctor = mail(&h, &format!("{first}-medecin")).await;
    let (path, token) = split(&link_to(&to_doctor, "/api/propositions/"));
    let (status, _, page) = post(
        &h,
        &path,
        &[("jeton", &token), ("reponse", "pause"), ("pause_mois", "3")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("ne vous proposera personne avant le"));
    // The page after his answer names his coordination, not the patients' line.
    let cpts = &cpts_of(&h, &reference).await;
    assert_doctor_footer(&page, cpts);
    let case = h.app.store.case(&reference).await.unwrap().unwrap();
    assert_eq!(
        case.state,
        CaseState::Proposed,
        "the next doctor is proposed"
    );
    let second = h
        .app
        .store
        .proposal(case.current_proposal().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_ne!(second.doctor, first_doctor);
    assert_eq!(
        h.app.store.proposal(&first).await.unwrap().unwrap().state,
        ProposalState::Declined
    );
    // Paused through his link: never proposed for another request before the date.
    let other = register(&h, &[("phone", Some("06 98 76 54 32"))]).await;
    let other_case = h.app.store.case(&other).await.unwrap().unwrap();
    let proposed = h
        .app
        .store
        .proposal(other_case.current_proposal().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_ne!(proposed.doctor, first_doctor, "paused doctor skipped");
    let decline_mail = mail(&h, &format!("{first}-refusee")).await;
    assert!(decline_mail.contains("a décliné"));

    // The coordinator asks for another: the second doctor is set aside, a third one proposed.
    let coordination = mail(&h, &format!("{reference}-coordination")).await;
    let (path, token) = split(&link_to(&coordination, "/api/demandes/"));
    let (status, _, page) = post(
        &h,
        &path,
        &[
            ("jeton", &token),
            ("proposition", &second.id),
            ("decision", "autre"),
            ("motif", "trop_loin"),
            ("qui", "0"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let case = h.app.store.case(&reference).await.unwrap().unwrap();
    assert_eq!(case.tried.len(), 3, "{case:?}");
    assert_eq!(
        h.app
            .store
            .proposal(&second.id)
            .await
            .unwrap()
            .unwrap()
            .state,
        ProposalState::Rejected
    );
}

/// The demo territory with `change` applied to its doctors.
fn territory_with(h: &Harness, change: impl Fn(&mut territory::Doctor)) -> Arc<Territory> {
    let t = h.app.territory();
    let mut doctors = t.doctors.clone();
    doctors.iter_mut().for_each(change);
    Arc::new(Territory::new(t.communes.clone(), t.cpts.clone(), doctors))
}

#[tokio::test]
async fn a_doctor_without_places_left_passes_the_request_on() {
    let h = Harness::new(quick_limits());
    let reference = register(&h, &[]).await;
    let proposal = validate(&h, &reference).await;
    let doctor = h
        .app
        .store
        .proposal(&proposal)
        .await
        .unwrap()
        .unwrap()
        .doctor;
    // Meanwhile his declaration changed: no place this year.
    h.app.replace_territory(territory_with(&h, |d| {
        if d.id == doctor {
            d.yearly_capacity = 0;
        }
    }));
    let outcome = h
        .app
        .doctor_answers(&proposal, Answer::Accept, functions::now())
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::NoPlaceLeft);
    let case = h.app.store.case(&reference).await.unwrap().unwrap();
    assert_eq!(case.state, CaseState::Proposed);
    assert_eq!(case.tried.len(), 2);
    let full = mail(&h, &format!("{proposal}-complet")).await;
    assert!(full.contains("toutes les places"));
}

#[tokio::test]
async fn jobs_remind_expire_and_examine_waiting_requests_again() {
    let h = Harness::new(quick_limits());
    let now = functions::now();
    let day = 86_400;
    let reference = register(&h, &[]).await;
    let first = h
        .app
        .store
        .case(&reference)
        .await
        .unwrap()
        .unwrap()
        .current_proposal()
        .unwrap()
        .to_string();
    // Five days later: a reminder to the coordinator, once.
    let report = h.app.run_jobs(now + 5 * day + 60).await.unwrap();
    assert_eq!((report.reminded, report.expired), (1, 0), "{report:?}");
    assert!(
        mail(&h, &format!("{first}-rappel"))
            .await
            .contains("Rappel")
    );
    let report = h.app.run_jobs(now + 5 * day + 120).await.unwrap();
    assert_eq!(report.reminded, 0, "reminded once");
    // Eight days later: expired, the next doctor proposed and the coordinators told.
    let report = h.app.run_jobs(now + 8 * day).await.unwrap();
    assert_eq!((report.expired, report.proposed), (1, 1), "{report:?}");
    let case = h.app.store.case(&reference).await.unwrap().unwrap();
    assert_eq!(case.state, CaseState::Proposed);
    assert_eq!(case.proposals.len(), 2);
    assert_eq!(
        h.app.store.proposal(&first).await.unwrap().unwrap().state,
        ProposalState::Expired
    );
    assert!(
        mail(&h, &format!("{first}-expiree"))
            .await
            .contains("pas eu de réponse")
    );

    // A request no doctor can take waits, then is proposed when a new list brings one.
    let far = register(
        &h,
        &[
            ("commune", Some("Rocroi (08230)")),
            ("max_distance", Some("10")),
            ("home_visits", Some("yes")),
            ("phone", Some("06 11 22 33 44")),
        ],
    )
    .await;
    let case = h.app.store.case(&far).await.unwrap().unwrap();
    assert_eq!(case.state, CaseState::Waiting, "{case:?}");
    let report = h.app.run_jobs(now + 8 * day + 60).await.unwrap();
    assert_eq!(report.proposed, 0);
    assert!(report.still_waiting >= 1);
    let rocroi = h.app.territory().commune_position("08367").unwrap();
    let centre = h.app.territory().communes[rocroi].centre;
    h.app.replace_territory(territory_with(&h, |d| {
        if d.id == "med-001" {
            d.commune = rocroi;
            d.location = centre;
        }
    }));
    let report = h.app.run_jobs(now + 8 * day + 120).await.unwrap();
    assert!(report.proposed >= 1, "{report:?}");
    let case = h.app.store.case(&far).await.unwrap().unwrap();
    assert_eq!(case.state, CaseState::Proposed);
    assert!(
        mail(&h, &format!("{far}-1-proposition"))
            .await
            .contains("Médecin proposé")
    );
}

#[tokio::test]
async fn a_doctor_whose_proposal_expires_is_told_by_his_cpts_and_his_page_says_so() {
    let h = Harness::new(quick_limits());
    let now = functions::now();
    let day = 86_400;
    let reference = register(&h, &[]).await;
    let proposal = validate(&h, &reference).await;
    let doctor_link = link_to(
        &mail(&h, &format!("{proposal}-medecin")).await,
        "/api/propositions/",
    );
    let cpts = &cpts_of(&h, &reference).await;
    let doctor_email = h
        .app
        .territory()
        .doctor(
            &h.app
                .store
                .proposal(&proposal)
                .await
                .unwrap()
                .unwrap()
                .doctor,
        )
        .unwrap()
        .email
        .clone();
    let after = now + (functions::domain::lifecycle::ANSWER_DAYS + 1) * day;
    let report = h.app.run_jobs(after).await.unwrap();
    assert_eq!(report.expired, 1, "{report:?}");
    let told = mail(&h, &format!("{proposal}-expiree-medecin")).await;
    assert!(told.contains(&doctor_email), "{told}");
    assert!(told.contains("est close"), "{told}");
    assert!(told.contains("Vous n'avez rien à faire"), "{told}");
    assert!(told.contains(&proposal), "the reference");
    assert_sent_by_cpts(&told, cpts);
    // The CPTS's name may name a town (the From line): look at the rest.
    let body: String = told
        .lines()
        .filter(|l| !l.starts_with("From:"))
        .collect::<Vec<_>>()
        .join("\n");
    for personal in ["Sedan", "Dupré", "Léa", "06 12", "1950", "Grossesse", "ALD"] {
        assert!(!body.contains(personal), "« {personal} » in:\n{told}");
    }
    // Once, and the coordinators are told as before.
    h.app.run_jobs(after + 60).await.unwrap();
    assert!(
        mail(&h, &format!("{proposal}-expiree"))
            .await
            .contains("pas eu de réponse")
    );
    assert_eq!(
        mail_ids(&h)
            .iter()
            .filter(|id| id.starts_with(&proposal) && id.ends_with("expiree-medecin"))
            .count(),
        1
    );
    // His link now says the proposal is closed, with his coordination in the footer.
    let (r, page) = h.get(&doctor_link).await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    assert!(page.contains("Cette proposition a expiré"), "{page}");
    assert_doctor_footer(&page, cpts);
}

#[tokio::test]
async fn the_overview_shows_what_waits_and_exports_counts_only() {
    let h = Harness::new(quick_limits());
    let reference = register(&h, &[]).await;
    let waiting = register(
        &h,
        &[
            ("commune", Some("Rocroi (08230)")),
            ("max_distance", Some("10")),
            ("home_visits", Some("yes")),
            ("phone", Some("06 11 22 33 44")),
        ],
    )
    .await;
    let coordination = mail(&h, &format!("{reference}-coordination")).await;
    let overview = link_to(&coordination, "/api/coordination/");
    let (r, page) = h.get(&overview).await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    assert!(page.contains("Ce qui vous attend"));
    assert!(
        page.contains(&format!("Demande {reference}")),
        "to validate"
    );
    assert!(page.contains("Communes saturées"));
    let case = h.app.store.case(&waiting).await.unwrap().unwrap();
    if case.cpts == h.app.store.case(&reference).await.unwrap().unwrap().cpts {
        assert!(page.contains("Rocroi"), "{page}");
    }
    let (path, token) = split(&overview);
    let (r, csv) = h
        .get(&format!(
            "{path}/export.csv?jeton={}",
            form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    // UTF-8 with a BOM: French Excel reads « Demandes reçues » right.
    assert!(
        csv.as_bytes()
            .starts_with(b"\xEF\xBB\xBFindicateur;valeur\n"),
        "{csv}"
    );
    assert!(csv.contains("\"Demandes reçues\";"));
    for personal in ["Dupré", "Léa", "06 12", "lea.dupre", &reference, "Dr "] {
        assert!(!csv.contains(personal), "{personal} in the CSV:\n{csv}");
    }
    // Another CPTS's token does not open this one.
    let other = h
        .app
        .keys
        .sign("tableau", "autre-cpts", functions::now() + 600);
    let (r, _) = h.get(&format!("{path}?jeton={other}")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn no_mail_of_the_whole_path_holds_personal_data() {
    let h = Harness::new(quick_limits());
    let now = functions::now();
    let reference = register(&h, &[]).await;
    h.app.run_jobs(now + 5 * 86_400 + 60).await.unwrap();
    let proposal = validate(&h, &reference).await;
    h.app.run_jobs(now + 5 * 86_400 + 120).await.unwrap();
    h.app
        .doctor_answers(&proposal, Answer::Accept, now + 5 * 86_400 + 180)
        .await
        .unwrap();
    let second = register(&h, &[("phone", Some("06 98 76 54 32"))]).await;
    h.app.run_jobs(now + 20 * 86_400).await.unwrap();
    let ids = mail_ids(&h);
    for kind in [
        "coordination",
        "medecin",
        "rappel",
        "acceptee",
        "patient",
        "expiree",
    ] {
        assert!(
            ids.iter().any(|id| id.ends_with(kind)),
            "a mail of kind {kind} in {ids:?}"
        );
    }
    let territory = h.app.territory();
    for id in &ids {
        let decoded = mail(&h, id).await;
        let readable = without_random_parts(&without_random_parts(&decoded, &reference), &second);
        // The patient's own address is the envelope of his mail: look at the rest.
        let body = readable
            .lines()
            .filter(|l| !l.starts_with("To:"))
            .collect::<Vec<_>>()
            .join("\n")
            .to_lowercase();
        for personal in [
            "dupr",
            "lefèvre",
            "léa",
            "l=c3=a9a",
            "06 12",
            "0612",
            "612345678",
            "1950",
            "14/07",
            "lea.dupre",
            "grossesse",
            "enceinte",
            "ald",
            "affection",
            "niveau 1",
            "prioritaire",
        ] {
            assert!(
                !body.contains(personal),
                "« {personal} » in mail {id}:\n{decoded}"
            );
        }
        for doctor in &territory.doctors {
            assert!(
                !body.contains(&doctor.name.to_lowercase()),
                "a doctor's name in mail {id}"
            );
        }
    }
}

#[tokio::test]
async fn a_decision_after_the_deadline_says_the_proposal_expired() {
    let h = Harness::new(quick_limits());
    let reference = register(&h, &[]).await;
    let case = h.app.store.case(&reference).await.unwrap().unwrap();
    let first = case.current_proposal().unwrap().to_string();
    let outcome = h
        .app
        .coordinator_decides(
            &reference,
            Some(&first),
            functions::workflow::Decision::Validate,
            "Test",
            functions::now() + 8 * 86_400,
        )
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::Expired);
    assert_eq!(
        h.app.store.proposal(&first).await.unwrap().unwrap().state,
        ProposalState::Expired
    );
    let case = h.app.store.case(&reference).await.unwrap().unwrap();
    assert_ne!(case.current_proposal(), Some(first.as_str()), "moved on");
}
