//! The transitions: pure builders that check a move is legal and return what a Store applies
//! atomically, and what a new request writes.

use chrono::NaiveDate;

use super::effects::{AuditEntry, DoctorOp, Mail, Request, Transition};
use super::states::{
    ANSWER_DAYS, Case, CaseState, ClosingReason, Closure, Needs, Proposal, ProposalState,
    RejectionReason, Step,
};

impl Case {
    /// The case of a request just registered.
    pub fn opened(request: &Request) -> Self {
        let r = &request.registration;
        Self {
            reference: request.reference.clone(),
            cpts: request.cpts.clone(),
            created_at: request.created_at,
            needs: Needs {
                commune: r.commune.clone(),
                max_distance_km: r.mobility.max_distance_km,
                home_visits: r.mobility.home_visits,
                priority_level: request.priority.level,
            },
            has_email: r.email.is_some(),
            state: CaseState::Waiting,
            version: 1,
            updated_at: request.created_at,
            proposals: Vec::new(),
            tried: Vec::new(),
            closure: None,
            unanswered_calls: 0,
        }
    }
}

/// A transition that is not allowed from where the case and the proposal stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Illegal {
    pub from: ProposalState,
    pub to: ProposalState,
}

impl std::fmt::Display for Illegal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "transition {} → {} refusée",
            self.from.code(),
            self.to.code()
        )
    }
}

impl std::error::Error for Illegal {}

/// A doctor chosen for a case, with what the proposal records.
#[derive(Debug, Clone)]
pub struct Choice {
    pub doctor: String,
    pub yearly_capacity: u32,
    pub distance_km: f64,
    pub reasons: Vec<String>,
}

pub(super) fn audit(at: i64, actor: &str, action: &str, object: &str) -> AuditEntry {
    AuditEntry {
        at,
        actor: actor.to_string(),
        action: action.to_string(),
        object: object.to_string(),
    }
}

/// Proposes `choice` for a waiting case: the doctor's capacity for `period` is reserved.
pub fn propose(
    case: &Case,
    choice: &Choice,
    now: i64,
    period: i32,
    mails: Vec<Mail>,
) -> Result<(Transition, Proposal), Illegal> {
    if case.state != CaseState::Waiting {
        return Err(Illegal {
            from: case_proposal_state(case),
            to: ProposalState::Proposed,
        });
    }
    let proposal = new_proposal(case, choice, now, period, "system");
    let id = proposal.id.clone();
    let mut next = case.next(CaseState::Proposed, now);
    next.proposals.push(id.clone());
    next.tried.push(choice.doctor.clone());
    let transition = Transition {
        at: now,
        case: Some((case.version, next)),
        proposals: vec![(None, proposal.clone())],
        doctors: vec![DoctorOp::Reserve {
            doctor: choice.doctor.clone(),
            period,
            capacity: choice.yearly_capacity,
            at: now,
        }],
        mails,
        audit: vec![audit(now, "system", "proposed", &id)],
        entries: vec![],
    };
    Ok((transition, proposal))
}

/// The next proposal of `case`, for `choice`, made by `by` ("system" when computed).
pub(super) fn new_proposal(
    case: &Case,
    choice: &Choice,
    now: i64,
    period: i32,
    by: &str,
) -> Proposal {
    Proposal {
        id: format!("{}-{}", case.reference, case.proposals.len() + 1),
        reference: case.reference.clone(),
        doctor: choice.doctor.clone(),
        state: ProposalState::Proposed,
        created_at: now,
        deadline: now + ANSWER_DAYS * 86_400,
        reminded: false,
        period,
        distance_km: choice.distance_km,
        reasons: choice.reasons.clone(),
        history: vec![Step {
            state: ProposalState::Proposed,
            at: now,
            by: by.into(),
            note: None,
        }],
    }
}

/// The state the case's current proposal is in, for error reports when the case waits.
fn case_proposal_state(case: &Case) -> ProposalState {
    match case.state {
        CaseState::Waiting => ProposalState::Rejected,
        CaseState::Proposed => ProposalState::Proposed,
        CaseState::Validated => ProposalState::Validated,
        CaseState::Accepted => ProposalState::Accepted,
        CaseState::Informed => ProposalState::Informed,
        CaseState::Closed | CaseState::Suspended => ProposalState::Closed,
    }
}

