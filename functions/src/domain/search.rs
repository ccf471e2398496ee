//! Finding a request again from what a caller says: a name (accents and case ignored, a typo
//! tolerated), a phone number in any format, a birth date or year, a reference, a commune. One
//! search box: the query is read into typed terms, and a request is found when every term
//! matches its search keys ([`SearchKeys`], written with the request).
//!
//! Also the possible duplicates of a person ([`Identity`]): same phone, or same name and birth
//! date.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use territory::Territory;

use crate::domain::lifecycle::{CaseState, Request};
use crate::domain::phone::PhoneNumber;
use crate::domain::reference::{REFERENCE_LEN, is_reference};
use crate::domain::registration::Registration;

/// At most this many results are shown; the page says when there are more.
pub const LIMIT: usize = 50;
/// A query of names only needs at least this many letters.
pub const MIN_LETTERS: usize = 2;
/// Longer queries are cut here.
const MAX_QUERY_CHARS: usize = 200;
/// Commune names are at most this many words long ("Saint-Pierre-sur-Vence": 4).
const MAX_COMMUNE_WORDS: usize = 8;

/// Lowercase ASCII words separated by one space: accents folded ("Léa" → "lea", "Œ" → "oe"),
/// hyphens, apostrophes and any other sign read as spaces ("Saint-Léger d'Arc" → "saint leger d
/// arc").
pub fn normalise(text: &str) -> String {
    words(text).join(" ")
}

/// The words of `text`, normalised as [`normalise`] does.
pub fn words(text: &str) -> Vec<String> {
    deunicode::deunicode(text)
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// How many typos a typed word of `letters` letters may hold: none under 4 letters, one from 4,
/// two from 8.
pub fn typos_allowed(letters: usize) -> usize {
    match letters {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Whether the typed word `typed` names the stored word `stored`, both normalised: equal, or
/// within [`typos_allowed`] edits (a letter added, removed, changed, or two neighbours swapped —
/// the optimal string alignment form of the Damerau–Levenshtein distance).
pub fn word_matches(typed: &str, stored: &str) -> bool {
    if typed == stored {
        return true;
    }
    let allowed = typos_allowed(typed.len());
    allowed > 0
        && typed.len().abs_diff(stored.len()) <= allowed
        && strsim::osa_distance(typed, stored) <= allowed
}

/// Who a request is for, as duplicates are told: the normalised name (last name, then first
/// name), the phone number (E.164) and the birth date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub phone: String,
    pub birth_date: NaiveDate,
}

impl Identity {
    pub fn of(registration: &Registration) -> Self {
        Self {
            name: normalise(&format!(
                "{} {}",
                registration.last_name.as_str(),
                registration.first_name.as_str()
            )),
            phone: registration.phone.as_str().to_string(),
            birth_date: registration.birth_date.earliest(),
        }
    }

    /// Whether `other` may be the same person: same phone, or same name and birth date.
    pub fn may_be(&self, other: &Identity) -> bool {
        self.phone == other.phone
            || (self.name == other.name && self.birth_date == other.birth_date)
    }
}

/// What a request is found by, and only that: kept beside the request, deleted with it (these
/// are personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchKeys {
    pub reference: String,
    pub cpts: Option<String>,
    pub created_at: i64,
    /// The normalised words of the last and first names, without repeats.
    pub words: Vec<String>,
    pub identity: Identity,
    /// INSEE code of the commune.
    pub commune: String,
}

impl SearchKeys {
    pub fn of(request: &Request) -> Self {
        let identity = Identity::of(&request.registration);
        let mut words: Vec<String> = Vec::new();
        for w in identity.name.split(' ') {
            if !w.is_empty() && !words.iter().any(|known| known == w) {
                words.push(w.to_string());
            }
        }
        Self {
            reference: request.reference.clone(),
            cpts: request.cpts.clone(),
            created_at: request.created_at,
            words,
            identity,
            commune: request.registration.commune.clone(),
        }
    }
}

/// One thing the query says; a request is found when it matches every term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// "K7M4P9QX" (typed in any case).
    Reference(String),
    /// A phone number, E.164.
    Phone(String),
    BirthDate(NaiveDate),
    BirthYear(i32),
    /// A commune by INSEE code or postcode: the codes it may be.
    Communes(Vec<String>),
    /// Words of a name — or the name of a commune (its codes, when these words are one), or a
    /// reference without digits (eight letters).
    Name {
        words: Vec<String>,
        communes: Vec<String>,
        reference: Option<String>,
    },
}

