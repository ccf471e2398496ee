//! `territory/doctors.csv` (or `doctors.xlsx`, `doctors.ods`): the volunteer doctors' availability
//! declarations, one row each, in a file a coordinator keeps in a spreadsheet. How the file is
//! found and decoded is in [`super::sheets`]; here, its rows are checked, wherever they come from.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::diagnostic::{Diagnostic, Severity, SourceFile};
use crate::load::cpts::is_plausible_email;
use crate::load::sheets::Sheet;
use crate::model::{Availability, Commune, Doctor, LonLat, Practice};

const COLUMNS: [&str; 14] = [
    "id",
    "nom",
    "commune",
    "lat",
    "lon",
    "statut",
    "date_statut",
    "capacite_annuelle",
    "visites_domicile",
    "rayon_visites_km",
    "priorite_seulement",
    "public",
    "mis_a_jour",
    "email",
];

/// Columns a file may leave out: `autres_lieux` holds the codes of the communes of a doctor's
/// other places of practice, separated by commas or spaces (empty for most doctors).
const OPTIONAL_COLUMNS: [&str; 1] = ["autres_lieux"];

/// Degrees of slack around the communes' outline before a practice counts as outside the territory.
const BOUNDS_MARGIN_DEG: f64 = 0.1;

/// Where the table came from: a CSV text (places as line:column) or a workbook's sheet (places as
/// cells, `doctors.xlsx:Feuille1!C12`).
enum Origin<'a> {
    Csv {
        source: &'a SourceFile,
        delimiter: u8,
    },
    Sheet(&'a Sheet),
}

/// One row of the table: its cells and where it starts (a byte offset in a CSV, a row index in a
/// sheet).
struct Record {
    cells: Vec<String>,
    at: usize,
}

