//! Access tokens: what a suite app sees. Tokens are checked with a stock
//! `jsonwebtoken::decode` and a key built from the published JWKS, independent of
//! `services::jwt::verify`.

use crate::backend_tests;
use crate::harness::{TestApp, test_config};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse::clock::SharedClock;
use gatehouse::services::Ctx;
use gatehouse::services::jwt::{self, ACCESS_TOKEN_TTL, AUDIENCE, AccessClaims, JwtError};
use gatehouse::store::signing_keys;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use time::Duration;

backend_tests!(
    jwt_issued_token_verifies_with_the_published_jwks,
    jwt_rotation_keeps_issued_tokens_valid_until_they_expire,
    jwt_concurrent_first_issues_create_one_key,
    jwt_tampered_or_foreign_tokens_fail
);

fn claims(app: &TestApp) -> AccessClaims {
    AccessClaims {
        sub: app.admin_id.to_string(),
        org: app.org_id.to_string(),
        role: "admin".into(),
        workspaces: vec!["ws-1".into(), "ws-2".into()],
        email: Some(crate::harness::ADMIN_EMAIL.into()),
    }
}

/// What a suite app does: pick the JWK by the token's kid, build the key from `x`,
/// check signature, `iss`, `aud` and `exp` (wall clock, default leeway).
fn stock_decode(jwks: &Value, token: &str, issuer: &str) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let jwk = jwks["keys"]
        .as_array()
        .ok_or("no keys")?
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .ok_or("kid not in the JWKS")?;
    assert_eq!(jwk["kty"], "OKP");
    assert_eq!(jwk["crv"], "Ed25519");
    assert_eq!(jwk["alg"], "EdDSA");
    assert_eq!(jwk["use"], "sig");
    let key = DecodingKey::from_ed_components(jwk["x"].as_str().ok_or("no x")?)
        .map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[AUDIENCE]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| e.to_string())
}

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_string())
        .collect()
}

async fn jwt_issued_token_verifies_with_the_published_jwks(app: TestApp) {
    let issued = jwt::issue(&app.ctx, &claims(&app)).await.unwrap();
    assert_eq!(issued.expires_in, 900);
    assert!(issued.expires_in <= 15 * 60);

    let header = jsonwebtoken::decode_header(&issued.token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.kid.as_deref(), Some(issued.kid.as_str()));

    let jwks = jwt::jwks(&app.ctx).await.unwrap();
    assert_eq!(kids(&jwks), vec![issued.kid.clone()]);
    // The document also parses as a standard JWK set.
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.clone()).unwrap();
    assert!(set.find(&issued.kid).is_some());

    let issuer = app.ctx.config.server.public_url();
    let body = stock_decode(&jwks, &issued.token, &issuer).unwrap();
    let now = now_secs(&app);
    assert_eq!(body["iss"], issuer.as_str());
    assert_eq!(body["aud"], AUDIENCE);
    assert_eq!(body["sub"], app.admin_id.to_string());
    assert_eq!(body["org"], app.org_id.to_string());
    assert_eq!(body["role"], "admin");
    assert_eq!(body["workspaces"], serde_json::json!(["ws-1", "ws-2"]));
    assert_eq!(body["email"], crate::harness::ADMIN_EMAIL);
    let (iat, nbf, exp) = (
        body["iat"].as_i64().unwrap(),
        body["nbf"].as_i64().unwrap(),
        body["exp"].as_i64().unwrap(),
    );
    assert_eq!(iat, now);
    assert_eq!(nbf, now);
    assert!(exp > now && exp - iat <= ACCESS_TOKEN_TTL.whole_seconds());
    assert_eq!(exp - iat, 15 * 60);
    let jti = uuid::Uuid::parse_str(body["jti"].as_str().unwrap()).unwrap();
    assert_eq!(jti.get_version_num(), 7);

    // Our own verify agrees, and a second token gets its own jti under the same key.
    let verified = jwt::verify(&app.ctx, &issued.token).await.unwrap();
    assert_eq!(verified.access, claims(&app));
    assert_eq!(verified.exp, exp);
    let again = jwt::issue(&app.ctx, &claims(&app)).await.unwrap();
    assert_eq!(again.kid, issued.kid);
    assert_ne!(
        jwt::verify(&app.ctx, &again.token).await.unwrap().jti,
        verified.jti
    );

    // No email: the claim is left out.
    let mut no_email = claims(&app);
    no_email.email = None;
    let issued = jwt::issue(&app.ctx, &no_email).await.unwrap();
    let body = stock_decode(&jwks, &issued.token, &issuer).unwrap();
    assert!(body.get("email").is_none());
    app.stop().await;
}

