//! SAML 2.0 connections (issue #18) against real identity providers on loopback:
//! samlify (Node.js; `tests/peers/saml-samlify`) and pysaml2 (Python with xmlsec1;
//! `tests/peers/saml-pysaml2`). Setup from the IdP's metadata, sign-in by email domain
//! through the IdP and back (just-in-time member, then the same identity again), and
//! the setup's refusals. The attacks are in `saml_attacks.rs`.

use crate::dns::DnsServer;
use crate::harness::TestApp;
use crate::orgs::{Person, org_path};
use crate::saml_peer::{Kind, SamlIdp};
use crate::sso_signin::{DOMAIN, me, with_verified_domain};
use gatehouse::store::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::backend_fns!(
    saml_signin_samlify,
    saml_signin_pysaml2,
    saml_setup_by_hand_and_refusals,
    saml_sp_metadata_and_certificates,
    saml_metadata_url_keeps_last_good
);

pub struct Saml {
    pub app: TestApp,
    pub admin: Person,
    pub idp: SamlIdp,
    /// The connection as the API shows it.
    pub conn: Value,
    pub _dns: DnsServer,
}

impl Saml {
    pub fn id(&self) -> &str {
        self.conn["id"].as_str().expect("id")
    }

    pub fn acs(&self) -> String {
        self.conn["saml"]["acs_url"]
            .as_str()
            .expect("acs")
            .to_string()
    }
}

/// Creates a SAML connection from `body` (kind and name added); asserts 201.
pub async fn create(app: &TestApp, admin: &Person, body: Value) -> Value {
    let mut b = json!({"kind": "saml", "name": "Acme SAML"});
    if let (Some(o), Some(extra)) = (b.as_object_mut(), body.as_object()) {
        o.extend(extra.clone());
    }
    let (s, made) = admin
        .call("POST", &org_path(app, "/sso-connections"), Some(b))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    made
}

/// Acme with a verified domain and a SAML connection made from the IdP's metadata.
pub async fn setup(backend: Backend, kind: Kind, connection: Value) -> Saml {
    let (app, admin, dns) = with_verified_domain(backend).await;
    let idp = SamlIdp::start(kind, &json!({"port": 0}));
    let mut body = json!({"metadata_xml": idp.metadata().await});
    if let (Some(o), Some(extra)) = (body.as_object_mut(), connection.as_object()) {
        o.extend(extra.clone());
    }
    let conn = create(&app, &admin, body).await;
    Saml {
        app,
        admin,
        idp,
        conn,
        _dns: dns,
    }
}

/// Follows our redirects from `path` (with the app's cookie jar) to the identity
/// provider; returns its URL. (The last step is a page that refreshes to it.)
pub async fn to_idp(app: &TestApp, path: &str) -> String {
    let mut at = path.to_string();
    for _ in 0..4 {
        let r = app.get(&at).await;
        if r.status() == StatusCode::OK {
            let page = r.text().await.unwrap();
            let href = page
                .split("id=\"onward\" href=\"")
                .nth(1)
                .expect("onward link");
            let url = href.split('"').next().unwrap().replace("&amp;", "&");
            return url;
        }
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{at}");
        let next = r.headers()["location"].to_str().unwrap().to_string();
        if !next.starts_with('/') && !next.starts_with(&app.base) {
            return next;
        }
        at = next.trim_start_matches(&app.base).to_string();
    }
    panic!("never left for the identity provider");
}

/// Posts `saml_response` to `acs` as the browser would.
pub async fn post_acs(app: &TestApp, acs: &str, saml_response: &str) -> reqwest::Response {
    app.client
        .post(acs)
        .form(&[("SAMLResponse", saml_response)])
        .send()
        .await
        .unwrap()
}

/// The outcomes of the organization's SSO sign-ins of `action`, newest first.
pub async fn outcomes(s: &Saml, action: &str) -> Vec<String> {
    let (st, v) = s
        .admin
        .call(
            "GET",
            &org_path(&s.app, &format!("/audit-events?action={action}")),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["details"]["outcome"].as_str().map(String::from))
        .collect()
}

/// A person types their email, signs in at the IdP, and comes back signed in.
async fn sign_in_through(s: &Saml, email: &str) {
    let idp_url = to_idp(
        &s.app,
        &format!("/auth/sso/start?domain={DOMAIN}&next=/api/me"),
    )
    .await;
    assert!(idp_url.starts_with(&s.idp.base), "{idp_url}");
    let (acs, saml) = s.idp.sign_in(&idp_url, email).await;
    assert_eq!(acs, s.acs());
    let r = post_acs(&s.app, &acs, &saml).await;
    let status = r.status();
    let location = r.headers().get("location").cloned();
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    assert_eq!(location.unwrap(), "/api/me");
}

