//! Identifier-first sign-in (issue #17): the email alone sends a person on an SSO domain to
//! their organization's IdP with `login_hint`; any other address gets the password field,
//! the same whether it has an account or not.

use crate::sso_signin::{account, follow, me, setup};
use gatehouse::store::Backend;
use reqwest::StatusCode;
use serde_json::json;

mod sso_signin_identifier_first {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::sso_signin_identifier_first(gatehouse::store::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::sso_signin_identifier_first(gatehouse::store::Backend::Postgres).await;
    }
}

async fn sso_signin_identifier_first(backend: Backend) {
    let s = setup(
        backend,
        json!([account("kim-1", "kim@acme-corp.test")]),
        json!({}),
    )
    .await;
    let app = &s.app;
    let first_step = |email: &'static str| async move {
        let csrf = crate::auth::form_token(app, "/auth/signin?reauth=1").await;
        crate::auth::post_form(
            app,
            "/auth/signin",
            &[("csrf", &csrf), ("email", email), ("next", "/api/me")],
        )
        .await
    };
    // Any other address gets the password field, whether it has an account or not.
    for email in [crate::harness::ADMIN_EMAIL, "nobody@elsewhere.test"] {
        let r = first_step(email).await;
        assert_eq!(r.status(), StatusCode::OK, "{email}");
        let page = r.text().await.unwrap();
        assert!(page.contains("Enter your password to continue"), "{page}");
        assert!(page.contains("name=\"password\""), "{page}");
    }
    // An address on Acme's verified domain goes to Acme's IdP with the login hint,
    // whether it has an account or not.
    let r = first_step("nobody@acme-corp.test").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = first_step("kim@acme-corp.test").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with(&s.op.issuer), "{to}");
    assert!(to.contains("login_hint=kim%40acme-corp.test"), "{to}");
    let back = follow(app, r).await;
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(back.headers()["location"], "/api/me");
    let (st, me1) = me(app).await;
    assert_eq!(st, StatusCode::OK, "{me1}");
    assert_eq!(me1["email"], "kim@acme-corp.test");
    // The password step works as before.
    let csrf = crate::auth::form_token(app, "/auth/signin?reauth=1").await;
    let r = crate::auth::post_form(
        app,
        "/auth/signin",
        &[
            ("csrf", &csrf),
            ("email", crate::harness::ADMIN_EMAIL),
            ("password", crate::harness::ADMIN_PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
