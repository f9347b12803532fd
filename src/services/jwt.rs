//! Short-lived access tokens: EdDSA (Ed25519) JWTs that the suite's apps verify on
//! their own with the published JWKS.
//!
//! - Keys live in the database (`signing_keys`), so every replica signs with the same
//!   key. The first [`issue`] (or [`jwks`]) on an empty table generates one; replicas
//!   racing there create exactly one (a partial unique index and
//!   an insert that does nothing on conflict, then a re-read of the winner; see
//!   `store::signing_keys`).
//! - [`rotate`] retires the active key and activates a new one. A retired key stays in
//!   the JWKS for [`ACCESS_TOKEN_TTL`] + [`CLOCK_SKEW`] after retirement, the longest a
//!   token it signed can still be accepted, so rotation never breaks a valid token.
//! - No in-process cache: each issue reads the active key (one indexed row) and
//!   decodes it (microseconds). A cache would let a replica keep signing with a key
//!   another replica just retired, up to the cache's age after retirement; with a cache
//!   of at most [`CLOCK_SKEW`] that would still be covered by the JWKS overlap, but the
//!   read is cheap next to the sign-in that precedes an issue, so correctness wins.
//! - Key material never reaches logs, `Debug` output or error messages.
//!
//! - Scheduled rotation (`key_rotation`, the job `rotate_signing_keys`) publishes the
//!   next key [`super::key_rotation::PUBLISH_LEAD`] before it signs. A forced [`rotate`]
//!   (`gatehouse keys rotate`) signs with the new key at once, so a verifier must still
//!   re-fetch the JWKS when it meets an unknown `kid`.

use crate::domain::Timestamp;
use crate::services::Ctx;
use crate::store::StoreError;
use crate::store::signing_keys::{self, SigningKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::Duration;
use uuid::Uuid;

/// How long an access token is valid. Apps refresh through Gatehouse before it ends.
pub const ACCESS_TOKEN_TTL: Duration = Duration::minutes(15);

/// Tolerated clock difference between Gatehouse and the apps: [`verify`] accepts a token
/// up to this long after `exp`, and retired keys stay published this much longer.
pub const CLOCK_SKEW: Duration = Duration::minutes(1);

/// The `aud` of every access token: the suite's apps as one audience. An app verifying
/// a token must require exactly this value (and `iss` = Gatehouse's `server.public_url`).
pub const AUDIENCE: &str = "gatehouse-apps";

/// The JWS algorithm of every key and token.
pub const ALGORITHM: &str = "EdDSA";

/// Who the token is about; the app-visible part of the claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id.
    pub sub: String,
    /// The organization id.
    pub org: String,
    pub role: String,
    #[serde(default)]
    pub workspaces: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The full claim set of an access token, as signed and as [`verify`] returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedClaims {
    pub iss: String,
    pub aud: String,
    /// Issued at, nbf and exp: seconds since the Unix epoch.
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    #[serde(flatten)]
    pub access: AccessClaims,
}

/// A signed token and what a token response needs to say about it.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    /// Seconds until `exp`.
    pub expires_in: u64,
    pub kid: String,
}

