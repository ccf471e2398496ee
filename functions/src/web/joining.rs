//! Joining: the public form where a GP of the territory offers his availability
//! (`/api/medecins/rejoindre`), the staff list of the offers of their CPTS with « Accepter » /
//! « Refuser » (`/espace/medecins`), and the roster export as doctors.csv
//! (`/espace/medecins/export.csv`) or doctors.xlsx (`…/export.xlsx`), both read back as they are
//! by the territory loader. The use cases are in [`crate::joining`].

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Serialize;
use territory::{Availability, Territory};

use crate::app::{App, now};
use crate::domain::answers::Answers;
use crate::domain::joining::{self, JoinOffer};
use crate::domain::registration::FieldError;
use crate::joining::{DecideError, JoinOutcome, OFFERS_PAGE};
use crate::mail::Mailer;
use crate::store::Store;
use crate::web::client;
use crate::web::form::{self, ErrorLink, Field};
use crate::web::overview::{BOM, quote};
use crate::web::pages::{self, Message};
use crate::web::replies;
use crate::web::respond::{BODY_LIMIT, html, same_origin};
use crate::web::staff::{self, SignedIn};

/// Where the joining form lives (GET shows it, POST stores it); linked from /medecins/.
pub const FORM: &str = "/api/medecins/rejoindre";
/// The roster export.
pub const EXPORT: &str = "/espace/medecins/export.csv";
/// The roster export as a workbook, to open in Excel or LibreOffice and publish as doctors.xlsx.
pub const EXPORT_XLSX: &str = "/espace/medecins/export.xlsx";

pub fn routes<S: Store, M: Mailer>() -> Router<Arc<App<S, M>>> {
    Router::new()
        .route(FORM, get(show::<S, M>).post(submit::<S, M>))
        .route(OFFERS_PAGE, get(offers::<S, M>))
        .route(EXPORT, get(export::<S, M>))
        .route(EXPORT_XLSX, get(export_xlsx::<S, M>))
        .route(
            &format!("{OFFERS_PAGE}/{{id}}/accepter"),
            post(accept::<S, M>),
        )
        .route(
            &format!("{OFFERS_PAGE}/{{id}}/refuser"),
            post(decline::<S, M>),
        )
}

#[derive(Serialize)]
struct JoinForm<'a> {
    action: &'static str,
    token: &'a str,
    notice: Option<&'a str>,
    communes: &'a [String],
    statuses: Vec<[&'static str; 2]>,
    errors: Vec<ErrorLink<'a>>,
    fields: std::collections::BTreeMap<&'static str, Field<'a>>,
    privacy_url: &'a str,
}

#[derive(Serialize)]
struct FormPage<'a> {
    form: JoinForm<'a>,
}

fn form_page<S: Store, M: Mailer>(
    app: &App<S, M>,
    status: StatusCode,
    answers: &Answers,
    errors: &[FieldError],
    token: &str,
    notice: Option<&str>,
) -> Response {
    let published = app.published();
    let names = joining::FIELDS.iter().copied().chain(["website"]);
    let (fields, links) = form::states(names, answers, errors);
    let page = FormPage {
        form: JoinForm {
            action: FORM,
            token,
            notice,
            communes: &published.commune_labels,
            statuses: joining::STATUSES.iter().map(|(c, l)| [*c, *l]).collect(),
            errors: links,
            fields,
            privacy_url: &app.config.privacy_url,
        },
    };
    let title = if errors.is_empty() {
        "Proposer vos disponibilités"
    } else {
        "Erreur : proposer vos disponibilités"
    };
    html(status, pages::page(app, "join_form.html", title, &page))
}

async fn show<S: Store, M: Mailer>(State(app): State<Arc<App<S, M>>>) -> Response {
    let mut answers = Answers::default();
    answers.set("status", "accepte_maintenant");
    let token = app.join_token(now());
    form_page(&app, StatusCode::OK, &answers, &[], &token, None)
}

fn said<S: Store, M: Mailer>(
    app: &App<S, M>,
    status: StatusCode,
    title: &str,
    paragraphs: &[&str],
) -> Response {
    replies::message(app, status, title, &Message::new(title, paragraphs))
}