/// Moves the case's current `proposal` to `to`; the case follows. `doctors` are the capacity
/// operations that go with it, `mails` and the audit entry are written in the same transaction.
#[allow(clippy::too_many_arguments)]
fn step(
    case: &Case,
    proposal: &Proposal,
    to: ProposalState,
    now: i64,
    by: &str,
    note: Option<String>,
    doctors: Vec<DoctorOp>,
    mails: Vec<Mail>,
) -> Result<(Transition, Proposal), Illegal> {
    let current = case.proposals.last().map(String::as_str);
    if !proposal.state.can_become(to)
        || current != Some(proposal.id.as_str())
        || case.state != proposal.state.case_state()
    {
        return Err(Illegal {
            from: proposal.state,
            to,
        });
    }
    let mut next_proposal = proposal.next(to, now, by, note);
    if to == ProposalState::Validated {
        // The doctor gets his own full delay from now on.
        next_proposal.deadline = now + ANSWER_DAYS * 86_400;
        next_proposal.reminded = false;
    }
    let next_case = case.next(to.case_state(), now);
    let transition = Transition {
        at: now,
        case: Some((case.version, next_case)),
        proposals: vec![(Some(proposal.state), next_proposal.clone())],
        doctors,
        mails,
        audit: vec![audit(now, by, to.code(), &proposal.id)],
        entries: vec![],
    };
    Ok((transition, next_proposal))
}

pub(super) fn release(proposal: &Proposal) -> DoctorOp {
    DoctorOp::Release {
        doctor: proposal.doctor.clone(),
        period: proposal.period,
    }
}

/// The coordinator agrees: the doctor is asked (his mail goes in `mails`).
pub fn validate(
    case: &Case,
    proposal: &Proposal,
    now: i64,
    by: &str,
    mails: Vec<Mail>,
) -> Result<(Transition, Proposal), Illegal> {
    step(
        case,
        proposal,
        ProposalState::Validated,
        now,
        by,
        None,
        vec![],
        mails,
    )
}

/// The coordinator asks for another doctor: this one's reservation is released and the case waits.
pub fn reject(
    case: &Case,
    proposal: &Proposal,
    now: i64,
    by: &str,
    reason: RejectionReason,
) -> Result<(Transition, Proposal), Illegal> {
    step(
        case,
        proposal,
        ProposalState::Rejected,
        now,
        by,
        Some(reason.label().into()),
        vec![release(proposal)],
        vec![],
    )
}

/// The doctor accepts: one unit of his yearly capacity is consumed, never above `capacity`.
pub fn accept(
    case: &Case,
    proposal: &Proposal,
    capacity: u32,
    now: i64,
    mails: Vec<Mail>,
) -> Result<(Transition, Proposal), Illegal> {
    step(
        case,
        proposal,
        ProposalState::Accepted,
        now,
        "médecin",
        None,
        vec![DoctorOp::Consume {
            doctor: proposal.doctor.clone(),
            period: proposal.period,
            capacity,
        }],
        mails,
    )
}

/// The doctor declines (or has no place left); with `pause_until`, he is not asked again before.
pub fn decline(
    case: &Case,
    proposal: &Proposal,
    now: i64,
    note: &str,
    pause_until: Option<NaiveDate>,
    mails: Vec<Mail>,
) -> Result<(Transition, Proposal), Illegal> {
    let mut doctors = vec![release(proposal)];
    if let Some(until) = pause_until {
        doctors.push(DoctorOp::Pause {
            doctor: proposal.doctor.clone(),
            until,
        });
    }
    step(
        case,
        proposal,
        ProposalState::Declined,
        now,
        "médecin",
        Some(note.into()),
        doctors,
        mails,
    )
}

/// Nobody answered in time: the reservation is released and the case waits again. A proposal
/// the coordinator never validated lapses without the doctor ever being asked: he is no longer
/// counted as tried, and stays a candidate for this request. One the doctor left unanswered
/// keeps him tried.
pub fn expire(
    case: &Case,
    proposal: &Proposal,
    now: i64,
    mails: Vec<Mail>,
) -> Result<(Transition, Proposal), Illegal> {
    let (mut transition, next) = step(
        case,
        proposal,
        ProposalState::Expired,
        now,
        "system",
        None,
        vec![release(proposal)],
        mails,
    )?;
    if proposal.state == ProposalState::Proposed
        && let Some((_, next_case)) = transition.case.as_mut()
    {
        next_case.tried.retain(|doctor| doctor != &proposal.doctor);
    }
    Ok((transition, next))
}

