//! The person's rights (issue #13): a correction rewrites the request with its case, all or
//! nothing; an erasure leaves none of the person's data anywhere in the store — every table, every
//! item searched as raw text — nor any mail to her, and keeps the counts.

use std::future::Future;

use functions::domain::lifecycle::{self, CaseState, ClosingReason, Mail, Request};
use functions::domain::phone::PhoneNumber;
use functions::domain::registration::{BirthDate, Details, Email, Name};
use functions::store::{Applied, Registered, Store};

use super::{RegisterSample, YEAR, choice, sample_mail, sample_request};

/// Every row of every table (SQLite), every item of the table (DynamoDB), as text.
pub trait RawText {
    fn raw_text(&self) -> impl Future<Output = String>;
}

const PERSON_EMAIL: &str = "lea.dupre@example.fr";
/// The person's data as the store writes them (name, first name, phone, birth date, email, and
/// the name as the search keys hold it: without accents, in lower case).
const PERSON: &[&str] = &[
    "Dupré",
    "Léa",
    "612345678",
    "1950-07-14",
    "lea.dupre",
    "dupre",
];

fn person(reference: &str) -> Request {
    let mut r = sample_request(reference, 1_000);
    r.registration.email = Some(Email::parse(PERSON_EMAIL).unwrap());
    r
}

fn other(reference: &str) -> Request {
    let today = "2026-11-24".parse().unwrap();
    let mut r = sample_request(reference, 1_100);
    let g = &mut r.registration;
    g.last_name = Name::parse("Martin", "le nom").unwrap();
    g.first_name = Name::parse("Paul", "le prénom").unwrap();
    g.birth_date = BirthDate::parse("01/02/1980", today).unwrap();
    g.phone = PhoneNumber::parse("06 98 76 54 32").unwrap();
    g.email = Some(Email::parse("paul.martin@example.org").unwrap());
    r
}

fn mail_to(id: &str, to: &str) -> Mail {
    Mail {
        to: vec![to.into()],
        ..sample_mail(id)
    }
}

async fn register<S: Store>(store: &S, request: &Request) {
    let nonce = format!("nonce-{}", request.reference);
    let mail = sample_mail(&format!("{}-coordination", request.reference));
    assert_eq!(
        store
            .register_sample(request, &nonce, &mail, &[])
            .await
            .unwrap(),
        Registered::New
    );
}

fn details_of(request: &Request) -> Details {
    let r = &request.registration;
    Details {
        last_name: r.last_name.clone(),
        first_name: r.first_name.clone(),
        birth_date: r.birth_date,
        phone: r.phone.clone(),
        email: r.email.clone(),
        call_time: r.call_time,
        commune: r.commune.clone(),
    }
}

