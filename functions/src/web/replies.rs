//! The pages the routes behind emailed links and staff sessions answer with: a page that never
//! passes its address on, a short message, and the pages for an unusable link, an unknown
//! request and a store that does not answer.

// A handler's early exit is the page to answer with: boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;

use crate::app::App;
use crate::mail::Mailer;
use crate::signed::TokenError;
use crate::store::Store;
use crate::view::Contact;
use crate::web::pages::{self, Message};
use crate::web::respond::html;

/// A page behind an emailed link: `template` titled `title`, with `data`.
pub fn page<S: Store, M: Mailer>(
    app: &App<S, M>,
    status: StatusCode,
    template: &str,
    title: &str,
    data: &impl Serialize,
) -> Response {
    with_referrer_policy(html(status, pages::page(app, template, title, data)))
}

/// [`page`] for a doctor: his CPTS's coordination in the footer, not the patients' phone line.
pub fn doctor_page<S: Store, M: Mailer>(
    app: &App<S, M>,
    status: StatusCode,
    template: &str,
    title: &str,
    data: &impl Serialize,
    contact: Contact,
) -> Response {
    with_referrer_policy(html(
        status,
        pages::page_for_doctor(app, template, title, data, contact),
    ))
}

/// [`message`] for a doctor.
pub fn doctor_message<S: Store, M: Mailer>(
    app: &App<S, M>,
    status: StatusCode,
    title: &str,
    message: &Message,
    contact: Contact,
) -> Response {
    doctor_page(app, status, "message.html", title, message, contact)
}

fn with_referrer_policy(mut response: Response) -> Response {
    // Links carry tokens: never pass them on to another site. ("no-referrer" would also make
    // browsers send `Origin: null` with the page's own forms, which the origin check refuses.)
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// A short page (`message.html`) titled `title`.
pub fn message<S: Store, M: Mailer>(
    app: &App<S, M>,
    status: StatusCode,
    title: &str,
    message: &Message,
) -> Response {
    page(app, status, "message.html", title, message)
}

pub fn token_error<S: Store, M: Mailer>(app: &App<S, M>, error: TokenError) -> Response {
    let (title, data) = pages::token_error(error);
    let status = match error {
        TokenError::Expired => StatusCode::GONE,
        TokenError::Invalid => StatusCode::BAD_REQUEST,
        TokenError::UnknownKey => StatusCode::FORBIDDEN,
    };
    page(app, status, "link_error.html", title, &data)
}

pub fn not_found<S: Store, M: Mailer>(app: &App<S, M>) -> Response {
    message(
        app,
        StatusCode::NOT_FOUND,
        "Demande introuvable",
        &Message::new(
            "Demande introuvable",
            &[
                "Aucune demande n'a cette référence. Elle a peut-être été effacée à la fin de sa durée de conservation.",
            ],
        ),
    )
}

pub fn unavailable<S: Store, M: Mailer>(app: &App<S, M>, e: &dyn std::error::Error) -> Response {
    tracing::error!(error = %e, "base de données indisponible");
    message(
        app,
        StatusCode::SERVICE_UNAVAILABLE,
        "Service indisponible",
        &Message::new(
            "Service momentanément indisponible",
            &["Rien n'a été modifié. Réessayez dans quelques minutes."],
        ),
    )
}
