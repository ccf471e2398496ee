//! The handler's settings on AWS, read once at init from the environment, and the AWS clients
//! and key ring made from them.
//!
//! # Configuration (environment variables)
//!
//! | variable | | meaning |
//! | --- | --- | --- |
//! | `CPTS_TABLE` | required | DynamoDB table |
//! | `CPTS_SENDER` | required | sender address (`x@domain` or `Name <x@domain>`; the domain is an SES identity) |
//! | `CPTS_SITE_BASE_URL` | required | public address of the site, no trailing slash (links in emails) |
//! | `CPTS_KEYS_SECRET_ARN` | one of these two | Secrets Manager secret (id or ARN) holding the key ring |
//! | `CPTS_KEYS_FILE` | | or a key-ring file, created on first run (local runs only) |
//! | `CPTS_SES_CONFIGURATION_SET` | optional | SES configuration set of every mail |
//! | `CPTS_ALLOWED_ORIGINS` | optional | more accepted `Origin` values, comma-separated (the base URL always is) |
//! | `CPTS_SITE_TITLE` | optional | site name on the handler's pages and in the sender's name (default « Médecin traitant ») |
//! | `CPTS_PHONE_NUMBER`, `CPTS_PHONE_HOURS` | optional | the phone line shown on the pages (`CPTS_PHONE_INTERNATIONAL` is derived from a French number) |
//! | `CPTS_PRIVACY_URL` | optional | privacy page (default `/donnees-personnelles/`) |
//! | `CPTS_TERRITORY_DIR` | optional | the `territory/` folder (default: `territory` beside the binary in the Lambda package, `content/territory` elsewhere) |
//! | `CPTS_TEMPLATES_DIR` | optional | templates that replace the built-in ones of the same name, e.g. `base.html` (default: `templates` beside the binary in the Lambda package, `content/templates` elsewhere; a missing folder means the built-in templates; a broken template stops the start) |
//! | `CPTS_ORIGIN_SECRET` | optional | value CloudFront sends in `X-Cpts-Origin-Verify`; only then is `CloudFront-Viewer-Address` trusted |
//! | `CPTS_MODE` | optional | `http` (default) or `jobs` (the scheduled jobs, for any event) |
//! | `CPTS_LISTEN` | optional | address of the local server when not on Lambda (default `127.0.0.1:3000`) |
//! | `CPTS_OUTBOX_DIR` | optional | local runs: write `.eml` files there instead of sending through SES |
//! | `CPTS_DYNAMODB_ENDPOINT`, `CPTS_SES_ENDPOINT`, `CPTS_SECRETS_ENDPOINT` | optional | endpoints of local engines (DynamoDB Local, moto) |
//! | `CPTS_CREATE_TABLE` | optional | `1`: create the table at start (local engines only; read by the `cpts-handler` binary) |
//!
//! AWS region and credentials come from the usual `AWS_*` variables (set by Lambda itself).

use std::net::SocketAddr;
use std::path::PathBuf;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_secretsmanager::error::DisplayErrorContext;

use crate::app::{Config, Limits, Phone};
use crate::signed::KeyRing;

/// The templates folder: `content/templates` in a content folder, `templates` in the Lambda package.
pub const TEMPLATES_FOLDER: &str = "templates";

/// What the process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Http,
    Jobs,
}

/// The configuration read from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub table: String,
    pub sender: String,
    pub configuration_set: Option<String>,
    pub public_url: String,
    pub allowed_origins: Vec<String>,
    pub site_title: String,
    pub phone: Option<Phone>,
    pub privacy_url: String,
    pub keys_secret: Option<String>,
    pub keys_file: Option<PathBuf>,
    pub territory_dir: PathBuf,
    /// Replacements for the built-in templates (`<dir>/<same name>`); the folder may not exist.
    pub templates_dir: PathBuf,
    pub origin_secret: Option<String>,
    pub mode: Mode,
    pub listen: SocketAddr,
    pub outbox_dir: Option<PathBuf>,
    pub dynamodb_endpoint: Option<String>,
    pub ses_endpoint: Option<String>,
    pub secrets_endpoint: Option<String>,
}

