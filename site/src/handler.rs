//! The form handler on one machine, as `cpts serve` and `cpts jobs run` both open it: the
//! settings from `site.toml`, the territory from `content/territory/`, the templates with the
//! overrides of `content/templates/`, and from the data folder the SQLite file, the signing keys
//! and the outbox.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use functions::domain::lifecycle::Mail;
use functions::mail::{Dkim, MailError, Mailer, Outbox, Security, SmtpMailer, SmtpSettings};
use functions::signed::KeyRing;
use functions::store::SqliteStore;
use functions::view::View;
use functions::workflow::JobReport;
use territory::{Diagnostic, Territory};

use crate::{config, registration_pages, symlinks, templates};

/// The handler with its local store and its mailer.
pub type LocalApp = functions::App<SqliteStore, LocalMailer>;

/// The mailer on one machine: SMTP when `CPTS_SMTP_HOST` is set, otherwise the outbox folder.
pub enum LocalMailer {
    Outbox(Outbox),
    Smtp(SmtpMailer),
}

impl Mailer for LocalMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        match self {
            LocalMailer::Outbox(m) => m.send(mail).await,
            LocalMailer::Smtp(m) => m.send(mail).await,
        }
    }

    async fn forget(&self, address: &str) -> Result<usize, MailError> {
        match self {
            LocalMailer::Outbox(m) => m.forget(address).await,
            LocalMailer::Smtp(m) => m.forget(address).await,
        }
    }
}

/// The SMTP settings from the environment: `CPTS_SMTP_HOST` (none: no SMTP),
/// `CPTS_SMTP_SECURITY` (`tls`, `starttls` — the default — or `none` for a relay on loopback),
/// `CPTS_SMTP_PORT` (465, 587 or 25 by default), `CPTS_SMTP_USER` and `CPTS_SMTP_PASSWORD`,
/// `CPTS_MAIL_FROM` (the sender, `from` by default), and DKIM signing ([`dkim_settings`]). The
/// error is a French sentence.
pub fn smtp_settings(
    var: impl Fn(&str) -> Option<String>,
    from: &str,
) -> Result<Option<SmtpSettings>, String> {
    let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    let Some(host) = var("CPTS_SMTP_HOST") else {
        return Ok(None);
    };
    let security = match var("CPTS_SMTP_SECURITY") {
        None => Security::StartTls,
        Some(s) => Security::parse(&s).ok_or_else(|| {
            format!("CPTS_SMTP_SECURITY vaut « {s} » : écrivez tls, starttls ou none.")
        })?,
    };
    if security == Security::None && !matches!(host.as_str(), "127.0.0.1" | "::1" | "localhost") {
        return Err(format!(
            "CPTS_SMTP_SECURITY=none n'est permis que vers cette machine (127.0.0.1), pas vers {host} : écrivez tls ou starttls."
        ));
    }
    let mut settings = SmtpSettings::new(
        host,
        security,
        var("CPTS_MAIL_FROM").unwrap_or_else(|| from.to_string()),
    );
    if let Some(port) = var("CPTS_SMTP_PORT") {
        settings.port = port.trim().parse().map_err(|_| {
            format!("CPTS_SMTP_PORT vaut « {port} » : écrivez un numéro de port, par exemple 587.")
        })?;
    }
    match (var("CPTS_SMTP_USER"), var("CPTS_SMTP_PASSWORD")) {
        (Some(user), Some(password)) => settings.credentials = Some((user, password)),
        (None, None) => {}
        _ => {
            return Err(
                "Donnez CPTS_SMTP_USER et CPTS_SMTP_PASSWORD ensemble, ou aucun des deux.".into(),
            );
        }
    }
    settings.dkim = dkim_settings(var, &settings.from)?;
    Ok(Some(settings))
}

