//! OpenID Connect sign-in end to end against the real loopback OP (tests/peers/oidc):
//! `OidcProviders::start` -> the OP's authorization endpoint (reqwest as the browser,
//! redirects followed by hand, `login_hint` picks the account) -> the redirect to our
//! callback URL, intercepted -> `OidcProviders::finish`. No HTTP routes involved.

use crate::oidc_peer::OidcPeer;
use gatehouse::auth::oidc::{
    CallbackParams, OidcError, OidcProviderConfig, OidcProviders, PendingLogin, PolicyRefusal,
    ProviderKind,
};
use serde_json::json;
use std::collections::BTreeMap;

/// Never contacted: the browser's redirect to it is intercepted.
const PUBLIC_URL: &str = "http://127.0.0.1:9";
const CLIENT_ID: &str = "gatehouse";
const CLIENT_SECRET: &str = "s3cret-client";
const TID_A: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const TID_B: &str = "0c1d2e3f-4a5b-4c6d-8e7f-901234567890";
const OID_ANN: &str = "00000000-0000-0000-66f3-3332eca7ea81";
const OID_CARL: &str = "00000000-0000-0000-1234-56789abcdef0";

fn redirect_uri(name: &str) -> String {
    format!("{PUBLIC_URL}/auth/oidc/{name}/callback")
}

/// OP config: one client that knows the callback URL of each provider name.
fn op_config(mode: &str, names: &[&str], accounts: serde_json::Value) -> serde_json::Value {
    let uris: Vec<String> = names.iter().map(|n| redirect_uri(n)).collect();
    json!({
        "port": 0,
        "mode": mode,
        "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": uris}],
        "accounts": accounts,
    })
}

/// Providers from `[name] = "toml body"` pairs (client id and secret added).
fn providers(tables: &[(&str, String)]) -> OidcProviders {
    gatehouse::install_tls_provider();
    let configs: BTreeMap<String, OidcProviderConfig> = tables
        .iter()
        .map(|(name, body)| {
            let text =
                format!("{body}\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"");
            (name.to_string(), toml::from_str(&text).unwrap())
        })
        .collect();
    OidcProviders::new(&configs, PUBLIC_URL).unwrap()
}

/// Runs the browser's part: start, follow the OP's redirects (fresh cookie jar), stop at
/// the redirect to our callback and return its query.
async fn authorize(
    p: &OidcProviders,
    name: &str,
    login_hint: &str,
) -> (PendingLogin, CallbackParams) {
    let start = p.start(name).await.unwrap();
    let mut url = url::Url::parse(&start.url).unwrap();
    url.query_pairs_mut().append_pair("login_hint", login_hint);
    let callback = p.redirect_uri(name).unwrap().to_string();
    assert_eq!(callback, redirect_uri(name));
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for _ in 0..10 {
        let resp = browser.get(url.as_str()).send().await.unwrap();
        let status = resp.status();
        let Some(location) = resp.headers().get(reqwest::header::LOCATION).cloned() else {
            panic!(
                "{url} answered {status} without a redirect: {}",
                resp.text().await.unwrap()
            );
        };
        url = url.join(location.to_str().unwrap()).unwrap();
        if url.as_str().starts_with(&callback) {
            let query: serde_json::Map<String, serde_json::Value> = url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), json!(v.into_owned())))
                .collect();
            let params = serde_json::from_value(serde_json::Value::Object(query)).unwrap();
            return (start.pending, params);
        }
    }
    panic!("no redirect to {callback} after 10 hops (last: {url})");
}

async fn sign_in(
    p: &OidcProviders,
    name: &str,
    login_hint: &str,
) -> Result<gatehouse::auth::oidc::VerifiedLogin, OidcError> {
    let (pending, params) = authorize(p, name, login_hint).await;
    p.finish(name, &pending, &params).await
}

fn generic_accounts() -> serde_json::Value {
    json!([
        {"sub": "u-ann", "email": "ann@acme.com", "email_verified": true, "name": "Ann Archer"},
        {"sub": "u-bob", "email": "bob@acme.com", "email_verified": false, "name": "Bob"},
    ])
}

fn generic_provider(op: &OidcPeer) -> OidcProviders {
    providers(&[(
        "acme",
        format!(
            "kind = \"generic\"\nissuer = \"{}\"\ndisplay_name = \"Acme SSO\"",
            op.issuer
        ),
    )])
}

