//! The audit log's vocabulary: who acted, what they did, and the event itself.

use super::Timestamp;
use uuid::Uuid;

crate::text_enum!(
    /// Who acted.
    pub enum ActorKind {
        User => "user",
        ScimToken => "scim_token",
        ApiKey => "api_key",
        Cli => "cli",
        System => "system",
    }
);

crate::text_enum!(
    /// What happened, as a dotted verb. The log keeps the text, and admins filter by it:
    /// add variants, never rename one.
    pub enum AuditAction {
        ApiKeyCreated => "api_key.created",
        AppCreated => "app.created",
        AppDeleted => "app.deleted",
        AppDisabled => "app.disabled",
        AppEnabled => "app.enabled",
        AppSecretRotated => "app.secret_rotated",
        AppUpdated => "app.updated",
        ApiKeyRevoked => "api_key.revoked",
        BillingContactAdded => "billing_contact.added",
        BillingContactRemoved => "billing_contact.removed",
        DomainClaimed => "domain.claimed",
        DomainRecordMissing => "domain.record_missing",
        DomainReleased => "domain.released",
        DomainUnverified => "domain.unverified",
        DomainVerified => "domain.verified",
        GroupMappingCreated => "group_mapping.created",
        GroupMappingRemoved => "group_mapping.removed",
        IdentityLinked => "identity.linked",
        InvitationAccepted => "invitation.accepted",
        InvitationExpired => "invitation.expired",
        InvitationReinvited => "invitation.reinvited",
        InvitationResent => "invitation.resent",
        InvitationRevoked => "invitation.revoked",
        InvitationSeatRefused => "invitation.seat_refused",
        InvitationSent => "invitation.sent",
        JobFailed => "job.failed",
        JobSucceeded => "job.succeeded",
        MemberAvatarRemoved => "member.avatar_removed",
        MemberAvatarSet => "member.avatar_set",
        MemberDisconnected => "member.disconnected",
        MemberReactivated => "member.reactivated",
        MemberRemoved => "member.removed",
        MemberRoleChanged => "member.role_changed",
        MemberRoleKept => "member.role_kept",
        OrganizationCreated => "organization.created",
        OrganizationRenamed => "organization.renamed",
        OrganizationSeatsChanged => "organization.seats_changed",
        PasswordReset => "password.reset",
        ScimGroupCreated => "scim.group.created",
        ScimGroupDeleted => "scim.group.deleted",
        ScimGroupReplaced => "scim.group.replaced",
        ScimGroupUpdated => "scim.group.updated",
        ScimTokenCreated => "scim_token.created",
        ScimTokenRevoked => "scim_token.revoked",
        ScimUserCreated => "scim.user.created",
        ScimUserDeactivated => "scim.user.deactivated",
        ScimUserDeleted => "scim.user.deleted",
        ScimUserReactivated => "scim.user.reactivated",
        ScimUserSeatRefused => "scim.user.seat_refused",
        ScimUserUpdated => "scim.user.updated",
        SigninFailed => "signin.failed",
        SigninSucceeded => "signin.succeeded",
        SigninThrottled => "signin.throttled",
        SsoConnectionCreated => "sso_connection.created",
        SsoConnectionDeleted => "sso_connection.deleted",
        SsoConnectionDisabled => "sso_connection.disabled",
        SsoConnectionEnabled => "sso_connection.enabled",
        SsoConnectionTested => "sso_connection.tested",
        SsoConnectionUpdated => "sso_connection.updated",
        SsoBreakGlassNamed => "sso.break_glass.named",
        SsoBreakGlassRemoved => "sso.break_glass.removed",
        SsoBreakGlassSignin => "sso.break_glass.signin",
        SsoEnforcementDisabled => "sso.enforcement.disabled",
        SsoEnforcementEnabled => "sso.enforcement.enabled",
        SsoSigninRefused => "sso.signin.refused",
        SsoSigninSucceeded => "sso.signin.succeeded",
        WebhookCreated => "webhook.created",
        WebhookDeleted => "webhook.deleted",
        WebhookDisabled => "webhook.disabled",
        WebhookResent => "webhook.resent",
        WebhookSecretRotated => "webhook.secret_rotated",
        WebhookUpdated => "webhook.updated",
        WorkspaceAccessGranted => "workspace.access_granted",
        WorkspaceCreated => "workspace.created",
        WorkspacePersonRemoved => "workspace.person_removed",
        WorkspaceRoleChanged => "workspace.role_changed",
    }
);

/// One row of the audit log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEvent {
    pub id: Uuid,
    pub org_id: Option<Uuid>,
    pub actor_kind: ActorKind,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub action: AuditAction,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub details: serde_json::Value,
    pub client_addr: Option<String>,
    pub created_at: Timestamp,
}
