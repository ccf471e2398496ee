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

pub mod dkim;
mod outbox;
#[cfg(feature = "aws")]
pub mod ses;
pub mod smtp;

pub use dkim::{Dkim, DkimError};
pub use outbox::Outbox;
pub use smtp::{Security, SmtpMailer, SmtpSettings};

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
    /// The SMTP server refused mail `mail` (`permanent`: a 5xx reply, e.g. an unknown recipient)
    /// or could not be reached or dropped the connection (transient); `message` is lettre's, with
    /// addresses blanked out.
    Smtp {
        mail: String,
        permanent: bool,
        message: String,
    },
}

impl MailError {
    /// A refusal that trying again will not change (an SMTP 5xx reply). Everything else (a
    /// server down, a dropped connection, a 4xx reply, a full disk) may pass.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            MailError::Smtp {
                permanent: true,
                ..
            }
        )
    }
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
            MailError::Smtp {
                mail,
                permanent,
                message,
            } => {
                let kind = if *permanent {
                    "refus définitif"
                } else {
                    "échec"
                };
                write!(f, "SMTP ({mail}), {kind} : {message}")
            }
        }
    }
}

impl std::error::Error for MailError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MailError::Address { source, .. } => Some(source),
            MailError::Build(e) => Some(e),
            MailError::Io { source, .. } => Some(source),
            MailError::Ses { .. } | MailError::Smtp { .. } => None,
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

/// Builds the RFC 5322 message: multipart text + HTML, UTF-8, from `from` (under the mail's own
/// display name when it has one), answering to the mail's `reply_to` when it has some.
pub fn build_message(mail: &Mail, from: &str) -> Result<Message, MailError> {
    let address = |of| move |source| MailError::Address { of, source };
    let mut from: Mailbox = from.parse().map_err(address(Party::Sender))?;
    if let Some(name) = &mail.from_name {
        from.name = Some(name.clone());
    }
    let mut builder = Message::builder()
        .from(from)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{}@cpts.invalid>", mail.id)));
    for to in &mail.to {
        builder = builder.to(to.parse::<Mailbox>().map_err(address(Party::Recipient))?);
    }
    // The coordinators' addresses come from the territory, as the sender's from the settings.
    for reply_to in &mail.reply_to {
        builder = builder.reply_to(
            reply_to
                .parse::<Mailbox>()
                .map_err(address(Party::Sender))?,
        );
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))
        .map_err(MailError::Build)
}