async fn jwt_rotation_keeps_issued_tokens_valid_until_they_expire(app: TestApp) {
    let issuer = app.ctx.config.server.public_url();
    let before = jwt::issue(&app.ctx, &claims(&app)).await.unwrap();
    let new_kid = jwt::rotate(&app.ctx).await.unwrap();
    assert_ne!(new_kid, before.kid);

    let jwks = jwt::jwks(&app.ctx).await.unwrap();
    assert_eq!(kids(&jwks), vec![new_kid.clone(), before.kid.clone()]);
    stock_decode(&jwks, &before.token, &issuer).expect("old token still verifies");
    let after = jwt::issue(&app.ctx, &claims(&app)).await.unwrap();
    assert_eq!(after.kid, new_kid);
    stock_decode(&jwks, &after.token, &issuer).expect("new token verifies");
    jwt::verify(&app.ctx, &before.token).await.unwrap();
    jwt::verify(&app.ctx, &after.token).await.unwrap();

    // At the end of the token lifetime the old key is still published...
    app.clock.advance(ACCESS_TOKEN_TTL);
    let jwks = jwt::jwks(&app.ctx).await.unwrap();
    assert_eq!(kids(&jwks), vec![new_kid.clone(), before.kid.clone()]);
    jwt::verify(&app.ctx, &before.token).await.unwrap();

    // ...and once TTL + skew (16 minutes) has passed, it is gone.
    app.clock.advance(Duration::minutes(1));
    let jwks = jwt::jwks(&app.ctx).await.unwrap();
    assert_eq!(kids(&jwks), vec![new_kid.clone()]);
    assert!(matches!(
        jwt::verify(&app.ctx, &before.token).await,
        Err(JwtError::UnknownKey)
    ));
    assert!(matches!(
        jwt::verify(&app.ctx, &after.token).await,
        Err(JwtError::Expired)
    ));

    // A second rotation retires the second key the same way.
    let third = jwt::rotate(&app.ctx).await.unwrap();
    let jwks = jwt::jwks(&app.ctx).await.unwrap();
    assert_eq!(kids(&jwks), vec![third, new_kid]);
    assert_eq!(count_keys(&app.ctx).await, 3);
    app.stop().await;
}

