//! A GP of the territory offering his availability (issue #15, « Comment nous rejoindre ? »):
//! the joining form read into a [`JoinOffer`], with one French message per field to correct;
//! the coordinator's decision; and, once accepted, the doctor he becomes in the roster.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use territory::{Availability, Doctor, Territory};

use crate::domain::answers::Answers;
use crate::domain::communes;
use crate::domain::dates::local_date;
use crate::domain::declarations::{Declaration, Status};
use crate::domain::phone::PhoneNumber;
use crate::domain::registration::{Email, FieldError, Name};
use crate::domain::retention;

/// The fields of the joining form, in its order (errors are listed in it).
pub const FIELDS: &[&str] = &[
    "name",
    "commune",
    "email",
    "phone",
    "status",
    "status_date",
    "capacity",
    "home_visits",
    "radius",
    "priority_only",
    "public",
];

/// What a doctor offers, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinOffer {
    /// Random; the form's nonce, so that a form sent twice is stored once.
    pub id: String,
    /// Unix seconds.
    pub offered_at: i64,
    /// The CPTS of his commune, whose coordinators decide (`None`: outside every CPTS).
    pub cpts: Option<String>,
    pub name: Name,
    /// INSEE code of the commune where he practises.
    pub commune: String,
    pub email: Email,
    pub phone: Option<PhoneNumber>,
    pub status: Status,
    pub yearly_capacity: u32,
    pub home_visit_radius_km: Option<f64>,
    pub priority_only: bool,
    pub public: bool,
    /// `None` while it waits for the coordinator.
    pub decision: Option<JoinDecision>,
}

/// What the coordinator decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinDecision {
    pub accepted: bool,
    /// His id in the roster, when accepted (`med-<random>`).
    pub doctor: Option<String>,
    /// `staff:<id>`.
    pub by: String,
    pub at: i64,
}

impl JoinOffer {
    pub fn is_pending(&self) -> bool {
        self.decision.is_none()
    }

    /// When it is deleted: a year after it was declined ([`retention::DECLINED_JOIN_OFFER`]);
    /// never while pending or once accepted.
    pub fn ends_at(&self) -> Option<i64> {
        self.decision
            .as_ref()
            .filter(|d| !d.accepted)
            .map(|d| d.at + retention::DECLINED_JOIN_OFFER.seconds)
    }

    /// His id in the roster, once accepted.
    pub fn doctor_id(&self) -> Option<&str> {
        self.decision
            .as_ref()
            .filter(|d| d.accepted)
            .and_then(|d| d.doctor.as_deref())
    }

    /// This offer decided by `by` at `at`: accepted as doctor `doctor`, or declined (`None`).
    pub fn decided(&self, doctor: Option<String>, by: &str, at: i64) -> Self {
        Self {
            decision: Some(JoinDecision {
                accepted: doctor.is_some(),
                doctor,
                by: by.to_string(),
                at,
            }),
            ..self.clone()
        }
    }

    /// His first declaration, by the coordinator who accepted him.
    pub fn declaration(&self, doctor: &str, by: &str, at: i64) -> Declaration {
        Declaration {
            doctor: doctor.to_string(),
            status: self.status,
            yearly_capacity: self.yearly_capacity,
            home_visit_radius_km: self.home_visit_radius_km,
            priority_only: self.priority_only,
            public: self.public,
            other_practices: None,
            declared_at: at,
            by: by.to_string(),
        }
    }

    /// The doctor an accepted offer became, practising at the centre of his commune of
    /// `territory`; `None` while not accepted, or when his commune left the territory.
    pub fn doctor(&self, territory: &Territory) -> Option<Doctor> {
        let id = self.doctor_id()?;
        let at = self.decision.as_ref()?.at;
        let commune = territory.commune_position(&self.commune)?;
        Some(Doctor {
            id: id.to_string(),
            name: self.name.as_str().to_string(),
            commune,
            location: territory.communes[commune].centre,
            other_practices: Vec::new(),
            availability: self.status.into(),
            yearly_capacity: self.yearly_capacity,
            home_visit_radius_km: self.home_visit_radius_km,
            priority_only: self.priority_only,
            public: self.public,
            updated: local_date(at),
            email: self.email.as_str().to_string(),
        })
    }
}

/// The territory with the doctors of the accepted offers `joined` after those of its roster.
pub fn with_joined(territory: &Territory, joined: &[JoinOffer]) -> Territory {
    if joined.is_empty() {
        return territory.clone();
    }
    territory.with_doctors(joined.iter().filter_map(|o| o.doctor(territory)))
}

