//! DKIM signing (RFC 6376) of the messages the SMTP mailer sends, with lettre's signer: the
//! receiver fetches the public key from `<selector>._domainkey.<domain>` and checks that the
//! signed headers and the body are those the CPTS sent.
//!
//! The key is a PEM file: RSA (PKCS#1 `BEGIN RSA PRIVATE KEY` or PKCS#8 `BEGIN PRIVATE KEY`, at
//! least 1024 bits, 2048 advised: `rsa-sha256` is what every receiver verifies) or Ed25519 (PKCS#8,
//! `ed25519-sha256`, RFC 8463). Nothing here prints the key: [`Dkim`]'s `Debug` shows the domain
//! and the selector only, and the errors never quote the file.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use lettre::Message;
use lettre::message::Mailbox;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey, dkim_sign,
};
use lettre::message::header::HeaderName;

/// The headers signed, when the message has them. A header listed but absent is signed as absent
/// (RFC 6376 §5.4): a `Reply-To` added on the way breaks the signature. `Content-Type` is not
/// among them: lettre writes it with the body, out of the signer's sight (listed, it would be
/// signed as absent and every signature would fail); the body hash covers the parts, their own
/// `Content-Type` and `Content-Transfer-Encoding` included.
pub const SIGNED_HEADERS: [&str; 7] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "MIME-Version",
];

/// Smallest RSA key accepted (RFC 8301: receivers ignore signatures by smaller keys).
pub const MIN_RSA_BITS: usize = 1024;

/// How the SMTP mailer signs: the domain (`d=`), the selector (`s=`) and the private key.
#[derive(Clone)]
pub struct Dkim {
    domain: String,
    selector: String,
    algorithm: DkimSigningAlgorithm,
    config: Arc<DkimConfig>,
}

/// Why a DKIM setting is refused; the sentence is French and never quotes the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DkimError {
    /// The domain is not a domain name (`example.org`).
    Domain,
    /// The selector is not one or more DNS labels (`cpts`, `2025.cpts`).
    Selector,
    /// The file holds no PEM private key that can be read (`detail` says what was seen).
    Key { detail: &'static str },
    /// An RSA key of `bits` bits, under [`MIN_RSA_BITS`].
    WeakKey { bits: usize },
}

impl fmt::Display for DkimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DkimError::Domain => write!(
                f,
                "ce n'est pas un nom de domaine (par exemple cpts-ardennes.fr)"
            ),
            DkimError::Selector => write!(
                f,
                "un sélecteur s'écrit avec des lettres, des chiffres et des tirets (par exemple cpts)"
            ),
            DkimError::Key { detail } => write!(f, "clé privée illisible : {detail}"),
            DkimError::WeakKey { bits } => write!(
                f,
                "clé RSA de {bits} bits, trop courte : les destinataires l'ignorent sous {MIN_RSA_BITS} bits, créez-en une de 2048 bits"
            ),
        }
    }
}

impl std::error::Error for DkimError {}

/// One or more DNS labels of letters, digits and inner hyphens, separated by dots.
fn dns_name(name: &str, min_labels: usize) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    name.len() <= 253
        && labels.len() >= min_labels
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// The signing key from a PEM text, and its algorithm.
fn signing_key(pem: &str) -> Result<(DkimSigningKey, DkimSigningAlgorithm), DkimError> {
    use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey, LineEnding};
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::traits::PublicKeyParts;

    let pem = pem.trim();
    let label = pem
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .trim_start_matches("-----BEGIN ")
        .trim_end_matches("-----");
    let unreadable = |detail| DkimError::Key { detail };
    let rsa = match label {
        "RSA PRIVATE KEY" => Some(
            rsa::RsaPrivateKey::from_pkcs1_pem(pem)
                .map_err(|_| unreadable("le bloc « RSA PRIVATE KEY » est abîmé"))?,
        ),
        "PRIVATE KEY" => rsa::RsaPrivateKey::from_pkcs8_pem(pem).ok(),
        "ENCRYPTED PRIVATE KEY" => {
            return Err(unreadable(
                "elle est protégée par un mot de passe, le service ne peut pas l'ouvrir",
            ));
        }
        "PUBLIC KEY" | "RSA PUBLIC KEY" => {
            return Err(unreadable(
                "c'est une clé publique : donnez le fichier de la clé privée",
            ));
        }
        _ => return Err(unreadable("pas de bloc « BEGIN PRIVATE KEY » (format PEM)")),
    };
    let lettre_key = |text: &str, algorithm| {
        DkimSigningKey::new(text, algorithm)
            .map(|key| (key, algorithm))
            .map_err(|_| unreadable("lettre refuse la clé"))
    };
    if let Some(key) = rsa {
        let bits = key.size() * 8;
        if bits < MIN_RSA_BITS {
            return Err(DkimError::WeakKey { bits });
        }
        // lettre reads RSA keys as PKCS#1 only: a PKCS#8 key is rewritten (in memory, wiped after).
        let pkcs1 = key
            .to_pkcs1_pem(LineEnding::LF)
            .map_err(|_| unreadable("clé RSA impossible à relire"))?;
        return lettre_key(&pkcs1, DkimSigningAlgorithm::Rsa);
    }
    let ed25519 = ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
        .map_err(|_| unreadable("ni une clé RSA ni une clé Ed25519"))?;
    let seed = zeroize::Zeroizing::new(
        base64::engine::general_purpose::STANDARD.encode(ed25519.to_bytes()),
    );
    lettre_key(&seed, DkimSigningAlgorithm::Ed25519)
}

