//! The figures page for staff (`figures.html`, issue #16): the requests received in a period by a
//! CPTS or the whole territory, what became of them and how long it took
//! ([`crate::domain::indicators`]), and the doctors taking part today (their capacity, pauses and
//! declarations to confirm), with a bar chart drawn on the server, and the same tables as CSV and
//! as an XLSX workbook (one sheet per table), plus one CSV line per request — no personal data. A coordinator sees her CPTS; territory
//! staff choose a CPTS or the whole territory.

use std::fmt::Write;
use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::Serialize;

use crate::app::{App, now};
use crate::domain::dates::{local_date, parse_date};
use crate::domain::indicators::{self, AGE_BRACKETS, Entry, Figures, Outcome, Period, Supply};
use crate::domain::intake::Channel;
use crate::domain::lifecycle::{CaseState, age_bracket, criteria_on};
use crate::domain::matching::period_of;
use crate::domain::staff::Scope;
use crate::links::OUTSIDE_CPTS;
use crate::mail::Mailer;
use crate::store::{Result, Store};
use crate::web::overview::{BOM, quote};
use crate::web::pages::{self, level_label};
use crate::web::respond::html;
use crate::web::staff::{self, SignedIn};

/// The page, its tables as CSV, and one CSV line per request (same query string).
pub const ROUTE: &str = staff::FIGURES;
pub const TABLES_CSV: &str = "/espace/chiffres/tableaux.csv";
pub const REQUESTS_CSV: &str = "/espace/chiffres/demandes.csv";
pub const TABLES_XLSX: &str = "/espace/chiffres/tableaux.xlsx";

/// The whole territory, in the `cpts` field.
pub const WHOLE_TERRITORY: &str = "territoire";

pub fn routes<S: Store, M: Mailer>() -> Router<Arc<App<S, M>>> {
    Router::new()
        .route(ROUTE, get(page_route::<S, M>))
        .route(TABLES_CSV, get(tables_csv_route::<S, M>))
        .route(REQUESTS_CSV, get(requests_csv_route::<S, M>))
        .route(TABLES_XLSX, get(tables_xlsx_route::<S, M>))
}

/// The query string, as typed: `?cpts=…&du=…&au=…`.
#[derive(Debug, Default, Clone)]
pub struct Params {
    pub cpts: String,
    pub du: String,
    pub au: String,
}

impl Params {
    pub fn parse(query: &str) -> Self {
        let mut p = Self::default();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "cpts" => p.cpts = v.trim().to_string(),
                "du" => p.du = v.trim().to_string(),
                "au" => p.au = v.trim().to_string(),
                _ => {}
            }
        }
        p
    }

    pub(crate) fn query(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("cpts", &self.cpts)
            .append_pair("du", &self.du)
            .append_pair("au", &self.au)
            .finish()
    }
}

/// Whose requests, and the period, once the query is checked.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The store's filter: `None` the whole territory, `Some(None)` the communes outside any CPTS.
    pub cpts: Option<Option<String>>,
    pub title: String,
    pub period: Period,
}

/// What is wrong with the query: the forbidden CPTS, or French sentences naming the field.
pub(crate) enum Refusal {
    Forbidden,
    Invalid(Vec<String>),
}

