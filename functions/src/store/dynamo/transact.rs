//! What the two transactions (registration and transition) share: telling a cancellation from
//! another failure, reading its reasons item by item, and waiting before a retry.

use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::CancellationReason;
use aws_sdk_dynamodb::types::error::TransactionCanceledException;

use super::attrs::sdk_err;
use crate::store::Result;

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
