//! Doctors' own declarations through the handler (issue #15), on each store: the matching uses a
//! new declaration at once, even one stored by another process; a newer row of doctors.csv wins
//! over an older declaration; the public site is told of pauses and of capacity used up.

use std::path::Path;
use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate};
use functions::domain::dates::local_date;
use functions::domain::declarations::{Declaration, Source, Status};
use functions::domain::lifecycle::AuditEntry;
use functions::domain::matching::{self, Loads};
use functions::mail::Outbox;
use functions::signed::KeyRing;
use functions::store::Store;
use functions::workflow::{Answer, Decision, Notice, Outcome};
use functions::{App, Config, Limits};
use territory::{Availability, Territory};

use super::registered;

fn demo_territory(today: NaiveDate) -> Territory {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/territory");
    territory::load_published(&dir, today).expect("the demo territory loads")
}

/// The handler on `store`, with the demo territory, mailing into `outbox`.
pub fn app<S: Store>(store: S, outbox: &Path) -> Arc<App<S, Outbox>> {
    let config = Config {
        site_title: "Médecin traitant Ardennes".into(),
        phone: None,
        public_url: "http://127.0.0.1:8000".into(),
        allowed_origins: vec![],
        privacy_url: "/donnees-personnelles/".into(),
        mail_from: "CPTS <ne-pas-repondre@example.org>".into(),
        limits: Limits::default(),
    };
    let outbox = Outbox {
        dir: outbox.to_path_buf(),
        from: config.mail_from.clone(),
        print_paths: false,
    };
    let now = functions::now();
    let territory = Arc::new(demo_territory(local_date(now)));
    App::new(config, territory, KeyRing::generate(), store, outbox)
}

fn by_doctor(doctor: &str, status: Status, capacity: u32, at: i64) -> Declaration {
    Declaration {
        doctor: doctor.into(),
        status,
        yearly_capacity: capacity,
        home_visit_radius_km: None,
        priority_only: false,
        public: false,
        other_practices: None,
        declared_at: at,
        by: "doctor".into(),
    }
}

/// The doctor the matching would propose for `reference` now.
async fn best_for<S: Store>(app: &App<S, Outbox>, reference: &str, now: i64) -> String {
    let territory = app.current_territory().await;
    let today = local_date(now);
    let loads = app
        .store
        .doctor_loads(matching::period_of(today))
        .await
        .unwrap();
    let loads = Loads::new(&territory, &loads);
    let case = app.store.case(reference).await.unwrap().unwrap();
    let best = matching::best(&territory, &loads, &case.needs, &case.tried, today)
        .expect("a doctor for the sample request");
    territory.doctors[best.doctor].id.clone()
}

pub async fn matching_uses_a_new_declaration_at_once<S: Store>(store: S) {
    let outbox = tempfile::tempdir().unwrap();
    let app = app(store, outbox.path());
    let now = functions::now();
    registered(&app.store, "DECL-A", now).await;
    let expected = best_for(&app, "DECL-A", now).await;

    // He says he no longer takes new patients: he is not proposed, from the next request on.
    let no = by_doctor(&expected, Status::NotAccepting, 10, now);
    app.declare(&no, &format!("doctor:{expected}"))
        .await
        .unwrap();
    assert_eq!(app.declaration_source(&expected), Source::Declaration);
    let proposal = app
        .propose_for("DECL-A", now, Notice::Silent)
        .await
        .unwrap()
        .expect("another doctor is proposed");
    assert_ne!(proposal.doctor, expected);

    // A declaration stored by another process (another Lambda instance) is seen too: the
    // stamp tells the handler to read them again before matching.
    registered(&app.store, "DECL-B", now).await;
    let next = best_for(&app, "DECL-B", now).await;
    let paused = Status::PausedUntil(local_date(now) + Duration::days(20));
    let audit = AuditEntry {
        at: now,
        actor: format!("doctor:{next}"),
        action: "declared".into(),
        object: format!("doctor:{next}"),
    };
    app.store
        .declare(&by_doctor(&next, paused, 10, now), &audit)
        .await
        .unwrap();
    let proposal = app
        .propose_for("DECL-B", now, Notice::Silent)
        .await
        .unwrap()
        .expect("another doctor is proposed");
    assert_ne!(proposal.doctor, next);
    assert_ne!(proposal.doctor, expected);
    let current = app.current_territory().await;
    assert_eq!(
        current.doctor(&next).unwrap().availability,
        Availability::from(paused)
    );
    // Audited with the doctor as the actor.
    let trail = app
        .store
        .audit_trail(&format!("doctor:{expected}"))
        .await
        .unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].actor, format!("doctor:{expected}"));
}

