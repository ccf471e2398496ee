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
use crate::domain::lifecycle::{
    self, CallOutcome, Case, CaseState, NOTE_MAX, REASON_MAX, Request, UNANSWERED_CALLS,
};
use crate::domain::matching::{self, Loads};
use crate::mail::Mailer;
use crate::store::Store;
use crate::web::link_pages::{Choice, doctor_name};
use crate::web::pages::{Message, level_label};

/// The actions a form may ask for, by the value of its `decision` button.
pub const ACTIONS: [&str; 5] = ["note", "appel", "priorite", "choisir", "rouvrir"];

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
    use super::links::{message, not_found, page, unavailable};
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
            };
            said(StatusCode::OK, "C'est fait", text)
        }
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
