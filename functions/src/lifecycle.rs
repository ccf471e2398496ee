//! The life of a request after registration, as an explicit state machine (issue #6).
//!
//! A request is a [`Case`]; each doctor proposed for it is a [`Proposal`]:
//!
//! ```text
//! proposed ──validate──▶ validated ──accept──▶ accepted ──inform──▶ informed ──close──▶ closed
//!    │                      │                     └────────────close─────────────────────▲
//!    ├─reject (reason)      ├─decline / pause
//!    ├─expire               ├─expire
//!    └─withdraw             └─withdraw            (rejected, declined, expired, withdrawn: the
//!                                                   case waits again and the next doctor is proposed)
//! ```
//!
//! The functions below are pure: each checks that its transition is legal and returns the
//! [`Transition`] (conditional writes, mails, audit entries) that a Store applies atomically — or
//! nothing at all if the case or the proposal changed in the meantime.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::store::{AuditEntry, DoctorOp, Mail, Request, Transition};

/// Days a coordinator, then a doctor, has to answer before the proposal moves on by itself.
pub const ANSWER_DAYS: i64 = 7;
/// A reminder goes this long before the deadline.
pub const REMINDER_BEFORE: i64 = 2 * 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalState {
    /// Computed, waiting for the coordinator.
    Proposed,
    /// The coordinator agreed; waiting for the doctor.
    Validated,
    /// The doctor accepted; the patient must be told.
    Accepted,
    /// The patient was told (by email, or called by the coordinator).
    Informed,
    /// The request was closed after the doctor accepted.
    Closed,
    /// The coordinator asked for another doctor.
    Rejected,
    /// The doctor declined (or had no place left, or paused).
    Declined,
    /// Nobody answered before the deadline.
    Expired,
    /// The request was closed while the proposal was open.
    Withdrawn,
}

impl ProposalState {
    pub const ALL: [ProposalState; 9] = [
        Self::Proposed,
        Self::Validated,
        Self::Accepted,
        Self::Informed,
        Self::Closed,
        Self::Rejected,
        Self::Declined,
        Self::Expired,
        Self::Withdrawn,
    ];

    /// Whether a proposal in this state may move to `next`.
    pub fn can_become(self, next: ProposalState) -> bool {
        use ProposalState::*;
        matches!(
            (self, next),
            (Proposed, Validated | Rejected | Expired | Withdrawn)
                | (Validated, Accepted | Declined | Expired | Withdrawn)
                | (Accepted, Informed | Closed)
                | (Informed, Closed)
        )
    }

    /// Still waiting for someone's answer (and holding one unit of the doctor's capacity).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Proposed | Self::Validated)
    }

    /// What the case becomes when its current proposal is in this state.
    pub fn case_state(self) -> CaseState {
        match self {
            Self::Proposed => CaseState::Proposed,
            Self::Validated => CaseState::Validated,
            Self::Accepted => CaseState::Accepted,
            Self::Informed => CaseState::Informed,
            Self::Closed => CaseState::Closed,
            Self::Rejected | Self::Declined | Self::Expired | Self::Withdrawn => CaseState::Waiting,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Validated => "validated",
            Self::Accepted => "accepted",
            Self::Informed => "informed",
            Self::Closed => "closed",
            Self::Rejected => "rejected",
            Self::Declined => "declined",
            Self::Expired => "expired",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// In French, for the coordinator's pages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Proposed => "proposé, à valider par la coordination",
            Self::Validated => "validé, en attente de la réponse du médecin",
            Self::Accepted => "accepté par le médecin, personne à prévenir",
            Self::Informed => "accepté, personne prévenue",
            Self::Closed => "demande close",
            Self::Rejected => "écarté par la coordination",
            Self::Declined => "refusé par le médecin",
            Self::Expired => "sans réponse dans le délai",
            Self::Withdrawn => "retiré (demande close)",
        }
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// No open proposal: waits for a doctor with capacity within reach.
    Waiting,
    Proposed,
    Validated,
    Accepted,
    Informed,
    Closed,
}