/// After an erasure, the person's name, phone, email and birth date appear nowhere, no mail to
/// her is left (pending or sent), and the counts — cases by state, doctors' loads, audit
/// entries — are those the closure leaves.
pub async fn an_erasure_leaves_no_personal_data_and_keeps_the_counts<S: Store + RawText>(
    store: &S,
) {
    let (a, b) = (person("ERASE001"), other("ERASE002"));
    register(store, &a).await;
    register(store, &b).await;
    // The person's request goes as far as an accepted doctor, with notes and mails to her.
    let case = store.case("ERASE001").await.unwrap().unwrap();
    let (t, p) = lifecycle::propose(&case, &choice("med-001", 5), 2_000, YEAR, vec![]).unwrap();
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let case = store.case("ERASE001").await.unwrap().unwrap();
    let (t, p) = lifecycle::validate(&case, &p, 2_100, "Claire", vec![]).unwrap();
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let case = store.case("ERASE001").await.unwrap().unwrap();
    let (t, _) = lifecycle::accept(
        &case,
        &p,
        5,
        2_200,
        vec![mail_to("ERASE001-sent", PERSON_EMAIL)],
    )
    .unwrap();
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    store
        .mails_sent(&["ERASE001-sent".to_string()], 2_300)
        .await
        .unwrap();
    let case = store.case("ERASE001").await.unwrap().unwrap();
    let mut t = lifecycle::note(
        &case,
        2_400,
        "Claire",
        "Léa Dupré rappelle au 06 12 34 56 78",
    );
    t.mails.push(mail_to("ERASE001-pending", PERSON_EMAIL));
    t.mails
        .push(mail_to("ERASE002-pending", "paul.martin@example.org"));
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let before = store.raw_text().await;
    for value in PERSON {
        assert!(
            before.contains(value),
            "{value} is stored before the erasure"
        );
    }
    let count = |cases: &[lifecycle::Case]| cases.len();
    let all_before = count(&store.cases(&CaseState::ALL, None).await.unwrap());
    let loads_before = store.doctor_loads(YEAR).await.unwrap();
    let audit_before = store.audit_trail("ERASE001").await.unwrap().len();
    let pending_before = store.pending_mail_count().await.unwrap();

    let case = store.case("ERASE001").await.unwrap().unwrap();
    let current = store
        .proposal(case.current_proposal().unwrap())
        .await
        .unwrap();
    let request = store.request("ERASE001").await.unwrap().unwrap();
    let erasure = lifecycle::erase(&case, current.as_ref(), &request, 3_000, "Claire").unwrap();
    assert_eq!(store.erase(&erasure).await.unwrap(), Applied::Done);

    let after = store.raw_text().await;
    for value in PERSON {
        assert!(
            !after.contains(value),
            "{value} is still stored after the erasure"
        );
    }
    assert!(!after.contains("rappelle"), "the note is gone");
    assert!(
        after.contains("Martin") && after.contains("paul.martin"),
        "others stay"
    );
    assert!(store.request("ERASE001").await.unwrap().is_none());
    assert!(store.timeline("ERASE001").await.unwrap().is_empty());
    let erased = store.erased("ERASE001").await.unwrap().unwrap();
    assert_eq!(erased.erased_at, 3_000);
    assert_eq!(erased.priority_level, request.priority.level);
    // Registered in 1970 (the sample's clock): she was 19.
    assert_eq!(erased.age_bracket, "16-69");
    assert!(store.erased("ERASE002").await.unwrap().is_none());
    // No mail to her, pending or sent; the other person's mail still waits.
    let due = store.due_mails(i64::MAX / 2, 100).await.unwrap();
    assert!(
        due.iter()
            .all(|m| !m.mail.to.iter().any(|t| t == PERSON_EMAIL))
    );
    assert!(due.iter().any(|m| m.mail.id == "ERASE002-pending"));
    assert_eq!(
        store.pending_mail_count().await.unwrap(),
        pending_before - 1
    );
    // The counts.
    assert_eq!(
        count(&store.cases(&CaseState::ALL, None).await.unwrap()),
        all_before
    );
    let closed = store.case("ERASE001").await.unwrap().unwrap();
    assert_eq!(closed.state, CaseState::Closed);
    assert_eq!(closed.closure.unwrap().reason, ClosingReason::Withdrawn);
    assert_eq!(
        store.doctor_loads(YEAR).await.unwrap(),
        loads_before,
        "an accepted place stays taken"
    );
    let audit = store.audit_trail("ERASE001").await.unwrap();
    assert!(audit.len() > audit_before);
    assert!(audit.iter().any(|e| e.action == "erased"));
    // Twice: the case moved on, nothing written.
    assert_eq!(store.erase(&erasure).await.unwrap(), Applied::Conflict);
}