#[tokio::test]
async fn generic_sign_in_returns_the_verified_identity() {
    let op = OidcPeer::start(&op_config("generic", &["acme"], generic_accounts()));
    let p = generic_provider(&op);
    assert_eq!(
        p.providers(),
        vec![("acme".to_string(), "Acme SSO".to_string())]
    );

    let (pending, params) = authorize(&p, "acme", "ann@acme.com").await;
    assert!(
        params.code.is_some() && params.error.is_none(),
        "{params:?}"
    );
    let round_trip: PendingLogin =
        serde_json::from_str(&serde_json::to_string(&pending).unwrap()).unwrap();
    let login = p.finish("acme", &round_trip, &params).await.unwrap();
    assert_eq!(login.provider, "acme");
    assert_eq!(login.kind, ProviderKind::Generic);
    assert_eq!(login.issuer, op.issuer);
    assert_eq!(login.subject, "u-ann");
    assert_eq!(login.email.as_deref(), Some("ann@acme.com"));
    assert!(login.email_verified);
    assert_eq!(login.name.as_deref(), Some("Ann Archer"));
    assert_eq!(login.tenant, None);

    let bob = sign_in(&p, "acme", "u-bob").await.unwrap();
    assert_eq!((bob.subject.as_str(), bob.email_verified), ("u-bob", false));
}

#[tokio::test]
async fn state_and_nonce_mismatches_are_refused() {
    let op = OidcPeer::start(&op_config("generic", &["acme"], generic_accounts()));
    let p = generic_provider(&op);

    // A forged state.
    let (pending, mut params) = authorize(&p, "acme", "ann@acme.com").await;
    params.state = Some("forged".into());
    let err = p.finish("acme", &pending, &params).await.unwrap_err();
    assert!(matches!(err, OidcError::State { .. }), "{err}");
    assert!(
        err.user_message().contains("Please start again"),
        "{}",
        err.user_message()
    );

    // The callback of one sign-in with the pending login of another.
    let (pending_a, _) = authorize(&p, "acme", "ann@acme.com").await;
    let (_, params_b) = authorize(&p, "acme", "ann@acme.com").await;
    let err = p.finish("acme", &pending_a, &params_b).await.unwrap_err();
    assert!(matches!(err, OidcError::State { .. }), "{err}");

    // The right state, but a nonce the ID token does not carry.
    let (pending, params) = authorize(&p, "acme", "ann@acme.com").await;
    let mut tampered = serde_json::to_value(&pending).unwrap();
    tampered["nonce"] = json!("some-other-nonce");
    let tampered: PendingLogin = serde_json::from_value(tampered).unwrap();
    let err = p.finish("acme", &tampered, &params).await.unwrap_err();
    assert!(matches!(err, OidcError::TokenValidation { .. }), "{err}");
    assert!(err.to_string().contains("nonce"), "{err}");

    // A wrong PKCE verifier: the OP refuses the code.
    let (pending, params) = authorize(&p, "acme", "ann@acme.com").await;
    let mut tampered = serde_json::to_value(&pending).unwrap();
    tampered["pkce_verifier"] = json!("x".repeat(64));
    let tampered: PendingLogin = serde_json::from_value(tampered).unwrap();
    let err = p.finish("acme", &tampered, &params).await.unwrap_err();
    assert!(matches!(err, OidcError::CodeExchange { .. }), "{err}");
}

#[tokio::test]
async fn a_replayed_code_is_refused() {
    let op = OidcPeer::start(&op_config("generic", &["acme"], generic_accounts()));
    let p = generic_provider(&op);
    let (pending, params) = authorize(&p, "acme", "ann@acme.com").await;
    p.finish("acme", &pending, &params).await.unwrap();
    let err = p.finish("acme", &pending, &params).await.unwrap_err();
    assert!(matches!(err, OidcError::CodeExchange { .. }), "{err}");
    assert!(err.to_string().contains("invalid_grant"), "{err}");
    assert_eq!(
        err.user_message(),
        "This sign-in link has already been used or has expired. Please start again."
    );
    let code = params.code.unwrap();
    for text in [err.to_string(), err.user_message(), format!("{err:?}")] {
        assert!(
            !text.contains(&code) && !text.contains(CLIENT_SECRET),
            "{text}"
        );
    }
}

#[tokio::test]
async fn cancelling_at_the_provider_is_access_denied() {
    let op = OidcPeer::start(&op_config("generic", &["acme"], generic_accounts()));
    let p = generic_provider(&op);
    let err = sign_in(&p, "acme", "deny").await.unwrap_err();
    assert!(matches!(err, OidcError::AccessDenied { .. }), "{err}");
    assert_eq!(err.user_message(), "You cancelled the sign-in at Acme SSO.");
}

