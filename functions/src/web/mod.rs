//! The web layer: one axum Router with the registration routes and the routes behind emailed
//! links, and the pages they answer with. Transport only: the use cases are in
//! [`crate::register`] and [`crate::workflow`].

pub mod aci;
pub mod casework;
pub mod client;
pub mod doctor_page;
pub mod figures;
pub mod form;
pub mod intake;
pub mod joining;
pub mod link_pages;
pub mod links;
pub mod overview;
pub mod pages;
pub mod registration;
pub mod replies;
pub mod respond;
pub mod search;
pub mod staff;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use tracing::Instrument;

use crate::app::App;
use crate::mail::Mailer;
use crate::store::Store;

/// The handler's pages that the site's own pages may link to (GET, no token): the site's link
/// check knows them as pages. The doctor's link request and the joining form, both linked from
/// /medecins/.
pub const LINKABLE_PAGES: &[&str] = &[doctor_page::ASK, joining::FORM];

pub fn router<S: Store, M: Mailer>(app: Arc<App<S, M>>) -> Router {
    let routes = Router::new()
        .merge(registration::routes::<S, M>())
        .merge(links::routes::<S, M>())
        .merge(doctor_page::routes::<S, M>())
        .merge(staff::routes::<S, M>())
        .merge(intake::routes::<S, M>())
        .merge(search::routes::<S, M>())
        .merge(figures::routes::<S, M>())
        .merge(aci::routes::<S, M>())
        .merge(joining::routes::<S, M>())
        .layer(middleware::from_fn(trace_request));
    respond::with_security_headers(routes).with_state(app)
}

/// One span per request, `request{method route}`, where `route` is the route's pattern (e.g.
/// `/api/demandes/{reference}`), never the URI: links carry their token in the query (`?jeton=`).
/// A server error is a warning; other answers are debug events.
async fn trace_request(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(aucune route)", MatchedPath::as_str)
        .to_string();
    let span = tracing::info_span!("request", method = %request.method(), route);
    async move {
        let started = Instant::now();
        let response = next.run(request).await;
        let status = response.status().as_u16();
        let elapsed_ms = started.elapsed().as_millis() as u64;
        if response.status().is_server_error() {
            tracing::warn!(status, elapsed_ms, "réponse en erreur");
        } else {
            tracing::debug!(status, elapsed_ms, "réponse");
        }
        response
    }
    .instrument(span)
    .await
}
