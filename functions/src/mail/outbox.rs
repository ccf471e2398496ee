//! The transport on one machine: each mail becomes an `.eml` file, written whole.

use std::future::Future;
use std::path::PathBuf;

use super::{MailError, Mailer, build_message};
use crate::domain::lifecycle::Mail;

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
            let io = |source| MailError::Io {
                dir: self.dir.clone(),
                source,
            };
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

    /// Deletes the `.eml` files whose headers name `address` (case ignored).
    fn forget(&self, address: &str) -> impl Future<Output = Result<usize, MailError>> + Send {
        std::future::ready(forget_in(&self.dir, address))
    }
}

fn forget_in(dir: &std::path::Path, address: &str) -> Result<usize, MailError> {
    let io = |source| MailError::Io {
        dir: dir.to_path_buf(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io(e)),
    };
    let wanted = address.to_lowercase();
    let mut forgotten = 0;
    for entry in entries {
        let path = entry.map_err(io)?.path();
        if path.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(io)?;
        let headers = text.split("\r\n\r\n").next().unwrap_or("");
        if headers.to_lowercase().contains(&wanted) {
            std::fs::remove_file(&path).map_err(io)?;
            forgotten += 1;
        }
    }
    Ok(forgotten)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(id: &str, to: &str) -> Mail {
        Mail {
            id: id.into(),
            to: vec![to.into()],
            subject: "Votre demande".into(),
            text: "Bonjour".into(),
            html: "<p>Bonjour</p>".into(),
            reply_to: Vec::new(),
        }
    }

    #[tokio::test]
    async fn forgetting_an_address_deletes_only_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox {
            dir: dir.path().join("outbox"),
            from: "CPTS <ne-pas-repondre@example.org>".into(),
            print_links: false,
        };
        assert_eq!(outbox.forget("lea.dupre@example.fr").await.unwrap(), 0);
        outbox
            .send(&mail("m1", "lea.dupre@example.fr"))
            .await
            .unwrap();
        outbox
            .send(&mail("m2", "coordination@example.org"))
            .await
            .unwrap();
        assert_eq!(outbox.forget("Lea.Dupre@example.fr").await.unwrap(), 1);
        let left: Vec<_> = std::fs::read_dir(&outbox.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(left, ["m2.eml"]);
    }
}
