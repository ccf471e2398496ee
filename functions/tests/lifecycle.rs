//! The proposal state machine, exhaustively: which state may follow which (against a table written
//! from the documented diagram, not from the code), every builder refusing every illegal starting
//! point, and what each legal transition writes (capacity operations, versions, audit).

use chrono::NaiveDate;
use functions::domain::lifecycle::{
    self, ANSWER_DAYS, Case, CaseState, Choice, ClosingReason, Illegal, Needs, Proposal,
    ProposalState, RejectionReason, Step,
};
use functions::domain::lifecycle::{DoctorOp, Mail, Transition};

use ProposalState::*;

const YEAR: i32 = 2026;
const DAY: i64 = 86_400;

/// The diagram of the module documentation and issue #6, as a table: from → the states it may
/// become. Terminal states (closed, rejected, declined, expired, withdrawn) become nothing.
const LEGAL: &[(ProposalState, &[ProposalState])] = &[
    (Proposed, &[Validated, Rejected, Expired, Withdrawn]),
    (Validated, &[Accepted, Declined, Expired, Withdrawn]),
    (Accepted, &[Informed, Closed]),
    (Informed, &[Closed]),
    (Closed, &[]),
    (Rejected, &[]),
    (Declined, &[]),
    (Expired, &[]),
    (Withdrawn, &[]),
];

fn legal(from: ProposalState, to: ProposalState) -> bool {
    LEGAL
        .iter()
        .find(|(f, _)| *f == from)
        .is_some_and(|(_, next)| next.contains(&to))
}

#[test]
fn the_table_covers_every_state_once() {
    assert_eq!(LEGAL.len(), ProposalState::ALL.len());
    for state in ProposalState::ALL {
        assert_eq!(
            LEGAL.iter().filter(|(f, _)| *f == state).count(),
            1,
            "{state:?}"
        );
    }
}

#[test]
fn can_become_matches_the_diagram_for_every_pair() {
    let mut allowed = 0;
    for from in ProposalState::ALL {
        for to in ProposalState::ALL {
            assert_eq!(
                from.can_become(to),
                legal(from, to),
                "{} → {}",
                from.code(),
                to.code()
            );
            allowed += usize::from(legal(from, to));
        }
    }
    assert_eq!(allowed, 11, "81 pairs, 11 legal");
    // Nothing goes back to `proposed`: a new doctor is a new proposal.
    assert!(ProposalState::ALL.iter().all(|s| !s.can_become(Proposed)));
}

#[test]
fn open_states_hold_a_place_and_cases_follow_their_proposal() {
    for state in ProposalState::ALL {
        assert_eq!(
            state.is_open(),
            matches!(state, Proposed | Validated),
            "{state:?}"
        );
    }
    let expected = [
        (Proposed, CaseState::Proposed),
        (Validated, CaseState::Validated),
        (Accepted, CaseState::Accepted),
        (Informed, CaseState::Informed),
        (Closed, CaseState::Closed),
        (Rejected, CaseState::Waiting),
        (Declined, CaseState::Waiting),
        (Expired, CaseState::Waiting),
        (Withdrawn, CaseState::Waiting),
    ];
    for (proposal, case) in expected {
        assert_eq!(proposal.case_state(), case, "{proposal:?}");
    }
}

#[test]
fn codes_and_labels_are_distinct() {
    let codes: std::collections::HashSet<_> = ProposalState::ALL.iter().map(|s| s.code()).collect();
    let labels: std::collections::HashSet<_> =
        ProposalState::ALL.iter().map(|s| s.label()).collect();
    assert_eq!(codes.len(), 9);
    assert_eq!(labels.len(), 9);
    for reason in ClosingReason::ALL {
        assert_eq!(ClosingReason::from_code(reason.code()), Some(reason));
    }
    for reason in RejectionReason::ALL {
        assert_eq!(RejectionReason::from_code(reason.code()), Some(reason));
    }
    assert_eq!(ClosingReason::from_code("inconnu"), None);
}

// ---------------------------------------------------------------------------------------------
// Fixtures

fn waiting_case() -> Case {
    Case {
        reference: "MT-2026-0001".into(),
        cpts: Some("rethelois".into()),
        created_at: 1_000,
        needs: Needs {
            commune: "08409".into(),
            max_distance_km: Some(20),
            home_visits: false,
            priority_level: 2,
        },
        has_email: true,
        state: CaseState::Waiting,
        version: 1,
        updated_at: 1_000,
        proposals: vec![],
        tried: vec![],
        closure: None,
        unanswered_calls: 0,
    }
}

