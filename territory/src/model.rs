//! The territory's data model: communes, CPTS, doctors and their declared availability.

use chrono::{Months, NaiveDate};
use serde::Serialize;

/// A point in WGS84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

/// A ring of a polygon, as (longitude, latitude) pairs; the first ring of a polygon is its outline,
/// the others are holes.
pub type Ring = Vec<[f64; 2]>;
pub type Polygon = Vec<Ring>;

#[derive(Debug, Clone)]
pub struct Commune {
    /// INSEE code, e.g. "08409".
    pub code: String,
    pub name: String,
    pub postcodes: Vec<String>,
    pub population: u32,
    /// A point inside the commune, used for distances.
    pub centre: LonLat,
    pub area_km2: f64,
    pub geometry: Vec<Polygon>,
    /// Index into `Territory::cpts` of the CPTS whose perimeter holds this commune.
    pub cpts: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Coordinator {
    /// Stable staff id (slug), e.g. "melanie-gosset": what the audit log names her by.
    pub id: String,
    pub name: String,
    pub email: String,
}

/// A member of staff who may sign in to the coordination workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Staff {
    /// Stable id (slug), unique across the roster: what the audit log names them by.
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: StaffRole,
}

/// What a member of staff does, and so what they may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum StaffRole {
    /// Coordinator of one CPTS (its id).
    Coordinator { cpts: String },
    /// The territory's coordination (the shared number): every request.
    TerritoryCoordination,
    /// Intake and search across the territory.
    Telesecretariat,
    /// Communication staff: the site's content, no access to requests.
    Communication,
}

impl StaffRole {
    /// The `role` code of `[[staff]]` in cpts.toml, for the roles listed there.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "coordination-territoire" => Some(Self::TerritoryCoordination),
            "telesecretariat" => Some(Self::Telesecretariat),
            "communication" => Some(Self::Communication),
            _ => None,
        }
    }

    /// Said in French on the staff's pages.
    pub fn label_fr(&self) -> &'static str {
        match self {
            Self::Coordinator { .. } => "coordination de la CPTS",
            Self::TerritoryCoordination => "coordination du territoire",
            Self::Telesecretariat => "télésecrétariat",
            Self::Communication => "communication",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Cpts {
    /// URL slug, e.g. "rethelois".
    pub id: String,
    pub name: String,
    pub short_name: String,
    pub description: String,
    /// Indices into `Territory::communes`.
    pub communes: Vec<usize>,
    /// Indices into `Territory::communes`.
    pub main_towns: Vec<usize>,
    pub coordinators: Vec<Coordinator>,
    /// Where to send the paper registration form: lines of a postal address, joined by `\n`.
    pub postal_address: Option<String>,
}

/// What a doctor declared about taking new patients (DOMAIN.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    AcceptingNow,
    /// Accepts new patients from this date on.
    AcceptingFrom(NaiveDate),
    NotAccepting,
    /// Temporarily closed; accepts again after this date.
    PausedUntil(NaiveDate),
}

impl Availability {
    /// Whether this declaration lets the doctor take a new patient on `date`.
    pub fn accepts_on(self, date: NaiveDate) -> bool {
        match self {
            Availability::AcceptingNow => true,
            Availability::AcceptingFrom(from) => date >= from,
            Availability::NotAccepting => false,
            Availability::PausedUntil(until) => date > until,
        }
    }

    /// The code used in doctors.csv.
    pub fn code(self) -> &'static str {
        match self {
            Availability::AcceptingNow => "accepte_maintenant",
            Availability::AcceptingFrom(_) => "accepte_plus_tard",
            Availability::NotAccepting => "n_accepte_pas",
            Availability::PausedUntil(_) => "en_pause",
        }
    }
}

/// A declaration older than this must be confirmed again before the public can rely on it.
pub const DECLARATION_VALIDITY: Months = Months::new(3);
/// Days a doctor has to confirm once his declaration is stale (he is asked that day, reminded
/// after [`REMINDER_AFTER_DAYS`]); after them he is no longer proposed.
pub const CONFIRMATION_DAYS: u64 = 20;
/// Days after the first request to confirm before the reminder.
pub const REMINDER_AFTER_DAYS: u64 = 10;

#[derive(Debug, Clone, PartialEq)]
pub struct Doctor {
    pub id: String,
    pub name: String,
    /// Index into `Territory::communes` of the commune where he practises.
    pub commune: usize,
    pub location: LonLat,
    /// His other places of practice (a second office, a health centre's consultation day),
    /// besides the main one above that staff keep in the roster; each is located at its
    /// commune's centre.
    pub other_practices: Vec<Practice>,
    pub availability: Availability,
    /// New patients a year he agreed to take through the CPTS.
    pub yearly_capacity: u32,
    /// Radius in km of his home visits, if he makes any.
    pub home_visit_radius_km: Option<f64>,
    /// Takes only priority patients (ALD, 70 and over, C2S…).
    pub priority_only: bool,
    /// Opted in to appear by name on public pages.
    pub public: bool,
    /// Date of his last declaration.
    pub updated: NaiveDate,
    pub email: String,
}

/// One place where a doctor sees patients.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Practice {
    /// Index into `Territory::communes`.
    pub commune: usize,
    pub location: LonLat,
}

