//! Markdown documents under `pages/` and `news/`: TOML front matter between `+++` lines (Zola's
//! convention), `_index.md` for a section, `a/b.md` published at `/a/b/`.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;
use territory::{Diagnostic, SourceFile, diagnostic::toml_diagnostic};

/// The folders of markdown content, each published under its own address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    /// `pages/`, published under `/`.
    Pages,
    /// `news/`, published under `/actualites/` with an Atom feed.
    News,
}

impl Root {
    pub const ALL: [Root; 2] = [Root::Pages, Root::News];

    /// The folder of `content/` this root is read from.
    pub fn folder(self) -> &'static str {
        match self {
            Root::Pages => "pages",
            Root::News => "news",
        }
    }

    /// The address its documents are published under.
    pub fn prefix(self) -> &'static str {
        match self {
            Root::Pages => "/",
            Root::News => "/actualites/",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `_index.md`: a section, listing the pages beside it.
    Section,
    Page,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Weight,
    Date,
    Title,
}

#[derive(Debug, Clone, Default)]
pub struct FrontMatter {
    pub title: String,
    pub description: String,
    pub date: Option<NaiveDate>,
    pub updated: Option<NaiveDate>,
    pub draft: bool,
    pub weight: Option<i64>,
    pub template: Option<String>,
    pub sort_by: Option<SortBy>,
    /// Zola's `slug`: the last part of the address, instead of the file's name.
    pub slug: Option<String>,
    /// Zola's `path`: the whole address, instead of the file's place.
    pub path: Option<String>,
    /// Zola's `aliases`: former addresses that redirect here, with their byte offset in the file.
    pub aliases: Vec<(String, usize)>,
    pub extra: toml::Table,
}

pub struct Document {
    pub kind: Kind,
    /// Root-relative address, always ending with '/': "/", "/a/", "/a/b/".
    pub url: String,
    /// Address of the section this document belongs to (none for a root's own `_index.md`).
    pub parent: Option<String>,
    /// Which folder it comes from.
    pub root: Root,
    pub front: FrontMatter,
    pub source: SourceFile,
    /// Byte offset of the markdown body in `source.text`.
    pub body_start: usize,
}

/// The front-matter keys cpts reads.
const KEYS: &[&str] = &[
    "title",
    "description",
    "date",
    "updated",
    "draft",
    "weight",
    "template",
    "sort_by",
    "slug",
    "path",
    "aliases",
    "extra",
];

/// Zola front-matter keys cpts does not use: a Zola site's content builds, with a warning for each.
const ZOLA_IGNORED: &[&str] = &[
    "authors",
    "in_search_index",
    "taxonomies",
    "paginate_by",
    "paginate_path",
    "paginate_reversed",
    "insert_anchor_links",
    "render",
    "redirect_to",
    "transparent",
    "page_template",
    "generate_feed",
    "generate_feeds",
    "lang",
];

/// Every markdown document of `content_dir`'s roots. Drafts are kept here (check validates them
/// too) and left out by the build.
pub struct Loaded {
    pub documents: Vec<Document>,
    /// Addresses of the files that could not be read: links to them are not reported as broken,
    /// the file's own error says what to fix.
    pub failed_urls: Vec<String>,
}

pub fn load(content_dir: &Path, diagnostics: &mut Vec<Diagnostic>) -> Loaded {
    let mut files = Vec::new();
    for root in Root::ALL {
        let dir = content_dir.join(root.folder());
        if dir.is_dir() {
            collect_markdown(&dir, &mut files, root, diagnostics);
        }
    }
    let parsed: Vec<(String, Option<Document>, Vec<Diagnostic>)> = {
        use rayon::prelude::*;
        files
            .into_par_iter()
            .map(|(path, root)| parse_file(content_dir, &path, root))
            .collect()
    };
    let mut loaded = Loaded {
        documents: Vec::with_capacity(parsed.len()),
        failed_urls: Vec::new(),
    };
    for (url, document, mut ds) in parsed {
        // A document with front-matter errors is kept: its body is checked too, and the build
        // stops on the errors anyway.
        match document {
            Some(d) => loaded.documents.push(d),
            None => loaded.failed_urls.push(url),
        }
        diagnostics.append(&mut ds);
    }
    loaded
}

fn collect_markdown(
    dir: &Path,
    files: &mut Vec<(PathBuf, Root)>,
    root: Root,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            diagnostics.push(Diagnostic {
                severity: territory::Severity::Error,
                file: dir.to_path_buf(),
                line: 1,
                column: 1,
                message: format!("dossier illisible ({e})"),
                fix: "vérifiez les droits du dossier".into(),
            });
            return;
        }
    };
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_markdown(&path, files, root, diagnostics);
        } else if path.extension().is_some_and(|e| e == "md") {
            files.push((path, root));
        }
    }
}

