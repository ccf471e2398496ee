//! Reading the form's answers into a [`Registration`], or into the list of problems, each named
//! next to its field in French and listed in the form's order.

use chrono::NaiveDate;
use serde::Serialize;
use territory::Territory;

use super::fields::*;
use crate::domain::answers::Answers;
use crate::domain::communes;
use crate::domain::phone::PhoneNumber;

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
    ("social", FilledBy::SocialHelp),
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
        if matches!(
            role,
            Some(FilledBy::Professional | FilledBy::SocialHelp | FilledBy::TownHall)
        ) {
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
        errors.sort_by_key(|e| position(e.field));
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

/// Every field the form shows besides the health criteria, in the form's order (errors are
/// listed in this order).
pub const FIELDS: &[&str] = &[
    "gp_status",
    "filled_by",
    "organisation",
    "last_name",
    "first_name",
    "birth_date",
    "phone",
    "email",
    "call_time",
    "commune",
    "max_distance",
    "home_visits",
    "without_gp_since",
    "reason",
    "interpreter",
    "interpreter_language",
    "reading_help",
    "consent",
];

/// Where `field` comes in the form (unknown fields last).
pub fn position(field: &str) -> usize {
    FIELDS
        .iter()
        .position(|f| *f == field)
        .unwrap_or(FIELDS.len())
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
        assert_eq!(
            d("14/07/1950").unwrap().day().unwrap().to_string(),
            "1950-07-14"
        );
        assert_eq!(
            d("1950-07-14").unwrap().day().unwrap().to_string(),
            "1950-07-14"
        );
        assert_eq!(d("14.07.1950").unwrap().age_on(today()), 76);
        for bad in [
            "",
            "31/02/2000",
            "14/07/2030",
            "01/01/1890",
            "hier",
            "140750",
            "31021950",
        ] {
            assert!(d(bad).is_err(), "{bad}");
        }
    }

    /// A phone's keypad writes 14071950; someone who knows only the year writes 1936
    /// (DOMAIN.md §2.2): both are read, and a year alone gives the age reached this year.
    #[test]
    fn birth_dates_from_digits_or_a_year_alone() {
        let d = |s| BirthDate::parse(s, today());
        assert_eq!(d("14071950").unwrap(), d("14/07/1950").unwrap());
        assert_eq!(d(" 14 07 1950 ").unwrap(), d("14/07/1950").unwrap());
        let year = d("1936").unwrap();
        assert_eq!(year, BirthDate::Year(1936));
        assert_eq!(year.age_on(today()), 90);
        assert_eq!(year.french(), "1936");
        assert_eq!(d("1956").unwrap().age_on(today()), 70);
        for bad in ["2030", "1890", "0000"] {
            assert!(d(bad).is_err(), "{bad}");
        }
        // Stored as the year alone, and read back; a full date is stored as before.
        let json = serde_json::to_string(&year).unwrap();
        assert_eq!(json, "\"1936\"");
        assert_eq!(serde_json::from_str::<BirthDate>(&json).unwrap(), year);
        let day = d("14/07/1950").unwrap();
        assert_eq!(serde_json::to_string(&day).unwrap(), "\"1950-07-14\"");
        assert_eq!(
            serde_json::from_str::<BirthDate>("\"1950-07-14\"").unwrap(),
            day
        );
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
            // Addresses the mailer cannot write a message to.
            "\"lea dupre\"@exemple.fr",
            "lea@[127.0.0.1]",
            "\"lea\"@exemple.fr",
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
