//! The fields of a registration, each a type that can only hold a valid value.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::phone::PhoneNumber;

/// The first question: only people without a GP (or losing theirs) may register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GpStatus {
    None,
    /// Their GP retires, moves or stops soon.
    Leaving,
    /// Has a GP and only wants another one: not eligible.
    WantsChange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilledBy {
    Patient,
    Relative,
    /// A health professional's referral: the only filler that counts in the priority rules.
    Professional,
    /// Help from a France Services agent or a social worker: not a referral.
    SocialHelp,
    TownHall,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filler {
    pub role: FilledBy,
    /// Name of the practice, service or town hall, for professionals, social help and town halls.
    pub organisation: Option<String>,
}

/// A person's name: letters of any alphabet, spaces, hyphens, apostrophes; 1 to 80 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Name(String);

impl Name {
    pub fn parse(input: &str, what: &str) -> Result<Self, String> {
        let s = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.is_empty() {
            return Err(format!("Indiquez {what}."));
        }
        if s.chars().count() > 80 {
            return Err(format!("{} : 80 caractères au plus.", capitalise(what)));
        }
        if !s
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’' | '.'))
            || !s.chars().any(char::is_alphabetic)
        {
            return Err(format!(
                "{} : écrivez seulement des lettres (les accents, tirets et apostrophes sont acceptés).",
                capitalise(what)
            ));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A plausible birth date, or only a birth year (DOMAIN.md §2.2: « date de naissance (ou
/// année) »): not in the future, at most 120 years ago. Stored as "1950-07-14" or "1936".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BirthDate {
    Day(NaiveDate),
    /// Only the year is known (« né en 1936 »).
    Year(i32),
}

impl BirthDate {
    /// Accepts "14/07/1950", "14-07-1950", "14.07.1950", "14 07 1950", "14071950",
    /// "1950-07-14", and a year alone: "1936".
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, &'static str> {
        let s = input.trim();
        if s.is_empty() {
            return Err(
                "Indiquez la date de naissance, par exemple 14/07/1950. Si vous ne connaissez que l'année, écrivez-la : 1936.",
            );
        }
        let digits = s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit());
        let birth = if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
            Self::Year(s.parse().map_err(|_| BAD_DATE)?)
        } else if digits {
            // 14071950: day, month, year without separators (a phone's digits keypad).
            Self::Day(NaiveDate::parse_from_str(s, "%d%m%Y").map_err(|_| BAD_DATE)?)
        } else {
            Self::Day(
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .or_else(|_| {
                        NaiveDate::parse_from_str(&s.replace(['-', '.', ' '], "/"), "%d/%m/%Y")
                    })
                    .map_err(|_| BAD_DATE)?,
            )
        };
        if birth.earliest() > today {
            return Err("La date de naissance est dans le futur : vérifiez l'année.");
        }
        if today.year() - birth.year() > 120 || birth.year() < 1900 {
            return Err("Cette date de naissance est trop ancienne : vérifiez l'année.");
        }
        Ok(birth)
    }

    pub fn year(self) -> i32 {
        match self {
            Self::Day(d) => d.year(),
            Self::Year(y) => y,
        }
    }

    /// The first day it can be: the date, or 1 January of the year alone. Search keys and
    /// duplicate checks read this day.
    pub fn earliest(self) -> NaiveDate {
        match self {
            Self::Day(d) => d,
            Self::Year(y) => NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or(NaiveDate::MIN),
        }
    }

    /// The day, if the full date is known.
    pub fn day(self) -> Option<NaiveDate> {
        match self {
            Self::Day(d) => Some(d),
            Self::Year(_) => None,
        }
    }

    /// Age in whole years on `today`; for a year alone, the age reached in `today`'s year
    /// (« âge atteint dans l'année »): what the age brackets and the priority rules read.
    pub fn age_on(self, today: NaiveDate) -> u32 {
        match self {
            Self::Day(d) => today.years_since(d).unwrap_or(0),
            Self::Year(y) => u32::try_from(today.year() - y).unwrap_or(0),
        }
    }

    /// As a French page writes it: "14/07/1950", or "1936".
    pub fn french(self) -> String {
        match self {
            Self::Day(d) => d.format("%d/%m/%Y").to_string(),
            Self::Year(y) => y.to_string(),
        }
    }
}

const BAD_DATE: &str = "Écrivez la date de naissance sous la forme jour/mois/année, par exemple 14/07/1950 ou 14071950. Si vous ne connaissez que l'année, écrivez-la : 1936.";

impl Serialize for BirthDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Day(d) => d.serialize(serializer),
            Self::Year(y) => serializer.serialize_str(&format!("{y:04}")),
        }
    }
}

