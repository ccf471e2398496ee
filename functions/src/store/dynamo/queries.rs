//! Reads by key and lists: a request, a case, a proposal, the cases by state (of one CPTS or
//! all), the open proposals, the doctors' counters; and the audit trail, written one entry at a
//! time and read back in order.

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;

use super::attrs::{record, s, sdk_err};
use super::items::{TIMELINE_PREFIX, audit_entry, audit_item, doctor_load};
use super::privacy::ERASED_AT;
use super::schema::{
    DOCTORS, GSI1, GSI2, PK, PROPOSALS_OPEN, SK, audit_pk, case_lists, case_pk, proposal_pk,
};
use super::table::{Table, each_item};
use crate::domain::lifecycle::{AuditEntry, Case, CaseState, Proposal, Request, TimelineEntry};
use crate::domain::matching::DoctorLoad;
use crate::store::Result;

impl Table {
    /// The request, unless it was erased (its item then holds the tombstone).
    pub(super) async fn request(&self, reference: &str) -> Result<Option<Request>> {
        match self.request_item(reference).await? {
            Some(item) if !item.contains_key(ERASED_AT) => Ok(Some(record(&item)?)),
            _ => Ok(None),
        }
    }

    pub(super) async fn case(&self, reference: &str) -> Result<Option<Case>> {
        self.get_record(case_pk(reference), "STATE", "read case")
            .await
    }

    pub(super) async fn proposal(&self, id: &str) -> Result<Option<Proposal>> {
        self.get_record(proposal_pk(id), "PROPOSAL", "read proposal")
            .await
    }

    /// Cases in any of `states` (sorted, without repeats), of CPTS `cpts` when given.
    pub(super) async fn cases(
        &self,
        states: Vec<CaseState>,
        cpts: Option<Option<String>>,
    ) -> Result<Vec<Case>> {
        let mut cases: Vec<Case> = Vec::new();
        for state in states {
            let (list, by_cpts) = case_lists(state, cpts.clone().flatten().as_deref());
            let items = match cpts {
                None => self.query_all(Some(GSI1), list).await?,
                Some(_) => self.query_all(Some(GSI2), by_cpts).await?,
            };
            for item in &items {
                cases.push(record(item)?);
            }
        }
        cases.sort_by(|a, b| (a.created_at, &a.reference).cmp(&(b.created_at, &b.reference)));
        Ok(cases)
    }

    pub(super) async fn open_proposals(&self) -> Result<Vec<Proposal>> {
        let items = self.query_all(Some(GSI1), PROPOSALS_OPEN.into()).await?;
        items.iter().map(record).collect()
    }

    pub(super) async fn doctor_loads(&self, period: i32) -> Result<Vec<DoctorLoad>> {
        let items = self.query_all(Some(GSI1), DOCTORS.into()).await?;
        items.iter().map(|item| doctor_load(item, period)).collect()
    }

    pub(super) async fn audit(&self, entry: &AuditEntry) -> Result<()> {
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(audit_item(entry)))
            .send()
            .await
            .map_err(sdk_err("write audit entry"))?;
        Ok(())
    }

    pub(super) async fn audit_trail(&self, object: &str) -> Result<Vec<AuditEntry>> {
        self.query_all(None, audit_pk(object))
            .await?
            .iter()
            .map(audit_entry)
            .collect()
    }

    /// The query of a request's timeline items: those of its partition whose sort key begins
    /// with [`TIMELINE_PREFIX`], in insertion order, read consistently.
    pub(super) fn timeline_query(&self, reference: &str) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.name)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(case_pk(reference)))
            .expression_attribute_values(":prefix", s(TIMELINE_PREFIX))
            .consistent_read(true)
    }

    /// The timeline entries of a request, in insertion order.
    pub(super) async fn timeline(&self, reference: &str) -> Result<Vec<TimelineEntry>> {
        let mut entries = Vec::new();
        each_item(self.timeline_query(reference), "read timeline", |item| {
            entries.push(record(item)?);
            Ok(true)
        })
        .await?;
        Ok(entries)
    }
}
