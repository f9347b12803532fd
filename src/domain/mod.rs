//! The nouns every layer shares: roles, statuses, sources, workspace roles, audit
//! actions, the events apps receive, timestamps and the member view.
//!
//! This module sits below all the layers. It knows nothing of SQL, HTTP or SCIM: the
//! store adds the database encoding (`store/text_enum.rs`, `store/dialect.rs`), and each
//! surface renders these types its own way. Every enum travels as its lower-case text
//! name, in the database and in JSON alike.

mod text_enum;

pub mod audit;
pub mod event;
pub mod invitation;
pub mod membership;
pub mod org;
pub mod sso_link;
mod timestamp;

pub use audit::{ActorKind, AuditAction, AuditEvent};
pub use event::{Event, EventActor, EventType, NewEvent, ResourceKind};
pub use invitation::{InvitationKind, InvitationStatus, LinkPurpose, WorkspaceRole};
pub use membership::{MemberView, Role, Source, Status};
pub use sso_link::LinkAttribute;
pub use timestamp::Timestamp;
