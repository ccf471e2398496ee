//! The handler's templates: the built-in ones of `functions/templates/` (among them the one base
//! layout the site shares), each replaced by `<folder>/<same name>` when that file exists,
//! rendered by Tera 2 with autoescaping; a broken template becomes a French diagnostic that names
//! file:line:col and the fix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use territory::{Diagnostic, Severity, SourceFile};

/// The layout of every page, the site's and the handler's.
pub const BASE: &str = include_str!("../templates/base.html");

/// Every built-in template of the handler, by name. The site registers them as well: its
/// `/inscription/` and `/merci/` pages include `form.html` and `thanks_content.html`, and
/// `cpts check` reads their overrides.
pub const BUILTIN: &[(&str, &str)] = &[
    ("base.html", BASE),
    ("handler.html", include_str!("../templates/handler.html")),
    ("call_us.html", include_str!("../templates/call_us.html")),
    ("message.html", include_str!("../templates/message.html")),
    ("form.html", include_str!("../templates/form.html")),
    (
        "form_again.html",
        include_str!("../templates/form_again.html"),
    ),
    (
        "thanks_content.html",
        include_str!("../templates/thanks_content.html"),
    ),
    ("thanks.html", include_str!("../templates/thanks.html")),
    (
        "thanks_unknown.html",
        include_str!("../templates/thanks_unknown.html"),
    ),
    (
        "not_eligible.html",
        include_str!("../templates/not_eligible.html"),
    ),
    (
        "rate_limited.html",
        include_str!("../templates/rate_limited.html"),
    ),
    ("refused.html", include_str!("../templates/refused.html")),
    ("intake.html", include_str!("../templates/intake.html")),
    (
        "duplicates.html",
        include_str!("../templates/duplicates.html"),
    ),
    (
        "intake_stored.html",
        include_str!("../templates/intake_stored.html"),
    ),
    (
        "coordinator.html",
        include_str!("../templates/coordinator.html"),
    ),
    (
        "confirm_doctor.html",
        include_str!("../templates/confirm_doctor.html"),
    ),
    (
        "correct_form.html",
        include_str!("../templates/correct_form.html"),
    ),
    (
        "correct_details.html",
        include_str!("../templates/correct_details.html"),
    ),
    (
        "confirm_erase.html",
        include_str!("../templates/confirm_erase.html"),
    ),
    (
        "already_decided.html",
        include_str!("../templates/already_decided.html"),
    ),
    (
        "doctor_offer.html",
        include_str!("../templates/doctor_offer.html"),
    ),
    (
        "doctor_accepted.html",
        include_str!("../templates/doctor_accepted.html"),
    ),
    ("patient.html", include_str!("../templates/patient.html")),
    ("overview.html", include_str!("../templates/overview.html")),
    ("search.html", include_str!("../templates/search.html")),
    ("figures.html", include_str!("../templates/figures.html")),
    ("aci.html", include_str!("../templates/aci.html")),
    (
        "link_error.html",
        include_str!("../templates/link_error.html"),
    ),
    ("mail.html", include_str!("../templates/mail.html")),
    (
        "staff_sign_in.html",
        include_str!("../templates/staff_sign_in.html"),
    ),
    (
        "staff_link.html",
        include_str!("../templates/staff_link.html"),
    ),
    (
        "staff_home.html",
        include_str!("../templates/staff_home.html"),
    ),
    (
        "doctor_page.html",
        include_str!("../templates/doctor_page.html"),
    ),
    (
        "doctor_declared.html",
        include_str!("../templates/doctor_declared.html"),
    ),
    (
        "doctor_link_request.html",
        include_str!("../templates/doctor_link_request.html"),
    ),
    (
        "join_form.html",
        include_str!("../templates/join_form.html"),
    ),
    (
        "join_offers.html",
        include_str!("../templates/join_offers.html"),
    ),
];

/// Where the built-in templates are in the repository, to name them in diagnostics.
pub const BUILTIN_DIR: &str = "functions/templates";

