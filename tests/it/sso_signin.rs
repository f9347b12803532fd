//! Sign-in through an organization's own connection (issue #17, part 3), against the
//! real test OP (`tests/peers/oidc`) and a real DNS server on loopback: just-in-time
//! members, JIT off, a SCIM-provisioned person linked, another organization's domain
//! refused, identifier-first sign-in. Every outcome is in the audit log.

use crate::dns::DnsServer;
use crate::harness::TestApp;
use crate::oidc_peer::OidcPeer;
use crate::orgs::{Person, org_path};
use gatehouse::store::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const DOMAIN: &str = "acme-corp.test";
const OTHER_DOMAIN: &str = "globex-corp.test";
const CLIENT_ID: &str = "gh-acme";
const CLIENT_SECRET: &str = "acme-client-secret-9d2e";

crate::backend_fns!(
    sso_signin_jit_member,
    sso_signin_jit_off_refused,
    sso_signin_links_scim_person,
    sso_signin_other_org_refused,
    sso_signin_no_free_seat,
    sso_signin_email_claim,
    sso_signin_links_by_claim
);

pub struct Setup {
    pub app: TestApp,
    pub admin: Person,
    pub op: OidcPeer,
    pub conn: String,
    _dns: DnsServer,
}

/// Acme with `DOMAIN` verified (TXT record on the loopback DNS server), and its admin.
pub async fn with_verified_domain(backend: Backend) -> (TestApp, Person, DnsServer) {
    let dns = DnsServer::start(DOMAIN).await;
    let addr = dns.addr.to_string();
    let (app, ()) = TestApp::spawn_with(backend, move |c, _| c.sso.dns_servers = vec![addr]).await;
    let admin = crate::orgs::admin(&app).await;

    // The domain, proved through DNS.
    let (s, d) = admin
        .call(
            "POST",
            &org_path(&app, "/domains"),
            Some(json!({"domain": DOMAIN})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    dns.add_txt(
        &format!("_gatehouse-challenge.{DOMAIN}"),
        d["txt_value"].as_str().expect("value"),
    )
    .await;
    let verify = org_path(
        &app,
        &format!("/domains/{}/verify", d["id"].as_str().unwrap()),
    );
    let (s, v) = admin.call("POST", &verify, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "verified", "{v}");
    (app, admin, dns)
}

/// Acme with a verified domain (TXT record on the loopback DNS server) and an enabled
/// connection to a fresh test OP whose accounts are `accounts`.
pub async fn setup(backend: Backend, accounts: Value, connection: Value) -> Setup {
    let (app, admin, dns) = with_verified_domain(backend).await;

    // The connection first (its redirect URI names its id), then the OP that knows it.
    let mut body = json!({"name": "Acme IdP", "issuer": "http://127.0.0.1:9",
                          "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET});
    if let (Some(b), Some(extra)) = (body.as_object_mut(), connection.as_object()) {
        b.extend(extra.clone());
    }
    let base = org_path(&app, "/sso-connections");
    let (s, made) = admin.call("POST", &base, Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    let conn = made["id"].as_str().expect("id").to_string();
    let op = OidcPeer::start(&json!({
        "port": 0, "mode": "generic", "accounts": accounts,
        "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                     "redirect_uris": [made["redirect_uri"]]}],
    }));
    let (s, v) = admin
        .call(
            "PATCH",
            &format!("{base}/{conn}"),
            Some(json!({"issuer": op.issuer})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    Setup {
        app,
        admin,
        op,
        conn,
        _dns: dns,
    }
}

/// Follows `start` (a path of ours) through the OP and back; returns our last answer.
pub async fn through_idp(app: &TestApp, start: &str) -> reqwest::Response {
    let r = app.get(start).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{start}");
    follow(app, r).await
}

/// Follows our redirect `r` to the OP, through it and back; returns our last answer.
/// Each pass has its own browser at the OP, so the OP's session never picks the account.
pub async fn follow(app: &TestApp, r: reqwest::Response) -> reqwest::Response {
    follow_in(&app.client, &app.base, r).await
}

/// [`follow`] in `browser` (a person's own cookie jar) against our server at `base`.
pub async fn follow_in(
    browser: &reqwest::Client,
    base: &str,
    r: reqwest::Response,
) -> reqwest::Response {
    let at_op = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut url = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    for _ in 0..10 {
        if url.as_str().starts_with(base) {
            return browser.get(url.as_str()).send().await.unwrap();
        }
        let r = at_op.get(url.as_str()).send().await.unwrap();
        let location = r
            .headers()
            .get("location")
            .unwrap_or_else(|| panic!("{url}: {}", r.status()))
            .to_str()
            .unwrap()
            .to_string();
        url = url.join(&location).unwrap();
    }
    panic!("never came back to {base}");
}

pub async fn me(app: &TestApp) -> (StatusCode, Value) {
    let r = app.get("/api/me").await;
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// Acme's audit events of `action`, newest first (read by its admin).
pub async fn events(s: &Setup, action: &str) -> Vec<Value> {
    let (st, v) = s
        .admin
        .call(
            "GET",
            &org_path(&s.app, &format!("/audit-events?action={action}")),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v.as_array().cloned().unwrap_or_default()
}

async fn outcomes(s: &Setup, action: &str) -> Vec<String> {
    events(s, action)
        .await
        .iter()
        .filter_map(|e| e["details"]["outcome"].as_str().map(String::from))
        .collect()
}

pub fn account(sub: &str, email: &str) -> Value {
    json!({"sub": sub, "email": email, "email_verified": true, "name": sub})
}

async fn sso_signin_jit_member(backend: Backend) {
    let s = setup(
        backend,
        json!([account("kim-1", "kim@acme-corp.test")]),
        json!({}),
    )
    .await;
    let org = s.app.org_id;
    let r = through_idp(
        &s.app,
        &format!("/auth/sso/start?org={org}&login_hint=kim-1&next=/api/me"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/api/me");
    let (st, me1) = me(&s.app).await;
    assert_eq!(st, StatusCode::OK, "{me1}");
    assert_eq!(me1["email"], "kim@acme-corp.test");
    assert_eq!(me1["organizations"][0]["name"], "Acme", "{me1}");
    assert_eq!(me1["organizations"][0]["role"], "member", "{me1}");

    // Again, by domain and by connection: the same person, by (connection, subject).
    let r = through_idp(
        &s.app,
        &format!("/auth/sso/start?domain={DOMAIN}&login_hint=kim-1"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, me2) = me(&s.app).await;
    assert_eq!(me2["id"], me1["id"]);
    let r = through_idp(
        &s.app,
        &format!("/auth/sso/{}/start?login_hint=kim-1", s.conn),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        outcomes(&s, "sso.signin.succeeded").await,
        ["signed_in", "signed_in", "jit_member"]
    );
    let metrics = s.app.get("/metrics").await.text().await.unwrap();
    for (outcome, n) in [("jit_member", 1), ("signed_in", 2)] {
        let line = format!(
            "gatehouse_sso_signins_total{{connection=\"{}\",outcome=\"{outcome}\"}} {n}",
            s.conn
        );
        assert!(metrics.contains(&line), "{line} in {metrics}");
    }

    // Unknown organization or domain: a page, not a redirect.
    let r = s.app.get("/auth/sso/start?domain=nobody.test").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = s.app.get("/auth/sso/start?org=not-a-uuid").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = s.app.get("/auth/sso/start").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

async fn sso_signin_jit_off_refused(backend: Backend) {
    let s = setup(
        backend,
        json!([account("lee-1", "lee@acme-corp.test")]),
        json!({"jit": false}),
    )
    .await;
    let r = through_idp(
        &s.app,
        &format!("/auth/sso/{}/start?login_hint=lee-1", s.conn),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = r.text().await.unwrap();
    assert!(page.contains("has not given you access"), "{page}");
    assert_eq!(me(&s.app).await.0, StatusCode::UNAUTHORIZED);
    let mut db = s.app.ctx.store.read().await.unwrap();
    let nobody = gatehouse::store::users::find_by_email(&mut db, "lee@acme-corp.test").await;
    assert!(nobody.is_err(), "no account was made");
    drop(db);
    assert_eq!(
        outcomes(&s, "sso.signin.refused").await,
        ["not_provisioned"]
    );

    // The admin turns just-in-time members on, as admins, on the Connections page.
    let html = crate::sso_pages::submit(
        &s.admin,
        &format!("/orgs/{}/connections/sso/{}", s.app.org_id, s.conn),
        &[
            ("name", "Acme IdP"),
            ("issuer", &s.op.issuer),
            ("client_id", CLIENT_ID),
            ("jit", "on"),
            ("default_role", "admin"),
        ],
    )
    .await;
    assert!(html.contains("just-in-time members on, as admin"), "{html}");
    let r = through_idp(
        &s.app,
        &format!("/auth/sso/{}/start?login_hint=lee-1", s.conn),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, me1) = me(&s.app).await;
    assert_eq!(me1["organizations"][0]["role"], "admin", "{me1}");
}

async fn sso_signin_links_scim_person(backend: Backend) {
    let s = setup(
        backend,
        json!([account("max-1", "max@acme-corp.test")]),
        json!({"jit": false}),
    )
    .await;
    let scim_id = crate::scim::create_user(&s.app, "max@acme-corp.test").await;
    let r = through_idp(
        &s.app,
        &format!("/auth/sso/{}/start?login_hint=max-1", s.conn),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (st, me1) = me(&s.app).await;
    assert_eq!(st, StatusCode::OK, "{me1}");
    assert_eq!(me1["email"], "max@acme-corp.test");
    let orgs = me1["organizations"].as_array().expect("orgs");
    assert_eq!(orgs.len(), 1, "linked, not duplicated: {me1}");
    let (_, members) = s
        .admin
        .call("GET", &org_path(&s.app, "/members"), None)
        .await;
    let maxes = members
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m.to_string().contains("max@acme-corp.test"))
        .count();
    assert_eq!(maxes, 1, "{members}");
    assert!(members.to_string().contains(&scim_id), "{members}");
    assert_eq!(outcomes(&s, "sso.signin.succeeded").await, ["linked"]);

    // The directory turns the person off: the same identity is refused.
    let (st, v) = crate::scim::scim(
        &s.app,
        "PATCH",
        &format!("/Users/{scim_id}"),
        Some(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "path": "active", "value": false}]}),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let r = through_idp(
        &s.app,
        &format!("/auth/sso/{}/start?login_hint=max-1", s.conn),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("access to this organization is turned off")
    );
    assert_eq!(outcomes(&s, "sso.signin.refused").await, ["not_active"]);
}

async fn sso_signin_other_org_refused(backend: Backend) {
    let s = setup(
        backend,
        json!([
            account("eve-1", "eve@globex-corp.test"),
            account("zed-1", "zed@elsewhere.test")
        ]),
        json!({}),
    )
    .await;
    // Globex verified its own domain (the operator's word).
    let (globex, _eve) = crate::account::other_org(&s.app).await;
    gatehouse::services::domains::operator_verify(&s.app.ctx, "Globex", OTHER_DOMAIN)
        .await
        .expect("verified");
    let r = through_idp(
        &s.app,
        &format!("/auth/sso/{}/start?login_hint=eve-1", s.conn),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("belongs to another organization")
    );
    assert_eq!(me(&s.app).await.0, StatusCode::UNAUTHORIZED);
    // Nor a domain nobody verified.
    let r = through_idp(
        &s.app,
        &format!("/auth/sso/{}/start?login_hint=zed-1", s.conn),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let mut db = s.app.ctx.store.read().await.unwrap();
    for email in ["eve@globex-corp.test", "zed@elsewhere.test"] {
        assert!(
            gatehouse::store::users::find_by_email(&mut db, email)
                .await
                .is_err(),
            "{email}"
        );
    }
    drop(db);
    assert_eq!(
        outcomes(&s, "sso.signin.refused").await,
        ["domain_not_verified", "other_organization"]
    );
    // Acme's connection cannot be reached through Globex's id either.
    let r = s.app.get(&format!("/auth/sso/start?org={globex}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

async fn sso_signin_no_free_seat(backend: Backend) {
    let s = setup(
        backend,
        json!([account("kim-1", "kim@acme-corp.test")]),
        json!({"default_role": "admin"}),
    )
    .await;
    let seats = org_path(&s.app, "/seats");
    let (st, v) = s.admin.call("PUT", &seats, Some(json!({"limit": 1}))).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let start = format!("/auth/sso/{}/start?login_hint=kim-1", s.conn);
    let r = through_idp(&s.app, &start).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let page = r.text().await.unwrap();
    assert!(page.contains("has no free seat for you"), "{page}");
    let mut db = s.app.ctx.store.read().await.unwrap();
    let nobody = gatehouse::store::users::find_by_email(&mut db, "kim@acme-corp.test").await;
    assert!(nobody.is_err(), "nothing was written");
    drop(db);
    assert_eq!(outcomes(&s, "sso.signin.refused").await, ["no_free_seat"]);

    // A seat more, and the same sign-in makes a member with the connection's role.
    let (st, v) = s.admin.call("PUT", &seats, Some(json!({"limit": 2}))).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let r = through_idp(&s.app, &start).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, me1) = me(&s.app).await;
    assert_eq!(me1["organizations"][0]["role"], "admin", "{me1}");
}

async fn sso_signin_email_claim(backend: Backend) {
    // The IdP's `email` is a personal address; the connection takes `preferred_username`.
    let s = setup(
        backend,
        json!([{"sub": "pat-1", "email": "pat@personal.test", "email_verified": true,
                "preferred_username": "pat@acme-corp.test"}]),
        json!({"email_claim": "preferred_username"}),
    )
    .await;
    let r = through_idp(
        &s.app,
        &format!("/auth/sso/{}/start?login_hint=pat-1", s.conn),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (st, me1) = me(&s.app).await;
    assert_eq!(st, StatusCode::OK, "{me1}");
    assert_eq!(me1["email"], "pat@acme-corp.test");
    assert_eq!(outcomes(&s, "sso.signin.succeeded").await, ["jit_member"]);
}

async fn sso_signin_links_by_claim(backend: Backend) {
    // Entra-like: the directory's id travels as a claim and as SCIM externalId; the
    // IdP's email differs from the one the directory provisioned.
    let s = setup(
        backend,
        json!([
            {"sub": "sam-1", "email": "sam.smith@acme-corp.test", "email_verified": true,
             "employee_id": "E-1001"},
            {"sub": "ida-1", "email": "ida@acme-corp.test", "email_verified": true,
             "employee_id": "E-9999"},
            {"sub": "gus-1", "email": "gus@acme-corp.test", "email_verified": true,
             "employee_id": "E-2002"}
        ]),
        json!({"jit": false, "link": {"claim": "employee_id", "attribute": "externalId"}}),
    )
    .await;
    let (st, conn) = s
        .admin
        .call(
            "GET",
            &org_path(&s.app, &format!("/sso-connections/{}", s.conn)),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{conn}");
    assert_eq!(
        conn["link"],
        json!({"claim": "employee_id", "attribute": "externalId"})
    );
    let mut sam = crate::scim::user("sam@acme-corp.test");
    sam["externalId"] = json!("E-1001");
    let (st, v) = crate::scim::scim(&s.app, "POST", "/Users", Some(sam)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");

    let r = through_idp(
        &s.app,
        &format!("/auth/sso/{}/start?login_hint=sam-1", s.conn),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (st, me1) = me(&s.app).await;
    assert_eq!(st, StatusCode::OK, "{me1}");
    assert_eq!(me1["email"], "sam@acme-corp.test", "the provisioned person");
    assert_eq!(outcomes(&s, "sso.signin.succeeded").await, ["linked"]);

    // No provisioned member has that id, JIT is off: refused, nothing made.
    let r = through_idp(
        &s.app,
        &format!("/auth/sso/{}/start?login_hint=ida-1", s.conn),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The directory provisioned someone whose address lies on Globex's verified domain:
    // Acme's IdP may not sign into that account.
    crate::account::other_org(&s.app).await;
    gatehouse::services::domains::operator_verify(&s.app.ctx, "Globex", OTHER_DOMAIN)
        .await
        .expect("verified");
    let mut gus = crate::scim::user("gus@globex-corp.test");
    gus["externalId"] = json!("E-2002");
    let (st, v) = crate::scim::scim(&s.app, "POST", "/Users", Some(gus)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let r = through_idp(
        &s.app,
        &format!("/auth/sso/{}/start?login_hint=gus-1", s.conn),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        outcomes(&s, "sso.signin.refused").await,
        ["other_organization", "not_provisioned"]
    );

    // The admin drops the rule: the email rule alone is left.
    let (st, v) = s
        .admin
        .call(
            "PATCH",
            &org_path(&s.app, &format!("/sso-connections/{}", s.conn)),
            Some(json!({"link": null})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["link"], Value::Null);
    let (st, v) = s
        .admin
        .call(
            "PATCH",
            &org_path(&s.app, &format!("/sso-connections/{}", s.conn)),
            Some(json!({"link": {"claim": "a b", "attribute": "externalId"}})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
}
