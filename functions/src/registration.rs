//! A registration request as the domain sees it: every field already checked, so a value of these
//! types is always valid (parse, don't validate). [`parse`] turns the form's answers into one, or
//! into the list of problems, each named next to its field in French.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use territory::Territory;

use crate::answers::Answers;
use crate::communes;
use crate::phone::PhoneNumber;

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
    Professional,
    TownHall,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filler {
    pub role: FilledBy,
    /// Name of the practice, service or town hall, for professionals and town halls.
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

/// A plausible birth date: not in the future, at most 120 years ago.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BirthDate(NaiveDate);

impl BirthDate {
    /// Accepts "14/07/1950", "14-07-1950", "14.07.1950" and "1950-07-14".
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, &'static str> {
        let s = input.trim();
        if s.is_empty() {
            return Err("Indiquez la date de naissance, par exemple 14/07/1950.");
        }
        let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(&s.replace(['-', '.', ' '], "/"), "%d/%m/%Y"))
            .map_err(|_| "Écrivez la date de naissance sous la forme jour/mois/année, par exemple 14/07/1950.")?;
        if date > today {
            return Err("La date de naissance est dans le futur : vérifiez l'année.");
        }
        if today.year() - date.year() > 120 || date.year() < 1900 {
            return Err("Cette date de naissance est trop ancienne : vérifiez l'année.");
        }
        Ok(Self(date))
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }

    /// Age in whole years on `today`.
    pub fn age_on(self, today: NaiveDate) -> u32 {
        today.years_since(self.0).unwrap_or(0)
    }
}

/// An email address, optional in the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let s = input.trim();
        let valid = s.len() <= 254
            && s.parse::<lettre::Address>().is_ok()
            && s.rsplit_once('@').is_some_and(|(_, domain)| {
                domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
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

/// One problem with one field, in French.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// What the answers are, once read.
#[derive(Debug)]
pub enum Parsed {
    Valid(Box<Registration>),
    /// Has a GP and only wants to change: kindly turned away, nothing kept.
    NotEligible,
    Invalid(Vec<FieldError>),
}

fn check<T>(errors: &mut Vec<FieldError>, field: &'static str, r: Result<T, String>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(message) => {
            errors.push(FieldError { field, message });
            None
        }
    }
}

fn choice<T: Copy>(
    answers: &Answers,
    field: &'static str,
    options: &[(&str, T)],
    missing: &str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let value = answers.get(field).trim();
    match options.iter().find(|(code, _)| *code == value) {
        Some((_, v)) => Some(*v),
        None => {
            errors.push(FieldError {
                field,
                message: missing.to_string(),
            });
            None
        }
    }
}

pub const GP_STATUS: &[(&str, GpStatus)] = &[
    ("none", GpStatus::None),
    ("leaving", GpStatus::Leaving),
    ("change", GpStatus::WantsChange),
];
pub const FILLED_BY: &[(&str, FilledBy)] = &[
    ("patient", FilledBy::Patient),
    ("relative", FilledBy::Relative),
    ("professional", FilledBy::Professional),
    ("town_hall", FilledBy::TownHall),
];
pub const CALL_TIME: &[(&str, CallTime)] = &[
    ("any", CallTime::Any),
    ("morning", CallTime::Morning),
    ("afternoon", CallTime::Afternoon),
];
pub const MAX_DISTANCE: &[(&str, Option<u32>)] = &[
    ("10", Some(10)),
    ("20", Some(20)),
    ("30", Some(30)),
    ("any", None),
];
pub const HOME_VISITS: &[(&str, bool)] = &[("no", false), ("yes", true)];
pub const SINCE: &[(&str, WithoutGpSince)] = &[
    ("lt6m", WithoutGpSince::LessThan6Months),
    ("6to12m", WithoutGpSince::SixTo12Months),
    ("1to2y", WithoutGpSince::OneTo2Years),
    ("gt2y", WithoutGpSince::MoreThan2Years),
    ("never", WithoutGpSince::Never),
];
pub const REASON: &[(&str, Reason)] = &[
    ("retired", Reason::DoctorRetired),
    ("doctor_left", Reason::DoctorLeft),
    ("moved", Reason::PatientMoved),
    ("never", Reason::NeverHad),
    ("other", Reason::Other),
];

