//! The coordinator's own actions on a request (issue #13): a note, a call attempt (suspension
//! after [`UNANSWERED_CALLS`] in a row), a change of priority with its reason, a doctor chosen by
//! hand, reopening. Pure builders, like the transitions: each checks that the action is legal
//! where the case stands and returns the [`Transition`] a Store applies atomically, with its
//! timeline entries (personal content, kept apart from the case).

use super::effects::{CallOutcome, EntryKind, TimelineEntry, Transition};
use super::states::{Case, CaseState, Proposal, ProposalState, UNANSWERED_CALLS};
use super::transitions::{Choice, audit, new_proposal, release};
use crate::domain::dates::unix_date_fr;

/// The longest note, in characters (as long as a form field may be).
pub const NOTE_MAX: usize = crate::domain::answers::MAX_FIELD_CHARS;
/// The longest reason for a change of priority, in characters.
pub const REASON_MAX: usize = 200;

/// An action the case's state does not allow (or that changes nothing): nothing is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub state: CaseState,
    pub action: &'static str,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} refusé (demande {})", self.action, self.state.code())
    }
}

impl std::error::Error for Refused {}

/// A short free text (a note, a reason), trimmed: `Err` is the French sentence that says what
/// to fix.
pub fn short_text(text: &str, max: usize, what: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("Écrivez {what}."));
    }
    let length = text.chars().count();
    if length > max {
        return Err(format!(
            "{} : {max} caractères au plus (il y en a {length}). Raccourcissez le texte.",
            capitalised(what)
        ));
    }
    Ok(text.to_string())
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

pub(super) fn entry(
    case: &Case,
    now: i64,
    by: &str,
    kind: EntryKind,
    text: String,
) -> TimelineEntry {
    TimelineEntry {
        reference: case.reference.clone(),
        at: now,
        by: by.to_string(),
        kind,
        text,
    }
}

/// The case rewritten in `state` (same state: only its version and date move), with the
/// timeline entries and one audit entry per entry.
fn with_entries(
    case: &Case,
    next: Case,
    now: i64,
    by: &str,
    entries: Vec<TimelineEntry>,
) -> Transition {
    let audit = entries
        .iter()
        .map(|e| audit(now, by, kind_code(&e.kind), &case.reference))
        .collect();
    Transition {
        at: now,
        case: Some((case.version, next)),
        proposals: vec![],
        doctors: vec![],
        mails: vec![],
        audit,
        entries,
    }
}

/// The audit action of an entry (ids only: never its text).
pub fn kind_code(kind: &EntryKind) -> &'static str {
    match kind {
        EntryKind::Note => "note",
        EntryKind::Call { .. } => "call",
        EntryKind::Suspended => "suspended",
        EntryKind::Priority { .. } => "priority",
        EntryKind::DoctorChosen { .. } => "doctor_chosen",
        EntryKind::Reopened => "reopened",
        EntryKind::Corrected { .. } => "corrected",
        EntryKind::MailGivenUp => "mail_given_up",
    }
}

/// A note on the request, in any state (`text` as [`short_text`] gave it).
pub fn note(case: &Case, now: i64, by: &str, text: &str) -> Transition {
    let next = case.next(case.state, now);
    with_entries(
        case,
        next,
        now,
        by,
        vec![entry(case, now, by, EntryKind::Note, text.to_string())],
    )
}

/// Ends the case's current proposal because the case leaves it (suspension): an open one is
/// withdrawn (its reservation released), an accepted one closed.
fn end_current(
    case: &Case,
    current: Option<&Proposal>,
    now: i64,
    by: &str,
    note: &str,
    t: &mut Transition,
) -> Result<(), Refused> {
    if matches!(case.state, CaseState::Waiting) {
        return Ok(());
    }
    let refused = Refused {
        state: case.state,
        action: "fin de la proposition",
    };
    let Some(p) = current.filter(|p| case.proposals.last() == Some(&p.id)) else {
        return Err(refused);
    };
    let to = if p.state.is_open() {
        ProposalState::Withdrawn
    } else {
        ProposalState::Closed
    };
    if !p.state.can_become(to) {
        return Err(refused);
    }
    if p.state.is_open() {
        t.doctors.push(release(p));
    }
    t.proposals
        .push((Some(p.state), p.next(to, now, by, Some(note.into()))));
    Ok(())
}