fn choice(doctor: &str) -> Choice {
    Choice {
        doctor: doctor.into(),
        yearly_capacity: 6,
        distance_km: 4.5,
        reasons: vec!["Cabinet à 4,5 km.".into()],
    }
}

fn mail(id: &str) -> Mail {
    Mail {
        id: id.into(),
        to: vec!["coordination@example.org".into()],
        subject: "Proposition".into(),
        text: "texte".into(),
        html: "<p>texte</p>".into(),
        reply_to: Vec::new(),
        from_name: None,
    }
}

/// Applies a transition as a store would: the new case and the new proposal.
fn applied(transition: &Transition, case: &Case) -> Case {
    transition
        .case
        .as_ref()
        .map_or_else(|| case.clone(), |(_, c)| c.clone())
}

/// A case and its current proposal in `state`, reached through the builders themselves (the
/// states a store can really hold).
fn at(state: ProposalState) -> (Case, Proposal) {
    let case = waiting_case();
    let (t, p) = lifecycle::propose(&case, &choice("med-1"), 2_000, YEAR, vec![]).unwrap();
    let case = applied(&t, &case);
    let (t, p) = match state {
        Proposed => return (case, p),
        Rejected => {
            lifecycle::reject(&case, &p, 3_000, "coordination", RejectionReason::TooFar).unwrap()
        }
        Expired => lifecycle::expire(&case, &p, 3_000, vec![]).unwrap(),
        Withdrawn => {
            let t = lifecycle::close(
                &case,
                Some(&p),
                3_000,
                "coordination",
                ClosingReason::FoundAlone,
            )
            .unwrap();
            let next = t.proposals[0].1.clone();
            return (applied(&t, &case), next);
        }
        _ => lifecycle::validate(&case, &p, 3_000, "coordination", vec![]).unwrap(),
    };
    let case = applied(&t, &case);
    let (t, p) = match state {
        Rejected | Expired | Validated => return (case, p),
        Declined => lifecycle::decline(&case, &p, 4_000, "complet", None, vec![]).unwrap(),
        _ => lifecycle::accept(&case, &p, 6, 4_000, vec![]).unwrap(),
    };
    let case = applied(&t, &case);
    if matches!(state, Declined | Accepted) {
        return (case, p);
    }
    let (t, p) = lifecycle::inform(&case, &p, 5_000, "coordination", vec![]).unwrap();
    let case = applied(&t, &case);
    if state == Informed {
        return (case, p);
    }
    let t = lifecycle::close(
        &case,
        Some(&p),
        6_000,
        "coordination",
        ClosingReason::FoundThroughCpts,
    )
    .unwrap();
    let next = t.proposals[0].1.clone();
    assert_eq!(state, Closed);
    (applied(&t, &case), next)
}

#[test]
fn the_fixtures_reach_every_state_consistently() {
    for state in ProposalState::ALL {
        let (case, proposal) = at(state);
        assert_eq!(proposal.state, state);
        let expected_case = if state == Withdrawn {
            CaseState::Closed
        } else {
            state.case_state()
        };
        assert_eq!(case.state, expected_case, "{state:?}");
        assert_eq!(case.proposals.last(), Some(&proposal.id));
        assert_eq!(proposal.last_step().map(|s| s.state), Some(state));
    }
}

/// Each builder that moves the current proposal, as a function of (case, proposal).
type Builder = fn(&Case, &Proposal) -> Result<(Transition, Proposal), Illegal>;

fn builders() -> Vec<(ProposalState, Builder)> {
    vec![
        (Validated, |c, p| {
            lifecycle::validate(c, p, 9_000, "coordination", vec![])
        }),
        (Rejected, |c, p| {
            lifecycle::reject(c, p, 9_000, "coordination", RejectionReason::Other)
        }),
        (Accepted, |c, p| lifecycle::accept(c, p, 6, 9_000, vec![])),
        (Declined, |c, p| {
            lifecycle::decline(c, p, 9_000, "pas de place", None, vec![])
        }),
        (Expired, |c, p| lifecycle::expire(c, p, 9_000, vec![])),
        (Informed, |c, p| {
            lifecycle::inform(c, p, 9_000, "coordination", vec![])
        }),
    ]
}

