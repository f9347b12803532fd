//! Tenant isolation, generated from the route table: every `.route("...")` in
//! `src/http` must have an entry in [`TABLE`] saying how organization A calls it on
//! organization B's ids, so a new route cannot be forgotten. Each call runs as A
//! (A's SCIM token, or A's admin session) and must never succeed on B's resources
//! nor show any of B's data.

use crate::avatars::{PNG, upload};
use crate::backend_tests;
use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};
use crate::orgs::Person;
use crate::scim::scim_with;
use gatehouse::services::audit::Actor;
use gatehouse::services::{orgs, scim_tokens};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;

backend_tests!(organization_a_never_reaches_organization_b);

/// How A calls a route.
#[derive(Debug, Clone, Copy)]
enum As {
    /// With A's SCIM bearer token.
    Scim,
    /// With A's admin session (pages carry A's CSRF token).
    Session,
    /// Signed out.
    Anonymous,
}

/// What the answer may be.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Aimed at B's resource: never a success, never B's data.
    Refused,
    /// A's own view (lists, discovery, public pages): any status, never B's data.
    OwnOnly,
}

/// One call: method, path with placeholders (`{A}`, `{B}` organization ids; `{b_user}`,
/// `{b_group}` B's SCIM ids; `{b_member}`, `{b_invitation}` B's API ids; `{a_group}`),
/// and a body.
type Call = (&'static str, &'static str, As, Expect, Option<&'static str>);

const SCIM_PATCH: &str = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Hijacked"}]}"#;
const SCIM_USER_PUT: &str =
    r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"hijacked@a.test"}"#;
const SCIM_GROUP_PUT: &str =
    r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Hijacked"}"#;
const SEARCH_B: &str = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName sw \"b-\" or displayName sw \"B \""}"#;
const ADD_B_MEMBER: &str = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"{b_user}"}]}]}"#;
const BULK_ON_B: &str = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
  {"method":"PATCH","path":"/Users/{b_user}","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"x"}]}},
  {"method":"DELETE","path":"/Groups/{b_group}"}]}"#;