#[tokio::test]
async fn generic_issuer_must_match_discovery() {
    let op = OidcPeer::start(&op_config("generic", &["acme"], generic_accounts()));
    // Same server, other spelling: the discovery document names http://127.0.0.1:<port>.
    let issuer = op.issuer.replace("127.0.0.1", "localhost");
    let p = providers(&[("acme", format!("kind = \"generic\"\nissuer = \"{issuer}\""))]);
    let err = p.start("acme").await.unwrap_err();
    assert!(matches!(err, OidcError::Misconfigured { .. }), "{err}");
    assert!(err.to_string().contains(&op.issuer), "{err}");
}

#[tokio::test]
async fn an_unreachable_provider_is_reported() {
    let p = providers(&[(
        "acme",
        "kind = \"generic\"\nissuer = \"http://127.0.0.1:9\"".into(),
    )]);
    let err = p.start("acme").await.unwrap_err();
    assert!(matches!(err, OidcError::Unreachable { .. }), "{err}");
    assert_eq!(
        err.user_message(),
        "acme cannot be reached right now. Please try again in a few minutes."
    );
    assert!(matches!(
        p.start("nope").await,
        Err(OidcError::UnknownProvider(_))
    ));
}

#[tokio::test]
async fn google_requires_verified_email_and_allowed_domain() {
    let names = ["google", "google-any", "google-misissued"];
    let op = OidcPeer::start(&op_config(
        "google",
        &names,
        json!([
            {"sub": "g-ann", "email": "ann@acme.com", "email_verified": true, "name": "Ann", "hd": "acme.com"},
            {"sub": "g-eve", "email": "eve@acme.com", "email_verified": false, "name": "Eve", "hd": "acme.com"},
            {"sub": "g-mal", "email": "mal@other.com", "email_verified": true, "name": "Mal", "hd": "other.com"},
            {"sub": "g-bob", "email": "bob@gmail.com", "email_verified": true, "name": "Bob"},
        ]),
    ));
    let base = format!("kind = \"google\"\nauthority = \"{0}\"", op.issuer);
    let p = providers(&[
        (
            "google",
            format!(
                "{base}\nissuer = \"{}\"\nallowed_domains = [\"acme.com\"]",
                op.issuer
            ),
        ),
        ("google-any", format!("{base}\nissuer = \"{}\"", op.issuer)),
        // issuer left at https://accounts.google.com while the tokens come from the OP.
        ("google-misissued", base.clone()),
    ]);

    let ann = sign_in(&p, "google", "ann@acme.com").await.unwrap();
    assert_eq!(ann.kind, ProviderKind::Google);
    assert_eq!((ann.subject.as_str(), ann.email_verified), ("g-ann", true));
    assert_eq!(ann.tenant.as_deref(), Some("acme.com"));

    let err = sign_in(&p, "google", "eve@acme.com").await.unwrap_err();
    assert!(
        matches!(
            err,
            OidcError::Policy {
                refusal: PolicyRefusal::UnverifiedEmail,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.user_message().contains("email address is not verified"));
    let err = sign_in(&p, "google-any", "eve@acme.com").await.unwrap_err();
    assert!(matches!(err, OidcError::Policy { .. }), "{err}");

    let err = sign_in(&p, "google", "mal@other.com").await.unwrap_err();
    assert!(
        matches!(&err, OidcError::Policy { refusal: PolicyRefusal::DomainNotAllowed { hd: Some(hd) }, .. } if hd == "other.com"),
        "{err}"
    );
    assert_eq!(
        err.user_message(),
        "Your Google account's organization is not allowed to sign in here."
    );
    let err = sign_in(&p, "google", "bob@gmail.com").await.unwrap_err();
    assert!(
        matches!(
            err,
            OidcError::Policy {
                refusal: PolicyRefusal::DomainNotAllowed { hd: None },
                ..
            }
        ),
        "{err}"
    );

    let bob = sign_in(&p, "google-any", "bob@gmail.com").await.unwrap();
    assert_eq!((bob.subject.as_str(), bob.tenant), ("g-bob", None));

    let err = sign_in(&p, "google-misissued", "ann@acme.com")
        .await
        .unwrap_err();
    assert!(matches!(err, OidcError::TokenValidation { .. }), "{err}");
    assert!(
        err.to_string().contains("https://accounts.google.com"),
        "{err}"
    );
}

#[tokio::test]
async fn microsoft_multi_tenant_substitutes_the_tenant_into_the_issuer() {
    let names = ["entra", "entra-a", "entra-one", "entra-orgs"];
    let op = OidcPeer::start(&op_config(
        "microsoft",
        &names,
        json!([
            {"sub": "ms-ann", "email": "ann@contoso.com", "name": "Ann", "tid": TID_A, "oid": OID_ANN},
            {"sub": "ms-carl", "email": "carl@fabrikam.com", "name": "Carl", "tid": TID_B, "oid": OID_CARL},
            {"sub": "ms-pat", "email": "pat@outlook.com", "name": "Pat", "oid": "00000000-0000-0000-aaaa-000000000001"},
        ]),
    ));
    let base = format!("kind = \"microsoft\"\nauthority = \"{}\"", op.issuer);
    let p = providers(&[
        ("entra", format!("{base}\ntenant = \"common\"")),
        (
            "entra-a",
            format!("{base}\ntenant = \"common\"\nallowed_tenants = [\"{TID_A}\"]"),
        ),
        ("entra-one", format!("{base}\ntenant = \"{TID_A}\"")),
        ("entra-orgs", base.clone()),
    ]);
    assert!(p.providers().iter().all(|(_, d)| d == "Microsoft"));

    let ann = sign_in(&p, "entra", "ann@contoso.com").await.unwrap();
    assert_eq!(ann.kind, ProviderKind::Microsoft);
    assert_eq!(ann.issuer, format!("{}/{TID_A}/v2.0", op.issuer));
    assert_eq!(ann.subject, format!("{TID_A}:{OID_ANN}"));
    assert_eq!(ann.email.as_deref(), Some("ann@contoso.com"));
    assert!(
        !ann.email_verified,
        "Entra emails are unverified without xms_edov"
    );
    assert_eq!(ann.tenant.as_deref(), Some(TID_A));

    let carl = sign_in(&p, "entra", "carl@fabrikam.com").await.unwrap();
    assert_eq!(carl.issuer, format!("{}/{TID_B}/v2.0", op.issuer));
    assert_eq!(carl.subject, format!("{TID_B}:{OID_CARL}"));

    sign_in(&p, "entra-a", "ann@contoso.com").await.unwrap();
    let err = sign_in(&p, "entra-a", "carl@fabrikam.com")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, OidcError::Policy { refusal: PolicyRefusal::TenantNotAllowed { tid }, .. } if tid == TID_B),
        "{err}"
    );
    assert_eq!(
        err.user_message(),
        "Your Microsoft account's organization is not allowed to sign in here."
    );

    // One tenant configured: its discovery issuer is concrete, another tenant's token fails.
    let one = sign_in(&p, "entra-one", "ann@contoso.com").await.unwrap();
    assert_eq!(one.subject, format!("{TID_A}:{OID_ANN}"));
    let err = sign_in(&p, "entra-one", "carl@fabrikam.com")
        .await
        .unwrap_err();
    assert!(matches!(err, OidcError::TokenValidation { .. }), "{err}");

    // tenant = "organizations" (the default) refuses personal Microsoft accounts.
    sign_in(&p, "entra-orgs", "ann@contoso.com").await.unwrap();
    let err = sign_in(&p, "entra-orgs", "pat@outlook.com")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            OidcError::Policy {
                refusal: PolicyRefusal::PersonalMicrosoftAccount,
                ..
            }
        ),
        "{err}"
    );
    let err = sign_in(&p, "entra", "deny").await.unwrap_err();
    assert_eq!(
        err.user_message(),
        "You cancelled the sign-in at Microsoft."
    );
}

#[tokio::test]
async fn an_unknown_signing_key_refetches_the_key_set() {
    let config = op_config("generic", &["acme"], generic_accounts());
    let first = OidcPeer::start(&config);
    let p = generic_provider(&first);
    sign_in(&p, "acme", "ann@acme.com").await.unwrap(); // discovery and keys now cached
    let port = first.port();
    first.stop();

    // Same address and issuer, new signing keys (the OP makes fresh ones per run).
    let mut config = config;
    config["port"] = json!(port);
    let second = OidcPeer::start(&config);
    assert_eq!(second.port(), port);
    let login = sign_in(&p, "acme", "ann@acme.com").await.unwrap();
    assert_eq!(login.subject, "u-ann");
}
