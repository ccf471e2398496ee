//! The coordinator's own actions on a request, from its page (issue #13): a note, a call
//! attempt, a change of priority, a doctor chosen by hand, reopening. Each is a
//! [`lifecycle`] builder applied by the Store as one conditional write, with its timeline
//! entries and its audit entries (`by`: who acts).

use territory::Territory;

use crate::app::App;
use crate::domain::dates::local_date;
use crate::domain::lifecycle::{self, CallOutcome, Case, Choice, Proposal, Request, Transition};
use crate::domain::matching::{self, Candidate, Loads, Unfit};
use crate::domain::priority;
use crate::domain::registration::Details;
use crate::mail::Mailer;
use crate::store::{Applied, Store};
use crate::workflow::{Notice, Result};

/// What the coordinator does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A note, checked with [`lifecycle::short_text`].
    Note(String),
    Call(CallOutcome),
    /// A level from 1 to 3 and its reason (checked).
    Priority {
        level: u8,
        reason: String,
    },
    /// A doctor of the territory; `confirmed`: she confirmed the warning for a doctor who is
    /// not a candidate.
    Choose {
        doctor: String,
        confirmed: bool,
    },
    Reopen,
    /// The person's details, as corrected (checked like the public form).
    Correct(Box<Details>),
    /// The person withdraws: her data are erased at once.
    Erase,
}

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acted {
    Done,
    /// The call was the last unanswered one allowed: the request is suspended.
    Suspended,
    /// Reopened; `proposed`: a doctor was proposed at once.
    Reopened {
        proposed: bool,
    },
    /// No such request.
    Unknown,
    /// The request's state does not allow it, or it changed meanwhile: nothing changed.
    AlreadyDone,
    /// The chosen doctor has no place left this year: nothing changed.
    NoPlaceLeft,
    /// The chosen doctor is not a candidate and she did not confirm: these are the rules he
    /// does not meet. Nothing changed.
    Unconfirmed(Vec<String>),
    /// The chosen doctor is not in the published list.
    DoctorGone,
    /// The person's data were erased: nothing can be done on this request any more.
    Erased,
    /// The correction changes nothing: nothing written.
    Unchanged,
    /// The details are corrected.
    Corrected(Corrected),
}

/// What a correction changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrected {
    /// The fields that changed (form field names).
    pub fields: Vec<&'static str>,
    /// (before, after) when the request moved to another CPTS.
    pub moved: Option<(Option<String>, Option<String>)>,
    /// When the birth date changed: the level computed anew, and the one in use (unchanged).
    pub levels: Option<(u8, u8)>,
}

/// A doctor she may choose, and why (or why not).
#[derive(Debug, Clone)]
pub struct DoctorOption {
    pub doctor: String,
    pub candidate: Candidate,
    /// Rules he does not meet (empty: a candidate).
    pub unmet: Vec<Unfit>,
}

/// Every doctor of the territory for `case`: the candidates first (best first), then the
/// others (nearest first), each with the rules he does not meet.
pub fn doctors_for(
    territory: &Territory,
    loads: &Loads,
    case: &Case,
    today: chrono::NaiveDate,
) -> Vec<DoctorOption> {
    let candidates = matching::candidates(territory, loads, &case.needs, &case.tried, today);
    let mut all: Vec<DoctorOption> = candidates
        .iter()
        .map(|c| DoctorOption {
            doctor: territory.doctors[c.doctor].id.clone(),
            candidate: *c,
            unmet: vec![],
        })
        .collect();
    let mut others: Vec<DoctorOption> = (0..territory.doctors.len())
        .filter(|p| !candidates.iter().any(|c| c.doctor == *p))
        .filter_map(|p| {
            matching::assess(territory, loads, &case.needs, &case.tried, p, today).map(
                |(candidate, unmet)| DoctorOption {
                    doctor: territory.doctors[p].id.clone(),
                    candidate,
                    unmet,
                },
            )
        })
        .collect();
    others.sort_by(|a, b| a.candidate.distance_km.total_cmp(&b.candidate.distance_km));
    all.extend(others);
    all
}

