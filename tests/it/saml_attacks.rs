//! The attacks on a SAML connection (issue #18), each from a fresh response signed by the
//! real samlify IdP and then tampered with here: the XML signature wrapping permutations
//! (XSW1–8 as numbered by SAMLRaider and tested by crewjam/saml, and a ninth: a forged
//! assertion under the signed one's ID), comment injection into the NameID
//! (CVE-2017-11427), signature stripped, the attacker's certificate in KeyInfo, an
//! unsigned assertion added, two assertions, expired and not yet valid, wrong and
//! missing audience, a response for connection A posted to B, unknown, reused and
//! missing InResponseTo, a response from another browser, a replay, IdP-initiated when
//! off, rsa-sha1, a non-Success status, 10 MB and a billion-laughs DOCTYPE. Every one is
//! refused, and the audit log names the check that refused it.

use crate::saml::{Saml, create, outcomes, post_acs, setup, to_idp};
use crate::saml_peer::{Kind, decode, encode, order};
use crate::sso_signin::me;
use gatehouse::clock::{Clock, SystemClock};
use gatehouse::store::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::backend_fns!(
    saml_attacks_wrapping,
    saml_attacks_conditions,
    saml_attacks_requests_and_replay,
    saml_attacks_size_and_doctype
);

/// The person the attacker signs in as at the IdP, and the one they want to be.
const ATTACKER: &str = "kim@acme-corp.test";
const VICTIM: &str = "ceo@acme-corp.test";

/// A fresh AuthnRequest of the app's browser: its id.
async fn pending(s: &Saml) -> String {
    let url = to_idp(&s.app, &format!("/auth/saml/{}/begin?next=/api/me", s.id())).await;
    s.idp.request_id(&url).await
}

/// A fresh response to a fresh request, signed as `extra` orders, decoded. The test's
/// clock is set to the IdP's (the wall clock) first.
async fn fresh(s: &Saml, extra: Value) -> String {
    s.app.clock.set(SystemClock.now());
    let req = pending(s).await;
    let mut o = order(&s.conn, ATTACKER, Some(&req));
    if let (Some(o), Some(extra)) = (o.as_object_mut(), extra.as_object()) {
        o.extend(extra.clone());
    }
    decode(&s.idp.respond(o).await)
}

/// Posts `xml` to the connection's ACS; asserts a 400 whose audit outcome is `check`.
async fn refused(s: &Saml, xml: &str, check: &str) {
    refused_at(s, &s.acs(), &encode(xml), check).await;
}

async fn refused_at(s: &Saml, acs: &str, b64: &str, check: &str) {
    let before = outcomes(s, "sso.signin.refused").await;
    let r = post_acs(&s.app, acs, b64).await;
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{check}: {body}");
    assert!(!body.contains(ATTACKER) && !body.contains(VICTIM), "{body}");
    assert_eq!(new_refusal(s, before).await, check);
}

/// The one refusal audited since `before` (the test's clock may have moved back, so
/// not necessarily the newest).
async fn new_refusal(s: &Saml, before: Vec<String>) -> String {
    let mut after = outcomes(s, "sso.signin.refused").await;
    for b in &before {
        let i = after
            .iter()
            .position(|a| a == b)
            .expect("earlier refusal kept");
        after.remove(i);
    }
    assert_eq!(after.len(), 1, "{after:?}");
    after.remove(0)
}

async fn not_signed_in(s: &Saml) {
    let (st, v) = me(&s.app).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
}

fn span(xml: &str, open: &str, close: &str) -> (usize, usize) {
    let a = xml.find(open).unwrap_or_else(|| panic!("{open} in {xml}"));
    let b = a + xml[a..].find(close).unwrap_or_else(|| panic!("{close}")) + close.len();
    (a, b)
}

fn assertion(xml: &str) -> (usize, usize) {
    span(xml, "<saml:Assertion", "</saml:Assertion>")
}

fn cut(xml: &str, (a, b): (usize, usize)) -> &str {
    &xml[a..b]
}

fn without_signature(x: &str) -> String {
    let (a, b) = span(x, "<ds:Signature", "</ds:Signature>");
    format!("{}{}", &x[..a], &x[b..])
}

