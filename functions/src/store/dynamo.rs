//! The Store on AWS: one DynamoDB table (on-demand, point-in-time recovery, TTL), the same
//! behaviour as [`SqliteStore`](super::SqliteStore), checked by the same contract suite on the
//! official DynamoDB Local engine (`functions/tests/store_contract_dynamodb.rs`).
//!
//! # Single-table design
//!
//! Every item has a partition key `pk` and a sort key `sk` (strings). Numbers that must sort as
//! strings are written with [`ordered`]: 20 digits, offset so that negative values sort first.
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
//! | audit entry     | `AUDIT#<object>`      | `<insertion clock>#<random>` | `at`, `actor`, `action`, `object` |
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
//!   * doctors: `DOCTOR` / `<id>` (every doctor with counters, a pause or a solicitation).
//! * `gsi2` — per-CPTS views, read by the coordinator's overview (`gsi2pk` / `gsi2sk`):
//!   * cases: `CPTS#<cpts>#CASE#<state>` (or `NOCPTS#CASE#<state>`) / `<created_at>#<reference>`.
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
//! * form nonces: [`NONCE_RETENTION`] (2 days) after the registration — a form token lives 4 hours,
//!   so a replay is recognised for more than a day after the token expired;
//! * rate counters: [`RATE_RETENTION`] (2 days) after their last increment; windows are at most a
//!   day long (an hour per address, a day per phone);
//! * requests and their cases: [`REQUEST_RETENTION`] (2 years) after registration — a request
//!   still open then lapses (the patient is asked to register again) —, shortened at closure to
//!   [`CLOSED_RETENTION`] (1 year) after the closure;
//! * proposals: [`REQUEST_RETENTION`] after they were made (they hold ids, a distance, reasons);
//! * sent mails: [`SENT_MAIL_RETENTION`] (30 days) after sending (they hold no personal data);
//!   pending mails never expire: a mail not yet sent is never lost;
//! * doctors' counters: never (a handful of numbers per doctor and year, no personal data);
//! * audit entries: [`AUDIT_RETENTION`] (3 years): the trace of who did what outlives the data it
//!   traces.
//!
//! These periods are the data controller's decision (register of processing activities): change
//! the constants, not the code.
//!
//! # Transactions
//!
//! [`Store::register`] is one `TransactWriteItems`: the nonce (must not exist), one update per
//! rate counter (`ADD count` if below its limit), the request, its case, its mail and the audit
//! entry. A cancelled transaction is read reason by reason: a failed nonce condition is a duplicate
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

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, CancellationReason, ConditionCheck,
    GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType, Projection, ProjectionType, Put,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, Select, TableStatus,
    TimeToLiveSpecification, TransactWriteItem, Update,
};

use super::{Applied, PendingMail, RateLimit, Registered, Result, Store, StoreError};
use crate::domain::lifecycle::{
    AuditEntry, Case, CaseState, DoctorOp, Mail, Opening, Proposal, ProposalState, Request,
    Transition,
};
use crate::domain::matching::DoctorLoad;

const DAY: i64 = 86_400;
/// How long a form nonce is remembered after the registration that used it.
pub const NONCE_RETENTION: i64 = 2 * DAY;
/// How long a rate counter is kept after its last increment (windows are at most a day).
pub const RATE_RETENTION: i64 = 2 * DAY;
/// How long a request, its case and its proposals are kept after registration.
pub const REQUEST_RETENTION: i64 = 730 * DAY;
/// How long a request and its case are kept after the case is closed (if sooner).
pub const CLOSED_RETENTION: i64 = 365 * DAY;
/// How long a sent mail is kept after sending.
pub const SENT_MAIL_RETENTION: i64 = 30 * DAY;
/// How long an audit entry is kept.
pub const AUDIT_RETENTION: i64 = 3 * 365 * DAY;

/// Names shared with `infra/template.yaml` (keep both in agreement).
pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI2: &str = "gsi2";
pub const TTL_ATTRIBUTE: &str = "expires_at";

const MAILS_PENDING: &str = "MAIL#PENDING";
const PROPOSALS_OPEN: &str = "PROPOSAL#OPEN";
const DOCTORS: &str = "DOCTOR";
const FAILED: &str = "ConditionalCheckFailed";
/// Attempts of a transaction cancelled by a conflict with a concurrent one.
const CONFLICT_ATTEMPTS: u32 = 8;

/// The Store on one DynamoDB table (see the module documentation for its design).
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

fn sdk_err<E: std::error::Error + 'static, R: std::fmt::Debug>(
    what: &str,
) -> impl FnOnce(SdkError<E, R>) -> StoreError {
    move |e| StoreError(format!("{what}: {}", DisplayErrorContext(&e)))
}

/// `value` as 20 digits that sort as the numbers do, negative ones first.
pub fn ordered(value: i64) -> String {
    format!("{:020}", (value as u64) ^ (1 << 63))
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

type Item = HashMap<String, AttributeValue>;

fn key(pk: String, sk: &str) -> Item {
    HashMap::from([(PK.into(), s(pk)), (SK.into(), s(sk))])
}

fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(StoreError(format!("item without text attribute {name}"))),
    }
}

fn get_n<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .map_err(|_| StoreError(format!("attribute {name} is not a valid number: {v}"))),
        _ => Err(StoreError(format!("item without number attribute {name}"))),
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(err)
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(err)
}

fn case_pk(reference: &str) -> String {
    format!("CASE#{reference}")
}

fn mail_pk(id: &str) -> String {
    format!("MAIL#{id}")
}

fn nonce_pk(nonce: &str) -> String {
    format!("NONCE#{nonce}")
}

fn audit_pk(object: &str) -> String {
    format!("AUDIT#{object}")
}

