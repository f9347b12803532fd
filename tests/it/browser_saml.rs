//! SAML in a real browser (headless Chromium, see `browser.rs`): the admin adds a SAML
//! connection on the Connections page by pasting the samlify IdP's metadata and reads
//! the ACS URL and entity id to give the IdP; then a person types only their email on
//! the sign-in page, signs in at the IdP, and comes back signed in as a just-in-time
//! member. The same person flow with pysaml2 as the IdP (its connection made with the
//! API). On SQLite and PostgreSQL. Screenshots: `target/screenshots/saml_browser_*`.

use crate::browser::Browser;
use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD};
use crate::saml_peer::{Kind, SamlIdp};
use crate::sso_signin::with_verified_domain;
use gatehouse::store::Backend;
use serde_json::json;

crate::backend_fns!(saml_browser_setup_and_sign_in, saml_browser_pysaml2_sign_in);

async fn saml_browser_setup_and_sign_in(backend: Backend) {
    let (app, _admin, _dns) = with_verified_domain(backend).await;
    let idp = SamlIdp::start(Kind::Samlify, &json!({"port": 0}));
    let metadata = idp.metadata().await;
    let browser = Browser::start(&format!("saml_browser_{backend:?}").to_lowercase()).await;

    // The admin adds the connection from the IdP's metadata.
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
    browser.wait_for("form.new-saml").await;
    browser
        .fill("form.new-saml input[name=name]", "Acme SAML")
        .await;
    browser
        .client
        .execute(
            "document.querySelector('form.new-saml textarea[name=metadata_xml]').value = arguments[0]",
            vec![json!(metadata)],
        )
        .await
        .expect("paste metadata");
    browser
        .click_to_next_page("form.new-saml button[type=submit]")
        .await;
    let notice = browser.wait_for("p.notice").await.text().await.unwrap();
    assert!(notice.contains("ACS URL"), "{notice}");
    let row = "tr[data-connection='Acme SAML']";
    let acs = browser.text(&format!("{row} code.acs-url")).await;
    let entity = browser.text(&format!("{row} code.sp-entity-id")).await;
    assert!(
        acs.starts_with(&format!("{}/auth/saml/", app.base)) && acs.ends_with("/acs"),
        "{acs}"
    );
    assert!(entity.ends_with("/metadata"), "{entity}");
    let certs = browser.text(&format!("{row} ul.saml-certs")).await;
    assert!(
        certs.contains("gatehouse-test-idp") && certs.contains("expires"),
        "{certs}"
    );
    browser
        .client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView()",
            vec![json!(row)],
        )
        .await
        .expect("scroll");
    browser.screenshot("1-saml-connection").await;

    // A person of the organization: email only, then the IdP, then back signed in.
    browser.client.delete_all_cookies().await.expect("sign out");
    person_signs_in(&app, &browser, &idp).await;
    browser.close().await;
    app.stop().await;
}

/// On the sign-in page, types only the email, signs in at the IdP, and comes back
/// signed in.
async fn person_signs_in(app: &crate::harness::TestApp, browser: &Browser, idp: &SamlIdp) {
    browser.goto(&app.url("/auth/signin")).await;
    browser.wait_for("form[action='/auth/signin']").await;
    browser
        .fill("input[name=email]", "kim@acme-corp.test")
        .await;
    browser
        .click_to_next_page("form[action='/auth/signin'] button[type=submit]")
        .await;
    browser.wait_for("#email").await;
    assert!(
        browser
            .client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .starts_with(&idp.base)
    );
    browser.fill("#email", "kim@acme-corp.test").await;
    browser.screenshot("2-at-the-idp").await;
    browser.click_to_next_page("#signin").await;
    let who = browser.wait_for("header .who").await.text().await.unwrap();
    assert!(who.contains("kim@acme-corp.test"), "{who}");
    browser.screenshot("3-signed-in").await;
    let url = browser.client.current_url().await.unwrap();
    assert!(url.as_str().starts_with(&app.base), "{url}");
}

async fn saml_browser_pysaml2_sign_in(backend: Backend) {
    let (app, admin, _dns) = with_verified_domain(backend).await;
    let idp = SamlIdp::start(Kind::Pysaml2, &json!({"port": 0}));
    crate::saml::create(&app, &admin, json!({"metadata_xml": idp.metadata().await})).await;
    let browser = Browser::start(&format!("saml_browser_pysaml2_{backend:?}").to_lowercase()).await;
    person_signs_in(&app, &browser, &idp).await;
    browser.close().await;
    app.stop().await;
}
