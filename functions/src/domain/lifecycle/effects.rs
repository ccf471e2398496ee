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
}
