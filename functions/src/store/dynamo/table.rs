//! The handle every part of the store works through: the client and the table's name, with the
//! requests they all make (a conditional put in a transaction, a read by key, a paged query).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use super::attrs::{Item, build_err, record, s, sdk_err};
use super::schema::{GSI1, GSI2, PK, key};
use crate::store::Result;

/// One DynamoDB table and the client that reaches it.
#[derive(Clone)]
pub(super) struct Table {
    pub(super) client: Client,
    pub(super) name: String,
}

impl Table {
    /// A transaction item that writes `item` whole, under `condition` when given.
    pub(super) fn put(&self, item: Item, condition: Option<&str>) -> Result<TransactWriteItem> {
        let put = Put::builder()
            .table_name(&self.name)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The JSON record of item (`pk`, `sk`), read consistently.
    pub(super) async fn get_record<T: serde::de::DeserializeOwned>(
        &self,
        pk: String,
        sk: &str,
        what: &'static str,
    ) -> Result<Option<T>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_err(what))?;
        output.item().map(record).transpose()
    }

    /// Every item of a list: `pk_value` in the index `index`, or in the table when `None`.
    pub(super) async fn query_all(
        &self,
        index: Option<&str>,
        pk_value: String,
    ) -> Result<Vec<Item>> {
        let (pk_name, consistent) = match index {
            Some(GSI1) => ("gsi1pk", false),
            Some(GSI2) => ("gsi2pk", false),
            _ => (PK, true),
        };
        let query = self
            .client
            .query()
            .table_name(&self.name)
            .set_index_name(index.map(str::to_string))
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_values(":pk", s(pk_value))
            .set_consistent_read(consistent.then_some(true));
        let mut items = Vec::new();
        each_item(query, "query", |item| {
            items.push(item.clone());
            Ok(true)
        })
        .await?;
        Ok(items)
    }
}

/// Runs `query` page after page and gives each item to `each`, until it answers false or the
/// pages end (`what` names the request in errors).
pub(super) async fn each_item(
    query: QueryFluentBuilder,
    what: &'static str,
    mut each: impl FnMut(&Item) -> Result<bool>,
) -> Result<()> {
    let mut start = None;
    loop {
        let page = query
            .clone()
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk_err(what))?;
        for item in page.items() {
            if !each(item)? {
                return Ok(());
            }
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return Ok(());
        }
    }
}