/// A call attempt. "Reached" sets the count of unanswered calls back to zero; the
/// [`UNANSWERED_CALLS`]th unanswered one in a row suspends the request (its current proposal
/// ends, as when it is closed). Refused on a closed or suspended request.
pub fn call(
    case: &Case,
    current: Option<&Proposal>,
    now: i64,
    by: &str,
    outcome: CallOutcome,
) -> Result<Transition, Refused> {
    if matches!(case.state, CaseState::Closed | CaseState::Suspended) {
        return Err(Refused {
            state: case.state,
            action: "appel",
        });
    }
    let mut next = case.next(case.state, now);
    next.unanswered_calls = match outcome {
        CallOutcome::Reached => 0,
        CallOutcome::NoAnswer | CallOutcome::WrongNumber => case.unanswered_calls + 1,
    };
    let mut entries = vec![entry(
        case,
        now,
        by,
        EntryKind::Call { outcome },
        String::new(),
    )];
    let suspend = next.unanswered_calls >= UNANSWERED_CALLS;
    if suspend {
        next.state = CaseState::Suspended;
        entries.push(entry(
            case,
            now,
            by,
            EntryKind::Suspended,
            format!("{} appels sans réponse de suite.", next.unanswered_calls),
        ));
    }
    let mut t = with_entries(case, next, now, by, entries);
    if suspend {
        end_current(
            case,
            current,
            now,
            by,
            "demande suspendue : personne injoignable",
            &mut t,
        )?;
    }
    Ok(t)
}

/// A new priority level (1 to 3) with its reason, kept in the timeline; the level the form
/// computed stays in the request. Refused on a closed request, or to the same level.
pub fn change_priority(
    case: &Case,
    now: i64,
    by: &str,
    level: u8,
    reason: &str,
) -> Result<Transition, Refused> {
    if case.state == CaseState::Closed
        || !(1..=3).contains(&level)
        || level == case.needs.priority_level
    {
        return Err(Refused {
            state: case.state,
            action: "changement de priorité",
        });
    }
    let mut next = case.next(case.state, now);
    next.needs.priority_level = level;
    let kind = EntryKind::Priority {
        from: case.needs.priority_level,
        to: level,
    };
    Ok(with_entries(
        case,
        next,
        now,
        by,
        vec![entry(case, now, by, kind, reason.to_string())],
    ))
}

/// The coordinator proposes `choice` herself, on a waiting case or in place of the open current
/// proposal (withdrawn, its reservation released). `unmet`: the rules the doctor does not meet
/// (she confirmed them), empty for a candidate. The doctor's capacity is reserved as for
/// [`propose`](super::propose). Returns the transition and the new proposal.
#[allow(clippy::too_many_arguments)]
pub fn choose(
    case: &Case,
    current: Option<&Proposal>,
    choice: &Choice,
    unmet: Vec<String>,
    now: i64,
    period: i32,
    by: &str,
) -> Result<(Transition, Proposal), Refused> {
    let refused = Refused {
        state: case.state,
        action: "choix du médecin",
    };
    let mut t = Transition {
        at: now,
        case: None,
        proposals: vec![],
        doctors: vec![],
        mails: vec![],
        audit: vec![],
        entries: vec![],
    };
    match case.state {
        CaseState::Waiting => {}
        CaseState::Proposed | CaseState::Validated => {
            let Some(p) = current.filter(|p| {
                case.proposals.last() == Some(&p.id) && p.state.case_state() == case.state
            }) else {
                return Err(refused);
            };
            if p.doctor == choice.doctor {
                return Err(refused);
            }
            t.doctors.push(release(p));
            t.proposals.push((
                Some(p.state),
                p.next(
                    ProposalState::Withdrawn,
                    now,
                    by,
                    Some("remplacé par un médecin choisi par la coordination".into()),
                ),
            ));
        }
        _ => return Err(refused),
    }
    let mut proposal = new_proposal(case, choice, now, period, by);
    if let Some(first) = proposal.history.first_mut() {
        first.note = Some("choisi par la coordination".into());
    }
    let mut next = case.next(CaseState::Proposed, now);
    next.proposals.push(proposal.id.clone());
    if !next.tried.contains(&choice.doctor) {
        next.tried.push(choice.doctor.clone());
    }
    let text = if unmet.is_empty() {
        String::new()
    } else {
        format!(
            "Ce médecin ne remplit pas ces conditions : {}.",
            unmet.join(" ; ")
        )
    };
    let kind = EntryKind::DoctorChosen {
        doctor: choice.doctor.clone(),
        unmet,
    };
    t.case = Some((case.version, next));
    t.proposals.push((None, proposal.clone()));
    t.doctors.push(super::effects::DoctorOp::Reserve {
        doctor: choice.doctor.clone(),
        period,
        capacity: choice.yearly_capacity,
        at: now,
    });
    t.audit.push(audit(now, by, "proposed", &proposal.id));
    t.audit
        .push(audit(now, by, kind_code(&kind), &case.reference));
    t.entries.push(entry(case, now, by, kind, text));
    Ok((t, proposal))
}

