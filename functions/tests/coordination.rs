//! What waits for a CPTS's coordinators (« Ce qui vous attend ») and the coordinator's page of a
//! request, through the real Router, SQLite and the demo territory: each to-do bucket with its
//! reason, the saturation rule with home visits and priority-only doctors, and the request
//! page's content (criteria with their dates, why this level, who filled the form, the `tel:`
//! link, the timeline).

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::*;
use functions::domain::lifecycle::CaseState;
use functions::domain::matching::Unfit;
use functions::domain::registration::{Criterion, DeclaredCriterion};
use functions::store::Store;
use functions::web::link_pages::declared_rows;
use functions::web::overview::{self, ASK_FIRST_VISIT_AFTER_DAYS, Overview, OverviewPage};
use functions::workflow::Decision;
use territory::Territory;

const BASE: &str = "http://127.0.0.1:8000";
const DAY: i64 = 86_400;

async fn register(h: &Harness, changes: &[(&'static str, Option<&str>)]) -> String {
    let body = encode(&with(
        with(valid(), changes),
        &[("token", Some(&h.token_aged(60)))],
    ));
    let (r, page) = h.post_form(&body).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{page}");
    reference_of(&location(&r))
}

async fn case(h: &Harness, reference: &str) -> functions::domain::lifecycle::Case {
    h.app.store.case(reference).await.unwrap().unwrap()
}

async fn read(h: &Harness, reference: &str, now: i64) -> Overview {
    let cpts = case(h, reference).await.cpts;
    overview::read(&h.app, cpts.as_deref().unwrap_or("hors-cpts"), now)
        .await
        .unwrap()
}

fn references(items: &[overview::Item]) -> Vec<&str> {
    items.iter().map(|i| i.reference.as_str()).collect()
}

fn territory_with(h: &Harness, change: impl Fn(&mut territory::Doctor)) -> Arc<Territory> {
    let t = h.app.territory();
    let mut doctors = t.doctors.clone();
    doctors.iter_mut().for_each(change);
    Arc::new(Territory::new(t.communes.clone(), t.cpts.clone(), doctors))
}

#[tokio::test]
async fn each_bucket_of_the_to_do_list_with_its_reason() {
    let h = Harness::new(quick_limits());
    let now = functions::now();
    // Proposed: to validate.
    let proposed = register(&h, &[]).await;
    assert_eq!(case(&h, &proposed).await.state, CaseState::Proposed);
    // Accepted, no email: to call.
    let to_call = register(&h, &[("email", None), ("phone", Some("06 22 33 44 55"))]).await;
    accepted(&h, &to_call, now).await;
    assert_eq!(case(&h, &to_call).await.state, CaseState::Accepted);
    // Told (by email) a doctor accepted: later, ask whether the first appointment happened.
    let told = register(&h, &[("phone", Some("06 33 44 55 66"))]).await;
    accepted(&h, &told, now).await;
    assert_eq!(case(&h, &told).await.state, CaseState::Informed);
    // Waiting, no doctor possible: home visits 10 km around Rocroi.
    let stuck = register(
        &h,
        &[
            ("commune", Some("Rocroi (08230)")),
            ("max_distance", Some("10")),
            ("home_visits", Some("yes")),
            ("phone", Some("06 11 22 33 44")),
        ],
    )
    .await;
    assert_eq!(case(&h, &stuck).await.state, CaseState::Waiting);

    let o = read(&h, &proposed, now).await;
    let page: OverviewPage = overview::page(&h.app, &o, "jeton", now);
    assert!(page.anything_waits);
    assert!(references(&page.to_validate).contains(&proposed.as_str()));
    assert_eq!(references(&page.to_call), [to_call.as_str()]);
    assert!(page.ask_first_visit.is_empty(), "told today: not yet");
    assert!(page.suspended.is_empty(), "no suspension yet");
    if case(&h, &stuck).await.cpts == case(&h, &proposed).await.cpts {
        let item = page
            .no_doctor
            .iter()
            .find(|i| i.reference == stuck)
            .expect("the stuck request is listed");
        let (_, why) = o.no_doctor[0];
        assert!(
            matches!(why, Unfit::NoHomeVisitsThatFar | Unfit::TooFar),
            "{why:?}"
        );
        assert_eq!(item.why, why.none_label());
        assert!(
            item.link
                .starts_with(&format!("{BASE}/api/demandes/{stuck}?"))
        );
    }
    assert!(
        !references(&page.no_doctor).contains(&proposed.as_str()),
        "only waiting requests"
    );

    // More than N days after the patient was told.
    let later = now + (ASK_FIRST_VISIT_AFTER_DAYS + 1) * DAY;
    let o = read(&h, &proposed, later).await;
    let page = overview::page(&h.app, &o, "jeton", later);
    assert_eq!(references(&page.ask_first_visit), [told.as_str()]);
    assert_eq!(
        page.ask_first_visit[0].why,
        format!("prévenue il y a {} jours", ASK_FIRST_VISIT_AFTER_DAYS + 1)
    );
    // The rendered page names each bucket.
    let link = h
        .app
        .overview_link(case(&h, &proposed).await.cpts.as_deref(), now);
    let (r, html) = h.get(link.trim_start_matches(BASE)).await;
    assert_eq!(r.status(), StatusCode::OK, "{html}");
    assert!(html.contains("Médecin proposé, à valider"), "{html}");
    assert!(html.contains("À appeler : un médecin a accepté"), "{html}");
}

#[tokio::test]
async fn saturated_communes_account_for_home_visits_and_priority_only_doctors() {
    let h = Harness::new(quick_limits());
    let now = functions::now();
    // No doctor accepts yet: every request waits.
    let all = h.app.territory();
    h.app.replace_territory(territory_with(&h, |d| {
        d.availability = territory::Availability::NotAccepting
    }));
    // Level 3 (no criterion, under 70), and level 1 (ALD), both in Sedan.
    let level3 = register(
        &h,
        &[
            ("ald", None),
            ("pregnancy", None),
            ("birth_date", Some("14/07/1990")),
            ("phone", Some("06 44 55 66 77")),
        ],
    )
    .await;
    let level1 = register(&h, &[("phone", Some("06 55 66 77 88"))]).await;
    assert_eq!(case(&h, &level3).await.needs.priority_level, 3);
    assert_eq!(case(&h, &level1).await.needs.priority_level, 1);
    let sedan = |o: &Overview| {
        o.saturated
            .iter()
            .find(|(name, _)| name == "Sedan")
            .map(|(_, n)| *n)
    };
    assert_eq!(
        sedan(&read(&h, &level1, now).await),
        Some(2),
        "nobody accepts"
    );

    // Every doctor accepts again, but only priority patients: the level-3 request is not served.
    h.app.replace_territory(Arc::new(Territory::new(
        all.communes.clone(),
        all.cpts.clone(),
        all.doctors
            .iter()
            .cloned()
            .map(|mut d| {
                d.priority_only = true;
                d
            })
            .collect(),
    )));
    let o = read(&h, &level1, now).await;
    assert_eq!(sedan(&o), Some(1), "{:?}", o.saturated);
    let (position, why) = o
        .no_doctor
        .iter()
        .copied()
        .find(|(i, _)| o.cases[*i].reference == level3)
        .expect("the level-3 request has no doctor");
    assert_eq!(o.cases[position].reference, level3);
    assert_eq!(why, Unfit::PriorityOnly);

    // Everyone takes any level, but the level-3 person needs home visits nobody makes.
    let visits = register(
        &h,
        &[
            ("ald", None),
            ("pregnancy", None),
            ("birth_date", Some("14/07/1991")),
            ("home_visits", Some("yes")),
            ("phone", Some("06 66 77 88 99")),
        ],
    )
    .await;
    h.app.replace_territory(Arc::new(Territory::new(
        all.communes.clone(),
        all.cpts.clone(),
        all.doctors
            .iter()
            .cloned()
            .map(|mut d| {
                d.home_visit_radius_km = None;
                d
            })
            .collect(),
    )));
    let o = read(&h, &level1, now).await;
    let waiting_visits = case(&h, &visits).await;
    assert_eq!(
        waiting_visits.state,
        CaseState::Waiting,
        "nobody makes home visits"
    );
    assert_eq!(
        sedan(&o),
        Some(1),
        "only the home-visit request: {:?}",
        o.saturated
    );
    assert!(
        o.no_doctor
            .iter()
            .any(|&(i, why)| o.cases[i].reference == visits && why == Unfit::NoHomeVisitsThatFar)
    );
}

#[tokio::test]
async fn the_request_page_shows_criteria_reasons_filler_timeline_and_a_tel_link() {
    let h = Harness::new(quick_limits());
    let now = functions::now();
    let reference = register(
        &h,
        &[
            ("filled_by", Some("professional")),
            ("organisation", Some("Maison de santé de Sedan")),
        ],
    )
    .await;
    let id = case(&h, &reference)
        .await
        .current_proposal()
        .unwrap()
        .to_string();
    h.app
        .coordinator_decides(
            &reference,
            Some(&id),
            Decision::Validate,
            "Claire Martin",
            now,
        )
        .await
        .unwrap();
    let link = h.app.coordinator_link(&reference, now);
    let (r, page) = h.get(link.trim_start_matches(BASE)).await;
    assert_eq!(r.status(), StatusCode::OK, "{page}");
    // One tap to call.
    assert!(page.contains("href=\"tel:+33612345678\""), "{page}");
    // Who filled the form and their organisation.
    assert!(
        page.contains("un professionnel de santé (Maison de santé de Sedan)"),
        "{page}"
    );
    // Why this level: the stored reasons.
    assert!(page.contains("Pourquoi ce niveau de priorité"));
    let stored = h.app.store.request(&reference).await.unwrap().unwrap();
    assert!(!stored.priority.reasons.is_empty());
    for reason in &stored.priority.reasons {
        let escaped = reason.replace('\'', "&#x27;");
        assert!(page.contains(&escaped), "{reason} in\n{page}");
    }
    // The declared criteria with their dates.
    assert!(
        page.contains("Affection de longue durée (ALD) — déclaré le"),
        "{page}"
    );
    assert!(page.contains("Grossesse — déclaré le"), "{page}");
    assert!(
        page.contains("valable jusqu&#x27;au") || page.contains("valable jusqu'au"),
        "{page}"
    );
    // The timeline, newest first: validated by Claire Martin, proposed, registered online.
    let timeline = &page[page.find("Tout ce qui s").expect("timeline")..];
    let validated = timeline.find("validé, en attente").expect("validated");
    let proposed = timeline.find("proposé, à valider").expect("proposed");
    let registered = timeline.find("Demande enregistrée").expect("registered");
    assert!(validated < proposed && proposed < registered, "{timeline}");
    assert!(timeline.contains("Par : Claire Martin."), "{timeline}");
    assert!(
        timeline.contains("Par : formulaire en ligne."),
        "{timeline}"
    );
    // A second visit shows the first one.
    let (_, page) = h.get(link.trim_start_matches(BASE)).await;
    assert!(page.contains("Page de la demande consultée"), "{page}");
    assert!(page.contains("coordination (lien reçu par courriel)"));
    // Neither the mails nor the overview carry them: the page is the only place.
    h.app.deliver_due(i64::MAX / 2).await;
    let raw = std::fs::read_to_string(h.outbox_dir().join(format!("{reference}-coordination.eml")))
        .unwrap();
    let mail = decode_mail(&raw);
    for personal in ["Maison de santé", "Dupré", "06 12", "+3361234"] {
        assert!(!mail.contains(personal), "{personal} in the mail:\n{mail}");
    }
    let o = read(&h, &reference, now).await;
    let overview_page = overview::page(&h.app, &o, "jeton", now);
    let rendered = serde_json::to_string(&overview_page).unwrap();
    assert!(!rendered.contains("Dupré"), "{rendered}");
}

#[test]
fn an_expired_criterion_is_marked_and_dated() {
    let declared = "2026-01-10".parse().unwrap();
    let rows = declared_rows(
        &[
            DeclaredCriterion::new(Criterion::HospitalDischarge, declared),
            DeclaredCriterion::new(Criterion::LongTermCondition, declared),
        ],
        "2026-03-01".parse().unwrap(),
    );
    assert_eq!(rows[0].label, "Sortie d'hôpital depuis moins d'un mois");
    assert_eq!(rows[0].declared, "10 janvier 2026");
    assert_eq!(rows[0].until, "10 février 2026");
    assert!(rows[0].expired);
    assert_eq!(rows[1].until, "");
    assert!(!rows[1].expired);
}
