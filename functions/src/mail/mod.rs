//! Delivering emails: the Mailer trait and its transports ([`Outbox`] files on one machine, SES on
//! AWS), the one message builder they share, and the delivery of pending mails with retries. What
//! the mails say is in [`crate::mails`].

use std::future::Future;
use std::path::PathBuf;

use lettre::Message;
use lettre::address::AddressError;
use lettre::message::{Mailbox, MultiPart};

use crate::domain::lifecycle::Mail;
use crate::store::Store;

mod outbox;
#[cfg(feature = "aws")]
pub mod ses;

pub use outbox::Outbox;

/// Why a mail was not sent (it stays pending and is tried again). Messages never quote an
/// address: they end up in logs.
#[derive(Debug)]
pub enum MailError {
    /// The sender's or a recipient's address is not a valid mailbox.
    Address { of: Party, source: AddressError },
    /// The message could not be built.
    Build(lettre::error::Error),
    /// The outbox folder `dir` could not be written.
    Io {
        dir: PathBuf,
        source: std::io::Error,
    },
    /// SES refused mail `mail` or could not be reached; `message` is the SDK's, with addresses
    /// blanked out.
    Ses { mail: String, message: String },
}

/// Whose address it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Sender,
    Recipient,
}

impl std::fmt::Display for MailError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "envoi du courriel impossible : ")?;
        match self {
            MailError::Address { of, source } => {
                let whose = match of {
                    Party::Sender => "de l'expéditeur",
                    Party::Recipient => "d'un destinataire",
                };
                write!(f, "adresse {whose} invalide ({source})")
            }
            MailError::Build(e) => write!(f, "message impossible à composer ({e})"),
            MailError::Io { dir, source } => write!(f, "{} : {source}", dir.display()),
            MailError::Ses { mail, message } => write!(f, "SES ({mail}) : {message}"),
        }
    }
}

impl std::error::Error for MailError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MailError::Address { source, .. } => Some(source),
            MailError::Build(e) => Some(e),
            MailError::Io { source, .. } => Some(source),
            MailError::Ses { .. } => None,
        }
    }
}

pub trait Mailer: Send + Sync + 'static {
    fn send(&self, mail: &Mail) -> impl Future<Output = Result<(), MailError>> + Send;

    /// Deletes every copy this transport keeps of the mails sent to `address` (an erasure at the
    /// person's request); returns how many. A transport that keeps none (SES) has nothing to do.
    fn forget(&self, address: &str) -> impl Future<Output = Result<usize, MailError>> + Send {
        let _ = address;
        std::future::ready(Ok(0))
    }
}

/// Builds the RFC 5322 message: multipart text + HTML, UTF-8.
pub fn build_message(mail: &Mail, from: &str) -> Result<Message, MailError> {
    let address = |of| move |source| MailError::Address { of, source };
    let from: Mailbox = from.parse().map_err(address(Party::Sender))?;
    let mut builder = Message::builder()
        .from(from)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{}@cpts.invalid>", mail.id)));
    for to in &mail.to {
        builder = builder.to(to.parse::<Mailbox>().map_err(address(Party::Recipient))?);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))
        .map_err(MailError::Build)
}

/// Mails sent per call of [`deliver_due`]: when a call sends this many, more may be due.
pub const DELIVERY_BATCH: usize = 100;

/// Seconds to wait before the next attempt after `attempts` failures: 30 s, 1 min, 2 min… up to 1 h.
pub fn backoff(attempts: u32) -> i64 {
    (30i64 << attempts.min(7)).min(3600)
}

/// Sends every mail due at `now`; a failure stays pending and is retried later.
/// Returns (sent, failed). Logs (span `mail_delivery`) name mails by id only.
#[tracing::instrument(name = "mail_delivery", skip_all)]
pub async fn deliver_due<S: Store, M: Mailer>(store: &S, mailer: &M, now: i64) -> (usize, usize) {
    let (mut sent, mut failed) = (0, 0);
    let due = match store.due_mails(now, DELIVERY_BATCH).await {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "courriels en attente illisibles");
            return (0, 0);
        }
    };
    let mut done = Vec::new();
    for pending in due {
        // Taken for two minutes: should this sender die, the mail goes at the next attempt.
        match store
            .claim_mail(
                &pending.mail.id,
                pending.next_attempt_at,
                now.saturating_add(120),
            )
            .await
        {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::error!(mail = %pending.mail.id, error = %e, "courriel non réservé pour l'envoi");
                continue;
            }
        }
        match mailer.send(&pending.mail).await {
            Ok(()) => {
                tracing::debug!(mail = %pending.mail.id, "courriel envoyé");
                sent += 1;
                done.push(pending.mail.id);
            }
            Err(e) => {
                failed += 1;
                let retry_in = backoff(pending.attempts);
                tracing::warn!(
                    mail = %pending.mail.id,
                    attempts = pending.attempts + 1,
                    retry_in,
                    error = %e,
                    "courriel non envoyé ; nouvel essai dans {retry_in} s"
                );
                if let Err(e) = store.mail_failed(&pending.mail.id, now + retry_in).await {
                    tracing::error!(mail = %pending.mail.id, error = %e, "échec d'envoi non enregistré");
                }
            }
        }
    }
    if !done.is_empty()
        && let Err(e) = store.mails_sent(&done, now).await
    {
        tracing::error!(
            count = done.len(),
            error = %e,
            "{} courriel(s) envoyé(s) mais non marqué(s)",
            done.len()
        );
    }
    if sent + failed > 0 {
        tracing::info!(
            sent,
            failed,
            "courriels : {sent} envoyé(s), {failed} en échec"
        );
    }
    (sent, failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(0), 30);
        assert_eq!(backoff(1), 60);
        assert_eq!(backoff(3), 240);
        assert_eq!(backoff(50), 3600);
    }
}
