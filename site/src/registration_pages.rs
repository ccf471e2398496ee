//! The registration form's pages in the site: `/inscription/` (the form, whose template belongs to
//! the `functions` crate so the handler can show it again with errors), `/merci/` (whose text the
//! handler's thank-you page shares), the form's stylesheet and script, and one printable paper
//! form per CPTS at `/inscription/papier/<cpts id>/` (the same questions, the CPTS's address).

use functions::web::form::FormView;
use serde::Serialize;
use territory::{Diagnostic, Territory};

use crate::config::SiteConfig;
use crate::territory_pages::{cpts_url, paper_form_url};

pub const FORM_URL: &str = "/inscription/";
pub const THANKS_URL: &str = "/merci/";
pub const PRIVACY_URL: &str = "/donnees-personnelles/";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Form,
    Thanks,
    Css,
    Js,
    PaperCss,
}

/// Every address this module publishes.
pub fn outputs() -> [(String, Output); 5] {
    let asset = |file: &str| format!("{}{file}", functions::web::form::ASSETS_URL);
    [
        (FORM_URL.to_string(), Output::Form),
        (THANKS_URL.to_string(), Output::Thanks),
        (asset(functions::web::form::CSS_FILE), Output::Css),
        (asset(functions::web::form::JS_FILE), Output::Js),
        (
            asset(functions::web::form::PAPER_CSS_FILE),
            Output::PaperCss,
        ),
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
    /// The printable paper form of each CPTS.
    pub paper_forms: Vec<PaperLink>,
}

#[derive(Serialize)]
pub struct PaperLink {
    pub name: String,
    pub url: String,
}

/// A CPTS's printable paper form.
#[derive(Serialize)]
pub struct PaperPage {
    pub title: String,
    pub description: String,
    pub cpts_name: String,
    pub cpts_url: String,
    pub form_url: &'static str,
    /// Where to send the form (lines joined by `\n`); without it, the town hall or the phone.
    pub postal_address: Option<String>,
    /// The paper form's questions, ready to insert.
    pub form: String,
    pub css: String,
    pub paper_css: String,
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
        description: "Vous n'avez pas de médecin traitant ? Remplissez ce formulaire : la coordination de la CPTS vous appelle.",
        form: render(&view)?,
        css: asset(functions::web::form::CSS_FILE),
        js: asset(functions::web::form::JS_FILE),
        paper_forms: territory
            .cpts
            .iter()
            .map(|c| PaperLink {
                name: c.name.clone(),
                url: paper_form_url(c),
            })
            .collect(),
    })
}

/// The paper form of the CPTS `index`, its questions rendered by `render` from the same view as
/// the online form (its privacy link made absolute, to be read on paper).
pub fn paper_page_with(
    config: &SiteConfig,
    territory: &Territory,
    index: usize,
    render: impl FnOnce(&FormView) -> Result<String, Diagnostic>,
) -> Result<PaperPage, Diagnostic> {
    let cpts = &territory.cpts[index];
    let privacy_url = format!("{}{PRIVACY_URL}", config.base_url);
    let answers = functions::domain::answers::Answers::default();
    let view = FormView {
        action: "",
        token_url: "",
        answers: &answers,
        errors: &[],
        communes: &[],
        token: None,
        notice: None,
        privacy_url: &privacy_url,
    };
    let asset = |file: &str| format!("{}{file}", functions::web::form::ASSETS_URL);
    Ok(PaperPage {
        title: format!("Formulaire papier — {}", cpts.name),
        description: format!(
            "Le formulaire de demande de médecin traitant à imprimer (A4), à remplir à la main et à envoyer à la {}.",
            cpts.name
        ),
        cpts_name: cpts.name.clone(),
        cpts_url: cpts_url(cpts),
        form_url: FORM_URL,
        postal_address: cpts.postal_address.clone(),
        form: render(&view)?,
        css: asset(functions::web::form::CSS_FILE),
        paper_css: asset(functions::web::form::PAPER_CSS_FILE),
    })
}

pub fn thanks_page() -> ThanksPage {
    ThanksPage {
        title: "Demande enregistrée",
        description: "Ce qui se passe après votre demande de médecin traitant.",
        reference: None,
    }
}
