//! What happens to a request after registration (issue #6): a doctor is proposed, the
//! coordinator validates or asks for another, the doctor accepts, declines or pauses, people are
//! told, and the scheduled jobs move on whatever waits (expiries, reminders, re-examination).
//!
//! Every change is a [`lifecycle`] transition applied by the Store as one conditional write:
//! when two people act at once, or a link is used twice, the second finds the state moved on and
//! changes nothing.

use chrono::{DateTime, Local, NaiveDate};
use territory::{Coordinator, Territory};

use crate::lifecycle::{
    self, Case, CaseState, ClosingReason, Proposal, ProposalState, RejectionReason,
};
use crate::mail::{Mailer, compose};
use crate::matching::{self, Loads};
use crate::pages::unix_date_fr;
use crate::store::{Applied, Mail, Result, Store, StoreError, Transition};
use crate::{App, COORDINATOR_LINK_SECONDS};

/// Token action of the coordinator's page of a request.
pub const VIEW_ACTION: &str = "voir";
/// Token action of the doctor's page of a proposal.
pub const DOCTOR_ACTION: &str = "medecin";
/// Token action of the patient's page once a doctor accepted.
pub const PATIENT_ACTION: &str = "patient";
/// Token action of a CPTS's overview.
pub const OVERVIEW_ACTION: &str = "tableau";
pub const OVERVIEW_LINK_SECONDS: i64 = 7 * 86_400;
pub const PATIENT_LINK_SECONDS: i64 = 90 * 86_400;
/// Overview id of the requests from communes outside every CPTS.
pub const OUTSIDE_CPTS: &str = "hors-cpts";
/// How many times a decision is tried again when someone else changed the case meanwhile.
const ATTEMPTS: usize = 5;

/// The local calendar date of a unix time.
pub fn local_date(unix: i64) -> NaiveDate {
    DateTime::from_timestamp(unix, 0)
        .map(|d| d.with_timezone(&Local).date_naive())
        .unwrap_or_default()
}

/// The name of the commune with INSEE `code`, or the code itself if the territory no longer has it.
pub fn commune_name(territory: &Territory, code: &str) -> String {
    territory
        .commune(code)
        .map_or_else(|| code.to_string(), |c| c.name.clone())
}

/// What the coordinator can do from her page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Validate,
    Another(RejectionReason),
    Close(ClosingReason),
    /// She called the patient (no email) to tell him a doctor accepted.
    Informed,
}

/// What the doctor can do from his page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    Decline,
    /// Declines and is not asked again until this date (inclusive).
    Pause(NaiveDate),
}

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Someone already acted (or the link was used twice): nothing changed.
    AlreadyDone,
    /// No such request or proposal.
    Unknown,
    /// The proposal's deadline passed: it moved on without this answer.
    Expired,
    /// The doctor accepted, but the places he declared for the year are all taken.
    NoPlaceLeft,
    /// The doctor is no longer in the published list.
    DoctorGone,
}

/// What `propose_for` tells the coordinators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Nothing (right after registration, whose mail leads to the same page; or she asked on it).
    Silent,
    /// A doctor is proposed.
    NewProposal,
    /// What just happened (`what`, one sentence), then whether another doctor is proposed: one
    /// mail either way.
    After {
        id: String,
        subject: String,
        what: String,
    },
}

/// What one run of the scheduled jobs did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobReport {
    pub expired: usize,
    pub reminded: usize,
    pub informed: usize,
    pub proposed: usize,
    pub still_waiting: usize,
    pub mails_sent: usize,
    pub mails_failed: usize,
}

impl<S: Store, M: Mailer> App<S, M> {
    pub fn coordinator_link(&self, reference: &str, now: i64) -> String {
        format!(
            "{}/api/demandes/{reference}?jeton={}",
            self.config.public_url,
            self.keys
                .sign(VIEW_ACTION, reference, now + COORDINATOR_LINK_SECONDS)
        )
    }

