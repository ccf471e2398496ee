//! The Store on AWS: one DynamoDB table (on-demand, point-in-time recovery, TTL), the same
//! behaviour as [`SqliteStore`](super::SqliteStore), checked by the same contract suite on the
//! official DynamoDB Local engine (`functions/tests/store_contract_dynamodb.rs`).
//!
//! # Single-table design
//!
//! Every item has a partition key `pk` and a sort key `sk` (strings). Numbers that must sort as
//! strings are written with [`ordered`](attrs::ordered): 20 digits, offset so that negative values sort first.
//!
//! | item            | `pk`                  | `sk`                         | other attributes |
//! |-----------------|-----------------------|------------------------------|------------------|
//! | request         | `CASE#<reference>`    | `REQUEST`                    | `record` (JSON of [`Request`]: the personal data), `created_at`, `cpts`, `priority` |
//! | case            | `CASE#<reference>`    | `STATE`                      | `record` (JSON of [`Case`]), `state`, `version`, `created_at`, `cpts` |
//! | proposal        | `PROPOSAL#<id>`       | `PROPOSAL`                   | `record` (JSON of [`Proposal`]), `state`, `reference`, `created_at` |
//! | doctor          | `DOCTOR#<id>`         | `DOCTOR`                     | `load_<year>`, `accepted_<year>`, `last_solicited_at`, `paused_until` (`YYYY-MM-DD`) |
//! | form nonce      | `NONCE#<nonce>`       | `NONCE`                      | `reference` (the first request sent with it) |
//! | rate counter    | `RATE#<key>#<window>` | `RATE`                       | `count` |
//! | mail (outbox)   | `MAIL#<id>`           | `MAIL`                       | `mail` (JSON of [`Mail`]), `created_at`, `attempts`, `next_attempt_at`, `sent_at` |
//! | search keys     | `CASE#<reference>`    | `SEARCH`                     | `words`, `name`, `phone`, `birth_date`, `commune`, `created_at`, `cpts` ([`SearchKeys`](crate::domain::search::SearchKeys): personal data) |
//! | audit entry     | `AUDIT#<object>`      | `<insertion clock>#<random>` | `at`, `actor`, `action`, `object` |
//! | timeline entry  | `CASE#<reference>`    | `TIMELINE#<insertion clock>#<random>` | `record` (JSON of [`TimelineEntry`]: may hold personal content), `at` |
//! | single-use key  | `ONCE#<key>`          | `ONCE`                       | (its TTL only) |
//! | declaration     | `DECLARATION`         | `<doctor id>`                | `record` (JSON of [`Declaration`](crate::domain::declarations::Declaration)), `declared_at` |
//! | declarations stamp | `DECLARATION#STAMP` | `DECLARATION#STAMP`        | `stamp` (count of changes, `ADD 1` with each declaration) |
//! | confirmation ask | `CONFIRMATION`       | `<doctor id>`                | `record` (JSON of [`ConfirmationAsk`](crate::domain::declarations::ConfirmationAsk)), replaced under `record = :expected` |
//! | health probe    | `HEALTH`              | `HEALTH`                     | `checked_at` (TTL: an hour after the last check) |
//! | staff session   | `SESSION#<id hash>`   | `SESSION`                    | `staff`, `created_at`, `agent_hash`, `csrf` (TTL: the session's end) |
//! | erased request  | `CASE#<reference>`    | `REQUEST`                    | `record` (JSON of [`Erased`](crate::domain::lifecycle::Erased): no personal data), `erased_at`, `created_at`, `cpts`, `priority` |
//!
//! A request and its case share a partition; the request never changes, the case is rewritten
//! whole at each transition under the condition `version = :expected` (optimistic concurrency).
//! A proposal is written under `attribute_not_exists(pk)` (new) or `#state = :expected`.
//!
//! # Secondary indexes (both sparse, projection ALL)
//!
//! * `gsi1` — global lists, read by the scheduled jobs and the matching (`gsi1pk` / `gsi1sk`):
//!   * pending mails: `MAIL#PENDING` / `<next_attempt_at>#<created_at>#<id>`; both attributes are
//!     removed when the mail is sent, so the index holds only what is still to send;
//!   * open proposals (proposed or validated): `PROPOSAL#OPEN` / `<created_at>#<id>`; removed
//!     when the proposal ends;
//!   * cases by state: `CASE#<state>` / `<created_at>#<reference>` (re-examination of waiting ones);
//!   * doctors: `DOCTOR` / `<id>` (every doctor with counters, a pause or a solicitation);
//!   * a staff member's sessions: `STAFF#<id>#SESSIONS` / `<id hash>` (read to sign out
//!     everywhere; a session opened a moment before may be missed by the index, and then ends
//!     at its expiry).
//!   * search keys of every request: `SEARCH` / `<created_at>#<reference>` (the territory's search).
//! * `gsi2` — per-CPTS views, read by the coordinator's overview (`gsi2pk` / `gsi2sk`):
//!   * cases: `CPTS#<cpts>#CASE#<state>` (or `NOCPTS#CASE#<state>`) / `<created_at>#<reference>`;
//!   * search keys: `SEARCH#CPTS#<cpts>` (or `SEARCH#NOCPTS`) / `<created_at>#<reference>`.
//!
//! A search reads its list newest first and filters the keys with the domain's
//! [`Query::matches`](crate::domain::search::Query::matches), stopping once it has enough.
//!
//! List partitions are single keys (`MAIL#PENDING`, `CASE#waiting`): a CPTS produces a few
//! hundred items a day, far below one partition's limits (1,000 writes/s).
//!
//! Indexes are eventually consistent: for a moment (well under a second) after a write, a list
//! may still show the previous state (a mail just sent as due, a case in its former state). The
//! jobs run every few minutes and every change is a conditional write on the item itself, so a
//! stale list never causes a second effect. Reads by key (`request`, `case`, `proposal`, the
//! nonce of a duplicate, the audit trail, the doctor counters read before a release) are strongly
//! consistent.
//!
//! # Retention (TTL attribute `expires_at`, Unix seconds)
//!
//! DynamoDB deletes an item within a few days after its `expires_at`; reads do not filter them.
//!
//! The periods are defined once, in [`crate::domain::retention`]; SQLite's jobs delete by the
//! same rules ([`Store::purge`]).
//!
//! * form nonces: [`NONCE`](crate::domain::retention::NONCE) after the registration;
//! * rate counters: [`RATE_COUNTER`](crate::domain::retention::RATE_COUNTER) after their last increment;
//! * requests, their cases, search keys, proposals and timeline entries: at
//!   [`request_ends`](crate::domain::retention::request_ends) (two years after registration, one
//!   year after closure if sooner): a closure (or a reopening) rewrites the case and the request
//!   item in its transaction, then stamps the new end on the search keys, timeline entries and
//!   proposals written before it (`restamp.rs`);
//! * sent mails: [`SENT_MAIL`](crate::domain::retention::SENT_MAIL) after sending;
//!   pending mails never expire: a mail not yet sent is never lost;
//! * doctors' counters and declarations: never (no patient data; a doctor leaving the roster
//!   leaves one small item) (a handful of numbers per doctor and year, no personal data);
//! * single-use keys (sign-in links): until the link's own expiry;
//! * staff sessions: at their end; reads refuse an expired session before the TTL deletes it;
//! * audit entries: [`AUDIT_ENTRY`](crate::domain::retention::AUDIT_ENTRY).
//!
//! # Transactions
//!
//! [`Store::register`] is one `TransactWriteItems`: the nonce (must not exist), one update per
//! rate counter (`ADD count` if below its limit), the request, its case, its search keys, its
//! mail and the audit entry. An erase deletes the search keys in its own transaction: a `Delete`
//! of [`search_key`](schema::search_key)`(reference)`. A cancelled transaction is read reason by reason: a failed nonce condition is a duplicate
//! (the nonce item gives the first reference), a failed counter condition is a refusal.
//!
//! [`Store::apply`] is one `TransactWriteItems` too: the case (expected version), the proposals
//! (must not exist / expected state), one update per doctor, the mails and audit entries. DynamoDB
//! forbids two operations on one item in a transaction and has no arithmetic in conditions, so the
//! operations on one doctor are merged into one update:
//!
//! * in the usual case (each counter touched once, no release), capacity is a condition on the
//!   stored value: `ADD accepted_<year> :one` if `attribute_not_exists(accepted_<year>) OR
//!   accepted_<year> < :capacity` — no read needed, and racing acceptances can never exceed it;
//! * a release (never below zero) or several operations on one counter need the current value:
//!   the doctor item is read first, the operations are played on it in order, and the result is
//!   written under the condition that the counters still hold what was read (else read again).
//!   If playing them finds no capacity, a transaction of condition checks only confirms that the
//!   case, proposals and counters were all as read at one instant before answering `NoCapacity`.
//!
//! A transaction cancelled by a conflict with a concurrent one (`TransactionConflict`) is retried.
//!
//! # Files
//!
//! Each file imports only from files above it in this list; this one imports from them and none
//! imports from it.
//!
//! * [`attrs`] — attribute values, JSON records, numbers that sort as text;
//! * [`schema`] — names shared with the template, the key of each item, retention, the table's
//!   creation;
//! * [`items`] — each kind of item to and from the domain's types;
//! * [`table`] — the handle (client and table name) the others work through;
//! * [`transact`] — the cancellation of a transaction, read reason by reason, and retries;
//! * [`doctors`] — a transition's operations on doctors' counters, merged per doctor;
//! * [`register`], [`transition`], [`outbox`], [`health`], [`queries`], [`sessions`], [`search`],
//!   [`privacy`], [`declarations`], [`joining`] — what the [`Store`] methods do ([`privacy`]:
//!   correcting a request, erasing it; [`joining`] uses [`declarations`]' items).

