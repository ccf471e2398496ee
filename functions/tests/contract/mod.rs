//! The behaviour every Store must have, written once. Each check takes a fresh, empty store; a
//! test file runs them all for an implementation with `store_contract!`:
//!
//! ```text
//! #[macro_use]
//! mod contract;
//! store_contract!(functions::store::SqliteStore::in_memory().unwrap());
//! ```
//!
//! It lives with the tests, not in the shipped library.

#![allow(dead_code)]
// Not every test binary that includes the suite runs every part of it.
#![allow(unused_imports)]

pub mod aci;
pub mod declarations;
pub mod declaring;
pub mod health;
pub mod indicators;
pub mod joining;
pub mod privacy;
pub mod retention;
pub mod search;
pub mod sessions;
pub mod timeline;
pub use aci::*;
pub use declarations::*;
pub use declaring::*;
pub use health::*;
pub use indicators::*;
pub use joining::*;
pub use privacy::*;
pub use retention::*;
pub use search::*;
pub use sessions::*;
pub use timeline::*;

use chrono::NaiveDate;

use functions::domain::lifecycle::{
    self, AuditEntry, Case, CaseState, Choice, ClosingReason, DoctorOp, Mail, Proposal,
    ProposalState, RejectionReason, Request, Transition,
};
use functions::domain::matching::DoctorLoad;
use functions::domain::priority;
use functions::domain::registration::{
    BirthDate, CallTime, Communication, Criterion, DeclaredCriterion, FilledBy, Filler, GpStatus,
    Mobility, Name, Reason, Registration, WithoutGpSince,
};
use functions::store::{Applied, RateLimit, Registered, Result, Store};

/// A request as the handler would store it.
pub fn sample_request(reference: &str, created_at: i64) -> Request {
    let today: NaiveDate = "2026-11-24".parse().expect("date");
    let registration = Registration {
        gp_status: GpStatus::None,
        filled_by: Filler {
            role: FilledBy::Patient,
            organisation: None,
        },
        last_name: Name::parse("Dupré", "le nom").expect("name"),
        first_name: Name::parse("Léa", "le prénom").expect("name"),
        birth_date: BirthDate::parse("14/07/1950", today).expect("date"),
        phone: functions::domain::phone::PhoneNumber::parse("06 12 34 56 78").expect("phone"),
        email: None,
        call_time: CallTime::Any,
        commune: "08409".into(),
        mobility: Mobility {
            max_distance_km: Some(20),
            home_visits: false,
        },
        without_gp_since: WithoutGpSince::OneTo2Years,
        reason: Reason::DoctorRetired,
        criteria: vec![DeclaredCriterion::new(Criterion::Pregnancy, today)],
        communication: Communication {
            interpreter_language: None,
            reading_help: false,
        },
        consent_date: today,
    };
    let priority = priority::assess(&registration, today);
    Request {
        reference: reference.into(),
        created_at,
        cpts: Some("rethelois".into()),
        registration,
        priority,
        channel: Default::default(),
        intake: None,
    }
}

/// Registers `request` with `mail` as the handler does: the opening computed by the domain.
pub trait RegisterSample: Store {
    async fn register_sample(
        &self,
        request: &Request,
        nonce: &str,
        mail: &Mail,
        limits: &[RateLimit],
    ) -> Result<Registered> {
        let opening = lifecycle::open(request.clone(), mail.clone());
        self.register(&opening, nonce, limits).await
    }
}

impl<S: Store> RegisterSample for S {}

pub fn sample_mail(id: &str) -> Mail {
    Mail {
        id: id.into(),
        to: vec!["coordination@example.org".into()],
        subject: "Nouvelle demande".into(),
        text: "texte".into(),
        html: "<p>html</p>".into(),
        reply_to: Vec::new(),
        from_name: None,
    }
}

pub async fn registers_request_mail_and_audit<S: Store>(store: &S) {
    let request = sample_request("REF1", 1000);
    let outcome = store
        .register_sample(&request, "nonce-1", &sample_mail("m1"), &[])
        .await
        .unwrap();
    assert_eq!(outcome, Registered::New);
    assert_eq!(store.request("REF1").await.unwrap(), Some(request));
    assert_eq!(store.request("NOPE").await.unwrap(), None);
    let due = store.due_mails(1000, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].mail, sample_mail("m1"));
    assert_eq!(due[0].attempts, 0);
    let trail = store.audit_trail("REF1").await.unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].action, "registered");
}