/// DKIM signing from the environment, all three or none: `CPTS_DKIM_DOMAIN` (the domain of
/// `CPTS_MAIL_FROM`), `CPTS_DKIM_SELECTOR` and `CPTS_DKIM_KEY` (the path of the PEM private key,
/// which only its owner should read: a warning on the console otherwise). The error is a French
/// sentence; neither it nor the warning quotes the key.
pub fn dkim_settings(
    var: impl Fn(&str) -> Option<String>,
    from: &str,
) -> Result<Option<Dkim>, String> {
    let names = ["CPTS_DKIM_DOMAIN", "CPTS_DKIM_SELECTOR", "CPTS_DKIM_KEY"];
    let (domain, selector, key) = match names.map(|n| var(n).filter(|v| !v.trim().is_empty())) {
        [None, None, None] => return Ok(None),
        [Some(domain), Some(selector), Some(key)] => (domain, selector, key),
        values => {
            let missing: Vec<&str> = names
                .iter()
                .zip(&values)
                .filter(|(_, v)| v.is_none())
                .map(|(n, _)| *n)
                .collect();
            return Err(format!(
                "Signature DKIM incomplète : {} manque. Donnez CPTS_DKIM_DOMAIN, CPTS_DKIM_SELECTOR et CPTS_DKIM_KEY ensemble, ou aucun des trois.",
                missing.join(" et ")
            ));
        }
    };
    let path = Path::new(key.trim());
    let pem = std::fs::read_to_string(path).map(zeroize::Zeroizing::new).map_err(|e| {
        format!(
            "CPTS_DKIM_KEY : impossible de lire {} ({e}). Donnez le chemin du fichier de la clé privée, par exemple /etc/cpts/dkim.pem, lisible par le service.",
            path.display()
        )
    })?;
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path)
        && let Some(warning) = key_file_warning(
            path,
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()),
        )
    {
        eprintln!("{warning}");
    }
    let dkim = Dkim::new(&domain, &selector, &pem).map_err(|e| match e {
        functions::mail::DkimError::Domain => {
            format!("CPTS_DKIM_DOMAIN vaut « {domain} » : {e}.")
        }
        functions::mail::DkimError::Selector => {
            format!("CPTS_DKIM_SELECTOR vaut « {selector} » : {e}.")
        }
        _ => format!(
            "CPTS_DKIM_KEY ({}) : {e}. Créez la clé avec « openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out {} ».",
            path.display(),
            path.display()
        ),
    })?;
    if !dkim.signs_for(from) {
        return Err(format!(
            "CPTS_DKIM_DOMAIN vaut « {domain} » mais les courriels partent de « {from} » (CPTS_MAIL_FROM) : \
             les destinataires n'acceptent que la signature du domaine de l'expéditeur. \
             Écrivez dans CPTS_DKIM_DOMAIN le domaine de l'adresse de CPTS_MAIL_FROM."
        ));
    }
    Ok(Some(dkim))
}

/// The warning for a key file others may read (`mode` its permission bits), in French.
pub fn key_file_warning(path: &Path, mode: u32) -> Option<String> {
    (mode & 0o077 != 0).then(|| {
        format!(
            "Attention : la clé DKIM {} peut être lue par d'autres comptes que son propriétaire (droits {:o}). \
             Corrigez avec « chmod 600 {} ».",
            path.display(),
            mode & 0o777,
            path.display()
        )
    })
}

pub const DATABASE_FILE: &str = "cpts.sqlite";
pub const KEYS_FILE: &str = "keys.json";
pub const OUTBOX_DIR: &str = "outbox";
/// The file `cpts serve` and `cpts jobs run` hold a shared lock on while they use the data
/// folder, and `cpts restore` an exclusive one while it replaces the database.
pub const LOCK_FILE: &str = "cpts.lock";

