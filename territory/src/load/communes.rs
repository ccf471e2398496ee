//! `territory/communes.geojson`: one Feature per commune, ideally one per line so that errors point
//! at the right line.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::diagnostic::{Diagnostic, SourceFile};
use crate::model::{Commune, LonLat, Polygon};

#[derive(Deserialize)]
struct FeatureCollection<'a> {
    #[serde(borrow)]
    features: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Feature {
    properties: Properties,
    geometry: Geometry,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Properties {
    code: String,
    nom: String,
    #[serde(default)]
    codes_postaux: Vec<String>,
    #[serde(default)]
    population: u32,
    centre: [f64; 2],
    #[serde(default)]
    surface_km2: f64,
}

#[derive(Deserialize)]
#[serde(tag = "type", content = "coordinates")]
enum Geometry {
    Polygon(Polygon),
    MultiPolygon(Vec<Polygon>),
}

const FIX_GEOJSON: &str = "chaque commune est un objet Feature avec « properties » (code, nom, codesPostaux, population, centre [lon, lat]) et « geometry » (Polygon ou MultiPolygon) ; reprenez le fichier fourni comme modèle";

pub(crate) fn load(source: &SourceFile, diagnostics: &mut Vec<Diagnostic>) -> Vec<Commune> {
    let collection: FeatureCollection = match serde_json::from_str(&source.text) {
        Ok(c) => c,
        Err(e) => {
            diagnostics.push(json_error(source, 0, &source.text, &e));
            return Vec::new();
        }
    };
    let mut communes = Vec::with_capacity(collection.features.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for raw in collection.features {
        let text = raw.get();
        let base = text.as_ptr() as usize - source.text.as_ptr() as usize;
        let feature: Feature = match serde_json::from_str(text) {
            Ok(f) => f,
            Err(e) => {
                diagnostics.push(json_error(source, base, text, &e));
                continue;
            }
        };
        let p = feature.properties;
        let code_offset = base + text.find(&format!("\"{}\"", p.code)).unwrap_or(0);
        if !is_insee_code(&p.code) {
            diagnostics.push(source.error(
                code_offset,
                format!("code INSEE « {} » invalide", p.code),
                "un code INSEE de commune a 5 caractères, par exemple « 08409 » (2A/2B pour la Corse)",
            ));
            continue;
        }
        if let Some(&first) = seen.get(&p.code) {
            let (line, _) = source.position(first);
            diagnostics.push(source.error(
                code_offset,
                format!("la commune « {} » ({}) apparaît deux fois", p.nom, p.code),
                format!("supprimez l'un des deux objets (l'autre est à la ligne {line})"),
            ));
            continue;
        }
        let [lon, lat] = p.centre;
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            diagnostics.push(source.error(
                code_offset,
                format!("le centre de « {} » n'est pas une position valide", p.nom),
                "« centre » s'écrit [longitude, latitude] en degrés, par exemple [4.94, 49.70]",
            ));
            continue;
        }
        seen.insert(p.code.clone(), base);
        communes.push(Commune {
            code: p.code,
            name: p.nom,
            postcodes: p.codes_postaux,
            population: p.population,
            centre: LonLat { lon, lat },
            area_km2: p.surface_km2,
            geometry: match feature.geometry {
                Geometry::Polygon(polygon) => vec![polygon],
                Geometry::MultiPolygon(polygons) => polygons,
            },
            cpts: None,
        });
    }
    communes
}

fn is_insee_code(code: &str) -> bool {
    code.len() == 5 && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A serde_json error inside `text`, which starts at byte `base` of the file.
fn json_error(
    source: &SourceFile,
    base: usize,
    text: &str,
    error: &serde_json::Error,
) -> Diagnostic {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(error.line().saturating_sub(1))
        .map(str::len)
        .sum();
    let column_bytes: usize = text[line_start..]
        .chars()
        .take(error.column().saturating_sub(1))
        .map(char::len_utf8)
        .sum();
    let detail = error.to_string();
    let detail = detail.split(" at line ").next().unwrap_or(&detail);
    source.error(
        base + line_start + column_bytes,
        format!("GeoJSON invalide ({detail})"),
        FIX_GEOJSON,
    )
}
