//! Which doctor to propose for a request: a pure function of the territory (doctors' declarations),
//! their counters (capacity used, last solicitation, pauses), the request's needs and the date.
//!
//! A doctor is a candidate when he accepts new patients on that date (now, or "later" once the
//! date has come, or back from a pause), is not paused through his emailed link, practises within
//! the patient's reach (commune centre to practice), makes home visits that far when the patient
//! needs them, takes this priority level (priority-only doctors take levels 1 and 2), has capacity
//! left this year, and was not already proposed for this request.
//!
//! Ranking: by distance in bands of [`DISTANCE_BAND_KM`] (a patient does not mind 3 km or 4 km,
//! but a doctor asked every time minds), then the doctor solicited least recently first (never
//! solicited first), then the exact distance, then the doctor's id so the result is stable.
//! When several requests compete for the same places, [`reexamine`] serves them by priority
//! level, then by age.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use territory::dates::french_long;
use territory::{Availability, Doctor, Territory};

use crate::lifecycle::{Case, Choice, Needs};
use crate::store::DoctorLoad;

/// Reach when the patient said "farther is not a problem".
pub const FARTHEST_KM: f64 = 40.0;
/// Doctors this close to each other in distance count as equally near.
pub const DISTANCE_BAND_KM: f64 = 5.0;

/// How far a request may go, in km.
pub fn reach_km(needs: &Needs) -> f64 {
    needs
        .max_distance_km
        .map_or(FARTHEST_KM, |km| f64::from(km).min(FARTHEST_KM))
}

/// The capacity period a date falls in: the calendar year.
pub fn period_of(date: NaiveDate) -> i32 {
    date.year()
}

/// One doctor's counters for the current period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub load: u32,
    pub last_solicited_at: Option<i64>,
    pub paused_until: Option<NaiveDate>,
}

/// Every doctor's counters, in the order of `territory.doctors`.
#[derive(Debug, Clone)]
pub struct Loads {
    pub usage: Vec<Usage>,
}

impl Loads {
    pub fn new(territory: &Territory, loads: &[DoctorLoad]) -> Self {
        let by_id: HashMap<&str, &DoctorLoad> =
            loads.iter().map(|l| (l.doctor.as_str(), l)).collect();
        let usage = territory
            .doctors
            .iter()
            .map(|d| {
                by_id
                    .get(d.id.as_str())
                    .map_or(Usage::default(), |l| Usage {
                        load: l.load,
                        last_solicited_at: l.last_solicited_at,
                        paused_until: l.paused_until,
                    })
            })
            .collect();
        Self { usage }
    }

    /// Counts one more proposal for doctor `position` (what a Reserve does in the store).
    pub fn reserve(&mut self, position: usize, at: i64) {
        let usage = &mut self.usage[position];
        usage.load += 1;
        usage.last_solicited_at = Some(at);
    }
}

/// Why a doctor is not a candidate: one variant per rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unfit {
    NotAccepting,
    Paused,
    TooFar,
    NoHomeVisitsThatFar,
    PriorityOnly,
    NoCapacityLeft,
    AlreadyProposed,
}

/// The rules, for one doctor at `distance_km` from the patient's commune.
pub fn check(
    doctor: &Doctor,
    usage: &Usage,
    needs: &Needs,
    distance_km: f64,
    tried: &[String],
    today: NaiveDate,
) -> Result<(), Unfit> {
    if !doctor.accepts_on(today) {
        return Err(Unfit::NotAccepting);
    }
    if usage.paused_until.is_some_and(|until| today <= until) {
        return Err(Unfit::Paused);
    }
    if distance_km > reach_km(needs) {
        return Err(Unfit::TooFar);
    }
    if needs.home_visits && doctor.home_visit_radius_km.is_none_or(|r| distance_km > r) {
        return Err(Unfit::NoHomeVisitsThatFar);
    }
    if doctor.priority_only && needs.priority_level > 2 {
        return Err(Unfit::PriorityOnly);
    }
    if usage.load >= doctor.yearly_capacity {
        return Err(Unfit::NoCapacityLeft);
    }
    if tried.contains(&doctor.id) {
        return Err(Unfit::AlreadyProposed);
    }
    Ok(())
}