/// Shown if even a built-in template fails to render (a bug the tests are there to catch).
const UNRENDERABLE: &str = "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Erreur</title></head><body><main><h1>Page momentanément indisponible</h1><p>Réessayez dans quelques minutes.</p></main></body></html>";

/// The `site` every page of the handler sees: the same fields as the site's own pages, with the
/// menu, footer links, CPTS list, feed and posters left empty (the handler knows none of them).
#[derive(Debug, Clone, Serialize)]
pub struct Site<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub base_url: &'a str,
    pub api_url: &'a str,
    pub demo: bool,
    pub phone: Option<SitePhone<'a>>,
    pub menu: Vec<NavLink>,
    pub footer: Vec<NavLink>,
    pub cpts: Vec<NavLink>,
    pub cpts_in_footer: bool,
    pub news_url: Option<String>,
    pub feed_url: Option<String>,
    pub sources: Option<String>,
    pub posters_url: Option<String>,
    pub figures_url: Option<String>,
    pub year: i32,
    /// Today's date in French ("24 novembre 2026").
    pub today: String,
    /// On a doctor's pages: whom he reaches, in the footer instead of the patients' phone line
    /// and emergency numbers.
    pub contact: Option<Contact>,
}

/// The coordination of a CPTS, as a doctor's pages name it.
#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    /// The CPTS's name.
    pub cpts: String,
    pub people: Vec<ContactPerson>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContactPerson {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SitePhone<'a> {
    pub number: &'a str,
    pub international: &'a str,
    pub hours: &'a str,
    /// What a call costs; empty when the handler is not told.
    pub cost: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct NavLink {
    pub title: String,
    pub url: String,
}

/// The handler's templates, ready to render.
pub struct View {
    tera: tera::Tera,
    /// Files that replaced a built-in template, by template name, to locate their errors.
    overrides: BTreeMap<String, PathBuf>,
    /// The built-in templates alone, when some are replaced: what is rendered instead when a
    /// replacement fails while rendering (a variable it reads that the handler does not have).
    builtin: Option<Box<View>>,
}

impl View {
    /// The built-in templates.
    pub fn builtin() -> Self {
        let mut tera = new_tera();
        if let Err(e) = tera.add_raw_templates(BUILTIN.iter().copied()) {
            // The tests load every built-in template: this cannot happen in a released binary.
            panic!("{}", diagnostic(&e, None, &|name| builtin_file(name)));
        }
        Self {
            tera,
            overrides: BTreeMap::new(),
            builtin: None,
        }
    }

    /// The built-in templates, each replaced by `<dir>/<same name>` when that file exists. A
    /// missing folder means the built-in templates; a broken file is an error that names it.
    pub fn load(dir: Option<&Path>) -> Result<Self, Diagnostic> {
        let mut sources: BTreeMap<&str, String> = BUILTIN
            .iter()
            .map(|(name, text)| (*name, text.to_string()))
            .collect();
        let mut overrides = BTreeMap::new();
        for (name, _) in BUILTIN {
            let Some(path) = dir.map(|d| d.join(name)).filter(|p| p.is_file()) else {
                continue;
            };
            let source = SourceFile::read(&path)?;
            sources.insert(name, source.text);
            overrides.insert(name.to_string(), path);
        }
        if overrides.is_empty() {
            return Ok(Self::builtin());
        }
        let mut tera = new_tera();
        tera.add_raw_templates(sources.iter().map(|(n, t)| (*n, t.as_str())))
            .map_err(|e| {
                let mut d = diagnostic(&e, None, &|name| file_of(&overrides, name));
                if !overrides.values().any(|path| *path == d.file) {
                    // A built-in template that no longer fits a replaced one (a block gone).
                    let replaced: Vec<&str> = overrides.keys().map(String::as_str).collect();
                    d.fix = format!(
                        "ce modèle intégré s'appuie sur vos modèles remplacés ({}) : gardez-y les blocs du modèle d'origine (title, meta, head, content), ou supprimez-les de content/templates",
                        replaced.join(", ")
                    );
                }
                d
            })?;
        Ok(Self {
            tera,
            overrides,
            builtin: Some(Box::new(Self::builtin())),
        })
    }

    /// The files that replace built-in templates.
    pub fn overrides(&self) -> impl Iterator<Item = &Path> {
        self.overrides.values().map(PathBuf::as_path)
    }

    /// `name` rendered with `context`, or the diagnostic that says why it cannot be.
    pub fn try_render(&self, name: &str, context: &tera::Context) -> Result<String, Diagnostic> {
        self.tera
            .render(name, context)
            .map_err(|e| diagnostic(&e, Some(name), &|n| file_of(&self.overrides, n)))
    }

    /// `name` rendered with `context`. A replaced template that fails is reported on the
    /// console and the built-in one is rendered instead: the person still gets a page.
    pub fn render(&self, name: &str, context: &tera::Context) -> String {
        match self.try_render(name, context) {
            Ok(text) => text,
            Err(d) => {
                tracing::error!(template = name, error = %d, "modèle remplacé en erreur : le modèle intégré est utilisé");
                match &self.builtin {
                    Some(builtin) => builtin.render(name, context),
                    None => UNRENDERABLE.to_string(),
                }
            }
        }
    }
}

fn new_tera() -> tera::Tera {
    let mut tera = tera::Tera::new();
    tera.autoescape_on([".html"]);
    tera
}

fn builtin_file(name: &str) -> PathBuf {
    PathBuf::from(format!("{BUILTIN_DIR}/{name} (modèle intégré)"))
}

fn file_of(overrides: &BTreeMap<String, PathBuf>, name: &str) -> PathBuf {
    overrides
        .get(name)
        .cloned()
        .unwrap_or_else(|| builtin_file(name))
}

/// A Tera error as a diagnostic: the template's file (found by `file_of` from the template's
/// name), line and column, what is wrong and how to fix it. `rendering` is the template being
/// rendered, for errors that do not say which template they come from. The site reports its
/// own templates' errors with it too.
pub fn diagnostic(
    error: &tera::Error,
    rendering: Option<&str>,
    file_of: &dyn Fn(&str) -> PathBuf,
) -> Diagnostic {
    let (template, line, column, detail) = match error.kind() {
        tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => (
            r.filename().to_string(),
            r.span().start_line,
            r.span().start_col + 1,
            r.message().to_string(),
        ),
        tera::ErrorKind::MissingParent { current, parent } => (
            current.clone(),
            1,
            1,
            format!("il étend « {parent} », qui n'existe pas"),
        ),
        tera::ErrorKind::TemplateNotFound(name) => (
            rendering.unwrap_or(name).to_string(),
            1,
            1,
            format!("le modèle « {name} » n'existe pas"),
        ),
        _ => {
            // Some errors (a block the parent does not have, say) carry their place in their
            // text: "error: …\n --> page.html:3:12".
            let text = error.to_string();
            let located = text.lines().find_map(|l| {
                let place = l.trim_start().strip_prefix("--> ")?;
                let mut parts = place.rsplitn(3, ':');
                let column = parts.next()?.trim().parse().ok()?;
                let line = parts.next()?.trim().parse().ok()?;
                Some((parts.next()?.to_string(), line, column))
            });
            let detail = text
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ")
                .to_string();
            match located {
                Some((template, line, column)) => (template, line, column, detail),
                None => (rendering.unwrap_or("").to_string(), 1, 1, detail),
            }
        }
    };
    Diagnostic {
        severity: Severity::Error,
        file: file_of(&template),
        line,
        column,
        message: format!("erreur dans le modèle « {template} » : {detail}"),
        fix: "corrigez le modèle à cet endroit (syntaxe Tera 2 : {{ variable }}, {% if … %}…{% endif %} ; un base.html remplacé garde les blocs title, meta, head et content), ou supprimez-le de content/templates pour revenir au modèle intégré".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_file_is_built_in_and_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                BUILTIN.iter().any(|(n, _)| *n == name),
                "{name} is not in BUILTIN"
            );
        }
        let view = View::builtin();
        for (name, _) in BUILTIN {
            assert!(view.tera.contains_template(name), "{name}");
        }
    }
}
