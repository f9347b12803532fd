//! Events for the suite's apps: what changed in an organization, as the outbox keeps it
//! and the Events API and webhooks deliver it.
//!
//! Every event comes from an audit action (`AuditAction::event_types`): the audit log
//! is the one place every change is written, so the outbox cannot be forgotten by a
//! service that records its change.

use super::{ActorKind, AuditAction, Timestamp};
use uuid::Uuid;

crate::text_enum!(
    /// What happened, as apps subscribe to it. Add variants, never rename one: apps
    /// and webhook endpoints filter by the text.
    pub enum EventType {
        MembershipCreated => "membership.created",
        MembershipRoleChanged => "membership.role_changed",
        MembershipDisconnected => "membership.disconnected",
        MembershipReactivated => "membership.reactivated",
        MembershipRemoved => "membership.removed",
        WorkspaceCreated => "workspace.created",
        WorkspaceAccessGranted => "workspace.access_granted",
        WorkspaceAccessChanged => "workspace.access_changed",
        WorkspaceAccessRemoved => "workspace.access_removed",
        InvitationSent => "invitation.sent",
        InvitationAccepted => "invitation.accepted",
        InvitationRevoked => "invitation.revoked",
        InvitationExpired => "invitation.expired",
        ScimUserCreated => "scim.user.created",
        ScimUserUpdated => "scim.user.updated",
        ScimUserDeleted => "scim.user.deleted",
        ScimGroupCreated => "scim.group.created",
        ScimGroupUpdated => "scim.group.updated",
        ScimGroupDeleted => "scim.group.deleted",
        OrganizationCreated => "organization.created",
        OrganizationRenamed => "organization.renamed",
        OrganizationSeatLimitChanged => "organization.seat_limit_changed",
        SsoConnectionCreated => "sso_connection.created",
        SsoConnectionUpdated => "sso_connection.updated",
        SsoConnectionEnabled => "sso_connection.enabled",
        SsoConnectionDisabled => "sso_connection.disabled",
        SsoConnectionDeleted => "sso_connection.deleted",
        DomainClaimed => "domain.claimed",
        DomainVerified => "domain.verified",
        DomainUnverified => "domain.unverified",
        DomainReleased => "domain.released",
    }
);

/// What an event's `data` is: the resource as the JSON API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    /// `MemberView`, as `GET /api/v1/orgs/{org}/members/{id}`.
    Membership,
    /// The workspace, as `POST /api/v1/orgs/{org}/workspaces` answers.
    Workspace,
    /// The invitation, as `GET /api/v1/orgs/{org}/invitations` lists it.
    Invitation,
    /// The organization, as `GET /api/v1/orgs/{org}`.
    Organization,
    /// A directory group: id, displayName, externalId.
    ScimGroup,
    /// The SSO connection, as `GET /api/v1/orgs/{org}/sso-connections/{id}`.
    SsoConnection,
    /// The domain claim, as `GET /api/v1/orgs/{org}/domains`.
    Domain,
}

impl EventType {
    pub fn resource_kind(self) -> ResourceKind {
        use EventType as E;
        match self {
            E::MembershipCreated
            | E::MembershipRoleChanged
            | E::MembershipDisconnected
            | E::MembershipReactivated
            | E::MembershipRemoved
            | E::ScimUserCreated
            | E::ScimUserUpdated
            | E::ScimUserDeleted => ResourceKind::Membership,
            E::WorkspaceCreated
            | E::WorkspaceAccessGranted
            | E::WorkspaceAccessChanged
            | E::WorkspaceAccessRemoved => ResourceKind::Workspace,
            E::InvitationSent
            | E::InvitationAccepted
            | E::InvitationRevoked
            | E::InvitationExpired => ResourceKind::Invitation,
            E::ScimGroupCreated | E::ScimGroupUpdated | E::ScimGroupDeleted => {
                ResourceKind::ScimGroup
            }
            E::OrganizationCreated | E::OrganizationRenamed | E::OrganizationSeatLimitChanged => {
                ResourceKind::Organization
            }
            E::SsoConnectionCreated
            | E::SsoConnectionUpdated
            | E::SsoConnectionEnabled
            | E::SsoConnectionDisabled
            | E::SsoConnectionDeleted => ResourceKind::SsoConnection,
            E::DomainClaimed | E::DomainVerified | E::DomainUnverified | E::DomainReleased => {
                ResourceKind::Domain
            }
        }
    }
}

