//! Load and check: site.toml, the markdown pages, the territory, the templates, the static files
//! and the posters become one validated `Site`, or every problem found, located, at once.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use functions::domain::public_figures::PublicFigures;
use rayon::prelude::*;
use territory::dates::french_long;
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
    statics::case_collisions(&statics, &mut diagnostics);
    let map = territory.as_ref().map(|t| MapData::build(t, today));
    let maplibre = map.is_some()
        && match map::maplibre_files(&mut diagnostics) {
            Some(files) => {
                statics.extend(files);
                true
            }
            None => false,
        };
    // A broken site.toml does not hide the other files' problems: the pages are still checked,
    // with every placeholder name accepted, and the load stops after.
    let posters = config.as_ref().and_then(|config| {
        posters::load(
            content_dir,
            config,
            territory.as_ref(),
            today,
            &mut diagnostics,
        )
    });
    let placeholders = match &config {
        Some(config) => Placeholders::new(config),
        None => Placeholders::any(),
    };
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
    let mut images = Vec::with_capacity(all_documents.len());
    let mut anchors = Vec::with_capacity(all_documents.len());
    // Future news, by address: published on their date, not before.
    let mut scheduled: Vec<(String, NaiveDate)> = Vec::new();
    for (mut document, (r, ds)) in all_documents.into_iter().zip(rendered) {
        diagnostics.extend(ds);
        if let Some(date) = news_date(&document, today, &mut diagnostics) {
            scheduled.push((document.url.clone(), date));
            continue;
        }
        if let (Some(name), Some(t)) = (&document.front.template, &templates)
            && !t.exists(name)
        {
            // A Zola site names its own templates: the page is built with the default one.
            let at = document.source.find_nth("template", 0).unwrap_or(0);
            diagnostics.push(document.source.warning(
                at,
                format!("modèle « {name} » introuvable : le modèle par défaut est utilisé"),
                "retirez la ligne template = … ou créez ce fichier dans content/templates/",
            ));
            document.front.template = None;
        }
        if !document.front.draft {
            documents.push(document);
            html.push(r.html);
            links.push(r.links);
            images.push(r.images);
            anchors.push(r.anchors);
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
    // Without site.toml there are no posters: links to their page are not reported either.
    let unchecked_posters: &[&str] = if config.is_none() {
        &[posters::URL]
    } else {
        &[]
    };
    let known: HashSet<&str> = plan
        .iter()
        .map(|p| p.url.as_str())
        .chain(statics.iter().map(|s| s.url.as_str()))
        .chain(poster_urls.iter().map(String::as_str))
        .chain(failed_urls.iter().map(String::as_str))
        // Served by the form handler, not built here.
        .chain(functions::web::LINKABLE_PAGES.iter().copied())
        .collect();
    let anchors_of: HashMap<&str, &HashSet<String>> = documents
        .iter()
        .map(|d| d.url.as_str())
        .zip(&anchors)
        .collect();
    for (document, links) in documents.iter().zip(&links) {
        for link in links {
            match internal_target(&document.url, &link.destination) {
                Some(target) if !known.contains(target.as_str()) => {
                    if unchecked_prefixes
                        .iter()
                        .chain(unchecked_posters)
                        .any(|p| target.starts_with(p))
                    {
                        continue;
                    }
                    if let Some((_, date)) = scheduled.iter().find(|(u, _)| *u == target) {
                        diagnostics.push(document.source.warning(
                            link.offset,
                            format!(
                                "lien vers l'actualité « {target} », publiée le {} seulement",
                                french_long(*date)
                            ),
                            "jusqu'à cette date le lien mène à une page introuvable : publiez ce texte le même jour, ou retirez le lien",
                        ));
                        continue;
                    }
                    diagnostics.push(document.source.error(
                        link.offset,
                        format!("lien interne cassé : aucune page à l'adresse « {target} »"),
                        suggest(&target, &known),
                    ));
                }
                target => check_anchor(
                    document,
                    link,
                    target.as_deref(),
                    &anchors_of,
                    &mut diagnostics,
                ),
            }
        }
    }
    for (document, images) in documents.iter().zip(&images) {
        for image in images {
            if let Some(target) = internal_target(&document.url, &image.destination)
                && !known.contains(target.as_str())
                && !unchecked_prefixes.iter().any(|p| target.starts_with(p))
            {
                let near = similar(&target, &known)
                    .map(|u| format!(" ; vouliez-vous écrire « {u} » ?"))
                    .unwrap_or_default();
                diagnostics.push(document.source.error(
                    image.offset,
                    format!("image introuvable : « {} » (adresse « {target} »)", image.destination),
                    format!(
                        "placez le fichier à côté de la page (dans son dossier, avec index.md) ou dans content/static/, et vérifiez le nom, majuscules comprises{near}"
                    ),
                ));
            }
        }
    }

    let (Some(config), Some(mut templates)) = (config, templates) else {
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

/// Ids every page has from the layout (the skip link's target).
const LAYOUT_ANCHORS: &[&str] = &["contenu"];

/// A link's `#anchor` must be an id of the page it leads to (a heading's), when that page is a
/// document: `#…` alone is the document's own.
fn check_anchor(
    document: &Document,
    link: &markdown::Link,
    target: Option<&str>,
    anchors_of: &HashMap<&str, &HashSet<String>>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let destination = link.destination.trim();
    let Some((_, fragment)) = destination.split_once('#') else {
        return;
    };
    let page = match target {
        Some(t) => t,
        None if destination.starts_with('#') => document.url.as_str(),
        None => return,
    };
    let Some(ids) = anchors_of.get(page) else {
        return;
    };
    if fragment.is_empty() || ids.contains(fragment) || LAYOUT_ANCHORS.contains(&fragment) {
        return;
    }
    let mut known: Vec<&str> = ids.iter().map(String::as_str).collect();
    known.sort();
    let where_ = if page == document.url {
        "sur cette page".to_string()
    } else {
        format!("sur la page « {page} »")
    };
    diagnostics.push(document.source.error(
        link.offset,
        format!("ancre « #{fragment} » introuvable {where_}"),
        if known.is_empty() {
            "cette page n'a pas de titre (## …) : retirez « #… » du lien".to_string()
        } else {
            format!(
                "écrivez l'ancre d'un titre de la page : {}",
                known
                    .iter()
                    .map(|a| format!("#{a}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
    ));
}

/// A news post needs a date (an error without one); dated after `today`, it is published on that
/// date and not before: its date is returned and a note says so.
fn news_date(
    document: &Document,
    today: NaiveDate,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<NaiveDate> {
    if document.root != content::Root::News || document.kind != content::Kind::Page {
        return None;
    }
    let front_start = document.source.text.find("title").unwrap_or(0);
    // A date written wrong is already reported on its own line.
    let date_written = document.source.text[..document.body_start.min(document.source.text.len())]
        .lines()
        .any(|l| {
            l.trim_start()
                .strip_prefix("date")
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        });
    match document.front.date {
        None if date_written => None,
        None => {
            diagnostics.push(document.source.error(
                front_start,
                "actualité sans date",
                format!("ajoutez dans l'en-tête une ligne date = {today} (la date de publication, AAAA-MM-JJ)"),
            ));
            None
        }
        Some(date) if date > today && !document.front.draft => {
            let at = document.source.text.find("\ndate").map_or(0, |i| i + 1);
            diagnostics.push(document.source.warning(
                at,
                format!(
                    "actualité datée du {} : elle sera publiée ce jour-là, pas avant",
                    french_long(date)
                ),
                "rien à faire si c'est voulu ; sinon corrigez la date",
            ));
            Some(date)
        }
        Some(_) => None,
    }
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
    match similar(target, known) {
        Some(u) => format!("vouliez-vous écrire « {u} » ?"),
        None => "corrigez l'adresse (elle commence par / et finit par /, par exemple /comment-ca-marche/) ou retirez le lien".into(),
    }
}

/// The known address nearest to `target`: one whose last segment contains the target's, in the
/// same folder first, then one starting with it (`/communes/rethel/` → `/communes/rethel-08362/`),
/// then the shortest.
fn similar<'a>(target: &str, known: &HashSet<&'a str>) -> Option<&'a str> {
    let split = |url: &str| -> (String, String) {
        let trimmed = url.trim_end_matches('/');
        match trimmed.rsplit_once('/') {
            Some((parent, last)) => (format!("{parent}/"), last.to_string()),
            None => (String::new(), trimmed.to_string()),
        }
    };
    let (parent, last) = split(target);
    if last.is_empty() {
        return None;
    }
    known
        .iter()
        .filter_map(|&u| {
            let (p, l) = split(u);
            l.contains(last.as_str())
                .then(|| ((p != parent, !l.starts_with(last.as_str()), l.len(), u), u))
        })
        .min()
        .map(|(_, u)| u)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commune_without_its_code_is_suggested_with_it() {
        let known: HashSet<&str> = [
            "/actualites/permanence-rethel/",
            "/communes/rethel-08362/",
            "/communes/sault-les-rethel-08401/",
        ]
        .into_iter()
        .collect();
        assert_eq!(
            suggest("/communes/rethel/", &known),
            "vouliez-vous écrire « /communes/rethel-08362/ » ?"
        );
        assert_eq!(
            suggest("/permanence-rethel/", &known),
            "vouliez-vous écrire « /actualites/permanence-rethel/ » ?"
        );
    }
}
