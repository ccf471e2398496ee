//! Posters whose inputs did not change are not drawn again. Each output's key is a hash of
//! everything it is made from (its SVG, which holds every text, colour, logo and the map, plus
//! the format, the font files and the renderer version). Rendered files are kept under
//! `OUT/.cache/affiches/<key>.<ext>`, beside `OUT/site`, so they survive the swap of the site folder.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

/// Change it when the rendering code changes the output for the same SVG.
const RENDERER: &str = "cpts-affiches-1";

pub fn key(svg: &str, format: &str, extension: &str, font_fingerprint: &[u8; 32]) -> String {
    let mut hasher = Sha256::new();
    for part in [
        RENDERER.as_bytes(),
        format.as_bytes(),
        extension.as_bytes(),
        font_fingerprint,
        svg.as_bytes(),
    ] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub struct Cache {
    dir: PathBuf,
    used: Mutex<HashSet<String>>,
}

impl Cache {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            used: Mutex::new(HashSet::new()),
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The bytes stored under `key.extension`, if any.
    pub fn get(&self, key: &str, extension: &str) -> Option<Vec<u8>> {
        let name = format!("{key}.{extension}");
        let bytes = fs::read(self.file(&name)).ok()?;
        self.used.lock().expect("cache lock").insert(name);
        Some(bytes)
    }

    /// Stores `bytes`; a cache that cannot be written only costs time next build.
    pub fn put(&self, key: &str, extension: &str, bytes: &[u8]) {
        let name = format!("{key}.{extension}");
        let temporary = self.file(&format!("{name}.tmp-{}", std::process::id()));
        let stored = fs::create_dir_all(&self.dir)
            .and_then(|()| fs::write(&temporary, bytes))
            .and_then(|()| fs::rename(&temporary, self.file(&name)));
        if stored.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        self.used.lock().expect("cache lock").insert(name);
    }

    /// Removes the files this build did not use (older versions of the posters).
    pub fn prune(&self) {
        let used = self.used.lock().expect("cache lock");
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !used.contains(&name) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}
