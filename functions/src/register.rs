//! The registration use case: a filled form becomes a stored request, with its case, the
//! coordinators' mail and an audit entry, written all together — or the reason it is not. The
//! web layer only carries the answers here and the outcome back.

use crate::app::{App, Limits};
use crate::domain::answers::Answers;
use crate::domain::dates::{local_date, unix_date_fr};
use crate::domain::intake::{Channel, Intake};
use crate::domain::lifecycle::{self, Request};
use crate::domain::registration::{self, FieldError, Parsed, Registration};
use crate::domain::{communes, priority};
use crate::mail::Mailer;
use crate::mails;
use crate::signed::{Claims, TokenError, random_id};
use crate::store::{RateLimit, Registered, Store, StoreError};
use crate::workflow::Notice;

/// Token action of the registration form.
const FORM_ACTION: &str = "form";
pub use crate::domain::reference::{REFERENCE_LEN, is_reference};

/// What became of a sent form.
#[derive(Debug)]
pub enum Outcome {
    /// Stored now, with its mail.
    Stored(String),
    /// This form was already sent (a double click): nothing written, the first reference.
    Duplicate(String),
    /// A robot (honeypot filled, forged token): it is told what a person whose request was
    /// stored is told, with a reference that exists nowhere. Only a robot can fill the hidden
    /// field or forge a token, so no person is ever told this.
    Robot(String),
    /// Sent sooner than the minimum fill time after the form was issued: a robot, or a person
    /// who clicked twice. Nothing written; the form comes back with its answers and `token`
    /// (the same one: sent again a little later, it goes through).
    TooFast { token: String },
    /// The person has a GP: this service is not for him.
    NotEligible,
    /// Fields to correct, in the form's order; `token` is the one to send the form again with.
    Invalid {
        errors: Vec<FieldError>,
        token: String,
    },
    /// Valid, but sent without a usable token (no JavaScript, or open for hours): confirm once
    /// with this one.
    Confirm { token: String },
    /// A rate limit is reached: nothing written.
    Limited,
    /// The store could not be reached: nothing written.
    Unavailable(StoreError),
}

impl<S: Store, M: Mailer> App<S, M> {
    /// A fresh form token issued at `now_ms` (unix milliseconds): a new nonce followed by the
    /// issue time in milliseconds (so the fill time is measured to the millisecond), signed
    /// with its expiry.
    pub fn form_token(&self, now_ms: i64) -> String {
        let object = format!("{}-{now_ms}", random_id(16));
        self.keys.sign(
            FORM_ACTION,
            &object,
            now_ms.div_euclid(1000) + self.config.limits.form_token_seconds,
        )
    }

    /// Registers the form `answers` sent from `client` (its address, for the rate limit) at
    /// `now_ms` (unix milliseconds): checks it comes from a person, parses it, and stores the request with its case,
    /// its mail and its audit entry in one write; then proposes a doctor at once. Logs (span
    /// `register`) carry the reference and the CPTS id, never an answer nor the client's address.
    #[tracing::instrument(name = "register", skip_all, fields(cpts))]
    pub async fn register(&self, answers: &Answers, client: &str, now_ms: i64) -> Outcome {
        if !answers.get("website").is_empty() {
            return Outcome::Robot(random_id(REFERENCE_LEN));
        }
        let now = now_ms.div_euclid(1000);
        let today = local_date(now);
        let limits = &self.config.limits;
        let token = answers.get("token").trim().to_string();
        let nonce = if token.is_empty() {
            None
        } else {
            match self.keys.verify(&token, FORM_ACTION, now) {
                Ok(claims) => {
                    if now_ms - issued_ms(&claims, limits) < limits.min_fill_seconds * 1000 {
                        return Outcome::TooFast { token };
                    }
                    Some(claims.object)
                }
                Err(TokenError::Invalid) => return Outcome::Robot(random_id(REFERENCE_LEN)),
                // Open for hours, or signed with a key since removed: ask to send again.
                Err(TokenError::Expired | TokenError::UnknownKey) => None,
            }
        };
        let territory = self.territory();
        let registration = match registration::parse(answers, &territory, today) {
            Parsed::NotEligible => return Outcome::NotEligible,
            Parsed::Invalid(errors) => {
                let token = if nonce.is_some() {
                    token
                } else {
                    self.form_token(now_ms)
                };
                return Outcome::Invalid { errors, token };
            }
            Parsed::Valid(r) => r,
        };
        let Some(nonce) = nonce else {
            return Outcome::Confirm {
                token: self.form_token(now_ms),
            };
        };
        let rate_limits = [
            RateLimit {
                key: self.keys.pseudonym("address", client),
                window: now / 3600,
                limit: limits.per_address_per_hour,
            },
            RateLimit {
                key: self.keys.pseudonym("phone", registration.phone.as_str()),
                window: now / 86_400,
                limit: limits.per_phone_per_day,
            },
        ];
        let entry = Entry {
            registration: *registration,
            channel: Channel::web(answers.get("src")),
            intake: None,
            actor: "public".into(),
        };
        match self.open_request(entry, &nonce, &rate_limits, now).await {
            Ok(Opened::New(request)) => Outcome::Stored(request.reference),
            Ok(Opened::Duplicate(first)) => Outcome::Duplicate(first),
            Ok(Opened::Limited) => Outcome::Limited,
            Err(e) => Outcome::Unavailable(e),
        }
    }

