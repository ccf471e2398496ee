//! The one place that talks to Tera: built-in templates (the site's own, and the form handler's
//! — among them the base layout both share), overrides from `content/templates/`, and template
//! errors turned into diagnostics.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use territory::{Diagnostic, SourceFile};

/// The site's own templates; the layout (`base.html`) and the form handler's templates come from
/// [`functions::view::BUILTIN`].
const BUILTIN: &[(&str, &str)] = &[
    ("index.html", include_str!("../templates/index.html")),
    ("page.html", include_str!("../templates/page.html")),
    ("section.html", include_str!("../templates/section.html")),
    ("news.html", include_str!("../templates/news.html")),
    (
        "news_post.html",
        include_str!("../templates/news_post.html"),
    ),
    ("cpts.html", include_str!("../templates/cpts.html")),
    ("commune.html", include_str!("../templates/commune.html")),
    ("communes.html", include_str!("../templates/communes.html")),
    (
        "communes_letter.html",
        include_str!("../templates/communes_letter.html"),
    ),
    ("404.html", include_str!("../templates/404.html")),
    ("redirect.html", include_str!("../templates/redirect.html")),
    (
        "inscription.html",
        include_str!("../templates/inscription.html"),
    ),
    (
        "inscription_papier.html",
        include_str!("../templates/inscription_papier.html"),
    ),
    ("merci.html", include_str!("../templates/merci.html")),
    ("carte.html", include_str!("../templates/carte.html")),
    (
        "map_block.html",
        include_str!("../templates/map_block.html"),
    ),
    ("affiches.html", include_str!("../templates/affiches.html")),
    ("chiffres.html", include_str!("../templates/chiffres.html")),
    ("atom.xml", include_str!("../templates/atom.xml")),
    ("sitemap.xml", include_str!("../templates/sitemap.xml")),
    ("robots.txt", include_str!("../templates/robots.txt")),
];

pub const OVERRIDES_DIR: &str = "templates";

pub struct Templates {
    tera: tera::Tera,
    /// Files that replaced a built-in template, by template name, to locate their errors.
    overrides: BTreeMap<String, PathBuf>,
}

impl Templates {
    /// Built-in templates, each replaced by `content/templates/<same name>` when present.
    pub fn load(content_dir: &Path, diagnostics: &mut Vec<Diagnostic>) -> Option<Self> {
        let mut sources: BTreeMap<String, (String, Option<PathBuf>)> = BUILTIN
            .iter()
            .chain(functions::view::BUILTIN)
            .map(|(name, text)| (name.to_string(), (text.to_string(), None)))
            .collect();
        let dir = content_dir.join(OVERRIDES_DIR);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if !path.is_file() || name.starts_with('.') {
                    continue;
                }
                match SourceFile::read(&path) {
                    Ok(source) => {
                        sources.insert(name, (source.text, Some(path)));
                    }
                    Err(d) => diagnostics.push(d),
                }
            }
        }
        let overrides: BTreeMap<String, PathBuf> = sources
            .iter()
            .filter_map(|(name, (_, path))| path.clone().map(|p| (name.clone(), p)))
            .collect();
        let mut tera = tera::Tera::new();
        tera.autoescape_on([".html", ".xml"]);
        let result =
            tera.add_raw_templates(sources.iter().map(|(n, (t, _))| (n.as_str(), t.as_str())));
        let templates = Self { tera, overrides };
        match result {
            Ok(()) => Some(templates),
            Err(e) => {
                diagnostics.push(templates.diagnostic(&e, None));
                None
            }
        }
    }

    /// Data every page sees as `site`, serialised once for the whole build.
    pub fn set_site(&mut self, site: &impl Serialize) {
        self.tera.global_context().insert("site", site);
    }

    pub fn render(&self, name: &str, page: &impl Serialize) -> Result<String, Diagnostic> {
        let mut context = tera::Context::new();
        context.insert("page", page);
        // Tera's own `render` checks its output with the standard UTF-8 check, slow on French
        // text; the SIMD check gives the same guarantee in a fraction of the time.
        let mut bytes = Vec::with_capacity(16 * 1024);
        self.tera
            .render_to(name, &context, &mut bytes)
            .map_err(|e| self.diagnostic(&e, Some(name)))?;
        Ok(match simdutf8::basic::from_utf8(&bytes) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    pub fn exists(&self, name: &str) -> bool {
        self.tera.contains_template(name)
    }

    fn diagnostic(&self, error: &tera::Error, rendering: Option<&str>) -> Diagnostic {
        functions::view::diagnostic(error, rendering, &|template| {
            self.overrides.get(template).cloned().unwrap_or_else(|| {
                let dir = if BUILTIN.iter().any(|(name, _)| *name == template) {
                    "site/templates"
                } else {
                    functions::view::BUILTIN_DIR
                };
                PathBuf::from(format!("{dir}/{template} (modèle intégré)"))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_site_and_the_handler_name_their_templates_apart() {
        for (name, _) in super::BUILTIN {
            assert!(
                !functions::view::BUILTIN.iter().any(|(n, _)| n == name),
                "{name} is both a site template and a handler template"
            );
        }
    }
}