impl Term {
    pub fn matches(&self, keys: &SearchKeys) -> bool {
        match self {
            Term::Reference(r) => keys.reference == *r,
            Term::Phone(p) => keys.identity.phone == *p,
            Term::BirthDate(d) => keys.identity.birth_date == *d,
            Term::BirthYear(y) => keys.identity.birth_date.year() == *y,
            Term::Communes(codes) => codes.contains(&keys.commune),
            Term::Name {
                words,
                communes,
                reference,
            } => {
                words
                    .iter()
                    .all(|typed| keys.words.iter().any(|stored| word_matches(typed, stored)))
                    || communes.contains(&keys.commune)
                    || reference.as_deref() == Some(keys.reference.as_str())
            }
        }
    }
}

/// A query read into terms (at least one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub terms: Vec<Term>,
}

/// Why a query cannot be searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryError {
    Empty,
    TooShort,
}

impl QueryError {
    /// What the page says.
    pub fn message(self) -> &'static str {
        match self {
            QueryError::Empty => {
                "Écrivez ce que vous savez de la personne : son nom, son numéro de téléphone, sa date de naissance, sa commune ou la référence de sa demande."
            }
            QueryError::TooShort => {
                "C'est trop court pour chercher : écrivez au moins deux lettres du nom, ou un numéro de téléphone, une date de naissance, une commune."
            }
        }
    }
}

impl Query {
    /// Reads `input`: a phone number (spaces, dots and "+33" allowed), a date ("14/07/1950",
    /// "1950-07-14"), a year ("1950"), a reference, an INSEE code or postcode, and words — each
    /// run of words that is the name of a commune of `territory` may be that commune.
    pub fn parse(input: &str, territory: &Territory) -> Result<Query, QueryError> {
        let input: String = input.chars().take(MAX_QUERY_CHARS).collect();
        let tokens: Vec<&str> = input.split_whitespace().collect();
        if tokens.is_empty() {
            return Err(QueryError::Empty);
        }
        let mut terms = Vec::new();
        let mut words: Vec<String> = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            if let Some((phone, used)) = phone_at(&tokens[i..]) {
                terms.push(Term::Phone(phone));
                i += used;
                continue;
            }
            let token = tokens[i];
            i += 1;
            if let Some(date) = date(token) {
                terms.push(Term::BirthDate(date));
            } else if let Some(year) = year(token) {
                terms.push(Term::BirthYear(year));
            } else if let Some(codes) = commune_code(token, territory) {
                terms.push(Term::Communes(codes));
            } else {
                let upper = token.to_ascii_uppercase();
                if is_reference(&upper) && upper.bytes().any(|b| b.is_ascii_digit()) {
                    terms.push(Term::Reference(upper));
                } else {
                    words.extend(words_of(token));
                }
            }
        }
        if terms.is_empty() && words.iter().map(String::len).sum::<usize>() < MIN_LETTERS {
            return Err(QueryError::TooShort);
        }
        terms.extend(name_terms(&words, territory));
        if terms.is_empty() {
            return Err(QueryError::TooShort);
        }
        Ok(Query { terms })
    }

    pub fn matches(&self, keys: &SearchKeys) -> bool {
        self.terms.iter().all(|t| t.matches(keys))
    }

    /// Every typed name word, for a store that looks words up in its vocabulary.
    pub fn name_words(&self) -> impl Iterator<Item = &str> {
        self.terms
            .iter()
            .flat_map(|t| match t {
                Term::Name { words, .. } => words.as_slice(),
                _ => &[],
            })
            .map(String::as_str)
    }
}

