//! Doctors' offers to join on DynamoDB: one item each in the partition `JOIN` (sort key: the
//! offer's id), so that one consistent query reads them all; `pending` is 1 until a coordinator
//! decides, and a decision is written only while it is.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use super::attrs::{Item, build_err, n, record, s, to_json};
use super::items::{audit_item, mail_item};
use super::register::merge_limits;
use super::schema::{JOIN_OFFERS, TTL_ATTRIBUTE, key};
use super::table::Table;
use super::transact::{CONFLICT, CONFLICT_ATTEMPTS, FAILED, backoff, cancellation, reason_codes};
use crate::domain::joining::JoinOffer;
use crate::domain::lifecycle::{AuditEntry, Mail};
use crate::store::{RateLimit, Registered, Result, StoreError};

fn offer_item(offer: &JoinOffer) -> Result<Item> {
    let mut item = key(JOIN_OFFERS.to_string(), &offer.id);
    item.extend([
        ("record".into(), s(to_json(offer)?)),
        ("offered_at".into(), n(offer.offered_at)),
        ("pending".into(), n(i64::from(offer.is_pending()))),
    ]);
    if let Some(ends) = offer.ends_at() {
        item.insert(TTL_ATTRIBUTE.into(), n(ends));
    }
    Ok(item)
}

fn cancelled_error(operation: &'static str, codes: &[&str], message: Option<&str>) -> StoreError {
    StoreError::Cancelled {
        operation,
        reasons: codes.iter().map(|c| c.to_string()).collect(),
        message: message.unwrap_or_default().to_string(),
    }
}

impl Table {
    pub(super) async fn offer_to_join(
        &self,
        offer: &JoinOffer,
        mail: &Mail,
        audit: &AuditEntry,
        limits: &[RateLimit],
    ) -> Result<Registered> {
        let counters = merge_limits(limits);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut items = vec![self.put(offer_item(offer)?, Some("attribute_not_exists(pk)"))?];
            for c in &counters {
                items.push(self.count(c, offer.offered_at)?);
            }
            items.push(self.put(
                mail_item(mail, offer.offered_at)?,
                Some("attribute_not_exists(pk)"),
            )?);
            items.push(self.put(audit_item(audit), None)?);
            let cancelled = match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await
            {
                Ok(_) => return Ok(Registered::New),
                Err(e) => cancellation(e, "offer to join")?,
            };
            let codes = reason_codes(cancelled.cancellation_reasons());
            if codes.first() == Some(&FAILED) {
                return Ok(Registered::Duplicate(offer.id.clone()));
            }
            let counter_codes = codes.get(1..=counters.len()).unwrap_or_default();
            if counter_codes.contains(&FAILED) {
                return Ok(Registered::Limited);
            }
            if codes.contains(&CONFLICT) && attempt < CONFLICT_ATTEMPTS {
                backoff(attempt).await;
                continue;
            }
            return Err(cancelled_error(
                "offer to join",
                &codes,
                cancelled.message(),
            ));
        }
    }

    pub(super) async fn join_offer(&self, id: &str) -> Result<Option<JoinOffer>> {
        self.get_record(JOIN_OFFERS.to_string(), id, "read join offer")
            .await
    }

    pub(super) async fn join_offers(&self, cpts: Option<&str>) -> Result<Vec<JoinOffer>> {
        let mut offers = self
            .query_all(None, JOIN_OFFERS.to_string())
            .await?
            .iter()
            .map(record)
            .collect::<Result<Vec<JoinOffer>>>()?;
        offers.retain(|o| cpts.is_none() || o.cpts.as_deref() == cpts);
        offers.sort_by(|a, b| (a.offered_at, &a.id).cmp(&(b.offered_at, &b.id)));
        Ok(offers)
    }

    pub(super) async fn decide_join_offer(
        &self,
        decided: &JoinOffer,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let put = Put::builder()
                .table_name(&self.name)
                .set_item(Some(offer_item(decided)?))
                .condition_expression("pending = :one")
                .expression_attribute_values(":one", n(1))
                .build()
                .map_err(build_err)?;
            let items = vec![
                TransactWriteItem::builder().put(put).build(),
                self.put(audit_item(audit), None)?,
            ];
            let cancelled = match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await
            {
                Ok(_) => return Ok(true),
                Err(e) => cancellation(e, "decide join offer")?,
            };
            let codes = reason_codes(cancelled.cancellation_reasons());
            if codes.first() == Some(&FAILED) {
                return Ok(false);
            }
            if codes.contains(&CONFLICT) && attempt < CONFLICT_ATTEMPTS {
                backoff(attempt).await;
                continue;
            }
            return Err(cancelled_error(
                "decide join offer",
                &codes,
                cancelled.message(),
            ));
        }
    }
}
