//! What the pages behind emailed links show, as data for their templates: the coordinator's
//! decision page (`coordinator.html`), the doctor's answer pages (`doctor_offer.html`,
//! `doctor_accepted.html`), the patient's follow-up page (`patient.html`) and the pages that say
//! what an action did. Plain HTML forms: no JavaScript, nothing submits by itself.

use chrono::{DateTime, Local, NaiveDate, Timelike};
use serde::Serialize;
use territory::dates::french_long;
use territory::{Coordinator, Doctor, Territory};

use crate::domain::communes::coordinators_of;
use crate::domain::dates::unix_date_fr;
use crate::domain::intake::Channel;
use crate::domain::lifecycle::{
    AuditEntry, Case, CaseState, ClosingReason, EntryKind, Proposal, ProposalState,
    RejectionReason, Request, TimelineEntry, kind_code,
};
use crate::domain::matching;
use crate::domain::registration::{self, Criterion, DeclaredCriterion, FilledBy};
use crate::view::{Contact, ContactPerson};
use crate::web::pages::{Message, call_time_label, level_label};
use crate::workflow::{Answer, Decision};

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
            d.name,
            territory
                .communes
                .get(d.commune)
                .map_or("", |c| c.name.as_str())
        ),
        None => format!("médecin {id} (plus dans la liste publiée)"),
    }
}

fn days(now: i64, since: i64) -> i64 {
    (now - since).max(0) / 86_400
}

/// "system" → French.
pub fn by_label(by: &str) -> String {
    match by {
        "system" => "automatique".into(),
        other => other.to_string(),
    }
}

/// What the coordinator needs to call the patient back: the priority level, never the criteria.
#[derive(Debug, Serialize)]
pub struct RequestFacts<'a> {
    pub reference: &'a str,
    pub received: String,
    pub level: &'static str,
    pub name: String,
    pub age: u32,
    /// For `tel:` links.
    pub phone: &'a str,
    pub phone_display: String,
    pub call_time: &'static str,
    pub email: Option<&'a str>,
    pub commune: &'a str,
    pub distance: String,
    pub filled_by: String,
    pub needs: String,
}

impl<'a> RequestFacts<'a> {
    pub fn of(request: &'a Request, commune: &'a str, today: NaiveDate) -> Self {
        let r = &request.registration;
        let filled_by = match r.filled_by.role {
            FilledBy::Patient => "la personne elle-même",
            FilledBy::Relative => "un proche",
            FilledBy::Professional => "un professionnel de santé",
            FilledBy::SocialHelp => "un agent France Services ou du social",
            FilledBy::TownHall => "une mairie",
        };
        let filled_by = match &r.filled_by.organisation {
            Some(o) => format!("{filled_by} ({o})"),
            None => filled_by.to_string(),
        };
        let mut needs = Vec::new();
        if let Some(language) = &r.communication.interpreter_language {
            needs.push(format!("interprète ({language})"));
        }
        if r.communication.reading_help {
            needs.push("aide à la lecture (FALC)".into());
        }
        if r.mobility.home_visits {
            needs.push("visites à domicile".into());
        }
        Self {
            reference: &request.reference,
            received: unix_date_fr(request.created_at),
            level: level_label(request.priority.level),
            name: format!("{} {}", r.first_name.as_str(), r.last_name.as_str()),
            age: r.birth_date.age_on(today),
            phone: r.phone.as_str(),
            phone_display: r.phone.display_fr(),
            call_time: call_time_label(r.call_time),
            email: r.email.as_ref().map(|e| e.as_str()),
            commune,
            distance: match r.mobility.max_distance_km {
                Some(km) => format!("{km} km"),
                None => "pas de limite".into(),
            },
            filled_by,
            needs: if needs.is_empty() {
                "aucun signalé".into()
            } else {
                needs.join(", ")
            },
        }
    }
}

/// How a request came, in French, for the staff's pages: « Par téléphone », « Formulaire en ligne
/// (affiche : affiche-rethelois-a4) »…
pub fn channel_line(channel: &Channel) -> String {
    match channel {
        Channel::Web { source: Some(s) } => {
            format!("Formulaire en ligne (affiche : {})", s.as_str())
        }
        Channel::Web { source: None } => "Formulaire en ligne".into(),
        Channel::Telephone => "Par téléphone".into(),
        Channel::Paper => "Formulaire papier".into(),
        Channel::Professional => "Par un professionnel de santé".into(),
        Channel::TownHall => "Par une mairie".into(),
        Channel::FranceServices => "Par France Services".into(),
        Channel::Other => "Autre moyen".into(),
    }
}