/// Reads the answers. `today` dates the consent and the criteria.
pub fn parse(answers: &Answers, territory: &Territory, today: NaiveDate) -> Parsed {
    let mut errors = Vec::new();
    let gp_status = choice(
        answers,
        "gp_status",
        GP_STATUS,
        "Dites-nous si vous avez un médecin traitant.",
        &mut errors,
    );
    if gp_status == Some(GpStatus::WantsChange) {
        return Parsed::NotEligible;
    }
    let role = choice(
        answers,
        "filled_by",
        FILLED_BY,
        "Dites-nous qui remplit ce formulaire.",
        &mut errors,
    );
    let organisation = answers.get("organisation").trim();
    let organisation = if organisation.is_empty() {
        if matches!(role, Some(FilledBy::Professional | FilledBy::TownHall)) {
            errors.push(FieldError {
                field: "organisation",
                message: "Indiquez le nom de votre structure ou de votre mairie.".into(),
            });
        }
        None
    } else if organisation.chars().count() > 100 || organisation.contains('\u{fffd}') {
        errors.push(FieldError {
            field: "organisation",
            message: "Nom de la structure : 100 caractères au plus, sans caractères spéciaux."
                .into(),
        });
        None
    } else {
        Some(organisation.to_string())
    };
    let last_name = check(
        &mut errors,
        "last_name",
        Name::parse(answers.get("last_name"), "le nom"),
    );
    let first_name = check(
        &mut errors,
        "first_name",
        Name::parse(answers.get("first_name"), "le prénom"),
    );
    let birth_date = check(
        &mut errors,
        "birth_date",
        BirthDate::parse(answers.get("birth_date"), today).map_err(String::from),
    );
    let phone = check(
        &mut errors,
        "phone",
        PhoneNumber::parse(answers.get("phone")).map_err(String::from),
    );
    let email = match answers.get("email").trim() {
        "" => Some(None),
        e => check(&mut errors, "email", Email::parse(e).map_err(String::from)).map(Some),
    };
    let commune = check(
        &mut errors,
        "commune",
        communes::find(territory, answers.get("commune")).map(|c| c.code.clone()),
    );
    let language = answers.get("interpreter_language").trim();
    let interpreter_language = if !answers.yes("interpreter") {
        Some(None)
    } else if language.is_empty() {
        check(
            &mut errors,
            "interpreter_language",
            Err(
                "Indiquez la langue que vous parlez, pour que nous trouvions un interprète.".into(),
            ),
        )
    } else if language.chars().count() > 40
        || !language
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | ','))
    {
        check(
            &mut errors,
            "interpreter_language",
            Err(
                "Langue : écrivez seulement son nom, en 40 lettres au plus (par exemple : arabe)."
                    .into(),
            ),
        )
    } else {
        Some(Some(language.to_string()))
    };
    let call_time = choice(
        answers,
        "call_time",
        CALL_TIME,
        "Choisissez quand nous pouvons vous appeler.",
        &mut errors,
    );
    let max_distance = choice(
        answers,
        "max_distance",
        MAX_DISTANCE,
        "Choisissez jusqu'à quelle distance vous pouvez aller chez le médecin.",
        &mut errors,
    );
    let home_visits = choice(
        answers,
        "home_visits",
        HOME_VISITS,
        "Dites-nous si le médecin doit venir chez vous.",
        &mut errors,
    );
    let since = choice(
        answers,
        "without_gp_since",
        SINCE,
        "Dites-nous depuis quand vous n'avez pas de médecin traitant.",
        &mut errors,
    );
    let reason = choice(
        answers,
        "reason",
        REASON,
        "Choisissez pourquoi vous n'avez pas de médecin traitant.",
        &mut errors,
    );
    if !answers.yes("consent") {
        errors.push(FieldError {
            field: "consent",
            message: "Cochez la case pour accepter que la CPTS garde ces informations. Sans votre accord, nous ne pouvons pas traiter votre demande : appelez-nous plutôt.".into(),
        });
    }
    let criteria = Criterion::ALL
        .iter()
        .filter(|c| answers.yes(c.field()))
        .map(|&c| DeclaredCriterion::new(c, today))
        .collect();
    if !errors.is_empty() {
        // Report in the order of the form.
        errors.sort_by_key(|e| crate::form::position(e.field));
        return Parsed::Invalid(errors);
    }
    match (
        gp_status,
        role,
        last_name,
        first_name,
        birth_date,
        phone,
        email,
        commune,
        interpreter_language,
        call_time,
        max_distance,
        home_visits,
        since,
        reason,
    ) {
        (
            Some(gp_status),
            Some(role),
            Some(last_name),
            Some(first_name),
            Some(birth_date),
            Some(phone),
            Some(email),
            Some(commune),
            Some(interpreter_language),
            Some(call_time),
            Some(max_distance_km),
            Some(home_visits),
            Some(without_gp_since),
            Some(reason),
        ) => Parsed::Valid(Box::new(Registration {
            gp_status,
            filled_by: Filler { role, organisation },
            last_name,
            first_name,
            birth_date,
            phone,
            email,
            call_time,
            commune,
            mobility: Mobility {
                max_distance_km,
                home_visits,
            },
            without_gp_since,
            reason,
            criteria,
            communication: Communication {
                interpreter_language,
                reading_help: answers.yes("reading_help"),
            },
            consent_date: today,
        })),
        _ => unreachable!("every missing value pushed an error"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        "2026-11-24".parse().unwrap()
    }

    #[test]
    fn names() {
        assert!(Name::parse("Dupré-Lefèvre", "le nom").is_ok());
        assert!(Name::parse("N’Diaye", "le nom").is_ok());
        assert_eq!(
            Name::parse("  Jean   Marc ", "le prénom").unwrap().as_str(),
            "Jean Marc"
        );
        for bad in [
            "",
            "   ",
            "R2D2",
            "<script>",
            "--",
            "\u{fffd}",
            &"a".repeat(81),
        ] {
            assert!(Name::parse(bad, "le nom").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn birth_dates() {
        let d = |s| BirthDate::parse(s, today());
        assert_eq!(d("14/07/1950").unwrap().date().to_string(), "1950-07-14");
        assert_eq!(d("1950-07-14").unwrap().date().to_string(), "1950-07-14");
        assert_eq!(d("14.07.1950").unwrap().age_on(today()), 76);
        for bad in ["", "31/02/2000", "14/07/2030", "01/01/1890", "hier", "1950"] {
            assert!(d(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert!(Email::parse("lea.dupre@example.fr").is_ok());
        for bad in [
            "lea",
            "lea@",
            "@x.fr",
            "lea@localhost",
            "a b@x.fr",
            "lea@x.fr.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn criteria_expire() {
        let p = DeclaredCriterion::new(Criterion::HospitalDischarge, today());
        assert!(p.holds_on("2026-12-24".parse().unwrap()));
        assert!(!p.holds_on("2026-12-25".parse().unwrap()));
        let ald = DeclaredCriterion::new(Criterion::LongTermCondition, today());
        assert!(ald.holds_on("2036-01-01".parse().unwrap()));
    }
}
