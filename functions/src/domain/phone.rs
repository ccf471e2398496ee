//! Phone numbers as people write them in France, normalised to E.164 ("+33612345678").

use std::fmt;

use serde::{Deserialize, Serialize};

/// A phone number in E.164 form. Only [`PhoneNumber::parse`] makes one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts "06 12 34 56 78", "06.12.34.56.78", "+33 6 12 34 56 78", "+33 (0)6…", "0033 6…",
    /// and international numbers written with "+" or "00" (8 to 15 digits).
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let input = input.trim();
        if input.is_empty() {
            return Err(
                "Indiquez un numéro de téléphone : c'est par téléphone que nous vous rappelons.",
            );
        }
        if input.chars().count() > 30 {
            return Err("Ce numéro est trop long. Écrivez-le par exemple ainsi : 06 12 34 56 78.");
        }
        let compact: String = input
            .replace("(0)", "")
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '/' | '(' | ')' | '\u{a0}' | '\u{202f}'))
            .collect();
        let (international, digits) = if let Some(rest) = compact.strip_prefix('+') {
            (true, rest)
        } else if let Some(rest) = compact.strip_prefix("00").filter(|_| compact.len() != 10) {
            (true, rest)
        } else {
            (false, compact.as_str())
        };
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(
                "Un numéro de téléphone ne contient que des chiffres. Exemple : 06 12 34 56 78.",
            );
        }
        let e164 = if international {
            if let Some(national) = digits.strip_prefix("33") {
                french(national)?
            } else if (8..=15).contains(&digits.len()) && !digits.starts_with('0') {
                format!("+{digits}")
            } else {
                return Err(
                    "Ce numéro international n'est pas complet. Exemple : +33 6 12 34 56 78.",
                );
            }
        } else {
            match digits.strip_prefix('0') {
                Some(national) if digits.len() == 10 => french(national)?,
                _ => {
                    return Err(
                        "Un numéro français a 10 chiffres et commence par 0. Exemple : 06 12 34 56 78.",
                    );
                }
            }
        };
        Ok(Self(e164))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As French people read it: "06 12 34 56 78" for French numbers, E.164 otherwise.
    pub fn display_fr(&self) -> String {
        match self.0.strip_prefix("+33") {
            Some(national) => {
                let digits = format!("0{national}");
                digits
                    .as_bytes()
                    .chunks(2)
                    .map(|pair| std::str::from_utf8(pair).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            None => self.0.clone(),
        }
    }
}

/// How a phone line's number is dialled from a `tel:` link: "+33353012008" for a French number
/// written "03 53 01 20 08", short numbers ("3237", "116117") as they are; `None` when it is
/// neither. The one normaliser of the CPTS's line, for the site and the handler alike.
pub fn dial(number: &str) -> Option<String> {
    let compact: String = number
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{a0}' | '\u{202f}'))
        .collect();
    if (4..=6).contains(&compact.len()) && compact.chars().all(|c| c.is_ascii_digit()) {
        return Some(compact);
    }
    PhoneNumber::parse(number).ok().map(String::from)
}

/// The 9 digits after the country code (without the leading 0).
fn french(national: &str) -> Result<String, &'static str> {
    let national = national.strip_prefix('0').unwrap_or(national);
    if national.len() != 9 || national.starts_with('0') {
        return Err(
            "Un numéro français a 10 chiffres et commence par 0. Exemple : 06 12 34 56 78.",
        );
    }
    Ok(format!("+33{national}"))
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_formats_become_e164() {
        for input in [
            "06 12 34 56 78",
            "0612345678",
            "06.12.34.56.78",
            "06-12-34-56-78",
            "+33 6 12 34 56 78",
            "+33612345678",
            "+33 (0)6 12 34 56 78",
            "0033 6 12 34 56 78",
            "0033612345678",
            " 06\u{a0}12\u{a0}34\u{a0}56\u{a0}78 ",
        ] {
            assert_eq!(
                PhoneNumber::parse(input).map(|p| p.0),
                Ok("+33612345678".to_string()),
                "{input}"
            );
        }
        assert_eq!(
            PhoneNumber::parse("03 24 56 78 90").unwrap().as_str(),
            "+33324567890"
        );
        assert_eq!(
            PhoneNumber::parse("+32 475 12 34 56").unwrap().as_str(),
            "+32475123456"
        );
        assert_eq!(
            PhoneNumber::parse("0612345678").unwrap().display_fr(),
            "06 12 34 56 78"
        );
    }

    #[test]
    fn lines_are_dialled_in_e164_and_short_numbers_kept() {
        assert_eq!(dial("03 53 01 20 08").as_deref(), Some("+33353012008"));
        assert_eq!(dial("3237").as_deref(), Some("3237"));
        assert_eq!(dial("116 117").as_deref(), Some("116117"));
        assert_eq!(dial("03 53 01 20"), None);
        assert_eq!(dial("zéro trois"), None);
    }

    #[test]
    fn bad_numbers_are_named() {
        for input in [
            "",
            "06 12 34 56",
            "06 12 34 56 78 9",
            "00 12 34 56 78",
            "+33 0 12 34 56 78",
            "zéro six",
            "+",
            "0612345678🙂",
            "+0612345678",
            &"0".repeat(40),
        ] {
            assert!(PhoneNumber::parse(input).is_err(), "{input:?}");
        }
    }
}
