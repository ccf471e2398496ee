//! A CPTS's overview for its coordinators: its requests with their state and age, what waits for
//! them (proposals to validate, people to call), the saturated communes (requests waiting and no
//! capacity within reach), as data for `overview.html`, and the same figures as CSV — counts
//! only, no personal data.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use chrono::NaiveDate;
use serde::Serialize;
use territory::Territory;

use crate::app::App;
use crate::domain::communes::commune_name;
use crate::domain::dates::{local_date, unix_date_fr};
use crate::domain::indicators::quantile;
use crate::domain::lifecycle::{Case, CaseState, Needs};
use crate::domain::matching::{self, Loads, Unfit};
use crate::links::{Link, OUTSIDE_CPTS};
use crate::mail::{Mailer, REPORT_AFTER_ATTEMPTS};
use crate::mails::Recipient;
use crate::store::{Result, Store, Undelivered};
use crate::web::link_pages::by_label;
use crate::web::pages::level_label;

/// Reach within which a commune with waiting requests and no capacity counts as saturated
/// (DOMAIN.md §4.1: "aucune capacité déclarée dans un rayon de N km").
pub const SATURATION_KM: u32 = 20;

/// Days after the patient was told a doctor accepted him: then the coordinator asks whether the
/// first appointment took place, and closes the request.
pub const ASK_FIRST_VISIT_AFTER_DAYS: i64 = 30;

pub struct Overview {
    pub id: String,
    /// The CPTS's id; `None` for the communes outside every CPTS.
    pub cpts: Option<String>,
    pub title: String,
    /// Every request of the CPTS, oldest first.
    pub cases: Vec<Case>,
    /// The waiting requests no doctor can take today (position in `cases`), with the rule that
    /// leaves no candidate; oldest first.
    pub no_doctor: Vec<(usize, Unfit)>,
    /// (commune name, waiting requests no doctor within [`SATURATION_KM`] would take), most
    /// first.
    pub saturated: Vec<(String, usize)>,
    /// Mails of its open requests still not sent after [`REPORT_AFTER_ATTEMPTS`] tries, or given
    /// up (position in `cases`, whom the mail is for, the mail), oldest first. They stay listed
    /// until sent, or until the address is corrected or the request closed.
    pub undelivered: Vec<(usize, Recipient, Undelivered)>,
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
    let waiting: Vec<usize> = (0..cases.len())
        .filter(|&i| cases[i].state == CaseState::Waiting)
        .collect();
    let no_doctor = waiting
        .iter()
        .filter_map(|&i| {
            let c = &cases[i];
            matching::why_none(&territory, &loads, &c.needs, &c.tried, today).map(|why| (i, why))
        })
        .collect();
    let undelivered = app
        .store
        .undelivered_mails(REPORT_AFTER_ATTEMPTS)
        .await?
        .into_iter()
        .filter_map(|mail| {
            let (reference, whom) = crate::mails::concerns(&mail.id)?;
            let i = cases.iter().position(|c| {
                c.reference == reference
                    && c.state != CaseState::Closed
                    // The person's mail given up is handled once someone told him otherwise.
                    && !(whom == Recipient::Person
                        && mail.given_up
                        && c.state == CaseState::Informed
                        && !c.has_email)
            })?;
            Some((i, whom, mail))
        })
        .collect();
    Ok(Overview {
        id: id.to_string(),
        cpts: cpts.map(str::to_string),
        title,
        undelivered,
        saturated: saturated(
            &territory,
            &loads,
            waiting.iter().map(|&i| &cases[i]),
            today,
        ),
        cases,
        no_doctor,
    })
}

/// The communes whose waiting requests no doctor within [`SATURATION_KM`] would take, with how
/// many: each request with its own needs (home visits, priority level: a priority-only doctor
/// does not serve a level-3 request), whoever was already tried. (name, count), most first.
pub fn saturated<'a>(
    territory: &Territory,
    loads: &Loads,
    waiting: impl Iterator<Item = &'a Case>,
    today: NaiveDate,
) -> Vec<(String, usize)> {
    // Requests of a commune with the same needs have the same answer: asked once.
    let mut served: HashMap<(&str, bool, u8), bool> = HashMap::new();
    let mut unserved: BTreeMap<&str, usize> = BTreeMap::new();
    for c in waiting {
        let key = (
            c.needs.commune.as_str(),
            c.needs.home_visits,
            c.needs.priority_level,
        );
        let served = *served.entry(key).or_insert_with(|| {
            let within = Needs {
                max_distance_km: Some(SATURATION_KM),
                ..c.needs.clone()
            };
            matching::best(territory, loads, &within, &[], today).is_some()
        });
        if !served {
            *unserved.entry(key.0).or_default() += 1;
        }
    }
    let mut saturated: Vec<(String, usize)> = unserved
        .into_iter()
        .map(|(commune, n)| (commune_name(territory, commune), n))
        .collect();
    saturated.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    saturated
}

