//! The doctor's own pages:
//!
//! - `/api/medecins/{id}?jeton=…` — his standing link (token `declaration`, 120 days). GET (and
//!   HEAD) only shows: his current declaration and where it comes from, what the public site
//!   shows of it, his proposals waiting for his answer, and one form to change it. POST changes
//!   it (or confirms it unchanged, « rien n'a changé »), checked for origin and token, audited
//!   `doctor:<id>`. A mail scanner that follows the link changes nothing.
//! - `/api/medecins/lien` — where a doctor asks for his link by address: the same answer for
//!   any address, a mail only to a doctor of the roster (a few an hour).

// A handler's early exit is the page to answer with: boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::NaiveDate;
use serde::Serialize;
use territory::{Availability, Doctor, Territory};

use crate::app::{App, now};
use crate::declaring::DeclareError;
use crate::domain::answers::Answers;
use crate::domain::communes::{self, commune_name};
use crate::domain::dates::{local_date, parse_date, unix_date_fr};
use crate::domain::declarations::{Declaration, Source, Status};
use crate::domain::lifecycle::ProposalState;
use crate::domain::matching;
use crate::links::{Link, TOKEN_PARAMETER};
use crate::mail::Mailer;
use crate::signed::TokenError;
use crate::store::{Store, StoreError};
use crate::web::links::{form, query_token};
use crate::web::pages::{self, LinkError, Message};
use crate::web::replies::{message, page, unavailable};

/// Where a doctor asks for his standing link.
pub const ASK: &str = "/api/medecins/lien";

/// Most new patients a year a doctor may declare through the CPTS.
pub const MAX_CAPACITY: u32 = 500;
/// Largest radius of home visits, in km.
pub const MAX_RADIUS_KM: f64 = 100.0;

pub fn routes<S: Store, M: Mailer>() -> Router<Arc<App<S, M>>> {
    Router::new()
        .route(ASK, get(ask_page::<S, M>).post(ask_link::<S, M>))
        .route(Link::Doctor.route(), get(show::<S, M>).post(change::<S, M>))
}

/// The page for a standing link that cannot be used: expired, tampered with, signed with a
/// retired key, or another doctor's. Each says so, and how to get a new one.
fn link_error<S: Store, M: Mailer>(app: &App<S, M>, token: &str, id: &str, now: i64) -> Response {
    let error = match Link::Doctor.verify(&app.keys, token, id, now) {
        Ok(_) => return unavailable(app, &std::io::Error::other("link checked twice")),
        Err(e) => e,
    };
    let other_doctor = error == TokenError::Invalid
        && app
            .keys
            .verify(token, Link::Doctor.action(), now)
            .is_ok_and(|c| c.object != id);
    let (title, status, error) = if other_doctor {
        (
            "Ce lien ouvre la page d'un autre médecin",
            StatusCode::FORBIDDEN,
            "other_doctor",
        )
    } else {
        let (title, data) = pages::token_error(error);
        let status = match error {
            TokenError::Expired => StatusCode::GONE,
            TokenError::Invalid => StatusCode::BAD_REQUEST,
            TokenError::UnknownKey => StatusCode::FORBIDDEN,
        };
        (title, status, data.error)
    };
    page(
        app,
        status,
        "link_error.html",
        title,
        &LinkError {
            error,
            ask: Some(ASK),
        },
    )
}

fn opens<S: Store, M: Mailer>(app: &App<S, M>, token: &str, id: &str, now: i64) -> bool {
    Link::Doctor.verify(&app.keys, token, id, now).is_ok()
}

fn not_listed<S: Store, M: Mailer>(app: &App<S, M>) -> Response {
    message(
        app,
        StatusCode::NOT_FOUND,
        "Médecin introuvable",
        &Message::new(
            "Vous n'êtes plus dans la liste",
            &[
                "Ce lien est valable, mais votre nom n'est plus dans la liste des médecins de la CPTS. Rien n'a été modifié.",
                "Pour y revenir, écrivez à la coordination de votre CPTS.",
            ],
        ),
    )
}

/// The answers of the form, as typed (kept when one is wrong).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Fields {
    /// `maintenant`, `a_partir`, `non` or `pause`.
    pub statut: String,
    pub date_debut: String,
    pub date_pause: String,
    pub capacite: String,
    pub visites: bool,
    pub rayon: String,
    pub prioritaires: bool,
    pub public: bool,
    /// His other places of practice: communes separated by commas.
    pub lieux: String,
}

