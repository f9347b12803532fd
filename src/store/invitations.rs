//! Invitations to an organization (and its workspaces); only the link token's hash
//! is stored.

use super::{Db, Result, StoreError, Timestamp};
use crate::domain::{InvitationKind, InvitationStatus, Role, WorkspaceRole};
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invitation {
    pub id: Uuid,
    pub org_id: Uuid,
    pub email: String,
    pub role: Role,
    pub kind: InvitationKind,
    pub inviter_id: Option<Uuid>,
    pub status: InvitationStatus,
    pub sent_at: Timestamp,
    pub expires_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl Invitation {
    /// Past its 5 days, whether or not the expiry job has marked it yet.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.status == InvitationStatus::Expired
            || (self.status == InvitationStatus::Pending && self.expires_at <= now)
    }
}

const COLUMNS: &str = "id, org_id, email, role, kind, inviter_id, status, sent_at, expires_at, accepted_at, revoked_at, created_at";

pub async fn insert(db: &mut dyn Db, i: &Invitation, token_hash: &str) -> Result<()> {
    let sql = "INSERT INTO invitations (id, org_id, email, email_key, role, kind, inviter_id, token_hash, status, sent_at, expires_at, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(i.id)
            .bind(i.org_id)
            .bind(&i.email)
            .bind(super::users::email_key(&i.email))
            .bind(i.role)
            .bind(i.kind)
            .bind(i.inviter_id)
            .bind(token_hash)
            .bind(i.status)
            .bind(i.sent_at)
            .bind(i.expires_at)
            .bind(i.created_at)
    )?;
    Ok(())
}

pub async fn add_workspace(
    db: &mut dyn Db,
    invitation_id: Uuid,
    workspace_id: Uuid,
    role: WorkspaceRole,
) -> Result<()> {
    crate::execute!(
        db,
        sqlx::query("INSERT INTO invitation_workspaces (invitation_id, workspace_id, role) VALUES ($1, $2, $3)")
            .bind(invitation_id)
            .bind(workspace_id)
            .bind(role)
    )?;
    Ok(())
}

/// (workspace id, role) granted by the invitation.
pub async fn workspaces(
    db: &mut dyn Db,
    invitation_id: Uuid,
) -> Result<Vec<(Uuid, WorkspaceRole)>> {
    let sql = "SELECT workspace_id, role FROM invitation_workspaces WHERE invitation_id = $1";
    Ok(on_conn!(db, |c| sqlx::query_as(sql)
        .bind(invitation_id)
        .fetch_all(c)
        .await)?)
}

pub async fn get(db: &mut dyn Db, org_id: Uuid, id: Uuid) -> Result<Invitation> {
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE org_id = $1 AND id = $2");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(id)
        .fetch_one(c)
        .await)?)
}

pub async fn find_by_token(db: &mut dyn Db, token_hash: &str) -> Result<Invitation> {
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE token_hash = $1");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(token_hash)
        .fetch_one(c)
        .await)?)
}

/// A pending invitation to this address, if any.
pub async fn pending_for_email(
    db: &mut dyn Db,
    org_id: Uuid,
    email: &str,
) -> Result<Option<Invitation>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM invitations WHERE org_id = $1 AND email_key = $2 AND status = 'pending' \
         ORDER BY sent_at DESC LIMIT 1"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(super::users::email_key(email))
        .fetch_optional(c)
        .await)?)
}

/// Pending invitations, newest first; with `include_expired`, expired ones too.
pub async fn list_open(
    db: &mut dyn Db,
    org_id: Uuid,
    include_expired: bool,
    now: Timestamp,
) -> Result<Vec<Invitation>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM invitations WHERE org_id = $1 \
         AND ((status = 'pending' AND expires_at > $2) OR ($3 AND status IN ('pending', 'expired'))) \
         ORDER BY sent_at DESC, id"
    );
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(now)
        .bind(include_expired)
        .fetch_all(c)
        .await)?)
}

/// Pending invitations that still hold a seat claim.
pub async fn count_pending(db: &mut dyn Db, org_id: Uuid, now: Timestamp) -> Result<i64> {
    let sql = "SELECT COUNT(*) FROM invitations WHERE org_id = $1 AND status = 'pending' AND expires_at > $2";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .bind(now)
        .fetch_one(c)
        .await)?)
}

