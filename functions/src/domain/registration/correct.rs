//! Correcting the person's details after registration (issue #13): the fields staff may correct,
//! read from the correction form with the same checks as the public form, and which of them a
//! correction changes (named, never quoted: the audit log and the timeline hold no value).

use chrono::NaiveDate;
use territory::Territory;

use super::fields::{BirthDate, CallTime, Email, Name, Registration};
use super::parse::{CALL_TIME, FieldError, position};
use crate::domain::answers::Answers;
use crate::domain::communes;
use crate::domain::phone::PhoneNumber;

/// The fields of the correction form, in the public form's order (same names).
pub const CORRECTABLE: [&str; 7] = [
    "last_name",
    "first_name",
    "birth_date",
    "phone",
    "email",
    "call_time",
    "commune",
];

/// A correctable field in French, for the timeline ("le téléphone").
pub fn field_label(field: &str) -> &'static str {
    match field {
        "last_name" => "le nom",
        "first_name" => "le prénom",
        "birth_date" => "la date de naissance",
        "phone" => "le téléphone",
        "email" => "le courriel",
        "call_time" => "le moment pour appeler",
        "commune" => "la commune",
        _ => "un autre champ",
    }
}

/// The person's details as corrected, every one checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    pub last_name: Name,
    pub first_name: Name,
    pub birth_date: BirthDate,
    pub phone: PhoneNumber,
    pub email: Option<Email>,
    pub call_time: CallTime,
    /// INSEE code of a commune of the territory.
    pub commune: String,
}

impl Details {
    /// `registration` with these details (everything else as it was).
    pub fn applied_to(&self, registration: &Registration) -> Registration {
        Registration {
            last_name: self.last_name.clone(),
            first_name: self.first_name.clone(),
            birth_date: self.birth_date,
            phone: self.phone.clone(),
            email: self.email.clone(),
            call_time: self.call_time,
            commune: self.commune.clone(),
            ..registration.clone()
        }
    }
}

/// Reads the correction form: every field checked as the public form checks it (`today`: the
/// birth date may not be in the future); `Err` lists each problem next to its field, in the
/// form's order.
pub fn parse_details(
    answers: &Answers,
    territory: &Territory,
    today: NaiveDate,
) -> Result<Details, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut check = |field: &'static str, r: Result<(), String>| {
        if let Err(message) = r {
            errors.push(FieldError { field, message });
        }
    };
    let mut last_name = None;
    check(
        "last_name",
        Name::parse(answers.get("last_name"), "le nom").map(|v| last_name = Some(v)),
    );
    let mut first_name = None;
    check(
        "first_name",
        Name::parse(answers.get("first_name"), "le prénom").map(|v| first_name = Some(v)),
    );
    let mut birth_date = None;
    check(
        "birth_date",
        BirthDate::parse(answers.get("birth_date"), today)
            .map(|v| birth_date = Some(v))
            .map_err(String::from),
    );
    let mut phone = None;
    check(
        "phone",
        PhoneNumber::parse(answers.get("phone"))
            .map(|v| phone = Some(v))
            .map_err(String::from),
    );
    let mut email = None;
    check(
        "email",
        match answers.get("email").trim() {
            "" => {
                email = Some(None);
                Ok(())
            }
            e => Email::parse(e)
                .map(|v| email = Some(Some(v)))
                .map_err(String::from),
        },
    );
    let value = answers.get("call_time").trim();
    let call_time = CALL_TIME
        .iter()
        .find(|(code, _)| *code == value)
        .map(|c| c.1);
    check(
        "call_time",
        match call_time {
            Some(_) => Ok(()),
            None => Err("Choisissez quand nous pouvons appeler la personne.".into()),
        },
    );
    let mut commune = None;
    check(
        "commune",
        communes::find(territory, answers.get("commune")).map(|c| commune = Some(c.code.clone())),
    );
    match (
        last_name, first_name, birth_date, phone, email, call_time, commune,
    ) {
        (
            Some(last_name),
            Some(first_name),
            Some(birth_date),
            Some(phone),
            Some(email),
            Some(call_time),
            Some(commune),
        ) if errors.is_empty() => Ok(Details {
            last_name,
            first_name,
            birth_date,
            phone,
            email,
            call_time,
            commune,
        }),
        _ => {
            errors.sort_by_key(|e| position(e.field));
            Err(errors)
        }
    }
}

/// The correctable fields whose value differs between `before` and `after`, in the form's order.
pub fn changed_fields(before: &Registration, after: &Registration) -> Vec<&'static str> {
    let differs = |field: &str| match field {
        "last_name" => before.last_name != after.last_name,
        "first_name" => before.first_name != after.first_name,
        "birth_date" => before.birth_date != after.birth_date,
        "phone" => before.phone != after.phone,
        "email" => before.email != after.email,
        "call_time" => before.call_time != after.call_time,
        "commune" => before.commune != after.commune,
        _ => false,
    };
    CORRECTABLE.into_iter().filter(|f| differs(f)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn territory() -> Territory {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/territory");
        territory::load(&dir, "2026-11-24".parse().unwrap())
            .territory
            .expect("demo territory")
    }

    fn answers(pairs: &[(&str, &str)]) -> Answers {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            s.append_pair(k, v);
        }
        Answers::from_form(s.finish().as_bytes())
    }

    fn good() -> Vec<(&'static str, &'static str)> {
        vec![
            ("last_name", "Dupré"),
            ("first_name", "Léa"),
            ("birth_date", "14/07/1950"),
            ("phone", "06 12 34 56 78"),
            ("email", ""),
            ("call_time", "morning"),
            ("commune", "Rethel (08300)"),
        ]
    }

    #[test]
    fn details_are_checked_like_the_public_form() {
        let today = "2026-11-24".parse().unwrap();
        let t = territory();
        let d = parse_details(&answers(&good()), &t, today).unwrap();
        assert_eq!(d.phone.as_str(), "+33612345678");
        assert_eq!(d.email, None);
        let mut bad = good();
        bad[2] = ("birth_date", "31/02/2000");
        bad[3] = ("phone", "12");
        bad[4] = ("email", "lea@");
        let errors = parse_details(&answers(&bad), &t, today).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["birth_date", "phone", "email"]);
    }
}
