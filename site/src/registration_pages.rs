//! The registration form's pages in the site: `/inscription/` (the form, whose markup belongs to
//! the `functions` crate so the handler can show it again with errors), `/merci/`, and the form's
//! stylesheet and script.

use serde::Serialize;
use territory::Territory;

use crate::config::SiteConfig;

pub const FORM_URL: &str = "/inscription/";
pub const THANKS_URL: &str = "/merci/";
pub const PRIVACY_URL: &str = "/donnees-personnelles/";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Form,
    Thanks,
    Css,
    Js,
}

/// Every address this module publishes.
pub fn outputs() -> [(String, Output); 4] {
    let asset = |file: &str| format!("{}{file}", functions::web::form::ASSETS_URL);
    [
        (FORM_URL.to_string(), Output::Form),
        (THANKS_URL.to_string(), Output::Thanks),
        (asset(functions::web::form::CSS_FILE), Output::Css),
        (asset(functions::web::form::JS_FILE), Output::Js),
    ]
}

#[derive(Serialize)]
pub struct FormPage {
    pub title: &'static str,
    pub description: &'static str,
    /// The `<form>` element, ready to insert.
    pub form: String,
    pub css: String,
    pub js: String,
}

#[derive(Serialize)]
pub struct ThanksPage {
    pub title: &'static str,
    pub description: &'static str,
    pub content: String,
}

fn phone(config: &SiteConfig) -> Option<functions::Phone> {
    config.phone.as_ref().map(|p| functions::Phone {
        number: p.number.clone(),
        international: p.international.clone(),
        hours: p.hours.clone(),
    })
}

pub fn form_page(config: &SiteConfig, territory: &Territory) -> FormPage {
    let communes: Vec<String> = territory
        .communes
        .iter()
        .map(functions::domain::communes::label)
        .collect();
    let api = config.api_url.trim_end_matches('/');
    let action = format!("{api}/registrations");
    let token_url = format!("{api}/form-token");
    let answers = functions::domain::answers::Answers::default();
    let view = functions::web::form::FormView {
        action: &action,
        token_url: &token_url,
        answers: &answers,
        errors: &[],
        communes: &communes,
        token: None,
        notice: None,
        privacy_url: PRIVACY_URL,
    };
    let asset = |file: &str| format!("{}{file}", functions::web::form::ASSETS_URL);
    FormPage {
        title: "Demander un médecin traitant",
        description: "Vous n'avez pas de médecin traitant ? Remplissez ce formulaire : la coordination de votre CPTS vous rappelle.",
        form: functions::web::form::render(&view),
        css: asset(functions::web::form::CSS_FILE),
        js: asset(functions::web::form::JS_FILE),
    }
}

pub fn thanks_page(config: &SiteConfig) -> ThanksPage {
    ThanksPage {
        title: "Demande enregistrée",
        description: "Ce qui se passe après votre demande de médecin traitant.",
        content: functions::web::pages::thanks_body(phone(config).as_ref(), None),
    }
}
