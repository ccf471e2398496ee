//! Search and possible duplicates (issue #13): keys written at registration, found within a
//! scope only, accents ignored, a typo tolerated, phone numbers in any format, a year alone.

use std::sync::{Arc, OnceLock};

use functions::domain::lifecycle::{CaseState, ClosingReason, Closure, Request, Transition};
use functions::domain::phone::PhoneNumber;
use functions::domain::registration::{BirthDate, Name};
use functions::domain::search::{Identity, LIMIT, Query};
use functions::domain::staff::Scope;
use functions::store::{Applied, Registered, Store};
use territory::Territory;

use super::{RegisterSample, sample_mail, sample_request};

pub fn demo() -> Arc<Territory> {
    static DEMO: OnceLock<Arc<Territory>> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/territory");
        let today = "2026-11-24".parse().expect("date");
        Arc::new(territory::load(&dir, today).territory.expect("demo loads"))
    })
    .clone()
}

/// A request of `cpts` for this person, registered at `at`.
async fn person<S: Store>(
    store: &S,
    reference: &str,
    at: i64,
    cpts: Option<&str>,
    (last, first, birth, phone, commune): (&str, &str, &str, &str, &str),
) -> Request {
    let today = "2026-11-24".parse().expect("date");
    let mut request = sample_request(reference, at);
    request.cpts = cpts.map(str::to_string);
    let r = &mut request.registration;
    r.last_name = Name::parse(last, "le nom").unwrap();
    r.first_name = Name::parse(first, "le prénom").unwrap();
    r.birth_date = BirthDate::parse(birth, today).unwrap();
    r.phone = PhoneNumber::parse(phone).unwrap();
    r.commune = commune.into();
    let outcome = store
        .register_sample(
            &request,
            &format!("nonce-{reference}"),
            &sample_mail(&format!("mail-{reference}")),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(outcome, Registered::New);
    request
}

/// Three people: two in Rethel's CPTS, one outside every CPTS.
async fn three<S: Store>(store: &S) {
    person(
        store,
        "REF00001",
        1000,
        Some("rethelois"),
        ("Dupré", "Léa", "14/07/1950", "06 12 34 56 78", "08362"),
    )
    .await;
    person(
        store,
        "REF00002",
        2000,
        Some("rethelois"),
        (
            "Lefèvre",
            "Jean-Noël",
            "01/02/1980",
            "03 24 00 00 01",
            "08362",
        ),
    )
    .await;
    person(
        store,
        "REF00003",
        3000,
        None,
        ("DUPRE", "Marc", "14/07/1950", "07 00 00 00 02", "08105"),
    )
    .await;
}

async fn references<S: Store>(store: &S, query: &str, scope: &Scope) -> Vec<String> {
    let query = Query::parse(query, &demo()).unwrap();
    let found = store.search(&query, scope).await.unwrap();
    found.hits.into_iter().map(|h| h.reference).collect()
}

fn rethel() -> Scope {
    Scope::Cpts("rethelois".into())
}

pub async fn search_stays_within_its_scope<S: Store>(store: &S) {
    three(store).await;
    assert_eq!(references(store, "dupre", &rethel()).await, ["REF00001"]);
    assert_eq!(
        references(store, "dupre", &Scope::Territory).await,
        ["REF00003", "REF00001"],
        "newest first, outside every CPTS included"
    );
    assert!(
        references(store, "dupre", &Scope::Cpts("vouzinois".into()))
            .await
            .is_empty()
    );
    assert!(references(store, "REF00003", &rethel()).await.is_empty());
    assert_eq!(
        references(store, "ref00003", &Scope::Territory).await,
        ["REF00003"]
    );
    let query = Query::parse("Dupré", &demo()).unwrap();
    let found = store.search(&query, &rethel()).await.unwrap();
    let hit = &found.hits[0];
    assert_eq!(
        (
            hit.name.as_str(),
            hit.commune.as_str(),
            hit.state,
            hit.created_at,
            found.more
        ),
        ("Léa Dupré", "08362", CaseState::Waiting, 1000, false)
    );
}

pub async fn search_ignores_accents_and_tolerates_a_typo<S: Store>(store: &S) {
    three(store).await;
    let all = Scope::Territory;
    assert_eq!(references(store, "LEFEVRE", &all).await, ["REF00002"]);
    assert_eq!(references(store, "lefebvre", &all).await, ["REF00002"]);
    assert_eq!(references(store, "jean noel", &all).await, ["REF00002"]);
    assert_eq!(
        references(store, "Jean-Noël Léfèvre", &all).await,
        ["REF00002"]
    );
    assert_eq!(references(store, "dupree lea", &all).await, ["REF00001"]);
    assert!(references(store, "dupont", &all).await.is_empty());
    assert!(references(store, "lefevre marc", &all).await.is_empty());
    // Communes by name (accents ignored) or INSEE code.
    assert_eq!(
        references(store, "rethel", &all).await,
        ["REF00002", "REF00001"]
    );
    assert_eq!(
        references(store, "charleville mezieres", &all).await,
        ["REF00003"]
    );
    assert_eq!(
        references(store, "Charleville-Mézières dupre", &all).await,
        ["REF00003"]
    );
    assert_eq!(references(store, "08105", &all).await, ["REF00003"]);
}

pub async fn search_reads_phone_numbers_in_any_format<S: Store>(store: &S) {
    three(store).await;
    for q in [
        "06 12 34 56 78",
        "+33612345678",
        "0612345678",
        "06.12.34.56.78",
        "+33 6 12 34 56 78",
    ] {
        assert_eq!(
            references(store, q, &Scope::Territory).await,
            ["REF00001"],
            "{q}"
        );
    }
    assert!(
        references(store, "06 12 34 56 79", &Scope::Territory)
            .await
            .is_empty()
    );
}

pub async fn search_by_birth_date_or_year_alone<S: Store>(store: &S) {
    three(store).await;
    let all = Scope::Territory;
    assert_eq!(
        references(store, "14/07/1950", &all).await,
        ["REF00003", "REF00001"]
    );
    assert_eq!(
        references(store, "1950-07-14", &rethel()).await,
        ["REF00001"]
    );
    assert_eq!(references(store, "1980", &all).await, ["REF00002"]);
    assert_eq!(references(store, "1950 marc", &all).await, ["REF00003"]);
    assert!(references(store, "1951", &all).await.is_empty());
}

pub async fn search_results_are_capped<S: Store>(store: &S) {
    for k in 0..=LIMIT {
        person(
            store,
            &format!("CAP{k:05}"),
            10_000 + k as i64,
            Some("rethelois"),
            ("Martin", "Paul", "01/01/1960", "06 00 00 00 00", "08362"),
        )
        .await;
    }
    let query = Query::parse("martin", &demo()).unwrap();
    let found = store.search(&query, &rethel()).await.unwrap();
    assert_eq!(found.hits.len(), LIMIT);
    assert!(found.more);
    assert_eq!(
        found.hits[0].reference,
        format!("CAP{LIMIT:05}"),
        "newest first"
    );
    let query = Query::parse("1960", &demo()).unwrap();
    assert!(store.search(&query, &rethel()).await.unwrap().more);
}

pub async fn possible_duplicates_share_a_phone_or_a_name_and_birth_date<S: Store>(store: &S) {
    three(store).await;
    let lea = person(
        store,
        "REF00004",
        4000,
        Some("rethelois"),
        ("Dupre", "Lea", "14/07/1950", "06 99 99 99 99", "08362"),
    )
    .await;
    let who = Identity::of(&lea.registration);
    // Same name and birth date (REF00001), same phone: none other.
    assert_eq!(
        store
            .possible_duplicates(&who, Some("REF00004"), &rethel())
            .await
            .unwrap(),
        ["REF00001"]
    );
    // At intake, before storing: same phone as Léa's first request.
    let mut caller = who.clone();
    caller.name = "autre personne".into();
    caller.phone = "+33612345678".into();
    assert_eq!(
        store
            .possible_duplicates(&caller, None, &Scope::Territory)
            .await
            .unwrap(),
        ["REF00001"]
    );
    // Marc Dupré has the same birth date but another first name and phone.
    let marc = Identity {
        name: "dupre marc".into(),
        phone: "+33700000002".into(),
        birth_date: who.birth_date,
    };
    assert_eq!(
        store
            .possible_duplicates(&marc, None, &Scope::Territory)
            .await
            .unwrap(),
        ["REF00003"]
    );
    assert!(
        store
            .possible_duplicates(&marc, None, &rethel())
            .await
            .unwrap()
            .is_empty()
    );
    // A closed request is no longer a duplicate.
    let case = store.case("REF00001").await.unwrap().unwrap();
    let mut closed = case.clone();
    closed.state = CaseState::Closed;
    closed.version += 1;
    closed.closure = Some(Closure {
        reason: ClosingReason::ALL[0],
        at: 5000,
        by: "system".into(),
    });
    let transition = Transition {
        at: 5000,
        case: Some((case.version, closed)),
        proposals: Vec::new(),
        doctors: Vec::new(),
        mails: Vec::new(),
        audit: Vec::new(),
        entries: Vec::new(),
    };
    assert_eq!(store.apply(&transition).await.unwrap(), Applied::Done);
    assert!(
        store
            .possible_duplicates(&who, Some("REF00004"), &rethel())
            .await
            .unwrap()
            .is_empty()
    );
    // It is still found by a search, with its state.
    let query = Query::parse("REF00001", &demo()).unwrap();
    let found = store.search(&query, &rethel()).await.unwrap();
    assert_eq!(found.hits[0].state, CaseState::Closed);
}
