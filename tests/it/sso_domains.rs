//! Verified domains (issue #17, part 2) against a real DNS server on loopback
//! (`dns::DnsServer`, hickory-server): claim, the TXT record to add, verification on
//! demand and by the job `verify_domains`, one organization at most, the grace period
//! when the record disappears (clock moved), and the operator's CLI.

use crate::account::other_org;
use crate::cli::gatehouse;
use crate::dns::DnsServer;
use crate::harness::TestApp;
use crate::orgs::{Person, org_path};
use gatehouse::jobs;
use gatehouse::store::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const DOMAIN: &str = "acme-corp.test";
const TXT_NAME: &str = "_gatehouse-challenge.acme-corp.test";

crate::backend_fns!(sso_domain_verify_and_grace, sso_domain_cli_verify_release);

async fn run_job(app: &TestApp) -> Value {
    let ran = jobs::run(&app.ctx, jobs::VERIFY_DOMAINS, "test")
        .await
        .expect("job");
    serde_json::to_value(ran).expect("json")
}

async fn events(admin: &Person, app: &TestApp, action: &str) -> Vec<Value> {
    let (s, v) = admin
        .call(
            "GET",
            &org_path(app, &format!("/audit-events?action={action}")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().cloned().unwrap_or_default()
}

async fn sso_domain_verify_and_grace(backend: Backend) {
    let dns = DnsServer::start(DOMAIN).await;
    let addr = dns.addr.to_string();
    let (app, ()) = TestApp::spawn_with(backend, move |c, _| c.sso.dns_servers = vec![addr]).await;
    let admin = crate::orgs::admin(&app).await;
    let base = org_path(&app, "/domains");

    // Claim: normalized, pending, with the record to add.
    let (s, d) = admin
        .call("POST", &base, Some(json!({"domain": "Acme-Corp.TEST."})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert_eq!(d["domain"], DOMAIN);
    assert_eq!(d["status"], "pending");
    assert_eq!(d["txt_name"], TXT_NAME);
    let value = d["txt_value"].as_str().expect("value").to_string();
    assert!(value.starts_with("gh-domain_") && value.len() > 40, "{d}");
    let id = d["id"].as_str().expect("id").to_string();
    let one = format!("{base}/{id}");
    for bad in [
        "localhost",
        "exa mple.com",
        "10.0.0.1",
        "-x.test",
        "bücher.test",
    ] {
        let (s, v) = admin
            .call("POST", &base, Some(json!({"domain": bad})))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
    }
    let (s, _) = admin
        .call("POST", &base, Some(json!({"domain": DOMAIN})))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "claimed twice");

    // Verify on demand: nothing yet, then a wrong value, then the right one.
    let (s, v) = admin.call("POST", &format!("{one}/verify"), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "pending", "{v}");
    assert!(
        v["check"]
            .as_str()
            .unwrap_or_default()
            .contains("No TXT record"),
        "{v}"
    );
    dns.add_txt(TXT_NAME, "someone-else").await;
    let (_, v) = admin.call("POST", &format!("{one}/verify"), None).await;
    assert_eq!(v["status"], "pending", "{v}");
    assert!(
        v["check"]
            .as_str()
            .unwrap_or_default()
            .contains("1 other value"),
        "{v}"
    );
    dns.add_txt(TXT_NAME, &value).await;
    let (s, v) = admin.call("POST", &format!("{one}/verify"), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "verified", "{v}");
    assert_eq!(v["verified_by"], "dns", "{v}");
    assert_eq!(events(&admin, &app, "domain.verified").await.len(), 1);

    // Another organization may claim it, but not verify it while Acme has it.
    let (b_org, b_admin) = other_org(&app).await;
    let b_base = format!("/api/v1/orgs/{b_org}/domains");
    let (s, b) = b_admin
        .call("POST", &b_base, Some(json!({"domain": DOMAIN})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let b_one = format!("{b_base}/{}", b["id"].as_str().expect("id"));
    dns.add_txt(TXT_NAME, b["txt_value"].as_str().expect("value"))
        .await;
    let (s, v) = b_admin.call("POST", &format!("{b_one}/verify"), None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v.to_string().contains("another organization"), "{v}");

    // The record disappears: the job notes it, Acme keeps the domain through the grace.
    dns.remove_txt(TXT_NAME).await;
    let ran = run_job(&app).await;
    assert_eq!(ran["outcome"]["missing"], 1, "{ran}");
    let (_, v) = admin.call("GET", &one, None).await;
    assert_eq!(v["status"], "verified", "{v}");
    let since = v["missing_since"].as_str().expect("missing since");
    let ends = v["grace_ends_at"].as_str().expect("grace end");
    let parse = |t: &str| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).unwrap()
    };
    assert_eq!(parse(ends) - parse(since), time::Duration::hours(72));
    assert_eq!(events(&admin, &app, "domain.record_missing").await.len(), 1);
    app.clock.advance(time::Duration::hours(71));
    let admin = crate::orgs::admin(&app).await; // sessions idle out over days
    run_job(&app).await;
    let (_, v) = admin.call("GET", &one, None).await;
    assert_eq!(v["status"], "verified", "within the grace: {v}");

    // Past the grace: unverified, audited; now B's record (back in DNS) wins it.
    app.clock.advance(time::Duration::hours(2));
    let admin = crate::orgs::admin(&app).await;
    let b_admin = Person::sign_in(&app, "eve@globex.test", "eve password").await;
    dns.add_txt(TXT_NAME, b["txt_value"].as_str().expect("value"))
        .await;
    let ran = run_job(&app).await;
    assert_eq!(ran["outcome"]["unverified"], 1, "{ran}");
    let (_, v) = admin.call("GET", &one, None).await;
    assert_eq!(v["status"], "pending", "{v}");
    assert!(v["missing_since"].is_null(), "{v}");
    let unverified = events(&admin, &app, "domain.unverified").await;
    assert_eq!(unverified.len(), 1, "{unverified:?}");
    assert_eq!(unverified[0]["actor_name"], "verify_domains");
    run_job(&app).await;
    let (_, v) = b_admin.call("GET", &b_one, None).await;
    assert_eq!(
        v["status"], "verified",
        "B's claim verified by the job: {v}"
    );

    // A member who is not an admin sees nothing; releasing is audited.
    let (_, member) = crate::orgs::add_member(&app, &admin, "member@acme.test").await;
    let (s, _) = member.call("GET", &base, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = admin.call("DELETE", &one, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = admin.call("GET", &one, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(events(&admin, &app, "domain.released").await.len(), 1);
    let (s, _) = admin
        .call("GET", &format!("{base}/{}", Uuid::new_v4()), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn sso_domain_cli_verify_release(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = crate::orgs::admin(&app).await;
    let cli = |args: &[&str]| {
        gatehouse()
            .args(args)
            .env("GATEHOUSE_DATABASE__URL", &app.database_url)
            .output()
            .expect("run gatehouse")
    };
    let out = cli(&[
        "domain",
        "verify",
        "--org",
        "Acme",
        "--domain",
        "Ops-Corp.test",
    ]);
    assert!(out.status.success(), "{out:?}");
    let (_, list) = admin.call("GET", &org_path(&app, "/domains"), None).await;
    assert_eq!(list[0]["domain"], "ops-corp.test", "{list}");
    assert_eq!(list[0]["status"], "verified", "{list}");
    assert_eq!(list[0]["verified_by"], "operator", "{list}");
    let verified = events(&admin, &app, "domain.verified").await;
    assert!(
        verified[0]["actor_name"]
            .as_str()
            .is_some_and(|n| n.starts_with("cli:")),
        "{verified:?}"
    );
    // The job leaves an operator's verification alone (no DNS record exists).
    let ran = run_job(&app).await;
    assert_eq!(ran["outcome"]["checked"], 0, "{ran}");

    let out = cli(&["domain", "verify", "--org", "Nope", "--domain", "x.test"]);
    assert!(!out.status.success(), "unknown organization");
    let out = cli(&[
        "domain",
        "release",
        "--org",
        "Acme",
        "--domain",
        "ops-corp.test",
    ]);
    assert!(out.status.success(), "{out:?}");
    let (_, list) = admin.call("GET", &org_path(&app, "/domains"), None).await;
    assert_eq!(list, json!([]));
    assert_eq!(events(&admin, &app, "domain.released").await.len(), 1);
}
