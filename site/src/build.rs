//! The site as a whole: load and check everything content/ holds, plan every output address, then
//! render each page (in parallel) to a sink.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use rayon::prelude::*;
use serde::Serialize;
use territory::{Diagnostic, Severity, Territory};

use crate::config::{self, Phone, SiteConfig};
use crate::content::{self, Document, Kind, Root, SortBy};
use crate::links::{file_for, internal_target};
use crate::map::{self, MapBlock, MapData};
use crate::markdown::{self, Placeholders};
use crate::posters::{self, Posters};
use crate::registration_pages;
use crate::statics::{self, StaticFile};
use crate::templates::Templates;
use crate::territory_pages::{self as tp, CptsLink, SINGLE_INDEX_MAX};
use territory::dates::french_long;

/// Root-level pages with a weight from this value on go to the footer (legal notice, privacy…).
const FOOTER_WEIGHT: i64 = 90;
const NEWS_ON_HOME: usize = 3;
/// Above this many CPTS, the footer links to the commune index instead of naming each CPTS.
const FOOTER_CPTS_MAX: usize = 12;
const SOURCES: &str =
    "Sources : INSEE (COG 2026), La Poste, DGCL, IGN Admin Express — Licence Ouverte";

pub struct Site {
    pub config: SiteConfig,
    pub today: NaiveDate,
    /// Published documents (drafts left out), with their HTML.
    documents: Vec<Document>,
    html: Vec<String>,
    territory: Option<Territory>,
    templates: Templates,
    statics: Vec<StaticFile>,
    letters: Vec<tp::LetterGroup>,
    /// Statuses, layers and SVG maps of the availability map (with a territory).
    map: Option<MapData>,
    /// MapLibre GL JS was found and is copied into the site.
    maplibre: bool,
    plan: Vec<Planned>,
    /// Problems that do not stop the build.
    pub warnings: Vec<Diagnostic>,
    /// Posters and social images, when there is a territory, a phone number and the font.
    posters: Option<Posters>,
    /// Where rendered posters are kept between builds (see `posters::cache`).
    poster_cache: Option<PathBuf>,
    /// Filled by `render`: what the posters cost.
    pub poster_report: std::sync::Mutex<Option<posters::Report>>,
}

#[derive(Clone, Copy)]
enum Job {
    Document(usize),
    Cpts(usize),
    Commune(usize),
    CommuneIndex,
    CommuneLetter(usize),
    MapPage,
    MapFile(usize),
    Feed,
    Sitemap,
    Robots,
    NotFound,
    /// The registration form, thank-you page and form assets (see `registration_pages`).
    Registration(registration_pages::Output),
    Posters,
}

struct Planned {
    url: String,
    job: Job,
}

impl Planned {
    fn is_listed_page(&self) -> bool {
        !matches!(
            self.job,
            Job::Feed
                | Job::Sitemap
                | Job::Robots
                | Job::NotFound
                | Job::MapFile(_)
                | Job::Registration(
                    registration_pages::Output::Css | registration_pages::Output::Js
                )
        )
    }
}

/// Loads and checks the whole content folder. All problems are reported together; warnings come
/// back with the site, errors instead of it.
pub fn load(content_dir: &Path, today: NaiveDate) -> Result<Site, Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let config = config::load(content_dir, &mut diagnostics);
    let content::Loaded {
        documents: all_documents,
        failed_urls,
    } = content::load(content_dir, &mut diagnostics);
    let territory_dir = content_dir.join("territory");
    let has_territory = territory_dir.is_dir();
    let territory = if has_territory {
        let loaded = territory::load(&territory_dir, today);
        diagnostics.extend(loaded.diagnostics);
        loaded.territory
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
        poster_report: std::sync::Mutex::new(None),
    })
}

/// The posters page, unless a content page already uses its address.
fn plan_posters_page(
    plan: &mut Vec<Planned>,
    documents: &[Document],
    diagnostics: &mut Vec<Diagnostic>,
) {
    if let Some(d) = documents.iter().find(|d| d.url == posters::URL) {
        diagnostics.push(d.source.error(
            0,
            format!(
                "l'adresse « {} » est réservée à la page des affiches",
                posters::URL
            ),
            "renommez ce fichier",
        ));
        return;
    }
    plan.push(Planned {
        url: posters::URL.to_string(),
        job: Job::Posters,
    });
}