impl Settings {
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `var` (the environment, or a map in tests).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let required = |name: &str| {
            get(name).ok_or_else(|| format!("variable d'environnement {name} manquante"))
        };
        let public_url = required("CPTS_SITE_BASE_URL")?
            .trim_end_matches('/')
            .to_string();
        let site_title = get("CPTS_SITE_TITLE").unwrap_or_else(|| "Médecin traitant".into());
        let sender = required("CPTS_SENDER")?;
        let sender = if sender.contains('<') {
            sender
        } else {
            format!("{} <{sender}>", site_title.replace(['<', '>', '"'], ""))
        };
        let mut allowed_origins = vec![public_url.clone()];
        if let Some(more) = get("CPTS_ALLOWED_ORIGINS") {
            allowed_origins.extend(
                more.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_string())
                    .filter(|o| !o.is_empty()),
            );
        }
        let phone = match get("CPTS_PHONE_NUMBER") {
            None => None,
            Some(number) => {
                let hours = get("CPTS_PHONE_HOURS").unwrap_or_default();
                let phone = match get("CPTS_PHONE_INTERNATIONAL") {
                    Some(international) => Some(Phone {
                        number: number.clone(),
                        international,
                        hours,
                    }),
                    None => Phone::new(number.clone(), hours),
                };
                Some(phone.ok_or_else(|| {
                    format!("CPTS_PHONE_NUMBER « {number} » : écrivez un numéro français à 10 chiffres, par exemple « 03 53 01 20 08 »")
                })?)
            }
        };
        let keys_secret = get("CPTS_KEYS_SECRET_ARN");
        let keys_file = get("CPTS_KEYS_FILE").map(PathBuf::from);
        if keys_secret.is_none() && keys_file.is_none() {
            return Err(
                "variable d'environnement CPTS_KEYS_SECRET_ARN (ou CPTS_KEYS_FILE) manquante"
                    .into(),
            );
        }
        let territory_dir = get("CPTS_TERRITORY_DIR").map_or_else(
            || match get("LAMBDA_TASK_ROOT") {
                Some(root) => PathBuf::from(root).join(territory::FOLDER),
                None => PathBuf::from("content").join(territory::FOLDER),
            },
            PathBuf::from,
        );
        let templates_dir = get("CPTS_TEMPLATES_DIR").map_or_else(
            || match get("LAMBDA_TASK_ROOT") {
                Some(root) => PathBuf::from(root).join(TEMPLATES_FOLDER),
                None => PathBuf::from("content").join(TEMPLATES_FOLDER),
            },
            PathBuf::from,
        );
        let mode = match get("CPTS_MODE").as_deref() {
            None | Some("http") => Mode::Http,
            Some("jobs") => Mode::Jobs,
            Some(other) => {
                return Err(format!(
                    "CPTS_MODE « {other} » inconnu : « http » ou « jobs »"
                ));
            }
        };
        let listen = get("CPTS_LISTEN")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .map_err(|e| format!("CPTS_LISTEN : {e}"))?;
        Ok(Self {
            table: required("CPTS_TABLE")?,
            sender,
            configuration_set: get("CPTS_SES_CONFIGURATION_SET"),
            public_url,
            allowed_origins,
            site_title,
            phone,
            privacy_url: get("CPTS_PRIVACY_URL").unwrap_or_else(|| "/donnees-personnelles/".into()),
            keys_secret,
            keys_file,
            territory_dir,
            templates_dir,
            origin_secret: get("CPTS_ORIGIN_SECRET"),
            mode,
            listen,
            outbox_dir: get("CPTS_OUTBOX_DIR").map(PathBuf::from),
            dynamodb_endpoint: get("CPTS_DYNAMODB_ENDPOINT"),
            ses_endpoint: get("CPTS_SES_ENDPOINT"),
            secrets_endpoint: get("CPTS_SECRETS_ENDPOINT"),
        })
    }

    /// The handler's configuration.
    pub fn config(&self) -> Config {
        Config {
            site_title: self.site_title.clone(),
            phone: self.phone.clone(),
            public_url: self.public_url.clone(),
            allowed_origins: self.allowed_origins.clone(),
            privacy_url: self.privacy_url.clone(),
            mail_from: self.sender.clone(),
            limits: Limits::default(),
        }
    }
}

/// The AWS clients, created once.
#[derive(Clone)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub ses: aws_sdk_sesv2::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
}

impl Clients {
    /// Region and credentials from the environment; endpoints overridden for local engines.
    pub async fn new(settings: &Settings) -> Self {
        let shared: SdkConfig = aws_config::defaults(BehaviorVersion::latest()).load().await;
        let mut dynamodb = aws_sdk_dynamodb::config::Builder::from(&shared);
        if let Some(url) = &settings.dynamodb_endpoint {
            dynamodb = dynamodb.endpoint_url(url);
        }
        let mut ses = aws_sdk_sesv2::config::Builder::from(&shared);
        if let Some(url) = &settings.ses_endpoint {
            ses = ses.endpoint_url(url);
        }
        let mut secrets = aws_sdk_secretsmanager::config::Builder::from(&shared);
        if let Some(url) = &settings.secrets_endpoint {
            secrets = secrets.endpoint_url(url);
        }
        Self {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb.build()),
            ses: aws_sdk_sesv2::Client::from_conf(ses.build()),
            secrets: aws_sdk_secretsmanager::Client::from_conf(secrets.build()),
        }
    }
}

/// The key ring in a secret's text. Either the ring as `cpts` writes it
/// (`{"current": "k2", "keys": {"k1": "…", "k2": "…"}}`), or flat, as the SAM template generates it
/// (`{"current": "k1", "k1": "…"}`: every other string member is a key).
pub fn key_ring_from_secret(text: &str) -> Result<KeyRing, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("trousseau de clés illisible : {e}"))?;
    let object = value
        .as_object()
        .ok_or("trousseau de clés : un objet JSON est attendu")?;
    let current = object
        .get("current")
        .and_then(|c| c.as_str())
        .ok_or("trousseau de clés : « current » manquant")?
        .to_string();
    let keys = match object.get("keys") {
        Some(keys) => serde_json::from_value(keys.clone())
            .map_err(|e| format!("trousseau de clés : « keys » : {e}"))?,
        None => object
            .iter()
            .filter(|(k, _)| *k != "current")
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
    };
    let ring = KeyRing { current, keys };
    ring.validate()
        .map_err(|e| format!("trousseau de clés : {e}"))?;
    Ok(ring)
}