/// Where and how to open the handler.
pub struct Setup<'a> {
    pub content: &'a Path,
    /// The data folder (`.cpts` by default).
    pub data: &'a Path,
    /// Where the links in emails point to.
    pub links: Links,
    /// The date the territory's declarations are read on.
    pub today: NaiveDate,
    /// Create the data folder, database and keys when missing (`cpts serve`); otherwise a missing
    /// database is an error (`cpts jobs run` on a mistyped folder must not start an empty one).
    pub create: bool,
}

/// Where the links in emails point to, and which origins may send the forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// `cpts serve` and `cpts jobs run`: http://127.0.0.1:`port` (a preview on this machine).
    Loopback(u16),
    /// `cpts run`: the public address of the site, `base_url` of `site.toml`, which must be https
    /// (plain http is accepted for this machine only: 127.0.0.1, localhost, [::1]).
    BaseUrl,
}

/// Whether `url` may be the public address of the production server: https, or plain http to
/// this machine only (a test or a tunnel). The error is a French sentence.
pub fn check_public_url(url: &str) -> Result<(), String> {
    let uri = url.parse::<axum::http::Uri>().ok();
    let host = uri.as_ref().and_then(|u| u.host()).unwrap_or("");
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]" | "::1");
    match uri.as_ref().and_then(|u| u.scheme_str()) {
        Some("https") if !host.is_empty() => Ok(()),
        Some("http") if loopback => Ok(()),
        _ => Err(format!(
            "base_url = « {url} » dans site.toml : « cpts run » envoie dans les courriels des liens vers cette adresse, \
             elle doit commencer par https:// (par exemple « https://medecin-traitant-ardennes.fr »). \
             Corrigez site.toml puis relancez."
        )),
    }
}

/// The handler's settings: the site's name and phone number, and the address links point to.
/// The error (a `base_url` that production cannot use) is a French sentence.
pub fn config(content: &Path, links: Links) -> Result<functions::Config, String> {
    let mut diagnostics = Vec::new();
    let site = config::load(content, &mut diagnostics);
    let title = site
        .as_ref()
        .map_or_else(|| "CPTS".to_string(), |c| c.title.clone());
    let origins = match links {
        Links::Loopback(port) => vec![
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}"),
        ],
        Links::BaseUrl => {
            let Some(site) = &site else {
                let errors: String = diagnostics.iter().map(|d| format!("{d}\n")).collect();
                return Err(format!(
                    "{errors}site.toml illisible : « cpts run » a besoin de son base_url pour les liens des courriels."
                ));
            };
            check_public_url(&site.base_url)?;
            vec![site.base_url.clone()]
        }
    };
    Ok(functions::Config {
        // site.toml's number was checked by config::load: `new` dials it the same way.
        phone: site
            .and_then(|c| c.phone)
            .and_then(|p| functions::Phone::new(p.number, p.hours)),
        mail_from: format!(
            "{} <ne-pas-repondre@cpts.invalid>",
            title.replace(['<', '>', '"'], "")
        ),
        site_title: title,
        public_url: origins[0].clone(),
        allowed_origins: origins,
        privacy_url: registration_pages::PRIVACY_URL.into(),
        limits: functions::Limits::default(),
    })
}

/// The handler's templates, each replaced by `content/templates/<same name>` when present; a
/// broken one is an error that names its file, line and column.
pub fn load_view(content: &Path) -> Result<View, Diagnostic> {
    if let Some(link) = symlinks::refuse(content).into_iter().next() {
        return Err(link);
    }
    View::load(Some(&content.join(templates::OVERRIDES_DIR)))
}

/// The territory as published in `content/territory/`, or its errors.
pub fn load_territory(content: &Path, today: NaiveDate) -> Result<Territory, Vec<Diagnostic>> {
    let links = symlinks::refuse(content);
    if !links.is_empty() {
        return Err(links);
    }
    territory::load_published(&content.join(territory::FOLDER), today)
}

pub fn outbox_dir(data: &Path) -> PathBuf {
    data.join(OUTBOX_DIR)
}

