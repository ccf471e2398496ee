//! The ACI report for staff (`aci.html`, issue #16): for one calendar year (by default the last
//! complete one) and a CPTS or the whole territory, the patients oriented and those who found a
//! GP through the CPTS, by priority criterion and age, their mean age, the delays (median, P90)
//! and the doctors taking part ([`crate::domain::aci`], [`crate::domain::indicators`]). The page
//! prints on A4 without the navigation; the same figures as a PDF written here
//! ([`pdf`]: the PDF's standard Helvetica, nothing embedded). Staff only: counts under 11 are
//! shown (« document interne »). A coordinator sees her CPTS; territory staff choose.

use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Datelike, NaiveDate};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use serde::Serialize;

use crate::app::{App, now};
use crate::domain::aci::{self, Counts, MeanAge, Report};
use crate::domain::dates::local_date;
use crate::domain::indicators::Supply;
use crate::domain::staff::Scope;
use crate::mail::Mailer;
use crate::store::Store;
use crate::web::figures::{self, AreaChoice, Params, Refusal, age_label, area_choices};
use crate::web::link_pages::criterion_label;
use crate::web::pages;
use crate::web::respond::html;
use crate::web::staff::{self, SignedIn};

/// The page, and the same report as a PDF (same query string: `?cpts=…&annee=…`).
pub const ROUTE: &str = staff::ACI_REPORT;
pub const PDF_ROUTE: &str = "/espace/chiffres/rapport-aci.pdf";

/// The oldest year offered, counted back from the current one.
const YEARS_OFFERED: i32 = 5;

pub fn routes<S: Store, M: Mailer>() -> Router<Arc<App<S, M>>> {
    Router::new()
        .route(ROUTE, get(page_route::<S, M>))
        .route(PDF_ROUTE, get(pdf_route::<S, M>))
}

/// The query string, as typed.
#[derive(Debug, Default, Clone)]
struct AciParams {
    cpts: String,
    annee: String,
}

impl AciParams {
    fn parse(query: &str) -> Self {
        let mut p = Self::default();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "cpts" => p.cpts = v.trim().to_string(),
                "annee" => p.annee = v.trim().to_string(),
                _ => {}
            }
        }
        p
    }
}