pub(crate) fn choose(
    territory: &territory::Territory,
    scope: &Scope,
    params: &Params,
    today: NaiveDate,
) -> std::result::Result<Choice, Refusal> {
    let cpts_name = |id: &str| {
        territory
            .cpts
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.clone())
    };
    let mut errors = Vec::new();
    let (cpts, title) = match scope {
        Scope::Cpts(own) => {
            if !params.cpts.is_empty() && params.cpts != *own {
                return Err(Refusal::Forbidden);
            }
            (
                Some(Some(own.clone())),
                cpts_name(own).unwrap_or_else(|| own.clone()),
            )
        }
        Scope::Territory => match params.cpts.as_str() {
            "" | WHOLE_TERRITORY => (None, "tout le territoire".to_string()),
            OUTSIDE_CPTS => (Some(None), "communes hors CPTS".to_string()),
            id => match cpts_name(id) {
                Some(name) => (Some(Some(id.to_string())), name),
                None => {
                    errors.push("CPTS : choisissez-la dans la liste.".to_string());
                    (None, String::new())
                }
            },
        },
    };
    let mut date = |typed: &str, field: &str, default: Option<NaiveDate>| {
        if typed.is_empty() {
            return default;
        }
        let parsed = parse_date(typed);
        if parsed.is_none() {
            errors.push(format!(
                "{field} : écrivez la date comme 01/01/2026 (jour, mois, année)."
            ));
        }
        parsed
    };
    let to = date(&params.au, "Au", Some(today)).unwrap_or(today);
    // Without a start: the quarter of the end.
    let from = date(&params.du, "Du", Period::quarter(to).from);
    if let Some(from) = from
        && from > to
    {
        errors.push("Du : la date de début doit venir avant la date de fin.".into());
    }
    if !errors.is_empty() {
        return Err(Refusal::Invalid(errors));
    }
    Ok(Choice {
        cpts,
        title,
        period: Period { from, to },
    })
}

/// Every request of `cpts` (as [`Choice::cpts`]) received in `period`, with what the figures
/// need: the channel, the age bracket, the age and the criteria at registration from the request
/// (or from what is left of it once erased), the dates from its proposals. Nothing else of the request leaves this function.
pub async fn entries<S: Store>(
    store: &S,
    cpts: Option<Option<&str>>,
    period: &Period,
) -> Result<Vec<Entry>> {
    let cases = store.cases(&CaseState::ALL, cpts).await?;
    let mut out = Vec::new();
    for case in cases {
        if !period.contains(local_date(case.created_at)) {
            continue;
        }
        let (channel, bracket, criteria, age) = match store.request(&case.reference).await? {
            Some(r) => {
                let registered_on = local_date(r.created_at);
                let age = r.registration.birth_date.age_on(registered_on);
                let criteria = criteria_on(&r, registered_on);
                (r.channel, Some(age_bracket(age)), criteria, Some(age))
            }
            None => match store.erased(&case.reference).await? {
                Some(e) => (
                    Channel::staff(&e.channel).unwrap_or_default(),
                    AGE_BRACKETS.iter().find(|b| **b == e.age_bracket).copied(),
                    e.criteria,
                    e.age,
                ),
                None => (Channel::default(), None, Vec::new(), None),
            },
        };
        let mut proposals = Vec::with_capacity(case.proposals.len());
        for id in &case.proposals {
            if let Some(p) = store.proposal(id).await? {
                proposals.push(p);
            }
        }
        out.push(Entry::of(case, channel, bracket, &proposals).with_person(criteria, age));
    }
    Ok(out)
}

/// The doctors practising in `cpts` (as [`Choice::cpts`]) on `today`: the roster with their own
/// declarations, and what they accepted this year.
pub async fn supply<S: Store, M: Mailer>(
    app: &App<S, M>,
    cpts: Option<Option<&str>>,
    today: NaiveDate,
) -> Result<Supply> {
    let territory = app.current_territory().await;
    let loads = app.store.doctor_loads(period_of(today)).await?;
    Ok(indicators::supply(&territory, cpts, &loads, today))
}

/// One table of the page and of the exports: its title and (label, value) rows.
#[derive(Serialize)]
pub struct Table {
    pub title: &'static str,
    /// Its sheet's name in the workbook (31 characters at most).
    pub sheet: &'static str,
    pub rows: Vec<(String, String)>,
}

fn days(d: Option<i64>) -> String {
    d.map_or_else(|| "pas encore de donnée".into(), |d| d.to_string())
}