/// A copy of `x` (an assertion or response) about the victim, under a new ID.
fn forged(x: &str) -> String {
    let id_at = x.find(" ID=\"").expect("ID") + 5;
    let id_end = id_at + x[id_at..].find('"').unwrap();
    format!(
        "{}_evil{}{}",
        &x[..id_at],
        &x[id_at + 1..id_end],
        &x[id_end..]
    )
    .replace(ATTACKER, VICTIM)
}

/// `inner` put just before the end of the first `close` in `outer`.
fn inside(outer: &str, close: &str, inner: &str) -> String {
    let at = outer.find(close).unwrap_or_else(|| panic!("{close}"));
    format!("{}{inner}{}", &outer[..at], &outer[at..])
}

fn replace_range(xml: &str, (a, b): (usize, usize), with: &str) -> String {
    format!("{}{with}{}", &xml[..a], &xml[b..])
}

async fn saml_attacks_wrapping(backend: Backend) {
    let s = setup(backend, Kind::Samlify, json!({})).await;

    // A genuine response signed over its assertion, for reference: it would work.
    // XSW3: a forged assertion (unsigned) before the signed one.
    let x = fresh(&s, json!({})).await;
    let a = assertion(&x);
    let orig = cut(&x, a).to_string();
    let evil = without_signature(&forged(&orig));
    refused(
        &s,
        &replace_range(&x, a, &format!("{evil}{orig}")),
        "assertion_count",
    )
    .await;
    // XSW4: the signed assertion inside the forged one.
    let x = fresh(&s, json!({})).await;
    let a = assertion(&x);
    let orig = cut(&x, a).to_string();
    let evil = inside(
        &without_signature(&forged(&orig)),
        "</saml:Assertion>",
        &orig,
    );
    refused(&s, &replace_range(&x, a, &evil), "assertion_count").await;
    // XSW5: the forged assertion keeps the signature; the original, unsigned, at the end.
    let x = fresh(&s, json!({})).await;
    let a = assertion(&x);
    let orig = cut(&x, a).to_string();
    let evil = forged(&orig);
    let moved = replace_range(&x, a, &evil);
    refused(
        &s,
        &inside(&moved, "</samlp:Response>", &without_signature(&orig)),
        "assertion_count",
    )
    .await;
    // XSW6: ... the original inside the forged assertion's signature.
    let x = fresh(&s, json!({})).await;
    let a = assertion(&x);
    let orig = cut(&x, a).to_string();
    let evil = inside(&forged(&orig), "</ds:Signature>", &without_signature(&orig));
    refused(&s, &replace_range(&x, a, &evil), "assertion_count").await;
    // XSW7: the original in an Extensions element; the forged one in its place.
    let x = fresh(&s, json!({})).await;
    let a = assertion(&x);
    let orig = cut(&x, a).to_string();
    let evil = format!(
        "<samlp:Extensions>{orig}</samlp:Extensions>{}",
        without_signature(&forged(&orig))
    );
    refused(&s, &replace_range(&x, a, &evil), "assertion_count").await;
    // XSW8: the original, unsigned, in an Object of the forged one's signature.
    let x = fresh(&s, json!({})).await;
    let a = assertion(&x);
    let orig = cut(&x, a).to_string();
    let evil = inside(
        &forged(&orig),
        "</ds:Signature>",
        &format!("<ds:Object>{}</ds:Object>", without_signature(&orig)),
    );
    refused(&s, &replace_range(&x, a, &evil), "assertion_count").await;
    // XSW9: a forged assertion under the signed one's own ID, the signed one wrapped.
    let x = fresh(&s, json!({})).await;
    let a = assertion(&x);
    let orig = cut(&x, a).to_string();
    let twin = without_signature(&orig).replace(ATTACKER, VICTIM);
    refused(
        &s,
        &replace_range(
            &x,
            a,
            &format!("{twin}<samlp:Extensions>{orig}</samlp:Extensions>"),
        ),
        "assertion_count",
    )
    .await;

    // The response signed instead. XSW1: a forged response around the signed one,
    // which hides in the forged one's signature; XSW2: beside it.
    let x = fresh(&s, json!({"sign": "response"})).await;
    let body = x.trim_start_matches(|c| c != '<');
    let evil = inside(&forged(body), "</ds:Signature>", body);
    refused(&s, &evil, "not_a_response").await;
    let x = fresh(&s, json!({"sign": "response"})).await;
    let sig = span(&forged(&x), "<ds:Signature", "</ds:Signature>").0;
    let evil = forged(&x);
    let evil = format!("{}{}{}", &evil[..sig], &x, &evil[sig..]);
    refused(&s, &evil, "not_a_response").await;

    // One NameID changed inside the signed assertion: the digest no longer matches.
    let x = fresh(&s, json!({})).await;
    refused(&s, &x.replacen(ATTACKER, VICTIM, 1), "signature").await;
    // Comment injection (CVE-2017-11427): the IdP signed kim@acme-corp.test.evil.test.
    let x = fresh(&s, json!({"email": "kim@acme-corp.test.evil.test"})).await;
    let injected = x.replace(
        "kim@acme-corp.test.evil.test",
        "kim@acme-corp.test<!---->.evil.test",
    );
    refused(&s, &injected, "comment").await;
    // Signature stripped.
    let x = fresh(&s, json!({})).await;
    refused(
        &s,
        &without_signature(&x).replace(ATTACKER, VICTIM),
        "unsigned",
    )
    .await;
    // Signed by the attacker, whose certificate rides along in KeyInfo.
    let x = fresh(&s, json!({"key": "attacker", "email": VICTIM})).await;
    assert!(x.contains("<ds:X509Certificate>"));
    refused(&s, &x, "signature").await;
    // A transform other than enveloped-signature and canonicalization (here XPath).
    let x = fresh(&s, json!({})).await;
    let xpath = x.replacen(
        "http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms>",
        "http://www.w3.org/TR/1999/REC-xpath-19991116\"/></ds:Transforms>",
        1,
    );
    assert_ne!(xpath, x);
    refused(&s, &xpath, "transform").await;
    // An unsigned assertion added after the signed one.
    let x = fresh(&s, json!({})).await;
    let a = assertion(&x);
    let orig = cut(&x, a).to_string();
    let extra = without_signature(&forged(&orig));
    refused(
        &s,
        &replace_range(&x, a, &format!("{orig}{extra}")),
        "assertion_count",
    )
    .await;
    // Two assertions, both signed by the IdP.
    let x = fresh(&s, json!({})).await;
    let y = fresh(&s, json!({"email": VICTIM})).await;
    let a = assertion(&x);
    let two = format!("{}{}", cut(&x, a), cut(&y, assertion(&y)));
    refused(&s, &replace_range(&x, a, &two), "assertion_count").await;
    not_signed_in(&s).await;
}

