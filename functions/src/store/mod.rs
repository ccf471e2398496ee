//! Where requests, their cases and proposals, doctors' counters, pending mails, rate counters and
//! the audit log are kept. One trait, with SQLite for one machine and DynamoDB on AWS (feature
//! `aws`); the same contract suite ([`contract`]) runs against every implementation.

pub mod contract;
#[cfg(feature = "aws")]
mod dynamo;
mod sqlite;

use std::future::Future;

use serde::{Deserialize, Serialize};

#[cfg(feature = "aws")]
pub use dynamo::DynamoStore;
pub use sqlite::SqliteStore;

use chrono::NaiveDate;

use crate::lifecycle::{Case, CaseState, Proposal, ProposalState};
use crate::priority::Priority;
use crate::registration::Registration;

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMail {
    pub mail: Mail,
    pub attempts: u32,
    pub next_attempt_at: i64,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// Stored, with its mail, now.
    New,
    /// This form (same nonce) was already sent: nothing written; here is the first reference.
    Duplicate(String),
    /// A rate limit is reached: nothing written.
    Limited,
}

/// At most `limit` requests for `key` (a pseudonym of an address or a phone) in `window`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    pub key: String,
    pub window: i64,
    pub limit: u32,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Done,
    /// The case or a proposal changed since it was read: nothing written.
    Conflict,
    /// A `Reserve` or `Consume` would go above the doctor's capacity: nothing written.
    NoCapacity,
}

/// A doctor's counters for one year.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DoctorLoad {
    pub doctor: String,
    pub period: i32,
    /// Proposals of the year that are open or accepted.
    pub load: u32,
    pub accepted: u32,
    pub last_solicited_at: Option<i64>,
    pub paused_until: Option<NaiveDate>,
}

#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "store: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

pub type Result<T> = std::result::Result<T, StoreError>;

pub trait Store: Send + Sync + 'static {
    /// In one transaction: unless a request with the same form `nonce` exists, counts one more
    /// request against each of `limits` and, when all hold, writes the request, its case
    /// ([`Case::opened`]), its mail and an audit entry. Otherwise nothing is written.
    fn register(
        &self,
        request: &Request,
        nonce: &str,
        mail: &Mail,
        limits: &[RateLimit],
    ) -> impl Future<Output = Result<Registered>> + Send;

    fn request(&self, reference: &str) -> impl Future<Output = Result<Option<Request>>> + Send;

    /// Mails not yet sent whose next attempt is due at `now`, oldest first.
    fn due_mails(
        &self,
        now: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<PendingMail>>> + Send;

    /// Marks these mails as sent.
    fn mails_sent(&self, ids: &[String], now: i64) -> impl Future<Output = Result<()>> + Send;

    /// Records a failed attempt; the mail stays pending until `retry_at`.
    fn mail_failed(&self, id: &str, retry_at: i64) -> impl Future<Output = Result<()>> + Send;

    /// How many mails are still waiting.
    fn pending_mail_count(&self) -> impl Future<Output = Result<usize>> + Send;

    /// Applies `transition` atomically: every conditional write holds, or nothing is written.
    fn apply(&self, transition: &Transition) -> impl Future<Output = Result<Applied>> + Send;

    /// The case of a request (written by `register`, version 1, waiting).
    fn case(&self, reference: &str) -> impl Future<Output = Result<Option<Case>>> + Send;

    /// Cases in any of `states`, of CPTS `cpts` when given (`Some(None)`: those outside every
    /// CPTS), oldest first.
    fn cases(
        &self,
        states: &[CaseState],
        cpts: Option<Option<&str>>,
    ) -> impl Future<Output = Result<Vec<Case>>> + Send;

    fn proposal(&self, id: &str) -> impl Future<Output = Result<Option<Proposal>>> + Send;

    /// Proposals still waiting for an answer (proposed or validated), oldest first.
    fn open_proposals(&self) -> impl Future<Output = Result<Vec<Proposal>>> + Send;

    /// Every doctor's counters for `period` (doctors never solicited may be missing; a doctor
    /// paused but without counters that year appears with zero counts).
    fn doctor_loads(&self, period: i32) -> impl Future<Output = Result<Vec<DoctorLoad>>> + Send;

    fn audit(&self, entry: &AuditEntry) -> impl Future<Output = Result<()>> + Send;

    fn audit_trail(&self, object: &str) -> impl Future<Output = Result<Vec<AuditEntry>>> + Send;
}
