//! Organizations and their first admin.

use super::audit::{self, Actor, Change};
use super::{Ctx, Error, Result, not_found};
use crate::domain::{AuditAction, LinkPurpose, Role, Source, Status, Timestamp};
use crate::store::StoreError;
use crate::store::links::{self, OneTimeLink};
use crate::store::memberships::{self, Membership};
use crate::store::orgs::{self, Org};
use crate::store::users::{self, User};
use crate::{password, token};
use serde_json::json;
use time::Duration;
use uuid::Uuid;

/// How long the first admin's set-password link printed by the CLI stays valid.
pub const SETUP_LINK_TTL: Duration = Duration::hours(24);

pub struct BootstrapRequest {
    pub org_name: String,
    pub email: String,
    /// When given, set as the admin's password; otherwise a one-time link is made.
    pub password: Option<String>,
    pub display_name: Option<String>,
}

pub struct Bootstrapped {
    pub org: Org,
    pub user_id: Uuid,
    /// The set-password link, shown once, when no password was given.
    pub setup_link: Option<String>,
}

/// Creates an organization with its first admin. The admin's person record is
/// reused when the email already has an account (one person, many organizations).
pub async fn bootstrap(ctx: &Ctx, actor: &Actor, req: BootstrapRequest) -> Result<Bootstrapped> {
    let org_name = req.org_name.trim().to_string();
    if org_name.is_empty() || org_name.chars().count() > 200 {
        return Err(Error::invalid(
            "organization name must be 1 to 200 characters",
        ));
    }
    let email = crate::email::parse(&req.email).map_err(|m| Error::invalid_field("email", m))?;
    let password_hash = match req.password {
        Some(p) => Some(
            password::hash(p)
                .await
                .map_err(|m| Error::invalid_field("password", m))?,
        ),
        None => None,
    };
    let now = ctx.now();
    let mut tx = ctx.store.begin().await?;

    let org = Org {
        id: Uuid::now_v7(),
        name: org_name,
        seat_limit: None,
        seats_used: 0,
        created_at: now,
        updated_at: now,
    };
    orgs::insert(&mut tx, &org).await.map_err(|e| match e {
        StoreError::Conflict(_) => Error::Conflict(format!(
            "an organization named \"{}\" already exists",
            org.name
        )),
        other => other.into(),
    })?;

    let user = match users::find_by_email(&mut tx, &email).await {
        Ok(existing) => existing,
        Err(StoreError::NotFound) => {
            let user = User {
                id: Uuid::now_v7(),
                email: email.clone(),
                display_name: req
                    .display_name
                    .clone()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                password_hash: None,
                created_at: now,
                updated_at: now,
            };
            users::insert(&mut tx, &user).await?;
            user
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(hash) = &password_hash {
        users::set_password_hash(&mut tx, user.id, hash, now).await?;
    }
    memberships::insert(
        &mut tx,
        &Membership {
            id: Uuid::now_v7(),
            org_id: org.id,
            user_id: user.id,
            role: Role::Admin,
            status: Status::Active,
            source: Source::Manual,
            disconnected_at: None,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;

    let setup_link = if password_hash.is_none() {
        let t = token::generate("ghl");
        let link = OneTimeLink {
            id: Uuid::now_v7(),
            user_id: user.id,
            purpose: LinkPurpose::SetPassword,
            created_at: now,
            expires_at: Timestamp(now.0 + SETUP_LINK_TTL),
            used_at: None,
        };
        links::insert(&mut tx, &link, &t.hash).await?;
        Some(format!(
            "{}/auth/reset/{}",
            ctx.config.server.public_url(),
            t.plaintext
        ))
    } else {
        None
    };

    audit::record(
        ctx,
        &mut tx,
        actor,
        Change {
            org_id: Some(org.id),
            action: AuditAction::OrganizationCreated,
            target_kind: "organization",
            target_id: org.id.to_string(),
            details: json!({ "name": org.name, "first_admin": email }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Bootstrapped {
        org,
        user_id: user.id,
        setup_link,
    })
}

pub async fn find_by_name(ctx: &Ctx, name: &str) -> Result<Org> {
    let mut db = ctx.store.read().await?;
    orgs::find_by_name(&mut db, name)
        .await
        .map_err(not_found("organization"))
}

/// Whether any organization exists yet (start-up hint for a fresh install).
pub async fn any_exist(ctx: &Ctx) -> Result<bool> {
    let mut db = ctx.store.read().await?;
    Ok(orgs::count(&mut db).await? > 0)
}
