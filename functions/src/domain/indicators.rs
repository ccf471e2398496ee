//! The figures a CPTS reports (DOMAIN.md §4.1, issue #16): for the requests received in a period
//! (the cohort), how many came by each channel, at each priority level and age bracket, what
//! became of them, and how long each step took. Pure: it reads what the store keeps without
//! personal data ([`Entry`]: the case, the channel, the age bracket, the proposals' dates).

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use territory::{Availability, Territory};

use crate::domain::dates::local_date;
use crate::domain::intake::Channel;
use crate::domain::lifecycle::{
    Case, CaseState, ClosingReason, Proposal, ProposalState, RejectionReason,
};
use crate::domain::matching::{DoctorLoad, period_of};
use crate::domain::registration::Criterion;

/// The age brackets counted, in order (those of [`crate::domain::lifecycle::age_bracket`]).
pub const AGE_BRACKETS: [&str; 4] = ["0-5", "6-15", "16-69", "70+"];

/// A period of local dates, both ends included; `from: None` counts from the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Option<NaiveDate>,
    pub to: NaiveDate,
}

impl Period {
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|from| from <= day) && day <= self.to
    }

    /// The quarter of `today`, up to `today`.
    pub fn quarter(today: NaiveDate) -> Self {
        let first_month = (today.month0() / 3) * 3 + 1;
        Self {
            from: NaiveDate::from_ymd_opt(today.year(), first_month, 1),
            to: today,
        }
    }

    /// The year of `today`, up to `today`.
    pub fn year(today: NaiveDate) -> Self {
        Self {
            from: NaiveDate::from_ymd_opt(today.year(), 1, 1),
            to: today,
        }
    }

    /// Since the first request, up to `today`.
    pub fn since_start(today: NaiveDate) -> Self {
        Self {
            from: None,
            to: today,
        }
    }

    /// The periods offered by default, with their French names: the quarter, the year, since
    /// the start.
    pub fn defaults(today: NaiveDate) -> [(&'static str, Period); 3] {
        [
            ("Ce trimestre", Self::quarter(today)),
            ("Cette année", Self::year(today)),
            ("Depuis le début", Self::since_start(today)),
        ]
    }
}

/// What the figures need of one request: no name, no phone, no birth date.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub case: Case,
    pub channel: Channel,
    /// "0-5", "6-15", "16-69" or "70+", at registration; `None` when unknown.
    pub age_bracket: Option<&'static str>,
    /// When the first doctor was proposed.
    pub first_proposal_at: Option<i64>,
    /// When a doctor first accepted.
    pub accepted_at: Option<i64>,
    /// Why the coordination set a proposed doctor aside, one per proposal set aside.
    pub set_aside: Vec<RejectionReason>,
    /// The priority criteria that held at registration (the ACI report); empty when unknown.
    pub criteria: Vec<Criterion>,
    /// The age in whole years at registration (the ACI report's mean age); `None` when unknown.
    pub age: Option<u32>,
}

impl Entry {
    /// The entry of `case` with its proposals (any order).
    pub fn of(
        case: Case,
        channel: Channel,
        age_bracket: Option<&'static str>,
        proposals: &[Proposal],
    ) -> Self {
        let first_proposal_at = proposals.iter().map(|p| p.created_at).min();
        let accepted_at = proposals
            .iter()
            .flat_map(|p| &p.history)
            .filter(|s| s.state == ProposalState::Accepted)
            .map(|s| s.at)
            .min();
        let set_aside = proposals
            .iter()
            .flat_map(|p| &p.history)
            .filter(|s| s.state == ProposalState::Rejected)
            .filter_map(|s| {
                let note = s.note.as_deref()?;
                RejectionReason::ALL.into_iter().find(|r| r.label() == note)
            })
            .collect();
        Self {
            case,
            channel,
            age_bracket,
            first_proposal_at,
            accepted_at,
            set_aside,
            criteria: Vec::new(),
            age: None,
        }
    }

    /// The same entry with what the ACI report reads of the person at registration: the
    /// criteria that held, and the age in years.
    pub fn with_person(mut self, criteria: Vec<Criterion>, age: Option<u32>) -> Self {
        self.criteria = criteria;
        self.age = age;
        self
    }

    /// Whether a GP was found through the CPTS: closed so, or a doctor accepted and the request
    /// is not closed yet.
    pub fn found_through_cpts(&self) -> bool {
        Outcome::of(&self.case).is_found_through_cpts()
    }

