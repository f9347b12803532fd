//! *Test connection*: what an admin learns of a connection without signing in through
//! it. For OpenID Connect, the stored client secret must still open and the issuer's
//! discovery document and key set must be readable; SAML has its own checks
//! (`saml::test`). Audited with its outcome.

use super::{change, saml, sealer};
use crate::auth::oidc::probe::{ProbeProblem, ProbeReport};
use crate::domain::AuditAction;
use crate::services::audit;
use crate::services::members::OrgActor;
use crate::services::{Ctx, Result, not_found};
use crate::store::sso_connections as store;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// The answer of *Test connection*.
#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    pub ok: bool,
    /// What is wrong, when something is: `{code, message}`.
    pub problem: Option<TestProblem>,
    /// What discovery says (endpoints, signing algorithms), when it could be read.
    pub discovery: Option<ProbeReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestProblem {
    pub code: &'static str,
    pub message: String,
}

/// Fetches the issuer's discovery document and key set and says what is wrong, if
/// anything; also checks that the stored secret still opens. Audited with its outcome.
pub async fn test(ctx: &Ctx, actor: &OrgActor, id: Uuid) -> Result<TestResult> {
    actor.require_admin("test SSO connections")?;
    let c = {
        let mut db = ctx.store.read().await?;
        store::get(&mut db, actor.org_id, id)
            .await
            .map_err(not_found("SSO connection"))?
    };
    let result = if c.kind == "saml" {
        saml::test(ctx, &c).await?
    } else {
        match sealer(ctx)?.open(id.as_bytes(), &c.client_secret_sealed) {
            Err(e) => TestResult {
                ok: false,
                problem: Some(TestProblem {
                    code: "secret_unreadable",
                    message: format!(
                        "The stored client secret cannot be read ({e}); enter the client secret again."
                    ),
                }),
                discovery: None,
            },
            Ok(_) => match ctx.oidc.probe(&c.issuer).await {
                Ok(report) => TestResult {
                    ok: true,
                    problem: None,
                    discovery: Some(report),
                },
                Err(p) => TestResult {
                    ok: false,
                    problem: Some(problem(&p)),
                    discovery: None,
                },
            },
        }
    };
    let outcome = result.problem.as_ref().map_or("ok", |p| p.code);
    audit::record_alone(
        ctx,
        &actor.audit_actor(),
        change(
            AuditAction::SsoConnectionTested,
            &c,
            json!({"name": c.name, "outcome": outcome}),
        ),
    )
    .await;
    Ok(result)
}

fn problem(p: &ProbeProblem) -> TestProblem {
    TestProblem {
        code: p.code(),
        message: p.to_string(),
    }
}