    pub fn overview_link(&self, cpts: Option<&str>, now: i64) -> String {
        let id = cpts.unwrap_or(OUTSIDE_CPTS);
        format!(
            "{}/api/coordination/{id}?jeton={}",
            self.config.public_url,
            self.keys
                .sign(OVERVIEW_ACTION, id, now + OVERVIEW_LINK_SECONDS)
        )
    }

    /// Valid until the proposal's deadline.
    pub fn doctor_link(&self, proposal: &Proposal) -> String {
        format!(
            "{}/api/propositions/{}?jeton={}",
            self.config.public_url,
            proposal.id,
            self.keys
                .sign(DOCTOR_ACTION, &proposal.id, proposal.deadline)
        )
    }

    pub fn patient_link(&self, reference: &str, now: i64) -> String {
        format!(
            "{}/api/suivi/{reference}?jeton={}",
            self.config.public_url,
            self.keys
                .sign(PATIENT_ACTION, reference, now + PATIENT_LINK_SECONDS)
        )
    }

    /// Who handles requests of `cpts`: its coordinators, or every coordinator for a commune
    /// outside every CPTS.
    pub fn coordinators_of(territory: &Territory, cpts: Option<&str>) -> Vec<Coordinator> {
        match cpts.and_then(|id| territory.cpts.iter().find(|c| c.id == id)) {
            Some(c) => c.coordinators.clone(),
            None => territory
                .cpts
                .iter()
                .flat_map(|c| c.coordinators.iter().cloned())
                .collect(),
        }
    }

    async fn loads(&self, territory: &Territory, today: NaiveDate) -> Result<Loads> {
        let loads = self.store.doctor_loads(matching::period_of(today)).await?;
        Ok(Loads::new(territory, &loads))
    }

    /// A mail to the coordinators of `case`, with links to its page and to the overview.
    fn coordination_mail(
        &self,
        territory: &Territory,
        case: &Case,
        id: &str,
        subject: String,
        paragraphs: &[String],
        now: i64,
    ) -> Mail {
        let to = Self::coordinators_of(territory, case.cpts.as_deref())
            .into_iter()
            .map(|c| c.email)
            .collect();
        compose(
            id,
            to,
            subject,
            paragraphs,
            &[
                (
                    "Voir la demande et décider (lien valable 30 jours)",
                    &self.coordinator_link(&case.reference, now),
                ),
                (
                    "Tableau de bord de la CPTS (lien valable 7 jours)",
                    &self.overview_link(case.cpts.as_deref(), now),
                ),
            ],
        )
    }

    /// Proposes the best doctor for a waiting request, telling the coordinators as `notice`
    /// says. `None` when the request does not wait or no doctor can take it now.
    pub async fn propose_for(
        &self,
        reference: &str,
        now: i64,
        notice: Notice,
    ) -> Result<Option<Proposal>> {
        let territory = self.territory();
        let today = local_date(now);
        let mut last_case = None;
        for _ in 0..ATTEMPTS {
            let Some(case) = self.store.case(reference).await? else {
                return Ok(None);
            };
            if case.state != CaseState::Waiting {
                last_case = Some(case);
                break;
            }
            let loads = self.loads(&territory, today).await?;
            let found = matching::candidates(&territory, &loads, &case.needs, &case.tried, today);
            let Some(best) = found.first() else {
                last_case = Some(case);
                break;
            };
            let choice = matching::choice(
                &territory,
                &loads,
                &case.needs,
                best,
                found.len() - 1,
                today,
            );
            let mails = match &notice {
                Notice::Silent => vec![],
                Notice::NewProposal => vec![self.proposal_mail(&territory, &case, now)],
                Notice::After { id, subject, what } => vec![self.coordination_mail(
                    &territory,
                    &case,
                    id,
                    subject.clone(),
                    &[format!("{what} Un autre médecin est proposé : ouvrez la demande pour voir pourquoi lui, puis validez ou demandez-en un autre.")],
                    now,
                )],
            };
            let (transition, proposal) =
                lifecycle::propose(&case, &choice, now, matching::period_of(today), mails)
                    .map_err(|e| StoreError(e.to_string()))?;
            match self.store.apply(&transition).await? {
                Applied::Done => {
                    self.mail_waiting.notify_one();
                    return Ok(Some(proposal));
                }
                // Someone else changed the case, or the doctor's last place went meanwhile.
                Applied::Conflict | Applied::NoCapacity => continue,
            }
        }
        if let (Notice::After { id, subject, what }, Some(case)) = (&notice, last_case) {
            let mail = self.coordination_mail(
                &territory,
                &case,
                id,
                subject.clone(),
                &[format!("{what} Aucun autre médecin ne peut la prendre pour l'instant : elle est réexaminée automatiquement, et vous recevrez un courriel dès qu'un médecin est proposé.")],
                now,
            );
            let only_mail = Transition {
                at: now,
                case: None,
                proposals: vec![],
                doctors: vec![],
                mails: vec![mail],
                audit: vec![],
            };
            self.store.apply(&only_mail).await?;
            self.mail_waiting.notify_one();
        }
        Ok(None)
    }