#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("signing key storage: {0}")]
    Storage(#[from] StoreError),
    /// A stored key that does not decode; says which, never what it holds.
    #[error("signing key {kid} is unusable: {reason}")]
    CorruptKey { kid: String, reason: &'static str },
    #[error("no active signing key after creating one")]
    NoActiveKey,
    #[error("could not sign the token: {0}")]
    Sign(#[source] jsonwebtoken::errors::Error),
    /// Malformed, wrongly signed, or for another issuer or audience.
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("token signed by an unknown or withdrawn key")]
    UnknownKey,
    #[error("token expired")]
    Expired,
    #[error("token not yet valid")]
    NotYetValid,
}

/// Signs an access token for `claims` with the active key (created on first use).
pub async fn issue(ctx: &Ctx, claims: &AccessClaims) -> Result<IssuedToken, JwtError> {
    let key = active_key(ctx).await?;
    let now = ctx.clock.now().unix_timestamp();
    let body = VerifiedClaims {
        iss: ctx.config.server.public_url(),
        aud: AUDIENCE.to_string(),
        iat: now,
        nbf: now,
        exp: now + ACCESS_TOKEN_TTL.whole_seconds(),
        jti: Uuid::now_v7().to_string(),
        access: claims.clone(),
    };
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(key.kid.clone());
    let token = jsonwebtoken::encode(&header, &body, &key.encoding).map_err(JwtError::Sign)?;
    Ok(IssuedToken {
        token,
        expires_in: ACCESS_TOKEN_TTL.whole_seconds().unsigned_abs(),
        kid: key.kid,
    })
}

/// How long verifiers may cache the JWKS (`Cache-Control: max-age` of
/// `/.well-known/jwks.json`); a scheduled key is published longer than this before it signs.
pub const JWKS_MAX_AGE_SECS: i64 = 300;

/// The JWKS document: `{"keys": [...]}` with the signing keys first, then a key
/// scheduled to sign next, then every key retired less than [`ACCESS_TOKEN_TTL`] +
/// [`CLOCK_SKEW`] ago.
pub async fn jwks(ctx: &Ctx) -> Result<Value, JwtError> {
    let now = ctx.now();
    let mut keys = published(ctx).await?;
    if !keys
        .iter()
        .any(|k| k.signs_at(now) && k.algorithm == ALGORITHM)
    {
        active_key(ctx).await?;
        keys = published(ctx).await?;
    }
    // Stable: the signing keys move to the front, the rest keep their order.
    keys.sort_by_key(|k| !k.signs_at(now));
    let keys: Vec<Value> = keys.into_iter().map(|k| k.public_jwk).collect();
    Ok(json!({ "keys": keys }))
}

/// Retires the active key (it stays published while its tokens can be valid) and
/// activates a new one; returns the new kid.
pub async fn rotate(ctx: &Ctx) -> Result<String, JwtError> {
    // A concurrent rotation on another replica can activate its key between our
    // retire and insert (PostgreSQL); then retire that one too and try again.
    for _ in 0..3 {
        let now = ctx.now();
        let (row, _) = generate(now)?;
        let mut tx = ctx.store.begin().await?;
        signing_keys::lock_rotation(&mut tx, ALGORITHM).await?;
        signing_keys::retire_active(&mut tx, ALGORITHM, now).await?;
        if signing_keys::insert_active_if_none(&mut tx, &row).await? {
            tx.commit().await?;
            tracing::info!(kid = %row.kid, "rotated the token signing key");
            return Ok(row.kid);
        }
    }
    Err(JwtError::Storage(StoreError::Conflict(
        "signing_keys_one_active (concurrent rotations)".into(),
    )))
}

/// Verifies a token as an app would, with time from `ctx.clock`: EdDSA signature by a
/// published key (found by `kid`), `iss`, `aud`, `exp` and `nbf` (± [`CLOCK_SKEW`]).
pub async fn verify(ctx: &Ctx, token: &str) -> Result<VerifiedClaims, JwtError> {
    let claims = verify_json(ctx, token, Some(AUDIENCE), true).await?;
    if claims.get("nbf").is_none() {
        return Err(JwtError::Invalid("missing or malformed claim `nbf`".into()));
    }
    serde_json::from_value(claims).map_err(|_| JwtError::Invalid("malformed token".into()))
}

/// Signs any claim set with the active EdDSA key (created on first use).
pub async fn sign(ctx: &Ctx, claims: &impl Serialize) -> Result<String, JwtError> {
    sign_typed(ctx, claims, "JWT").await
}

/// Like [`sign`], with the header's `typ` (explicit typing, RFC 8725 section 3.11).
pub async fn sign_typed(ctx: &Ctx, claims: &impl Serialize, typ: &str) -> Result<String, JwtError> {
    let key = active_key(ctx).await?;
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(key.kid.clone());
    header.typ = Some(typ.to_string());
    jsonwebtoken::encode(&header, claims, &key.encoding).map_err(JwtError::Sign)
}

/// Verifies a token signed here (EdDSA by a published key) for `iss` and, when given,
/// `aud`; with `check_time`, also `exp` and `nbf` (± [`CLOCK_SKEW`], injected clock).
/// Returns its claims as JSON.
pub async fn verify_json(
    ctx: &Ctx,
    token: &str,
    audience: Option<&str>,
    check_time: bool,
) -> Result<Value, JwtError> {
    let invalid = |e: jsonwebtoken::errors::Error| JwtError::Invalid(describe(&e));
    let header = jsonwebtoken::decode_header(token).map_err(invalid)?;
    if header.alg != Algorithm::EdDSA {
        return Err(JwtError::Invalid("algorithm is not EdDSA".into()));
    }
    let kid = header
        .kid
        .ok_or_else(|| JwtError::Invalid("no kid in the header".into()))?;
    let now = ctx.now();
    let mut db = ctx.store.read().await?;
    let key = signing_keys::find_published(&mut db, &kid, publish_cutoff(now))
        .await?
        .ok_or(JwtError::UnknownKey)?;
    drop(db);
    let x = key
        .public_jwk
        .get("x")
        .and_then(Value::as_str)
        .ok_or(JwtError::CorruptKey {
            kid: key.kid.clone(),
            reason: "public JWK has no x",
        })?;
    let verifying = verifying_key_from_x(x).ok_or(JwtError::CorruptKey {
        kid: key.kid.clone(),
        reason: "public JWK x is not an Ed25519 key",
    })?;
    let decoding = DecodingKey::from_ed_der(verifying.as_bytes());

    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[ctx.config.server.public_url()]);
    match audience {
        Some(aud) => validation.set_audience(&[aud]),
        None => validation.validate_aud = false,
    }
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    // Time is checked below against the injected clock, not the system time.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let claims = jsonwebtoken::decode::<Value>(token, &decoding, &validation)
        .map_err(invalid)?
        .claims;
    if check_time {
        let now = now.unix_timestamp();
        let skew = CLOCK_SKEW.whole_seconds();
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .unwrap_or(i64::MIN);
        if now >= exp.saturating_add(skew) {
            return Err(JwtError::Expired);
        }
        if let Some(nbf) = claims.get("nbf").and_then(Value::as_i64)
            && nbf > now.saturating_add(skew)
        {
            return Err(JwtError::NotYetValid);
        }
    }
    Ok(claims)
}