    /// Whether the request was received in `period`.
    pub fn in_period(&self, period: &Period) -> bool {
        period.contains(local_date(self.case.created_at))
    }
}

/// What became of a request, as counted: its closing reason, or where it stands while open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// A doctor accepted; the request is not closed yet.
    DoctorAccepted,
    Closed(Reason),
    /// Waits for a doctor, or for an answer to a proposal.
    Waiting,
    /// Not reached after several calls: waits for a coordinator.
    Suspended,
}

/// [`ClosingReason`] with an order (the order of [`ClosingReason::ALL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reason(usize);

impl Reason {
    pub fn of(reason: ClosingReason) -> Self {
        Self(
            ClosingReason::ALL
                .iter()
                .position(|r| *r == reason)
                .unwrap_or_default(),
        )
    }

    pub fn reason(self) -> ClosingReason {
        ClosingReason::ALL[self.0]
    }
}

impl Outcome {
    /// Every outcome, in the order of the tables.
    pub fn all() -> Vec<Outcome> {
        let mut all = vec![Outcome::DoctorAccepted];
        all.extend(
            ClosingReason::ALL
                .into_iter()
                .map(|r| Outcome::Closed(Reason::of(r))),
        );
        all.extend([Outcome::Waiting, Outcome::Suspended]);
        all
    }

    pub fn of(case: &Case) -> Self {
        match (case.state, &case.closure) {
            (CaseState::Closed, Some(c)) => Outcome::Closed(Reason::of(c.reason)),
            (CaseState::Accepted | CaseState::Informed, _) => Outcome::DoctorAccepted,
            (CaseState::Suspended, _) => Outcome::Suspended,
            // A closed case always has its closure; read it as waiting otherwise.
            _ => Outcome::Waiting,
        }
    }

    /// A GP found through the CPTS: a doctor accepted, closed or not yet.
    pub fn is_found_through_cpts(self) -> bool {
        self == Outcome::DoctorAccepted
            || self == Outcome::Closed(Reason::of(ClosingReason::FoundThroughCpts))
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::DoctorAccepted => "Un médecin a accepté (demande pas encore close)",
            Outcome::Closed(r) => r.reason().label(),
            Outcome::Waiting => "Toujours en attente d'un médecin",
            Outcome::Suspended => "Suspendue : personne injoignable pour l'instant",
        }
    }

    /// The CSV's code: the closing reason's, or the state's.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::DoctorAccepted => "medecin_accepte",
            Outcome::Closed(r) => r.reason().code(),
            Outcome::Waiting => "en_attente",
            Outcome::Suspended => "suspendue",
        }
    }
}

/// A delay between two steps, in whole days, over the requests that reached the second step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delay {
    pub label: &'static str,
    pub count: usize,
    pub median: Option<i64>,
    pub p90: Option<i64>,
}

/// The figures of one cohort.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Figures {
    pub received: usize,
    /// (channel in French, count), every channel, the web form split by poster tag.
    pub by_channel: Vec<(String, usize)>,
    /// Levels 1 to 3.
    pub by_level: [usize; 3],
    /// [`AGE_BRACKETS`] in order, then "inconnue" when some bracket is unknown.
    pub by_age: Vec<(&'static str, usize)>,
    /// Every [`Outcome`] in order, with its count (zeros included).
    pub outcomes: Vec<(Outcome, usize)>,
    /// Requests closed because the person refused, of which one doctor at least was set aside
    /// as too far.
    pub refused_too_far: usize,
    /// Doctors set aside by the coordination, by reason (every reason, zeros included).
    pub set_aside: Vec<(RejectionReason, usize)>,
    pub delays: Vec<Delay>,
}

impl Figures {
    /// Requests where a GP was found: through the CPTS (closed, or a doctor accepted and the
    /// request is not closed yet).
    pub fn found_through_cpts(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|(o, _)| o.is_found_through_cpts())
            .map(|(_, n)| n)
            .sum()
    }
}

/// The web form's label in the tables, with its poster tag when it has one.
pub fn channel_label(channel: &Channel) -> String {
    match channel {
        Channel::Web { source: Some(s) } => {
            format!("Formulaire en ligne, affiche « {} »", s.as_str())
        }
        Channel::Web { source: None } => "Formulaire en ligne, sans affiche".into(),
        other => other.label().into(),
    }
}