impl Origin<'_> {
    /// A diagnostic on the row at `at`, in its `column` (0-based) or at its start.
    fn diagnostic(
        &self,
        severity: Severity,
        at: usize,
        column: Option<usize>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Diagnostic {
        match self {
            Origin::Csv { source, delimiter } => {
                let offset = column.map_or(at, |c| field_offset(&source.text, at, c, *delimiter));
                source.diagnostic(severity, offset, message, fix)
            }
            Origin::Sheet(sheet) => {
                sheet.diagnostic(severity, at, column.unwrap_or(0), message, fix)
            }
        }
    }

    fn error(
        &self,
        at: usize,
        column: Option<usize>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Diagnostic {
        self.diagnostic(Severity::Error, at, column, message, fix)
    }

    /// The line number (CSV) or row number (sheet) of the row at `at`.
    fn line(&self, at: usize) -> usize {
        match self {
            Origin::Csv { source, .. } => source.position(at).0,
            Origin::Sheet(sheet) => sheet.row_number(at),
        }
    }
}

/// Loads a doctors.csv (`;` or `,` separated; CRLF or LF).
pub(crate) fn load(
    source: &SourceFile,
    communes: &[Commune],
    communes_complete: bool,
    today: NaiveDate,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Doctor> {
    let delimiter = if source.text.lines().next().unwrap_or("").contains(';') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(source.text.as_bytes());
    let origin = Origin::Csv { source, delimiter };
    let mut records = Vec::new();
    for result in reader.records() {
        match result {
            Ok(record) => {
                let at = record.position().map_or(0, |p| p.byte() as usize);
                records.push(Record {
                    cells: record.iter().map(str::to_string).collect(),
                    at: line_start(&source.text, at),
                });
            }
            Err(e) => {
                let offset = e.position().map_or(0, |p| p.byte() as usize);
                let offset = line_start(&source.text, offset);
                if records.is_empty() {
                    diagnostics.push(source.error(
                        offset,
                        format!("en-tête illisible ({e})"),
                        fix_header(),
                    ));
                    return Vec::new();
                }
                diagnostics.push(source.error(
                    offset,
                    format!("ligne illisible ({e})"),
                    "vérifiez les guillemets de cette ligne",
                ));
            }
        }
    }
    load_table(
        &origin,
        records,
        communes,
        communes_complete,
        today,
        diagnostics,
    )
}

/// Loads the first sheet of a doctors.xlsx or doctors.ods.
pub(crate) fn load_sheet(
    sheet: &Sheet,
    communes: &[Commune],
    communes_complete: bool,
    today: NaiveDate,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Doctor> {
    let records = sheet
        .rows
        .iter()
        .enumerate()
        .map(|(at, cells)| Record {
            cells: cells.clone(),
            at,
        })
        .collect();
    load_table(
        &Origin::Sheet(sheet),
        records,
        communes,
        communes_complete,
        today,
        diagnostics,
    )
}

/// csv gives a record's position at the end of the previous line: on the `\n` of a `\r\n`, or
/// before a blank line. The row starts after them.
fn line_start(text: &str, mut offset: usize) -> usize {
    let bytes = text.as_bytes();
    while offset < bytes.len() && matches!(bytes[offset], b'\r' | b'\n') {
        offset += 1;
    }
    offset
}

fn load_table(
    origin: &Origin,
    mut records: Vec<Record>,
    communes: &[Commune],
    communes_complete: bool,
    today: NaiveDate,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Doctor> {
    // The header is the first row that is not blank (a sheet may start with empty rows).
    let first = records
        .iter()
        .position(|r| r.cells.iter().any(|c| !c.trim().is_empty()));
    let Some(first) = first else {
        diagnostics.push(origin.error(0, None, "fichier vide", fix_header()));
        return Vec::new();
    };
    let rest = records.split_off(first + 1);
    let header_record = records.pop().expect("the header row");
    let records = rest;
    let header: Vec<String> = header_record
        .cells
        .iter()
        .map(|s| s.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    // Trailing empty header cells of a sheet (its used range) are no columns.
    let width = match origin {
        Origin::Sheet(_) => header
            .iter()
            .rposition(|h| !h.is_empty())
            .map_or(0, |i| i + 1),
        Origin::Csv { .. } => header.len(),
    };
    let header = &header[..width];
    let mut column_of: HashMap<&str, usize> = HashMap::new();
    let mut header_ok = true;
    for (i, name) in header.iter().enumerate() {
        match COLUMNS
            .iter()
            .chain(&OPTIONAL_COLUMNS)
            .find(|c| **c == name)
        {
            Some(c) => {
                column_of.insert(c, i);
            }
            None => {
                header_ok = false;
                diagnostics.push(origin.error(
                    header_record.at,
                    Some(i),
                    format!("colonne « {name} » inconnue"),
                    fix_header(),
                ));
            }
        }
    }
    for column in COLUMNS {
        if !column_of.contains_key(column) {
            header_ok = false;
            diagnostics.push(origin.error(
                header_record.at,
                None,
                format!("colonne « {column} » absente"),
                fix_header(),
            ));
        }
    }
    if !header_ok {
        return Vec::new();
    }

    let by_code: HashMap<&str, usize> = communes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.code.as_str(), i))
        .collect();
    let bounds = Bounds::of(communes);
    let mut doctors = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();

    for record in &records {
        if record.cells.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let row = Row {
            origin,
            record,
            column_of: &column_of,
        };
        let line_start = record.at;
        let len = record.cells.len();
        // Empty cells past the header's width (a sheet's used range) are no extra columns.
        let used = record
            .cells
            .iter()
            .rposition(|c| !c.trim().is_empty())
            .map_or(0, |i| i + 1);
        let is_sheet = matches!(origin, Origin::Sheet(_));
        let (count, wrong) = if is_sheet {
            (used, used > header.len())
        } else {
            (len, len != header.len())
        };
        if wrong {
            diagnostics.push(origin.error(
                line_start,
                None,
                format!(
                    "cette ligne a {count} colonnes au lieu de {}",
                    header.len()
                ),
                "chaque ligne doit avoir autant de colonnes que l'en-tête : vérifiez les « ; » en trop ou manquants",
            ));
            continue;
        }
        let before = diagnostics.len();

        let id = row.text("id");
        if id.is_empty() {
            diagnostics.push(row.error(
                "id",
                "identifiant vide",
                "donnez un identifiant unique, par exemple « med-041 »",
            ));
        } else if let Some(&first_line) = ids.get(id) {
            diagnostics.push(row.error(
                "id",
                format!("identifiant « {id} » déjà utilisé"),
                format!(
                    "chaque médecin a son propre identifiant (l'autre est à la ligne {first_line})"
                ),
            ));
        } else {
            ids.insert(id.to_string(), origin.line(line_start));
        }
        let name = row.text("nom");
        if name.is_empty() {
            diagnostics.push(row.error(
                "nom",
                "nom vide",
                "écrivez le nom du médecin, par exemple « Dr Claire Martin »",
            ));
        }

        let commune = match find_commune(row.text("commune"), communes, &by_code) {
            CommuneCell::Code(c) => Some(c),
            CommuneCell::ZeroRemoved(c) => {
                diagnostics.push(row.warning(
                    "commune",
                    format!(
                        "code de commune « {} » lu comme {} ({}) : le tableur a enlevé le 0 du début",
                        row.text("commune"),
                        communes[c].code,
                        communes[c].name
                    ),
                    format!(
                        "écrivez {} ; dans le tableur, mettez la colonne commune au format « Texte » pour garder le 0",
                        communes[c].code
                    ),
                ));
                Some(c)
            }
            _ if !communes_complete => None,
            CommuneCell::Named(found) => {
                let proposals: Vec<String> = found
                    .iter()
                    .map(|&c| format!("{} ({})", communes[c].code, communes[c].name))
                    .collect();
                diagnostics.push(row.error(
                    "commune",
                    format!(
                        "« {} » est le nom d'une commune, pas son code",
                        row.text("commune")
                    ),
                    format!("écrivez {}", proposals.join(" ou ")),
                ));
                None
            }
            CommuneCell::Unknown => {
                diagnostics.push(row.error(
                    "commune",
                    format!("code de commune « {} » inconnu", row.text("commune")),
                    "écrivez le code INSEE de la commune du cabinet (5 caractères, par exemple « 08409 » pour Sedan), pas le code postal",
                ));
                None
            }
        };

        let location = match (row.text("lat"), row.text("lon")) {
            ("", "") => commune.map(|c| communes[c].centre),
            (lat, lon) => match (parse_number(lat), parse_number(lon)) {
                (Some(lat), Some(lon)) if !communes_complete || bounds.contains(lon, lat) => {
                    Some(LonLat { lon, lat })
                }
                (Some(_), Some(_)) => {
                    diagnostics.push(row.error(
                        "lat",
                        format!("position ({lat} ; {lon}) hors du territoire"),
                        "vérifiez la latitude (vers 49,5 dans les Ardennes) et la longitude (vers 4,5), et qu'elles ne sont pas inversées ; ou laissez les deux vides pour utiliser le centre de la commune",
                    ));
                    None
                }
                (None, _) => {
                    diagnostics.push(row.error(
                        "lat",
                        format!("latitude « {lat} » invalide"),
                        FIX_COORDINATES,
                    ));
                    None
                }
                (_, None) => {
                    diagnostics.push(row.error(
                        "lon",
                        format!("longitude « {lon} » invalide"),
                        FIX_COORDINATES,
                    ));
                    None
                }
            },
        };

        let status_date = row.optional_date("date_statut", diagnostics);
        let availability = match (row.text("statut"), status_date) {
            ("accepte_maintenant", _) => Some(Availability::AcceptingNow),
            ("n_accepte_pas", _) => Some(Availability::NotAccepting),
            ("accepte_plus_tard", Some(Some(d))) => Some(Availability::AcceptingFrom(d)),
            ("en_pause", Some(Some(d))) => Some(Availability::PausedUntil(d)),
            ("accepte_plus_tard" | "en_pause", Some(None)) => {
                diagnostics.push(row.error(
                    "date_statut",
                    format!("date manquante pour le statut « {} »", row.text("statut")),
                    "indiquez la date (AAAA-MM-JJ) : à partir de quand il accepte (accepte_plus_tard) ou jusqu'à quand il est en pause (en_pause)",
                ));
                None
            }
            ("accepte_plus_tard" | "en_pause", None) => None,
            (other, _) => {
                diagnostics.push(row.error(
                    "statut",
                    format!("statut « {other} » inconnu"),
                    "écrivez accepte_maintenant, accepte_plus_tard, n_accepte_pas ou en_pause",
                ));
                None
            }
        };

        let yearly_capacity = match row.text("capacite_annuelle").parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                diagnostics.push(row.error(
                    "capacite_annuelle",
                    format!("capacité « {} » invalide", row.text("capacite_annuelle")),
                    "écrivez un nombre entier de nouveaux patients par an, par exemple 10 (0 s'il n'en prend pas)",
                ));
                None
            }
        };

        let home_visits = row.yes_no("visites_domicile", diagnostics);
        let radius = match (home_visits, row.text("rayon_visites_km")) {
            (Some(true), "") => {
                diagnostics.push(row.error(
                    "rayon_visites_km",
                    "rayon des visites à domicile manquant",
                    "indiquez en kilomètres jusqu'où il se déplace, par exemple 10",
                ));
                None
            }
            (Some(true), r) => match parse_number(r) {
                Some(km) if km > 0.0 && km <= 100.0 => Some(Some(km)),
                _ => {
                    diagnostics.push(row.error(
                        "rayon_visites_km",
                        format!("rayon « {r} » invalide"),
                        "écrivez un nombre de kilomètres entre 1 et 100, par exemple 10",
                    ));
                    None
                }
            },
            (Some(false), "") => Some(None),
            (Some(false), _) => {
                diagnostics.push(row.error(
                    "rayon_visites_km",
                    "rayon indiqué alors que le médecin ne fait pas de visites à domicile",
                    "videz cette case, ou mettez « oui » dans visites_domicile",
                ));
                None
            }
            (None, _) => None,
        };
        let priority_only = row.yes_no("priorite_seulement", diagnostics);
        let public = row.yes_no("public", diagnostics);

        let updated = match row.optional_date("mis_a_jour", diagnostics) {
            Some(Some(d)) if d > today => {
                diagnostics.push(row.error(
                    "mis_a_jour",
                    format!("date de mise à jour {d} dans le futur"),
                    "indiquez la date à laquelle le médecin a fait sa déclaration",
                ));
                None
            }
            Some(Some(d)) => Some(d),
            Some(None) => {
                diagnostics.push(row.error(
                    "mis_a_jour",
                    "date de mise à jour manquante",
                    "indiquez la date de la dernière déclaration du médecin (AAAA-MM-JJ)",
                ));
                None
            }
            None => None,
        };

        let email = row.text("email");
        if !is_plausible_email(email) {
            diagnostics.push(row.error(
                "email",
                format!("adresse e-mail « {email} » invalide"),
                "écrivez l'adresse où le médecin reçoit les propositions, par exemple « dr.martin@example.org »",
            ));
        }

        let other_practices = match row.optional_text("autres_lieux") {
            None => Some(Vec::new()),
            Some(list) => other_practices(&row, list, communes, &by_code, communes_complete)
                .map_err(|e| diagnostics.push(e))
                .ok(),
        };

        if let (
            Some(commune),
            Some(location),
            Some(availability),
            Some(yearly_capacity),
            Some(home_visit_radius_km),
            Some(priority_only),
            Some(public),
            Some(updated),
            Some(other_practices),
        ) = (
            commune,
            location,
            availability,
            yearly_capacity,
            radius,
            priority_only,
            public,
            updated,
            other_practices,
        ) {
            if diagnostics[before..].iter().any(Diagnostic::is_error) {
                continue;
            }
            let doctor = Doctor {
                id: id.to_string(),
                name: name.to_string(),
                commune,
                location,
                other_practices: other_practices
                    .into_iter()
                    .filter(|p| p.commune != commune)
                    .collect(),
                availability,
                yearly_capacity,
                home_visit_radius_km,
                priority_only,
                public,
                updated,
                email: email.to_string(),
            };
            if doctor.is_stale(today) {
                diagnostics.push(row.warning(
                    "mis_a_jour",
                    format!("disponibilité de « {name} » déclarée le {updated}, il y a plus de trois mois"),
                    "demandez au médecin de confirmer sa disponibilité, puis mettez à jour « mis_a_jour » ; d'ici là le site affiche « à confirmer »",
                ));
            }
            if communes[commune].cpts.is_none() {
                diagnostics.push(row.warning(
                    "commune",
                    format!(
                        "« {name} » exerce à {} ({}), hors du périmètre de toutes les CPTS",
                        communes[commune].name, communes[commune].code
                    ),
                    "vérifiez le code de la commune, ou ajoutez cette commune au périmètre d'une CPTS dans territory/cpts.toml",
                ));
            }
            doctors.push(doctor);
        }
    }
    doctors
}

/// The other practices of `list` (commune codes separated by commas, semicolons or spaces),
/// each at its commune's centre. Codes of communes the territory does not hold are skipped when
/// `communes_complete` is false, as the main commune is.
fn other_practices(
    row: &Row<'_>,
    list: &str,
    communes: &[Commune],
    by_code: &HashMap<&str, usize>,
    communes_complete: bool,
) -> Result<Vec<Practice>, Diagnostic> {
    let mut practices: Vec<Practice> = Vec::new();
    for code in list
        .split([',', ';'])
        .flat_map(str::split_whitespace)
        .filter(|c| !c.is_empty())
    {
        let commune = match find_commune(code, communes, by_code) {
            // A lost 0 is read as the main commune's is (that column warns of it).
            CommuneCell::Code(c) | CommuneCell::ZeroRemoved(c) => c,
            _ if !communes_complete => continue,
            CommuneCell::Named(found) => {
                let proposals: Vec<String> = found
                    .iter()
                    .map(|&c| format!("{} ({})", communes[c].code, communes[c].name))
                    .collect();
                return Err(row.error(
                    "autres_lieux",
                    format!("« {code} » est le nom d'une commune, pas son code"),
                    format!(
                        "écrivez {} dans les autres lieux d'exercice, séparés par des virgules",
                        proposals.join(" ou ")
                    ),
                ));
            }
            CommuneCell::Unknown => {
                return Err(row.error(
                    "autres_lieux",
                    format!("code de commune « {code} » inconnu dans les autres lieux d'exercice"),
                    "écrivez les codes INSEE des communes où il consulte aussi, séparés par des virgules (par exemple « 08105, 08409 »), ou laissez la case vide",
                ));
            }
        };
        if !practices.iter().any(|p| p.commune == commune) {
            practices.push(Practice {
                commune,
                location: communes[commune].centre,
            });
        }
    }
    Ok(practices)
}

const FIX_COORDINATES: &str = "écrivez un nombre décimal, par exemple 49.7019 (le point ou la virgule sont acceptés), ou laissez lat et lon vides pour utiliser le centre de la commune";

fn fix_header() -> String {
    format!(
        "la première ligne doit contenir exactement ces colonnes : {}",
        COLUMNS.join(";")
    )
}

/// A date as written in the file or by a French spreadsheet: AAAA-MM-JJ or JJ/MM/AAAA.
fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            // A four-digit year only: 03/11/26 is ambiguous.
            let year = text.rsplit('/').next()?;
            (year.len() == 4)
                .then(|| NaiveDate::parse_from_str(text, "%d/%m/%Y").ok())
                .flatten()
        })
}

