//! Secrets Gatehouse must use again (an SSO connection's client secret), sealed at
//! rest with XChaCha20-Poly1305 under a key from the configuration (`sso.secret_key`).
//!
//! A sealed value is `gh1.<key id>.<base64url(nonce ‖ ciphertext)>`:
//! - the key id is the first 8 hex digits of the key's SHA-256, so nobody has to name
//!   keys, and a value says which key opens it;
//! - the nonce is 24 random bytes (XChaCha's nonce is large enough to pick at random);
//! - the associated data is the owner's id (the connection's), so a sealed value copied
//!   onto another row does not open there.
//!
//! Rotation: `sso.old_secret_keys` lists earlier keys that still open values;
//! [`Sealer::needs_reseal`] tells which values to seal again under the current key
//! (`services::sso_connections::reseal` and `services::webhooks::reseal` do it at
//! start-up, with [`Sealer::resealed`]).

use crate::secret::Secret;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

const PREFIX: &str = "gh1";
const NONCE_LEN: usize = 24;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// `sso.secret_key` is empty: nothing can be sealed.
    #[error("no sealing key is configured (sso.secret_key)")]
    NoKey,
    /// A configured key is not 32 bytes of base64; the text names the key.
    #[error("{0}")]
    BadKey(String),
    /// The value was sealed with a key that is no longer configured.
    #[error("sealed with key {0}, which is neither sso.secret_key nor in sso.old_secret_keys")]
    UnknownKey(String),
    /// Not a sealed value, or altered, or sealed for another owner.
    #[error("the sealed value does not open (altered, or not sealed for this record)")]
    Corrupt,
}

struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
}

/// The current key and the earlier ones. Built from the configuration when needed.
pub struct Sealer {
    current: Option<Key>,
    old: Vec<Key>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("current", &self.current.as_ref().map(|k| &k.id))
            .field("old", &self.old.iter().map(|k| &k.id).collect::<Vec<_>>())
            .finish()
    }
}

/// Decodes one configured key: 32 bytes, standard or URL-safe base64.
fn parse_key(name: &str, text: &str) -> Result<Key, SealError> {
    let text = text.trim();
    let bytes = STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
        .map_err(|_| SealError::BadKey(format!("{name} is not base64")))?;
    if bytes.len() != 32 {
        return Err(SealError::BadKey(format!(
            "{name} must be 32 bytes of base64 (openssl rand -base64 32), not {} bytes",
            bytes.len()
        )));
    }
    let id = crate::token::sha256_hex(&bytes)[..8].to_string();
    let cipher = XChaCha20Poly1305::new_from_slice(&bytes)
        .map_err(|_| SealError::BadKey(format!("{name}: not a usable key")))?;
    Ok(Key { id, cipher })
}

