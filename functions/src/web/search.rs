//! The staff search page (`search.html`): one search box, and the requests found within the
//! signed-in person's scope — reference, name, commune, state and age, newest first. Mounted by
//! behind the staff sign-in (`GET /espace/recherche?q=`), which gives the [`Scope`].

use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::app::{App, now};
use crate::domain::communes::commune_name;
use crate::domain::search::{self, Found, Query};
use crate::domain::staff::Scope;
use crate::mail::Mailer;
use crate::store::Store;
use crate::web::pages;
use crate::web::respond::html;
use crate::web::staff::{self, SignedIn};

/// Where the search page is served (behind the staff sign-in).
pub const ROUTE: &str = staff::SEARCH;

pub fn routes<S: Store, M: Mailer>() -> Router<Arc<App<S, M>>> {
    Router::new().route(ROUTE, get(search_route::<S, M>))
}

/// GET only: a search changes nothing. Only roles that see requests may search, within their
/// scope.
async fn search_route<S: Store, M: Mailer>(
    State(app): State<Arc<App<S, M>>>,
    signed_in: SignedIn,
    RawQuery(query): RawQuery,
) -> Response {
    let params = SearchParams {
        q: form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .find(|(k, _)| k == "q")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default(),
    };
    match &signed_in.scope {
        Some(scope) => search_page(&app, scope, &params, now()).await,
        None => staff::forbidden(&app),
    }
}

/// The page's query string: `?q=…`.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
}

#[derive(Serialize)]
struct Row {
    reference: String,
    name: String,
    commune: String,
    state: &'static str,
    ago: String,
    url: String,
}

#[derive(Serialize)]
struct SearchView {
    action: &'static str,
    query: String,
    /// A sentence instead of results: empty query, too short, nothing found, store unavailable.
    message: Option<String>,
    results: Vec<Row>,
    /// "Plus de 50 demandes correspondent…" when the list is cut.
    more: Option<String>,
}

/// The search page for `params`, searching within `scope` at `now`.
pub async fn search_page<S: Store, M: Mailer>(
    app: &App<S, M>,
    scope: &Scope,
    params: &SearchParams,
    now: i64,
) -> Response {
    let territory = app.territory();
    let mut view = SearchView {
        action: ROUTE,
        query: params.q.trim().to_string(),
        message: None,
        results: Vec::new(),
        more: None,
    };
    let mut status = StatusCode::OK;
    match Query::parse(&params.q, &territory) {
        Err(e) => view.message = Some(e.message().to_string()),
        Ok(query) => match app.store.search(&query, scope).await {
            Ok(found) => fill(&mut view, &found, &territory, now),
            Err(e) => {
                tracing::error!(error = %e, "search failed");
                status = StatusCode::SERVICE_UNAVAILABLE;
                view.message = Some(
                    "La recherche ne répond pas pour l'instant. Réessayez dans une minute.".into(),
                );
            }
        },
    }
    html(
        status,
        pages::page(app, "search.html", "Rechercher une demande", &view),
    )
}

fn fill(view: &mut SearchView, found: &Found, territory: &territory::Territory, now: i64) {
    if found.hits.is_empty() {
        view.message = Some(format!(
            "Aucune demande ne correspond à « {} ». Vérifiez l'orthographe, ou cherchez autrement : numéro de téléphone, date de naissance, commune.",
            view.query
        ));
        return;
    }
    view.results = found
        .hits
        .iter()
        .map(|h| Row {
            reference: h.reference.clone(),
            name: h.name.clone(),
            commune: commune_name(territory, &h.commune),
            state: h.state.label(),
            ago: search::ago_fr(h.created_at, now),
            url: format!("/api/demandes/{}", h.reference),
        })
        .collect();
    if found.more {
        view.more = Some(format!(
            "Plus de {} demandes correspondent : seules les {} plus récentes sont affichées. Ajoutez un mot, une date ou une commune pour préciser.",
            search::LIMIT,
            search::LIMIT
        ));
    }
}
