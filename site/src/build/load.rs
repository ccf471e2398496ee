//! Load and check: site.toml, the markdown pages, the territory, the templates, the static files
//! and the posters become one validated `Site`, or every problem found, located, at once.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use functions::domain::public_figures::PublicFigures;
use rayon::prelude::*;
use territory::{Diagnostic, Overlay, Territory};

use crate::config::{self, SiteConfig};
use crate::content::{self, Document};
use crate::links::internal_target;
use crate::map::{self, MapData};
use crate::markdown::{self, Placeholders};
use crate::posters::{self, Posters};
use crate::statics::{self, StaticFile};
use crate::symlinks;
use crate::templates::Templates;
use crate::territory_pages as tp;

use super::navigation::globals;
use super::plan::{FIGURES_URL, Planned, plan, plan_figures_page, plan_map, plan_posters_page};

/// The validated input of a build: everything the render needs, loaded and checked.
pub struct Site {
    pub config: SiteConfig,
    pub today: NaiveDate,
    /// Published documents (drafts left out), with their HTML.
    pub(super) documents: Vec<Document>,
    pub(super) html: Vec<String>,
    pub(super) territory: Option<Territory>,
    pub(super) templates: Templates,
    pub(super) statics: Vec<StaticFile>,
    pub(super) letters: Vec<tp::LetterGroup>,
    /// Statuses, layers and SVG maps of the availability map (with a territory).
    pub(super) map: Option<MapData>,
    /// MapLibre GL JS was found and is copied into the site.
    pub(super) maplibre: bool,
    pub(super) plan: Vec<Planned>,
    /// Problems that do not stop the build.
    pub warnings: Vec<Diagnostic>,
    /// Posters and social images, when there is a territory, a phone number and the font.
    pub(super) posters: Option<Posters>,
    /// Where rendered posters are kept between builds (see `posters::cache`).
    pub(super) poster_cache: Option<PathBuf>,
    /// The public figures from the handler's store; `None` without a store (`cpts build`):
    /// the page then says they will come.
    pub(super) figures: Option<PublicFigures>,
}

/// Loads and checks the whole content folder. All problems are reported together; warnings come
/// back with the site, errors instead of it.
pub fn load(content_dir: &Path, today: NaiveDate) -> Result<Site, Vec<Diagnostic>> {
    load_declared(content_dir, today, &Overlay::default())
}