/// The value at quantile `q` (0 to 1) of `sorted` (ascending), the nearest rank rounded; `None`
/// when empty.
pub fn quantile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    Some(sorted[((sorted.len() - 1) as f64 * q).round() as usize])
}

fn delay(label: &'static str, mut days: Vec<i64>) -> Delay {
    days.sort_unstable();
    Delay {
        label,
        count: days.len(),
        median: quantile(&days, 0.5),
        p90: quantile(&days, 0.9),
    }
}

/// The figures of the requests of `entries` received in `period`.
pub fn compute<'a>(entries: impl IntoIterator<Item = &'a Entry>, period: &Period) -> Figures {
    let cohort: Vec<&Entry> = entries
        .into_iter()
        .filter(|e| e.in_period(period))
        .collect();
    let mut channels: BTreeMap<(usize, String), usize> = BTreeMap::new();
    // Every channel is listed, even at zero, in the staff form's order after the web form.
    let order = |c: &Channel| match c {
        Channel::Web { .. } => 0,
        other => 1 + Channel::STAFF.iter().position(|s| s == other).unwrap_or(99),
    };
    channels.insert((0, channel_label(&Channel::default())), 0);
    for c in Channel::STAFF {
        channels.insert((order(&c), channel_label(&c)), 0);
    }
    let mut by_level = [0; 3];
    let mut ages: BTreeMap<usize, usize> = BTreeMap::new();
    let mut outcomes: BTreeMap<Outcome, usize> =
        Outcome::all().into_iter().map(|o| (o, 0)).collect();
    let mut set_aside: Vec<(RejectionReason, usize)> =
        RejectionReason::ALL.into_iter().map(|r| (r, 0)).collect();
    let mut refused_too_far = 0;
    let (mut to_proposal, mut to_accepted, mut proposal_to_accepted) = (vec![], vec![], vec![]);
    for e in &cohort {
        *channels
            .entry((order(&e.channel), channel_label(&e.channel)))
            .or_default() += 1;
        let level = usize::from(e.case.needs.priority_level.clamp(1, 3)) - 1;
        by_level[level] += 1;
        let bracket = e
            .age_bracket
            .and_then(|b| AGE_BRACKETS.iter().position(|x| *x == b))
            .unwrap_or(AGE_BRACKETS.len());
        *ages.entry(bracket).or_default() += 1;
        let outcome = Outcome::of(&e.case);
        *outcomes.entry(outcome).or_default() += 1;
        for r in &e.set_aside {
            if let Some(row) = set_aside.iter_mut().find(|(x, _)| x == r) {
                row.1 += 1;
            }
        }
        if outcome == Outcome::Closed(Reason::of(ClosingReason::RefusedProposal))
            && e.set_aside.contains(&RejectionReason::TooFar)
        {
            refused_too_far += 1;
        }
        let days = |from: i64, to: i64| (to - from).max(0) / 86_400;
        if let Some(p) = e.first_proposal_at {
            to_proposal.push(days(e.case.created_at, p));
            if let Some(a) = e.accepted_at {
                proposal_to_accepted.push(days(p, a));
            }
        }
        if let Some(a) = e.accepted_at {
            to_accepted.push(days(e.case.created_at, a));
        }
    }
    let mut by_age: Vec<(&'static str, usize)> = AGE_BRACKETS
        .iter()
        .enumerate()
        .map(|(i, b)| (*b, ages.get(&i).copied().unwrap_or_default()))
        .collect();
    if let Some(&n) = ages.get(&AGE_BRACKETS.len()) {
        by_age.push(("inconnue", n));
    }
    Figures {
        received: cohort.len(),
        by_channel: channels.into_iter().map(|((_, l), n)| (l, n)).collect(),
        by_level,
        by_age,
        outcomes: outcomes.into_iter().collect(),
        refused_too_far,
        set_aside,
        delays: vec![
            delay("De la demande au premier médecin proposé", to_proposal),
            delay(
                "Du premier médecin proposé à l'accord d'un médecin",
                proposal_to_accepted,
            ),
            delay("De la demande à l'accord d'un médecin", to_accepted),
        ],
    }
}

/// The doctors taking part, as of one day: not a cohort, what the roster and the doctors' own
/// declarations say that day, and what they accepted that year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Supply {
    /// Doctors whose practice commune is in the area.
    pub doctors: usize,
    /// New patients a year they declared they would take, added up.
    pub capacity_declared: u64,
    /// Patients they accepted through the CPTS this year, added up.
    pub capacity_used: u64,
    /// Paused on that day: by their declaration, or after answering a proposal.
    pub paused: usize,
    /// Declared they take no new patient (a pause aside).
    pub not_accepting: usize,
    /// Declared more than three months before: to be confirmed.
    pub stale: usize,
    /// Of the stale, no longer proposed for want of confirmation.
    pub lapsed: usize,
}