/// The map page and its data files, unless a content page already uses the page's address.
fn plan_map(
    plan: &mut Vec<Planned>,
    m: &MapData,
    documents: &[Document],
    diagnostics: &mut Vec<Diagnostic>,
) {
    if let Some(d) = documents.iter().find(|d| d.url == map::PAGE_URL) {
        diagnostics.push(d.source.error(
            0,
            format!("l'adresse « {} » est réservée à la carte", map::PAGE_URL),
            "renommez ce fichier",
        ));
        return;
    }
    plan.push(Planned {
        url: map::PAGE_URL.to_string(),
        job: Job::MapPage,
    });
    plan.extend(m.files.iter().enumerate().map(|(i, f)| Planned {
        url: f.url.clone(),
        job: Job::MapFile(i),
    }));
}

fn sorted(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
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

/// Every address the site will have, and what renders it. Two things at one address is an error.
fn plan(
    documents: &[Document],
    territory: Option<&Territory>,
    letters: &[tp::LetterGroup],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Planned> {
    let mut plan = Vec::new();
    let mut taken: HashMap<String, usize> = HashMap::new();
    for (i, d) in documents.iter().enumerate() {
        if let Some(&other) = taken.get(&d.url) {
            diagnostics.push(d.source.error(
                0,
                format!("deux fichiers publient la même adresse « {} »", d.url),
                format!(
                    "renommez ce fichier ou « {} »",
                    documents[other].source.path.display()
                ),
            ));
            continue;
        }
        taken.insert(d.url.clone(), i);
        plan.push(Planned {
            url: d.url.clone(),
            job: Job::Document(i),
        });
    }
    let mut generated = Vec::new();
    if let Some(t) = territory {
        generated.extend(
            t.cpts
                .iter()
                .enumerate()
                .map(|(i, c)| (tp::cpts_url(c), Job::Cpts(i))),
        );
        generated.extend(
            t.communes
                .iter()
                .enumerate()
                .map(|(i, c)| (tp::commune_url(c), Job::Commune(i))),
        );
        generated.push((tp::COMMUNES_PREFIX.to_string(), Job::CommuneIndex));
        generated.extend(
            registration_pages::outputs()
                .into_iter()
                .map(|(url, output)| (url, Job::Registration(output))),
        );
        if t.communes.len() > SINGLE_INDEX_MAX {
            generated.extend(
                letters
                    .iter()
                    .enumerate()
                    .map(|(i, g)| (g.url.clone(), Job::CommuneLetter(i))),
            );
        }
    }
    if documents.iter().any(|d| d.root == Root::News) {
        generated.push((feed_url(), Job::Feed));
    }
    generated.push(("/sitemap.xml".into(), Job::Sitemap));
    generated.push(("/robots.txt".into(), Job::Robots));
    generated.push(("/404.html".into(), Job::NotFound));
    for (url, job) in generated {
        if let Some(&i) = taken.get(&url) {
            diagnostics.push(documents[i].source.error(
                0,
                format!("l'adresse « {url} » est réservée aux pages générées"),
                "renommez ce fichier",
            ));
            continue;
        }
        plan.push(Planned { url, job });
    }
    plan
}

fn feed_url() -> String {
    format!("{}atom.xml", Root::News.prefix())
}

#[derive(Serialize)]
struct NavLink {
    title: String,
    url: String,
}

#[derive(Serialize)]
struct Globals<'a> {
    title: &'a str,
    description: &'a str,
    base_url: &'a str,
    api_url: &'a str,
    demo: bool,
    phone: Option<&'a Phone>,
    menu: Vec<NavLink>,
    footer: Vec<NavLink>,
    cpts: Vec<CptsLink>,
    /// Whether every page's footer names the CPTS: yes on a local site, no on a national one,
    /// whose pages would otherwise each carry hundreds of links.
    cpts_in_footer: bool,
    news_url: Option<String>,
    feed_url: Option<String>,
    sources: Option<&'a str>,
    /// The posters page, when posters are built.
    posters_url: Option<&'static str>,
    year: i32,
    today: String,
}

fn globals<'a>(
    config: &'a SiteConfig,
    documents: &[Document],
    territory: Option<&Territory>,
    today: NaiveDate,
) -> Globals<'a> {
    let mut top: Vec<&Document> = documents
        .iter()
        .filter(|d| d.root == Root::Pages && d.parent.as_deref() == Some("/"))
        .collect();
    top.sort_by(|a, b| by_weight(a, b));
    let link = |d: &&Document| NavLink {
        title: d.front.title.clone(),
        url: d.url.clone(),
    };
    let mut menu = Vec::new();
    if documents.iter().any(|d| d.url == "/") {
        menu.push(NavLink {
            title: "Accueil".into(),
            url: "/".into(),
        });
    }
    menu.extend(
        top.iter()
            .filter(|d| d.front.weight.unwrap_or(0) < FOOTER_WEIGHT)
            .map(link),
    );
    if territory.is_some() {
        menu.push(NavLink {
            title: "Communes".into(),
            url: "/communes/".into(),
        });
        menu.push(NavLink {
            title: "Carte".into(),
            url: map::PAGE_URL.into(),
        });
        menu.push(NavLink {
            title: "Demander un médecin".into(),
            url: registration_pages::FORM_URL.into(),
        });
    }
    let news_url = documents
        .iter()
        .any(|d| d.root == Root::News)
        .then(|| Root::News.prefix().to_string());
    if let Some(url) = &news_url {
        let title = documents
            .iter()
            .find(|d| &d.url == url)
            .map_or("Actualités".to_string(), |d| d.front.title.clone());
        menu.push(NavLink {
            title,
            url: url.clone(),
        });
    }
    Globals {
        title: &config.title,
        description: &config.description,
        base_url: &config.base_url,
        api_url: &config.api_url,
        demo: config.demo,
        phone: config.phone.as_ref(),
        menu,
        footer: top
            .iter()
            .filter(|d| d.front.weight.unwrap_or(0) >= FOOTER_WEIGHT)
            .map(link)
            .collect(),
        cpts: territory
            .map(|t| t.cpts.iter().map(CptsLink::of).collect())
            .unwrap_or_default(),
        cpts_in_footer: territory.is_some_and(|t| t.cpts.len() <= FOOTER_CPTS_MAX),
        feed_url: news_url.as_ref().map(|_| feed_url()),
        news_url,
        sources: territory.map(|_| SOURCES),
        posters_url: None,
        year: today.year(),
        today: french_long(today),
    }
}

