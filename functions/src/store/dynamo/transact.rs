//! What the transactions share: telling a cancellation from another failure, reading its reasons
//! item by item, waiting before a retry, and [`Table::transact`], which does all of it for a
//! transaction whose refusals the caller reads item by item.

use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::CancellationReason;
use aws_sdk_dynamodb::types::error::TransactionCanceledException;

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::attrs::sdk_err;
use super::table::Table;
use crate::store::{Result, StoreError};

/// The reason code of an item whose condition did not hold.
pub(super) const FAILED: &str = "ConditionalCheckFailed";
/// The reason code of an item that a concurrent transaction was changing.
pub(super) const CONFLICT: &str = "TransactionConflict";
/// Attempts of a transaction cancelled by a conflict with a concurrent one.
pub(super) const CONFLICT_ATTEMPTS: u32 = 8;

/// Reason codes of a cancelled transaction, in the order of its items.
pub(super) fn reason_codes(reasons: &[CancellationReason]) -> Vec<&str> {
    reasons.iter().map(|r| r.code().unwrap_or("None")).collect()
}

/// Waits a little longer at each attempt, with jitter, before retrying a transaction.
pub(super) async fn backoff(attempt: u32) {
    let mut byte = [0u8; 1];
    let _ = getrandom::fill(&mut byte);
    let millis = (5u64 << attempt.min(8)) + u64::from(byte[0] % 32);
    tokio::time::sleep(Duration::from_millis(millis)).await;
}

/// The cancellation of a transaction, if that is how it failed.
pub(super) fn cancellation(
    e: SdkError<TransactWriteItemsError, HttpResponse>,
    what: &'static str,
) -> Result<TransactionCanceledException> {
    match e {
        SdkError::ServiceError(ref service) => match service.err() {
            TransactWriteItemsError::TransactionCanceledException(c) => Ok(c.clone()),
            _ => Err(sdk_err(what)(e)),
        },
        e => Err(sdk_err(what)(e)),
    }
}

/// A transaction refused because the condition of one of its items failed: the reason code of
/// each item, in their order.
pub(super) struct Refused {
    operation: &'static str,
    codes: Vec<String>,
    message: String,
}

impl Refused {
    /// Whether the condition of item `i` failed.
    pub(super) fn failed(&self, i: usize) -> bool {
        self.codes.get(i).is_some_and(|c| c == FAILED)
    }

    /// Whether the condition of an item in `items` failed.
    pub(super) fn failed_in(&self, items: std::ops::Range<usize>) -> bool {
        items.into_iter().any(|i| self.failed(i))
    }

    /// A refusal the caller did not expect (a condition that should always hold), as an error.
    pub(super) fn into_error(self) -> StoreError {
        StoreError::Cancelled {
            operation: self.operation,
            reasons: self.codes,
            message: self.message,
        }
    }
}

impl Table {
    /// Sends the transaction that `items` makes (made again at each attempt), retried while it
    /// is cancelled only by a conflict with a concurrent one. `Ok(Ok(()))` when written,
    /// `Ok(Err(refused))` when the condition of one of its items failed.
    pub(super) async fn transact(
        &self,
        operation: &'static str,
        mut items: impl FnMut() -> Result<Vec<TransactWriteItem>>,
    ) -> Result<std::result::Result<(), Refused>> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let cancelled = match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items()?))
                .send()
                .await
            {
                Ok(_) => return Ok(Ok(())),
                Err(e) => cancellation(e, operation)?,
            };
            let codes: Vec<String> = reason_codes(cancelled.cancellation_reasons())
                .into_iter()
                .map(str::to_string)
                .collect();
            let refused = Refused {
                operation,
                codes,
                message: cancelled.message().unwrap_or_default().to_string(),
            };
            if refused.codes.iter().any(|c| c == FAILED) {
                return Ok(Err(refused));
            }
            if refused.codes.iter().any(|c| c == CONFLICT) && attempt < CONFLICT_ATTEMPTS {
                backoff(attempt).await;
                continue;
            }
            return Err(refused.into_error());
        }
    }
}
