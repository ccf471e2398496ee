//! The states of a request's case and of each proposal, and the legal moves between them.

use serde::{Deserialize, Serialize};

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
    /// Not reached after [`UNANSWERED_CALLS`] call attempts: no doctor is proposed until a
    /// coordinator reopens it (a letter is suggested).
    Suspended,
}

/// Call attempts without an answer (or to a wrong number), in a row, that suspend a request.
pub const UNANSWERED_CALLS: u32 = 3;

impl CaseState {
    pub const ALL: [CaseState; 7] = [
        Self::Waiting,
        Self::Proposed,
        Self::Validated,
        Self::Accepted,
        Self::Informed,
        Self::Closed,
        Self::Suspended,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Proposed => "proposed",
            Self::Validated => "validated",
            Self::Accepted => "accepted",
            Self::Informed => "informed",
            Self::Closed => "closed",
            Self::Suspended => "suspended",
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
            Self::Suspended => "suspendue : personne injoignable",
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
    /// The person withdrew and asked for her data to be erased: only
    /// [`erase`](super::erase) closes with it, never the closing form.
    Withdrawn,
}

impl ClosingReason {
    pub const ALL: [ClosingReason; 11] = [
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
        Self::Withdrawn,
    ];

    /// The reasons of the closing form: all but [`ClosingReason::Withdrawn`], which goes with
    /// the erasure of the person's data.
    pub fn chosen() -> impl Iterator<Item = ClosingReason> {
        Self::ALL.into_iter().filter(|r| *r != Self::Withdrawn)
    }

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
            Self::Withdrawn => "retrait",
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
            Self::Withdrawn => "La personne retire sa demande (données effacées)",
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
    /// Call attempts in a row without reaching the person (no answer, wrong number); a call
    /// that reaches her sets it back to zero.
    #[serde(default)]
    pub unanswered_calls: u32,
}

impl Case {
    /// Id of the proposal the case is at: none while it waits. A closed case may point to a
    /// proposal that ended before it was closed.
    pub fn current_proposal(&self) -> Option<&str> {
        match self.state {
            CaseState::Waiting => None,
            // A suspended case keeps no open proposal (see `lifecycle::call`), but may point to
            // the one that ended when it was suspended, as a closed case does.
            _ => self.proposals.last().map(String::as_str),
        }
    }

    pub(super) fn next(&self, state: CaseState, now: i64) -> Self {
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
    pub(super) fn next(
        &self,
        state: ProposalState,
        at: i64,
        by: &str,
        note: Option<String>,
    ) -> Self {
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
