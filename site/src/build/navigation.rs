//! Navigation: the menu, the footer and the other site-wide links every page carries, and the
//! pages a section lists, in the section's order (the home page lists the latest news).

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use territory::Territory;
use territory::dates::french_long;

use crate::config::{Phone, SiteConfig};
use crate::content::{Document, Kind, Root, SortBy};
use crate::map;
use crate::registration_pages;
use crate::territory_pages::CptsLink;

use super::plan::feed_url;

/// Root-level pages with a weight from this value on go to the footer (legal notice, privacy…).
const FOOTER_WEIGHT: i64 = 90;
const NEWS_ON_HOME: usize = 3;
/// Above this many CPTS, the footer links to the commune index instead of naming each CPTS.
const FOOTER_CPTS_MAX: usize = 12;
const SOURCES: &str =
    "Sources : INSEE (COG 2026), La Poste, DGCL, IGN Admin Express — Licence Ouverte";

#[derive(Serialize)]
struct NavLink {
    title: String,
    url: String,
}

/// What every page knows of the site (`site` in the templates).
#[derive(Serialize)]
pub(super) struct Globals<'a> {
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
    pub posters_url: Option<&'static str>,
    /// The public figures page, when there is a territory.
    pub figures_url: Option<&'static str>,
    year: i32,
    today: String,
    /// A doctor's pages only (the handler's): whom he reaches, instead of the patients' footer.
    contact: Option<functions::view::Contact>,
}

pub(super) fn globals<'a>(
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
        figures_url: None,
        year: today.year(),
        today: french_long(today),
        contact: None,
    }
}

fn by_weight(a: &Document, b: &Document) -> std::cmp::Ordering {
    (a.front.weight.is_none(), a.front.weight, &a.front.title).cmp(&(
        b.front.weight.is_none(),
        b.front.weight,
        &b.front.title,
    ))
}

/// The documents the document `i` lists: a section its pages, the home page the latest news (the
/// root pages are in the menu).
pub(super) fn listed(documents: &[Document], i: usize) -> Vec<usize> {
    let d = &documents[i];
    match (d.kind, d.url.as_str()) {
        (Kind::Section, "/") => {
            let mut news = children(documents, Root::News.prefix(), Root::News, Kind::Page);
            news.truncate(NEWS_ON_HOME);
            news
        }
        (Kind::Section, url) => children(documents, url, d.root, Kind::Page),
        (Kind::Page, _) => Vec::new(),
    }
}

/// The published pages of the section at `url`, in the section's order.
fn children(documents: &[Document], url: &str, root: Root, kind: Kind) -> Vec<usize> {
    let sort_by = documents
        .iter()
        .find(|d| d.url == url && d.root == root)
        .and_then(|d| d.front.sort_by)
        .unwrap_or(if root == Root::News {
            SortBy::Date
        } else {
            SortBy::Weight
        });
    let mut children: Vec<usize> = (0..documents.len())
        .filter(|&i| {
            let d = &documents[i];
            d.root == root && d.kind == kind && d.parent.as_deref() == Some(url)
        })
        .collect();
    let docs = documents;
    match sort_by {
        SortBy::Date => children.sort_by(|&a, &b| {
            docs[b]
                .front
                .date
                .cmp(&docs[a].front.date)
                .then_with(|| docs[a].front.title.cmp(&docs[b].front.title))
        }),
        SortBy::Weight => children.sort_by(|&a, &b| by_weight(&docs[a], &docs[b])),
        SortBy::Title => children.sort_by(|&a, &b| docs[a].front.title.cmp(&docs[b].front.title)),
    }
    children
}

/// The news posts, newest first (the Atom feed).
pub(super) fn news(documents: &[Document]) -> Vec<usize> {
    let mut news: Vec<usize> = (0..documents.len())
        .filter(|&i| documents[i].root == Root::News && documents[i].kind == Kind::Page)
        .collect();
    news.sort_by(|&a, &b| documents[b].front.date.cmp(&documents[a].front.date));
    news
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys of a serialised value, nested ones as `a.b`.
    fn keys(value: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
        if let serde_json::Value::Object(map) = value {
            for (k, v) in map {
                let key = format!("{prefix}{k}");
                keys(v, &format!("{key}."), out);
                out.push(key);
            }
        }
    }

    /// The handler's pages give the shared layout a `site` with every field the site's pages have.
    #[test]
    fn the_handler_sees_the_same_site_as_the_site() {
        let config: SiteConfig = toml::from_str(
            "title = \"T\"\nbase_url = \"https://t.example.org\"\n[phone]\nnumber = \"03 53 01 20 08\"\nhours = \"h\"\ncost = \"c\"\n",
        )
        .unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let site = serde_json::to_value(globals(&config, &[], None, today)).unwrap();
        let handler = serde_json::to_value(functions::view::Site {
            title: "T",
            description: "",
            base_url: "",
            api_url: "",
            demo: false,
            phone: Some(functions::view::SitePhone {
                number: "",
                international: "",
                hours: "",
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
            year: 2026,
            today: String::new(),
            contact: None,
        })
        .unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        keys(&site, "", &mut a);
        keys(&handler, "", &mut b);
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }
}
