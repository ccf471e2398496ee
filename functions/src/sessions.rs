//! Staff sign-in without passwords: an emailed single-use link opens a server-side session. The
//! use cases; the routes and the cookie are in [`crate::web::staff`].
//!
//! - [`App::request_sign_in`]: a listed address gets a link (at most a few an hour), an unlisted
//!   one nothing — and the caller answers both the same way;
//! - [`App::sign_in`]: the link's token, checked and used once, opens a session;
//! - [`App::staff_session`]: the session of a cookie, refused when expired, from another
//!   browser, or when its person left the roster;
//! - [`App::sign_out`], [`App::sign_out_everywhere`].
//!
//! The store keeps only SHA-256 hashes of the cookie's secret and of the User-Agent. Audit entries
//! name people `staff:<id>`; logs name no one.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use territory::{Staff, Territory};

use crate::app::App;
use crate::domain::lifecycle::AuditEntry;
use crate::domain::staff::{
    SESSION_SECONDS, SIGN_IN_LINK_SECONDS, SIGN_IN_MAILS_PER_HOUR, Session, actor,
};
use crate::links::Link;
use crate::mail::Mailer;
use crate::mails;
use crate::signed::{TokenError, random_id};
use crate::store::{RateLimit, Store, StoreError};

/// Length of the random part of a sign-in link's object.
const NONCE_LEN: usize = 16;