mod attrs;
mod declarations;
mod doctors;
mod health;
mod items;
mod joining;
mod outbox;
mod privacy;
mod queries;
mod register;
mod restamp;
mod schema;
mod search;
mod sessions;
mod table;
mod transact;
mod transition;

use std::future::Future;

use aws_sdk_dynamodb::Client;

use crate::domain::declarations::{ConfirmationAsk, Declaration, Declarations};
use crate::domain::joining::JoinOffer;
use crate::domain::lifecycle::Mail;
use crate::domain::lifecycle::{
    AuditEntry, Case, CaseState, Correction, Erased, Erasure, Opening, Proposal, Request,
    TimelineEntry, Transition,
};
use crate::domain::matching::DoctorLoad;
use crate::domain::search::{Found, Identity, Query};
use crate::domain::staff::Scope;
use crate::domain::staff::Session;
use crate::store::{
    Applied, Health, Joined, PendingMail, RateLimit, Registered, Result, Store, Undelivered,
};
use table::Table;

/// The Store on one DynamoDB table (see the module documentation for its design).
#[derive(Clone)]
pub struct DynamoStore {
    table: Table,
}

impl DynamoStore {
    /// A store on `table`, which must exist (see [`DynamoStore::create_table`]).
    pub fn new(client: Client, table: String) -> Self {
        Self {
            table: Table {
                client,
                name: table,
            },
        }
    }

