//! The HTTP side: one Router with the registration endpoint, the form token, the thank-you page,
//! the coordinator's view of a request and a health check. Abuse checks happen here, before
//! anything is stored: body size, origin, honeypot, signed fill time, rate limits, nonce.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::answers::Answers;
use crate::form::{self, FormView};
use crate::mail::{self, Mailer};
use crate::registration::{self, FieldError, Parsed};
use crate::signed::{TokenError, random_id};
use crate::store::{RateLimit, Registered, Request as Stored, Store};
use crate::{App, now, pages, priority};

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 16 * 1024;
const FORM_ACTION: &str = "form";
const REFERENCE_LEN: usize = 8;

pub fn router<S: Store, M: Mailer>(app: Arc<App<S, M>>) -> Router {
    Router::new()
        .route("/api/health", get(health::<S, M>))
        .route("/api/form-token", get(form_token::<S, M>))
        .route("/api/registrations", post(register::<S, M>))
        .route("/api/registrations/{reference}/merci", get(thanks::<S, M>))
        .merge(crate::links::routes::<S, M>())
        .with_state(app)
}

pub(crate) fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

fn json_response(status: StatusCode, value: serde_json::Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        value.to_string(),
    )
        .into_response()
}

async fn health<S: Store, M: Mailer>(State(app): State<Arc<App<S, M>>>) -> Response {
    match app.store.pending_mail_count().await {
        Ok(pending) => json_response(
            StatusCode::OK,
            json!({"status": "ok", "pending_mails": pending}),
        ),
        Err(_) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "store unavailable"}),
        ),
    }
}

impl<S: Store, M: Mailer> App<S, M> {
    /// A fresh form token: a new nonce, signed with the time it was issued.
    pub fn form_token(&self, now: i64) -> String {
        self.keys.sign(
            FORM_ACTION,
            &random_id(16),
            now + self.config.limits.form_token_seconds,
        )
    }

    fn form_page(
        &self,
        status: StatusCode,
        answers: &Answers,
        errors: &[FieldError],
        token: &str,
        notice: Option<&str>,
    ) -> Response {
        let published = self.published();
        let view = FormView {
            action: "/api/registrations",
            token_url: "/api/form-token",
            answers,
            errors,
            communes: &published.commune_labels,
            token: Some(token),
            notice,
            privacy_url: &self.config.privacy_url,
        };
        let title = if errors.is_empty() {
            "Demander un médecin traitant".to_string()
        } else {
            "Erreur : demander un médecin traitant".to_string()
        };
        let body = format!(
            "<h1>Demander un médecin traitant</h1>{}",
            form::render(&view)
        );
        html(status, pages::layout(&self.config, &title, &body, true))
    }
}

async fn form_token<S: Store, M: Mailer>(State(app): State<Arc<App<S, M>>>) -> Response {
    json_response(StatusCode::OK, json!({"token": app.form_token(now())}))
}

fn is_reference(s: &str) -> bool {
    s.len() == REFERENCE_LEN
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

async fn thanks<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    Path(reference): Path<String>,
) -> Response {
    if !is_reference(&reference) {
        return html(
            StatusCode::NOT_FOUND,
            pages::layout(
                &app.config,
                "Page introuvable",
                &pages::not_found_body(),
                false,
            ),
        );
    }
    html(
        StatusCode::OK,
        pages::layout(
            &app.config,
            "Demande enregistrée",
            &pages::thanks_body(app.config.phone.as_ref(), Some(&reference)),
            false,
        ),
    )
}

/// Whether the request comes from a page of this site (or an allowed origin).
pub(crate) fn same_origin(headers: &HeaderMap, allowed: &[String]) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(site) = text("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match text("origin") {
        None => true,
        Some(origin) => {
            let host = text("host").unwrap_or("");
            allowed.iter().any(|a| a == origin)
                || (!host.is_empty()
                    && (origin == format!("http://{host}") || origin == format!("https://{host}")))
        }
    }
}

enum Format {
    Form,
    Json,
}

/// What a robot is told: the same answer as a person whose request was stored.
fn pretend_stored(format: &Format) -> Response {
    accepted(format, &random_id(REFERENCE_LEN))
}

