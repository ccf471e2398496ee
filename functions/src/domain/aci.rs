//! The ACI report (issue #16, DOMAIN.md §4.1's last bullet): for the requests received in one
//! calendar year, how many were oriented and how many found a GP through the CPTS, in all and by
//! priority criterion (ALD, 70 and over, C2S or AME, the form's other criteria), by age bracket,
//! and their mean age. Pure: it reads [`Entry`] (criteria and age at registration, no name, no
//! birth date); the delays and the supply come from [`crate::domain::indicators`].

use chrono::{Datelike, NaiveDate};

use crate::domain::indicators::{self, AGE_BRACKETS, Entry, Figures, Period};
use crate::domain::registration::Criterion;

/// The requests of a group, and those of them that found a GP through the CPTS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub oriented: usize,
    pub found: usize,
}

impl Counts {
    fn add(&mut self, found: bool) {
        self.oriented += 1;
        self.found += usize::from(found);
    }
}

/// A mean age, in years, over the requests whose age is known.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MeanAge {
    /// Requests whose age is known.
    pub known: usize,
    /// `None` when no age is known.
    pub years: Option<f64>,
}

impl MeanAge {
    fn of(ages: &[u32]) -> Self {
        Self {
            known: ages.len(),
            years: (!ages.is_empty())
                .then(|| ages.iter().map(|a| f64::from(*a)).sum::<f64>() / ages.len() as f64),
        }
    }
}

/// The criteria the report names first, then the form's others, in this order.
pub const CRITERIA: [Criterion; 7] = [
    Criterion::LongTermCondition,
    Criterion::C2sOrAme,
    Criterion::Precarity,
    Criterion::Disability,
    Criterion::Pregnancy,
    Criterion::HospitalDischarge,
    Criterion::RegularTreatment,
];

/// The report of one year.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub year: i32,
    pub period: Period,
    pub all: Counts,
    /// Aged 70 and over at registration.
    pub seventy_plus: Counts,
    /// Every criterion of [`CRITERIA`], in order, zeros included.
    pub by_criterion: Vec<(Criterion, Counts)>,
    /// [`AGE_BRACKETS`] in order, then "inconnue" when some age is unknown.
    pub by_age: Vec<(&'static str, Counts)>,
    pub mean_age: MeanAge,
    pub mean_age_found: MeanAge,
    /// The cohort's figures: the delays (median, P90) are read there.
    pub figures: Figures,
}

/// The calendar year `year`, from 1 January to 31 December.
pub fn year_period(year: i32) -> Option<Period> {
    Some(Period {
        from: Some(NaiveDate::from_ymd_opt(year, 1, 1)?),
        to: NaiveDate::from_ymd_opt(year, 12, 31)?,
    })
}

/// The year the report shows by default on `today`: the last complete one.
pub fn default_year(today: NaiveDate) -> i32 {
    today.year() - 1
}