pub async fn same_nonce_registers_once<S: Store>(store: &S) {
    store
        .register_sample(
            &sample_request("REF1", 1000),
            "nonce-1",
            &sample_mail("m1"),
            &[],
        )
        .await
        .unwrap();
    let again = store
        .register_sample(
            &sample_request("REF2", 1001),
            "nonce-1",
            &sample_mail("m2"),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(again, Registered::Duplicate("REF1".into()));
    assert_eq!(store.request("REF2").await.unwrap(), None);
    assert_eq!(store.pending_mail_count().await.unwrap(), 1);
}

pub async fn failed_mail_waits_then_is_sent_once<S: Store>(store: &S) {
    store
        .register_sample(&sample_request("REF1", 1000), "n", &sample_mail("m1"), &[])
        .await
        .unwrap();
    store.mail_failed("m1", 1060).await.unwrap();
    assert!(store.due_mails(1059, 10).await.unwrap().is_empty());
    let due = store.due_mails(1060, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].attempts, 1);
    assert_eq!(due[0].next_attempt_at, 1060);
    store.mails_sent(&["m1".to_string()], 1061).await.unwrap();
    assert!(store.due_mails(i64::MAX, 10).await.unwrap().is_empty());
    assert_eq!(store.pending_mail_count().await.unwrap(), 0);
    // A late failure report does not bring a sent mail back.
    store.mail_failed("m1", 1070).await.unwrap();
    assert!(store.due_mails(i64::MAX, 10).await.unwrap().is_empty());
}

pub async fn a_mail_is_claimed_by_one_sender_only<S: Store>(store: &S) {
    store
        .register_sample(&sample_request("REF1", 1000), "n", &sample_mail("m1"), &[])
        .await
        .unwrap();
    let due = store.due_mails(1000, 10).await.unwrap();
    let seen = due[0].next_attempt_at;
    let (a, b) = futures_util::future::join(
        store.claim_mail("m1", seen, 1120),
        store.claim_mail("m1", seen, 1120),
    )
    .await;
    assert_eq!(
        [a.unwrap(), b.unwrap()].iter().filter(|c| **c).count(),
        1,
        "one sender gets it"
    );
    assert!(
        store.due_mails(1119, 10).await.unwrap().is_empty(),
        "not due while claimed"
    );
    assert_eq!(
        store.due_mails(1120, 10).await.unwrap().len(),
        1,
        "due again if never sent"
    );
    store.mails_sent(&["m1".to_string()], 1050).await.unwrap();
    assert!(
        !store.claim_mail("m1", 1120, 1300).await.unwrap(),
        "sent: never again"
    );
    assert!(!store.claim_mail("none", 0, 1).await.unwrap());
}

pub async fn due_mails_oldest_first_and_limited<S: Store>(store: &S) {
    for i in 0..5 {
        store
            .register_sample(
                &sample_request(&format!("R{i}"), 1000 + i),
                &format!("n{i}"),
                &sample_mail(&format!("m{i}")),
                &[],
            )
            .await
            .unwrap();
    }
    let due = store.due_mails(2000, 3).await.unwrap();
    let ids: Vec<&str> = due.iter().map(|p| p.mail.id.as_str()).collect();
    assert_eq!(ids, ["m0", "m1", "m2"]);
}

