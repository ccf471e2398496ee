//! The web layer: one axum Router with the registration routes and the routes behind emailed
//! links, and the pages they answer with. Transport only: the use cases are in
//! [`crate::register`] and [`crate::workflow`].

pub mod client;
pub mod form;
pub mod link_pages;
pub mod links;
pub mod overview;
pub mod pages;
pub mod registration;
pub mod respond;

use std::sync::Arc;

use axum::Router;

use crate::app::App;
use crate::mail::Mailer;
use crate::store::Store;

pub fn router<S: Store, M: Mailer>(app: Arc<App<S, M>>) -> Router {
    Router::new()
        .merge(registration::routes::<S, M>())
        .merge(links::routes::<S, M>())
        .with_state(app)
}
