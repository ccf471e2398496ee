//! Which doctor to propose for a request: a pure function of the territory (doctors' declarations),
//! their counters (capacity used, last solicitation, pauses), the request's needs and the date.
//!
//! A doctor is a candidate when he accepts new patients on that date (now, or "later" once the
//! date has come, or back from a pause), is not paused through his emailed link, confirmed his
//! declaration in time (three months, then [`territory::model::CONFIRMATION_DAYS`] to answer the
//! request to confirm it), practises within
//! the patient's reach (commune centre to practice), makes home visits that far when the patient
//! needs them, takes this priority level (priority-only doctors take levels 1 and 2), has capacity
//! left this year, and was not already proposed for this request.
//!
//! Ranking: by distance in bands of [`DISTANCE_BAND_KM`] (a patient does not mind 3 km or 4 km,
//! but a doctor asked every time minds), then the doctor solicited least recently first (never
//! solicited first), then the exact distance, then the doctor's id so the result is stable.
//! When several requests compete for the same places, [`reexamine`] serves them by priority
//! level, then by age.

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use territory::dates::french_long;
use territory::{Availability, Doctor, LonLat, Territory};

use crate::domain::lifecycle::{Case, Choice, Needs};

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

/// Why a doctor is not a candidate: one variant per rule, in the order [`check`] applies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unfit {
    NotAccepting,
    Paused,
    /// Stale declaration not confirmed in time ([`territory::Doctor::is_lapsed`]).
    Unconfirmed,
    TooFar,
    NoHomeVisitsThatFar,
    PriorityOnly,
    NoCapacityLeft,
    AlreadyProposed,
}

impl Unfit {
    /// In French, for the warning shown when a coordinator chooses this doctor anyway.
    pub fn label(self) -> &'static str {
        match self {
            Self::NotAccepting => "il ne prend pas de nouveaux patients",
            Self::Paused => "il a demandé une pause",
            Self::Unconfirmed => "il n'a pas confirmé sa disponibilité depuis plus de trois mois",
            Self::TooFar => "il est plus loin que la distance acceptée par la personne",
            Self::NoHomeVisitsThatFar => "il ne fait pas de visites à domicile jusque-là",
            Self::PriorityOnly => "il ne prend que des patients prioritaires (niveaux 1 et 2)",
            Self::NoCapacityLeft => "il n'a plus de place cette année",
            Self::AlreadyProposed => "il a déjà été proposé pour cette demande",
        }
    }

    /// Why no doctor can take a request, in French, for the coordinator (see [`why_none`]).
    pub fn none_label(self) -> &'static str {
        match self {
            Self::NotAccepting => "aucun médecin proche n'accepte de nouveaux patients",
            Self::Paused => "les médecins proches sont en pause",
            Self::Unconfirmed => "les médecins proches n'ont pas confirmé leur disponibilité",
            Self::TooFar => "aucun médecin disponible dans la distance acceptée",
            Self::NoHomeVisitsThatFar => {
                "aucun médecin disponible ne fait de visites à domicile jusque-là"
            }
            Self::PriorityOnly => {
                "les médecins disponibles ne prennent que des patients prioritaires"
            }
            Self::NoCapacityLeft => "les médecins proches n'ont plus de place cette année",
            Self::AlreadyProposed => "tous les médecins possibles ont déjà été sollicités",
        }
    }
}

/// Every rule of [`check`] that the doctor at `position` does not meet for `needs` (empty: he
/// is a candidate), with his distance from the patient's commune. `None` when the commune is
/// unknown.
pub fn assess(
    territory: &Territory,
    loads: &Loads,
    needs: &Needs,
    tried: &[String],
    position: usize,
    today: NaiveDate,
) -> Option<(Candidate, Vec<Unfit>)> {
    let commune = territory.commune(&needs.commune)?;
    let doctor = &territory.doctors[position];
    let distance_km = doctor.distance_km(commune.centre);
    let unmet = rules(
        doctor,
        &loads.usage[position],
        needs,
        distance_km,
        tried,
        today,
    )
    .into_iter()
    .filter_map(|(rule, holds)| (!holds).then_some(rule))
    .collect();
    Some((
        Candidate {
            doctor: position,
            distance_km,
        },
        unmet,
    ))
}

