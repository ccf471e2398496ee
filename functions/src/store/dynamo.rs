//! The Store on AWS: one DynamoDB table (on-demand, point-in-time recovery, TTL), the same
//! behaviour as [`SqliteStore`](super::SqliteStore), checked by the same contract suite on the
//! official DynamoDB Local engine (`functions/tests/store_contract_dynamodb.rs`).
//!
//! # Single-table design
//!
//! Every item has a partition key `pk` and a sort key `sk` (strings). Numbers that must sort as
//! strings are written with [`ordered`]: 20 digits, offset so that negative values sort first.
//!
//! | item              | `pk`                     | `sk`                 | other attributes |
//! |-------------------|--------------------------|----------------------|------------------|
//! | request           | `CASE#<reference>`       | `REQUEST`            | `record` (JSON of [`Request`]), `created_at`, `cpts`, `priority`, `expires_at` |
//! | form nonce        | `NONCE#<nonce>`          | `NONCE`              | `reference` (the first request sent with it), `expires_at` |
//! | rate counter      | `RATE#<key>#<window>`    | `RATE`               | `count`, `expires_at` |
//! | mail (outbox)     | `MAIL#<id>`              | `MAIL`               | `mail` (JSON of [`Mail`]), `created_at`, `attempts`, `next_attempt_at`, `sent_at`, `expires_at` once sent |
//! | audit entry       | `AUDIT#<object>`         | `<insertion clock>#<random>` | `at`, `actor`, `action`, `object`, `expires_at` |
//!
//! Planned for the proposals of issue #6, so that they fit without a new table:
//!
//! | item              | `pk`                     | `sk`                 | |
//! |-------------------|--------------------------|----------------------|-|
//! | case (mutable)    | `CASE#<reference>`       | `STATE`              | `state`, `version` (optimistic concurrency: every write is conditioned on the version it read) |
//! | proposal          | `PROPOSAL#<id>`          | `PROPOSAL`           | `state`, `reference`, `doctor`, `deadline`; written with `attribute_not_exists(pk)` or `#state = :expected` |
//! | doctor counters   | `DOCTOR#<id>`            | `DOCTOR`             | `load_<year>`, `accepted_<year>`, `last_solicited_at`, `paused_until`; capacity is consumed with `ADD accepted_<year> :one` under `attribute_not_exists(accepted_<year>) OR accepted_<year> < :capacity` (no arithmetic in conditions is needed) |
//!
//! A request and its case share a partition: one `Query` on `CASE#<reference>` reads both.
//!
//! # Secondary indexes (both sparse, projection ALL)
//!
//! * `gsi1` — work queues, read by the scheduled jobs (`gsi1pk` / `gsi1sk`):
//!   * pending mails: `MAIL#PENDING` / `<next_attempt_at>#<created_at>#<id>`; both attributes are
//!     removed when the mail is sent, so the index holds only what is still to send;
//!   * (planned) open proposals: `PROPOSAL#OPEN` / `<deadline>#<id>` (expiry job);
//!   * (planned) waiting cases: `CASE#WAITING` / `<priority>#<created_at>#<reference>` (re-examination).
//! * `gsi2` — per-CPTS views, read by the coordinator's overview (`gsi2pk` / `gsi2sk`):
//!   * (planned) cases: `CPTS#<cpts>` / `CASE#<state>#<created_at>#<reference>`;
//!   * (planned) proposals waiting for a coordinator: `CPTS#<cpts>` / `PROPOSAL#<state>#<created>#<id>`.
//!
//! Queue partitions are single keys (`MAIL#PENDING`): a CPTS produces a few hundred items a day,
//! far below one partition's limits (1,000 writes/s).
//!
//! Indexes are eventually consistent: a mail marked sent may still be listed as due for a moment
//! (well under a second), which the five-minute job schedule makes negligible. Reads by key
//! (`request`, the nonce of a duplicate, the audit trail) are strongly consistent.
//!
//! # Retention (TTL attribute `expires_at`, Unix seconds)
//!
//! DynamoDB deletes an item within a few days after its `expires_at`; reads do not filter them.
//!
//! * form nonces: [`NONCE_RETENTION`] (2 days) after the registration — a form token lives 4 hours,
//!   so a replay is recognised for more than a day after the token expired;
//! * rate counters: [`RATE_RETENTION`] (2 days) after their last increment; windows are at most a
//!   day long (an hour per address, a day per phone);
//! * requests: [`REQUEST_RETENTION`] (2 years) after registration — the longest a patient may wait
//!   without renewing his request; the closure of a case (issue #6) will shorten it;
//! * sent mails: [`SENT_MAIL_RETENTION`] (30 days) after sending (they hold no personal data);
//!   pending mails never expire: a mail not yet sent is never lost;
//! * audit entries: [`AUDIT_RETENTION`] (3 years): the trace of who did what outlives the data it
//!   traces. These periods are the data controller's decision (register of processing): change
//!   the constants, not the code.
//!
//! # Transactions
//!
//! [`Store::register`] is one `TransactWriteItems`: the nonce (must not exist), one update per
//! rate counter (`ADD count` if below its limit), the request, its mail and the audit entry. A
//! cancelled transaction is read reason by reason: a failed nonce condition is a duplicate (the
//! nonce item gives the first reference), a failed counter condition is a refusal; a
//! `TransactionConflict` (another registration touching the same counter at the same moment) is
//! retried. DynamoDB forbids two operations on one item in a transaction: limits on the same
//! counter are merged into one update.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, CancellationReason, GlobalSecondaryIndex,
    IndexStatus, KeySchemaElement, KeyType, Projection, ProjectionType, Put,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, Select, TableStatus,
    TimeToLiveSpecification, TransactWriteItem, Update,
};

