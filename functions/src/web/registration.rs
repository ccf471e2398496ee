//! The registration routes: the form endpoint, the form token, the thank-you page and a health
//! check. Transport only: the checks that need no store (body size, origin, content type) happen
//! here; the use case itself is [`App::register`](crate::app::App::register).

use std::sync::Arc;

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::json;

use crate::app::{App, now_millis};
use crate::domain::answers::Answers;
use crate::domain::registration::FieldError;
use crate::mail::Mailer;
use crate::register::{Outcome, is_reference};
use crate::store::Store;
use crate::web::client;
use crate::web::form::{self, FormView};
use crate::web::links;
use crate::web::pages;
use crate::web::respond::{BODY_LIMIT, html, json_response, same_origin};

pub fn routes<S: Store, M: Mailer>() -> Router<Arc<App<S, M>>> {
    Router::new()
        .route("/api/health", get(health::<S, M>))
        .route("/api/form-token", get(form_token::<S, M>))
        .route("/api/registrations", post(register::<S, M>))
        .route("/api/registrations/{reference}/merci", get(thanks::<S, M>))
}

/// Mails may wait this long before the health check says so: a mail older than a quarter of an
/// hour has failed about five times in a row (30 s, 1, 2, 4, 8 min apart), so the provider is
/// down or refuses the sender — a blip of a minute or two never trips it, and a monitor polling
/// each minute warns the technical helper well before the coordinators' to-do list does (after
/// an hour, [`crate::mail::REPORT_AFTER_ATTEMPTS`]).
pub const MAIL_DELAY_LIMIT_SECONDS: i64 = 15 * 60;

/// 200 `{"status":"ok"}` only when the database can be read and written and the mail queue
/// flows; otherwise 503 with what is wrong, worst first: `database unavailable` (unreadable,
/// read-only, corrupted), `mails given up` (a person must act: the coordinators' to-do list
/// names them), `mails delayed` (waiting longer than [`MAIL_DELAY_LIMIT_SECONDS`]). Counts only:
/// no address, no id.
async fn health<S: Store, M: Mailer>(State(app): State<Arc<App<S, M>>>) -> Response {
    let now = crate::app::now();
    let health = match app.store.health(now).await {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "base de données indisponible");
            return json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"status": "database unavailable"}),
            );
        }
    };
    let waited = health.oldest_pending_at.map_or(0, |at| (now - at).max(0));
    let status = if health.given_up_mails > 0 {
        "mails given up"
    } else if waited > MAIL_DELAY_LIMIT_SECONDS {
        "mails delayed"
    } else {
        "ok"
    };
    let code = if status == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json_response(
        code,
        json!({
            "status": status,
            "pending_mails": health.pending_mails,
            "given_up_mails": health.given_up_mails,
            "oldest_pending_minutes": waited / 60,
        }),
    )
}

/// The form again, with the answers kept and the errors next to their fields.
fn form_page<S: Store, M: Mailer>(
    app: &App<S, M>,
    status: StatusCode,
    answers: &Answers,
    errors: &[FieldError],
    token: &str,
    notice: Option<&str>,
) -> Response {
    let title = if errors.is_empty() {
        "Demander un médecin traitant"
    } else {
        "Erreur : demander un médecin traitant"
    };
    let page = ("form_again.html", title);
    form_page_as(app, page, status, answers, errors, token, notice)
}

/// The form again in the page `(template, title)`, whose template includes `form.html`.
fn form_page_as<S: Store, M: Mailer>(
    app: &App<S, M>,
    (template, title): (&str, &str),
    status: StatusCode,
    answers: &Answers,
    errors: &[FieldError],
    token: &str,
    notice: Option<&str>,
) -> Response {
    let published = app.published();
    let view = FormView {
        action: "/api/registrations",
        token_url: "/api/form-token",
        answers,
        errors,
        communes: &published.commune_labels,
        token: Some(token),
        notice,
        privacy_url: &app.config.privacy_url,
    };
    html(
        status,
        pages::page_with_script(
            app,
            template,
            title,
            &FormAgain {
                form: form::context(&view),
            },
        ),
    )
}