fn accepted(format: &Format, reference: &str) -> Response {
    let url = format!("/api/registrations/{reference}/merci");
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
    let client = crate::client::of(&request);
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
            pages::layout(
                &app.config,
                "Formulaire non envoyé",
                &pages::refused_body(&app.config, why),
                false,
            ),
        ),
        Format::Json => json_response(status, json!({"error": why})),
    };
    let declared_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared_length.is_some_and(|l| l > BODY_LIMIT) {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Le formulaire envoyé est trop long.",
        );
    }
    let body: Body = request.into_body();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Le formulaire envoyé est trop long.",
        );
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
    if !answers.get("website").is_empty() {
        return pretend_stored(&format);
    }
    let now = now();
    let today = chrono::Local::now().date_naive();
    let limits = &app.config.limits;
    let token = answers.get("token").trim().to_string();
    let nonce = if token.is_empty() {
        None
    } else {
        match app.keys.verify(&token, FORM_ACTION, now) {
            Ok(claims) => {
                let issued = claims.expires - limits.form_token_seconds;
                if now - issued < limits.min_fill_seconds {
                    return pretend_stored(&format);
                }
                Some(claims.object)
            }
            Err(TokenError::Invalid) => return pretend_stored(&format),
            // Open for hours, or signed with a key since removed: ask to send again.
            Err(TokenError::Expired | TokenError::UnknownKey) => None,
        }
    };
    let territory = app.territory();
    let parsed = registration::parse(&answers, &territory, today);
    let registration = match (parsed, &format) {
        (Parsed::NotEligible, Format::Form) => {
            return html(
                StatusCode::OK,
                pages::layout(
                    &app.config,
                    "Ce service est pour les personnes sans médecin traitant",
                    &pages::not_eligible_body(&app.config),
                    false,
                ),
            );
        }
        (Parsed::NotEligible, Format::Json) => {
            return json_response(StatusCode::OK, json!({"eligible": false}));
        }
        (Parsed::Invalid(errors), Format::Form) => {
            let token = if nonce.is_some() {
                token
            } else {
                app.form_token(now)
            };
            return app.form_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &answers,
                &errors,
                &token,
                None,
            );
        }
        (Parsed::Invalid(errors), Format::Json) => {
            return json_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "errors": errors }),
            );
        }
        (Parsed::Valid(r), _) => r,
    };
    let Some(nonce) = nonce else {
        // Sent without a valid token (no JavaScript, or open too long): one confirmation step.
        return match format {
            Format::Form => app.form_page(
                StatusCode::OK,
                &answers,
                &[],
                &app.form_token(now),
                Some("Vérifiez vos réponses ci-dessous, puis cliquez sur « Envoyer ma demande » en bas de la page pour confirmer."),
            ),
            Format::Json => json_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"errors": [{"field": "token", "message": "Jeton du formulaire manquant ou expiré : demandez-en un à /api/form-token."}]}),
            ),
        };
    };
    let commune = territory
        .commune(&registration.commune)
        .expect("parsed communes are in the territory");
    let cpts = territory.cpts_of(commune);
    let reference = random_id(REFERENCE_LEN);
    let priority = priority::assess(&registration, today);
    let to = App::<S, M>::coordinators_of(&territory, cpts.map(|c| c.id.as_str()))
        .into_iter()
        .map(|c| c.email)
        .collect();
    let mail = mail::coordinator_mail(
        &format!("{reference}-coordination"),
        to,
        &reference,
        &commune.name,
        &pages::unix_date_fr(now),
        &app.coordinator_link(&reference, now),
        &app.overview_link(cpts.map(|c| c.id.as_str()), now),
    );
    let stored = Stored {
        reference: reference.clone(),
        created_at: now,
        cpts: cpts.map(|c| c.id.clone()),
        registration: *registration,
        priority,
    };
    let limits = [
        RateLimit {
            key: app.keys.pseudonym("address", &client),
            window: now / 3600,
            limit: limits.per_address_per_hour,
        },
        RateLimit {
            key: app
                .keys
                .pseudonym("phone", stored.registration.phone.as_str()),
            window: now / 86_400,
            limit: limits.per_phone_per_day,
        },
    ];
    match app.store.register(&stored, &nonce, &mail, &limits).await {
        Ok(Registered::New) => {
            app.mail_waiting.notify_one();
            // The coordinator's mail leads to the request's page, which shows this proposal.
            // Should it fail, the request waits and the next jobs run proposes again.
            if let Err(e) = app
                .propose_for(&reference, now, crate::workflow::Notice::Silent)
                .await
            {
                eprintln!("proposition pour {reference} impossible pour l'instant : {e}");
            }
            accepted(&format, &reference)
        }
        Ok(Registered::Duplicate(first)) => accepted(&format, &first),
        Ok(Registered::Limited) => match format {
            Format::Form => html(
                StatusCode::TOO_MANY_REQUESTS,
                pages::layout(
                    &app.config,
                    "Demande déjà reçue",
                    &pages::rate_limited_body(&app.config),
                    false,
                ),
            ),
            Format::Json => json_response(
                StatusCode::TOO_MANY_REQUESTS,
                json!({"error": "Trop de demandes : appelez-nous."}),
            ),
        },
        Err(e) => store_unavailable(&app, &format, &e),
    }
}

fn store_unavailable<S: Store, M: Mailer>(
    app: &App<S, M>,
    format: &Format,
    e: &crate::store::StoreError,
) -> Response {
    eprintln!("enregistrement impossible : {e}");
    let why =
        "Notre serveur n'a pas pu enregistrer votre demande. Réessayez dans quelques minutes.";
    match format {
        Format::Form => html(
            StatusCode::SERVICE_UNAVAILABLE,
            pages::layout(
                &app.config,
                "Demande non enregistrée",
                &pages::refused_body(&app.config, why),
                false,
            ),
        ),
        Format::Json => json_response(StatusCode::SERVICE_UNAVAILABLE, json!({"error": why})),
    }
}