impl AuditAction {
    /// The events apps see for this audit action, in order (none for the actions that
    /// concern only the organization's admins, such as sign-ins or API keys). A sign-in
    /// through SSO that made a member just in time is the one case decided by the
    /// event's details (`services::events`).
    pub fn event_types(self) -> &'static [EventType] {
        use AuditAction as A;
        use EventType as E;
        match self {
            A::MemberDisconnected => &[E::MembershipDisconnected],
            A::MemberReactivated => &[E::MembershipReactivated],
            A::MemberRemoved => &[E::MembershipRemoved],
            A::MemberRoleChanged => &[E::MembershipRoleChanged],
            A::InvitationSent | A::InvitationResent | A::InvitationReinvited => {
                &[E::InvitationSent]
            }
            A::InvitationAccepted => &[E::InvitationAccepted, E::MembershipCreated],
            A::InvitationRevoked => &[E::InvitationRevoked],
            A::InvitationExpired => &[E::InvitationExpired],
            A::WorkspaceCreated => &[E::WorkspaceCreated],
            A::WorkspaceAccessGranted => &[E::WorkspaceAccessGranted],
            A::WorkspaceRoleChanged => &[E::WorkspaceAccessChanged],
            A::WorkspacePersonRemoved => &[E::WorkspaceAccessRemoved],
            A::ScimUserCreated => &[E::ScimUserCreated, E::MembershipCreated],
            A::ScimUserUpdated => &[E::ScimUserUpdated],
            A::ScimUserDeactivated => &[E::ScimUserUpdated, E::MembershipDisconnected],
            A::ScimUserReactivated => &[E::ScimUserUpdated, E::MembershipReactivated],
            A::ScimUserDeleted => &[E::ScimUserDeleted, E::MembershipDisconnected],
            A::ScimGroupCreated => &[E::ScimGroupCreated],
            A::ScimGroupReplaced | A::ScimGroupUpdated => &[E::ScimGroupUpdated],
            A::ScimGroupDeleted => &[E::ScimGroupDeleted],
            A::OrganizationCreated => &[E::OrganizationCreated],
            A::OrganizationRenamed => &[E::OrganizationRenamed],
            A::OrganizationSeatsChanged => &[E::OrganizationSeatLimitChanged],
            A::SsoConnectionCreated => &[E::SsoConnectionCreated],
            A::SsoConnectionUpdated => &[E::SsoConnectionUpdated],
            A::SsoConnectionEnabled => &[E::SsoConnectionEnabled],
            A::SsoConnectionDisabled => &[E::SsoConnectionDisabled],
            A::SsoConnectionDeleted => &[E::SsoConnectionDeleted],
            A::DomainClaimed => &[E::DomainClaimed],
            A::DomainVerified => &[E::DomainVerified],
            A::DomainUnverified => &[E::DomainUnverified],
            A::DomainReleased => &[E::DomainReleased],
            A::SsoSigninSucceeded => &[E::MembershipCreated],
            _ => &[],
        }
    }
}

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EventActor {
    /// `user`, `api_key`, `scim_token` (a directory), `cli` or `system` (a job).
    pub kind: ActorKind,
    pub id: Option<String>,
    pub name: String,
}

/// An event before the store gives it its sequence number.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: Uuid,
    pub event_type: EventType,
    pub resource: serde_json::Value,
}

/// One event of the outbox, as the Events API and webhooks show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Event {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub org_id: Uuid,
    /// Increases by one with each event of the organization, with no gaps.
    pub sequence: i64,
    pub created_at: Timestamp,
    pub actor: EventActor,
    /// The resource after the change, as the JSON API shows it (for a deletion, what
    /// is left of it: its id and what the audit log recorded).
    pub data: serde_json::Value,
}
