//! The handler's state and settings: the published territory and the doctors' own declarations
//! over it, the templates, the key ring, the store, the mailer, the abuse limits, and the thread
//! that sends pending mails.

use std::sync::{Arc, RwLock};

use territory::Territory;
use tokio::sync::Notify;

use crate::domain::declarations::{self, Declaration, Declarations};
use crate::domain::joining::{self, JoinOffer};
use crate::domain::{communes, phone};
use crate::mail::Mailer;
use crate::signed::KeyRing;
use crate::store::Store;
use crate::view::View;

/// The site's phone line, shown on every page the handler writes.
#[derive(Debug, Clone)]
pub struct Phone {
    pub number: String,
    pub international: String,
    pub hours: String,
}

impl Phone {
    /// The line `number` open at `hours`; `None` when the number cannot be dialled.
    pub fn new(number: String, hours: String) -> Option<Self> {
        Some(Self {
            international: phone::dial(&number)?,
            number,
            hours,
        })
    }
}

/// Abuse limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Requests stored per client address per hour.
    pub per_address_per_hour: u32,
    /// Requests stored per phone number per day.
    pub per_phone_per_day: u32,
    /// A form sent sooner than this after its token was issued is not stored: it comes back to
    /// be sent again (measured in milliseconds).
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

/// The published territory with the doctors' own declarations applied: what the matching uses.
struct Current {
    /// The store's count of changes the declarations were read at; `None` before the first read.
    stamp: Option<u64>,
    declarations: Arc<Vec<Declaration>>,
    /// The offers to join accepted since, whose doctors follow the roster's.
    joined: Arc<Vec<JoinOffer>>,
    territory: Arc<Territory>,
}

/// Everything the handler works with.
pub struct App<S: Store, M: Mailer> {
    pub config: Config,
    /// Replaced whole when a new territory (doctors.csv) is published.
    published: RwLock<Arc<Published>>,
    /// Made again from `published` when it or the declarations change.
    current: RwLock<Arc<Current>>,
    /// Wakes whoever rebuilds the public site when what it shows of doctors changed (a
    /// declaration, a pause, a place taken).
    pub doctors_changed: Notify,
    /// The templates of every page and mail: the built-in ones until [`App::replace_view`].
    view: RwLock<Arc<View>>,
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
        let current = Current {
            stamp: None,
            declarations: Arc::default(),
            joined: Arc::default(),
            territory: Arc::clone(&territory),
        };
        Arc::new(Self {
            config,
            published: RwLock::new(Published::new(territory)),
            current: RwLock::new(Arc::new(current)),
            doctors_changed: Notify::new(),
            view: RwLock::new(Arc::new(View::builtin())),
            keys,
            store,
            mailer,
            mail_waiting: Notify::new(),
        })
    }

    /// The territory as published now (communes, CPTS, doctors), with the doctors' own
    /// declarations as last read from the store. Before matching, use [`App::current_territory`].
    pub fn territory(&self) -> Arc<Territory> {
        Arc::clone(&self.current().territory)
    }

    fn current(&self) -> Arc<Current> {
        match self.current.read() {
            Ok(c) => Arc::clone(&c),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The doctors' own declarations, as last read from the store.
    pub fn declarations(&self) -> Arc<Vec<Declaration>> {
        Arc::clone(&self.current().declarations)
    }

    /// [`App::territory`] with the declarations read again if any changed since (another
    /// process, or another Lambda instance, may have stored one): what the matching must use.
    /// One small read when nothing changed. When the store cannot be read, the last known
    /// declarations are used: whatever writes next reports the store's error itself.
    pub async fn current_territory(&self) -> Arc<Territory> {
        let known = self.current().stamp;
        let read = match self.store.declarations_stamp().await {
            Ok(stamp) if Some(stamp) == known => None,
            Ok(_) => match (
                self.store.join_offers(None).await,
                self.store.declarations().await,
            ) {
                (Ok(offers), Ok(declarations)) => Some((declarations, accepted(offers))),
                _ => None,
            },
            Err(_) => None,
        };
        if read.is_some() {
            self.remake_current(read);
        }
        self.territory()
    }

    /// Reads the accepted offers to join again at once (one was just accepted), with the
    /// declarations, and makes the current territory again with them.
    pub async fn reload_joined(&self) -> Result<(), crate::store::StoreError> {
        let offers = self.store.join_offers(None).await?;
        let declarations = self.store.declarations().await?;
        self.remake_current(Some((declarations, accepted(offers))));
        Ok(())
    }

    /// Makes the current territory again from the published one and `read` (or, without it or
    /// when a newer read was taken meanwhile, the declarations already known).
    fn remake_current(&self, read: Option<(Declarations, Vec<JoinOffer>)>) {
        let mut current = match self.current.write() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (stamp, list, joined) = match read {
            Some((read, joined)) if current.stamp.is_none_or(|known| known <= read.stamp) => {
                (Some(read.stamp), Arc::new(read.list), Arc::new(joined))
            }
            _ => (
                current.stamp,
                Arc::clone(&current.declarations),
                Arc::clone(&current.joined),
            ),
        };
        let published = self.published();
        let roster = joining::with_joined(&published.territory, &joined);
        let territory = declarations::current_territory(&roster, &list);
        *current = Arc::new(Current {
            stamp,
            declarations: list,
            joined,
            territory: Arc::new(territory),
        });
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
        self.remake_current(None);
    }

    /// The templates pages and mails are written with now.
    pub fn view(&self) -> Arc<View> {
        match self.view.read() {
            Ok(v) => Arc::clone(&v),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Writes pages and mails with `view` from now on: the templates of a folder of overrides
    /// ([`View::load`]), loaded by whoever starts the handler, and loaded again when they change.
    pub fn replace_view(&self, view: View) {
        let next = Arc::new(view);
        match self.view.write() {
            Ok(mut v) => *v = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }

    /// Sends the mails due now. Returns (sent, failed).
    pub async fn deliver_due(&self, now: i64) -> (usize, usize) {
        crate::mail::deliver_due(&self.store, &self.mailer, now).await
    }

    /// Sends pending mails until the process ends: each as soon as it is stored, and every few
    /// seconds the ones to retry. The one mail dispatcher, wherever the handler runs.
    pub async fn dispatch_mails(self: Arc<Self>) {
        loop {
            let (sent, failed) = self.deliver_due(now()).await;
            // A full batch leaves mails behind it: the next batch goes at once (waiting here for
            // a new mail's signal held a queue of thousands to 100 mails every 5 s).
            if sent + failed >= crate::mail::DELIVERY_BATCH {
                continue;
            }
            let _ = tokio::time::timeout(
                std::time::Duration::from_secs(5),
                self.mail_waiting.notified(),
            )
            .await;
        }
    }

    /// [`App::dispatch_mails`] on a thread of its own, so writing mails never holds up a request.
    pub fn spawn_mail_dispatcher(self: &Arc<Self>) -> std::io::Result<()> {
        let app = Arc::clone(self);
        // IO too: a network mailer (SES) needs it.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("mail-dispatcher".into())
            .spawn(move || runtime.block_on(app.dispatch_mails()))?;
        Ok(())
    }
}

/// The offers of `offers` that were accepted.
fn accepted(mut offers: Vec<JoinOffer>) -> Vec<JoinOffer> {
    offers.retain(|o| o.doctor_id().is_some());
    offers
}

/// Unix milliseconds now.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