#[derive(Serialize)]
struct FormAgain<'a> {
    form: form::FormContext<'a>,
}

/// The thank-you page's data.
#[derive(Serialize)]
struct Thanks<'a> {
    reference: &'a str,
}

/// Why a form was refused.
#[derive(Serialize)]
struct Refused<'a> {
    why: &'a str,
}

/// A page with nothing but its template's text.
#[derive(Serialize)]
struct Nothing {}

async fn form_token<S: Store, M: Mailer>(State(app): State<Arc<App<S, M>>>) -> Response {
    json_response(
        StatusCode::OK,
        json!({"token": app.form_token(now_millis())}),
    )
}

/// What the thank-you page's token signs: this reference was answered « stored » a moment ago.
const THANKS_ACTION: &str = "thanks";

/// The thank-you page's link stays valid this long: it is seen just after sending the form.
pub const THANKS_SECONDS: i64 = 24 * 3600;

/// The thank-you page of `reference`, signed: only the answer to a form that was stored (or a
/// robot's, which must look the same) confirms a reference; a made-up address says nothing.
pub fn thanks_url<S: Store, M: Mailer>(app: &App<S, M>, reference: &str) -> String {
    let token = app
        .keys
        .sign(THANKS_ACTION, reference, crate::app::now() + THANKS_SECONDS);
    format!(
        "/api/registrations/{reference}/merci?{}={token}",
        crate::links::TOKEN_PARAMETER
    )
}

async fn thanks<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    Path(reference): Path<String>,
    request: Request,
) -> Response {
    if !is_reference(&reference) {
        return html(
            StatusCode::NOT_FOUND,
            pages::message(&app, "Page introuvable", &pages::not_found()),
        );
    }
    let token = links::query_token(&request);
    let signed = app
        .keys
        .verify(&token, THANKS_ACTION, crate::app::now())
        .is_ok_and(|claims| claims.object == reference);
    if !signed {
        // Neither « stored » nor « unknown »: this page does not say whether a reference exists.
        return html(
            StatusCode::OK,
            pages::page(&app, "thanks_unknown.html", "Votre demande", &Nothing {}),
        );
    }
    html(
        StatusCode::OK,
        pages::page(
            &app,
            "thanks.html",
            "Demande enregistrée",
            &Thanks {
                reference: &reference,
            },
        ),
    )
}

enum Format {
    Form,
    Json,
}

fn accepted<S: Store, M: Mailer>(app: &App<S, M>, format: &Format, reference: &str) -> Response {
    let url = thanks_url(app, reference);
    match format {
        Format::Form => Redirect::to(&url).into_response(),
        Format::Json => json_response(
            StatusCode::CREATED,
            json!({"reference": reference, "url": url}),
        ),
    }
}

async fn register<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let client = client::of(&request);
    let format = match headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        Some(t) if t.starts_with("application/json") => Format::Json,
        _ => Format::Form,
    };
    let refuse = |status: StatusCode, why: &str| match format {
        Format::Form => html(
            status,
            pages::page(
                &app,
                "refused.html",
                "Formulaire non envoyé",
                &Refused { why },
            ),
        ),
        Format::Json => json_response(status, json!({"error": why})),
    };
    let too_long = "Le formulaire envoyé est trop long.";
    let declared_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared_length.is_some_and(|l| l > BODY_LIMIT) {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, too_long);
    }
    let Ok(bytes) = to_bytes(request.into_body(), BODY_LIMIT).await else {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, too_long);
    };
    if !same_origin(&headers, &app.config.allowed_origins) {
        return refuse(
            StatusCode::FORBIDDEN,
            "Ce formulaire a été envoyé depuis un autre site que le nôtre.",
        );
    }
    let answers = match format {
        Format::Form => Answers::from_form(&bytes),
        Format::Json => match Answers::from_json(&bytes) {
            Some(a) => a,
            None => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    json!({"error": "Le corps doit être un objet JSON."}),
                );
            }
        },
    };
    let mut answers = answers;
    if answers.get(form::SOURCE_FIELD).is_empty()
        && let Some(src) = referer_source(&headers)
    {
        answers.set(form::SOURCE_FIELD, src);
    }
    let outcome = app.register(&answers, &client, now_millis()).await;
    answer(&app, format, &answers, outcome)
}

