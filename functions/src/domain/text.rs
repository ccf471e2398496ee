//! Free text as people type it: what is kept of a sent answer. Control characters (NUL, escape…)
//! and the invisible bidirectional controls (U+202E and its kin, which make a name read backwards
//! on a staff page) are never typed by a person: they are removed. A single-line field keeps no
//! line break; a multi-line one keeps its line breaks as LF and its tabs.

/// `input` with control and bidirectional-control characters removed; line breaks and tabs
/// become spaces unless `multiline`, where CRLF and CR become LF.
pub fn clean(input: &str, multiline: bool) -> String {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' | '\n' | '\t' if !multiline => out.push(' '),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() || is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// The Unicode bidirectional formatting characters (marks, embeddings, overrides, isolates).
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_are_removed() {
        assert_eq!(clean("Mairie\0 de Sedan", false), "Mairie de Sedan");
        assert_eq!(clean("Mairie\r\nde Sedan", false), "Mairie  de Sedan");
        assert_eq!(clean("\u{202E}nadeS\u{202C}", false), "nadeS");
        assert_eq!(clean("a\u{1b}[31mb\u{7f}", false), "a[31mb");
        assert_eq!(
            clean("Dupré-Lefèvre d’Aubigné", false),
            "Dupré-Lefèvre d’Aubigné"
        );
        assert_eq!(
            clean("ligne 1\r\nligne 2\rligne 3\t!", true),
            "ligne 1\nligne 2\nligne 3\t!"
        );
    }
}