/// The public JWK of an Ed25519 verifying key, with `kid` = its RFC 7638 thumbprint.
pub fn public_jwk(key: &ed25519_dalek::VerifyingKey) -> Value {
    let x = URL_SAFE_NO_PAD.encode(key.as_bytes());
    json!({
        "kty": "OKP",
        "crv": "Ed25519",
        "x": x,
        "kid": thumbprint(&x),
        "alg": ALGORITHM,
        "use": "sig",
    })
}

/// RFC 7638 thumbprint of an Ed25519 OKP key (RFC 8037 section 2): base64url SHA-256
/// of `{"crv":"Ed25519","kty":"OKP","x":"..."}`.
pub fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The verifying key a JWK's `x` names, if it is one (32 bytes, a valid point).
pub fn verifying_key_from_x(x: &str) -> Option<ed25519_dalek::VerifyingKey> {
    let bytes = URL_SAFE_NO_PAD.decode(x).ok()?;
    let bytes: [u8; 32] = bytes.try_into().ok()?;
    ed25519_dalek::VerifyingKey::from_bytes(&bytes).ok()
}

/// The decoded active key.
struct ActiveKey {
    kid: String,
    encoding: EncodingKey,
}

/// Reads the active key, creating the first one when there is none.
async fn active_key(ctx: &Ctx) -> Result<ActiveKey, JwtError> {
    let mut db = ctx.store.read().await?;
    let found = signing_keys::find_active(&mut db, ALGORITHM, ctx.now()).await?;
    drop(db);
    if let Some(row) = found {
        return decode(&row);
    }
    let (row, key) = generate(ctx.now())?;
    let mut tx = ctx.store.begin().await?;
    if signing_keys::insert_active_if_none(&mut tx, &row).await? {
        tx.commit().await?;
        tracing::info!(kid = %row.kid, "generated the first token signing key");
        return Ok(key);
    }
    // Another replica (or task) got there first: use its key.
    let winner = signing_keys::find_active(&mut tx, ALGORITHM, ctx.now())
        .await?
        .ok_or(JwtError::NoActiveKey)?;
    tx.commit().await?;
    decode(&winner)
}

/// A new Ed25519 key as a row, published from `now` and signing from `activates`.
pub(crate) fn new_key(now: Timestamp, activates: Timestamp) -> Result<SigningKey, JwtError> {
    let (mut row, _) = generate(now)?;
    row.activated_at = activates;
    Ok(row)
}

