//! Additional contacts of an organization: addresses that get billing mail.

use super::{Db, Result, Timestamp};
use crate::on_conn;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct BillingContact {
    pub id: Uuid,
    #[serde(skip)]
    pub org_id: Uuid,
    pub email: String,
    pub created_at: Timestamp,
}

const COLUMNS: &str = "id, org_id, email, created_at";

/// Fails with `Conflict` when the organization already has this address (any case).
pub async fn insert(db: &mut dyn Db, c: &BillingContact) -> Result<()> {
    let sql = "INSERT INTO billing_contacts (id, org_id, email, email_key, created_at) \
               VALUES ($1, $2, $3, $4, $5)";
    crate::execute!(
        db,
        sqlx::query(sql)
            .bind(c.id)
            .bind(c.org_id)
            .bind(&c.email)
            .bind(super::users::email_key(&c.email))
            .bind(c.created_at)
    )?;
    Ok(())
}

pub async fn list(db: &mut dyn Db, org_id: Uuid) -> Result<Vec<BillingContact>> {
    let sql =
        format!("SELECT {COLUMNS} FROM billing_contacts WHERE org_id = $1 ORDER BY email_key, id");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .fetch_all(c)
        .await)?)
}

pub async fn count(db: &mut dyn Db, org_id: Uuid) -> Result<i64> {
    let sql = "SELECT COUNT(*) FROM billing_contacts WHERE org_id = $1";
    Ok(on_conn!(db, |c| sqlx::query_scalar(sql)
        .bind(org_id)
        .fetch_one(c)
        .await)?)
}

/// Deletes one contact of the organization and returns it.
pub async fn delete(db: &mut dyn Db, org_id: Uuid, id: Uuid) -> Result<BillingContact> {
    let sql =
        format!("DELETE FROM billing_contacts WHERE org_id = $1 AND id = $2 RETURNING {COLUMNS}");
    Ok(on_conn!(db, |c| sqlx::query_as(&sql)
        .bind(org_id)
        .bind(id)
        .fetch_one(c)
        .await)?)
}