impl<'de> Deserialize<'de> for BirthDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        if s.len() == 4 {
            s.parse().map(Self::Year).map_err(serde::de::Error::custom)
        } else {
            s.parse().map(Self::Day).map_err(serde::de::Error::custom)
        }
    }
}

/// An email address, optional in the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let s = input.trim();
        // Read as the mailer reads a recipient (`build_message`): an address it accepts here can
        // always be written to. A quoted name or an address literal is not a patient's address.
        let valid = s.len() <= 254
            && s.parse::<lettre::message::Mailbox>()
                .is_ok_and(|m| m.name.is_none() && m.email.to_string() == s)
            && s.rsplit_once('@').is_some_and(|(local, domain)| {
                !local.contains('"')
                    && !domain.starts_with('[')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if valid {
            Ok(Self(s.to_string()))
        } else {
            Err(
                "Cette adresse de courriel n'est pas complète. Exemple : prenom.nom@exemple.fr. Vous pouvez aussi laisser ce champ vide.",
            )
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallTime {
    Morning,
    Afternoon,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mobility {
    /// Farthest acceptable distance to the practice, in km; `None` for "no limit".
    pub max_distance_km: Option<u32>,
    pub home_visits: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithoutGpSince {
    LessThan6Months,
    SixTo12Months,
    OneTo2Years,
    MoreThan2Years,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    DoctorRetired,
    DoctorLeft,
    PatientMoved,
    NeverHad,
    Other,
}

/// The priority criteria of DOMAIN.md §2.1, each a yes/no box. Never a diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    LongTermCondition,
    C2sOrAme,
    Precarity,
    Pregnancy,
    Disability,
    HospitalDischarge,
    RegularTreatment,
}

impl Criterion {
    pub const ALL: [Criterion; 7] = [
        Criterion::LongTermCondition,
        Criterion::C2sOrAme,
        Criterion::Precarity,
        Criterion::Pregnancy,
        Criterion::Disability,
        Criterion::HospitalDischarge,
        Criterion::RegularTreatment,
    ];

    /// The form field.
    pub fn field(self) -> &'static str {
        match self {
            Criterion::LongTermCondition => "ald",
            Criterion::C2sOrAme => "c2s_ame",
            Criterion::Precarity => "precarity",
            Criterion::Pregnancy => "pregnancy",
            Criterion::Disability => "disability",
            Criterion::HospitalDischarge => "hospital_discharge",
            Criterion::RegularTreatment => "regular_treatment",
        }
    }

    /// How long a declaration stays true: pregnancy and a recent hospital stay expire.
    pub fn validity(self) -> Option<Months> {
        match self {
            Criterion::Pregnancy => Some(Months::new(9)),
            Criterion::HospitalDischarge => Some(Months::new(1)),
            _ => None,
        }
    }
}

/// A criterion ticked on `declared`, true until `valid_until` (if it expires).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredCriterion {
    pub criterion: Criterion,
    pub declared: NaiveDate,
    pub valid_until: Option<NaiveDate>,
}

impl DeclaredCriterion {
    pub fn new(criterion: Criterion, declared: NaiveDate) -> Self {
        Self {
            criterion,
            declared,
            valid_until: criterion
                .validity()
                .and_then(|m| declared.checked_add_months(m)),
        }
    }

    pub fn holds_on(&self, date: NaiveDate) -> bool {
        self.valid_until.is_none_or(|until| date <= until)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Communication {
    /// A language other than French, e.g. "arabe" (short, free text), for an interpreter.
    pub interpreter_language: Option<String>,
    /// Easy-to-read wording, help with reading.
    pub reading_help: bool,
}

/// A complete, valid registration request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub gp_status: GpStatus,
    pub filled_by: Filler,
    pub last_name: Name,
    pub first_name: Name,
    pub birth_date: BirthDate,
    pub phone: PhoneNumber,
    pub email: Option<Email>,
    pub call_time: CallTime,
    /// INSEE code of a commune of the territory.
    pub commune: String,
    pub mobility: Mobility,
    pub without_gp_since: WithoutGpSince,
    pub reason: Reason,
    pub criteria: Vec<DeclaredCriterion>,
    pub communication: Communication,
    /// The date the person gave explicit consent (the box is required).
    pub consent_date: NaiveDate,
}