/// Every route of `src/http`, as written there (SCIM's relative to `/scim/v2`), with
/// the calls that prove isolation.
const TABLE: &[(&str, &[Call])] = &[
    // Public: no organization's data behind them.
    ("/", &[("GET", "/", As::Session, Expect::OwnOnly, None)]),
    (
        "/healthz",
        &[("GET", "/healthz", As::Anonymous, Expect::OwnOnly, None)],
    ),
    (
        "/readyz",
        &[("GET", "/readyz", As::Anonymous, Expect::OwnOnly, None)],
    ),
    (
        "/static/app.css",
        &[(
            "GET",
            "/static/app.css",
            As::Anonymous,
            Expect::OwnOnly,
            None,
        )],
    ),
    (
        "/.well-known/jwks.json",
        &[(
            "GET",
            "/.well-known/jwks.json",
            As::Anonymous,
            Expect::OwnOnly,
            None,
        )],
    ),
    (
        "/auth/signin",
        &[("GET", "/auth/signin", As::Anonymous, Expect::OwnOnly, None)],
    ),
    (
        "/auth/signup",
        &[("GET", "/auth/signup", As::Anonymous, Expect::OwnOnly, None)],
    ),
    (
        "/auth/forgot",
        &[("GET", "/auth/forgot", As::Anonymous, Expect::OwnOnly, None)],
    ),
    (
        "/auth/signout",
        &[(
            "POST",
            "/auth/signout",
            As::Anonymous,
            Expect::OwnOnly,
            Some("form"),
        )],
    ),
    // Links: the token in the path is the credential, not an organization id.
    (
        "/auth/reset/{token}",
        &[(
            "GET",
            "/auth/reset/ghl_not_a_token",
            As::Session,
            Expect::Refused,
            None,
        )],
    ),
    (
        "/invite/{token}",
        &[(
            "GET",
            "/invite/ghi_not_a_token",
            As::Session,
            Expect::Refused,
            None,
        )],
    ),
    (
        "/invite/{token}/accept",
        &[(
            "POST",
            "/invite/ghi_not_a_token/accept",
            As::Session,
            Expect::Refused,
            Some("form"),
        )],
    ),
    (
        "/invite/{token}/signup",
        &[(
            "POST",
            "/invite/ghi_not_a_token/signup",
            As::Session,
            Expect::Refused,
            Some("form:display_name=Intruder&password=a long enough password"),
        )],
    ),
    (
        "/auth/oidc/{name}/start",
        &[(
            "GET",
            "/auth/oidc/none/start",
            As::Anonymous,
            Expect::Refused,
            None,
        )],
    ),
    (
        "/auth/oidc/{name}/callback",
        &[(
            "GET",
            "/auth/oidc/none/callback?state=x&code=y",
            As::Anonymous,
            Expect::Refused,
            None,
        )],
    ),
    // Sign-in through an organization's own connection: B has none to start.
    (
        "/auth/sso/start",
        &[
            (
                "GET",
                "/auth/sso/start?org={B}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/auth/sso/start?org={B}",
                As::Anonymous,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/auth/sso/{connection}/start",
        &[(
            "GET",
            "/auth/sso/{B}/start",
            As::Anonymous,
            Expect::Refused,
            None,
        )],
    ),
    (
        "/auth/sso/{connection}/callback",
        &[(
            "GET",
            "/auth/sso/{B}/callback?state=x&code=y",
            As::Anonymous,
            Expect::Refused,
            None,
        )],
    ),
    // SAML: B's connection (an OIDC one here) is no SAML connection to begin, answer or
    // describe.
    (
        "/auth/saml/{connection}/begin",
        &[(
            "GET",
            "/auth/saml/{b_sso}/begin",
            As::Anonymous,
            Expect::Refused,
            None,
        )],
    ),
    (
        "/auth/saml/{connection}/acs",
        &[(
            "POST",
            "/auth/saml/{b_sso}/acs",
            As::Anonymous,
            Expect::Refused,
            Some("form:SAMLResponse=PHg%2BPC94Pg%3D%3D"),
        )],
    ),
    (
        "/auth/saml/{connection}/metadata",
        &[(
            "GET",
            "/auth/saml/{b_sso}/metadata",
            As::Anonymous,
            Expect::Refused,
            None,
        )],
    ),
    // The signed-in person's own data.
    (
        "/api/me",
        &[("GET", "/api/me", As::Session, Expect::OwnOnly, None)],
    ),
    (
        "/api/me/password",
        &[(
            "POST",
            "/api/me/password",
            As::Session,
            Expect::Refused,
            Some(r#"{"current_password":"wrong","new_password":"a new long password"}"#),
        )],
    ),
    // The OpenID Provider: an organization is named only in the org:<id> scope, and
    // an app that does not exist gets an error page (no redirect, no data).
    (
        "/.well-known/openid-configuration",
        &[(
            "GET",
            "/.well-known/openid-configuration",
            As::Anonymous,
            Expect::OwnOnly,
            None,
        )],
    ),
    (
        "/authorize",
        &[(
            "GET",
            "/authorize?client_id=app_none&redirect_uri=https%3A%2F%2Fa.test%2Fcb&response_type=code&scope=openid%20org%3A{B}",
            As::Session,
            Expect::Refused,
            None,
        )],
    ),
    (
        "/end_session",
        &[
            (
                "GET",
                "/end_session?client_id=app_none",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
            // Signed out: as A it would end the session the next calls use.
            (
                "POST",
                "/end_session",
                As::Anonymous,
                Expect::OwnOnly,
                Some("form:client_id=app_none"),
            ),
        ],
    ),
    (
        "/token",
        &[(
            "POST",
            "/token",
            As::Session,
            Expect::Refused,
            Some("form:grant_type=refresh_token&client_id=app_none&refresh_token=ghrt_x"),
        )],
    ),
    (
        "/userinfo",
        &[("GET", "/userinfo", As::Session, Expect::Refused, None)],
    ),
    (
        "/revoke",
        &[(
            "POST",
            "/revoke",
            As::Session,
            Expect::Refused,
            Some("form:client_id=app_none&token=x"),
        )],
    ),
    (
        "/introspect",
        &[(
            "POST",
            "/introspect",
            As::Session,
            Expect::Refused,
            Some("form:client_id=app_none&token=x"),
        )],
    ),
    (
        "/api/token",
        &[(
            "POST",
            "/api/token",
            As::Session,
            Expect::Refused,
            Some(r#"{"org_id":"{B}"}"#),
        )],
    ),
    // The JSON API: on B's organization, and on A's with B's ids.
    (
        "/api/v1/orgs/{org_id}/members",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}/members",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/api/v1/orgs/{A}/members",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/members/{id}",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}/members/{b_member}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/api/v1/orgs/{A}/members/{b_member}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "PATCH",
                "/api/v1/orgs/{A}/members/{b_member}",
                As::Session,
                Expect::Refused,
                Some(r#"{"role":"admin"}"#),
            ),
            (
                "DELETE",
                "/api/v1/orgs/{A}/members/{b_member}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "DELETE",
                "/api/v1/orgs/{B}/members/{b_member}",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/members/{id}/reactivate",
        &[
            (
                "POST",
                "/api/v1/orgs/{A}/members/{b_member}/reactivate",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/members/{b_member}/reactivate",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/invitations",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}/invitations?include_expired=true",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/invitations",
                As::Session,
                Expect::Refused,
                Some(r#"{"email":"intruder@a.test"}"#),
            ),
            (
                "GET",
                "/api/v1/orgs/{A}/invitations?include_expired=true",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/invitations/{id}",
        &[
            (
                "DELETE",
                "/api/v1/orgs/{A}/invitations/{b_invitation}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "DELETE",
                "/api/v1/orgs/{B}/invitations/{b_invitation}",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/invitations/{id}/resend",
        &[
            (
                "POST",
                "/api/v1/orgs/{A}/invitations/{b_invitation}/resend",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/invitations/{b_invitation}/resend",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/seats",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}/seats",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "PUT",
                "/api/v1/orgs/{B}/seats",
                As::Session,
                Expect::Refused,
                Some(r#"{"limit":1}"#),
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/workspaces",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}/workspaces",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/workspaces",
                As::Session,
                Expect::Refused,
                Some(r#"{"name":"Intruders"}"#),
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/audit-events",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}/audit-events",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/api/v1/orgs/{A}/audit-events",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/events",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}/events",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/api/v1/orgs/{A}/events?limit=500",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/webhooks",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}/webhooks",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/webhooks",
                As::Session,
                Expect::Refused,
                Some(r#"{"url":"https://a.example.com/h"}"#),
            ),
            (
                "GET",
                "/api/v1/orgs/{A}/webhooks",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/webhooks/{id}",
        &[
            (
                "GET",
                "/api/v1/orgs/{A}/webhooks/{b_webhook}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/api/v1/orgs/{B}/webhooks/{b_webhook}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "PATCH",
                "/api/v1/orgs/{A}/webhooks/{b_webhook}",
                As::Session,
                Expect::Refused,
                Some(r#"{"enabled":false}"#),
            ),
            (
                "DELETE",
                "/api/v1/orgs/{A}/webhooks/{b_webhook}",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/webhooks/{id}/deliveries",
        &[
            (
                "GET",
                "/api/v1/orgs/{A}/webhooks/{b_webhook}/deliveries",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/api/v1/orgs/{B}/webhooks/{b_webhook}/deliveries",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/webhooks/{id}/rotate-secret",
        &[
            (
                "POST",
                "/api/v1/orgs/{A}/webhooks/{b_webhook}/rotate-secret",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/webhooks/{b_webhook}/rotate-secret",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/webhooks/{id}/resend",
        &[
            (
                "POST",
                "/api/v1/orgs/{A}/webhooks/{b_webhook}/resend",
                As::Session,
                Expect::Refused,
                Some(r#"{"from":"2000-01-01T00:00:00Z","to":"2100-01-01T00:00:00Z"}"#),
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/webhooks/{b_webhook}/resend",
                As::Session,
                Expect::Refused,
                Some(r#"{"from":"2000-01-01T00:00:00Z","to":"2100-01-01T00:00:00Z"}"#),
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/workspaces/{id}",
        &[
            (
                "GET",
                "/api/v1/orgs/{A}/workspaces/{b_workspace}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/api/v1/orgs/{B}/workspaces/{b_workspace}",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/workspaces/{id}/people",
        &[
            (
                "GET",
                "/api/v1/orgs/{A}/workspaces/{b_workspace}/people",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/api/v1/orgs/{B}/workspaces/{b_workspace}/people",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/workspaces/{id}/people/{member_id}",
        &[
            (
                "PUT",
                "/api/v1/orgs/{A}/workspaces/{b_workspace}/people/{b_member}",
                As::Session,
                Expect::Refused,
                Some(r#"{"role":"manager"}"#),
            ),
            (
                "DELETE",
                "/api/v1/orgs/{A}/workspaces/{b_workspace}/people/{b_member}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "DELETE",
                "/api/v1/orgs/{B}/workspaces/{b_workspace}/people/{b_member}",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/workspaces/{id}/invitations",
        &[
            (
                "POST",
                "/api/v1/orgs/{A}/workspaces/{b_workspace}/invitations",
                As::Session,
                Expect::Refused,
                Some(r#"{"email":"intruder@a.test"}"#),
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/workspaces/{b_workspace}/invitations",
                As::Session,
                Expect::Refused,
                Some(r#"{"email":"intruder@a.test"}"#),
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/apps",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}/apps",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/api/v1/orgs/{A}/apps",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/apps/{client_id}",
        &[(
            "PUT",
            "/api/v1/orgs/{B}/apps/{app}",
            As::Session,
            Expect::Refused,
            Some(r#"{"enabled":true}"#),
        )],
    ),
    (
        "/api/v1/orgs/{org_id}/domains",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}/domains",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/api/v1/orgs/{A}/domains",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/domains",
                As::Session,
                Expect::Refused,
                Some(r#"{"domain":"intruder.a.test"}"#),
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/domains/{id}",
        &[
            (
                "GET",
                "/api/v1/orgs/{A}/domains/{b_domain}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/api/v1/orgs/{B}/domains/{b_domain}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "DELETE",
                "/api/v1/orgs/{A}/domains/{b_domain}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "DELETE",
                "/api/v1/orgs/{B}/domains/{b_domain}",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/domains/{id}/verify",
        &[
            (
                "POST",
                "/api/v1/orgs/{A}/domains/{b_domain}/verify",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/domains/{b_domain}/verify",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/sso-enforcement",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}/sso-enforcement",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "PUT",
                "/api/v1/orgs/{B}/sso-enforcement",
                As::Session,
                Expect::Refused,
                Some(r#"{"require_sso":false}"#),
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/sso-enforcement/break-glass/{member_id}",
        &[
            (
                "PUT",
                "/api/v1/orgs/{A}/sso-enforcement/break-glass/{b_member}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "DELETE",
                "/api/v1/orgs/{B}/sso-enforcement/break-glass/{b_member}",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/sso-connections",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}/sso-connections",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/api/v1/orgs/{A}/sso-connections",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/sso-connections",
                As::Session,
                Expect::Refused,
                Some(
                    r#"{"name":"Intruder","issuer":"https://idp.a.test","client_id":"a","client_secret":"a"}"#,
                ),
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/sso-connections/{id}",
        &[
            (
                "GET",
                "/api/v1/orgs/{A}/sso-connections/{b_sso}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/api/v1/orgs/{B}/sso-connections/{b_sso}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "PATCH",
                "/api/v1/orgs/{A}/sso-connections/{b_sso}",
                As::Session,
                Expect::Refused,
                Some(r#"{"issuer":"https://idp.a.test","client_secret":"hijacked"}"#),
            ),
            (
                "PATCH",
                "/api/v1/orgs/{B}/sso-connections/{b_sso}",
                As::Session,
                Expect::Refused,
                Some(r#"{"issuer":"https://idp.a.test"}"#),
            ),
            (
                "DELETE",
                "/api/v1/orgs/{A}/sso-connections/{b_sso}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "DELETE",
                "/api/v1/orgs/{B}/sso-connections/{b_sso}",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/sso-connections/{id}/enable",
        &[
            (
                "POST",
                "/api/v1/orgs/{A}/sso-connections/{b_sso}/enable",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/sso-connections/{b_sso}/enable",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/sso-connections/{id}/disable",
        &[
            (
                "POST",
                "/api/v1/orgs/{A}/sso-connections/{b_sso}/disable",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/sso-connections/{b_sso}/disable",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/sso-connections/{id}/test",
        &[
            (
                "POST",
                "/api/v1/orgs/{A}/sso-connections/{b_sso}/test",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/sso-connections/{b_sso}/test",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/orgs/{org_id}/apps",
        &[
            ("GET", "/orgs/{B}/apps", As::Session, Expect::Refused, None),
            ("GET", "/orgs/{A}/apps", As::Session, Expect::OwnOnly, None),
        ],
    ),
    (
        "/orgs/{org_id}/apps/{client_id}",
        &[(
            "POST",
            "/orgs/{B}/apps/{app}",
            As::Session,
            Expect::Refused,
            Some("form:enabled=true"),
        )],
    ),
    (
        "/api/v1/orgs/{org_id}/scim-tokens",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}/scim-tokens",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/scim-tokens",
                As::Session,
                Expect::Refused,
                Some(r#"{"name":"Intruder"}"#),
            ),
            (
                "GET",
                "/api/v1/orgs/{A}/scim-tokens",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/scim-tokens/{id}",
        &[
            (
                "DELETE",
                "/api/v1/orgs/{A}/scim-tokens/{b_token}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "DELETE",
                "/api/v1/orgs/{B}/scim-tokens/{b_token}",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/group-mappings",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}/group-mappings",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/group-mappings",
                As::Session,
                Expect::Refused,
                Some(r#"{"group":"Intruders","role":"admin"}"#),
            ),
            (
                "GET",
                "/api/v1/orgs/{A}/group-mappings",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/group-mappings/{id}",
        &[
            (
                "DELETE",
                "/api/v1/orgs/{A}/group-mappings/{b_mapping}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "DELETE",
                "/api/v1/orgs/{B}/group-mappings/{b_mapping}",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    // Pages: B's organization, and A's with B's ids.
    (
        "/orgs/{org_id}/members/{id}/workspaces",
        &[(
            "POST",
            "/orgs/{A}/members/{b_member}/workspaces",
            As::Session,
            Expect::Refused,
            Some("form:workspace={b_workspace}&role=member"),
        )],
    ),
    (
        "/orgs/{org_id}/workspaces",
        &[
            (
                "GET",
                "/orgs/{B}/workspaces",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/orgs/{B}/workspaces",
                As::Session,
                Expect::Refused,
                Some("form:name=Intruders"),
            ),
            (
                "GET",
                "/orgs/{A}/workspaces",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/orgs/{org_id}/workspaces/{id}",
        &[
            (
                "GET",
                "/orgs/{A}/workspaces/{b_workspace}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/orgs/{B}/workspaces/{b_workspace}",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/orgs/{org_id}/workspaces/{id}/invitations",
        &[(
            "POST",
            "/orgs/{A}/workspaces/{b_workspace}/invitations",
            As::Session,
            Expect::Refused,
            Some("form:email=intruder@a.test"),
        )],
    ),
    (
        "/orgs/{org_id}/workspaces/{id}/people/{member_id}/role",
        &[(
            "POST",
            "/orgs/{A}/workspaces/{b_workspace}/people/{b_member}/role",
            As::Session,
            Expect::Refused,
            Some("form:role=manager"),
        )],
    ),
    (
        "/orgs/{org_id}/workspaces/{id}/people/{member_id}/remove",
        &[(
            "POST",
            "/orgs/{A}/workspaces/{b_workspace}/people/{b_member}/remove",
            As::Session,
            Expect::Refused,
            Some("form"),
        )],
    ),
    (
        "/orgs/{org_id}/connections",
        &[
            (
                "GET",
                "/orgs/{B}/connections",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/orgs/{A}/connections",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/orgs/{org_id}/connections/enforcement",
        &[(
            "POST",
            "/orgs/{B}/connections/enforcement",
            As::Session,
            Expect::Refused,
            Some("form:require_sso=off"),
        )],
    ),
    (
        "/orgs/{org_id}/connections/break-glass/{id}/name",
        &[
            (
                "POST",
                "/orgs/{A}/connections/break-glass/{b_member}/name",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
            (
                "POST",
                "/orgs/{B}/connections/break-glass/{b_member}/name",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/connections/break-glass/{id}/unname",
        &[(
            "POST",
            "/orgs/{A}/connections/break-glass/{b_member}/unname",
            As::Session,
            Expect::Refused,
            Some("form"),
        )],
    ),
    (
        "/orgs/{org_id}/connections/sso",
        &[(
            "POST",
            "/orgs/{B}/connections/sso",
            As::Session,
            Expect::Refused,
            Some("form:name=Intruder&issuer=https://idp.a.test&client_id=a&client_secret=a"),
        )],
    ),
    (
        "/orgs/{org_id}/connections/sso/{id}",
        &[
            (
                "POST",
                "/orgs/{A}/connections/sso/{b_sso}",
                As::Session,
                Expect::Refused,
                Some(
                    "form:name=Hijacked&issuer=https://idp.a.test&client_id=a&client_secret=hijacked",
                ),
            ),
            (
                "POST",
                "/orgs/{B}/connections/sso/{b_sso}",
                As::Session,
                Expect::Refused,
                Some("form:name=Hijacked&issuer=https://idp.a.test&client_id=a"),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/connections/saml",
        &[(
            "POST",
            "/orgs/{B}/connections/saml",
            As::Session,
            Expect::Refused,
            Some(
                "form:name=Intruder&idp_entity_id=https://idp.a.test&sso_url=https://idp.a.test/sso",
            ),
        )],
    ),
    (
        "/orgs/{org_id}/connections/saml/{id}",
        &[
            (
                "POST",
                "/orgs/{A}/connections/saml/{b_sso}",
                As::Session,
                Expect::Refused,
                Some("form:name=Hijacked&allow_idp_initiated=on"),
            ),
            (
                "POST",
                "/orgs/{B}/connections/saml/{b_sso}",
                As::Session,
                Expect::Refused,
                Some("form:name=Hijacked&allow_idp_initiated=on"),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/connections/sso/{id}/enable",
        &[
            (
                "POST",
                "/orgs/{A}/connections/sso/{b_sso}/enable",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
            (
                "POST",
                "/orgs/{B}/connections/sso/{b_sso}/enable",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/connections/sso/{id}/disable",
        &[
            (
                "POST",
                "/orgs/{A}/connections/sso/{b_sso}/disable",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
            (
                "POST",
                "/orgs/{B}/connections/sso/{b_sso}/disable",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/connections/sso/{id}/test",
        &[
            (
                "POST",
                "/orgs/{A}/connections/sso/{b_sso}/test",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
            (
                "POST",
                "/orgs/{B}/connections/sso/{b_sso}/test",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/connections/sso/{id}/delete",
        &[
            (
                "POST",
                "/orgs/{A}/connections/sso/{b_sso}/delete",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
            (
                "POST",
                "/orgs/{B}/connections/sso/{b_sso}/delete",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/connections/domains",
        &[(
            "POST",
            "/orgs/{B}/connections/domains",
            As::Session,
            Expect::Refused,
            Some("form:domain=intruder.a.test"),
        )],
    ),
    (
        "/orgs/{org_id}/connections/domains/{id}/verify",
        &[
            (
                "POST",
                "/orgs/{A}/connections/domains/{b_domain}/verify",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
            (
                "POST",
                "/orgs/{B}/connections/domains/{b_domain}/verify",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/connections/domains/{id}/release",
        &[
            (
                "POST",
                "/orgs/{A}/connections/domains/{b_domain}/release",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
            (
                "POST",
                "/orgs/{B}/connections/domains/{b_domain}/release",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/connections/tokens",
        &[(
            "POST",
            "/orgs/{B}/connections/tokens",
            As::Session,
            Expect::Refused,
            Some("form:name=Intruder"),
        )],
    ),
    (
        "/orgs/{org_id}/connections/tokens/{id}/revoke",
        &[
            (
                "POST",
                "/orgs/{A}/connections/tokens/{b_token}/revoke",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
            (
                "POST",
                "/orgs/{B}/connections/tokens/{b_token}/revoke",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/connections/mappings",
        &[(
            "POST",
            "/orgs/{B}/connections/mappings",
            As::Session,
            Expect::Refused,
            Some("form:group=Intruders&target=admin"),
        )],
    ),
    (
        "/orgs/{org_id}/connections/mappings/{id}/remove",
        &[
            (
                "POST",
                "/orgs/{A}/connections/mappings/{b_mapping}/remove",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
            (
                "POST",
                "/orgs/{B}/connections/mappings/{b_mapping}/remove",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/members",
        &[
            (
                "GET",
                "/orgs/{B}/members",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/orgs/{A}/members?view=disconnected",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/orgs/{org_id}/invitations",
        &[(
            "POST",
            "/orgs/{B}/invitations",
            As::Session,
            Expect::Refused,
            Some("form:emails=intruder@a.test"),
        )],
    ),
    (
        "/orgs/{org_id}/invitations/{id}/resend",
        &[
            (
                "POST",
                "/orgs/{A}/invitations/{b_invitation}/resend",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
            (
                "POST",
                "/orgs/{B}/invitations/{b_invitation}/resend",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/invitations/{id}/revoke",
        &[
            (
                "POST",
                "/orgs/{A}/invitations/{b_invitation}/revoke",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
            (
                "POST",
                "/orgs/{B}/invitations/{b_invitation}/revoke",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/members/{id}",
        &[
            (
                "GET",
                "/orgs/{A}/members/{b_member}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/orgs/{B}/members/{b_member}",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/orgs/{org_id}/members/{id}/role",
        &[(
            "POST",
            "/orgs/{A}/members/{b_member}/role",
            As::Session,
            Expect::Refused,
            Some("form:admin=on"),
        )],
    ),
    (
        "/orgs/{org_id}/members/{id}/remove",
        &[
            (
                "GET",
                "/orgs/{A}/members/{b_member}/remove",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/orgs/{A}/members/{b_member}/remove",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
            (
                "POST",
                "/orgs/{B}/members/{b_member}/remove",
                As::Session,
                Expect::Refused,
                Some("form"),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/members/{id}/reactivate",
        &[(
            "POST",
            "/orgs/{A}/members/{b_member}/reactivate",
            As::Session,
            Expect::Refused,
            Some("form"),
        )],
    ),
    // SCIM with A's token on B's ids.
    (
        "/Users",
        &[(
            "GET",
            "/scim/v2/Users?filter=userName%20sw%20%22b-%22",
            As::Scim,
            Expect::OwnOnly,
            None,
        )],
    ),
    (
        "/Users/.search",
        &[(
            "POST",
            "/scim/v2/Users/.search",
            As::Scim,
            Expect::OwnOnly,
            Some(SEARCH_B),
        )],
    ),
    (
        "/Users/{id}",
        &[
            (
                "GET",
                "/scim/v2/Users/{b_user}",
                As::Scim,
                Expect::Refused,
                None,
            ),
            (
                "PUT",
                "/scim/v2/Users/{b_user}",
                As::Scim,
                Expect::Refused,
                Some(SCIM_USER_PUT),
            ),
            (
                "PATCH",
                "/scim/v2/Users/{b_user}",
                As::Scim,
                Expect::Refused,
                Some(SCIM_PATCH),
            ),
            (
                "DELETE",
                "/scim/v2/Users/{b_user}",
                As::Scim,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/Groups",
        &[(
            "GET",
            "/scim/v2/Groups?filter=displayName%20sw%20%22B%20%22",
            As::Scim,
            Expect::OwnOnly,
            None,
        )],
    ),
    (
        "/Groups/.search",
        &[(
            "POST",
            "/scim/v2/Groups/.search",
            As::Scim,
            Expect::OwnOnly,
            Some(SEARCH_B),
        )],
    ),
    (
        "/Groups/{id}",
        &[
            (
                "GET",
                "/scim/v2/Groups/{b_group}",
                As::Scim,
                Expect::Refused,
                None,
            ),
            (
                "PUT",
                "/scim/v2/Groups/{b_group}",
                As::Scim,
                Expect::Refused,
                Some(SCIM_GROUP_PUT),
            ),
            (
                "PATCH",
                "/scim/v2/Groups/{b_group}",
                As::Scim,
                Expect::Refused,
                Some(SCIM_PATCH),
            ),
            (
                "DELETE",
                "/scim/v2/Groups/{b_group}",
                As::Scim,
                Expect::Refused,
                None,
            ),
            // B's user cannot be made a member of A's group.
            (
                "PATCH",
                "/scim/v2/Groups/{a_group}?attributes=members",
                As::Scim,
                Expect::OwnOnly,
                Some(ADD_B_MEMBER),
            ),
        ],
    ),
    (
        "/.search",
        &[(
            "POST",
            "/scim/v2/.search",
            As::Scim,
            Expect::OwnOnly,
            Some(SEARCH_B),
        )],
    ),
    (
        "/Bulk",
        &[(
            "POST",
            "/scim/v2/Bulk",
            As::Scim,
            Expect::OwnOnly,
            Some(BULK_ON_B),
        )],
    ),
    // Account, billing, API keys, avatars, audit, metrics.
    (
        "/api/v1/orgs/{org_id}",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "PATCH",
                "/api/v1/orgs/{B}",
                As::Session,
                Expect::Refused,
                Some(r#"{"name":"Hijacked"}"#),
            ),
            (
                "GET",
                "/api/v1/orgs/{A}",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/api-keys",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}/api-keys",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/api-keys",
                As::Session,
                Expect::Refused,
                Some(r#"{"name":"A key in B"}"#),
            ),
            (
                "GET",
                "/api/v1/orgs/{A}/api-keys",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/api-keys/{id}",
        &[
            (
                "DELETE",
                "/api/v1/orgs/{A}/api-keys/{b_api_key}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "DELETE",
                "/api/v1/orgs/{B}/api-keys/{b_api_key}",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/billing",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}/billing",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/api/v1/orgs/{A}/billing",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/contacts",
        &[
            (
                "GET",
                "/api/v1/orgs/{B}/contacts",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/api/v1/orgs/{B}/contacts",
                As::Session,
                Expect::Refused,
                Some(r#"{"email":"hijack@a.test"}"#),
            ),
            (
                "GET",
                "/api/v1/orgs/{A}/contacts",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/contacts/{id}",
        &[
            (
                "DELETE",
                "/api/v1/orgs/{A}/contacts/{b_contact}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "DELETE",
                "/api/v1/orgs/{B}/contacts/{b_contact}",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/api/v1/orgs/{org_id}/members/{id}/avatar",
        &[
            (
                "PUT",
                "/api/v1/orgs/{A}/members/{b_member}/avatar",
                As::Session,
                Expect::Refused,
                Some(r#"png"#),
            ),
            (
                "PUT",
                "/api/v1/orgs/{B}/members/{b_member}/avatar",
                As::Session,
                Expect::Refused,
                Some(r#"png"#),
            ),
            (
                "DELETE",
                "/api/v1/orgs/{A}/members/{b_member}/avatar",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "DELETE",
                "/api/v1/orgs/{B}/members/{b_member}/avatar",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/metrics",
        &[("GET", "/metrics", As::Anonymous, Expect::OwnOnly, None)],
    ),
    (
        "/orgs/{org_id}/account",
        &[
            (
                "GET",
                "/orgs/{B}/account",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/orgs/{A}/account",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/orgs/{org_id}/account/contacts",
        &[(
            "POST",
            "/orgs/{B}/account/contacts",
            As::Session,
            Expect::Refused,
            Some(r#"form:email=hijack@a.test"#),
        )],
    ),
    (
        "/orgs/{org_id}/account/contacts/{id}/remove",
        &[
            (
                "POST",
                "/orgs/{A}/account/contacts/{b_contact}/remove",
                As::Session,
                Expect::Refused,
                Some(r#"form"#),
            ),
            (
                "POST",
                "/orgs/{B}/account/contacts/{b_contact}/remove",
                As::Session,
                Expect::Refused,
                Some(r#"form"#),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/account/name",
        &[(
            "POST",
            "/orgs/{B}/account/name",
            As::Session,
            Expect::Refused,
            Some(r#"form:name=Hijacked"#),
        )],
    ),
    (
        "/orgs/{org_id}/account/password-reset",
        &[(
            "POST",
            "/orgs/{B}/account/password-reset",
            As::Session,
            Expect::Refused,
            Some(r#"form"#),
        )],
    ),
    (
        "/orgs/{org_id}/api-keys",
        &[
            (
                "GET",
                "/orgs/{B}/api-keys",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/orgs/{B}/api-keys",
                As::Session,
                Expect::Refused,
                Some(r#"form:name=Hijack&role=admin"#),
            ),
            (
                "GET",
                "/orgs/{A}/api-keys",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/orgs/{org_id}/api-keys/{id}/revoke",
        &[
            (
                "POST",
                "/orgs/{A}/api-keys/{b_api_key}/revoke",
                As::Session,
                Expect::Refused,
                Some(r#"form"#),
            ),
            (
                "POST",
                "/orgs/{B}/api-keys/{b_api_key}/revoke",
                As::Session,
                Expect::Refused,
                Some(r#"form"#),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/webhooks",
        &[
            (
                "GET",
                "/orgs/{B}/webhooks",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/orgs/{B}/webhooks",
                As::Session,
                Expect::Refused,
                Some(r#"form"#),
            ),
            (
                "GET",
                "/orgs/{A}/webhooks",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/orgs/{org_id}/webhooks/{id}",
        &[
            (
                "GET",
                "/orgs/{A}/webhooks/{b_webhook}",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/orgs/{B}/webhooks/{b_webhook}",
                As::Session,
                Expect::Refused,
                None,
            ),
        ],
    ),
    (
        "/orgs/{org_id}/webhooks/{id}/enable",
        &[
            (
                "POST",
                "/orgs/{A}/webhooks/{b_webhook}/enable",
                As::Session,
                Expect::Refused,
                Some(r#"form"#),
            ),
            (
                "POST",
                "/orgs/{B}/webhooks/{b_webhook}/enable",
                As::Session,
                Expect::Refused,
                Some(r#"form"#),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/webhooks/{id}/disable",
        &[
            (
                "POST",
                "/orgs/{A}/webhooks/{b_webhook}/disable",
                As::Session,
                Expect::Refused,
                Some(r#"form"#),
            ),
            (
                "POST",
                "/orgs/{B}/webhooks/{b_webhook}/disable",
                As::Session,
                Expect::Refused,
                Some(r#"form"#),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/webhooks/{id}/rotate",
        &[
            (
                "POST",
                "/orgs/{A}/webhooks/{b_webhook}/rotate",
                As::Session,
                Expect::Refused,
                Some(r#"form"#),
            ),
            (
                "POST",
                "/orgs/{B}/webhooks/{b_webhook}/rotate",
                As::Session,
                Expect::Refused,
                Some(r#"form"#),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/webhooks/{id}/resend",
        &[
            (
                "POST",
                "/orgs/{A}/webhooks/{b_webhook}/resend",
                As::Session,
                Expect::Refused,
                Some(r#"form"#),
            ),
            (
                "POST",
                "/orgs/{B}/webhooks/{b_webhook}/resend",
                As::Session,
                Expect::Refused,
                Some(r#"form"#),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/webhooks/{id}/delete",
        &[
            (
                "POST",
                "/orgs/{A}/webhooks/{b_webhook}/delete",
                As::Session,
                Expect::Refused,
                Some(r#"form"#),
            ),
            (
                "POST",
                "/orgs/{B}/webhooks/{b_webhook}/delete",
                As::Session,
                Expect::Refused,
                Some(r#"form"#),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/audit",
        &[
            ("GET", "/orgs/{B}/audit", As::Session, Expect::Refused, None),
            ("GET", "/orgs/{A}/audit", As::Session, Expect::OwnOnly, None),
        ],
    ),
    (
        "/orgs/{org_id}/billing",
        &[
            (
                "GET",
                "/orgs/{B}/billing",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/orgs/{A}/billing",
                As::Session,
                Expect::OwnOnly,
                None,
            ),
        ],
    ),
    (
        "/orgs/{org_id}/members/{id}/avatar",
        &[
            (
                "GET",
                "/orgs/{A}/members/{b_member}/avatar",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "GET",
                "/orgs/{B}/members/{b_member}/avatar",
                As::Session,
                Expect::Refused,
                None,
            ),
            (
                "POST",
                "/orgs/{A}/members/{b_member}/avatar",
                As::Session,
                Expect::Refused,
                Some(r#"multipart-png"#),
            ),
            (
                "POST",
                "/orgs/{B}/members/{b_member}/avatar",
                As::Session,
                Expect::Refused,
                Some(r#"multipart-png"#),
            ),
        ],
    ),
    (
        "/orgs/{org_id}/members/{id}/avatar/remove",
        &[
            (
                "POST",
                "/orgs/{A}/members/{b_member}/avatar/remove",
                As::Session,
                Expect::Refused,
                Some(r#"form"#),
            ),
            (
                "POST",
                "/orgs/{B}/members/{b_member}/avatar/remove",
                As::Session,
                Expect::Refused,
                Some(r#"form"#),
            ),
        ],
    ),
    (
        "/ServiceProviderConfig",
        &[(
            "GET",
            "/scim/v2/ServiceProviderConfig",
            As::Scim,
            Expect::OwnOnly,
            None,
        )],
    ),
    (
        "/ResourceTypes",
        &[(
            "GET",
            "/scim/v2/ResourceTypes",
            As::Scim,
            Expect::OwnOnly,
            None,
        )],
    ),
    (
        "/ResourceTypes/{id}",
        &[(
            "GET",
            "/scim/v2/ResourceTypes/User",
            As::Scim,
            Expect::OwnOnly,
            None,
        )],
    ),
    (
        "/Schemas",
        &[("GET", "/scim/v2/Schemas", As::Scim, Expect::OwnOnly, None)],
    ),
    (
        "/Schemas/{id}",
        &[(
            "GET",
            "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
            As::Scim,
            Expect::OwnOnly,
            None,
        )],
    ),
];

/// Every `.route("...")` path under `src/http`, read from the source at test time.
fn routes_in_source() -> BTreeSet<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src/http").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http"),
        &mut files,
    );
    let mut routes = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("source");
        let mut rest = text.as_str();
        while let Some(i) = rest.find(".route(") {
            rest = &rest[i + ".route(".len()..];
            let trimmed = rest.trim_start();
            if let Some(literal) = trimmed.strip_prefix('"')
                && let Some(end) = literal.find('"')
            {
                routes.insert(literal[..end].to_string());
            }
        }
    }
    routes
}

struct World {
    a_org: String,
    b_org: String,
    b_user: String,
    b_group: String,
    a_group: String,
    b_member: String,
    b_invitation: String,
    b_workspace: String,
    b_token: String,
    b_token_id: String,
    b_mapping: String,
    b_api_key: String,
    b_contact: String,
    /// B's SSO connection.
    b_sso: String,
    /// B's domain claim.
    b_domain: String,
    /// B's webhook endpoint.
    b_webhook: String,
    /// An app (the installation's) that B turned off for its members.
    app: String,
    /// Strings only B's data contains.
    b_markers: Vec<String>,
}

impl World {
    fn fill(&self, template: &str) -> String {
        template
            .replace("{A}", &self.a_org)
            .replace("{B}", &self.b_org)
            .replace("{b_user}", &self.b_user)
            .replace("{b_group}", &self.b_group)
            .replace("{a_group}", &self.a_group)
            .replace("{b_member}", &self.b_member)
            .replace("{b_invitation}", &self.b_invitation)
            .replace("{b_workspace}", &self.b_workspace)
            .replace("{b_token}", &self.b_token_id)
            .replace("{b_mapping}", &self.b_mapping)
            .replace("{b_api_key}", &self.b_api_key)
            .replace("{b_contact}", &self.b_contact)
            .replace("{app}", &self.app)
            .replace("{b_sso}", &self.b_sso)
            .replace("{b_domain}", &self.b_domain)
            .replace("{b_webhook}", &self.b_webhook)
    }
}

async fn organization_b(app: &TestApp) -> World {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let b_name = format!("B Globex {suffix}");
    let b_admin = format!("b-admin-{suffix}@globex.test");
    let boot = orgs::bootstrap(
        &app.ctx,
        &Actor::cli(),
        orgs::BootstrapRequest {
            org_name: b_name.clone(),
            email: b_admin.clone(),
            password: Some("b admin password".into()),
            display_name: Some("B Admin".into()),
        },
    )
    .await
    .expect("bootstrap B");
    let created = scim_tokens::create(&app.ctx, &Actor::cli(), boot.org.id, "B directory")
        .await
        .expect("token B");
    let (b_token, b_token_id) = (created.plaintext, created.token.id.to_string());
    let b_user_name = format!("b-user-{suffix}@globex.test");
    let (s, user) = scim_with(
        app,
        &b_token,
        "POST",
        "/Users",
        Some(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": b_user_name, "title": format!("B title {suffix}")}),
        ),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{user}");
    let b_group_name = format!("B Group {suffix}");
    let (s, group) = scim_with(
        app,
        &b_token,
        "POST",
        "/Groups",
        Some(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": b_group_name, "members": [{"value": user["id"]}]}),
        ),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{group}");
    let (s, a_group) = scim_with(
        app,
        &app.scim_token,
        "POST",
        "/Groups",
        Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "A Group"})),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a_group}");

    let b = Person::sign_in(app, &b_admin, "b admin password").await;
    let b_invitee = format!("b-invitee-{suffix}@globex.test");
    let (s, invited) = b
        .call(
            "POST",
            &format!("/api/v1/orgs/{}/invitations", boot.org.id),
            Some(json!({"email": b_invitee})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{invited}");
    let b_workspace = format!("B Workspace {suffix}");
    let (s, ws) = b
        .call(
            "POST",
            &format!("/api/v1/orgs/{}/workspaces", boot.org.id),
            Some(json!({"name": b_workspace})),
        )
        .await;
    assert!(s.is_success(), "{ws}");
    let (s, mapping) = b
        .call(
            "POST",
            &format!("/api/v1/orgs/{}/group-mappings", boot.org.id),
            Some(json!({"group": b_group_name, "role": "admin"})),
        )
        .await;
    assert!(s.is_success(), "{mapping}");
    let (_, members) = b
        .call(
            "GET",
            &format!("/api/v1/orgs/{}/members", boot.org.id),
            None,
        )
        .await;
    let b_member = members
        .as_array()
        .and_then(|l| {
            l.iter()
                .find(|m| m.to_string().contains(&b_user_name))
                .or_else(|| l.first())
        })
        .and_then(|m| m["id"].as_str())
        .unwrap_or_else(|| panic!("B's members: {members}"))
        .to_string();
    let b_key_name = format!("B key {suffix}");
    let (s, key) = b
        .call(
            "POST",
            &format!("/api/v1/orgs/{}/api-keys", boot.org.id),
            Some(json!({"name": b_key_name})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{key}");
    let b_contact_email = format!("b-billing-{suffix}@globex.test");
    let (s, contact) = b
        .call(
            "POST",
            &format!("/api/v1/orgs/{}/contacts", boot.org.id),
            Some(json!({"email": b_contact_email})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{contact}");
    let b_sso_name = format!("B SSO {suffix}");
    let b_sso_client = format!("b-client-{suffix}");
    let (s, sso) = b
        .call(
            "POST",
            &format!("/api/v1/orgs/{}/sso-connections", boot.org.id),
            Some(
                json!({"name": b_sso_name, "issuer": "https://idp.globex.test",
                        "client_id": b_sso_client, "client_secret": "b client secret"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sso}");
    let b_domain_name = format!("b-{suffix}.globex.test");
    let (s, domain) = b
        .call(
            "POST",
            &format!("/api/v1/orgs/{}/domains", boot.org.id),
            Some(json!({"domain": b_domain_name})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{domain}");
    let b_hook_url = format!("https://hooks-{suffix}.globex.test/b");
    let (s, hook) = b
        .call(
            "POST",
            &format!("/api/v1/orgs/{}/webhooks", boot.org.id),
            Some(json!({"url": b_hook_url, "name": format!("B hook {suffix}")})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let r = b
        .client
        .put(app.url(&format!(
            "/api/v1/orgs/{}/members/{b_member}/avatar",
            boot.org.id
        )))
        .header("Content-Type", "image/png")
        .body(PNG.to_vec())
        .send()
        .await
        .expect("avatar");
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "B's avatar");
    let registered = crate::op_browser::register(
        app,
        &format!("Isolation app {suffix}"),
        true,
        "EdDSA",
        "http://127.0.0.1:9/cb",
        None,
    )
    .await;
    gatehouse::services::apps::set_enabled_for_org(
        &app.ctx,
        &Actor::cli(),
        boot.org.id,
        &registered.client_id,
        false,
    )
    .await
    .expect("B turns the app off");
    World {
        a_org: app.org_id.to_string(),
        b_org: boot.org.id.to_string(),
        b_user: user["id"].as_str().expect("id").to_string(),
        b_group: group["id"].as_str().expect("id").to_string(),
        a_group: a_group["id"].as_str().expect("id").to_string(),
        b_member,
        b_invitation: invited[0]["invitation_id"]
            .as_str()
            .unwrap_or_else(|| panic!("{invited}"))
            .to_string(),
        b_workspace: ws["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{ws}"))
            .to_string(),
        b_token,
        b_token_id,
        b_mapping: mapping["id"]
            .as_str()
            .map(str::to_string)
            .or_else(|| mapping["id"].as_i64().map(|i| i.to_string()))
            .unwrap_or_else(|| panic!("{mapping}")),
        b_api_key: key["id"].as_str().expect("key id").to_string(),
        b_contact: contact["id"].as_str().expect("contact id").to_string(),
        app: registered.client_id,
        b_sso: sso["id"].as_str().expect("sso id").to_string(),
        b_domain: domain["id"].as_str().expect("domain id").to_string(),
        b_webhook: hook["id"].as_str().expect("webhook id").to_string(),
        b_markers: vec![
            b_name,
            b_admin,
            b_user_name,
            b_group_name,
            b_invitee,
            b_workspace,
            format!("B title {suffix}"),
            b_key_name,
            b_contact_email,
            b_sso_name,
            b_hook_url,
            b_sso_client,
            b_domain_name,
        ],
    }
}

async fn organization_a_never_reaches_organization_b(app: TestApp) {
    let in_source = routes_in_source();
    let in_table: BTreeSet<String> = TABLE.iter().map(|(r, _)| r.to_string()).collect();
    let missing: Vec<_> = in_source.difference(&in_table).collect();
    assert!(
        missing.is_empty(),
        "routes without an isolation entry in tests/it/isolation.rs: {missing:?}"
    );
    let stale: Vec<_> = in_table.difference(&in_source).collect();
    assert!(
        stale.is_empty(),
        "isolation entries for no route: {stale:?}"
    );

    let world = organization_b(&app).await;
    let a = Person::sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let anonymous = Person::new(&app);
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for (route, cases) in TABLE {
        assert!(!cases.is_empty(), "{route}: no call");
        for (method, template, who, expect, body) in *cases {
            let path = world.fill(template);
            let (status, text) = match who {
                As::Scim => {
                    let body = body
                        .map(|b| serde_json::from_str::<Value>(&world.fill(b)).expect("JSON body"));
                    let (s, v) = scim_with(
                        &app,
                        &app.scim_token,
                        method,
                        path.trim_start_matches("/scim/v2"),
                        body,
                        &[],
                    )
                    .await;
                    (s, v.to_string())
                }
                As::Session | As::Anonymous => {
                    let person = if matches!(who, As::Session) {
                        &a
                    } else {
                        &anonymous
                    };
                    send(&app, person, method, &path, body.map(|b| world.fill(b))).await
                }
            };
            *statuses.entry(status.as_u16()).or_default() += 1;
            if status.as_u16() == 422 || status.is_server_error() {
                eprintln!("isolation: {method} {path} answered {status}: {text}");
            }
            if *expect == Expect::Refused {
                // Pages answer a done form with a redirect: that counts as done too.
                assert!(
                    !status.is_success() && !status.is_redirection(),
                    "{method} {path} as A answered {status}: {text}"
                );
            }
            for marker in &world.b_markers {
                assert!(
                    !text.contains(marker.as_str()),
                    "{method} {path} as A shows B's data ({marker}): {text}"
                );
            }
            if template.contains("{a_group}") {
                assert!(!text.contains(&world.b_user), "{text}");
            }
        }
    }
    // B's resources are untouched by all of the above: its token works, its user,
    // group, invitation, workspace and mapping are there as they were.
    let (s, v) = scim_with(&app, &app.scim_token, "GET", "/Users", None, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!v.to_string().contains(&world.b_user));
    let (s, user) = scim_with(
        &app,
        &world.b_token,
        "GET",
        &format!("/Users/{}", world.b_user),
        None,
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "B's token and user still work: {user}");
    assert_eq!(user["active"], true, "{user}");
    let (s, group) = scim_with(
        &app,
        &world.b_token,
        "GET",
        &format!("/Groups/{}", world.b_group),
        None,
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(group["displayName"], world.b_markers[3].as_str(), "{group}");
    let b = Person::sign_in(&app, &world.b_markers[1], "b admin password").await;
    for (path, id) in [
        ("invitations", &world.b_invitation),
        ("workspaces", &world.b_workspace),
        ("group-mappings", &world.b_mapping),
        ("scim-tokens", &world.b_token_id),
        ("api-keys", &world.b_api_key),
        ("contacts", &world.b_contact),
        ("sso-connections", &world.b_sso),
        ("domains", &world.b_domain),
        ("webhooks", &world.b_webhook),
    ] {
        let (s, v) = b
            .call("GET", &format!("/api/v1/orgs/{}/{path}", world.b_org), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v.to_string().contains(id.as_str()), "B's {path}: {v}");
    }
    let (s, apps) = b
        .call("GET", &format!("/api/v1/orgs/{}/apps", world.b_org), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{apps}");
    let b_app = apps
        .as_array()
        .and_then(|a| a.iter().find(|x| x["client_id"] == world.app.as_str()))
        .unwrap_or_else(|| panic!("{apps}"));
    assert_eq!(b_app["enabled"], false, "B's app stays off: {apps}");
    let (s, org) = b
        .call("GET", &format!("/api/v1/orgs/{}", world.b_org), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{org}");
    assert_eq!(org["name"], world.b_markers[0].as_str(), "B's name: {org}");
    let avatar = b
        .client
        .get(app.url(&format!(
            "/orgs/{}/members/{}/avatar",
            world.b_org, world.b_member
        )))
        .send()
        .await
        .expect("avatar");
    assert_eq!(avatar.status(), StatusCode::OK, "B's avatar is still there");
    assert_eq!(avatar.bytes().await.expect("bytes").as_ref(), PNG);
    eprintln!(
        "isolation: {} routes, {} calls as organization A, by status {statuses:?}",
        TABLE.len(),
        statuses.values().sum::<usize>()
    );
}

/// A page or JSON API call; `form...` bodies are form posts with A's CSRF token.
pub(crate) async fn send(
    app: &TestApp,
    person: &Person,
    method: &str,
    path: &str,
    body: Option<String>,
) -> (StatusCode, String) {
    let mut req = person
        .client
        .request(method.parse().expect("method"), app.url(path));
    match body.as_deref() {
        Some("png") => {
            req = req.header("Content-Type", "image/png").body(PNG.to_vec());
        }
        Some("multipart-png") => {
            let profile = path.strip_suffix("/avatar").expect("an avatar path");
            let r = upload(
                person,
                profile,
                &csrf_for(app, person).await,
                ("a.png", "image/png", PNG),
            )
            .await;
            let status = r.status();
            return (status, r.text().await.unwrap_or_default());
        }
        Some(form) if form.starts_with("form") => {
            let csrf = csrf_for(app, person).await;
            let mut fields = vec![("csrf".to_string(), csrf)];
            for (k, v) in form
                .strip_prefix("form:")
                .into_iter()
                .flat_map(|kv| kv.split('&'))
                .filter_map(|kv| kv.split_once('='))
            {
                fields.push((k.to_string(), v.to_string()));
            }
            req = req.form(&fields);
        }
        Some(json) => {
            req = req
                .header("Content-Type", "application/json")
                .body(json.to_string());
        }
        None => {}
    }
    let r = req.send().await.expect("call");
    let status = r.status();
    (status, r.text().await.unwrap_or_default())
}

/// A's CSRF token. Signed-in people are sent on from the sign-in page: use a page of A's.
async fn csrf_for(app: &TestApp, person: &Person) -> String {
    for page in ["/auth/signin", &format!("/orgs/{}/members", app.org_id)] {
        let html = person
            .client
            .get(app.url(page))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .unwrap_or_default();
        if html.contains("name=\"csrf\"") {
            return crate::auth::csrf_of(&html);
        }
    }
    panic!("no page with a CSRF token")
}
