//! The figures the public site shows (`/chiffres/`, issue #16, DOMAIN.md §4.2): for each CPTS
//! and for the whole territory, quarter by quarter, the requests received, those where a GP was
//! found through the CPTS, those still waiting, the others, and the median wait. Aggregated
//! counts only, made safe to publish:
//!
//! - **Quarters**: the current quarter (up to today) and the four before it, newest first. A
//!   request counts in the quarter it was received in (its cohort), with where it stands today.
//! - **Columns**: received = found + waiting + other. *Found*: a doctor accepted through the CPTS
//!   (the request is closed as found through the CPTS, or not closed yet). *Waiting*: still open
//!   (waiting for a doctor or an answer, or suspended because the person was not reached).
//!   *Other*: closed another way (found alone, refused, unreachable, withdrawn, moved…). The
//!   other column is published too: it could be computed from the three others anyway.
//! - **Rounding**: every count is rounded to the nearest multiple of [`ROUND_TO`].
//! - **Primary suppression**: a count is hidden when, rounded, it would be smaller than
//!   [`HIDDEN_BELOW`] (true counts of 12 and less: 11 and 12 would show as 10).
//! - **Secondary suppression**: each quarter is a table with totals both ways (areas and their
//!   territory total; the three outcomes and their received total). A hidden cell can be
//!   recomputed from the published ones exactly when it lies on no cycle of hidden cells (rows
//!   and columns as the nodes of a graph, hidden cells as its edges). While some hidden cell can
//!   be, the smallest published cell of its row or column is hidden too.
//! - **Median wait**: in whole days from the request to the day a doctor accepted (or, without
//!   an acceptance on record, to the day it was closed as found), over the requests found;
//!   shown only when the found count is shown.
//! - Requests of communes outside any CPTS have a row of their own (« hors CPTS ») when there
//!   are some, so that the territory total stays the sum of its rows.
//!
//! No figure per doctor, none per commune, no reference: nothing here is personal data.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use territory::Territory;

use super::dates::local_date;
use super::indicators::{Entry, Outcome, Period};
use super::lifecycle::Case;

/// Counts are rounded to a multiple of this.
pub const ROUND_TO: usize = 5;
/// No published count is smaller than this.
pub const HIDDEN_BELOW: usize = 11;
/// Quarters shown before the current one.
pub const PAST_QUARTERS: usize = 4;

/// The columns of a quarter's table, in order; the last is the total of the others.
pub const COLUMNS: [&str; 4] = ["found", "waiting", "other", "received"];

/// What the public site shows: aggregated figures only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicFigures {
    /// The day the figures were computed.
    pub as_of: NaiveDate,
    /// Newest first.
    pub quarters: Vec<Quarter>,
    /// Each CPTS in the territory's order, then the communes outside any CPTS when they had
    /// requests, then the whole territory (their total).
    pub areas: Vec<Area>,
    /// Some request was received in these quarters.
    pub any_request: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quarter {
    /// « 4e trimestre 2026 ».
    pub label: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The quarter of today, not over yet.
    pub current: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaKind {
    Cpts,
    OutsideCpts,
    Territory,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Area {
    pub kind: AreaKind,
    /// The CPTS's id, for a CPTS.
    pub cpts: Option<String>,
    pub name: String,
    /// One per quarter, in the order of [`PublicFigures::quarters`].
    pub rows: Vec<Row>,
}

/// One quarter of one area. `None`: hidden (« moins de 11 » or hidden so that another hidden
/// count cannot be recomputed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub quarter: String,
    pub received: Option<usize>,
    pub found: Option<usize>,
    pub waiting: Option<usize>,
    pub other: Option<usize>,
    pub median_wait_days: Option<i64>,
}

impl Row {
    /// The cells in the order of [`COLUMNS`].
    pub fn cells(&self) -> [Option<usize>; 4] {
        [self.found, self.waiting, self.other, self.received]
    }
}

impl PublicFigures {
    /// Whether there is any request to show: before the first one, the site says the figures
    /// will come.
    pub fn is_empty(&self) -> bool {
        !self.any_request
    }
}

/// `n` rounded to the nearest multiple of [`ROUND_TO`].
pub fn rounded(n: usize) -> usize {
    (n + ROUND_TO / 2) / ROUND_TO * ROUND_TO
}

/// Whether `n` is too small to be shown.
pub fn too_small(n: usize) -> bool {
    rounded(n) < HIDDEN_BELOW
}

/// The quarter starting on the first day of `first_month` (1, 4, 7 or 10) of `year`.
fn quarter_from(year: i32, first_month: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, first_month, 1).unwrap_or_default()
}

