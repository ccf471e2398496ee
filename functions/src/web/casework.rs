//! The coordinator's own actions on her request page (issue #13): what the page shows for them
//! (the forms and the doctors she may choose; the timeline is `link_pages`') and the answer to their
//! POST, sent to the same address as her decisions (`decision` = `note`, `appel`, `priorite`,
//! `choisir`, `rouvrir`) and checked the same way (origin, token) by `links`.

// A handler's early exit is the page to answer with: boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Serialize;
use territory::Territory;

use crate::app::App;
use crate::casework::{Acted, Action, doctors_for};
use crate::domain::answers::Answers;
use crate::domain::dates::unix_date_fr;
use crate::domain::lifecycle::{
    self, CallOutcome, Case, CaseState, NOTE_MAX, REASON_MAX, Request, UNANSWERED_CALLS,
};
use crate::domain::matching::{self, Loads};
use crate::domain::registration;
use crate::mail::Mailer;
use crate::store::Store;
use crate::web::link_pages::{Choice, doctor_name};
use crate::web::pages::{Message, level_label};

/// The actions a form may ask for, by the value of its `decision` button.
pub const ACTIONS: [&str; 7] = [
    "note", "appel", "priorite", "choisir", "rouvrir", "corriger", "effacer",
];

/// The action the form asks for, or the French sentence that says what to fix.
pub fn parse(answers: &Answers) -> Result<Action, String> {
    Ok(match answers.get("decision") {
        "note" => Action::Note(lifecycle::short_text(
            answers.get("note"),
            NOTE_MAX,
            "la note",
        )?),
        "appel" => match CallOutcome::from_code(answers.get("resultat")) {
            Some(outcome) => Action::Call(outcome),
            None => return Err("Choisissez le résultat de l'appel dans la liste.".into()),
        },
        "priorite" => {
            let level = match answers.get("niveau").parse::<u8>() {
                Ok(level @ 1..=3) => level,
                _ => return Err("Choisissez le nouveau niveau de priorité (1, 2 ou 3).".into()),
            };
            let reason = lifecycle::short_text(
                answers.get("raison"),
                REASON_MAX,
                "la raison du changement",
            )?;
            Action::Priority { level, reason }
        }
        "choisir" => {
            let doctor = answers.get("medecin").trim();
            if doctor.is_empty() {
                return Err("Choisissez un médecin dans la liste.".into());
            }
            Action::Choose {
                doctor: doctor.to_string(),
                confirmed: answers.get("confirmer") == "oui",
            }
        }
        "rouvrir" => Action::Reopen,
        _ => return Err("Choisissez une action avec l'un des boutons de la page.".into()),
    })
}

/// A candidate she may choose, with why.
#[derive(Debug, Serialize)]
pub struct CandidateRow {
    pub id: String,
    pub name: String,
    pub reasons: Vec<String>,
}

/// Another doctor of the territory, with what he does not meet.
#[derive(Debug, Serialize)]
pub struct OtherRow {
    pub id: String,
    pub label: String,
}

/// Since no address is kept: what the page says to write to the person.
#[derive(Debug, Serialize)]
pub struct Letter {
    pub commune: String,
    pub filled_by: String,
}

/// The part of the coordinator's page for her own actions.
#[derive(Debug, Serialize)]
pub struct Panel {
    pub note_max: usize,
    pub reason_max: usize,
    pub can_call: bool,
    pub unanswered_calls: u32,
    pub calls_before_suspension: u32,
    pub call_outcomes: Vec<Choice>,
    pub letter: Option<Letter>,
    pub can_prioritise: bool,
    /// The level the case uses, and the one the form computed.
    pub level: &'static str,
    pub computed_level: &'static str,
    pub changed_level: bool,
    pub levels: Vec<u8>,
    pub can_choose: bool,
    pub candidates: Vec<CandidateRow>,
    pub others: Vec<OtherRow>,
    pub can_reopen: bool,
}

/// What the panel needs, read before rendering.
pub struct PanelView<'a> {
    pub request: &'a Request,
    pub case: &'a Case,
    pub territory: &'a Territory,
    pub loads: &'a Loads,
    pub commune: &'a str,
    pub filled_by: &'a str,
    pub today: NaiveDate,
}