/// Each rule of [`check`], in its order, and whether it holds.
fn rules(
    doctor: &Doctor,
    usage: &Usage,
    needs: &Needs,
    distance_km: f64,
    tried: &[String],
    today: NaiveDate,
) -> [(Unfit, bool); 8] {
    [
        (Unfit::NotAccepting, doctor.accepts_on(today)),
        (
            Unfit::Paused,
            usage.paused_until.is_none_or(|until| today > until),
        ),
        (Unfit::Unconfirmed, !doctor.is_lapsed(today)),
        (Unfit::TooFar, distance_km <= reach_km(needs)),
        (
            Unfit::NoHomeVisitsThatFar,
            !needs.home_visits
                || doctor
                    .home_visit_radius_km
                    .is_some_and(|r| distance_km <= r),
        ),
        (
            Unfit::PriorityOnly,
            !doctor.priority_only || needs.priority_level <= 2,
        ),
        (Unfit::NoCapacityLeft, usage.load < doctor.yearly_capacity),
        (Unfit::AlreadyProposed, !tried.contains(&doctor.id)),
    ]
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
    match rules(doctor, usage, needs, distance_km, tried, today)
        .into_iter()
        .find(|(_, holds)| !holds)
    {
        Some((rule, _)) => Err(rule),
        None => Ok(()),
    }
}

/// A doctor who may be proposed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Position in `territory.doctors`.
    pub doctor: usize,
    pub distance_km: f64,
}

/// The ranking key without the tie-break on the id: band, last solicitation (never first), then
/// the exact distance to the metre. Smaller is better.
fn rank_key(distance_km: f64, usage: &Usage) -> (u32, i64, u64) {
    (
        (distance_km / DISTANCE_BAND_KM) as u32,
        usage.last_solicited_at.unwrap_or(i64::MIN),
        (distance_km * 1000.0) as u64,
    )
}

/// The ranking: [`rank_key`], then the doctor's id so the result is stable.
fn rank(territory: &Territory, loads: &Loads, a: &Candidate, b: &Candidate) -> Ordering {
    rank_key(a.distance_km, &loads.usage[a.doctor])
        .cmp(&rank_key(b.distance_km, &loads.usage[b.doctor]))
        .then_with(|| {
            territory.doctors[a.doctor]
                .id
                .cmp(&territory.doctors[b.doctor].id)
        })
}

/// Calls `found` for every doctor who may be proposed for `needs`, in no particular order.
fn visit_candidates(
    territory: &Territory,
    loads: &Loads,
    needs: &Needs,
    tried: &[String],
    today: NaiveDate,
    mut found: impl FnMut(Candidate),
) {
    let Some(commune) = territory.commune(&needs.commune) else {
        return;
    };
    territory.visit_doctors_within(commune.centre, reach_km(needs), |position, distance_km| {
        let doctor = &territory.doctors[position];
        let usage = &loads.usage[position];
        if check(doctor, usage, needs, distance_km, tried, today).is_ok() {
            found(Candidate {
                doctor: position,
                distance_km,
            });
        }
    });
}

/// Every candidate for `needs`, best first.
pub fn candidates(
    territory: &Territory,
    loads: &Loads,
    needs: &Needs,
    tried: &[String],
    today: NaiveDate,
) -> Vec<Candidate> {
    let mut found = Vec::new();
    visit_candidates(territory, loads, needs, tried, today, |c| found.push(c));
    found.sort_by(|a, b| rank(territory, loads, a, b));
    found
}

/// The doctor to propose for `needs`, if any: the first of [`candidates`], found without sorting
/// them all.
pub fn best(
    territory: &Territory,
    loads: &Loads,
    needs: &Needs,
    tried: &[String],
    today: NaiveDate,
) -> Option<Candidate> {
    let mut best: Option<Candidate> = None;
    visit_candidates(territory, loads, needs, tried, today, |c| {
        if best
            .as_ref()
            .is_none_or(|b| rank(territory, loads, &c, b) == Ordering::Less)
        {
            best = Some(c);
        }
    });
    best
}