/// A new Ed25519 key as a row (active from `now`) and ready to sign.
fn generate(now: Timestamp) -> Result<(SigningKey, ActiveKey), JwtError> {
    let signing = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let jwk = public_jwk(&signing.verifying_key());
    let kid = jwk
        .get("kid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let der = signing.to_pkcs8_der().map_err(|_| JwtError::CorruptKey {
        kid: kid.clone(),
        reason: "cannot encode the new key as PKCS#8",
    })?;
    let encoding = EncodingKey::from_ed_der(der.as_bytes());
    let row = SigningKey {
        kid: kid.clone(),
        algorithm: ALGORITHM.to_string(),
        private_key: STANDARD.encode(der.as_bytes()),
        public_jwk: jwk,
        created_at: now,
        activated_at: now,
        retired_at: None,
    };
    Ok((row, ActiveKey { kid, encoding }))
}

/// Decodes a stored key, checking that its private half matches the published one.
fn decode(row: &SigningKey) -> Result<ActiveKey, JwtError> {
    let corrupt = |reason| JwtError::CorruptKey {
        kid: row.kid.clone(),
        reason,
    };
    if row.algorithm != ALGORITHM {
        return Err(corrupt("unsupported algorithm"));
    }
    let der = STANDARD
        .decode(&row.private_key)
        .map_err(|_| corrupt("private key is not base64"))?;
    let signing = ed25519_dalek::SigningKey::from_pkcs8_der(&der)
        .map_err(|_| corrupt("private key is not Ed25519 PKCS#8"))?;
    let published = row.public_jwk.get("x").and_then(Value::as_str);
    let x = URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes());
    if published != Some(x.as_str()) {
        return Err(corrupt("private key does not match the public JWK"));
    }
    Ok(ActiveKey {
        kid: row.kid.clone(),
        encoding: EncodingKey::from_ed_der(&der),
    })
}

/// Keys retired at or before this instant are no longer published.
pub(crate) fn publish_cutoff(now: Timestamp) -> Timestamp {
    now.0
        .checked_sub(ACCESS_TOKEN_TTL + CLOCK_SKEW)
        .map_or(now, Timestamp)
}

/// Why a token was refused, without echoing any of its content (serde errors would
/// quote claim values).
fn describe(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::InvalidSignature => "bad signature".into(),
        K::InvalidIssuer => "wrong issuer".into(),
        K::InvalidAudience => "wrong audience".into(),
        K::InvalidAlgorithm | K::InvalidAlgorithmName | K::UnsupportedAlgorithm => {
            "wrong algorithm".into()
        }
        K::MissingRequiredClaim(claim) | K::InvalidClaimFormat(claim) => {
            format!("missing or malformed claim `{claim}`")
        }
        K::Base64(_) | K::Utf8(_) | K::Json(_) | K::InvalidToken => "malformed token".into(),
        _ => "rejected".into(),
    }
}

async fn published(ctx: &Ctx) -> Result<Vec<signing_keys::PublicKey>, JwtError> {
    let mut db = ctx.store.read().await?;
    Ok(signing_keys::published(&mut db, publish_cutoff(ctx.now())).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwk_x_round_trips_to_the_same_verifying_key() {
        let signing = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        let jwk = public_jwk(&signing.verifying_key());
        assert_eq!(jwk["kty"], "OKP");
        assert_eq!(jwk["crv"], "Ed25519");
        assert_eq!(jwk["alg"], "EdDSA");
        assert_eq!(jwk["use"], "sig");
        let x = jwk["x"].as_str().unwrap();
        assert_eq!(x.len(), 43);
        assert_eq!(
            verifying_key_from_x(x).unwrap(),
            signing.verifying_key(),
            "x must decode to the key that signs"
        );
        assert_eq!(jwk["kid"].as_str().unwrap(), thumbprint(x));
    }

    #[test]
    fn thumbprint_matches_rfc_8037_example() {
        // RFC 8037 appendix A.2 and A.3.
        assert_eq!(
            thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn bad_x_is_rejected_without_panicking() {
        assert!(verifying_key_from_x("").is_none());
        assert!(verifying_key_from_x("AAAA").is_none());
        assert!(verifying_key_from_x("not base64 !").is_none());
    }

    #[test]
    fn stored_key_decodes_and_mismatched_jwk_is_refused() {
        let now = Timestamp(time::macros::datetime!(2026-11-23 0:00 UTC));
        let (row, _) = generate(now).unwrap();
        assert!(decode(&row).is_ok());
        assert!(!format!("{row:?}").contains(&row.private_key));
        let (other, _) = generate(now).unwrap();
        let mut mixed = row.clone();
        mixed.public_jwk = other.public_jwk;
        assert!(matches!(decode(&mixed), Err(JwtError::CorruptKey { .. })));
    }
}
