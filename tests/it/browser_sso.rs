//! The Connections page's SSO sections in a real browser (headless Chromium, see
//! `browser.rs`): an admin adds an OIDC connection for the test OP, tests it, claims a
//! domain and verifies it against a real DNS server on loopback, names itself break-glass
//! and requires SSO. SQLite only, like the
//! other browser tests. Screenshots: `target/screenshots/sso_conn_browser_*`.

use crate::browser::Browser;
use crate::dns::DnsServer;
use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};
use crate::oidc_peer::OidcPeer;
use gatehouse::store::Backend;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sso_conn_browser_connection_and_domain() {
    let op = OidcPeer::start(&json!({"port": 0, "mode": "generic", "clients": [], "accounts": []}));
    let dns = DnsServer::start("browser-corp.test").await;
    let addr = dns.addr.to_string();
    let (app, ()) =
        TestApp::spawn_with(Backend::Sqlite, move |c, _| c.sso.dns_servers = vec![addr]).await;
    let browser = Browser::start("sso_conn_browser").await;

    browser.goto(&app.url("/auth/signin")).await;
    browser.wait_for("form[action='/auth/signin']").await;
    browser.fill("input[name=email]", ADMIN_EMAIL).await;
    browser.fill("input[name=password]", ADMIN_PASSWORD).await;
    browser
        .click("form[action='/auth/signin'] button[type=submit]")
        .await;
    browser.wait_for("header .who").await;
    browser
        .goto(&app.url(&format!("/orgs/{}/connections", app.org_id)))
        .await;
    browser.wait_for("form.new-sso").await;

    // Add the connection.
    browser.fill("form.new-sso input[name=name]", "Okta").await;
    browser
        .fill("form.new-sso input[name=issuer]", &op.issuer)
        .await;
    browser
        .fill("form.new-sso input[name=client_id]", "gh-okta")
        .await;
    browser
        .fill(
            "form.new-sso input[name=client_secret]",
            "browser-secret-9d2",
        )
        .await;
    browser
        .click_to_next_page("form.new-sso button[type=submit]")
        .await;
    let notice = browser.wait_for("p.notice").await.text().await.unwrap();
    assert!(notice.contains("Register this redirect URI"), "{notice}");
    let uri = browser
        .text("tr[data-connection='Okta'] code.redirect-uri")
        .await;
    assert!(
        uri.starts_with(&format!("{}/auth/sso/", app.base)) && uri.ends_with("/callback"),
        "{uri}"
    );
    assert!(
        !browser
            .client
            .source()
            .await
            .unwrap()
            .contains("browser-secret-9d2")
    );

    // Test it.
    browser
        .click_to_next_page("tr[data-connection='Okta'] form[action$='/test'] button")
        .await;
    let notice = browser.wait_for("p.notice").await.text().await.unwrap();
    assert!(notice.contains("passed"), "{notice}");
    scroll_to(&browser, "table.sso-connections").await;
    browser.screenshot("1-connection-tested").await;

    // Claim the domain, publish the record, verify.
    browser
        .fill("form.new-domain input[name=domain]", "browser-corp.test")
        .await;
    browser
        .click_to_next_page("form.new-domain button[type=submit]")
        .await;
    let row = "tr[data-domain='browser-corp.test']";
    browser.wait_for(row).await;
    let name = browser.text(&format!("{row} code.txt-name")).await;
    let value = browser.text(&format!("{row} code.txt-value")).await;
    assert_eq!(name, "_gatehouse-challenge.browser-corp.test");
    dns.add_txt(&name, &value).await;
    browser
        .click_to_next_page(&format!("{row} form[action$='/verify'] button"))
        .await;
    browser.wait_for("p.notice").await;
    let status = browser.text(&format!("{row} td.domain-status")).await;
    assert!(status.starts_with("verified"), "{status}");
    scroll_to(&browser, "table.domains").await;
    browser.screenshot("2-domain-verified").await;

    // Name the admin break-glass, then require SSO.
    let admin_row = format!("tr[data-admin='{ADMIN_EMAIL}']");
    browser
        .click_to_next_page(&format!("{admin_row} form[action$='/name'] button"))
        .await;
    let notice = browser.wait_for("p.notice").await.text().await.unwrap();
    assert!(notice.contains("is now a break-glass admin"), "{notice}");
    browser
        .click_to_next_page("form[action$='/connections/enforcement'] button")
        .await;
    let notice = browser.wait_for("p.notice").await.text().await.unwrap();
    assert!(notice.contains("now required"), "{notice}");
    let status = browser.text("p.require-sso-status").await;
    assert!(
        status.contains("required for people on browser-corp.test"),
        "{status}"
    );
    scroll_to(&browser, "section.enforcement").await;
    browser.screenshot("3-sso-required").await;

    browser.close().await;
    app.stop().await;
    op.stop();
}

/// Scrolls the element matching `css` to the top of the window, for the screenshot.
async fn scroll_to(browser: &Browser, css: &str) {
    browser
        .client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView()",
            vec![json!(css)],
        )
        .await
        .expect("scroll");
}
