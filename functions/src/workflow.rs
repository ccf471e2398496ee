//! What happens to a request after registration (issue #6): a doctor is proposed, the
//! coordinator validates or asks for another, the doctor accepts, declines or pauses, people are
//! told, and the scheduled jobs move on whatever waits (expiries, reminders, re-examination).
//!
//! Every change is a [`lifecycle`] transition applied by the Store as one conditional write:
//! when two people act at once, or a link is used twice, the second finds the state moved on and
//! changes nothing.

use chrono::NaiveDate;
use territory::Territory;

use crate::app::App;
use crate::domain::communes::{commune_name, coordinator_addresses};
use crate::domain::dates::local_date;
use crate::domain::lifecycle::{
    self, Case, CaseState, ClosingReason, Mail, Proposal, ProposalState, RejectionReason,
    Transition,
};
use crate::domain::matching::{self, Loads};
use crate::mail::Mailer;
use crate::mails::{self, Event, ToCoordinators};
use crate::store::{Applied, Purged, Store, StoreError};

/// Why a use case stopped: the store failed, or the lifecycle refused a transition the use case
/// built (it reads the state first, so this is a bug of the use case, never a user's mistake).
/// Apart from the store's: an illegal transition is no storage failure, and the store knows
/// nothing of the lifecycle's rules.
#[derive(Debug)]
pub enum Error {
    Store(StoreError),
    Illegal(lifecycle::Illegal),
}

pub type Result<T> = std::result::Result<T, Error>;

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Store(e) => e.fmt(f),
            Error::Illegal(e) => write!(f, "cycle de vie : {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Store(e) => Some(e),
            Error::Illegal(e) => Some(e),
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}

impl From<lifecycle::Illegal> for Error {
    fn from(e: lifecycle::Illegal) -> Self {
        Error::Illegal(e)
    }
}

/// How many times a decision is tried again when someone else changed the case meanwhile.
const ATTEMPTS: usize = 5;

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
    /// What just happened, then whether another doctor is proposed: one mail either way.
    After(Event),
}

/// What one run of the scheduled jobs did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobReport {
    pub expired: usize,
    pub reminded: usize,
    pub informed: usize,
    pub proposed: usize,
    pub still_waiting: usize,
    /// Doctors asked to confirm their stale declaration, and reminded.
    pub confirmations_asked: usize,
    pub confirmations_reminded: usize,
    pub mails_sent: usize,
    pub mails_failed: usize,
    /// What was past its retention period and is deleted (on DynamoDB, the TTL does it).
    pub purged: Purged,
}

impl<S: Store, M: Mailer> App<S, M> {
    async fn loads(&self, territory: &Territory, today: NaiveDate) -> Result<Loads> {
        let loads = self.store.doctor_loads(matching::period_of(today)).await?;
        Ok(Loads::new(territory, &loads))
    }

    /// The coordinators of `case` and their links to it and to the overview.
    fn coordinators(&self, territory: &Territory, case: &Case, now: i64) -> ToCoordinators {
        ToCoordinators {
            to: coordinator_addresses(territory, case.cpts.as_deref()),
            request: self.coordinator_link(&case.reference, now),
            overview: self.overview_link(case.cpts.as_deref(), now),
        }
    }