impl<S: Store, M: Mailer> App<S, M> {
    /// Performs `action` on request `reference` for `by` (who acts, named in the timeline);
    /// the audit log records `actor` (a signed-in person's `staff:<id>`) when there is one, else
    /// `by`.
    pub async fn act(
        &self,
        reference: &str,
        action: &Action,
        by: &str,
        actor: Option<&str>,
        now: i64,
    ) -> Result<Acted> {
        let Some(case) = self.store.case(reference).await? else {
            return Ok(Acted::Unknown);
        };
        let Some(request) = self.store.request(reference).await? else {
            return Ok(Acted::Erased);
        };
        let current = match case.current_proposal() {
            Some(id) => self.store.proposal(id).await?,
            None => None,
        };
        match action {
            Action::Correct(details) => {
                return self.correct(&case, &request, details, by, now).await;
            }
            Action::Erase => return self.erase(&case, current.as_ref(), &request, by, now).await,
            _ => {}
        }
        let built: std::result::Result<Transition, lifecycle::Refused> = match action {
            Action::Note(text) => Ok(lifecycle::note(&case, now, by, text)),
            Action::Call(outcome) => lifecycle::call(&case, current.as_ref(), now, by, *outcome),
            Action::Priority { level, reason } => {
                lifecycle::change_priority(&case, now, by, *level, reason)
            }
            Action::Reopen => lifecycle::reopen(&case, now, by),
            Action::Correct(_) | Action::Erase => unreachable!("handled above"),
            Action::Choose { doctor, confirmed } => {
                match self
                    .chosen(&case, current.as_ref(), doctor, *confirmed, by, now)
                    .await?
                {
                    Ok(t) => Ok(t),
                    Err(acted) => return Ok(acted),
                }
            }
        };
        let Ok(mut transition) = built else {
            return Ok(Acted::AlreadyDone);
        };
        if let Some(actor) = actor {
            transition.audited_as(by, actor);
        }
        match self.store.apply(&transition).await? {
            Applied::Done => {}
            Applied::Conflict => return Ok(Acted::AlreadyDone),
            Applied::NoCapacity => return Ok(Acted::NoPlaceLeft),
        }
        // Who acted is in the audit log: logs carry ids only.
        tracing::info!(reference = %reference, action = action_code(action), "action de la coordination");
        let suspended = transition
            .case
            .as_ref()
            .is_some_and(|(_, c)| c.state == lifecycle::CaseState::Suspended);
        Ok(match action {
            Action::Reopen => Acted::Reopened {
                proposed: self
                    .propose_for(reference, now, Notice::Silent)
                    .await?
                    .is_some(),
            },
            Action::Call(_) if suspended => Acted::Suspended,
            _ => Acted::Done,
        })
    }

    async fn correct(
        &self,
        case: &Case,
        request: &Request,
        details: &Details,
        by: &str,
        now: i64,
    ) -> Result<Acted> {
        let territory = self.territory();
        let cpts = territory
            .commune(&details.commune)
            .and_then(|c| territory.cpts_of(c))
            .map(|c| c.id.clone());
        let Ok(correction) = lifecycle::correct(case, request, details, cpts, now, by) else {
            return Ok(Acted::Unchanged);
        };
        match self.store.correct(&correction).await? {
            Applied::Done => {}
            _ => return Ok(Acted::AlreadyDone),
        }
        for address in &correction.forget {
            self.forget_mails(address).await;
        }
        tracing::info!(reference = %case.reference, action = "correct", "action de la coordination");
        let levels = correction.fields.contains(&"birth_date").then(|| {
            let computed = priority::assess(&correction.request.registration, local_date(now));
            (computed.level, case.needs.priority_level)
        });
        Ok(Acted::Corrected(Corrected {
            moved: (request.cpts != correction.request.cpts)
                .then(|| (request.cpts.clone(), correction.request.cpts.clone())),
            fields: correction.fields,
            levels,
        }))
    }

    async fn erase(
        &self,
        case: &Case,
        current: Option<&Proposal>,
        request: &Request,
        by: &str,
        now: i64,
    ) -> Result<Acted> {
        let Ok(erasure) = lifecycle::erase(case, current, request, now, by) else {
            return Ok(Acted::AlreadyDone);
        };
        match self.store.erase(&erasure).await? {
            Applied::Done => {}
            _ => return Ok(Acted::AlreadyDone),
        }
        for address in &erasure.forget {
            self.forget_mails(address).await;
        }
        tracing::info!(reference = %case.reference, action = "erase", "données effacées à la demande de la personne");
        Ok(Acted::Done)
    }