impl CaseState {
    pub const ALL: [CaseState; 6] = [
        Self::Waiting,
        Self::Proposed,
        Self::Validated,
        Self::Accepted,
        Self::Informed,
        Self::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Proposed => "proposed",
            Self::Validated => "validated",
            Self::Accepted => "accepted",
            Self::Informed => "informed",
            Self::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Waiting => "en attente d'un médecin disponible",
            Self::Proposed => "médecin proposé, à valider",
            Self::Validated => "chez le médecin, en attente de sa réponse",
            Self::Accepted => "médecin trouvé, personne à prévenir",
            Self::Informed => "médecin trouvé, personne prévenue",
            Self::Closed => "close",
        }
    }
}

/// Why a request was closed (DOMAIN.md §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosingReason {
    /// A doctor of the CPTS accepted and the patient was told.
    FoundThroughCpts,
    FoundAlone,
    Unreachable,
    RefusedProposal,
    NoDoctorInReach,
    HomeVisitsNotCovered,
    MovedAway,
    Deceased,
    NotEligible,
    Duplicate,
}

impl ClosingReason {
    pub const ALL: [ClosingReason; 10] = [
        Self::FoundThroughCpts,
        Self::FoundAlone,
        Self::Unreachable,
        Self::RefusedProposal,
        Self::NoDoctorInReach,
        Self::HomeVisitsNotCovered,
        Self::MovedAway,
        Self::Deceased,
        Self::NotEligible,
        Self::Duplicate,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::FoundThroughCpts => "trouve_cpts",
            Self::FoundAlone => "trouve_seul",
            Self::Unreachable => "injoignable",
            Self::RefusedProposal => "refus_proposition",
            Self::NoDoctorInReach => "aucun_medecin_rayon",
            Self::HomeVisitsNotCovered => "vad_non_couverte",
            Self::MovedAway => "demenagement",
            Self::Deceased => "deces",
            Self::NotEligible => "non_eligible",
            Self::Duplicate => "doublon",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::FoundThroughCpts => "Médecin traitant trouvé grâce à la CPTS",
            Self::FoundAlone => "Médecin traitant trouvé par la personne elle-même",
            Self::Unreachable => "Personne injoignable (plusieurs essais)",
            Self::RefusedProposal => "La personne a refusé la proposition",
            Self::NoDoctorInReach => "Aucun médecin dans le rayon (plus de 20 km)",
            Self::HomeVisitsNotCovered => "Besoin de visites à domicile non couvert",
            Self::MovedAway => "Déménagement hors du territoire",
            Self::Deceased => "Décès",
            Self::NotEligible => "Demande non éligible (a déjà un médecin traitant)",
            Self::Duplicate => "Demande en double",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// Why the coordinator set a proposed doctor aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionReason {
    TooFar,
    PatientPrefersAnother,
    DoctorUnsuitable,
    Other,
}

impl RejectionReason {
    pub const ALL: [RejectionReason; 4] = [
        Self::TooFar,
        Self::PatientPrefersAnother,
        Self::DoctorUnsuitable,
        Self::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::TooFar => "trop_loin",
            Self::PatientPrefersAnother => "prefere_autre",
            Self::DoctorUnsuitable => "ne_convient_pas",
            Self::Other => "autre",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::TooFar => "Trop loin pour la personne",
            Self::PatientPrefersAnother => "La personne préfère un autre médecin",
            Self::DoctorUnsuitable => "Ce médecin ne convient pas à cette demande",
            Self::Other => "Autre raison",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// What matching needs to know about a request, without any personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Needs {
    /// INSEE code of the patient's commune.
    pub commune: String,
    /// `None`: "farther is not a problem".
    pub max_distance_km: Option<u32>,
    pub home_visits: bool,
    /// 1 (highest) to 3.
    pub priority_level: u8,
}

/// How a request was closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub reason: ClosingReason,
    pub at: i64,
    pub by: String,
}

/// The mutable side of a request: where it stands, which doctors were tried. Never holds
/// personal data, so the overview and the jobs can read it freely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub reference: String,
    pub cpts: Option<String>,
    pub created_at: i64,
    pub needs: Needs,
    /// The patient gave an email address (else the coordinator calls him).
    pub has_email: bool,
    pub state: CaseState,
    /// Grows by one at every write: a write expecting another version is refused.
    pub version: u32,
    pub updated_at: i64,
    /// Ids of the proposals made for this request, oldest first; the last is the current one
    /// unless the case waits.
    pub proposals: Vec<String>,
    /// Ids of the doctors already proposed: never proposed twice for the same request.
    pub tried: Vec<String>,
    pub closure: Option<Closure>,
}

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
        }
    }

    /// Id of the proposal the case is at: none while it waits. A closed case may point to a
    /// proposal that ended before it was closed.
    pub fn current_proposal(&self) -> Option<&str> {
        match self.state {
            CaseState::Waiting => None,
            _ => self.proposals.last().map(String::as_str),
        }
    }

    fn next(&self, state: CaseState, now: i64) -> Self {
        Self {
            state,
            version: self.version + 1,
            updated_at: now,
            ..self.clone()
        }
    }
}