/// The supply of the doctors of `territory` practising in `cpts` (as the figures' area: `None`
/// the whole territory, `Some(None)` the communes outside any CPTS, `Some(Some(id))` one CPTS)
/// on `today`, with `loads` the counters of `today`'s year.
pub fn supply(
    territory: &Territory,
    cpts: Option<Option<&str>>,
    loads: &[DoctorLoad],
    today: NaiveDate,
) -> Supply {
    let period = period_of(today);
    let loads: HashMap<&str, &DoctorLoad> = loads
        .iter()
        .filter(|l| l.period == period)
        .map(|l| (l.doctor.as_str(), l))
        .collect();
    let in_area = |doctor: &territory::Doctor| {
        cpts.is_none_or(|wanted| territory.cpts_of_doctor(doctor).map(|c| c.id.as_str()) == wanted)
    };
    let mut s = Supply::default();
    for d in territory.doctors.iter().filter(|d| in_area(d)) {
        let load = loads.get(d.id.as_str());
        s.doctors += 1;
        s.capacity_declared += u64::from(d.yearly_capacity);
        s.capacity_used += load.map_or(0, |l| u64::from(l.accepted));
        let declared_pause =
            matches!(d.availability, Availability::PausedUntil(until) if until >= today);
        let load_pause = load
            .and_then(|l| l.paused_until)
            .is_some_and(|until| until >= today);
        if d.availability == Availability::NotAccepting {
            s.not_accepting += 1;
        } else if declared_pause || load_pause {
            s.paused += 1;
        }
        if d.is_stale(today) {
            s.stale += 1;
        }
        if d.is_lapsed(today) {
            s.lapsed += 1;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::intake::Source;
    use crate::domain::lifecycle::{Closure, Needs, Step, reopen};

    const DAY: i64 = 86_400;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Noon (local time) of `s`.
    fn at(s: &str) -> i64 {
        day(s)
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_local_timezone(chrono::Local)
            .unwrap()
            .timestamp()
    }

    fn case(reference: &str, received: &str, level: u8) -> Case {
        Case {
            reference: reference.into(),
            cpts: Some("vouzinois".into()),
            created_at: at(received),
            needs: Needs {
                commune: "08490".into(),
                max_distance_km: Some(20),
                home_visits: false,
                priority_level: level,
            },
            has_email: true,
            state: CaseState::Waiting,
            version: 1,
            updated_at: at(received),
            proposals: vec![],
            tried: vec![],
            closure: None,
            unanswered_calls: 0,
        }
    }

    fn closed(mut c: Case, reason: ClosingReason) -> Case {
        c.state = CaseState::Closed;
        c.closure = Some(Closure {
            reason,
            at: c.created_at + 30 * DAY,
            by: "system".into(),
        });
        c
    }

    fn proposal(
        reference: &str,
        created_at: i64,
        steps: &[(ProposalState, i64, Option<&str>)],
    ) -> Proposal {
        Proposal {
            id: format!("{reference}-1"),
            reference: reference.into(),
            doctor: "d1".into(),
            state: steps.last().map_or(ProposalState::Proposed, |s| s.0),
            created_at,
            deadline: created_at + 7 * DAY,
            reminded: false,
            period: 2025,
            distance_km: 25.0,
            reasons: vec![],
            history: steps
                .iter()
                .map(|(state, at, note)| Step {
                    state: *state,
                    at: *at,
                    by: "system".into(),
                    note: note.map(str::to_string),
                })
                .collect(),
        }
    }

    fn web(c: Case) -> Entry {
        Entry::of(c, Channel::default(), Some("16-69"), &[])
    }

    fn count(f: &Figures, outcome: Outcome) -> usize {
        f.outcomes.iter().find(|(o, _)| *o == outcome).unwrap().1
    }

    fn closed_for(reason: ClosingReason) -> Outcome {
        Outcome::Closed(Reason::of(reason))
    }

    const JAN_JUNE: Period = Period {
        from: NaiveDate::from_ymd_opt(2025, 1, 1),
        to: NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
    };

    #[test]
    fn the_cohort_is_the_requests_received_in_the_period_both_ends_included() {
        let entries = [
            web(case("A", "2024-12-31", 3)),
            web(case("B", "2025-01-01", 3)),
            web(case("C", "2025-06-30", 1)),
            web(case("D", "2025-07-01", 3)),
        ];
        let f = compute(&entries, &JAN_JUNE);
        assert_eq!(f.received, 2);
        assert_eq!(f.by_level, [1, 0, 1]);
        let all = compute(&entries, &Period::since_start(day("2025-12-31")));
        assert_eq!(all.received, 4);
        // Closed after the period, a request still counts in the cohort it was received in.
        let late = [web(closed(
            case("E", "2025-06-20", 2),
            ClosingReason::FoundAlone,
        ))];
        let f = compute(&late, &JAN_JUNE);
        assert_eq!(count(&f, closed_for(ClosingReason::FoundAlone)), 1);
    }

    #[test]
    fn every_closing_reason_and_open_state_has_its_row_and_each_request_counts_once() {
        let mut entries: Vec<Entry> = ClosingReason::ALL
            .iter()
            .enumerate()
            .map(|(i, r)| web(closed(case(&format!("R{i}"), "2025-03-01", 3), *r)))
            .collect();
        let mut accepted = case("ACC", "2025-03-01", 3);
        accepted.state = CaseState::Informed;
        let mut suspended = case("SUS", "2025-03-01", 3);
        suspended.state = CaseState::Suspended;
        let mut proposed = case("PRO", "2025-03-01", 3);
        proposed.state = CaseState::Validated;
        // Closed, then reopened: waits again, its old reason no longer counts.
        let was_closed = closed(case("REO", "2025-03-01", 3), ClosingReason::Unreachable);
        let t = reopen(&was_closed, at("2025-04-01"), "staff:x").unwrap();
        let reopened = t.case.unwrap().1;
        assert_eq!(reopened.state, CaseState::Waiting);
        for c in [
            accepted,
            suspended,
            proposed,
            reopened,
            case("WAI", "2025-03-01", 3),
        ] {
            entries.push(web(c));
        }
        let f = compute(&entries, &JAN_JUNE);
        assert_eq!(f.received, ClosingReason::ALL.len() + 5);
        assert_eq!(f.outcomes.len(), ClosingReason::ALL.len() + 3);
        for r in ClosingReason::ALL {
            assert_eq!(count(&f, closed_for(r)), 1, "{r:?}");
        }
        assert_eq!(count(&f, Outcome::DoctorAccepted), 1);
        assert_eq!(count(&f, Outcome::Suspended), 1);
        assert_eq!(
            count(&f, Outcome::Waiting),
            3,
            "proposed, reopened, waiting"
        );
        assert_eq!(f.outcomes.iter().map(|(_, n)| n).sum::<usize>(), f.received);
        assert_eq!(f.found_through_cpts(), 2, "closed found, and accepted");
    }

    #[test]
    fn channels_split_the_web_form_by_poster_and_list_every_channel() {
        let poster = Channel::Web {
            source: Source::parse("affiche-vouziers-a4"),
        };
        let entries = [
            Entry::of(case("A", "2025-02-01", 3), poster.clone(), Some("70+"), &[]),
            Entry::of(case("B", "2025-02-01", 3), poster, Some("70+"), &[]),
            Entry::of(
                case("C", "2025-02-01", 3),
                Channel::Telephone,
                Some("0-5"),
                &[],
            ),
            Entry::of(case("D", "2025-02-01", 3), Channel::default(), None, &[]),
        ];
        let f = compute(&entries, &JAN_JUNE);
        let n = |label: &str| f.by_channel.iter().find(|(l, _)| l == label).map(|x| x.1);
        assert_eq!(
            n("Formulaire en ligne, affiche « affiche-vouziers-a4 »"),
            Some(2)
        );
        assert_eq!(n("Formulaire en ligne, sans affiche"), Some(1));
        assert_eq!(n("Appel téléphonique"), Some(1));
        assert_eq!(n("Mairie"), Some(0), "every channel, even at zero");
        assert_eq!(f.by_channel.len(), 8);
        assert_eq!(f.by_channel.iter().map(|x| x.1).sum::<usize>(), 4);
        assert_eq!(
            f.by_age,
            vec![
                ("0-5", 1),
                ("6-15", 0),
                ("16-69", 0),
                ("70+", 2),
                ("inconnue", 1)
            ]
        );
    }

    #[test]
    fn delays_and_refusals_come_from_the_proposals() {
        let received = at("2025-01-10");
        let far = RejectionReason::TooFar.label();
        // Proposed after 2 days, set aside as too far; the person then refused.
        let refused = Entry::of(
            closed(case("A", "2025-01-10", 3), ClosingReason::RefusedProposal),
            Channel::default(),
            None,
            &[proposal(
                "A",
                received + 2 * DAY,
                &[(ProposalState::Rejected, received + 3 * DAY, Some(far))],
            )],
        );
        // Proposed after 4 days, accepted 6 days later.
        let found = Entry::of(
            closed(case("B", "2025-01-10", 3), ClosingReason::FoundThroughCpts),
            Channel::default(),
            None,
            &[proposal(
                "B",
                received + 4 * DAY,
                &[
                    (ProposalState::Validated, received + 5 * DAY, None),
                    (ProposalState::Accepted, received + 10 * DAY, None),
                ],
            )],
        );
        let f = compute(
            &[refused, found, web(case("C", "2025-01-10", 3))],
            &JAN_JUNE,
        );
        assert_eq!(f.refused_too_far, 1);
        assert_eq!(f.set_aside[0], (RejectionReason::TooFar, 1));
        let d = &f.delays;
        assert_eq!((d[0].count, d[0].median, d[0].p90), (2, Some(4), Some(4)));
        assert_eq!((d[1].count, d[1].median), (1, Some(6)));
        assert_eq!((d[2].count, d[2].median), (1, Some(10)));
        let none = compute(&[web(case("C", "2025-01-10", 3))], &JAN_JUNE);
        assert_eq!(none.delays[0].median, None, "no delay without timestamps");
    }

    #[test]
    fn the_vouzinois_line_of_the_field_report_from_a_simulated_history() {
        // « 22 sollicitations entre janvier 2025 et juin 2025. Nous avons trouvé une solution
        // pour 6 personnes, 8 ont refusé d'aller plus loin en raison de l'éloignement du médecin
        // (distance supérieure à 20km) et les 8 dernières sont en attente de solution. »
        let far = RejectionReason::TooFar.label();
        let mut entries = Vec::new();
        for i in 0..22 {
            let received = format!("2025-{:02}-{:02}", 1 + i % 6, 1 + i);
            let c = case(&format!("V{i}"), &received, 3);
            let p = proposal(&c.reference, c.created_at + DAY, &[]);
            entries.push(match i {
                0..6 => Entry::of(
                    closed(c, ClosingReason::FoundThroughCpts),
                    Channel::Telephone,
                    Some("70+"),
                    &[proposal(
                        &format!("V{i}"),
                        p.created_at,
                        &[(ProposalState::Accepted, p.created_at + 3 * DAY, None)],
                    )],
                ),
                6..14 => Entry::of(
                    closed(c, ClosingReason::RefusedProposal),
                    Channel::Telephone,
                    Some("16-69"),
                    &[proposal(
                        &format!("V{i}"),
                        p.created_at,
                        &[(ProposalState::Rejected, p.created_at + DAY, Some(far))],
                    )],
                ),
                _ => Entry::of(c, Channel::Telephone, Some("16-69"), &[]),
            });
        }
        // Before and after the period: not in the cohort.
        entries.push(web(case("AVANT", "2024-12-31", 3)));
        entries.push(web(closed(
            case("APRES", "2025-07-01", 3),
            ClosingReason::FoundThroughCpts,
        )));
        let f = compute(&entries, &JAN_JUNE);
        assert_eq!(f.received, 22);
        assert_eq!(f.found_through_cpts(), 6);
        assert_eq!(f.refused_too_far, 8);
        assert_eq!(count(&f, Outcome::Waiting), 8);
        assert_eq!(f.delays[1].median, Some(3));
    }

    #[test]
    fn default_periods_are_the_quarter_the_year_and_since_the_start() {
        let [(_, q), (_, y), (_, s)] = Period::defaults(day("2026-12-01"));
        assert_eq!(q.from, Some(day("2026-10-01")));
        assert_eq!(y.from, Some(day("2026-01-01")));
        assert_eq!(s.from, None);
        assert!(q.contains(day("2026-12-01")) && !q.contains(day("2026-12-02")));
        assert_eq!(quantile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), Some(9));
    }
}

#[cfg(test)]
mod supply_tests {
    use super::*;
    use territory::{Commune, Cpts, Doctor, LonLat};

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn commune(code: &str, cpts: Option<usize>) -> Commune {
        Commune {
            code: code.into(),
            name: code.into(),
            postcodes: vec![],
            population: 100,
            centre: LonLat {
                lon: 4.7,
                lat: 49.7,
            },
            area_km2: 10.0,
            geometry: vec![],
            cpts,
        }
    }

    fn doctor(id: &str, commune: usize, availability: Availability, updated: &str) -> Doctor {
        Doctor {
            id: id.into(),
            name: "Dr Test".into(),
            commune,
            location: LonLat {
                lon: 4.7,
                lat: 49.7,
            },
            other_practices: Vec::new(),
            availability,
            yearly_capacity: 10,
            home_visit_radius_km: None,
            priority_only: false,
            public: false,
            updated: day(updated),
            email: format!("{id}@example.org"),
        }
    }

    fn load(doctor: &str, period: i32, accepted: u32, paused_until: Option<&str>) -> DoctorLoad {
        DoctorLoad {
            doctor: doctor.into(),
            period,
            load: accepted,
            accepted,
            last_solicited_at: None,
            paused_until: paused_until.map(day),
        }
    }

    /// Two communes in CPTS "a", one outside any CPTS; five doctors, the fifth outside.
    fn territory() -> Territory {
        let communes = vec![
            commune("08001", Some(0)),
            commune("08002", Some(0)),
            commune("08003", None),
        ];
        let cpts = vec![Cpts {
            id: "a".into(),
            name: "CPTS A".into(),
            short_name: "A".into(),
            description: String::new(),
            communes: vec![0, 1],
            main_towns: vec![0],
            coordinators: vec![],
            postal_address: None,
        }];
        let doctors = vec![
            doctor("d1", 0, Availability::AcceptingNow, "2026-11-01"),
            doctor(
                "d2",
                1,
                Availability::PausedUntil(day("2026-12-31")),
                "2026-11-01",
            ),
            doctor("d3", 1, Availability::NotAccepting, "2026-11-01"),
            // Declared in June: stale since September, lapsed 20 days after.
            doctor("d4", 0, Availability::AcceptingNow, "2026-06-01"),
            doctor("d5", 2, Availability::AcceptingNow, "2026-08-25"),
        ];
        Territory::new(communes, cpts, doctors)
    }

    #[test]
    fn supply_counts_the_doctors_of_the_area_their_capacity_pauses_and_stale_declarations() {
        let t = territory();
        let today = day("2026-12-01");
        let loads = [
            load("d1", 2026, 3, None),
            // Paused through a proposal link until tomorrow.
            load("d4", 2026, 2, Some("2026-12-02")),
            // Last year's counters do not count.
            load("d1", 2025, 7, None),
            load("d5", 2026, 1, None),
        ];
        let a = supply(&t, Some(Some("a")), &loads, today);
        assert_eq!(
            a,
            Supply {
                doctors: 4,
                capacity_declared: 40,
                capacity_used: 5,
                paused: 2,
                not_accepting: 1,
                stale: 1,
                lapsed: 1,
            }
        );
        let outside = supply(&t, Some(None), &loads, today);
        assert_eq!(outside.doctors, 1);
        assert_eq!(outside.capacity_used, 1);
        // Declared on 25 August: stale from 26 November, not lapsed yet.
        assert_eq!((outside.stale, outside.lapsed), (1, 0));
        let all = supply(&t, None, &loads, today);
        assert_eq!(
            (all.doctors, all.capacity_declared, all.capacity_used),
            (5, 50, 6)
        );
        assert_eq!(supply(&t, Some(Some("b")), &loads, today).doctors, 0);
        // A pause that ended yesterday no longer counts.
        let later = supply(&t, Some(Some("a")), &loads, day("2027-01-01"));
        assert_eq!(later.paused, 0);
        assert_eq!(later.capacity_used, 0, "a new year, no counters yet");
    }
}