    fn proposal_mail(&self, territory: &Territory, case: &Case, now: i64) -> Mail {
        let commune = commune_name(territory, &case.needs.commune);
        self.coordination_mail(
            territory,
            case,
            &format!("{}-{}-proposition", case.reference, case.proposals.len() + 1),
            format!("Médecin proposé à valider — réf. {}", case.reference),
            &[format!(
                "Un médecin est proposé pour la demande {} ({commune}), reçue le {}. Ouvrez la demande pour voir pourquoi ce médecin, puis validez ou demandez-en un autre.",
                case.reference,
                unix_date_fr(case.created_at)
            )],
            now,
        )
    }

    /// Reads the case and, when given, its current proposal.
    async fn case_and_proposal(
        &self,
        reference: &str,
        proposal_id: Option<&str>,
    ) -> Result<Option<(Case, Option<Proposal>)>> {
        let Some(case) = self.store.case(reference).await? else {
            return Ok(None);
        };
        let proposal = match proposal_id {
            Some(id) => self.store.proposal(id).await?,
            None => None,
        };
        Ok(Some((case, proposal)))
    }

    /// Performs the coordinator's `decision` on the proposal `proposal_id` she was shown.
    pub async fn coordinator_decides(
        &self,
        reference: &str,
        proposal_id: Option<&str>,
        decision: Decision,
        by: &str,
        now: i64,
    ) -> Result<Outcome> {
        let territory = self.territory();
        let Some((case, proposal)) = self.case_and_proposal(reference, proposal_id).await? else {
            return Ok(Outcome::Unknown);
        };
        // The page she decided on must still be the current state of the request.
        let current = case.current_proposal().map(str::to_string);
        if proposal_id.map(str::to_string) != current && !matches!(decision, Decision::Close(_)) {
            return Ok(Outcome::AlreadyDone);
        }
        if let (Decision::Validate | Decision::Another(_), Some(p)) = (decision, &proposal)
            && p.state == ProposalState::Proposed
            && now > p.deadline
        {
            self.expire(&territory, &case, p, now).await?;
            return Ok(Outcome::Expired);
        }
        let built = match decision {
            Decision::Validate => {
                let Some(p) = &proposal else {
                    return Ok(Outcome::AlreadyDone);
                };
                let Some(doctor) = territory.doctor(&p.doctor) else {
                    return Ok(Outcome::DoctorGone);
                };
                let mut validated = p.clone();
                validated.deadline = now + lifecycle::ANSWER_DAYS * 86_400;
                let mail = self.doctor_mail(&territory, &case, &validated, &doctor.email, false);
                lifecycle::validate(&case, p, now, by, vec![mail]).map(|(t, _)| t)
            }
            Decision::Another(reason) => {
                let Some(p) = &proposal else {
                    return Ok(Outcome::AlreadyDone);
                };
                lifecycle::reject(&case, p, now, by, reason).map(|(t, _)| t)
            }
            Decision::Close(reason) => {
                if proposal_id.map(str::to_string) != current && case.state != CaseState::Waiting {
                    return Ok(Outcome::AlreadyDone);
                }
                lifecycle::close(&case, proposal.as_ref(), now, by, reason)
            }
            Decision::Informed => {
                let Some(p) = &proposal else {
                    return Ok(Outcome::AlreadyDone);
                };
                lifecycle::inform(&case, p, now, by, vec![]).map(|(t, _)| t)
            }
        };
        let Ok(transition) = built else {
            return Ok(Outcome::AlreadyDone);
        };
        match self.store.apply(&transition).await? {
            Applied::Done => {}
            Applied::Conflict | Applied::NoCapacity => return Ok(Outcome::AlreadyDone),
        }
        self.mail_waiting.notify_one();
        if let Decision::Another(_) = decision {
            self.propose_for(reference, now, Notice::Silent).await?;
        }
        Ok(Outcome::Done)
    }