/// One table of the report: its title, column headers and rows (first cell the label).
#[derive(Debug, Serialize)]
pub struct Section {
    pub title: String,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// The report as shown on the page and in the PDF.
#[derive(Debug, Serialize)]
pub struct Document {
    /// « Rapport annuel ACI 2025 — CPTS du Rethélois ».
    pub title: String,
    /// What is counted, and when the figures were read.
    pub intro: Vec<String>,
    pub sections: Vec<Section>,
}

fn n(n: usize) -> String {
    n.to_string()
}

fn mean(m: &MeanAge) -> String {
    m.years.map_or_else(
        || "pas de donnée".into(),
        |y| format!("{y:.1}").replace('.', ","),
    )
}

fn counts_row(label: &str, c: &Counts) -> Vec<String> {
    vec![label.to_string(), n(c.oriented), n(c.found)]
}

/// The report's tables, in order, for the area `title`, with the supply read on `supply_day`.
pub fn document(
    title: &str,
    report: &Report,
    supply: &Supply,
    supply_day: NaiveDate,
    today: NaiveDate,
) -> Document {
    let groups = vec!["Patients", "Orientés", "Médecin trouvé"];
    let mut criteria = vec![counts_row(
        criterion_label(aci::CRITERIA[0]),
        &report.by_criterion[0].1,
    )];
    criteria.push(counts_row("70 ans et plus", &report.seventy_plus));
    criteria.extend(
        report.by_criterion[1..]
            .iter()
            .map(|(c, counts)| counts_row(criterion_label(*c), counts)),
    );
    let mut ages: Vec<Vec<String>> = report
        .by_age
        .iter()
        .map(|(b, c)| counts_row(&age_label(b), c))
        .collect();
    ages.push(vec![
        format!(
            "Âge moyen (ans), sur {} demandes dont l'âge est connu",
            report.mean_age.known
        ),
        mean(&report.mean_age),
        mean(&report.mean_age_found),
    ]);
    let days = |d: Option<i64>| d.map_or_else(|| "pas de donnée".into(), |d| d.to_string());
    let delays = report
        .figures
        .delays
        .iter()
        .map(|d| vec![d.label.to_string(), n(d.count), days(d.median), days(d.p90)])
        .collect();
    let supply_rows = figures::tables(&report.figures, supply)
        .pop()
        .map(|t| t.rows.into_iter().map(|(l, v)| vec![l, v]).collect())
        .unwrap_or_default();
    let long = territory::dates::french_long;
    Document {
        title: format!("Rapport annuel ACI {} — {title}", report.year),
        intro: vec![
            format!(
                "Patients orientés : les demandes reçues du {} au {}. On dit ce qu'elles sont devenues le {}.",
                long(report.period.from.unwrap_or(report.period.to)),
                long(report.period.to),
                long(today),
            ),
            "Document interne : les petits nombres (moins de 11) sont affichés. Ne le publiez pas tel quel.".into(),
        ],
        sections: vec![
            Section {
                title: "Patients orientés et médecin traitant trouvé".into(),
                headers: vec!["Indicateur", "Nombre"],
                rows: vec![
                    vec![
                        "Patients orientés (demandes reçues dans l'année)".into(),
                        n(report.all.oriented),
                    ],
                    vec![
                        "Patients qui ont trouvé un médecin traitant grâce à la CPTS".into(),
                        n(report.all.found),
                    ],
                ],
            },
            Section {
                title: "Par critère de priorité (à l'inscription)".into(),
                headers: groups.clone(),
                rows: criteria,
            },
            Section {
                title: "Par âge (à l'inscription)".into(),
                headers: groups,
                rows: ages,
            },
            Section {
                title: "Délais (en jours)".into(),
                headers: vec![
                    "Étape",
                    "Demandes comptées",
                    "Médiane",
                    "9 demandes sur 10 en moins de",
                ],
                rows: delays,
            },
            Section {
                title: format!("Les médecins participants, le {}", long(supply_day)),
                headers: vec!["Indicateur", "Nombre"],
                rows: supply_rows,
            },
        ],
    }
}

#[derive(Serialize)]
struct YearChoice {
    year: i32,
    selected: bool,
}

#[derive(Serialize)]
struct AciPage {
    action: &'static str,
    choices: Vec<AreaChoice>,
    years: Vec<YearChoice>,
    errors: Vec<String>,
    report: Option<Document>,
    pdf: String,
    figures: &'static str,
}

/// Whose report and which year, once the query is checked.
struct Chosen {
    choice: figures::Choice,
    year: i32,
    cpts_param: String,
}

fn choose(
    territory: &territory::Territory,
    scope: &Scope,
    params: &AciParams,
    today: NaiveDate,
) -> Result<Chosen, Refusal> {
    let current = today.year();
    let year = if params.annee.is_empty() {
        Ok(aci::default_year(today))
    } else {
        params
            .annee
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=current).contains(y))
            .ok_or_else(|| {
                format!("Année : choisissez une année entre 2000 et {current}, par exemple 2025.")
            })
    };
    let cpts_param = match scope {
        Scope::Cpts(own) if params.cpts.is_empty() => own.clone(),
        _ => params.cpts.clone(),
    };
    let period = year.as_ref().ok().and_then(|y| aci::year_period(*y));
    let figure_params = Params {
        cpts: params.cpts.clone(),
        du: period
            .map(|p| p.from.unwrap_or(p.to).to_string())
            .unwrap_or_default(),
        au: period.map(|p| p.to.to_string()).unwrap_or_default(),
    };
    let area = figures::choose(territory, scope, &figure_params, today);
    match (area, year) {
        (Err(Refusal::Forbidden), _) => Err(Refusal::Forbidden),
        (Ok(choice), Ok(year)) => Ok(Chosen {
            choice,
            year,
            cpts_param,
        }),
        (area, year) => {
            let mut errors = match area {
                Err(Refusal::Invalid(e)) => e,
                _ => Vec::new(),
            };
            errors.extend(year.err());
            Err(Refusal::Invalid(errors))
        }
    }
}