/// [`load`], with what the handler's store knows of doctors since the roster was published
/// (`overlay`: their own declarations, pauses and places used, doctors who joined) shown over it.
pub fn load_declared(
    content_dir: &Path,
    today: NaiveDate,
    overlay: &Overlay,
) -> Result<Site, Vec<Diagnostic>> {
    // Nothing is read through a symbolic link: refused before any file is opened.
    let links = symlinks::refuse(content_dir);
    if !links.is_empty() {
        return Err(links);
    }
    let mut diagnostics = Vec::new();
    let config = config::load(content_dir, &mut diagnostics);
    let content::Loaded {
        documents: all_documents,
        failed_urls,
    } = content::load(content_dir, &mut diagnostics);
    let territory_dir = content_dir.join(territory::FOLDER);
    let has_territory = territory_dir.is_dir();
    let territory = if has_territory {
        let loaded = territory::load(&territory_dir, today);
        diagnostics.extend(loaded.diagnostics);
        loaded.territory.map(|t| t.with_overlay(overlay))
    } else {
        None
    };
    // When the territory has errors its pages are not planned; links to them are not reported,
    // the territory's own errors say what to fix.
    let unchecked_prefixes: &[&str] = if has_territory && territory.is_none() {
        &[tp::COMMUNES_PREFIX, tp::CPTS_PREFIX]
    } else {
        &[]
    };
    let templates = Templates::load(content_dir, &mut diagnostics);
    let mut statics = statics::collect(content_dir, &mut diagnostics);
    let map = territory.as_ref().map(|t| MapData::build(t, today));
    let maplibre = map.is_some()
        && match map::maplibre_files(&mut diagnostics) {
            Some(files) => {
                statics.extend(files);
                true
            }
            None => false,
        };
    let Some(config) = config else {
        return Err(sorted(diagnostics));
    };
    let posters = posters::load(
        content_dir,
        &config,
        territory.as_ref(),
        today,
        &mut diagnostics,
    );

    let placeholders = Placeholders::new(&config);
    let rendered: Vec<(markdown::Rendered, Vec<Diagnostic>)> = all_documents
        .par_iter()
        .map(|d| {
            let mut ds = Vec::new();
            let r = markdown::render(&d.source, d.body_start, &placeholders, &mut ds);
            (r, ds)
        })
        .collect();

    let mut documents = Vec::with_capacity(all_documents.len());
    let mut html = Vec::with_capacity(all_documents.len());
    let mut links = Vec::with_capacity(all_documents.len());
    for (document, (r, ds)) in all_documents.into_iter().zip(rendered) {
        diagnostics.extend(ds);
        if let (Some(name), Some(t)) = (&document.front.template, &templates)
            && !t.exists(name)
        {
            diagnostics.push(document.source.error(
                0,
                format!("modèle « {name} » introuvable"),
                "retirez la ligne template = … ou créez ce fichier dans content/templates/",
            ));
        }
        if !document.front.draft {
            documents.push(document);
            html.push(r.html);
            links.push(r.links);
        }
    }

    let letters = territory
        .as_ref()
        .map(tp::commune_index)
        .unwrap_or_default();
    let mut plan = plan(&documents, territory.as_ref(), &letters, &mut diagnostics);
    if let Some(m) = &map {
        plan_map(&mut plan, m, &documents, &mut diagnostics);
    }
    if posters.is_some() {
        plan_posters_page(&mut plan, &documents, &mut diagnostics);
    }
    if territory.is_some() {
        plan_figures_page(&mut plan, &documents, &mut diagnostics);
    }
    let poster_urls: Vec<String> = posters
        .iter()
        .flat_map(|p| p.files.iter().map(posters::PosterFile::url))
        .collect();
    let known: HashSet<&str> = plan
        .iter()
        .map(|p| p.url.as_str())
        .chain(statics.iter().map(|s| s.url.as_str()))
        .chain(poster_urls.iter().map(String::as_str))
        .chain(failed_urls.iter().map(String::as_str))
        // Served by the form handler, not built here.
        .chain(functions::web::LINKABLE_PAGES.iter().copied())
        .collect();
    for (document, links) in documents.iter().zip(&links) {
        for link in links {
            if let Some(target) = internal_target(&document.url, &link.destination)
                && !known.contains(target.as_str())
                && !unchecked_prefixes.iter().any(|p| target.starts_with(p))
            {
                diagnostics.push(document.source.error(
                    link.offset,
                    format!("lien interne cassé : aucune page à l'adresse « {target} »"),
                    suggest(&target, &known),
                ));
            }
        }
    }

    let Some(mut templates) = templates else {
        return Err(sorted(diagnostics));
    };
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(sorted(diagnostics));
    }
    let mut globals = globals(&config, &documents, territory.as_ref(), today);
    globals.posters_url = posters.as_ref().map(|_| posters::URL);
    globals.figures_url = territory.as_ref().map(|_| FIGURES_URL);
    templates.set_site(&globals);
    Ok(Site {
        config,
        today,
        documents,
        html,
        territory,
        templates,
        statics,
        letters,
        map,
        maplibre,
        plan,
        warnings: sorted(diagnostics),
        posters,
        poster_cache: None,
        figures: None,
    })
}

/// Diagnostics in the order they are shown: errors first, then by file and place.
pub(super) fn sorted(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics.sort_by(|a, b| {
        (a.severity, &a.file, a.line, a.column).cmp(&(b.severity, &b.file, b.line, b.column))
    });
    diagnostics.dedup();
    diagnostics
}

fn suggest(target: &str, known: &HashSet<&str>) -> String {
    let with_slash = format!("{target}/");
    if known.contains(with_slash.as_str()) {
        return format!("ajoutez la barre finale : « {with_slash} »");
    }
    let last = target
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    let mut similar: Vec<&&str> = known
        .iter()
        .filter(|u| !last.is_empty() && u.trim_end_matches('/').ends_with(last))
        .collect();
    similar.sort();
    match similar.first() {
        Some(u) => format!("vouliez-vous écrire « {u} » ?"),
        None => "corrigez l'adresse (elle commence par / et finit par /, par exemple /comment-ca-marche/) ou retirez le lien".into(),
    }
}

impl Site {
    /// Number of files the site will have (pages, feeds, static files).
    pub fn file_count(&self) -> usize {
        self.plan.len() + self.statics.len() + self.posters.as_ref().map_or(0, |p| p.files.len())
    }

    /// Keeps rendered posters in `dir` between builds (outside the swapped site folder), so that
    /// posters whose inputs did not change are not drawn again.
    pub fn with_poster_cache(mut self, dir: PathBuf) -> Self {
        self.poster_cache = Some(dir);
        self
    }

    /// Shows `figures` (computed from the handler's store) on the figures page.
    pub fn with_public_figures(mut self, figures: Option<PublicFigures>) -> Self {
        self.figures = figures;
        self
    }

    pub fn posters(&self) -> Option<&Posters> {
        self.posters.as_ref()
    }

    pub fn territory(&self) -> Option<&Territory> {
        self.territory.as_ref()
    }

    pub fn page_count(&self) -> usize {
        self.plan.iter().filter(|p| p.is_listed_page()).count()
    }

    pub fn statics(&self) -> &[StaticFile] {
        &self.statics
    }
}
