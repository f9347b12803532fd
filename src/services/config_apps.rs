//! Apps from the config file (`[apps.<name>]`, `config::apps`), upserted at start with
//! source `config`: created when new, rewritten when the file changed (audited
//! `app.created` / `app.updated`). An app removed from the file stays registered (its
//! tokens keep working) until the operator deletes it with the CLI, which refuses to
//! delete or rotate an app while the file defines it.

use super::apps::{self, AppSettings};
use super::audit::{self, Actor};
use super::{Ctx, Error, Result};
use crate::domain::AuditAction;
use crate::store::StoreError;
use crate::store::oauth_apps::{self, App};

pub const SOURCE: &str = "config";

/// Whether the config file defines the app now.
pub fn defines(ctx: &Ctx, client_id: &str) -> bool {
    ctx.config.apps.values().any(|a| a.client_id == client_id)
}

/// Refuses a CLI change to an app the config file defines.
pub fn refuse_if_configured(ctx: &Ctx, app: &App) -> Result<()> {
    if app.source == SOURCE && defines(ctx, &app.client_id) {
        return Err(Error::Conflict(format!(
            "the app \"{}\" ({}) comes from the config file: change or remove its [apps.*] table instead",
            app.name, app.client_id
        )));
    }
    Ok(())
}

fn same_settings(a: &App, b: &App) -> bool {
    (
        &a.name,
        a.confidential,
        &a.secret_hash,
        &a.redirect_uris,
        &a.post_logout_redirect_uris,
        &a.backchannel_logout_uri,
        &a.scopes,
        &a.id_token_alg,
        a.access_token_secs,
        a.refresh_token_secs,
        &a.source,
    ) == (
        &b.name,
        b.confidential,
        &b.secret_hash,
        &b.redirect_uris,
        &b.post_logout_redirect_uris,
        &b.backchannel_logout_uri,
        &b.scopes,
        &b.id_token_alg,
        b.access_token_secs,
        b.refresh_token_secs,
        &b.source,
    )
}

/// Upserts every app of the config file; returns the client ids created or changed.
/// An error names the app's key (`apps.<name>.<field>`).
pub async fn sync(ctx: &Ctx) -> Result<Vec<String>> {
    let actor = Actor::system("config");
    let mut changed = Vec::new();
    for (name, c) in &ctx.config.apps {
        let settings = AppSettings {
            name: c.name.clone().unwrap_or_else(|| name.clone()),
            public: c.public,
            redirect_uris: c.redirect_uris.clone(),
            post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
            backchannel_logout_uri: c.backchannel_logout_uri.clone(),
            scopes: c.scopes.clone(),
            id_token_alg: c.id_token_alg.clone(),
            access_token_secs: c.access_token_secs,
            refresh_token_secs: c.refresh_token_secs,
        };
        let named = |e: Error| match e {
            Error::Invalid { field, message } => Error::invalid(format!(
                "config key `apps.{name}.{}`: {message}",
                field.unwrap_or("name")
            )),
            Error::Conflict(m) => Error::Conflict(format!("config key `apps.{name}`: {m}")),
            e => e,
        };
        let mut app =
            apps::validate(&settings, ctx.now(), c.client_id.clone(), SOURCE).map_err(named)?;
        app.secret_hash = if c.public {
            None
        } else {
            c.client_secret_hash.clone()
        };
        if app.id_token_alg == crate::services::rsa::ALGORITHM {
            crate::services::rsa::ensure(ctx)
                .await
                .map_err(|e| Error::Internal(e.to_string()))?;
        }
        let mut tx = ctx.store.begin().await?;
        let action = match oauth_apps::get(&mut tx, &app.client_id).await {
            Ok(old) if old.source != SOURCE => {
                return Err(named(Error::Conflict(format!(
                    "client_id {} belongs to an app registered with the CLI",
                    app.client_id
                ))));
            }
            Ok(old) if same_settings(&old, &app) => None,
            Ok(old) => {
                app.created_at = old.created_at;
                oauth_apps::update_settings(&mut tx, &app)
                    .await
                    .map_err(|e| named(conflict_on_name(e, &app)))?;
                if let Some(hash) = &app.secret_hash {
                    oauth_apps::set_secret_hash(&mut tx, &app.client_id, hash, app.updated_at)
                        .await?;
                }
                Some(AuditAction::AppUpdated)
            }
            Err(StoreError::NotFound) => {
                oauth_apps::insert(&mut tx, &app)
                    .await
                    .map_err(|e| named(conflict_on_name(e, &app)))?;
                Some(AuditAction::AppCreated)
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(action) = action {
            audit::record(ctx, &mut tx, &actor, apps::audit_change(action, &app)).await?;
            changed.push(app.client_id.clone());
        }
        tx.commit().await?;
    }
    Ok(changed)
}

fn conflict_on_name(e: StoreError, app: &App) -> Error {
    if e.is_conflict_on("name") {
        Error::Conflict(format!("an app named {:?} exists already", app.name))
    } else {
        e.into()
    }
}
