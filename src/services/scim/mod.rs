//! What SCIM provisioning does to an organization (the seeds' rules): users become
//! members taking a seat, deactivation disconnects them (records kept, seat freed,
//! sessions revoked), groups map to roles. Errors are SCIM errors, since the only
//! caller is the SCIM protocol layer.

pub mod create_queue;
pub mod groups;
pub mod mappings;
pub mod users;

use super::audit::Actor;
use crate::domain::ActorKind;
use crate::store::scim_tokens::ScimToken;

/// The directory calling, as identified by its bearer token.
#[derive(Debug, Clone)]
pub struct ScimClient {
    pub token: ScimToken,
    /// The caller's User-Agent, for metrics and the audit trail (may be absent).
    pub user_agent: Option<String>,
    pub client_addr: Option<String>,
}

impl ScimClient {
    pub fn org_id(&self) -> uuid::Uuid {
        self.token.org_id
    }

    /// Audit events name the token: "who" is the directory connection.
    pub fn actor(&self) -> Actor {
        Actor {
            kind: ActorKind::ScimToken,
            id: Some(self.token.id.to_string()),
            name: self.token.name.clone(),
            client_addr: self.client_addr.clone(),
        }
    }
}

/// Lists at most this many ids in an audit event's details (the count is always there).
pub(crate) const AUDIT_ID_LIMIT: usize = 100;

/// A list of ids for an audit event's details: the count, and at most
/// [`AUDIT_ID_LIMIT`] of the ids.
pub(crate) fn audit_ids(ids: &[uuid::Uuid]) -> serde_json::Value {
    serde_json::json!({
        "count": ids.len(),
        "ids": ids.iter().take(AUDIT_ID_LIMIT).map(uuid::Uuid::to_string).collect::<Vec<_>>(),
    })
}
