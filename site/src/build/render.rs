//! Render: every planned address becomes a file, rendered through the templates in parallel and
//! handed to a sink; then the posters.

use std::io;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;
use territory::dates::french_long;
use territory::{Diagnostic, Severity};

use crate::content::{Document, Kind, Root};
use crate::links::file_for;
use crate::map::{self, MapBlock};
use crate::posters;
use crate::registration_pages;
use crate::territory_pages::{self as tp, SINGLE_INDEX_MAX};

use super::load::{Site, sorted};
use super::navigation;
use super::plan::{Job, Planned};

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
    /// Yes-or-no sentences about the doctors near a commune (never how many).
    facts: Vec<&'static str>,
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

/// What rendering produced besides the files it handed to the sink.
#[derive(Debug, Default)]
pub struct Rendered {
    /// What the posters cost, when posters are built.
    pub posters: Option<posters::Report>,
}

impl Site {
    fn og_image(&self, url: &str) -> Option<String> {
        let (posters, territory) = (self.posters.as_ref()?, self.territory.as_ref()?);
        posters
            .share_image_for(territory, url)
            .map(|image| self.permalink(&image))
    }

    /// Renders every planned address and hands each file (path relative to the site root, bytes)
    /// to `sink`, in parallel.
    pub fn render(
        &self,
        sink: &(dyn Fn(&str, &[u8]) -> io::Result<()> + Sync),
    ) -> Result<Rendered, Vec<Diagnostic>> {
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
        let posters = match (&self.posters, &self.territory) {
            (Some(p), Some(territory)) => Some(
                p.render(territory, self.poster_cache.as_deref(), sink)
                    .map_err(sorted)?,
            ),
            _ => None,
        };
        Ok(Rendered { posters })
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
            Job::Redirect(i) => {
                let d = &self.documents[i];
                let data = serde_json::json!({
                    "url": url,
                    "title": d.front.title,
                    "target": d.url,
                    "permalink": self.permalink(&d.url),
                });
                t.render("redirect.html", &data)
            }
            Job::Cpts(i) => {
                let territory = self.territory.as_ref().expect("planned with a territory");
                let data = WithMap {
                    data: tp::cpts_page(territory, i, self.today),
                    map: self.map.as_ref().map(|m| m.cpts_block(territory, i)),
                    status: None,
                    facts: Vec::new(),
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
                    facts: self.map.as_ref().map(|m| m.facts_of(i)).unwrap_or_default(),
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
                let news = navigation::news(&self.documents);
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
            Job::PublicFigures => {
                use functions::domain::public_figures::{HIDDEN_BELOW, ROUND_TO};
                let figures = self.figures.as_ref().filter(|f| !f.is_empty());
                let data = serde_json::json!({
                    "title": "Les chiffres",
                    "description": "Combien de personnes ont demandé un médecin traitant, combien en ont trouvé un, combien attendent encore : les chiffres de chaque CPTS et du territoire, par trimestre.",
                    "figures": figures,
                    "as_of_fr": figures.map(|f| french_long(f.as_of)),
                    "round_to": ROUND_TO,
                    "hidden_below": HIDDEN_BELOW,
                });
                t.render("chiffres.html", &self.page(url, data))
            }
            Job::Registration(output) => {
                use registration_pages::Output;
                let territory = self.territory.as_ref().expect("planned with a territory");
                match output {
                    Output::Form => {
                        let form = registration_pages::form_page_with(
                            &self.config,
                            territory,
                            |view| {
                                t.render(
                                    functions::web::form::TEMPLATE,
                                    &serde_json::json!({ "form": functions::web::form::context(view) }),
                                )
                            },
                        )?;
                        t.render("inscription.html", &self.page(url, form))
                    }
                    Output::Thanks => t.render(
                        "merci.html",
                        &self.page(url, registration_pages::thanks_page()),
                    ),
                    Output::Css => Ok(functions::web::form::CSS.to_string()),
                    Output::Js => Ok(functions::web::form::JS.to_string()),
                    Output::PaperCss => Ok(functions::web::form::PAPER_CSS.to_string()),
                }
            }
            Job::PaperForm(i) => {
                let territory = self.territory.as_ref().expect("planned with a territory");
                let paper = registration_pages::paper_page_with(
                    &self.config,
                    territory,
                    i,
                    |view| {
                        t.render(
                            functions::web::form::TEMPLATE,
                            &serde_json::json!({ "form": functions::web::form::paper_context(view) }),
                        )
                    },
                )?;
                t.render("inscription_papier.html", &self.page(url, paper))
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
        let pages = navigation::listed(&self.documents, i)
            .into_iter()
            .map(|j| self.summary(j))
            .collect();
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