pub async fn rate_limits_hold_and_refusals_write_nothing<S: Store>(store: &S) {
    let limit = |key: &str, window| RateLimit {
        key: key.into(),
        window,
        limit: 2,
    };
    let mut n = 0;
    let mut register = |limits: Vec<RateLimit>| {
        n += 1;
        let (reference, nonce, mail) = (format!("R{n}"), format!("n{n}"), format!("m{n}"));
        async move {
            store
                .register_sample(
                    &sample_request(&reference, 1000),
                    &nonce,
                    &sample_mail(&mail),
                    &limits,
                )
                .await
                .unwrap()
        }
    };
    assert_eq!(register(vec![limit("a", 1)]).await, Registered::New);
    assert_eq!(register(vec![limit("a", 1)]).await, Registered::New);
    assert_eq!(register(vec![limit("a", 1)]).await, Registered::Limited);
    assert_eq!(store.request("R3").await.unwrap(), None, "nothing written");
    assert_eq!(store.pending_mail_count().await.unwrap(), 2);
    assert_eq!(
        register(vec![limit("b", 1)]).await,
        Registered::New,
        "another key"
    );
    assert_eq!(
        register(vec![limit("a", 2)]).await,
        Registered::New,
        "another window"
    );
    // Every limit must hold: one over its limit refuses the whole request.
    assert_eq!(
        register(vec![limit("c", 1), limit("a", 1)]).await,
        Registered::Limited
    );
    assert_eq!(
        register(vec![limit("c", 1)]).await,
        Registered::New,
        "c was not counted"
    );
}

pub async fn audit_log_keeps_order<S: Store>(store: &S) {
    for (i, action) in ["viewed", "validated"].iter().enumerate() {
        store
            .audit(&AuditEntry {
                at: 10 + i as i64,
                actor: "coordinator:k1".into(),
                action: action.to_string(),
                object: "REF9".into(),
            })
            .await
            .unwrap();
    }
    let trail = store.audit_trail("REF9").await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["viewed", "validated"]);
    assert!(store.audit_trail("OTHER").await.unwrap().is_empty());
}

/// One `#[tokio::test]` per contract check, each on a fresh store made by `$make`.
#[macro_export]
macro_rules! store_contract {
    ($make:expr) => {
        $crate::store_contract!(@tests $make;
            registers_request_mail_and_audit,
            same_nonce_registers_once,
            failed_mail_waits_then_is_sent_once,
            a_mail_is_claimed_by_one_sender_only,
            due_mails_oldest_first_and_limited,
            rate_limits_hold_and_refusals_write_nothing,
            audit_log_keeps_order,
            registration_opens_a_waiting_case,
            a_transition_writes_everything_or_nothing,
            a_decision_takes_effect_once,
            capacity_is_never_exceeded,
            racing_acceptances_take_only_the_places_left,
            pauses_and_loads_are_per_doctor,
            open_proposals_leave_the_list_when_they_end,
            timeline_entries_are_written_with_their_transition,
            a_refused_transition_writes_no_timeline_entry,
            a_closed_request_reopens,
            a_key_is_used_once,
            a_limited_mail_is_queued_until_its_limit,
            sessions_open_read_and_close,
            an_expired_session_reads_as_expired,
            signing_out_everywhere_closes_only_that_persons_sessions,
            search_stays_within_its_scope,
            search_ignores_accents_and_tolerates_a_typo,
            search_reads_phone_numbers_in_any_format,
            search_by_birth_date_or_year_alone,
            search_results_are_capped,
            possible_duplicates_share_a_phone_or_a_name_and_birth_date,
            an_erasure_leaves_no_personal_data_and_keeps_the_counts,
            an_erasure_releases_an_open_proposal,
            a_correction_rewrites_the_request_with_its_case,
            each_kind_of_data_goes_at_the_end_of_its_period,
            a_reopened_request_keeps_what_it_wrote,
            a_rate_counter_goes_after_its_period,
            health_writes_and_counts_the_mail_queue,
            undelivered_mails_are_those_failed_often_or_given_up,
            declarations_are_kept_one_per_doctor_and_counted,
            a_same_declaration_still_counts_as_a_change,
            a_request_to_confirm_is_sent_once,
            an_offer_to_join_is_stored_with_its_notice_once,
            offers_to_join_are_rate_limited_and_refusals_write_nothing,
            an_offer_to_join_is_decided_once,
            a_declined_offer_to_join_goes_at_the_end_of_its_period,
            figures_count_channels_outcomes_delays_and_erased_requests,
            an_erased_request_keeps_its_criteria_and_age_for_the_aci_report);
        $crate::store_contract!(@apps $make;
            matching_uses_a_new_declaration_at_once,
            a_newer_row_wins_over_an_older_declaration,
            the_public_site_is_told_of_pauses_and_full_capacity,
            a_doctor_declares_his_other_practices,
            a_stale_declaration_is_confirmed_or_no_longer_proposed,
            an_accepted_offer_joins_the_roster_with_his_link,
            a_declined_offer_adds_no_doctor_and_mails_him_nothing);
    };
    (@tests $make:expr; $($name:ident),*) => {

        $(
            #[tokio::test]
            async fn $name() {
                let store = $make;
                $crate::contract::$name(&store).await;
            }
        )*
    };
    // Use cases of the handler on this store: each test gets the store itself, to build an App.
    (@apps $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let store = $make;
                $crate::contract::$name(store).await;
            }
        )*
    };
}

