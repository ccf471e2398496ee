//! The handler's pages as its templates render them: every page is a template of
//! `functions/templates/` (or its replacement) in the site's layout, with the `site` the layout
//! reads and the page's own data; and the wording shared by several pages (short messages, the
//! pages for links that cannot be used, priority levels, call times).

use serde::Serialize;

use crate::app::{App, Config, now};
use crate::domain::dates::local_date;
use crate::domain::registration::CallTime;
use crate::mail::Mailer;
use crate::store::Store;
use crate::view::{Contact, Site, SitePhone};
use crate::web::form::{ASSETS_URL, CSS_FILE, JS_FILE};

/// The `site` of the handler's pages: its name and phone line; no menu, feed, posters or CPTS.
pub fn site(config: &Config) -> Site<'_> {
    let today = local_date(now());
    Site {
        title: &config.site_title,
        description: "",
        base_url: &config.public_url,
        api_url: "/api",
        demo: false,
        phone: config.phone.as_ref().map(|p| SitePhone {
            number: &p.number,
            international: &p.international,
            hours: &p.hours,
            cost: "",
        }),
        menu: Vec::new(),
        footer: Vec::new(),
        cpts: Vec::new(),
        cpts_in_footer: false,
        news_url: None,
        feed_url: None,
        sources: None,
        posters_url: None,
        figures_url: None,
        year: chrono::Datelike::year(&today),
        today: territory::dates::french_long(today),
        contact: None,
    }
}

/// The `site` of a doctor's pages: the coordination of his patient's CPTS as the only contact,
/// without the patients' phone line.
fn site_for_doctor(config: &Config, contact: Contact) -> Site<'_> {
    Site {
        phone: None,
        contact: Some(contact),
        ..site(config)
    }
}

/// What every page of the handler knows of itself (`page` in the templates), beside its data:
/// the fields the site's pages have, empty, and the form's stylesheet and script.
#[derive(Serialize)]
struct Page<'a, T: Serialize> {
    title: &'a str,
    url: &'static str,
    description: &'static str,
    permalink: &'static str,
    og_image: Option<&'static str>,
    form_css: String,
    /// The form's script, on the form's page only.
    form_js: Option<String>,
    #[serde(flatten)]
    data: &'a T,
}

/// The page `template` titled `title` (« title — site »), with `data` in `page`.
pub fn page<S: Store, M: Mailer>(
    app: &App<S, M>,
    template: &str,
    title: &str,
    data: &impl Serialize,
) -> String {
    render(app, template, title, data, false, None)
}

/// [`page`] for a doctor: his CPTS's coordination in the footer (`contact`), not the patients'
/// phone line.
pub fn page_for_doctor<S: Store, M: Mailer>(
    app: &App<S, M>,
    template: &str,
    title: &str,
    data: &impl Serialize,
    contact: Contact,
) -> String {
    render(app, template, title, data, false, Some(contact))
}

/// [`page`] with the form's script.
pub fn page_with_script<S: Store, M: Mailer>(
    app: &App<S, M>,
    template: &str,
    title: &str,
    data: &impl Serialize,
) -> String {
    render(app, template, title, data, true, None)
}

fn render<S: Store, M: Mailer>(
    app: &App<S, M>,
    template: &str,
    title: &str,
    data: &impl Serialize,
    script: bool,
    contact: Option<Contact>,
) -> String {
    let page = Page {
        title,
        url: "",
        description: "",
        permalink: "",
        og_image: None,
        form_css: format!("{ASSETS_URL}{CSS_FILE}"),
        form_js: script.then(|| format!("{ASSETS_URL}{JS_FILE}")),
        data,
    };
    let mut context = tera::Context::new();
    match contact {
        Some(contact) => context.insert("site", &site_for_doctor(&app.config, contact)),
        None => context.insert("site", &site(&app.config)),
    }
    context.insert("page", &page);
    app.view().render(template, &context)
}

/// A short page (`message.html`): a heading, sentences and maybe a link.
#[derive(Debug, Serialize)]
pub struct Message<'a> {
    pub heading: &'a str,
    pub paragraphs: Vec<String>,
    pub link: Option<Link<'a>>,
}

#[derive(Debug, Serialize)]
pub struct Link<'a> {
    pub url: &'a str,
    pub label: &'a str,
}

impl<'a> Message<'a> {
    /// `heading`, then each of `paragraphs`.
    pub fn new(heading: &'a str, paragraphs: &[&str]) -> Self {
        Self {
            heading,
            paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
            link: None,
        }
    }

    /// …ending with a link to `url`.
    pub fn link(mut self, url: &'a str, label: &'a str) -> Self {
        self.link = Some(Link { url, label });
        self
    }
}

/// The message page titled `title`.
pub fn message<S: Store, M: Mailer>(app: &App<S, M>, title: &str, message: &Message) -> String {
    page(app, "message.html", title, message)
}

pub fn not_found() -> Message<'static> {
    Message::new(
        "Page introuvable",
        &["Cette adresse ne correspond à aucune page."],
    )
    .link("/", "Revenir à l'accueil")
}

/// The page for a link that cannot be used (`link_error.html`): its title, and its data.
pub fn token_error(error: crate::signed::TokenError) -> (&'static str, LinkError) {
    use crate::signed::TokenError::*;
    let (title, error) = match error {
        Expired => ("Ce lien a expiré", "expired"),
        Invalid => ("Ce lien n'est pas valide", "invalid"),
        UnknownKey => ("Ce lien n'est plus reconnu", "unknown_key"),
    };
    (title, LinkError { error, ask: None })
}

#[derive(Debug, Serialize)]
pub struct LinkError {
    /// `expired`, `invalid`, `unknown_key`, or `other_doctor` (a doctor's standing link opened
    /// on another doctor's page).
    pub error: &'static str,
    /// Where a doctor asks for a new standing link, on his pages.
    pub ask: Option<&'static str>,
}

pub const LEVELS: [&str; 3] = [
    "Niveau 1 — prioritaire",
    "Niveau 2 — priorité moyenne",
    "Niveau 3 — sans critère de priorité",
];

/// "Niveau 1 — prioritaire"…
pub fn level_label(level: u8) -> &'static str {
    LEVELS
        .get(usize::from(level.saturating_sub(1)))
        .copied()
        .unwrap_or("")
}

pub fn call_time_label(call_time: CallTime) -> &'static str {
    match call_time {
        CallTime::Any => "le matin ou l'après-midi",
        CallTime::Morning => "plutôt le matin",
        CallTime::Afternoon => "plutôt l'après-midi",
    }
}