/// A doctor who may be proposed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Position in `territory.doctors`.
    pub doctor: usize,
    pub distance_km: f64,
}

/// The ranking key: smaller is better.
fn rank(candidate: &Candidate, usage: &Usage, doctor: &Doctor) -> (u32, i64, u64, String) {
    (
        (candidate.distance_km / DISTANCE_BAND_KM) as u32,
        usage.last_solicited_at.unwrap_or(i64::MIN),
        (candidate.distance_km * 1000.0) as u64,
        doctor.id.clone(),
    )
}

/// Every candidate for `needs`, best first.
pub fn candidates(
    territory: &Territory,
    loads: &Loads,
    needs: &Needs,
    tried: &[String],
    today: NaiveDate,
) -> Vec<Candidate> {
    let Some(commune) = territory.commune(&needs.commune) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    territory.visit_doctors_within(commune.centre, reach_km(needs), |position, distance_km| {
        let doctor = &territory.doctors[position];
        if check(
            doctor,
            &loads.usage[position],
            needs,
            distance_km,
            tried,
            today,
        )
        .is_ok()
        {
            found.push(Candidate {
                doctor: position,
                distance_km,
            });
        }
    });
    found.sort_by_cached_key(|c| rank(c, &loads.usage[c.doctor], &territory.doctors[c.doctor]));
    found
}

/// The doctor to propose for `needs`, if any.
pub fn best(
    territory: &Territory,
    loads: &Loads,
    needs: &Needs,
    tried: &[String],
    today: NaiveDate,
) -> Option<Candidate> {
    candidates(territory, loads, needs, tried, today)
        .into_iter()
        .next()
}

/// Why this doctor, in French, one line per rule — what the coordinator reads before validating.
pub fn explain(
    territory: &Territory,
    loads: &Loads,
    needs: &Needs,
    candidate: &Candidate,
    others: usize,
    today: NaiveDate,
) -> Vec<String> {
    let doctor = &territory.doctors[candidate.doctor];
    let usage = &loads.usage[candidate.doctor];
    let commune = territory
        .commune(&needs.commune)
        .map_or(needs.commune.as_str(), |c| c.name.as_str());
    let practice = territory
        .communes
        .get(doctor.commune)
        .map_or("", |c| c.name.as_str());
    let mut lines = Vec::new();
    let limit = match needs.max_distance_km {
        Some(km) => format!("la personne peut aller jusqu'à {km} km"),
        None => format!("la personne peut aller plus loin ; limite retenue : {FARTHEST_KM:.0} km"),
    };
    lines.push(format!(
        "Cabinet à {practice}, à {} km du centre de {commune} ({limit}).",
        km(candidate.distance_km)
    ));
    lines.push(match doctor.availability {
        Availability::AcceptingFrom(from) => format!(
            "Accepte de nouveaux patients depuis le {}.",
            french_long(from)
        ),
        Availability::PausedUntil(until) => {
            format!("De retour de pause depuis le {}.", french_long(until))
        }
        _ => "Accepte de nouveaux patients.".into(),
    });
    if needs.home_visits {
        lines.push(format!(
            "Fait des visites à domicile jusqu'à {} km : la personne en a besoin.",
            km(doctor.home_visit_radius_km.unwrap_or(0.0))
        ));
    }
    if doctor.priority_only {
        lines.push(format!(
            "Ne prend que des patients prioritaires : la demande est de niveau {}.",
            needs.priority_level
        ));
    }
    let left = doctor.yearly_capacity.saturating_sub(usage.load);
    lines.push(format!(
        "{left} place{} sur {} encore libre{} cette année (propositions en cours comprises).",
        plural(left),
        doctor.yearly_capacity,
        plural(left)
    ));
    lines.push(match usage.last_solicited_at {
        None => "Jamais sollicité par la CPTS jusqu'ici.".into(),
        Some(at) => format!(
            "Dernière sollicitation le {}.",
            chrono::DateTime::from_timestamp(at, 0)
                .map_or_else(String::new, |d| french_long(d.date_naive()))
        ),
    });
    if others > 0 {
        lines.push(format!(
            "Choisi parmi {} médecins possibles : le moins sollicité récemment parmi les plus proches (tranches de {DISTANCE_BAND_KM:.0} km).",
            others + 1
        ));
    } else {
        lines.push("Seul médecin possible pour cette demande aujourd'hui.".into());
    }
    if doctor.is_stale(today) {
        lines.push(format!(
            "Sa déclaration date du {} : plus de trois mois, à faire confirmer.",
            french_long(doctor.updated)
        ));
    }
    lines
}

