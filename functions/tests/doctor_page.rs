//! The doctor's standing link (#15 item 1), through the Router on real SQLite: his page shows his
//! declaration and changes nothing when opened (GET, HEAD); its form stores every change, read
//! back by the matching's territory; « rien n'a changé » dates it again; bad answers are kept and
//! nothing is stored; expired, tampered and other doctors' links are refused, each with its own
//! page; asking for one's link answers the same for any address and mails only a doctor (its
//! logs: `logs.rs`).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, NaiveDate};
use common::*;
use functions::domain::declarations::Source;
use functions::links::Link;
use functions::store::Store;
use territory::Availability;

const BASE: &str = "http://127.0.0.1:8000";
/// Accepts now, 20 a year, home visits 10 km, named (content/territory/doctors.csv).
const CLAIRE: &str = "med-001";
const CLAIRE_EMAIL: &str = "dr.claire.vautrin@example.org";
/// Accepts now, 10 a year, no visits, priority patients only, not named.
const HUGO: &str = "med-002";

fn today() -> NaiveDate {
    functions::domain::dates::local_date(functions::now())
}

/// Doctor `id`'s page path and its token, as mailed.
fn standing(h: &Harness, id: &str) -> (String, String) {
    let url = h.app.standing_link(id, functions::now());
    split(&url[BASE.len()..])
}

fn split(link: &str) -> (String, String) {
    let (path, query) = link.split_once('?').unwrap();
    let token = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "jeton")
        .unwrap()
        .1
        .into_owned();
    (path.to_string(), token)
}

fn with_token(path: &str, token: &str) -> String {
    format!(
        "{path}?jeton={}",
        form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
    )
}

fn post(uri: &str, fields: &[(&str, &str)]) -> Request<Body> {
    post_from(uri, fields, BASE)
}

fn post_from(uri: &str, fields: &[(&str, &str)], origin: &str) -> Request<Body> {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:8000")
        .header(header::ORIGIN, origin)
        .body(Body::from(body))
        .unwrap()
}

/// The answer, its page with Tera's escapes of `'` and `/` undone.
async fn send(h: &Harness, request: Request<Body>) -> (axum::http::Response<Body>, String) {
    let (r, page) = h.send(request).await;
    (
        r,
        page.replace("&#x27;", "'")
            .replace("&#39;", "'")
            .replace("&#x2F;", "/"),
    )
}

async fn get(h: &Harness, uri: &str) -> (axum::http::Response<Body>, String) {
    send(h, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn stamp(h: &Harness) -> u64 {
    h.app.store.declarations_stamp().await.unwrap()
}

/// The form as the page fills it for Hugo, with `changes`.
fn hugo_form<'a>(token: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("jeton", token),
        ("action", "enregistrer"),
        ("statut", "maintenant"),
        ("capacite", "10"),
        ("prioritaires", "oui"),
    ];
    for (k, v) in changes {
        fields.retain(|(key, _)| key != k);
        fields.push((k, v));
    }
    fields
}