/// What the commune cell holds.
enum CommuneCell {
    Code(usize),
    /// A code whose leading 0 a spreadsheet removed (8409 for 08409).
    ZeroRemoved(usize),
    /// A commune's name instead of its code: every commune of that name.
    Named(Vec<usize>),
    Unknown,
}

fn find_commune(text: &str, communes: &[Commune], by_code: &HashMap<&str, usize>) -> CommuneCell {
    if let Some(&c) = by_code.get(text) {
        return CommuneCell::Code(c);
    }
    if text.len() == 4
        && text.bytes().all(|b| b.is_ascii_digit())
        && let Some(&c) = by_code.get(format!("0{text}").as_str())
    {
        return CommuneCell::ZeroRemoved(c);
    }
    let wanted = fold(text);
    if wanted.is_empty() {
        return CommuneCell::Unknown;
    }
    let named = |matches: &dyn Fn(&str) -> bool| -> Vec<usize> {
        communes
            .iter()
            .enumerate()
            .filter(|(_, c)| matches(&fold(&c.name)))
            .map(|(i, _)| i)
            .collect()
    };
    let mut found = named(&|name| name == wanted);
    if found.is_empty() {
        // The start of a longer name: « Charleville » for Charleville-Mézières.
        let start = format!("{wanted} ");
        found = named(&|name| name.starts_with(&start));
    }
    match found.len() {
        0 => CommuneCell::Unknown,
        1..=3 => CommuneCell::Named(found),
        _ => CommuneCell::Unknown,
    }
}

