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

use crate::domain::declarations::{ConfirmationAsk, Declaration, Declarations};
use crate::domain::joining::JoinOffer;
use crate::domain::lifecycle::{
    AuditEntry, Case, CaseState, Correction, Erased, Erasure, Mail, Opening, Proposal, Request,
    TimelineEntry, Transition,
};
use crate::domain::matching::DoctorLoad;
use crate::domain::search::{Found, Identity, Query};
use crate::domain::staff::Scope;
use crate::domain::staff::Session;

/// What accepting an offer to join writes with the decision.
#[derive(Clone, Copy)]
pub struct Joined<'a> {
    /// The new doctor's first declaration, and its audit entry.
    pub declaration: &'a Declaration,
    pub declared: &'a AuditEntry,
    /// The mail that gives him his standing link.
    pub welcome: &'a Mail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMail {
    pub mail: Mail,
    pub attempts: u32,
    pub next_attempt_at: i64,
}

/// The next attempt of a mail given up: never. It stays unsent (and counted as waiting), so
/// nothing claims it was sent; [`Store::undelivered_mails`] and [`Store::health`] report it.
pub const GIVEN_UP: i64 = i64::MAX;

/// What [`Store::health`] found, once the database was read and written.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Health {
    /// Mails not sent yet, given-up ones included.
    pub pending_mails: usize,
    /// When the oldest mail still to be tried was queued (given-up ones aside).
    pub oldest_pending_at: Option<i64>,
    /// Mails given up ([`GIVEN_UP`]): they need a person.
    pub given_up_mails: usize,
}