pub fn panel(v: &PanelView) -> Panel {
    let case = v.case;
    let state = case.state;
    let can_choose = matches!(
        state,
        CaseState::Waiting | CaseState::Proposed | CaseState::Validated
    );
    let current_doctor = case
        .current_proposal()
        .and(case.tried.last())
        .filter(|_| state != CaseState::Waiting);
    let (mut candidates, mut others) = (Vec::new(), Vec::new());
    if can_choose {
        let options = doctors_for(v.territory, v.loads, case, v.today);
        let count = options.iter().filter(|o| o.unmet.is_empty()).count();
        for o in options {
            if Some(&o.doctor) == current_doctor {
                continue;
            }
            let name = doctor_name(v.territory, &o.doctor);
            if o.unmet.is_empty() {
                candidates.push(CandidateRow {
                    reasons: matching::explain(
                        v.territory,
                        v.loads,
                        &case.needs,
                        &o.candidate,
                        count.saturating_sub(1),
                        v.today,
                    ),
                    id: o.doctor,
                    name,
                });
            } else {
                let unmet: Vec<&str> = o.unmet.iter().map(|u| u.label()).collect();
                others.push(OtherRow {
                    label: format!(
                        "{name}, à {} km — ne remplit pas : {}",
                        matching::km(o.candidate.distance_km),
                        unmet.join(" ; ")
                    ),
                    id: o.doctor,
                });
            }
        }
    }
    Panel {
        note_max: NOTE_MAX,
        reason_max: REASON_MAX,
        can_call: !matches!(state, CaseState::Closed | CaseState::Suspended),
        unanswered_calls: case.unanswered_calls,
        calls_before_suspension: UNANSWERED_CALLS,
        call_outcomes: CallOutcome::ALL
            .iter()
            .map(|c| Choice {
                code: c.code(),
                label: c.label(),
            })
            .collect(),
        letter: (state == CaseState::Suspended).then(|| Letter {
            commune: v.commune.to_string(),
            filled_by: v.filled_by.to_string(),
        }),
        can_prioritise: state != CaseState::Closed,
        level: level_label(case.needs.priority_level),
        computed_level: level_label(v.request.priority.level),
        changed_level: case.needs.priority_level != v.request.priority.level,
        levels: vec![1, 2, 3],
        can_choose,
        candidates,
        others,
        can_reopen: matches!(state, CaseState::Closed | CaseState::Suspended),
    }
}

/// The confirmation asked before proposing a doctor who is not a candidate.
#[derive(Debug, Serialize)]
pub struct Confirm<'a> {
    pub doctor: &'a str,
    pub name: String,
    pub warning: String,
    pub action: String,
    pub token: &'a str,
    pub who: &'a str,
    pub back: &'a str,
}