/// The communes of `codes`, as the form shows them: « Sedan (08200), Carignan (08110) ».
fn practices_text(territory: &Territory, doctor: &Doctor) -> String {
    doctor
        .other_practices
        .iter()
        .filter_map(|p| territory.communes.get(p.commune))
        .map(communes::label)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Fields {
    /// The form filled with `doctor`'s current declaration, in `territory`.
    pub fn of(doctor: &Doctor, territory: &Territory) -> Self {
        let (statut, date_debut, date_pause) = match doctor.availability {
            Availability::AcceptingNow => ("maintenant", String::new(), String::new()),
            Availability::AcceptingFrom(d) => ("a_partir", d.to_string(), String::new()),
            Availability::NotAccepting => ("non", String::new(), String::new()),
            Availability::PausedUntil(d) => ("pause", String::new(), d.to_string()),
        };
        Self {
            statut: statut.to_string(),
            date_debut,
            date_pause,
            capacite: doctor.yearly_capacity.to_string(),
            visites: doctor.home_visit_radius_km.is_some(),
            rayon: doctor
                .home_visit_radius_km
                .map_or_else(String::new, |km| km.to_string()),
            prioritaires: doctor.priority_only,
            public: doctor.public,
            lieux: practices_text(territory, doctor),
        }
    }

    pub fn from_answers(answers: &Answers) -> Self {
        Self {
            statut: answers.get("statut").to_string(),
            date_debut: answers.get("date_debut").trim().to_string(),
            date_pause: answers.get("date_pause").trim().to_string(),
            capacite: answers.get("capacite").trim().to_string(),
            visites: answers.yes("visites"),
            rayon: answers.get("rayon").trim().to_string(),
            prioritaires: answers.yes("prioritaires"),
            public: answers.yes("public"),
            lieux: answers.get("lieux").trim().to_string(),
        }
    }
}

/// A wrong answer: the field's id, and what to do, in French.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// What the form declares, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Declared {
    pub status: Status,
    pub yearly_capacity: u32,
    pub home_visit_radius_km: Option<f64>,
    pub priority_only: bool,
    pub public: bool,
    /// The codes of the communes of his other practices.
    pub other_practices: Vec<String>,
}

/// The most other places of practice a doctor may declare.
pub const MAX_OTHER_PRACTICES: usize = 5;

/// The communes of `input` (names or postcodes, separated by commas), in `territory`, other than
/// `main` (his roster's practice, kept by staff), or what to fix.
fn other_practices(territory: &Territory, main: usize, input: &str) -> Result<Vec<String>, String> {
    const LABEL: &str = "Autres lieux où vous consultez";
    let mut codes: Vec<String> = Vec::new();
    for item in input
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        let Ok(commune) = communes::find(territory, item) else {
            return Err(format!(
                "{LABEL} : nous ne trouvons pas « {item} » parmi les communes du territoire. Écrivez le nom de la commune, par exemple « Sedan », et séparez les communes par une virgule."
            ));
        };
        if territory.commune_position(&commune.code) == Some(main) || codes.contains(&commune.code)
        {
            continue;
        }
        codes.push(commune.code.clone());
    }
    if codes.len() > MAX_OTHER_PRACTICES {
        return Err(format!(
            "{LABEL} : indiquez au plus {MAX_OTHER_PRACTICES} communes. Pour plus, écrivez à la coordination de votre CPTS."
        ));
    }
    Ok(codes)
}

/// A date after `today`, or what to fix in field `label`.
fn later_date(input: &str, label: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    if input.trim().is_empty() {
        return Err(format!(
            "{label} : écrivez une date, par exemple 01/03/2027."
        ));
    }
    let Some(date) = parse_date(input) else {
        return Err(format!(
            "{label} : écrivez la date sous la forme jour/mois/année, par exemple 01/03/2027."
        ));
    };
    if date <= today {
        return Err(format!("{label} : choisissez une date après aujourd'hui."));
    }
    Ok(date)
}

