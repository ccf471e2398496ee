//! Doctors' own declarations on DynamoDB: one item each in the partition `DECLARATION` (sort
//! key: the doctor's id), so that one consistent query reads them all, and a stamp item counting
//! the changes, updated in the same transaction as each declaration. The requests to confirm a
//! stale declaration live the same way in the partition `CONFIRMATION`, each replaced under the
//! condition that it is still the one the jobs read.

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use super::attrs::{Item, build_err, get_optional_n, n, record, s, sdk_err, to_json};
use super::items::{audit_item, mail_item};
use super::schema::{CONFIRMATIONS, DECLARATIONS, DECLARATIONS_STAMP, key};
use super::table::Table;
use super::transact::{CONFLICT, CONFLICT_ATTEMPTS, FAILED, backoff, cancellation, reason_codes};
use crate::domain::declarations::{ConfirmationAsk, Declaration, Declarations};
use crate::domain::lifecycle::{AuditEntry, Mail};
use crate::store::{Result, StoreError};

fn declaration_item(declaration: &Declaration) -> Result<Item> {
    let mut item = key(DECLARATIONS.to_string(), &declaration.doctor);
    item.extend([
        ("record".into(), s(to_json(declaration)?)),
        ("declared_at".into(), n(declaration.declared_at)),
    ]);
    Ok(item)
}

fn ask_item(ask: &ConfirmationAsk) -> Result<Item> {
    let mut item = key(CONFIRMATIONS.to_string(), &ask.doctor);
    item.insert("record".into(), s(to_json(ask)?));
    Ok(item)
}

impl Table {
    fn count_declaration(&self) -> Result<TransactWriteItem> {
        let update = Update::builder()
            .table_name(&self.name)
            .set_key(Some(key(
                DECLARATIONS_STAMP.to_string(),
                DECLARATIONS_STAMP,
            )))
            .update_expression("ADD stamp :one")
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    pub(super) async fn declare(
        &self,
        declaration: &Declaration,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let items = vec![
                self.put(declaration_item(declaration)?, None)?,
                self.count_declaration()?,
                self.put(audit_item(audit), None)?,
            ];
            let cancelled = match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) => cancellation(e, "declare")?,
            };
            let codes = reason_codes(cancelled.cancellation_reasons());
            if codes.contains(&CONFLICT) && attempt < CONFLICT_ATTEMPTS {
                backoff(attempt).await;
                continue;
            }
            return Err(StoreError::Cancelled {
                operation: "declare",
                reasons: codes.iter().map(|c| c.to_string()).collect(),
                message: cancelled.message().unwrap_or_default().to_string(),
            });
        }
    }

    pub(super) async fn declarations(&self) -> Result<Declarations> {
        let stamp = self.declarations_stamp().await?;
        let list = self
            .query_all(None, DECLARATIONS.to_string())
            .await?
            .iter()
            .map(record)
            .collect::<Result<Vec<Declaration>>>()?;
        Ok(Declarations { stamp, list })
    }

    pub(super) async fn declarations_stamp(&self) -> Result<u64> {
        let output = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key(
                DECLARATIONS_STAMP.to_string(),
                DECLARATIONS_STAMP,
            )))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_err("read declarations stamp"))?;
        Ok(match output.item() {
            Some(item) => get_optional_n(item, "stamp")?.unwrap_or(0) as u64,
            None => 0,
        })
    }

    pub(super) async fn confirmation_asks(&self) -> Result<Vec<ConfirmationAsk>> {
        self.query_all(None, CONFIRMATIONS.to_string())
            .await?
            .iter()
            .map(record)
            .collect()
    }

    pub(super) async fn ask_confirmation(
        &self,
        ask: &ConfirmationAsk,
        expected: Option<&ConfirmationAsk>,
        mail: &Mail,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let condition = match expected {
                None => self.put(ask_item(ask)?, Some("attribute_not_exists(pk)"))?,
                Some(expected) => {
                    let mut put = self.put(ask_item(ask)?, Some("#record = :expected"))?;
                    if let Some(p) = put.put.as_mut() {
                        p.expression_attribute_names =
                            Some([("#record".to_string(), "record".to_string())].into());
                        p.expression_attribute_values =
                            Some([(":expected".to_string(), s(to_json(expected)?))].into());
                    }
                    put
                }
            };
            let items = vec![
                condition,
                self.put(mail_item(mail, audit.at)?, Some("attribute_not_exists(pk)"))?,
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
                Err(e) => cancellation(e, "ask confirmation")?,
            };
            let codes = reason_codes(cancelled.cancellation_reasons());
            if codes.first() == Some(&FAILED) {
                return Ok(false);
            }
            if codes.contains(&CONFLICT) && attempt < CONFLICT_ATTEMPTS {
                backoff(attempt).await;
                continue;
            }
            return Err(StoreError::Cancelled {
                operation: "ask confirmation",
                reasons: codes.iter().map(|c| c.to_string()).collect(),
                message: cancelled.message().unwrap_or_default().to_string(),
            });
        }
    }
}
