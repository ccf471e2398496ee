//! A doctor's own declaration of availability (DOMAIN.md §3, DESIGN.md "Doctors' declarations"):
//! what he may change himself through his standing link, dated and stored; which of it and his
//! published row is current; and what the public site must show once pauses and the capacity
//! used this year are counted.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use territory::{Availability, Declared, Overlay, Territory};

use crate::domain::dates::local_date;
use crate::domain::matching::Loads;

/// Standing links one address may ask for in an hour, from `/medecins/`.
pub const LINK_MAILS_PER_HOUR: u32 = 3;

/// His status, as stored (the same four as the `statut` column of doctors.csv).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", content = "date", rename_all = "snake_case")]
pub enum Status {
    AcceptingNow,
    AcceptingFrom(NaiveDate),
    NotAccepting,
    PausedUntil(NaiveDate),
}

impl From<Status> for Availability {
    fn from(status: Status) -> Self {
        match status {
            Status::AcceptingNow => Availability::AcceptingNow,
            Status::AcceptingFrom(d) => Availability::AcceptingFrom(d),
            Status::NotAccepting => Availability::NotAccepting,
            Status::PausedUntil(d) => Availability::PausedUntil(d),
        }
    }
}

impl From<Availability> for Status {
    fn from(availability: Availability) -> Self {
        match availability {
            Availability::AcceptingNow => Status::AcceptingNow,
            Availability::AcceptingFrom(d) => Status::AcceptingFrom(d),
            Availability::NotAccepting => Status::NotAccepting,
            Availability::PausedUntil(d) => Status::PausedUntil(d),
        }
    }
}

/// One doctor's current declaration, as stored: it replaces his previous one whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Declaration {
    /// His id in the roster (doctors.csv).
    pub doctor: String,
    pub status: Status,
    pub yearly_capacity: u32,
    /// Radius in km of his home visits, if he makes any.
    pub home_visit_radius_km: Option<f64>,
    pub priority_only: bool,
    /// Opted in to appear by name on public pages.
    pub public: bool,
    /// The codes of the communes of his other places of practice, besides his roster's one.
    /// Absent from declarations stored before doctors could declare them: those keep his row's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_practices: Option<Vec<String>>,
    /// When he declared it (unix seconds).
    pub declared_at: i64,
    /// Who wrote it: `doctor` (his standing link) or `staff:<id>`.
    pub by: String,
}

impl Declaration {
    /// The same declaration in the territory's terms, dated the local day it was made.
    pub fn declared(&self) -> Declared {
        Declared {
            availability: self.status.into(),
            yearly_capacity: self.yearly_capacity,
            home_visit_radius_km: self.home_visit_radius_km,
            priority_only: self.priority_only,
            public: self.public,
            other_practices: self.other_practices.clone(),
            on: local_date(self.declared_at),
        }
    }

    /// A declaration by `by` at `at` repeating `declared` (a confirmation that nothing changed,
    /// or the starting point of a change).
    pub fn from_declared(doctor: &str, declared: &Declared, by: &str, at: i64) -> Self {
        Self {
            doctor: doctor.to_string(),
            status: declared.availability.into(),
            yearly_capacity: declared.yearly_capacity,
            home_visit_radius_km: declared.home_visit_radius_km,
            priority_only: declared.priority_only,
            public: declared.public,
            other_practices: declared.other_practices.clone(),
            declared_at: at,
            by: by.to_string(),
        }
    }
}

/// Every current declaration, with the store's count of changes when it was read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Declarations {
    /// Grows by one at every declaration stored: a reader that saw the same stamp has the same list.
    pub stamp: u64,
    pub list: Vec<Declaration>,
}

/// The request to a doctor to confirm his declaration of `about` (its date), once it is stale:
/// when he was asked, and reminded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationAsk {
    pub doctor: String,
    /// The date of the declaration he is asked to confirm: a newer one makes the ask obsolete.
    pub about: NaiveDate,
    pub asked_at: i64,
    pub reminded_at: Option<i64>,
}