/// The tables of `f` and `s`, in the page's order.
pub fn tables(f: &Figures, s: &Supply) -> Vec<Table> {
    let n = |n: usize| n.to_string();
    let mut outcomes = vec![(
        "Médecin traitant trouvé grâce à la CPTS (au total)".to_string(),
        n(f.found_through_cpts()),
    )];
    outcomes.extend(
        f.outcomes
            .iter()
            .map(|(o, c)| (o.label().to_string(), n(*c))),
    );
    outcomes.push((
        "Dont refus de la personne après un médecin écarté car trop loin".into(),
        n(f.refused_too_far),
    ));
    let mut delays = Vec::new();
    for d in &f.delays {
        delays.push((format!("{} : demandes comptées", d.label), n(d.count)));
        delays.push((format!("{} : médiane (jours)", d.label), days(d.median)));
        delays.push((
            format!("{} : 9 demandes sur 10 en moins de (jours)", d.label),
            days(d.p90),
        ));
    }
    vec![
        Table {
            title: "Demandes reçues",
            sheet: "Demandes reçues",
            rows: vec![("Demandes reçues dans la période".into(), n(f.received))],
        },
        Table {
            title: "Demandes reçues par canal",
            sheet: "Par canal",
            rows: f
                .by_channel
                .iter()
                .map(|(l, c)| (l.clone(), n(*c)))
                .collect(),
        },
        Table {
            title: "Demandes reçues par niveau de priorité",
            sheet: "Par niveau de priorité",
            rows: (1..=3u8)
                .map(|l| {
                    (
                        level_label(l).to_string(),
                        n(f.by_level[usize::from(l) - 1]),
                    )
                })
                .collect(),
        },
        Table {
            title: "Demandes reçues par âge",
            sheet: "Par âge",
            rows: f
                .by_age
                .iter()
                .map(|(b, c)| (age_label(b), n(*c)))
                .collect(),
        },
        Table {
            title: "Ce que sont devenues les demandes",
            sheet: "Devenir des demandes",
            rows: outcomes,
        },
        Table {
            title: "Médecins écartés par la coordination, par raison",
            sheet: "Médecins écartés",
            rows: f
                .set_aside
                .iter()
                .map(|(r, c)| (r.label().to_string(), n(*c)))
                .collect(),
        },
        Table {
            title: "Délais",
            sheet: "Délais",
            rows: delays,
        },
        Table {
            title: "Les médecins participants, aujourd'hui (quelle que soit la période)",
            sheet: "Médecins participants",
            rows: vec![
                ("Médecins participants".into(), n(s.doctors)),
                (
                    "Nouveaux patients par an qu'ils acceptent de prendre (capacité déclarée)"
                        .into(),
                    s.capacity_declared.to_string(),
                ),
                (
                    "Patients acceptés cette année (capacité utilisée)".into(),
                    s.capacity_used.to_string(),
                ),
                ("Médecins en pause".into(), n(s.paused)),
                (
                    "Médecins qui ne prennent pas de nouveaux patients".into(),
                    n(s.not_accepting),
                ),
                (
                    "Déclarations de plus de 3 mois, à confirmer".into(),
                    n(s.stale),
                ),
                (
                    "Dont médecins plus proposés faute de confirmation".into(),
                    n(s.lapsed),
                ),
            ],
        },
    ]
}

pub(crate) fn age_label(bracket: &str) -> String {
    match bracket {
        "0-5" => "0 à 5 ans".into(),
        "6-15" => "6 à 15 ans".into(),
        "16-69" => "16 à 69 ans".into(),
        "70+" => "70 ans et plus".into(),
        _ => "Âge inconnu (demande effacée avant)".into(),
    }
}

/// A bar of the chart: its label, count, and place in the SVG (user units).
#[derive(Serialize)]
struct Bar {
    label: String,
    count: usize,
    y: usize,
    text_y: usize,
    width: usize,
}

/// The chart's width for the longest bar, in SVG units.
const CHART_WIDTH: usize = 260;
const BAR_STEP: usize = 34;

