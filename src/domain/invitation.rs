//! Invitations, workspace access and single-use links.

crate::text_enum!(
    /// `organization`: join the organization; `user`: join it with access to several
    /// workspaces (org admins only); `member`: access to one workspace.
    pub enum InvitationKind { Organization => "organization", User => "user", Member => "member" }
);

crate::text_enum!(
    pub enum InvitationStatus { Pending => "pending", Accepted => "accepted", Revoked => "revoked", Expired => "expired" }
);

crate::text_enum!(
    /// A person's role in one workspace.
    pub enum WorkspaceRole { Member => "member", Manager => "manager" }
);

crate::text_enum!(
    /// What a single-use link sent by mail lets its holder do.
    pub enum LinkPurpose { ResetPassword => "reset_password", SetPassword => "set_password" }
);
