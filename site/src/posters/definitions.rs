//! Poster definitions: `content/posters/*.toml`, one file per CPTS (or for the whole territory).
//! Every CPTS and the territory get a complete set even without a file; a file changes the texts,
//! the formats or the logos. Errors are located like every other content error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use territory::{Diagnostic, SourceFile, Territory, diagnostic::toml_diagnostic};

use super::formats::Format;

pub const POSTERS_DIR: &str = "posters";
/// Logos are SVG files under `content/static/logos/`; they are also published with the site.
pub const LOGOS_DIR: &str = "static/logos";
/// The id of the set for the whole territory (the shared number).
pub const TERRITORY_ID: &str = "territoire";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Definition {
    cpts: String,
    formats: Option<Vec<String>>,
    headline: Option<String>,
    subheadline: Option<String>,
    steps: Option<Vec<String>>,
    priority: Option<String>,
    help: Option<String>,
    logos: Option<Vec<String>>,
}

/// Who a poster set is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Territory,
    /// Index into `Territory::cpts`.
    Cpts(usize),
}

/// A partner logo, kept as SVG markup to be drawn inline (vector in the PDF too).
#[derive(Clone)]
pub struct Logo {
    pub name: String,
    /// The logo's own coordinate system: its viewBox, or 0 0 width height.
    pub view_box: [f64; 4],
    /// Everything inside its root `<svg>` element.
    pub inner: String,
}