/// The current quarter (up to `today`) and the [`PAST_QUARTERS`] before it, newest first.
pub fn quarters(today: NaiveDate) -> Vec<Quarter> {
    let mut out = Vec::new();
    let mut from = Period::quarter(today).from.unwrap_or(today);
    let mut to = today;
    for i in 0..=PAST_QUARTERS {
        let label = match from.month0() / 3 + 1 {
            1 => format!("1er trimestre {}", from.year()),
            n => format!("{n}e trimestre {}", from.year()),
        };
        out.push(Quarter {
            label,
            from,
            to,
            current: i == 0,
        });
        to = from.pred_opt().unwrap_or(from);
        from = quarter_from(to.year(), (to.month0() / 3) * 3 + 1);
    }
    out
}

/// Whether a GP was found through the CPTS for `case` (the figures then need the day a doctor
/// accepted, from its proposals).
pub fn is_found(case: &Case) -> bool {
    Outcome::of(case).is_found_through_cpts()
}

/// The column of an outcome (see [`COLUMNS`]): found as the staff figures count it.
fn column_of(outcome: Outcome) -> usize {
    match outcome {
        o if o.is_found_through_cpts() => 0,
        Outcome::Waiting | Outcome::Suspended => 1,
        _ => 2,
    }
}

/// The counts of one area in one quarter, before rounding.
#[derive(Debug, Clone, Default)]
struct Tally {
    /// In the order of [`COLUMNS`].
    counts: [usize; 4],
    waits: Vec<i64>,
}

/// The public figures of `entries` (any requests: those outside the quarters shown are left
/// out) for the CPTS of `territory`, as of `today`.
pub fn compute<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    territory: &Territory,
    today: NaiveDate,
) -> PublicFigures {
    let quarters = quarters(today);
    let cpts = territory.cpts.len();
    // Rows: each CPTS, outside any CPTS, the territory.
    let mut tallies = vec![vec![Tally::default(); quarters.len()]; cpts + 2];
    for e in entries {
        let received = local_date(e.case.created_at);
        let Some(q) = quarters
            .iter()
            .position(|q| q.from <= received && received <= q.to)
        else {
            continue;
        };
        let area = e
            .case
            .cpts
            .as_deref()
            .and_then(|id| territory.cpts.iter().position(|c| c.id == id))
            .unwrap_or(cpts);
        let column = column_of(Outcome::of(&e.case));
        let wait = (column == 0)
            .then(|| {
                e.accepted_at
                    .or(e.case.closure.as_ref().map(|c| c.at))
                    .map(|at| (at - e.case.created_at).max(0) / 86_400)
            })
            .flatten();
        for row in [area, cpts + 1] {
            let t = &mut tallies[row][q];
            t.counts[column] += 1;
            t.counts[3] += 1;
            t.waits.extend(wait);
        }
    }
    let outside_used = tallies[cpts].iter().any(|t| t.counts[3] > 0);
    if !outside_used {
        tallies.remove(cpts);
    }
    let any_request = tallies[tallies.len() - 1].iter().any(|t| t.counts[3] > 0);
    let rows = tallies.len();
    // Hidden cells, per quarter: [row][column].
    let hidden: Vec<Vec<[bool; 4]>> = (0..quarters.len())
        .map(|q| {
            let counts: Vec<[usize; 4]> = (0..rows).map(|r| tallies[r][q].counts).collect();
            suppress(&counts)
        })
        .collect();
    let mut areas = Vec::with_capacity(rows);
    for (r, row_tallies) in tallies.iter_mut().enumerate() {
        let (kind, id, name) = if r < cpts {
            let c = &territory.cpts[r];
            (AreaKind::Cpts, Some(c.id.clone()), c.name.clone())
        } else if r == rows - 1 {
            (AreaKind::Territory, None, "Tout le territoire".to_string())
        } else {
            (
                AreaKind::OutsideCpts,
                None,
                "Communes hors CPTS".to_string(),
            )
        };
        let rows_out = row_tallies
            .iter_mut()
            .enumerate()
            .map(|(q, t)| {
                let cell = |c: usize| (!hidden[q][r][c]).then(|| rounded(t.counts[c]));
                t.waits.sort_unstable();
                let found = cell(0);
                Row {
                    quarter: quarters[q].label.clone(),
                    received: cell(3),
                    found,
                    waiting: cell(1),
                    other: cell(2),
                    median_wait_days: found
                        .and_then(|_| super::indicators::quantile(&t.waits, 0.5)),
                }
            })
            .collect();
        areas.push(Area {
            kind,
            cpts: id,
            name,
            rows: rows_out,
        });
    }
    PublicFigures {
        as_of: today,
        quarters,
        areas,
        any_request,
    }
}