    pub fn client(&self) -> &Client {
        &self.table.client
    }

    pub fn table(&self) -> &str {
        &self.table.name
    }

    /// Creates the table with the keys, indexes and TTL of `infra/template.yaml` (for tests and a
    /// local run; on AWS the template creates it), and waits until it is active.
    pub async fn create_table(&self) -> Result<()> {
        schema::create_table(&self.table.client, &self.table.name).await
    }
}

impl Store for DynamoStore {
    fn register(
        &self,
        opening: &Opening,
        nonce: &str,
        limits: &[RateLimit],
    ) -> impl Future<Output = Result<Registered>> + Send {
        self.table.register(opening, nonce, limits)
    }

    fn request(&self, reference: &str) -> impl Future<Output = Result<Option<Request>>> + Send {
        self.table.request(reference)
    }

    fn due_mails(
        &self,
        now: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<PendingMail>>> + Send {
        self.table.due_mails(now, limit)
    }

    fn claim_mail(
        &self,
        id: &str,
        seen: i64,
        until: i64,
    ) -> impl Future<Output = Result<bool>> + Send {
        self.table.claim_mail(id, seen, until)
    }

    fn mails_sent(&self, ids: &[String], now: i64) -> impl Future<Output = Result<()>> + Send {
        self.table.mails_sent(ids, now)
    }

    fn mail_failed(&self, id: &str, retry_at: i64) -> impl Future<Output = Result<()>> + Send {
        self.table.mail_failed(id, retry_at)
    }

    fn pending_mail_count(&self) -> impl Future<Output = Result<usize>> + Send {
        self.table.pending_mail_count()
    }

    fn health(&self, now: i64) -> impl Future<Output = Result<Health>> + Send {
        self.table.health(now)
    }

    fn undelivered_mails(
        &self,
        min_attempts: u32,
    ) -> impl Future<Output = Result<Vec<Undelivered>>> + Send {
        self.table.undelivered_mails(min_attempts)
    }

    fn apply(&self, transition: &Transition) -> impl Future<Output = Result<Applied>> + Send {
        self.table.apply(transition)
    }

    fn case(&self, reference: &str) -> impl Future<Output = Result<Option<Case>>> + Send {
        self.table.case(reference)
    }

    fn cases(
        &self,
        states: &[CaseState],
        cpts: Option<Option<&str>>,
    ) -> impl Future<Output = Result<Vec<Case>>> + Send {
        let mut states = states.to_vec();
        states.sort_by_key(|s| s.code());
        states.dedup();
        self.table
            .cases(states, cpts.map(|c| c.map(str::to_string)))
    }

    fn proposal(&self, id: &str) -> impl Future<Output = Result<Option<Proposal>>> + Send {
        self.table.proposal(id)
    }

    fn open_proposals(&self) -> impl Future<Output = Result<Vec<Proposal>>> + Send {
        self.table.open_proposals()
    }

    fn doctor_loads(&self, period: i32) -> impl Future<Output = Result<Vec<DoctorLoad>>> + Send {
        self.table.doctor_loads(period)
    }

    fn audit(&self, entry: &AuditEntry) -> impl Future<Output = Result<()>> + Send {
        self.table.audit(entry)
    }

    fn audit_trail(&self, object: &str) -> impl Future<Output = Result<Vec<AuditEntry>>> + Send {
        self.table.audit_trail(object)
    }

    fn timeline(&self, reference: &str) -> impl Future<Output = Result<Vec<TimelineEntry>>> + Send {
        self.table.timeline(reference)
    }

    fn use_once(&self, key: &str, expires_at: i64) -> impl Future<Output = Result<bool>> + Send {
        self.table.use_once(key, expires_at)
    }

    fn queue_mail(
        &self,
        mail: &Mail,
        audit: &AuditEntry,
        limits: &[RateLimit],
        now: i64,
    ) -> impl Future<Output = Result<bool>> + Send {
        self.table.queue_mail(mail, audit, limits, now)
    }

    fn declare(
        &self,
        declaration: &Declaration,
        audit: &AuditEntry,
    ) -> impl Future<Output = Result<()>> + Send {
        self.table.declare(declaration, audit)
    }

    fn declarations(&self) -> impl Future<Output = Result<Declarations>> + Send {
        self.table.declarations()
    }

    fn declarations_stamp(&self) -> impl Future<Output = Result<u64>> + Send {
        self.table.declarations_stamp()
    }

    fn confirmation_asks(&self) -> impl Future<Output = Result<Vec<ConfirmationAsk>>> + Send {
        self.table.confirmation_asks()
    }

    fn ask_confirmation(
        &self,
        ask: &ConfirmationAsk,
        expected: Option<&ConfirmationAsk>,
        mail: &Mail,
        audit: &AuditEntry,
    ) -> impl Future<Output = Result<bool>> + Send {
        self.table.ask_confirmation(ask, expected, mail, audit)
    }

    fn offer_to_join(
        &self,
        offer: &JoinOffer,
        mail: &Mail,
        audit: &AuditEntry,
        limits: &[RateLimit],
    ) -> impl Future<Output = Result<Registered>> + Send {
        self.table.offer_to_join(offer, mail, audit, limits)
    }

    fn join_offer(&self, id: &str) -> impl Future<Output = Result<Option<JoinOffer>>> + Send {
        self.table.join_offer(id)
    }

    fn join_offers(
        &self,
        cpts: Option<&str>,
    ) -> impl Future<Output = Result<Vec<JoinOffer>>> + Send {
        self.table.join_offers(cpts)
    }

    fn decide_join_offer(
        &self,
        decided: &JoinOffer,
        audit: &AuditEntry,
        joined: Option<&Joined<'_>>,
    ) -> impl Future<Output = Result<bool>> + Send {
        self.table.decide_join_offer(decided, audit, joined)
    }

    fn open_session(&self, session: &Session) -> impl Future<Output = Result<()>> + Send {
        self.table.open_session(session)
    }

    fn session(&self, id_hash: &str) -> impl Future<Output = Result<Option<Session>>> + Send {
        self.table.session(id_hash)
    }

    fn close_session(&self, id_hash: &str) -> impl Future<Output = Result<()>> + Send {
        self.table.close_session(id_hash)
    }

    fn close_sessions_of(&self, staff: &str) -> impl Future<Output = Result<usize>> + Send {
        self.table.close_sessions_of(staff)
    }

    fn search(&self, query: &Query, scope: &Scope) -> impl Future<Output = Result<Found>> + Send {
        self.table.search(query, scope)
    }

    fn possible_duplicates(
        &self,
        who: &Identity,
        except: Option<&str>,
        scope: &Scope,
    ) -> impl Future<Output = Result<Vec<String>>> + Send {
        self.table.possible_duplicates(who, except, scope)
    }

    fn correct(&self, correction: &Correction) -> impl Future<Output = Result<Applied>> + Send {
        self.table.correct(correction)
    }

    fn erase(&self, erasure: &Erasure) -> impl Future<Output = Result<Applied>> + Send {
        self.table.erase(erasure)
    }

    fn erased(&self, reference: &str) -> impl Future<Output = Result<Option<Erased>>> + Send {
        self.table.erased(reference)
    }

    /// The table's TTL deletes each item after its `expires_at`.
    fn purge(&self, _now: i64) -> impl Future<Output = Result<crate::store::Purged>> + Send {
        std::future::ready(Ok(crate::store::Purged::default()))
    }
}