async fn submit<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let client = client::of(&request);
    if !same_origin(&headers, &app.config.allowed_origins) {
        return said(
            &app,
            StatusCode::FORBIDDEN,
            "Formulaire non envoyé",
            &[
                "Ce formulaire a été envoyé depuis un autre site que le nôtre. Rien n'est enregistré.",
            ],
        );
    }
    let Ok(bytes) = to_bytes(request.into_body(), BODY_LIMIT).await else {
        return said(
            &app,
            StatusCode::PAYLOAD_TOO_LARGE,
            "Formulaire non envoyé",
            &["Le formulaire envoyé est trop long. Rien n'est enregistré."],
        );
    };
    let answers = Answers::from_form(&bytes);
    let thanks = || {
        said(
            &app,
            StatusCode::OK,
            "Proposition enregistrée",
            &[
                "Merci. Votre proposition est enregistrée.",
                "La coordination de votre CPTS va la lire. Si elle l'accepte, vous recevrez un courriel avec votre lien personnel pour tenir vos disponibilités à jour.",
            ],
        )
    };
    match app.offer_to_join(&answers, &client, now()).await {
        JoinOutcome::Stored(_) | JoinOutcome::Robot => thanks(),
        JoinOutcome::Duplicate => said(
            &app,
            StatusCode::OK,
            "Proposition déjà enregistrée",
            &[
                "Ce formulaire était déjà envoyé : votre proposition est enregistrée une seule fois.",
            ],
        ),
        JoinOutcome::Invalid { errors, token } => form_page(
            &app,
            StatusCode::UNPROCESSABLE_ENTITY,
            &answers,
            &errors,
            &token,
            None,
        ),
        JoinOutcome::Confirm { token } => form_page(
            &app,
            StatusCode::OK,
            &answers,
            &[],
            &token,
            Some(
                "Vérifiez vos réponses, puis cliquez sur « Envoyer ma proposition » pour confirmer. Rien n'est encore enregistré.",
            ),
        ),
        JoinOutcome::Limited => form_page(
            &app,
            StatusCode::TOO_MANY_REQUESTS,
            &answers,
            &[],
            answers.get("token"),
            Some(
                "Votre proposition n'est PAS enregistrée : trop de formulaires envoyés depuis cette connexion. Vos réponses sont gardées : réessayez dans une heure, ou appelez la coordination.",
            ),
        ),
        JoinOutcome::Unavailable(e) => {
            tracing::error!(error = %e, "proposition de médecin non enregistrée");
            form_page(
                &app,
                StatusCode::SERVICE_UNAVAILABLE,
                &answers,
                &[],
                answers.get("token"),
                Some(
                    "Votre proposition n'est PAS enregistrée : le serveur n'a pas pu l'écrire. Vos réponses sont gardées : réessayez dans quelques minutes.",
                ),
            )
        }
    }
}

/// One offer as the coordinator's list shows it.
#[derive(Serialize)]
struct OfferRow {
    id: String,
    name: String,
    commune: String,
    email: String,
    phone: String,
    status: String,
    capacity: u32,
    home_visits: String,
    priority_only: bool,
    public: bool,
    offered_on: String,
    accept: String,
    decline: String,
}

#[derive(Serialize)]
struct OffersPage<'a> {
    csrf: &'a str,
    offers: Vec<OfferRow>,
    export: &'static str,
    export_xlsx: &'static str,
}

fn row(offer: &JoinOffer, territory: &Territory) -> OfferRow {
    OfferRow {
        id: offer.id.clone(),
        name: offer.name.as_str().to_string(),
        commune: territory
            .commune(&offer.commune)
            .map_or_else(|| offer.commune.clone(), crate::domain::communes::label),
        email: offer.email.as_str().to_string(),
        phone: offer
            .phone
            .as_ref()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        status: joining::status_label(offer.status),
        capacity: offer.yearly_capacity,
        home_visits: offer
            .home_visit_radius_km
            .map_or_else(|| "non".to_string(), |km| format!("oui, jusqu'à {km} km")),
        priority_only: offer.priority_only,
        public: offer.public,
        offered_on: crate::domain::dates::unix_date_fr(offer.offered_at),
        accept: format!("{OFFERS_PAGE}/{}/accepter", offer.id),
        decline: format!("{OFFERS_PAGE}/{}/refuser", offer.id),
    }
}

async fn offers<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    signed_in: SignedIn,
) -> Response {
    let Some(scope) = signed_in.scope.as_ref() else {
        return staff::forbidden(&app);
    };
    let pending = match app.pending_join_offers(scope).await {
        Ok(p) => p,
        Err(e) => return staff::unavailable(&app, &e),
    };
    let territory = app.territory();
    let page = OffersPage {
        csrf: &signed_in.csrf,
        offers: pending.iter().map(|o| row(o, &territory)).collect(),
        export: EXPORT,
        export_xlsx: EXPORT_XLSX,
    };
    html(
        StatusCode::OK,
        pages::page(
            app.as_ref(),
            "join_offers.html",
            "Médecins qui proposent de nous rejoindre",
            &page,
        ),
    )
}

async fn decide<S: Store, M: Mailer>(
    app: &App<S, M>,
    signed_in: &SignedIn,
    request: Request,
    id: &str,
    accept: bool,
) -> Response {
    let Some(scope) = signed_in.scope.as_ref() else {
        return staff::forbidden(app);
    };
    let (headers, answers) = match staff::posted_form(app, request).await {
        Ok(posted) => posted,
        Err(page) => return page,
    };
    if let Err(page) = signed_in.check_form(app, &headers, &answers) {
        return page;
    }
    let actor = signed_in.actor();
    let done = if accept {
        app.accept_join_offer(id, scope, &actor, now())
            .await
            .map(|_| ())
    } else {
        app.decline_join_offer(id, scope, &actor, now()).await
    };
    match done {
        Ok(()) => Redirect::to(OFFERS_PAGE).into_response(),
        Err(DecideError::Unknown) => staff::forbidden(app),
        Err(DecideError::AlreadyDecided) => replies::message(
            app,
            StatusCode::CONFLICT,
            "Proposition déjà traitée",
            &Message::new(
                "Proposition déjà traitée",
                &["Cette proposition a déjà été acceptée ou refusée. Rien n'a été modifié."],
            )
            .link(OFFERS_PAGE, "Revenir à la liste des propositions"),
        ),
        Err(DecideError::Store(e)) => staff::unavailable(app, &e),
    }
}