/// Who called for the person (a relative, a clerk…), and how to call them back.
#[derive(Debug, Serialize)]
pub struct CallerFacts<'a> {
    pub name: &'a str,
    pub relation: &'static str,
    /// For `tel:` links.
    pub phone: &'a str,
    pub phone_display: String,
}

/// How the request came and, when a member of staff entered it, who she is, the date of the call,
/// who called when it was not the person, and her note. Shown on the coordinator's page only (the
/// doctor's pages say none of it, nor does any mail).
#[derive(Debug, Serialize)]
pub struct Arrival<'a> {
    pub channel: String,
    /// The staff member who entered it, by name while the roster lists her.
    pub staff: Option<String>,
    /// « Date de l'appel » for a call, « Reçue le » otherwise.
    pub received_label: &'static str,
    pub received_on: Option<String>,
    /// « Qui a appelé » for a call, « Qui a envoyé la demande » otherwise.
    pub caller_label: &'static str,
    pub caller: Option<CallerFacts<'a>>,
    pub note: Option<&'a str>,
}

impl<'a> Arrival<'a> {
    pub fn of(territory: &Territory, request: &'a Request) -> Self {
        let call = request.channel == Channel::Telephone;
        let intake = request.intake.as_ref();
        Self {
            channel: channel_line(&request.channel),
            staff: intake.map(|i| actor_label(territory, &format!("staff:{}", i.staff))),
            received_label: if call { "Date de l'appel" } else { "Reçue le" },
            received_on: intake.map(|i| french_long(i.received_on)),
            caller_label: if call {
                "Qui a appelé"
            } else {
                "Qui a envoyé la demande"
            },
            caller: intake.and_then(|i| i.caller.as_ref()).map(|c| CallerFacts {
                name: c.name.as_str(),
                relation: c.relation.label(),
                phone: c.phone.as_str(),
                phone_display: c.phone.display_fr(),
            }),
            note: intake.and_then(|i| i.note.as_ref()).map(|n| n.as_str()),
        }
    }
}

/// A priority criterion as the coordinator reads it (the form asks in the first person).
pub fn criterion_label(criterion: Criterion) -> &'static str {
    match criterion {
        Criterion::LongTermCondition => "Affection de longue durée (ALD)",
        Criterion::C2sOrAme => "C2S ou AME",
        Criterion::Precarity => {
            "Situation de précarité (sans logement, isolement, renoncement aux soins)"
        }
        Criterion::Pregnancy => "Grossesse",
        Criterion::Disability => "Handicap ou perte d'autonomie",
        Criterion::HospitalDischarge => "Sortie d'hôpital depuis moins d'un mois",
        Criterion::RegularTreatment => "Traitement régulier",
    }
}

/// A criterion the person declared, with its dates.
#[derive(Debug, Serialize)]
pub struct DeclaredRow {
    pub label: &'static str,
    pub declared: String,
    /// "" when it does not expire.
    pub until: String,
    /// Past its date: it counts no more in the priority.
    pub expired: bool,
}

pub fn declared_rows(criteria: &[DeclaredCriterion], today: NaiveDate) -> Vec<DeclaredRow> {
    criteria
        .iter()
        .map(|c| DeclaredRow {
            label: criterion_label(c.criterion),
            declared: french_long(c.declared),
            until: c.valid_until.map(french_long).unwrap_or_default(),
            expired: !c.holds_on(today),
        })
        .collect()
}

/// "1er décembre 2026 à 14 h 05", local time.
pub fn unix_time_fr(unix: i64) -> String {
    DateTime::from_timestamp(unix, 0)
        .map(|d| {
            let d = d.with_timezone(&Local);
            format!(
                "{} à {} h {:02}",
                french_long(d.date_naive()),
                d.hour(),
                d.minute()
            )
        })
        .unwrap_or_default()
}

/// Who acted, in French, from an audit entry's `actor` or a step's `by` (a member of staff by
/// name while the roster lists them).
pub fn actor_label(territory: &Territory, actor: &str) -> String {
    match actor {
        "public" => "formulaire en ligne".into(),
        "system" => "automatique".into(),
        _ if actor.starts_with("coordinator:") => "coordination (lien reçu par courriel)".into(),
        _ => match actor.strip_prefix("staff:") {
            Some(id) => match territory.staff_member(id) {
                Some(staff) => staff.name.clone(),
                None => format!("équipe : {id}"),
            },
            None => actor.to_string(),
        },
    }
}

