//! The form handler: online registration of patients without a GP, as one axum Router. Requests
//! are parsed into domain types, stored with their coordinator mail in one transaction, and the
//! mail is sent afterwards (retried until it goes).

pub mod answers;
pub mod client;
pub mod communes;
pub mod form;
pub mod html;
pub mod http;
#[cfg(feature = "aws")]
pub mod lambda;
pub mod lifecycle;
pub mod link_pages;
pub mod links;
pub mod mail;
pub mod matching;
pub mod overview;
pub mod pages;
pub mod phone;
pub mod priority;
pub mod registration;
pub mod signed;
pub mod store;
pub mod workflow;

use std::sync::{Arc, RwLock};

use territory::Territory;
use tokio::sync::Notify;

pub use http::router;
use mail::Mailer;
use signed::KeyRing;
use store::Store;

/// The site's phone line, shown on every page the handler writes.
#[derive(Debug, Clone)]
pub struct Phone {
    pub number: String,
    pub international: String,
    pub hours: String,
}

/// Abuse limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Requests stored per client address per hour.
    pub per_address_per_hour: u32,
    /// Requests stored per phone number per day.
    pub per_phone_per_day: u32,
    /// A form sent sooner than this after its token was issued is a robot's.
    pub min_fill_seconds: i64,
    /// How long a form token stays valid.
    pub form_token_seconds: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_address_per_hour: 10,
            per_phone_per_day: 3,
            min_fill_seconds: 3,
            form_token_seconds: 4 * 3600,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub site_title: String,
    pub phone: Option<Phone>,
    /// Public address of the site, without trailing slash, for links in emails.
    pub public_url: String,
    /// `Origin` values accepted besides the request's own host.
    pub allowed_origins: Vec<String>,
    pub privacy_url: String,
    /// Sender of the emails.
    pub mail_from: String,
    pub limits: Limits,
}

/// Seconds a coordinator's link to a request stays valid.
pub const COORDINATOR_LINK_SECONDS: i64 = 30 * 24 * 3600;

/// The territory as last published, with what is derived from it.
pub struct Published {
    pub territory: Arc<Territory>,
    /// "Name (postcode)" of every commune, for the form's list.
    pub commune_labels: Vec<String>,
}

impl Published {
    fn new(territory: Arc<Territory>) -> Arc<Self> {
        let commune_labels = territory.communes.iter().map(communes::label).collect();
        Arc::new(Self {
            territory,
            commune_labels,
        })
    }
}

/// Everything the handler works with.
pub struct App<S: Store, M: Mailer> {
    pub config: Config,
    /// Replaced whole when a new territory (doctors.csv) is published.
    published: RwLock<Arc<Published>>,
    pub keys: KeyRing,
    pub store: S,
    pub mailer: M,
    /// Wakes the mail dispatcher when a new mail is pending.
    pub mail_waiting: Notify,
}

impl<S: Store, M: Mailer> App<S, M> {
    pub fn new(
        config: Config,
        territory: Arc<Territory>,
        keys: KeyRing,
        store: S,
        mailer: M,
    ) -> Arc<Self> {
        Arc::new(Self {
            config,
            published: RwLock::new(Published::new(territory)),
            keys,
            store,
            mailer,
            mail_waiting: Notify::new(),
        })
    }

    /// The territory as published now (doctors, their declarations, communes, CPTS).
    pub fn territory(&self) -> Arc<Territory> {
        Arc::clone(&self.published().territory)
    }

    pub fn published(&self) -> Arc<Published> {
        match self.published.read() {
            Ok(p) => Arc::clone(&p),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Publishes a new territory (a new doctors.csv, say): requests in progress keep their
    /// proposals; waiting ones are examined again against it by the next jobs run.
    pub fn replace_territory(&self, territory: Arc<Territory>) {
        let next = Published::new(territory);
        match self.published.write() {
            Ok(mut p) => *p = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }

    /// Sends the mails due now. Returns (sent, failed).
    pub async fn deliver_due(&self, now: i64) -> (usize, usize) {
        mail::deliver_due(&self.store, &self.mailer, now).await
    }

    /// Runs until the process ends: sends pending mails as soon as they are stored, and retries
    /// every few seconds. It has its own thread, so writing mails never holds up a request.
    pub fn spawn_mail_dispatcher(self: &Arc<Self>) -> std::io::Result<()> {
        let app = Arc::clone(self);
        // IO too: a network mailer (SES) needs it.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("mail-dispatcher".into())
            .spawn(move || {
                runtime.block_on(async move {
                    loop {
                        app.deliver_due(now()).await;
                        let _ = tokio::time::timeout(
                            std::time::Duration::from_secs(5),
                            app.mail_waiting.notified(),
                        )
                        .await;
                    }
                })
            })?;
        Ok(())
    }
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