/// The document (when its front matter could be read at all), its address, and every problem
/// found in its front matter.
fn parse_file(
    content_dir: &Path,
    path: &Path,
    root: Root,
) -> (String, Option<Document>, Vec<Diagnostic>) {
    let prefix = root.prefix();
    let relative = path
        .strip_prefix(content_dir.join(root.folder()))
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/");
    let (kind, url, parent) = address(&relative, prefix);
    let mut diagnostics = Vec::new();
    let document = parse_document(path, root, kind, &url, parent, &mut diagnostics);
    let url = document.as_ref().map_or(url, |d| d.url.clone());
    (url, document, diagnostics)
}

fn parse_document(
    path: &Path,
    root: Root,
    kind: Kind,
    url: &str,
    parent: Option<String>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Document> {
    let source = match SourceFile::read(path) {
        Ok(s) => s,
        Err(d) => {
            diagnostics.push(d);
            return None;
        }
    };

    let text = source.text.strip_prefix('\u{feff}').unwrap_or(&source.text);
    // Blank lines before the opening `+++` are allowed.
    let text = text.trim_start_matches(|c: char| c.is_whitespace());
    let lead = source.text.len() - text.len();
    let Some(after_open) = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++\r\n"))
    else {
        diagnostics.push(source.error(
            lead,
            "en-tête (front matter) manquant",
            "commencez le fichier par une ligne « +++ », puis title = \"…\" et description = \"…\", puis une ligne « +++ »",
        ));
        return None;
    };
    let front_start = source.text.len() - after_open.len();
    let Some(close) = find_closing_fence(after_open) else {
        diagnostics.push(source.error(
            lead,
            "en-tête (front matter) non fermé",
            "ajoutez une ligne « +++ » après la dernière ligne de l'en-tête",
        ));
        return None;
    };
    let front_text = &after_open[..close];
    let body_start = front_start + close + after_open[close..].find('\n').map_or(3, |i| i + 1);

    let front = front_matter(&source, front_start, front_text, kind, diagnostics);
    let url = custom_address(&front, url);
    Some(Document {
        kind,
        url,
        parent,
        root,
        front,
        source,
        body_start,
    })
}

/// The address Zola's `path` or `slug` gives a document, or its file's address.
fn custom_address(front: &FrontMatter, url: &str) -> String {
    if let Some(path) = &front.path {
        let path = path.trim_matches('/');
        return if path.is_empty() {
            "/".into()
        } else {
            format!("/{path}/")
        };
    }
    if let Some(slug) = &front.slug {
        let trimmed = url.trim_end_matches('/');
        let parent = trimmed.rsplit_once('/').map_or("", |(p, _)| p);
        return format!("{parent}/{slug}/");
    }
    url.to_string()
}

/// Reads the front matter, reporting every problem in it: each TOML syntax error (the parser
/// recovers and goes on), each unknown key, each wrong value. Zola's keys that cpts does not use
/// are warnings.
fn front_matter(
    source: &SourceFile,
    front_start: usize,
    front_text: &str,
    kind: Kind,
    diagnostics: &mut Vec<Diagnostic>,
) -> FrontMatter {
    use toml::de::{DeTable, DeValue, ValueDeserializer};
    let (table, syntax_errors) = DeTable::parse_recoverable(front_text);
    for e in &syntax_errors {
        diagnostics.push(toml_diagnostic(source, front_start, e));
    }
    // A value on a line with a syntax error is already reported there.
    let broken_lines: Vec<usize> = syntax_errors
        .iter()
        .filter_map(|e| e.span())
        .map(|s| source.position(front_start + s.start).0)
        .collect();
    let mut front = FrontMatter::default();
    let mut title_wrong = false;
    for (key, value) in table.get_ref().iter() {
        let at = front_start + value.span().start;
        if broken_lines.contains(&source.position(at).0)
            || broken_lines.contains(&source.position(front_start + key.span().start).0)
        {
            title_wrong |= key.get_ref() == "title";
            continue;
        }
        let key_at = front_start + key.span().start;
        let name = key.get_ref().as_ref();
        let wrong = |diagnostics: &mut Vec<Diagnostic>, expected: &str, example: &str| {
            diagnostics.push(source.error(
                at,
                format!("« {name} » attend {expected}"),
                format!("écrivez par exemple {name} = {example}"),
            ));
        };
        let text = |diagnostics: &mut Vec<Diagnostic>| match value.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            _ => {
                wrong(diagnostics, "un texte entre guillemets droits", "\"…\"");
                None
            }
        };
        match name {
            "title" => match text(diagnostics) {
                Some(title) => front.title = title,
                None => title_wrong = true,
            },
            "description" => front.description = text(diagnostics).unwrap_or_default(),
            "date" => front.date = date(source, at, value.get_ref(), diagnostics),
            "updated" => front.updated = date(source, at, value.get_ref(), diagnostics),
            "draft" => match value.get_ref() {
                DeValue::Boolean(b) => front.draft = *b,
                _ => wrong(diagnostics, "true ou false", "true"),
            },
            "weight" => match value.get_ref() {
                DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                    Ok(n) => front.weight = Some(n),
                    Err(_) => wrong(diagnostics, "un nombre plus petit", "10"),
                },
                _ => wrong(diagnostics, "un nombre entier, en chiffres et sans guillemets", "10"),
            },
            "template" => front.template = text(diagnostics),
            "sort_by" => {
                front.sort_by = text(diagnostics).and_then(|s| match s.as_str() {
                    "weight" => Some(SortBy::Weight),
                    "date" => Some(SortBy::Date),
                    "title" => Some(SortBy::Title),
                    other => {
                        diagnostics.push(source.error(
                            at,
                            format!("tri « {other} » inconnu"),
                            "écrivez sort_by = \"weight\", \"date\" ou \"title\"",
                        ));
                        None
                    }
                })
            }
            "slug" | "path" if kind == Kind::Section => diagnostics.push(source.warning(
                key_at,
                format!("« {name} » est ignoré dans un _index.md"),
                "l'adresse d'une rubrique est celle de son dossier : renommez le dossier ou retirez cette ligne",
            )),
            "slug" => match text(diagnostics) {
                Some(slug) if is_slug(&slug) => front.slug = Some(slug),
                Some(slug) => diagnostics.push(source.error(
                    at,
                    format!("slug « {slug} » invalide"),
                    "écrivez des minuscules sans accent, des chiffres et des tirets, par exemple slug = \"horaires-de-garde\"",
                )),
                None => {}
            },
            "path" => match text(diagnostics) {
                Some(path) if path.trim_matches('/').split('/').all(is_slug) => {
                    front.path = Some(path)
                }
                Some(path) => diagnostics.push(source.error(
                    at,
                    format!("chemin « {path} » invalide"),
                    "écrivez des parties en minuscules sans accent séparées par /, par exemple path = \"aide/horaires\"",
                )),
                None => {}
            },
            "aliases" => match value.get_ref() {
                DeValue::Array(items) => {
                    for item in items.iter() {
                        let item_at = front_start + item.span().start;
                        match item.get_ref() {
                            DeValue::String(s) => match alias_url(s) {
                                Some(url) => front.aliases.push((url, item_at)),
                                None => diagnostics.push(source.error(
                                    item_at,
                                    format!("ancienne adresse « {s} » invalide"),
                                    "écrivez une adresse de ce site, sans http:// ni nom de domaine, par exemple aliases = [\"/ancienne-adresse/\"]",
                                )),
                            },
                            _ => diagnostics.push(source.error(
                                item_at,
                                "« aliases » attend des adresses entre guillemets",
                                "écrivez par exemple aliases = [\"/ancienne-adresse/\"]",
                            )),
                        }
                    }
                }
                _ => wrong(diagnostics, "une liste d'adresses", "[\"/ancienne-adresse/\"]"),
            },
            "extra" => {
                match toml::Table::deserialize(ValueDeserializer::from(value.clone())) {
                    Ok(t) => front.extra = t,
                    Err(_) => wrong(diagnostics, "une table", "{ couleur = \"bleu\" }"),
                }
            }
            ignored if ZOLA_IGNORED.contains(&ignored) => diagnostics.push(source.warning(
                key_at,
                format!("clé Zola « {ignored} » ignorée par cpts"),
                "retirez cette ligne si vous ne comptez pas revenir à Zola ; elle n'a pas d'effet ici",
            )),
            other => diagnostics.push(source.error(
                key_at,
                format!("clé inconnue « {other} »"),
                format!(
                    "supprimez cette clé ou corrigez son nom ; clés possibles : {}",
                    KEYS.join(", ")
                ),
            )),
        }
    }
    // A title the parser could not read is already reported on its line.
    let title_unreadable = syntax_errors.iter().any(|e| {
        e.span().is_some_and(|s| {
            source
                .line_at(front_start + s.start)
                .trim_start()
                .starts_with("title")
        })
    });
    if front.title.trim().is_empty() && !title_unreadable && !title_wrong {
        match kind {
            // Zola lets a section go without a title (one that only redirects, say): it is
            // titled after its folder, and told.
            Kind::Section => {
                front.title = section_title(source);
                diagnostics.push(source.warning(
                    front_start,
                    format!("rubrique sans titre : elle s'appelle « {} »", front.title),
                    "ajoutez une ligne title = \"…\" dans l'en-tête pour lui donner un vrai titre",
                ));
            }
            Kind::Page => diagnostics.push(source.error(
                front_start,
                "titre manquant",
                "ajoutez une ligne title = \"…\" dans l'en-tête",
            )),
        }
    }
    front
}

