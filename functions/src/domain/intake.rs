//! How a request came in ([`Channel`]), and what a staff member adds when she takes it by phone or
//! on paper ([`Intake`]): who called when it was not the person, the date of the call, a short note.
//! [`parse`] reads the staff form's extra fields; the person's own answers are read by
//! [`registration::parse`](crate::domain::registration::parse), as on the public form.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::answers::Answers;
use crate::domain::phone::PhoneNumber;
use crate::domain::registration::{FieldError, Name};

/// The poster (or other link) that brought a visitor to the public form: the `src=` tag of its
/// URL, e.g. "affiche-rethelois-a4". A short slug; anything else is dropped, never trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Source(String);

impl Source {
    pub const MAX_LEN: usize = 60;

    /// Lowercase ASCII letters, digits and single hyphens inside, 1 to 60 characters.
    pub fn parse(input: &str) -> Option<Self> {
        let s = input.trim();
        let valid = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        valid.then(|| Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Source {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s).ok_or_else(|| format!("invalid source tag {s:?}"))
    }
}

impl From<Source> for String {
    fn from(s: Source) -> String {
        s.0
    }
}

/// How a request came. The codes are stable: they are stored and counted by channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Channel {
    /// The public web form, with the poster's tag when the visit came from one.
    Web {
        #[serde(default)]
        source: Option<Source>,
    },
    Telephone,
    Paper,
    /// Sent by a health professional (a practice, a pharmacy, a hospital).
    Professional,
    TownHall,
    FranceServices,
    Other,
}

/// Requests stored before channels were recorded all came from the web form.
impl Default for Channel {
    fn default() -> Self {
        Channel::Web { source: None }
    }
}

impl Channel {
    /// The channels a staff member may choose, by code, in the staff form's order.
    pub const STAFF: [Channel; 6] = [
        Channel::Telephone,
        Channel::Paper,
        Channel::Professional,
        Channel::TownHall,
        Channel::FranceServices,
        Channel::Other,
    ];

    /// The stable code, e.g. "telephone".
    pub fn code(&self) -> &'static str {
        match self {
            Channel::Web { .. } => "web",
            Channel::Telephone => "telephone",
            Channel::Paper => "paper",
            Channel::Professional => "professional",
            Channel::TownHall => "town_hall",
            Channel::FranceServices => "france_services",
            Channel::Other => "other",
        }
    }

    /// In French, for the staff's pages.
    pub fn label(&self) -> &'static str {
        match self {
            Channel::Web { .. } => "Formulaire en ligne",
            Channel::Telephone => "Appel téléphonique",
            Channel::Paper => "Formulaire papier",
            Channel::Professional => "Professionnel de santé",
            Channel::TownHall => "Mairie",
            Channel::FranceServices => "France Services",
            Channel::Other => "Autre",
        }
    }

    /// The staff channel of `code`.
    pub fn staff(code: &str) -> Option<Channel> {
        Self::STAFF.into_iter().find(|c| c.code() == code.trim())
    }

    /// The public form's channel: the web, with `src` when it is a valid tag.
    pub fn web(src: &str) -> Channel {
        Channel::Web {
            source: Source::parse(src),
        }
    }
}

/// Who the caller is to the person, when it is not the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Relative,
    /// An agent of a town hall or a France Services office.
    Clerk,
    Professional,
    Other,
}

impl Relation {
    pub const ALL: [(&'static str, Relation); 4] = [
        ("relative", Relation::Relative),
        ("clerk", Relation::Clerk),
        ("professional", Relation::Professional),
        ("other", Relation::Other),
    ];

    pub fn label(self) -> &'static str {
        match self {
            Relation::Relative => "un proche",
            Relation::Clerk => "un agent (mairie, France Services)",
            Relation::Professional => "un professionnel de santé ou du social",
            Relation::Other => "une autre personne",
        }
    }
}

/// Who called (or sent the paper form) for the person, and how to reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub name: Name,
    pub phone: PhoneNumber,
    pub relation: Relation,
}

/// A short note by the staff member: plain text, at most [`Note::MAX_CHARS`] characters, never a
/// diagnosis nor a treatment (the form says so next to the field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Note(String);

impl Note {
    pub const MAX_CHARS: usize = 280;
    /// Shown next to the field.
    pub const WARNING: &'static str = "Pas de diagnostic ni de traitement dans cette note.";

