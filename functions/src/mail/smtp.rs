//! The Mailer on one machine in production: SMTP to the CPTS's mail provider, with lettre's pool
//! of connections. What leaves is the message [`build_message`] writes — the same as the outbox's
//! `.eml` files and SES's raw content — with a `Reply-To` when the mail names one, and a
//! `DKIM-Signature` when [`SmtpSettings::dkim`] is set.

use std::future::Future;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::{self, PoolConfig};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::dkim::Dkim;
use super::{MailError, Mailer, Party, build_message, without_addresses};
use crate::domain::lifecycle::Mail;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain, then `STARTTLS` before anything else is said; refused when the server does not
    /// offer it (port 587).
    StartTls,
    /// No encryption: only for a server on loopback (tests, a local relay).
    None,
}

impl Security {
    /// `tls`, `starttls` or `none` (case ignored).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tls" | "ssl" | "implicit" => Some(Self::Tls),
            "starttls" => Some(Self::StartTls),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    /// The usual port: 465 for TLS, 587 for STARTTLS, 25 without.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Tls => 465,
            Self::StartTls => 587,
            Self::None => 25,
        }
    }
}

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// User name and password (AUTH PLAIN or LOGIN, only over TLS unless `Security::None`).
    pub credentials: Option<(String, String)>,
    /// Sender, e.g. `CPTS Ardennes <ne-pas-repondre@example.org>`.
    pub from: String,
    /// An extra trusted root certificate (PEM), for a server with a private CA; the system's
    /// roots are always trusted.
    pub root_certificate: Option<Vec<u8>>,
    /// Connections kept open and reused (lettre's pool).
    pub max_connections: u32,
    /// How long a command may take before the attempt fails (and is retried later).
    pub timeout: Duration,
    /// Sign each message with DKIM (none: the provider signs, or nobody does).
    pub dkim: Option<Dkim>,
}

impl SmtpSettings {
    pub fn new(host: impl Into<String>, security: Security, from: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            port: security.default_port(),
            security,
            credentials: None,
            from: from.into(),
            root_certificate: None,
            max_connections: 4,
            timeout: Duration::from_secs(30),
            dkim: None,
        }
    }
}

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: String,
    dkim: Option<Dkim>,
}

impl SmtpMailer {
    /// The transport; nothing is connected yet (the first mail opens the first connection).
    pub fn new(settings: SmtpSettings) -> Result<Self, MailError> {
        let setup = |e: smtp::Error| MailError::Smtp {
            mail: String::new(),
            permanent: false,
            message: e.to_string(),
        };
        let from: lettre::message::Mailbox =
            settings.from.parse().map_err(|source| MailError::Address {
                of: Party::Sender,
                source,
            })?;
        let tls = || -> Result<TlsParameters, MailError> {
            let mut builder = TlsParameters::builder(settings.host.clone());
            if let Some(pem) = &settings.root_certificate {
                builder = builder.add_root_certificate(Certificate::from_pem(pem).map_err(setup)?);
            }
            builder.build().map_err(setup)
        };
        let tls = match settings.security {
            Security::Tls => Tls::Wrapper(tls()?),
            Security::StartTls => Tls::Required(tls()?),
            Security::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .tls(tls)
            // EHLO names the sender's domain: this machine's host name says nothing useful.
            .hello_name(ClientId::Domain(from.email.domain().to_string()))
            .timeout(Some(settings.timeout))
            .pool_config(PoolConfig::new().max_size(settings.max_connections.max(1)));
        if let Some((user, password)) = settings.credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Self {
            transport: builder.build(),
            from: settings.from,
            dkim: settings.dkim,
        })
    }

    pub fn from_address(&self) -> &str {
        &self.from
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, mail: &Mail) -> impl Future<Output = Result<(), MailError>> + Send {
        let prepared = build_message(mail, &self.from).map(|mut message| {
            // Last: the signature covers the message as it leaves.
            if let Some(dkim) = &self.dkim {
                dkim.sign(&mut message);
            }
            message
        });
        let id = mail.id.clone();
        async move {
            let message = prepared?;
            self.transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Smtp {
                    mail: id,
                    permanent: e.is_permanent(),
                    message: without_addresses(&e.to_string()),
                })
        }
    }
}
