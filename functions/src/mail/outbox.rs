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
}