async fn saml_attacks_conditions(backend: Backend) {
    let s = setup(backend, Kind::Samlify, json!({})).await;
    // Expired: the response lives 5 minutes, the skew is 2.
    let x = fresh(&s, json!({})).await;
    s.app.clock.advance(time::Duration::minutes(8));
    refused(&s, &x, "expired").await;
    // Not yet valid: our clock 10 minutes behind the IdP's.
    let x = fresh(&s, json!({})).await;
    s.app.clock.advance(-time::Duration::minutes(10));
    refused(&s, &x, "not_yet_valid").await;
    // Wrong and missing audience.
    let x = fresh(&s, json!({"audience": "https://other.example/sp"})).await;
    refused(&s, &x, "audience").await;
    let x = fresh(&s, json!({"omit_audience": true})).await;
    refused(&s, &x, "audience").await;
    // Destination and Recipient other than this connection's ACS.
    let x = fresh(&s, json!({"destination": "https://other.example/acs"})).await;
    refused(&s, &x, "destination").await;
    let x = fresh(&s, json!({"recipient": "https://other.example/acs"})).await;
    refused(&s, &x, "recipient").await;
    // rsa-sha1, and a status other than Success.
    let x = fresh(&s, json!({"alg": "sha1"})).await;
    assert!(x.contains("rsa-sha1"));
    refused(&s, &x, "weak_algorithm").await;
    let x = fresh(
        &s,
        json!({"status": "urn:oasis:names:tc:SAML:2.0:status:Responder"}),
    )
    .await;
    refused(&s, &x, "status").await;
    // A response made for connection A, posted to connection B of the same IdP.
    let metadata = s.idp.metadata().await;
    let b = create(
        &s.app,
        &s.admin,
        json!({"name": "Acme SAML B", "metadata_xml": metadata}),
    )
    .await;
    let x = fresh(&s, json!({})).await;
    let b_acs = b["saml"]["acs_url"].as_str().unwrap().to_string();
    refused_at(&s, &b_acs, &encode(&x), "destination").await;
    not_signed_in(&s).await;
}