    /// The doctor's mail: the commune and the distance, a reference and his link. `reminder`
    /// words it as a reminder.
    fn doctor_mail(
        &self,
        territory: &Territory,
        case: &Case,
        proposal: &Proposal,
        to: &str,
        reminder: bool,
    ) -> Mail {
        let commune = commune_name(territory, &case.needs.commune);
        let (id, subject, opening) = if reminder {
            (
                format!("{}-rappel-medecin", proposal.id),
                format!(
                    "Rappel : proposition de patient en attente — réf. {}",
                    proposal.id
                ),
                "Rappel : une proposition de nouveau patient attend votre réponse.",
            )
        } else {
            (
                format!("{}-medecin", proposal.id),
                format!(
                    "Proposition d'un nouveau patient par la CPTS — réf. {}",
                    proposal.id
                ),
                "La coordination de la CPTS vous propose un nouveau patient, selon la disponibilité que vous avez déclarée.",
            )
        };
        compose(
            &id,
            vec![to.to_string()],
            subject,
            &[
                opening.to_string(),
                format!(
                    "Commune du patient : {commune} (à {} km de votre cabinet)\nRéférence : {}\nRéponse souhaitée avant le {} ; sans réponse, la demande sera proposée à un confrère.",
                    matching::km(proposal.distance_km),
                    proposal.id,
                    unix_date_fr(proposal.deadline)
                ),
                "Vous pouvez accepter, refuser sans avoir à vous justifier, ou faire une pause. Les coordonnées du patient ne vous sont montrées qu'après votre accord.".into(),
            ],
            &[("Voir la proposition et répondre", &self.doctor_link(proposal))],
        )
    }

    /// Performs the doctor's `answer` on proposal `id`.
    pub async fn doctor_answers(&self, id: &str, answer: Answer, now: i64) -> Result<Outcome> {
        let territory = self.territory();
        let Some(proposal) = self.store.proposal(id).await? else {
            return Ok(Outcome::Unknown);
        };
        let Some(case) = self.store.case(&proposal.reference).await? else {
            return Ok(Outcome::Unknown);
        };
        if proposal.state != ProposalState::Validated {
            return Ok(Outcome::AlreadyDone);
        }
        if now > proposal.deadline {
            self.expire(&territory, &case, &proposal, now).await?;
            return Ok(Outcome::Expired);
        }
        let commune = commune_name(&territory, &case.needs.commune);
        let capacity = territory
            .doctor(&proposal.doctor)
            .map_or(0, |d| d.yearly_capacity);
        let transition = match answer {
            Answer::Accept => {
                let informed = if case.has_email {
                    "La personne est prévenue par courriel."
                } else {
                    "La personne n'a pas d'adresse électronique : appelez-la pour le lui dire, puis indiquez-le sur la page de la demande."
                };
                let mail = self.coordination_mail(
                    &territory,
                    &case,
                    &format!("{}-acceptee", proposal.id),
                    format!("Le médecin a accepté — réf. {}", case.reference),
                    &[format!(
                        "Le médecin proposé a accepté la demande {} ({commune}). {informed}",
                        case.reference
                    )],
                    now,
                );
                lifecycle::accept(&case, &proposal, capacity, now, vec![mail])
            }
            Answer::Decline | Answer::Pause(_) => {
                let (note, until) = match answer {
                    Answer::Pause(until) => (
                        format!(
                            "pause demandée jusqu'au {}",
                            territory::dates::french_long(until)
                        ),
                        Some(until),
                    ),
                    _ => ("refus du médecin".to_string(), None),
                };
                lifecycle::decline(&case, &proposal, now, &note, until, vec![])
            }
        };
        let Ok((transition, _)) = transition else {
            return Ok(Outcome::AlreadyDone);
        };
        match self.store.apply(&transition).await? {
            Applied::Done => {}
            Applied::Conflict => return Ok(Outcome::AlreadyDone),
            Applied::NoCapacity => {
                self.no_place_left(&territory, &case, &proposal, now)
                    .await?;
                return Ok(Outcome::NoPlaceLeft);
            }
        }
        self.mail_waiting.notify_one();
        match answer {
            Answer::Accept => {
                self.inform_patient(&proposal.reference, now).await?;
            }
            Answer::Decline | Answer::Pause(_) => {
                let notice = Notice::After {
                    id: format!("{}-refusee", proposal.id),
                    subject: format!("Le médecin a décliné — réf. {}", case.reference),
                    what: format!(
                        "Le médecin proposé a décliné la demande {} ({commune}).",
                        case.reference
                    ),
                };
                self.propose_for(&proposal.reference, now, notice).await?;
            }
        }
        Ok(Outcome::Done)
    }

