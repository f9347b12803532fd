//! A person in an organization.

use super::Timestamp;
use uuid::Uuid;

crate::text_enum!(
    /// Organization role.
    pub enum Role { Member => "member", Admin => "admin" }
);

crate::text_enum!(
    /// `disconnected` keeps the records (for reports) but frees the seat and ends access.
    pub enum Status { Active => "active", Pending => "pending", Disconnected => "disconnected" }
);

crate::text_enum!(
    /// Who created the membership: an invitation/admin, or the directory over SCIM.
    pub enum Source { Manual => "manual", Scim => "scim" }
);

/// A member as the admin pages and the API list them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MemberView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub status: Status,
    pub source: Source,
    pub has_password: bool,
    pub created_at: Timestamp,
    pub disconnected_at: Option<Timestamp>,
}