fn pending_mail_sk(next_attempt_at: i64, created_at: i64, id: &str) -> String {
    format!("{}#{}#{id}", ordered(next_attempt_at), ordered(created_at))
}

/// When mail `id` was queued (`None`: no such mail). The pending-mail index key repeats it, so a
/// change of the next attempt reads it first; it never changes.
async fn mail_created_at(client: &Client, table: &str, id: &str) -> Result<Option<i64>> {
    let item = client
        .get_item()
        .table_name(table)
        .set_key(Some(key(mail_pk(id), "MAIL")))
        .projection_expression("created_at")
        .send()
        .await
        .map_err(sdk_err("read mail"))?;
    item.item()
        .map(|i| get_n::<i64>(i, "created_at"))
        .transpose()
}

fn doctor_pk(id: &str) -> String {
    format!("DOCTOR#{id}")
}

fn proposal_pk(id: &str) -> String {
    format!("PROPOSAL#{id}")
}

/// Index keys of a case in `state`: (gsi1pk, gsi2pk); both sort keys are [`case_sk`].
fn case_lists(state: CaseState, cpts: Option<&str>) -> (String, String) {
    let by_cpts = match cpts {
        Some(id) => format!("CPTS#{id}#CASE#{}", state.code()),
        None => format!("NOCPTS#CASE#{}", state.code()),
    };
    (format!("CASE#{}", state.code()), by_cpts)
}

fn case_sk(case: &Case) -> String {
    format!("{}#{}", ordered(case.created_at), case.reference)
}

fn case_expiry(case: &Case) -> i64 {
    let lapses = case.created_at + REQUEST_RETENTION;
    match &case.closure {
        Some(closure) => lapses.min(closure.at + CLOSED_RETENTION),
        None => lapses,
    }
}

fn case_item(case: &Case) -> Result<Item> {
    let (list, by_cpts) = case_lists(case.state, case.cpts.as_deref());
    let mut item = key(case_pk(&case.reference), "STATE");
    item.extend([
        ("record".into(), s(to_json(case)?)),
        ("state".into(), s(case.state.code())),
        ("version".into(), n(case.version)),
        ("created_at".into(), n(case.created_at)),
        ("gsi1pk".into(), s(list)),
        ("gsi1sk".into(), s(case_sk(case))),
        ("gsi2pk".into(), s(by_cpts)),
        ("gsi2sk".into(), s(case_sk(case))),
        (TTL_ATTRIBUTE.into(), n(case_expiry(case))),
    ]);
    if let Some(cpts) = &case.cpts {
        item.insert("cpts".into(), s(cpts));
    }
    Ok(item)
}

fn proposal_item(proposal: &Proposal) -> Result<Item> {
    let mut item = key(proposal_pk(&proposal.id), "PROPOSAL");
    item.extend([
        ("record".into(), s(to_json(proposal)?)),
        ("state".into(), s(proposal.state.code())),
        ("reference".into(), s(&proposal.reference)),
        ("created_at".into(), n(proposal.created_at)),
        (
            TTL_ATTRIBUTE.into(),
            n(proposal.created_at + REQUEST_RETENTION),
        ),
    ]);
    if proposal.state.is_open() {
        item.extend([
            ("gsi1pk".into(), s(PROPOSALS_OPEN)),
            (
                "gsi1sk".into(),
                s(format!("{}#{}", ordered(proposal.created_at), proposal.id)),
            ),
        ]);
    }
    Ok(item)
}

fn mail_item(mail: &Mail, at: i64) -> Result<Item> {
    let mut item = key(mail_pk(&mail.id), "MAIL");
    item.extend([
        ("mail".into(), s(to_json(mail)?)),
        ("created_at".into(), n(at)),
        ("attempts".into(), n(0)),
        ("next_attempt_at".into(), n(at)),
        ("gsi1pk".into(), s(MAILS_PENDING)),
        ("gsi1sk".into(), s(pending_mail_sk(at, at, &mail.id))),
    ]);
    Ok(item)
}

/// Nanoseconds since the epoch, strictly increasing within this process: audit entries of one
/// object read back in the order they were written (as SQLite's row ids do).
fn insertion_clock() -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(current) => last = current,
        }
    }
}

/// Rate limits on the same counter (key and window), merged into one update: DynamoDB forbids two
/// operations on one item in a transaction. Adding `count` must keep, for the j-th of the merged
/// limits, `old + j <= limit_j`, that is `old < bound` with `bound = min(limit_j - j + 1)`.
struct Counter<'a> {
    key: &'a str,
    window: i64,
    count: i64,
    bound: i64,
}

fn merge_limits(limits: &[RateLimit]) -> Vec<Counter<'_>> {
    let mut counters: Vec<Counter> = Vec::new();
    for l in limits {
        match counters
            .iter_mut()
            .find(|c| c.key == l.key && c.window == l.window)
        {
            Some(c) => {
                c.count += 1;
                c.bound = c.bound.min(i64::from(l.limit) - c.count + 1);
            }
            None => counters.push(Counter {
                key: &l.key,
                window: l.window,
                count: 1,
                bound: i64::from(l.limit),
            }),
        }
    }
    counters
}

/// Reason codes of a cancelled transaction, in the order of its items.
fn reason_codes(reasons: &[CancellationReason]) -> Vec<&str> {
    reasons.iter().map(|r| r.code().unwrap_or("None")).collect()
}

/// Waits a little longer at each attempt, with jitter, before retrying a transaction.
async fn backoff(attempt: u32) {
    let mut byte = [0u8; 1];
    let _ = getrandom::fill(&mut byte);
    let millis = (5u64 << attempt.min(8)) + u64::from(byte[0] % 32);
    tokio::time::sleep(Duration::from_millis(millis)).await;
}