/// A closed or suspended request waits again (and is re-examined like a new one); how it had
/// ended stays in the timeline. The count of unanswered calls starts again from zero.
pub fn reopen(case: &Case, now: i64, by: &str) -> Result<Transition, Refused> {
    let text = match (case.state, &case.closure) {
        // The person's data are erased: nothing to reopen.
        (CaseState::Closed, Some(c)) if c.reason == super::states::ClosingReason::Withdrawn => {
            return Err(Refused {
                state: case.state,
                action: "réouverture",
            });
        }
        (CaseState::Closed, Some(c)) => format!(
            "Était close depuis le {} par {} : {}.",
            unix_date_fr(c.at),
            c.by,
            c.reason.label()
        ),
        (CaseState::Closed, None) => "Était close.".to_string(),
        (CaseState::Suspended, _) => "Était suspendue : personne injoignable.".to_string(),
        _ => {
            return Err(Refused {
                state: case.state,
                action: "réouverture",
            });
        }
    };
    let mut next = case.next(CaseState::Waiting, now);
    next.closure = None;
    next.unanswered_calls = 0;
    Ok(with_entries(
        case,
        next,
        now,
        by,
        vec![entry(case, now, by, EntryKind::Reopened, text)],
    ))
}

/// What the timeline says when the person's mail was given up.
pub const PATIENT_MAIL_GIVEN_UP: &str = "Le courriel qui devait prévenir la personne n'a pas pu être envoyé : son adresse est refusée. Elle ne sait pas encore qu'un médecin l'accepte : appelez-la, puis indiquez-le ici";

