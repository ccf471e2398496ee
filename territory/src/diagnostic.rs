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

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "erreur",
            Severity::Warning => "avertissement",
        };
        if crate::load::sheets::is_sheet(&self.file) {
            // A workbook's cell, as the spreadsheet names it: doctors.xlsx:Feuille1!C12.
            return write!(
                f,
                "{}!{}{}: {kind} : {}\n    → {}",
                self.file.display(),
                crate::load::sheets::column_letters(self.column),
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
    source.error(offset, message, fix)
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
    fn unknown_field_is_translated() {
        let (message, fix) =
            translate_serde_message("unknown field `titel`, expected one of `title`, `date`");
        assert_eq!(message, "clé inconnue « titel »");
        assert!(fix.contains("title, date"), "{fix}");
    }
}
