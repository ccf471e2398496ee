//! The pages behind emailed links once a request is in progress: the coordinator's decision
//! page, the doctor's answer page, the patient's follow-up page, the CPTS overview and the pages
//! that say what an action did. Plain HTML forms: no JavaScript, nothing submits by itself.

use std::fmt::Write;

use chrono::NaiveDate;
use territory::{Coordinator, Doctor, Territory};

use crate::domain::dates::unix_date_fr;
use crate::domain::lifecycle::{
    Case, CaseState, ClosingReason, Proposal, ProposalState, RejectionReason, Request,
};
use crate::domain::matching;
use crate::html::esc;
use crate::web::pages::{call_time_label, level_label, request_body};

/// The age bracket of DOMAIN.md §4.1, what a doctor may want to know (children, elderly).
pub fn age_bracket(age: u32) -> &'static str {
    match age {
        0..=5 => "0 à 5 ans",
        6..=15 => "6 à 15 ans",
        16..=69 => "16 à 69 ans",
        _ => "70 ans ou plus",
    }
}

fn doctor_line(territory: &Territory, id: &str) -> String {
    match territory.doctor(id) {
        Some(d) => format!(
            "{} (cabinet à {})",
            esc(&d.name),
            esc(territory
                .communes
                .get(d.commune)
                .map_or("", |c| c.name.as_str()))
        ),
        None => format!("médecin {} (plus dans la liste publiée)", esc(id)),
    }
}

fn days(now: i64, since: i64) -> i64 {
    (now - since).max(0) / 86_400
}

/// The "who decides?" list, in each form of the page (`form` keeps the ids unique).
fn who_field(coordinators: &[Coordinator], form: &str) -> String {
    if coordinators.len() <= 1 {
        return String::new();
    }
    let mut out = format!(
        r#"<p><label for="qui-{form}">Qui décide ?</label><br><select id="qui-{form}" name="qui" required><option value="">— choisissez votre nom —</option>"#
    );
    for (i, c) in coordinators.iter().enumerate() {
        let _ = write!(out, r#"<option value="{i}">{}</option>"#, esc(&c.name));
    }
    out.push_str("</select></p>");
    out
}

fn hidden(token: &str, proposal: Option<&str>) -> String {
    format!(
        r#"<input type="hidden" name="jeton" value="{}"><input type="hidden" name="proposition" value="{}">"#,
        esc(token),
        esc(proposal.unwrap_or(""))
    )
}

/// Everything the coordinator's page shows, read before rendering.
pub struct CoordinatorView<'a> {
    pub request: &'a Request,
    pub case: &'a Case,
    /// Every proposal of the request, oldest first.
    pub proposals: &'a [Proposal],
    pub commune: &'a str,
    pub coordinators: &'a [Coordinator],
    pub territory: &'a Territory,
    pub token: &'a str,
    pub overview_link: &'a str,
    pub today: NaiveDate,
    pub now: i64,
}