/// Creates `dir` and the folders above it that are missing, readable by their owner only: the
/// data folder holds every request and the keys that sign links.
pub(crate) fn private_folder(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes `path` readable and writable by its owner only, creating it empty when missing (SQLite
/// gives its `-wal` and `-shm` files the database file's mode).
fn private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?;
    #[cfg(unix)]
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    Ok(())
}

/// A lock on the data folder's [`LOCK_FILE`], released when dropped (or when the process dies:
/// the system releases it, a crash leaves no stale lock behind).
#[derive(Debug)]
pub struct DataLock {
    _file: std::fs::File,
}

impl DataLock {
    fn file(data: &Path) -> Result<std::fs::File, String> {
        let path = data.join(LOCK_FILE);
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options
            .open(&path)
            .map_err(|e| format!("{} : {e}", path.display()))
    }

    /// Shared: several `cpts serve` and `cpts jobs run` may use the folder together (SQLite
    /// orders their writes), but not while a restore replaces the database under them.
    pub fn shared(data: &Path) -> Result<Self, String> {
        let file = Self::file(data)?;
        match file.try_lock_shared() {
            Ok(()) => Ok(Self { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(format!(
                "Une restauration (« cpts restore ») est en cours dans {} : attendez qu'elle finisse, puis relancez.",
                data.display()
            )),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(format!("{} : {e}", data.join(LOCK_FILE).display()))
            }
        }
    }

    /// Exclusive: nobody else uses the folder, and nobody can start using it until dropped.
    pub fn exclusive(data: &Path) -> Result<Self, String> {
        let file = Self::file(data)?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(format!(
                "Le dossier de données {} est utilisé par un serveur (« cpts serve ») ou des tâches (« cpts jobs run ») : \
                 arrêtez-les (par exemple « systemctl stop cpts »), puis relancez.",
                data.display()
            )),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(format!("{} : {e}", data.join(LOCK_FILE).display()))
            }
        }
    }
}

/// The handler, opened.
pub struct Opened {
    pub app: Arc<LocalApp>,
    /// Held as long as the handler uses the data folder: `cpts restore` refuses meanwhile.
    pub lock: DataLock,
    /// The territory could not be read: the handler has an empty one (the form finds no commune,
    /// and jobs must not run: their mails would have no coordinator to go to).
    pub territory_errors: Option<Vec<Diagnostic>>,
}

/// Opens the store, keys and outbox of the data folder and builds the handler. The error is a
/// French sentence for the console.
pub fn open(setup: &Setup) -> Result<Opened, String> {
    let data = setup.data;
    let database = data.join(DATABASE_FILE);
    if !setup.create && !database.is_file() {
        return Err(format!(
            "Aucune base de données dans {} : vérifiez --data (le dossier de données de « cpts serve », .cpts par défaut).",
            data.display()
        ));
    }
    let outbox = outbox_dir(data);
    private_folder(&outbox)
        .map_err(|e| format!("Impossible de créer {} : {e}", outbox.display()))?;
    let lock = DataLock::shared(data)?;
    private_file(&database).map_err(|e| format!("Base de données {} : {e}", database.display()))?;
    let store = SqliteStore::open(&database)
        .map_err(|e| format!("Base de données {} : {e}", database.display()))?;
    let keys_file = data.join(KEYS_FILE);
    // New keys beside a database that already sent links would kill every emailed link and
    // every open form without a word: the keys were lost, they must come back.
    if !keys_file.exists() {
        let requests = store
            .request_count()
            .map_err(|e| format!("Base de données {} : {e}", database.display()))?;
        if requests > 0 {
            return Err(format!(
                "Les clés de signature ont disparu : {} manque alors que la base {} contient {requests} demande(s). \
                 De nouvelles clés rendraient invalides tous les liens déjà envoyés par courriel. \
                 Restaurez keys.json depuis la sauvegarde (« cpts backup ») puis relancez.",
                keys_file.display(),
                database.display()
            ));
        }
    }
    let keys = KeyRing::load_or_create(&keys_file)
        .map_err(|e| format!("Clés de signature refusées : {e}"))?;
    // A broken template would give people broken pages and mails: the handler does not start.
    let view = load_view(setup.content).map_err(|d| {
        format!("{d}\nLe gestionnaire du formulaire ne démarre pas : corrigez ce modèle.")
    })?;
    let config = config(setup.content, setup.links)?;
    let mailer = match smtp_settings(|name| std::env::var(name).ok(), &config.mail_from)? {
        Some(settings) => LocalMailer::Smtp(
            SmtpMailer::new(settings).map_err(|e| format!("Réglages SMTP : {e}"))?,
        ),
        None => LocalMailer::Outbox(Outbox {
            dir: outbox,
            from: config.mail_from.clone(),
            print_paths: true,
        }),
    };
    let (territory, territory_errors) = match load_territory(setup.content, setup.today) {
        Ok(t) => (t, None),
        Err(errors) => (
            Territory::new(Vec::new(), Vec::new(), Vec::new()),
            Some(errors),
        ),
    };
    let app = functions::App::new(config, Arc::new(territory), keys, store, mailer);
    app.replace_view(view);
    Ok(Opened {
        app,
        lock,
        territory_errors,
    })
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n > 1 { many } else { one })
}