/// An open proposal is withdrawn by the erasure and its place released.
pub async fn an_erasure_releases_an_open_proposal<S: Store + RawText>(store: &S) {
    let a = person("ERASE003");
    register(store, &a).await;
    let case = store.case("ERASE003").await.unwrap().unwrap();
    let (t, p) = lifecycle::propose(&case, &choice("med-001", 5), 2_000, YEAR, vec![]).unwrap();
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let load = |loads: Vec<functions::domain::matching::DoctorLoad>| {
        loads
            .iter()
            .find(|l| l.doctor == "med-001")
            .map_or(0, |l| l.load)
    };
    assert_eq!(load(store.doctor_loads(YEAR).await.unwrap()), 1);
    let case = store.case("ERASE003").await.unwrap().unwrap();
    let request = store.request("ERASE003").await.unwrap().unwrap();
    let erasure = lifecycle::erase(&case, Some(&p), &request, 3_000, "Claire").unwrap();
    assert_eq!(store.erase(&erasure).await.unwrap(), Applied::Done);
    assert_eq!(load(store.doctor_loads(YEAR).await.unwrap()), 0);
    let p = store.proposal(&p.id).await.unwrap().unwrap();
    assert_eq!(p.state, lifecycle::ProposalState::Withdrawn);
    assert!(store.open_proposals().await.unwrap().is_empty());
}

/// A correction rewrites the request with its case (and its CPTS), forgets mails to a former
/// address, and writes nothing when the case changed meanwhile or the request was erased.
pub async fn a_correction_rewrites_the_request_with_its_case<S: Store + RawText>(store: &S) {
    let a = person("FIX00001");
    register(store, &a).await;
    let case = store.case("FIX00001").await.unwrap().unwrap();
    let mut t = lifecycle::note(&case, 1_500, "Claire", "note");
    t.mails.push(mail_to("FIX00001-old", PERSON_EMAIL));
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let case = store.case("FIX00001").await.unwrap().unwrap();
    let mut details = details_of(&a);
    details.phone = PhoneNumber::parse("07 11 22 33 44").unwrap();
    details.email = Some(Email::parse("lea.nouvelle@example.fr").unwrap());
    details.commune = "08105".into();
    let stale = lifecycle::correct(&case, &a, &details, None, 1_900, "Claire").unwrap();
    let fix = lifecycle::correct(
        &case,
        &a,
        &details,
        Some("sedanais".into()),
        2_000,
        "Claire",
    )
    .unwrap();
    assert_eq!(fix.fields, ["phone", "email", "commune"]);
    assert_eq!(store.correct(&fix).await.unwrap(), Applied::Done);
    assert_eq!(store.correct(&stale).await.unwrap(), Applied::Conflict);
    let stored = store.request("FIX00001").await.unwrap().unwrap();
    assert_eq!(stored.registration.phone.as_str(), "+33711223344");
    assert_eq!(stored.cpts.as_deref(), Some("sedanais"));
    let case = store.case("FIX00001").await.unwrap().unwrap();
    assert_eq!(
        (case.cpts.as_deref(), case.needs.commune.as_str()),
        (Some("sedanais"), "08105")
    );
    let by_cpts = store
        .cases(&[CaseState::Waiting], Some(Some("sedanais")))
        .await
        .unwrap();
    assert!(by_cpts.iter().any(|c| c.reference == "FIX00001"));
    let raw = store.raw_text().await;
    assert!(!raw.contains("612345678"), "the old phone is not kept");
    assert!(
        !raw.contains(PERSON_EMAIL),
        "nor the old address, even in the outbox"
    );
    let trail = store.audit_trail("FIX00001").await.unwrap();
    assert!(
        trail
            .iter()
            .any(|e| e.action == "corrected:phone,email,commune")
    );
    // An erased request is never corrected.
    let current = store.case("FIX00001").await.unwrap().unwrap();
    let erasure = lifecycle::erase(&current, None, &stored, 3_000, "Claire").unwrap();
    assert_eq!(store.erase(&erasure).await.unwrap(), Applied::Done);
    let closed = store.case("FIX00001").await.unwrap().unwrap();
    details.phone = PhoneNumber::parse("07 99 99 99 99").unwrap();
    let late = lifecycle::correct(&closed, &stored, &details, None, 4_000, "Claire").unwrap();
    assert_eq!(store.correct(&late).await.unwrap(), Applied::Conflict);
    assert!(store.request("FIX00001").await.unwrap().is_none());
}
