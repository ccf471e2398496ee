//! The staff intake page: a request taken by phone or on paper, at `/espace/demandes/nouvelle`.
//! Only a signed-in person whose role gives access to requests may open it; the use case is
//! [`App::register_by_staff`](crate::app::App::register_by_staff).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use crate::app::{App, now};
use crate::domain::answers::Answers;
use crate::domain::dates::local_date;
use crate::domain::registration::FieldError;
use crate::domain::search::Identity;
use crate::domain::staff::Scope;
use crate::intake::IntakeOutcome;
use crate::links::Link;
use crate::mail::Mailer;
use crate::store::Store;
use crate::web::form::{self, FormView, IntakeContext, Mode};
use crate::web::link_pages::Duplicate;
use crate::web::pages;
use crate::web::respond::html;
use crate::web::staff::{self, SignedIn};

pub fn routes<S: Store, M: Mailer>() -> Router<Arc<App<S, M>>> {
    Router::new().route(URL, get(show_route::<S, M>).post(submit_route::<S, M>))
}

async fn show_route<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    signed_in: SignedIn,
) -> Response {
    if signed_in.scope.is_none() {
        return staff::forbidden(&app);
    }
    show(&app, StaffForm::of(&signed_in), now())
}

async fn submit_route<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    signed_in: SignedIn,
    request: Request,
) -> Response {
    if signed_in.scope.is_none() {
        return staff::forbidden(&app);
    }
    let (headers, answers) = match staff::posted_form(&app, request).await {
        Ok(posted) => posted,
        Err(page) => return page,
    };
    if let Err(page) = signed_in.check_form(&app, &headers, &answers) {
        return page;
    }
    submit(&app, StaffForm::of(&signed_in), &answers, now()).await
}

/// Where the staff intake form lives (GET shows it, POST stores it).
pub const URL: &str = staff::INTAKE;

/// The signed-in staff member, as these pages need him.
#[derive(Debug, Clone, Copy)]
pub struct StaffForm<'a> {
    /// His id (the audit says `staff:<id>`).
    pub staff: &'a str,
    /// His session's token for forms, sent back with the form.
    pub csrf: &'a str,
    /// The requests he may open (possible duplicates are looked for there).
    pub scope: Option<&'a Scope>,
}

#[derive(Serialize)]
struct IntakePage<'a> {
    form: form::FormContext<'a>,
}

impl<'a> StaffForm<'a> {
    pub fn of(signed_in: &'a SignedIn) -> Self {
        Self {
            staff: &signed_in.staff.id,
            csrf: &signed_in.csrf,
            scope: signed_in.scope.as_ref(),
        }
    }
}

/// The form, empty but for the date of the call (today), or with `answers` and `errors`.
fn form_page<S: Store, M: Mailer>(
    app: &App<S, M>,
    who: StaffForm<'_>,
    status: StatusCode,
    answers: &Answers,
    errors: &[FieldError],
    token: &str,
    notice: Option<&str>,
) -> Response {
    let published = app.published();
    let view = FormView {
        action: URL,
        token_url: "",
        answers,
        errors,
        communes: &published.commune_labels,
        token: Some(token),
        notice,
        privacy_url: &app.config.privacy_url,
    };
    let mut context = form::context(&view);
    context.mode = Mode::Staff;
    context.intake = Some(IntakeContext::new(who.csrf));
    let title = if errors.is_empty() {
        "Nouvelle demande"
    } else {
        "Erreur : nouvelle demande"
    };
    html(
        status,
        pages::page(app, "intake.html", title, &IntakePage { form: context }),
    )
}

/// GET: the empty form; the date of the call is today.
pub fn show<S: Store, M: Mailer>(app: &App<S, M>, who: StaffForm<'_>, now: i64) -> Response {
    let mut answers = Answers::default();
    answers.set(
        "received_on",
        local_date(now).format("%d/%m/%Y").to_string(),
    );
    answers.set("caller_relation", "person");
    answers.set("channel", "telephone");
    let token = app.intake_token(now);
    form_page(app, who, StatusCode::OK, &answers, &[], &token, None)
}

/// The answer page after storing.
#[derive(Serialize)]
struct Stored<'a> {
    reference: &'a str,
    level: &'static str,
    reasons: &'a [String],
    /// A doctor was proposed at once.
    proposed: bool,
    /// The request's page.
    url: String,
    /// This form had already been sent: nothing new was written.
    duplicate: bool,
    /// Other open requests that may be the same person: (reference, address of their page).
    duplicates: Vec<Duplicate>,
    new_form: &'static str,
}

/// POST: stores the request, or shows the form again with every answer kept and each error next
/// to its field.
pub async fn submit<S: Store, M: Mailer>(
    app: &App<S, M>,
    who: StaffForm<'_>,
    answers: &Answers,
    now: i64,
) -> Response {
    match app.register_by_staff(who.staff, answers, now).await {
        IntakeOutcome::Stored(request) => {
            let proposed = match app.store.case(&request.reference).await {
                Ok(Some(case)) => !case.proposals.is_empty(),
                _ => false,
            };
            let duplicates = match who.scope {
                Some(scope) => app
                    .store
                    .possible_duplicates(
                        &Identity::of(&request.registration),
                        Some(&request.reference),
                        scope,
                    )
                    .await
                    .unwrap_or_else(|e| {
                        // Stored all the same: the duplicates are a hint.
                        tracing::warn!(error = %e, "doublons possibles illisibles");
                        Vec::new()
                    })
                    .into_iter()
                    .map(|reference| Duplicate {
                        url: Link::Request.path(&reference),
                        reference,
                    })
                    .collect(),
                None => Vec::new(),
            };
            let page = Stored {
                reference: &request.reference,
                level: pages::level_label(request.priority.level),
                reasons: &request.priority.reasons,
                proposed,
                url: Link::Request.path(&request.reference),
                duplicate: false,
                duplicates,
                new_form: URL,
            };
            html(
                StatusCode::CREATED,
                pages::page(app, "intake_stored.html", "Demande enregistrée", &page),
            )
        }
        IntakeOutcome::Duplicate(reference) => {
            let page = Stored {
                reference: &reference,
                level: "",
                reasons: &[],
                proposed: false,
                url: Link::Request.path(&reference),
                duplicate: true,
                duplicates: Vec::new(),
                new_form: URL,
            };
            html(
                StatusCode::OK,
                pages::page(app, "intake_stored.html", "Demande déjà enregistrée", &page),
            )
        }
        IntakeOutcome::Invalid { errors, token } => form_page(
            app,
            who,
            StatusCode::UNPROCESSABLE_ENTITY,
            answers,
            &errors,
            &token,
            None,
        ),
        IntakeOutcome::Confirm { token } => form_page(
            app,
            who,
            StatusCode::OK,
            answers,
            &[],
            &token,
            Some(
                "Ce formulaire était ouvert depuis longtemps : vérifiez les réponses, puis cliquez sur « Enregistrer la demande » pour confirmer.",
            ),
        ),
        IntakeOutcome::Unavailable(e) => {
            tracing::error!(error = %e, "enregistrement impossible");
            form_page(
                app,
                who,
                StatusCode::SERVICE_UNAVAILABLE,
                answers,
                &[],
                answers.get("token"),
                Some(
                    "La demande n'est PAS enregistrée : le serveur n'a pas pu l'écrire. Les réponses sont gardées ci-dessous : réessayez dans quelques minutes.",
                ),
            )
        }
    }
}