/// The columns of a doctor's row he may declare himself through his standing link (DOMAIN.md §3),
/// with the day he declared them.
#[derive(Debug, Clone, PartialEq)]
pub struct Declared {
    pub availability: Availability,
    pub yearly_capacity: u32,
    pub home_visit_radius_km: Option<f64>,
    pub priority_only: bool,
    pub public: bool,
    /// The codes of the communes of his other places of practice; `None` leaves those of his
    /// row (a declaration stored before doctors could declare them).
    pub other_practices: Option<Vec<String>>,
    pub on: NaiveDate,
}

impl Doctor {
    /// Every place he practises: the main one first.
    pub fn practices(&self) -> impl Iterator<Item = Practice> + '_ {
        std::iter::once(Practice {
            commune: self.commune,
            location: self.location,
        })
        .chain(self.other_practices.iter().copied())
    }

    pub fn accepts_on(&self, date: NaiveDate) -> bool {
        self.availability.accepts_on(date)
    }

    /// The codes of the communes of his other practices, in his order.
    pub fn other_practices_codes(&self, communes: &[Commune]) -> Vec<String> {
        self.other_practices
            .iter()
            .filter_map(|p| communes.get(p.commune).map(|c| c.code.clone()))
            .collect()
    }

    /// What his row declares, as of its `mis_a_jour` date (`communes`: the territory's, to name
    /// his other practices).
    pub fn declared(&self, communes: &[Commune]) -> Declared {
        Declared {
            availability: self.availability,
            yearly_capacity: self.yearly_capacity,
            home_visit_radius_km: self.home_visit_radius_km,
            priority_only: self.priority_only,
            public: self.public,
            other_practices: Some(self.other_practices_codes(communes)),
            on: self.updated,
        }
    }

    /// Whether `declared` is current rather than this row. Staff's row wins only when they dated
    /// it after the declaration (they published a newer row for him); on the same day the
    /// doctor's own word wins, since the row carries no time of day.
    pub fn is_superseded_by(&self, declared: &Declared) -> bool {
        declared.on >= self.updated
    }

    /// Takes `declared` in place of the availability columns of his row, and of his other
    /// practices when it names them (placed at the centre of their commune in `communes`; a code
    /// not in `communes` is left out).
    pub fn take(&mut self, declared: &Declared, communes: &[Commune]) {
        if let Some(codes) = &declared.other_practices {
            self.other_practices = codes
                .iter()
                .filter_map(|code| {
                    let commune = communes.iter().position(|c| &c.code == code)?;
                    Some(Practice {
                        commune,
                        location: communes[commune].centre,
                    })
                })
                .filter(|p| p.commune != self.commune)
                .collect();
        }
        self.availability = declared.availability;
        self.yearly_capacity = declared.yearly_capacity;
        self.home_visit_radius_km = declared.home_visit_radius_km;
        self.priority_only = declared.priority_only;
        self.public = declared.public;
        self.updated = declared.on;
    }

    /// His availability on `today` as the public site says it: « accepte de nouveaux patients »…
    pub fn status_fr(&self, today: NaiveDate) -> String {
        use crate::dates::french_long;
        match self.availability {
            _ if self.accepts_on(today) => "accepte de nouveaux patients".to_string(),
            Availability::AcceptingFrom(d) => format!(
                "acceptera de nouveaux patients à partir du {}",
                french_long(d)
            ),
            Availability::PausedUntil(d) => format!("en pause jusqu'au {}", french_long(d)),
            Availability::NotAccepting | Availability::AcceptingNow => {
                "n'accepte pas de nouveaux patients".to_string()
            }
        }
    }

    /// The conditions the public site lists under his status: priority patients only, home visits.
    pub fn conditions_fr(&self) -> Vec<String> {
        let mut conditions = Vec::new();
        if self.priority_only {
            conditions
                .push("patients prioritaires uniquement (ALD, 70 ans et plus, C2S…)".to_string());
        }
        match self.home_visit_radius_km {
            Some(km) => conditions.push(format!("visites à domicile jusqu'à {} km", km.round())),
            None => conditions.push("pas de visites à domicile".to_string()),
        }
        conditions
    }

    /// Declared more than three months before `today`: to be confirmed.
    pub fn is_stale(&self, today: NaiveDate) -> bool {
        self.stale_from() < today
    }

    /// The last day his declaration is fresh: from the next one on, it is to be confirmed.
    pub fn stale_from(&self) -> NaiveDate {
        self.updated
            .checked_add_months(DECLARATION_VALIDITY)
            .unwrap_or(NaiveDate::MAX)
    }

    /// Stale and not confirmed within [`CONFIRMATION_DAYS`]: no longer proposed until he
    /// confirms (or staff publish a newer row for him).
    pub fn is_lapsed(&self, today: NaiveDate) -> bool {
        self.proposed_until() < today
    }

    /// The last day he is proposed without confirming his declaration once it is stale.
    pub fn proposed_until(&self) -> NaiveDate {
        self.stale_from()
            .checked_add_days(chrono::Days::new(CONFIRMATION_DAYS))
            .unwrap_or(NaiveDate::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn availability_by_date() {
        let today = date("2026-11-24");
        assert!(Availability::AcceptingNow.accepts_on(today));
        assert!(!Availability::NotAccepting.accepts_on(today));
        assert!(Availability::AcceptingFrom(date("2026-11-24")).accepts_on(today));
        assert!(!Availability::AcceptingFrom(date("2026-11-25")).accepts_on(today));
        assert!(!Availability::PausedUntil(date("2026-11-24")).accepts_on(today));
        assert!(Availability::PausedUntil(date("2026-11-23")).accepts_on(today));
    }
}
