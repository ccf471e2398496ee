//! The Mailer on AWS: SESv2 `SendEmail` with raw content, so what leaves is exactly the message
//! [`build_message`] writes — the same MIME as the `.eml` files of the outbox on one machine.

use std::future::Future;

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::DisplayErrorContext;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};

use super::{MailError, Mailer, build_message, without_addresses};
use crate::domain::lifecycle::Mail;

pub struct SesMailer {
    client: Client,
    /// Sender, e.g. `CPTS Ardennes <ne-pas-repondre@example.org>` (its domain is an SES identity).
    from: String,
    /// SES configuration set (TLS required, reputation metrics), when there is one.
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(client: Client, from: impl Into<String>, configuration_set: Option<String>) -> Self {
        Self {
            client,
            from: from.into(),
            configuration_set: configuration_set.filter(|s| !s.is_empty()),
        }
    }

    pub fn from_address(&self) -> &str {
        &self.from
    }
}

impl Mailer for SesMailer {
    fn send(&self, mail: &Mail) -> impl Future<Output = Result<(), MailError>> + Send {
        let id = mail.id.clone();
        let ses = move |message: String| MailError::Ses {
            mail: id.clone(),
            message: without_addresses(&message),
        };
        let prepared = build_message(mail, &self.from).and_then(|message| {
            let raw = RawMessage::builder()
                .data(Blob::new(message.formatted()))
                .build()
                .map_err(|e| ses(e.to_string()))?;
            Ok(raw)
        });
        let request = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(
                Destination::builder()
                    .set_to_addresses(Some(mail.to.clone()))
                    .build(),
            )
            .set_configuration_set_name(self.configuration_set.clone());
        async move {
            let raw = prepared?;
            request
                .content(EmailContent::builder().raw(raw).build())
                .send()
                .await
                .map_err(|e| ses(DisplayErrorContext(&e).to_string()))?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_never_quote_an_address() {
        let refused = "MessageRejected: Email address is not verified. The following identities \
                       failed the check in region EU-WEST-3: lea.dupre@example.fr, x@y.org";
        let logged = without_addresses(refused);
        assert!(!logged.contains('@'), "{logged}");
        assert!(logged.starts_with("MessageRejected: Email address is not verified."));
    }
}
