//! Every link the handler sends by email, in one enum: its path, the action its token is signed
//! for, how long it stays valid, and the French words that say so. Mails, pages and routes all
//! read them from here, so a lifetime is written once and said the same way everywhere.

use crate::app::App;
use crate::domain::lifecycle::Proposal;
use crate::mail::Mailer;
use crate::signed::{Claims, KeyRing, TokenError};
use crate::store::Store;

const DAY: i64 = 86_400;

/// The kinds of emailed link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The coordinator's page of a request: `/api/demandes/{reference}`.
    Request,
    /// The doctor's page of a proposal, valid until the proposal's deadline:
    /// `/api/propositions/{id}`.
    Proposal,
    /// The patient's page once a doctor accepted him: `/api/suivi/{reference}`.
    Follow,
    /// A CPTS's overview: `/api/coordination/{cpts}` (and its CSV export).
    Overview,
    /// A staff member's sign-in link, single use, valid 15 minutes:
    /// `/espace/connexion/{nonce and staff hash}`.
    SignIn,
    /// A doctor's standing link to his own declaration and proposals: `/api/medecins/{id}`.
    /// Sent when he joins, with every quarterly confirmation and on request; each mail carries
    /// a new one, valid longer than the quarter between two confirmations.
    Doctor,
}

/// Overview id of the requests from communes outside every CPTS.
pub const OUTSIDE_CPTS: &str = "hors-cpts";

/// The name of the query parameter that carries a link's token.
pub const TOKEN_PARAMETER: &str = "jeton";

impl Link {
    /// The action its token is signed for: a token for one kind of link opens no other.
    pub const fn action(self) -> &'static str {
        match self {
            Link::Request => "voir",
            Link::Proposal => "medecin",
            Link::Follow => "patient",
            Link::Overview => "tableau",
            Link::SignIn => "connexion",
            Link::Doctor => "declaration",
        }
    }

    /// How long it stays valid, in days, from when it is sent; `None` when it ends with its
    /// object (a proposal's link ends at the proposal's deadline).
    pub const fn lifetime_days(self) -> Option<i64> {
        match self {
            Link::Request => Some(30),
            Link::Proposal => None,
            Link::Follow => Some(90),
            Link::Overview => Some(7),
            // Minutes, not days: said by the sign-in mail itself.
            Link::SignIn => None,
            Link::Doctor => Some(120),
        }
    }

    /// The route's path, with `{object}` where the object's id goes.
    pub const fn route(self) -> &'static str {
        match self {
            Link::Request => "/api/demandes/{object}",
            Link::Proposal => "/api/propositions/{object}",
            Link::Follow => "/api/suivi/{object}",
            Link::Overview => "/api/coordination/{object}",
            Link::SignIn => "/espace/connexion/{object}",
            Link::Doctor => "/api/medecins/{object}",
        }
    }

    /// The path of the page for `object`.
    pub fn path(self, object: &str) -> String {
        self.route().replace("{object}", object)
    }

    /// When a link sent at `now` stops working; `until` is the object's own end (a proposal's
    /// deadline), used by links that have no lifetime of their own.
    pub fn expires(self, now: i64, until: i64) -> i64 {
        match self.lifetime_days() {
            Some(days) => now + days * DAY,
            None => until,
        }
    }

    /// "lien valable 30 jours", said after the link's label in mails and on pages.
    pub fn validity_fr(self) -> Option<String> {
        self.lifetime_days()
            .map(|days| format!("lien valable {days} jours"))
    }

    /// The absolute address, with its signed token, of the page for `object`.
    pub fn url(self, keys: &KeyRing, public_url: &str, object: &str, expires: i64) -> String {
        format!(
            "{public_url}{}?{TOKEN_PARAMETER}={}",
            self.path(object),
            keys.sign(self.action(), object, expires)
        )
    }

    /// The same page's address on this site, for a form or a link on another of its pages.
    pub fn local_url(self, object: &str, token: &str) -> String {
        format!(
            "{}?{TOKEN_PARAMETER}={}",
            self.path(object),
            form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
        )
    }

    /// The claims of `token` if it opens this kind of link on `object` at `now`.
    pub fn verify(
        self,
        keys: &KeyRing,
        token: &str,
        object: &str,
        now: i64,
    ) -> Result<Claims, TokenError> {
        match keys.verify(token, self.action(), now) {
            Ok(c) if c.object == object => Ok(c),
            Ok(_) => Err(TokenError::Invalid),
            Err(e) => Err(e),
        }
    }
}

