//! Doctors' offers to join (issue #15 item 4), on each store: an offer is stored with its notice
//! to the coordinators in one write, once per form, within the rate limit; it is decided once.
//! Through the handler: an accepted offer becomes a doctor the matching proposes, with his first
//! declaration and his standing link mailed; the roster export loads back as doctors.csv.

use std::path::Path;
use std::sync::Arc;

use functions::domain::answers::Answers;
use functions::domain::dates::local_date;
use functions::domain::declarations::Status;
use functions::domain::joining::JoinOffer;
use functions::domain::lifecycle::AuditEntry;
use functions::domain::phone::PhoneNumber;
use functions::domain::registration::{Email, Name};
use functions::domain::staff::Scope;
use functions::joining::{DecideError, JoinOutcome};
use functions::mail::Outbox;
use functions::signed::KeyRing;
use functions::store::{Joined, RateLimit, Registered, Store};
use functions::{App, Config, Limits};

use super::sample_mail;

fn offer(id: &str, cpts: &str, at: i64) -> JoinOffer {
    JoinOffer {
        id: id.into(),
        offered_at: at,
        cpts: Some(cpts.into()),
        name: Name::parse("Dr Inès Morel", "le nom").unwrap(),
        commune: "08362".into(),
        email: Email::parse("ines.morel@example.org").unwrap(),
        phone: Some(PhoneNumber::parse("03 24 12 34 56").unwrap()),
        status: Status::AcceptingNow,
        yearly_capacity: 12,
        home_visit_radius_km: Some(8.0),
        priority_only: false,
        public: false,
        decision: None,
    }
}

fn audit(id: &str, at: i64, actor: &str, action: &str) -> AuditEntry {
    AuditEntry {
        at,
        actor: actor.into(),
        action: action.into(),
        object: format!("join:{id}"),
    }
}