/// The answer to an action: its own page.
#[allow(clippy::too_many_arguments)]
pub async fn answer<S: Store, M: Mailer>(
    app: &App<S, M>,
    reference: &str,
    action: &Action,
    answers: &Answers,
    by: &str,
    actor: Option<&str>,
    token: &str,
    back: &str,
    now: i64,
) -> Response {
    use super::replies::{message, not_found, page, unavailable};
    let said = |status, title: &str, text: &str| {
        message(
            app,
            status,
            title,
            &Message::new(title, &[text]).link(back, "Revenir à la demande"),
        )
    };
    match app.act(reference, action, by, actor, now).await {
        Ok(Acted::Done) => {
            let text = match action {
                Action::Note(_) => "C'est noté : la note est dans le suivi de la demande.",
                Action::Call(CallOutcome::Reached) => {
                    "C'est noté : l'appel est dans le suivi de la demande."
                }
                Action::Call(_) => {
                    "C'est noté : l'appel sans réponse est dans le suivi de la demande."
                }
                Action::Priority { .. } => {
                    "C'est fait : la priorité est changée. La recherche d'un médecin en tient compte dès maintenant."
                }
                Action::Choose { .. } => {
                    "C'est fait : ce médecin est proposé. Revenez à la demande pour valider la proposition et l'envoyer au médecin."
                }
                Action::Reopen => "C'est fait.",
                Action::Correct(_) => "C'est fait.",
                Action::Erase => {
                    "C'est fait : les données de la personne sont effacées. La demande est close (retrait). Les chiffres du tableau de bord ne changent pas."
                }
            };
            said(StatusCode::OK, "C'est fait", text)
        }
        Ok(Acted::Corrected(c)) => {
            let text = corrected_text(&c, &app.territory());
            let lines: Vec<&str> = text.iter().map(String::as_str).collect();
            message(
                app,
                StatusCode::OK,
                "Coordonnées corrigées",
                &Message::new("Coordonnées corrigées", &lines).link(back, "Revenir à la demande"),
            )
        }
        Ok(Acted::Unchanged) => said(
            StatusCode::OK,
            "Rien n'a changé",
            "Les coordonnées envoyées sont celles déjà enregistrées. Rien n'a été modifié.",
        ),
        Ok(Acted::Erased) => said(
            StatusCode::GONE,
            "Données effacées",
            "Les données de cette personne ont été effacées à sa demande. Plus aucune action n'est possible sur cette demande.",
        ),
        Ok(Acted::Suspended) => said(
            StatusCode::OK,
            "Demande suspendue",
            &format!(
                "C'est noté. {UNANSWERED_CALLS} appels de suite sans réponse : la demande est suspendue. Aucun médecin ne lui sera proposé tant qu'elle n'est pas rouverte. Envoyez un courrier à la personne."
            ),
        ),
        Ok(Acted::Reopened { proposed: true }) => said(
            StatusCode::OK,
            "Demande rouverte",
            "C'est fait : la demande est rouverte et un médecin est proposé. Revenez à la demande pour le voir et le valider.",
        ),
        Ok(Acted::Reopened { proposed: false }) => said(
            StatusCode::OK,
            "Demande rouverte",
            "C'est fait : la demande est rouverte. Aucun médecin ne peut la prendre pour l'instant ; elle sera réexaminée automatiquement.",
        ),
        Ok(Acted::NoPlaceLeft) => said(
            StatusCode::CONFLICT,
            "Plus de place",
            "Ce médecin n'a plus de place cette année. Rien n'a été modifié. Choisissez un autre médecin.",
        ),
        Ok(Acted::DoctorGone) => said(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Médecin introuvable",
            "Ce médecin n'est pas dans la liste publiée des médecins. Rien n'a été modifié.",
        ),
        Ok(Acted::Unconfirmed(unmet)) => {
            let doctor = match action {
                Action::Choose { doctor, .. } => doctor.as_str(),
                _ => "",
            };
            let territory = app.territory();
            page(
                app,
                StatusCode::OK,
                "confirm_doctor.html",
                "Confirmer le choix du médecin",
                &Confirm {
                    doctor,
                    name: doctor_name(&territory, doctor),
                    warning: format!(
                        "Ce médecin ne remplit pas ces conditions : {}.",
                        unmet.join(" ; ")
                    ),
                    action: format!("/api/demandes/{reference}"),
                    token,
                    who: answers.get("qui"),
                    back,
                },
            )
        }
        Ok(Acted::Unknown) => not_found(app),
        Ok(Acted::AlreadyDone) => said(
            StatusCode::CONFLICT,
            "Rien n'a été modifié",
            "La demande a changé depuis l'ouverture de la page, ou cette action n'est pas possible là où elle en est. Rien n'a été modifié. Revoyez la demande telle qu'elle est maintenant.",
        ),
        Err(e) => unavailable(app, &e),
    }
}

// ——— The person's rights: correcting her details, erasing them (issue #13) ———

/// The correction form's values (as stored, or as typed when they were refused) and the
/// problems, each next to its field.
#[derive(Debug, Serialize)]
pub struct CorrectionForm {
    pub action: String,
    pub token: String,
    pub current: String,
    /// The "Qui décide ?" answer already given (on the page of errors), else "".
    pub who: String,
    pub coordinators: Vec<String>,
    pub values: std::collections::BTreeMap<&'static str, String>,
    pub errors: std::collections::BTreeMap<&'static str, String>,
    pub call_times: Vec<Choice>,
}

/// The correction form filled with the stored details.
pub fn correction_form(
    territory: &Territory,
    request: &Request,
    case: &Case,
    token: &str,
    coordinators: Vec<String>,
) -> CorrectionForm {
    let r = &request.registration;
    let commune = territory
        .communes
        .iter()
        .find(|c| c.code == r.commune)
        .map_or_else(String::new, crate::domain::communes::label);
    let call_time = registration::CALL_TIME
        .iter()
        .find(|(_, t)| *t == r.call_time)
        .map_or("any", |(code, _)| code);
    let values = [
        ("last_name", r.last_name.as_str().to_string()),
        ("first_name", r.first_name.as_str().to_string()),
        ("birth_date", r.birth_date.french()),
        ("phone", r.phone.display_fr()),
        (
            "email",
            r.email.as_ref().map_or("", |e| e.as_str()).to_string(),
        ),
        ("call_time", call_time.to_string()),
        ("commune", commune),
    ]
    .into_iter()
    .collect();
    CorrectionForm {
        action: format!("/api/demandes/{}", case.reference),
        token: token.to_string(),
        current: case.current_proposal().unwrap_or("").to_string(),
        who: String::new(),
        coordinators,
        values,
        errors: Default::default(),
        call_times: call_time_choices(),
    }
}

