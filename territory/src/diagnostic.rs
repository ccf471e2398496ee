//! Problems found in content files, located at file:line:column, in French for communication staff.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in one content file: where it is, what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: PathBuf,
    /// 1-based. In a workbook's sheet (`file` is then `doctors.xlsx:Feuille1`): the row number.
    pub line: usize,
    /// 1-based, counted in characters (what an editor shows). In a sheet: the column number,
    /// shown as its letters (`doctors.xlsx:Feuille1!C12`).
    pub column: usize,
    pub message: String,
    pub fix: String,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Spreadsheet column letters of a 1-based column: 1 → A, 27 → AA.
pub fn column_letters(mut column: usize) -> String {
    let mut letters = Vec::new();
    while column > 0 {
        let rest = (column - 1) % 26;
        letters.push(b'A' + rest as u8);
        column = (column - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// The workbooks whose rows are located by sheet and cell rather than line and column.
const WORKBOOK_EXTENSIONS: [&str; 2] = ["xlsx", "ods"];

/// Whether a diagnostic's file names a workbook's sheet (`doctors.xlsx:Feuille1`), to be shown as
/// `doctors.xlsx:Feuille1!C12`.
pub(crate) fn is_sheet(file: &Path) -> bool {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    WORKBOOK_EXTENSIONS
        .iter()
        .any(|extension| name.contains(&format!(".{extension}:")))
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "erreur",
            Severity::Warning => "avertissement",
        };
        if is_sheet(&self.file) {
            // A workbook's cell, as the spreadsheet names it: doctors.xlsx:Feuille1!C12.
            return write!(
                f,
                "{}!{}{}: {kind} : {}\n    → {}",
                self.file.display(),
                column_letters(self.column),
                self.line,
                self.message,
                self.fix
            );
        }
        write!(
            f,
            "{}:{}:{}: {kind} : {}\n    → {}",
            self.file.display(),
            self.line,
            self.column,
            self.message,
            self.fix
        )
    }
}

/// A content file's text, able to turn byte offsets into line and column.
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// Reads a file; an unreadable file becomes a diagnostic.
    pub fn read(path: &Path) -> Result<Self, Diagnostic> {
        match std::fs::read(path) {
            // French text is full of multi-byte characters, where the standard check is slow.
            Ok(bytes) => match simdutf8::basic::from_utf8(&bytes) {
                Ok(text) => Ok(Self::new(path, text.to_owned())),
                Err(_) => {
                    let offset = std::str::from_utf8(&bytes)
                        .err()
                        .map_or(0, |e| e.valid_up_to());
                    let source = Self::new(path, String::from_utf8_lossy(&bytes).into_owned());
                    Err(source.error(
                        offset,
                        "le fichier n'est pas encodé en UTF-8",
                        "enregistrez le fichier en UTF-8 (dans le tableur : « CSV UTF-8 » ; dans l'éditeur : encodage UTF-8)",
                    ))
                }
            },
            Err(e) => Err(Diagnostic {
                severity: Severity::Error,
                file: path.to_path_buf(),
                line: 1,
                column: 1,
                message: format!("impossible de lire le fichier ({e})"),
                fix: "vérifiez que le fichier existe et qu'il est lisible".into(),
            }),
        }
    }

    /// 1-based line and character column of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        let column = self.text[start..floor_char_boundary(&self.text, offset)]
            .chars()
            .count()
            + 1;
        (line, column)
    }

    pub fn diagnostic(
        &self,
        severity: Severity,
        offset: usize,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Diagnostic {
        let (line, column) = self.position(offset);
        Diagnostic {
            severity,
            file: self.path.clone(),
            line,
            column,
            message: message.into(),
            fix: fix.into(),
        }
    }

    pub fn error(
        &self,
        offset: usize,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Diagnostic {
        self.diagnostic(Severity::Error, offset, message, fix)
    }

    pub fn warning(
        &self,
        offset: usize,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Diagnostic {
        self.diagnostic(Severity::Warning, offset, message, fix)
    }

    /// The text of the line holding byte `offset`, without its line ending.
    pub fn line_at(&self, offset: usize) -> &str {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        let end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        self.text[start..end].trim_end_matches('\r')
    }

    /// Byte offset of the `nth` (0-based) occurrence of `needle`, used where a parser gives no span.
    pub fn find_nth(&self, needle: &str, nth: usize) -> Option<usize> {
        self.text.match_indices(needle).nth(nth).map(|(i, _)| i)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Turns a TOML parse or schema error into a French diagnostic. `base` is the byte offset of the
/// TOML text inside `source` (non-zero for front matter).
pub fn toml_diagnostic(source: &SourceFile, base: usize, error: &toml::de::Error) -> Diagnostic {
    let offset = base + error.span().map(|s| s.start).unwrap_or(0);
    let raw = error.message().trim();
    let (message, fix) = translate_serde_message(raw);
    // A syntax error is explained by its line when it is a usual mistake.
    let (message, fix) = if message.starts_with("syntaxe TOML invalide") {
        toml_hint(source.line_at(offset)).unwrap_or((message, fix))
    } else {
        (message, fix)
    };
    source.error(offset, message, fix)
}

/// The usual mistakes behind a TOML syntax error, told by what is written on its line
/// (`key = value`): typographic quotes, a French date, a day that does not exist, a number in words.
pub fn toml_hint(line: &str) -> Option<(String, String)> {
    let (key, value) = line.split_once('=')?;
    let key = key.trim();
    let value = value.trim();
    let value = value
        .split_once(" #")
        .map_or(value, |(v, _)| v.trim_end())
        .trim_end_matches(',');
    const CURLY: [char; 8] = ['“', '”', '«', '»', '‘', '’', '„', '‹'];
    if value.starts_with(CURLY) || value.ends_with(CURLY) {
        return Some((
            format!("guillemets typographiques dans la valeur de « {key} »"),
            format!("utilisez des guillemets droits \"…\" : {key} = \"…\""),
        ));
    }
    if let Some(hint) = date_hint(value) {
        return Some(hint);
    }
    let word = value.to_lowercase();
    if NUMBER_WORDS.contains(&word.as_str()) {
        return Some((
            format!("« {key} » attend un nombre, pas « {value} »"),
            format!("écrivez un nombre en chiffres, sans guillemets, par exemple {key} = 10"),
        ));
    }
    if value.starts_with(|c: char| c.is_alphabetic()) && value != "true" && value != "false" {
        return Some((
            format!("texte sans guillemets dans la valeur de « {key} »"),
            format!(
                "mettez le texte entre guillemets droits : {key} = \"{value}\" (ou écrivez un nombre, true ou false)"
            ),
        ));
    }
    None
}

/// Numbers written in words, as staff may type them.
const NUMBER_WORDS: &[&str] = &[
    "zéro",
    "zero",
    "un",
    "une",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
    "vingt",
    "trente",
    "quarante",
    "cinquante",
    "soixante",
    "cent",
    "mille",
];

/// What is wrong with a date written `value`, when it is meant as one: a French `JJ/MM/AAAA` date,
/// or an `AAAA-MM-JJ` day that does not exist (30 February).
pub fn date_hint(value: &str) -> Option<(String, String)> {
    let value = value.trim_matches(|c| c == '"' || c == '\'');
    let numbers = |parts: Vec<&str>| -> Option<Vec<u32>> {
        parts
            .iter()
            .map(|p| {
                (!p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| p.parse().ok())
                    .flatten()
            })
            .collect()
    };
    if let Some([day, month, year]) = numbers(value.split('/').collect()).as_deref()
        && *year >= 1000
    {
        let written = format!("{year:04}-{month:02}-{day:02}");
        let fix = match chrono::NaiveDate::from_ymd_opt(*year as i32, *month, *day) {
            Some(_) => format!("écrivez {written} (année-mois-jour, sans guillemets)"),
            None => format!(
                "ce jour n'existe pas : vérifiez le jour et le mois, puis écrivez-le sous la forme AAAA-MM-JJ (ici {written})"
            ),
        };
        return Some((format!("date « {value} » écrite à la française"), fix));
    }
    let day_part = value.get(..10).unwrap_or(value);
    if let Some([year, month, day]) = numbers(day_part.split('-').collect()).as_deref()
        && day_part.len() == 10
        && (1..=12).contains(month)
        && (1..=31).contains(day)
        && chrono::NaiveDate::from_ymd_opt(*year as i32, *month, *day).is_none()
    {
        return Some((
            format!("date « {value} » impossible"),
            "ce jour n'existe pas : vérifiez le jour et le mois (AAAA-MM-JJ, par exemple 2026-02-28)"
                .to_string(),
        ));
    }
    None
}

/// serde and toml speak English; communication staff read French. The common cases are translated,
/// the rest keep the original detail behind a French explanation.
pub fn translate_serde_message(raw: &str) -> (String, String) {
    if let Some(rest) = raw.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let expected = expected
            .trim_start_matches(", expected one of ")
            .trim_start_matches(", expected ")
            .replace('`', "");
        let fix = if expected.is_empty() || expected.starts_with("there are no fields") {
            "supprimez cette clé".to_string()
        } else {
            format!("supprimez cette clé ou corrigez son nom ; clés possibles : {expected}")
        };
        return (format!("clé inconnue « {field} »"), fix);
    }
    if let Some(rest) = raw.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return (
            format!("clé obligatoire « {field} » absente"),
            format!("ajoutez une ligne « {field} = … »"),
        );
    }
    if let Some(rest) = raw.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        return (
            format!("valeur du mauvais type ({found}, attendu : {expected})"),
            "corrigez la valeur : le texte s'écrit entre guillemets, les nombres et true/false sans guillemets"
                .to_string(),
        );
    }
    if let Some(rest) = raw.strip_prefix("duplicate key") {
        return (
            format!("clé en double{rest}"),
            "gardez une seule ligne pour cette clé".to_string(),
        );
    }
    (
        format!("syntaxe TOML invalide ({raw})"),
        "vérifiez les guillemets, les crochets et le signe = sur cette ligne".to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let source = SourceFile::new("f", "ab\nçé=x\n".to_string());
        assert_eq!(source.position(0), (1, 1));
        assert_eq!(source.position(3), (2, 1));
        // "çé" is 4 bytes but 2 characters.
        assert_eq!(source.position(7), (2, 3));
    }

    #[test]
    fn usual_toml_mistakes_are_explained_by_their_line() {
        let hint = |line| toml_hint(line).map(|(_, fix)| fix);
        assert!(
            hint("title = « Accueil »")
                .unwrap()
                .contains("guillemets droits")
        );
        assert!(
            hint("date = 1/2/2026")
                .unwrap()
                .starts_with("écrivez 2026-02-01")
        );
        assert!(
            hint("date = 31/04/2026")
                .unwrap()
                .starts_with("ce jour n'existe pas")
        );
        assert!(
            hint("updated = 2025-02-29")
                .unwrap()
                .starts_with("ce jour n'existe pas")
        );
        assert!(hint("weight = Dix").unwrap().contains("nombre"));
        assert!(hint("demo = oui").unwrap().contains("demo = \"oui\""));
        assert_eq!(hint("title = \"Accueil"), None);
        assert_eq!(hint("[phone]"), None);
    }

    #[test]
    fn unknown_field_is_translated() {
        let (message, fix) =
            translate_serde_message("unknown field `titel`, expected one of `title`, `date`");
        assert_eq!(message, "clé inconnue « titel »");
        assert!(fix.contains("title, date"), "{fix}");
    }
}