fn bars(rows: &[(String, usize)]) -> Vec<Bar> {
    let max = rows.iter().map(|r| r.1).max().unwrap_or_default().max(1);
    rows.iter()
        .enumerate()
        .map(|(i, (label, count))| Bar {
            label: label.clone(),
            count: *count,
            text_y: i * BAR_STEP + 12,
            y: i * BAR_STEP + 16,
            width: (count * CHART_WIDTH).div_ceil(max),
        })
        .collect()
}

/// The areas territory staff choose from (none for a coordinator: her CPTS only), `selected`
/// the `cpts` field as typed.
pub(crate) fn area_choices(
    territory: &territory::Territory,
    scope: &Scope,
    selected: &str,
) -> Vec<AreaChoice> {
    match scope {
        Scope::Cpts(_) => Vec::new(),
        Scope::Territory => std::iter::once((WHOLE_TERRITORY, "Tout le territoire"))
            .chain(
                territory
                    .cpts
                    .iter()
                    .map(|c| (c.id.as_str(), c.name.as_str())),
            )
            .chain(std::iter::once((OUTSIDE_CPTS, "Communes hors CPTS")))
            .map(|(id, name)| AreaChoice {
                selected: selected == id || (selected.is_empty() && id == WHOLE_TERRITORY),
                id: id.to_string(),
                name: name.to_string(),
            })
            .collect(),
    }
}

#[derive(Serialize)]
pub(crate) struct AreaChoice {
    id: String,
    name: String,
    selected: bool,
}

#[derive(Serialize)]
struct PeriodLink {
    label: &'static str,
    url: String,
}

#[derive(Serialize)]
struct FiguresPage {
    action: &'static str,
    /// Empty for a coordinator: her CPTS only.
    choices: Vec<AreaChoice>,
    du: String,
    au: String,
    errors: Vec<String>,
    periods: Vec<PeriodLink>,
    title: String,
    /// « du 1er octobre 2026 au 1er décembre 2026 », or « depuis le début … ».
    period: String,
    bars: Vec<Bar>,
    chart_height: usize,
    tables: Vec<Table>,
    tables_csv: String,
    tables_xlsx: String,
    requests_csv: String,
    /// The ACI report of the same area, for the last complete year.
    aci_report: String,
}

async fn page_route<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    signed_in: SignedIn,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(scope) = &signed_in.scope else {
        return staff::forbidden(&app);
    };
    figures_page(
        &app,
        scope,
        &Params::parse(&query.unwrap_or_default()),
        now(),
    )
    .await
}

