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
use crate::domain::registration::{Criterion, Details, changed_fields};

/// What is left of a request once its person's data are erased: only what the counts need
/// (DOMAIN.md §4.1: requests by channel, CPTS, priority level, age bracket, date; the ACI
/// report's priority criteria and mean age). No name, phone, email, birth date, note or caller.
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
    /// The priority criteria that held at registration (yes/no boxes, never a diagnosis): the
    /// ACI report counts the requests by criterion. Empty in tombstones written before.
    #[serde(default)]
    pub criteria: Vec<Criterion>,
    /// The age in whole years at registration, for the ACI report's mean age (the birth date is
    /// not kept). `None` in tombstones written before.
    #[serde(default)]
    pub age: Option<u32>,
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
    let age = age_on(request, registered_on);
    Ok(Erasure {
        erased: Erased {
            reference: request.reference.clone(),
            created_at: request.created_at,
            erased_at: now,
            cpts: request.cpts.clone(),
            channel: request.channel.code().to_string(),
            priority_level: request.priority.level,
            age_bracket: age_bracket(age).to_string(),
            criteria: criteria_on(request, registered_on),
            age: Some(age),
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

/// The priority criteria of `request` that held on `day`, each once, in [`Criterion::ALL`]'s
/// order.
pub fn criteria_on(request: &Request, day: NaiveDate) -> Vec<Criterion> {
    Criterion::ALL
        .into_iter()
        .filter(|c| {
            request
                .registration
                .criteria
                .iter()
                .any(|d| d.criterion == *c && d.holds_on(day))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{Needs, ProposalState, close, propose, reopen};
    use crate::domain::phone::PhoneNumber;
    use crate::domain::priority;
    use crate::domain::registration::*;

    fn request() -> Request {
        let today: NaiveDate = "2026-11-24".parse().unwrap();
        let registration = Registration {
            gp_status: GpStatus::None,
            filled_by: Filler {
                role: FilledBy::Patient,
                organisation: None,
            },
            last_name: Name::parse("Dupré", "le nom").unwrap(),
            first_name: Name::parse("Léa", "le prénom").unwrap(),
            birth_date: BirthDate::parse("14/07/1950", today).unwrap(),
            phone: PhoneNumber::parse("06 12 34 56 78").unwrap(),
            email: Some(Email::parse("lea.dupre@example.fr").unwrap()),
            call_time: CallTime::Any,
            commune: "08409".into(),
            mobility: Mobility {
                max_distance_km: Some(20),
                home_visits: false,
            },
            without_gp_since: WithoutGpSince::OneTo2Years,
            reason: Reason::DoctorRetired,
            criteria: vec![],
            communication: Communication {
                interpreter_language: None,
                reading_help: false,
            },
            consent_date: today,
        };
        Request {
            reference: "K7M4P9QX".into(),
            created_at: 1_790_000_000,
            cpts: Some("rethelois".into()),
            priority: priority::assess(&registration, today),
            registration,
            channel: Default::default(),
            intake: None,
        }
    }

    fn case() -> Case {
        let mut c = Case::opened(&request());
        c.needs = Needs {
            priority_level: 1,
            ..c.needs
        };
        c
    }

    fn details(r: &Request) -> Details {
        let g = &r.registration;
        Details {
            last_name: g.last_name.clone(),
            first_name: g.first_name.clone(),
            birth_date: g.birth_date,
            phone: g.phone.clone(),
            email: g.email.clone(),
            call_time: g.call_time,
            commune: g.commune.clone(),
        }
    }

    #[test]
    fn a_correction_names_the_fields_and_never_their_values() {
        let (r, c) = (request(), case());
        assert!(correct(&c, &r, &details(&r), r.cpts.clone(), 5, "Claire").is_err());
        let mut d = details(&r);
        d.phone = PhoneNumber::parse("07 98 76 54 32").unwrap();
        d.email = None;
        d.commune = "08105".into();
        let fix = correct(&c, &r, &d, Some("sedanais".into()), 5, "Claire").unwrap();
        assert_eq!(fix.fields, ["phone", "email", "commune"]);
        assert_eq!(fix.forget, ["lea.dupre@example.fr"]);
        let next = &fix.transition.case.as_ref().unwrap().1;
        assert_eq!(
            (next.cpts.as_deref(), next.has_email),
            (Some("sedanais"), false)
        );
        assert_eq!(next.needs.priority_level, 1, "the level in use stays");
        assert_eq!(fix.request.priority, r.priority);
        assert_eq!(
            fix.transition.audit[0].action,
            "corrected:phone,email,commune"
        );
        let written = format!("{:?}{:?}", fix.transition.audit, fix.transition.entries);
        for value in [
            "0612",
            "612345678",
            "798765432",
            "lea.dupre",
            "08409",
            "08105",
        ] {
            assert!(!written.contains(value), "{value} in {written}");
        }
    }

    #[test]
    fn an_erasure_closes_withdraws_and_keeps_only_what_counts_need() {
        let r = request();
        let choice = crate::domain::lifecycle::Choice {
            doctor: "med-001".into(),
            yearly_capacity: 5,
            distance_km: 3.0,
            reasons: vec![],
        };
        let (t, p) = propose(&case(), &choice, 10, 2026, vec![]).unwrap();
        let proposed = t.case.unwrap().1;
        let e = erase(&proposed, Some(&p), &r, 20, "Claire").unwrap();
        let closed = &e.transition.case.as_ref().unwrap().1;
        assert_eq!(
            closed.closure.as_ref().unwrap().reason,
            ClosingReason::Withdrawn
        );
        assert_eq!(e.transition.proposals[0].1.state, ProposalState::Withdrawn);
        assert_eq!(e.transition.doctors.len(), 1, "its place is released");
        assert!(e.transition.audit.iter().any(|a| a.action == "erased"));
        assert_eq!(e.forget, ["lea.dupre@example.fr"]);
        let kept = serde_json::to_string(&e.erased).unwrap();
        for value in ["Dupr", "Léa", "612345678", "1950", "lea.dupre"] {
            assert!(!kept.contains(value), "{value} in {kept}");
        }
        assert_eq!(e.erased.age_bracket, "70+");
        assert_eq!(
            (e.erased.age, e.erased.criteria.clone()),
            (Some(76), vec![])
        );
        // The criteria that held at registration are kept for the ACI report, not those expired.
        let mut with_criteria = r.clone();
        let long_ago: NaiveDate = "2025-01-01".parse().unwrap();
        with_criteria.registration.criteria = vec![
            DeclaredCriterion::new(Criterion::HospitalDischarge, long_ago),
            DeclaredCriterion::new(Criterion::LongTermCondition, long_ago),
            DeclaredCriterion::new(Criterion::C2sOrAme, long_ago),
        ];
        let e = erase(&proposed, Some(&p), &with_criteria, 20, "Claire").unwrap();
        assert_eq!(
            e.erased.criteria,
            [Criterion::LongTermCondition, Criterion::C2sOrAme]
        );
        // Withdrawal is not a reason of the closing form, and an erased request never reopens.
        assert!(close(&case(), None, 5, "Claire", ClosingReason::Withdrawn).is_err());
        assert!(!ClosingReason::chosen().any(|r| r == ClosingReason::Withdrawn));
        assert!(reopen(closed, 30, "Claire").is_err());
        // Already closed: the reason stays, so the counts by reason do not change.
        let done = close(&case(), None, 5, "Claire", ClosingReason::FoundAlone)
            .unwrap()
            .case
            .unwrap()
            .1;
        let e = erase(&done, None, &r, 20, "Claire").unwrap();
        let after = &e.transition.case.as_ref().unwrap().1;
        assert_eq!(
            after.closure.as_ref().unwrap().reason,
            ClosingReason::FoundAlone
        );
    }
}