/// The answers of the status question, as `statut` in doctors.csv.
pub const STATUSES: &[(&str, &str)] = &[
    (
        "accepte_maintenant",
        "J'accepte de nouveaux patients dès maintenant",
    ),
    (
        "accepte_plus_tard",
        "J'accepterai de nouveaux patients à partir d'une date",
    ),
    (
        "n_accepte_pas",
        "Je n'accepte pas de nouveaux patients pour l'instant",
    ),
];

fn push(errors: &mut Vec<FieldError>, field: &'static str, message: &str) {
    errors.push(FieldError {
        field,
        message: message.to_string(),
    });
}

fn date(input: &str) -> Option<NaiveDate> {
    let s = input.trim();
    NaiveDate::parse_from_str(s, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
        .ok()
}

/// Reads the joining form. `id`: the new offer's id; `now`: unix seconds. Every problem is
/// listed, in the form's order.
pub fn parse(
    answers: &Answers,
    territory: &Territory,
    id: &str,
    now: i64,
) -> Result<JoinOffer, Vec<FieldError>> {
    let today = local_date(now);
    let mut errors = Vec::new();
    let name = Name::parse(answers.get("name"), "votre nom")
        .map_err(|m| push(&mut errors, "name", &m))
        .ok();
    let commune = match communes::find(territory, answers.get("commune")) {
        Ok(c) => Some(c),
        Err(_) => {
            push(
                &mut errors,
                "commune",
                "Indiquez la commune de votre cabinet : commencez à écrire son nom ou son code postal, puis choisissez-la dans la liste.",
            );
            None
        }
    };
    let email = Email::parse(answers.get("email"))
        .map_err(|_| {
            push(
                &mut errors,
                "email",
                "Indiquez votre adresse de courriel complète, par exemple prenom.nom@exemple.fr : nous y enverrons votre lien personnel.",
            )
        })
        .ok();
    let phone = match answers.get("phone").trim() {
        "" => Some(None),
        p => PhoneNumber::parse(p)
            .map(Some)
            .map_err(|m| push(&mut errors, "phone", m))
            .ok(),
    };
    let status = match (
        answers.get("status").trim(),
        date(answers.get("status_date")),
    ) {
        ("accepte_maintenant", _) => Some(Status::AcceptingNow),
        ("n_accepte_pas", _) => Some(Status::NotAccepting),
        ("accepte_plus_tard", Some(d)) if d > today => Some(Status::AcceptingFrom(d)),
        ("accepte_plus_tard", _) => {
            push(
                &mut errors,
                "status_date",
                "Indiquez à partir de quelle date vous acceptez de nouveaux patients, après aujourd'hui, par exemple 04/01/2027.",
            );
            None
        }
        _ => {
            push(
                &mut errors,
                "status",
                "Choisissez si vous acceptez de nouveaux patients.",
            );
            None
        }
    };
    let capacity = match answers.get("capacity").trim().parse::<u32>() {
        Ok(n) if n <= 500 => Some(n),
        _ => {
            push(
                &mut errors,
                "capacity",
                "Indiquez combien de nouveaux patients par an vous pouvez prendre : un nombre entier, par exemple 10 (0 si aucun pour l'instant).",
            );
            None
        }
    };
    let radius = match (answers.yes("home_visits"), answers.get("radius").trim()) {
        (true, r) => match r.replace(',', ".").parse::<f64>() {
            Ok(km) if (1.0..=100.0).contains(&km) => Some(Some(km)),
            _ => {
                push(
                    &mut errors,
                    "radius",
                    "Indiquez jusqu'à combien de kilomètres vous faites des visites à domicile : un nombre entre 1 et 100, par exemple 10.",
                );
                None
            }
        },
        _ => Some(None),
    };
    let (
        Some(name),
        Some(commune),
        Some(email),
        Some(phone),
        Some(status),
        Some(yearly_capacity),
        Some(home_visit_radius_km),
    ) = (name, commune, email, phone, status, capacity, radius)
    else {
        return Err(errors);
    };
    Ok(JoinOffer {
        id: id.to_string(),
        offered_at: now,
        cpts: territory.cpts_of(commune).map(|c| c.id.clone()),
        name,
        commune: commune.code.clone(),
        email,
        phone,
        status,
        yearly_capacity,
        home_visit_radius_km,
        priority_only: answers.yes("priority_only"),
        public: answers.yes("public"),
        decision: None,
    })
}

/// How his status reads in the coordinator's list.
pub fn status_label(status: Status) -> String {
    match Availability::from(status) {
        Availability::AcceptingNow => "Accepte dès maintenant".into(),
        Availability::AcceptingFrom(d) => format!("Accepte à partir du {}", d.format("%d/%m/%Y")),
        Availability::NotAccepting => "N'accepte pas pour l'instant".into(),
        Availability::PausedUntil(d) => format!("En pause jusqu'au {}", d.format("%d/%m/%Y")),
    }
}