impl Dkim {
    /// Signs for `domain` with the key published under `selector`; `pem` is the private key file's
    /// text.
    pub fn new(domain: &str, selector: &str, pem: &str) -> Result<Self, DkimError> {
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        if !dns_name(&domain, 2) {
            return Err(DkimError::Domain);
        }
        let selector = selector.trim().to_string();
        if !dns_name(&selector, 1) {
            return Err(DkimError::Selector);
        }
        let (key, algorithm) = signing_key(pem)?;
        let config = DkimConfig::new(
            selector.clone(),
            domain.clone(),
            key,
            SIGNED_HEADERS
                .into_iter()
                .map(HeaderName::new_from_ascii_str)
                .collect(),
            // Relaxed both ways: a relay that re-folds a header or trims trailing spaces keeps the
            // signature valid.
            DkimCanonicalization {
                header: DkimCanonicalizationType::Relaxed,
                body: DkimCanonicalizationType::Relaxed,
            },
        );
        Ok(Self {
            domain,
            selector,
            algorithm,
            config: Arc::new(config),
        })
    }

    /// The signing domain (`d=`), in lower case.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub fn selector(&self) -> &str {
        &self.selector
    }

    /// `rsa` or `ed25519` (the `k=` of the DNS record).
    pub fn algorithm(&self) -> &'static str {
        match self.algorithm {
            DkimSigningAlgorithm::Rsa => "rsa",
            DkimSigningAlgorithm::Ed25519 => "ed25519",
        }
    }

    /// Whether `from` (a mailbox such as `CPTS <ne-pas-repondre@example.org>`) is of the signing
    /// domain: DMARC counts a signature only when its domain is the sender's.
    pub fn signs_for(&self, from: &str) -> bool {
        from.parse::<Mailbox>()
            .is_ok_and(|m| m.email.domain().eq_ignore_ascii_case(&self.domain))
    }

    /// Adds the `DKIM-Signature` header; `message` must be complete (nothing changed after).
    pub fn sign(&self, message: &mut Message) {
        dkim_sign(message, &self.config);
    }
}

impl fmt::Debug for Dkim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dkim")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_the_key_must_be_a_pem_private_key() {
        assert_eq!(
            Dkim::new("localhost", "cpts", "").unwrap_err(),
            DkimError::Domain
        );
        assert_eq!(
            Dkim::new("ex ample.org", "cpts", "").unwrap_err(),
            DkimError::Domain
        );
        assert_eq!(
            Dkim::new("example.org", "cp_ts", "").unwrap_err(),
            DkimError::Selector
        );
        assert_eq!(
            Dkim::new("example.org", "", "").unwrap_err(),
            DkimError::Selector
        );
        for text in [
            "",
            "not a key",
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
        ] {
            let e = Dkim::new("example.org", "cpts", text).unwrap_err();
            assert!(matches!(e, DkimError::Key { .. }), "{text}: {e:?}");
        }
    }

    #[test]
    fn rsa_keys_are_read_as_pkcs1_or_pkcs8_and_short_ones_refused() {
        use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
        use rsa::pkcs8::EncodePrivateKey;
        let mut rng = rsa::rand_core::OsRng;
        let key = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap();
        let pkcs1 = key.to_pkcs1_pem(LineEnding::LF).unwrap();
        let pkcs8 = key.to_pkcs8_pem(LineEnding::CRLF).unwrap();
        assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        assert!(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----"));
        for pem in [pkcs1.as_str(), pkcs8.as_str()] {
            let dkim = Dkim::new("example.org", "cpts", pem).unwrap();
            assert_eq!(dkim.algorithm(), "rsa");
            assert!(!format!("{dkim:?}").contains("MII"));
        }
        let short = rsa::RsaPrivateKey::new(&mut rng, 512).unwrap();
        let e = Dkim::new(
            "example.org",
            "cpts",
            &short.to_pkcs1_pem(LineEnding::LF).unwrap(),
        )
        .unwrap_err();
        assert_eq!(e, DkimError::WeakKey { bits: 512 });
        assert!(e.to_string().contains("2048"), "{e}");
    }

    #[test]
    fn an_ed25519_pkcs8_key_is_read_and_never_shown() {
        // RFC 8410 §10.3's example private key.
        let pem = "-----BEGIN PRIVATE KEY-----\n\
                   MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n\
                   -----END PRIVATE KEY-----\n";
        let dkim = Dkim::new("Example.ORG.", "cpts", pem).unwrap();
        assert_eq!(
            (dkim.domain(), dkim.algorithm()),
            ("example.org", "ed25519")
        );
        assert!(dkim.signs_for("CPTS <ne-pas-repondre@EXAMPLE.org>"));
        assert!(!dkim.signs_for("CPTS <ne-pas-repondre@mail.example.org>"));
        let shown = format!("{dkim:?}");
        assert!(!shown.contains("MC4C") && shown.contains("cpts"), "{shown}");
    }
}