fn date_field(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The figures page for `params` within `scope`, at `now`.
pub async fn figures_page<S: Store, M: Mailer>(
    app: &App<S, M>,
    scope: &Scope,
    params: &Params,
    now: i64,
) -> Response {
    let territory = app.territory();
    let today = local_date(now);
    let choices = area_choices(&territory, scope, &params.cpts);
    let cpts_param = match scope {
        Scope::Cpts(own) => own.clone(),
        Scope::Territory => params.cpts.clone(),
    };
    let periods = Period::defaults(today)
        .into_iter()
        .map(|(label, p)| PeriodLink {
            label,
            url: format!(
                "{ROUTE}?{}",
                Params {
                    cpts: cpts_param.clone(),
                    du: date_field(p.from),
                    au: date_field(Some(p.to)),
                }
                .query()
            ),
        })
        .collect();
    let mut view = FiguresPage {
        action: ROUTE,
        choices,
        du: params.du.clone(),
        au: params.au.clone(),
        errors: Vec::new(),
        periods,
        title: String::new(),
        period: String::new(),
        bars: Vec::new(),
        chart_height: 0,
        tables: Vec::new(),
        tables_csv: String::new(),
        tables_xlsx: String::new(),
        requests_csv: String::new(),
        aci_report: format!(
            "{}?{}",
            staff::ACI_REPORT,
            aci_report_query(&cpts_param, None)
        ),
    };
    let mut status = StatusCode::OK;
    match choose(&territory, scope, params, today) {
        Err(Refusal::Forbidden) => return staff::forbidden(app),
        Err(Refusal::Invalid(errors)) => {
            status = StatusCode::UNPROCESSABLE_ENTITY;
            view.errors = errors;
        }
        Ok(choice) => {
            let (entries, s) = match gather(app, &choice, today).await {
                Ok(x) => x,
                Err(e) => return staff::unavailable(app, &e),
            };
            let f = indicators::compute(&entries, &choice.period);
            let shown = Params {
                cpts: cpts_param,
                du: date_field(choice.period.from),
                au: date_field(Some(choice.period.to)),
            };
            view.du = shown.du.clone();
            view.au = shown.au.clone();
            view.title = choice.title;
            view.period = period_fr(&choice.period);
            view.bars = bars(&f.by_channel);
            view.chart_height = view.bars.len() * BAR_STEP;
            view.tables = tables(&f, &s);
            view.tables_csv = format!("{TABLES_CSV}?{}", shown.query());
            view.tables_xlsx = format!("{TABLES_XLSX}?{}", shown.query());
            view.requests_csv = format!("{REQUESTS_CSV}?{}", shown.query());
        }
    }
    html(
        status,
        pages::page(app, "figures.html", "Les chiffres des demandes", &view),
    )
}

pub(crate) fn period_fr(p: &Period) -> String {
    let to = territory::dates::french_long(p.to);
    match p.from {
        Some(from) => format!("reçues du {} au {to}", territory::dates::french_long(from)),
        None => format!("reçues depuis le début, jusqu'au {to}"),
    }
}

/// The requests of `choice` and the supply of its area on `today`.
pub(crate) async fn gather<S: Store, M: Mailer>(
    app: &App<S, M>,
    choice: &Choice,
    today: NaiveDate,
) -> Result<(Vec<Entry>, Supply)> {
    let cpts = choice.cpts.as_ref().map(Option::as_deref);
    let entries = entries(&app.store, cpts, &choice.period).await?;
    Ok((entries, supply(app, cpts, today).await?))
}

/// The tables as CSV: `tableau;indicateur;valeur`, with a BOM.
pub fn tables_csv(f: &Figures, s: &Supply) -> String {
    let mut out = format!("{BOM}tableau;indicateur;valeur\n");
    for t in tables(f, s) {
        for (label, value) in &t.rows {
            let _ = writeln!(out, "{};{};{}", quote(t.title), quote(label), quote(value));
        }
    }
    out
}

/// One line per request of the cohort, without personal data, with a BOM.
pub fn requests_csv(entries: &[Entry], period: &Period) -> String {
    let mut out =
        format!("{BOM}référence;code commune;reçue le;niveau de priorité;canal;état;issue\n");
    for e in entries.iter().filter(|e| e.in_period(period)) {
        let c = &e.case;
        let _ = writeln!(
            out,
            "{};{};{};{};{};{};{}",
            quote(&c.reference),
            quote(&c.needs.commune),
            local_date(c.created_at).format("%d/%m/%Y"),
            c.needs.priority_level,
            quote(&indicators::channel_label(&e.channel)),
            quote(c.state.label()),
            quote(Outcome::of(c).label()),
        );
    }
    out
}

/// The tables as an XLSX workbook: a first sheet naming the area and the period, then one sheet
/// per table (`Indicateur`, `Valeur`), counts written as numbers.
pub fn tables_xlsx(
    title: &str,
    period: &Period,
    f: &Figures,
    s: &Supply,
) -> std::result::Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let about = workbook.add_worksheet().set_name("Période")?;
    about.set_column_width(0, 20)?;
    about.set_column_width(1, 60)?;
    about.write_string_with_format(0, 0, "Zone", &bold)?;
    about.write_string(0, 1, title)?;
    about.write_string_with_format(1, 0, "Demandes", &bold)?;
    about.write_string(1, 1, period_fr(period))?;
    for t in tables(f, s) {
        let sheet = workbook.add_worksheet().set_name(t.sheet)?;
        sheet.set_column_width(0, 70)?;
        sheet.set_column_width(1, 20)?;
        sheet.write_string_with_format(0, 0, t.title, &bold)?;
        sheet.write_string_with_format(1, 0, "Indicateur", &bold)?;
        sheet.write_string_with_format(1, 1, "Valeur", &bold)?;
        for (row, (label, value)) in (2u32..).zip(&t.rows) {
            sheet.write_string(row, 0, label)?;
            match value.parse::<u64>() {
                Ok(n) => sheet.write_number(row, 1, n as f64)?,
                Err(_) => sheet.write_string(row, 1, value)?,
            };
        }
    }
    workbook.save_to_buffer()
}

