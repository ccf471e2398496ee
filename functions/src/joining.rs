//! The joining use case: a GP of the territory offers his availability with the public form;
//! the offer is stored with a notice to the coordinators of his commune's CPTS in one write
//! (rate-limited per client address); a coordinator accepts it, which adds him to the roster with
//! his first declaration and mails him his standing link, or declines it. Staff also export the
//! roster with the current declarations as a doctors.csv to publish back.

use crate::app::App;
use crate::domain::answers::Answers;
use crate::domain::communes;
use crate::domain::joining::{self, JoinOffer};
use crate::domain::lifecycle::AuditEntry;
use crate::domain::registration::FieldError;
use crate::domain::staff::Scope;
use crate::mail::Mailer;
use crate::mails;
use crate::signed::random_id;
use crate::store::{Joined, RateLimit, Registered, Store, StoreError};

/// Token action of the joining form.
const JOIN_ACTION: &str = "join";
/// How long a joining form stays valid.
pub const JOIN_TOKEN_SECONDS: i64 = 12 * 3600;
/// The staff page listing the offers to join.
pub const OFFERS_PAGE: &str = "/espace/medecins";

/// What became of a sent joining form.
#[derive(Debug)]
pub enum JoinOutcome {
    /// Stored now, with the coordinators' notice.
    Stored(Box<JoinOffer>),
    /// This form was already sent: nothing new written.
    Duplicate,
    /// The hidden field was filled: told what a person is told, nothing written.
    Robot,
    /// Fields to correct; `token` is the one to send the form again with.
    Invalid {
        errors: Vec<FieldError>,
        token: String,
    },
    /// Valid, but its token is missing or expired: confirm once with this one.
    Confirm {
        token: String,
    },
    /// Too many offers from this connection this hour: nothing written.
    Limited,
    Unavailable(StoreError),
}

/// Why a decision on an offer was not recorded.
#[derive(Debug)]
pub enum DecideError {
    /// No such offer within the staff member's scope.
    Unknown,
    /// Already accepted or declined (by someone else, or a double click).
    AlreadyDecided,
    Store(StoreError),
}

impl From<StoreError> for DecideError {
    fn from(e: StoreError) -> Self {
        DecideError::Store(e)
    }
}

impl<S: Store, M: Mailer> App<S, M> {
    /// A fresh joining form token: its object is the new offer's id.
    pub fn join_token(&self, now: i64) -> String {
        self.keys
            .sign(JOIN_ACTION, &random_id(16), now + JOIN_TOKEN_SECONDS)
    }

    /// Stores the joining form `answers` sent from `client` (its address, for the rate limit)
    /// at `now` (unix seconds). Logs carry the offer's id and the CPTS, never an answer.
    pub async fn offer_to_join(&self, answers: &Answers, client: &str, now: i64) -> JoinOutcome {
        if !answers.get("website").is_empty() {
            return JoinOutcome::Robot;
        }
        let token = answers.get("token").trim().to_string();
        let id = self
            .keys
            .verify(&token, JOIN_ACTION, now)
            .ok()
            .map(|claims| claims.object);
        let territory = self.territory();
        let offer = match joining::parse(answers, &territory, id.as_deref().unwrap_or(""), now) {
            Ok(offer) => offer,
            Err(errors) => {
                let token = if id.is_some() {
                    token
                } else {
                    self.join_token(now)
                };
                return JoinOutcome::Invalid { errors, token };
            }
        };
        if id.is_none() {
            return JoinOutcome::Confirm {
                token: self.join_token(now),
            };
        }
        let mail = mails::join_offered(
            &self.view(),
            &offer.id,
            communes::coordinator_addresses(&territory, offer.cpts.as_deref()),
            &format!("{}{OFFERS_PAGE}", self.config.public_url),
        );
        let audit = AuditEntry {
            at: now,
            actor: "public".into(),
            action: "offered-to-join".into(),
            object: format!("join:{}", offer.id),
        };
        let limits = [RateLimit {
            key: self.keys.pseudonym("join-address", client),
            window: now / 3600,
            limit: self.config.limits.per_address_per_hour,
        }];
        match self
            .store
            .offer_to_join(&offer, &mail, &audit, &limits)
            .await
        {
            Ok(Registered::New) => {
                tracing::info!(offer = %offer.id, cpts = offer.cpts.as_deref(), "proposition de médecin enregistrée");
                self.mail_waiting.notify_one();
                JoinOutcome::Stored(Box::new(offer))
            }
            Ok(Registered::Duplicate(_)) => JoinOutcome::Duplicate,
            Ok(Registered::Limited) => JoinOutcome::Limited,
            Err(e) => JoinOutcome::Unavailable(e),
        }
    }