fn call_time_choices() -> Vec<Choice> {
    registration::CALL_TIME
        .iter()
        .map(|(code, t)| Choice {
            code,
            label: crate::web::pages::call_time_label(*t),
        })
        .collect()
}

/// Before acting: the page a correction or an erasure needs first (the form again with its
/// errors, the confirmation of the erasure), or the action. `Err(Err(why))`: a plain refusal.
pub fn prepare<S: Store, M: Mailer>(
    app: &App<S, M>,
    reference: &str,
    answers: &Answers,
    token: &str,
    back: &str,
    today: NaiveDate,
) -> Result<Action, Result<Response, String>> {
    use super::replies::page;
    match answers.get("decision") {
        "corriger" => {
            let territory = app.territory();
            match registration::parse_details(answers, &territory, today) {
                Ok(details) => Ok(Action::Correct(Box::new(details))),
                Err(errors) => {
                    let form = CorrectionForm {
                        action: format!("/api/demandes/{reference}"),
                        token: token.to_string(),
                        current: answers.get("proposition").to_string(),
                        who: answers.get("qui").to_string(),
                        coordinators: vec![],
                        values: registration::CORRECTABLE
                            .iter()
                            .map(|f| (*f, answers.get(f).to_string()))
                            .collect(),
                        errors: errors.into_iter().map(|e| (e.field, e.message)).collect(),
                        call_times: call_time_choices(),
                    };
                    Err(Ok(page(
                        app,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "correct_details.html",
                        "Corriger les coordonnées",
                        &CorrectionPage { form, back },
                    )))
                }
            }
        }
        "effacer" if answers.get("confirmer") == "oui" => Ok(Action::Erase),
        "effacer" => Err(Ok(page(
            app,
            StatusCode::OK,
            "confirm_erase.html",
            "Effacer les données",
            &ConfirmErase {
                reference,
                action: format!("/api/demandes/{reference}"),
                token,
                current: answers.get("proposition"),
                who: answers.get("qui"),
                back,
            },
        ))),
        _ => parse(answers).map_err(Err),
    }
}

/// The correction form again, with what to fix.
#[derive(Debug, Serialize)]
pub struct CorrectionPage<'a> {
    pub form: CorrectionForm,
    pub back: &'a str,
}

/// The question asked before erasing.
#[derive(Debug, Serialize)]
pub struct ConfirmErase<'a> {
    pub reference: &'a str,
    pub action: String,
    pub token: &'a str,
    pub current: &'a str,
    pub who: &'a str,
    pub back: &'a str,
}

/// What the answer to a correction says.
pub fn corrected_text(c: &crate::casework::Corrected, territory: &Territory) -> Vec<String> {
    let fields: Vec<&str> = c
        .fields
        .iter()
        .map(|f| registration::field_label(f))
        .collect();
    let mut text = vec![format!(
        "C'est fait : {} {} corrigé{}. Le suivi de la demande le dit, sans garder l'ancienne valeur.",
        fields.join(", "),
        if fields.len() > 1 { "sont" } else { "est" },
        if fields.len() > 1 { "s" } else { "" }
    )];
    if let Some((before, after)) = &c.moved {
        let name = |id: &Option<String>| match id {
            Some(id) => territory
                .cpts
                .iter()
                .find(|c| &c.id == id)
                .map_or_else(|| id.clone(), |c| format!("la CPTS {}", c.name)),
            None => "aucune CPTS (commune hors du territoire des CPTS)".to_string(),
        };
        text.push(format!(
            "Avec sa nouvelle commune, la demande passe de {} à {}. Ses coordinateurs la voient désormais.",
            name(before),
            name(after)
        ));
    }
    if let Some((computed, in_use)) = c.levels {
        text.push(format!(
            "Avec la nouvelle date de naissance, le niveau de priorité calculé est : {}. Le niveau retenu reste : {}. Changez la priorité si besoin.",
            level_label(computed),
            level_label(in_use)
        ));
    }
    text
}

/// The page of an erased request: no personal data, only when.
pub fn erased_message(erased: &lifecycle::Erased) -> Vec<String> {
    vec![
        format!(
            "Données effacées à la demande de la personne, le {}.",
            unix_date_fr(erased.erased_at)
        ),
        "Il ne reste de cette demande que ce qui sert aux statistiques : sa date, sa CPTS, son canal, son niveau de priorité et une tranche d'âge.".to_string(),
    ]
}