/// `message` with every word that holds an `@` blanked out: servers quote the addresses they
/// refuse ("550 5.1.1 <lea@example.fr>: Recipient address rejected"), and this ends up in logs.
pub(crate) fn without_addresses(message: &str) -> String {
    message
        .split(' ')
        .map(|word| {
            if word.contains('@') {
                "<adresse>"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Mails sent per call of [`deliver_due`]: when a call sends this many, more may be due.
pub const DELIVERY_BATCH: usize = 100;

/// Seconds to wait before the next attempt after `attempts` failures: 30 s, 1 min, 2 min… up to 1 h.
pub fn backoff(attempts: u32) -> i64 {
    (30i64 << attempts.min(7)).min(3600)
}

/// Attempts a mail gets when the server refuses it for good (an SMTP 5xx, [`MailError::is_permanent`]):
/// a refusal may come from a passing misconfiguration, so it is tried this many times with the
/// usual backoff, then given up (never retried for ever).
pub const PERMANENT_REFUSAL_ATTEMPTS: u32 = 3;

pub use crate::store::GIVEN_UP;

/// Failed attempts after which a mail still not sent is reported on the coordinators' to-do list
/// ([`Store::undelivered_mails`]): after the 7th failure the mail has waited about an hour
/// (30 s + 1 min + … + 32 min) and the backoff has reached its cap of one hour — no longer a
/// passing hiccup of the provider. A mail given up is reported at once.
pub const REPORT_AFTER_ATTEMPTS: u32 = 7;

/// Failed attempts after which any mail is given up: the 7 of the first hour, then one an hour
/// for a day. A mail a day late is no longer the news it was (a proposal may have been answered
/// by phone since); by then it has been on the to-do list for 23 hours, and a person whose mail
/// is given up is put back on the list of people to call.
pub const MAX_ATTEMPTS: u32 = REPORT_AFTER_ATTEMPTS + 24;

impl MailError {
    /// A mail this error stops for ever, whatever the server says next: the recipient's address
    /// or the message itself cannot be built (an address the form took but lettre refuses, such
    /// as `"lea dupre"@exemple.fr`). The sender's address comes from the settings: fixing them
    /// lets every mail go, so it is not one.
    pub fn is_unbuildable(&self) -> bool {
        matches!(
            self,
            MailError::Address {
                of: Party::Recipient,
                ..
            } | MailError::Build(_)
        )
    }
}

/// When to try again after the failure `error`, the mail having failed `attempts` times before:
/// after the backoff; [`GIVEN_UP`] at once when the mail cannot be built
/// ([`MailError::is_unbuildable`]), when the server refused it for good
/// [`PERMANENT_REFUSAL_ATTEMPTS`] times, or after [`MAX_ATTEMPTS`] failures of any kind.
pub fn retry_at(error: &MailError, attempts: u32, now: i64) -> i64 {
    if error.is_unbuildable()
        || (error.is_permanent() && attempts + 1 >= PERMANENT_REFUSAL_ATTEMPTS)
        || attempts + 1 >= MAX_ATTEMPTS
    {
        GIVEN_UP
    } else {
        now.saturating_add(backoff(attempts))
    }
}

/// Sends every mail due at `now`; a failure stays pending and is retried later, unless
/// [`retry_at`] gives it up.
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
                let next = retry_at(&e, pending.attempts, now);
                if next == GIVEN_UP {
                    tracing::error!(
                        mail = %pending.mail.id,
                        attempts = pending.attempts + 1,
                        error = %e,
                        "courriel impossible à envoyer : abandonné"
                    );
                } else {
                    let retry_in = next - now;
                    tracing::warn!(
                        mail = %pending.mail.id,
                        attempts = pending.attempts + 1,
                        retry_in,
                        error = %e,
                        "courriel non envoyé ; nouvel essai dans {retry_in} s"
                    );
                }
                if let Err(e) = store.mail_failed(&pending.mail.id, next).await {
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

    fn smtp(permanent: bool) -> MailError {
        MailError::Smtp {
            mail: "m".into(),
            permanent,
            message: "550".into(),
        }
    }

    #[test]
    fn an_address_lettre_cannot_build_is_given_up_at_once() {
        let mail = Mail {
            id: "REF-patient".into(),
            to: vec!["\"lea dupre\"@exemple.fr".into()],
            subject: "s".into(),
            text: "t".into(),
            html: "<p>h</p>".into(),
            reply_to: Vec::new(),
            from_name: None,
        };
        let error = build_message(&mail, "CPTS <ne-pas-repondre@example.org>").unwrap_err();
        assert!(error.is_unbuildable(), "{error}");
        assert_eq!(retry_at(&error, 0, 1_000), GIVEN_UP);
        // A wrong sender is the settings' fault: fixed, every mail goes.
        let error = build_message(&mail, "pas une adresse").unwrap_err();
        assert!(!error.is_unbuildable());
        assert_eq!(retry_at(&error, 0, 1_000), 1_030);
    }

    #[test]
    fn a_mail_says_its_own_sender_name_and_answers_to_its_reply_to() {
        let mail = Mail {
            id: "R1-medecin".into(),
            to: vec!["dr.martin@example.fr".into()],
            subject: "s".into(),
            text: "t".into(),
            html: "<p>h</p>".into(),
            reply_to: vec![
                "Mélanie Gosset <coordination@cpts.example>".into(),
                "autre@cpts.example".into(),
            ],
            from_name: Some("CPTS Rethélois".into()),
        };
        let message = build_message(&mail, "CPTS <ne-pas-repondre@example.org>").unwrap();
        // Read back as a reader's client does: the headers' mailboxes.
        let headers = message.headers();
        let from: Vec<Mailbox> = headers
            .get::<lettre::message::header::From>()
            .map(|f| lettre::message::Mailboxes::from(f).into_iter().collect())
            .unwrap_or_default();
        assert_eq!(from.len(), 1);
        assert_eq!(from[0].name.as_deref(), Some("CPTS Rethélois"));
        assert_eq!(from[0].email.to_string(), "ne-pas-repondre@example.org");
        let reply_to: Vec<String> = headers
            .get::<lettre::message::header::ReplyTo>()
            .map(|r| {
                lettre::message::Mailboxes::from(r)
                    .into_iter()
                    .map(|m| m.email.to_string())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            reply_to,
            ["coordination@cpts.example", "autre@cpts.example"]
        );
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("\r\nReply-To: "), "{raw}");
        // Without its own name and reply-to, the configured sender as it is, no Reply-To.
        let plain = Mail {
            reply_to: Vec::new(),
            from_name: None,
            ..mail
        };
        let raw = String::from_utf8(
            build_message(&plain, "CPTS <ne-pas-repondre@example.org>")
                .unwrap()
                .formatted(),
        )
        .unwrap();
        assert!(
            raw.contains("From: CPTS <ne-pas-repondre@example.org>"),
            "{raw}"
        );
        assert!(!raw.contains("Reply-To"), "{raw}");
    }

    #[test]
    fn a_permanent_refusal_is_given_up_after_its_attempts_a_transient_one_after_a_day() {
        let now = 1_000;
        assert_eq!(retry_at(&smtp(true), 0, now), now + 30);
        assert_eq!(
            retry_at(&smtp(true), PERMANENT_REFUSAL_ATTEMPTS - 1, now),
            GIVEN_UP
        );
        assert_eq!(retry_at(&smtp(false), MAX_ATTEMPTS - 2, now), now + 3600);
        assert_eq!(retry_at(&smtp(false), MAX_ATTEMPTS - 1, now), GIVEN_UP);
        // The attempts before giving up take about a day.
        let waited: i64 = (0..MAX_ATTEMPTS - 1).map(backoff).sum();
        assert!((23 * 3600..26 * 3600).contains(&waited), "{waited} s");
    }
}