fn plural(n: u32) -> &'static str {
    if n > 1 { "s" } else { "" }
}

/// A distance in km, French style: "4,5".
pub fn km(distance: f64) -> String {
    format!("{distance:.1}").replace('.', ",")
}

/// The proposal's content for `candidate`: what the store records and the coordinator reads.
pub fn choice(
    territory: &Territory,
    loads: &Loads,
    needs: &Needs,
    candidate: &Candidate,
    others: usize,
    today: NaiveDate,
) -> Choice {
    let doctor = &territory.doctors[candidate.doctor];
    Choice {
        doctor: doctor.id.clone(),
        yearly_capacity: doctor.yearly_capacity,
        distance_km: (candidate.distance_km * 10.0).round() / 10.0,
        reasons: explain(territory, loads, needs, candidate, others, today),
    }
}

/// The waiting cases, served in order — priority level, then oldest first — each given the best
/// doctor left once the cases before it took theirs. Returns (position in `waiting`, candidate);
/// `loads` ends counting the proposals made.
///
/// Candidates of a commune are computed once per reach and shared by every case there, so a
/// national re-examination costs one spatial query per (commune, reach) rather than per case.
pub fn reexamine(
    territory: &Territory,
    loads: &mut Loads,
    waiting: &[&Case],
    today: NaiveDate,
    now: i64,
) -> Vec<(usize, Candidate)> {
    let mut order: Vec<usize> = (0..waiting.len()).collect();
    order.sort_by_key(|&i| {
        let c = waiting[i];
        (c.needs.priority_level, c.created_at, c.reference.as_str())
    });
    // (commune position, reach in km) → doctors accepting today within reach, nearest first.
    let mut near: HashMap<(usize, u32), Vec<(u32, f32)>> = HashMap::new();
    let mut proposals = Vec::new();
    for i in order {
        let case = waiting[i];
        let Some(commune) = territory.commune_position(&case.needs.commune) else {
            continue;
        };
        let reach = reach_km(&case.needs);
        let list = near.entry((commune, reach as u32)).or_insert_with(|| {
            let mut list = Vec::new();
            territory.visit_doctors_within(
                territory.communes[commune].centre,
                reach,
                |position, distance| {
                    if territory.doctors[position].accepts_on(today) {
                        list.push((position as u32, distance as f32));
                    }
                },
            );
            list.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            list
        });
        let mut best: Option<(Candidate, (u32, i64, u64))> = None;
        for &(position, distance) in list.iter() {
            let position = position as usize;
            let distance_km = f64::from(distance);
            let band = (distance_km / DISTANCE_BAND_KM) as u32;
            if best.as_ref().is_some_and(|(_, key)| band > key.0) {
                break;
            }
            let doctor = &territory.doctors[position];
            let usage = &loads.usage[position];
            if check(doctor, usage, &case.needs, distance_km, &case.tried, today).is_err() {
                continue;
            }
            let key = (
                band,
                usage.last_solicited_at.unwrap_or(i64::MIN),
                (distance_km * 1000.0) as u64,
            );
            if best.as_ref().is_none_or(|(_, k)| key < *k) {
                best = Some((
                    Candidate {
                        doctor: position,
                        distance_km,
                    },
                    key,
                ));
            }
        }
        if let Some((candidate, _)) = best {
            loads.reserve(candidate.doctor, now);
            proposals.push((i, candidate));
        }
    }
    proposals
}
