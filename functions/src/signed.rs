//! Signed tokens for emailed links and for the form's timestamp: HMAC-SHA256 over the version, the
//! key id, the action, the object id and the expiry, checked in constant time. A key ring holds
//! several keys so they can rotate: new tokens use the current key, old ones stay valid until they
//! expire or their key is removed.
//!
//! Format: `v1.<key id>.<action>.<object id>.<expiry, unix seconds>.<MAC, base64url>`.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

const VERSION: &str = "v1";
/// Bytes of a fresh key, and the fewest a key may have.
pub const KEY_BYTES: usize = 32;

/// How keys are read: base64url, with or without its `=` padding.
const KEY_ENCODING: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyRing {
    /// Id of the key that signs new tokens.
    pub current: String,
    /// Key id → secret, base64url.
    pub keys: BTreeMap<String, String>,
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub key_id: String,
    pub action: String,
    pub object: String,
    pub expires: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Malformed, tampered with, or signed for another action.
    Invalid,
    Expired,
    /// Signed with a key that is no longer (or never was) in the ring.
    UnknownKey,
}

fn is_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl KeyRing {
    /// A ring with one fresh random key.
    pub fn generate() -> Self {
        let mut ring = Self {
            current: String::new(),
            keys: BTreeMap::new(),
        };
        ring.rotate();
        ring
    }

    /// Adds a fresh key and makes it current; older keys still verify.
    pub fn rotate(&mut self) {
        let mut secret = [0u8; KEY_BYTES];
        getrandom::fill(&mut secret).expect("the system's random generator");
        let id = format!("k{}", self.keys.len() + 1);
        self.keys.insert(id.clone(), URL_SAFE_NO_PAD.encode(secret));
        self.current = id;
    }

    /// Checks what a ring read from a file or a secret holds: its current key is in it and every
    /// key is base64url of at least [`KEY_BYTES`] bytes. A short or empty key lets anyone forge
    /// links, one that is not base64 would fail every request: the handler must not start.
    pub fn validate(&self) -> Result<(), String> {
        const HOW: &str = "mettez-y au moins 32 octets aléatoires en base64url, par exemple la sortie de « openssl rand -base64 48 | tr '+/' '-_' »";
        if !self.keys.contains_key(&self.current) {
            return Err(format!(
                "la clé courante « {} » n'est pas dans le trousseau : « current » doit nommer une des clés",
                self.current
            ));
        }
        for (id, secret) in &self.keys {
            if !is_id(id) {
                return Err(format!(
                    "le nom de clé « {id} » n'est pas valide : lettres, chiffres et tirets seulement"
                ));
            }
            let bytes = KEY_ENCODING.decode(secret.trim()).map_err(|_| {
                format!("la clé de signature « {id} » n'est pas du base64url valide : {HOW}")
            })?;
            if bytes.is_empty() {
                return Err(format!(
                    "la clé de signature « {id} » est vide : n'importe qui pourrait signer un lien ; {HOW}"
                ));
            }
            if bytes.len() < KEY_BYTES {
                return Err(format!(
                    "la clé de signature « {id} » ne fait que {} octets, il en faut au moins {KEY_BYTES} : {HOW}",
                    bytes.len()
                ));
            }
        }
        Ok(())
    }

    /// Reads the ring from `path` (and checks it, see [`KeyRing::validate`]), or creates it there
    /// (readable by its owner only) on first run.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        if path.exists() {
            let text = std::fs::read_to_string(path)?;
            let ring: Self = serde_json::from_str(&text)
                .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?;
            ring.validate()
                .map_err(|e| std::io::Error::other(format!("{} : {e}", path.display())))?;
            return Ok(ring);
        }
        let ring = Self::generate();
        let text = serde_json::to_string_pretty(&ring).expect("serialisable");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        std::io::Write::write_all(&mut options.open(path)?, text.as_bytes())?;
        Ok(ring)
    }

    fn mac(&self, key_id: &str, payload: &str) -> Option<HmacSha256> {
        let secret = KEY_ENCODING.decode(self.keys.get(key_id)?.trim()).ok()?;
        let mut mac = HmacSha256::new_from_slice(&secret).ok()?;
        mac.update(payload.as_bytes());
        Some(mac)
    }

    /// A token allowing `action` on `object` until `expires` (unix seconds). Action and object are
    /// made of ASCII letters, digits and hyphens.
    pub fn sign(&self, action: &str, object: &str, expires: i64) -> String {
        assert!(is_id(action) && is_id(object), "token ids: [A-Za-z0-9-]");
        let payload = format!("{VERSION}.{}.{action}.{object}.{expires}", self.current);
        let mac = self
            .mac(&self.current, &payload)
            .expect("the current key is in the ring")
            .finalize()
            .into_bytes();
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(mac))
    }

    /// Checks `token` for `action` at `now` (unix seconds).
    pub fn verify(&self, token: &str, action: &str, now: i64) -> Result<Claims, TokenError> {
        let parts: Vec<&str> = token.split('.').collect();
        let [version, key_id, token_action, object, expires, mac] = parts[..] else {
            return Err(TokenError::Invalid);
        };
        if version != VERSION || !is_id(key_id) || !is_id(object) {
            return Err(TokenError::Invalid);
        }
        let expires: i64 = expires.parse().map_err(|_| TokenError::Invalid)?;
        let given = URL_SAFE_NO_PAD
            .decode(mac)
            .map_err(|_| TokenError::Invalid)?;
        let payload = &token[..token.len() - mac.len() - 1];
        let Some(expected) = self.mac(key_id, payload) else {
            return Err(TokenError::UnknownKey);
        };
        let expected = expected.finalize().into_bytes();
        if !bool::from(expected.as_slice().ct_eq(&given)) || token_action != action {
            return Err(TokenError::Invalid);
        }
        if now > expires {
            return Err(TokenError::Expired);
        }
        Ok(Claims {
            key_id: key_id.to_string(),
            action: token_action.to_string(),
            object: object.to_string(),
            expires,
        })
    }

    /// A keyed hash of `value` (hex, 16 bytes), so rate counters hold no phone number or address.
    pub fn pseudonym(&self, kind: &str, value: &str) -> String {
        let mut mac = self
            .mac(&self.current, kind)
            .expect("the current key is in the ring");
        mac.update(b"\0");
        mac.update(value.as_bytes());
        mac.finalize().into_bytes()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// A random id of `len` characters from an alphabet without look-alikes (no 0/O, 1/I/L).
pub fn random_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).expect("the system's random generator");
    bytes
        .iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_tamper_expire_rotate() {
        let mut ring = KeyRing::generate();
        let t = ring.sign("voir", "ABC-123", 1000);
        let claims = ring.verify(&t, "voir", 999).unwrap();
        assert_eq!(claims.object, "ABC-123");
        assert_eq!(ring.verify(&t, "voir", 1001), Err(TokenError::Expired));
        assert_eq!(ring.verify(&t, "valider", 999), Err(TokenError::Invalid));
        let tampered = t.replace("ABC-123", "ABC-124");
        assert_eq!(
            ring.verify(&tampered, "voir", 999),
            Err(TokenError::Invalid)
        );
        let later = t.replace(".1000.", ".9000.");
        assert_eq!(ring.verify(&later, "voir", 999), Err(TokenError::Invalid));
        assert_eq!(
            ring.verify("v1.k1.voir", "voir", 0),
            Err(TokenError::Invalid)
        );
        assert_eq!(ring.verify("", "voir", 0), Err(TokenError::Invalid));

        ring.rotate();
        assert_eq!(ring.current, "k2");
        assert!(
            ring.verify(&t, "voir", 999).is_ok(),
            "old key still verifies"
        );
        let t2 = ring.sign("voir", "X", 1000);
        assert!(t2.starts_with("v1.k2."));
        ring.keys.remove("k1");
        assert_eq!(ring.verify(&t, "voir", 999), Err(TokenError::UnknownKey));
        let unknown = t2.replace(".k2.", ".k9.");
        assert_eq!(
            ring.verify(&unknown, "voir", 999),
            Err(TokenError::UnknownKey)
        );
    }

    #[test]
    fn short_empty_and_malformed_keys_are_refused() {
        let ring = |secret: &str| KeyRing {
            current: "k1".into(),
            keys: [("k1".to_string(), secret.to_string())].into(),
        };
        let empty = ring("").validate().unwrap_err();
        assert!(empty.contains("« k1 » est vide"), "{empty}");
        let short = ring(&URL_SAFE_NO_PAD.encode([7u8; 31]))
            .validate()
            .unwrap_err();
        assert!(short.contains("ne fait que 31 octets"), "{short}");
        let bad = ring("pas du base64 !").validate().unwrap_err();
        assert!(bad.contains("pas du base64url valide"), "{bad}");
        assert!(ring(&URL_SAFE_NO_PAD.encode([7u8; 32])).validate().is_ok());
        // Padded base64url is read too, and signs.
        let padded = ring(&base64::engine::general_purpose::URL_SAFE.encode([7u8; 32]));
        padded.validate().unwrap();
        let token = padded.sign("voir", "X", 10);
        assert!(padded.verify(&token, "voir", 5).is_ok());
        KeyRing::generate().validate().unwrap();

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        std::fs::write(&path, r#"{"current": "k1", "keys": {"k1": ""}}"#).unwrap();
        let error = KeyRing::load_or_create(&path).unwrap_err().to_string();
        assert!(
            error.contains("keys.json") && error.contains("est vide"),
            "{error}"
        );
    }

    #[test]
    fn random_ids() {
        let a = random_id(8);
        assert_eq!(a.len(), 8);
        assert_ne!(a, random_id(8));
    }
}
