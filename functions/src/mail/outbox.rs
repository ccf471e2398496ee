//! The transport on one machine: each mail becomes an `.eml` file, written whole.

use std::future::Future;
use std::path::PathBuf;

use super::{MailError, Mailer, build_message};
use crate::domain::lifecycle::Mail;

/// On one machine: each mail becomes `<dir>/<id>.eml`. With `print_paths`, each file written is
/// named on the console, and only that: the recipient and the links (which carry tokens) stay in
/// the file, never in a log.
pub struct Outbox {
    pub dir: PathBuf,
    pub from: String,
    pub print_paths: bool,
}

/// The console line for a mail written to `path`: its file, no address, no link.
pub fn announcement(path: &std::path::Path) -> String {
    format!("Courriel écrit : {}", path.display())
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
            // Mails name people: readable by the owner only.
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            std::io::Write::write_all(
                &mut options.open(&partial).map_err(io)?,
                &message.formatted(),
            )
            .map_err(io)?;
            std::fs::rename(&partial, &path).map_err(io)?;
            if self.print_paths {
                println!("{}", announcement(&path));
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
            from_name: None,
        }
    }

    #[tokio::test]
    async fn forgetting_an_address_deletes_only_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox {
            dir: dir.path().join("outbox"),
            from: "CPTS <ne-pas-repondre@example.org>".into(),
            print_paths: false,
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