/// The report of `chosen` read from the store on `today`.
async fn read<S: Store, M: Mailer>(
    app: &App<S, M>,
    chosen: &Chosen,
    today: NaiveDate,
) -> crate::store::Result<Document> {
    // A past year's supply: its last day (this year's counters and pauses, today's roster).
    let supply_day = today.min(chosen.choice.period.to);
    let (entries, supply) = figures::gather(app, &chosen.choice, supply_day).await?;
    let report = aci::report(&entries, chosen.year, &chosen.choice.period);
    Ok(document(
        &chosen.choice.title,
        &report,
        &supply,
        supply_day,
        today,
    ))
}

async fn page_route<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    signed_in: SignedIn,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(scope) = &signed_in.scope else {
        return staff::forbidden(&app);
    };
    let params = AciParams::parse(&query.unwrap_or_default());
    let today = local_date(now());
    let territory = app.territory();
    let mut view = AciPage {
        action: ROUTE,
        choices: area_choices(&territory, scope, &params.cpts),
        years: Vec::new(),
        errors: Vec::new(),
        report: None,
        pdf: String::new(),
        figures: staff::FIGURES,
    };
    let selected = params.annee.parse().unwrap_or(aci::default_year(today));
    view.years = (today.year() - YEARS_OFFERED..=today.year())
        .rev()
        .map(|year| YearChoice {
            year,
            selected: year == selected,
        })
        .collect();
    let mut status = StatusCode::OK;
    match choose(&territory, scope, &params, today) {
        Err(Refusal::Forbidden) => return staff::forbidden(&app),
        Err(Refusal::Invalid(errors)) => {
            status = StatusCode::UNPROCESSABLE_ENTITY;
            view.errors = errors;
        }
        Ok(chosen) => {
            view.report = match read(&app, &chosen, today).await {
                Ok(d) => Some(d),
                Err(e) => return staff::unavailable(&app, &e),
            };
            view.pdf = format!(
                "{PDF_ROUTE}?{}",
                figures::aci_report_query(&chosen.cpts_param, Some(chosen.year))
            );
        }
    }
    html(
        status,
        pages::page(&app, "aci.html", "Le rapport annuel ACI", &view),
    )
}

async fn pdf_route<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    signed_in: SignedIn,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(scope) = &signed_in.scope else {
        return staff::forbidden(&app);
    };
    let params = AciParams::parse(&query.clone().unwrap_or_default());
    let today = local_date(now());
    let chosen = match choose(&app.territory(), scope, &params, today) {
        Ok(c) => c,
        Err(Refusal::Forbidden) => return staff::forbidden(&app),
        // The page names what is wrong.
        Err(Refusal::Invalid(_)) => {
            return page_route(State(app), signed_in, RawQuery(query)).await;
        }
    };
    let document = match read(&app, &chosen, today).await {
        Ok(d) => d,
        Err(e) => return staff::unavailable(&app, &e),
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"rapport-aci-{}.pdf\"", chosen.year),
            ),
        ],
        pdf(&document),
    )
        .into_response()
}

// ——— The PDF ———

/// A4 in points.
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 50.0;
/// The width of each number column.
const NUMBER_COLUMN: f32 = 88.0;
/// Helvetica's mean advance, in ems, with margin: how many characters fit in a column.
const MEAN_ADVANCE: f32 = 0.53;

const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// Text in the standard fonts' WinAnsi encoding (Windows-1252): French letters, « », ’ and …
/// are in it; a narrow no-break space becomes a no-break space.
fn win_ansi(text: &str) -> Vec<u8> {
    let text = text.replace('\u{202f}', "\u{a0}");
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    bytes.into_owned()
}

