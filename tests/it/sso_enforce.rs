//! Enforced SSO (issue #17, part 4), with the real test OP (`tests/peers/oidc`) as
//! Acme's identity provider and a real DNS server on loopback: a password session of a
//! person on Acme's verified domain is sent through the IdP before Acme's pages, and is
//! refused by Acme's API and `POST /api/token`, until it signs in there; break-glass
//! admins keep password access (audited); people off the domain, other organizations
//! and API keys are unaffected; the reset mail points to SSO; the settings' refusals.

use crate::account::post_form;
use crate::auth::{csrf_of, last_mail_to};
use crate::orgs::{Person, add_member, org_path, page};
use crate::sso_signin::{Setup, account, events, follow_in, setup};
use gatehouse::store::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::backend_fns!(sso_enforce_steps_up_sessions, sso_enforce_settings_refusals);

const KIM: &str = "kim@acme-corp.test";
const BEA: &str = "bea@acme-corp.test";
const OTTO: &str = "otto@elsewhere.test";
const APP_CB: &str = "http://127.0.0.1:9/cb";

fn enforcement(s: &Setup) -> String {
    org_path(&s.app, "/sso-enforcement")
}

/// Makes the member `id` an admin and names them break-glass.
async fn break_glass_admin(s: &Setup, id: &str) {
    let (st, v) = s
        .admin
        .call(
            "PATCH",
            &org_path(&s.app, &format!("/members/{id}")),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s
        .admin
        .call("PUT", &format!("{}/break-glass/{id}", enforcement(s)), None)
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

async fn require(s: &Setup, on: bool) -> (StatusCode, Value) {
    s.admin
        .call("PUT", &enforcement(s), Some(json!({"require_sso": on})))
        .await
}

async fn token(p: &Person, org: &str) -> (StatusCode, Value) {
    p.call("POST", "/api/token", Some(json!({"org_id": org})))
        .await
}

/// `/authorize` for `client_id` in organization `org` (our path and query).
fn authorize(client_id: &str, org: &str, extra: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("client_id", client_id)
        .append_pair("redirect_uri", APP_CB)
        .append_pair("response_type", "code")
        .append_pair("scope", &format!("openid email org:{org}"))
        .append_pair("state", "st4te")
        .append_pair(
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        )
        .append_pair("code_challenge_method", "S256");
    for (k, v) in extra {
        q.append_pair(k, v);
    }
    format!("/authorize?{}", q.finish())
}

/// Where `/authorize` sends the person's browser.
async fn authorize_to(p: &Person, path: &str) -> String {
    let r = p
        .client
        .get(format!("{}{path}", p.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
    r.headers()["location"].to_str().unwrap().to_string()
}

async fn forgot(app: &crate::harness::TestApp, email: &str) -> String {
    let p = Person::new(app);
    let (_, html) = page(&p, "/auth/forgot").await;
    let csrf = csrf_of(&html);
    let r = post_form(&p, "/auth/forgot", &[("csrf", &csrf), ("email", email)]).await;
    assert_eq!(r.status(), StatusCode::OK, "{email}");
    r.text().await.unwrap()
}

async fn sso_enforce_steps_up_sessions(backend: Backend) {
    let s = setup(backend, json!([account("kim-1", KIM)]), json!({})).await;
    let org = s.app.org_id.to_string();
    let (_, kim) = add_member(&s.app, &s.admin, KIM).await;
    let (bea_id, _) = add_member(&s.app, &s.admin, BEA).await;
    let (_, otto) = add_member(&s.app, &s.admin, OTTO).await;
    break_glass_admin(&s, &bea_id).await;
    // Kim is also the admin of Globex, which does not require SSO.
    let globex = gatehouse::services::orgs::bootstrap(
        &s.app.ctx,
        &gatehouse::services::audit::Actor::cli(),
        gatehouse::services::orgs::BootstrapRequest {
            org_name: "Globex".into(),
            email: KIM.into(),
            password: None,
            display_name: None,
        },
    )
    .await
    .expect("Globex")
    .org
    .id
    .to_string();
    let (st, v) = require(&s, true).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["require_sso"], true, "{v}");
    assert_eq!(events(&s, "sso.enforcement.enabled").await.len(), 1);

    // Kim's password session: Acme's pages go through the IdP, its API and token refuse.
    let members = format!("/orgs/{org}/members?view=licensed");
    let r = kim
        .client
        .get(format!("{}{members}", s.app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let step_up = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        step_up.starts_with(&format!("/auth/sso/{}/start?", s.conn)),
        "{step_up}"
    );
    assert!(
        step_up.contains("login_hint=kim%40acme-corp.test"),
        "{step_up}"
    );
    let (st, v) = kim.call("GET", &org_path(&s.app, "/members"), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["error"]["code"], "sso_required", "{v}");
    let message = v["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("requires single sign-on"), "{message}");
    assert!(
        message.contains(&format!("/auth/sso/{}/start", s.conn)),
        "{message}"
    );
    let (st, v) = token(&kim, &org).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["error"]["code"], "sso_required", "{v}");
    // Not Acme's doors: the person themself, and Globex, stay open.
    let (st, me) = kim.call("GET", "/api/me", None).await;
    assert_eq!(st, StatusCode::OK, "{me}");
    let (st, _) = page(&kim, &format!("/orgs/{globex}/members")).await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = kim
        .call("GET", &format!("/api/v1/orgs/{globex}/members"), None)
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(token(&kim, &globex).await.0, StatusCode::OK);
    // An app of the suite signing Kim in for Acme sends her through the IdP too, then
    // back to `/authorize`; for Globex it answers at once.
    let rp = crate::op_browser::register(&s.app, "Deploy", false, "EdDSA", APP_CB, None).await;
    let to = authorize_to(&kim, &authorize(&rp.client_id, &org, &[])).await;
    assert!(
        to.starts_with(&format!("/auth/sso/{}/start?", s.conn)),
        "{to}"
    );
    assert!(to.contains("next=%2Fauthorize%3F"), "{to}");
    let to = authorize_to(&kim, &authorize(&rp.client_id, &org, &[("prompt", "none")])).await;
    assert!(
        to.starts_with(APP_CB) && to.contains("error=login_required"),
        "{to}"
    );
    let to = authorize_to(&kim, &authorize(&rp.client_id, &globex, &[])).await;
    assert!(to.starts_with(APP_CB) && to.contains("code="), "{to}");
    // A form post (not a page to come back to) goes through the IdP too.
    let r = kim
        .client
        .post(format!("{}/orgs/{org}/invitations", s.app.base))
        .form(&[("csrf", "x"), ("emails", "x@acme-corp.test")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/auth/sso/"),
        "{:?}",
        r.headers()
    );

    // Through the IdP: the same person comes back to the page they asked for.
    let r = kim
        .client
        .get(format!("{}{step_up}", s.app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = follow_in(&kim.client, &s.app.base, r).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], members.as_str());
    let (st, html) = page(&kim, &members).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains(KIM), "{html}");
    let (st, me2) = kim.call("GET", "/api/me", None).await;
    assert_eq!(st, StatusCode::OK, "{me2}");
    assert_eq!(me2["id"], me["id"], "the same person");
    let (st, v) = kim.call("GET", &org_path(&s.app, "/members"), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(token(&kim, &org).await.0, StatusCode::OK);
    let to = authorize_to(&kim, &authorize(&rp.client_id, &org, &[])).await;
    assert!(to.starts_with(APP_CB) && to.contains("code="), "{to}");

    // Otto's address is on no verified domain: his password opens Acme as before.
    let (st, _) = page(&otto, &members).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(token(&otto, &org).await.0, StatusCode::OK);
    // So does the admin's (admin@acme.test), and an API key never meets SSO.
    let (st, _) = page(&s.admin, &format!("/orgs/{org}/connections")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(events(&s, "sso.break_glass.signin").await.is_empty());

    // Bea, break-glass, signs in with her password and gets in; the log shows it.
    let bea = Person::sign_in(&s.app, BEA, "member password").await;
    let (st, _) = page(&bea, &members).await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = bea.call("GET", &enforcement(&s), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let glass = events(&s, "sso.break_glass.signin").await;
    assert_eq!(glass.len(), 1, "{glass:?}");
    assert_eq!(glass[0]["actor_name"], BEA, "{glass:?}");
    assert_eq!(glass[0]["details"]["method"], "password", "{glass:?}");

    // Password reset: Kim is sent to SSO, Bea gets a link as anyone.
    let html = forgot(&s.app, KIM).await;
    assert!(html.contains("requires single sign-on"), "{html}");
    assert!(
        html.contains("/auth/sso/start?domain=acme-corp.test"),
        "{html}"
    );
    let mail = last_mail_to(&s.app, KIM);
    assert!(mail.contains("requires single sign-on"), "{mail}");
    assert!(
        mail.contains("/auth/sso/start?domain=acme-corp.test"),
        "{mail}"
    );
    assert!(!mail.contains("/auth/reset/"), "{mail}");
    forgot(&s.app, BEA).await;
    assert!(last_mail_to(&s.app, BEA).contains("/auth/reset/"));

    // The admin stops requiring SSO on the Connections page: Kim's next password
    // session opens Acme again.
    let html = crate::sso_pages::submit(
        &s.admin,
        &format!("/orgs/{org}/connections/enforcement"),
        &[("require_sso", "off")],
    )
    .await;
    assert!(html.contains("no longer required"), "{html}");
    assert_eq!(events(&s, "sso.enforcement.disabled").await.len(), 1);
    let (st, _) = page(&otto, &members).await;
    assert_eq!(st, StatusCode::OK);
}

async fn sso_enforce_settings_refusals(backend: Backend) {
    let s = setup(backend, json!([account("kim-1", KIM)]), json!({})).await;
    let org = s.app.org_id;
    let (kim_id, kim) = add_member(&s.app, &s.admin, KIM).await;
    let conn = org_path(&s.app, &format!("/sso-connections/{}", s.conn));

    // No enabled connection: refused, saying so.
    let (st, v) = s.admin.call("POST", &format!("{conn}/disable"), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = require(&s, true).await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    assert!(v.to_string().contains("enabled SSO connection"), "{v}");
    let (st, v) = s.admin.call("POST", &format!("{conn}/enable"), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // No break-glass admin: refused.
    let (st, v) = require(&s, true).await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    assert!(v.to_string().contains("break-glass"), "{v}");
    // Only admins can be break-glass; members cannot change the setting.
    let glass = |id: &str| format!("{}/break-glass/{id}", enforcement(&s));
    let (st, v) = s.admin.call("PUT", &glass(&kim_id), None).await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    let (st, v) = kim
        .call("PUT", &enforcement(&s), Some(json!({"require_sso": true})))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");

    // The admin names themself on the page, then requires SSO.
    let (_, view) = s.admin.call("GET", &enforcement(&s), None).await;
    let admin_id = view["admins"][0]["id"].as_str().expect("admin").to_string();
    let html = crate::sso_pages::submit(
        &s.admin,
        &format!("/orgs/{org}/connections/break-glass/{admin_id}/name"),
        &[],
    )
    .await;
    assert!(html.contains("is now a break-glass admin"), "{html}");
    let (st, v) = require(&s, true).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["verified_domains"], json!(["acme-corp.test"]), "{v}");

    // While it is on: the last connection and the last break-glass admin stay.
    let (st, v) = s.admin.call("POST", &format!("{conn}/disable"), None).await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    let (st, v) = s.admin.call("DELETE", &conn, None).await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    let (st, v) = s.admin.call("DELETE", &glass(&admin_id), None).await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    assert!(v.to_string().contains("last break-glass admin"), "{v}");

    // Every change is in the log.
    assert_eq!(events(&s, "sso.break_glass.named").await.len(), 1);
    assert_eq!(events(&s, "sso.enforcement.enabled").await.len(), 1);
    let (st, v) = require(&s, false).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = s.admin.call("DELETE", &glass(&admin_id), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(events(&s, "sso.break_glass.removed").await.len(), 1);
    assert_eq!(events(&s, "sso.enforcement.disabled").await.len(), 1);
}