/// For a request no doctor can take: the rule that leaves no candidate, `None` when there is
/// one. Every doctor within [`FARTHEST_KM`] goes through [`check`]; each stops at the first rule
/// he fails, and the rule that stopped the doctors who went furthest is the one to lift (the
/// nearest accepting doctors are too far; or near enough but full…). No doctor within
/// [`FARTHEST_KM`] at all (or an unknown commune): too far.
pub fn why_none(
    territory: &Territory,
    loads: &Loads,
    needs: &Needs,
    tried: &[String],
    today: NaiveDate,
) -> Option<Unfit> {
    let Some(commune) = territory.commune(&needs.commune) else {
        return Some(Unfit::TooFar);
    };
    // `Ok` sorts before `Err`: the least is a candidate if there is one, else the furthest rule.
    let mut furthest: Option<Result<(), std::cmp::Reverse<Unfit>>> = None;
    territory.visit_doctors_within(commune.centre, FARTHEST_KM, |position, distance_km| {
        let outcome = check(
            &territory.doctors[position],
            &loads.usage[position],
            needs,
            distance_km,
            tried,
            today,
        )
        .map_err(std::cmp::Reverse);
        if furthest.is_none_or(|f| outcome < f) {
            furthest = Some(outcome);
        }
    });
    match furthest {
        Some(Ok(())) => None,
        Some(Err(std::cmp::Reverse(unfit))) => Some(unfit),
        None => Some(Unfit::TooFar),
    }
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
        // Paused until that day included: back the day after.
        Availability::PausedUntil(until) => format!(
            "De retour de pause depuis le {}.",
            french_long(until.succ_opt().unwrap_or(until))
        ),
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
/// doctor left once the cases before it took theirs: case by case, exactly what [`best`] would
/// give. Returns (position in `waiting`, candidate); `loads` ends counting the proposals made.
///
/// Built for a national re-examination (a million cases in seconds): the doctors who may take
/// anyone at all today (accepting, not paused, places left) are put in a grid once; each commune
/// with waiting cases gets their list, nearest first, as far as its farthest-reaching case
/// needs, shared by all its cases; a doctor found full is dropped from the list he is met in.
pub fn reexamine(
    territory: &Territory,
    loads: &mut Loads,
    waiting: &[&Case],
    today: NaiveDate,
    now: i64,
) -> Vec<(usize, Candidate)> {
    // Each case's commune and reach; unknown communes are skipped.
    let places: Vec<Option<(u32, f64)>> = waiting
        .iter()
        .map(|case| {
            territory
                .commune_position(&case.needs.commune)
                .map(|commune| (commune as u32, reach_km(&case.needs)))
        })
        .collect();
    // (priority level, registered at, position): sorted without reading the cases again, but
    // on a tie the reference decides, as before.
    let mut order: Vec<(u8, i64, usize)> = (0..waiting.len())
        .filter(|&i| places[i].is_some())
        .map(|i| (waiting[i].needs.priority_level, waiting[i].created_at, i))
        .collect();
    order.sort_unstable_by(|a, b| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then_with(|| waiting[a.2].reference.cmp(&waiting[b.2].reference))
            .then(a.2.cmp(&b.2))
    });
    // Per commune: how far its cases reach at most, and how many are still to serve (its list is
    // freed after its last case).
    let mut farthest = vec![0.0f64; territory.communes.len()];
    let mut remaining = vec![0u32; territory.communes.len()];
    for &(commune, reach) in places.iter().flatten() {
        let commune = commune as usize;
        farthest[commune] = farthest[commune].max(reach);
        remaining[commune] += 1;
    }
    let open = OpenDoctors::new(territory, loads, today);
    // Per commune: (distance in km, doctor position), nearest first then by id.
    let mut near: Vec<Option<Vec<(f64, u32)>>> = vec![None; territory.communes.len()];
    let mut proposals = Vec::new();
    for (_, _, i) in order {
        let case = waiting[i];
        let Some((commune, reach)) = places[i] else {
            continue;
        };
        let commune = commune as usize;
        let list = near[commune].get_or_insert_with(|| {
            open.near(
                territory,
                territory.communes[commune].centre,
                farthest[commune],
            )
        });
        if let Some(candidate) = best_in_list(territory, loads, list, case, reach, today) {
            loads.reserve(candidate.doctor, now);
            proposals.push((i, candidate));
        }
        remaining[commune] -= 1;
        if remaining[commune] == 0 {
            near[commune] = None;
        }
    }
    proposals
}