/// What the jobs must do about a doctor's stale declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmationStep {
    /// Ask him to confirm (the first mail).
    Ask,
    /// Remind him, [`territory::model::REMINDER_AFTER_DAYS`] after asking.
    Remind,
}

/// The next mail to send to `doctor` about his declaration, given his last `ask`, at `now`.
/// Nothing while his declaration is fresh, once reminded, or when he is past the days to confirm
/// ([`Doctor::is_lapsed`](territory::Doctor::is_lapsed)): then the coordinator calls him.
pub fn confirmation_step(
    doctor: &territory::Doctor,
    ask: Option<&ConfirmationAsk>,
    now: i64,
) -> Option<ConfirmationStep> {
    let today = local_date(now);
    if !doctor.is_stale(today) || doctor.is_lapsed(today) {
        return None;
    }
    match ask.filter(|a| a.about == doctor.updated) {
        None => Some(ConfirmationStep::Ask),
        Some(a) if a.reminded_at.is_none() => {
            let due = a.asked_at + territory::model::REMINDER_AFTER_DAYS as i64 * 86_400;
            (now >= due).then_some(ConfirmationStep::Remind)
        }
        Some(_) => None,
    }
}

/// Which of a doctor's row and his own declaration is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// No declaration of his own: his row in doctors.csv.
    Roster,
    /// His own declaration, newer than his row.
    Declaration,
    /// His row, published by staff after his declaration.
    NewerRoster,
}

/// Which source is current for doctor `id` of `published` (the territory as loaded from the
/// content), given `declarations`.
pub fn source_of(published: &Territory, declarations: &[Declaration], id: &str) -> Source {
    let Some(doctor) = published.doctor(id) else {
        // A doctor who joined since the roster was published: his declaration is all there is.
        return if declarations.iter().any(|d| d.doctor == id) {
            Source::Declaration
        } else {
            Source::Roster
        };
    };
    match declarations.iter().find(|d| d.doctor == id) {
        None => Source::Roster,
        Some(d) if doctor.is_superseded_by(&d.declared()) => Source::Declaration,
        Some(_) => Source::NewerRoster,
    }
}

/// The territory the matching works with: `published` with each current declaration applied.
pub fn current_territory(published: &Territory, declarations: &[Declaration]) -> Territory {
    let mut current = published.clone();
    let declared: Vec<(&str, Declared)> = declarations
        .iter()
        .map(|d| (d.doctor.as_str(), d.declared()))
        .collect();
    current.apply_declarations(declared.iter().map(|(id, d)| (*id, d)));
    current
}

