//! The doctors' list as staff really save it: a CSV from any spreadsheet (UTF-8 with or without a
//! BOM, or Windows-1252 from Excel's « CSV (séparateur : point-virgule) »; CRLF or LF), or the
//! workbook itself (`doctors.xlsx`, `doctors.ods`), its first sheet read as the table.

use std::path::{Path, PathBuf};

use calamine::{Data, Reader};

use crate::diagnostic::{Diagnostic, Severity, SourceFile};

/// The names the doctors' list may have, in the order they are looked for.
pub const DOCTORS_FILES: [&str; 3] = ["doctors.csv", "doctors.xlsx", "doctors.ods"];

/// A doctors' file found in `dir`: the one that exists, or an error when none or several do.
pub(crate) enum Found {
    Csv(PathBuf),
    Workbook(PathBuf),
}

pub(crate) fn find(dir: &Path) -> Result<Found, Diagnostic> {
    let present: Vec<&str> = DOCTORS_FILES
        .iter()
        .copied()
        .filter(|name| dir.join(name).is_file())
        .collect();
    match present.as_slice() {
        // None: reading doctors.csv says the file is missing, as for any content file.
        [] => Ok(Found::Csv(dir.join(DOCTORS_FILES[0]))),
        [one] if one.ends_with(".csv") => Ok(Found::Csv(dir.join(one))),
        [one] => Ok(Found::Workbook(dir.join(one))),
        several => Err(Diagnostic {
            severity: Severity::Error,
            file: dir.join(several[1]),
            line: 1,
            column: 1,
            message: format!(
                "deux listes de médecins : {} (une seule est lue)",
                several.join(" et ")
            ),
            fix: "gardez un seul fichier (doctors.csv, doctors.xlsx ou doctors.ods) : supprimez ou renommez les autres"
                .into(),
        }),
    }
}

/// Reads a CSV as text: the BOM dropped (positions are what an editor shows), UTF-8 when it is,
/// Windows-1252 (Excel's French CSV) otherwise.
pub(crate) fn read_csv(path: &Path) -> Result<SourceFile, Diagnostic> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        // The same message as any unreadable content file.
        Err(_) => return SourceFile::read(path),
    };
    Ok(SourceFile::new(path, decode(&bytes)))
}

fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// A workbook's first sheet as text cells, with where each cell is.
pub(crate) struct Sheet {
    /// `doctors.xlsx:Feuille1`: what diagnostics name as their file.
    pub located: PathBuf,
    /// 0-based row and column of `rows[0][0]` in the sheet.
    pub start: (usize, usize),
    pub rows: Vec<Vec<String>>,
}

impl Sheet {
    /// A diagnostic at the cell of `rows[row][column]`.
    pub fn diagnostic(
        &self,
        severity: Severity,
        row: usize,
        column: usize,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity,
            file: self.located.clone(),
            line: self.start.0 + row + 1,
            column: self.start.1 + column + 1,
            message: message.into(),
            fix: fix.into(),
        }
    }

    /// The row number a spreadsheet shows for `rows[row]`.
    pub fn row_number(&self, row: usize) -> usize {
        self.start.0 + row + 1
    }
}

pub(crate) fn read_workbook(path: &Path) -> Result<Sheet, Diagnostic> {
    let unreadable = |detail: String| {
        Diagnostic {
        severity: Severity::Error,
        file: path.to_path_buf(),
        line: 1,
        column: 1,
        message: format!("classeur illisible ({detail})"),
        fix: "enregistrez le classeur au format Excel (.xlsx) ou OpenDocument (.ods), ou en CSV (doctors.csv)"
            .into(),
    }
    };
    let mut workbook = calamine::open_workbook_auto(path).map_err(|e| unreadable(e.to_string()))?;
    let name = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| unreadable("aucune feuille".into()))?;
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| unreadable(e.to_string()))?;
    let start = range
        .start()
        .map_or((0, 0), |(r, c)| (r as usize, c as usize));
    let rows = range
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect();
    Ok(Sheet {
        located: PathBuf::from(format!("{}:{name}", path.display())),
        start,
        rows,
    })
}

/// A cell as the CSV would have it: whole numbers without decimals (Excel stores the code
/// 08409 as the number 8409), dates as AAAA-MM-JJ, booleans as oui/non.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "oui" } else { "non" }.to_string(),
        Data::DateTime(d) if d.is_datetime() => {
            let (year, month, day, ..) = d.to_ymd_hms_milli();
            format!("{year:04}-{month:02}-{day:02}")
        }
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::DateTimeIso(s) => s.split('T').next().unwrap_or(s).to_string(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::column_letters;

    #[test]
    fn columns_are_lettered_as_spreadsheets_do() {
        assert_eq!(column_letters(1), "A");
        assert_eq!(column_letters(3), "C");
        assert_eq!(column_letters(26), "Z");
        assert_eq!(column_letters(27), "AA");
    }

    #[test]
    fn windows_1252_is_decoded_and_the_bom_dropped() {
        assert_eq!(decode(b"\xEF\xBB\xBFid;nom"), "id;nom");
        assert_eq!(decode(b"Dr H\xE9l\xE8ne"), "Dr Hélène");
        assert_eq!(decode("Dr Hélène".as_bytes()), "Dr Hélène");
    }
}
