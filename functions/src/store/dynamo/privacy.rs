//! [`Store::correct`](crate::store::Store::correct) and [`Store::erase`](crate::store::Store::erase)
//! on DynamoDB: the transition's transaction with the request rewritten (corrected, or replaced by
//! its [`Erased`] tombstone, `erased_at` set) under the condition that it exists and is not
//! erased, and the deletions: the request's timeline items and the mails addressed to the person.
//!
//! Mails have no index by address: they are found by a scan of the `MAIL#` items (an erasure is
//! rare). One transaction holds at most 100 items: deletions that do not fit follow it at once.

use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};

use super::attrs::{Item, build_err, n, record, s, sdk_err, to_json};
use super::items::{case_expiry, search_item};
use super::schema::{PK, SK, TTL_ATTRIBUTE, case_pk, key, search_key};
use super::table::{Table, each_item};
use crate::domain::lifecycle::{Case, Correction, Erased, Erasure, Request, Transition};
use crate::domain::search::SearchKeys;
use crate::store::{Applied, Result};

/// Items of one `TransactWriteItems`, at most.
const TRANSACTION_ITEMS: usize = 100;

/// The attribute set on an erased request's item.
pub(super) const ERASED_AT: &str = "erased_at";

/// The condition on the request's item: it exists and is not erased.
const NOT_ERASED: &str = "attribute_exists(pk) AND attribute_not_exists(erased_at)";

/// What the request's item holds once rewritten.
struct Rewrite<'a> {
    reference: &'a str,
    record: String,
    created_at: i64,
    cpts: Option<&'a str>,
    priority: u8,
    erased_at: Option<i64>,
}

impl Table {
    fn delete(&self, key: Item) -> Result<TransactWriteItem> {
        let delete = Delete::builder()
            .table_name(&self.name)
            .set_key(Some(key))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// The keys of the request's timeline items, read consistently.
    pub(super) async fn timeline_keys(&self, reference: &str) -> Result<Vec<Item>> {
        let query = self
            .timeline_query(reference)
            .projection_expression("#pk, #sk");
        let mut keys = Vec::new();
        each_item(query, "read timeline keys", |item| {
            keys.push(item.clone());
            Ok(true)
        })
        .await?;
        Ok(keys)
    }

    /// The keys of every mail item, pending or sent, addressed to one of `addresses`.
    async fn mail_keys(&self, addresses: &[String]) -> Result<Vec<Item>> {
        let mut keys = Vec::new();
        for address in addresses {
            let scan = self
                .client
                .scan()
                .table_name(&self.name)
                .filter_expression("begins_with(#pk, :mail) AND contains(#m, :address)")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#sk", SK)
                .expression_attribute_names("#m", "mail")
                .expression_attribute_values(":mail", s("MAIL#"))
                .expression_attribute_values(":address", s(format!("\"{address}\"")))
                .projection_expression("#pk, #sk")
                .consistent_read(true);
            let mut start = None;
            loop {
                let page = scan
                    .clone()
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(sdk_err("find mails to forget"))?;
                keys.extend(page.items().iter().cloned());
                start = page.last_evaluated_key().cloned();
                if start.is_none() {
                    break;
                }
            }
        }
        Ok(keys)
    }

    /// The request's item rewritten whole (`record` and the attributes `request_item` writes),
    /// under [`NOT_ERASED`]; it expires with its case.
    fn request_rewrite(&self, r: Rewrite<'_>, case: &Case) -> Result<TransactWriteItem> {
        let mut item = key(case_pk(r.reference), "REQUEST");
        item.extend([
            ("record".into(), s(r.record)),
            ("created_at".into(), n(r.created_at)),
            ("priority".into(), n(r.priority)),
            (TTL_ATTRIBUTE.into(), n(case_expiry(case))),
        ]);
        if let Some(cpts) = r.cpts {
            item.insert("cpts".into(), s(cpts));
        }
        if let Some(at) = r.erased_at {
            item.insert(ERASED_AT.into(), n(at));
        }
        self.put(item, Some(NOT_ERASED))
    }

    /// The transition with `rewrites` (the first one expected to hold its condition) and as many
    /// `deletes` as fit in its transaction; once it is done, the other deletes.
    async fn apply_rewriting(
        &self,
        t: &Transition,
        rewrites: Vec<TransactWriteItem>,
        deletes: Vec<Item>,
    ) -> Result<Applied> {
        let used = 1
            + rewrites.len()
            + t.proposals.len()
            + t.doctors.len()
            + t.mails.len()
            + t.audit.len()
            + t.entries.len();
        let room = TRANSACTION_ITEMS.saturating_sub(used);
        let mut extra: Vec<(TransactWriteItem, bool)> = rewrites
            .into_iter()
            .enumerate()
            .map(|(i, w)| (w, i == 0))
            .collect();
        let later = if deletes.len() > room {
            deletes[room..].to_vec()
        } else {
            Vec::new()
        };
        for k in deletes.into_iter().take(room) {
            extra.push((self.delete(k)?, false));
        }
        let applied = self.apply_with(t, &extra).await?;
        if applied == Applied::Done {
            for k in later {
                self.client
                    .delete_item()
                    .table_name(&self.name)
                    .set_key(Some(k))
                    .send()
                    .await
                    .map_err(sdk_err("erase"))?;
            }
        }
        Ok(applied)
    }

    pub(super) async fn correct(&self, c: &Correction) -> Result<Applied> {
        let Some((_, case)) = &c.transition.case else {
            return Ok(Applied::Conflict);
        };
        let r: &Request = &c.request;
        let rewrite = self.request_rewrite(
            Rewrite {
                reference: &r.reference,
                record: to_json(r)?,
                created_at: r.created_at,
                cpts: r.cpts.as_deref(),
                priority: r.priority.level,
                erased_at: None,
            },
            case,
        )?;
        // The search keys follow the corrected details.
        let keys = self.put(search_item(&SearchKeys::of(r)), None)?;
        let deletes = self.mail_keys(&c.forget).await?;
        self.apply_rewriting(&c.transition, vec![rewrite, keys], deletes)
            .await
    }

    /// What this deletes is listed in `Store::erase`'s documentation.
    pub(super) async fn erase(&self, e: &Erasure) -> Result<Applied> {
        let Some((_, case)) = &e.transition.case else {
            return Ok(Applied::Conflict);
        };
        let erased = &e.erased;
        let rewrite = self.request_rewrite(
            Rewrite {
                reference: &erased.reference,
                record: to_json(erased)?,
                created_at: erased.created_at,
                cpts: erased.cpts.as_deref(),
                priority: erased.priority_level,
                erased_at: Some(erased.erased_at),
            },
            case,
        )?;
        // The search keys first: within the transaction whatever its size.
        let mut deletes = vec![search_key(&erased.reference)];
        deletes.extend(self.timeline_keys(&erased.reference).await?);
        deletes.extend(self.mail_keys(&e.forget).await?);
        self.apply_rewriting(&e.transition, vec![rewrite], deletes)
            .await
    }

    /// The request's item, read consistently.
    pub(super) async fn request_item(&self, reference: &str) -> Result<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key(case_pk(reference), "REQUEST")))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_err("read request"))?;
        Ok(output.item().cloned())
    }

    pub(super) async fn erased(&self, reference: &str) -> Result<Option<Erased>> {
        match self.request_item(reference).await? {
            Some(item) if item.contains_key(ERASED_AT) => Ok(Some(record(&item)?)),
            _ => Ok(None),
        }
    }
}