/// The name of the folder of a section's `_index.md`, as a title: « getting-started » →
/// « Getting started ».
fn section_title(source: &SourceFile) -> String {
    let folder = source
        .path
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().replace(['-', '_'], " "))
        .filter(|n| n != "pages")
        .unwrap_or_default();
    let mut chars = folder.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Accueil".to_string(),
    }
}

/// A date front-matter value: a TOML date (`2026-11-23`) or a text holding one.
fn date(
    source: &SourceFile,
    at: usize,
    value: &toml::de::DeValue<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<NaiveDate> {
    use toml::de::DeValue;
    let (parsed, written) = match value {
        DeValue::Datetime(dt) => (
            dt.date
                .and_then(|d| NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into())),
            dt.to_string(),
        ),
        DeValue::String(s) => (
            s.get(..10)
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
            s.to_string(),
        ),
        _ => (None, String::new()),
    };
    if parsed.is_none() {
        let (message, fix) = territory::diagnostic::date_hint(&written).unwrap_or_else(|| {
            (
                format!("date « {written} » invalide"),
                "écrivez une date réelle sous la forme AAAA-MM-JJ, par exemple date = 2026-11-23"
                    .into(),
            )
        });
        diagnostics.push(source.error(at, message, fix));
    }
    parsed
}