    /// Proposes the best doctor for a waiting request, telling the coordinators as `notice`
    /// says. `None` when the request does not wait or no doctor can take it now.
    pub async fn propose_for(
        &self,
        reference: &str,
        now: i64,
        notice: Notice,
    ) -> Result<Option<Proposal>> {
        let territory = self.current_territory().await;
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
                Notice::NewProposal => vec![mails::doctor_proposed(
                    &self.view(),
                    self.coordinators(&territory, &case, now),
                    &case.reference,
                    case.proposals.len() + 1,
                    &commune_name(&territory, &case.needs.commune),
                    case.created_at,
                )],
                Notice::After(event) => vec![mails::after(
                    &self.view(),
                    self.coordinators(&territory, &case, now),
                    event,
                    true,
                )],
            };
            let (transition, proposal) =
                lifecycle::propose(&case, &choice, now, matching::period_of(today), mails)?;
            match self.store.apply(&transition).await? {
                Applied::Done => {
                    tracing::info!(reference = %reference, proposal = %proposal.id, "médecin proposé");
                    self.mail_waiting.notify_one();
                    // A place is held: the public status of his communes may change.
                    self.doctors_changed.notify_one();
                    return Ok(Some(proposal));
                }
                // Someone else changed the case, or the doctor's last place went meanwhile.
                Applied::Conflict | Applied::NoCapacity => continue,
            }
        }
        if let (Notice::After(event), Some(case)) = (&notice, last_case) {
            let mail = mails::after(
                &self.view(),
                self.coordinators(&territory, &case, now),
                event,
                false,
            );
            let only_mail = Transition {
                at: now,
                case: None,
                proposals: vec![],
                doctors: vec![],
                mails: vec![mail],
                audit: vec![],
                entries: vec![],
            };
            self.store.apply(&only_mail).await?;
            self.mail_waiting.notify_one();
        }
        Ok(None)
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
        self.decides_as(reference, proposal_id, decision, by, None, now)
            .await
    }

    /// [`App::coordinator_decides`] by a signed-in member of staff: `by` (their name) is shown on
    /// the request, `actor` (`staff:<id>`) is what the audit log records.
    pub async fn staff_decides(
        &self,
        reference: &str,
        proposal_id: Option<&str>,
        decision: Decision,
        by: &str,
        actor: &str,
        now: i64,
    ) -> Result<Outcome> {
        self.decides_as(reference, proposal_id, decision, by, Some(actor), now)
            .await
    }

    async fn decides_as(
        &self,
        reference: &str,
        proposal_id: Option<&str>,
        decision: Decision,
        by: &str,
        actor: Option<&str>,
        now: i64,
    ) -> Result<Outcome> {
        let territory = self.current_territory().await;
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
        let Ok(mut transition) = built else {
            return Ok(Outcome::AlreadyDone);
        };
        if let Some(actor) = actor {
            transition.audited_as(by, actor);
        }
        match self.store.apply(&transition).await? {
            Applied::Done => {}
            Applied::Conflict | Applied::NoCapacity => return Ok(Outcome::AlreadyDone),
        }
        // Who decided is in the audit log: logs carry ids only.
        tracing::info!(
            reference = %reference,
            proposal = %proposal_id.unwrap_or("-"),
            decision = ?decision,
            "décision de la coordination"
        );
        self.mail_waiting.notify_one();
        if let Decision::Another(_) = decision {
            self.propose_for(reference, now, Notice::Silent).await?;
        }
        Ok(Outcome::Done)
    }

    /// The doctor's mail for `proposal` (`reminder`: a reminder of it).
    fn doctor_mail(
        &self,
        territory: &Territory,
        case: &Case,
        proposal: &Proposal,
        to: &str,
        reminder: bool,
    ) -> Mail {
        mails::to_doctor(
            &self.view(),
            to,
            from_cpts(territory, case),
            proposal,
            &commune_name(territory, &case.needs.commune),
            &self.doctor_link(proposal),
            reminder,
        )
    }

    /// Performs the doctor's `answer` on proposal `id`.
    pub async fn doctor_answers(&self, id: &str, answer: Answer, now: i64) -> Result<Outcome> {
        let territory = self.current_territory().await;
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
                let mail = mails::doctor_accepted(
                    &self.view(),
                    self.coordinators(&territory, &case, now),
                    &proposal.id,
                    &case.reference,
                    &commune,
                    case.has_email,
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
            Applied::Done => {
                let answer = match answer {
                    Answer::Accept => "accept",
                    Answer::Decline => "decline",
                    Answer::Pause(_) => "pause",
                };
                tracing::info!(reference = %proposal.reference, proposal = %id, answer, "réponse du médecin");
                // A pause, or a place given back or taken: his public status may change.
                self.doctors_changed.notify_one();
            }
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
                let notice =
                    Notice::After(mails::declined(&proposal.id, &case.reference, &commune));
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
            let notice = Notice::After(mails::no_place_left(
                &proposal.id,
                &case.reference,
                &commune,
            ));
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
        // A doctor who had the proposal is told it is closed, in the same transition: never
        // lost, never sent for a proposal that did not expire. One the coordination did not
        // validate never reached him.
        let told = match territory.doctor(&proposal.doctor) {
            Some(doctor) if proposal.state == ProposalState::Validated => {
                vec![mails::expired_to_doctor(
                    &self.view(),
                    &doctor.email,
                    from_cpts(territory, case),
                    proposal,
                )]
            }
            _ => vec![],
        };
        let Ok((t, _)) = lifecycle::expire(case, proposal, now, told) else {
            return Ok((false, false));
        };
        if self.store.apply(&t).await? != Applied::Done {
            return Ok((false, false));
        }
        tracing::info!(reference = %case.reference, proposal = %proposal.id, "proposition expirée");
        let notice = Notice::After(mails::expired(&proposal.id, &case.reference, &commune, who));
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
        let mail = mails::to_patient(
            &self.view(),
            email.as_str(),
            reference,
            &self.patient_link(reference, now),
        );
        let Ok((t, _)) = lifecycle::inform(&case, &proposal, now, "system", vec![mail]) else {
            return Ok(false);
        };
        let done = self.store.apply(&t).await? == Applied::Done;
        if done {
            tracing::info!(reference = %reference, "patient prévenu par courriel");
            self.mail_waiting.notify_one();
        }
        Ok(done)
    }

    /// A person's mail given up ([`crate::mail::GIVEN_UP`]): his case no longer says he was told
    /// ([`lifecycle::patient_mail_given_up`]), the coordinator calls him. Returns how many.
    async fn after_given_up_mails(&self, now: i64) -> Result<usize> {
        let mut changed = 0;
        // Given-up mails only: no count of attempts reaches `u32::MAX`.
        for mail in self.store.undelivered_mails(u32::MAX).await? {
            let Some((reference, mails::Recipient::Person)) = mails::concerns(&mail.id) else {
                continue;
            };
            let Some(case) = self.store.case(reference).await? else {
                continue;
            };
            let Some(proposal) = (match case.current_proposal() {
                Some(id) => self.store.proposal(id).await?,
                None => None,
            }) else {
                continue;
            };
            let Ok(t) = lifecycle::patient_mail_given_up(&case, &proposal, now) else {
                continue;
            };
            if self.store.apply(&t).await? == Applied::Done {
                tracing::warn!(reference = %reference, "courriel à la personne abandonné : à appeler");
                changed += 1;
            }
        }
        Ok(changed)
    }

    async fn remind(
        &self,
        territory: &Territory,
        case: &Case,
        proposal: &Proposal,
        now: i64,
    ) -> Result<bool> {
        let mail = if proposal.state == ProposalState::Proposed {
            mails::reminder_to_validate(
                &self.view(),
                self.coordinators(territory, case, now),
                proposal,
                &case.reference,
                &commune_name(territory, &case.needs.commune),
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
    /// have one (priority level first, then the oldest), then sends the pending mails. Logs go in
    /// the span `jobs`; its counts are logged by whoever reports them (the console of `cpts serve`
    /// says them in French, the Lambda as fields).
    #[tracing::instrument(name = "jobs", skip(self))]
    pub async fn run_jobs(&self, now: i64) -> Result<JobReport> {
        let territory = self.current_territory().await;
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
        (report.confirmations_asked, report.confirmations_reminded) =
            self.ask_confirmations(now).await?;
        let (sent, failed) = self.deliver_due(now).await;
        report.mails_sent = sent;
        report.mails_failed = failed;
        self.after_given_up_mails(now).await?;
        report.purged = self.store.purge(now).await?;
        tracing::debug!(
            expired = report.expired,
            reminded = report.reminded,
            informed = report.informed,
            proposed = report.proposed,
            still_waiting = report.still_waiting,
            purged_requests = report.purged.requests,
            "tâches planifiées passées"
        );
        Ok(report)
    }
}

/// Who a doctor's mail about `case` is from: its CPTS by name, answering to its coordinators.
fn from_cpts(territory: &Territory, case: &Case) -> mails::FromCpts {
    mails::FromCpts::of(territory, case.cpts.as_deref())
}
