//! Doctors' offers to join on DynamoDB: one item each in the partition `JOIN` (sort key: the
//! offer's id), so that one consistent query reads them all; `pending` is 1 until a coordinator
//! decides, and a decision is written only while it is.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use super::attrs::{Item, build_err, n, record, s, to_json};
use super::declarations::declaration_item;
use super::items::{audit_item, mail_item};
use super::register::merge_limits;
use super::schema::{JOIN_OFFERS, TTL_ATTRIBUTE, key};
use super::table::Table;
use crate::domain::joining::JoinOffer;
use crate::domain::lifecycle::{AuditEntry, Mail};
use crate::store::{Joined, RateLimit, Registered, Result};

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

impl Table {
    pub(super) async fn offer_to_join(
        &self,
        offer: &JoinOffer,
        mail: &Mail,
        audit: &AuditEntry,
        limits: &[RateLimit],
    ) -> Result<Registered> {
        let counters = merge_limits(limits);
        let sent = self
            .transact("offer to join", || {
                let mut items =
                    vec![self.put(offer_item(offer)?, Some("attribute_not_exists(pk)"))?];
                for c in &counters {
                    items.push(self.count(c, offer.offered_at)?);
                }
                items.push(self.put(
                    mail_item(mail, offer.offered_at)?,
                    Some("attribute_not_exists(pk)"),
                )?);
                items.push(self.put(audit_item(audit), None)?);
                Ok(items)
            })
            .await?;
        match sent {
            Ok(()) => Ok(Registered::New),
            Err(refused) if refused.failed(0) => Ok(Registered::Duplicate(offer.id.clone())),
            Err(refused) if refused.failed_in(1..1 + counters.len()) => Ok(Registered::Limited),
            Err(refused) => Err(refused.into_error()),
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
        joined: Option<&Joined<'_>>,
    ) -> Result<bool> {
        let sent = self
            .transact("decide join offer", || {
                let put = Put::builder()
                    .table_name(&self.name)
                    .set_item(Some(offer_item(decided)?))
                    .condition_expression("pending = :one")
                    .expression_attribute_values(":one", n(1))
                    .build()
                    .map_err(build_err)?;
                let mut items = vec![
                    TransactWriteItem::builder().put(put).build(),
                    self.put(audit_item(audit), None)?,
                ];
                if let Some(joined) = joined {
                    items.extend([
                        self.put(declaration_item(joined.declaration)?, None)?,
                        self.count_declaration()?,
                        self.put(audit_item(joined.declared), None)?,
                        self.put(
                            mail_item(joined.welcome, audit.at)?,
                            Some("attribute_not_exists(pk)"),
                        )?,
                    ]);
                }
                Ok(items)
            })
            .await?;
        match sent {
            Ok(()) => Ok(true),
            // Decided meanwhile, or no such offer.
            Err(refused) if refused.failed(0) => Ok(false),
            Err(refused) => Err(refused.into_error()),
        }
    }
}
