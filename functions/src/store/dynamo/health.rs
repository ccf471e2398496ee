//! The health check on DynamoDB: a probe item written and read back (it expires within the
//! hour), and the state of the pending-mail list of `gsi1`, read whole (it holds what is still
//! to send: a few items, or a few hundred when the mail provider is down).

use super::attrs::{Item, get_n, get_s, n, s, sdk_err};
use super::schema::{GSI1, MAILS_PENDING, TTL_ATTRIBUTE, key};
use super::table::{Table, each_item};
use crate::store::{GIVEN_UP, Health, Result, StoreError, Undelivered};

/// The probe item's key (`pk` and `sk`).
const HEALTH: &str = "HEALTH";

/// How long the probe item lives after a check.
const PROBE_LIFETIME: i64 = 3600;

impl Table {
    /// Every item of the pending-mail list, with `projection` (attribute names) only.
    async fn pending_mail_items(&self, projection: &str) -> Result<Vec<Item>> {
        let query = self
            .client
            .query()
            .table_name(&self.name)
            .index_name(GSI1)
            .key_condition_expression("gsi1pk = :pending")
            .expression_attribute_values(":pending", s(MAILS_PENDING))
            .projection_expression(projection);
        let mut items = Vec::new();
        each_item(query, "list pending mails", |item| {
            items.push(item.clone());
            Ok(true)
        })
        .await?;
        Ok(items)
    }

    pub(super) async fn health(&self, now: i64) -> Result<Health> {
        let mut probe = key(HEALTH.into(), HEALTH);
        probe.insert("checked_at".into(), n(now));
        probe.insert(TTL_ATTRIBUTE.into(), n(now + PROBE_LIFETIME));
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(probe))
            .send()
            .await
            .map_err(sdk_err("write health probe"))?;
        let read = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key(HEALTH.into(), HEALTH)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_err("read health probe"))?;
        if read.item().is_none() {
            return Err(StoreError::dynamo(
                "read health probe",
                "l'élément écrit est introuvable".to_string(),
            ));
        }
        let mut health = Health::default();
        for item in self
            .pending_mail_items("created_at, next_attempt_at")
            .await?
        {
            health.pending_mails += 1;
            if get_n::<i64>(&item, "next_attempt_at")? == GIVEN_UP {
                health.given_up_mails += 1;
            } else {
                let created_at = get_n::<i64>(&item, "created_at")?;
                health.oldest_pending_at = Some(
                    health
                        .oldest_pending_at
                        .map_or(created_at, |o| o.min(created_at)),
                );
            }
        }
        Ok(health)
    }

    pub(super) async fn undelivered_mails(&self, min_attempts: u32) -> Result<Vec<Undelivered>> {
        let mut found = Vec::new();
        for item in self
            .pending_mail_items("pk, created_at, attempts, next_attempt_at")
            .await?
        {
            let attempts: u32 = get_n(&item, "attempts")?;
            let given_up = get_n::<i64>(&item, "next_attempt_at")? == GIVEN_UP;
            if attempts < min_attempts && !given_up {
                continue;
            }
            let pk = get_s(&item, "pk")?;
            found.push(Undelivered {
                id: pk.strip_prefix("MAIL#").unwrap_or(pk).to_string(),
                created_at: get_n(&item, "created_at")?,
                attempts,
                given_up,
            });
        }
        found.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(found)
    }
}