async fn signin_on(backend: Backend, kind: Kind) -> Saml {
    let s = setup(backend, kind, json!({})).await;
    assert_eq!(s.conn["kind"], "saml");
    sign_in_through(&s, "kim@acme-corp.test").await;
    let (st, me1) = me(&s.app).await;
    assert_eq!(st, StatusCode::OK, "{me1}");
    assert_eq!(me1["email"], "kim@acme-corp.test");
    assert_eq!(me1["organizations"][0]["name"], "Acme", "{me1}");
    assert_eq!(me1["organizations"][0]["role"], "member", "{me1}");
    // Again: the same person, by (connection, NameID).
    sign_in_through(&s, "kim@acme-corp.test").await;
    let (_, me2) = me(&s.app).await;
    assert_eq!(me2["id"], me1["id"]);
    assert_eq!(
        outcomes(&s, "sso.signin.succeeded").await,
        ["signed_in", "jit_member"]
    );
    s
}

async fn saml_signin_samlify(backend: Backend) {
    let s = signin_on(backend, Kind::Samlify).await;
    // A response signed as a whole, or both as a whole and over its assertion, is as good.
    for sign in ["response", "both"] {
        let idp_url = to_idp(&s.app, &format!("/auth/saml/{}/begin?next=/api/me", s.id())).await;
        let req = s.idp.request_id(&idp_url).await;
        let mut o = crate::saml_peer::order(&s.conn, "kim@acme-corp.test", Some(&req));
        o["sign"] = json!(sign);
        let r = post_acs(&s.app, &s.acs(), &s.idp.respond(o).await).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{sign}: {}",
            r.text().await.unwrap()
        );
    }
    assert_eq!(outcomes(&s, "sso.signin.succeeded").await.len(), 4);
}

async fn saml_signin_pysaml2(backend: Backend) {
    let s = signin_on(backend, Kind::Pysaml2).await;
    // pysaml2's own default, rsa-sha1, is refused.
    let o = crate::saml_peer::order(&s.conn, "kim@acme-corp.test", None);
    let mut o = o.clone();
    o["alg"] = json!("sha1");
    let r = post_acs(&s.app, &s.acs(), &s.idp.respond(o).await).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(outcomes(&s, "sso.signin.refused").await, ["weak_algorithm"]);
}

