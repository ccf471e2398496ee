//! Doctors' own declarations on DynamoDB: one item each in the partition `DECLARATION` (sort
//! key: the doctor's id), so that one consistent query reads them all, and a stamp item counting
//! the changes, updated in the same transaction as each declaration. The requests to confirm a
//! stale declaration live the same way in the partition `CONFIRMATION`, each replaced under the
//! condition that it is still the one the jobs read.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};

use super::attrs::{Item, build_err, get_optional_n, n, record, s, sdk_err, to_json};
use super::items::{audit_item, mail_item};
use super::schema::{CONFIRMATIONS, DECLARATIONS, DECLARATIONS_STAMP, key};
use super::table::Table;
use super::transact::Refused;
use crate::domain::declarations::{ConfirmationAsk, Declaration, Declarations};
use crate::domain::lifecycle::{AuditEntry, Mail};
use crate::store::Result;

pub(super) fn declaration_item(declaration: &Declaration) -> Result<Item> {
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
    /// A transaction item that counts one more change of the declarations.
    pub(super) fn count_declaration(&self) -> Result<TransactWriteItem> {
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
        self.transact("declare", || {
            Ok(vec![
                self.put(declaration_item(declaration)?, None)?,
                self.count_declaration()?,
                self.put(audit_item(audit), None)?,
            ])
        })
        .await?
        .map_err(Refused::into_error)
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
        let sent = self
            .transact("ask confirmation", || {
                let ask = match expected {
                    None => self.put(ask_item(ask)?, Some("attribute_not_exists(pk)"))?,
                    Some(expected) => self.put_if_record(ask_item(ask)?, &to_json(expected)?)?,
                };
                Ok(vec![
                    ask,
                    self.put(mail_item(mail, audit.at)?, Some("attribute_not_exists(pk)"))?,
                    self.put(audit_item(audit), None)?,
                ])
            })
            .await?;
        match sent {
            Ok(()) => Ok(true),
            // Another run of the jobs changed the request first.
            Err(refused) if refused.failed(0) => Ok(false),
            Err(refused) => Err(refused.into_error()),
        }
    }

    /// A transaction item that writes `item` whole if the stored one's `record` is still
    /// `expected`.
    fn put_if_record(&self, item: Item, expected: &str) -> Result<TransactWriteItem> {
        let put = Put::builder()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression("#record = :expected")
            .expression_attribute_names("#record", "record")
            .expression_attribute_values(":expected", s(expected))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}