/// The cancellation of a transaction, if that is how it failed.
fn cancellation(
    e: SdkError<TransactWriteItemsError, aws_sdk_dynamodb::config::http::HttpResponse>,
    what: &str,
) -> Result<aws_sdk_dynamodb::types::error::TransactionCanceledException> {
    match e {
        SdkError::ServiceError(ref service) => match service.err() {
            TransactWriteItemsError::TransactionCanceledException(c) => Ok(c.clone()),
            _ => Err(sdk_err(what)(e)),
        },
        e => Err(sdk_err(what)(e)),
    }
}

impl DynamoStore {
    /// A store on `table`, which must exist (see [`DynamoStore::create_table`]).
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Creates the table with the keys, indexes and TTL of `infra/template.yaml` (for tests and a
    /// local run; on AWS the template creates it), and waits until it is active.
    pub async fn create_table(&self) -> Result<()> {
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(err)
        };
        let key_schema = |hash: &str, range: &str| -> Result<Vec<KeySchemaElement>> {
            Ok(vec![
                KeySchemaElement::builder()
                    .attribute_name(hash)
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(err)?,
                KeySchemaElement::builder()
                    .attribute_name(range)
                    .key_type(KeyType::Range)
                    .build()
                    .map_err(err)?,
            ])
        };
        let index = |name: &str, hash: &str, range: &str| -> Result<GlobalSecondaryIndex> {
            GlobalSecondaryIndex::builder()
                .index_name(name)
                .set_key_schema(Some(key_schema(hash, range)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(err)
        };
        self.client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(
                [PK, SK, "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"]
                    .into_iter()
                    .map(attribute)
                    .collect::<Result<_>>()?,
            ))
            .set_key_schema(Some(key_schema(PK, SK)?))
            .global_secondary_indexes(index(GSI1, "gsi1pk", "gsi1sk")?)
            .global_secondary_indexes(index(GSI2, "gsi2pk", "gsi2sk")?)
            .send()
            .await
            .map_err(sdk_err("create table"))?;
        for _ in 0..600 {
            let described = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(sdk_err("describe table"))?;
            let table = described.table();
            let active = table.and_then(|t| t.table_status()) == Some(&TableStatus::Active)
                && table.is_some_and(|t| {
                    t.global_secondary_indexes()
                        .iter()
                        .all(|i| i.index_status() == Some(&IndexStatus::Active))
                });
            if active {
                self.client
                    .update_time_to_live()
                    .table_name(&self.table)
                    .time_to_live_specification(
                        TimeToLiveSpecification::builder()
                            .attribute_name(TTL_ATTRIBUTE)
                            .enabled(true)
                            .build()
                            .map_err(err)?,
                    )
                    .send()
                    .await
                    .map_err(sdk_err("enable TTL"))?;
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err(StoreError(format!(
            "table {} still not active after two minutes",
            self.table
        )))
    }

    fn put(&self, item: Item, condition: Option<&str>) -> Result<TransactWriteItem> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .map_err(err)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn audit_item(entry: &AuditEntry) -> Item {
        HashMap::from([
            (PK.into(), s(audit_pk(&entry.object))),
            (
                SK.into(),
                s(format!(
                    "{:020}#{}",
                    insertion_clock(),
                    crate::signed::random_id(6)
                )),
            ),
            ("at".into(), n(entry.at)),
            ("actor".into(), s(&entry.actor)),
            ("action".into(), s(&entry.action)),
            ("object".into(), s(&entry.object)),
            (TTL_ATTRIBUTE.into(), n(entry.at + AUDIT_RETENTION)),
        ])
    }

    /// The reference first registered with `nonce`, read consistently.
    async fn nonce_reference(&self, nonce: &str) -> Result<Option<String>> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(nonce_pk(nonce), "NONCE")))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_err("read nonce"))?;
        item.item()
            .map(|i| get_s(i, "reference").map(str::to_string))
            .transpose()
    }

    fn register_items(
        &self,
        opening: &Opening,
        nonce: &str,
        counters: &[Counter<'_>],
    ) -> Result<Vec<TransactWriteItem>> {
        let request = &opening.request;
        let now = request.created_at;
        let mut items = Vec::with_capacity(counters.len() + 4);
        let nonce_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(HashMap::from([
                (PK.into(), s(nonce_pk(nonce))),
                (SK.into(), s("NONCE")),
                ("reference".into(), s(&request.reference)),
                (TTL_ATTRIBUTE.into(), n(now + NONCE_RETENTION)),
            ])))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(err)?;
        items.push(TransactWriteItem::builder().put(nonce_put).build());
        for c in counters {
            // When absent, the counter starts at 0: allowed if 0 < bound.
            let condition = if c.bound > 0 {
                "attribute_not_exists(#count) OR #count < :bound"
            } else {
                "#count < :bound"
            };
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(format!("RATE#{}#{}", c.key, c.window), "RATE")))
                .update_expression("ADD #count :add SET #expires = :expires")
                .condition_expression(condition)
                .expression_attribute_names("#count", "count")
                .expression_attribute_names("#expires", TTL_ATTRIBUTE)
                .expression_attribute_values(":add", n(c.count))
                .expression_attribute_values(":bound", n(c.bound))
                .expression_attribute_values(":expires", n(now + RATE_RETENTION))
                .build()
                .map_err(err)?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        let mut stored = key(case_pk(&request.reference), "REQUEST");
        stored.extend([
            ("record".into(), s(to_json(request)?)),
            ("created_at".into(), n(now)),
            ("priority".into(), n(request.priority.level)),
            (TTL_ATTRIBUTE.into(), n(now + REQUEST_RETENTION)),
        ]);
        if let Some(cpts) = &request.cpts {
            stored.insert("cpts".into(), s(cpts));
        }
        items.push(self.put(stored, Some("attribute_not_exists(pk)"))?);
        items.push(self.put(case_item(&opening.case)?, Some("attribute_not_exists(pk)"))?);
        items.push(self.put(
            mail_item(&opening.mail, now)?,
            Some("attribute_not_exists(pk)"),
        )?);
        items.push(self.put(Self::audit_item(&opening.audit), None)?);
        Ok(items)
    }

    async fn register_once(
        &self,
        opening: &Opening,
        nonce: &str,
        limits: &[RateLimit],
    ) -> Result<Registered> {
        let (request, mail) = (&opening.request, &opening.mail);
        let counters = merge_limits(limits);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let items = self.register_items(opening, nonce, &counters)?;
            let cancelled = match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await
            {
                Ok(_) => return Ok(Registered::New),
                Err(e) => cancellation(e, "register")?,
            };
            let reasons = cancelled.cancellation_reasons();
            let codes = reason_codes(reasons);
            if codes.first() == Some(&FAILED) {
                let first = reasons[0]
                    .item()
                    .and_then(|i| get_s(i, "reference").ok())
                    .map(str::to_string);
                let first = match first {
                    Some(f) => Some(f),
                    None => self.nonce_reference(nonce).await?,
                };
                return match first {
                    Some(f) => Ok(Registered::Duplicate(f)),
                    None => Err(StoreError(
                        "nonce condition failed but the nonce is absent".into(),
                    )),
                };
            }
            let counter_codes = &codes[1..(1 + counters.len()).min(codes.len())];
            if counter_codes.contains(&FAILED) {
                // The nonce check comes first, as with SQLite, even if the engine reported only
                // the counter.
                if let Some(first) = self.nonce_reference(nonce).await? {
                    return Ok(Registered::Duplicate(first));
                }
                return Ok(Registered::Limited);
            }
            if codes.contains(&FAILED) {
                return Err(StoreError(format!(
                    "reference {} (request or case) or mail {} already exists",
                    request.reference, mail.id
                )));
            }
            if codes.contains(&"TransactionConflict") && attempt < CONFLICT_ATTEMPTS {
                backoff(attempt).await;
                continue;
            }
            return Err(StoreError(format!(
                "registration cancelled: {} ({})",
                codes.join(", "),
                cancelled.message().unwrap_or_default()
            )));
        }
    }
}

