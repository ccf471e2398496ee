//! The registration form's pages in the site: `/inscription/` (the form, whose template belongs to
//! the `functions` crate so the handler can show it again with errors), `/merci/` (whose text the
//! handler's thank-you page shares), and the form's stylesheet and script.

use functions::web::form::FormView;
use serde::Serialize;
use territory::{Diagnostic, Territory};

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
    /// The request's reference: none on the site's page (the handler's page has it).
    pub reference: Option<&'static str>,
}

/// `/inscription/` with the form rendered by the handler's built-in templates.
pub fn form_page(config: &SiteConfig, territory: &Territory) -> FormPage {
    let builtin = functions::view::View::builtin();
    form_page_with(config, territory, |view| {
        Ok(functions::web::form::render(&builtin, view))
    })
    .unwrap_or_else(|d| unreachable!("the built-in form renders: {d}"))
}

/// `/inscription/` with the form rendered by `render` (the build's templates, overrides included).
pub fn form_page_with(
    config: &SiteConfig,
    territory: &Territory,
    render: impl FnOnce(&FormView) -> Result<String, Diagnostic>,
) -> Result<FormPage, Diagnostic> {
    let communes: Vec<String> = territory
        .communes
        .iter()
        .map(functions::domain::communes::label)
        .collect();
    let api = config.api_url.trim_end_matches('/');
    let action = format!("{api}/registrations");
    let token_url = format!("{api}/form-token");
    let answers = functions::domain::answers::Answers::default();
    let view = FormView {
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
    Ok(FormPage {
        title: "Demander un médecin traitant",
        description: "Vous n'avez pas de médecin traitant ? Remplissez ce formulaire : la coordination de votre CPTS vous rappelle.",
        form: render(&view)?,
        css: asset(functions::web::form::CSS_FILE),
        js: asset(functions::web::form::JS_FILE),
    })
}

pub fn thanks_page() -> ThanksPage {
    ThanksPage {
        title: "Demande enregistrée",
        description: "Ce qui se passe après votre demande de médecin traitant.",
        reference: None,
    }
}
