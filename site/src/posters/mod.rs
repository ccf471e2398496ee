//! Print-ready posters and social images (issue #4), generated from the same content as the site:
//! definitions (`content/posters/*.toml`, with defaults for every CPTS and the whole territory),
//! a layout written as SVG (map of the territory, vector QR code to the registration form), then
//! vector PDFs with embedded fonts (svg2pdf) and PNGs (resvg). Unchanged posters come from a cache.

pub mod cache;
pub mod colours;
pub mod definitions;
pub mod fonts;
pub mod formats;
pub mod layout;
mod map;
mod qr;
pub mod render;
mod svg;

use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{Datelike, NaiveDate};
use rayon::prelude::*;
use serde::Serialize;
use territory::{Diagnostic, Severity, SourceFile, Territory};

use crate::config::SiteConfig;
use cache::Cache;
use definitions::{PosterSet, Target};
use fonts::Fonts;
use formats::{Format, Medium};
use layout::{Common, Drawn};
use territory::dates::french_long;

/// Where posters are published, and the page that lists them.
pub const URL: &str = "/affiches/";
/// The registration form (issue #5), on the site's base address.
pub const FORM_PATH: &str = "/inscription/";
pub const PRIVACY_PATH: &str = "/donnees-personnelles/";
/// The preview image of the print formats on the posters page, in pixels.
const PREVIEW_WIDTH: u32 = 280;

pub struct Posters {
    fonts: Fonts,
    pub sets: Vec<PosterSet>,
    site_title: String,
    phone: crate::config::Phone,
    base_url: String,
    edition: String,
    /// Every file, in a stable order.
    pub files: Vec<PosterFile>,
}

/// One published file: a format of a set, or the preview of a set's print formats.
pub struct PosterFile {
    pub set: usize,
    /// `None` for the preview image.
    pub format: Option<Format>,
    /// Path inside the site, e.g. "affiches/rethelois/affiche-rethelois-a4.pdf".
    pub path: String,
}

impl PosterFile {
    pub fn url(&self) -> String {
        format!("/{}", self.path)
    }
}

/// What rendering the posters did, for the build's timing line.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub files: usize,
    pub drawn: usize,
    pub reused: usize,
    pub seconds: f64,
    pub warnings: Vec<Diagnostic>,
}

fn warning(file: PathBuf, message: String, fix: &str) -> Diagnostic {
    Diagnostic {
        severity: Severity::Warning,
        file,
        line: 1,
        column: 1,
        message,
        fix: fix.into(),
    }
}

/// "Édition de novembre 2026".
pub fn edition(today: NaiveDate) -> String {
    let first = today.with_day(1).unwrap_or(today);
    format!(
        "Édition de {}",
        french_long(first).trim_start_matches("1er ")
    )
}

/// The site's address as people type it: no scheme, no trailing slash.
fn readable(base_url: &str, path: &str) -> String {
    let host = base_url
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    format!("{host}{}", path.trim_end_matches('/'))
}

