//! Staff sign-in on DynamoDB: single-use keys (a sign-in link's id, put once under
//! `attribute_not_exists`), the sign-in mail counted against its rate limits in one transaction,
//! and sessions (one item each, listed per staff member in `gsi1` to sign out everywhere).

use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};

use super::attrs::{Item, build_err, get_n, get_s, n, s, sdk_err};
use super::items::{audit_item, mail_item};
use super::register::merge_limits;
use super::schema::{GSI1, TTL_ATTRIBUTE, key, once_pk, session_pk, sessions_of};
use super::table::Table;
use super::transact::{CONFLICT_ATTEMPTS, backoff};
use crate::domain::lifecycle::{AuditEntry, Mail};
use crate::domain::staff::Session;
use crate::store::{RateLimit, Result, StoreError};

fn session_item(session: &Session) -> Item {
    let mut item = key(session_pk(&session.id_hash), "SESSION");
    item.extend([
        ("staff".into(), s(&session.staff)),
        ("created_at".into(), n(session.created_at)),
        (TTL_ATTRIBUTE.into(), n(session.expires_at)),
        ("agent_hash".into(), s(&session.agent_hash)),
        ("csrf".into(), s(&session.csrf)),
        ("gsi1pk".into(), s(sessions_of(&session.staff))),
        ("gsi1sk".into(), s(&session.id_hash)),
    ]);
    item
}

fn session_of(item: &Item, id_hash: &str) -> Result<Session> {
    Ok(Session {
        id_hash: id_hash.to_string(),
        staff: get_s(item, "staff")?.to_string(),
        created_at: get_n(item, "created_at")?,
        expires_at: get_n(item, TTL_ATTRIBUTE)?,
        agent_hash: get_s(item, "agent_hash")?.to_string(),
        csrf: get_s(item, "csrf")?.to_string(),
    })
}

impl Table {
    pub(super) async fn use_once(&self, key_value: &str, expires_at: i64) -> Result<bool> {
        let mut item = key(once_pk(key_value), "ONCE");
        item.insert(TTL_ATTRIBUTE.into(), n(expires_at));
        match self
            .client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(sdk_err("use once")(e)),
        }
    }

    pub(super) async fn queue_mail(
        &self,
        mail: &Mail,
        audit: &AuditEntry,
        limits: &[RateLimit],
        now: i64,
    ) -> Result<bool> {
        let counters = merge_limits(limits);
        let sent = self
            .transact("queue mail", || {
                let mut items = Vec::with_capacity(counters.len() + 2);
                for c in &counters {
                    items.push(self.count(c, now)?);
                }
                items.push(self.put(mail_item(mail, now)?, Some("attribute_not_exists(pk)"))?);
                items.push(self.put(audit_item(audit), None)?);
                Ok(items)
            })
            .await?;
        match sent {
            Ok(()) => Ok(true),
            Err(refused) if refused.failed_in(0..counters.len()) => Ok(false),
            Err(refused) if refused.failed(counters.len()) => Err(StoreError::AlreadyExists {
                what: format!("le courriel {}", mail.id),
            }),
            Err(refused) => Err(refused.into_error()),
        }
    }

    pub(super) async fn open_session(&self, session: &Session) -> Result<()> {
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(session_item(session)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(sdk_err("open session"))?;
        Ok(())
    }

    pub(super) async fn session(&self, id_hash: &str) -> Result<Option<Session>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key(session_pk(id_hash), "SESSION")))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_err("read session"))?;
        output.item().map(|i| session_of(i, id_hash)).transpose()
    }

    pub(super) async fn close_session(&self, id_hash: &str) -> Result<()> {
        self.client
            .delete_item()
            .table_name(&self.name)
            .set_key(Some(key(session_pk(id_hash), "SESSION")))
            .send()
            .await
            .map_err(sdk_err("close session"))?;
        Ok(())
    }

    pub(super) async fn close_sessions_of(&self, staff: &str) -> Result<usize> {
        let items = self.query_all(Some(GSI1), sessions_of(staff)).await?;
        let hashes: Vec<String> = items
            .iter()
            .map(|i| get_s(i, "gsi1sk").map(str::to_string))
            .collect::<Result<_>>()?;
        // BatchWriteItem takes 25 requests at a time; what it leaves unprocessed is sent again.
        for chunk in hashes.chunks(25) {
            let mut requests = chunk
                .iter()
                .map(|h| {
                    DeleteRequest::builder()
                        .set_key(Some(key(session_pk(h), "SESSION")))
                        .build()
                        .map(|d| WriteRequest::builder().delete_request(d).build())
                        .map_err(build_err)
                })
                .collect::<Result<Vec<_>>>()?;
            for attempt in 1..=CONFLICT_ATTEMPTS {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.name, requests)
                    .send()
                    .await
                    .map_err(sdk_err("close sessions"))?;
                requests = output
                    .unprocessed_items()
                    .and_then(|u| u.get(&self.name))
                    .cloned()
                    .unwrap_or_default();
                if requests.is_empty() {
                    break;
                }
                backoff(attempt).await;
            }
            if !requests.is_empty() {
                return Err(StoreError::dynamo(
                    "close sessions",
                    "des sessions n'ont pas pu être fermées".to_string(),
                ));
            }
        }
        Ok(hashes.len())
    }
}