// ——— Doctors' counters ———

fn load_attribute(period: i32) -> String {
    format!("load_{period}")
}

fn accepted_attribute(period: i32) -> String {
    format!("accepted_{period}")
}

fn doctor_of(op: &DoctorOp) -> &str {
    match op {
        DoctorOp::Reserve { doctor, .. }
        | DoctorOp::Release { doctor, .. }
        | DoctorOp::Consume { doctor, .. }
        | DoctorOp::Pause { doctor, .. } => doctor,
    }
}

/// The counter an operation changes, if any.
fn counter_of(op: &DoctorOp) -> Option<String> {
    match op {
        DoctorOp::Reserve { period, .. } | DoctorOp::Release { period, .. } => {
            Some(load_attribute(*period))
        }
        DoctorOp::Consume { period, .. } => Some(accepted_attribute(*period)),
        DoctorOp::Pause { .. } => None,
    }
}

/// The operations of one transition on one doctor, in their order.
struct DoctorGroup<'a> {
    doctor: &'a str,
    ops: Vec<&'a DoctorOp>,
}

impl DoctorGroup<'_> {
    /// A release (never below zero) or a counter changed twice needs the stored values.
    fn needs_read(&self) -> bool {
        let counters: Vec<String> = self.ops.iter().filter_map(|op| counter_of(op)).collect();
        let mut distinct = counters.clone();
        distinct.sort();
        distinct.dedup();
        distinct.len() < counters.len()
            || self
                .ops
                .iter()
                .any(|op| matches!(op, DoctorOp::Release { .. }))
    }
}

fn group_doctor_ops(ops: &[DoctorOp]) -> Vec<DoctorGroup<'_>> {
    let mut groups: Vec<DoctorGroup> = Vec::new();
    for op in ops {
        let doctor = doctor_of(op);
        match groups.iter_mut().find(|g| g.doctor == doctor) {
            Some(g) => g.ops.push(op),
            None => groups.push(DoctorGroup {
                doctor,
                ops: vec![op],
            }),
        }
    }
    groups
}

/// An update or condition expression under construction, with its placeholders.
#[derive(Default)]
struct Expression {
    sets: Vec<String>,
    adds: Vec<String>,
    conditions: Vec<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expression {
    fn name(&mut self, attribute: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, a)| *a == attribute) {
            return placeholder.clone();
        }
        let placeholder = format!("#a{}", self.names.len());
        self.names
            .insert(placeholder.clone(), attribute.to_string());
        placeholder
    }

    fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    fn set(&mut self, attribute: &str, value: AttributeValue) {
        let (a, v) = (self.name(attribute), self.value(value));
        self.sets.push(format!("{a} = {v}"));
    }

    /// `attribute` (absent counts as 0) is below `capacity`.
    fn below(&mut self, attribute: &str, capacity: u32) {
        let (a, c) = (self.name(attribute), self.value(n(capacity)));
        self.conditions.push(if capacity > 0 {
            format!("(attribute_not_exists({a}) OR {a} < {c})")
        } else {
            format!("{a} < {c}")
        });
    }

    /// `attribute` still holds what was read (`None`: absent).
    fn unchanged(&mut self, attribute: &str, read: Option<i64>) {
        let a = self.name(attribute);
        let condition = match read {
            Some(v) => format!("{a} = {}", self.value(n(v))),
            None => format!("attribute_not_exists({a})"),
        };
        self.conditions.push(condition);
    }

    fn update_expression(&self) -> String {
        let mut parts = Vec::new();
        if !self.sets.is_empty() {
            parts.push(format!("SET {}", self.sets.join(", ")));
        }
        if !self.adds.is_empty() {
            parts.push(format!("ADD {}", self.adds.join(", ")));
        }
        parts.join(" ")
    }

    fn condition(&self) -> Option<String> {
        (!self.conditions.is_empty()).then(|| self.conditions.join(" AND "))
    }
}