/// The mail that told the person a doctor accepted him was given up (it will never go): the
/// case no longer says « personne prévenue ». It goes back to accepted, as for a person without
/// an address (`has_email` false: no mail is written again, the coordinator calls him — a task
/// on her overview), with a timeline entry saying so. Only from `informed` by that mail: once
/// a person said she told him, nothing changes.
pub fn patient_mail_given_up(
    case: &Case,
    proposal: &Proposal,
    now: i64,
) -> Result<Transition, Refused> {
    let refused = Refused {
        state: case.state,
        action: "courriel à la personne abandonné",
    };
    let by_mail = proposal
        .last_step()
        .is_some_and(|s| s.state == ProposalState::Informed && s.by == "system");
    if case.state != CaseState::Informed
        || proposal.state != ProposalState::Informed
        || case.proposals.last() != Some(&proposal.id)
        || !by_mail
    {
        return Err(refused);
    }
    let mut next = case.next(CaseState::Accepted, now);
    next.has_email = false;
    let mut t = with_entries(
        case,
        next,
        now,
        "system",
        vec![entry(
            case,
            now,
            "system",
            EntryKind::MailGivenUp,
            PATIENT_MAIL_GIVEN_UP.to_string(),
        )],
    );
    let next_proposal = proposal.next(
        ProposalState::Accepted,
        now,
        "system",
        Some("courriel à la personne non envoyé".into()),
    );
    t.proposals
        .push((Some(ProposalState::Informed), next_proposal));
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{ClosingReason, Needs, close, propose};

    fn waiting() -> Case {
        Case {
            reference: "K7M4P9QX".into(),
            cpts: Some("rethelois".into()),
            created_at: 1_000,
            needs: Needs {
                commune: "08409".into(),
                max_distance_km: Some(20),
                home_visits: false,
                priority_level: 3,
            },
            has_email: false,
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
            yearly_capacity: 10,
            distance_km: 3.0,
            reasons: vec![],
        }
    }

    /// The case as `t` writes it.
    fn after(t: &Transition) -> Case {
        t.case.as_ref().expect("a case change").1.clone()
    }

    fn proposed() -> (Case, Proposal) {
        let (t, p) = propose(&waiting(), &choice("med-001"), 2_000, 2026, vec![]).unwrap();
        (after(&t), p)
    }

    #[test]
    fn short_texts_are_trimmed_and_bounded() {
        assert_eq!(short_text("  bonjour ", 10, "la note").unwrap(), "bonjour");
        assert_eq!(
            short_text(" ", 10, "la note").unwrap_err(),
            "Écrivez la note."
        );
        let long = short_text(&"é".repeat(11), 10, "la note").unwrap_err();
        assert!(
            long.starts_with("La note : 10 caractères au plus (il y en a 11)"),
            "{long}"
        );
    }

    #[test]
    fn a_note_moves_only_the_version_and_carries_its_entry() {
        let case = waiting();
        let t = note(&case, 5_000, "Claire", "rappeler");
        let next = after(&t);
        assert_eq!((next.state, next.version), (CaseState::Waiting, 2));
        assert_eq!(t.entries.len(), 1);
        assert_eq!(t.entries[0].kind, EntryKind::Note);
        assert_eq!(t.audit[0].action, "note");
        assert!(t.audit.iter().all(|a| !a.action.contains("rappeler")));
    }

    #[test]
    fn the_third_unanswered_call_suspends_and_withdraws_the_open_proposal() {
        let (mut case, p) = proposed();
        for n in 1..UNANSWERED_CALLS {
            let t = call(&case, Some(&p), 3_000, "Claire", CallOutcome::NoAnswer).unwrap();
            case = after(&t);
            assert_eq!(
                (case.unanswered_calls, case.state),
                (n, CaseState::Proposed)
            );
        }
        let t = call(&case, Some(&p), 4_000, "Claire", CallOutcome::WrongNumber).unwrap();
        assert_eq!(after(&t).state, CaseState::Suspended);
        assert_eq!(t.proposals[0].1.state, ProposalState::Withdrawn);
        assert_eq!(t.doctors.len(), 1, "the reservation is released");
        assert!(t.entries.iter().any(|e| e.kind == EntryKind::Suspended));
        let suspended = after(&t);
        assert!(call(&suspended, None, 5_000, "Claire", CallOutcome::Reached).is_err());
    }

    #[test]
    fn a_reached_call_resets_the_count() {
        let mut case = waiting();
        case.unanswered_calls = 2;
        let t = call(&case, None, 3_000, "Claire", CallOutcome::Reached).unwrap();
        assert_eq!(after(&t).unanswered_calls, 0);
        assert_eq!(after(&t).state, CaseState::Waiting);
    }

    #[test]
    fn priority_changes_within_one_to_three_and_not_on_a_closed_request() {
        let case = waiting();
        let t = change_priority(&case, 3_000, "Claire", 1, "évaluation").unwrap();
        assert_eq!(after(&t).needs.priority_level, 1);
        assert_eq!(t.entries[0].kind, EntryKind::Priority { from: 3, to: 1 });
        assert!(change_priority(&case, 3_000, "Claire", 3, "même").is_err());
        assert!(change_priority(&case, 3_000, "Claire", 4, "hors").is_err());
        assert!(change_priority(&case, 3_000, "Claire", 0, "hors").is_err());
        let closed = after(&close(&case, None, 3_000, "Claire", ClosingReason::Duplicate).unwrap());
        assert!(change_priority(&closed, 4_000, "Claire", 1, "x").is_err());
    }

    #[test]
    fn choosing_replaces_the_open_proposal_and_reserves_the_new_doctor() {
        let (case, p) = proposed();
        let (t, new) = choose(
            &case,
            Some(&p),
            &choice("med-002"),
            vec![],
            3_000,
            2026,
            "Claire",
        )
        .unwrap();
        assert_eq!(t.proposals[0].1.state, ProposalState::Withdrawn);
        assert_eq!(t.proposals[1].1.id, new.id);
        assert_eq!(new.id, "K7M4P9QX-2");
        assert_eq!(new.history[0].by, "Claire");
        assert_eq!(t.doctors.len(), 2, "release then reserve");
        let next = after(&t);
        assert_eq!(next.state, CaseState::Proposed);
        assert_eq!(next.tried, vec!["med-001", "med-002"]);
        // The same doctor again, or a proposal that is not the current one: refused.
        assert!(
            choose(
                &case,
                Some(&p),
                &choice("med-001"),
                vec![],
                3_000,
                2026,
                "C"
            )
            .is_err()
        );
        assert!(choose(&case, None, &choice("med-002"), vec![], 3_000, 2026, "C").is_err());
        // Outside the candidates: the warning is in the timeline.
        let (t, _) = choose(
            &waiting(),
            None,
            &choice("med-009"),
            vec!["il est trop loin".into()],
            3_000,
            2026,
            "Claire",
        )
        .unwrap();
        assert!(
            t.entries[0]
                .text
                .starts_with("Ce médecin ne remplit pas ces conditions")
        );
        // Nothing to choose once a doctor accepted or the request is closed.
        let closed = after(&close(&waiting(), None, 3_000, "C", ClosingReason::Duplicate).unwrap());
        assert!(choose(&closed, None, &choice("med-002"), vec![], 4_000, 2026, "C").is_err());
    }

    #[test]
    fn reopening_applies_to_closed_and_suspended_requests_only() {
        let case = waiting();
        assert!(reopen(&case, 3_000, "Claire").is_err());
        let closed = after(&close(&case, None, 3_000, "Claire", ClosingReason::Duplicate).unwrap());
        let t = reopen(&closed, 4_000, "Claire").unwrap();
        let open = after(&t);
        assert_eq!(open.state, CaseState::Waiting);
        assert!(open.closure.is_none());
        assert!(
            t.entries[0].text.contains("Demande en double"),
            "{:?}",
            t.entries
        );
        let mut suspended = waiting();
        suspended.state = CaseState::Suspended;
        suspended.unanswered_calls = 3;
        let open = after(&reopen(&suspended, 4_000, "Claire").unwrap());
        assert_eq!((open.state, open.unanswered_calls), (CaseState::Waiting, 0));
    }
}
