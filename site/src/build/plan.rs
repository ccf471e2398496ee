//! The URL plan: every address the site will have and what renders it (a document, a territory
//! page, the map and its data, the feed, the posters page…). Two things at one address is an error.

use std::collections::HashMap;

use territory::{Diagnostic, Territory};

use crate::content::{Document, Root};
use crate::map::{self, MapData};
use crate::posters;
use crate::registration_pages;
use crate::territory_pages::{self as tp, SINGLE_INDEX_MAX};

/// What renders a planned address.
#[derive(Clone, Copy)]
pub(super) enum Job {
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
    /// The printable paper form of a CPTS.
    PaperForm(usize),
    Posters,
    /// A former address of a document (Zola's `aliases`), redirecting to it.
    Redirect(usize),
    /// The public figures (`/chiffres/`).
    PublicFigures,
}

/// An address of the site and what renders it.
pub(super) struct Planned {
    pub url: String,
    pub job: Job,
}

impl Planned {
    /// A page a visitor reads (listed in the sitemap and counted), not a feed or a data file.
    pub fn is_listed_page(&self) -> bool {
        !matches!(
            self.job,
            Job::Feed
                | Job::Sitemap
                | Job::Robots
                | Job::NotFound
                | Job::Redirect(_)
                | Job::MapFile(_)
                | Job::Registration(
                    registration_pages::Output::Css
                        | registration_pages::Output::Js
                        | registration_pages::Output::PaperCss
                )
        )
    }
}

/// Every address the site will have, and what renders it. Two things at one address is an error.
pub(super) fn plan(
    documents: &[Document],
    territory: Option<&Territory>,
    letters: &[tp::LetterGroup],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Planned> {
    let mut plan = Vec::new();
    let mut taken: HashMap<String, usize> = HashMap::new();
    for (i, d) in documents.iter().enumerate() {
        if let Some(&other) = taken.get(&d.url) {
            let other_path = &documents[other].source.path;
            let only_case = other_path.to_string_lossy().to_lowercase()
                == d.source.path.to_string_lossy().to_lowercase();
            diagnostics.push(d.source.error(
                0,
                if only_case {
                    format!(
                        "deux fichiers ne diffèrent que par les majuscules et publient la même adresse « {} »",
                        d.url
                    )
                } else {
                    format!("deux fichiers publient la même adresse « {} »", d.url)
                },
                format!(
                    "renommez ce fichier ou « {} » (de préférence tout en minuscules, sans espace ni accent)",
                    other_path.display()
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
    for (i, d) in documents.iter().enumerate() {
        for (alias, offset) in &d.front.aliases {
            if let Some(&other) = taken.get(alias) {
                diagnostics.push(d.source.error(
                    *offset,
                    format!("l'ancienne adresse « {alias} » est déjà une page"),
                    format!(
                        "retirez-la de aliases : « {} » est publiée à cette adresse",
                        documents[other].source.path.display()
                    ),
                ));
                continue;
            }
            taken.insert(alias.clone(), i);
            plan.push(Planned {
                url: alias.clone(),
                job: Job::Redirect(i),
            });
        }
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
        generated.extend(
            t.cpts
                .iter()
                .enumerate()
                .map(|(i, c)| (tp::paper_form_url(c), Job::PaperForm(i))),
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

/// The map page and its data files, unless a content page already uses the page's address.
pub(super) fn plan_map(
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

/// The posters page, unless a content page already uses its address.
pub(super) fn plan_posters_page(
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

/// The address of the public figures page.
pub const FIGURES_URL: &str = "/chiffres/";

/// The public figures page, unless a content page already uses its address.
pub(super) fn plan_figures_page(
    plan: &mut Vec<Planned>,
    documents: &[Document],
    diagnostics: &mut Vec<Diagnostic>,
) {
    if let Some(d) = documents.iter().find(|d| d.url == FIGURES_URL) {
        diagnostics.push(d.source.error(
            0,
            format!("l'adresse « {FIGURES_URL} » est réservée à la page des chiffres"),
            "renommez ce fichier",
        ));
        return;
    }
    plan.push(Planned {
        url: FIGURES_URL.to_string(),
        job: Job::PublicFigures,
    });
}

/// The Atom feed of the news.
pub(super) fn feed_url() -> String {
    format!("{}atom.xml", Root::News.prefix())
}