/// The key ring, from Secrets Manager (or the local file).
pub async fn load_keys(settings: &Settings, clients: &Clients) -> Result<KeyRing, String> {
    if let Some(id) = &settings.keys_secret {
        let output = clients
            .secrets
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| format!("secret {id} : {}", DisplayErrorContext(&e)))?;
        let text = output
            .secret_string()
            .ok_or_else(|| format!("secret {id} : pas de SecretString"))?;
        return key_ring_from_secret(text);
    }
    let path = settings
        .keys_file
        .as_ref()
        .ok_or("ni CPTS_KEYS_SECRET_ARN ni CPTS_KEYS_FILE")?;
    KeyRing::load_or_create(path).map_err(|e| format!("trousseau de clés : {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    const BASE: [(&str, &str); 4] = [
        ("CPTS_TABLE", "cpts"),
        ("CPTS_SENDER", "ne-pas-repondre@example.org"),
        ("CPTS_SITE_BASE_URL", "https://medecin.example.org/"),
        (
            "CPTS_KEYS_SECRET_ARN",
            "arn:aws:secretsmanager:eu-west-3:1:secret:k",
        ),
    ];

    #[test]
    fn settings_from_environment() {
        let mut pairs = BASE.to_vec();
        pairs.extend([
            ("CPTS_SITE_TITLE", "Médecin traitant Ardennes"),
            ("CPTS_PHONE_NUMBER", "03 53 01 20 08"),
            (
                "CPTS_ALLOWED_ORIGINS",
                "https://a.example.org, https://b.example.org/",
            ),
            ("CPTS_MODE", "jobs"),
        ]);
        let s = settings(&pairs).unwrap();
        assert_eq!(s.public_url, "https://medecin.example.org");
        assert_eq!(
            s.sender,
            "Médecin traitant Ardennes <ne-pas-repondre@example.org>"
        );
        assert_eq!(
            s.allowed_origins,
            [
                "https://medecin.example.org",
                "https://a.example.org",
                "https://b.example.org"
            ]
        );
        assert_eq!(s.phone.unwrap().international, "+33353012008");
        assert_eq!(s.mode, Mode::Jobs);
        assert_eq!(s.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(s.templates_dir, PathBuf::from("content/templates"));
        pairs.push(("LAMBDA_TASK_ROOT", "/var/task"));
        let s = settings(&pairs).unwrap();
        assert_eq!(s.templates_dir, PathBuf::from("/var/task/templates"));
        pairs.push(("CPTS_TEMPLATES_DIR", "/opt/modeles"));
        let s = settings(&pairs).unwrap();
        assert_eq!(s.templates_dir, PathBuf::from("/opt/modeles"));
    }

    #[test]
    fn missing_settings_are_named() {
        let pairs: Vec<_> = BASE
            .iter()
            .copied()
            .filter(|(k, _)| *k != "CPTS_TABLE")
            .collect();
        assert!(settings(&pairs).unwrap_err().contains("CPTS_TABLE"));
        let mut pairs = BASE.to_vec();
        pairs.push(("CPTS_MODE", "batch"));
        assert!(settings(&pairs).unwrap_err().contains("CPTS_MODE"));
    }

    #[test]
    fn key_ring_in_both_shapes() {
        let ring = KeyRing::generate();
        let text = serde_json::to_string(&ring).unwrap();
        let read = key_ring_from_secret(&text).unwrap();
        assert_eq!(read.current, ring.current);
        assert_eq!(read.keys, ring.keys);

        // As the SAM template generates it: 64 letters and digits are valid base64url.
        let flat = format!(r#"{{"current": "k1", "k1": "{}"}}"#, "aB3".repeat(21) + "x");
        let read = key_ring_from_secret(&flat).unwrap();
        let token = read.sign("form", "abc", 2_000_000_000);
        assert!(read.verify(&token, "form", 1_000_000_000).is_ok());

        assert!(key_ring_from_secret(r#"{"current": "k2", "k1": "x"}"#).is_err());
        // An empty, short or malformed key would let links be forged or fail every request.
        for (secret, said) in [
            ("", "est vide"),
            ("aB3aB3aB3aB3", "ne fait que 9 octets"),
            ("pas du base64", "pas du base64url valide"),
        ] {
            for text in [
                format!(r#"{{"current": "k1", "k1": "{secret}"}}"#),
                format!(r#"{{"current": "k1", "keys": {{"k1": "{secret}"}}}}"#),
            ] {
                let error = key_ring_from_secret(&text).unwrap_err();
                assert!(error.contains(said), "{text}: {error}");
            }
        }
        assert!(key_ring_from_secret("nope").is_err());
    }
}