async fn saml_attacks_requests_and_replay(backend: Backend) {
    let s = setup(backend, Kind::Samlify, json!({})).await;
    // An InResponseTo we never sent; none at all (IdP-initiated, off by default).
    let o = order(&s.conn, ATTACKER, Some("_00000000000000000000000000000000"));
    refused(&s, &s.idp.respond_xml(o).await, "in_response_to").await;
    let o = order(&s.conn, ATTACKER, None);
    refused(&s, &s.idp.respond_xml(o).await, "idp_initiated").await;
    // An unsolicited assertion made to look like the answer to a live request of this
    // browser, by an InResponseTo on the unsigned envelope.
    let req = pending(&s).await;
    let x = s.idp.respond_xml(order(&s.conn, ATTACKER, None)).await;
    let x = x.replacen(
        "<samlp:Response ",
        &format!("<samlp:Response InResponseTo=\"{req}\" "),
        1,
    );
    refused(&s, &x, "in_response_to").await;
    // A response to this browser's request, posted by another browser.
    let x = fresh(&s, json!({})).await;
    let other = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let before = outcomes(&s, "sso.signin.refused").await;
    let r = other
        .post(s.acs())
        .form(&[("SAMLResponse", encode(&x))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(new_refusal(&s, before).await, "other_browser");
    // That request is used up, even by its own browser.
    refused(&s, &x, "in_response_to").await;
    not_signed_in(&s).await;

    // A request answered once works; a second fresh response to it is refused.
    let req = pending(&s).await;
    let ok = s.idp.respond(order(&s.conn, ATTACKER, Some(&req))).await;
    let r = post_acs(&s.app, &s.acs(), &ok).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let again = s.idp.respond(order(&s.conn, ATTACKER, Some(&req))).await;
    refused_at(&s, &s.acs(), &again, "in_response_to").await;

    // IdP-initiated, once allowed: works, and the same response twice is a replay.
    let one = format!(
        "{}/{}",
        crate::orgs::org_path(&s.app, "/sso-connections"),
        s.id()
    );
    let (st, v) = s
        .admin
        .call("PATCH", &one, Some(json!({"allow_idp_initiated": true})))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let unsolicited = s.idp.respond(order(&s.conn, ATTACKER, None)).await;
    let r = post_acs(&s.app, &s.acs(), &unsolicited).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    refused_at(&s, &s.acs(), &unsolicited, "replay").await;
}

async fn saml_attacks_size_and_doctype(backend: Backend) {
    let s = setup(backend, Kind::Samlify, json!({})).await;
    // 10 MB: refused before it is read, and the server goes on.
    // (The server answers 413 on sight of the length and may close the connection
    // while the client is still writing: a broken pipe is that answer too.)
    let big = "A".repeat(10 * 1024 * 1024);
    let sent = s
        .app
        .client
        .post(s.acs())
        .form(&[("SAMLResponse", big.as_str())])
        .send()
        .await;
    match sent {
        Ok(r) => assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE),
        Err(e) => assert!(e.is_request() && !e.is_timeout(), "{e:?}"),
    }
    // Just over what the ACS takes (below the server's limit): also 413.
    let r = post_acs(&s.app, &s.acs(), &"A".repeat(400 * 1024)).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A billion laughs: refused on sight of the DOCTYPE.
    let mut dtd = String::from("<!ENTITY lol0 \"lol\">");
    for i in 1..10 {
        let prev = format!("&lol{};", i - 1);
        dtd.push_str(&format!("<!ENTITY lol{i} \"{}\">", prev.repeat(10)));
    }
    let bomb = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [{dtd}]><samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_x\">&lol9;</samlp:Response>"
    );
    refused(&s, &bomb, "doctype").await;
    // A DOCTYPE in front of a genuine response, too.
    let x = fresh(&s, json!({})).await;
    let x = x.replacen(
        "<samlp:Response",
        "<!DOCTYPE r [<!ENTITY e \"x\">]><samlp:Response",
        1,
    );
    refused(&s, &x, "doctype").await;
    // Not base64; not XML.
    refused_at(&s, &s.acs(), "!!!", "not_base64").await;
    refused(&s, "just text", "malformed").await;
    let health = s.app.get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    not_signed_in(&s).await;
}