pub async fn a_newer_row_wins_over_an_older_declaration<S: Store>(store: S) {
    let outbox = tempfile::tempdir().unwrap();
    let app = app(store, outbox.path());
    let now = functions::now();
    let today = local_date(now);
    let id = app.territory().doctors[0].id.clone();
    app.declare(&by_doctor(&id, Status::NotAccepting, 2, now), "staff:test")
        .await
        .unwrap();
    assert_eq!(
        app.territory().doctor(&id).unwrap().availability,
        Availability::NotAccepting
    );

    // Staff publish a row for him dated the same day: his own declaration still wins (the row
    // has no time of day).
    let mut same_day = demo_territory(today);
    let i = same_day.doctors.iter().position(|d| d.id == id).unwrap();
    same_day.doctors[i].availability = Availability::AcceptingNow;
    same_day.doctors[i].yearly_capacity = 12;
    same_day.doctors[i].updated = today;
    app.replace_territory(Arc::new(same_day));
    assert_eq!(app.declaration_source(&id), Source::Declaration);
    assert_eq!(app.territory().doctor(&id).unwrap().yearly_capacity, 2);

    // A row dated after it wins, until he declares again.
    let mut newer = demo_territory(today);
    newer.doctors[i].availability = Availability::AcceptingNow;
    newer.doctors[i].yearly_capacity = 12;
    newer.doctors[i].updated = today + Duration::days(1);
    app.replace_territory(Arc::new(newer));
    assert_eq!(app.declaration_source(&id), Source::NewerRoster);
    let shown = app.current_territory().await;
    assert_eq!(shown.doctor(&id).unwrap().yearly_capacity, 12);
    assert_eq!(
        shown.doctor(&id).unwrap().availability,
        Availability::AcceptingNow
    );
    let later = now + 2 * 86_400;
    app.declare(&by_doctor(&id, Status::NotAccepting, 3, later), "doctor")
        .await
        .unwrap();
    assert_eq!(app.declaration_source(&id), Source::Declaration);
    assert_eq!(app.territory().doctor(&id).unwrap().yearly_capacity, 3);
}

pub async fn the_public_site_is_told_of_pauses_and_full_capacity<S: Store>(store: S) {
    let outbox = tempfile::tempdir().unwrap();
    let app = app(store, outbox.path());
    let now = functions::now();
    let today = local_date(now);
    assert_eq!(app.public_overlay(today).await.unwrap(), Default::default());

    // One place a year, held by a proposal: he shows as accepting again on 1 January.
    registered(&app.store, "DECL-C", now).await;
    let full = best_for(&app, "DECL-C", now).await;
    app.declare(&by_doctor(&full, Status::AcceptingNow, 1, now), "doctor")
        .await
        .unwrap();
    let proposal = app
        .propose_for("DECL-C", now, Notice::Silent)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(proposal.doctor, full);
    let next_year = NaiveDate::from_ymd_opt(today.year() + 1, 1, 1).unwrap();
    let shown = app.public_overlay(today).await.unwrap().declared;
    let of = |id: &str| shown.iter().find(|(d, _)| d == id).map(|(_, d)| d.clone());
    assert_eq!(
        of(&full).expect("the full doctor").availability,
        Availability::AcceptingFrom(next_year)
    );

    // A pause asked through a proposal link shows as that pause.
    registered(&app.store, "DECL-D", now).await;
    let proposal = app
        .propose_for("DECL-D", now, Notice::Silent)
        .await
        .unwrap()
        .unwrap();
    let pausing = proposal.doctor.clone();
    assert_ne!(pausing, full);
    let validated = app
        .coordinator_decides(
            "DECL-D",
            Some(&proposal.id),
            Decision::Validate,
            "Claire",
            now,
        )
        .await
        .unwrap();
    assert_eq!(validated, Outcome::Done);
    let until = today + Duration::days(30);
    let answered = app
        .doctor_answers(&proposal.id, Answer::Pause(until), now)
        .await
        .unwrap();
    assert_eq!(answered, Outcome::Done);
    let shown = app.public_overlay(today).await.unwrap().declared;
    let of = |id: &str| shown.iter().find(|(d, _)| d == id).map(|(_, d)| d.clone());
    assert_eq!(
        of(&pausing).expect("the paused doctor").availability,
        Availability::PausedUntil(until)
    );
    // Applied over the rows, as the site does, the territory shows both.
    let mut site = demo_territory(today);
    site.apply_declarations(shown.iter().map(|(id, d)| (id.as_str(), d)));
    assert!(!site.doctor(&pausing).unwrap().accepts_on(today));
    assert!(!site.doctor(&full).unwrap().accepts_on(today));
}

