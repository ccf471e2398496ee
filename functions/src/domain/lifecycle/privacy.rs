//! The person's rights on her request (RGPD, DOMAIN.md §2.3; issue #13): correcting her details,
//! and withdrawing with the erasure of her data. Pure builders, like the other actions: each
//! returns what a Store applies in one atomic operation ([`Store::correct`], [`Store::erase`]).
//!
//! [`Store::correct`]: crate::store::Store::correct
//! [`Store::erase`]: crate::store::Store::erase

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::actions::{Refused, entry};
use super::effects::{EntryKind, Request, Transition};
use super::states::{Case, CaseState, ClosingReason, Proposal};
use super::transitions::{audit, closing};
use crate::domain::registration::{Details, changed_fields};

/// What is left of a request once its person's data are erased: only what the counts need
/// (DOMAIN.md §4.1: requests by channel, CPTS, priority level, age bracket, date). No name,
/// phone, email, birth date, criteria, note or caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erased {
    pub reference: String,
    pub created_at: i64,
    pub erased_at: i64,
    pub cpts: Option<String>,
    /// The channel's code ("web", "telephone"…).
    pub channel: String,
    /// The level the form computed.
    pub priority_level: u8,
    /// "0-5", "6-15", "16-69" or "70+", at registration.
    pub age_bracket: String,
}

/// The age brackets of the indicators (DOMAIN.md §4.1).
pub fn age_bracket(age: u32) -> &'static str {
    match age {
        0..=5 => "0-5",
        6..=15 => "6-15",
        16..=69 => "16-69",
        _ => "70+",
    }
}

/// What a correction writes: the request as corrected and the case change (its commune and
/// CPTS follow), with one timeline entry and one audit entry that name the fields, never a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    pub request: Request,
    pub transition: Transition,
    /// The fields that change (form field names), in the form's order.
    pub fields: Vec<&'static str>,
    /// The former email address when it changes: mails to it are forgotten with it.
    pub forget: Vec<String>,
}

/// Corrects the person's details on `request` (its case `case`): `cpts` is the CPTS of the
/// corrected commune. The priority is not recomputed: the level in use stays (the page shows
/// the level computed anew). Refused when nothing changes.
pub fn correct(
    case: &Case,
    request: &Request,
    details: &Details,
    cpts: Option<String>,
    now: i64,
    by: &str,
) -> Result<Correction, Refused> {
    let refused = Refused {
        state: case.state,
        action: "correction",
    };
    let registration = details.applied_to(&request.registration);
    let fields = changed_fields(&request.registration, &registration);
    if fields.is_empty() {
        return Err(refused);
    }
    let forget = match (&request.registration.email, &registration.email) {
        (Some(old), new) if new.as_ref() != Some(old) => vec![old.as_str().to_string()],
        _ => vec![],
    };
    let mut next = case.next(case.state, now);
    next.needs.commune = registration.commune.clone();
    next.cpts = cpts.clone();
    next.has_email = registration.email.is_some();
    let kind = EntryKind::Corrected {
        fields: fields.iter().map(|f| f.to_string()).collect(),
    };
    let transition = Transition {
        at: now,
        case: Some((case.version, next)),
        proposals: vec![],
        doctors: vec![],
        mails: vec![],
        audit: vec![audit(
            now,
            by,
            &format!("corrected:{}", fields.join(",")),
            &case.reference,
        )],
        entries: vec![entry(case, now, by, kind, String::new())],
    };
    Ok(Correction {
        request: Request {
            cpts,
            registration,
            ..request.clone()
        },
        transition,
        fields,
        forget,
    })
}

/// What an erasure writes, with the case change.
#[derive(Debug, Clone, PartialEq)]
pub struct Erasure {
    /// What replaces the request.
    pub erased: Erased,
    pub transition: Transition,
    /// The person's email address: every mail to it is deleted.
    pub forget: Vec<String>,
}

/// The person withdraws and asks for her data to be erased: the case is closed with
/// [`ClosingReason::Withdrawn`] (an open proposal withdrawn and its place released, an accepted
/// one closed), and the request is replaced by what the counts need ([`Erased`]). A request
/// already closed keeps its reason (the counts by reason do not change). The case, its
/// proposals, the doctors' counters and the audit log stay (no personal data). The caller reads
/// `request` first: an erased request has none, so it cannot be erased twice.
pub fn erase(
    case: &Case,
    current: Option<&Proposal>,
    request: &Request,
    now: i64,
    by: &str,
) -> Result<Erasure, Refused> {
    let refused = Refused {
        state: case.state,
        action: "effacement",
    };
    let mut transition = if case.state == CaseState::Closed {
        // Already closed: its reason stays, so the counts by reason do not change.
        Transition {
            at: now,
            case: Some((case.version, case.next(CaseState::Closed, now))),
            proposals: vec![],
            doctors: vec![],
            mails: vec![],
            audit: vec![],
            entries: vec![],
        }
    } else {
        closing(case, current, now, by, ClosingReason::Withdrawn).map_err(|_| refused.clone())?
    };
    transition
        .audit
        .push(audit(now, by, "erased", &case.reference));
    let registered_on = crate::domain::dates::local_date(request.created_at);
    Ok(Erasure {
        erased: Erased {
            reference: request.reference.clone(),
            created_at: request.created_at,
            erased_at: now,
            cpts: request.cpts.clone(),
            channel: request.channel.code().to_string(),
            priority_level: request.priority.level,
            age_bracket: age_bracket(age_on(request, registered_on)).to_string(),
        },
        transition,
        forget: request
            .registration
            .email
            .iter()
            .map(|e| e.as_str().to_string())
            .collect(),
    })
}

fn age_on(request: &Request, day: NaiveDate) -> u32 {
    request.registration.birth_date.age_on(day)
}
