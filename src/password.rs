//! Password hashing: argon2id in PHC format (`password-auth`, whose parameters follow
//! the OWASP recommendation: m=19 MiB, t=2, p=1). Hashing is slow on purpose, so it
//! runs on the blocking pool, never on the async workers.

pub const MIN_LEN: usize = 8;
/// Bounded so a huge "password" cannot be used to burn CPU.
pub const MAX_LEN: usize = 128;

/// Checks the policy (length only, per NIST SP 800-63B) and hashes.
pub async fn hash(password: String) -> Result<String, String> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Err(format!("password must be at least {MIN_LEN} characters"));
    }
    if chars > MAX_LEN {
        return Err(format!("password must be at most {MAX_LEN} characters"));
    }
    tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(|e| format!("hashing failed: {e}"))
}

/// Verifies in constant time (argon2 compares the full digest).
pub async fn verify(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || password_auth::verify_password(password, &phc).is_ok())
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_policy_is_enforced() {
        let h = hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse".into(), h.clone()).await);
        assert!(!verify("wrong horse".into(), h).await);
        assert!(hash("short".into()).await.is_err());
        assert!(hash("x".repeat(129)).await.is_err());
    }
}