/// What an audit entry's `action` says, in French (an action this page does not know yet is
/// shown as it is stored).
pub fn action_label(action: &str) -> &str {
    match action {
        "registered" => "Demande enregistrée",
        "viewed" => "Page de la demande consultée",
        "closed" => "Demande close",
        "reminded" => "Rappel envoyé",
        other => other,
    }
}

/// A doctor as the coordinator's page names him: name and practice, or that he left the list.
pub fn doctor_name(territory: &Territory, id: &str) -> String {
    match territory.doctor(id) {
        Some(d) => format!(
            "{} (cabinet à {})",
            d.name,
            territory
                .communes
                .get(d.commune)
                .map_or("", |c| c.name.as_str())
        ),
        None => format!("médecin {id} (plus dans la liste publiée)"),
    }
}

/// What a timeline entry (the coordinator's note, call, change…) says, in French.
pub fn entry_text(territory: &Territory, e: &TimelineEntry) -> String {
    match &e.kind {
        EntryKind::Note => format!("Note : {}", e.text),
        EntryKind::Call { outcome } => format!("Appel : {}.", outcome.label().to_lowercase()),
        EntryKind::Suspended => format!("Demande suspendue. {}", e.text),
        EntryKind::Priority { from, to } => {
            format!("Priorité changée de {from} à {to} : {}", e.text)
        }
        EntryKind::DoctorChosen { doctor, .. } => format!(
            "Médecin choisi par la coordination : {}. {}",
            doctor_name(territory, doctor),
            e.text
        )
        .trim_end()
        .to_string(),
        EntryKind::Reopened => format!("Demande rouverte. {}", e.text),
        EntryKind::MailGivenUp => e.text.clone(),
        EntryKind::Corrected { fields } => {
            let fields: Vec<&str> = fields
                .iter()
                .map(|f| registration::field_label(f))
                .collect();
            format!("Coordonnées corrigées : {}.", fields.join(", "))
        }
    }
}

/// One line of the request's timeline.
#[derive(Debug, Serialize)]
pub struct Event {
    #[serde(skip)]
    pub unix: i64,
    pub at: String,
    pub by: String,
    pub what: String,
    pub note: String,
}

/// Everything that happened to the request, newest first: its audit entries (registration,
/// views, closing, and whatever later actions record), its timeline entries (the coordination's
/// notes, calls and changes) and each proposal's steps and reminders.
pub fn timeline(
    territory: &Territory,
    audit: &[AuditEntry],
    entries: &[TimelineEntry],
    proposals: &[Proposal],
) -> Vec<Event> {
    let event = |unix: i64, by: &str, what: String, note: &str| Event {
        unix,
        at: unix_time_fr(unix),
        by: actor_label(territory, by),
        what,
        note: note.to_string(),
    };
    let mut events: Vec<Event> = Vec::new();
    // An entry says more than its audit line (which holds ids only): the entry is shown.
    let entry_codes: Vec<&str> = entries.iter().map(|e| kind_code(&e.kind)).collect();
    for e in audit
        .iter()
        .filter(|e| !entry_codes.contains(&e.action.as_str()))
    {
        let about_proposal = proposals.iter().find(|p| p.id == e.object);
        match about_proposal {
            // A proposal's steps come from its history, which says more.
            Some(_) if e.action != "reminded" => {}
            Some(p) => events.push(event(
                e.at,
                &e.actor,
                format!(
                    "Rappel envoyé pour la proposition de {}",
                    doctor_line(territory, &p.doctor)
                ),
                "",
            )),
            None => events.push(event(
                e.at,
                &e.actor,
                action_label(&e.action).to_string(),
                "",
            )),
        }
    }
    for e in entries {
        events.push(event(e.at, &e.by, entry_text(territory, e), ""));
    }
    for p in proposals {
        let doctor = doctor_line(territory, &p.doctor);
        for step in &p.history {
            events.push(event(
                step.at,
                &step.by,
                format!("{} : {}", doctor, step.state.label()),
                step.note.as_deref().unwrap_or(""),
            ));
        }
    }
    // Newest first; at the same second, the order they were recorded in, reversed.
    events.reverse();
    events.sort_by_key(|e| std::cmp::Reverse(e.unix));
    events
}