/// The form's answers of `doctor` of `territory`, checked on `today`: the declaration, or every
/// field to fix.
pub fn parse(
    fields: &Fields,
    doctor: &Doctor,
    territory: &Territory,
    today: NaiveDate,
) -> Result<Declared, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut error = |field, message| errors.push(FieldError { field, message });
    let status = match fields.statut.as_str() {
        "maintenant" => Some(Status::AcceptingNow),
        "non" => Some(Status::NotAccepting),
        "a_partir" => match later_date(
            &fields.date_debut,
            "Date à partir de laquelle vous acceptez",
            today,
        ) {
            Ok(d) => Some(Status::AcceptingFrom(d)),
            Err(m) => {
                error("date_debut", m);
                None
            }
        },
        "pause" => match later_date(&fields.date_pause, "Fin de la pause", today) {
            Ok(d) => Some(Status::PausedUntil(d)),
            Err(m) => {
                error("date_pause", m);
                None
            }
        },
        _ => {
            error(
                "statut",
                "Votre disponibilité : choisissez l'une des quatre réponses.".to_string(),
            );
            None
        }
    };
    let capacity = match fields.capacite.parse::<u32>() {
        Ok(n) if n <= MAX_CAPACITY => Some(n),
        _ => {
            error(
                "capacite",
                format!(
                    "Nouveaux patients par an : écrivez un nombre entier de 0 à {MAX_CAPACITY}, par exemple 10."
                ),
            );
            None
        }
    };
    let radius = if fields.visites {
        match fields.rayon.replace(',', ".").parse::<f64>() {
            Ok(km) if km.is_finite() && km > 0.0 && km <= MAX_RADIUS_KM => Some(Some(km)),
            _ => {
                error(
                    "rayon",
                    format!(
                        "Rayon des visites à domicile : écrivez un nombre de kilomètres de 1 à {MAX_RADIUS_KM}, par exemple 10 (ou décochez les visites à domicile)."
                    ),
                );
                None
            }
        }
    } else {
        Some(None)
    };
    let practices = match other_practices(territory, doctor.commune, &fields.lieux) {
        Ok(codes) => Some(codes),
        Err(m) => {
            error("lieux", m);
            None
        }
    };
    match (status, capacity, radius, practices) {
        (
            Some(status),
            Some(yearly_capacity),
            Some(home_visit_radius_km),
            Some(other_practices),
        ) if errors.is_empty() => Ok(Declared {
            status,
            yearly_capacity,
            home_visit_radius_km,
            priority_only: fields.prioritaires,
            public: fields.public,
            other_practices,
        }),
        _ => Err(errors),
    }
}

/// What the public site shows of a doctor.
#[derive(Debug, Serialize)]
struct Shown {
    status: String,
    /// The same, to him: « vous acceptez de nouveaux patients »…
    yours: String,
    conditions: Vec<String>,
    capacity: String,
    /// Named on the public pages (he opted in).
    named: bool,
    /// « à confirmer » since his declaration is over three months old.
    to_confirm: bool,
    /// The communes where he practises: « Sedan » or « Sedan, Carignan et Mouzon ».
    places: String,
}

impl Shown {
    fn of(doctor: &Doctor, territory: &Territory, today: NaiveDate) -> Self {
        let status = doctor.status_fr(today);
        Self {
            places: territory.practice_towns(doctor),
            yours: status_sentence(&status),
            status,
            conditions: doctor.conditions_fr(),
            capacity: match doctor.yearly_capacity {
                0 => "aucun nouveau patient par an par la CPTS".to_string(),
                1 => "1 nouveau patient par an par la CPTS".to_string(),
                n => format!("{n} nouveaux patients par an par la CPTS"),
            },
            named: doctor.public,
            to_confirm: doctor.is_stale(today),
        }
    }
}

#[derive(Debug, Serialize)]
struct ProposalLine {
    commune: String,
    distance_km: String,
    deadline: String,
    url: String,
}

#[derive(Serialize)]
struct DoctorPage {
    name: String,
    /// Where his availability comes from, in one sentence.
    source: String,
    /// His declaration as stored (before pauses and places used).
    declared: Shown,
    /// What the public site shows today.
    public: Shown,
    proposals: Vec<ProposalLine>,
    /// « Cette année : … »
    year: String,
    fields: Fields,
    errors: Vec<FieldError>,
    /// The commune of his main practice, kept by staff in the roster.
    main_place: String,
    action: String,
    token: String,
    today: String,
    max_capacity: u32,
}

