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

/// A short mail in French: greeting, `paragraphs`, then each link as (label, address) — on its own
/// line in the text part, as a link in the HTML part. Callers pass references, communes, dates,
/// distances and links only: never a name, phone number, birth date or health fact (tests check
/// every mail the handler writes).
pub fn compose(
    id: &str,
    to: Vec<String>,
    subject: String,
    paragraphs: &[String],
    links: &[(&str, &str)],
) -> Mail {
    let mut text = String::from("Bonjour,\n\n");
    let mut html = format!(
        r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{}</title></head><body><p>Bonjour,</p>"#,
        esc(&subject)
    );
    for p in paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", esc(p).replace('\n', "<br>")));
    }
    for (label, url) in links {
        text.push_str(&format!("{label} :\n{url}\n\n"));
        html.push_str(&format!(
            r#"<p><a href="{}">{}</a></p>"#,
            esc(url),
            esc(label)
        ));
    }
    let privacy = "Ce courriel ne contient volontairement aucune donnée personnelle.";
    text.push_str(privacy);
    text.push('\n');
    html.push_str(&format!("<p>{privacy}</p></body></html>"));
    Mail {
        id: id.to_string(),
        to,
        subject,
        text,
        html,
    }
}

/// The coordinator's notification of a new request: reference, commune, date and the signed
/// links. Nothing else — no name, phone, birth date or health fact (a test checks it).
pub fn coordinator_mail(
    id: &str,
    to: Vec<String>,
    reference: &str,
    commune: &str,
    date_fr: &str,
    link: &str,
    overview: &str,
) -> Mail {
    compose(
        id,
        to,
        format!("Nouvelle demande de médecin traitant — réf. {reference}"),
        &[format!(
            "Une nouvelle demande de médecin traitant a été enregistrée.\n\nRéférence : {reference}\nCommune : {commune}\nDate : {date_fr}"
        )],
        &[
            (
                "Voir la demande, rappeler la personne et valider le médecin proposé (lien valable 30 jours)",
                link,
            ),
            (
                "Tableau de bord de la CPTS (lien valable 7 jours)",
                overview,
            ),
        ],
    )
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
                eprintln!("courriel {} : {e}", pending.mail.id);
                continue;
            }
        }
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
