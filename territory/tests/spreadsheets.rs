//! The doctors' list as staff really save it from Excel or LibreOffice: CRLF, a BOM, Windows-1252
//! with `;`, a French Excel round trip (dates 03/11/2026, codes 8409), and the workbooks themselves
//! (doctors.xlsx, doctors.ods). Each variant built here from the demo roster, errors at exact places.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use territory::{Diagnostic, Doctor, Loaded, Severity};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/territory")
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

fn demo_csv() -> String {
    std::fs::read_to_string(demo().join("doctors.csv")).unwrap()
}

/// A territory folder: the demo's communes and CPTS, and `files` as the doctors' list.
fn folder(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["communes.geojson", "cpts.toml"] {
        std::fs::copy(demo().join(name), dir.path().join(name)).unwrap();
    }
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

fn load(files: &[(&str, &[u8])]) -> Loaded {
    let dir = folder(files);
    territory::load(dir.path(), today())
}

fn errors(loaded: &Loaded) -> Vec<&Diagnostic> {
    loaded.diagnostics.iter().filter(|d| d.is_error()).collect()
}

fn demo_doctors() -> Vec<Doctor> {
    let loaded = territory::load(&demo(), today());
    assert_eq!(errors(&loaded), Vec::<&Diagnostic>::new());
    loaded.territory.unwrap().doctors
}

fn assert_same(doctors: &[Doctor], expected: &[Doctor]) {
    assert_eq!(doctors.len(), expected.len());
    for (d, e) in doctors.iter().zip(expected) {
        assert_eq!(d, e);
    }
}

fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

/// The one error of `loaded`, as `cpts check` prints it (file name only).
fn only_error(loaded: &Loaded) -> String {
    let errors = errors(loaded);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let d = errors[0].clone();
    let file = d.file.file_name().unwrap().to_string_lossy().into_owned();
    Diagnostic {
        file: PathBuf::from(file),
        ..d
    }
    .to_string()
}

// The demo's fourth line: med-003;Dr Samia Bouaziz;08409;49.69589;4.93779;accepte_plus_tard;…
// its statut starts at column 49.

#[test]
fn crlf_positions_are_those_an_editor_shows() {
    let csv = crlf(&demo_csv()).replace("accepte_plus_tard;2027-01-04", "plus_tard;2027-01-04");
    let loaded = load(&[("doctors.csv", csv.as_bytes())]);
    let shown = only_error(&loaded);
    assert!(
        shown.starts_with("doctors.csv:4:49: erreur : statut « plus_tard » inconnu"),
        "{shown}"
    );

    let csv = crlf(&demo_csv()).replace("med-003;", "med-001;");
    let loaded = load(&[("doctors.csv", csv.as_bytes())]);
    let shown = only_error(&loaded);
    assert!(
        shown.starts_with("doctors.csv:4:1: erreur : identifiant « med-001 » déjà utilisé"),
        "{shown}"
    );
    assert!(shown.contains("l'autre est à la ligne 2"), "{shown}");
}

#[test]
fn a_bom_shifts_nothing() {
    let csv = format!("\u{feff}{}", crlf(&demo_csv())).replace("id;nom;", "id;nomm;");
    let loaded = load(&[("doctors.csv", csv.as_bytes())]);
    let shown: Vec<String> = errors(&loaded).iter().map(|d| d.to_string()).collect();
    let unknown = errors(&loaded)
        .into_iter()
        .find(|d| d.message == "colonne « nomm » inconnue")
        .unwrap_or_else(|| panic!("{shown:#?}"));
    assert_eq!((unknown.line, unknown.column), (1, 4));

    let csv = format!("\u{feff}{}", crlf(&demo_csv())).replace("med-003;", "med-001;");
    let loaded = load(&[("doctors.csv", csv.as_bytes())]);
    let shown = only_error(&loaded);
    assert!(shown.starts_with("doctors.csv:4:1: erreur"), "{shown}");
    assert!(shown.contains("l'autre est à la ligne 2"), "{shown}");

    let clean = format!("\u{feff}{}", crlf(&demo_csv()));
    let loaded = load(&[("doctors.csv", clean.as_bytes())]);
    assert_same(&loaded.territory.unwrap().doctors, &demo_doctors());
}

fn windows_1252(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

#[test]
fn excel_csv_in_windows_1252_is_read() {
    let bytes = windows_1252(&crlf(&demo_csv()));
    assert!(std::str::from_utf8(&bytes).is_err());
    let loaded = load(&[("doctors.csv", &bytes)]);
    assert_eq!(errors(&loaded), Vec::<&Diagnostic>::new());
    let doctors = loaded.territory.unwrap().doctors;
    assert!(doctors.iter().any(|d| d.name == "Dr Hugo Maréchal"));
    assert_same(&doctors, &demo_doctors());

    // Columns count characters, not Windows-1252 bytes: « Dr Étienne Collard » on line 5.
    let csv = crlf(&demo_csv()).replace(
        "n_accepte_pas;;0;non;;non;non;2026-09-14",
        "n_accepte_pas;;0;peut-être;;non;non;2026-09-14",
    );
    let loaded = load(&[("doctors.csv", &windows_1252(&csv))]);
    let shown = only_error(&loaded);
    // med-004;Dr Étienne Collard;08409;49.70089;4.94559;n_accepte_pas;;0; → 67 characters.
    assert!(
        shown.starts_with("doctors.csv:5:68: erreur : « peut-être » n'est ni oui ni non"),
        "{shown}"
    );
}

/// What French Excel writes back: dates JJ/MM/AAAA, codes as numbers (08409 → 8409), decimal
/// commas, `;`, Windows-1252, CRLF.
fn excel_fr(csv: &str) -> String {
    let mut out = String::new();
    for (n, line) in csv.lines().enumerate() {
        let cells: Vec<String> = line
            .split(';')
            .enumerate()
            .map(|(i, cell)| {
                if n == 0 {
                    return cell.to_string();
                }
                if let Ok(d) = NaiveDate::parse_from_str(cell, "%Y-%m-%d") {
                    return format!("{:02}/{:02}/{}", d.day(), d.month(), d.year());
                }
                match i {
                    2 => cell.trim_start_matches('0').to_string(),
                    3 | 4 => cell.replace('.', ","),
                    _ => cell.to_string(),
                }
            })
            .collect();
        out.push_str(&cells.join(";"));
        out.push_str("\r\n");
    }
    out
}

#[test]
fn a_french_excel_round_trip_loads_the_same_doctors_with_warnings() {
    let csv = excel_fr(&demo_csv());
    assert!(csv.contains(";8409;49,69729;"), "{csv}");
    assert!(csv.contains(";04/01/2027;"), "{csv}");
    let loaded = load(&[("doctors.csv", &windows_1252(&csv))]);
    assert_eq!(errors(&loaded), Vec::<&Diagnostic>::new());
    assert_same(&loaded.territory.unwrap().doctors, &demo_doctors());
    let zero: Vec<&Diagnostic> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("le tableur a enlevé le 0"))
        .collect();
    assert_eq!(zero.len(), 40);
    assert_eq!(zero[0].severity, Severity::Warning);
    assert_eq!(
        zero[0].message,
        "code de commune « 8409 » lu comme 08409 (Sedan) : le tableur a enlevé le 0 du début"
    );
    // med-001;Dr Claire Vautrin; → the commune at 2:27.
    assert_eq!((zero[0].line, zero[0].column), (2, 27));

    // A day that does not exist is still an error, at its place.
    let csv = csv.replace("04/01/2027", "31/02/2027");
    let loaded = load(&[("doctors.csv", &windows_1252(&csv))]);
    let shown = only_error(&loaded);
    // med-003;Dr Samia Bouaziz;8409;49,69589;4,93779;accepte_plus_tard; → 65 characters.
    assert!(
        shown.starts_with("doctors.csv:4:66: erreur : date « 31/02/2027 » invalide"),
        "{shown}"
    );
}

#[test]
fn a_commune_name_gets_its_code_proposed() {
    let csv = demo_csv().replacen(";08409;", ";Charleville-Mézières;", 1);
    let loaded = load(&[("doctors.csv", csv.as_bytes())]);
    let found = errors(&loaded);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        found[0].message,
        "« Charleville-Mézières » est le nom d'une commune, pas son code"
    );
    assert_eq!(found[0].fix, "écrivez 08105 (Charleville-Mézières)");
    assert_eq!((found[0].line, found[0].column), (2, 27));

    // Without its accents and hyphen, too.
    let csv = demo_csv().replacen(";08409;", ";charleville mezieres;", 1);
    let loaded = load(&[("doctors.csv", csv.as_bytes())]);
    assert_eq!(
        only_error(&loaded).lines().nth(1).unwrap().trim(),
        "→ écrivez 08105 (Charleville-Mézières)"
    );

    // The start of the name, as people say it.
    let csv = demo_csv().replacen(";08409;", ";Charleville;", 1);
    let loaded = load(&[("doctors.csv", csv.as_bytes())]);
    assert_eq!(
        errors(&loaded)[0].fix,
        "écrivez 08105 (Charleville-Mézières)"
    );
}

