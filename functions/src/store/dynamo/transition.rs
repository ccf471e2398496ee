//! [`Store::apply`](crate::store::Store::apply) on DynamoDB: one `TransactWriteItems` with the
//! case (expected version), the proposals (must not exist / expected state), one update per
//! doctor, the mails and the audit entries; the reading of its cancellation (a conflict, no
//! capacity, or a retry), and the check-only transaction that confirms a `NoCapacity`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};

use super::attrs::{Item, build_err, n, s};
use super::doctors::group_doctor_ops;
use super::items::{audit_item, case_expiry, case_item, mail_item, proposal_item, timeline_item};
use super::schema::REQUEST_RETENTION;
use super::schema::{TTL_ATTRIBUTE, case_pk, key, proposal_pk};
use super::table::Table;
use super::transact::{CONFLICT, CONFLICT_ATTEMPTS, FAILED, backoff, cancellation, reason_codes};
use crate::domain::lifecycle::{Case, CaseState, EntryKind, Proposal, ProposalState, Transition};
use crate::store::{Applied, Result, StoreError};

impl Table {
    /// The conditional write of one item of a transition: the item itself, or only the check
    /// of its `condition` (the transaction that confirms a `NoCapacity` writes nothing).
    fn check_or_put(
        &self,
        key: Item,
        item: impl FnOnce() -> Result<Item>,
        condition: &str,
        names: Option<HashMap<String, String>>,
        values: Option<HashMap<String, AttributeValue>>,
        check_only: bool,
    ) -> Result<TransactWriteItem> {
        Ok(if check_only {
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name(&self.name)
                        .set_key(Some(key))
                        .condition_expression(condition)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .build()
                        .map_err(build_err)?,
                )
                .build()
        } else {
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.name)
                        .set_item(Some(item()?))
                        .condition_expression(condition)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .build()
                        .map_err(build_err)?,
                )
                .build()
        })
    }

    fn case_check_or_put(
        &self,
        expected: u32,
        case: &Case,
        check_only: bool,
    ) -> Result<TransactWriteItem> {
        self.check_or_put(
            key(case_pk(&case.reference), "STATE"),
            || case_item(case),
            "#version = :expected",
            Some(HashMap::from([(
                "#version".to_string(),
                "version".to_string(),
            )])),
            Some(HashMap::from([(":expected".to_string(), n(expected))])),
            check_only,
        )
    }

    fn proposal_check_or_put(
        &self,
        expected: Option<ProposalState>,
        proposal: &Proposal,
        expires_at: i64,
        check_only: bool,
    ) -> Result<TransactWriteItem> {
        let (condition, names, values) = match expected {
            None => ("attribute_not_exists(pk)", None, None),
            Some(state) => (
                "#state = :expected",
                Some(HashMap::from([("#state".to_string(), "state".to_string())])),
                Some(HashMap::from([(":expected".to_string(), s(state.code()))])),
            ),
        };
        self.check_or_put(
            key(proposal_pk(&proposal.id), "PROPOSAL"),
            || proposal_item(proposal, expires_at),
            condition,
            names,
            values,
            check_only,
        )
    }

    /// A closed case shortens the retention of its request.
    fn request_expiry(&self, case: &Case) -> Result<TransactWriteItem> {
        let update = Update::builder()
            .table_name(&self.name)
            .set_key(Some(key(case_pk(&case.reference), "REQUEST")))
            .update_expression("SET #expires = :expires")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#expires", TTL_ATTRIBUTE)
            .expression_attribute_values(":expires", n(case_expiry(case)))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    pub(super) async fn apply(&self, t: &Transition) -> Result<Applied> {
        self.apply_with(t, &[]).await
    }

    /// [`Table::apply`] with `extra` items in the same transaction (a correction or an erasure
    /// rewrites the request: the request's own expiry update is then left out, as one
    /// transaction may not touch an item twice). An `extra` item marked `true` is expected: its
    /// condition failing is a conflict.
    pub(super) async fn apply_with(
        &self,
        t: &Transition,
        extra: &[(TransactWriteItem, bool)],
    ) -> Result<Applied> {
        #[derive(Clone, Copy, PartialEq)]
        enum Part {
            /// The case or a proposal: its condition failing is a conflict.
            Expected,
            Doctor {
                exact: bool,
            },
            Other,
        }
        let groups = group_doctor_ops(&t.doctors);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut plans = Vec::with_capacity(groups.len());
            for group in &groups {
                plans.push(if group.needs_read() {
                    let read = self.read_doctor(group.doctor).await?;
                    self.plan_from_read(group, read.as_ref())?
                } else {
                    self.plan_by_condition(group)?
                });
            }
            // No capacity by the values read: confirm that everything was as read at one instant.
            let check_only = plans.iter().any(|p| p.write.is_none());
            let mut items = Vec::new();
            let mut parts = Vec::new();
            // The case whose new end the request's other items get once the transaction is done.
            let mut restamp = None;
            if let Some((expected, case)) = &t.case {
                items.push(self.case_check_or_put(*expected, case, check_only)?);
                parts.push(Part::Expected);
                // A closure shortens the request's retention; reopening gives it back.
                let reopened = t.entries.iter().any(|e| e.kind == EntryKind::Reopened);
                if !check_only && extra.is_empty() && (case.state == CaseState::Closed || reopened)
                {
                    items.push(self.request_expiry(case)?);
                    parts.push(Part::Other);
                    restamp = Some(case);
                }
            }
            // What the transition writes of its request expires with it, as its case does.
            let expires_at = t
                .case
                .as_ref()
                .map_or(t.at + REQUEST_RETENTION, |(_, c)| case_expiry(c));
            for (expected, proposal) in &t.proposals {
                items
                    .push(self.proposal_check_or_put(*expected, proposal, expires_at, check_only)?);
                parts.push(Part::Expected);
            }
            for plan in plans {
                let item = if check_only { plan.guard } else { plan.write };
                if let Some(item) = item {
                    items.push(item);
                    parts.push(Part::Doctor { exact: plan.exact });
                }
            }
            if !check_only {
                for mail in &t.mails {
                    items.push(self.put(mail_item(mail, t.at)?, Some("attribute_not_exists(pk)"))?);
                    parts.push(Part::Other);
                }
                for entry in &t.audit {
                    items.push(self.put(audit_item(entry), None)?);
                    parts.push(Part::Other);
                }
                for entry in &t.entries {
                    items.push(self.put(timeline_item(entry, expires_at)?, None)?);
                    parts.push(Part::Other);
                }
                for (item, expected) in extra {
                    items.push(item.clone());
                    parts.push(if *expected {
                        Part::Expected
                    } else {
                        Part::Other
                    });
                }
            }
            let done = if check_only {
                Applied::NoCapacity
            } else {
                Applied::Done
            };
            if items.is_empty() {
                return Ok(done);
            }
            let cancelled = match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await
            {
                Ok(_) => {
                    if let Some(case) = restamp {
                        // The transition is done and stays done: a failure here leaves the
                        // older, longer expiry on some items, which the log says (ids only).
                        if let Err(e) = self.restamp(case).await {
                            tracing::warn!(reference = %case.reference, error = %e, "expiry not restamped after closure");
                        }
                    }
                    return Ok(done);
                }
                Err(e) => cancellation(e, "apply")?,
            };
            let codes = reason_codes(cancelled.cancellation_reasons());
            let failed = |wanted: &dyn Fn(Part) -> bool| {
                codes
                    .iter()
                    .zip(&parts)
                    .any(|(code, part)| *code == FAILED && wanted(*part))
            };
            if failed(&|p| p == Part::Expected) {
                return Ok(Applied::Conflict);
            }
            let retry = failed(&|p| p == Part::Doctor { exact: true }) || codes.contains(&CONFLICT);
            if retry && attempt < CONFLICT_ATTEMPTS {
                backoff(attempt).await;
                continue;
            }
            if failed(&|p| p == Part::Doctor { exact: false }) {
                return Ok(Applied::NoCapacity);
            }
            return Err(StoreError::Cancelled {
                operation: "apply",
                reasons: codes.iter().map(|c| c.to_string()).collect(),
                message: cancelled.message().unwrap_or_default().to_string(),
            });
        }
    }
}