/// One step in a proposal's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub state: ProposalState,
    pub at: i64,
    /// "system", "coordination: <name>", "médecin".
    pub by: String,
    /// Why, in French, when there is a reason.
    pub note: Option<String>,
}

/// A doctor proposed for a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// `<reference>-<n>`.
    pub id: String,
    pub reference: String,
    pub doctor: String,
    pub state: ProposalState,
    pub created_at: i64,
    /// The one who must answer (coordinator, then doctor) has until then.
    pub deadline: i64,
    pub reminded: bool,
    /// Year whose capacity this proposal holds.
    pub period: i32,
    pub distance_km: f64,
    /// Why this doctor, in French, one line per rule (shown to the coordinator).
    pub reasons: Vec<String>,
    pub history: Vec<Step>,
}

impl Proposal {
    fn next(&self, state: ProposalState, at: i64, by: &str, note: Option<String>) -> Self {
        let mut next = self.clone();
        next.state = state;
        next.history.push(Step {
            state,
            at,
            by: by.to_string(),
            note,
        });
        next
    }

    /// When and by whom it reached its current state.
    pub fn last_step(&self) -> Option<&Step> {
        self.history.last()
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

fn audit(at: i64, actor: &str, action: &str, object: &str) -> AuditEntry {
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
    let id = format!("{}-{}", case.reference, case.proposals.len() + 1);
    let proposal = Proposal {
        id: id.clone(),
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
            by: "system".into(),
            note: None,
        }],
    };
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
    };
    Ok((transition, proposal))
}

/// The state the case's current proposal is in, for error reports when the case waits.
fn case_proposal_state(case: &Case) -> ProposalState {
    match case.state {
        CaseState::Waiting => ProposalState::Rejected,
        CaseState::Proposed => ProposalState::Proposed,
        CaseState::Validated => ProposalState::Validated,
        CaseState::Accepted => ProposalState::Accepted,
        CaseState::Informed => ProposalState::Informed,
        CaseState::Closed => ProposalState::Closed,
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
    };
    Ok((transition, next_proposal))
}

fn release(proposal: &Proposal) -> DoctorOp {
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

/// Nobody answered in time: the reservation is released and the case waits again.
pub fn expire(
    case: &Case,
    proposal: &Proposal,
    now: i64,
    mails: Vec<Mail>,
) -> Result<(Transition, Proposal), Illegal> {
    step(
        case,
        proposal,
        ProposalState::Expired,
        now,
        "system",
        None,
        vec![release(proposal)],
        mails,
    )
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
    })
}

/// The coordinator closes the request: an open proposal is withdrawn (its reservation released),
/// an accepted one is closed with it.
pub fn close(
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
    };
    match (case.state, proposal) {
        (CaseState::Waiting, _) => {}
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