/// `text` cut into lines of at most `width` points at `size`, at spaces.
fn wrap(text: &str, width: f32, size: f32) -> Vec<String> {
    let max = ((width / (size * MEAN_ADVANCE)) as usize).max(8);
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > max {
            lines.push(word.to_string());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

/// Pages of text written from the top down.
struct Pages {
    done: Vec<Content>,
    current: Content,
    y: f32,
}

impl Pages {
    fn new() -> Self {
        Self {
            done: Vec::new(),
            current: Content::new(),
            y: PAGE_HEIGHT - MARGIN,
        }
    }

    /// Room for `height` points on this page, or a new page.
    fn room(&mut self, height: f32) {
        if self.y - height < MARGIN {
            let full = std::mem::replace(&mut self.current, Content::new());
            self.done.push(full);
            self.y = PAGE_HEIGHT - MARGIN;
        }
    }

    fn text(&mut self, font: Name, size: f32, x: f32, y: f32, text: &str) {
        self.current
            .begin_text()
            .set_font(font, size)
            .next_line(x, y)
            .show(Str(&win_ansi(text)))
            .end_text();
    }

    /// A paragraph of wrapped lines over the whole width.
    fn paragraph(&mut self, font: Name, size: f32, text: &str) {
        let leading = size * 1.35;
        for line in wrap(text, PAGE_WIDTH - 2.0 * MARGIN, size) {
            self.room(leading);
            self.y -= leading;
            self.text(font, size, MARGIN, self.y, &line);
        }
    }

    /// A table row: the first cell wrapped in the wide column, the others in number columns.
    fn row(&mut self, font: Name, size: f32, cells: &[String]) {
        let leading = size * 1.3;
        let others = cells.len().saturating_sub(1) as f32;
        let first_width = PAGE_WIDTH - 2.0 * MARGIN - others * NUMBER_COLUMN - 8.0;
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let width = if i == 0 {
                    first_width
                } else {
                    NUMBER_COLUMN - 6.0
                };
                wrap(c, width, size)
            })
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        let height = lines as f32 * leading + 4.0;
        self.room(height);
        let top = self.y;
        for (i, cell) in wrapped.iter().enumerate() {
            let x = if i == 0 {
                MARGIN
            } else {
                PAGE_WIDTH - MARGIN - (others - i as f32 + 1.0) * NUMBER_COLUMN
            };
            for (l, line) in cell.iter().enumerate() {
                self.text(font, size, x, top - (l as f32 + 1.0) * leading, line);
            }
        }
        self.y = top - height;
        // A thin rule under the row.
        self.current
            .set_line_width(0.4)
            .move_to(MARGIN, self.y + 1.5)
            .line_to(PAGE_WIDTH - MARGIN, self.y + 1.5)
            .stroke();
    }

    fn finish(mut self) -> Vec<Content> {
        self.done.push(self.current);
        self.done
    }
}

/// The report as a PDF: A4 pages, Helvetica (a font every PDF reader has), the same text and
/// figures as the page.
pub fn pdf(document: &Document) -> Vec<u8> {
    let mut pages = Pages::new();
    pages.paragraph(BOLD, 15.0, &document.title);
    pages.y -= 4.0;
    for line in &document.intro {
        pages.paragraph(REGULAR, 9.5, line);
    }
    for section in &document.sections {
        pages.room(60.0);
        pages.y -= 10.0;
        pages.paragraph(BOLD, 11.5, &section.title);
        pages.y -= 2.0;
        let headers: Vec<String> = section.headers.iter().map(|h| h.to_string()).collect();
        pages.row(BOLD, 8.5, &headers);
        for row in &section.rows {
            pages.row(REGULAR, 9.0, row);
        }
    }
    let contents = pages.finish();

    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    for (id, name) in [(regular, "Helvetica"), (bold, "Helvetica-Bold")] {
        pdf.type1_font(id)
            .base_font(Name(name.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    let mut kids = Vec::new();
    for (i, content) in contents.into_iter().enumerate() {
        let page_id = Ref::new(6 + 2 * i as i32);
        let content_id = Ref::new(7 + 2 * i as i32);
        kids.push(page_id);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .parent(tree)
            .contents(content_id);
        page.resources()
            .fonts()
            .pair(REGULAR, regular)
            .pair(BOLD, bold);
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    let count = kids.len() as i32;
    pdf.pages(tree).kids(kids).count(count);
    pdf.document_info(info)
        .title(TextStr(&document.title))
        .producer(TextStr("cpts"));
    pdf.finish()
}