/// Everything the coordinator's page shows, read before rendering.
pub struct CoordinatorView<'a> {
    pub request: &'a Request,
    pub case: &'a Case,
    /// Every proposal of the request, oldest first.
    pub proposals: &'a [Proposal],
    /// The audit entries of the request and of its proposals, in the order they were recorded.
    pub audit: &'a [AuditEntry],
    /// The request's timeline entries, in the order they were written.
    pub entries: &'a [TimelineEntry],
    pub commune: &'a str,
    pub coordinators: &'a [Coordinator],
    pub territory: &'a Territory,
    pub token: &'a str,
    pub overview_link: &'a str,
    /// Other open requests that may be the same person.
    pub duplicates: &'a [Duplicate],
    pub today: NaiveDate,
    pub now: i64,
}

/// A choice of a `<select>`.
#[derive(Debug, Serialize)]
pub struct Choice {
    pub code: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Serialize)]
pub struct CurrentProposal<'a> {
    pub id: &'a str,
    pub doctor: String,
    pub reasons: &'a [String],
    pub deadline: String,
}

#[derive(Debug, Serialize)]
pub struct Closure<'a> {
    pub at: String,
    pub by: &'a str,
    pub reason: &'static str,
}

#[derive(Debug, Serialize)]
pub struct HistoryRow<'a> {
    pub doctor: String,
    pub state: &'static str,
    pub since: String,
    pub by: String,
    pub note: &'a str,
}

/// The coordinator's page (`coordinator.html`): the request (to call the patient), where it
/// stands, the proposed doctor and why, and the forms for her decisions (POST).
#[derive(Debug, Serialize)]
pub struct CoordinatorPage<'a> {
    pub request: RequestFacts<'a>,
    /// How the request came, who entered it and who called.
    pub arrival: Arrival<'a>,
    pub state: &'static str,
    pub days: i64,
    /// Which part of the page applies: `proposed`, `validated`, `accepted`, `informed`,
    /// `closed`, `suspended` or `waiting`.
    pub stage: &'static str,
    pub proposal: Option<CurrentProposal<'a>>,
    /// The current proposal's id, sent with every decision ("" when there is none).
    pub current: &'a str,
    pub has_email: bool,
    pub closure: Option<Closure<'a>>,
    pub open: bool,
    /// Where the forms are sent.
    pub action: String,
    pub token: &'a str,
    /// The names in the "Qui décide ?" list (shown when there are several).
    pub coordinators: Vec<&'a str>,
    pub rejection_reasons: Vec<Choice>,
    pub closing_reasons: Vec<Choice>,
    pub history: Vec<HistoryRow<'a>>,
    /// The criteria the person declared, with their dates.
    pub criteria: Vec<DeclaredRow>,
    /// Why this priority level: the reasons kept with the request when it was assessed.
    pub priority_reasons: &'a [String],
    pub assessed_on: String,
    /// Everything that happened, newest first.
    pub timeline: Vec<Event>,
    pub overview_link: &'a str,
    pub duplicates: &'a [Duplicate],
}

/// Another open request that may be the same person, and the address of its page.
#[derive(Debug, Serialize)]
pub struct Duplicate {
    pub reference: String,
    pub url: String,
}

pub fn coordinator_page<'a>(v: &CoordinatorView<'a>) -> CoordinatorPage<'a> {
    let case = v.case;
    let current = case
        .current_proposal()
        .and_then(|id| v.proposals.iter().find(|p| p.id == id));
    let stage = match (case.state, current) {
        (CaseState::Proposed, Some(_)) => "proposed",
        (CaseState::Validated, Some(_)) => "validated",
        (CaseState::Accepted, Some(_)) => "accepted",
        (CaseState::Informed, Some(_)) => "informed",
        (CaseState::Closed, _) => "closed",
        (CaseState::Suspended, _) => "suspended",
        _ => "waiting",
    };
    CoordinatorPage {
        request: RequestFacts::of(v.request, v.commune, v.today),
        arrival: Arrival::of(v.territory, v.request),
        state: case.state.label(),
        days: days(v.now, case.created_at),
        stage,
        proposal: current.map(|p| CurrentProposal {
            id: &p.id,
            doctor: doctor_line(v.territory, &p.doctor),
            reasons: &p.reasons,
            deadline: unix_date_fr(p.deadline),
        }),
        current: case.current_proposal().unwrap_or(""),
        has_email: case.has_email,
        closure: case.closure.as_ref().map(|c| Closure {
            at: unix_date_fr(c.at),
            by: &c.by,
            reason: c.reason.label(),
        }),
        open: case.state != CaseState::Closed,
        action: format!("/api/demandes/{}", case.reference),
        token: v.token,
        coordinators: if v.coordinators.len() > 1 {
            v.coordinators.iter().map(|c| c.name.as_str()).collect()
        } else {
            Vec::new()
        },
        rejection_reasons: RejectionReason::ALL
            .iter()
            .map(|r| Choice {
                code: r.code(),
                label: r.label(),
            })
            .collect(),
        closing_reasons: ClosingReason::chosen()
            .map(|r| Choice {
                code: r.code(),
                label: r.label(),
            })
            .collect(),
        history: v
            .proposals
            .iter()
            .map(|p| {
                let step = p.last_step();
                HistoryRow {
                    doctor: doctor_line(v.territory, &p.doctor),
                    state: p.state.label(),
                    since: step.map_or_else(String::new, |s| unix_date_fr(s.at)),
                    by: step.map_or_else(String::new, |s| by_label(&s.by)),
                    note: step.and_then(|s| s.note.as_deref()).unwrap_or(""),
                }
            })
            .collect(),
        criteria: declared_rows(&v.request.registration.criteria, v.today),
        priority_reasons: &v.request.priority.reasons,
        assessed_on: french_long(v.request.priority.assessed_on),
        timeline: timeline(v.territory, v.audit, v.entries, v.proposals),
        overview_link: v.overview_link,
        duplicates: v.duplicates,
    }
}