/// The coordinator's page: the request (to call the patient), where it stands, the proposed
/// doctor and why, and the forms for her decisions (POST).
pub fn coordinator_page(v: &CoordinatorView) -> String {
    let mut out = request_body(v.request, v.commune, v.today);
    let case = v.case;
    let action = format!("/api/demandes/{}", esc(&case.reference));
    let _ = write!(
        out,
        r#"<h2>Où en est la demande</h2><p><strong>{}</strong> — demande reçue il y a {} jour{}.</p>"#,
        esc(case.state.label()),
        days(v.now, case.created_at),
        if days(v.now, case.created_at) > 1 {
            "s"
        } else {
            ""
        }
    );
    let current = case
        .current_proposal()
        .and_then(|id| v.proposals.iter().find(|p| p.id == id));
    let who = |form: &str| who_field(v.coordinators, form);
    match (case.state, current) {
        (CaseState::Proposed, Some(p)) => {
            let _ = write!(
                out,
                r#"<section class="proposal" aria-labelledby="propose"><h3 id="propose">Médecin proposé : {}</h3><p>Pourquoi ce médecin :</p><ul>"#,
                doctor_line(v.territory, &p.doctor)
            );
            for reason in &p.reasons {
                let _ = write!(out, "<li>{}</li>", esc(reason));
            }
            let _ = write!(
                out,
                r#"</ul><p>À valider avant le {} : sans décision, un autre médecin sera proposé.</p><form method="post" action="{action}">{}{}<p><button type="submit" name="decision" value="valider">Valider : envoyer la proposition au médecin</button></p></form><form method="post" action="{action}">{}{}<p><label for="motif-autre">Pourquoi un autre médecin ?</label><br><select id="motif-autre" name="motif" required>"#,
                unix_date_fr(p.deadline),
                hidden(v.token, Some(&p.id)),
                who("valider"),
                hidden(v.token, Some(&p.id)),
                who("autre")
            );
            for r in RejectionReason::ALL {
                let _ = write!(out, r#"<option value="{}">{}</option>"#, r.code(), esc(r.label()));
            }
            out.push_str(r#"</select></p><p><button type="submit" name="decision" value="autre">Proposer un autre médecin</button></p></form></section>"#);
        }
        (CaseState::Validated, Some(p)) => {
            let _ = write!(
                out,
                "<p>Proposition validée et envoyée à {} ; réponse attendue avant le {}. Vous recevrez un courriel dès qu'il répond.</p>",
                doctor_line(v.territory, &p.doctor),
                unix_date_fr(p.deadline)
            );
        }
        (CaseState::Accepted, Some(p)) => {
            let _ = write!(
                out,
                "<p><strong>{} a accepté.</strong></p>",
                doctor_line(v.territory, &p.doctor)
            );
            if case.has_email {
                out.push_str("<p>La personne va être prévenue par courriel.</p>");
            } else {
                let _ = write!(
                    out,
                    r#"<p>La personne n'a pas d'adresse électronique : <strong>appelez-la</strong> pour lui donner le nom du médecin et lui dire que son cabinet va l'appeler.</p><form method="post" action="{action}">{}{}<p><button type="submit" name="decision" value="prevenu">J'ai prévenu la personne</button></p></form>"#,
                    hidden(v.token, Some(&p.id)),
                    who("prevenu")
                );
            }
        }
        (CaseState::Informed, Some(p)) => {
            let _ = write!(
                out,
                "<p>{} a accepté ; la personne est prévenue. Quand le premier rendez-vous a eu lieu, closez la demande avec le motif « Médecin traitant trouvé grâce à la CPTS ».</p>",
                doctor_line(v.territory, &p.doctor)
            );
        }
        (CaseState::Closed, _) => {
            if let Some(c) = &case.closure {
                let _ = write!(
                    out,
                    "<p>Demande close le {} par {} : {}.</p>",
                    unix_date_fr(c.at),
                    esc(&c.by),
                    esc(c.reason.label())
                );
            }
        }
        _ => out.push_str("<p>Aucun médecin ne peut prendre cette demande pour l'instant (distance, capacité, visites à domicile). Elle est réexaminée automatiquement chaque fois que la liste des médecins change ou qu'un médecin revient de pause : vous recevrez un courriel dès qu'un médecin est proposé.</p>"),
    }
    if case.state != CaseState::Closed {
        let _ = write!(
            out,
            r#"<form method="post" action="{action}">{}{}<p><label for="motif-clore">Clore la demande : motif</label><br><select id="motif-clore" name="motif" required>"#,
            hidden(v.token, case.current_proposal()),
            who("clore")
        );
        for r in ClosingReason::ALL {
            let _ = write!(
                out,
                r#"<option value="{}">{}</option>"#,
                r.code(),
                esc(r.label())
            );
        }
        out.push_str(r#"</select></p><p><button type="submit" name="decision" value="clore">Clore la demande</button></p></form>"#);
    }
    if !v.proposals.is_empty() {
        out.push_str(r#"<h2>Historique des propositions</h2><table><caption class="visually-hidden">Médecins proposés pour cette demande</caption><thead><tr><th scope="col">Médecin</th><th scope="col">État</th><th scope="col">Depuis le</th><th scope="col">Par</th><th scope="col">Note</th></tr></thead><tbody>"#);
        for p in v.proposals {
            let step = p.last_step();
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                doctor_line(v.territory, &p.doctor),
                esc(p.state.label()),
                step.map_or_else(String::new, |s| unix_date_fr(s.at)),
                esc(&step.map_or_else(String::new, |s| by_label(&s.by))),
                esc(step.and_then(|s| s.note.as_deref()).unwrap_or(""))
            );
        }
        out.push_str("</tbody></table>");
    }
    let _ = write!(
        out,
        r#"<p><a href="{}">Tableau de bord de la CPTS</a></p><p>Ouvrir cette page ne change rien : seuls les boutons agissent.</p>"#,
        esc(v.overview_link)
    );
    out
}

/// "system" → French.
pub fn by_label(by: &str) -> String {
    match by {
        "system" => "automatique".into(),
        other => other.to_string(),
    }
}

/// After a decision: what was done.
pub fn decided_page(title: &str, message: &str, back: &str) -> String {
    format!(
        r#"<h1>{}</h1><p>{}</p><p><a href="{}">Revenir à la demande</a></p>"#,
        esc(title),
        esc(message),
        esc(back)
    )
}

/// When someone already acted: who did what, when.
pub fn already_decided_page(case: &Case, proposal: Option<&Proposal>, back: &str) -> String {
    let mut out = String::from("<h1>Déjà décidé</h1>");
    if let Some(c) = &case.closure {
        let _ = write!(
            out,
            "<p>La demande {} a été close le {} par {} ({}).</p>",
            esc(&case.reference),
            unix_date_fr(c.at),
            esc(&by_label(&c.by)),
            esc(c.reason.label())
        );
    } else if let Some(step) = proposal.and_then(Proposal::last_step) {
        let _ = write!(
            out,
            "<p>Cette proposition est déjà <strong>{}</strong> : le {}, par {}.</p>",
            esc(proposal.map_or("", |p| p.state.label())),
            unix_date_fr(step.at),
            esc(&by_label(&step.by))
        );
    } else {
        let _ = write!(
            out,
            "<p>La demande a changé depuis l'ouverture de la page : elle est maintenant « {} ».</p>",
            esc(case.state.label())
        );
    }
    let _ = write!(
        out,
        r#"<p>Rien n'a été modifié. <a href="{}">Revoir la demande telle qu'elle est maintenant</a>.</p>"#,
        esc(back)
    );
    out
}

/// What the doctor sees before he answers: no name, no contact details.
pub fn doctor_offer_page(
    case: &Case,
    proposal: &Proposal,
    request: &Request,
    commune: &str,
    token: &str,
    today: NaiveDate,
) -> String {
    let r = &request.registration;
    let mut needs = Vec::new();
    if r.mobility.home_visits {
        needs.push("visites à domicile".to_string());
    }
    if let Some(language) = &r.communication.interpreter_language {
        needs.push(format!("interprète ({})", esc(language)));
    }
    if r.communication.reading_help {
        needs.push("aide à la lecture".into());
    }
    let action = format!("/api/propositions/{}", esc(&proposal.id));
    let hidden = format!(
        r#"<input type="hidden" name="jeton" value="{}">"#,
        esc(token)
    );
    let mut out = format!(
        r#"<h1>Proposition d'un nouveau patient</h1><p>La coordination de la CPTS vous propose un patient sans médecin traitant, selon la disponibilité que vous avez déclarée. Vous pouvez refuser sans vous justifier.</p><dl class="request"><dt>Commune du patient</dt><dd>{}</dd><dt>Distance de votre cabinet</dt><dd>{} km</dd><dt>Priorité</dt><dd>{}</dd><dt>Âge</dt><dd>{}</dd><dt>Besoins</dt><dd>{}</dd><dt>Réponse souhaitée avant le</dt><dd>{}</dd></dl><p>Si vous acceptez, vous verrez aussitôt son nom et son téléphone pour lui proposer un premier rendez-vous.</p>"#,
        esc(commune),
        matching::km(proposal.distance_km),
        esc(level_label(case.needs.priority_level)),
        age_bracket(r.birth_date.age_on(today)),
        if needs.is_empty() {
            "aucun signalé".into()
        } else {
            needs.join(", ")
        },
        unix_date_fr(proposal.deadline)
    );
    let _ = write!(
        out,
        r#"<form method="post" action="{action}">{hidden}<p><button type="submit" name="reponse" value="accepter">J'accepte ce patient</button></p></form><form method="post" action="{action}">{hidden}<p><button type="submit" name="reponse" value="refuser">Je ne peux pas le prendre</button></p></form><form method="post" action="{action}">{hidden}<p><label for="pause">Pas maintenant : ne plus me proposer de patient pendant</label><br><select id="pause" name="pause_mois"><option value="1">1 mois</option><option value="3">3 mois</option><option value="6">6 mois</option></select></p><p><button type="submit" name="reponse" value="pause">Faire une pause (et refuser celui-ci)</button></p></form>"#
    );
    out
}

/// What the doctor sees once he accepted: the patient's contact details.
pub fn doctor_accepted_page(request: &Request, commune: &str, today: NaiveDate) -> String {
    let r = &request.registration;
    let call_time = call_time_label(r.call_time);
    let mut out = format!(
        r#"<h1>Merci : vous avez accepté ce patient</h1><p>Appelez-le pour lui proposer un premier rendez-vous ; au rendez-vous, faites ensemble la déclaration de médecin traitant.</p><dl class="request"><dt>Nom</dt><dd>{} {}</dd><dt>Âge</dt><dd>{} ans</dd><dt>Téléphone</dt><dd><a href="tel:{}">{}</a> ({call_time})</dd>"#,
        esc(r.first_name.as_str()),
        esc(r.last_name.as_str()),
        r.birth_date.age_on(today),
        esc(r.phone.as_str()),
        esc(&r.phone.display_fr())
    );
    if let Some(email) = &r.email {
        let _ = write!(out, "<dt>Courriel</dt><dd>{}</dd>", esc(email.as_str()));
    }
    let _ = write!(
        out,
        "<dt>Commune</dt><dd>{}</dd></dl><p>Une question ? Répondez à la coordination de la CPTS, votre seule interlocutrice.</p>",
        esc(commune)
    );
    out
}

/// The doctor's page when the proposal is no longer his to answer.
pub fn doctor_closed_page(proposal: &Proposal) -> String {
    let when = proposal
        .last_step()
        .map_or_else(String::new, |s| unix_date_fr(s.at));
    let text = match proposal.state {
        ProposalState::Declined => format!(
            "Vous avez répondu le {when} : vous ne prenez pas ce patient. Merci d'avoir répondu."
        ),
        ProposalState::Expired => format!(
            "Cette proposition a expiré le {when} sans réponse ; la demande a été proposée à un confrère."
        ),
        ProposalState::Withdrawn => {
            format!("La coordination a clos cette demande le {when} : vous n'avez rien à faire.")
        }
        ProposalState::Proposed => {
            "Cette proposition n'a pas encore été validée par la coordination.".into()
        }
        _ => format!("Cette proposition est close depuis le {when}."),
    };
    format!("<h1>Proposition close</h1><p>{}</p>", esc(&text))
}

/// The patient's page once a doctor accepted him.
pub fn patient_page(case: &Case, doctor: Option<&Doctor>, practice: &str) -> String {
    match (case.state, doctor) {
        (CaseState::Accepted | CaseState::Informed, Some(d)) | (CaseState::Closed, Some(d))
            if case
                .closure
                .as_ref()
                .is_none_or(|c| c.reason == ClosingReason::FoundThroughCpts) =>
        {
            format!(
                r#"<h1>Un médecin traitant accepte votre demande</h1><p><strong>{}</strong>, cabinet à {}, accepte de devenir votre médecin traitant.</p><h2>Et maintenant ?</h2><ol><li>Son cabinet va vous appeler pour un premier rendez-vous.</li><li>Au rendez-vous, remplissez avec lui la déclaration de médecin traitant.</li></ol><p>Référence de votre demande : {}.</p>"#,
                esc(&d.name),
                esc(practice),
                esc(&case.reference)
            )
        }
        _ => format!(
            "<h1>Votre demande est en cours</h1><p>Référence {} : la coordination de la CPTS cherche un médecin pour vous. Vous serez prévenu dès qu'un médecin accepte.</p>",
            esc(&case.reference)
        ),
    }
}