async fn saml_setup_by_hand_and_refusals(backend: Backend) {
    let (app, admin, _dns) = with_verified_domain(backend).await;
    let cert = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/peers/saml-samlify/keys/idp.crt"),
    )
    .unwrap();
    let base = org_path(&app, "/sso-connections");
    // No signing certificate: cannot be saved.
    let (s, v) = admin
        .call(
            "POST",
            &base,
            Some(
                json!({"kind": "saml", "name": "x", "idp_entity_id": "https://idp.example/e",
                        "sso_url": "https://idp.example/sso"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v.to_string().contains("certificate"), "{v}");
    // Not a certificate, not metadata, a DOCTYPE.
    for bad in [
        json!({"idp_entity_id": "https://idp.example/e", "sso_url": "https://idp.example/sso",
               "certificates": ["not a certificate"]}),
        json!({"metadata_xml": "<html/>"}),
        json!({"metadata_xml": "<!DOCTYPE x [<!ENTITY a 'b'>]><EntityDescriptor entityID='&a;'/>"}),
    ] {
        let mut b = bad.clone();
        b["kind"] = json!("saml");
        b["name"] = json!("x");
        let (s, v) = admin.call("POST", &base, Some(b)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
    }
    // By hand, with the certificate.
    let made = create(
        &app,
        &admin,
        json!({"idp_entity_id": "https://idp.example/entity", "sso_url": "https://idp.example/sso",
               "certificates": [cert]}),
    )
    .await;
    assert_eq!(made["saml"]["idp_entity_id"], "https://idp.example/entity");
    assert_eq!(made["saml"]["certificates"].as_array().unwrap().len(), 1);
    assert_eq!(made["saml"]["allow_idp_initiated"], false);
    // OIDC settings do not apply to it; its own do.
    let one = format!("{base}/{}", made["id"].as_str().unwrap());
    let (s, v) = admin
        .call("PATCH", &one, Some(json!({"client_secret": "x"})))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = admin
        .call("PATCH", &one, Some(json!({"allow_idp_initiated": true})))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["saml"]["allow_idp_initiated"], true);
    // A link rule by an attribute (Entra's object id against SCIM externalId), and off.
    let oid = "http://schemas.microsoft.com/identity/claims/objectidentifier";
    let rule = json!({"claim": oid, "attribute": "externalId"});
    let (s, v) = admin.call("PATCH", &one, Some(json!({"link": rule}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["link"], rule);
    let (s, v) = admin.call("PATCH", &one, Some(json!({"link": null}))).await;
    assert_eq!((s, &v["link"]), (StatusCode::OK, &Value::Null), "{v}");
    // Members cannot see or create connections.
    let (_, member) = crate::orgs::add_member(&app, &admin, "m@acme.test").await;
    let (s, _) = member.call("GET", &base, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn saml_sp_metadata_and_certificates(backend: Backend) {
    let s = setup(backend, Kind::Samlify, json!({})).await;
    let id = s.id();
    let saml = &s.conn["saml"];
    assert_eq!(
        saml["acs_url"],
        format!("{}/auth/saml/{id}/acs", s.app.base)
    );
    assert_eq!(
        saml["sp_entity_id"],
        format!("{}/auth/saml/{id}/metadata", s.app.base)
    );
    assert!(
        saml["attributes"]["email"]
            .as_array()
            .unwrap()
            .contains(&json!("email"))
    );
    // Our metadata, at its URL and as a download; it names our entity id and ACS.
    let r = s.app.get(&format!("/auth/saml/{id}/metadata")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let xml = r.text().await.unwrap();
    assert!(xml.contains(&format!(
        "entityID=\"{}\"",
        saml["sp_entity_id"].as_str().unwrap()
    )));
    assert!(xml.contains(&format!("Location=\"{}\"", s.acs())));
    let r = s
        .app
        .get(&format!("/auth/saml/{id}/metadata?download=1"))
        .await;
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    // The certificate expires in ten years: not flagged; within 30 days of its end, it is.
    assert_eq!(saml["certificates_expiring"], false);
    let not_after: time::OffsetDateTime = time::OffsetDateTime::parse(
        saml["certificates"][0]["not_after"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    s.app.clock.set(not_after - time::Duration::days(10));
    let admin = crate::orgs::admin(&s.app).await; // the old session has long expired
    let (st, v) = admin
        .call(
            "GET",
            &org_path(&s.app, &format!("/sso-connections/{id}")),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["saml"]["certificates_expiring"], true, "{v}");
    assert_eq!(v["saml"]["certificates"][0]["expires_soon"], true, "{v}");
    let metrics = s.app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(&format!(
            "gatehouse_saml_certificates_expiring{{connection=\"{id}\"}} 1"
        )),
        "{metrics}"
    );
    let (st, t) = admin
        .call(
            "POST",
            &org_path(&s.app, &format!("/sso-connections/{id}/test")),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(t["problem"]["code"], "certificates_expiring", "{t}");
}

async fn saml_metadata_url_keeps_last_good(backend: Backend) {
    let (app, admin, dns) = with_verified_domain(backend).await;
    let idp = SamlIdp::start(Kind::Samlify, &json!({"port": 0}));
    // (The test app allows loopback http, as `sso.allow_http_issuers` does for issuers.)
    let url = format!("{}/metadata", idp.base);
    let conn = create(&app, &admin, json!({"metadata_url": url})).await;
    assert_eq!(conn["saml"]["metadata_url"], url);
    assert!(conn["saml"]["metadata_fetched_at"].is_string(), "{conn}");
    assert_eq!(conn["saml"]["sso_url"], format!("{}/sso", idp.base));
    let s = Saml {
        app,
        admin,
        idp,
        conn,
        _dns: dns,
    };
    sign_in_through(&s, "kim@acme-corp.test").await;
    let id = s.id().to_string();
    let Saml {
        app, admin, idp, ..
    } = s;
    drop(idp); // the metadata URL stops answering
    let test = org_path(&app, &format!("/sso-connections/{id}/test"));
    let (st, t) = admin.call("POST", &test, None).await;
    assert_eq!(st, StatusCode::OK, "{t}");
    assert_eq!(t["problem"]["code"], "metadata_unreachable", "{t}");
    let job = gatehouse::jobs::run(&app.ctx, gatehouse::jobs::REFRESH_SAML_METADATA, "test")
        .await
        .expect("job");
    let (_, v) = admin
        .call(
            "GET",
            &org_path(&app, &format!("/sso-connections/{id}")),
            None,
        )
        .await;
    // The last good metadata stays, with why the fetch failed.
    assert_eq!(
        v["saml"]["sso_url"],
        format!("{}/sso", url.trim_end_matches("/metadata")),
        "{v} {job:?}"
    );
    assert_eq!(v["saml"]["certificates"].as_array().unwrap().len(), 1);
    assert!(
        v["saml"]["metadata_error"]
            .as_str()
            .unwrap()
            .contains("cannot be reached"),
        "{v}"
    );
}
