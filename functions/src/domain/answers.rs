//! What the browser sent, as text, before any check: the form's answers, kept whole so a form with
//! errors comes back exactly as it was filled in.

use std::collections::BTreeMap;

use serde_json::Value;

use super::text;

/// Longest answer kept for any field; longer input is cut (and then reported by the field's check).
pub const MAX_FIELD_CHARS: usize = 500;
/// At most this many fields are read from one submission.
const MAX_FIELDS: usize = 64;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers(BTreeMap<String, String>);

impl Answers {
    /// Parses an `application/x-www-form-urlencoded` body. Invalid UTF-8 becomes U+FFFD (then
    /// refused by the field checks); repeated fields keep their first value.
    pub fn from_form(body: &[u8]) -> Self {
        let mut map = BTreeMap::new();
        for (key, value) in form_urlencoded::parse(body).take(MAX_FIELDS) {
            if key.len() > 64 {
                continue;
            }
            let text = kept(&key, &value);
            map.entry(key.into_owned()).or_insert(text);
        }
        Self(map)
    }

    /// Parses a JSON object whose values are strings, booleans or numbers.
    pub fn from_json(body: &[u8]) -> Option<Self> {
        let Value::Object(object) = serde_json::from_slice::<Value>(body).ok()? else {
            return None;
        };
        let map = object
            .into_iter()
            .take(MAX_FIELDS)
            .filter_map(|(k, v)| {
                let text = match v {
                    Value::String(s) => kept(&k, &s),
                    Value::Bool(true) => "oui".to_string(),
                    Value::Bool(false) | Value::Null => return None,
                    Value::Number(n) => n.to_string(),
                    _ => return None,
                };
                Some((k, text))
            })
            .collect();
        Some(Self(map))
    }

    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map_or("", |s| s.as_str())
    }

    /// A checkbox or yes/no answer: "oui", "on", "true" or "1".
    pub fn yes(&self, field: &str) -> bool {
        matches!(self.get(field).trim(), "oui" | "on" | "true" | "1")
    }

    pub fn set(&mut self, field: &str, value: impl Into<String>) {
        self.0.insert(field.to_string(), value.into());
    }

    pub fn remove(&mut self, field: &str) {
        self.0.remove(field);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// The fields typed in a multi-line box (`<textarea>`): they keep their line breaks.
const MULTILINE_FIELDS: &[&str] = &["note", "decision"];

/// What is kept of the answer `value` to field `key`: cleaned of control characters
/// ([`text::clean`], the one place every free-text field goes through), then cut.
fn kept(key: &str, value: &str) -> String {
    text::clean(value, MULTILINE_FIELDS.contains(&key))
        .chars()
        .take(MAX_FIELD_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies() {
        let a = Answers::from_form(b"last_name=L%C3%A9a+Dupr%C3%A9&x=1&x=2&bad=%FF%FE");
        assert_eq!(a.get("last_name"), "Léa Dupré");
        assert_eq!(a.get("x"), "1");
        assert_eq!(a.get("bad"), "\u{fffd}\u{fffd}");
        assert_eq!(a.get("missing"), "");
        let long = format!("a={}", "z".repeat(5000));
        assert_eq!(
            Answers::from_form(long.as_bytes()).get("a").len(),
            MAX_FIELD_CHARS
        );
    }

    #[test]
    fn json_bodies() {
        let a =
            Answers::from_json(br#"{"phone":"0612345678","ald":true,"c2s":false,"n":3}"#).unwrap();
        assert_eq!(a.get("phone"), "0612345678");
        assert!(a.yes("ald"));
        assert!(!a.yes("c2s"));
        assert_eq!(a.get("n"), "3");
        assert!(Answers::from_json(b"[1]").is_none());
        assert!(Answers::from_json(b"{").is_none());
    }
}