/// The `src=` tag of the form page's address, which a browser sends along as its referrer when
/// the page's script could not copy it into the form (no JavaScript). Checked again when read.
fn referer_source(headers: &axum::http::HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let (_, query) = referer.split_once('?')?;
    let query = query.split('#').next().unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "src")
        .map(|(_, v)| v.into_owned())
}

/// Said when a form came sooner than the minimum fill time.
const NOT_SENT_YET: &str = "Votre demande n'est pas encore envoyée : vérifiez vos réponses puis cliquez de nouveau sur Envoyer.";

/// What the sender of the form is answered, in the format he sent it in.
fn answer<S: Store, M: Mailer>(
    app: &App<S, M>,
    format: Format,
    answers: &Answers,
    outcome: Outcome,
) -> Response {
    match (outcome, format) {
        (Outcome::Stored(r) | Outcome::Duplicate(r) | Outcome::Robot(r), f) => {
            accepted(app, &f, &r)
        }
        (Outcome::NotEligible, Format::Form) => html(
            StatusCode::OK,
            pages::page(
                app,
                "not_eligible.html",
                "Ce service est pour les personnes sans médecin traitant",
                &Nothing {},
            ),
        ),
        (Outcome::NotEligible, Format::Json) => {
            json_response(StatusCode::OK, json!({"eligible": false}))
        }
        (Outcome::Invalid { errors, token }, Format::Form) => form_page(
            app,
            StatusCode::UNPROCESSABLE_ENTITY,
            answers,
            &errors,
            &token,
            None,
        ),
        (Outcome::Invalid { errors, .. }, Format::Json) => json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "errors": errors }),
        ),
        (Outcome::Confirm { token }, Format::Form) => form_page(
            app,
            StatusCode::OK,
            answers,
            &[],
            &token,
            Some(
                "Vérifiez vos réponses ci-dessous, puis cliquez sur « Envoyer ma demande » en bas de la page pour confirmer.",
            ),
        ),
        // Nothing was stored, and the sender is told so: a person who clicked twice sends it
        // again a moment later with the same token.
        (Outcome::TooFast { token }, Format::Form) => form_page(
            app,
            StatusCode::OK,
            answers,
            &[],
            &token,
            Some(NOT_SENT_YET),
        ),
        (Outcome::TooFast { .. }, Format::Json) => json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"stored": false, "errors": [{"field": "token", "message": NOT_SENT_YET}]}),
        ),
        (Outcome::Confirm { .. }, Format::Json) => json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"errors": [{"field": "token", "message": "Jeton du formulaire manquant ou expiré : demandez-en un à /api/form-token."}]}),
        ),
        // Nothing was stored: say so, keep every answer, give the phone number. (The form's
        // nonce was not used: its token may be sent again later.)
        (Outcome::Limited, Format::Form) => form_page_as(
            app,
            ("rate_limited.html", "Demande non enregistrée"),
            StatusCode::TOO_MANY_REQUESTS,
            answers,
            &[],
            answers.get("token"),
            None,
        ),
        (Outcome::Limited, Format::Json) => json_response(
            StatusCode::TOO_MANY_REQUESTS,
            json!({
                "stored": false,
                "error": "Demande non enregistrée : trop de demandes avec ce numéro ou depuis cette connexion.",
                "phone": app.config.phone.as_ref().map(|p| p.number.as_str()),
            }),
        ),
        (Outcome::Unavailable(e), format) => {
            tracing::error!(error = %e, "enregistrement impossible");
            let why = "Notre serveur n'a pas pu enregistrer votre demande. Réessayez dans quelques minutes.";
            match format {
                Format::Form => html(
                    StatusCode::SERVICE_UNAVAILABLE,
                    pages::page(
                        app,
                        "refused.html",
                        "Demande non enregistrée",
                        &Refused { why },
                    ),
                ),
                Format::Json => {
                    json_response(StatusCode::SERVICE_UNAVAILABLE, json!({"error": why}))
                }
            }
        }
    }
}