/// A name folded for comparison: no accents, no case, hyphens and apostrophes as spaces,
/// « St » as « Saint ».
fn fold(name: &str) -> String {
    deunicode::deunicode(name)
        .to_lowercase()
        .replace(['-', '\'', '’'], " ")
        .split_whitespace()
        .map(|w| match w {
            "st" => "saint",
            "ste" => "sainte",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Accepts the decimal comma of French spreadsheets.
fn parse_number(s: &str) -> Option<f64> {
    s.replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
}

struct Bounds {
    min_lon: f64,
    max_lon: f64,
    min_lat: f64,
    max_lat: f64,
}

impl Bounds {
    fn of(communes: &[Commune]) -> Self {
        let mut b = Bounds {
            min_lon: f64::INFINITY,
            max_lon: f64::NEG_INFINITY,
            min_lat: f64::INFINITY,
            max_lat: f64::NEG_INFINITY,
        };
        let points = communes.iter().flat_map(|c| {
            c.geometry
                .iter()
                .flat_map(|polygon| polygon.iter().flatten())
                .copied()
                .chain(std::iter::once([c.centre.lon, c.centre.lat]))
        });
        for [lon, lat] in points {
            b.min_lon = b.min_lon.min(lon);
            b.max_lon = b.max_lon.max(lon);
            b.min_lat = b.min_lat.min(lat);
            b.max_lat = b.max_lat.max(lat);
        }
        b
    }

    fn contains(&self, lon: f64, lat: f64) -> bool {
        (self.min_lon - BOUNDS_MARGIN_DEG..=self.max_lon + BOUNDS_MARGIN_DEG).contains(&lon)
            && (self.min_lat - BOUNDS_MARGIN_DEG..=self.max_lat + BOUNDS_MARGIN_DEG).contains(&lat)
    }
}

struct Row<'a> {
    origin: &'a Origin<'a>,
    record: &'a Record,
    column_of: &'a HashMap<&'static str, usize>,
}

impl Row<'_> {
    fn text(&self, column: &str) -> &str {
        self.record
            .cells
            .get(self.column_of[column])
            .map(|c| c.trim())
            .unwrap_or("")
    }

    /// The cell of an optional column, `None` when the file has no such column.
    fn optional_text(&self, column: &str) -> Option<&str> {
        let index = *self.column_of.get(column)?;
        Some(self.record.cells.get(index).map_or("", |c| c.trim()))
    }

    fn error(
        &self,
        column: &str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Diagnostic {
        self.origin
            .error(self.record.at, Some(self.column_of[column]), message, fix)
    }

    fn warning(
        &self,
        column: &str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Diagnostic {
        self.origin.diagnostic(
            Severity::Warning,
            self.record.at,
            Some(self.column_of[column]),
            message,
            fix,
        )
    }

    fn yes_no(&self, column: &str, diagnostics: &mut Vec<Diagnostic>) -> Option<bool> {
        match self.text(column).to_lowercase().as_str() {
            "oui" => Some(true),
            "non" => Some(false),
            other => {
                diagnostics.push(self.error(
                    column,
                    format!("« {other} » n'est ni oui ni non"),
                    "écrivez « oui » ou « non »",
                ));
                None
            }
        }
    }

    /// `Some(None)` for an empty cell, `None` (and a diagnostic) for an invalid date.
    fn optional_date(
        &self,
        column: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Option<NaiveDate>> {
        let text = self.text(column);
        if text.is_empty() {
            return Some(None);
        }
        match parse_date(text) {
            Some(d) => Some(Some(d)),
            None => {
                diagnostics.push(self.error(
                    column,
                    format!("date « {text} » invalide"),
                    "écrivez la date sous la forme AAAA-MM-JJ ou JJ/MM/AAAA, par exemple 2026-11-23 ou 23/11/2026",
                ));
                None
            }
        }
    }
}

/// Byte offset of field `index` on the line starting at `line_start`, honouring quotes.
fn field_offset(text: &str, line_start: usize, index: usize, delimiter: u8) -> usize {
    let bytes = text.as_bytes();
    let mut field = 0;
    let mut quoted = false;
    let mut i = line_start;
    while i < bytes.len() && field < index {
        match bytes[i] {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b if b == delimiter && !quoted => field += 1,
            _ => {}
        }
        i += 1;
    }
    i
}