async fn accept<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    decide(&app, &signed_in, request, &id, true).await
}

async fn decline<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    decide(&app, &signed_in, request, &id, false).await
}

/// The columns of doctors.csv, in order.
const ROSTER_HEADER: &str = "id;nom;commune;lat;lon;statut;date_statut;capacite_annuelle;visites_domicile;rayon_visites_km;priorite_seulement;public;mis_a_jour;email;autres_lieux";

/// One doctor's cells, in the order of [`ROSTER_HEADER`].
fn roster_fields(territory: &Territory, d: &territory::Doctor) -> [String; 15] {
    let yes_no = |b: bool| if b { "oui" } else { "non" };
    let (status, date) = match d.availability {
        Availability::AcceptingNow => ("accepte_maintenant", None),
        Availability::AcceptingFrom(day) => ("accepte_plus_tard", Some(day)),
        Availability::NotAccepting => ("n_accepte_pas", None),
        Availability::PausedUntil(day) => ("en_pause", Some(day)),
    };
    [
        d.id.clone(),
        d.name.clone(),
        territory.communes[d.commune].code.clone(),
        d.location.lat.to_string(),
        d.location.lon.to_string(),
        status.to_string(),
        date.map(|day| day.to_string()).unwrap_or_default(),
        d.yearly_capacity.to_string(),
        yes_no(d.home_visit_radius_km.is_some()).to_string(),
        d.home_visit_radius_km
            .map(|r| r.to_string())
            .unwrap_or_default(),
        yes_no(d.priority_only).to_string(),
        yes_no(d.public).to_string(),
        d.updated.to_string(),
        d.email.clone(),
        d.other_practices_codes(&territory.communes).join(", "),
    ]
}

/// The doctors of `territory` as doctors.csv: the same columns, `;`-separated, with a BOM.
pub fn roster_csv(territory: &Territory) -> String {
    let mut out = String::from(BOM);
    out.push_str(ROSTER_HEADER);
    out.push('\n');
    for d in &territory.doctors {
        let line: Vec<String> = roster_fields(territory, d)
            .iter()
            .map(|f| quote(f))
            .collect();
        let _ = writeln!(out, "{}", line.join(";"));
    }
    out
}

/// The doctors of `territory` as doctors.xlsx: the columns of doctors.csv on one sheet; numbers
/// as numbers, dates as date cells (shown JJ/MM/AAAA), the commune code as text (its leading 0
/// kept).
pub fn roster_xlsx(territory: &Territory) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let day = Format::new().set_num_format("dd/mm/yyyy");
    let sheet = workbook.add_worksheet().set_name("Médecins")?;
    for (column, name) in (0u16..).zip(ROSTER_HEADER.split(';')) {
        sheet.write_string_with_format(0, column, name, &bold)?;
    }
    const NUMBERS: [usize; 4] = [3, 4, 7, 9];
    const DATES: [usize; 2] = [6, 12];
    for (row, d) in (1u32..).zip(&territory.doctors) {
        for (column, cell) in (0u16..).zip(roster_fields(territory, d)) {
            let index = usize::from(column);
            let date = chrono::NaiveDate::parse_from_str(&cell, "%Y-%m-%d").ok();
            if cell.is_empty() {
                continue;
            } else if let (true, Some(date)) = (DATES.contains(&index), date) {
                let value = ExcelDateTime::parse_from_str(&date.to_string())?;
                sheet.write_datetime_with_format(row, column, &value, &day)?;
            } else if let (true, Ok(n)) = (NUMBERS.contains(&index), cell.parse::<f64>()) {
                sheet.write_number(row, column, n)?;
            } else {
                sheet.write_string(row, column, &cell)?;
            }
        }
    }
    workbook.save_to_buffer()
}

/// GET: the roster with the current declarations, for staff who see every request of their
/// scope (the whole roster: a doctors.csv is the territory's one file).
async fn export<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    signed_in: SignedIn,
) -> Response {
    if signed_in.scope.is_none() {
        return staff::forbidden(&app);
    }
    let current = app.current_territory().await;
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"doctors.csv\"",
            ),
        ],
        roster_csv(&current),
    )
        .into_response()
}

/// GET: the same roster as a workbook.
async fn export_xlsx<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    signed_in: SignedIn,
) -> Response {
    if signed_in.scope.is_none() {
        return staff::forbidden(&app);
    }
    let current = app.current_territory().await;
    match roster_xlsx(&current) {
        Ok(bytes) => (
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
                (header::CACHE_CONTROL, "no-store"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"doctors.xlsx\"",
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "classeur des médecins");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