/// The patient was told (his mail goes in `mails`), or the coordinator called him.
pub fn inform(
    case: &Case,
    proposal: &Proposal,
    now: i64,
    by: &str,
    mails: Vec<Mail>,
) -> Result<(Transition, Proposal), Illegal> {
    step(
        case,
        proposal,
        ProposalState::Informed,
        now,
        by,
        None,
        vec![],
        mails,
    )
}

/// A reminder before the deadline: the proposal keeps its state and is marked as reminded.
pub fn remind(proposal: &Proposal, now: i64, mails: Vec<Mail>) -> Result<Transition, Illegal> {
    if !proposal.state.is_open() || proposal.reminded {
        return Err(Illegal {
            from: proposal.state,
            to: proposal.state,
        });
    }
    let mut next = proposal.clone();
    next.reminded = true;
    Ok(Transition {
        at: now,
        case: None,
        proposals: vec![(Some(proposal.state), next)],
        doctors: vec![],
        mails,
        audit: vec![audit(now, "system", "reminded", &proposal.id)],
        entries: vec![],
    })
}

/// The coordinator closes the request: an open proposal is withdrawn (its reservation released),
/// an accepted one is closed with it. [`ClosingReason::Withdrawn`] is refused: a withdrawal
/// erases the person's data, see [`erase`](super::erase).
pub fn close(
    case: &Case,
    proposal: Option<&Proposal>,
    now: i64,
    by: &str,
    reason: ClosingReason,
) -> Result<Transition, Illegal> {
    if reason == ClosingReason::Withdrawn {
        return Err(Illegal {
            from: ProposalState::Closed,
            to: ProposalState::Closed,
        });
    }
    closing(case, proposal, now, by, reason)
}

/// [`close`] with any reason.
pub(super) fn closing(
    case: &Case,
    proposal: Option<&Proposal>,
    now: i64,
    by: &str,
    reason: ClosingReason,
) -> Result<Transition, Illegal> {
    if case.state == CaseState::Closed {
        return Err(Illegal {
            from: ProposalState::Closed,
            to: ProposalState::Closed,
        });
    }
    let mut next_case = case.next(CaseState::Closed, now);
    next_case.closure = Some(Closure {
        reason,
        at: now,
        by: by.to_string(),
    });
    let mut transition = Transition {
        at: now,
        case: Some((case.version, next_case)),
        proposals: vec![],
        doctors: vec![],
        mails: vec![],
        audit: vec![audit(now, by, "closed", &case.reference)],
        entries: vec![],
    };
    match (case.state, proposal) {
        (CaseState::Waiting | CaseState::Suspended, _) => {}
        (_, Some(p)) if case.proposals.last() == Some(&p.id) => {
            let to = if p.state.is_open() {
                ProposalState::Withdrawn
            } else {
                ProposalState::Closed
            };
            if !p.state.can_become(to) {
                return Err(Illegal { from: p.state, to });
            }
            if p.state.is_open() {
                transition.doctors.push(release(p));
            }
            transition.proposals.push((
                Some(p.state),
                p.next(to, now, by, Some(reason.label().into())),
            ));
        }
        (state, _) => {
            return Err(Illegal {
                from: case_proposal_state(&case.next(state, now)),
                to: ProposalState::Closed,
            });
        }
    }
    Ok(transition)
}

/// Everything a new request writes, all together or not at all: the request, its case (waiting,
/// version 1), the coordinators' mail and the audit entry. Computed here once; every Store only
/// persists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Opening {
    pub request: Request,
    pub case: Case,
    pub mail: Mail,
    pub audit: AuditEntry,
}

/// What registering `request` from the public form writes, with the coordinators' `mail`.
pub fn open(request: Request, mail: Mail) -> Opening {
    open_by(request, mail, "public")
}

/// What registering `request` writes when `actor` (e.g. "staff:<id>") entered it.
pub fn open_by(request: Request, mail: Mail, actor: &str) -> Opening {
    Opening {
        case: Case::opened(&request),
        audit: audit(request.created_at, actor, "registered", &request.reference),
        request,
        mail,
    }
}