/// Where doctor `id`'s availability comes from, said to him.
fn source_fr(source: Source, doctor: &Doctor, row: Option<&Doctor>) -> String {
    let row_date = row.map_or(doctor.updated, |r| r.updated);
    match source {
        Source::Roster => format!(
            "Votre disponibilité vient de la liste des médecins de la CPTS, mise à jour le {}. Vous ne l'avez pas encore déclarée vous-même.",
            territory::dates::french_long(row_date)
        ),
        Source::Declaration => format!(
            "Votre disponibilité est celle de votre déclaration du {}.",
            territory::dates::french_long(doctor.updated)
        ),
        Source::NewerRoster => format!(
            "La CPTS a publié sa liste des médecins après votre déclaration : c'est cette liste, mise à jour le {}, qui compte.",
            territory::dates::french_long(row_date)
        ),
    }
}

/// Doctor `id`'s page, with the form's `fields` and `errors`.
async fn doctor_page<S: Store, M: Mailer>(
    app: &App<S, M>,
    id: &str,
    token: &str,
    fields: Option<Fields>,
    errors: Vec<FieldError>,
    now: i64,
) -> Result<Option<DoctorPage>, StoreError> {
    let current = app.current_territory().await;
    let Some(doctor) = current.doctor(id) else {
        return Ok(None);
    };
    let today = local_date(now);
    let published = app.published();
    let row = published.territory.doctor(id);
    let source = app.declaration_source(id);
    let mut public = doctor.clone();
    let overlay = app.public_overlay(today).await?;
    if let Some((_, shown)) = overlay.declared.iter().find(|(d, _)| d == id) {
        public.take(shown, &current.communes);
    } else if let Some((_, joined)) = overlay.joined.iter().find(|(_, d)| d.id == id) {
        public.take(&joined.declared(&current.communes), &current.communes);
    }
    let mut proposals = Vec::new();
    for p in app.store.open_proposals().await? {
        if p.doctor != id || p.state != ProposalState::Validated {
            continue;
        }
        let commune = match app.store.case(&p.reference).await? {
            Some(case) => commune_name(&current, &case.needs.commune),
            None => continue,
        };
        proposals.push(ProposalLine {
            commune,
            distance_km: format!("{:.0}", p.distance_km),
            deadline: unix_date_fr(p.deadline),
            url: app.doctor_link(&p),
        });
    }
    let period = matching::period_of(today);
    let accepted = app
        .store
        .doctor_loads(period)
        .await?
        .into_iter()
        .find(|l| l.doctor == id)
        .map_or(0, |l| l.accepted);
    let year = match accepted {
        0 => format!("En {period}, vous n'avez encore accepté aucun patient par la CPTS."),
        1 => format!("En {period}, vous avez accepté 1 patient par la CPTS."),
        n => format!("En {period}, vous avez accepté {n} patients par la CPTS."),
    };
    Ok(Some(DoctorPage {
        name: doctor.name.clone(),
        source: source_fr(source, doctor, row),
        declared: Shown::of(doctor, &current, today),
        public: Shown::of(&public, &current, today),
        proposals,
        year,
        fields: fields.unwrap_or_else(|| Fields::of(doctor, &current)),
        errors,
        main_place: commune_name(&current, &current.communes[doctor.commune].code),
        action: Link::Doctor.path(id),
        token: token.to_string(),
        today: today.to_string(),
        max_capacity: MAX_CAPACITY,
    }))
}

/// GET (and HEAD): shows, changes nothing.
async fn show<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let token = query_token(&request);
    let now = now();
    if !opens(&app, &token, &id, now) {
        return link_error(&app, &token, &id, now);
    }
    match doctor_page(&app, &id, &token, None, Vec::new(), now).await {
        Ok(Some(data)) => page(
            &app,
            StatusCode::OK,
            "doctor_page.html",
            "Ma disponibilité",
            &data,
        ),
        Ok(None) => not_listed(&app),
        Err(e) => unavailable(&app, &e),
    }
}

#[derive(Serialize)]
struct DeclaredPage {
    heading: &'static str,
    lines: Vec<String>,
    back: String,
}