    /// The doctor accepted but has no place left this year: it counts as declined, and the next
    /// doctor is proposed.
    async fn no_place_left(
        &self,
        territory: &Territory,
        case: &Case,
        proposal: &Proposal,
        now: i64,
    ) -> Result<()> {
        let commune = commune_name(territory, &case.needs.commune);
        if let Ok((t, _)) = lifecycle::decline(
            case,
            proposal,
            now,
            "plus de place cette année",
            None,
            vec![],
        ) && self.store.apply(&t).await? == Applied::Done
        {
            let notice = Notice::After {
                id: format!("{}-complet", proposal.id),
                subject: format!("Le médecin n'a plus de place — réf. {}", case.reference),
                what: format!(
                    "Le médecin proposé pour la demande {} ({commune}) a voulu accepter, mais toutes les places qu'il avait déclarées pour l'année sont prises.",
                    case.reference
                ),
            };
            self.propose_for(&case.reference, now, notice).await?;
        }
        Ok(())
    }

    /// The proposal's deadline passed: it ends, and the next doctor is proposed when there is
    /// one. Returns (expired, another proposed).
    async fn expire(
        &self,
        territory: &Territory,
        case: &Case,
        proposal: &Proposal,
        now: i64,
    ) -> Result<(bool, bool)> {
        let commune = commune_name(territory, &case.needs.commune);
        let who = if proposal.state == ProposalState::Proposed {
            "la coordination"
        } else {
            "le médecin"
        };
        let Ok((t, _)) = lifecycle::expire(case, proposal, now, vec![]) else {
            return Ok((false, false));
        };
        if self.store.apply(&t).await? != Applied::Done {
            return Ok((false, false));
        }
        let notice = Notice::After {
            id: format!("{}-expiree", proposal.id),
            subject: format!("Proposition sans réponse — réf. {}", case.reference),
            what: format!(
                "La proposition pour la demande {} ({commune}) n'a pas eu de réponse de {who} dans le délai de {} jours.",
                case.reference,
                lifecycle::ANSWER_DAYS
            ),
        };
        let next = self.propose_for(&case.reference, now, notice).await?;
        Ok((true, next.is_some()))
    }

