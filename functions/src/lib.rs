//! The form handler: online registration of patients without a GP, as one axum Router. Requests
//! are parsed into domain types, stored with their coordinator mail in one transaction, and the
//! mail is sent afterwards (retried until it goes).
//!
//! Layers, top to bottom (a module imports only from the layers below it):
//! - [`web`] (routes and pages) and [`aws`] (the Lambda entry point) — transport;
//! - [`register`], [`intake`], [`joining`], [`workflow`], [`declaring`] — the use cases; [`links`] and [`mails`] — what is sent to people;
//! - [`app`] — the handler's state and settings;
//! - [`store`], [`mail`], [`signed`], [`view`] — persistence, delivery, signing, templates;
//! - [`domain`] — pure types and rules, with no I/O.

pub mod app;
#[cfg(feature = "aws")]
pub mod aws;
pub mod casework;
pub mod declaring;
pub mod domain;
pub mod intake;
pub mod joining;
pub mod links;
pub mod mail;
pub mod mails;
pub mod register;
pub mod sessions;
pub mod signed;
pub mod store;
pub mod view;
pub mod web;
pub mod workflow;

pub use app::{App, Config, Limits, Phone, Published, now};
pub use web::router;
