//! Where requests, pending mails, rate counters and the audit log are kept. One trait, with SQLite
//! for one machine and DynamoDB on AWS (feature `aws`); the same contract suite ([`contract`]) runs against every implementation.

pub mod contract;
#[cfg(feature = "aws")]
mod dynamo;
mod sqlite;

use std::future::Future;

use serde::{Deserialize, Serialize};

#[cfg(feature = "aws")]
pub use dynamo::DynamoStore;
pub use sqlite::SqliteStore;

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
    /// request against each of `limits` and, when all hold, writes the request, its mail and an
    /// audit entry. Otherwise nothing is written.
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

    fn audit(&self, entry: &AuditEntry) -> impl Future<Output = Result<()>> + Send;

    fn audit_trail(&self, object: &str) -> impl Future<Output = Result<Vec<AuditEntry>>> + Send;
}