/// New link and a new validity period (resend, reinvite).
pub async fn renew(
    db: &mut dyn Db,
    org_id: Uuid,
    id: Uuid,
    token_hash: &str,
    sent_at: Timestamp,
    expires_at: Timestamp,
) -> Result<()> {
    let sql = "UPDATE invitations SET token_hash = $3, sent_at = $4, expires_at = $5, status = 'pending' \
               WHERE org_id = $1 AND id = $2 AND status IN ('pending', 'expired')";
    let n = crate::execute!(
        db,
        sqlx::query(sql)
            .bind(org_id)
            .bind(id)
            .bind(token_hash)
            .bind(sent_at)
            .bind(expires_at)
    )?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Moves a pending invitation to `to` (accepted or revoked); false if it was not pending.
pub async fn close(
    db: &mut dyn Db,
    org_id: Uuid,
    id: Uuid,
    to: InvitationStatus,
    now: Timestamp,
) -> Result<bool> {
    let sql = "UPDATE invitations SET status = $3, \
               accepted_at = CASE WHEN $3 = 'accepted' THEN $4 ELSE accepted_at END, \
               revoked_at = CASE WHEN $3 = 'revoked' THEN $4 ELSE revoked_at END \
               WHERE org_id = $1 AND id = $2 AND status = 'pending'";
    let n = crate::execute!(
        db,
        sqlx::query(sql).bind(org_id).bind(id).bind(to).bind(now)
    )?;
    Ok(n > 0)
}

/// Where an expiry pass has got to: the (expires_at, id) of the last row it expired.
pub type ExpiryCursor = (Timestamp, Uuid);

/// An invitation [`expire_batch`] marked expired.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Expired {
    pub expires_at: Timestamp,
    pub id: Uuid,
    pub org_id: Uuid,
    pub email: String,
}

/// Marks up to `batch` pending invitations past their expiry as expired, in
/// (expires_at, id) order after `after`; returns how many and the new cursor.
///
/// Walking the index from a cursor keeps each batch as quick as the first: PostgreSQL
/// keeps the entries of rows just expired in the partial index until VACUUM, and a
/// batch that started from the index's beginning would step over all of them again.
pub async fn expire_batch(
    db: &mut dyn Db,
    now: Timestamp,
    after: Option<ExpiryCursor>,
    batch: i64,
) -> Result<(u64, Option<ExpiryCursor>)> {
    let (rows, next) = expire_batch_rows(db, now, after, batch).await?;
    Ok((rows.len() as u64, next))
}

/// [`expire_batch`], returning the invitations it expired.
pub async fn expire_batch_rows(
    db: &mut dyn Db,
    now: Timestamp,
    after: Option<ExpiryCursor>,
    batch: i64,
) -> Result<(Vec<Expired>, Option<ExpiryCursor>)> {
    let sql = "UPDATE invitations SET status = 'expired' WHERE id IN \
               (SELECT id FROM invitations WHERE status = 'pending' AND expires_at <= $1 \
                AND (expires_at, id) > ($2, $3) \
                ORDER BY expires_at, id LIMIT $4) \
               RETURNING expires_at, id, org_id, email";
    let (from, from_id) =
        after.unwrap_or((Timestamp(time::OffsetDateTime::UNIX_EPOCH), Uuid::nil()));
    let mut rows: Vec<Expired> = on_conn!(db, |c| sqlx::query_as(sql)
        .bind(now)
        .bind(from)
        .bind(from_id)
        .bind(batch)
        .fetch_all(c)
        .await)?;
    rows.sort_by_key(|r| (r.expires_at, r.id));
    let last = rows.last().map(|r| (r.expires_at, r.id)).or(after);
    Ok((rows, last))
}

/// Ids of the pending, unexpired invitations to this address, in every organization.
pub async fn pending_tokens_for_email(
    db: &mut dyn Db,
    email: &str,
    now: Timestamp,
) -> Result<Vec<Uuid>> {
    let sql = "SELECT id FROM invitations WHERE email_key = $1 AND status = 'pending' AND expires_at > $2 ORDER BY sent_at";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(super::users::email_key(email))
        .bind(now)
        .fetch_all(c)
        .await)?)
}

pub async fn find_by_id(db: &mut dyn Db, id: Uuid) -> Result<Invitation> {
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE id = $1");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_one(c)
        .await)?)
}