    /// The copies the mail transport keeps of mails to `address` (the outbox's files) are
    /// deleted; a failure is logged (without the address) and does not undo the erasure.
    async fn forget_mails(&self, address: &str) {
        if let Err(e) = self.mailer.forget(address).await {
            tracing::error!(error = %e, "copies de courriels non effacées");
        }
    }

    /// The transition that proposes `doctor`, or how the action ends without one.
    async fn chosen(
        &self,
        case: &Case,
        current: Option<&Proposal>,
        doctor: &str,
        confirmed: bool,
        by: &str,
        now: i64,
    ) -> Result<std::result::Result<Transition, Acted>> {
        let territory = self.current_territory().await;
        let today = local_date(now);
        let Some(position) = territory.doctors.iter().position(|d| d.id == doctor) else {
            return Ok(Err(Acted::DoctorGone));
        };
        let period = matching::period_of(today);
        let loads = Loads::new(&territory, &self.store.doctor_loads(period).await?);
        let options = doctors_for(&territory, &loads, case, today);
        let Some(option) = options.iter().find(|o| o.candidate.doctor == position) else {
            return Ok(Err(Acted::DoctorGone));
        };
        if option.unmet.contains(&Unfit::NoCapacityLeft) {
            return Ok(Err(Acted::NoPlaceLeft));
        }
        let unmet: Vec<String> = option.unmet.iter().map(|u| u.label().to_string()).collect();
        if !unmet.is_empty() && !confirmed {
            return Ok(Err(Acted::Unconfirmed(unmet)));
        }
        let candidates = options.iter().filter(|o| o.unmet.is_empty()).count();
        let mut choice: Choice = matching::choice(
            &territory,
            &loads,
            &case.needs,
            &option.candidate,
            candidates.saturating_sub(1),
            today,
        );
        if !unmet.is_empty() {
            choice.reasons.push(format!(
                "Choisi par la coordination alors qu'il ne remplit pas ces conditions : {}.",
                unmet.join(" ; ")
            ));
        } else {
            choice.reasons.push("Choisi par la coordination.".into());
        }
        Ok(
            match lifecycle::choose(case, current, &choice, unmet, now, period, by) {
                Ok((t, _)) => Ok(t),
                Err(_) => Err(Acted::AlreadyDone),
            },
        )
    }
}

fn action_code(action: &Action) -> &'static str {
    match action {
        Action::Note(_) => "note",
        Action::Call(_) => "call",
        Action::Priority { .. } => "priority",
        Action::Choose { .. } => "choose",
        Action::Reopen => "reopen",
        Action::Correct(_) => "correct",
        Action::Erase => "erase",
    }
}

/// How long one « viewed » audit entry stands for every view of a request by one reader (an
/// hour of the clock): who looked at which request is still known to the hour — what an access
/// review asks — while a link scanner that fetches a mailed link twenty times, or a coordinator
/// reloading the page as she works, writes one entry, not one per GET.
pub const VIEW_WINDOW_SECONDS: i64 = 3600;

/// Records that `actor` viewed request `reference` at `now`, unless it already did within the
/// same [`VIEW_WINDOW_SECONDS`]: the window is taken once by [`Store::use_once`] (ids only in
/// its key, forgotten when the window ends). Returns whether an entry was written. A store that
/// cannot tell gets the entry anyway: a view is never left out.
pub async fn record_view<S: Store>(
    store: &S,
    reference: &str,
    actor: &str,
    now: i64,
) -> std::result::Result<bool, crate::store::StoreError> {
    let window = now.div_euclid(VIEW_WINDOW_SECONDS);
    let key = format!("viewed#{reference}#{actor}#{window}");
    let first = store
        .use_once(&key, (window + 1) * VIEW_WINDOW_SECONDS)
        .await
        .unwrap_or(true);
    if first {
        store
            .audit(&lifecycle::AuditEntry {
                at: now,
                actor: actor.to_string(),
                action: "viewed".into(),
                object: reference.to_string(),
            })
            .await?;
    }
    Ok(first)
}
