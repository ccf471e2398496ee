//! A commune's availability status on the map, computed from the doctors near its centre.
//! Pure: the same doctors and the same day always give the same status.

use chrono::NaiveDate;
use serde::Serialize;
use territory::{Availability, Doctor, Nearby};

/// Within this distance most patients can reach a GP.
pub const NEAR_KM: f64 = 10.0;
/// Beyond this distance a doctor does not count for the commune (DOMAIN.md §4: "distance > 20 km").
pub const FAR_KM: f64 = 20.0;

/// What the map says about a commune. Ordered from the best news to the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Status {
    /// At least one doctor accepts any new patient now, within `NEAR_KM`.
    Accepting,
    /// Only later, only farther (up to `FAR_KM`) or only priority patients.
    Limited,
    /// Better news exists but rests on declarations older than three months.
    ToConfirm,
    /// No doctor accepting now or later within `FAR_KM`.
    None,
}

pub const ALL: [Status; 4] = [
    Status::Accepting,
    Status::Limited,
    Status::ToConfirm,
    Status::None,
];

/// How a status is drawn: colour, pattern and icon together, never colour alone.
pub struct Look {
    /// Stroke and pattern colour; at least 4.5:1 on white (text) and so 3:1 (graphics).
    pub colour: &'static str,
    /// Background of the pattern; the colour above keeps 3:1 on it.
    pub background: &'static str,
    pub pattern: Pattern,
    /// Symbol beside the label in lists and legends.
    pub icon: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Pattern {
    Solid,
    Stripes,
    Dots,
    Cross,
}

impl Status {
    /// Stable code used in the map data, CSS classes and tests.
    pub fn code(self) -> &'static str {
        match self {
            Status::Accepting => "disponible",
            Status::Limited => "limite",
            Status::ToConfirm => "a-confirmer",
            Status::None => "aucun",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Accepting => "Médecins qui acceptent de nouveaux patients à 10 km environ",
            Status::Limited => {
                "Possibilités limitées : plus tard, plus loin (10 à 20 km) ou patients prioritaires seulement"
            }
            Status::ToConfirm => "Information à confirmer (déclarations de plus de trois mois)",
            Status::None => "Aucun médecin disponible à 20 km environ",
        }
    }

    /// A few words for tables and popups.
    pub fn short_label(self) -> &'static str {
        match self {
            Status::Accepting => "Acceptent à 10 km environ",
            Status::Limited => "Possibilités limitées",
            Status::ToConfirm => "À confirmer",
            Status::None => "Aucun à 20 km environ",
        }
    }

    pub fn look(self) -> Look {
        match self {
            Status::Accepting => Look {
                colour: "#1a6b35",
                background: "#ffffff",
                pattern: Pattern::Solid,
                icon: "✔",
            },
            Status::Limited => Look {
                colour: "#9c4a00",
                background: "#ffffff",
                pattern: Pattern::Stripes,
                icon: "◐",
            },
            Status::ToConfirm => Look {
                colour: "#4a3f9e",
                background: "#ffffff",
                pattern: Pattern::Dots,
                icon: "?",
            },
            Status::None => Look {
                colour: "#5c5c5c",
                background: "#ffffff",
                pattern: Pattern::Cross,
                icon: "✖",
            },
        }
    }
}

/// The counts behind a commune's status: no doctor is named here. They are never published (a
/// count per commune lets one intersect neighbouring communes' counts and find a doctor): the
/// public files carry the status and the `Facts` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    /// Up-to-date doctors accepting any patient now within `NEAR_KM`.
    pub accepting_near: usize,
    /// Up-to-date doctors accepting any patient now within `FAR_KM`.
    pub accepting_far: usize,
    /// Up-to-date doctors within `FAR_KM` who will accept later (from a date, or after a pause).
    pub later: usize,
    /// Up-to-date doctors within `FAR_KM` accepting now, priority patients only.
    pub priority_only: usize,
    /// Up-to-date doctors accepting now whose home visits reach the commune.
    pub home_visits: usize,
    /// Doctors within `FAR_KM` accepting now or later whose declaration is older than three months.
    pub to_confirm: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CommuneStatus {
    pub status: Status,
    pub counts: Counts,
}

/// What the public may read about a commune besides its status: yes or no, never how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Facts {
    /// Some doctor accepts any patient now within `NEAR_KM`.
    pub accepting_near: bool,
    /// Some doctor within `FAR_KM` will accept later.
    pub later: bool,
    /// Some doctor within `FAR_KM` accepts priority patients only.
    pub priority_only: bool,
    /// Some doctor accepting now makes home visits up to the commune.
    pub home_visits: bool,
    /// Some declaration that would count is older than three months.
    pub to_confirm: bool,
}

/// The sentences that say the `Facts`, the same on the commune pages and in the map's panel.
pub const SAY_PRIORITY_ONLY: &str = "Certains médecins acceptent seulement les patients prioritaires (maladie de longue durée, 70 ans et plus, C2S…).";
pub const SAY_LATER: &str =
    "Des médecins à 20 km environ accepteront de nouveaux patients plus tard.";
