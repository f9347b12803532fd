//! Server-side sessions (only the hash of the session id is stored).

use super::{Db, Result, Timestamp};

/// Revokes every live session of the person; the next request with one is refused.
pub async fn revoke_all_for_user(
    db: &mut dyn Db,
    user_id: uuid::Uuid,
    now: Timestamp,
) -> Result<u64> {
    Ok(crate::execute!(
        db,
        sqlx::query(
            "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL"
        )
        .bind(user_id)
        .bind(now)
    )?)
}