pub async fn a_doctor_declares_his_other_practices<S: Store>(store: S) {
    let outbox = tempfile::tempdir().unwrap();
    let app = app(store, outbox.path());
    let now = functions::now();
    let today = local_date(now);
    let case = registered(&app.store, "DECL-P", now).await;
    let published = demo_territory(today);
    let sedan = published.commune(&case.needs.commune).unwrap().clone();
    // A doctor who takes anyone, practising far from the request's commune.
    let far = published
        .doctors
        .iter()
        .position(|d| {
            d.accepts_on(today)
                && !d.priority_only
                && !d.is_stale(today)
                && d.yearly_capacity > 0
                && d.distance_km(sedan.centre) > 40.0
        })
        .expect("a doctor far from the request");
    let id = published.doctors[far].id.clone();
    let assess = |territory: &Territory, loads: &Loads| {
        matching::assess(territory, loads, &case.needs, &case.tried, far, today).unwrap()
    };
    let no_loads = Loads::new(&published, &[]);
    let (before, unmet) = assess(&published, &no_loads);
    assert!(before.distance_km > 40.0);
    assert!(unmet.contains(&matching::Unfit::TooFar), "{unmet:?}");

    // He says he also sees patients at the request's commune: the matching measures from there
    // at once.
    let declaration = Declaration {
        other_practices: Some(vec![sedan.code.clone()]),
        ..by_doctor(&id, Status::AcceptingNow, 10, now)
    };
    app.declare(&declaration, &format!("doctor:{id}"))
        .await
        .unwrap();
    let current = app.current_territory().await;
    let doctor = current.doctor(&id).unwrap();
    assert_eq!(doctor.other_practices.len(), 1);
    assert_eq!(
        current.communes[doctor.other_practices[0].commune].code,
        sedan.code
    );
    let loads = Loads::new(&current, &[]);
    let (after, unmet) = assess(&current, &loads);
    assert!(after.distance_km < 1.0, "{}", after.distance_km);
    assert!(unmet.is_empty(), "{unmet:?}");
    // Found once near his other practice, not once per practice.
    let near: Vec<&str> = current
        .doctors_within(sedan.centre, 1.0, |_| true)
        .iter()
        .map(|n| n.doctor.id.as_str())
        .filter(|d| *d == id)
        .collect();
    assert_eq!(near, [id.as_str()]);
    // Stored as declared, read back by the store.
    let stored = app.store.declarations().await.unwrap();
    assert_eq!(
        stored.list[0].other_practices,
        Some(vec![sedan.code.clone()])
    );

    // The public site is told, and places him there too.
    let overlay = app.public_overlay(today).await.unwrap();
    let mut site = demo_territory(today);
    site.apply_declarations(
        overlay
            .declared
            .iter()
            .map(|(d, shown)| (d.as_str(), shown)),
    );
    assert!(site.doctor(&id).unwrap().distance_km(sedan.centre) < 1.0);

    // He stops consulting there: measured from his main practice again.
    let back = Declaration {
        other_practices: Some(Vec::new()),
        ..by_doctor(&id, Status::AcceptingNow, 10, now + 1)
    };
    app.declare(&back, &format!("doctor:{id}")).await.unwrap();
    let current = app.current_territory().await;
    assert!(current.doctor(&id).unwrap().other_practices.is_empty());
    let (again, _) = assess(&current, &Loads::new(&current, &[]));
    assert!(again.distance_km > 40.0);
}

