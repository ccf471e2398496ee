//! The effects a transition carries, applied by a Store all together or not at all: the stored
//! request, mails to queue, audit entries, changes to doctors' counters.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::states::{Case, Proposal, ProposalState};
use crate::domain::intake::{Channel, Intake};
use crate::domain::priority::Priority;
use crate::domain::registration::Registration;

/// A stored registration request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// What the patient and the coordinator quote, e.g. "K7M4P9QX".
    pub reference: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Id of the CPTS whose coordinators handle it.
    pub cpts: Option<String>,
    pub registration: Registration,
    pub priority: Priority,
    /// How it came. Requests stored before channels were recorded read as the web form's.
    #[serde(default)]
    pub channel: Channel,
    /// What the staff member who entered it recorded; `None` for the public form.
    #[serde(default)]
    pub intake: Option<Intake>,
}

/// An email waiting to be (or already) sent. It never holds personal data (see `mail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub id: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Where an answer goes (`Reply-To`), when not to the sender: a doctor's mail answers to his
    /// CPTS's coordinators. Mails queued before it existed have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reply_to: Vec<String>,
    /// The sender's display name, when not the configured one: a doctor's mail comes from his
    /// patient's CPTS by its name. Mails queued before it existed have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
}

/// Who did what to which object, when. Ids only, never personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: i64,
    /// "public", "coordinator:<key id>", "system".
    pub actor: String,
    pub action: String,
    pub object: String,
}

/// A change to one doctor's counters, applied with the rest of a [`Transition`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DoctorOp {
    /// A proposal is made: counts one more in `period`'s load, only while the load is below
    /// `capacity`; records `at` as the last time he was solicited.
    Reserve {
        doctor: String,
        period: i32,
        capacity: u32,
        at: i64,
    },
    /// A proposal ends without a patient: one less in `period`'s load (never below zero).
    Release { doctor: String, period: i32 },
    /// The doctor accepts: one more accepted in `period`, only while below `capacity`.
    Consume {
        doctor: String,
        period: i32,
        capacity: u32,
    },
    /// Not to be asked before this date (inclusive).
    Pause { doctor: String, until: NaiveDate },
}

/// What a Store applies all together or not at all.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub at: i64,
    /// (expected version, new case): written only if the stored case has that version.
    pub case: Option<(u32, Case)>,
    /// (expected state — `None` for a new proposal that must not exist —, new proposal).
    pub proposals: Vec<(Option<ProposalState>, Proposal)>,
    pub doctors: Vec<DoctorOp>,
    /// Queued in the outbox, due at `at`.
    pub mails: Vec<Mail>,
    pub audit: Vec<AuditEntry>,
    /// Added to the request's timeline (personal content: kept apart from the case).
    pub entries: Vec<TimelineEntry>,
}

/// What a call attempt gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    Reached,
    NoAnswer,
    WrongNumber,
}

impl CallOutcome {
    pub const ALL: [CallOutcome; 3] = [Self::Reached, Self::NoAnswer, Self::WrongNumber];

    pub fn code(self) -> &'static str {
        match self {
            Self::Reached => "joint",
            Self::NoAnswer => "sans_reponse",
            Self::WrongNumber => "mauvais_numero",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Reached => "Personne jointe",
            Self::NoAnswer => "Pas de réponse",
            Self::WrongNumber => "Mauvais numéro",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// What a timeline entry records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum EntryKind {
    /// A coordinator's note (the entry's text).
    Note,
    Call {
        outcome: CallOutcome,
    },
    /// Suspended after too many unanswered calls.
    Suspended,
    /// The priority level changed (the entry's text is the reason).
    Priority {
        from: u8,
        to: u8,
    },
    /// A coordinator chose this doctor herself; `unmet`: the rules he does not meet (empty when
    /// he was among the candidates).
    DoctorChosen {
        doctor: String,
        unmet: Vec<String>,
    },
    /// Reopened (the entry's text says how it had ended).
    Reopened,
    /// The person's details were corrected: which fields (form field names), never their old
    /// or new values.
    Corrected {
        fields: Vec<String>,
    },
    /// The mail telling the person a doctor accepted him could not be sent and was given up:
    /// he does not know yet (the entry's text says what to do).
    MailGivenUp,
}

/// One line of a request's timeline, written with the transition it comes from. It may hold
/// personal content (a note): it lives apart from the [`Case`](super::Case), in the request's
/// own place, and an erasure of the request must delete it with the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub reference: String,
    pub at: i64,
    /// Who: a coordinator's name (later `staff:<id>`), or "system".
    pub by: String,
    pub kind: EntryKind,
    pub text: String,
}

impl Transition {
    /// Records `actor` (an id such as `staff:<id>`) in place of `by` (the name pages show) in
    /// the audit entries: the audit log keeps ids only.
    pub fn audited_as(&mut self, by: &str, actor: &str) {
        for entry in self.audit.iter_mut().filter(|e| e.actor == by) {
            entry.actor = actor.to_string();
        }
    }
}
