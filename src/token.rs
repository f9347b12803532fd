//! Unguessable tokens (SCIM tokens, links, session ids): 256 random bits, shown once,
//! stored only as a SHA-256 hash. A fast hash is right here: the input has full
//! entropy, so there is nothing to brute-force, and lookups stay one indexed read.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A freshly generated token: `plaintext` goes to its owner once, `hash` to the database.
pub struct NewToken {
    pub plaintext: String,
    pub hash: String,
}

/// Generates `<prefix>_<43 url-safe chars>`; the prefix tells a leaked token's kind
/// (and lets secret scanners find them).
pub fn generate(prefix: &str) -> NewToken {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let plaintext = format!("{prefix}_{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash(&plaintext);
    NewToken { plaintext, hash }
}

/// Hex SHA-256 of the token, the form kept at rest.
pub fn hash(plaintext: &str) -> String {
    sha256_hex(plaintext.as_bytes())
}

/// Hex SHA-256 of any bytes (also the ETag of stored images).
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_unique_and_hashed() {
        let a = generate("ghs");
        let b = generate("ghs");
        assert!(a.plaintext.starts_with("ghs_"));
        assert_eq!(a.plaintext.len(), 4 + 43);
        assert_ne!(a.plaintext, b.plaintext);
        assert_eq!(a.hash, hash(&a.plaintext));
        assert_eq!(a.hash.len(), 64);
        assert!(!a.hash.contains(&a.plaintext));
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