pub async fn a_stale_declaration_is_confirmed_or_no_longer_proposed<S: Store>(store: S) {
    const DAY: i64 = 86_400;
    let outbox = tempfile::tempdir().unwrap();
    let app = app(store, outbox.path());
    let now = functions::now();
    let today = local_date(now);
    // Every doctor fresh but one, declared three months and a day ago.
    let mut territory = demo_territory(today);
    for d in &mut territory.doctors {
        d.updated = today;
    }
    let stale = territory.doctors[0].id.clone();
    territory.doctors[0].updated =
        today.checked_sub_months(chrono::Months::new(3)).unwrap() - Duration::days(1);
    let email = territory.doctors[0].email.clone();
    let his_cpts = territory
        .cpts_of(&territory.communes[territory.doctors[0].commune])
        .expect("a doctor of a CPTS");
    let cpts_name = his_cpts.name.clone();
    let coordinators: Vec<String> = his_cpts
        .coordinators
        .iter()
        .map(|c| c.email.clone())
        .collect();
    app.replace_territory(Arc::new(territory));

    assert_eq!(app.ask_confirmations(now).await.unwrap(), (1, 0));
    // Asked once: the next runs send nothing until the reminder is due.
    assert_eq!(app.ask_confirmations(now + 60).await.unwrap(), (0, 0));
    assert_eq!(app.ask_confirmations(now + 9 * DAY).await.unwrap(), (0, 0));
    assert_eq!(app.ask_confirmations(now + 10 * DAY).await.unwrap(), (0, 1));
    assert_eq!(app.ask_confirmations(now + 15 * DAY).await.unwrap(), (0, 0));
    let mails = app.store.due_mails(now + 20 * DAY, 50).await.unwrap();
    let to_him: Vec<_> = mails
        .iter()
        .filter(|m| m.mail.to == vec![email.clone()])
        .collect();
    assert_eq!(to_him.len(), 2, "the request and the reminder");
    for m in &to_him {
        assert!(m.mail.id.starts_with(&format!("confirmation-{stale}-")));
        assert!(m.mail.text.contains("Rien n'a changé"));
        assert!(
            m.mail
                .text
                .contains(&format!("/api/medecins/{stale}?jeton="))
        );
        // From his CPTS; answers reach its coordination.
        assert_eq!(m.mail.from_name.as_deref(), Some(cpts_name.as_str()));
        assert_eq!(m.mail.reply_to, coordinators);
    }

    // Twenty days on without an answer, he is no longer proposed and his coordinator sees him.
    let late = now + 21 * DAY;
    let current = app.current_territory().await;
    let position = current.doctors.iter().position(|d| d.id == stale).unwrap();
    let doctor = &current.doctors[position];
    assert!(doctor.is_lapsed(local_date(late)));
    let cpts = current
        .cpts_of(&current.communes[doctor.commune])
        .map(|c| c.id.clone());
    let listed = app.unconfirmed_doctors(cpts.as_deref(), late);
    assert_eq!(
        listed.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        [stale.as_str()]
    );
    registered(&app.store, "DECL-E", late).await;
    let case = app.store.case("DECL-E").await.unwrap().unwrap();
    let loads = Loads::new(&current, &[]);
    let (_, unmet) = matching::assess(
        &current,
        &loads,
        &case.needs,
        &[],
        position,
        local_date(late),
    )
    .unwrap();
    assert!(unmet.contains(&matching::Unfit::Unconfirmed), "{unmet:?}");
    assert_eq!(app.ask_confirmations(late).await.unwrap(), (0, 0));

    // « Rien n'a changé »: fresh again, proposed again, off the list.
    app.confirm_declaration(&stale, &format!("doctor:{stale}"), late)
        .await
        .unwrap();
    let current = app.current_territory().await;
    let (_, unmet) = matching::assess(
        &current,
        &loads,
        &case.needs,
        &[],
        position,
        local_date(late),
    )
    .unwrap();
    assert!(!unmet.contains(&matching::Unfit::Unconfirmed));
    assert!(app.unconfirmed_doctors(cpts.as_deref(), late).is_empty());
    assert!(!current.doctors[position].is_stale(local_date(late)));
}