/// Loads the poster definitions. Without a territory there is nothing to map and no poster;
/// without a phone number or without the font, posters are skipped with a warning that says why,
/// and the rest of the site is built.
pub fn load(
    content_dir: &Path,
    config: &SiteConfig,
    territory: Option<&Territory>,
    today: NaiveDate,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Posters> {
    let territory = territory?;
    let sets = definitions::load(content_dir, territory, diagnostics);
    let Some(phone) = config.phone.clone() else {
        diagnostics.push(warning(
            content_dir.join(crate::config::CONFIG_FILE),
            "pas de numéro de téléphone : les affiches ne sont pas générées".into(),
            "ajoutez la partie [phone] (number, hours, cost) dans site.toml",
        ));
        return None;
    };
    let fonts = match Fonts::load() {
        Ok(f) => f,
        Err(message) => {
            diagnostics.push(warning(
                content_dir.join(definitions::POSTERS_DIR),
                format!("{message} : les affiches ne sont pas générées, le reste du site l'est"),
                fonts::INSTALL_HINT,
            ));
            return None;
        }
    };
    let mut files = Vec::new();
    for (i, set) in sets.iter().enumerate() {
        let dir = format!("affiches/{}", set.id);
        if set.formats.iter().any(|f| f.extension() == "pdf") {
            files.push(PosterFile {
                set: i,
                format: None,
                path: format!("{dir}/apercu-{}.png", set.id),
            });
        }
        for &format in &set.formats {
            files.push(PosterFile {
                set: i,
                format: Some(format),
                path: format!(
                    "{dir}/affiche-{}-{}.{}",
                    set.id,
                    format.code(),
                    format.extension()
                ),
            });
        }
    }
    let posters = Posters {
        fonts,
        sets,
        site_title: config.title.clone(),
        phone,
        base_url: config.base_url.clone(),
        edition: edition(today),
        files,
    };
    overflows(&posters, territory, diagnostics);
    Some(posters)
}

/// A text that does not fit its poster is an error of the definition that set it: it names the
/// poster, the format and the longest text changed from the default (the likeliest culprit).
fn overflows(posters: &Posters, territory: &Territory, diagnostics: &mut Vec<Diagnostic>) {
    let jobs: Vec<(usize, Format)> = posters
        .sets
        .iter()
        .enumerate()
        .flat_map(|(i, set)| set.formats.iter().map(move |&f| (i, f)))
        .collect();
    let found: Vec<(usize, Format, f64)> = jobs
        .par_iter()
        .filter_map(|&(i, format)| {
            let drawn = posters.draw(territory, i, format).ok()?;
            (drawn.overflow > 0.0).then_some((i, format, drawn.overflow))
        })
        .collect();
    for (i, format, overflow) in found {
        let set = &posters.sets[i];
        let mm = (overflow * 25.4 / 72.0).ceil();
        let field = longest_changed_text(set);
        let source = set.source.as_ref().and_then(|p| SourceFile::read(p).ok());
        let message = format!(
            "affiche « {} » ({}) : le texte déborde de {mm:.0} mm sur le pied de page{}",
            set.id,
            format.code(),
            field.map_or(String::new(), |f| format!(
                " ; texte le plus long : « {f} »"
            ))
        );
        let fix = match field {
            Some(f) => format!(
                "raccourcissez « {f} » (ou un autre texte de cette affiche), ou retirez la ligne pour garder le texte par défaut"
            ),
            None => "raccourcissez les textes de cette affiche ou signalez le problème à l'équipe technique".to_string(),
        };
        diagnostics.push(match &source {
            Some(src) => {
                let at = field
                    .and_then(|f| src.text.find(&format!("\n{f}")).map(|o| o + 1))
                    .or_else(|| field.filter(|f| src.text.starts_with(f)).map(|_| 0))
                    .unwrap_or(0);
                src.error(at, message, fix)
            }
            None => Diagnostic {
                severity: Severity::Error,
                file: PathBuf::from(definitions::POSTERS_DIR),
                line: 1,
                column: 1,
                message,
                fix,
            },
        });
    }
}

/// The text of `set` changed from the default that grew the most, by its key in the definition.
fn longest_changed_text(set: &PosterSet) -> Option<&'static str> {
    let t = &set.texts;
    let steps = t.steps.join(" ");
    let default_steps = definitions::STEPS.join(" ");
    [
        ("headline", t.headline.as_str(), definitions::HEADLINE),
        (
            "subheadline",
            t.subheadline.as_str(),
            definitions::SUBHEADLINE,
        ),
        ("steps", steps.as_str(), default_steps.as_str()),
        ("priority", t.priority.as_str(), definitions::PRIORITY),
        ("help", t.help.as_str(), definitions::HELP),
    ]
    .into_iter()
    .filter(|(_, text, default)| text != default)
    .max_by_key(|(_, text, default)| text.chars().count() as i64 - default.chars().count() as i64)
    .map(|(key, _, _)| key)
}

impl Posters {
    pub fn common<'a>(&'a self, territory: &'a Territory) -> Common<'a> {
        Common {
            fonts: &self.fonts,
            territory,
            site_title: &self.site_title,
            phone_number: &self.phone.number,
            phone_hours: &self.phone.hours,
            phone_cost: &self.phone.cost,
            form_url: format!("{}{FORM_PATH}", self.base_url),
            short_address: readable(&self.base_url, FORM_PATH),
            privacy_address: readable(&self.base_url, PRIVACY_PATH),
            edition: self.edition.clone(),
        }
    }

    /// Draws one poster as SVG (also used by tests to check the print rules).
    pub fn draw(&self, territory: &Territory, set: usize, format: Format) -> Result<Drawn, String> {
        layout::draw(&self.common(territory), &self.sets[set], format)
    }

    /// The link-preview image of a set, if it has one.
    pub fn share_image(&self, set: usize) -> Option<String> {
        self.files
            .iter()
            .find(|f| f.set == set && f.format == Some(Format::Share))
            .map(PosterFile::url)
    }

    /// The link-preview image for the page at `url`: its CPTS's, else the territory's.
    pub fn share_image_for(&self, territory: &Territory, url: &str) -> Option<String> {
        let own = self.sets.iter().position(|s| match s.target {
            Target::Cpts(i) => crate::territory_pages::cpts_url(&territory.cpts[i]) == url,
            Target::Territory => false,
        });
        own.and_then(|i| self.share_image(i)).or_else(|| {
            let t = self
                .sets
                .iter()
                .position(|s| s.target == Target::Territory)?;
            self.share_image(t)
        })
    }

