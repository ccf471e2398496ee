//! Files copied as they are: the built-in stylesheet, then everything under `content/static/`
//! (logos, images), which may replace a built-in file of the same name, then the files beside the
//! pages (`pages/equipe/index.md` + `photo.jpg` → `/equipe/photo.jpg`, as in Zola).

use std::path::{Path, PathBuf};

use territory::{Diagnostic, Severity};

const BUILTIN: &[(&str, &[u8])] = &[
    ("style.css", include_bytes!("../static/style.css")),
    ("carte/carte.js", include_bytes!("../static/carte.js")),
];

pub const STATIC_DIR: &str = "static";

pub enum Bytes {
    Builtin(&'static [u8]),
    File(PathBuf),
}

pub struct StaticFile {
    /// Path inside the site, '/'-separated, e.g. "logos/cpts.svg".
    pub path: String,
    /// Its address, e.g. "/logos/cpts.svg".
    pub url: String,
    pub bytes: Bytes,
}

pub fn collect(content_dir: &Path, diagnostics: &mut Vec<Diagnostic>) -> Vec<StaticFile> {
    let mut files: Vec<StaticFile> = BUILTIN
        .iter()
        .map(|(path, bytes)| StaticFile {
            path: path.to_string(),
            url: format!("/{path}"),
            bytes: Bytes::Builtin(bytes),
        })
        .collect();
    let root = content_dir.join(STATIC_DIR);
    if root.is_dir() {
        let mut found = Vec::new();
        walk(&root, &mut found, diagnostics);
        for path in found {
            let relative = path
                .strip_prefix(&root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            files.retain(|f| f.path != relative);
            files.push(StaticFile {
                url: format!("/{relative}"),
                path: relative,
                bytes: Bytes::File(path),
            });
        }
    }
    for root in crate::content::Root::ALL {
        files.extend(beside_pages(content_dir, root, diagnostics));
    }
    files
}

/// The files other than markdown under a root of pages, published in their page's folder (whose
/// name is slugified like the page's address).
fn beside_pages(
    content_dir: &Path,
    root: crate::content::Root,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<StaticFile> {
    let dir = content_dir.join(root.folder());
    if !dir.is_dir() {
        return Vec::new();
    }
    let mut found = Vec::new();
    walk(&dir, &mut found, diagnostics);
    found
        .into_iter()
        .filter(|p| p.extension().is_none_or(|e| e != "md"))
        // Not the files a system leaves beside others (`.DS_Store`…).
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
        })
        .map(|path| {
            let relative = path
                .strip_prefix(&dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            let (folder, name) = relative.rsplit_once('/').unwrap_or(("", &relative));
            let (_, folder_url, _) =
                crate::content::address(&format!("{folder}/_index.md"), root.prefix());
            let url = format!("{folder_url}{name}");
            StaticFile {
                path: url.trim_start_matches('/').to_string(),
                url,
                bytes: Bytes::File(path),
            }
        })
        .collect()
}

/// Files whose addresses differ only by case: on Windows and macOS one would replace the other,
/// and a link written with the other case works on one computer and not on the server.
pub fn case_collisions(files: &[StaticFile], diagnostics: &mut Vec<Diagnostic>) {
    let mut seen: std::collections::HashMap<String, &StaticFile> = Default::default();
    for f in files {
        if let Some(other) = seen.insert(f.url.to_lowercase(), f)
            && other.url != f.url
            && let Bytes::File(path) = &f.bytes
        {
            diagnostics.push(Diagnostic {
                severity: Severity::Error,
                file: path.clone(),
                line: 1,
                column: 1,
                message: format!(
                    "deux fichiers ne diffèrent que par les majuscules : « {} » et « {} »",
                    f.url, other.url
                ),
                fix: "renommez l'un des deux (de préférence tout en minuscules, sans espace ni accent)".into(),
            });
        }
    }
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>, diagnostics: &mut Vec<Diagnostic>) {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            paths.sort();
            for path in paths {
                if path.is_dir() {
                    walk(&path, found, diagnostics);
                } else {
                    found.push(path);
                }
            }
        }
        Err(e) => diagnostics.push(Diagnostic {
            severity: Severity::Error,
            file: dir.to_path_buf(),
            line: 1,
            column: 1,
            message: format!("dossier illisible ({e})"),
            fix: "vérifiez les droits du dossier".into(),
        }),
    }
}