#[test]
fn every_builder_acts_exactly_from_the_legal_states() {
    for (to, build) in builders() {
        for from in ProposalState::ALL {
            let (case, proposal) = at(from);
            let result = build(&case, &proposal);
            let expected = legal(from, to);
            match result {
                Ok((t, next)) => {
                    assert!(expected, "{} → {} was accepted", from.code(), to.code());
                    assert_eq!(next.state, to);
                    assert_eq!(t.proposals, vec![(Some(from), next.clone())]);
                }
                Err(illegal) => {
                    assert!(!expected, "{} → {} was refused", from.code(), to.code());
                    assert_eq!(illegal, Illegal { from, to });
                    assert!(!illegal.to_string().is_empty());
                }
            }
        }
    }
}

#[test]
fn close_acts_from_every_state_but_a_closed_case() {
    for from in ProposalState::ALL {
        let (case, proposal) = at(from);
        let result = lifecycle::close(
            &case,
            Some(&proposal),
            9_000,
            "coordination",
            ClosingReason::Duplicate,
        );
        match (case.state, result) {
            (CaseState::Closed, result) => {
                assert!(result.is_err(), "{from:?}: a closed case closed again");
            }
            (CaseState::Waiting, Ok(t)) => {
                // The ended proposal stays as it is; nothing to release.
                assert!(t.proposals.is_empty(), "{from:?}");
                assert!(t.doctors.is_empty(), "{from:?}");
            }
            (_, Ok(t)) => {
                let to = if from.is_open() { Withdrawn } else { Closed };
                assert!(legal(from, to));
                assert_eq!(t.proposals.len(), 1);
                assert_eq!(t.proposals[0].0, Some(from));
                assert_eq!(t.proposals[0].1.state, to);
                let released = vec![DoctorOp::Release {
                    doctor: "med-1".into(),
                    period: YEAR,
                }];
                let expected: Vec<DoctorOp> = if from.is_open() { released } else { vec![] };
                assert_eq!(t.doctors, expected, "{from:?}");
            }
            (state, Err(e)) => panic!("{from:?} (case {state:?}) refused: {e}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Illegal starting points, one by one

#[test]
fn validate_after_validate_is_refused() {
    let (case, proposal) = at(Validated);
    assert_eq!(
        lifecycle::validate(&case, &proposal, 9_000, "coordination", vec![]).unwrap_err(),
        Illegal {
            from: Validated,
            to: Validated
        }
    );
}

#[test]
fn a_doctor_cannot_answer_a_proposal_not_validated_yet() {
    let (case, proposal) = at(Proposed);
    assert!(lifecycle::accept(&case, &proposal, 6, 9_000, vec![]).is_err());
    assert!(lifecycle::decline(&case, &proposal, 9_000, "non", None, vec![]).is_err());
    assert!(lifecycle::inform(&case, &proposal, 9_000, "coordination", vec![]).is_err());
}

#[test]
fn the_coordinator_cannot_reject_once_the_doctor_was_asked() {
    let (case, proposal) = at(Validated);
    assert!(
        lifecycle::reject(
            &case,
            &proposal,
            9_000,
            "coordination",
            RejectionReason::Other
        )
        .is_err()
    );
}

#[test]
fn closing_a_closed_case_is_refused() {
    for from in [Closed, Withdrawn] {
        let (case, proposal) = at(from);
        assert_eq!(case.state, CaseState::Closed);
        for p in [Some(&proposal), None] {
            assert_eq!(
                lifecycle::close(&case, p, 9_000, "coordination", ClosingReason::Duplicate)
                    .unwrap_err(),
                Illegal {
                    from: Closed,
                    to: Closed
                }
            );
        }
    }
}

#[test]
fn closing_a_case_with_an_open_proposal_needs_that_proposal() {
    let (case, _) = at(Validated);
    assert!(
        lifecycle::close(&case, None, 9_000, "coordination", ClosingReason::Duplicate).is_err()
    );
}

/// The case moved on to a second proposal: the first one cannot be acted upon any more.
fn second_round() -> (Case, Proposal, Proposal) {
    let (case, first) = at(Rejected);
    let (t, second) = lifecycle::propose(&case, &choice("med-2"), 9_000, YEAR, vec![]).unwrap();
    (applied(&t, &case), first, second)
}

#[test]
fn acting_on_a_proposal_that_is_not_the_current_one_is_refused() {
    let (case, _, second) = second_round();
    assert_eq!(case.current_proposal(), Some(second.id.as_str()));
    // A copy of the second proposal under the first's id, as a replayed link would carry.
    let (_, first_open) = at(Proposed);
    assert_ne!(first_open.id, second.id);
    assert!(lifecycle::validate(&case, &first_open, 9_500, "coordination", vec![]).is_err());
    assert!(
        lifecycle::reject(
            &case,
            &first_open,
            9_500,
            "coordination",
            RejectionReason::Other
        )
        .is_err()
    );
    assert!(lifecycle::expire(&case, &first_open, 9_500, vec![]).is_err());
    assert!(
        lifecycle::close(
            &case,
            Some(&first_open),
            9_500,
            "coordination",
            ClosingReason::Duplicate
        )
        .is_err()
    );
    // The current one is fine.
    assert!(lifecycle::validate(&case, &second, 9_500, "coordination", vec![]).is_ok());
}

#[test]
fn a_proposal_whose_case_moved_on_is_refused() {
    // The proposal read before the coordinator's validation, the case read after it.
    let (case, proposed) = at(Proposed);
    let (t, _) = lifecycle::validate(&case, &proposed, 3_000, "coordination", vec![]).unwrap();
    let case = applied(&t, &case);
    assert!(lifecycle::validate(&case, &proposed, 3_100, "coordination", vec![]).is_err());
    assert!(lifecycle::expire(&case, &proposed, 3_100, vec![]).is_err());
}

#[test]
fn proposing_needs_a_waiting_case() {
    for from in ProposalState::ALL {
        let (case, _) = at(from);
        let result = lifecycle::propose(&case, &choice("med-9"), 9_000, YEAR, vec![]);
        assert_eq!(
            result.is_ok(),
            case.state == CaseState::Waiting,
            "{from:?} (case {:?})",
            case.state
        );
        if let Err(e) = result {
            assert_eq!(e.to, Proposed);
        }
    }
}

#[test]
fn a_reminder_goes_once_and_only_while_open() {
    for from in ProposalState::ALL {
        let (_, proposal) = at(from);
        let result = lifecycle::remind(&proposal, 9_000, vec![mail("rappel")]);
        assert_eq!(result.is_ok(), from.is_open(), "{from:?}");
        if let Ok(t) = result {
            assert_eq!(t.case, None, "a reminder leaves the case as it is");
            assert!(t.doctors.is_empty());
            assert_eq!(t.mails, vec![mail("rappel")]);
            let (expected, reminded) = &t.proposals[0];
            assert_eq!(*expected, Some(from));
            assert!(reminded.reminded);
            assert_eq!(reminded.state, from);
            assert!(lifecycle::remind(reminded, 9_100, vec![]).is_err(), "twice");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What legal transitions write

/// The version moves by one, from the one read, and the case follows the proposal.
fn assert_case_step(t: &Transition, before: &Case, state: CaseState, now: i64) {
    let (expected, after) = t.case.as_ref().expect("the case is written");
    assert_eq!(*expected, before.version);
    assert_eq!(after.version, before.version + 1);
    assert_eq!(after.state, state);
    assert_eq!(after.updated_at, now);
    assert_eq!(after.reference, before.reference);
    assert_eq!(t.at, now);
}

#[test]
fn propose_reserves_a_place_and_records_the_doctor_as_tried() {
    let case = waiting_case();
    let mails = vec![mail("coordination")];
    let (t, p) = lifecycle::propose(&case, &choice("med-1"), 2_000, YEAR, mails.clone()).unwrap();
    assert_case_step(&t, &case, CaseState::Proposed, 2_000);
    assert_eq!(
        t.doctors,
        vec![DoctorOp::Reserve {
            doctor: "med-1".into(),
            period: YEAR,
            capacity: 6,
            at: 2_000
        }]
    );
    assert_eq!(t.proposals, vec![(None, p.clone())]);
    assert_eq!(t.mails, mails);
    assert_eq!(t.audit.len(), 1);
    assert_eq!(t.audit[0].action, "proposed");
    assert_eq!(t.audit[0].object, "MT-2026-0001-1");
    assert_eq!(p.id, "MT-2026-0001-1");
    assert_eq!(p.state, Proposed);
    assert_eq!(p.deadline, 2_000 + ANSWER_DAYS * DAY);
    assert!(!p.reminded);
    assert_eq!(p.period, YEAR);
    assert_eq!(p.distance_km, 4.5);
    assert_eq!(p.reasons, choice("med-1").reasons);
    let after = applied(&t, &case);
    assert_eq!(after.proposals, ["MT-2026-0001-1"]);
    assert_eq!(after.tried, ["med-1"]);
    assert_eq!(after.current_proposal(), Some("MT-2026-0001-1"));
}

#[test]
fn a_second_proposal_is_numbered_after_the_first_and_both_doctors_are_tried() {
    let (case, _, second) = second_round();
    assert_eq!(second.id, "MT-2026-0001-2");
    assert_eq!(case.tried, ["med-1", "med-2"]);
    assert_eq!(case.proposals, ["MT-2026-0001-1", "MT-2026-0001-2"]);
    assert_eq!(case.state, CaseState::Proposed);
}

#[test]
fn validate_gives_the_doctor_a_full_delay_and_touches_no_capacity() {
    let (case, proposed) = at(Proposed);
    let (case, proposed) = {
        // Reminded, close to the deadline.
        let mut p = proposed;
        p.reminded = true;
        (case, p)
    };
    let now = 2_000 + 6 * DAY;
    let (t, p) = lifecycle::validate(
        &case,
        &proposed,
        now,
        "coordination: Anne",
        vec![mail("médecin")],
    )
    .unwrap();
    assert_case_step(&t, &case, CaseState::Validated, now);
    assert!(t.doctors.is_empty());
    assert_eq!(p.deadline, now + ANSWER_DAYS * DAY);
    assert!(!p.reminded);
    assert_eq!(t.mails, vec![mail("médecin")]);
    assert_eq!(t.audit[0].action, "validated");
    assert_eq!(t.audit[0].actor, "coordination: Anne");
    assert_eq!(
        p.last_step(),
        Some(&Step {
            state: Validated,
            at: now,
            by: "coordination: Anne".into(),
            note: None
        })
    );
}

#[test]
fn reject_releases_the_place_with_the_reason() {
    let (case, proposal) = at(Proposed);
    let (t, p) = lifecycle::reject(
        &case,
        &proposal,
        3_000,
        "coordination",
        RejectionReason::PatientPrefersAnother,
    )
    .unwrap();
    assert_case_step(&t, &case, CaseState::Waiting, 3_000);
    assert_eq!(
        t.doctors,
        vec![DoctorOp::Release {
            doctor: "med-1".into(),
            period: YEAR
        }]
    );
    assert_eq!(
        p.last_step().and_then(|s| s.note.as_deref()),
        Some(RejectionReason::PatientPrefersAnother.label())
    );
    assert_eq!(applied(&t, &case).current_proposal(), None);
}

#[test]
fn accept_consumes_a_place_within_the_capacity() {
    let (case, proposal) = at(Validated);
    let (t, p) = lifecycle::accept(&case, &proposal, 6, 4_000, vec![mail("coordination")]).unwrap();
    assert_case_step(&t, &case, CaseState::Accepted, 4_000);
    assert_eq!(
        t.doctors,
        vec![DoctorOp::Consume {
            doctor: "med-1".into(),
            period: YEAR,
            capacity: 6
        }]
    );
    assert_eq!(p.last_step().map(|s| s.by.as_str()), Some("médecin"));
    assert_eq!(t.audit[0].action, "accepted");
}

#[test]
fn decline_releases_the_place_and_pauses_the_doctor_when_he_gives_a_date() {
    let (case, proposal) = at(Validated);
    let release = DoctorOp::Release {
        doctor: "med-1".into(),
        period: YEAR,
    };
    let (t, p) = lifecycle::decline(&case, &proposal, 4_000, "complet", None, vec![]).unwrap();
    assert_case_step(&t, &case, CaseState::Waiting, 4_000);
    assert_eq!(t.doctors, vec![release.clone()]);
    assert_eq!(
        p.last_step().and_then(|s| s.note.as_deref()),
        Some("complet")
    );
    let until: NaiveDate = "2027-01-31".parse().unwrap();
    let (t, _) = lifecycle::decline(
        &case,
        &proposal,
        4_000,
        "pas maintenant",
        Some(until),
        vec![],
    )
    .unwrap();
    assert_eq!(
        t.doctors,
        vec![
            release,
            DoctorOp::Pause {
                doctor: "med-1".into(),
                until
            }
        ]
    );
}

#[test]
fn expire_releases_the_place_from_either_open_state() {
    for from in [Proposed, Validated] {
        let (case, proposal) = at(from);
        let now = proposal.deadline + 1;
        let (t, p) = lifecycle::expire(&case, &proposal, now, vec![]).unwrap();
        assert_case_step(&t, &case, CaseState::Waiting, now);
        assert_eq!(
            t.doctors,
            vec![DoctorOp::Release {
                doctor: "med-1".into(),
                period: YEAR
            }]
        );
        assert_eq!(p.last_step().map(|s| s.by.as_str()), Some("system"));
        assert_eq!(t.audit[0].action, "expired");
    }
}

#[test]
fn inform_then_close_touch_no_capacity() {
    let (case, proposal) = at(Accepted);
    let (t, informed) = lifecycle::inform(
        &case,
        &proposal,
        5_000,
        "coordination",
        vec![mail("patient")],
    )
    .unwrap();
    assert_case_step(&t, &case, CaseState::Informed, 5_000);
    assert!(t.doctors.is_empty());
    assert_eq!(t.mails, vec![mail("patient")]);
    let case = applied(&t, &case);
    let t = lifecycle::close(
        &case,
        Some(&informed),
        6_000,
        "coordination",
        ClosingReason::FoundThroughCpts,
    )
    .unwrap();
    assert_case_step(&t, &case, CaseState::Closed, 6_000);
    assert!(t.doctors.is_empty());
    assert_eq!(t.proposals[0].1.state, Closed);
    let closure = applied(&t, &case).closure.expect("closure recorded");
    assert_eq!(closure.reason, ClosingReason::FoundThroughCpts);
    assert_eq!((closure.at, closure.by.as_str()), (6_000, "coordination"));
    assert_eq!(t.audit[0].action, "closed");
    assert_eq!(t.audit[0].object, case.reference);
}

#[test]
fn closing_withdraws_an_open_proposal_and_releases_its_place() {
    for from in [Proposed, Validated] {
        let (case, proposal) = at(from);
        let t = lifecycle::close(
            &case,
            Some(&proposal),
            7_000,
            "coordination",
            ClosingReason::MovedAway,
        )
        .unwrap();
        assert_case_step(&t, &case, CaseState::Closed, 7_000);
        assert_eq!(t.proposals[0].1.state, Withdrawn);
        assert_eq!(
            t.proposals[0].1.last_step().and_then(|s| s.note.as_deref()),
            Some(ClosingReason::MovedAway.label())
        );
        assert_eq!(
            t.doctors,
            vec![DoctorOp::Release {
                doctor: "med-1".into(),
                period: YEAR
            }]
        );
    }
}

#[test]
fn closing_a_waiting_case_writes_only_the_case() {
    let case = waiting_case();
    let t = lifecycle::close(
        &case,
        None,
        7_000,
        "coordination",
        ClosingReason::Unreachable,
    )
    .unwrap();
    assert_case_step(&t, &case, CaseState::Closed, 7_000);
    assert!(t.proposals.is_empty() && t.doctors.is_empty() && t.mails.is_empty());
}

#[test]
fn every_step_of_the_happy_path_moves_the_version_by_one() {
    let (case, _) = at(Closed);
    // opened (1) → proposed → validated → accepted → informed → closed.
    assert_eq!(case.version, 6);
    let (case, _) = at(Withdrawn);
    assert_eq!(case.version, 3);
}

#[test]
fn a_lapsed_validation_leaves_the_doctor_a_candidate_but_a_lapsed_answer_does_not() {
    // The coordinator never validated: the doctor was never asked.
    let (case, proposal) = at(Proposed);
    assert_eq!(case.tried, ["med-1"]);
    let (t, _) = lifecycle::expire(&case, &proposal, proposal.deadline + 1, vec![]).unwrap();
    let after = applied(&t, &case);
    assert!(after.tried.is_empty(), "{:?}", after.tried);
    assert_eq!(
        after.proposals, case.proposals,
        "the proposal stays in the history"
    );
    // He can be proposed again for the same request.
    let (t, again) = lifecycle::propose(&after, &choice("med-1"), 9_000, YEAR, vec![]).unwrap();
    assert_eq!(again.doctor, "med-1");
    assert_eq!(applied(&t, &after).tried, ["med-1"]);

    // The doctor was asked and did not answer: he stays tried.
    let (case, proposal) = at(Validated);
    let (t, _) = lifecycle::expire(&case, &proposal, proposal.deadline + 1, vec![]).unwrap();
    assert_eq!(applied(&t, &case).tried, ["med-1"]);
}