/// What one transition does to one doctor's item.
struct DoctorPlan {
    /// Built from values read first (its condition failing means: read again).
    exact: bool,
    /// `None` when playing the operations on the values read found no capacity.
    write: Option<TransactWriteItem>,
    /// For an exact plan: a condition check that the counters are still as read.
    guard: Option<TransactWriteItem>,
}

impl DynamoStore {
    async fn read_doctor(&self, doctor: &str) -> Result<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(doctor_pk(doctor), "DOCTOR")))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_err("read doctor"))?;
        Ok(output.item().cloned())
    }

    fn doctor_update(&self, doctor: &str, mut e: Expression) -> Result<TransactWriteItem> {
        e.set("gsi1pk", s(DOCTORS));
        e.set("gsi1sk", s(doctor));
        e.set("doctor", s(doctor));
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(doctor_pk(doctor), "DOCTOR")))
            .update_expression(e.update_expression())
            .set_condition_expression(e.condition())
            .set_expression_attribute_names((!e.names.is_empty()).then_some(e.names))
            .set_expression_attribute_values((!e.values.is_empty()).then_some(e.values))
            .build()
            .map_err(err)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    fn doctor_check(&self, doctor: &str, e: Expression) -> Result<TransactWriteItem> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(doctor_pk(doctor), "DOCTOR")))
            .condition_expression(e.condition().unwrap_or_default())
            .set_expression_attribute_names((!e.names.is_empty()).then_some(e.names))
            .set_expression_attribute_values((!e.values.is_empty()).then_some(e.values))
            .build()
            .map_err(err)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// The usual case: each counter changed once, capacity checked by the condition itself.
    fn plan_by_condition(&self, group: &DoctorGroup<'_>) -> Result<DoctorPlan> {
        let mut e = Expression::default();
        let mut solicited = None;
        let mut paused = None;
        for op in &group.ops {
            match op {
                DoctorOp::Reserve {
                    period,
                    capacity,
                    at,
                    ..
                } => {
                    let attribute = load_attribute(*period);
                    e.below(&attribute, *capacity);
                    let (a, one) = (e.name(&attribute), e.value(n(1)));
                    e.adds.push(format!("{a} {one}"));
                    solicited = Some(*at);
                }
                DoctorOp::Consume {
                    period, capacity, ..
                } => {
                    let attribute = accepted_attribute(*period);
                    e.below(&attribute, *capacity);
                    let (a, one) = (e.name(&attribute), e.value(n(1)));
                    e.adds.push(format!("{a} {one}"));
                }
                DoctorOp::Pause { until, .. } => paused = Some(*until),
                DoctorOp::Release { .. } => {
                    return Err(StoreError("a release needs the stored counters".into()));
                }
            }
        }
        if let Some(at) = solicited {
            e.set("last_solicited_at", n(at));
        }
        if let Some(until) = paused {
            e.set("paused_until", s(until.to_string()));
        }
        Ok(DoctorPlan {
            exact: false,
            write: Some(self.doctor_update(group.doctor, e)?),
            guard: None,
        })
    }

    /// Plays the operations in order on the values read, as SQLite does in its transaction.
    fn plan_from_read(&self, group: &DoctorGroup<'_>, read: Option<&Item>) -> Result<DoctorPlan> {
        let stored = |attribute: &str| -> Result<Option<i64>> {
            match read.and_then(|item| item.get(attribute)) {
                None => Ok(None),
                Some(_) => get_n(read.expect("read"), attribute).map(Some),
            }
        };
        let mut touched: Vec<String> = group.ops.iter().filter_map(|op| counter_of(op)).collect();
        touched.sort();
        touched.dedup();
        let mut current: HashMap<String, i64> = HashMap::new();
        let mut guard = Expression::default();
        for attribute in &touched {
            let value = stored(attribute)?;
            guard.unchanged(attribute, value);
            current.insert(attribute.clone(), value.unwrap_or(0));
        }
        let mut changed: Vec<String> = Vec::new();
        let mut solicited = None;
        let mut paused = None;
        let mut full = false;
        for op in &group.ops {
            let attribute = counter_of(op);
            let value = attribute.as_ref().map_or(0, |a| current[a]);
            let next = match op {
                DoctorOp::Reserve { capacity, at, .. } => {
                    solicited = Some(*at);
                    (value < i64::from(*capacity)).then_some(value + 1)
                }
                DoctorOp::Consume { capacity, .. } => {
                    (value < i64::from(*capacity)).then_some(value + 1)
                }
                DoctorOp::Release { .. } => Some((value - 1).max(0)),
                DoctorOp::Pause { until, .. } => {
                    paused = Some(*until);
                    None
                }
            };
            match (attribute, next) {
                (Some(_), None) => full = true,
                (Some(a), Some(v)) if v != value => {
                    current.insert(a.clone(), v);
                    changed.push(a);
                }
                _ => {}
            }
        }
        let check = |e: Expression| self.doctor_check(group.doctor, e);
        if full {
            return Ok(DoctorPlan {
                exact: true,
                write: None,
                guard: Some(check(guard)?),
            });
        }
        let mut e = Expression::default();
        for attribute in &touched {
            e.unchanged(attribute, stored(attribute)?);
        }
        let guard = check(guard)?;
        if changed.is_empty() && solicited.is_none() && paused.is_none() {
            // Nothing changes (a release at zero): only check that it is still zero.
            return Ok(DoctorPlan {
                exact: true,
                write: Some(check(e)?),
                guard: Some(guard),
            });
        }
        changed.sort();
        changed.dedup();
        for attribute in &changed {
            e.set(attribute, n(current[attribute]));
        }
        if let Some(at) = solicited {
            e.set("last_solicited_at", n(at));
        }
        if let Some(until) = paused {
            e.set("paused_until", s(until.to_string()));
        }
        Ok(DoctorPlan {
            exact: true,
            write: Some(self.doctor_update(group.doctor, e)?),
            guard: Some(guard),
        })
    }

    fn case_check_or_put(
        &self,
        expected: u32,
        case: &Case,
        check_only: bool,
    ) -> Result<TransactWriteItem> {
        let names = HashMap::from([("#version".to_string(), "version".to_string())]);
        let values = HashMap::from([(":expected".to_string(), n(expected))]);
        let condition = "#version = :expected";
        Ok(if check_only {
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name(&self.table)
                        .set_key(Some(key(case_pk(&case.reference), "STATE")))
                        .condition_expression(condition)
                        .set_expression_attribute_names(Some(names))
                        .set_expression_attribute_values(Some(values))
                        .build()
                        .map_err(err)?,
                )
                .build()
        } else {
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(case_item(case)?))
                        .condition_expression(condition)
                        .set_expression_attribute_names(Some(names))
                        .set_expression_attribute_values(Some(values))
                        .build()
                        .map_err(err)?,
                )
                .build()
        })
    }

    fn proposal_check_or_put(
        &self,
        expected: Option<ProposalState>,
        proposal: &Proposal,
        check_only: bool,
    ) -> Result<TransactWriteItem> {
        let (condition, names, values) = match expected {
            None => ("attribute_not_exists(pk)", None, None),
            Some(state) => (
                "#state = :expected",
                Some(HashMap::from([("#state".to_string(), "state".to_string())])),
                Some(HashMap::from([(":expected".to_string(), s(state.code()))])),
            ),
        };
        Ok(if check_only {
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name(&self.table)
                        .set_key(Some(key(proposal_pk(&proposal.id), "PROPOSAL")))
                        .condition_expression(condition)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .build()
                        .map_err(err)?,
                )
                .build()
        } else {
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(proposal_item(proposal)?))
                        .condition_expression(condition)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .build()
                        .map_err(err)?,
                )
                .build()
        })
    }

    /// A closed case shortens the retention of its request.
    fn request_expiry(&self, case: &Case) -> Result<TransactWriteItem> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(case_pk(&case.reference), "REQUEST")))
            .update_expression("SET #expires = :expires")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#expires", TTL_ATTRIBUTE)
            .expression_attribute_values(":expires", n(case_expiry(case)))
            .build()
            .map_err(err)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    async fn apply_transition(&self, t: &Transition) -> Result<Applied> {
        #[derive(Clone, Copy, PartialEq)]
        enum Part {
            /// The case or a proposal: its condition failing is a conflict.
            Expected,
            Doctor {
                exact: bool,
            },
            Other,
        }
        let groups = group_doctor_ops(&t.doctors);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut plans = Vec::with_capacity(groups.len());
            for group in &groups {
                plans.push(if group.needs_read() {
                    let read = self.read_doctor(group.doctor).await?;
                    self.plan_from_read(group, read.as_ref())?
                } else {
                    self.plan_by_condition(group)?
                });
            }
            // No capacity by the values read: confirm that everything was as read at one instant.
            let check_only = plans.iter().any(|p| p.write.is_none());
            let mut items = Vec::new();
            let mut parts = Vec::new();
            if let Some((expected, case)) = &t.case {
                items.push(self.case_check_or_put(*expected, case, check_only)?);
                parts.push(Part::Expected);
                if !check_only && case.state == CaseState::Closed {
                    items.push(self.request_expiry(case)?);
                    parts.push(Part::Other);
                }
            }
            for (expected, proposal) in &t.proposals {
                items.push(self.proposal_check_or_put(*expected, proposal, check_only)?);
                parts.push(Part::Expected);
            }
            for plan in plans {
                let item = if check_only { plan.guard } else { plan.write };
                if let Some(item) = item {
                    items.push(item);
                    parts.push(Part::Doctor { exact: plan.exact });
                }
            }
            if !check_only {
                for mail in &t.mails {
                    items.push(self.put(mail_item(mail, t.at)?, Some("attribute_not_exists(pk)"))?);
                    parts.push(Part::Other);
                }
                for entry in &t.audit {
                    items.push(self.put(Self::audit_item(entry), None)?);
                    parts.push(Part::Other);
                }
            }
            let done = if check_only {
                Applied::NoCapacity
            } else {
                Applied::Done
            };
            if items.is_empty() {
                return Ok(done);
            }
            let cancelled = match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await
            {
                Ok(_) => return Ok(done),
                Err(e) => cancellation(e, "apply")?,
            };
            let codes = reason_codes(cancelled.cancellation_reasons());
            let failed = |wanted: &dyn Fn(Part) -> bool| {
                codes
                    .iter()
                    .zip(&parts)
                    .any(|(code, part)| *code == FAILED && wanted(*part))
            };
            if failed(&|p| p == Part::Expected) {
                return Ok(Applied::Conflict);
            }
            let retry = failed(&|p| p == Part::Doctor { exact: true })
                || codes.contains(&"TransactionConflict");
            if retry && attempt < CONFLICT_ATTEMPTS {
                backoff(attempt).await;
                continue;
            }
            if failed(&|p| p == Part::Doctor { exact: false }) {
                return Ok(Applied::NoCapacity);
            }
            return Err(StoreError(format!(
                "transition cancelled: {} ({})",
                codes.join(", "),
                cancelled.message().unwrap_or_default()
            )));
        }
    }

    /// Every item of a list: `pk_value` in the index `index`, or in the table when `None`.
    async fn query_all(&self, index: Option<&str>, pk_value: String) -> Result<Vec<Item>> {
        let (pk_name, consistent) = match index {
            Some(GSI1) => ("gsi1pk", false),
            Some(GSI2) => ("gsi2pk", false),
            _ => (PK, true),
        };
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(str::to_string))
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_values(":pk", s(pk_value))
            .set_consistent_read(consistent.then_some(true));
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = query
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_err("query"))?;
            items.extend(page.items().iter().cloned());
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    async fn get_record<T: serde::de::DeserializeOwned>(
        &self,
        pk: String,
        sk: &str,
    ) -> Result<Option<T>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_err("read item"))?;
        output
            .item()
            .map(|i| from_json(get_s(i, "record")?))
            .transpose()
    }

    async fn list_cases(
        &self,
        states: Vec<CaseState>,
        cpts: Option<Option<String>>,
    ) -> Result<Vec<Case>> {
        let mut cases: Vec<Case> = Vec::new();
        for state in states {
            let (list, by_cpts) = case_lists(state, cpts.clone().flatten().as_deref());
            let items = match cpts {
                None => self.query_all(Some(GSI1), list).await?,
                Some(_) => self.query_all(Some(GSI2), by_cpts).await?,
            };
            for item in &items {
                cases.push(from_json(get_s(item, "record")?)?);
            }
        }
        cases.sort_by(|a, b| (a.created_at, &a.reference).cmp(&(b.created_at, &b.reference)));
        Ok(cases)
    }

    async fn list_open_proposals(&self) -> Result<Vec<Proposal>> {
        let items = self.query_all(Some(GSI1), PROPOSALS_OPEN.into()).await?;
        items
            .iter()
            .map(|item| from_json(get_s(item, "record")?))
            .collect()
    }

    async fn list_doctor_loads(&self, period: i32) -> Result<Vec<DoctorLoad>> {
        let items = self.query_all(Some(GSI1), DOCTORS.into()).await?;
        let optional = |item: &Item, name: &str| -> Result<Option<i64>> {
            match item.get(name) {
                None => Ok(None),
                Some(_) => get_n(item, name).map(Some),
            }
        };
        items
            .iter()
            .map(|item| {
                Ok(DoctorLoad {
                    doctor: get_s(item, "doctor")?.to_string(),
                    period,
                    load: optional(item, &load_attribute(period))?.unwrap_or(0) as u32,
                    accepted: optional(item, &accepted_attribute(period))?.unwrap_or(0) as u32,
                    last_solicited_at: optional(item, "last_solicited_at")?,
                    paused_until: match item.get("paused_until") {
                        None => None,
                        Some(_) => Some(get_s(item, "paused_until")?.parse().map_err(err)?),
                    },
                })
            })
            .collect()
    }
}

