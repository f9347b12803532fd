//! The authorization endpoint's decisions (OpenID Connect Core 3.1.2, RFC 6749 4.1,
//! RFC 7636, RFC 9207). A request whose client or redirect URI cannot be trusted is
//! refused without a redirect (`Err`); every later problem goes back to the app as an
//! error redirect (RFC 6749 4.1.2.1).

use super::{CODE_TTL, org_claims, requested_org, scopes};
use crate::domain::Timestamp;
use crate::services::apps;
use crate::services::sessions::SessionUser;
use crate::services::sso_enforcement::{self, Access, StepUp};
use crate::services::{Ctx, Error, Result};
use crate::store::StoreError;
use crate::store::memberships;
use crate::store::oauth_apps::{self, App};
use crate::store::oauth_grants::{self, Code};
use crate::token;
use uuid::Uuid;

/// The parameters of an authorization request, each given at most once.
#[derive(Debug, Default, Clone)]
pub struct AuthorizeRequest {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub response_mode: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
    pub request: Option<String>,
    pub request_uri: Option<String>,
    /// Gatehouse's own marker (unix seconds): the sign-in that `prompt=login` or
    /// `max_age` asked for must be at or after it.
    pub auth_after: Option<i64>,
    /// A parameter given twice (RFC 6749 3.1: an `invalid_request`).
    pub repeated: Option<String>,
}

/// Marker parameter Gatehouse adds when it sends someone to sign in again.
pub const AUTH_AFTER_PARAM: &str = "gh_auth_after";

impl AuthorizeRequest {
    /// From the query's pairs; unknown parameters are ignored (`ui_locales` among them).
    pub fn from_pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Self {
        let mut r = AuthorizeRequest::default();
        for (k, v) in pairs {
            let slot = match k {
                "client_id" => &mut r.client_id,
                "redirect_uri" => &mut r.redirect_uri,
                "response_type" => &mut r.response_type,
                "response_mode" => &mut r.response_mode,
                "scope" => &mut r.scope,
                "state" => &mut r.state,
                "nonce" => &mut r.nonce,
                "code_challenge" => &mut r.code_challenge,
                "code_challenge_method" => &mut r.code_challenge_method,
                "prompt" => &mut r.prompt,
                "max_age" => &mut r.max_age,
                "login_hint" => &mut r.login_hint,
                "request" => &mut r.request,
                "request_uri" => &mut r.request_uri,
                AUTH_AFTER_PARAM => {
                    r.auth_after = v.parse().ok();
                    continue;
                }
                _ => continue,
            };
            if slot.is_some() {
                r.repeated = Some(k.to_string());
            }
            *slot = Some(v.chars().take(2048).collect());
        }
        r
    }
}

/// What the endpoint does next.
#[derive(Debug)]
pub enum Outcome {
    /// Back to the app: a URL carrying `code` or `error`, with `state` and `iss`.
    Redirect(String),
    /// The person must sign in (again, when `fresh_after` is set: the next sign-in
    /// must be at or after that unix time).
    SignIn {
        fresh_after: Option<i64>,
        login_hint: Option<String>,
    },
    /// The organization requires SSO and the session was made another way: the person
    /// signs in through the organization's identity provider, then comes back here.
    StepUp(StepUp),
    /// The person belongs to several organizations where the app is on: they choose.
    ChooseOrg {
        app_name: String,
        orgs: Vec<(Uuid, String)>,
    },
}

/// The redirect back to the app with `params`, `state` and `iss` (RFC 9207).
fn back_to_app(
    ctx: &Ctx,
    redirect_uri: &str,
    state: Option<&str>,
    params: &[(&str, &str)],
) -> String {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(u) => u,
        // Registered URIs are checked when the app is registered.
        Err(_) => return redirect_uri.to_string(),
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        if let Some(state) = state {
            q.append_pair("state", state);
        }
        q.append_pair("iss", &ctx.config.server.public_url());
    }
    url.to_string()
}