/// POST: the form's change, or « rien n'a changé ».
async fn change<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let answers = match form(&app, request).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let token = answers.get(TOKEN_PARAMETER).to_string();
    let now = now();
    if !opens(&app, &token, &id, now) {
        return link_error(&app, &token, &id, now);
    }
    let actor = format!("doctor:{id}");
    let heading = if answers.get("action") == "confirmer" {
        match app.confirm_declaration(&id, &actor, now).await {
            Ok(()) => "Merci : votre déclaration est confirmée",
            Err(e) => return declare_error(&app, e),
        }
    } else {
        let fields = Fields::from_answers(&answers);
        let current = app.current_territory().await;
        let Some(doctor) = current.doctor(&id) else {
            return not_listed(&app);
        };
        let declared = match parse(&fields, doctor, &current, local_date(now)) {
            Ok(d) => d,
            Err(errors) => {
                return match doctor_page(&app, &id, &token, Some(fields), errors, now).await {
                    Ok(Some(data)) => page(
                        &app,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "doctor_page.html",
                        "Déclaration non enregistrée",
                        &data,
                    ),
                    Ok(None) => not_listed(&app),
                    Err(e) => unavailable(&app, &e),
                };
            }
        };
        let declaration = Declaration {
            doctor: id.clone(),
            status: declared.status,
            yearly_capacity: declared.yearly_capacity,
            home_visit_radius_km: declared.home_visit_radius_km,
            priority_only: declared.priority_only,
            public: declared.public,
            other_practices: Some(declared.other_practices),
            declared_at: now,
            by: "doctor".into(),
        };
        match app.declare(&declaration, &actor).await {
            Ok(()) => "Votre déclaration est enregistrée",
            Err(e) => return declare_error(&app, e),
        }
    };
    // What is now current, read back: said only once it was stored.
    let current = app.current_territory().await;
    let Some(doctor) = current.doctor(&id) else {
        return not_listed(&app);
    };
    let shown = Shown::of(doctor, &current, local_date(now));
    let mut lines = vec![
        format!("Votre disponibilité : vous {}.", shown.yours),
        format!("Vous consultez à {}.", shown.places),
        format!("Capacité : {}.", shown.capacity),
    ];
    lines.extend(
        shown
            .conditions
            .iter()
            .map(|c| format!("{}.", capitalized(c))),
    );
    lines.push(if shown.named {
        "Votre nom est affiché sur le site public.".to_string()
    } else {
        "Votre nom n'est pas affiché sur le site public.".to_string()
    });
    lines.push(format!(
        "Déclaration enregistrée le {}. Elle reste valable trois mois.",
        unix_date_fr(now)
    ));
    page(
        &app,
        StatusCode::OK,
        "doctor_declared.html",
        heading,
        &DeclaredPage {
            heading,
            lines,
            back: Link::Doctor.local_url(&id, &token),
        },
    )
}

/// « acceptez de nouveaux patients »…: the public wording, in the second person.
fn status_sentence(status: &str) -> String {
    status
        .replacen("acceptera ", "accepterez ", 1)
        .replacen("n'accepte ", "n'acceptez ", 1)
        .replacen("accepte ", "acceptez ", 1)
        .replacen("en pause", "êtes en pause", 1)
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn declare_error<S: Store, M: Mailer>(app: &App<S, M>, error: DeclareError) -> Response {
    match error {
        DeclareError::UnknownDoctor => not_listed(app),
        DeclareError::Store(e) => unavailable(app, &e),
    }
}

#[derive(Serialize)]
struct AskPage<'a> {
    sent: bool,
    email: &'a str,
    error: Option<&'static str>,
    days: i64,
}

fn ask<S: Store, M: Mailer>(
    app: &App<S, M>,
    status: StatusCode,
    sent: bool,
    email: &str,
    error: Option<&'static str>,
) -> Response {
    page(
        app,
        status,
        "doctor_link_request.html",
        "Recevoir le lien de ma page",
        &AskPage {
            sent,
            email,
            error,
            days: Link::Doctor.lifetime_days().unwrap_or_default(),
        },
    )
}

async fn ask_page<S: Store, M: Mailer>(State(app): State<Arc<App<S, M>>>) -> Response {
    ask(&app, StatusCode::OK, false, "", None)
}

