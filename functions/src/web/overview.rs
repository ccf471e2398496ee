//! A CPTS's overview for its coordinators: its requests with their state and age, what waits for
//! them (proposals to validate, people to call), the saturated communes (requests waiting and no
//! capacity within reach), as data for `overview.html`, and the same figures as CSV — counts
//! only, no personal data.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::app::App;
use crate::domain::communes::commune_name;
use crate::domain::dates::{local_date, unix_date_fr};
use crate::domain::lifecycle::{Case, CaseState, Needs};
use crate::domain::matching::{self, Loads};
use crate::links::{Link, OUTSIDE_CPTS};
use crate::mail::Mailer;
use crate::store::{Result, Store};
use crate::web::link_pages::by_label;
use crate::web::pages::level_label;

/// Reach within which a commune with waiting requests and no capacity counts as saturated
/// (DOMAIN.md §4.1: "aucune capacité déclarée dans un rayon de N km").
pub const SATURATION_KM: u32 = 20;

pub struct Overview {
    pub id: String,
    pub title: String,
    /// Every request of the CPTS, oldest first.
    pub cases: Vec<Case>,
    /// (commune name, requests waiting), most waiting first.
    pub saturated: Vec<(String, usize)>,
}

pub async fn read<S: Store, M: Mailer>(app: &App<S, M>, id: &str, now: i64) -> Result<Overview> {
    let territory = app.territory();
    let (cpts, title) = if id == OUTSIDE_CPTS {
        (None, "communes hors CPTS".to_string())
    } else {
        let name = territory
            .cpts
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| id.to_string(), |c| c.name.clone());
        (Some(id), name)
    };
    let cases = app.store.cases(&CaseState::ALL, Some(cpts)).await?;
    let today = local_date(now);
    let loads = Loads::new(
        &territory,
        &app.store.doctor_loads(matching::period_of(today)).await?,
    );
    let mut waiting: BTreeMap<&str, usize> = BTreeMap::new();
    for c in cases.iter().filter(|c| c.state == CaseState::Waiting) {
        *waiting.entry(c.needs.commune.as_str()).or_default() += 1;
    }
    let mut saturated: Vec<(String, usize)> = waiting
        .into_iter()
        .filter(|(commune, _)| {
            let widest = Needs {
                commune: commune.to_string(),
                max_distance_km: Some(SATURATION_KM),
                home_visits: false,
                priority_level: 1,
            };
            matching::best(&territory, &loads, &widest, &[], today).is_none()
        })
        .map(|(commune, n)| (commune_name(&territory, commune), n))
        .collect();
    saturated.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Overview {
        id: id.to_string(),
        title,
        cases,
        saturated,
    })
}

/// (label, value) of every figure, in the order of the page and the CSV.
fn figures(o: &Overview, now: i64) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let open: Vec<&Case> = o
        .cases
        .iter()
        .filter(|c| c.state != CaseState::Closed)
        .collect();
    out.push(("Demandes reçues".into(), o.cases.len().to_string()));
    out.push(("Demandes en cours".into(), open.len().to_string()));
    for state in CaseState::ALL {
        let n = o.cases.iter().filter(|c| c.state == state).count();
        out.push((format!("État : {}", state.label()), n.to_string()));
    }
    for level in 1..=3 {
        let n = open
            .iter()
            .filter(|c| c.needs.priority_level == level)
            .count();
        out.push((format!("En cours, {}", level_label(level)), n.to_string()));
    }
    let mut ages: Vec<i64> = open.iter().map(|c| (now - c.created_at) / 86_400).collect();
    ages.sort_unstable();
    if !ages.is_empty() {
        let at = |q: f64| ages[((ages.len() - 1) as f64 * q).round() as usize];
        out.push((
            "Ancienneté médiane des demandes en cours (jours)".into(),
            at(0.5).to_string(),
        ));
        out.push((
            "Ancienneté P90 des demandes en cours (jours)".into(),
            at(0.9).to_string(),
        ));
    }
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &o.cases {
        if let Some(closure) = &c.closure {
            *reasons.entry(closure.reason.label()).or_default() += 1;
        }
    }
    for (reason, n) in reasons {
        out.push((format!("Close : {reason}"), n.to_string()));
    }
    out.push(("Communes saturées".into(), o.saturated.len().to_string()));
    out
}

/// A request in a list of the overview.
#[derive(Serialize)]
pub struct Item {
    pub link: String,
    pub reference: String,
    pub commune: String,
}

#[derive(Serialize)]
pub struct Saturated<'a> {
    pub commune: &'a str,
    pub waiting: usize,
}

#[derive(Serialize)]
pub struct Figure {
    pub label: String,
    pub value: String,
}

#[derive(Serialize)]
pub struct Row {
    pub link: String,
    pub reference: String,
    pub commune: String,
    pub level: u8,
    pub state: &'static str,
    pub days: i64,
    pub closed_by: String,
}

/// What `overview.html` shows.
#[derive(Serialize)]
pub struct OverviewPage<'a> {
    pub cpts: &'a str,
    pub updated: String,
    /// How many days this page's link stays valid.
    pub link_days: i64,
    pub to_validate: Vec<Item>,
    pub to_call: Vec<Item>,
    pub saturated: Vec<Saturated<'a>>,
    pub saturation_km: u32,
    pub figures: Vec<Figure>,
    pub csv_link: String,
    /// Every request, newest first.
    pub cases: Vec<Row>,
}

pub fn page<'a, S: Store, M: Mailer>(
    app: &App<S, M>,
    o: &'a Overview,
    token: &str,
    now: i64,
) -> OverviewPage<'a> {
    let territory = app.territory();
    let item = |c: &Case| Item {
        link: app.coordinator_link(&c.reference, now),
        reference: c.reference.clone(),
        commune: commune_name(&territory, &c.needs.commune),
    };
    OverviewPage {
        cpts: &o.title,
        updated: unix_date_fr(now),
        link_days: Link::Overview.lifetime_days().unwrap_or_default(),
        to_validate: o
            .cases
            .iter()
            .filter(|c| c.state == CaseState::Proposed)
            .map(item)
            .collect(),
        to_call: o
            .cases
            .iter()
            .filter(|c| c.state == CaseState::Accepted && !c.has_email)
            .map(item)
            .collect(),
        saturated: o
            .saturated
            .iter()
            .map(|(commune, waiting)| Saturated {
                commune,
                waiting: *waiting,
            })
            .collect(),
        saturation_km: SATURATION_KM,
        figures: figures(o, now)
            .into_iter()
            .map(|(label, value)| Figure { label, value })
            .collect(),
        csv_link: format!(
            "/api/coordination/{}/export.csv?jeton={}",
            o.id,
            form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
        ),
        cases: o
            .cases
            .iter()
            .rev()
            .map(|c| Row {
                link: app.coordinator_link(&c.reference, now),
                reference: c.reference.clone(),
                commune: commune_name(&territory, &c.needs.commune),
                level: c.needs.priority_level,
                state: c.state.label(),
                days: (now - c.created_at) / 86_400,
                closed_by: c
                    .closure
                    .as_ref()
                    .map_or_else(String::new, |x| by_label(&x.by)),
            })
            .collect(),
    }
}

/// The figures as CSV (semicolon-separated, as French spreadsheets expect): counts only.
pub fn csv(o: &Overview, now: i64) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = String::from("indicateur;valeur\n");
    for (label, value) in figures(o, now) {
        let _ = writeln!(out, "{};{value}", quote(&label));
    }
    for (name, n) in &o.saturated {
        let _ = writeln!(out, "{};{n}", quote(&format!("Commune saturée : {name}")));
    }
    out
}