/// Reads a logo file; the error says what is wrong with it, in French.
fn parse_logo(name: &str, text: &str) -> Result<Logo, String> {
    let doc = svg2pdf::usvg::roxmltree::Document::parse(text)
        .map_err(|e| format!("SVG illisible ({e})"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "svg" {
        return Err("le fichier n'est pas un dessin SVG (pas de balise <svg>)".into());
    }
    let numbers = |value: &str| -> Vec<f64> {
        value
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.trim_end_matches("px").parse().ok())
            .collect()
    };
    let view_box = match root.attribute("viewBox").map(numbers) {
        Some(v) if v.len() == 4 && v[2] > 0.0 && v[3] > 0.0 => [v[0], v[1], v[2], v[3]],
        _ => {
            let w = root
                .attribute("width")
                .map(numbers)
                .and_then(|v| v.first().copied());
            let h = root
                .attribute("height")
                .map(numbers)
                .and_then(|v| v.first().copied());
            match (w, h) {
                (Some(w), Some(h)) if w > 0.0 && h > 0.0 => [0.0, 0.0, w, h],
                _ => {
                    return Err(
                        "le dessin n'a pas de taille : ajoutez viewBox=\"0 0 largeur hauteur\" à la balise <svg>".into(),
                    );
                }
            }
        }
    };
    let inner = match (root.first_child(), root.last_child()) {
        (Some(first), Some(last)) => text[first.range().start..last.range().end].to_string(),
        _ => String::new(),
    };
    let _ = name;
    Ok(Logo {
        name: name.to_string(),
        view_box,
        inner,
    })
}

/// Everything a poster says besides the site-wide phone number and address.
pub struct Texts {
    pub headline: String,
    pub subheadline: String,
    pub steps: [String; 3],
    pub priority: String,
    pub help: String,
}

pub struct PosterSet {
    /// "territoire" or the CPTS id: in file names and in the `src` parameter.
    pub id: String,
    pub target: Target,
    /// Shown on the posters page and on top of each poster.
    pub title: String,
    pub formats: Vec<Format>,
    pub texts: Texts,
    pub logos: Vec<Logo>,
    /// The definition file, when there is one.
    pub source: Option<PathBuf>,
}

pub const HEADLINE: &str = "Vous n'avez pas de médecin traitant ?";
pub const SUBHEADLINE: &str = "Votre CPTS vous aide à en trouver un près de chez vous.";
pub const STEPS: [&str; 3] = [
    "Vous vous inscrivez, par téléphone ou en ligne.",
    "La CPTS vous rappelle pour faire le point avec vous.",
    "Un médecin du territoire vous propose un rendez-vous.",
];
pub const PRIORITY: &str = "Priorité à ceux qui en ont le plus besoin : maladie de longue durée (ALD), 70 ans et plus, enfants, grossesse. Il peut y avoir de l'attente.";
pub const HELP: &str =
    "Votre pharmacien, votre infirmier ou votre mairie peuvent vous aider à vous inscrire.";

/// The CPTS (or the site, for the territory) is named just above, in the band.
fn default_texts() -> Texts {
    Texts {
        headline: HEADLINE.to_string(),
        subheadline: SUBHEADLINE.to_string(),
        steps: STEPS.map(str::to_string),
        priority: PRIORITY.to_string(),
        help: HELP.to_string(),
    }
}

/// The logo files available, by name.
fn available_logos(
    content_dir: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Logo> {
    let mut logos = BTreeMap::new();
    let dir = content_dir.join(LOGOS_DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return logos;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".svg") {
            continue;
        }
        let source = match SourceFile::read(&entry.path()) {
            Ok(s) => s,
            Err(d) => {
                diagnostics.push(d);
                continue;
            }
        };
        match parse_logo(&name, &source.text) {
            Ok(logo) => {
                logos.insert(name, logo);
            }
            // Still published as a static file; only the posters leave it out.
            Err(message) => diagnostics.push(source.warning(
                0,
                format!("logo « {name} » laissé de côté sur les affiches : {message}"),
                "enregistrez le logo en SVG simple (dans Inkscape : « SVG simple »), ou retirez le fichier",
            )),
        }
    }
    logos
}

/// Default logos: the CPTS's own (`cpts-<id>.svg`) and every partner logo (not starting with
/// `cpts-`); the territory's set carries them all.
fn default_logos(id: &str, target: Target, available: &BTreeMap<String, Logo>) -> Vec<String> {
    let own = format!("cpts-{id}.svg");
    available
        .keys()
        .filter(|n| target == Target::Territory || !n.starts_with("cpts-") || **n == own)
        .cloned()
        .collect()
}

/// Above this many CPTS, only the territory and the CPTS with a definition file get posters.
pub const DEFAULT_CPTS_SETS_MAX: usize = 12;

/// Every poster set: the definitions found, then defaults for the targets without one.
pub fn load(
    content_dir: &Path,
    territory: &Territory,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<PosterSet> {
    let available = available_logos(content_dir, diagnostics);
    let mut defined: BTreeMap<String, (Definition, SourceFile)> = BTreeMap::new();
    let dir = content_dir.join(POSTERS_DIR);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.sort();
    let ids: Vec<&str> = std::iter::once(TERRITORY_ID)
        .chain(territory.cpts.iter().map(|c| c.id.as_str()))
        .collect();
    for path in paths {
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let source = match SourceFile::read(&path) {
            Ok(s) => s,
            Err(d) => {
                diagnostics.push(d);
                continue;
            }
        };
        let definition: Definition = match toml::from_str(&source.text) {
            Ok(d) => d,
            Err(e) => {
                diagnostics.push(toml_diagnostic(&source, 0, &e));
                continue;
            }
        };
        let at = |needle: &str| source.find_nth(needle, 0).unwrap_or(0);
        if !ids.contains(&definition.cpts.as_str()) {
            diagnostics.push(source.error(
                at(&format!("\"{}\"", definition.cpts)),
                format!("CPTS « {} » inconnue", definition.cpts),
                format!(
                    "écrivez l'identifiant d'une CPTS de territory/cpts.toml ou « {TERRITORY_ID} » pour tout le territoire : {}",
                    ids.join(", ")
                ),
            ));
            continue;
        }
        if let Some((_, other)) = defined.get(&definition.cpts) {
            diagnostics.push(source.error(
                at("cpts"),
                format!("les affiches de « {} » sont déjà définies", definition.cpts),
                format!(
                    "gardez un seul fichier pour cette CPTS : fusionnez celui-ci avec « {} »",
                    other.path.display()
                ),
            ));
            continue;
        }
        let mut ok = true;
        for code in definition.formats.iter().flatten() {
            if Format::from_code(code).is_none() {
                ok = false;
                diagnostics.push(source.error(
                    at(&format!("\"{code}\"")),
                    format!("format « {code} » inconnu"),
                    format!(
                        "formats possibles : {}",
                        Format::ALL.map(Format::code).join(", ")
                    ),
                ));
            }
        }
        if let Some(steps) = &definition.steps
            && steps.len() != 3
        {
            ok = false;
            diagnostics.push(source.error(
                at("steps"),
                format!("{} étape(s) au lieu de 3", steps.len()),
                "écrivez exactement trois étapes courtes : steps = [\"…\", \"…\", \"…\"]",
            ));
        }
        for name in definition.logos.iter().flatten() {
            if !name.to_lowercase().ends_with(".svg") {
                ok = false;
                let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
                diagnostics.push(source.error(
                    at(&format!("\"{name}\"")),
                    format!("logo « {name} » : SVG seulement sur les affiches"),
                    format!(
                        "enregistrez ce logo en SVG (demandez-le en SVG à son auteur, ou dans Inkscape : « SVG simple »), placez-le dans content/{LOGOS_DIR}/ et écrivez « {stem}.svg »"
                    ),
                ));
            } else if !available.contains_key(name) {
                ok = false;
                let known: Vec<&str> = available.keys().map(String::as_str).collect();
                diagnostics.push(source.error(
                    at(&format!("\"{name}\"")),
                    format!("logo « {name} » introuvable dans content/{LOGOS_DIR}/"),
                    if known.is_empty() {
                        format!("ajoutez le fichier SVG dans content/{LOGOS_DIR}/")
                    } else {
                        format!(
                            "ajoutez le fichier SVG dans content/{LOGOS_DIR}/ ou choisissez parmi : {}",
                            known.join(", ")
                        )
                    },
                ));
            }
        }
        for (key, value) in [
            ("headline", &definition.headline),
            ("subheadline", &definition.subheadline),
            ("priority", &definition.priority),
            ("help", &definition.help),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                ok = false;
                diagnostics.push(source.error(
                    at(key),
                    format!("texte « {key} » vide"),
                    "écrivez le texte ou retirez la ligne pour garder le texte par défaut",
                ));
            }
        }
        if ok {
            defined.insert(definition.cpts.clone(), (definition, source));
        }
    }

    let mut sets = Vec::new();
    let targets = std::iter::once((TERRITORY_ID.to_string(), Target::Territory)).chain(
        territory
            .cpts
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), Target::Cpts(i))),
    );
    // A department's few CPTS each get a full set by default; a national site's hundreds would
    // cost minutes of drawing for sets nobody asked for, so there a CPTS gets its set by adding
    // its definition file.
    let default_cpts_sets = territory.cpts.len() <= DEFAULT_CPTS_SETS_MAX;
    for (id, target) in targets {
        if matches!(target, Target::Cpts(_)) && !default_cpts_sets && !defined.contains_key(&id) {
            continue;
        }
        let mut texts = default_texts();
        let title = match target {
            Target::Territory => "Tout le territoire (numéro unique)".to_string(),
            Target::Cpts(i) => territory.cpts[i].name.clone(),
        };
        let mut formats = Format::ALL.to_vec();
        let mut logo_names = default_logos(&id, target, &available);
        let mut source = None;
        if let Some((d, file)) = defined.remove(&id) {
            if let Some(codes) = d.formats {
                formats = codes.iter().filter_map(|c| Format::from_code(c)).collect();
            }
            let set = |slot: &mut String, value: Option<String>| {
                if let Some(v) = value {
                    *slot = v.trim().to_string();
                }
            };
            set(&mut texts.headline, d.headline);
            set(&mut texts.subheadline, d.subheadline);
            set(&mut texts.priority, d.priority);
            set(&mut texts.help, d.help);
            if let Some([a, b, c]) = d.steps.and_then(|s| <[String; 3]>::try_from(s).ok()) {
                texts.steps = [a, b, c];
            }
            if let Some(names) = d.logos {
                logo_names = names;
            }
            source = Some(file.path);
        }
        let logos = logo_names
            .iter()
            .filter_map(|n| available.get(n))
            .cloned()
            .collect();
        sets.push(PosterSet {
            id,
            target,
            title,
            formats,
            texts,
            logos,
            source,
        });
    }
    sets
}
