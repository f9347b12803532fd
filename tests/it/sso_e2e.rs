//! Issue #17 end to end: two organizations, each with its own real OpenID Provider (two
//! instances of `tests/peers/oidc`) and an email domain proved through a real DNS server
//! on loopback. Acme's admin sets up the connection and the domain on the Connections
//! page in headless Chromium, registering the app at the IdP in between as an admin
//! would; people type their email on the sign-in page, land on their own IdP's page and
//! come back signed in: first as a just-in-time member, then (JIT off) linked to the
//! member the directory provisioned over SCIM. Each organization's IdP fails to sign
//! anyone into the other. Then the admin requires SSO: a password session is sent
//! through the IdP before the organization's pages open, while a break-glass admin keeps
//! password access (audited). On SQLite and PostgreSQL. Screenshots:
//! `target/screenshots/sso_e2e_*`.

use crate::browser::Browser;
use crate::dns::DnsServer;
use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};
use crate::oidc_peer::OidcPeer;
use crate::orgs::{Person, org_path};
use crate::sso_signin::account;
use gatehouse::store::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::backend_fns!(sso_e2e_two_organizations);

const ZONE: &str = "e2e.test";
const ACME_DOMAIN: &str = "acme.e2e.test";
const GLOBEX_DOMAIN: &str = "globex.e2e.test";

/// An IdP whose sign-in page a person sees (no silent sign-in by `login_hint`) and where
/// a test, as the organization's admin, registers the app (RFC 7591).
fn idp(accounts: Value) -> OidcPeer {
    OidcPeer::start(&json!({"port": 0, "mode": "generic", "registration": true,
                            "always_show_form": true, "clients": [], "accounts": accounts}))
}

/// Registers the app at `idp` with the connection's redirect URI: `(client_id, secret)`.
async fn register_app(idp: &OidcPeer, redirect_uri: &str) -> (String, String) {
    let r = reqwest::Client::new()
        .post(format!("{}/reg", idp.issuer))
        .json(
            &json!({"redirect_uris": [redirect_uri], "client_name": "Gatehouse",
                      "token_endpoint_auth_method": "client_secret_basic"}),
        )
        .send()
        .await
        .expect("register");
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.expect("registration");
    (
        v["client_id"].as_str().expect("client_id").to_string(),
        v["client_secret"].as_str().expect("secret").to_string(),
    )
}

/// Signs in with only an email on the sign-in page, in a browser with no cookies left
/// (ours or any IdP's, all on 127.0.0.1), and signs in at the IdP page it lands on,
/// which must be `idp`'s, with the address filled in.
async fn sign_in_by_email(b: &Browser, app: &TestApp, email: &str, idp: &OidcPeer) {
    forget_everyone(b, app).await;
    b.goto(&app.url("/auth/signin")).await;
    b.wait_for("form[action='/auth/signin']").await;
    b.fill("input[name=email]", email).await;
    b.click_to_next_page("form[action='/auth/signin'] button[type=submit]")
        .await;
    sign_in_at_idp(b, idp, email).await;
}

/// Signs in with the password the invitation set (`orgs::add_member`), in a browser
/// with no cookies left.
async fn sign_in_with_password(b: &Browser, app: &TestApp, email: &str) {
    forget_everyone(b, app).await;
    b.goto(&app.url("/auth/signin")).await;
    b.fill("input[name=email]", email).await;
    b.fill("input[name=password]", "member password").await;
    b.click_to_next_page("form[action='/auth/signin'] button[type=submit]")
        .await;
    b.wait_for("header .who").await;
}

/// Clears the browser's cookies: ours and every IdP's (all on 127.0.0.1).
async fn forget_everyone(b: &Browser, app: &TestApp) {
    b.goto(&app.url("/auth/signin")).await;
    b.client.delete_all_cookies().await.expect("cookies");
}

