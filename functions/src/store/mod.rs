//! Where requests, their cases and proposals, doctors' counters, pending mails, rate counters and
//! the audit log are kept. One trait, with SQLite for one machine and DynamoDB on AWS (feature
//! `aws`); the same contract suite (`functions/tests/contract/`) runs against every
//! implementation. A backend only persists: what a registration or a transition writes is
//! computed by the domain.

#[cfg(feature = "aws")]
mod dynamo;
mod error;
mod sqlite;

use std::future::Future;

#[cfg(feature = "aws")]
pub use dynamo::DynamoStore;
pub use error::{Result, StoreError};
pub use sqlite::SqliteStore;

use crate::domain::lifecycle::{
    AuditEntry, Case, CaseState, Correction, Erased, Erasure, Mail, Opening, Proposal, Request,
    TimelineEntry, Transition,
};
use crate::domain::matching::DoctorLoad;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMail {
    pub mail: Mail,
    pub attempts: u32,
    pub next_attempt_at: i64,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Done,
    /// The case or a proposal changed since it was read: nothing written.
    Conflict,
    /// A `Reserve` or `Consume` would go above the doctor's capacity: nothing written.
    NoCapacity,
}

pub trait Store: Send + Sync + 'static {
    /// In one transaction: unless a request with the same form `nonce` exists, counts one more
    /// request against each of `limits` and, when all hold, writes the `opening` (request, case,
    /// mail, audit entry) as it is. Otherwise nothing is written.
    fn register(
        &self,
        opening: &Opening,
        nonce: &str,
        limits: &[RateLimit],
    ) -> impl Future<Output = Result<Registered>> + Send;

    fn request(&self, reference: &str) -> impl Future<Output = Result<Option<Request>>> + Send;

    /// Mails not yet sent whose next attempt is due at `now`, oldest first.
    fn due_mails(
        &self,
        now: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<PendingMail>>> + Send;

    /// Takes mail `id` for sending: only if it is still unsent and its next attempt is still
    /// `seen` (as `due_mails` returned it), moves that attempt to `until` and returns true. Two
    /// senders (the dispatcher, a jobs run, another process) never both get the same mail; a
    /// sender that dies leaves it to be retried at `until`.
    fn claim_mail(
        &self,
        id: &str,
        seen: i64,
        until: i64,
    ) -> impl Future<Output = Result<bool>> + Send;

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

    /// The timeline entries of request `reference` (notes, calls, changes), in the order they
    /// were written. They are written only by [`Store::apply`], with the case change they go
    /// with. They may hold personal content (a note): an erasure of the request must delete
    /// them with it.
    fn timeline(&self, reference: &str) -> impl Future<Output = Result<Vec<TimelineEntry>>> + Send;

    /// Applies a correction of the person's details atomically: its transition (the case under
    /// its version, the timeline entry, the audit entry) and the request rewritten as corrected
    /// (its CPTS with it); mails still held for a former address (`forget`) are deleted. Nothing
    /// is written on a conflict, or when the request was erased meanwhile.
    fn correct(&self, correction: &Correction) -> impl Future<Output = Result<Applied>> + Send;

    /// Erases the person's data at once, in one atomic operation with the closing transition
    /// (the case under its version, proposals, doctors' counters, audit entries). It deletes:
    ///
    /// * the request: replaced by [`Erased`] (what the counts need, no personal data), after
    ///   which [`Store::request`] answers `None` and [`Store::erased`] answers it;
    /// * every timeline entry of the request;
    /// * every mail of the outbox, pending or sent, addressed to `erasure.forget`.
    ///
    /// It keeps the case, the proposals, the doctors' counters, the form nonce (random), the
    /// rate counters (pseudonyms, kept two days) and the audit log (ids only).
    ///
    /// Anything added later that holds the person's data (search keys…) must be deleted here.
    ///
    /// Nothing is written on a conflict (the case changed) or when already erased. On DynamoDB,
    /// deletions beyond one transaction's size follow it at once, in the same call.
    fn erase(&self, erasure: &Erasure) -> impl Future<Output = Result<Applied>> + Send;

    /// What is left of an erased request (`None`: not erased, or unknown).
    fn erased(&self, reference: &str) -> impl Future<Output = Result<Option<Erased>>> + Send;
}