    /// Stores a parsed request with its case, its mail and its audit entry in one write (unless
    /// `nonce` was already used or a rate limit is reached), then proposes a doctor at once.
    /// Records the CPTS id in the current span.
    pub(crate) async fn open_request(
        &self,
        entry: Entry,
        nonce: &str,
        rate_limits: &[RateLimit],
        now: i64,
    ) -> Result<Opened, StoreError> {
        let territory = self.current_territory().await;
        let today = local_date(now);
        let commune = territory
            .commune(&entry.registration.commune)
            .expect("parsed communes are in the territory");
        let cpts = territory.cpts_of(commune).map(|c| c.id.clone());
        tracing::Span::current().record("cpts", cpts.as_deref());
        let reference = random_id(REFERENCE_LEN);
        let priority = priority::assess(&entry.registration, today);
        let mail = mails::new_request(
            &self.view(),
            mails::ToCoordinators {
                to: communes::coordinator_addresses(&territory, cpts.as_deref()),
                request: self.coordinator_link(&reference, now),
                overview: self.overview_link(cpts.as_deref(), now),
            },
            &reference,
            &commune.name,
            &unix_date_fr(now),
        );
        let request = Request {
            reference: reference.clone(),
            created_at: now,
            cpts,
            registration: entry.registration,
            priority,
            channel: entry.channel,
            intake: entry.intake,
        };
        let opening = lifecycle::open_by(request, mail, &entry.actor);
        match self.store.register(&opening, nonce, rate_limits).await? {
            Registered::New => {
                tracing::info!(reference = %reference, "demande enregistrée");
                self.mail_waiting.notify_one();
                // The coordinator's mail leads to the request's page, which shows this proposal.
                // Should it fail, the request waits and the next jobs run proposes again.
                if let Err(e) = self.propose_for(&reference, now, Notice::Silent).await {
                    tracing::warn!(
                        reference = %reference,
                        error = %e,
                        "proposition impossible pour l'instant : la demande attend les prochaines tâches"
                    );
                }
                Ok(Opened::New(Box::new(opening.request)))
            }
            Registered::Duplicate(first) => {
                tracing::info!(reference = %first, "formulaire déjà reçu : rien d'écrit");
                Ok(Opened::Duplicate(first))
            }
            Registered::Limited => {
                tracing::info!("limite de demandes atteinte : rien d'écrit");
                Ok(Opened::Limited)
            }
        }
    }
}

/// When a form token was issued, in unix milliseconds: written after the nonce's last hyphen;
/// a token without it (issued before) counts from the start of its issue second.
fn issued_ms(claims: &Claims, limits: &Limits) -> i64 {
    claims
        .object
        .rsplit_once('-')
        .and_then(|(_, ms)| ms.parse().ok())
        .unwrap_or((claims.expires - limits.form_token_seconds) * 1000)
}

/// What became of a parsed request.
pub(crate) enum Opened {
    /// Stored now, with its mail; a doctor was proposed if one could be.
    New(Box<Request>),
    /// This form (same nonce) was already sent: nothing written; the first reference.
    Duplicate(String),
    /// A rate limit is reached: nothing written.
    Limited,
}

/// A parsed request about to be stored: how it came, and who entered it.
pub(crate) struct Entry {
    pub registration: Registration,
    pub channel: Channel,
    pub intake: Option<Intake>,
    /// The audit's actor: "public" or "staff:<id>".
    pub actor: String,
}