/// The report of the requests of `entries` received in `period` (the year `year`).
pub fn report<'a>(
    entries: impl IntoIterator<Item = &'a Entry> + Clone,
    year: i32,
    period: &Period,
) -> Report {
    let figures = indicators::compute(entries.clone(), period);
    let mut all = Counts::default();
    let mut seventy_plus = Counts::default();
    let mut by_criterion: Vec<(Criterion, Counts)> =
        CRITERIA.iter().map(|c| (*c, Counts::default())).collect();
    let mut by_age: Vec<(&'static str, Counts)> = AGE_BRACKETS
        .iter()
        .map(|b| (*b, Counts::default()))
        .collect();
    let mut unknown_age = None::<Counts>;
    let (mut ages, mut ages_found) = (Vec::new(), Vec::new());
    for e in entries.into_iter().filter(|e| e.in_period(period)) {
        let found = e.found_through_cpts();
        all.add(found);
        for (c, counts) in &mut by_criterion {
            if e.criteria.contains(c) {
                counts.add(found);
            }
        }
        let bracket = e
            .age
            .map(crate::domain::lifecycle::age_bracket)
            .or(e.age_bracket);
        if bracket == Some("70+") {
            seventy_plus.add(found);
        }
        match by_age.iter_mut().find(|(b, _)| Some(*b) == bracket) {
            Some((_, counts)) => counts.add(found),
            None => unknown_age.get_or_insert_default().add(found),
        }
        if let Some(age) = e.age {
            ages.push(age);
            if found {
                ages_found.push(age);
            }
        }
    }
    by_age.extend(unknown_age.map(|c| ("inconnue", c)));
    Report {
        year,
        period: *period,
        all,
        seventy_plus,
        by_criterion,
        by_age,
        mean_age: MeanAge::of(&ages),
        mean_age_found: MeanAge::of(&ages_found),
        figures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dates::local_date;
    use crate::domain::intake::Channel;
    use crate::domain::lifecycle::{Case, CaseState, ClosingReason, Closure, Needs};

    fn at(day: &str) -> i64 {
        let d: NaiveDate = day.parse().unwrap();
        d.and_hms_opt(12, 0, 0).unwrap().and_utc().timestamp()
    }

    fn case(reference: &str, received: &str) -> Case {
        Case {
            reference: reference.into(),
            cpts: Some("rethelois".into()),
            created_at: at(received),
            needs: Needs {
                commune: "08409".into(),
                max_distance_km: Some(20),
                home_visits: false,
                priority_level: 1,
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

    fn found(mut c: Case) -> Case {
        c.state = CaseState::Closed;
        c.closure = Some(Closure {
            reason: ClosingReason::FoundThroughCpts,
            at: c.created_at + 86_400,
            by: "staff:x".into(),
        });
        c
    }

    fn entry(c: Case, criteria: &[Criterion], age: Option<u32>) -> Entry {
        let bracket = age.map(crate::domain::lifecycle::age_bracket);
        Entry::of(c, Channel::default(), bracket, &[]).with_person(criteria.to_vec(), age)
    }

    fn counts(r: &Report, c: Criterion) -> Counts {
        r.by_criterion.iter().find(|(x, _)| *x == c).unwrap().1
    }

    #[test]
    fn the_report_counts_by_criterion_age_and_mean_age_the_requests_of_the_year() {
        use Criterion::*;
        let entries = [
            entry(
                found(case("A", "2025-01-01")),
                &[LongTermCondition],
                Some(72),
            ),
            entry(
                case("B", "2025-03-10"),
                &[LongTermCondition, C2sOrAme],
                Some(40),
            ),
            entry(found(case("C", "2025-12-31")), &[C2sOrAme], Some(3)),
            // Known only by its bracket (an older tombstone): counted, not in the mean age.
            entry(case("D", "2025-06-01"), &[], None),
            Entry::of(
                case("E", "2025-06-02"),
                Channel::Telephone,
                Some("70+"),
                &[],
            ),
            // Outside the year.
            entry(
                found(case("F", "2024-12-31")),
                &[LongTermCondition],
                Some(80),
            ),
            entry(
                found(case("G", "2026-01-01")),
                &[LongTermCondition],
                Some(80),
            ),
        ];
        let period = year_period(2025).unwrap();
        assert_eq!(local_date(entries[2].case.created_at), period.to);
        let r = report(&entries, 2025, &period);
        assert_eq!(
            r.all,
            Counts {
                oriented: 5,
                found: 2
            }
        );
        assert_eq!(r.figures.received, 5);
        assert_eq!(r.figures.found_through_cpts(), 2);
        assert_eq!(
            counts(&r, LongTermCondition),
            Counts {
                oriented: 2,
                found: 1
            }
        );
        assert_eq!(
            counts(&r, C2sOrAme),
            Counts {
                oriented: 2,
                found: 1
            }
        );
        assert_eq!(counts(&r, Pregnancy), Counts::default());
        assert_eq!(r.by_criterion.len(), Criterion::ALL.len());
        assert_eq!(
            r.seventy_plus,
            Counts {
                oriented: 2,
                found: 1
            }
        );
        assert_eq!(
            r.by_age,
            vec![
                (
                    "0-5",
                    Counts {
                        oriented: 1,
                        found: 1
                    }
                ),
                ("6-15", Counts::default()),
                (
                    "16-69",
                    Counts {
                        oriented: 1,
                        found: 0
                    }
                ),
                (
                    "70+",
                    Counts {
                        oriented: 2,
                        found: 1
                    }
                ),
                (
                    "inconnue",
                    Counts {
                        oriented: 1,
                        found: 0
                    }
                ),
            ]
        );
        assert_eq!(r.mean_age.known, 3);
        assert_eq!(r.mean_age.years, Some((72.0 + 40.0 + 3.0) / 3.0));
        assert_eq!(r.mean_age_found.years, Some(37.5));
        let empty = report(&entries, 2023, &year_period(2023).unwrap());
        assert_eq!(empty.mean_age.years, None);
        assert_eq!(default_year("2026-12-01".parse().unwrap()), 2025);
    }
}