/// The requests suspended after unanswered calls, for the coordinator to send a letter (their
/// page says how), oldest first.
fn suspended(cases: &[Case]) -> Vec<&Case> {
    cases
        .iter()
        .filter(|c| c.state == CaseState::Suspended)
        .collect()
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
    if let (Some(median), Some(p90)) = (quantile(&ages, 0.5), quantile(&ages, 0.9)) {
        out.push((
            "Ancienneté médiane des demandes en cours (jours)".into(),
            median.to_string(),
        ));
        out.push((
            "Ancienneté P90 des demandes en cours (jours)".into(),
            p90.to_string(),
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
    let mut blocked: BTreeMap<Unfit, usize> = BTreeMap::new();
    for &(_, why) in &o.no_doctor {
        *blocked.entry(why).or_default() += 1;
    }
    out.push((
        "En attente sans médecin possible".into(),
        o.no_doctor.len().to_string(),
    ));
    for (why, n) in blocked {
        out.push((
            format!("Sans médecin possible : {}", why.none_label()),
            n.to_string(),
        ));
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
    /// Why it is in this list, when the list's title does not say it all ("" otherwise).
    pub why: String,
}

/// A doctor to call: his stale declaration was not confirmed in time, he is no longer proposed.
#[derive(Serialize)]
pub struct Unconfirmed {
    pub name: String,
    pub commune: String,
    pub email: String,
    /// The date of the declaration he did not confirm, in French.
    pub since: String,
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
    /// Waiting, no doctor possible: each with the rule that leaves no candidate.
    pub no_doctor: Vec<Item>,
    /// Told more than [`ASK_FIRST_VISIT_AFTER_DAYS`] ago: did the first appointment happen?
    pub ask_first_visit: Vec<Item>,
    pub ask_first_visit_days: i64,
    /// Suspended after unanswered calls: a letter to send.
    pub suspended: Vec<Item>,
    /// Mails not sent (see [`Overview::undelivered`]).
    pub undelivered: Vec<Item>,
    /// Doctors no longer proposed: they did not confirm their stale declaration in time.
    pub unconfirmed: Vec<Unconfirmed>,
    /// Whether any of the lists above has something.
    pub anything_waits: bool,
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
    let item = |c: &Case, why: String| Item {
        link: app.coordinator_link(&c.reference, now),
        reference: c.reference.clone(),
        commune: commune_name(&territory, &c.needs.commune),
        why,
    };
    let in_state = |state: CaseState| o.cases.iter().filter(move |c| c.state == state);
    let to_validate: Vec<Item> = in_state(CaseState::Proposed)
        .map(|c| item(c, String::new()))
        .collect();
    let to_call: Vec<Item> = in_state(CaseState::Accepted)
        .filter(|c| !c.has_email)
        .map(|c| item(c, String::new()))
        .collect();
    let no_doctor: Vec<Item> = o
        .no_doctor
        .iter()
        .map(|&(i, why)| item(&o.cases[i], why.none_label().to_string()))
        .collect();
    // An informed case changes no more until it is closed: it was told when it was last written.
    let ask_first_visit: Vec<Item> = in_state(CaseState::Informed)
        .filter(|c| now - c.updated_at > ASK_FIRST_VISIT_AFTER_DAYS * 86_400)
        .map(|c| {
            let days = (now - c.updated_at) / 86_400;
            item(c, format!("prévenue il y a {days} jours"))
        })
        .collect();
    let suspended: Vec<Item> = suspended(&o.cases)
        .into_iter()
        .map(|c| {
            let days = (now - c.updated_at) / 86_400;
            item(c, format!("suspendue il y a {days} jours"))
        })
        .collect();
    let undelivered: Vec<Item> = o
        .undelivered
        .iter()
        .map(|(i, whom, mail)| {
            let whom = whom.label();
            let why = if mail.given_up {
                format!("{whom} abandonné : il ne partira pas")
            } else {
                format!("{whom}, {} essais sans succès", mail.attempts)
            };
            item(&o.cases[*i], why)
        })
        .collect();
    let unconfirmed: Vec<Unconfirmed> = app
        .unconfirmed_doctors(o.cpts.as_deref(), now)
        .into_iter()
        .map(|d| Unconfirmed {
            commune: territory
                .communes
                .get(d.commune)
                .map_or_else(String::new, |c| c.name.clone()),
            since: territory::dates::french_long(d.updated),
            name: d.name,
            email: d.email,
        })
        .collect();
    let anything_waits = !(to_validate.is_empty()
        && undelivered.is_empty()
        && unconfirmed.is_empty()
        && to_call.is_empty()
        && no_doctor.is_empty()
        && ask_first_visit.is_empty()
        && suspended.is_empty());
    OverviewPage {
        cpts: &o.title,
        updated: unix_date_fr(now),
        link_days: Link::Overview.lifetime_days().unwrap_or_default(),
        to_validate,
        to_call,
        no_doctor,
        ask_first_visit,
        ask_first_visit_days: ASK_FIRST_VISIT_AFTER_DAYS,
        suspended,
        undelivered,
        unconfirmed,
        anything_waits,
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

/// One CSV field, quoted (a `;`, a quote or a line break inside stays in its cell).
pub fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// What an export starts with, so that French Excel reads it as UTF-8.
pub const BOM: &str = "\u{feff}";

/// The figures as CSV (semicolon-separated, with a BOM, as French spreadsheets expect): counts
/// only.
pub fn csv(o: &Overview, now: i64) -> String {
    let mut out = format!("{BOM}indicateur;valeur\n");
    for (label, value) in figures(o, now) {
        let _ = writeln!(out, "{};{value}", quote(&label));
    }
    for (name, n) in &o.saturated {
        let _ = writeln!(out, "{};{n}", quote(&format!("Commune saturée : {name}")));
    }
    out
}