/// Hex SHA-256 of `value`.
pub fn sha256_hex(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a sign-in link names its person by: a hash of the id, so the link says no name.
fn staff_tag(id: &str) -> String {
    sha256_hex(&format!("staff\0{id}"))[..16].to_string()
}

/// 32 random bytes, base64url: a cookie's secret, a CSRF token.
pub fn secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the system's random generator");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Why a sign-in link opens no session. Nothing was changed.
#[derive(Debug)]
pub enum SignInError {
    Token(TokenError),
    /// Already used (by this browser or another).
    Used,
    /// Its person is no longer in the roster.
    Unknown,
    Store(StoreError),
}

/// Why a cookie signs no one in. Nothing was changed.
#[derive(Debug)]
pub enum SessionError {
    /// No cookie, or no such session (signed out, or never opened).
    None,
    Expired,
    /// Opened in another browser (its User-Agent differs).
    OtherBrowser,
    /// The person is no longer in the roster.
    Removed,
    Store(StoreError),
}

/// A session just opened: the cookie's secret (given once to the browser) and what is stored.
pub struct Opened {
    pub secret: String,
    pub session: Session,
    pub staff: Staff,
}

impl<S: Store, M: Mailer> App<S, M> {
    /// Mails a sign-in link to `email` if it belongs to a listed member of staff and the
    /// address has not had [`SIGN_IN_MAILS_PER_HOUR`] this hour. Says nothing either way: the
    /// page answers the same. `Err` only when the store failed.
    pub async fn request_sign_in(&self, email: &str, now: i64) -> Result<(), StoreError> {
        let territory = self.territory();
        let Some(staff) = territory.staff_by_email(email) else {
            tracing::info!("demande de lien de connexion pour une adresse non inscrite");
            return Ok(());
        };
        let nonce = random_id(NONCE_LEN);
        let object = format!("{nonce}{}", staff_tag(&staff.id));
        let expires = now + SIGN_IN_LINK_SECONDS;
        let link = Link::SignIn.url(&self.keys, &self.config.public_url, &object, expires);
        let mail = mails::sign_in(
            &self.view(),
            &format!("connexion-{nonce}"),
            &staff.email,
            &link,
            SIGN_IN_LINK_SECONDS / 60,
        );
        let limit = RateLimit {
            key: self
                .keys
                .pseudonym("signin-mail", &staff.email.to_lowercase()),
            window: now / 3600,
            limit: SIGN_IN_MAILS_PER_HOUR,
        };
        let audit = AuditEntry {
            at: now,
            actor: actor(staff),
            action: "sign-in-link-sent".into(),
            object: actor(staff),
        };
        if self.store.queue_mail(&mail, &audit, &[limit], now).await? {
            self.mail_waiting.notify_one();
        } else {
            tracing::info!("lien de connexion non envoyé : limite horaire atteinte");
        }
        Ok(())
    }

    /// The person a sign-in token names, if it is valid at `now` (checked, not used).
    pub fn sign_in_link(
        &self,
        object: &str,
        token: &str,
        now: i64,
    ) -> Result<(Staff, i64), SignInError> {
        let claims = Link::SignIn
            .verify(&self.keys, token, object, now)
            .map_err(SignInError::Token)?;
        let tag = object.get(NONCE_LEN..).unwrap_or("");
        let territory = self.territory();
        let staff = staff_tagged(&territory, tag).ok_or(SignInError::Unknown)?;
        Ok((staff.clone(), claims.expires))
    }

    /// Uses the sign-in link once and opens a session for the browser `user_agent`.
    pub async fn sign_in(
        &self,
        object: &str,
        token: &str,
        user_agent: &str,
        now: i64,
    ) -> Result<Opened, SignInError> {
        let (staff, expires) = self.sign_in_link(object, token, now)?;
        let nonce = object.get(..NONCE_LEN).unwrap_or(object);
        if !self
            .store
            .use_once(&format!("signin:{nonce}"), expires)
            .await
            .map_err(SignInError::Store)?
        {
            return Err(SignInError::Used);
        }
        let secret = secret();
        let session = Session {
            id_hash: sha256_hex(&secret),
            staff: staff.id.clone(),
            created_at: now,
            expires_at: now + SESSION_SECONDS,
            agent_hash: sha256_hex(user_agent),
            csrf: self::secret(),
        };
        self.store
            .open_session(&session)
            .await
            .map_err(SignInError::Store)?;
        self.staff_audit(&staff, "signed-in", now).await;
        tracing::info!("connexion à l'espace de coordination");
        Ok(Opened {
            secret,
            session,
            staff,
        })
    }

    /// The session of cookie `secret` in the browser `user_agent`, and its person as the
    /// current roster lists them.
    pub async fn staff_session(
        &self,
        secret: &str,
        user_agent: &str,
        now: i64,
    ) -> Result<(Staff, Session), SessionError> {
        if secret.is_empty() {
            return Err(SessionError::None);
        }
        let session = self
            .store
            .session(&sha256_hex(secret))
            .await
            .map_err(SessionError::Store)?
            .ok_or(SessionError::None)?;
        if session.is_expired(now) {
            return Err(SessionError::Expired);
        }
        let agent = sha256_hex(user_agent);
        if !bool::from(agent.as_bytes().ct_eq(session.agent_hash.as_bytes())) {
            return Err(SessionError::OtherBrowser);
        }
        let territory = self.territory();
        let staff = territory
            .staff_member(&session.staff)
            .cloned()
            .ok_or(SessionError::Removed)?;
        Ok((staff, session))
    }

    pub async fn sign_out(&self, staff: &Staff, session: &str, now: i64) -> Result<(), StoreError> {
        self.store.close_session(session).await?;
        self.staff_audit(staff, "signed-out", now).await;
        Ok(())
    }

    /// Ends every session of `staff`, in every browser. Returns how many.
    pub async fn sign_out_everywhere(&self, staff: &Staff, now: i64) -> Result<usize, StoreError> {
        let closed = self.store.close_sessions_of(&staff.id).await?;
        self.staff_audit(staff, "signed-out-everywhere", now).await;
        Ok(closed)
    }

    /// Audits `action` by `staff` on their own record (`staff:<id>`).
    pub async fn staff_audit(&self, staff: &Staff, action: &str, now: i64) {
        let entry = AuditEntry {
            at: now,
            actor: actor(staff),
            action: action.into(),
            object: actor(staff),
        };
        if let Err(e) = self.store.audit(&entry).await {
            tracing::warn!(error = %e, "journal d'audit indisponible");
        }
    }
}

fn staff_tagged<'a>(territory: &'a Territory, tag: &str) -> Option<&'a Staff> {
    territory.staff().iter().find(|s| staff_tag(&s.id) == tag)
}
