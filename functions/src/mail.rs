//! Emails: the Mailer trait, the outbox that writes `.eml` files on one machine, the coordinator's
//! notification (reference, commune, date and a signed link — nothing else), and delivery of the
//! pending mails with retries.

use std::future::Future;
use std::path::PathBuf;

use lettre::Message;
use lettre::message::{Mailbox, MultiPart};

use crate::html::esc;
use crate::store::{Mail, Store};

#[cfg(feature = "aws")]
pub mod ses;

#[derive(Debug)]
pub struct MailError(pub String);

impl std::fmt::Display for MailError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "envoi du courriel impossible : {}", self.0)
    }
}

pub trait Mailer: Send + Sync + 'static {
    fn send(&self, mail: &Mail) -> impl Future<Output = Result<(), MailError>> + Send;
}

/// Builds the RFC 5322 message: multipart text + HTML, UTF-8.
pub fn build_message(mail: &Mail, from: &str) -> Result<Message, MailError> {
    let bad = |e: &dyn std::fmt::Display| MailError(e.to_string());
    let from: Mailbox = from.parse().map_err(|e| bad(&e))?;
    let mut builder = Message::builder()
        .from(from)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{}@cpts.invalid>", mail.id)));
    for to in &mail.to {
        builder = builder.to(to.parse::<Mailbox>().map_err(|e| bad(&e))?);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))
        .map_err(|e| bad(&e))
}

/// On one machine: each mail becomes `<dir>/<id>.eml`, and its links are printed on the console.
pub struct Outbox {
    pub dir: PathBuf,
    pub from: String,
    pub print_links: bool,
}

impl Mailer for Outbox {
    fn send(&self, mail: &Mail) -> impl Future<Output = Result<(), MailError>> + Send {
        let result = (|| {
            let message = build_message(mail, &self.from)?;
            let io = |e: std::io::Error| MailError(format!("{} : {e}", self.dir.display()));
            std::fs::create_dir_all(&self.dir).map_err(io)?;
            let path = self.dir.join(format!("{}.eml", mail.id));
            let partial = self.dir.join(format!(".{}.eml.tmp", mail.id));
            std::fs::write(&partial, message.formatted()).map_err(io)?;
            std::fs::rename(&partial, &path).map_err(io)?;
            if self.print_links {
                for link in mail.text.lines().filter(|l| l.starts_with("http")) {
                    println!(
                        "Courriel pour {} ({}) : {link}",
                        mail.to.join(", "),
                        path.display()
                    );
                }
            }
            Ok(())
        })();
        std::future::ready(result)
    }
}

/// The coordinator's notification: reference, commune, date and the signed link. Nothing else —
/// no name, phone, birth date or health fact (a test checks it).
pub fn coordinator_mail(
    id: &str,
    to: Vec<String>,
    reference: &str,
    commune: &str,
    date_fr: &str,
    link: &str,
) -> Mail {
    let subject = format!("Nouvelle demande de médecin traitant — réf. {reference}");
    let text = format!(
        "Bonjour,\n\nUne nouvelle demande de médecin traitant a été enregistrée.\n\nRéférence : {reference}\nCommune : {commune}\nDate : {date_fr}\n\nPour voir la demande et rappeler la personne, ouvrez ce lien (valable 30 jours) :\n{link}\n\nCe courriel ne contient volontairement aucune donnée personnelle.\n"
    );
    let html = format!(
        r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{s}</title></head><body><p>Bonjour,</p><p>Une nouvelle demande de médecin traitant a été enregistrée.</p><ul><li>Référence : <strong>{r}</strong></li><li>Commune : {c}</li><li>Date : {d}</li></ul><p><a href="{l}">Voir la demande et rappeler la personne</a> (lien valable 30 jours).</p><p>Ce courriel ne contient volontairement aucune donnée personnelle.</p></body></html>"#,
        s = esc(&subject),
        r = esc(reference),
        c = esc(commune),
        d = esc(date_fr),
        l = esc(link)
    );
    Mail {
        id: id.to_string(),
        to,
        subject,
        text,
        html,
    }
}

/// Seconds to wait before the next attempt after `attempts` failures: 30 s, 1 min, 2 min… up to 1 h.
pub fn backoff(attempts: u32) -> i64 {
    (30i64 << attempts.min(7)).min(3600)
}

/// Sends every mail due at `now`; a failure stays pending and is retried later.
/// Returns (sent, failed).
pub async fn deliver_due<S: Store, M: Mailer>(store: &S, mailer: &M, now: i64) -> (usize, usize) {
    let (mut sent, mut failed) = (0, 0);
    let due = match store.due_mails(now, 100).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("courriels en attente illisibles : {e}");
            return (0, 0);
        }
    };
    let mut done = Vec::new();
    for pending in due {
        match mailer.send(&pending.mail).await {
            Ok(()) => {
                sent += 1;
                done.push(pending.mail.id);
            }
            Err(e) => {
                failed += 1;
                let retry_at = now + backoff(pending.attempts);
                eprintln!(
                    "courriel {} : {e} ; nouvel essai dans {} s",
                    pending.mail.id,
                    retry_at - now
                );
                if let Err(e) = store.mail_failed(&pending.mail.id, retry_at).await {
                    eprintln!("courriel {} : échec non enregistré : {e}", pending.mail.id);
                }
            }
        }
    }
    if !done.is_empty()
        && let Err(e) = store.mails_sent(&done, now).await
    {
        eprintln!(
            "{} courriel(s) envoyé(s) mais non marqué(s) : {e}",
            done.len()
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