// ——— Cases, proposals and doctors' capacity (issue #6) ———

const YEAR: i32 = 2026;

/// A request registered and its case, as the store wrote it.
async fn registered<S: Store>(store: &S, reference: &str, created_at: i64) -> Case {
    let request = sample_request(reference, created_at);
    let nonce = format!("nonce-{reference}");
    let mail = sample_mail(&format!("{reference}-coordination"));
    assert_eq!(
        store
            .register_sample(&request, &nonce, &mail, &[])
            .await
            .unwrap(),
        Registered::New
    );
    store.case(reference).await.unwrap().expect("case written")
}

fn choice(doctor: &str, capacity: u32) -> Choice {
    Choice {
        doctor: doctor.into(),
        yearly_capacity: capacity,
        distance_km: 4.5,
        reasons: vec!["à 4,5 km".into()],
    }
}

/// Proposes `doctor` for a new case; returns the case and proposal as now stored.
async fn proposed<S: Store>(
    store: &S,
    reference: &str,
    doctor: &str,
    capacity: u32,
) -> (Case, Proposal) {
    let case = registered(store, reference, 1000).await;
    let (t, _) = lifecycle::propose(&case, &choice(doctor, capacity), 2000, YEAR, vec![]).unwrap();
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let case = store.case(reference).await.unwrap().unwrap();
    let proposal = store
        .proposal(case.current_proposal().unwrap())
        .await
        .unwrap()
        .unwrap();
    (case, proposal)
}

async fn load<S: Store>(store: &S, doctor: &str) -> DoctorLoad {
    store
        .doctor_loads(YEAR)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.doctor == doctor)
        .unwrap_or_default()
}