    /// The offers still waiting within `scope`, oldest first.
    pub async fn pending_join_offers(&self, scope: &Scope) -> Result<Vec<JoinOffer>, StoreError> {
        let cpts = match scope {
            Scope::Cpts(own) => Some(own.as_str()),
            Scope::Territory => None,
        };
        let mut offers = self.store.join_offers(cpts).await?;
        offers.retain(JoinOffer::is_pending);
        Ok(offers)
    }

    async fn offer_in(&self, id: &str, scope: &Scope) -> Result<JoinOffer, DecideError> {
        match self.store.join_offer(id).await? {
            Some(offer) if scope.allows(offer.cpts.as_deref()) => Ok(offer),
            _ => Err(DecideError::Unknown),
        }
    }

    /// Accepts offer `id` (within `scope`) by `actor` (`staff:<id>`) at `now`: he becomes
    /// doctor `med-<random>` of the roster, with his offer as his first declaration, and his
    /// standing link is mailed to him. Returns his id.
    pub async fn accept_join_offer(
        &self,
        id: &str,
        scope: &Scope,
        actor: &str,
        now: i64,
    ) -> Result<String, DecideError> {
        let offer = self.offer_in(id, scope).await?;
        let doctor = format!("med-{}", random_id(10).to_lowercase());
        let decided = offer.decided(Some(doctor.clone()), actor, now);
        let audit = AuditEntry {
            at: now,
            actor: actor.to_string(),
            action: "accepted-join".into(),
            object: format!("join:{id}"),
        };
        // His first declaration and the mail with his link go in the same transaction as the
        // decision: an accepted doctor is never left without either.
        let declaration = decided.declaration(&doctor, actor, now);
        let declared = AuditEntry {
            at: now,
            actor: actor.to_string(),
            action: "declared".into(),
            object: format!("doctor:{doctor}"),
        };
        let territory = self.territory();
        let welcome = mails::joined(
            &self.view(),
            id,
            offer.email.as_str(),
            &self.standing_link(&doctor, now),
            communes::coordinator_addresses(&territory, offer.cpts.as_deref()),
        );
        let joined = Joined {
            declaration: &declaration,
            declared: &declared,
            welcome: &welcome,
        };
        if !self
            .store
            .decide_join_offer(&decided, &audit, Some(&joined))
            .await?
        {
            return Err(DecideError::AlreadyDecided);
        }
        tracing::info!(offer = %id, doctor = %doctor, "proposition de médecin acceptée");
        self.reload_joined().await?;
        self.doctors_changed.notify_one();
        self.mail_waiting.notify_one();
        Ok(doctor)
    }

    /// Declines offer `id` (within `scope`) by `actor` at `now`. Nothing is mailed.
    pub async fn decline_join_offer(
        &self,
        id: &str,
        scope: &Scope,
        actor: &str,
        now: i64,
    ) -> Result<(), DecideError> {
        let offer = self.offer_in(id, scope).await?;
        let audit = AuditEntry {
            at: now,
            actor: actor.to_string(),
            action: "declined-join".into(),
            object: format!("join:{id}"),
        };
        if !self
            .store
            .decide_join_offer(&offer.decided(None, actor, now), &audit, None)
            .await?
        {
            return Err(DecideError::AlreadyDecided);
        }
        tracing::info!(offer = %id, "proposition de médecin refusée");
        Ok(())
    }
}