fn by_weight(a: &Document, b: &Document) -> std::cmp::Ordering {
    (a.front.weight.is_none(), a.front.weight, &a.front.title).cmp(&(
        b.front.weight.is_none(),
        b.front.weight,
        &b.front.title,
    ))
}

/// Every rendered page carries its address and canonical URL beside its own data.
#[derive(Serialize)]
struct Page<'a, T: Serialize> {
    url: &'a str,
    permalink: String,
    /// Absolute address of the page's link-preview image (Open Graph), when posters are built.
    og_image: Option<String>,
    #[serde(flatten)]
    data: T,
}

#[derive(Serialize)]
struct DocumentData<'a> {
    kind: &'static str,
    title: &'a str,
    description: &'a str,
    content: &'a str,
    date: Option<String>,
    date_fr: Option<String>,
    updated: Option<String>,
    updated_fr: Option<String>,
    extra: &'a toml::Table,
    pages: Vec<Summary<'a>>,
}

#[derive(Serialize)]
struct Summary<'a> {
    title: &'a str,
    description: &'a str,
    url: &'a str,
    date: Option<String>,
    date_fr: Option<String>,
}

#[derive(Serialize)]
struct IndexData<'a> {
    title: &'static str,
    description: String,
    letters: &'a [tp::LetterGroup],
    single_page: bool,
    count: usize,
}

#[derive(Serialize)]
struct SitemapEntry<'a> {
    permalink: String,
    lastmod: Option<String>,
    #[serde(skip)]
    _url: &'a str,
}

/// A territory page with its SVG map and the table beside it.
#[derive(Serialize)]
struct WithMap<T: Serialize> {
    #[serde(flatten)]
    data: T,
    map: Option<MapBlock>,
    status: Option<map::LegendItem>,
}