/// The site address a Zola alias names (`old/page`, `/old/page/` or `/old.html`), or `None` when it
/// is not an address of this site: a redirect never leads to another origin.
pub fn alias_url(alias: &str) -> Option<String> {
    let path = alias.trim().trim_start_matches('/');
    let allowed = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if path.is_empty() || alias.trim().starts_with("//") {
        return None;
    }
    let parts = path.trim_end_matches('/');
    if !parts.split('/').all(allowed) {
        return None;
    }
    Some(if parts.ends_with(".html") {
        format!("/{parts}")
    } else {
        format!("/{parts}/")
    })
}

/// Lower-case ASCII letters, digits and inner hyphens: what an address part may hold.
fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn find_closing_fence(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// The kind, address and parent section of a file at `relative` (inside its root) published
/// under `prefix`.
/// Each folder and file name is slugified as Zola does: `Pharmacies de garde é.md` is published at
/// `/pharmacies-de-garde-e/`.
pub fn address(relative: &str, prefix: &str) -> (Kind, String, Option<String>) {
    let stem = relative.strip_suffix(".md").unwrap_or(relative);
    let (kind, dir_path) = match stem.rsplit_once('/') {
        Some((dir, "_index")) => (Kind::Section, dir.to_string()),
        None if stem == "_index" => (Kind::Section, String::new()),
        Some((dir, "index")) => (Kind::Page, dir.to_string()),
        _ => (Kind::Page, stem.to_string()),
    };
    let dir_path = dir_path
        .split('/')
        .map(crate::slug::slugify)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/");
    let url = if dir_path.is_empty() {
        prefix.to_string()
    } else {
        format!("{prefix}{dir_path}/")
    };
    let parent = if url == prefix {
        None
    } else {
        let trimmed = url[..url.len() - 1].rsplit_once('/').map_or("", |(p, _)| p);
        Some(format!("{trimmed}/"))
    };
    (kind, url, parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_follow_zola() {
        assert_eq!(address("_index.md", "/"), (Kind::Section, "/".into(), None));
        assert_eq!(
            address("faq.md", "/"),
            (Kind::Page, "/faq/".into(), Some("/".into()))
        );
        assert_eq!(
            address("a/_index.md", "/"),
            (Kind::Section, "/a/".into(), Some("/".into()))
        );
        assert_eq!(
            address("a/b.md", "/"),
            (Kind::Page, "/a/b/".into(), Some("/a/".into()))
        );
        assert_eq!(
            address("a/b/index.md", "/"),
            (Kind::Page, "/a/b/".into(), Some("/a/".into()))
        );
        assert_eq!(
            address("Pharmacies de garde é.md", "/"),
            (
                Kind::Page,
                "/pharmacies-de-garde-e/".into(),
                Some("/".into())
            )
        );
        assert_eq!(
            address("Équipe Soignante/Index.md", "/"),
            (
                Kind::Page,
                "/equipe-soignante/index/".into(),
                Some("/equipe-soignante/".into())
            )
        );
        assert_eq!(
            address("lancement.md", "/actualites/"),
            (
                Kind::Page,
                "/actualites/lancement/".into(),
                Some("/actualites/".into())
            )
        );
    }
}