/// A mail not sent after several attempts, or given up: ids and counts only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undelivered {
    pub id: String,
    pub created_at: i64,
    pub attempts: u32,
    pub given_up: bool,
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
    /// mail, audit entry) as it is, with the request's search keys
    /// ([`SearchKeys::of`](crate::domain::search::SearchKeys::of)). Otherwise nothing is written.
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

    /// Checks that the database can be read and written at `now` (SQLite: its pages are sound
    /// and a probe row is written in a transaction; DynamoDB: a probe item is written and read
    /// back, expiring within the hour) and reads the state of the mail queue. An error when any
    /// of it fails.
    fn health(&self, now: i64) -> impl Future<Output = Result<Health>> + Send;

    /// Mails not sent that failed at least `min_attempts` times, or were given up, oldest first.
    fn undelivered_mails(
        &self,
        min_attempts: u32,
    ) -> impl Future<Output = Result<Vec<Undelivered>>> + Send;

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

    /// In one transaction: stores `declaration` as its doctor's current one (replacing his
    /// previous one whole), writes `audit`, and counts one more change of the declarations.
    fn declare(
        &self,
        declaration: &Declaration,
        audit: &AuditEntry,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Every doctor's current declaration, by doctor id, with the count of changes read before
    /// the list (so a change made meanwhile is seen again at the next read).
    fn declarations(&self) -> impl Future<Output = Result<Declarations>> + Send;

    /// The count of changes of the declarations so far: 0 before the first one. Cheap: read
    /// before each matching to know whether the list must be read again.
    fn declarations_stamp(&self) -> impl Future<Output = Result<u64>> + Send;

    /// Every doctor's last request to confirm his declaration.
    fn confirmation_asks(&self) -> impl Future<Output = Result<Vec<ConfirmationAsk>>> + Send;

    /// In one transaction, when the doctor's stored request to confirm is still `expected`
    /// (`None`: he has none): stores `ask` in its place, queues `mail` and writes `audit`.
    /// False, with nothing written, when it changed meanwhile (another run of the jobs sent it).
    fn ask_confirmation(
        &self,
        ask: &ConfirmationAsk,
        expected: Option<&ConfirmationAsk>,
        mail: &Mail,
        audit: &AuditEntry,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// In one transaction: unless an offer with the same id exists, counts one more offer
    /// against each of `limits` and, when all hold, stores `offer` (pending), queues `mail` (due
    /// at once) and writes `audit`. Otherwise nothing is written.
    fn offer_to_join(
        &self,
        offer: &JoinOffer,
        mail: &Mail,
        audit: &AuditEntry,
        limits: &[RateLimit],
    ) -> impl Future<Output = Result<Registered>> + Send;

    fn join_offer(&self, id: &str) -> impl Future<Output = Result<Option<JoinOffer>>> + Send;

    /// The offers of CPTS `cpts` (`None`: of every CPTS and outside them), pending or decided,
    /// oldest first.
    fn join_offers(
        &self,
        cpts: Option<&str>,
    ) -> impl Future<Output = Result<Vec<JoinOffer>>> + Send;

    /// In one transaction, only while the stored offer of the same id is still pending: stores
    /// `decided` (the offer with its decision), writes `audit` and, for an accepted offer,
    /// `joined` (his first declaration, counted as a change of the declarations, and the mail
    /// with his link). Returns whether it did; false, with nothing written, when it was decided
    /// meanwhile or does not exist.
    fn decide_join_offer(
        &self,
        decided: &JoinOffer,
        audit: &AuditEntry,
        joined: Option<&Joined<'_>>,
    ) -> impl Future<Output = Result<bool>> + Send;

    fn audit_trail(&self, object: &str) -> impl Future<Output = Result<Vec<AuditEntry>>> + Send;

    /// The timeline entries of request `reference` (notes, calls, changes), in the order they
    /// were written. They are written only by [`Store::apply`], with the case change they go
    /// with. They may hold personal content (a note): an erasure of the request must delete
    /// them with it.
    fn timeline(&self, reference: &str) -> impl Future<Output = Result<Vec<TimelineEntry>>> + Send;

    /// Marks `key` (a single-use token's id) as used, remembered at least until `expires_at`:
    /// true the first time, false ever after. Two racing calls never both get true.
    fn use_once(&self, key: &str, expires_at: i64) -> impl Future<Output = Result<bool>> + Send;

    /// In one transaction: counts one more mail against each of `limits` and, when all hold,
    /// queues `mail` (due at `now`) and writes `audit`; otherwise writes nothing. Returns whether
    /// the mail was queued.
    fn queue_mail(
        &self,
        mail: &Mail,
        audit: &AuditEntry,
        limits: &[RateLimit],
        now: i64,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Stores a new session (its id hash must be new).
    fn open_session(&self, session: &Session) -> impl Future<Output = Result<()>> + Send;

    /// The session whose cookie hashes to `id_hash`, as stored — expired ones included until
    /// they are purged: the caller refuses them by [`Session::is_expired`].
    fn session(&self, id_hash: &str) -> impl Future<Output = Result<Option<Session>>> + Send;

    /// Ends one session (nothing happens if there is none).
    fn close_session(&self, id_hash: &str) -> impl Future<Output = Result<()>> + Send;

    /// Ends every session of staff member `staff`; returns how many there were.
    fn close_sessions_of(&self, staff: &str) -> impl Future<Output = Result<usize>> + Send;

    /// The requests within `scope` that match every term of `query`, newest first: at most
    /// [`search::LIMIT`](crate::domain::search::LIMIT), `more` when others match too.
    ///
    /// Search keys (the normalised name words, phone, birth date, commune, CPTS, date) are
    /// written by [`Store::register`] in the request's own transaction. They are personal data:
    /// erasing a request must delete them in the same transaction as the request itself —
    /// on SQLite with `delete_search_keys(&tx, reference)` (in `sqlite.rs`), on DynamoDB with a `Delete`
    /// of the key `schema::search_key(reference)` (in `dynamo/`) among the transaction's items (see
    /// each store's module). A correction of the person's details rewrites them the same way
    /// (`write_search_keys`; `items::search_item`).
    fn search(&self, query: &Query, scope: &Scope) -> impl Future<Output = Result<Found>> + Send;

    /// The open requests (case not closed) within `scope` that may be the same person as `who`
    /// (same phone, or same name and birth date), except the request `except`: their references,
    /// newest first. For the intake (before storing) and the request page (`except`: itself).
    fn possible_duplicates(
        &self,
        who: &Identity,
        except: Option<&str>,
        scope: &Scope,
    ) -> impl Future<Output = Result<Vec<String>>> + Send;

    /// Applies a correction of the person's details atomically: its transition (the case under
    /// its version, the timeline entry, the audit entry) and the request rewritten as corrected
    /// (its CPTS and its search keys with it); mails still held for a former address (`forget`)
    /// are deleted. Nothing
    /// is written on a conflict, or when the request was erased meanwhile.
    fn correct(&self, correction: &Correction) -> impl Future<Output = Result<Applied>> + Send;

    /// Erases the person's data at once, in one atomic operation with the closing transition
    /// (the case under its version, proposals, doctors' counters, audit entries). It deletes:
    ///
    /// * the request: replaced by [`Erased`] (what the counts need, no personal data), after
    ///   which [`Store::request`] answers `None` and [`Store::erased`] answers it;
    /// * every timeline entry of the request;
    /// * its search keys (name words, phone, birth date, commune);
    /// * every mail of the outbox, pending or sent, addressed to `erasure.forget`.
    ///
    /// It keeps the case, the proposals, the doctors' counters, the form nonce (random), the
    /// rate counters (pseudonyms, kept two days) and the audit log (ids only).
    ///
    /// Anything added later that holds the person's data must be deleted here.
    ///
    /// Nothing is written on a conflict (the case changed) or when already erased. On DynamoDB,
    /// deletions beyond one transaction's size follow it at once, in the same call.
    fn erase(&self, erasure: &Erasure) -> impl Future<Output = Result<Applied>> + Send;

    /// What is left of an erased request (`None`: not erased, or unknown).
    fn erased(&self, reference: &str) -> impl Future<Output = Result<Option<Erased>>> + Send;

    /// Deletes what is past its period at `now` ([`crate::domain::retention`]): a request at
    /// [`retention::request_ends`](crate::domain::retention::request_ends) with everything that
    /// lives with it (case, proposals, search keys, timeline, form nonce; an erased request's
    /// remains too: the counts are not needed after that), audit entries, sent mails, rate
    /// counters, ended sessions and single-use keys. Pending mails are never deleted.
    ///
    /// On DynamoDB the table's TTL does this from the `expires_at` each item is written with:
    /// this does nothing and counts nothing.
    fn purge(&self, now: i64) -> impl Future<Output = Result<Purged>> + Send;
}

/// What [`Store::purge`] deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub requests: usize,
    pub audit_entries: usize,
    pub sent_mails: usize,
    /// Sessions, single-use keys and rate counters.
    pub technical: usize,
    /// Declined offers to join past their period.
    pub join_offers: usize,
}