impl Store for DynamoStore {
    fn register(
        &self,
        opening: &Opening,
        nonce: &str,
        limits: &[RateLimit],
    ) -> impl Future<Output = Result<Registered>> + Send {
        self.register_once(opening, nonce, limits)
    }

    fn request(&self, reference: &str) -> impl Future<Output = Result<Option<Request>>> + Send {
        let get = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(case_pk(reference), "REQUEST")))
            .consistent_read(true);
        async move {
            let output = get.send().await.map_err(sdk_err("read request"))?;
            output
                .item()
                .map(|i| from_json(get_s(i, "record")?))
                .transpose()
        }
    }

    fn due_mails(
        &self,
        now: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<PendingMail>>> + Send {
        // Every key of a mail due at `now` starts with `ordered(now)#` or a smaller number; `$`
        // sorts right after `#`.
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("gsi1pk = :pending AND gsi1sk < :bound")
            .expression_attribute_values(":pending", s(MAILS_PENDING))
            .expression_attribute_values(":bound", s(format!("{}$", ordered(now))));
        async move {
            let mut mails = Vec::new();
            let mut start = None;
            while mails.len() < limit {
                let page = query
                    .clone()
                    .limit(i32::try_from(limit - mails.len()).unwrap_or(i32::MAX))
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(sdk_err("list due mails"))?;
                for item in page.items() {
                    mails.push(PendingMail {
                        mail: from_json(get_s(item, "mail")?)?,
                        attempts: get_n(item, "attempts")?,
                        next_attempt_at: get_n(item, "next_attempt_at")?,
                    });
                }
                start = page.last_evaluated_key().cloned();
                if start.is_none() {
                    break;
                }
            }
            mails.truncate(limit);
            Ok(mails)
        }
    }

    fn claim_mail(
        &self,
        id: &str,
        seen: i64,
        until: i64,
    ) -> impl Future<Output = Result<bool>> + Send {
        let id = id.to_string();
        let client = self.client.clone();
        let table = self.table.clone();
        async move {
            let Some(created_at) = mail_created_at(&client, &table, &id).await? else {
                return Ok(false);
            };
            let sk = pending_mail_sk(until, created_at, &id);
            let claimed = client
                .update_item()
                .table_name(&table)
                .set_key(Some(key(mail_pk(&id), "MAIL")))
                .update_expression("SET next_attempt_at = :until, gsi1sk = :sk")
                .condition_expression(
                    "attribute_exists(pk) AND attribute_not_exists(sent_at) AND next_attempt_at = :seen",
                )
                .expression_attribute_values(":until", n(until))
                .expression_attribute_values(":seen", n(seen))
                .expression_attribute_values(":sk", s(sk))
                .send()
                .await;
            match claimed {
                Ok(_) => Ok(true),
                // Sent, or taken by another sender meanwhile.
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                {
                    Ok(false)
                }
                Err(e) => Err(sdk_err("claim mail")(e)),
            }
        }
    }

    fn mails_sent(&self, ids: &[String], now: i64) -> impl Future<Output = Result<()>> + Send {
        let updates: Vec<_> = ids
            .iter()
            .map(|id| {
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key(mail_pk(id), "MAIL")))
                    .update_expression(
                        "SET sent_at = :now, #expires = :expires REMOVE gsi1pk, gsi1sk",
                    )
                    .condition_expression("attribute_exists(pk)")
                    .expression_attribute_names("#expires", TTL_ATTRIBUTE)
                    .expression_attribute_values(":now", n(now))
                    .expression_attribute_values(":expires", n(now + SENT_MAIL_RETENTION))
            })
            .collect();
        async move {
            let mut running = tokio::task::JoinSet::new();
            for update in updates {
                running.spawn(update.send());
            }
            while let Some(done) = running.join_next().await {
                match done.map_err(err)? {
                    Ok(_) => {}
                    // An unknown id changes nothing, as with SQLite.
                    Err(e)
                        if e.as_service_error()
                            .is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
                    Err(e) => return Err(sdk_err("mark mail sent")(e)),
                }
            }
            Ok(())
        }
    }

    fn mail_failed(&self, id: &str, retry_at: i64) -> impl Future<Output = Result<()>> + Send {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(mail_pk(id), "MAIL")))
            .update_expression("ADD attempts :one SET next_attempt_at = :retry, gsi1sk = :sk")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(sent_at)")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":retry", n(retry_at))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let id = id.to_string();
        let client = self.client.clone();
        let table = self.table.clone();
        async move {
            let Some(created_at) = mail_created_at(&client, &table, &id).await? else {
                return Ok(());
            };
            let sk = pending_mail_sk(retry_at, created_at, &id);
            match update
                .expression_attribute_values(":sk", s(sk))
                .send()
                .await
            {
                Ok(_) => Ok(()),
                // Already sent (a late failure report) or unknown: nothing changes.
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                {
                    Ok(())
                }
                Err(e) => Err(sdk_err("record failed mail")(e)),
            }
        }
    }

    fn pending_mail_count(&self) -> impl Future<Output = Result<usize>> + Send {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("gsi1pk = :pending")
            .expression_attribute_values(":pending", s(MAILS_PENDING))
            .select(Select::Count);
        async move {
            let mut count = 0;
            let mut start = None;
            loop {
                let page = query
                    .clone()
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(sdk_err("count pending mails"))?;
                count += usize::try_from(page.count()).unwrap_or(0);
                start = page.last_evaluated_key().cloned();
                if start.is_none() {
                    return Ok(count);
                }
            }
        }
    }

    fn apply(&self, transition: &Transition) -> impl Future<Output = Result<Applied>> + Send {
        self.apply_transition(transition)
    }

    fn case(&self, reference: &str) -> impl Future<Output = Result<Option<Case>>> + Send {
        self.get_record(case_pk(reference), "STATE")
    }

    fn cases(
        &self,
        states: &[CaseState],
        cpts: Option<Option<&str>>,
    ) -> impl Future<Output = Result<Vec<Case>>> + Send {
        let mut states = states.to_vec();
        states.sort_by_key(|s| s.code());
        states.dedup();
        self.list_cases(states, cpts.map(|c| c.map(str::to_string)))
    }

    fn proposal(&self, id: &str) -> impl Future<Output = Result<Option<Proposal>>> + Send {
        self.get_record(proposal_pk(id), "PROPOSAL")
    }

    fn open_proposals(&self) -> impl Future<Output = Result<Vec<Proposal>>> + Send {
        self.list_open_proposals()
    }

    fn doctor_loads(&self, period: i32) -> impl Future<Output = Result<Vec<DoctorLoad>>> + Send {
        self.list_doctor_loads(period)
    }

    fn audit(&self, entry: &AuditEntry) -> impl Future<Output = Result<()>> + Send {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::audit_item(entry)));
        async move {
            put.send().await.map_err(sdk_err("write audit entry"))?;
            Ok(())
        }
    }

    fn audit_trail(&self, object: &str) -> impl Future<Output = Result<Vec<AuditEntry>>> + Send {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(audit_pk(object)))
            .consistent_read(true);
        async move {
            let mut trail = Vec::new();
            let mut start = None;
            loop {
                let page = query
                    .clone()
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(sdk_err("read audit trail"))?;
                for item in page.items() {
                    trail.push(AuditEntry {
                        at: get_n(item, "at")?,
                        actor: get_s(item, "actor")?.to_string(),
                        action: get_s(item, "action")?.to_string(),
                        object: get_s(item, "object")?.to_string(),
                    });
                }
                start = page.last_evaluated_key().cloned();
                if start.is_none() {
                    return Ok(trail);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_numbers_sort_as_text() {
        let values = [i64::MIN, -5, -1, 0, 1, 9, 10, 1_700_000_000, i64::MAX];
        let texts: Vec<String> = values.iter().map(|v| ordered(*v)).collect();
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(texts, sorted);
        assert!(texts.iter().all(|t| t.len() == 20));
    }

    #[test]
    fn limits_on_one_counter_are_merged() {
        let l = |key: &str, window, limit| RateLimit {
            key: key.into(),
            window,
            limit,
        };
        let limits = [l("a", 1, 5), l("b", 1, 2), l("a", 1, 3), l("a", 2, 1)];
        let merged = merge_limits(&limits);
        let summary: Vec<_> = merged
            .iter()
            .map(|c| (c.key, c.window, c.count, c.bound))
            .collect();
        // a/1: old + 1 <= 5 and old + 2 <= 3, so old < 2.
        assert_eq!(summary, [("a", 1, 2, 2), ("b", 1, 1, 2), ("a", 2, 1, 1)]);
    }

    #[test]
    fn the_insertion_clock_always_moves_forward() {
        let a = insertion_clock();
        let b = insertion_clock();
        assert!(b > a);
    }
}