impl Sealer {
    /// From `sso.secret_key` (may be empty) and `sso.old_secret_keys`.
    pub fn new(current: &Secret<String>, old: &Secret<Vec<String>>) -> Result<Sealer, SealError> {
        let current = match current.expose().trim() {
            "" => None,
            text => Some(parse_key("sso.secret_key", text)?),
        };
        let old = old
            .expose()
            .iter()
            .enumerate()
            .map(|(i, k)| parse_key(&format!("sso.old_secret_keys[{i}]"), k))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Sealer { current, old })
    }

    /// The id of the key new values are sealed with.
    pub fn current_key_id(&self) -> Option<&str> {
        self.current.as_ref().map(|k| k.id.as_str())
    }

    /// Seals `plaintext` for `owner` (its record's id) under the current key.
    pub fn seal(&self, owner: &[u8], plaintext: &str) -> Result<String, SealError> {
        let key = self.current.as_ref().ok_or(SealError::NoKey)?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = key
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: owner,
                },
            )
            .map_err(|_| SealError::Corrupt)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!(
            "{PREFIX}.{}.{}",
            key.id,
            URL_SAFE_NO_PAD.encode(out)
        ))
    }

    /// Opens a value [`Sealer::seal`] made for `owner`, with whichever key it names.
    pub fn open(&self, owner: &[u8], sealed: &str) -> Result<Secret<String>, SealError> {
        let (key_id, body) = split(sealed)?;
        let key = self
            .current
            .iter()
            .chain(&self.old)
            .find(|k| k.id == key_id)
            .ok_or_else(|| SealError::UnknownKey(key_id.to_string()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SealError::Corrupt)?;
        if bytes.len() <= NONCE_LEN {
            return Err(SealError::Corrupt);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = key
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: owner,
                },
            )
            .map_err(|_| SealError::Corrupt)?;
        String::from_utf8(plain)
            .map(Secret::new)
            .map_err(|_| SealError::Corrupt)
    }

    /// `sealed` sealed again under the current key, when it was sealed under an older
    /// one (`None`: nothing to do). An error when it does not open.
    pub fn resealed(&self, owner: &[u8], sealed: &str) -> Result<Option<String>, SealError> {
        if !self.needs_reseal(sealed) {
            return Ok(None);
        }
        let plain = self.open(owner, sealed)?;
        self.seal(owner, plain.expose()).map(Some)
    }

    /// Whether `sealed` was sealed under another key than the current one.
    pub fn needs_reseal(&self, sealed: &str) -> bool {
        match (split(sealed), self.current_key_id()) {
            (Ok((id, _)), Some(current)) => id != current,
            _ => false,
        }
    }
}

fn split(sealed: &str) -> Result<(&str, &str), SealError> {
    let mut parts = sealed.splitn(3, '.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(PREFIX), Some(id), Some(body)) => Ok((id, body)),
        _ => Err(SealError::Corrupt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

    fn sealer(current: &str, old: &[&str]) -> Sealer {
        Sealer::new(
            &Secret::new(current.to_string()),
            &Secret::new(old.iter().map(|s| s.to_string()).collect()),
        )
        .unwrap()
    }

    #[test]
    fn seals_and_opens_for_the_same_owner_only() {
        let s = sealer(K1, &[]);
        let sealed = s.seal(b"owner-1", "client secret").unwrap();
        assert!(sealed.starts_with("gh1."), "{sealed}");
        assert!(!sealed.contains("client secret"));
        assert_eq!(
            s.open(b"owner-1", &sealed).unwrap().expose(),
            "client secret"
        );
        assert_eq!(s.open(b"owner-2", &sealed).unwrap_err(), SealError::Corrupt);
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(
            s.open(b"owner-1", &altered).unwrap_err(),
            SealError::Corrupt
        );
        // Two seals of the same text differ (fresh nonce).
        assert_ne!(sealed, s.seal(b"owner-1", "client secret").unwrap());
    }

    #[test]
    fn old_keys_open_and_ask_for_a_reseal() {
        let before = sealer(K1, &[]);
        let sealed = before.seal(b"o", "s").unwrap();
        let rotated = sealer(K2, &[K1]);
        assert_eq!(rotated.open(b"o", &sealed).unwrap().expose(), "s");
        assert!(rotated.needs_reseal(&sealed));
        assert!(!before.needs_reseal(&sealed));
        let forgotten = sealer(K2, &[]);
        assert!(matches!(
            forgotten.open(b"o", &sealed),
            Err(SealError::UnknownKey(_))
        ));
    }

    #[test]
    fn bad_or_missing_keys_are_named() {
        let none = sealer("", &[]);
        assert_eq!(none.seal(b"o", "s").unwrap_err(), SealError::NoKey);
        let short = Sealer::new(&Secret::new("c2hvcnQ=".into()), &Secret::default());
        assert!(
            matches!(short, Err(SealError::BadKey(m)) if m.contains("sso.secret_key") && m.contains("32 bytes"))
        );
        let bad = Sealer::new(&Secret::new(K1.into()), &Secret::new(vec!["%%%".into()]));
        assert!(matches!(bad, Err(SealError::BadKey(m)) if m.contains("old_secret_keys[0]")));
        assert_eq!(none.open(b"o", "plain").unwrap_err(), SealError::Corrupt);
    }
}