    /// Renders every file to `sink`, in parallel, reusing the cache in `cache_dir` when given.
    pub fn render(
        &self,
        territory: &Territory,
        cache_dir: Option<&Path>,
        sink: &(dyn Fn(&str, &[u8]) -> io::Result<()> + Sync),
    ) -> Result<Report, Vec<Diagnostic>> {
        let started = Instant::now();
        let common = self.common(territory);
        let cache = cache_dir.map(Cache::new);
        let results: Vec<Result<(bool, Option<Diagnostic>), Diagnostic>> = self
            .files
            .par_iter()
            .map(|file| self.render_file(&common, file, cache.as_ref(), sink))
            .collect();
        let mut report = Report {
            files: self.files.len(),
            ..Report::default()
        };
        let mut errors = Vec::new();
        for result in results {
            match result {
                Ok((drawn, warning)) => {
                    if drawn {
                        report.drawn += 1;
                    } else {
                        report.reused += 1;
                    }
                    report.warnings.extend(warning);
                }
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if let Some(cache) = &cache {
            cache.prune();
        }
        report.warnings.sort_by(|a, b| a.message.cmp(&b.message));
        report.warnings.dedup();
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// Returns whether the file was drawn (rather than taken from the cache), and a warning
    /// when its text does not fit.
    fn render_file(
        &self,
        common: &Common,
        file: &PosterFile,
        cache: Option<&Cache>,
        sink: &(dyn Fn(&str, &[u8]) -> io::Result<()> + Sync),
    ) -> Result<(bool, Option<Diagnostic>), Diagnostic> {
        let set = &self.sets[file.set];
        let format = file.format.unwrap_or(Format::A4);
        let located = |message: String| {
            Diagnostic {
            severity: Severity::Error,
            file: set
                .source
                .clone()
                .unwrap_or_else(|| PathBuf::from(&file.path)),
            line: 1,
            column: 1,
            message: format!("affiche {} : {message}", file.path),
            fix: "raccourcissez les textes de cette affiche ou signalez le problème à l'équipe technique".into(),
        }
        };
        let drawn = layout::draw(common, set, format).map_err(&located)?;
        let warning = (drawn.overflow > 0.0 && file.format.is_some()).then(|| Diagnostic {
            severity: Severity::Warning,
            ..located(format!(
                "le texte déborde de {:.0} mm sur le pied de page",
                drawn.overflow * 25.4 / 72.0
            ))
        });
        let extension = if file.format.is_some() {
            format.extension()
        } else {
            "png"
        };
        let code = file.format.map_or("apercu", Format::code);
        let key = cache::key(&drawn.svg, code, extension, &self.fonts.fingerprint);
        let cached = cache.and_then(|c| c.get(&key, extension));
        let was_drawn = cached.is_none();
        let bytes = match cached {
            Some(bytes) => bytes,
            None => {
                let bytes = match (file.format.map(Format::medium), format.medium()) {
                    (Some(medium @ Medium::Print { .. }), _) => {
                        let title = format!("{} — {}", common.site_title, set.title);
                        render::pdf(&drawn.svg, &self.fonts, &medium, &title)
                    }
                    (Some(Medium::Screen { width, height }), _) => {
                        render::png(&drawn.svg, &self.fonts, width, height)
                    }
                    (None, _) => {
                        let height = (f64::from(PREVIEW_WIDTH) * layout::A4_HEIGHT
                            / layout::A4_WIDTH)
                            .round() as u32;
                        render::png(&drawn.svg, &self.fonts, PREVIEW_WIDTH, height)
                    }
                }
                .map_err(&located)?;
                if let Some(c) = cache {
                    c.put(&key, extension, &bytes);
                }
                bytes
            }
        };
        sink(&file.path, &bytes)
            .map_err(|e| located(format!("impossible d'écrire le fichier ({e})")))?;
        Ok((was_drawn, warning))
    }

    /// Data of the posters page: one group per set, territory first.
    pub fn page_groups(&self, territory: &Territory) -> Vec<Group> {
        self.sets
            .iter()
            .enumerate()
            .map(|(i, set)| Group {
                id: set.id.clone(),
                title: set.title.clone(),
                page: match set.target {
                    Target::Cpts(c) => Some(crate::territory_pages::cpts_url(&territory.cpts[c])),
                    Target::Territory => None,
                },
                preview: self
                    .files
                    .iter()
                    .find(|f| f.set == i && f.format.is_none())
                    .map(PosterFile::url),
                files: self
                    .files
                    .iter()
                    .filter(|f| f.set == i)
                    .filter_map(|f| {
                        let format = f.format?;
                        Some(FileLink {
                            url: f.url(),
                            label: format.label(),
                            use_for: format.use_for(),
                            image: format.extension() == "png",
                        })
                    })
                    .collect(),
            })
            .collect()
    }
}

#[derive(Serialize)]
pub struct Group {
    pub id: String,
    pub title: String,
    /// The CPTS page, for CPTS sets.
    pub page: Option<String>,
    pub preview: Option<String>,
    pub files: Vec<FileLink>,
}

#[derive(Serialize)]
pub struct FileLink {
    pub url: String,
    pub label: &'static str,
    pub use_for: &'static str,
    pub image: bool,
}
