//! The Connections page's SSO sections (issue #17): an admin adds a connection (its
//! redirect URI shown, never its secret), tests it against the real test OP, turns it
//! off, deletes it; claims a domain, sees the TXT record, verifies it against a real
//! DNS server on loopback. Forms carry the CSRF token.

use crate::account::{page, post_form};
use crate::auth::csrf_of;
use crate::dns::DnsServer;
use crate::harness::TestApp;
use crate::oidc_peer::OidcPeer;
use crate::orgs::{Person, admin, org_path};
use gatehouse::store::Backend;
use reqwest::StatusCode;
use serde_json::json;

const SECRET: &str = "page-client-secret-5e1d";

mod sso_conn_page_sections {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::sso_conn_page_sections(gatehouse::store::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::sso_conn_page_sections(gatehouse::store::Backend::Postgres).await;
    }
}

/// Posts a form of the page with the CSRF token and follows the redirect back.
pub async fn submit(p: &Person, path: &str, fields: &[(&str, &str)]) -> String {
    let (_, html) = page(p, &format!("/orgs/{}/connections", org_of(path))).await;
    let csrf = csrf_of(&html);
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    let r = post_form(p, path, &all).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
    let to = r
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("location")
        .to_string();
    let (s, html) = page(p, &to).await;
    assert_eq!(s, StatusCode::OK, "{to}");
    html
}

fn org_of(path: &str) -> &str {
    path.trim_start_matches("/orgs/")
        .split('/')
        .next()
        .expect("org id")
}

async fn sso_conn_page_sections(backend: Backend) {
    let op = OidcPeer::start(&json!({"port": 0, "mode": "generic", "clients": [], "accounts": []}));
    let dns = DnsServer::start("pages-corp.test").await;
    let addr = dns.addr.to_string();
    let (app, ()) = TestApp::spawn_with(backend, move |c, _| c.sso.dns_servers = vec![addr]).await;
    let admin = admin(&app).await;
    let base = format!("/orgs/{}/connections", app.org_id);

    let (s, html) = page(&admin, &base).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("Your identity providers (SSO connections)"),
        "{html}"
    );
    assert!(html.contains("No connections yet.") && html.contains("No domains yet."));

    // Without the CSRF token nothing happens.
    let r = post_form(
        &admin,
        &format!("{base}/sso"),
        &[
            ("name", "X"),
            ("issuer", &op.issuer),
            ("client_id", "c"),
            ("client_secret", "s"),
        ],
    )
    .await;
    assert!(
        !r.status().is_success() && !r.status().is_redirection(),
        "{}",
        r.status()
    );

    // Add a connection: the page shows its redirect URI, never the secret.
    let html = submit(
        &admin,
        &format!("{base}/sso"),
        &[
            ("name", "Okta"),
            ("issuer", &op.issuer),
            ("client_id", "gh-okta"),
            ("client_secret", SECRET),
            ("scopes", "email, profile groups"),
            ("email_claim", ""),
        ],
    )
    .await;
    let (_, list) = admin
        .call("GET", &org_path(&app, "/sso-connections"), None)
        .await;
    let id = list[0]["id"].as_str().expect("id").to_string();
    let redirect = app.url(&format!("/auth/sso/{id}/callback"));
    assert!(html.contains(&redirect), "{html}");
    assert!(html.contains("openid email profile groups"), "{html}");
    assert!(!html.contains(SECRET), "the secret is never shown");
    // A refused form comes back with the reason.
    let html = submit(
        &admin,
        &format!("{base}/sso"),
        &[
            ("name", "Bad"),
            ("issuer", "ftp://x.test"),
            ("client_id", "c"),
            ("client_secret", "s"),
        ],
    )
    .await;
    assert!(html.contains("issuer must"), "{html}");

    // Test it against the real OP; then edit it to a wrong issuer and test again.
    let html = submit(&admin, &format!("{base}/sso/{id}/test"), &[]).await;
    assert!(
        html.contains("Test of &#34;Okta&#34; passed")
            || html.contains("Test of &quot;Okta&quot; passed"),
        "{html}"
    );
    let wrong = op.issuer.replace("127.0.0.1", "localhost");
    let html = submit(
        &admin,
        &format!("{base}/sso/{id}"),
        &[
            ("name", "Okta"),
            ("issuer", &wrong),
            ("client_id", "gh-okta"),
            ("client_secret", ""),
        ],
    )
    .await;
    assert!(html.contains("is saved"), "{html}");
    let html = submit(&admin, &format!("{base}/sso/{id}/test"), &[]).await;
    assert!(html.contains("Issuer mismatch"), "{html}");

    // Disable, then delete.
    let html = submit(&admin, &format!("{base}/sso/{id}/disable"), &[]).await;
    assert!(
        html.contains("is disabled") && html.contains(">Enable<"),
        "{html}"
    );
    let html = submit(&admin, &format!("{base}/sso/{id}/delete"), &[]).await;
    assert!(html.contains("No connections yet."), "{html}");

    // Claim a domain, see the record, verify it through real DNS.
    let html = submit(
        &admin,
        &format!("{base}/domains"),
        &[("domain", "Pages-Corp.test")],
    )
    .await;
    assert!(
        html.contains("_gatehouse-challenge.pages-corp.test"),
        "{html}"
    );
    let (_, domains) = admin.call("GET", &org_path(&app, "/domains"), None).await;
    let domain_id = domains[0]["id"].as_str().expect("id").to_string();
    let value = domains[0]["txt_value"].as_str().expect("value").to_string();
    assert!(html.contains(&value), "{html}");
    let html = submit(&admin, &format!("{base}/domains/{domain_id}/verify"), &[]).await;
    assert!(html.contains("No TXT record"), "{html}");
    dns.add_txt("_gatehouse-challenge.pages-corp.test", &value)
        .await;
    let html = submit(&admin, &format!("{base}/domains/{domain_id}/verify"), &[]).await;
    assert!(html.contains("verified (dns)"), "{html}");
    let html = submit(&admin, &format!("{base}/domains/{domain_id}/release"), &[]).await;
    assert!(html.contains("No domains yet."), "{html}");
    op.stop();
}
