//! A transition's operations on doctors' counters, one update per doctor: DynamoDB forbids two
//! operations on one item in a transaction and has no arithmetic in conditions, so the
//! operations are merged — checked by a condition on the stored value when each counter changes
//! once, or played on the values read first (a release, a counter changed twice).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem, Update};

use super::attrs::{Item, build_err, get_optional_n, n, s, sdk_err};
use super::schema::{DOCTORS, accepted_attribute, doctor_pk, key, load_attribute};
use super::table::Table;
use crate::domain::lifecycle::DoctorOp;
use crate::store::{Result, StoreError};

fn doctor_of(op: &DoctorOp) -> &str {
    match op {
        DoctorOp::Reserve { doctor, .. }
        | DoctorOp::Release { doctor, .. }
        | DoctorOp::Consume { doctor, .. }
        | DoctorOp::Pause { doctor, .. } => doctor,
    }
}

/// The counter an operation changes, if any.
fn counter_of(op: &DoctorOp) -> Option<String> {
    match op {
        DoctorOp::Reserve { period, .. } | DoctorOp::Release { period, .. } => {
            Some(load_attribute(*period))
        }
        DoctorOp::Consume { period, .. } => Some(accepted_attribute(*period)),
        DoctorOp::Pause { .. } => None,
    }
}

/// The operations of one transition on one doctor, in their order.
pub(super) struct DoctorGroup<'a> {
    pub(super) doctor: &'a str,
    ops: Vec<&'a DoctorOp>,
}

impl DoctorGroup<'_> {
    /// A release (never below zero) or a counter changed twice needs the stored values.
    pub(super) fn needs_read(&self) -> bool {
        let counters: Vec<String> = self.ops.iter().filter_map(|op| counter_of(op)).collect();
        let mut distinct = counters.clone();
        distinct.sort();
        distinct.dedup();
        distinct.len() < counters.len()
            || self
                .ops
                .iter()
                .any(|op| matches!(op, DoctorOp::Release { .. }))
    }
}

pub(super) fn group_doctor_ops(ops: &[DoctorOp]) -> Vec<DoctorGroup<'_>> {
    let mut groups: Vec<DoctorGroup> = Vec::new();
    for op in ops {
        let doctor = doctor_of(op);
        match groups.iter_mut().find(|g| g.doctor == doctor) {
            Some(g) => g.ops.push(op),
            None => groups.push(DoctorGroup {
                doctor,
                ops: vec![op],
            }),
        }
    }
    groups
}

/// An update or condition expression under construction, with its placeholders.
#[derive(Default)]
struct Expression {
    sets: Vec<String>,
    adds: Vec<String>,
    conditions: Vec<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expression {
    fn name(&mut self, attribute: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, a)| *a == attribute) {
            return placeholder.clone();
        }
        let placeholder = format!("#a{}", self.names.len());
        self.names
            .insert(placeholder.clone(), attribute.to_string());
        placeholder
    }

    fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    fn set(&mut self, attribute: &str, value: AttributeValue) {
        let (a, v) = (self.name(attribute), self.value(value));
        self.sets.push(format!("{a} = {v}"));
    }

    /// `attribute` (absent counts as 0) is below `capacity`.
    fn below(&mut self, attribute: &str, capacity: u32) {
        let (a, c) = (self.name(attribute), self.value(n(capacity)));
        self.conditions.push(if capacity > 0 {
            format!("(attribute_not_exists({a}) OR {a} < {c})")
        } else {
            format!("{a} < {c}")
        });
    }

    /// `attribute` still holds what was read (`None`: absent).
    fn unchanged(&mut self, attribute: &str, read: Option<i64>) {
        let a = self.name(attribute);
        let condition = match read {
            Some(v) => format!("{a} = {}", self.value(n(v))),
            None => format!("attribute_not_exists({a})"),
        };
        self.conditions.push(condition);
    }

    fn update_expression(&self) -> String {
        let mut parts = Vec::new();
        if !self.sets.is_empty() {
            parts.push(format!("SET {}", self.sets.join(", ")));
        }
        if !self.adds.is_empty() {
            parts.push(format!("ADD {}", self.adds.join(", ")));
        }
        parts.join(" ")
    }

    fn condition(&self) -> Option<String> {
        (!self.conditions.is_empty()).then(|| self.conditions.join(" AND "))
    }
}

/// What one transition does to one doctor's item.
pub(super) struct DoctorPlan {
    /// Built from values read first (its condition failing means: read again).
    pub(super) exact: bool,
    /// `None` when playing the operations on the values read found no capacity.
    pub(super) write: Option<TransactWriteItem>,
    /// For an exact plan: a condition check that the counters are still as read.
    pub(super) guard: Option<TransactWriteItem>,
}