/// What a jobs run did, in French, one line per kind of work.
pub fn describe(report: &JobReport) -> Vec<String> {
    let r = report;
    vec![
        format!("Propositions expirées sans réponse : {}", r.expired),
        format!("Rappels envoyés avant expiration : {}", r.reminded),
        format!(
            "Patients prévenus qu'un médecin les accepte : {}",
            r.informed
        ),
        format!(
            "Médecins proposés à des demandes en attente : {}",
            r.proposed
        ),
        format!(
            "Demandes toujours en attente d'un médecin : {}",
            r.still_waiting
        ),
        format!(
            "Courriels : {}, {}",
            plural(r.mails_sent, "envoyé", "envoyés"),
            if r.mails_failed == 0 {
                "aucun en échec".to_string()
            } else {
                format!("{} en échec (nouvel essai plus tard)", r.mails_failed)
            }
        ),
        format!(
            "Supprimés car leur durée de conservation est passée : {}, {}, {}, {}, {}",
            plural(r.purged.requests, "demande", "demandes"),
            plural(
                r.purged.audit_entries,
                "ligne du journal des accès",
                "lignes du journal des accès"
            ),
            plural(r.purged.sent_mails, "courriel envoyé", "courriels envoyés"),
            plural(
                r.purged.technical,
                "session ou lien de connexion",
                "sessions ou liens de connexion"
            ),
            plural(
                r.purged.join_offers,
                "proposition de médecin refusée",
                "propositions de médecins refusées"
            ),
        ),
    ]
}