/// After a decision: what was done.
pub fn decided<'a>(title: &'a str, message: &str, back: &'a str) -> Message<'a> {
    Message::new(title, &[message]).link(back, "Revenir à la demande")
}

/// What a decision did: the page's title and its sentence. `another`: another doctor is
/// proposed at once (after [`Decision::Another`]).
pub fn decision_done(decision: Decision, another: bool) -> (&'static str, String) {
    match decision {
        Decision::Validate => (
            "Proposition validée",
            "C'est fait : le médecin a reçu un courriel avec la proposition (sans aucune donnée personnelle). Vous recevrez un courriel dès qu'il aura répondu.".into(),
        ),
        Decision::Another(_) if another => (
            "Autre médecin demandé",
            "C'est fait : ce médecin est écarté et un autre médecin est proposé. Revenez à la demande pour le voir et le valider.".into(),
        ),
        Decision::Another(_) => (
            "Autre médecin demandé",
            "C'est fait : ce médecin est écarté. Aucun autre médecin ne peut prendre cette demande pour l'instant ; elle sera réexaminée automatiquement et vous recevrez un courriel dès qu'un médecin est proposé.".into(),
        ),
        Decision::Close(reason) => (
            "Demande close",
            format!("C'est fait : la demande est close ({}).", reason.label()),
        ),
        Decision::Informed => (
            "C'est noté",
            "C'est noté : la personne est prévenue.".into(),
        ),
    }
}

/// What a doctor's answer other than accepting did.
pub fn answer_recorded(answer: Answer) -> String {
    match answer {
        Answer::Pause(until) => format!(
            "C'est noté : vous ne prenez pas ce patient, et la CPTS ne vous proposera personne avant le {}. Pensez à mettre à jour votre déclaration de disponibilité auprès de la coordination.",
            territory::dates::french_long(until)
        ),
        _ => "C'est noté : la demande est proposée à un confrère. Merci d'avoir répondu.".into(),
    }
}

/// When someone already acted (`already_decided.html`): who did what, when.
#[derive(Debug, Serialize)]
pub struct AlreadyDecided<'a> {
    pub reference: &'a str,
    pub closure: Option<Closure<'a>>,
    /// The proposal's state and its last step, when it has one.
    pub proposal: Option<DecidedStep>,
    /// The request's state now.
    pub state: &'static str,
    pub back: &'a str,
}

#[derive(Debug, Serialize)]
pub struct DecidedStep {
    pub state: &'static str,
    pub at: String,
    pub by: String,
}

pub fn already_decided<'a>(
    case: &'a Case,
    proposal: Option<&Proposal>,
    back: &'a str,
) -> AlreadyDecided<'a> {
    AlreadyDecided {
        reference: &case.reference,
        closure: case.closure.as_ref().map(|c| Closure {
            at: unix_date_fr(c.at),
            by: &c.by,
            reason: c.reason.label(),
        }),
        proposal: proposal.and_then(|p| {
            p.last_step().map(|step| DecidedStep {
                state: p.state.label(),
                at: unix_date_fr(step.at),
                by: by_label(&step.by),
            })
        }),
        state: case.state.label(),
        back,
    }
}