pub async fn registration_opens_a_waiting_case<S: Store>(store: &S) {
    let case = registered(store, "REF1", 1000).await;
    assert_eq!(case, Case::opened(&sample_request("REF1", 1000)));
    assert_eq!(case.state, CaseState::Waiting);
    assert_eq!(case.version, 1);
    assert_eq!(store.case("NOPE").await.unwrap(), None);
    let waiting = store.cases(&[CaseState::Waiting], None).await.unwrap();
    assert_eq!(waiting, vec![case.clone()]);
    let of_cpts = store
        .cases(&[CaseState::Waiting], Some(Some("rethelois")))
        .await
        .unwrap();
    assert_eq!(of_cpts.len(), 1);
    assert!(
        store
            .cases(&[CaseState::Waiting], Some(None))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .cases(&[CaseState::Proposed], None)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_transition_writes_everything_or_nothing<S: Store>(store: &S) {
    let case = registered(store, "REF1", 1000).await;
    let mail = sample_mail("REF1-1-coordination");
    let (t, proposal) =
        lifecycle::propose(&case, &choice("med-1", 5), 2000, YEAR, vec![mail.clone()]).unwrap();
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let stored = store.case("REF1").await.unwrap().unwrap();
    assert_eq!(stored.state, CaseState::Proposed);
    assert_eq!(stored.version, 2);
    assert_eq!(stored.tried, ["med-1"]);
    assert_eq!(
        store.proposal(&proposal.id).await.unwrap(),
        Some(proposal.clone())
    );
    assert_eq!(
        store.open_proposals().await.unwrap(),
        vec![proposal.clone()]
    );
    let l = load(store, "med-1").await;
    assert_eq!(
        (l.load, l.accepted, l.last_solicited_at),
        (1, 0, Some(2000))
    );
    assert_eq!(store.pending_mail_count().await.unwrap(), 2);
    assert_eq!(
        store.audit_trail(&proposal.id).await.unwrap()[0].action,
        "proposed"
    );
    // The same transition again: the case moved on, so nothing at all is written.
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Conflict);
    assert_eq!(store.pending_mail_count().await.unwrap(), 2);
    assert_eq!(load(store, "med-1").await.load, 1);
    assert_eq!(store.audit_trail(&proposal.id).await.unwrap().len(), 1);
}

pub async fn a_decision_takes_effect_once<S: Store>(store: &S) {
    let (case, proposal) = proposed(store, "REF1", "med-1", 5).await;
    let (validate, _) = lifecycle::validate(
        &case,
        &proposal,
        3000,
        "coordination: A",
        vec![sample_mail("doctor-mail")],
    )
    .unwrap();
    let (reject, _) = lifecycle::reject(
        &case,
        &proposal,
        3001,
        "coordination: B",
        RejectionReason::TooFar,
    )
    .unwrap();
    // Two coordinators decide at once from the same page: the first wins, the second changes nothing.
    assert_eq!(store.apply(&validate).await.unwrap(), Applied::Done);
    assert_eq!(store.apply(&reject).await.unwrap(), Applied::Conflict);
    assert_eq!(store.apply(&validate).await.unwrap(), Applied::Conflict);
    let p = store.proposal(&proposal.id).await.unwrap().unwrap();
    assert_eq!(p.state, ProposalState::Validated);
    assert_eq!(p.last_step().unwrap().by, "coordination: A");
    assert_eq!(load(store, "med-1").await.load, 1, "not released");
    assert_eq!(store.pending_mail_count().await.unwrap(), 2);
    // A proposal write expecting another state is refused even when the case version matches.
    let case = store.case("REF1").await.unwrap().unwrap();
    let mut wrong = p.clone();
    wrong.state = ProposalState::Accepted;
    let t = Transition {
        at: 4000,
        case: Some((case.version, case.clone())),
        proposals: vec![(Some(ProposalState::Proposed), wrong)],
        doctors: vec![],
        mails: vec![],
        audit: vec![],
        entries: vec![],
    };
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Conflict);
    assert_eq!(store.case("REF1").await.unwrap().unwrap(), case);
}

pub async fn capacity_is_never_exceeded<S: Store>(store: &S) {
    let (case1, p1) = proposed(store, "REF1", "med-1", 1).await;
    let case2 = registered(store, "REF2", 1000).await;
    let (t, _) = lifecycle::propose(
        &case2,
        &choice("med-1", 1),
        2000,
        YEAR,
        vec![sample_mail("x")],
    )
    .unwrap();
    assert_eq!(store.apply(&t).await.unwrap(), Applied::NoCapacity);
    assert_eq!(
        store.case("REF2").await.unwrap().unwrap(),
        case2,
        "rolled back"
    );
    assert_eq!(store.proposal("REF2-1").await.unwrap(), None);
    assert_eq!(store.pending_mail_count().await.unwrap(), 2);
    // Once the first proposal is set aside, the place is free again.
    let (reject, _) =
        lifecycle::reject(&case1, &p1, 2500, "coordination", RejectionReason::Other).unwrap();
    assert_eq!(store.apply(&reject).await.unwrap(), Applied::Done);
    assert_eq!(load(store, "med-1").await.load, 0);
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    assert_eq!(load(store, "med-1").await.load, 1);
    // Releasing never goes below zero.
    let release = Transition {
        at: 3000,
        case: None,
        proposals: vec![],
        doctors: vec![
            DoctorOp::Release {
                doctor: "med-2".into(),
                period: YEAR,
            };
            2
        ],
        mails: vec![],
        audit: vec![],
        entries: vec![],
    };
    assert_eq!(store.apply(&release).await.unwrap(), Applied::Done);
    assert_eq!(load(store, "med-2").await.load, 0);
}