/// The best candidate for `case` in `list` (sorted by distance then id), within `reach`; the
/// doctors met with no place left are removed from `list` on the way.
fn best_in_list(
    territory: &Territory,
    loads: &Loads,
    list: &mut Vec<(f64, u32)>,
    case: &Case,
    reach: f64,
    today: NaiveDate,
) -> Option<Candidate> {
    let mut best: Option<(Candidate, (u32, i64, u64))> = None;
    let mut kept = 0;
    let mut read = 0;
    while read < list.len() {
        let (distance_km, position) = list[read];
        if distance_km > reach {
            break;
        }
        let key = rank_key(distance_km, &loads.usage[position as usize]);
        // Sorted by distance: once past the best one's band, nobody can do better.
        if best.as_ref().is_some_and(|(_, k)| key.0 > k.0) {
            break;
        }
        read += 1;
        let position = position as usize;
        let doctor = &territory.doctors[position];
        let usage = &loads.usage[position];
        if usage.load >= doctor.yearly_capacity {
            // Full for the rest of this re-examination: loads only grow.
            continue;
        }
        list[kept] = list[read - 1];
        kept += 1;
        if check(doctor, usage, &case.needs, distance_km, &case.tried, today).is_err() {
            continue;
        }
        let better = match &best {
            None => true,
            Some((b, k)) => key
                .cmp(k)
                .then_with(|| doctor.id.cmp(&territory.doctors[b.doctor].id))
                .is_lt(),
        };
        if better {
            best = Some((
                Candidate {
                    doctor: position,
                    distance_km,
                },
                key,
            ));
        }
    }
    if kept < read {
        list.drain(kept..read);
    }
    best.map(|(candidate, _)| candidate)
}

/// The doctors who may take a patient today at all (accepting on that date, not paused,
/// confirmed in time, a place left), in cells of a longitude/latitude grid, for many "who is within N km of here" queries.
struct OpenDoctors {
    /// Position in `territory.doctors` of each open doctor, cell by cell: once in the cell of
    /// each of his practices.
    doctors: Vec<u32>,
    /// Some open doctor has several practices, so may be met more than once.
    several: bool,
    /// `doctors[starts[cell]..starts[cell + 1]]` are the open doctors of `cell`.
    starts: Vec<u32>,
    west: f64,
    south: f64,
    /// Side of a cell, in degrees.
    cell: f64,
    columns: usize,
    rows: usize,
}

/// Degrees of latitude per km on the sphere distances are measured on.
const DEGREES_PER_KM: f64 = 180.0 / (std::f64::consts::PI * territory::distance::EARTH_RADIUS_KM);

impl OpenDoctors {
    fn new(territory: &Territory, loads: &Loads, today: NaiveDate) -> Self {
        let open: Vec<u32> = (0..territory.doctors.len())
            .filter(|&p| {
                let (doctor, usage) = (&territory.doctors[p], &loads.usage[p]);
                doctor.accepts_on(today)
                    && usage.paused_until.is_none_or(|until| today > until)
                    && !doctor.is_lapsed(today)
                    && usage.load < doctor.yearly_capacity
            })
            .map(|p| p as u32)
            .collect();
        // One (doctor, place) for each of his practices.
        let places: Vec<(u32, LonLat)> = open
            .iter()
            .flat_map(|&p| {
                territory.doctors[p as usize]
                    .practices()
                    .map(move |practice| (p, practice.location))
            })
            .collect();
        let several = places.len() > open.len();
        let (mut west, mut east, mut south, mut north) = (180.0f64, -180.0f64, 90.0f64, -90.0f64);
        for &(_, l) in &places {
            (west, east) = (west.min(l.lon), east.max(l.lon));
            (south, north) = (south.min(l.lat), north.max(l.lat));
        }
        if open.is_empty() {
            (west, east, south, north) = (0.0, 0.0, 0.0, 0.0);
        }
        // A tenth of a degree (about 10 km), coarser if the doctors spread over the world.
        let cell = 0.1f64.max(((east - west) * (north - south) / 4e6).sqrt());
        let columns = ((east - west) / cell) as usize + 1;
        let rows = ((north - south) / cell) as usize + 1;
        let cell_of = |l: LonLat| {
            let column = (((l.lon - west) / cell) as usize).min(columns - 1);
            let row = (((l.lat - south) / cell) as usize).min(rows - 1);
            row * columns + column
        };
        let mut starts = vec![0u32; columns * rows + 1];
        for &(_, l) in &places {
            starts[cell_of(l) + 1] += 1;
        }
        for c in 0..columns * rows {
            starts[c + 1] += starts[c];
        }
        let mut next = starts.clone();
        let mut doctors = vec![0u32; places.len()];
        for &(p, l) in &places {
            let c = cell_of(l);
            doctors[next[c] as usize] = p;
            next[c] += 1;
        }
        Self {
            doctors,
            several,
            starts,
            west,
            south,
            cell,
            columns,
            rows,
        }
    }