/// On `idp`'s sign-in page (its address checked), signs in as `login`.
async fn sign_in_at_idp(b: &Browser, idp: &OidcPeer, login: &str) {
    b.wait_for("form[action^='/interaction/']").await;
    let at = b.client.current_url().await.expect("url").to_string();
    assert!(at.starts_with(&idp.issuer), "{login} landed at {at}");
    assert_eq!(b.value("input[name=login]").await, login);
    b.click_to_next_page("form[action^='/interaction/'] button[type=submit]")
        .await;
}

/// The organization's members as its admin sees them.
async fn members(admin: &Person, path: &str) -> Vec<Value> {
    let (s, v) = admin.call("GET", path, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().cloned().unwrap_or_default()
}

fn member<'a>(list: &'a [Value], email: &str) -> Vec<&'a Value> {
    list.iter().filter(|m| m["email"] == email).collect()
}

async fn sso_e2e_two_organizations(backend: Backend) {
    let dns = DnsServer::start(ZONE).await;
    let addr = dns.addr.to_string();
    let (app, ()) = TestApp::spawn_with(backend, move |c, _| c.sso.dns_servers = vec![addr]).await;
    let acme_idp = idp(json!([
        account("kim-a", "kim@acme.e2e.test"),
        account("max-a", "max@acme.e2e.test"),
        account("noa-a", "noa@acme.e2e.test"),
        account("eve-a", "eve@globex.e2e.test"),
        account("ola-a", "ola@acme.e2e.test")
    ]));
    let globex_idp = idp(json!([
        account("gus-g", "gus@globex.e2e.test"),
        account("kim-g", "kim@acme.e2e.test")
    ]));

    // Globex, set up with the JSON API by its admin: domain and connection.
    let (globex, globex_admin) = crate::account::other_org(&app).await;
    let globex_api = format!("/api/v1/orgs/{globex}");
    let (s, d) = globex_admin
        .call(
            "POST",
            &format!("{globex_api}/domains"),
            Some(json!({"domain": GLOBEX_DOMAIN})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    dns.add_txt(
        &format!("_gatehouse-challenge.{GLOBEX_DOMAIN}"),
        d["txt_value"].as_str().expect("value"),
    )
    .await;
    let verify = format!(
        "{globex_api}/domains/{}/verify",
        d["id"].as_str().expect("id")
    );
    let (s, v) = globex_admin.call("POST", &verify, None).await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("verified"))
    );
    let (s, made) = globex_admin
        .call(
            "POST",
            &format!("{globex_api}/sso-connections"),
            Some(json!({"name": "Globex Entra", "issuer": globex_idp.issuer,
                        "client_id": "pending", "client_secret": "pending"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    let globex_conn = made["id"].as_str().expect("id").to_string();
    let (client_id, secret) =
        register_app(&globex_idp, made["redirect_uri"].as_str().expect("uri")).await;
    let (s, v) = globex_admin
        .call(
            "PATCH",
            &format!("{globex_api}/sso-connections/{globex_conn}"),
            Some(json!({"client_id": client_id, "client_secret": secret})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Acme's admin, in the browser: the connection, the app registered at the IdP with
    // the redirect URI the page shows, the real client id and secret, the domain.
    let admin_browser = Browser::start(&format!("sso_e2e_{backend:?}_admin")).await;
    let b = &admin_browser;
    b.goto(&app.url("/auth/signin")).await;
    b.wait_for("form[action='/auth/signin']").await;
    b.fill("input[name=email]", ADMIN_EMAIL).await;
    b.fill("input[name=password]", ADMIN_PASSWORD).await;
    b.click_to_next_page("form[action='/auth/signin'] button[type=submit]")
        .await;
    b.wait_for("header .who").await;
    let page = app.url(&format!("/orgs/{}/connections", app.org_id));
    b.goto(&page).await;
    b.fill("form.new-sso input[name=name]", "Acme Okta").await;
    b.fill("form.new-sso input[name=issuer]", &acme_idp.issuer)
        .await;
    b.fill("form.new-sso input[name=client_id]", "pending")
        .await;
    b.fill("form.new-sso input[name=client_secret]", "pending")
        .await;
    b.click_to_next_page("form.new-sso button[type=submit]")
        .await;
    let row = "tr[data-connection='Acme Okta']";
    let redirect_uri = b.text(&format!("{row} code.redirect-uri")).await;
    let (client_id, secret) = register_app(&acme_idp, &redirect_uri).await;
    b.click(&format!("{row} details summary")).await;
    let edit = format!("{row} form.edit-sso");
    b.find(&format!("{edit} input[name=client_id]"))
        .await
        .clear()
        .await
        .expect("clear");
    b.fill(&format!("{edit} input[name=client_id]"), &client_id)
        .await;
    b.fill(&format!("{edit} input[name=client_secret]"), &secret)
        .await;
    b.click_to_next_page(&format!("{edit} button[type=submit]"))
        .await;
    let notice = b.wait_for("p.notice").await.text().await.expect("text");
    assert!(notice.contains("is saved"), "{notice}");
    b.click_to_next_page(&format!("{row} form[action$='/test'] button"))
        .await;
    let notice = b.wait_for("p.notice").await.text().await.expect("text");
    assert!(notice.contains("passed"), "{notice}");
    b.fill("form.new-domain input[name=domain]", ACME_DOMAIN)
        .await;
    b.click_to_next_page("form.new-domain button[type=submit]")
        .await;
    let domain_row = format!("tr[data-domain='{ACME_DOMAIN}']");
    let name = b.text(&format!("{domain_row} code.txt-name")).await;
    let value = b.text(&format!("{domain_row} code.txt-value")).await;
    dns.add_txt(&name, &value).await;
    b.click_to_next_page(&format!("{domain_row} form[action$='/verify'] button"))
        .await;
    let status = b.text(&format!("{domain_row} td.domain-status")).await;
    assert!(status.starts_with("verified"), "{status}");
    b.screenshot("1-set-up").await;

    // Kim types her email, signs in at Acme's IdP, and is back as a just-in-time member.
    let person = Browser::start(&format!("sso_e2e_{backend:?}_person")).await;
    sign_in_by_email(&person, &app, "kim@acme.e2e.test", &acme_idp).await;
    let who = person
        .wait_for("header .who")
        .await
        .text()
        .await
        .expect("who");
    assert_eq!(who, "kim@acme.e2e.test");
    person.screenshot("2-jit-member").await;
    let admin = crate::orgs::admin(&app).await;
    let acme_members = org_path(&app, "/members");
    let list = members(&admin, &acme_members).await;
    let kim = member(&list, "kim@acme.e2e.test");
    assert_eq!(kim.len(), 1, "{list:?}");
    assert_eq!(kim[0]["role"], "member");

    // Acme's directory provisions people; the admin turns just-in-time members off.
    b.goto(&page).await;
    b.click(&format!("{row} details summary")).await;
    b.find(&format!("{edit} select[name=jit] option[value=off]"))
        .await
        .click()
        .await
        .expect("pick off");
    b.click_to_next_page(&format!("{edit} button[type=submit]"))
        .await;
    let text = b.text(row).await;
    assert!(text.contains("just-in-time members off"), "{text}");
    let max_scim_id = crate::scim::create_user(&app, "max@acme.e2e.test").await;

    // Max signs in the same way and is the member the directory made, not a new one.
    sign_in_by_email(&person, &app, "max@acme.e2e.test", &acme_idp).await;
    let who = person
        .wait_for("header .who")
        .await
        .text()
        .await
        .expect("who");
    assert_eq!(who, "max@acme.e2e.test");
    let list = members(&admin, &acme_members).await;
    let max = member(&list, "max@acme.e2e.test");
    assert_eq!(max.len(), 1, "{list:?}");
    assert_eq!(max[0]["id"], max_scim_id.as_str());
    // Noa, whom the directory did not provision, gets a page, not an account.
    sign_in_by_email(&person, &app, "noa@acme.e2e.test", &acme_idp).await;
    let body = person.wait_for("main").await.text().await.expect("page");
    assert!(body.contains("has not given you access"), "{body}");
    person.screenshot("3-not-provisioned").await;
    assert!(member(&members(&admin, &acme_members).await, "noa@acme.e2e.test").is_empty());

    // Gus's address takes him to Globex's IdP, and he is Globex's member, not Acme's.
    sign_in_by_email(&person, &app, "gus@globex.e2e.test", &globex_idp).await;
    let who = person
        .wait_for("header .who")
        .await
        .text()
        .await
        .expect("who");
    assert_eq!(who, "gus@globex.e2e.test");
    let globex_members = members(&globex_admin, &format!("{globex_api}/members")).await;
    assert_eq!(member(&globex_members, "gus@globex.e2e.test").len(), 1);
    assert!(member(&members(&admin, &acme_members).await, "gus@globex.e2e.test").is_empty());

    // Across organizations, both ways: Globex's IdP vouching for an Acme address, and
    // Acme's IdP vouching for a Globex address, sign nobody in.
    for (start, idp, login) in [
        (
            format!("/auth/sso/{globex_conn}/start?login_hint=kim@acme.e2e.test"),
            &globex_idp,
            "kim@acme.e2e.test",
        ),
        (
            format!("/auth/sso/start?domain={ACME_DOMAIN}&login_hint=eve@globex.e2e.test"),
            &acme_idp,
            "eve@globex.e2e.test",
        ),
    ] {
        forget_everyone(&person, &app).await;
        person.goto(&app.url(&start)).await;
        sign_in_at_idp(&person, idp, login).await;
        let body = person.wait_for("main").await.text().await.expect("page");
        assert!(
            body.contains("belongs to another organization"),
            "{login}: {body}"
        );
        person.goto(&app.url("/")).await;
        let at = person.path().await;
        assert!(
            at.starts_with("/auth/signin"),
            "{login} is not signed in: {at}"
        );
    }
    let globex_members = members(&globex_admin, &format!("{globex_api}/members")).await;
    assert!(member(&globex_members, "kim@acme.e2e.test").is_empty());
    assert!(member(&globex_members, "eve@globex.e2e.test").is_empty());

    // Two people on Acme's domain with passwords: Ola, a member, and Pia, an admin whom
    // the admin names break-glass on the page before requiring SSO there.
    let (_, _ola) = crate::orgs::add_member(&app, &admin, "ola@acme.e2e.test").await;
    let (pia_id, _pia) = crate::orgs::add_member(&app, &admin, "pia@acme.e2e.test").await;
    let (s, v) = admin
        .call(
            "PATCH",
            &org_path(&app, &format!("/members/{pia_id}")),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    b.goto(&page).await;
    b.click_to_next_page("tr[data-admin='pia@acme.e2e.test'] form[action$='/name'] button")
        .await;
    let notice = b.wait_for("p.notice").await.text().await.expect("text");
    assert!(notice.contains("is now a break-glass admin"), "{notice}");
    b.click_to_next_page("form[action$='/connections/enforcement'] button")
        .await;
    let status = b.text("p.require-sso-status").await;
    assert!(status.contains("required for people on"), "{status}");
    b.screenshot("2-sso-required").await;

    // Ola signs in with her password; the organization's pages send her through Acme's
    // IdP first, then open where she was going.
    let members_page = format!("/orgs/{}/members", app.org_id);
    sign_in_with_password(&person, &app, "ola@acme.e2e.test").await;
    person.goto(&app.url(&members_page)).await;
    sign_in_at_idp(&person, &acme_idp, "ola@acme.e2e.test").await;
    person.wait_for("header .who").await;
    assert_eq!(person.path().await, members_page);
    person.screenshot("5-stepped-up").await;

    // Pia, break-glass, keeps password access, and the audit log shows it.
    sign_in_with_password(&person, &app, "pia@acme.e2e.test").await;
    person.goto(&app.url(&members_page)).await;
    person.wait_for("header .who").await;
    assert_eq!(person.path().await, members_page, "no detour to the IdP");
    let (s, v) = admin
        .call(
            "GET",
            &org_path(&app, "/audit-events?action=sso.break_glass.signin"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v.to_string().contains("pia@acme.e2e.test"), "{v}");

    person.close().await;
    admin_browser.close().await;
    app.stop().await;
    acme_idp.stop();
    globex_idp.stop();
}