/// The normalised words of one token of the query.
fn words_of(token: &str) -> Vec<String> {
    words(token)
}

/// A phone number written over the first tokens (up to six: "06 12 34 56 78", "+33 6 12 34 56
/// 78"), and how many tokens it took; the longest that reads as one.
fn phone_at(tokens: &[&str]) -> Option<(String, usize)> {
    let dialled = |t: &str| {
        t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '.' | '-' | '(' | ')'))
    };
    let run = tokens.iter().take(6).take_while(|t| dialled(t)).count();
    (1..=run).rev().find_map(|n| {
        let joined = tokens[..n].concat();
        let digits = joined.chars().filter(char::is_ascii_digit).count();
        if digits < 9 {
            return None;
        }
        PhoneNumber::parse(&joined)
            .ok()
            .map(|p| (p.as_str().to_string(), n))
    })
}

/// "14/07/1950", "14-07-1950", "14.07.1950" or "1950-07-14".
fn date(token: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(token, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&token.replace(['-', '.'], "/"), "%d/%m/%Y"))
        .ok()
        .filter(|d| d.year() >= 1900)
}

/// "1950": a birth year (1900 to 2100).
fn year(token: &str) -> Option<i32> {
    if token.len() != 4 || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok().filter(|y| (1900..=2100).contains(y))
}

/// "08409" (INSEE code, also "2A004") or "08300" (postcode): the communes it names.
fn commune_code(token: &str, territory: &Territory) -> Option<Vec<String>> {
    let code = token.to_ascii_uppercase();
    let shaped = code.len() == 5
        && code.bytes().skip(2).all(|b| b.is_ascii_digit())
        && (code[..2].bytes().all(|b| b.is_ascii_digit()) || matches!(&code[..2], "2A" | "2B"));
    if !shaped {
        return None;
    }
    let mut codes: Vec<String> = territory
        .communes
        .iter()
        .filter(|c| c.code == code || c.postcodes.contains(&code))
        .map(|c| c.code.clone())
        .collect();
    if codes.is_empty() {
        codes.push(code);
    }
    Some(codes)
}

/// The name terms of the query's words: each run of words that is a commune's whole name is one
/// term (those words as a name, or that commune); every other word is a term of its own.
fn name_terms(words: &[String], territory: &Territory) -> Vec<Term> {
    if words.is_empty() {
        return Vec::new();
    }
    let mut communes: HashMap<String, Vec<String>> = HashMap::new();
    for c in &territory.communes {
        communes
            .entry(normalise(&c.name))
            .or_default()
            .push(c.code.clone());
    }
    let mut terms = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let longest = (i + MAX_COMMUNE_WORDS).min(words.len());
        let run = (i + 1..=longest)
            .rev()
            .find_map(|j| communes.get(&words[i..j].join(" ")).map(|codes| (j, codes)));
        let (end, codes) = match run {
            Some((j, codes)) => (j, codes.clone()),
            None => (i + 1, Vec::new()),
        };
        let run_words = words[i..end].to_vec();
        let reference = match run_words.as_slice() {
            [one] if one.len() == REFERENCE_LEN => {
                Some(one.to_ascii_uppercase()).filter(|r| is_reference(r))
            }
            _ => None,
        };
        terms.push(Term::Name {
            words: run_words,
            communes: codes,
            reference,
        });
        i = end;
    }
    terms
}

/// A request found: what the results list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub reference: String,
    /// As the person wrote it: "Léa Dupré".
    pub name: String,
    /// INSEE code of the commune.
    pub commune: String,
    pub cpts: Option<String>,
    pub state: CaseState,
    pub created_at: i64,
}

