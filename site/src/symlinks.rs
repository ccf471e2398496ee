//! No symbolic link under `content/`: a link could publish any file of the machine (the signing
//! keys, the database, `/etc/passwd`) as a static file, a page or a template. Every reader of the
//! content folder (the build, the check, the handler's templates and territory) refuses them first.

use std::path::Path;

use territory::{Diagnostic, Severity};

/// One located error per symbolic link found under `content_dir` (the folder itself may be one).
/// Links are never followed, so a link to a folder is reported once and not entered.
pub fn refuse(content_dir: &Path) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    walk(content_dir, &mut found);
    found
}

fn walk(dir: &Path, found: &mut Vec<Diagnostic>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        // An unreadable folder is reported by the reader that needs it.
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        // `file_type` does not follow links.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_symlink() {
            let target = std::fs::read_link(&path)
                .map(|t| t.display().to_string())
                .unwrap_or_else(|_| "?".into());
            found.push(Diagnostic {
                severity: Severity::Error,
                file: path,
                line: 1,
                column: 1,
                message: format!(
                    "lien symbolique vers « {target} » refusé : il pourrait publier un fichier hors du dossier de contenu"
                ),
                fix: "remplacez le lien par une copie du fichier (ou du dossier) elle-même".into(),
            });
        } else if kind.is_dir() {
            walk(&path, found);
        }
    }
}