#[tokio::test]
async fn opening_the_page_shows_his_declaration_and_changes_nothing() {
    let h = Harness::new(quick_limits());
    let (path, token) = standing(&h, CLAIRE);
    let before = stamp(&h).await;
    let (r, page) = get(&h, &with_token(&path, &token)).await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    assert_eq!(r.headers()[header::REFERRER_POLICY], "same-origin");
    for said in [
        "Ma disponibilité",
        "Dr Claire Vautrin",
        "liste des médecins de la CPTS, mise à jour le 11 novembre 2026",
        "accepte de nouveaux patients",
        "visites à domicile jusqu'à 10 km",
        "Votre nom est affiché sur le site",
        "Rien n'a changé",
        "Aucune proposition n'attend votre réponse",
    ] {
        assert!(page.contains(said), "« {said} » missing in:\n{page}");
    }
    // The form is filled with his declaration.
    assert!(page.contains(r#"value="maintenant" checked"#), "{page}");
    assert!(
        page.contains(r#"name="capacite" inputmode="numeric" min="0" max="500" value="20""#),
        "{page}"
    );
    assert!(
        page.contains(r#"name="public" value="oui" checked"#),
        "{page}"
    );

    let head = Request::head(with_token(&path, &token))
        .body(Body::empty())
        .unwrap();
    let (r, body) = send(&h, head).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body.is_empty());
    assert_eq!(stamp(&h).await, before, "GET and HEAD store nothing");
    assert!(h.app.store.declarations().await.unwrap().list.is_empty());
    assert!(
        h.app
            .store
            .audit_trail(&format!("doctor:{CLAIRE}"))
            .await
            .unwrap()
            .is_empty()
    );

    // Not named: the page says so, and the public lines show no conditions.
    let (path, token) = standing(&h, HUGO);
    let (_, page) = get(&h, &with_token(&path, &token)).await;
    assert!(
        page.contains("Votre nom n'est pas affiché sur le site"),
        "{page}"
    );
    assert!(
        page.contains(r#"name="public" value="oui">"#),
        "unchecked: {page}"
    );
}

#[tokio::test]
async fn every_change_is_stored_audited_and_used_by_the_matching_at_once() {
    let h = Harness::new(quick_limits());
    let (path, token) = standing(&h, HUGO);
    let from = (today() + Duration::days(40))
        .format("%d/%m/%Y")
        .to_string();
    let until = (today() + Duration::days(20)).to_string();
    let from_date = today() + Duration::days(40);
    let until_date = today() + Duration::days(20);
    let cases: Vec<(Vec<(&str, &str)>, Availability)> = vec![
        (
            vec![("statut", "a_partir"), ("date_debut", &from)],
            Availability::AcceptingFrom(from_date),
        ),
        (vec![("statut", "non")], Availability::NotAccepting),
        (
            vec![("statut", "pause"), ("date_pause", &until)],
            Availability::PausedUntil(until_date),
        ),
        (
            vec![
                ("statut", "maintenant"),
                ("capacite", "7"),
                ("visites", "oui"),
                ("rayon", "12,5"),
                ("prioritaires", ""),
                ("public", "oui"),
            ],
            Availability::AcceptingNow,
        ),
    ];
    for (n, (changes, availability)) in cases.into_iter().enumerate() {
        let before = stamp(&h).await;
        let fields = hugo_form(&token, &changes);
        let (r, page) = send(&h, post(&path, &fields)).await;
        assert_eq!(r.status(), StatusCode::OK, "{changes:?}: {page}");
        assert!(page.contains("Votre déclaration est enregistrée"), "{page}");
        assert!(page.contains("d'ici une minute environ"), "{page}");
        assert_eq!(stamp(&h).await, before + 1);
        let current = h.app.current_territory().await;
        let doctor = current.doctor(HUGO).unwrap();
        assert_eq!(doctor.availability, availability, "{changes:?}");
        assert_eq!(doctor.updated, today());
        assert_eq!(h.app.declaration_source(HUGO), Source::Declaration);
        let trail = h
            .app
            .store
            .audit_trail(&format!("doctor:{HUGO}"))
            .await
            .unwrap();
        assert_eq!(trail.len(), n + 1);
        assert_eq!(trail[n].actor, format!("doctor:{HUGO}"));
        assert_eq!(trail[n].action, "declared");
    }
    let current = h.app.current_territory().await;
    let doctor = current.doctor(HUGO).unwrap();
    assert_eq!(doctor.yearly_capacity, 7);
    assert_eq!(doctor.home_visit_radius_km, Some(12.5));
    assert!(!doctor.priority_only);
    assert!(doctor.public);
    let stored = h.app.store.declarations().await.unwrap();
    assert_eq!(stored.list.len(), 1);
    assert_eq!(stored.list[0].by, "doctor");

    // His page now says where it comes from and shows it publicly by name.
    let (_, page) = get(&h, &with_token(&path, &token)).await;
    assert!(page.contains("celle de votre déclaration du"), "{page}");
    assert!(page.contains("visites à domicile jusqu'à 13 km"), "{page}");
    assert!(page.contains("Votre nom est affiché sur le site"), "{page}");
}

#[tokio::test]
async fn nothing_changed_dates_his_declaration_again() {
    let h = Harness::new(quick_limits());
    let (path, token) = standing(&h, CLAIRE);
    let (r, page) = h
        .send(post(&path, &[("jeton", &token), ("action", "confirmer")]))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    assert!(page.contains("votre déclaration est confirmée"), "{page}");
    assert_eq!(stamp(&h).await, 1);
    let stored = h.app.store.declarations().await.unwrap().list;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].doctor, CLAIRE);
    assert_eq!(stored[0].yearly_capacity, 20);
    assert_eq!(stored[0].home_visit_radius_km, Some(10.0));
    assert!(stored[0].public);
    let current = h.app.current_territory().await;
    assert_eq!(current.doctor(CLAIRE).unwrap().updated, today());
    let trail = h
        .app
        .store
        .audit_trail(&format!("doctor:{CLAIRE}"))
        .await
        .unwrap();
    assert_eq!(trail[0].actor, format!("doctor:{CLAIRE}"));
}

#[tokio::test]
async fn bad_answers_are_named_kept_and_nothing_is_stored() {
    let h = Harness::new(quick_limits());
    let (path, token) = standing(&h, HUGO);
    let fields = hugo_form(
        &token,
        &[
            ("statut", "pause"),
            ("date_pause", "01/01/2020"),
            ("capacite", "beaucoup"),
            ("visites", "oui"),
            ("rayon", "8"),
            ("public", "oui"),
        ],
    );
    let (r, page) = send(&h, post(&path, &fields)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("Votre déclaration n'est pas enregistrée"),
        "{page}"
    );
    assert!(
        page.contains("Fin de la pause : choisissez une date après aujourd'hui."),
        "{page}"
    );
    assert!(
        page.contains("Nouveaux patients par an : écrivez un nombre entier"),
        "{page}"
    );
    // Every answer is kept.
    assert!(page.contains(r#"value="pause" checked"#), "{page}");
    assert!(page.contains(r#"value="01/01/2020""#), "{page}");
    assert!(page.contains(r#"value="beaucoup""#), "{page}");
    assert!(
        page.contains(r#"name="visites" value="oui" checked"#),
        "{page}"
    );
    assert!(page.contains(r#"value="8""#), "{page}");
    assert!(
        page.contains(r#"name="public" value="oui" checked"#),
        "{page}"
    );
    assert_eq!(stamp(&h).await, 0, "nothing stored");

    // Visits without a radius, or no status at all.
    let fields = hugo_form(&token, &[("visites", "oui"), ("rayon", "")]);
    let (r, page) = send(&h, post(&path, &fields)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Rayon des visites à domicile"), "{page}");
    let fields = hugo_form(&token, &[("statut", "")]);
    let (r, page) = send(&h, post(&path, &fields)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Votre disponibilité : choisissez"), "{page}");
    assert_eq!(stamp(&h).await, 0, "nothing stored");
}

#[tokio::test]
async fn expired_tampered_and_other_doctors_links_are_refused_each_with_its_page() {
    let h = Harness::new(quick_limits());
    let now = functions::now();
    let (path, token) = standing(&h, HUGO);
    let expired = Link::Doctor.url(&h.app.keys, BASE, HUGO, now - 10);
    let (_, expired) = split(&expired[BASE.len()..]);
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let (_, claire) = standing(&h, CLAIRE);
    let proposal_token = h.app.keys.sign(Link::Proposal.action(), HUGO, now + 1000);
    let cases = [
        (&expired, StatusCode::GONE, "Ce lien a expiré"),
        (
            &tampered,
            StatusCode::BAD_REQUEST,
            "Ce lien n'est pas valide",
        ),
        (
            &proposal_token,
            StatusCode::BAD_REQUEST,
            "Ce lien n'est pas valide",
        ),
        (
            &String::new(),
            StatusCode::BAD_REQUEST,
            "Ce lien n'est pas valide",
        ),
        (
            &claire,
            StatusCode::FORBIDDEN,
            "Ce lien ouvre la page d'un autre médecin",
        ),
    ];
    for (bad, status, said) in cases {
        let (r, page) = get(&h, &with_token(&path, bad)).await;
        assert_eq!(r.status(), status, "{page}");
        assert!(page.contains(said), "« {said} » missing in:\n{page}");
        assert!(
            page.contains("/api/medecins/lien"),
            "a way to a new link: {page}"
        );
        assert!(!page.contains("Hugo"), "nothing of him: {page}");
        let fields = hugo_form(bad, &[("statut", "non")]);
        let (r, page) = send(&h, post(&path, &fields)).await;
        assert_eq!(r.status(), status, "{page}");
        assert!(page.contains(said), "{page}");
        let (r, _) = h
            .send(post(&path, &[("jeton", bad), ("action", "confirmer")]))
            .await;
        assert_eq!(r.status(), status);
    }
    assert_eq!(stamp(&h).await, 0, "nothing stored");
}

#[tokio::test]
async fn a_form_from_another_site_changes_nothing() {
    let h = Harness::new(quick_limits());
    let (path, token) = standing(&h, HUGO);
    let fields = hugo_form(&token, &[("statut", "non")]);
    let (r, page) = h
        .send(post_from(&path, &fields, "https://evil.example"))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "{page}");
    let (r, _) = h
        .send(post_from(
            &path,
            &[("jeton", &token), ("action", "confirmer")],
            "https://evil.example",
        ))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(stamp(&h).await, 0);
}

/// The standing-link mails queued, as (to, text).
async fn link_mails(h: &Harness) -> Vec<(Vec<String>, String)> {
    h.app
        .store
        .due_mails(i64::MAX / 2, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.mail.id.starts_with("lien-medecin-"))
        .map(|m| (m.mail.to, m.mail.text))
        .collect()
}

#[tokio::test]
async fn asking_for_ones_link_answers_the_same_and_mails_only_a_doctor() {
    let h = Harness::new(quick_limits());
    let (r, page) = get(&h, "/api/medecins/lien").await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    assert!(page.contains("Votre adresse de courriel"), "{page}");

    let unknown = "quelquun@example.org";
    let (r, unknown_page) = h
        .send(post("/api/medecins/lien", &[("courriel", unknown)]))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        link_mails(&h).await.is_empty(),
        "no mail for an unknown address"
    );
    // A member of staff is no doctor either.
    let (_, _) = h
        .send(post(
            "/api/medecins/lien",
            &[("courriel", "coordination.sedanais@example.org")],
        ))
        .await;
    assert!(link_mails(&h).await.is_empty());

    let (r, known_page) = h
        .send(post(
            "/api/medecins/lien",
            &[("courriel", " Dr.Claire.Vautrin@example.org ")],
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        known_page.replace("Dr.Claire.Vautrin@example.org", "X"),
        unknown_page.replace(unknown, "X"),
        "the same page for both"
    );
    let mails = link_mails(&h).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].0, [CLAIRE_EMAIL]);
    let text = &mails[0].1;
    for absent in ["Claire", "Vautrin", "Sedan"] {
        assert!(!text.contains(absent), "« {absent} » in the mail:\n{text}");
    }
    assert!(text.contains("lien valable 120 jours"), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{BASE}/api/medecins/{CLAIRE}?jeton=")))
        .unwrap_or_else(|| panic!("no link in {text}"));
    let (r, page) = get(&h, &line[BASE.len()..]).await;
    assert_eq!(r.status(), StatusCode::OK, "the mailed link opens his page");
    assert!(page.contains("Dr Claire Vautrin"));
    let trail = h
        .app
        .store
        .audit_trail(&format!("doctor:{CLAIRE}"))
        .await
        .unwrap();
    assert_eq!(trail[0].action, "standing-link-sent");
    assert_eq!(trail[0].actor, "public");

    // A few an hour, then the same page and no more mail.
    for _ in 0..5 {
        let (r, again) = h
            .send(post("/api/medecins/lien", &[("courriel", CLAIRE_EMAIL)]))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(again.contains("Si cette adresse est celle d'un médecin"));
    }
    assert_eq!(
        link_mails(&h).await.len(),
        functions::domain::declarations::LINK_MAILS_PER_HOUR as usize
    );

    // No address: said, nothing sent. From another site: refused.
    let (r, page) = send(&h, post("/api/medecins/lien", &[("courriel", "")])).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Votre adresse de courriel : écrivez"),
        "{page}"
    );
    let (r, _) = h
        .send(post_from(
            "/api/medecins/lien",
            &[("courriel", CLAIRE_EMAIL)],
            "https://evil.example",
        ))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn his_page_lists_the_proposals_waiting_for_him_and_his_year() {
    use functions::workflow::{Answer, Decision, Outcome};
    let h = Harness::new(quick_limits());
    let body = encode(&with(valid(), &[("token", Some(&h.token_aged(60)))]));
    let (r, page) = h.post_form(&body).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{page}");
    let reference = reference_of(&location(&r));
    let case = h.app.store.case(&reference).await.unwrap().unwrap();
    let id = case.current_proposal().unwrap().to_string();
    let proposal = h.app.store.proposal(&id).await.unwrap().unwrap();
    let (path, token) = standing(&h, &proposal.doctor);

    // Proposed, not yet validated by the coordinator: not his to answer yet.
    let (_, page) = get(&h, &with_token(&path, &token)).await;
    assert!(
        page.contains("Aucune proposition n'attend votre réponse"),
        "{page}"
    );

    let now = functions::now();
    let validated = h
        .app
        .coordinator_decides(&reference, Some(&id), Decision::Validate, "Claire", now)
        .await
        .unwrap();
    assert_eq!(validated, Outcome::Done);
    let (_, page) = get(&h, &with_token(&path, &token)).await;
    assert!(page.contains("Patient à Sedan"), "{page}");
    assert!(
        page.contains(&format!("{BASE}/api/propositions/{id}?jeton=")),
        "{page}"
    );
    assert!(page.contains("aucun patient par la CPTS"), "{page}");
    // Nothing of the patient on this page: his proposal's own page shows it.
    for absent in ["Dupré", "Léa", "06 12 34 56 78", "lea.dupre"] {
        assert!(!page.contains(absent), "« {absent} » on his page");
    }

    let answer = h
        .app
        .doctor_answers(&id, Answer::Accept, now)
        .await
        .unwrap();
    assert_eq!(answer, Outcome::Done);
    let (_, page) = get(&h, &with_token(&path, &token)).await;
    assert!(
        page.contains("vous avez accepté 1 patient par la CPTS"),
        "{page}"
    );
    assert!(
        page.contains("Aucune proposition n'attend votre réponse"),
        "{page}"
    );
}

#[tokio::test]
async fn he_declares_his_other_practices_by_commune_name() {
    let h = Harness::new(quick_limits());
    let (path, token) = standing(&h, HUGO);
    let (_, page) = get(&h, &with_token(&path, &token)).await;
    assert!(page.contains("Vous consultez à Sedan."), "{page}");
    assert!(
        page.contains("Votre cabinet principal est à Sedan."),
        "{page}"
    );

    // A commune of another territory: named, the answers kept, nothing stored.
    let fields = hugo_form(&token, &[("lieux", "Carignan, Lyon"), ("capacite", "12")]);
    let (r, page) = send(&h, post(&path, &fields)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains(r##"href="#lieux""##), "{page}");
    assert!(page.contains("nous ne trouvons pas « Lyon »"), "{page}");
    assert!(page.contains(r#"value="Carignan, Lyon""#), "{page}");
    assert!(page.contains(r#"value="12""#), "{page}");
    assert_eq!(stamp(&h).await, 0);

    // Two communes, one with its postcode as the list writes it; his main one is left out.
    let fields = hugo_form(&token, &[("lieux", "carignan ; Mouzon (08210), Sedan")]);
    let (r, page) = send(&h, post(&path, &fields)).await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    assert!(
        page.contains("Vous consultez à Sedan, Carignan et Mouzon."),
        "{page}"
    );
    let current = h.app.current_territory().await;
    let doctor = current.doctor(HUGO).unwrap();
    let towns: Vec<&str> = doctor
        .other_practices
        .iter()
        .map(|p| current.communes[p.commune].name.as_str())
        .collect();
    assert_eq!(towns, ["Carignan", "Mouzon"]);
    let stored = h.app.store.declarations().await.unwrap().list;
    assert_eq!(stored[0].other_practices.as_ref().map(Vec::len), Some(2));

    // His page fills the field back, as the list of communes writes them.
    let (_, page) = get(&h, &with_token(&path, &token)).await;
    assert!(
        page.contains(r#"value="Carignan (08110), Mouzon (08210)""#),
        "{page}"
    );
    // The roster export carries them, for staff to publish back.
    let csv = functions::web::joining::roster_csv(&current);
    let line = csv
        .lines()
        .find(|l| l.starts_with(&format!("\"{HUGO}\"")))
        .unwrap();
    let codes: Vec<String> = doctor
        .other_practices
        .iter()
        .map(|p| current.communes[p.commune].code.clone())
        .collect();
    assert!(
        line.ends_with(&format!("\"{}\"", codes.join(", "))),
        "{line}"
    );
}