/// The links the handler signs, with its key ring and its public address.
impl<S: Store, M: Mailer> App<S, M> {
    /// The coordinator's page of request `reference`, signed at `now`.
    pub fn coordinator_link(&self, reference: &str, now: i64) -> String {
        Link::Request.url(
            &self.keys,
            &self.config.public_url,
            reference,
            Link::Request.expires(now, now),
        )
    }

    /// The overview of `cpts` (`None`: the requests outside every CPTS), signed at `now`.
    pub fn overview_link(&self, cpts: Option<&str>, now: i64) -> String {
        let id = cpts.unwrap_or(OUTSIDE_CPTS);
        Link::Overview.url(
            &self.keys,
            &self.config.public_url,
            id,
            Link::Overview.expires(now, now),
        )
    }

    /// Valid until the proposal's deadline.
    pub fn doctor_link(&self, proposal: &Proposal) -> String {
        Link::Proposal.url(
            &self.keys,
            &self.config.public_url,
            &proposal.id,
            proposal.deadline,
        )
    }

    /// Doctor `id`'s standing link to his declaration and proposals, signed at `now`.
    pub fn standing_link(&self, id: &str, now: i64) -> String {
        Link::Doctor.url(
            &self.keys,
            &self.config.public_url,
            id,
            Link::Doctor.expires(now, now),
        )
    }

    pub fn patient_link(&self, reference: &str, now: i64) -> String {
        Link::Follow.url(
            &self.keys,
            &self.config.public_url,
            reference,
            Link::Follow.expires(now, now),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_link_has_its_own_action_and_path() {
        let all = [
            Link::Request,
            Link::Proposal,
            Link::Follow,
            Link::Overview,
            Link::SignIn,
            Link::Doctor,
        ];
        for a in all {
            for b in all {
                if a != b {
                    assert_ne!(a.action(), b.action());
                    assert_ne!(a.route(), b.route());
                }
            }
        }
    }

    #[test]
    fn lifetimes_are_said_from_the_constants() {
        assert_eq!(
            Link::Request.validity_fr().as_deref(),
            Some("lien valable 30 jours")
        );
        assert_eq!(
            Link::Overview.validity_fr().as_deref(),
            Some("lien valable 7 jours")
        );
        assert_eq!(Link::Proposal.validity_fr(), None);
        assert_eq!(Link::Overview.expires(100, 5), 100 + 7 * DAY);
        assert_eq!(Link::Proposal.expires(100, 5), 5);
    }

    #[test]
    fn a_token_opens_only_its_kind_and_object() {
        let keys = KeyRing::generate();
        let url = Link::Request.url(&keys, "https://x.fr", "ABCD1234", 1_000);
        let token = url.split("jeton=").nth(1).unwrap();
        assert!(url.starts_with("https://x.fr/api/demandes/ABCD1234?jeton="));
        assert!(Link::Request.verify(&keys, token, "ABCD1234", 10).is_ok());
        assert_eq!(
            Link::Request
                .verify(&keys, token, "OTHER123", 10)
                .unwrap_err(),
            TokenError::Invalid
        );
        assert!(Link::Follow.verify(&keys, token, "ABCD1234", 10).is_err());
        assert_eq!(
            Link::Request
                .verify(&keys, token, "ABCD1234", 2_000)
                .unwrap_err(),
            TokenError::Expired
        );
    }
}
