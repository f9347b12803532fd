//! Gatehouse as the OpenID Provider of the suite's apps: the authorization endpoint's
//! decisions (`authorize`), the token, userinfo, revocation and introspection
//! endpoints (`tokens`), and logout reaching the apps (`logout`).
//!
//! - Which organization a token is for is a scope, `org:<id>` (see README). Without
//!   one, a person in one organization gets it; a person in several chooses.
//! - Codes, refresh tokens and the sid of a session are random or hashed: the
//!   database keeps only SHA-256 hashes of what a client holds.

pub mod authorize;
pub mod logout;
pub mod tokens;

use super::Result;
use crate::domain::{Role, Status};
use crate::store::memberships;
use crate::store::oauth_apps::{self, App};
use crate::store::{Db, StoreError, workspaces};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How long an authorization code can be exchanged (Keycloak's default).
pub const CODE_TTL: time::Duration = time::Duration::seconds(60);

/// The `sid` the apps know a Gatehouse session by: derived from the session's stored
/// hash, so it can be recomputed, and never the hash itself (which finds the session).
pub fn sid_of(session_hash: &str) -> String {
    let digest = Sha256::digest(format!("gatehouse-sid:{session_hash}").as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..18])
}

/// RFC 7636 S256: the verifier is 43 to 128 unreserved characters and its SHA-256,
/// base64url-encoded, is the challenge.
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    well_formed && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

/// The organization a token speaks for, as `/api/token` puts it.
#[derive(Debug, Clone)]
pub struct OrgClaims {
    pub org_id: Uuid,
    pub role: Role,
    pub workspaces: Vec<String>,
}

/// The person's standing in the organization for this app: `None` when they are not an
/// active member or the organization turned the app off.
pub(crate) async fn org_claims(
    db: &mut dyn Db,
    app: &App,
    user_id: Uuid,
    org_id: Uuid,
) -> Result<Option<OrgClaims>> {
    let m = match memberships::find(db, org_id, user_id).await {
        Ok(m) => m,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if m.status != Status::Active
        || oauth_apps::is_disabled_for_org(db, org_id, &app.client_id).await?
    {
        return Ok(None);
    }
    let access = if m.role == Role::Admin {
        workspaces::all_as_manager(db, org_id).await?
    } else {
        workspaces::for_membership(db, org_id, m.id).await?
    };
    Ok(Some(OrgClaims {
        org_id,
        role: m.role,
        workspaces: access.into_iter().map(|w| w.id.to_string()).collect(),
    }))
}

/// The organization named by an `org:<id>` scope, if the scope string has one.
pub fn requested_org(scope: &str) -> Option<std::result::Result<Uuid, ()>> {
    scope
        .split(' ')
        .find_map(|s| s.strip_prefix("org:"))
        .map(|id| Uuid::parse_str(id).map_err(|_| ()))
}

/// A scope string's scopes, each once, in order.
pub fn scopes(scope: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_s256_matches(verifier, challenge));
        assert!(!pkce_s256_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK",
            challenge
        ));
        assert!(!pkce_s256_matches("short", challenge));
        assert!(!pkce_s256_matches("", ""));
    }

    #[test]
    fn org_scope_and_scopes() {
        let id = Uuid::new_v4();
        assert_eq!(requested_org(&format!("openid org:{id}")), Some(Ok(id)));
        assert_eq!(requested_org("openid org:nope"), Some(Err(())));
        assert_eq!(requested_org("openid email"), None);
        assert_eq!(scopes(" openid  email openid"), vec!["openid", "email"]);
        assert_ne!(sid_of("a"), sid_of("b"));
    }
}