pub async fn an_offer_to_join_is_stored_with_its_notice_once<S: Store>(store: &S) {
    let first = offer("offre-1", "rethelois", 1_000);
    let notice = sample_mail("rejoindre-offre-1");
    let written = store
        .offer_to_join(
            &first,
            &notice,
            &audit("offre-1", 1_000, "public", "offered-to-join"),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(written, Registered::New);
    assert_eq!(
        store.join_offer("offre-1").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.join_offer("nope").await.unwrap(), None);
    let due = store.due_mails(1_000, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].mail, notice);
    let trail = store.audit_trail("join:offre-1").await.unwrap();
    assert_eq!(trail.len(), 1);

    // The same form again: nothing more written, not even a mail.
    let again = store
        .offer_to_join(
            &first,
            &sample_mail("rejoindre-offre-1-bis"),
            &audit("offre-1", 1_001, "public", "offered-to-join"),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(again, Registered::Duplicate("offre-1".into()));
    assert_eq!(store.due_mails(2_000, 10).await.unwrap().len(), 1);
    assert_eq!(store.audit_trail("join:offre-1").await.unwrap().len(), 1);

    // Listed per CPTS, oldest first; all of them without a CPTS.
    let other = offer("offre-2", "vouzinois", 900);
    store
        .offer_to_join(
            &other,
            &sample_mail("rejoindre-offre-2"),
            &audit("offre-2", 900, "public", "offered-to-join"),
            &[],
        )
        .await
        .unwrap();
    let third = offer("offre-3", "rethelois", 1_500);
    store
        .offer_to_join(
            &third,
            &sample_mail("rejoindre-offre-3"),
            &audit("offre-3", 1_500, "public", "offered-to-join"),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        store.join_offers(Some("rethelois")).await.unwrap(),
        vec![first.clone(), third.clone()]
    );
    assert_eq!(
        store.join_offers(None).await.unwrap(),
        vec![other, first, third]
    );
    assert!(
        store
            .join_offers(Some("ailleurs"))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn offers_to_join_are_rate_limited_and_refusals_write_nothing<S: Store>(store: &S) {
    let limit = |n| {
        vec![RateLimit {
            key: "adresse-1".into(),
            window: 7,
            limit: n,
        }]
    };
    for i in 0..2 {
        let id = format!("offre-{i}");
        let written = store
            .offer_to_join(
                &offer(&id, "rethelois", 1_000 + i),
                &sample_mail(&format!("rejoindre-{id}")),
                &audit(&id, 1_000, "public", "offered-to-join"),
                &limit(2),
            )
            .await
            .unwrap();
        assert_eq!(written, Registered::New);
    }
    let refused = store
        .offer_to_join(
            &offer("offre-9", "rethelois", 1_100),
            &sample_mail("rejoindre-offre-9"),
            &audit("offre-9", 1_100, "public", "offered-to-join"),
            &limit(2),
        )
        .await
        .unwrap();
    assert_eq!(refused, Registered::Limited);
    assert_eq!(store.join_offer("offre-9").await.unwrap(), None);
    assert!(store.audit_trail("join:offre-9").await.unwrap().is_empty());
    assert_eq!(store.due_mails(5_000, 10).await.unwrap().len(), 2);
    assert_eq!(store.join_offers(None).await.unwrap().len(), 2);
}

pub async fn an_offer_to_join_is_decided_once<S: Store>(store: &S) {
    let pending = offer("offre-1", "rethelois", 1_000);
    store
        .offer_to_join(
            &pending,
            &sample_mail("rejoindre-offre-1"),
            &audit("offre-1", 1_000, "public", "offered-to-join"),
            &[],
        )
        .await
        .unwrap();
    let accepted = pending.decided(Some("med-abc".into()), "staff:coord", 2_000);
    let declaration = accepted.declaration("med-abc", "staff:coord", 2_000);
    let declared = audit("med-abc", 2_000, "staff:coord", "declared");
    let welcome = sample_mail("bienvenue-offre-1");
    let joined = Joined {
        declaration: &declaration,
        declared: &declared,
        welcome: &welcome,
    };
    let mails_before = store.pending_mail_count().await.unwrap();
    assert!(
        store
            .decide_join_offer(
                &accepted,
                &audit("offre-1", 2_000, "staff:coord", "accepted-join"),
                Some(&joined)
            )
            .await
            .unwrap()
    );
    // His first declaration and his mail are written with the decision.
    let declarations = store.declarations().await.unwrap();
    assert_eq!(
        (declarations.stamp, declarations.list),
        (1, vec![declaration.clone()])
    );
    assert_eq!(store.pending_mail_count().await.unwrap(), mails_before + 1);
    let read = store.join_offer("offre-1").await.unwrap().unwrap();
    assert_eq!(read, accepted);
    assert_eq!(read.doctor_id(), Some("med-abc"));
    assert!(!read.is_pending());

    // A second decision (another coordinator, a double click) writes nothing.
    let declined = pending.decided(None, "staff:other", 2_100);
    assert!(
        !store
            .decide_join_offer(
                &declined,
                &audit("offre-1", 2_100, "staff:other", "declined-join"),
                None
            )
            .await
            .unwrap()
    );
    let again = sample_mail("bienvenue-offre-1-bis");
    let twice = Joined {
        welcome: &again,
        ..joined
    };
    assert!(
        !store
            .decide_join_offer(
                &accepted,
                &audit("offre-1", 2_200, "staff:coord", "accepted-join"),
                Some(&twice)
            )
            .await
            .unwrap()
    );
    assert_eq!(store.declarations_stamp().await.unwrap(), 1);
    assert_eq!(store.pending_mail_count().await.unwrap(), mails_before + 1);
    assert_eq!(store.join_offer("offre-1").await.unwrap(), Some(accepted));
    let actions: Vec<String> = store
        .audit_trail("join:offre-1")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["offered-to-join", "accepted-join"]);

    // An unknown offer is not decided.
    let unknown = offer("offre-x", "rethelois", 1_000).decided(None, "staff:coord", 2_000);
    assert!(
        !store
            .decide_join_offer(
                &unknown,
                &audit("offre-x", 2_000, "staff:coord", "declined-join"),
                None
            )
            .await
            .unwrap()
    );
    assert_eq!(store.join_offer("offre-x").await.unwrap(), None);
}

/// The joining form as a doctor of Rethel fills it.
fn joining_answers(token: &str) -> Answers {
    let mut answers = Answers::default();
    for (k, v) in [
        ("token", token),
        ("name", "Dr Inès Morel"),
        ("commune", "Rethel (08300)"),
        ("email", "ines.morel@example.org"),
        ("phone", "03 24 12 34 56"),
        ("status", "accepte_maintenant"),
        ("capacity", "12"),
        ("home_visits", "oui"),
        ("radius", "8"),
    ] {
        answers.set(k, v);
    }
    answers
}

pub async fn an_accepted_offer_joins_the_roster_with_his_link<S: Store>(store: S) {
    let outbox = tempfile::tempdir().unwrap();
    let app = super::declaring::app(store, outbox.path());
    let now = functions::now();
    let before = app.territory().doctors.len();

    let token = app.join_token(now);
    let JoinOutcome::Stored(offer) = app
        .offer_to_join(&joining_answers(&token), "192.0.2.1", now)
        .await
    else {
        panic!("stored");
    };
    assert_eq!(offer.cpts.as_deref(), Some("rethelois"));
    assert!(!offer.public, "public naming is opt-in");
    // The coordinators' notice: to the Rethélois, no name, no address, no commune.
    let due = app.store.due_mails(now + 1, 10).await.unwrap();
    let notice = &due
        .iter()
        .find(|m| m.mail.id == format!("rejoindre-{}", offer.id))
        .unwrap()
        .mail;
    assert_eq!(notice.subject, "Un médecin propose ses disponibilités");
    assert_eq!(
        notice.to,
        vec!["coordination.rethelois@example.org".to_string()]
    );
    for private in ["Morel", "Inès", "ines.morel", "03 24", "Rethel"] {
        assert!(
            !notice.text.contains(private) && !notice.html.contains(private),
            "{private} in the notice"
        );
    }
    assert!(
        notice
            .text
            .contains("http://127.0.0.1:8000/espace/medecins")
    );

    // Another CPTS's coordinator does not see it nor decide it.
    let vouziers = Scope::Cpts("vouzinois".into());
    assert!(app.pending_join_offers(&vouziers).await.unwrap().is_empty());
    assert!(matches!(
        app.accept_join_offer(&offer.id, &vouziers, "staff:coord-vouziers", now)
            .await,
        Err(DecideError::Unknown)
    ));
    let rethel = Scope::Cpts("rethelois".into());
    assert_eq!(app.pending_join_offers(&rethel).await.unwrap().len(), 1);

    let doctor = app
        .accept_join_offer(&offer.id, &rethel, "staff:coord-rethel", now)
        .await
        .unwrap();
    assert!(doctor.starts_with("med-"));
    assert!(app.pending_join_offers(&rethel).await.unwrap().is_empty());
    assert!(matches!(
        app.decline_join_offer(&offer.id, &rethel, "staff:coord-rethel", now)
            .await,
        Err(DecideError::AlreadyDecided)
    ));

    // He is in the roster the matching uses, at the centre of Rethel, with his declaration.
    let current = app.current_territory().await;
    assert_eq!(current.doctors.len(), before + 1);
    let joined = current.doctor(&doctor).expect("in the roster");
    let rethel_commune = current.commune("08362").unwrap();
    assert_eq!(joined.location, rethel_commune.centre);
    assert_eq!(joined.yearly_capacity, 12);
    assert_eq!(joined.home_visit_radius_km, Some(8.0));
    let declarations = app.store.declarations().await.unwrap().list;
    let declared = declarations
        .iter()
        .find(|d| d.doctor == doctor)
        .expect("declared");
    assert_eq!(declared.by, "staff:coord-rethel");
    assert_eq!(
        app.declaration_source(&doctor),
        functions::domain::declarations::Source::Declaration
    );
    // The public site shows him at its next build, before staff publish the roster again: the
    // overlay carries him with his commune's code, and the site's territory takes him in.
    let today = functions::domain::dates::local_date(now);
    let overlay = app.public_overlay(today).await.unwrap();
    let (code, shown) = overlay
        .joined
        .iter()
        .find(|(_, d)| d.id == doctor)
        .expect("the joined doctor in the public overlay");
    assert_eq!(code, "08362");
    assert_eq!(shown.yearly_capacity, 12);
    let site = app
        .published()
        .territory
        .as_ref()
        .clone()
        .with_overlay(&overlay);
    let on_site = site.doctor(&doctor).expect("on the public site");
    assert_eq!(site.communes[on_site.commune].code, "08362");
    // Audited as the coordinator who accepted him.
    let trail = app
        .store
        .audit_trail(&format!("doctor:{doctor}"))
        .await
        .unwrap();
    assert!(
        trail.iter().all(|e| e.actor == "staff:coord-rethel"),
        "{trail:?}"
    );

    // His standing link, to him, answered by the coordinators.
    let due = app.store.due_mails(now + 1, 10).await.unwrap();
    let welcome = &due
        .iter()
        .find(|m| m.mail.id == format!("bienvenue-{}", offer.id))
        .unwrap()
        .mail;
    assert_eq!(welcome.to, vec!["ines.morel@example.org".to_string()]);
    assert_eq!(
        welcome.reply_to,
        vec!["coordination.rethelois@example.org".to_string()]
    );
    assert!(
        welcome.text.contains(&format!(
            "http://127.0.0.1:8000/api/medecins/{doctor}?jeton="
        )),
        "{}",
        welcome.text
    );
    assert!(!welcome.text.contains("Morel"));

    // The export loads back as doctors.csv, every doctor and every declaration kept.
    let csv = functions::web::joining::roster_csv(&current);
    assert!(csv.starts_with('\u{feff}'));
    let dir = tempfile::tempdir().unwrap();
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/territory");
    for file in ["communes.geojson", "cpts.toml"] {
        std::fs::copy(content.join(file), dir.path().join(file)).unwrap();
    }
    std::fs::write(dir.path().join("doctors.csv"), &csv).unwrap();
    let reloaded = territory::load_published(dir.path(), local_date(now))
        .unwrap_or_else(|d| panic!("export does not load: {d:?}"));
    assert_eq!(reloaded.doctors.len(), current.doctors.len());
    for d in &current.doctors {
        let back = reloaded.doctor(&d.id).expect("every doctor kept");
        assert_eq!(
            back.declared(&reloaded.communes),
            d.declared(&current.communes),
            "{}",
            d.id
        );
        assert_eq!(
            (back.name.as_str(), back.email.as_str(), back.commune),
            (d.name.as_str(), d.email.as_str(), d.commune)
        );
    }
}

pub async fn a_declined_offer_adds_no_doctor_and_mails_him_nothing<S: Store>(store: S) {
    let outbox = tempfile::tempdir().unwrap();
    let app = super::declaring::app(store, outbox.path());
    let now = functions::now();
    let before = app.territory().doctors.len();
    let token = app.join_token(now);
    let JoinOutcome::Stored(offer) = app
        .offer_to_join(&joining_answers(&token), "192.0.2.1", now)
        .await
    else {
        panic!("stored");
    };
    app.decline_join_offer(&offer.id, &Scope::Territory, "staff:territoire", now)
        .await
        .unwrap();
    assert_eq!(app.current_territory().await.doctors.len(), before);
    let due = app.store.due_mails(now + 1, 10).await.unwrap();
    assert!(
        due.iter()
            .all(|m| !m.mail.to.contains(&"ines.morel@example.org".to_string()))
    );
    let decided = app.store.join_offer(&offer.id).await.unwrap().unwrap();
    assert_eq!(decided.doctor_id(), None);
    assert_eq!(decided.decision.unwrap().by, "staff:territoire");
}

pub async fn a_declined_offer_to_join_goes_at_the_end_of_its_period<
    S: Store + super::TimePasses,
>(
    store: &S,
) {
    use functions::domain::retention::DECLINED_JOIN_OFFER;
    for id in ["attend", "accepte", "refuse"] {
        store
            .offer_to_join(
                &offer(id, "rethelois", 1_000),
                &sample_mail(&format!("rejoindre-{id}")),
                &audit(id, 1_000, "public", "offered-to-join"),
                &[],
            )
            .await
            .unwrap();
    }
    let accepted =
        offer("accepte", "rethelois", 1_000).decided(Some("med-a".into()), "staff:c", 2_000);
    assert!(
        store
            .decide_join_offer(
                &accepted,
                &audit("accepte", 2_000, "staff:c", "accepted-join"),
                None
            )
            .await
            .unwrap()
    );
    let declined = offer("refuse", "rethelois", 1_000).decided(None, "staff:c", 2_000);
    assert!(
        store
            .decide_join_offer(
                &declined,
                &audit("refuse", 2_000, "staff:c", "declined-join"),
                None
            )
            .await
            .unwrap()
    );

    let ends = 2_000 + DECLINED_JOIN_OFFER.seconds;
    store.time_passes(ends - 1).await;
    assert_eq!(store.join_offers(None).await.unwrap().len(), 3);
    store.time_passes(ends).await;
    assert_eq!(
        store.join_offer("refuse").await.unwrap(),
        None,
        "declined: gone after its period"
    );
    assert!(
        store.join_offer("attend").await.unwrap().is_some(),
        "pending: kept"
    );
    assert_eq!(
        store.join_offer("accepte").await.unwrap(),
        Some(accepted),
        "accepted: kept"
    );
}
