//! What the ACI report reads of a request (issue #16): the priority criteria that held at
//! registration and the age in years, from the request, and from its tombstone once the person's
//! data are erased (no name, no birth date) — the same on every store.

use chrono::NaiveDate;
use functions::domain::aci;
use functions::domain::registration::{BirthDate, Criterion, DeclaredCriterion};
use functions::store::{Applied, Store};
use functions::web::figures::entries;

use super::{RegisterSample, sample_mail, sample_request};

/// 2026-03-02, 12:00 UTC.
const MARCH: i64 = 1_772_452_800;

pub async fn an_erased_request_keeps_its_criteria_and_age_for_the_aci_report<S: Store>(store: &S) {
    let registered: NaiveDate = "2026-03-02".parse().unwrap();
    for (reference, birth, criteria) in [
        // 75 on the day, ALD and C2S; a hospital stay a year before no longer holds.
        (
            "ACI00001",
            "01/01/1951",
            vec![
                DeclaredCriterion::new(Criterion::LongTermCondition, registered),
                DeclaredCriterion::new(Criterion::C2sOrAme, registered),
                DeclaredCriterion::new(Criterion::HospitalDischarge, "2025-03-01".parse().unwrap()),
            ],
        ),
        // 30, no criterion.
        ("ACI00002", "02/03/1996", vec![]),
    ] {
        let mut request = sample_request(reference, MARCH);
        request.registration.birth_date = BirthDate::parse(birth, registered).unwrap();
        request.registration.criteria = criteria;
        let mail = sample_mail(&format!("{reference}-coordination"));
        store
            .register_sample(&request, &format!("nonce-{reference}"), &mail, &[])
            .await
            .unwrap();
    }
    let year = aci::year_period(2026).unwrap();
    let before = entries(store, None, &year).await.unwrap();
    let first = before
        .iter()
        .find(|e| e.case.reference == "ACI00001")
        .unwrap();
    assert_eq!(
        first.criteria,
        [Criterion::LongTermCondition, Criterion::C2sOrAme]
    );
    assert_eq!(first.age, Some(75));

    // Erased: the tombstone keeps the criteria and the age, not the birth date.
    let case = store.case("ACI00001").await.unwrap().unwrap();
    let request = store.request("ACI00001").await.unwrap().unwrap();
    let erasure =
        functions::domain::lifecycle::erase(&case, None, &request, MARCH + 86_400, "staff:c")
            .unwrap();
    assert_eq!(store.erase(&erasure).await.unwrap(), Applied::Done);
    let erased = store.erased("ACI00001").await.unwrap().unwrap();
    assert_eq!(
        erased.criteria,
        [Criterion::LongTermCondition, Criterion::C2sOrAme]
    );
    assert_eq!(erased.age, Some(75));
    let kept = serde_json::to_string(&erased).unwrap();
    assert!(!kept.contains("1951") && !kept.contains("Dupr"), "{kept}");

    let after = entries(store, None, &year).await.unwrap();
    let report = aci::report(&after, 2026, &year);
    assert_eq!(report.all.oriented, 2);
    let ald = report
        .by_criterion
        .iter()
        .find(|(c, _)| *c == Criterion::LongTermCondition)
        .unwrap()
        .1;
    assert_eq!(ald.oriented, 1, "the erased request still counts");
    assert_eq!(report.seventy_plus.oriented, 1);
    assert_eq!(report.mean_age.known, 2);
    assert_eq!(report.mean_age.years, Some(52.5));
    // The same counts as before the erasure (only its outcome changed: withdrawn).
    let was = aci::report(&before, 2026, &year);
    assert_eq!(
        (report.by_criterion, report.by_age, report.mean_age),
        (was.by_criterion, was.by_age, was.mean_age)
    );
}
