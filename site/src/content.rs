//! Markdown documents under `pages/` and `news/`: TOML front matter between `+++` lines (Zola's
//! convention), `_index.md` for a section, `a/b.md` published at `/a/b/`.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;
use territory::{Diagnostic, SourceFile, diagnostic::toml_diagnostic};
use toml::Spanned;

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrontMatter {
    title: Option<String>,
    #[serde(default)]
    description: String,
    date: Option<Spanned<toml::Value>>,
    updated: Option<Spanned<toml::Value>>,
    #[serde(default)]
    draft: bool,
    weight: Option<i64>,
    template: Option<String>,
    sort_by: Option<Spanned<String>>,
    #[serde(default)]
    extra: toml::Table,
}

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
    let parsed: Vec<Result<Document, (String, Vec<Diagnostic>)>> = {
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
    for result in parsed {
        match result {
            Ok(d) => loaded.documents.push(d),
            Err((url, mut ds)) => {
                loaded.failed_urls.push(url);
                diagnostics.append(&mut ds);
            }
        }
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

/// The document, or its address and what is wrong with it.
fn parse_file(
    content_dir: &Path,
    path: &Path,
    root: Root,
) -> Result<Document, (String, Vec<Diagnostic>)> {
    let prefix = root.prefix();
    let relative = path
        .strip_prefix(content_dir.join(root.folder()))
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/");
    let (kind, url, parent) = address(&relative, prefix);
    parse_document(path, root, kind, &url, parent).map_err(|ds| (url, ds))
}

fn parse_document(
    path: &Path,
    root: Root,
    kind: Kind,
    url: &str,
    parent: Option<String>,
) -> Result<Document, Vec<Diagnostic>> {
    let url = url.to_string();
    let source = SourceFile::read(path).map_err(|d| vec![d])?;

    let text = source.text.strip_prefix('\u{feff}').unwrap_or(&source.text);
    let bom = source.text.len() - text.len();
    let Some(after_open) = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++\r\n"))
    else {
        return Err(vec![source.error(
            bom,
            "en-tête (front matter) manquant",
            "commencez le fichier par une ligne « +++ », puis title = \"…\" et description = \"…\", puis une ligne « +++ »",
        )]);
    };
    let front_start = text.len() - after_open.len() + bom;
    let Some(close) = find_closing_fence(after_open) else {
        return Err(vec![source.error(
            bom,
            "en-tête (front matter) non fermé",
            "ajoutez une ligne « +++ » après la dernière ligne de l'en-tête",
        )]);
    };
    let front_text = &after_open[..close];
    let body_start = front_start + close + after_open[close..].find('\n').map_or(3, |i| i + 1);

    let raw: RawFrontMatter =
        toml::from_str(front_text).map_err(|e| vec![toml_diagnostic(&source, front_start, &e)])?;
    let mut errors = Vec::new();
    let date =
        |value: &Option<Spanned<toml::Value>>, errors: &mut Vec<Diagnostic>| {
            let value = value.as_ref()?;
            let parsed = match value.get_ref() {
                toml::Value::Datetime(dt) => dt.date.and_then(|d| {
                    NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into())
                }),
                toml::Value::String(s) => s
                    .get(..10)
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
                _ => None,
            };
            if parsed.is_none() {
                errors.push(source.error(
                front_start + value.span().start,
                format!("date « {} » invalide", value.get_ref().to_string().trim_matches('"')),
                "écrivez une date réelle sous la forme AAAA-MM-JJ, par exemple date = 2026-11-23",
            ));
            }
            parsed
        };
    let front = FrontMatter {
        date: date(&raw.date, &mut errors),
        updated: date(&raw.updated, &mut errors),
        title: raw.title.unwrap_or_default(),
        description: raw.description,
        draft: raw.draft,
        weight: raw.weight,
        template: raw.template,
        sort_by: raw
            .sort_by
            .as_ref()
            .and_then(|s| match s.get_ref().as_str() {
                "weight" => Some(SortBy::Weight),
                "date" => Some(SortBy::Date),
                "title" => Some(SortBy::Title),
                other => {
                    errors.push(source.error(
                        front_start + s.span().start,
                        format!("tri « {other} » inconnu"),
                        "écrivez sort_by = \"weight\", \"date\" ou \"title\"",
                    ));
                    None
                }
            }),
        extra: raw.extra,
    };
    if front.title.trim().is_empty() {
        errors.push(source.error(
            front_start,
            "titre manquant",
            "ajoutez une ligne title = \"…\" dans l'en-tête",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Document {
        kind,
        url,
        parent,
        root,
        front,
        source,
        body_start,
    })
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