/// What an export route sends.
#[derive(Clone, Copy)]
enum Export {
    TablesCsv,
    TablesXlsx,
    RequestsCsv,
}

impl Export {
    fn filename(self) -> &'static str {
        match self {
            Export::TablesCsv => "chiffres.csv",
            Export::TablesXlsx => "chiffres.xlsx",
            Export::RequestsCsv => "demandes.csv",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Export::TablesCsv | Export::RequestsCsv => "text/csv; charset=utf-8",
            Export::TablesXlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }
}

async fn export_route<S: Store, M: Mailer>(
    app: &App<S, M>,
    signed_in: &SignedIn,
    query: Option<String>,
    export: Export,
) -> Response {
    let Some(scope) = &signed_in.scope else {
        return staff::forbidden(app);
    };
    let params = Params::parse(&query.unwrap_or_default());
    let today = local_date(now());
    let choice = match choose(&app.territory(), scope, &params, today) {
        Ok(c) => c,
        Err(Refusal::Forbidden) => return staff::forbidden(app),
        // The page shows why; its links carry a checked query.
        Err(Refusal::Invalid(_)) => return figures_page(app, scope, &params, now()).await,
    };
    let cpts = choice.cpts.as_ref().map(Option::as_deref);
    let body = match export {
        Export::RequestsCsv => match entries(&app.store, cpts, &choice.period).await {
            Ok(e) => requests_csv(&e, &choice.period).into_bytes(),
            Err(e) => return staff::unavailable(app, &e),
        },
        Export::TablesCsv | Export::TablesXlsx => {
            let (entries, s) = match gather(app, &choice, today).await {
                Ok(x) => x,
                Err(e) => return staff::unavailable(app, &e),
            };
            let f = indicators::compute(&entries, &choice.period);
            if let Export::TablesCsv = export {
                tables_csv(&f, &s).into_bytes()
            } else {
                match tables_xlsx(&choice.title, &choice.period, &f, &s) {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!(error = %e, "classeur des chiffres");
                        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                    }
                }
            }
        }
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, export.content_type().to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", export.filename()),
            ),
        ],
        body,
    )
        .into_response()
}

async fn tables_csv_route<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    signed_in: SignedIn,
    RawQuery(query): RawQuery,
) -> Response {
    export_route(&app, &signed_in, query, Export::TablesCsv).await
}

async fn tables_xlsx_route<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    signed_in: SignedIn,
    RawQuery(query): RawQuery,
) -> Response {
    export_route(&app, &signed_in, query, Export::TablesXlsx).await
}

async fn requests_csv_route<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    signed_in: SignedIn,
    RawQuery(query): RawQuery,
) -> Response {
    export_route(&app, &signed_in, query, Export::RequestsCsv).await
}

/// The ACI report's query for the area `cpts` (this page's `cpts` field) and `year` (`None`: the
/// report's default year).
pub fn aci_report_query(cpts: &str, year: Option<i32>) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("cpts", cpts);
    if let Some(y) = year {
        q.append_pair("annee", &y.to_string());
    }
    q.finish()
}
