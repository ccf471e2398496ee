//! The pending mails on DynamoDB: the due ones read from the `MAIL#PENDING` list of `gsi1`, a
//! mail claimed by one sender, marked sent (it leaves the list and expires) or failed (its next
//! attempt moves), and the count of what still waits.

use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, Select};

use super::attrs::{get_n, n, ordered, s, sdk_err};
use super::items::pending_mail;
use super::schema::{
    GSI1, MAILS_PENDING, SENT_MAIL_RETENTION, TTL_ATTRIBUTE, key, mail_pk, pending_mail_sk,
};
use super::table::Table;
use crate::store::{PendingMail, Result, StoreError};

impl Table {
    /// When mail `id` was queued (`None`: no such mail). The pending-mail index key repeats it, so
    /// a change of the next attempt reads it first; it never changes.
    async fn mail_created_at(&self, id: &str) -> Result<Option<i64>> {
        let item = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key(mail_pk(id), "MAIL")))
            .projection_expression("created_at")
            .send()
            .await
            .map_err(sdk_err("read mail"))?;
        item.item()
            .map(|i| get_n::<i64>(i, "created_at"))
            .transpose()
    }

    pub(super) async fn due_mails(&self, now: i64, limit: usize) -> Result<Vec<PendingMail>> {
        // Every key of a mail due at `now` starts with `ordered(now)#` or a smaller number; `$`
        // sorts right after `#`.
        let query = self
            .client
            .query()
            .table_name(&self.name)
            .index_name(GSI1)
            .key_condition_expression("gsi1pk = :pending AND gsi1sk < :bound")
            .expression_attribute_values(":pending", s(MAILS_PENDING))
            .expression_attribute_values(":bound", s(format!("{}$", ordered(now))));
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
                mails.push(pending_mail(item)?);
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        mails.truncate(limit);
        Ok(mails)
    }

    pub(super) async fn claim_mail(&self, id: &str, seen: i64, until: i64) -> Result<bool> {
        let Some(created_at) = self.mail_created_at(id).await? else {
            return Ok(false);
        };
        let sk = pending_mail_sk(until, created_at, id);
        let claimed = self
            .client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(key(mail_pk(id), "MAIL")))
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

    pub(super) async fn mails_sent(&self, ids: &[String], now: i64) -> Result<()> {
        let mut running = tokio::task::JoinSet::new();
        for id in ids {
            let update = self
                .client
                .update_item()
                .table_name(&self.name)
                .set_key(Some(key(mail_pk(id), "MAIL")))
                .update_expression("SET sent_at = :now, #expires = :expires REMOVE gsi1pk, gsi1sk")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_names("#expires", TTL_ATTRIBUTE)
                .expression_attribute_values(":now", n(now))
                .expression_attribute_values(":expires", n(now + SENT_MAIL_RETENTION));
            running.spawn(update.send());
        }
        while let Some(done) = running.join_next().await {
            match done.map_err(|e| StoreError::dynamo("mark mail sent", e.to_string()))? {
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

    pub(super) async fn mail_failed(&self, id: &str, retry_at: i64) -> Result<()> {
        let Some(created_at) = self.mail_created_at(id).await? else {
            return Ok(());
        };
        let sk = pending_mail_sk(retry_at, created_at, id);
        let failed = self
            .client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(key(mail_pk(id), "MAIL")))
            .update_expression("ADD attempts :one SET next_attempt_at = :retry, gsi1sk = :sk")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(sent_at)")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":retry", n(retry_at))
            .expression_attribute_values(":sk", s(sk))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match failed {
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

    pub(super) async fn pending_mail_count(&self) -> Result<usize> {
        let query = self
            .client
            .query()
            .table_name(&self.name)
            .index_name(GSI1)
            .key_condition_expression("gsi1pk = :pending")
            .expression_attribute_values(":pending", s(MAILS_PENDING))
            .select(Select::Count);
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
