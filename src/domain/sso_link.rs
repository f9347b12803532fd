//! How a person met for the first time at an organization's SSO connection can be matched
//! to the member its directory provisioned over SCIM.

crate::text_enum!(
    /// The SCIM attribute a connection's link claim is compared with: `externalId` exactly
    /// (SCIM's `caseExact`), `userName` without regard to case.
    pub enum LinkAttribute { ExternalId => "externalId", UserName => "userName" }
);