async fn jwt_concurrent_first_issues_create_one_key(app: TestApp) {
    // A second "replica": its own pool on the same database.
    let clock: SharedClock = app.clock.clone();
    let replica = gatehouse::connect(test_config(&app.database_url), clock)
        .await
        .unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8 {
        let ctx = if i % 2 == 0 {
            app.ctx.clone()
        } else {
            replica.clone()
        };
        let who = claims(&app);
        tasks.spawn(async move { jwt::issue(&ctx, &who).await.map(|t| t.kid) });
    }
    let mut kids_seen = Vec::new();
    while let Some(result) = tasks.join_next().await {
        kids_seen.push(result.unwrap().unwrap());
    }
    kids_seen.sort();
    kids_seen.dedup();
    assert_eq!(kids_seen.len(), 1, "every issue signs with the one key");
    assert_eq!(count_keys(&app.ctx).await, 1);
    let jwks = jwt::jwks(&replica).await.unwrap();
    assert_eq!(kids(&jwks), kids_seen);

    // The database itself refuses a second active key.
    let second = signing_keys::SigningKey {
        kid: "second".into(),
        algorithm: "EdDSA".into(),
        private_key: "unused".into(),
        public_jwk: serde_json::json!({}),
        created_at: app.ctx.now(),
        activated_at: app.ctx.now(),
        retired_at: None,
    };
    let mut tx = replica.store.begin().await.unwrap();
    assert!(
        !signing_keys::insert_active_if_none(&mut tx, &second)
            .await
            .unwrap()
    );
    drop(tx);

    // Concurrent rotations on both replicas: each one lands, one key stays active.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..4 {
        let ctx = if i % 2 == 0 {
            app.ctx.clone()
        } else {
            replica.clone()
        };
        tasks.spawn(async move { jwt::rotate(&ctx).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(count_keys(&app.ctx).await, 5);
    let mut db = app.ctx.store.read().await.unwrap();
    let active: i64 = gatehouse::on_conn!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM signing_keys WHERE retired_at IS NULL"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    assert_eq!(active, 1);
    drop(db);
    replica.store.close().await;
    app.stop().await;
}

async fn jwt_tampered_or_foreign_tokens_fail(app: TestApp) {
    let issuer = app.ctx.config.server.public_url();
    let issued = jwt::issue(&app.ctx, &claims(&app)).await.unwrap();
    let jwks = jwt::jwks(&app.ctx).await.unwrap();
    let parts: Vec<&str> = issued.token.split('.').collect();
    assert_eq!(parts.len(), 3);

    // Payload changed (role admin -> owner), signature kept.
    let mut body: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    body["role"] = "owner".into();
    let forged_body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&body).unwrap());
    let forged = format!("{}.{}.{}", parts[0], forged_body, parts[2]);
    assert!(stock_decode(&jwks, &forged, &issuer).is_err());
    assert!(matches!(
        jwt::verify(&app.ctx, &forged).await,
        Err(JwtError::Invalid(_))
    ));

    // Signature changed.
    let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    sig[0] ^= 1;
    let forged = format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(sig));
    assert!(stock_decode(&jwks, &forged, &issuer).is_err());
    assert!(matches!(
        jwt::verify(&app.ctx, &forged).await,
        Err(JwtError::Invalid(_))
    ));

    // Signed by someone else's key under our kid.
    let foreign = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let der = ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_der(&foreign).unwrap();
    let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
    header.kid = Some(issued.kid.clone());
    let forged = jsonwebtoken::encode(
        &header,
        &body,
        &jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes()),
    )
    .unwrap();
    assert!(stock_decode(&jwks, &forged, &issuer).is_err());
    assert!(matches!(
        jwt::verify(&app.ctx, &forged).await,
        Err(JwtError::Invalid(_))
    ));

    // Unsigned ("alg": "none"), unknown kid, and garbage.
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"x"}"#);
    let unsigned = format!("{none_header}.{}.", parts[1]);
    assert!(stock_decode(&jwks, &unsigned, &issuer).is_err());
    assert!(jwt::verify(&app.ctx, &unsigned).await.is_err());
    let unknown_kid = URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA","kid":"nope"}"#);
    let unknown = format!("{unknown_kid}.{}.{}", parts[1], parts[2]);
    assert!(matches!(
        jwt::verify(&app.ctx, &unknown).await,
        Err(JwtError::UnknownKey)
    ));
    for garbage in ["", "a.b.c", "not a token", "..", "eyJ.eyJ.eyJ"] {
        assert!(jwt::verify(&app.ctx, garbage).await.is_err(), "{garbage:?}");
    }

    // The untouched token still verifies.
    stock_decode(&jwks, &issued.token, &issuer).unwrap();
    jwt::verify(&app.ctx, &issued.token).await.unwrap();
    app.stop().await;
}

async fn count_keys(ctx: &Ctx) -> i64 {
    let mut db = ctx.store.read().await.unwrap();
    gatehouse::on_conn!(db, |c| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM signing_keys"
    )
    .fetch_one(c)
    .await)
    .unwrap()
}

fn now_secs(app: &TestApp) -> i64 {
    use gatehouse::clock::Clock;
    app.clock.now().unix_timestamp()
}
