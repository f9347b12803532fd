//! A SCIM user document taken apart: what has columns, what stays JSON, and what is
//! derived from it (login address, display name, emails, the password's hash).

use super::ACTIVE_UNASSIGNED;
use crate::domain::Status;
use crate::scim::error::ScimError;
use crate::scim::filter::fold_case;
use crate::store::scim_users::{EmailRow, ScimUserRow};
use serde_json::{Map, Value};

/// A user resource split into what has columns and what stays JSON.
pub(super) struct Parts {
    pub(super) user_name: String,
    pub(super) external_id: Option<String>,
    pub(super) active: bool,
    pub(super) password: Option<String>,
    pub(super) attributes: Value,
}

/// Splits a canonical user document; `active` defaults to `default_active`.
pub(super) fn split(doc: Value, default_active: bool) -> Result<Parts, ScimError> {
    let Value::Object(mut map) = doc else {
        return Err(ScimError::invalid_syntax("a user must be a JSON object"));
    };
    map.remove("schemas");
    map.remove("id");
    map.remove("meta");
    map.remove("groups");
    let user_name = match map.remove("userName") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        _ => return Err(ScimError::invalid_value("userName is required")),
    };
    if user_name.chars().count() > 256 {
        return Err(ScimError::invalid_value(
            "userName is longer than 256 characters",
        ));
    }
    let external_id = match map.remove("externalId") {
        Some(Value::String(s)) => Some(s),
        None | Some(Value::Null) => None,
        Some(_) => return Err(ScimError::invalid_value("externalId must be a string")),
    };
    let active = match map.remove("active") {
        Some(Value::Bool(b)) => b,
        None | Some(Value::Null) => default_active,
        Some(_) => return Err(ScimError::invalid_value("active must be a boolean")),
    };
    let password = match map.remove("password") {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    Ok(Parts {
        user_name,
        external_id,
        active,
        password,
        attributes: Value::Object(map),
    })
}

/// The patchable document of a stored user (everything but id, meta and groups).
pub(super) fn document(row: &ScimUserRow) -> Value {
    let mut map = match &row.scim_attributes {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    if let Some(u) = &row.user_name {
        map.insert("userName".into(), Value::String(u.clone()));
    }
    if let Some(e) = &row.external_id {
        map.insert("externalId".into(), Value::String(e.clone()));
    }
    if map.remove(ACTIVE_UNASSIGNED).is_none() {
        map.insert("active".into(), Value::Bool(row.status == Status::Active));
    }
    Value::Object(map)
}

/// The address a person signs in with: primary email, else a work email, else the
/// first email, else the userName when it is an address.
pub(super) fn login_email(parts: &Parts) -> Option<String> {
    let emails = parts.attributes.get("emails").and_then(Value::as_array);
    let value_of = |e: &Value| e.get("value").and_then(Value::as_str).map(str::to_string);
    let pick = emails.and_then(|list| {
        list.iter()
            .find(|e| e.get("primary") == Some(&Value::Bool(true)))
            .or_else(|| {
                list.iter()
                    .find(|e| e.get("type").and_then(Value::as_str) == Some("work"))
            })
            .or_else(|| list.first())
            .and_then(value_of)
    });
    pick.or_else(|| Some(parts.user_name.clone()))
        .and_then(|e| crate::email::parse(&e).ok())
}

pub(super) fn display_name(parts: &Parts) -> String {
    let a = &parts.attributes;
    if let Some(d) = a.get("displayName").and_then(Value::as_str) {
        return d.to_string();
    }
    let name = a.get("name");
    if let Some(f) = name
        .and_then(|n| n.get("formatted"))
        .and_then(Value::as_str)
    {
        return f.to_string();
    }
    let given = name
        .and_then(|n| n.get("givenName"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let family = name
        .and_then(|n| n.get("familyName"))
        .and_then(Value::as_str)
        .unwrap_or("");
    format!("{given} {family}").trim().to_string()
}

pub(super) fn email_rows(attributes: &Value) -> Vec<EmailRow> {
    attributes
        .get("emails")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|e| {
                    let value = e.get("value")?.as_str()?.to_string();
                    Some(EmailRow {
                        value_key: fold_case(&value),
                        value,
                        kind: e.get("type").and_then(Value::as_str).map(str::to_string),
                        primary: e.get("primary") == Some(&Value::Bool(true)),
                        display: e.get("display").and_then(Value::as_str).map(str::to_string),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(super) async fn hash_password(password: Option<String>) -> Result<Option<String>, ScimError> {
    match password {
        Some(p) => crate::password::hash(p)
            .await
            .map(Some)
            .map_err(ScimError::invalid_value),
        None => Ok(None),
    }
}

/// A new password hashed before the write transaction: argon2 takes tens of
/// milliseconds, which must not hold the writer (SQLite has one) or the user's row.
#[derive(Default)]
pub(super) struct Hashed(Option<(String, String)>);

impl Hashed {
    pub(super) async fn of(password: Option<String>) -> Result<Hashed, ScimError> {
        Ok(Hashed(match password {
            Some(p) => hash_password(Some(p.clone())).await?.map(|h| (p, h)),
            None => None,
        }))
    }

    /// The hash of `password`, as the transaction found it. It was hashed beforehand;
    /// should the transaction find another one (it cannot come from the stored user,
    /// which keeps no password), that one is hashed here.
    pub(super) async fn of_password(
        &mut self,
        password: Option<String>,
    ) -> Result<Option<String>, ScimError> {
        match (self.0.take(), password) {
            (_, None) => Ok(None),
            (Some((plain, hash)), Some(p)) if plain == p => Ok(Some(hash)),
            (_, p) => hash_password(p).await,
        }
    }
}

pub(super) fn uniqueness(user_name: &str) -> ScimError {
    ScimError::uniqueness(format!(
        "userName \"{user_name}\" is already taken in this organization"
    ))
}
