//! RS256 keys, for the ID tokens (and logout tokens) of apps registered with
//! `id_token_alg = RS256` because their library cannot verify EdDSA. Kept like the
//! EdDSA keys of [`super::jwt`]: in `signing_keys`, one active per algorithm, created
//! on first use, published in the same JWKS, retired keys kept while tokens they signed
//! can be valid. Access tokens stay EdDSA.

use super::jwt::{JwtError, publish_cutoff};
use crate::domain::Timestamp;
use crate::services::Ctx;
use crate::store::StoreError;
use crate::store::signing_keys::{self, SigningKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const ALGORITHM: &str = "RS256";
const BITS: usize = 2048;

/// The public JWK of an RSA key, `kid` = its RFC 7638 thumbprint.
fn public_jwk(key: &rsa::RsaPublicKey) -> Value {
    let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
    let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
    json!({ "kty": "RSA", "n": n, "e": e, "kid": kid, "alg": ALGORITHM, "use": "sig" })
}

/// A new RSA key as a row, published and signing from `now` (the caller may move
/// `activated_at` later).
pub(crate) async fn generate(now: Timestamp) -> Result<SigningKey, JwtError> {
    let made = tokio::task::spawn_blocking(|| {
        let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, BITS).ok()?;
        let der = key.to_pkcs8_der().ok()?;
        Some((
            public_jwk(&key.to_public_key()),
            STANDARD.encode(der.as_bytes()),
        ))
    })
    .await
    .ok()
    .flatten();
    let (jwk, private_key) = made.ok_or(JwtError::CorruptKey {
        kid: "new".into(),
        reason: "cannot generate an RSA key",
    })?;
    Ok(SigningKey {
        kid: jwk["kid"].as_str().unwrap_or_default().to_string(),
        algorithm: ALGORITHM.to_string(),
        private_key,
        public_jwk: jwk,
        created_at: now,
        activated_at: now,
        retired_at: None,
    })
}

fn encoding_key(row: &SigningKey) -> Result<EncodingKey, JwtError> {
    let corrupt = |reason| JwtError::CorruptKey {
        kid: row.kid.clone(),
        reason,
    };
    let der = STANDARD
        .decode(&row.private_key)
        .map_err(|_| corrupt("private key is not base64"))?;
    let key = rsa::RsaPrivateKey::from_pkcs8_der(&der)
        .map_err(|_| corrupt("private key is not RSA PKCS#8"))?;
    if public_jwk(&key.to_public_key())["n"] != row.public_jwk["n"] {
        return Err(corrupt("private key does not match the public JWK"));
    }
    let pkcs1 = key
        .to_pkcs1_der()
        .map_err(|_| corrupt("cannot encode the key as PKCS#1"))?;
    Ok(EncodingKey::from_rsa_der(pkcs1.as_bytes()))
}

async fn active(ctx: &Ctx) -> Result<SigningKey, JwtError> {
    let mut db = ctx.store.read().await?;
    if let Some(row) = signing_keys::find_active(&mut db, ALGORITHM, ctx.now()).await? {
        return Ok(row);
    }
    drop(db);
    let row = generate(ctx.now()).await?;
    let mut tx = ctx.store.begin().await?;
    if signing_keys::insert_active_if_none(&mut tx, &row).await? {
        tx.commit().await?;
        tracing::info!(kid = %row.kid, "generated the first RS256 signing key");
        return Ok(row);
    }
    let winner = signing_keys::find_active(&mut tx, ALGORITHM, ctx.now())
        .await?
        .ok_or(JwtError::NoActiveKey)?;
    tx.commit().await?;
    Ok(winner)
}

/// Makes sure an RS256 key exists (and so is published) before the first app that
/// needs one gets a token: called when such an app is registered.
pub async fn ensure(ctx: &Ctx) -> Result<(), JwtError> {
    active(ctx).await.map(|_| ())
}

/// Signs a claim set with the active RS256 key (created on first use).
pub async fn sign(ctx: &Ctx, claims: &impl Serialize) -> Result<String, JwtError> {
    sign_typed(ctx, claims, "JWT").await
}

/// Like [`sign`], with the header's `typ` (explicit typing, RFC 8725 section 3.11).
pub async fn sign_typed(ctx: &Ctx, claims: &impl Serialize, typ: &str) -> Result<String, JwtError> {
    let row = active(ctx).await?;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(row.kid.clone());
    header.typ = Some(typ.to_string());
    jsonwebtoken::encode(&header, claims, &encoding_key(&row)?).map_err(JwtError::Sign)
}

/// Retires the RS256 key (and one scheduled to sign next), if there is one, for a new
/// one that signs at once; returns the new kid.
pub async fn rotate(ctx: &Ctx) -> Result<Option<String>, JwtError> {
    let mut db = ctx.store.read().await?;
    if signing_keys::find_newest(&mut db, ALGORITHM)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    drop(db);
    let now = ctx.now();
    let row = generate(now).await?;
    let mut tx = ctx.store.begin().await?;
    signing_keys::lock_rotation(&mut tx, ALGORITHM).await?;
    signing_keys::retire_active(&mut tx, ALGORITHM, now).await?;
    if !signing_keys::insert_active_if_none(&mut tx, &row).await? {
        return Err(JwtError::Storage(StoreError::Conflict(
            "signing_keys_one_active (concurrent rotations)".into(),
        )));
    }
    tx.commit().await?;
    tracing::info!(kid = %row.kid, "rotated the RS256 signing key");
    Ok(Some(row.kid))
}

/// Verifies an RS256 token signed here (signature by a published key and `iss`; not
/// its time): for `id_token_hint`.
pub async fn verify_json(ctx: &Ctx, token: &str) -> Result<Value, JwtError> {
    let invalid = |_| JwtError::Invalid("rejected".into());
    let header = jsonwebtoken::decode_header(token).map_err(invalid)?;
    let kid = header
        .kid
        .ok_or_else(|| JwtError::Invalid("no kid in the header".into()))?;
    let mut db = ctx.store.read().await?;
    let key = signing_keys::find_published(&mut db, &kid, publish_cutoff(ctx.now()))
        .await?
        .filter(|k| k.algorithm == ALGORITHM)
        .ok_or(JwtError::UnknownKey)?;
    drop(db);
    let part = |name: &str| {
        key.public_jwk
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let decoding = DecodingKey::from_rsa_components(part("n"), part("e")).map_err(invalid)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[ctx.config.server.public_url()]);
    validation.validate_aud = false;
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["iss", "sub"]);
    Ok(jsonwebtoken::decode::<Value>(token, &decoding, &validation)
        .map_err(invalid)?
        .claims)
}