/// The coordination of `cpts` (every coordinator for a commune outside every CPTS), as a
/// doctor's pages name it in their footer.
pub fn coordination_contact(territory: &Territory, cpts: Option<&str>) -> Contact {
    Contact {
        cpts: cpts
            .and_then(|id| territory.cpts.iter().find(|c| c.id == id))
            .map_or_else(|| "CPTS".to_string(), |c| c.name.clone()),
        people: coordinators_of(territory, cpts)
            .into_iter()
            .map(|c| ContactPerson {
                name: c.name,
                email: c.email,
            })
            .collect(),
    }
}

/// The criteria a doctor is told, as yes/no answers: what the person declared, never a
/// diagnosis. Precarity is left out: a social fact the coordination weighs, not his to know
/// before he accepts.
const FOR_DOCTOR: [Criterion; 6] = [
    Criterion::LongTermCondition,
    Criterion::Pregnancy,
    Criterion::Disability,
    Criterion::RegularTreatment,
    Criterion::HospitalDischarge,
    Criterion::C2sOrAme,
];

/// A criterion and the person's answer, on the doctor's page.
#[derive(Debug, Serialize)]
pub struct Answered {
    pub label: &'static str,
    /// « Oui » or « Non ».
    pub answer: &'static str,
}

/// What the doctor sees before he answers (`doctor_offer.html`): no name, no contact details.
#[derive(Debug, Serialize)]
pub struct DoctorOffer<'a> {
    pub commune: &'a str,
    pub km: String,
    pub priority: &'static str,
    pub age: &'static str,
    /// The criteria the person declared (still valid today), yes or no.
    pub criteria: Vec<Answered>,
    pub needs: String,
    pub deadline: String,
    pub action: String,
    pub token: &'a str,
}

pub fn doctor_offer<'a>(
    case: &Case,
    proposal: &Proposal,
    request: &Request,
    commune: &'a str,
    token: &'a str,
    today: NaiveDate,
) -> DoctorOffer<'a> {
    let r = &request.registration;
    let mut needs = Vec::new();
    if r.mobility.home_visits {
        needs.push("visites à domicile".to_string());
    }
    if let Some(language) = &r.communication.interpreter_language {
        needs.push(format!("interprète ({language})"));
    }
    if r.communication.reading_help {
        needs.push("aide à la lecture".into());
    }
    DoctorOffer {
        commune,
        km: matching::km(proposal.distance_km).to_string(),
        priority: level_label(case.needs.priority_level),
        age: age_bracket(r.birth_date.age_on(today)),
        criteria: FOR_DOCTOR
            .iter()
            .map(|&criterion| Answered {
                label: criterion_label(criterion),
                answer: if r
                    .criteria
                    .iter()
                    .any(|c| c.criterion == criterion && c.holds_on(today))
                {
                    "Oui"
                } else {
                    "Non"
                },
            })
            .collect(),
        needs: if needs.is_empty() {
            "aucun signalé".into()
        } else {
            needs.join(", ")
        },
        deadline: unix_date_fr(proposal.deadline),
        action: format!("/api/propositions/{}", proposal.id),
        token,
    }
}

/// What the doctor sees once he accepted (`doctor_accepted.html`): the patient's contact details.
pub fn doctor_accepted<'a>(
    request: &'a Request,
    commune: &'a str,
    today: NaiveDate,
) -> RequestFacts<'a> {
    RequestFacts::of(request, commune, today)
}

/// The doctor's page when the proposal is no longer his to answer.
pub fn doctor_closed(proposal: &Proposal) -> Message<'static> {
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
    Message::new("Proposition close", &[&text])
}

/// The patient's page (`patient.html`): the doctor once one accepted him, or that the search goes on.
#[derive(Debug, Serialize)]
pub struct PatientPage<'a> {
    pub reference: &'a str,
    /// The doctor who accepted and his practice's commune.
    pub doctor: Option<&'a str>,
    pub practice: &'a str,
}

pub fn patient_page<'a>(
    case: &'a Case,
    doctor: Option<&'a Doctor>,
    practice: &'a str,
) -> PatientPage<'a> {
    let found = matches!(
        case.state,
        CaseState::Accepted | CaseState::Informed | CaseState::Closed
    ) && case
        .closure
        .as_ref()
        .is_none_or(|c| c.reason == ClosingReason::FoundThroughCpts);
    PatientPage {
        reference: &case.reference,
        doctor: doctor.filter(|_| found).map(|d| d.name.as_str()),
        practice,
    }
}