/// The decision for one request from the person of `session`, if signed in.
pub async fn authorize(
    ctx: &Ctx,
    req: &AuthorizeRequest,
    session: Option<&SessionUser>,
) -> Result<Outcome> {
    // 1. Who is asking, and where to answer: refused on a page, never redirected.
    let client_id = req
        .client_id
        .as_deref()
        .ok_or_else(|| Error::invalid_field("client_id", "the request names no app (client_id)"))?;
    let mut db = ctx.store.read().await?;
    let app = match oauth_apps::get(&mut db, client_id).await {
        Ok(a) => a,
        Err(StoreError::NotFound) => {
            return Err(Error::invalid_field(
                "client_id",
                "no app is registered with this client_id",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let redirect_uri = req
        .redirect_uri
        .as_deref()
        .ok_or_else(|| Error::invalid_field("redirect_uri", "the request has no redirect_uri"))?;
    if !apps::strings(&app.redirect_uris)
        .iter()
        .any(|u| u == redirect_uri)
    {
        return Err(Error::invalid_field(
            "redirect_uri",
            "this redirect_uri is not registered for the app (exact match)",
        ));
    }
    let state = req.state.as_deref();
    let error = |code: &str, description: &str| {
        Ok(Outcome::Redirect(back_to_app(
            ctx,
            redirect_uri,
            state,
            &[("error", code), ("error_description", description)],
        )))
    };

    // 2. The request itself.
    if let Some(p) = &req.repeated {
        return error(
            "invalid_request",
            &format!("parameter {p} given more than once"),
        );
    }
    if req.request.is_some() {
        return error("request_not_supported", "request objects are not supported");
    }
    if req.request_uri.is_some() {
        return error("request_uri_not_supported", "request_uri is not supported");
    }
    match req.response_type.as_deref() {
        Some("code") => {}
        None => return error("invalid_request", "response_type is missing"),
        Some(_) => {
            return error(
                "unsupported_response_type",
                "only response_type=code is supported",
            );
        }
    }
    if req.response_mode.as_deref().is_some_and(|m| m != "query") {
        return error("invalid_request", "only response_mode=query is supported");
    }
    match (
        req.code_challenge.as_deref(),
        req.code_challenge_method.as_deref(),
    ) {
        (Some(c), Some("S256")) if (43..=128).contains(&c.len()) => {}
        (None, _) => {
            return error(
                "invalid_request",
                "PKCE is required: send code_challenge with S256",
            );
        }
        _ => return error("invalid_request", "code_challenge_method must be S256"),
    }
    let scope = req.scope.as_deref().unwrap_or("");
    let allowed = apps::strings(&app.scopes);
    let mut granted: Vec<String> = Vec::new();
    for s in scopes(scope) {
        if s.starts_with("org:") {
            continue;
        }
        if !allowed.iter().any(|a| a == s) {
            return error(
                "invalid_scope",
                &format!("scope {s} is not allowed for this app"),
            );
        }
        granted.push(s.to_string());
    }
    if !granted.iter().any(|s| s == "openid") {
        return error("invalid_scope", "the openid scope is required");
    }
    let prompts: Vec<&str> = req
        .prompt
        .as_deref()
        .unwrap_or("")
        .split(' ')
        .filter(|p| !p.is_empty())
        .collect();
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        return error(
            "invalid_request",
            "prompt=none cannot be combined with other values",
        );
    }
    let max_age = match req.max_age.as_deref().map(str::parse::<i64>) {
        None => None,
        Some(Ok(n)) if n >= 0 => Some(n),
        Some(_) => return error("invalid_request", "max_age must be a number of seconds"),
    };

    // 3. Who the person is, and how recently they signed in.
    let now = ctx.now();
    let Some(who) = session else {
        if prompt_none {
            return error("login_required", "the person is not signed in");
        }
        return Ok(Outcome::SignIn {
            fresh_after: None,
            login_hint: req.login_hint.clone(),
        });
    };
    let auth_time = who.session.created_at;
    let wants_login = prompts.contains(&"login")
        && req
            .auth_after
            .is_none_or(|t| auth_time.unix_timestamp() < t);
    let too_old = max_age.is_some_and(|m| now.unix_timestamp() - auth_time.unix_timestamp() > m);
    if wants_login || too_old {
        if prompt_none {
            return error("login_required", "a fresh sign-in is required");
        }
        return Ok(Outcome::SignIn {
            fresh_after: Some(now.unix_timestamp()),
            login_hint: req.login_hint.clone(),
        });
    }

    // 4. Which organization the tokens speak for.
    let org_id = match requested_org(scope) {
        Some(Err(())) => return error("invalid_scope", "org:<id> must name an organization id"),
        Some(Ok(org_id)) => {
            if org_claims(&mut db, &app, who.user.id, org_id)
                .await?
                .is_none()
            {
                return error(
                    "access_denied",
                    "not an active member of that organization, or the organization turned this app off",
                );
            }
            org_id
        }
        None => {
            let mut open = Vec::new();
            for m in memberships::active_for_user(&mut db, who.user.id).await? {
                if !oauth_apps::is_disabled_for_org(&mut db, m.org_id, &app.client_id).await? {
                    open.push((m.org_id, m.org_name));
                }
            }
            match open.len() {
                0 => {
                    return error(
                        "access_denied",
                        "no organization of this person has this app turned on",
                    );
                }
                1 => open[0].0,
                _ if prompt_none => {
                    return error(
                        "account_selection_required",
                        "the person must choose an organization",
                    );
                }
                _ => {
                    return Ok(Outcome::ChooseOrg {
                        app_name: app.name.clone(),
                        orgs: open,
                    });
                }
            }
        }
    };
    drop(db);
    // The organization may require SSO: such a person's session must come from its IdP.
    if let Access::StepUp(step) = sso_enforcement::check(ctx, who, org_id).await? {
        if prompt_none {
            return error("login_required", &step.message(ctx));
        }
        return Ok(Outcome::StepUp(step));
    }
    granted.push(format!("org:{org_id}"));

    // 5. The code.
    let code = issue_code(
        ctx,
        &app,
        who,
        org_id,
        redirect_uri,
        &granted.join(" "),
        req,
        now,
    )
    .await?;
    Ok(Outcome::Redirect(back_to_app(
        ctx,
        redirect_uri,
        state,
        &[("code", &code)],
    )))
}

#[allow(clippy::too_many_arguments)]
async fn issue_code(
    ctx: &Ctx,
    app: &App,
    who: &SessionUser,
    org_id: Uuid,
    redirect_uri: &str,
    scope: &str,
    req: &AuthorizeRequest,
    now: Timestamp,
) -> Result<String> {
    let code = token::generate("ghac");
    let row = Code {
        code_hash: code.hash,
        client_id: app.client_id.clone(),
        user_id: who.user.id,
        org_id,
        session_hash: who.session.id_hash.clone(),
        redirect_uri: redirect_uri.to_string(),
        scope: scope.to_string(),
        nonce: req.nonce.clone(),
        code_challenge: req.code_challenge.clone().unwrap_or_default(),
        auth_time: who.session.created_at,
        amr: who.session.amr.clone(),
        created_at: now,
        expires_at: Timestamp(now.0 + CODE_TTL),
        used_at: None,
        grant_id: None,
    };
    let mut db = ctx.store.write().await?;
    oauth_grants::insert_code(&mut db, &row).await?;
    Ok(code.plaintext)
}
