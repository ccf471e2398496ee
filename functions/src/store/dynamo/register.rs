//! [`Store::register`](crate::store::Store::register) on DynamoDB: one `TransactWriteItems` with
//! the nonce, the rate counters, the request, its case, its mail and its audit entry, and the
//! reading of its cancellation (a duplicate, a limit, or a real failure).

use aws_sdk_dynamodb::types::{
    Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

use super::attrs::{build_err, get_s, n, sdk_err};
use super::items::{audit_item, case_item, mail_item, nonce_item, request_item, search_item};
use super::schema::{RATE_RETENTION, TTL_ATTRIBUTE, key, nonce_pk, rate_pk};
use super::table::Table;
use super::transact::{CONFLICT, CONFLICT_ATTEMPTS, FAILED, backoff, cancellation, reason_codes};
use crate::domain::lifecycle::Opening;
use crate::domain::search::SearchKeys;
use crate::store::{RateLimit, Registered, Result, StoreError};

/// Rate limits on the same counter (key and window), merged into one update: DynamoDB forbids two
/// operations on one item in a transaction. Adding `count` must keep, for the j-th of the merged
/// limits, `old + j <= limit_j`, that is `old < bound` with `bound = min(limit_j - j + 1)`.
pub(super) struct Counter<'a> {
    key: &'a str,
    window: i64,
    count: i64,
    bound: i64,
}

pub(super) fn merge_limits(limits: &[RateLimit]) -> Vec<Counter<'_>> {
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

impl Table {
    /// The transaction item that counts `c` at `now`, under the condition that it stays within
    /// its bound.
    pub(super) fn count(&self, c: &Counter<'_>, now: i64) -> Result<TransactWriteItem> {
        // When absent, the counter starts at 0: allowed if 0 < bound.
        let condition = if c.bound > 0 {
            "attribute_not_exists(#count) OR #count < :bound"
        } else {
            "#count < :bound"
        };
        let update = Update::builder()
            .table_name(&self.name)
            .set_key(Some(key(rate_pk(c.key, c.window), "RATE")))
            .update_expression("ADD #count :add SET #expires = :expires")
            .condition_expression(condition)
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#expires", TTL_ATTRIBUTE)
            .expression_attribute_values(":add", n(c.count))
            .expression_attribute_values(":bound", n(c.bound))
            .expression_attribute_values(":expires", n(now + RATE_RETENTION))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// The reference first registered with `nonce`, read consistently.
    async fn nonce_reference(&self, nonce: &str) -> Result<Option<String>> {
        let item = self
            .client
            .get_item()
            .table_name(&self.name)
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
        let mut items = Vec::with_capacity(counters.len() + 6);
        let nonce_put = Put::builder()
            .table_name(&self.name)
            .set_item(Some(nonce_item(nonce, &request.reference, now)))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_err)?;
        items.push(TransactWriteItem::builder().put(nonce_put).build());
        for c in counters {
            items.push(self.count(c, now)?);
        }
        let new = Some("attribute_not_exists(pk)");
        items.push(self.put(request_item(request)?, new)?);
        items.push(self.put(case_item(&opening.case)?, new)?);
        items.push(self.put(search_item(&SearchKeys::of(request)), new)?);
        items.push(self.put(mail_item(&opening.mail, now)?, new)?);
        items.push(self.put(audit_item(&opening.audit), None)?);
        Ok(items)
    }

    pub(super) async fn register(
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
                    None => Err(StoreError::Corrupt {
                        what: "jeton de formulaire".into(),
                        detail: "sa condition a échoué mais il est absent".into(),
                    }),
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
                return Err(StoreError::AlreadyExists {
                    what: format!(
                        "la demande {} ou le courriel {}",
                        request.reference, mail.id
                    ),
                });
            }
            if codes.contains(&CONFLICT) && attempt < CONFLICT_ATTEMPTS {
                backoff(attempt).await;
                continue;
            }
            return Err(StoreError::Cancelled {
                operation: "register",
                reasons: codes.iter().map(|c| c.to_string()).collect(),
                message: cancelled.message().unwrap_or_default().to_string(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
