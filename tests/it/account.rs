//! The Account page (organization, primary account, own account, Reset password for
//! password accounts only, Additional Contacts), renaming, the Billing page and API
//! (admins only, subscriptions from config), the audit log page and the org nav.

use crate::auth::{csrf_of, last_mail, mail_count};
use crate::backend_tests;
use crate::harness::{ADMIN_EMAIL, TestApp};
use crate::orgs::{Person, add_member, admin, org_path};
use gatehouse::services::audit::Actor;
use gatehouse::services::{orgs, sessions};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

backend_tests!(
    account_page_shows_organization_accounts_contacts_and_reset,
    provider_accounts_are_not_offered_a_password_reset,
    contacts_are_validated_bounded_audited_and_admin_managed,
    admins_rename_the_organization,
    members_cannot_open_billing,
    audit_page_is_for_admins_newest_first_paged_and_filtered,
    org_nav_links_the_organization_pages
);

pub async fn page(p: &Person, path: &str) -> (StatusCode, String) {
    let r = p
        .client
        .get(format!("{}{path}", p.base))
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

pub async fn post_form(p: &Person, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    p.client
        .post(format!("{}{path}", p.base))
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// Another organization, "Globex", and its signed-in admin.
pub async fn other_org(app: &TestApp) -> (Uuid, Person) {
    let boot = orgs::bootstrap(
        &app.ctx,
        &Actor::cli(),
        orgs::BootstrapRequest {
            org_name: "Globex".into(),
            email: "eve@globex.test".into(),
            password: Some("eve password".into()),
            display_name: Some("Eve".into()),
        },
    )
    .await
    .unwrap();
    (
        boot.org.id,
        Person::sign_in(app, "eve@globex.test", "eve password").await,
    )
}

/// A person who signs in only through an identity provider (created by the
/// directory, no password), with a session made the way a provider sign-in makes it.
pub async fn provider_person(app: &TestApp, email: &str) -> Person {
    crate::scim::create_user(app, email).await;
    let user = {
        let mut db = app.ctx.store.read().await.unwrap();
        gatehouse::store::users::find_by_email(&mut db, email)
            .await
            .unwrap()
    };
    assert!(user.password_hash.is_none());
    let session = sessions::create(
        &app.ctx,
        user.id,
        &sessions::SignInMethod::Password,
        None,
        None,
    )
    .await
    .unwrap();
    let jar = reqwest::cookie::Jar::default();
    jar.add_cookie_str(
        &format!("gh_session={}; Path=/", session.cookie_value),
        &app.base.parse().unwrap(),
    );
    Person {
        client: reqwest::Client::builder()
            .cookie_provider(std::sync::Arc::new(jar))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: app.base.clone(),
    }
}

fn account(app: &TestApp) -> String {
    format!("/orgs/{}/account", app.org_id)
}

async fn account_page_shows_organization_accounts_contacts_and_reset(app: TestApp) {
    let admin = admin(&app).await;
    let (_, member) = add_member(&app, &admin, "mia@acme.test").await;

    let (s, html) = page(&admin, &account(&app)).await;
    assert_eq!(s, StatusCode::OK);
    for text in [
        "Acme",
        "Primary account",
        "Ada Admin",
        ADMIN_EMAIL,
        "User since",
        "Email and password",
        "Additional Contacts",
        "id=\"reset-password\"",
        "id=\"rename\"",
        "id=\"add-contact\"",
    ] {
        assert!(html.contains(text), "admin's account page shows {text:?}");
    }

    // An admin adds a contact through the form; the member sees it, read-only.
    let r = post_form(
        &admin,
        &format!("{}/contacts", account(&app)),
        &[("csrf", &csrf_of(&html)), ("email", "billing@acme.test")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, html) = page(&member, &account(&app)).await;
    assert_eq!(s, StatusCode::OK);
    let primary = &html[html.find("id=\"primary\"").unwrap()..];
    assert!(primary.contains("Ada Admin") && primary.contains(ADMIN_EMAIL));
    let me = &html[html.find("id=\"me\"").unwrap()..];
    assert!(
        me.contains("mia@acme.test") && me.contains("Member"),
        "{me}"
    );
    assert!(html.contains("billing@acme.test"));
    assert!(!html.contains("id=\"add-contact\"") && !html.contains(">Remove<"));
    assert!(!html.contains("id=\"rename\""), "members do not rename");
    assert!(html.contains("id=\"reset-password\""));

    // Reset password mails the viewer a link, as /auth/forgot does.
    let before = mail_count(&app);
    let r = post_form(
        &member,
        &format!("{}/password-reset", account(&app)),
        &[("csrf", &csrf_of(&html))],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(mail_count(&app), before + 1);
    let mail = last_mail(&app);
    assert!(mail.contains("mia@acme.test") && mail.contains("/auth/reset/ghl_"));

    // A form without the CSRF token is refused.
    let r = post_form(
        &member,
        &format!("{}/password-reset", account(&app)),
        &[("csrf", "forged")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn provider_accounts_are_not_offered_a_password_reset(app: TestApp) {
    let sso = provider_person(&app, "sam@acme.test").await;
    let (s, html) = page(&sso, &account(&app)).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("sam@acme.test") && html.contains("Ada Admin"));
    assert!(
        !html.contains("id=\"reset-password\"") && !html.contains("Reset password"),
        "no reset for provider accounts"
    );
    assert!(html.contains("identity provider"));
    // Posting anyway sends nothing.
    let before = mail_count(&app);
    let r = sso
        .client
        .post(format!("{}{}/password-reset", app.base, account(&app)))
        .form(&[("csrf", csrf_of(&html))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"].to_str().unwrap().contains("error="));
    assert_eq!(mail_count(&app), before, "no mail to a provider account");
}

async fn contacts_are_validated_bounded_audited_and_admin_managed(app: TestApp) {
    let admin = admin(&app).await;
    let (_, member) = add_member(&app, &admin, "mia@acme.test").await;
    let path = org_path(&app, "/contacts");

    let (s, c) = admin
        .call("POST", &path, Some(json!({"email": "Billing@Acme.test"})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["email"], "Billing@Acme.test");
    let id = c["id"].as_str().unwrap().to_string();
    let (s, v) = admin
        .call("POST", &path, Some(json!({"email": "billing@acme.TEST"})))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "unique ignoring case: {v}");
    let (s, v) = admin
        .call("POST", &path, Some(json!({"email": "not an address"})))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a valid email")
    );

    // Members read them, but cannot change them.
    let (s, list) = member.call("GET", &path, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (s, _) = member
        .call("POST", &path, Some(json!({"email": "x@acme.test"})))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = member.call("DELETE", &format!("{path}/{id}"), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // At most 20.
    for i in 1..20 {
        let (s, v) = admin
            .call(
                "POST",
                &path,
                Some(json!({"email": format!("c{i}@acme.test")})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, v) = admin
        .call(
            "POST",
            &path,
            Some(json!({"email": "one-too-many@acme.test"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 20")
    );

    // Removal, once; another organization's admin sees none of it.
    let (s, _) = admin.call("DELETE", &format!("{path}/{id}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = admin.call("DELETE", &format!("{path}/{id}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (globex, eve) = other_org(&app).await;
    let (s, _) = eve.call("GET", &path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, c) = eve
        .call(
            "POST",
            &format!("/api/v1/orgs/{globex}/contacts"),
            Some(json!({"email": "eve-billing@globex.test"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let theirs = c["id"].as_str().unwrap();
    let (s, _) = admin
        .call("DELETE", &format!("{path}/{theirs}"), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "scoped by organization");

    let (_, events) = admin
        .call("GET", &org_path(&app, "/audit-events?limit=200"), None)
        .await;
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "billing_contact.added")
            .count(),
        20
    );
    assert!(actions.contains(&"billing_contact.removed"));
}

async fn admins_rename_the_organization(app: TestApp) {
    let admin = admin(&app).await;
    let (_, member) = add_member(&app, &admin, "mia@acme.test").await;
    let path = org_path(&app, "");
    let (s, org) = member.call("GET", &path, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(org["name"], "Acme");
    assert_eq!(org["seats"]["used"], 2);

    let (s, _) = member
        .call("PATCH", &path, Some(json!({"name": "Mia's Acme"})))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = admin
        .call("PATCH", &path, Some(json!({"name": "  "})))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    other_org(&app).await;
    let (s, _) = admin
        .call("PATCH", &path, Some(json!({"name": "GLOBEX"})))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "names stay unique");
    let (s, org) = admin
        .call("PATCH", &path, Some(json!({"name": "Acme Corp"})))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(org["name"], "Acme Corp");

    // The page's form too; both renames are audited with before and after.
    let (_, html) = page(&admin, &account(&app)).await;
    let r = post_form(
        &admin,
        &format!("{}/name", account(&app)),
        &[("csrf", &csrf_of(&html)), ("name", "Acme Inc")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&member, &account(&app)).await;
    assert!(html.contains("Acme Inc"));
    let (_, events) = admin
        .call(
            "GET",
            &org_path(&app, "/audit-events?action=organization.renamed"),
            None,
        )
        .await;
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["details"]["before"], "Acme Corp");
    assert_eq!(events[0]["details"]["after"], "Acme Inc");
    assert_eq!(events[1]["actor_name"], ADMIN_EMAIL);
}

async fn members_cannot_open_billing(app: TestApp) {
    let admin = admin(&app).await;
    let (_, member) = add_member(&app, &admin, "mia@acme.test").await;
    let billing = format!("/orgs/{}/billing", app.org_id);
    let (s, html) = page(&member, &billing).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(html.contains("Only organization admins can open the Billing page."));
    let (s, v) = member.call("GET", &org_path(&app, "/billing"), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(v["error"]["code"], "forbidden");

    let (s, _) = admin
        .call("PUT", &org_path(&app, "/seats"), Some(json!({"limit": 5})))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, html) = page(&admin, &billing).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("2 / 5 seats") && html.contains("<meter"),
        "{html}"
    );
    assert!(html.contains("No subscription is set up"));
    let (s, v) = admin.call("GET", &org_path(&app, "/billing"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["seats"], json!({"used": 2, "limit": 5}));
    assert_eq!(v["products"], json!([]));
}

async fn audit_page_is_for_admins_newest_first_paged_and_filtered(app: TestApp) {
    let admin = admin(&app).await;
    let (_, member) = add_member(&app, &admin, "mia@acme.test").await;
    let contacts = org_path(&app, "/contacts");
    for i in 0..26 {
        let (s, c) = admin
            .call(
                "POST",
                &contacts,
                Some(json!({"email": format!("c{i}@acme.test")})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let id = c["id"].as_str().unwrap();
        admin
            .call("DELETE", &format!("{contacts}/{id}"), None)
            .await;
    }
    let (s, _) = admin
        .call(
            "PATCH",
            &org_path(&app, ""),
            Some(json!({"name": "Acme Corp"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let audit = format!("/orgs/{}/audit", app.org_id);
    let (s, html) = page(&member, &audit).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "admins only");
    assert!(html.contains("Only organization admins can read the audit log."));

    let (s, html) = page(&admin, &audit).await;
    assert_eq!(s, StatusCode::OK);
    let rows = |html: &str| html.matches("<tr data-action=").count();
    assert_eq!(rows(&html), 50, "a page holds 50 events");
    // Newest first: the rename leads, with its before/after, actor and client address.
    let first = &html[html.find("<tr data-action=").unwrap()..];
    assert!(first.starts_with("<tr data-action=\"organization.renamed\""));
    let first = &first[..first.find("</tr>").unwrap()];
    assert!(first.contains("Acme → Acme Corp"), "{first}");
    assert!(first.contains(ADMIN_EMAIL) && first.contains("127.0.0.1"));
    // The next page continues where this one ended, with no overlap.
    let marker = "before=";
    let next = &html[html.find(marker).expect("an Older link") + marker.len()..];
    let cursor = &next[..next.find('"').unwrap()];
    let (_, older) = page(&admin, &format!("{audit}?before={cursor}")).await;
    let (_, all) = admin
        .call("GET", &org_path(&app, "/audit-events?limit=1000"), None)
        .await;
    let total = all.as_array().unwrap().len();
    assert!(total > 50);
    assert_eq!(rows(&older), total - 50);
    assert!(older.contains(">Newest<"));

    // Filtered by action.
    let (_, renamed) = page(&admin, &format!("{audit}?action=organization.renamed")).await;
    assert_eq!(rows(&renamed), 1);
    let (_, added) = page(&admin, &format!("{audit}?action=billing_contact.added")).await;
    assert_eq!(rows(&added), 26);
    assert!(!added.contains("data-action=\"billing_contact.removed\""));
    assert!(added.contains("<option value=\"billing_contact.added\" selected>"));
}

async fn org_nav_links_the_organization_pages(app: TestApp) {
    let admin = admin(&app).await;
    let (_, member) = add_member(&app, &admin, "mia@acme.test").await;
    let org = app.org_id;
    let (_, html) = page(&admin, &format!("/orgs/{org}/members")).await;
    for link in [
        "members",
        "workspaces",
        "account",
        "billing",
        "connections",
        "audit",
        "api-keys",
    ] {
        assert!(
            html.contains(&format!("href=\"/orgs/{org}/{link}\"")),
            "admin nav links {link}"
        );
    }
    // The usage meter's billing plan link leads admins to the Billing page.
    assert!(html.contains(&format!(
        "<a class=\"plan-link\" href=\"/orgs/{org}/billing\">Billing plan</a>"
    )));
    let (_, html) = page(&member, &format!("/orgs/{org}/members")).await;
    assert!(!html.contains("plan-link"));
    let (_, html) = page(&member, &format!("/orgs/{org}/account")).await;
    assert!(html.contains(&format!("href=\"/orgs/{org}/members\"")));
    assert!(html.contains(&format!("href=\"/orgs/{org}/account\" class=\"current\"")));
    for hidden in ["billing", "connections", "audit", "api-keys"] {
        assert!(
            !html.contains(&format!("href=\"/orgs/{org}/{hidden}\"")),
            "members' nav hides {hidden}"
        );
    }
}

/// Subscriptions and license keys come from `[billing]`; keys read from files and
/// never show in `Debug` or `config check` output.
mod billing_from_config {
    use super::*;
    use gatehouse::config::Config;
    use gatehouse::store::Backend;

    fn billing_config(dir: &std::path::Path) -> Config {
        let key_file = dir.join("deploy.key");
        std::fs::write(&key_file, "DEPLOY-KEY-1234-SECRET\n").unwrap();
        let file = dir.join("billing.toml");
        std::fs::write(
            &file,
            format!(
                r#"[billing]
invoices_url = "https://billing.example.com/invoices"
manage_url = "https://billing.example.com/portal"

[billing.orgs."acme"]
plan = "Ultimate"

[billing.orgs."acme".products.Deploy]
license_key_file = {:?}
renews_on = "2027-01-31"
download_url = "https://downloads.example.com/deploy"

[billing.orgs."acme".products.Inventory]
license_key = "INVENTORY-KEY-5678-SECRET"
"#,
                key_file.display().to_string()
            ),
        )
        .unwrap();
        Config::load(Some(&file), std::iter::empty()).unwrap()
    }

    async fn run(backend: Backend) {
        let dir = tempfile::tempdir().unwrap();
        let loaded = billing_config(dir.path());
        for secret in ["DEPLOY-KEY-1234-SECRET", "INVENTORY-KEY-5678-SECRET"] {
            assert!(!format!("{loaded:?}").contains(secret), "Debug redacts");
            assert!(
                !toml::to_string(&loaded).unwrap().contains(secret),
                "config check redacts"
            );
        }
        let billing = loaded.billing.clone();
        let (app, ()) = TestApp::spawn_with(backend, move |c, _| c.billing = billing).await;
        let admin = admin(&app).await;
        let (s, html) = page(&admin, &format!("/orgs/{}/billing", app.org_id)).await;
        assert_eq!(s, StatusCode::OK);
        for text in [
            "Ultimate",
            "Deploy",
            "DEPLOY-KEY-1234-SECRET",
            "2027-01-31",
            "https://downloads.example.com/deploy",
            "Inventory",
            "INVENTORY-KEY-5678-SECRET",
            "https://billing.example.com/invoices",
            "https://billing.example.com/portal",
        ] {
            assert!(html.contains(text), "billing page shows {text:?}");
        }
        let (s, v): (StatusCode, Value) =
            admin.call("GET", &org_path(&app, "/billing"), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["plan"], "Ultimate");
        assert_eq!(v["products"][0]["name"], "Deploy");
        assert_eq!(v["products"][0]["license_key"], "DEPLOY-KEY-1234-SECRET");
        assert_eq!(v["products"][1]["renews_on"], Value::Null);
        // Other organizations see their own (here: none).
        let (globex, eve) = other_org(&app).await;
        let (_, v) = eve
            .call("GET", &format!("/api/v1/orgs/{globex}/billing"), None)
            .await;
        assert_eq!(v["products"], json!([]));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        run(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        run(Backend::Postgres).await;
    }
}