#[derive(Serialize)]
struct MapPageData {
    title: &'static str,
    description: &'static str,
    map: MapBlock,
    /// The interactive map's settings, for its script; `None` without MapLibre.
    interactive: Option<map::Interactive>,
}

#[derive(Serialize)]
struct PlainData {
    title: &'static str,
    description: &'static str,
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

    pub fn posters(&self) -> Option<&Posters> {
        self.posters.as_ref()
    }

    pub fn territory(&self) -> Option<&Territory> {
        self.territory.as_ref()
    }

    fn og_image(&self, url: &str) -> Option<String> {
        let (posters, territory) = (self.posters.as_ref()?, self.territory.as_ref()?);
        posters
            .share_image_for(territory, url)
            .map(|image| self.permalink(&image))
    }

    pub fn page_count(&self) -> usize {
        self.plan.iter().filter(|p| p.is_listed_page()).count()
    }

    pub fn statics(&self) -> &[StaticFile] {
        &self.statics
    }

    /// Renders every planned address and hands each file (path relative to the site root, bytes)
    /// to `sink`, in parallel.
    pub fn render(
        &self,
        sink: &(dyn Fn(&str, &[u8]) -> io::Result<()> + Sync),
    ) -> Result<(), Vec<Diagnostic>> {
        let errors: Vec<Diagnostic> = self
            .plan
            .par_iter()
            .filter_map(|planned| {
                let output = self.render_one(planned).and_then(|bytes| {
                    sink(&file_for(&planned.url), bytes.as_bytes())
                        .map_err(|e| write_error(&planned.url, e))
                });
                output.err()
            })
            .collect();
        if !errors.is_empty() {
            return Err(sorted(errors));
        }
        if let (Some(p), Some(territory)) = (&self.posters, &self.territory) {
            let report = p
                .render(territory, self.poster_cache.as_deref(), sink)
                .map_err(sorted)?;
            *self.poster_report.lock().expect("poster report lock") = Some(report);
        }
        Ok(())
    }

    fn permalink(&self, url: &str) -> String {
        format!("{}{}", self.config.base_url, url)
    }