/// Which cells of one quarter's table to hide: `counts[row][column]`, the last row the total of
/// the others, the last column the total of the others. Primary suppression, then secondary
/// (see the module's documentation).
pub fn suppress(counts: &[[usize; 4]]) -> Vec<[bool; 4]> {
    let mut hidden: Vec<[bool; 4]> = counts.iter().map(|row| row.map(too_small)).collect();
    while let Some((r, c)) = recomputable(&hidden) {
        // The smallest published cell of its row or column (the first of equals), else of the
        // whole table.
        let in_line = (0..4)
            .map(|j| (r, j))
            .chain((0..counts.len()).map(|i| (i, c)))
            .filter(|&(i, j)| !hidden[i][j])
            .min_by_key(|&(i, j)| (counts[i][j], i, j));
        let next = in_line.or_else(|| {
            (0..counts.len())
                .flat_map(|i| (0..4).map(move |j| (i, j)))
                .filter(|&(i, j)| !hidden[i][j])
                .min_by_key(|&(i, j)| (counts[i][j], i, j))
        });
        match next {
            Some((i, j)) => hidden[i][j] = true,
            None => break,
        }
    }
    hidden
}

/// The first hidden cell that the published cells give away: one on no cycle of hidden cells,
/// rows and columns being the nodes and hidden cells the edges.
fn recomputable(hidden: &[[bool; 4]]) -> Option<(usize, usize)> {
    (0..hidden.len())
        .flat_map(|r| (0..4).map(move |c| (r, c)))
        .find(|&(r, c)| hidden[r][c] && !connected_without(hidden, r, c))
}