/// What the public site must show of doctors beyond the rows of `published`: for each doctor
/// whose public availability differs from his row, his current declaration, and on top of it a
/// pause made through a proposal link (shown as the pause) or a year's capacity used up (shown
/// as « accepte à partir du 1er janvier »); and the doctors who joined since the roster was
/// published, shown the same way. `current` is the territory the matching uses (roster, joined
/// doctors, declarations); `loads` its counters for `today`'s year.
pub fn public_overlay(
    published: &Territory,
    current: &Territory,
    loads: &Loads,
    today: NaiveDate,
) -> Overlay {
    let next_year = NaiveDate::from_ymd_opt(today.year() + 1, 1, 1).unwrap_or(today);
    let mut overlay = Overlay::default();
    for (doctor, usage) in current.doctors.iter().zip(&loads.usage) {
        let mut shown = doctor.declared(&current.communes);
        if let Some(until) = usage.paused_until.filter(|until| *until >= today) {
            shown.availability = match shown.availability {
                Availability::PausedUntil(own) if own >= until => shown.availability,
                Availability::NotAccepting => Availability::NotAccepting,
                _ => Availability::PausedUntil(until),
            };
        }
        if usage.load >= doctor.yearly_capacity && shown.availability.accepts_on(today) {
            shown.availability = Availability::AcceptingFrom(next_year);
        }
        match published.doctor(&doctor.id) {
            Some(row) => {
                // Dated as his row at least, so that the site applies it over that row.
                shown.on = shown.on.max(row.updated);
                if shown != row.declared(&published.communes) {
                    overlay.declared.push((doctor.id.clone(), shown));
                }
            }
            None => {
                let Some(commune) = current.communes.get(doctor.commune) else {
                    continue;
                };
                let mut joined = doctor.clone();
                joined.take(&shown, &current.communes);
                overlay.joined.push((commune.code.clone(), joined));
            }
        }
    }
    overlay
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_stored_as_code_and_date() {
        let status = Status::PausedUntil("2027-01-15".parse().unwrap());
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(json, r#"{"code":"paused_until","date":"2027-01-15"}"#);
        assert_eq!(serde_json::from_str::<Status>(&json).unwrap(), status);
        let now = serde_json::to_string(&Status::AcceptingNow).unwrap();
        assert_eq!(now, r#"{"code":"accepting_now"}"#);
    }

    fn doctor(updated: &str) -> territory::Doctor {
        territory::Doctor {
            id: "med-001".into(),
            name: "Dr Test".into(),
            commune: 0,
            location: territory::LonLat {
                lon: 4.7,
                lat: 49.7,
            },
            other_practices: Vec::new(),
            availability: Availability::AcceptingNow,
            yearly_capacity: 5,
            home_visit_radius_km: None,
            priority_only: false,
            public: false,
            updated: updated.parse().unwrap(),
            email: "dr@example.org".into(),
        }
    }

    fn at(date: &str) -> i64 {
        let d: NaiveDate = date.parse().unwrap();
        d.and_hms_opt(12, 0, 0).unwrap().and_utc().timestamp()
    }

    #[test]
    fn a_stale_declaration_is_asked_then_reminded_then_left_to_the_coordinator() {
        let d = doctor("2026-09-01");
        // Fresh until 1 December: nothing.
        assert_eq!(confirmation_step(&d, None, at("2026-12-01")), None);
        assert_eq!(
            confirmation_step(&d, None, at("2026-12-02")),
            Some(ConfirmationStep::Ask)
        );
        let asked = ConfirmationAsk {
            doctor: d.id.clone(),
            about: d.updated,
            asked_at: at("2026-12-02"),
            reminded_at: None,
        };
        assert_eq!(confirmation_step(&d, Some(&asked), at("2026-12-11")), None);
        assert_eq!(
            confirmation_step(&d, Some(&asked), at("2026-12-12")),
            Some(ConfirmationStep::Remind)
        );
        let reminded = ConfirmationAsk {
            reminded_at: Some(at("2026-12-12")),
            ..asked.clone()
        };
        assert_eq!(
            confirmation_step(&d, Some(&reminded), at("2026-12-15")),
            None
        );
        // Twenty days after it went stale he is no longer proposed, and no more mail goes.
        assert!(!d.is_lapsed("2026-12-21".parse().unwrap()));
        assert!(d.is_lapsed("2026-12-22".parse().unwrap()));
        assert_eq!(confirmation_step(&d, Some(&asked), at("2026-12-22")), None);
        // An ask about an older declaration does not count: he declared since, and is asked anew.
        let newer = doctor("2026-09-10");
        assert_eq!(
            confirmation_step(&newer, Some(&reminded), at("2026-12-11")),
            Some(ConfirmationStep::Ask)
        );
    }

    #[test]
    fn status_round_trips_through_availability() {
        for status in [
            Status::AcceptingNow,
            Status::AcceptingFrom("2027-02-01".parse().unwrap()),
            Status::NotAccepting,
            Status::PausedUntil("2027-01-15".parse().unwrap()),
        ] {
            assert_eq!(Status::from(Availability::from(status)), status);
        }
    }
}