use super::{
    AuditEntry, Mail, PendingMail, RateLimit, Registered, Request, Result, Store, StoreError,
};

const DAY: i64 = 86_400;
/// How long a form nonce is remembered after the registration that used it.
pub const NONCE_RETENTION: i64 = 2 * DAY;
/// How long a rate counter is kept after its last increment (windows are at most a day).
pub const RATE_RETENTION: i64 = 2 * DAY;
/// How long a request is kept after registration.
pub const REQUEST_RETENTION: i64 = 730 * DAY;
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
        request: &Request,
        nonce: &str,
        mail: &Mail,
        counters: &[Counter<'_>],
    ) -> Result<Vec<TransactWriteItem>> {
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
        let mut outbox = key(mail_pk(&mail.id), "MAIL");
        outbox.extend([
            ("mail".into(), s(to_json(mail)?)),
            ("created_at".into(), n(now)),
            ("attempts".into(), n(0)),
            ("next_attempt_at".into(), n(now)),
            ("gsi1pk".into(), s(MAILS_PENDING)),
            ("gsi1sk".into(), s(pending_mail_sk(now, now, &mail.id))),
        ]);
        items.push(self.put(outbox, Some("attribute_not_exists(pk)"))?);
        items.push(self.put(
            Self::audit_item(&AuditEntry {
                at: now,
                actor: "public".into(),
                action: "registered".into(),
                object: request.reference.clone(),
            }),
            None,
        )?);
        Ok(items)
    }

    async fn register_once(
        &self,
        request: &Request,
        nonce: &str,
        mail: &Mail,
        limits: &[RateLimit],
    ) -> Result<Registered> {
        let counters = merge_limits(limits);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let items = self.register_items(request, nonce, mail, &counters)?;
            let cancelled = match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await
            {
                Ok(_) => return Ok(Registered::New),
                Err(e) => match e {
                    SdkError::ServiceError(ref service) => match service.err() {
                        TransactWriteItemsError::TransactionCanceledException(c) => c.clone(),
                        _ => return Err(sdk_err("register")(e)),
                    },
                    e => return Err(sdk_err("register")(e)),
                },
            };
            let reasons = cancelled.cancellation_reasons();
            let codes = reason_codes(reasons);
            const FAILED: &str = "ConditionalCheckFailed";
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
                    "reference {} or mail {} already exists",
                    request.reference, mail.id
                )));
            }
            if codes.contains(&"TransactionConflict") && attempt < CONFLICT_ATTEMPTS {
                let jitter = u64::from(crate::signed::random_id(1).as_bytes()[0] % 16);
                tokio::time::sleep(Duration::from_millis((5 << attempt) + jitter)).await;
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

impl Store for DynamoStore {
    fn register(
        &self,
        request: &Request,
        nonce: &str,
        mail: &Mail,
        limits: &[RateLimit],
    ) -> impl Future<Output = Result<Registered>> + Send {
        self.register_once(request, nonce, mail, limits)
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
            // The index key repeats the creation time, read first (it never changes).
            let item = client
                .get_item()
                .table_name(&table)
                .set_key(Some(key(mail_pk(&id), "MAIL")))
                .projection_expression("created_at")
                .send()
                .await
                .map_err(sdk_err("read mail"))?;
            let Some(created_at) = item.item().map(|i| get_n::<i64>(i, "created_at")) else {
                return Ok(());
            };
            let sk = pending_mail_sk(retry_at, created_at?, &id);
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
