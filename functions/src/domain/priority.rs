//! Priority of a request (DOMAIN.md §2.1): a pure function of the registration and the date,
//! versioned, whose reasons are kept with the stored record.
//!
//! Version 1 — level 1 if long-term condition (ALD), 70 or over, pregnancy, hospital discharge
//! under a month, or referred by a health professional (help from France Services or a social
//! worker is not a referral); level 2 if C2S/AME, precarity, child under
//! 6, disability; level 3 otherwise. Expired criteria count no more.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::registration::{Criterion, FilledBy, Registration};

pub const VERSION: &str = "priorite-v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Priority {
    pub version: String,
    /// 1 (highest) to 3.
    pub level: u8,
    /// Date of the assessment: criteria that expire must be assessed again.
    pub assessed_on: NaiveDate,
    /// Why, in French, one line per criterion that counted (kept with the record, never emailed).
    pub reasons: Vec<String>,
}

pub fn assess(r: &Registration, today: NaiveDate) -> Priority {
    let mut level = 3;
    let mut reasons = Vec::new();
    let mut count = |l: u8, why: &str| {
        level = level.min(l);
        reasons.push(format!("niveau {l} : {why}"));
    };
    let age = r.birth_date.age_on(today);
    if age >= 70 {
        count(1, "70 ans ou plus");
    }
    if age < 6 {
        count(2, "enfant de moins de 6 ans");
    }
    // Only a health professional's referral counts: help from France Services or a social
    // worker to fill the form is not one.
    if r.filled_by.role == FilledBy::Professional {
        count(1, "demande signalée par un professionnel de santé");
    }
    for c in r.criteria.iter().filter(|c| c.holds_on(today)) {
        match c.criterion {
            Criterion::LongTermCondition => count(1, "affection de longue durée (ALD)"),
            Criterion::Pregnancy => count(1, "grossesse"),
            Criterion::HospitalDischarge => count(1, "sortie d'hôpital depuis moins d'un mois"),
            Criterion::C2sOrAme => count(2, "C2S ou AME"),
            Criterion::Precarity => count(2, "situation de précarité"),
            Criterion::Disability => count(2, "handicap ou perte d'autonomie"),
            Criterion::RegularTreatment => {}
        }
    }
    if reasons.is_empty() {
        reasons.push("niveau 3 : aucun critère de priorité".into());
    }
    Priority {
        version: VERSION.into(),
        level,
        assessed_on: today,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::phone::PhoneNumber;
    use crate::domain::registration::*;

    fn today() -> NaiveDate {
        "2026-11-24".parse().unwrap()
    }

    fn filled_by(role: FilledBy) -> Registration {
        Registration {
            gp_status: GpStatus::None,
            filled_by: Filler {
                role,
                organisation: Some("Structure".into()),
            },
            last_name: Name::parse("Dupré", "le nom").unwrap(),
            first_name: Name::parse("Léa", "le prénom").unwrap(),
            birth_date: BirthDate::parse("14/07/1980", today()).unwrap(),
            phone: PhoneNumber::parse("06 12 34 56 78").unwrap(),
            email: None,
            call_time: CallTime::Any,
            commune: "08409".into(),
            mobility: Mobility {
                max_distance_km: Some(20),
                home_visits: false,
            },
            without_gp_since: WithoutGpSince::OneTo2Years,
            reason: Reason::DoctorRetired,
            criteria: Vec::new(),
            communication: Communication {
                interpreter_language: None,
                reading_help: false,
            },
            consent_date: today(),
        }
    }

    #[test]
    fn only_a_health_professionals_referral_counts() {
        let p = assess(&filled_by(FilledBy::Professional), today());
        assert_eq!(p.level, 1);
        assert_eq!(
            p.reasons,
            ["niveau 1 : demande signalée par un professionnel de santé"]
        );
        for role in [
            FilledBy::SocialHelp,
            FilledBy::TownHall,
            FilledBy::Relative,
            FilledBy::Patient,
        ] {
            let p = assess(&filled_by(role), today());
            assert_eq!(p.level, 3, "{role:?}");
            assert_eq!(p.reasons, ["niveau 3 : aucun critère de priorité"]);
        }
    }
}