pub const SAY_HOME_VISITS: &str = "Certains médecins font des visites à domicile jusqu'ici.";
pub const SAY_TO_CONFIRM: &str =
    "Certaines informations sont à confirmer : elles ont plus de trois mois.";

impl Facts {
    /// The sentences to show, in a fixed order.
    pub fn sentences(&self) -> Vec<&'static str> {
        [
            (self.priority_only, SAY_PRIORITY_ONLY),
            (self.later, SAY_LATER),
            (self.home_visits, SAY_HOME_VISITS),
            (self.to_confirm, SAY_TO_CONFIRM),
        ]
        .into_iter()
        .filter_map(|(yes, text)| yes.then_some(text))
        .collect()
    }
}

impl CommuneStatus {
    pub fn facts(&self) -> Facts {
        let n = &self.counts;
        Facts {
            accepting_near: n.accepting_near > 0,
            later: n.later > 0,
            priority_only: n.priority_only > 0,
            home_visits: n.home_visits > 0,
            to_confirm: n.to_confirm > 0,
        }
    }
}

/// What of a doctor's declaration the statuses read, on a given day. Doctors with the same
/// declaration at the same place count the same: the map counts them together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Declared {
    stale: bool,
    accepts: bool,
    /// Not now, but from a date or after a pause.
    later: bool,
    priority_only: bool,
    /// The radius of his home visits, as the bits of the f64 (to be hashed).
    home_visits_km: Option<u64>,
}

impl Declared {
    pub fn of(doctor: &Doctor, today: NaiveDate) -> Self {
        let accepts = doctor.accepts_on(today);
        Declared {
            stale: doctor.is_stale(today),
            accepts,
            later: !accepts
                && matches!(
                    doctor.availability,
                    Availability::AcceptingFrom(_) | Availability::PausedUntil(_)
                ),
            priority_only: doctor.priority_only,
            home_visits_km: doctor.home_visit_radius_km.map(f64::to_bits),
        }
    }

    /// What this declaration alone would say about the commune, at this distance.
    fn status_at(self, distance_km: f64) -> Status {
        if distance_km > FAR_KM {
            Status::None
        } else if self.accepts {
            if distance_km <= NEAR_KM && !self.priority_only {
                Status::Accepting
            } else {
                Status::Limited
            }
        } else if self.later {
            Status::Limited
        } else {
            Status::None
        }
    }
}

/// A commune's status being computed, one declaration (or group of equal ones) at a time.
#[derive(Debug, Clone, Copy)]
pub struct Tally {
    fresh: Status,
    stale: Status,
    counts: Counts,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            fresh: Status::None,
            stale: Status::None,
            counts: Counts::default(),
        }
    }
}

impl Tally {
    /// Counts `doctors` doctors who made `declared` at `distance_km` from the commune's centre.
    pub fn add(&mut self, declared: Declared, distance_km: f64, doctors: usize) {
        if distance_km > FAR_KM {
            return;
        }
        let own = declared.status_at(distance_km);
        let counts = &mut self.counts;
        if declared.stale {
            self.stale = self.stale.min(own);
            if own != Status::None {
                counts.to_confirm += doctors;
            }
            return;
        }
        self.fresh = self.fresh.min(own);
        if declared.accepts {
            counts.accepting_far += doctors;
            if declared.priority_only {
                counts.priority_only += doctors;
            } else if distance_km <= NEAR_KM {
                counts.accepting_near += doctors;
            }
            if declared
                .home_visits_km
                .is_some_and(|r| distance_km <= f64::from_bits(r))
            {
                counts.home_visits += doctors;
            }
        } else if own == Status::Limited {
            counts.later += doctors;
        }
    }

    /// Up-to-date declarations decide; when an older one (more than three months) would give
    /// better news, the status is "à confirmer".
    pub fn status(self) -> CommuneStatus {
        let status = if self.stale < self.fresh {
            Status::ToConfirm
        } else {
            self.fresh
        };
        CommuneStatus {
            status,
            counts: self.counts,
        }
    }
}

/// The status of a commune from the doctors near its centre (`nearby`, with their distances).
/// Up-to-date declarations decide; when an older one (more than three months) would give better
/// news, the status is "à confirmer". Doctors count whether or not they opted in to be named; the
/// map gives the places of `privacy::published_places`, not the doctors' addresses.
pub fn commune_status(nearby: &[Nearby<'_>], today: NaiveDate) -> CommuneStatus {
    let mut tally = Tally::default();
    for n in nearby {
        tally.add(Declared::of(n.doctor, today), n.distance_km, 1);
    }
    tally.status()
}

/// WCAG 2.1 contrast ratio of two "#rrggbb" colours (1 to 21).
pub fn contrast_ratio(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

fn luminance(hex: &str) -> f64 {
    let hex = hex.trim_start_matches('#');
    let channel = |i: usize| {
        let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}