/// One line for the server's console when a jobs run did something, `None` otherwise.
pub fn summary(report: &JobReport) -> Option<String> {
    let r = report;
    let parts: Vec<String> = [
        (r.expired, "proposition(s) expirée(s)"),
        (r.reminded, "rappel(s)"),
        (r.informed, "patient(s) prévenu(s)"),
        (r.proposed, "médecin(s) proposé(s)"),
        (
            r.confirmations_asked,
            "médecin(s) invité(s) à confirmer sa disponibilité",
        ),
        (
            r.confirmations_reminded,
            "relance(s) de confirmation de disponibilité",
        ),
        (r.mails_failed, "courriel(s) en échec"),
        (
            r.purged.requests,
            "demande(s) supprimée(s) (durée de conservation passée)",
        ),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() {
        return None;
    }
    Some(format!(
        "Tâches : {} ; {} demande(s) toujours en attente.",
        parts.join(", "),
        r.still_waiting
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Option<SmtpSettings>, String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        smtp_settings(
            |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
            "CPTS <ne-pas-repondre@cpts.invalid>",
        )
    }

    #[test]
    fn production_links_must_be_https_except_to_this_machine() {
        for ok in [
            "https://medecin-traitant-ardennes.fr",
            "https://127.0.0.1:8443",
            "http://127.0.0.1:8080",
            "http://localhost:8080",
            "http://[::1]:8080",
        ] {
            assert_eq!(check_public_url(ok), Ok(()), "{ok}");
        }
        for refused in [
            "http://medecin-traitant-ardennes.fr",
            "http://127.0.0.1.example.org",
            "ftp://example.org",
            "medecin.fr",
        ] {
            let e = check_public_url(refused).unwrap_err();
            assert!(e.contains("https://"), "{refused}: {e}");
        }
    }

    #[test]
    fn smtp_is_chosen_only_when_a_host_is_given() {
        assert!(settings(&[]).unwrap().is_none());
        let s = settings(&[("CPTS_SMTP_HOST", "smtp.example.org")])
            .unwrap()
            .unwrap();
        assert_eq!((s.security, s.port), (Security::StartTls, 587));
        let s = settings(&[
            ("CPTS_SMTP_HOST", "smtp.example.org"),
            ("CPTS_SMTP_SECURITY", "tls"),
            ("CPTS_SMTP_USER", "cpts"),
            ("CPTS_SMTP_PASSWORD", "secret"),
            ("CPTS_MAIL_FROM", "CPTS <contact@cpts.example>"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!((s.security, s.port), (Security::Tls, 465));
        assert_eq!(s.from, "CPTS <contact@cpts.example>");
        assert!(s.credentials.is_some());
    }

    #[test]
    fn unsafe_or_unreadable_smtp_settings_are_refused_in_french() {
        let e = settings(&[
            ("CPTS_SMTP_HOST", "smtp.example.org"),
            ("CPTS_SMTP_SECURITY", "none"),
        ])
        .unwrap_err();
        assert!(e.contains("127.0.0.1"), "{e}");
        let e = settings(&[("CPTS_SMTP_HOST", "h"), ("CPTS_SMTP_PORT", "x")]).unwrap_err();
        assert!(e.contains("CPTS_SMTP_PORT"), "{e}");
        let e = settings(&[("CPTS_SMTP_HOST", "h"), ("CPTS_SMTP_USER", "u")]).unwrap_err();
        assert!(e.contains("ensemble"), "{e}");
    }

    /// RFC 8410 §10.3's example Ed25519 private key (a published test vector, signs nothing real).
    const ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
        MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n\
        -----END PRIVATE KEY-----\n";

    fn with_dkim(extra: &[(&str, &str)]) -> Result<Option<SmtpSettings>, String> {
        let mut vars = vec![
            ("CPTS_SMTP_HOST", "smtp.example.org"),
            ("CPTS_MAIL_FROM", "CPTS <ne-pas-repondre@cpts-ardennes.fr>"),
        ];
        vars.extend_from_slice(extra);
        settings(&vars)
    }

    #[test]
    fn dkim_is_set_by_its_three_variables() {
        let folder = tempfile::tempdir().unwrap();
        let key = folder.path().join("dkim.pem");
        std::fs::write(&key, ED25519_PEM).unwrap();
        let key = key.to_str().unwrap();
        assert!(with_dkim(&[]).unwrap().unwrap().dkim.is_none());
        let s = with_dkim(&[
            ("CPTS_DKIM_DOMAIN", "CPTS-Ardennes.fr"),
            ("CPTS_DKIM_SELECTOR", "cpts"),
            ("CPTS_DKIM_KEY", key),
        ])
        .unwrap()
        .unwrap();
        let dkim = s.dkim.unwrap();
        assert_eq!(
            (dkim.domain(), dkim.selector(), dkim.algorithm()),
            ("cpts-ardennes.fr", "cpts", "ed25519")
        );
        // The settings may be printed: the key is not.
        let shown = format!("{dkim:?}");
        assert!(!shown.contains("MC4C"), "{shown}");
    }

    #[test]
    fn partial_unreadable_or_misaligned_dkim_settings_are_refused_in_french() {
        let folder = tempfile::tempdir().unwrap();
        let key = folder.path().join("dkim.pem");
        std::fs::write(&key, ED25519_PEM).unwrap();
        let key = key.to_str().unwrap();
        let domain = ("CPTS_DKIM_DOMAIN", "cpts-ardennes.fr");
        let selector = ("CPTS_DKIM_SELECTOR", "cpts");
        let file = ("CPTS_DKIM_KEY", key);
        // Any one or two of the three.
        for (given, missing) in [
            (vec![domain], "CPTS_DKIM_SELECTOR et CPTS_DKIM_KEY manque"),
            (vec![selector], "CPTS_DKIM_DOMAIN et CPTS_DKIM_KEY manque"),
            (vec![file], "CPTS_DKIM_DOMAIN et CPTS_DKIM_SELECTOR manque"),
            (vec![domain, selector], "CPTS_DKIM_KEY manque"),
            (vec![domain, file], "CPTS_DKIM_SELECTOR manque"),
            (vec![selector, file], "CPTS_DKIM_DOMAIN manque"),
        ] {
            let e = with_dkim(&given).unwrap_err();
            assert!(
                e.contains(missing) && e.contains("ensemble"),
                "{given:?}: {e}"
            );
        }
        // A file that is not there.
        let absent = folder.path().join("absente.pem");
        let e = with_dkim(&[
            domain,
            selector,
            ("CPTS_DKIM_KEY", absent.to_str().unwrap()),
        ])
        .unwrap_err();
        assert!(e.starts_with("CPTS_DKIM_KEY : impossible de lire"), "{e}");
        assert!(e.contains("absente.pem"), "{e}");
        // A file that holds no private key: the fix is how to make one.
        for text in [
            "bonjour",
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            let bad = folder.path().join("mauvaise.pem");
            std::fs::write(&bad, text).unwrap();
            let e = with_dkim(&[domain, selector, ("CPTS_DKIM_KEY", bad.to_str().unwrap())])
                .unwrap_err();
            assert!(e.starts_with("CPTS_DKIM_KEY ("), "{e}");
            assert!(e.contains("openssl genpkey"), "{e}");
            assert!(!e.contains("AAAA") && !e.contains("MCow"), "{e}");
        }
        // A name that is not one.
        let e = with_dkim(&[("CPTS_DKIM_DOMAIN", "cpts ardennes"), selector, file]).unwrap_err();
        assert!(e.starts_with("CPTS_DKIM_DOMAIN vaut"), "{e}");
        let e = with_dkim(&[domain, ("CPTS_DKIM_SELECTOR", "cpts_2025"), file]).unwrap_err();
        assert!(e.starts_with("CPTS_DKIM_SELECTOR vaut"), "{e}");
        // Another domain than the sender's: DMARC would not count the signature.
        for other in ["autre.fr", "mail.cpts-ardennes.fr"] {
            let e = with_dkim(&[("CPTS_DKIM_DOMAIN", other), selector, file]).unwrap_err();
            assert!(
                e.contains("CPTS_DKIM_DOMAIN") && e.contains("CPTS_MAIL_FROM"),
                "{other}: {e}"
            );
        }
    }

    #[test]
    fn a_key_file_others_can_read_is_warned_about() {
        let path = Path::new("/etc/cpts/dkim.pem");
        assert_eq!(key_file_warning(path, 0o100600), None);
        assert_eq!(key_file_warning(path, 0o100400), None);
        for mode in [0o100644, 0o100640, 0o100604] {
            let w = key_file_warning(path, mode).unwrap();
            assert!(w.contains("chmod 600 /etc/cpts/dkim.pem"), "{w}");
        }
    }
}