    /// The open doctors within `radius_km` of `centre` (great-circle distance, as
    /// `Territory::visit_doctors_within` measures it): (distance, position), nearest first, then
    /// by id.
    fn near(&self, territory: &Territory, centre: LonLat, radius_km: f64) -> Vec<(f64, u32)> {
        let mut found = Vec::new();
        let mut visit = |position: u32| {
            let distance = territory.doctors[position as usize].distance_km(centre);
            if distance <= radius_km {
                found.push((distance, position));
            }
        };
        // A box that holds every point within the radius, with a margin: in latitude, the
        // distance is at least the difference of latitudes; in longitude, sin(d / 2R) is at least
        // cos(latitude) · sin(Δlon / 2) for the farthest latitude from the equator in the box.
        let dlat = radius_km * DEGREES_PER_KM * 1.01 + 1e-9;
        let farthest = (centre.lat.abs() + dlat).min(90.0);
        let cos = farthest.to_radians().cos();
        let half = (radius_km / (2.0 * territory::distance::EARTH_RADIUS_KM)).sin() / cos;
        let crosses_pole = farthest >= 89.0 || half >= 1.0;
        let dlon = if crosses_pole {
            360.0
        } else {
            (2.0 * half.asin()).to_degrees() * 1.01 + 1e-9
        };
        if crosses_pole || centre.lon - dlon < -180.0 || centre.lon + dlon > 180.0 {
            // Near a pole or the antimeridian: every open doctor is looked at.
            self.doctors.iter().for_each(|&p| visit(p));
        } else {
            let column = |lon: f64| ((lon - self.west) / self.cell).floor();
            let row = |lat: f64| ((lat - self.south) / self.cell).floor();
            let clamp = |x: f64, n: usize| x.clamp(0.0, (n - 1) as f64) as usize;
            let (c0, c1) = (column(centre.lon - dlon), column(centre.lon + dlon));
            let (r0, r1) = (row(centre.lat - dlat), row(centre.lat + dlat));
            let outside = c1 < 0.0
                || r1 < 0.0
                || c0 > (self.columns - 1) as f64
                || r0 > (self.rows - 1) as f64;
            if !outside {
                let (c0, c1) = (clamp(c0, self.columns), clamp(c1, self.columns));
                for r in clamp(r0, self.rows)..=clamp(r1, self.rows) {
                    let from = self.starts[r * self.columns + c0] as usize;
                    let to = self.starts[r * self.columns + c1 + 1] as usize;
                    self.doctors[from..to].iter().for_each(|&p| visit(p));
                }
            }
        }
        found.sort_unstable_by(|a, b| {
            a.0.total_cmp(&b.0).then_with(|| {
                territory.doctors[a.1 as usize]
                    .id
                    .cmp(&territory.doctors[b.1 as usize].id)
                    .then(a.1.cmp(&b.1))
            })
        });
        if self.several {
            // A doctor met through two practices: the same distance, so side by side.
            found.dedup_by_key(|&mut (_, position)| position);
        }
        found.shrink_to_fit();
        found
    }
}

/// A doctor's counters for one year.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DoctorLoad {
    pub doctor: String,
    pub period: i32,
    /// Proposals of the year that are open or accepted.
    pub load: u32,
    pub accepted: u32,
    pub last_solicited_at: Option<i64>,
    pub paused_until: Option<NaiveDate>,
}
