//! The posters' font: Inter (SIL Open Font License), installed by the system's package manager
//! (Debian `fonts-inter`), never committed. Loaded once per build; its advance widths let the
//! layout wrap lines before usvg shapes them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use svg2pdf::usvg::fontdb;

pub const FAMILY: &str = "Inter";
const FILES: [&str; 2] = ["Inter-Regular.otf", "Inter-Bold.otf"];
/// Where `apt-get install fonts-inter` puts the files; `CPTS_FONTS_DIR`, when set, replaces them.
const SYSTEM_DIRS: [&str; 3] = [
    "/usr/share/fonts/opentype/inter",
    "/usr/local/share/fonts/opentype/inter",
    "/usr/share/fonts/truetype/inter",
];
pub const INSTALL_HINT: &str = "installez la police libre Inter : « sudo apt-get install fonts-inter » (Debian, Ubuntu), ou placez Inter-Regular.otf et Inter-Bold.otf dans un dossier désigné par la variable CPTS_FONTS_DIR";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Weight {
    Regular,
    Bold,
}

pub struct Fonts {
    pub db: Arc<fontdb::Database>,
    /// Advance widths in ems, regular then bold.
    advances: [HashMap<char, f32>; 2],
    /// Hash of the font files, part of every poster's cache key.
    pub fingerprint: [u8; 32],
    pub dir: PathBuf,
}

impl Fonts {
    /// Finds and loads the font; `Err` names the files looked for.
    pub fn load() -> Result<Self, String> {
        // An explicit folder is the only place looked at: what it names is what is used.
        let dirs: Vec<PathBuf> = match std::env::var_os("CPTS_FONTS_DIR") {
            Some(dir) => vec![PathBuf::from(dir)],
            None => SYSTEM_DIRS.iter().map(PathBuf::from).collect(),
        };
        let dir = dirs
            .iter()
            .find(|d| FILES.iter().all(|f| d.join(f).is_file()))
            .ok_or_else(|| {
                format!(
                    "police « {FAMILY} » introuvable (fichiers {} cherchés dans {})",
                    FILES.join(" et "),
                    dirs.iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        Self::from_dir(dir)
    }

    fn from_dir(dir: &Path) -> Result<Self, String> {
        let mut db = fontdb::Database::new();
        let mut hasher = Sha256::new();
        let mut advances = [HashMap::new(), HashMap::new()];
        for (i, file) in FILES.iter().enumerate() {
            let path = dir.join(file);
            let bytes = std::fs::read(&path)
                .map_err(|e| format!("police illisible {} ({e})", path.display()))?;
            hasher.update(&bytes);
            let face = ttf_parser::Face::parse(&bytes, 0)
                .map_err(|e| format!("police invalide {} ({e})", path.display()))?;
            let em = f32::from(face.units_per_em());
            for c in (' '..='\u{17f}').chain("’«»–—…€\u{a0}\u{202f}".chars()) {
                if let Some(advance) = face.glyph_index(c).and_then(|g| face.glyph_hor_advance(g)) {
                    advances[i].insert(c, f32::from(advance) / em);
                }
            }
            db.load_font_data(bytes);
        }
        Ok(Self {
            db: Arc::new(db),
            advances,
            fingerprint: hasher.finalize().into(),
            dir: dir.to_path_buf(),
        })
    }

    /// Width of `text` set at `size`, without kerning (slightly wider than usvg's: safe for wrapping).
    pub fn width(&self, text: &str, size: f64, weight: Weight) -> f64 {
        let table = &self.advances[weight as usize];
        let ems: f32 = text
            .chars()
            .map(|c| table.get(&c).copied().unwrap_or(0.6))
            .sum();
        f64::from(ems) * size
    }

    /// `text` cut into lines no wider than `width`, at spaces (never inside a word).
    pub fn wrap(&self, text: &str, size: f64, weight: Weight, width: f64) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::new();
        for word in text.split(' ').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && self.width(&candidate, size, weight) > width {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}