impl Table {
    pub(super) async fn read_doctor(&self, doctor: &str) -> Result<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key(doctor_pk(doctor), "DOCTOR")))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_err("read doctor"))?;
        Ok(output.item().cloned())
    }

    fn doctor_update(&self, doctor: &str, mut e: Expression) -> Result<TransactWriteItem> {
        e.set("gsi1pk", s(DOCTORS));
        e.set("gsi1sk", s(doctor));
        e.set("doctor", s(doctor));
        let update = Update::builder()
            .table_name(&self.name)
            .set_key(Some(key(doctor_pk(doctor), "DOCTOR")))
            .update_expression(e.update_expression())
            .set_condition_expression(e.condition())
            .set_expression_attribute_names((!e.names.is_empty()).then_some(e.names))
            .set_expression_attribute_values((!e.values.is_empty()).then_some(e.values))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    fn doctor_check(&self, doctor: &str, e: Expression) -> Result<TransactWriteItem> {
        let check = ConditionCheck::builder()
            .table_name(&self.name)
            .set_key(Some(key(doctor_pk(doctor), "DOCTOR")))
            .condition_expression(e.condition().unwrap_or_default())
            .set_expression_attribute_names((!e.names.is_empty()).then_some(e.names))
            .set_expression_attribute_values((!e.values.is_empty()).then_some(e.values))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// The usual case: each counter changed once, capacity checked by the condition itself.
    pub(super) fn plan_by_condition(&self, group: &DoctorGroup<'_>) -> Result<DoctorPlan> {
        let mut e = Expression::default();
        let mut solicited = None;
        let mut paused = None;
        for op in &group.ops {
            match op {
                DoctorOp::Reserve {
                    period,
                    capacity,
                    at,
                    ..
                } => {
                    let attribute = load_attribute(*period);
                    e.below(&attribute, *capacity);
                    let (a, one) = (e.name(&attribute), e.value(n(1)));
                    e.adds.push(format!("{a} {one}"));
                    solicited = Some(*at);
                }
                DoctorOp::Consume {
                    period, capacity, ..
                } => {
                    let attribute = accepted_attribute(*period);
                    e.below(&attribute, *capacity);
                    let (a, one) = (e.name(&attribute), e.value(n(1)));
                    e.adds.push(format!("{a} {one}"));
                }
                DoctorOp::Pause { until, .. } => paused = Some(*until),
                DoctorOp::Release { .. } => {
                    return Err(StoreError::Internal(
                        "une libération de place se calcule sur les compteurs lus",
                    ));
                }
            }
        }
        if let Some(at) = solicited {
            e.set("last_solicited_at", n(at));
        }
        if let Some(until) = paused {
            e.set("paused_until", s(until.to_string()));
        }
        Ok(DoctorPlan {
            exact: false,
            write: Some(self.doctor_update(group.doctor, e)?),
            guard: None,
        })
    }

    /// Plays the operations in order on the values read, as SQLite does in its transaction.
    pub(super) fn plan_from_read(
        &self,
        group: &DoctorGroup<'_>,
        read: Option<&Item>,
    ) -> Result<DoctorPlan> {
        let stored = |attribute: &str| -> Result<Option<i64>> {
            match read {
                Some(item) => get_optional_n(item, attribute),
                None => Ok(None),
            }
        };
        let mut touched: Vec<String> = group.ops.iter().filter_map(|op| counter_of(op)).collect();
        touched.sort();
        touched.dedup();
        let mut current: HashMap<String, i64> = HashMap::new();
        let mut guard = Expression::default();
        for attribute in &touched {
            let value = stored(attribute)?;
            guard.unchanged(attribute, value);
            current.insert(attribute.clone(), value.unwrap_or(0));
        }
        let mut changed: Vec<String> = Vec::new();
        let mut solicited = None;
        let mut paused = None;
        let mut full = false;
        for op in &group.ops {
            let attribute = counter_of(op);
            let value = attribute.as_ref().map_or(0, |a| current[a]);
            let next = match op {
                DoctorOp::Reserve { capacity, at, .. } => {
                    solicited = Some(*at);
                    (value < i64::from(*capacity)).then_some(value + 1)
                }
                DoctorOp::Consume { capacity, .. } => {
                    (value < i64::from(*capacity)).then_some(value + 1)
                }
                DoctorOp::Release { .. } => Some((value - 1).max(0)),
                DoctorOp::Pause { until, .. } => {
                    paused = Some(*until);
                    None
                }
            };
            match (attribute, next) {
                (Some(_), None) => full = true,
                (Some(a), Some(v)) if v != value => {
                    current.insert(a.clone(), v);
                    changed.push(a);
                }
                _ => {}
            }
        }
        let check = |e: Expression| self.doctor_check(group.doctor, e);
        if full {
            return Ok(DoctorPlan {
                exact: true,
                write: None,
                guard: Some(check(guard)?),
            });
        }
        let mut e = Expression::default();
        for attribute in &touched {
            e.unchanged(attribute, stored(attribute)?);
        }
        let guard = check(guard)?;
        if changed.is_empty() && solicited.is_none() && paused.is_none() {
            // Nothing changes (a release at zero): only check that it is still zero.
            return Ok(DoctorPlan {
                exact: true,
                write: Some(check(e)?),
                guard: Some(guard),
            });
        }
        changed.sort();
        changed.dedup();
        for attribute in &changed {
            e.set(attribute, n(current[attribute]));
        }
        if let Some(at) = solicited {
            e.set("last_solicited_at", n(at));
        }
        if let Some(until) = paused {
            e.set("paused_until", s(until.to_string()));
        }
        Ok(DoctorPlan {
            exact: true,
            write: Some(self.doctor_update(group.doctor, e)?),
            guard: Some(guard),
        })
    }
}