/// 100 doctors' answers race for the last 3 places of one doctor: exactly 3 are accepted.
pub async fn racing_acceptances_take_only_the_places_left<S: Store>(store: &S) {
    let mut accepts = Vec::new();
    for i in 0..100 {
        let (case, proposal) = proposed(store, &format!("R{i:03}"), "med-1", 100).await;
        let (t, _) = lifecycle::validate(&case, &proposal, 3000, "coordination", vec![]).unwrap();
        assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
        let case = store.case(&case.reference).await.unwrap().unwrap();
        let proposal = store.proposal(&proposal.id).await.unwrap().unwrap();
        // Meanwhile the doctor lowered his capacity to 3 for the year.
        accepts.push(
            lifecycle::accept(&case, &proposal, 3, 4000, vec![])
                .unwrap()
                .0,
        );
    }
    let outcomes = futures_util::future::join_all(accepts.iter().map(|t| store.apply(t))).await;
    let done = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Applied::Done)))
        .count();
    let full = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Applied::NoCapacity)))
        .count();
    assert_eq!((done, full), (3, 97), "{outcomes:?}");
    assert_eq!(load(store, "med-1").await.accepted, 3);
    let accepted = store.cases(&[CaseState::Accepted], None).await.unwrap();
    assert_eq!(accepted.len(), 3);
}

pub async fn pauses_and_loads_are_per_doctor<S: Store>(store: &S) {
    let until: chrono::NaiveDate = "2027-02-01".parse().unwrap();
    let t = Transition {
        at: 10,
        case: None,
        proposals: vec![],
        doctors: vec![DoctorOp::Pause {
            doctor: "med-9".into(),
            until,
        }],
        mails: vec![],
        audit: vec![],
        entries: vec![],
    };
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    assert_eq!(load(store, "med-9").await.paused_until, Some(until));
    proposed(store, "REF1", "med-1", 5).await;
    let loads = store.doctor_loads(YEAR).await.unwrap();
    let of = |d: &str| loads.iter().find(|l| l.doctor == d).cloned();
    assert_eq!(of("med-1").map(|l| l.load), Some(1));
    assert_eq!(
        of("med-9").map(|l| (l.load, l.paused_until)),
        Some((0, Some(until)))
    );
    assert!(
        store
            .doctor_loads(YEAR + 1)
            .await
            .unwrap()
            .iter()
            .all(|l| l.load == 0),
        "another year starts empty"
    );
}

pub async fn open_proposals_leave_the_list_when_they_end<S: Store>(store: &S) {
    let (case, proposal) = proposed(store, "REF1", "med-1", 5).await;
    proposed(store, "REF2", "med-2", 5).await;
    assert_eq!(store.open_proposals().await.unwrap().len(), 2);
    let (t, _) = lifecycle::expire(&case, &proposal, 9000, vec![]).unwrap();
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let open = store.open_proposals().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].reference, "REF2");
    let case = store.case("REF1").await.unwrap().unwrap();
    assert_eq!(case.state, CaseState::Waiting);
    let (t, _) = lifecycle::propose(&case, &choice("med-3", 5), 9100, YEAR, vec![]).unwrap();
    assert_eq!(store.apply(&t).await.unwrap(), Applied::Done);
    let case = store.case("REF1").await.unwrap().unwrap();
    assert_eq!(case.proposals, ["REF1-1", "REF1-2"]);
    // med-1's proposal lapsed before the coordinator validated it: he was never asked.
    assert_eq!(case.tried, ["med-3"]);
    let closing = lifecycle::close(
        &case,
        store.proposal("REF1-2").await.unwrap().as_ref(),
        9200,
        "coordination",
        ClosingReason::FoundAlone,
    )
    .unwrap();
    assert_eq!(store.apply(&closing).await.unwrap(), Applied::Done);
    assert_eq!(
        store.proposal("REF1-2").await.unwrap().unwrap().state,
        ProposalState::Withdrawn
    );
    assert_eq!(load(store, "med-3").await.load, 0);
    let closed = store.cases(&[CaseState::Closed], None).await.unwrap();
    assert_eq!(
        closed[0].closure.as_ref().map(|c| c.reason),
        Some(ClosingReason::FoundAlone)
    );
}