/// "Léa Dupré": the name as the person wrote it, for the results list.
pub fn display_name(request: &Request) -> String {
    let r = &request.registration;
    format!("{} {}", r.first_name.as_str(), r.last_name.as_str())
}

/// The requests found, newest first, at most [`LIMIT`]; `more` when others matched too.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Found {
    pub hits: Vec<Hit>,
    pub more: bool,
}

/// How long ago a request came, as the list says it: « aujourd'hui », « hier », « il y a 12
/// jours », « il y a 3 mois », « il y a 2 ans ».
pub fn ago_fr(created_at: i64, now: i64) -> String {
    let days = (now - created_at).max(0) / 86_400;
    match days {
        0 => "aujourd'hui".into(),
        1 => "hier".into(),
        2..=59 => format!("il y a {days} jours"),
        60..=729 => format!("il y a {} mois", days / 30),
        _ => format!("il y a {} ans", days / 365),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three communes, enough for the query's communes.
    fn territory() -> Territory {
        let communes = [
            ("08409", "Sedan", "08200"),
            ("08398", "Saint-Menges", "08200"),
            ("08362", "Rethel", "08300"),
        ]
        .into_iter()
        .map(|(code, name, postcode)| territory::Commune {
            code: code.into(),
            name: name.into(),
            postcodes: vec![postcode.into()],
            population: 1000,
            centre: territory::LonLat {
                lon: 4.9,
                lat: 49.7,
            },
            area_km2: 10.0,
            geometry: Vec::new(),
            cpts: None,
        })
        .collect();
        Territory::new(communes, Vec::new(), Vec::new())
    }

    fn keys() -> SearchKeys {
        SearchKeys {
            reference: "K7M4P9QX".into(),
            cpts: Some("rethelois".into()),
            created_at: 0,
            words: vec!["dupre".into(), "lea".into()],
            identity: Identity {
                name: "dupre lea".into(),
                phone: "+33612345678".into(),
                birth_date: NaiveDate::from_ymd_opt(1950, 7, 14).unwrap(),
            },
            commune: "08398".into(),
        }
    }

    fn finds(query: &str) -> bool {
        Query::parse(query, &territory()).unwrap().matches(&keys())
    }

    #[test]
    fn names_are_folded() {
        assert_eq!(normalise("  Léa   DUPRÉ "), "lea dupre");
        assert_eq!(normalise("Saint-Léger d'Arc"), "saint leger d arc");
        assert_eq!(normalise("Jean‑Noël L’Hôte"), "jean noel l hote");
        assert_eq!(normalise("Œuvray Ærø"), "oeuvray aero");
        assert_eq!(normalise("ÇA"), "ca");
    }

    #[test]
    fn a_typo_is_tolerated_by_the_length_of_the_word() {
        assert_eq!(typos_allowed(3), 0);
        assert_eq!(typos_allowed(4), 1);
        assert_eq!(typos_allowed(8), 2);
        assert!(word_matches("dupre", "dupre"));
        assert!(word_matches("dupres", "dupre"));
        assert!(word_matches("dpure", "dupre"), "two letters swapped");
        assert!(word_matches("dupra", "dupre"));
        assert!(!word_matches("dupont", "dupre"));
        assert!(!word_matches("lee", "lea"), "short words must be exact");
        assert!(word_matches("lefebvre", "lefevre"));
        assert!(
            word_matches("lefeuvbre", "lefevre"),
            "two typos from 8 letters"
        );
        assert!(
            !word_matches("martin", "mertan"),
            "two typos under 8 letters"
        );
    }

    #[test]
    fn accents_case_and_typos_in_queries() {
        assert!(finds("Dupré"));
        assert!(finds("DUPRE lea"));
        assert!(finds("dupree"));
        assert!(finds("Léa Dupre"));
        assert!(!finds("Martin"));
        assert!(!finds("Dupré Marie"), "every word must match");
    }

    #[test]
    fn phone_numbers_in_any_format() {
        for q in [
            "06 12 34 56 78",
            "+33612345678",
            "0612345678",
            "06.12.34.56.78",
            "+33 6 12 34 56 78",
            "06-12-34-56-78",
        ] {
            let query = Query::parse(q, &territory()).unwrap();
            assert_eq!(query.terms, [Term::Phone("+33612345678".into())], "{q}");
            assert!(query.matches(&keys()));
        }
        assert!(!finds("06 12 34 56 79"));
        assert!(finds("dupre 06 12 34 56 78"));
    }

    #[test]
    fn birth_dates_and_years() {
        assert!(finds("14/07/1950"));
        assert!(finds("1950-07-14"));
        assert!(finds("14.07.1950"));
        assert!(finds("1950"));
        assert!(!finds("1951"));
        assert!(!finds("15/07/1950"));
        assert!(finds("dupre 1950"));
        assert_eq!(
            Query::parse("1950", &territory()).unwrap().terms,
            [Term::BirthYear(1950)]
        );
    }

    #[test]
    fn references_and_communes() {
        assert!(finds("K7M4P9QX"));
        assert!(finds("k7m4p9qx"));
        assert!(!finds("K7M4P9QY"));
        assert!(finds("Saint-Menges"));
        assert!(finds("saint menges"));
        assert!(finds("SAINT MENGES dupre"));
        assert!(finds("08398"), "INSEE code");
        assert!(finds("08200"), "postcode");
        assert!(!finds("Sedan"));
        assert!(!finds("08300"));
    }

    #[test]
    fn queries_are_read_into_terms() {
        let query = Query::parse("Dupré Léa saint-menges 1950 06 12 34 56 78", &territory());
        assert_eq!(
            query.unwrap().terms,
            [
                Term::BirthYear(1950),
                Term::Phone("+33612345678".into()),
                Term::Name {
                    words: vec!["dupre".into()],
                    communes: vec![],
                    reference: None
                },
                Term::Name {
                    words: vec!["lea".into()],
                    communes: vec![],
                    reference: None
                },
                Term::Name {
                    words: vec!["saint".into(), "menges".into()],
                    communes: vec!["08398".into()],
                    reference: None
                },
            ]
        );
        // Eight letters may be a name or a reference without digits.
        let query = Query::parse("lefebvre", &territory()).unwrap();
        assert_eq!(
            query.terms,
            [Term::Name {
                words: vec!["lefebvre".into()],
                communes: vec![],
                reference: Some("LEFEBVRE".into())
            }]
        );
        assert_eq!(Query::parse("  ", &territory()), Err(QueryError::Empty));
        assert_eq!(Query::parse("d", &territory()), Err(QueryError::TooShort));
        assert_eq!(Query::parse("- '", &territory()), Err(QueryError::TooShort));
        assert!(Query::parse("Li", &territory()).is_ok());
    }

    #[test]
    fn duplicates_share_a_phone_or_a_name_and_birth_date() {
        let a = keys().identity;
        let mut b = a.clone();
        b.name = "martin paul".into();
        assert!(a.may_be(&b), "same phone");
        b.phone = "+33700000000".into();
        assert!(!a.may_be(&b));
        b.name = a.name.clone();
        assert!(a.may_be(&b), "same name and birth date");
        b.birth_date = NaiveDate::from_ymd_opt(1951, 7, 14).unwrap();
        assert!(!a.may_be(&b));
    }

    #[test]
    fn ages_in_french() {
        let day = 86_400;
        assert_eq!(ago_fr(0, 3600), "aujourd'hui");
        assert_eq!(ago_fr(0, day + 5), "hier");
        assert_eq!(ago_fr(0, 12 * day), "il y a 12 jours");
        assert_eq!(ago_fr(0, 95 * day), "il y a 3 mois");
        assert_eq!(ago_fr(0, 800 * day), "il y a 2 ans");
    }
}