    /// Tells the patient by email that a doctor accepted, when he gave an address. Without one,
    /// the coordinator calls him (a task on her overview) and says so on the request's page.
    pub async fn inform_patient(&self, reference: &str, now: i64) -> Result<bool> {
        let Some(case) = self.store.case(reference).await? else {
            return Ok(false);
        };
        if case.state != CaseState::Accepted || !case.has_email {
            return Ok(false);
        }
        let Some(request) = self.store.request(reference).await? else {
            return Ok(false);
        };
        let Some(email) = &request.registration.email else {
            return Ok(false);
        };
        let Some(proposal) = (match case.current_proposal() {
            Some(id) => self.store.proposal(id).await?,
            None => None,
        }) else {
            return Ok(false);
        };
        let mail = compose(
            &format!("{reference}-patient"),
            vec![email.as_str().to_string()],
            format!("Un médecin traitant accepte votre demande — réf. {reference}"),
            &[
                format!(
                    "Bonne nouvelle : un médecin accepte de devenir votre médecin traitant (demande {reference})."
                ),
                "Son cabinet va vous appeler pour un premier rendez-vous. Au rendez-vous, remplissez avec lui la déclaration de médecin traitant.".into(),
                "Le lien ci-dessous vous donne son nom et la commune de son cabinet.".into(),
            ],
            &[("Voir le médecin qui vous accepte", &self.patient_link(reference, now))],
        );
        let Ok((t, _)) = lifecycle::inform(&case, &proposal, now, "system", vec![mail]) else {
            return Ok(false);
        };
        let done = self.store.apply(&t).await? == Applied::Done;
        if done {
            self.mail_waiting.notify_one();
        }
        Ok(done)
    }

    async fn remind(
        &self,
        territory: &Territory,
        case: &Case,
        proposal: &Proposal,
        now: i64,
    ) -> Result<bool> {
        let mail = if proposal.state == ProposalState::Proposed {
            let commune = commune_name(territory, &case.needs.commune);
            self.coordination_mail(
                territory,
                case,
                &format!("{}-rappel", proposal.id),
                format!("Rappel : médecin proposé à valider — réf. {}", case.reference),
                &[format!(
                    "La proposition pour la demande {} ({commune}) attend votre décision jusqu'au {}. Sans décision, un autre médecin sera proposé.",
                    case.reference,
                    unix_date_fr(proposal.deadline)
                )],
                now,
            )
        } else {
            let Some(doctor) = territory.doctor(&proposal.doctor) else {
                return Ok(false);
            };
            self.doctor_mail(territory, case, proposal, &doctor.email, true)
        };
        let Ok(t) = lifecycle::remind(proposal, now, vec![mail]) else {
            return Ok(false);
        };
        Ok(self.store.apply(&t).await? == Applied::Done)
    }

    /// The scheduled work: expires proposals past their deadline, sends reminders before it,
    /// tells patients whose doctor accepted, proposes a doctor to every waiting request that can
    /// have one (priority level first, then the oldest), then sends the pending mails.
    pub async fn run_jobs(&self, now: i64) -> Result<JobReport> {
        let territory = self.territory();
        let today = local_date(now);
        let mut report = JobReport::default();
        for proposal in self.store.open_proposals().await? {
            let Some(case) = self.store.case(&proposal.reference).await? else {
                continue;
            };
            if now > proposal.deadline {
                let (expired, proposed) = self.expire(&territory, &case, &proposal, now).await?;
                report.expired += usize::from(expired);
                report.proposed += usize::from(proposed);
            } else if !proposal.reminded
                && now >= proposal.deadline - lifecycle::REMINDER_BEFORE
                && self.remind(&territory, &case, &proposal, now).await?
            {
                report.reminded += 1;
            }
        }
        for case in self.store.cases(&[CaseState::Accepted], None).await? {
            if case.has_email && self.inform_patient(&case.reference, now).await? {
                report.informed += 1;
            }
        }
        let waiting = self.store.cases(&[CaseState::Waiting], None).await?;
        let mut loads = self.loads(&territory, today).await?;
        let refs: Vec<&Case> = waiting.iter().collect();
        let plan = matching::reexamine(&territory, &mut loads, &refs, today, now);
        let mut plan_proposed = 0;
        // The plan serves the most urgent first; each proposal is then made for real, against
        // the store's counters, so a place taken meanwhile is never given twice.
        for (position, _) in &plan {
            let case = waiting[*position].clone();
            if self
                .propose_for(&case.reference, now, Notice::NewProposal)
                .await?
                .is_some()
            {
                report.proposed += 1;
                plan_proposed += 1;
            }
        }
        report.still_waiting = waiting.len() - plan_proposed;
        let (sent, failed) = self.deliver_due(now).await;
        report.mails_sent = sent;
        report.mails_failed = failed;
        Ok(report)
    }
}