    fn page<'a, T: Serialize>(&self, url: &'a str, data: T) -> Page<'a, T> {
        Page {
            url,
            permalink: self.permalink(url),
            og_image: self.og_image(url),
            data,
        }
    }

    fn render_one(&self, planned: &Planned) -> Result<String, Diagnostic> {
        let url = planned.url.as_str();
        let t = &self.templates;
        match planned.job {
            Job::Document(i) => {
                let d = &self.documents[i];
                let template = self.template_for(d);
                t.render(template, &self.page(url, self.document_data(i)))
                    .map_err(|e| locate_in(e, d))
            }
            Job::Cpts(i) => {
                let territory = self.territory.as_ref().expect("planned with a territory");
                let data = WithMap {
                    data: tp::cpts_page(territory, i, self.today),
                    map: self.map.as_ref().map(|m| m.cpts_block(territory, i)),
                    status: None,
                };
                t.render("cpts.html", &self.page(url, data))
            }
            Job::Commune(i) => {
                let territory = self.territory.as_ref().expect("planned with a territory");
                let data = WithMap {
                    data: tp::commune_page(territory, &territory.communes[i], self.today),
                    map: self
                        .map
                        .as_ref()
                        .filter(|m| m.has_commune_maps())
                        .map(|m| m.commune_block(territory, i)),
                    status: self.map.as_ref().map(|m| m.legend_of(i)),
                };
                t.render("commune.html", &self.page(url, data))
            }
            Job::CommuneIndex => {
                let count = self.territory.as_ref().map_or(0, |t| t.communes.len());
                let data = IndexData {
                    title: "Communes de A à Z",
                    description: format!(
                        "Les {count} communes du territoire : trouvez la vôtre pour voir les médecins qui acceptent de nouveaux patients à proximité."
                    ),
                    letters: &self.letters,
                    single_page: count <= SINGLE_INDEX_MAX,
                    count,
                };
                t.render("communes.html", &self.page(url, data))
            }
            Job::CommuneLetter(i) => {
                let data = IndexData {
                    title: "Communes de A à Z",
                    description: format!("Communes commençant par {}", self.letters[i].letter),
                    letters: std::slice::from_ref(&self.letters[i]),
                    single_page: true,
                    count: self.letters[i].communes.len(),
                };
                t.render("communes_letter.html", &self.page(url, data))
            }
            Job::MapPage => {
                let territory = self.territory.as_ref().expect("planned with a territory");
                let m = self.map.as_ref().expect("planned with a map");
                let data = MapPageData {
                    title: "Carte des médecins qui acceptent de nouveaux patients",
                    description: "Sur la carte du territoire, voyez pour chaque commune si des médecins généralistes acceptent de nouveaux patients à proximité, et que faire ensuite.",
                    map: m.territory_block(territory),
                    interactive: self
                        .maplibre
                        .then(|| map::Interactive::new(&self.config.map)),
                };
                t.render("carte.html", &self.page(url, data))
            }
            Job::MapFile(i) => {
                let m = self.map.as_ref().expect("planned with a map");
                Ok(String::from_utf8_lossy(&m.files[i].bytes).into_owned())
            }
            Job::Feed => {
                let mut news: Vec<usize> = (0..self.documents.len())
                    .filter(|&i| {
                        self.documents[i].root == Root::News && self.documents[i].kind == Kind::Page
                    })
                    .collect();
                news.sort_by(|&a, &b| {
                    self.documents[b]
                        .front
                        .date
                        .cmp(&self.documents[a].front.date)
                });
                let entries: Vec<_> = news.iter().map(|&i| self.feed_entry(i)).collect();
                let updated = news
                    .first()
                    .and_then(|&i| {
                        self.documents[i]
                            .front
                            .updated
                            .or(self.documents[i].front.date)
                    })
                    .unwrap_or(self.today);
                t.render(
                    "atom.xml",
                    &serde_json::json!({
                        "url": url,
                        "permalink": self.permalink(url),
                        "title": format!("{} — Actualités", self.config.title),
                        "updated": format!("{updated}T00:00:00Z"),
                        "entries": entries,
                    }),
                )
            }
            Job::Sitemap => {
                let entries: Vec<SitemapEntry> = self
                    .plan
                    .iter()
                    .filter(|p| p.is_listed_page())
                    .map(|p| SitemapEntry {
                        permalink: self.permalink(&p.url),
                        lastmod: match p.job {
                            Job::Document(i) => {
                                let f = &self.documents[i].front;
                                f.updated.or(f.date).map(|d| d.to_string())
                            }
                            _ => None,
                        },
                        _url: &p.url,
                    })
                    .collect();
                t.render(
                    "sitemap.xml",
                    &serde_json::json!({ "url": url, "entries": entries }),
                )
            }
            Job::Robots => t.render(
                "robots.txt",
                &serde_json::json!({ "url": url, "sitemap": self.permalink("/sitemap.xml") }),
            ),
            Job::Posters => {
                let (p, territory) = (
                    self.posters.as_ref().expect("planned with posters"),
                    self.territory.as_ref().expect("posters need a territory"),
                );
                let data = serde_json::json!({
                    "title": "Affiches et images à partager",
                    "description": "Affiches à imprimer (A4, A3, flyer A5) et images pour les réseaux sociaux, avec le numéro unique et le QR code d'inscription.",
                    "groups": p.page_groups(territory),
                    "edition": posters::edition(self.today),
                });
                t.render("affiches.html", &self.page(url, data))
            }
            Job::Registration(output) => {
                use registration_pages::Output;
                let territory = self.territory.as_ref().expect("planned with a territory");
                match output {
                    Output::Form => t.render(
                        "inscription.html",
                        &self.page(url, registration_pages::form_page(&self.config, territory)),
                    ),
                    Output::Thanks => t.render(
                        "merci.html",
                        &self.page(url, registration_pages::thanks_page(&self.config)),
                    ),
                    Output::Css => Ok(functions::form::CSS.to_string()),
                    Output::Js => Ok(functions::form::JS.to_string()),
                }
            }
            Job::NotFound => t.render(
                "404.html",
                &self.page(
                    url,
                    PlainData {
                        title: "Page introuvable",
                        description: "Cette page n'existe pas ou a été déplacée.",
                    },
                ),
            ),
        }
    }

    fn template_for<'a>(&self, d: &'a Document) -> &'a str {
        if let Some(name) = &d.front.template {
            return name;
        }
        match (d.root, d.kind, d.url.as_str()) {
            (Root::Pages, Kind::Section, "/") => "index.html",
            (Root::News, Kind::Section, _) => "news.html",
            (Root::News, Kind::Page, _) => "news_post.html",
            (_, Kind::Section, _) => "section.html",
            (_, Kind::Page, _) => "page.html",
        }
    }

    fn summary(&self, i: usize) -> Summary<'_> {
        let d = &self.documents[i];
        Summary {
            title: &d.front.title,
            description: &d.front.description,
            url: &d.url,
            date: d.front.date.map(|x| x.to_string()),
            date_fr: d.front.date.map(french_long),
        }
    }

    fn document_data(&self, i: usize) -> DocumentData<'_> {
        let d = &self.documents[i];
        let pages = match (d.kind, d.url.as_str()) {
            // The home page shows the latest news rather than the root pages (those are in the menu).
            (Kind::Section, "/") => self
                .children(Root::News.prefix(), Root::News, Kind::Page)
                .into_iter()
                .take(NEWS_ON_HOME)
                .collect(),
            (Kind::Section, url) => self.children(url, d.root, Kind::Page),
            (Kind::Page, _) => Vec::new(),
        };
        DocumentData {
            kind: if d.kind == Kind::Section {
                "section"
            } else {
                "page"
            },
            title: &d.front.title,
            description: &d.front.description,
            content: &self.html[i],
            date: d.front.date.map(|x| x.to_string()),
            date_fr: d.front.date.map(french_long),
            updated: d.front.updated.map(|x| x.to_string()),
            updated_fr: d.front.updated.map(french_long),
            extra: &d.front.extra,
            pages,
        }
    }

    /// The published pages of the section at `url`, in the section's order.
    fn children(&self, url: &str, root: Root, kind: Kind) -> Vec<Summary<'_>> {
        let sort_by = self
            .documents
            .iter()
            .find(|d| d.url == url && d.root == root)
            .and_then(|d| d.front.sort_by)
            .unwrap_or(if root == Root::News {
                SortBy::Date
            } else {
                SortBy::Weight
            });
        let mut children: Vec<usize> = (0..self.documents.len())
            .filter(|&i| {
                let d = &self.documents[i];
                d.root == root && d.kind == kind && d.parent.as_deref() == Some(url)
            })
            .collect();
        let docs = &self.documents;
        match sort_by {
            SortBy::Date => children.sort_by(|&a, &b| {
                docs[b]
                    .front
                    .date
                    .cmp(&docs[a].front.date)
                    .then_with(|| docs[a].front.title.cmp(&docs[b].front.title))
            }),
            SortBy::Weight => children.sort_by(|&a, &b| by_weight(&docs[a], &docs[b])),
            SortBy::Title => {
                children.sort_by(|&a, &b| docs[a].front.title.cmp(&docs[b].front.title))
            }
        }
        children.into_iter().map(|i| self.summary(i)).collect()
    }

    fn feed_entry(&self, i: usize) -> serde_json::Value {
        let d = &self.documents[i];
        let date = d.front.date.unwrap_or(self.today);
        serde_json::json!({
            "title": d.front.title,
            "permalink": self.permalink(&d.url),
            "summary": d.front.description,
            "content": self.html[i],
            "published": format!("{date}T00:00:00Z"),
            "updated": format!("{}T00:00:00Z", d.front.updated.unwrap_or(date)),
        })
    }
}

/// A template error while rendering a document also names the document.
fn locate_in(mut e: Diagnostic, d: &Document) -> Diagnostic {
    e.message = format!("{} (en affichant {})", e.message, d.source.path.display());
    e
}

fn write_error(url: &str, e: io::Error) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: PathBuf::from(file_for(url)),
        line: 1,
        column: 1,
        message: format!("impossible d'écrire le fichier ({e})"),
        fix: "vérifiez l'espace disque et les droits du dossier de sortie".into(),
    }
}