/// Whether row `r` reaches column `c` through hidden cells other than (`r`, `c`).
fn connected_without(hidden: &[[bool; 4]], r: usize, c: usize) -> bool {
    let rows = hidden.len();
    // Nodes: rows 0..rows, then columns.
    let mut seen = vec![false; rows + 4];
    let mut stack = vec![r];
    seen[r] = true;
    while let Some(node) = stack.pop() {
        let neighbours: Vec<usize> = if node < rows {
            (0..4)
                .filter(|&j| hidden[node][j] && (node, j) != (r, c))
                .map(|j| rows + j)
                .collect()
        } else {
            let j = node - rows;
            (0..rows)
                .filter(|&i| hidden[i][j] && (i, j) != (r, c))
                .collect()
        };
        for n in neighbours {
            if !seen[n] {
                seen[n] = true;
                stack.push(n);
            }
        }
    }
    seen[rows + c]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::intake::Channel;
    use crate::domain::lifecycle::{CaseState, ClosingReason, Closure, Needs};
    use territory::{Commune, Cpts, LonLat};

    const DAY: i64 = 86_400;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(d: NaiveDate) -> i64 {
        d.and_hms_opt(12, 0, 0)
            .unwrap()
            .and_local_timezone(chrono::Local)
            .unwrap()
            .timestamp()
    }

    fn territory(n: usize) -> Territory {
        let communes = (0..=n)
            .map(|i| Commune {
                code: format!("0800{i}"),
                name: format!("C{i}"),
                postcodes: vec![],
                population: 100,
                centre: LonLat {
                    lon: 4.7,
                    lat: 49.7,
                },
                area_km2: 10.0,
                geometry: vec![],
                cpts: (i < n).then_some(i),
            })
            .collect();
        let cpts = (0..n)
            .map(|i| Cpts {
                id: format!("cpts{i}"),
                name: format!("CPTS {i}"),
                short_name: format!("{i}"),
                description: String::new(),
                communes: vec![i],
                main_towns: vec![i],
                coordinators: vec![],
                postal_address: None,
            })
            .collect();
        Territory::new(communes, cpts, vec![])
    }

    /// A request of `cpts` received on `received`, in `state` (closed for `reason`), a doctor
    /// accepting `wait` days later when found.
    fn entry(cpts: Option<&str>, received: NaiveDate, column: usize, wait: Option<i64>) -> Entry {
        let created_at = at(received);
        let (state, closure) = match column {
            0 => (CaseState::Closed, Some(ClosingReason::FoundThroughCpts)),
            1 => (CaseState::Waiting, None),
            _ => (CaseState::Closed, Some(ClosingReason::FoundAlone)),
        };
        let case = Case {
            reference: "R".into(),
            cpts: cpts.map(str::to_string),
            created_at,
            needs: Needs {
                commune: "08001".into(),
                max_distance_km: Some(20),
                home_visits: false,
                priority_level: 3,
            },
            has_email: true,
            state,
            version: 1,
            updated_at: created_at,
            proposals: vec![],
            tried: vec![],
            closure: closure.map(|reason| Closure {
                reason,
                at: created_at + 40 * DAY,
                by: "system".into(),
            }),
            unanswered_calls: 0,
        };
        let mut e = Entry::of(case, Channel::default(), None, &[]);
        e.accepted_at = wait.map(|w| created_at + w * DAY);
        e
    }

    /// A small deterministic generator (no dependency for tests).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, below: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((self.0 >> 33) as usize) % below.max(1)
        }
    }

    /// The linear relations a quarter's table carries, over its cells numbered
    /// `row * 4 + column`: each row's outcomes add up to its received count, each column's
    /// areas add up to the territory's.
    fn relations(rows: usize) -> Vec<Vec<f64>> {
        let mut eqs = Vec::new();
        for r in 0..rows {
            let mut eq = vec![0.0; rows * 4];
            for c in 0..3 {
                eq[r * 4 + c] = 1.0;
            }
            eq[r * 4 + 3] = -1.0;
            eqs.push(eq);
        }
        for c in 0..4 {
            let mut eq = vec![0.0; rows * 4];
            for r in 0..rows - 1 {
                eq[r * 4 + c] = 1.0;
            }
            eq[(rows - 1) * 4 + c] = -1.0;
            eqs.push(eq);
        }
        eqs
    }

    fn rank(mut m: Vec<Vec<f64>>) -> usize {
        let cols = m.first().map_or(0, Vec::len);
        let mut rank = 0;
        for c in 0..cols {
            let Some(p) = (rank..m.len()).find(|&i| m[i][c].abs() > 1e-9) else {
                continue;
            };
            m.swap(rank, p);
            let pivot = m[rank].clone();
            for (i, row) in m.iter_mut().enumerate() {
                if i != rank && row[c].abs() > 1e-9 {
                    let f = row[c] / pivot[c];
                    for (x, y) in row.iter_mut().zip(&pivot) {
                        *x -= f * y;
                    }
                }
            }
            rank += 1;
        }
        rank
    }

    /// The attack: the hidden cells of `figures` that can be recomputed exactly. First as if the
    /// published counts were exact (a hidden cell is given away when it is a linear combination
    /// of the relations once the published cells are known: a stronger attacker than the real
    /// one); then with what the published counts really say (the true count within ±2 of the
    /// rounded one, a hidden count 0 or more: hidden as too small, or to protect another one),
    /// narrowing each cell's range through every
    /// relation until nothing moves: a range of one value gives the cell away.
    const UNBOUNDED: i64 = 1 << 40;

    fn recoverable(figures: &PublicFigures) -> Vec<(String, String, &'static str)> {
        let rows = figures.areas.len();
        let eqs = relations(rows);
        let mut found = Vec::new();
        for q in 0..figures.quarters.len() {
            let cells: Vec<Option<usize>> = figures
                .areas
                .iter()
                .flat_map(|a| a.rows[q].cells())
                .collect();
            let unknown: Vec<usize> = (0..cells.len()).filter(|&k| cells[k].is_none()).collect();
            let restricted: Vec<Vec<f64>> = eqs
                .iter()
                .map(|eq| unknown.iter().map(|&k| eq[k]).collect())
                .collect();
            let base = rank(restricted.clone());
            let mut leaked = vec![false; cells.len()];
            for (i, &k) in unknown.iter().enumerate() {
                let mut with = restricted.clone();
                let mut unit = vec![0.0; unknown.len()];
                unit[i] = 1.0;
                with.push(unit);
                if rank(with) == base {
                    leaked[k] = true;
                }
            }
            // Ranges.
            let mut lo: Vec<i64> = cells
                .iter()
                .map(|c| c.map_or(0, |v| v as i64 - 2))
                .collect();
            let mut hi: Vec<i64> = cells
                .iter()
                .map(|c| c.map_or(UNBOUNDED, |v| v as i64 + 2))
                .collect();
            for _ in 0..100 {
                let mut moved = false;
                for eq in &eqs {
                    for (k, &a) in eq.iter().enumerate() {
                        if a == 0.0 {
                            continue;
                        }
                        // a·x_k = −Σ others.
                        let (mut rest_lo, mut rest_hi) = (0i64, 0i64);
                        for (j, &b) in eq.iter().enumerate() {
                            if j == k || b == 0.0 {
                                continue;
                            }
                            let (l, h) = if b > 0.0 {
                                (lo[j], hi[j])
                            } else {
                                (-hi[j], -lo[j])
                            };
                            rest_lo += l;
                            rest_hi += h;
                        }
                        let (l, h) = if a > 0.0 {
                            (-rest_hi, -rest_lo)
                        } else {
                            (rest_lo, rest_hi)
                        };
                        if l > lo[k] {
                            lo[k] = l;
                            moved = true;
                        }
                        if h < hi[k] {
                            hi[k] = h;
                            moved = true;
                        }
                    }
                }
                if !moved {
                    break;
                }
            }
            for &k in &unknown {
                if lo[k] >= hi[k] {
                    leaked[k] = true;
                }
            }
            for &k in &unknown {
                if leaked[k] {
                    found.push((
                        figures.areas[k / 4].name.clone(),
                        figures.quarters[q].label.clone(),
                        COLUMNS[k % 4],
                    ));
                }
            }
        }
        found
    }

    fn check_published(figures: &PublicFigures) {
        for a in &figures.areas {
            for r in &a.rows {
                for v in r.cells().into_iter().flatten() {
                    assert!(v >= HIDDEN_BELOW, "{} {}: {v} < 11", a.name, r.quarter);
                    assert_eq!(v % ROUND_TO, 0, "{} {}: {v}", a.name, r.quarter);
                }
                if r.found.is_none() {
                    assert_eq!(r.median_wait_days, None, "a median of a hidden count");
                }
            }
        }
    }

    #[test]
    fn quarters_are_the_current_one_and_the_four_before_newest_first() {
        let q = quarters(day("2026-12-01"));
        let labels: Vec<&str> = q.iter().map(|q| q.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "4e trimestre 2026",
                "3e trimestre 2026",
                "2e trimestre 2026",
                "1er trimestre 2026",
                "4e trimestre 2025"
            ]
        );
        assert_eq!((q[0].from, q[0].to), (day("2026-10-01"), day("2026-12-01")));
        assert_eq!((q[4].from, q[4].to), (day("2025-10-01"), day("2025-12-31")));
        assert!(q[0].current && !q[1].current);
    }

    #[test]
    fn rounding_to_five_and_hiding_what_would_show_under_eleven() {
        assert_eq!(
            [0, 2, 3, 12, 13, 17, 18].map(rounded),
            [0, 0, 5, 10, 15, 15, 20]
        );
        assert!(too_small(0) && too_small(10) && too_small(12));
        assert!(!too_small(13));
    }

    #[test]
    fn requests_count_in_the_quarter_they_were_received_with_their_outcome_and_wait() {
        let t = territory(2);
        let today = day("2026-12-01");
        let mut entries = Vec::new();
        // CPTS 0, 4th quarter: 20 found (waits 1..=20 days), 15 waiting, 15 other.
        for i in 0..20 {
            entries.push(entry(Some("cpts0"), day("2026-10-05"), 0, Some(i + 1)));
        }
        for _ in 0..15 {
            entries.push(entry(Some("cpts0"), day("2026-11-30"), 1, None));
            entries.push(entry(Some("cpts0"), day("2026-10-01"), 2, None));
        }
        // CPTS 1, the same counts; found without an acceptance on record: 40 days, to closing.
        for _ in 0..20 {
            entries.push(entry(Some("cpts1"), day("2026-11-01"), 0, None));
        }
        for _ in 0..15 {
            entries.push(entry(Some("cpts1"), day("2026-11-01"), 1, None));
            entries.push(entry(Some("cpts1"), day("2026-11-01"), 2, None));
        }
        // Before the five quarters, and after today: left out.
        entries.push(entry(Some("cpts0"), day("2025-09-30"), 1, None));
        entries.push(entry(Some("cpts0"), day("2026-12-02"), 1, None));
        let f = compute(&entries, &t, today);
        assert_eq!(f.areas.len(), 3, "no request outside any CPTS: no such row");
        assert_eq!(f.areas[2].kind, AreaKind::Territory);
        let r = &f.areas[0].rows[0];
        assert_eq!(
            (r.received, r.found, r.waiting, r.other),
            (Some(50), Some(20), Some(15), Some(15))
        );
        assert_eq!(r.median_wait_days, Some(11), "nearest rank of 1..=20");
        assert_eq!(f.areas[1].rows[0].median_wait_days, Some(40));
        let total = &f.areas[2].rows[0];
        assert_eq!((total.received, total.found), (Some(100), Some(40)));
        // The other quarters had no request: everything hidden, nothing to give away.
        for a in &f.areas {
            for r in &a.rows[1..] {
                assert_eq!(r.cells(), [None; 4]);
            }
        }
        assert!(!f.is_empty());
        assert!(compute(&[], &t, today).is_empty());
        check_published(&f);
        assert!(recoverable(&f).is_empty());
    }

    #[test]
    fn requests_outside_any_cpts_have_their_row_so_the_total_adds_up() {
        let t = territory(1);
        let entries: Vec<Entry> = (0..30)
            .map(|i| entry((i % 2 == 0).then_some("cpts0"), day("2026-11-01"), 1, None))
            .collect();
        let f = compute(&entries, &t, day("2026-12-01"));
        let kinds: Vec<AreaKind> = f.areas.iter().map(|a| a.kind).collect();
        assert_eq!(
            kinds,
            [AreaKind::Cpts, AreaKind::OutsideCpts, AreaKind::Territory]
        );
        assert_eq!(f.areas[1].rows[0].received, Some(15));
        assert_eq!(f.areas[2].rows[0].received, Some(30));
    }

    #[test]
    fn one_small_cell_hides_others_so_that_it_cannot_be_recomputed() {
        // Found 5 in CPTS 0: hidden; alone, it would be received − waiting − other, and
        // territory − CPTS 1.
        let counts = [[5, 40, 30, 75], [20, 30, 25, 75], [25, 70, 55, 150]];
        let hidden = suppress(&counts);
        assert!(hidden[0][0]);
        let count = hidden.iter().flatten().filter(|h| **h).count();
        assert!(count >= 4, "a cycle of hidden cells: {hidden:?}");
        // The attacker finds it when only the small cell is hidden.
        let t = territory(2);
        let mut entries = Vec::new();
        for (r, row) in counts[..2].iter().enumerate() {
            for (c, &n) in row[..3].iter().enumerate() {
                for _ in 0..n {
                    entries.push(entry(
                        Some(&format!("cpts{r}")),
                        day("2026-11-01"),
                        c,
                        Some(3),
                    ));
                }
            }
        }
        let f = compute(&entries, &t, day("2026-12-01"));
        check_published(&f);
        assert!(recoverable(&f).is_empty(), "{:?}", recoverable(&f));
        let mut leaky = f.clone();
        for (a, row) in leaky.areas.iter_mut().zip(counts) {
            let r = &mut a.rows[0];
            r.found = (!too_small(row[0])).then(|| rounded(row[0]));
            r.waiting = Some(rounded(row[1]));
            r.other = Some(rounded(row[2]));
            r.received = Some(rounded(row[3]));
        }
        assert_eq!(
            recoverable(&leaky)
                .iter()
                .filter(|l| l.1 == "4e trimestre 2026")
                .count(),
            1,
            "primary suppression alone gives the cell away"
        );
    }

    #[test]
    fn no_hidden_cell_can_be_recovered_from_many_random_tables() {
        let today = day("2026-12-01");
        let quarters = quarters(today);
        let mut rng = Lcg(16);
        for round in 0..300 {
            let n = 1 + rng.next(4);
            let t = territory(n);
            let mut entries = Vec::new();
            for q in &quarters {
                let days = (q.to - q.from).num_days() as usize + 1;
                for area in 0..=n {
                    // Mostly small counts, sometimes large ones, sometimes none.
                    for column in 0..3 {
                        let count = match rng.next(4) {
                            0 => 0,
                            1 => rng.next(15),
                            2 => rng.next(40),
                            _ => rng.next(200),
                        };
                        let cpts = (area < n).then(|| format!("cpts{area}"));
                        let cpts = if area == n && round % 3 != 0 {
                            continue;
                        } else {
                            cpts
                        };
                        for _ in 0..count {
                            let received = q.from + chrono::Days::new(rng.next(days) as u64);
                            let wait = (column == 0).then(|| rng.next(90) as i64);
                            entries.push(entry(cpts.as_deref(), received, column, wait));
                        }
                    }
                }
            }
            let f = compute(&entries, &t, today);
            check_published(&f);
            let leaks = recoverable(&f);
            assert!(leaks.is_empty(), "round {round}: {leaks:?}");
            let json = serde_json::to_string(&f).unwrap();
            assert!(!json.contains("R\""), "no reference in the figures");
        }
    }
}