/// The same answer for any address: a mail goes only to a doctor of the roster.
async fn ask_link<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    request: Request,
) -> Response {
    let answers = match form(&app, request).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let email = answers.get("courriel").trim().to_string();
    if !email.contains('@') {
        return ask(
            &app,
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
            &email,
            Some(
                "Votre adresse de courriel : écrivez l'adresse à laquelle la CPTS vous écrit, par exemple dr.nom@exemple.fr.",
            ),
        );
    }
    match app.request_standing_link(&email, now()).await {
        Ok(()) => ask(&app, StatusCode::OK, true, &email, None),
        Err(e) => unavailable(&app, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        "2026-12-01".parse().unwrap()
    }

    fn territory() -> Territory {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/territory");
        territory::load(&dir, today())
            .territory
            .expect("demo territory")
    }

    /// `fields` checked for the demo's first doctor (at Sedan).
    fn parse(fields: &Fields, today: NaiveDate) -> Result<Declared, Vec<FieldError>> {
        let territory = territory();
        super::parse(fields, &territory.doctors[0], &territory, today)
    }

    fn fields(statut: &str) -> Fields {
        Fields {
            statut: statut.into(),
            capacite: "10".into(),
            ..Fields::default()
        }
    }

    #[test]
    fn each_status_parses() {
        assert_eq!(
            parse(&fields("maintenant"), today()).unwrap().status,
            Status::AcceptingNow
        );
        assert_eq!(
            parse(&fields("non"), today()).unwrap().status,
            Status::NotAccepting
        );
        let from = Fields {
            date_debut: "01/03/2027".into(),
            ..fields("a_partir")
        };
        assert_eq!(
            parse(&from, today()).unwrap().status,
            Status::AcceptingFrom("2027-03-01".parse().unwrap())
        );
        let pause = Fields {
            date_pause: "2027-01-15".into(),
            ..fields("pause")
        };
        assert_eq!(
            parse(&pause, today()).unwrap().status,
            Status::PausedUntil("2027-01-15".parse().unwrap())
        );
    }

    #[test]
    fn every_wrong_field_is_named() {
        let wrong = Fields {
            statut: "pause".into(),
            date_pause: "2026-11-30".into(),
            capacite: "beaucoup".into(),
            visites: true,
            rayon: "0".into(),
            ..Fields::default()
        };
        let errors = parse(&wrong, today()).unwrap_err();
        let named: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(named, ["date_pause", "capacite", "rayon"]);
        assert!(errors[0].message.starts_with("Fin de la pause"));
        assert!(errors[1].message.contains("nombre entier"));
        assert_eq!(parse(&fields(""), today()).unwrap_err()[0].field, "statut");
    }

    #[test]
    fn visits_take_a_radius_with_a_comma() {
        let visits = Fields {
            visites: true,
            rayon: "7,5".into(),
            ..fields("maintenant")
        };
        assert_eq!(
            parse(&visits, today()).unwrap().home_visit_radius_km,
            Some(7.5)
        );
        // Unchecked, a radius left in the field is not stored.
        let none = Fields {
            rayon: "7".into(),
            ..fields("maintenant")
        };
        assert_eq!(parse(&none, today()).unwrap().home_visit_radius_km, None);
    }

    #[test]
    fn other_practices_are_communes_of_the_territory() {
        let territory = territory();
        let sedan = &territory.doctors[0];
        assert_eq!(territory.communes[sedan.commune].name, "Sedan");
        let code = |name: &str| {
            territory
                .communes
                .iter()
                .find(|c| c.name == name)
                .unwrap()
                .code
                .clone()
        };
        // Names, a label from the list, the main practice and a repeat left out.
        let several = Fields {
            lieux: "Carignan, Mouzon (08210) ; Sedan, carignan".into(),
            ..fields("maintenant")
        };
        assert_eq!(
            parse(&several, today()).unwrap().other_practices,
            [code("Carignan"), code("Mouzon")]
        );
        assert!(
            parse(&fields("maintenant"), today())
                .unwrap()
                .other_practices
                .is_empty()
        );
        let unknown = Fields {
            lieux: "Carignan, Paris".into(),
            ..fields("maintenant")
        };
        let errors = parse(&unknown, today()).unwrap_err();
        assert_eq!(errors[0].field, "lieux");
        assert!(
            errors[0].message.contains("« Paris »"),
            "{}",
            errors[0].message
        );
        // The form shows them back as the list writes them.
        let mut doctor = sedan.clone();
        doctor.take(
            &territory::Declared {
                other_practices: Some(vec![code("Carignan")]),
                ..sedan.declared(&territory.communes)
            },
            &territory.communes,
        );
        assert_eq!(Fields::of(&doctor, &territory).lieux, "Carignan (08110)");
    }
}