/// The demo roster's rows as cells.
fn demo_rows() -> Vec<Vec<String>> {
    demo_csv()
        .lines()
        .map(|l| l.split(';').map(str::to_string).collect())
        .collect()
}

/// The demo roster as Excel stores it: codes, coordinates and capacities as numbers, dates as date
/// cells.
fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet().set_name("Feuille1").unwrap();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if cell.is_empty() {
                continue;
            }
            if let Ok(d) = NaiveDate::parse_from_str(cell, "%Y-%m-%d") {
                let date = rust_xlsxwriter::ExcelDateTime::from_ymd(
                    d.year() as u16,
                    d.month() as u8,
                    d.day() as u8,
                )
                .unwrap();
                sheet
                    .write_datetime_with_format(r, c, &date, &date_format)
                    .unwrap();
            } else if let Ok(n) = cell.parse::<f64>() {
                sheet.write_number(r, c, n).unwrap();
            } else {
                sheet.write_string(r, c, cell).unwrap();
            }
        }
    }
    workbook.save_to_buffer().unwrap()
}

#[test]
fn doctors_xlsx_is_read_with_excel_numbers_and_dates() {
    let loaded = load(&[("doctors.xlsx", &xlsx(&demo_rows()))]);
    assert_eq!(errors(&loaded), Vec::<&Diagnostic>::new());
    assert_same(&loaded.territory.unwrap().doctors, &demo_doctors());

    // Row 12 (med-011), column C: an unknown commune.
    let mut rows = demo_rows();
    assert_eq!(rows[11][0], "med-011");
    rows[11][2] = "99999".into();
    let loaded = load(&[("doctors.xlsx", &xlsx(&rows))]);
    let shown = only_error(&loaded);
    assert!(
        shown.starts_with("doctors.xlsx:Feuille1!C12: erreur : code de commune « 99999 » inconnu"),
        "{shown}"
    );
    let d = errors(&loaded)[0].clone();
    assert_eq!((d.line, d.column), (12, 3));

    // A repeated id names the other row.
    let mut rows = demo_rows();
    rows[11][0] = "med-002".into();
    let loaded = load(&[("doctors.xlsx", &xlsx(&rows))]);
    let shown = only_error(&loaded);
    assert!(
        shown.starts_with("doctors.xlsx:Feuille1!A12: erreur"),
        "{shown}"
    );
    assert!(shown.contains("l'autre est à la ligne 3"), "{shown}");
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A minimal OpenDocument spreadsheet of `rows`, numbers and dates typed as LibreOffice saves them.
fn ods(rows: &[Vec<String>]) -> Vec<u8> {
    let mut table = String::new();
    for row in rows {
        table.push_str("<table:table-row>");
        for cell in row {
            if cell.is_empty() {
                table.push_str("<table:table-cell/>");
            } else if NaiveDate::parse_from_str(cell, "%Y-%m-%d").is_ok() {
                table.push_str(&format!(
                    r#"<table:table-cell office:value-type="date" office:date-value="{cell}"><text:p>{cell}</text:p></table:table-cell>"#
                ));
            } else if let Ok(n) = cell.parse::<f64>() {
                // LibreOffice reads 08409 as the number 8409.
                let value = n.to_string();
                table.push_str(&format!(
                    r#"<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>"#
                ));
            } else {
                table.push_str(&format!(
                    r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
                    escape(cell)
                ));
            }
        }
        table.push_str("</table:table-row>");
    }
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Feuille1">{table}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, text) in [
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
        ("META-INF/manifest.xml", manifest),
        ("content.xml", content.as_str()),
    ] {
        zip.start_file(name, stored).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn doctors_ods_is_read_with_typed_cells() {
    let loaded = load(&[("doctors.ods", &ods(&demo_rows()))]);
    assert_eq!(errors(&loaded), Vec::<&Diagnostic>::new());
    assert_same(&loaded.territory.unwrap().doctors, &demo_doctors());

    // Row 7 (med-006), column F: an unknown status.
    let mut rows = demo_rows();
    assert_eq!(rows[6][0], "med-006");
    rows[6][5] = "plus_tard".into();
    let loaded = load(&[("doctors.ods", &ods(&rows))]);
    let shown = only_error(&loaded);
    assert!(
        shown.starts_with("doctors.ods:Feuille1!F7: erreur : statut « plus_tard » inconnu"),
        "{shown}"
    );
}

#[test]
fn two_doctors_lists_are_refused() {
    let csv = demo_csv();
    let loaded = load(&[
        ("doctors.csv", csv.as_bytes()),
        ("doctors.xlsx", &xlsx(&demo_rows())),
    ]);
    let shown = only_error(&loaded);
    assert!(
        shown.contains("deux listes de médecins : doctors.csv et doctors.xlsx"),
        "{shown}"
    );
    assert!(loaded.territory.is_none());
}