    /// `None` for an empty note. Line breaks are kept; other control characters are refused.
    pub fn parse(input: &str) -> Result<Option<Self>, String> {
        let s = input.trim().replace("\r\n", "\n");
        if s.is_empty() {
            return Ok(None);
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(format!(
                "Note : {} caractères au plus (elle en a {}). Raccourcissez-la.",
                Self::MAX_CHARS,
                s.chars().count()
            ));
        }
        if s.chars()
            .any(|c| (c.is_control() && c != '\n') || c == '\u{fffd}')
        {
            return Err("Note : écrivez seulement du texte, sans caractères spéciaux.".into());
        }
        Ok(Some(Self(s)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Note {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Note::parse(&s)?.ok_or_else(|| "empty note".to_string())
    }
}

impl From<Note> for String {
    fn from(n: Note) -> String {
        n.0
    }
}

/// What a staff member records when she enters a request herself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intake {
    /// The staff member's id (the audit says `staff:<id>`).
    pub staff: String,
    /// Who called, when it was not the person.
    pub caller: Option<Caller>,
    /// The date of the call, or the day the paper form arrived.
    pub received_on: NaiveDate,
    pub note: Option<Note>,
}

/// The staff form's own fields, in its order (before the public form's fields).
pub const FIELDS: &[&str] = &[
    "channel",
    "received_on",
    "caller_relation",
    "caller_name",
    "caller_phone",
    "note",
];

/// How far back a call may be dated.
const OLDEST_CALL: Months = Months::new(12);

/// A staff entry, read: its channel and its intake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffEntry {
    pub channel: Channel,
    pub intake: Intake,
}

/// Reads the staff form's own fields, for the staff member `staff` on `today`. The errors are in
/// the order of [`FIELDS`].
pub fn parse(
    answers: &Answers,
    staff: &str,
    today: NaiveDate,
) -> Result<StaffEntry, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut error = |field: &'static str, message: String| {
        errors.push(FieldError { field, message });
    };
    let channel = Channel::staff(answers.get("channel"));
    if channel.is_none() {
        error(
            "channel",
            "Choisissez comment la demande est arrivée (téléphone, papier…).".into(),
        );
    }
    let received_on = parse_call_date(answers.get("received_on"), today);
    if let Err(m) = &received_on {
        error("received_on", m.clone());
    }
    let relation = answers.get("caller_relation").trim();
    let caller = if relation.is_empty() || relation == "person" {
        None
    } else {
        match Relation::ALL.iter().find(|(code, _)| *code == relation) {
            None => {
                error(
                    "caller_relation",
                    "Choisissez qui a appelé ou envoyé la demande.".into(),
                );
                None
            }
            Some(&(_, relation)) => {
                let name = Name::parse(
                    answers.get("caller_name"),
                    "le nom de la personne qui appelle",
                );
                let phone = PhoneNumber::parse(answers.get("caller_phone")).map_err(|m| {
                    format!("Téléphone de la personne qui appelle : {}", lower_first(m))
                });
                match (name, phone) {
                    (Ok(name), Ok(phone)) => Some(Caller {
                        name,
                        phone,
                        relation,
                    }),
                    (name, phone) => {
                        if let Err(m) = name {
                            error("caller_name", m);
                        }
                        if let Err(m) = phone {
                            error("caller_phone", m);
                        }
                        None
                    }
                }
            }
        }
    };
    let note = Note::parse(answers.get("note"));
    if let Err(m) = &note {
        error("note", m.clone());
    }
    match (channel, received_on, note) {
        (Some(channel), Ok(received_on), Ok(note)) if errors.is_empty() => Ok(StaffEntry {
            channel,
            intake: Intake {
                staff: staff.to_string(),
                caller,
                received_on,
                note,
            },
        }),
        _ => Err(errors),
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "14/07/2026" or "2026-07-14", not after `today`, at most a year before.
fn parse_call_date(input: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("Indiquez la date de l'appel ou de réception, par exemple 14/07/2026.".into());
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&s.replace(['-', '.', ' '], "/"), "%d/%m/%Y"))
        .map_err(|_| {
            "Écrivez la date de l'appel sous la forme jour/mois/année, par exemple 14/07/2026."
                .to_string()
        })?;
    if date > today {
        return Err("La date de l'appel est dans le futur : vérifiez-la.".into());
    }
    if today
        .checked_sub_months(OLDEST_CALL)
        .is_some_and(|oldest| date < oldest)
    {
        return Err("La date de l'appel a plus d'un an : vérifiez l'année.".into());
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        "2026-11-24".parse().unwrap()
    }

    fn answers(pairs: &[(&str, &str)]) -> Answers {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        Answers::from_form(body.as_bytes())
    }

    #[test]
    fn sources_are_short_slugs_or_nothing() {
        assert_eq!(
            Source::parse("affiche-rethelois-a4").unwrap().as_str(),
            "affiche-rethelois-a4"
        );
        for bad in [
            "",
            "Affiche",
            "a b",
            "<script>",
            "-a",
            "a-",
            "a--b",
            "é",
            &"a".repeat(61),
        ] {
            assert!(Source::parse(bad).is_none(), "{bad:?}");
        }
        assert_eq!(Channel::web("x y"), Channel::Web { source: None });
    }

    #[test]
    fn channels_have_stable_codes_and_french_labels() {
        let codes: Vec<_> = Channel::STAFF.iter().map(Channel::code).collect();
        assert_eq!(
            codes,
            [
                "telephone",
                "paper",
                "professional",
                "town_hall",
                "france_services",
                "other"
            ]
        );
        for c in Channel::STAFF {
            assert_eq!(Channel::staff(c.code()), Some(c.clone()));
            assert!(!c.label().is_empty());
        }
        assert_eq!(
            Channel::staff("web"),
            None,
            "staff do not enter web requests"
        );
        let json = serde_json::to_string(&Channel::web("affiche-territoire-a3")).unwrap();
        assert_eq!(json, r#"{"kind":"web","source":"affiche-territoire-a3"}"#);
        assert_eq!(
            serde_json::from_str::<Channel>(r#"{"kind":"telephone"}"#).unwrap(),
            Channel::Telephone
        );
        assert_eq!(Channel::default(), Channel::Web { source: None });
    }

    #[test]
    fn notes() {
        assert_eq!(Note::parse("  ").unwrap(), None);
        assert_eq!(
            Note::parse("Rappeler après 17 h\r\nsa fille")
                .unwrap()
                .unwrap()
                .as_str(),
            "Rappeler après 17 h\nsa fille"
        );
        assert!(Note::parse(&"a".repeat(280)).unwrap().is_some());
        let long = Note::parse(&"a".repeat(281)).unwrap_err();
        assert!(long.contains("280 caractères au plus"), "{long}");
        assert!(Note::parse("a\u{7}b").is_err());
    }

    #[test]
    fn a_call_from_a_relative() {
        let a = answers(&[
            ("channel", "telephone"),
            ("received_on", "23/11/2026"),
            ("caller_relation", "relative"),
            ("caller_name", "Chantal Dupré"),
            ("caller_phone", "03 24 00 00 00"),
            ("note", "Préfère être rappelée le matin."),
        ]);
        let entry = parse(&a, "tele-1", today()).unwrap();
        assert_eq!(entry.channel, Channel::Telephone);
        let caller = entry.intake.caller.unwrap();
        assert_eq!(caller.relation, Relation::Relative);
        assert_eq!(caller.phone.as_str(), "+33324000000");
        assert_eq!(entry.intake.received_on.to_string(), "2026-11-23");
        assert_eq!(entry.intake.staff, "tele-1");
    }

    #[test]
    fn the_person_calling_needs_no_caller() {
        let a = answers(&[("channel", "paper"), ("received_on", "2026-11-24")]);
        let entry = parse(&a, "tele-1", today()).unwrap();
        assert_eq!(entry.intake.caller, None);
        assert_eq!(entry.intake.note, None);
    }

    #[test]
    fn every_bad_field_is_named_in_order() {
        let a = answers(&[
            ("channel", "web"),
            ("received_on", "25/11/2026"),
            ("caller_relation", "clerk"),
            ("caller_name", ""),
            ("caller_phone", "12"),
            ("note", &"x".repeat(300)),
        ]);
        let errors = parse(&a, "tele-1", today()).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "channel",
                "received_on",
                "caller_name",
                "caller_phone",
                "note"
            ]
        );
        assert!(
            errors[3]
                .message
                .starts_with("Téléphone de la personne qui appelle")
        );
        let old = answers(&[("channel", "paper"), ("received_on", "01/01/2025")]);
        assert!(parse(&old, "t", today()).is_err());
    }
}
