//! Files copied as they are: the built-in stylesheet, then everything under `content/static/`
//! (logos, images), which may replace a built-in file of the same name.

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
    files
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
