//! Metadata: the identity provider's, read (entity id, the HTTP-Redirect sign-in URL,
//! the signing certificates of its `IDPSSODescriptor`), and ours, written for the admin
//! to give their IdP. (samael's `EntityDescriptor` refuses Entra ID's metadata, whose
//! WS-Federation role descriptors it cannot read, so the reading is ours.)

use super::certs::{self, Cert};
use super::{BINDING_POST, BINDING_REDIRECT, MAX_XML_BYTES};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// What Gatehouse keeps of an identity provider's metadata.
#[derive(Debug, Clone)]
pub struct IdpMetadata {
    pub entity_id: String,
    pub sso_url: String,
    pub certs: Vec<Cert>,
}

/// Reads an `EntityDescriptor` with an `IDPSSODescriptor`. Refused: a DOCTYPE, a
/// document over 256 KiB, no entity id, no HTTP-Redirect sign-in service, no signing
/// certificate. Read with quick-xml's pull reader, element by element, so that what IdPs
/// add around it (Entra's WS-Federation `RoleDescriptor`s, a metadata signature) is
/// passed over rather than refused.
pub fn parse_idp(xml: &str) -> Result<IdpMetadata, String> {
    if xml.len() > MAX_XML_BYTES {
        return Err("the metadata is larger than 256 KiB".into());
    }
    let bad = || "this is not SAML metadata (an EntityDescriptor)".to_string();
    let mut reader = Reader::from_str(xml.trim());
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut entity_id = None;
    let mut sso_url = None;
    let mut in_idp = false;
    let mut key_use: Option<String> = None;
    let mut in_cert = false;
    let mut cert_text = String::new();
    let mut found: Vec<String> = Vec::new();
    loop {
        let event = reader.read_event().map_err(|_| bad())?;
        match &event {
            Event::DocType(_) => return Err("metadata with a DOCTYPE is refused".into()),
            Event::Start(e) | Event::Empty(e) => {
                let name = e.local_name().as_ref().to_vec();
                let empty = matches!(event, Event::Empty(_));
                match name.as_slice() {
                    b"EntityDescriptor" if stack.is_empty() => entity_id = attr(e, b"entityID"),
                    b"IDPSSODescriptor" if !empty => in_idp = true,
                    b"KeyDescriptor" if in_idp => {
                        key_use = Some(attr(e, b"use").unwrap_or_default())
                    }
                    b"X509Certificate" if in_idp && key_use.is_some() && !empty => {
                        in_cert = true;
                        cert_text.clear();
                    }
                    b"SingleSignOnService"
                        if in_idp
                            && sso_url.is_none()
                            && attr(e, b"Binding").as_deref() == Some(BINDING_REDIRECT) =>
                    {
                        sso_url = attr(e, b"Location");
                    }
                    _ => {}
                }
                if stack.is_empty() && name != b"EntityDescriptor" {
                    return Err(bad());
                }
                if !empty {
                    stack.push(name);
                }
            }
            Event::Text(t) if in_cert => {
                cert_text.push_str(&String::from_utf8_lossy(t.as_ref()));
            }
            Event::End(e) => {
                match e.local_name().as_ref() {
                    b"IDPSSODescriptor" => in_idp = false,
                    b"KeyDescriptor" => key_use = None,
                    b"X509Certificate" if in_cert => {
                        in_cert = false;
                        if key_use
                            .as_deref()
                            .is_some_and(|u| u.is_empty() || u == "signing")
                        {
                            found.push(std::mem::take(&mut cert_text));
                        }
                    }
                    _ => {}
                }
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let entity_id = entity_id
        .filter(|e| !e.trim().is_empty())
        .ok_or("the metadata names no entityID")?;
    let sso_url =
        sso_url.ok_or("the identity provider offers no HTTP-Redirect SingleSignOnService")?;
    let mut certs: Vec<Cert> = Vec::new();
    for c in &found {
        let cert = certs::parse(c).map_err(|e| format!("a signing certificate: {e}"))?;
        if !certs.iter().any(|k| k.der == cert.der) {
            certs.push(cert);
        }
    }
    if certs.is_empty() {
        return Err("the metadata has no signing certificate (IDPSSODescriptor)".into());
    }
    Ok(IdpMetadata {
        entity_id,
        sso_url,
        certs,
    })
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::default()).ok())
        .map(|v| v.trim().to_string())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Our metadata for one connection: entity id and the HTTP-POST ACS; assertions must
/// be signed; requests are not.
pub fn sp_metadata(entity_id: &str, acs_url: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity}">
  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:AssertionConsumerService Binding="{post}" Location="{acs}" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"#,
        entity = esc(entity_id),
        post = BINDING_POST,
        acs = esc(acs_url),
    )
}

/// Fetches metadata from `url` (already checked by the caller: https, public host) with
/// `http`, the client of organizations' connections (no redirects, a timeout, public
/// addresses only: `OidcProviders::connections_client`); 256 KiB at most; then
/// [`parse_idp`].
pub async fn fetch(http: &reqwest::Client, url: &str) -> Result<(String, IdpMetadata), String> {
    let mut resp = http
        .get(url)
        .send()
        .await
        .map_err(|e| format!("the metadata URL cannot be reached ({})", without_url(&e)))?;
    if !resp.status().is_success() {
        return Err(format!("the metadata URL answered {}", resp.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("reading the metadata failed ({})", without_url(&e)))?
    {
        if body.len() + chunk.len() > MAX_XML_BYTES {
            return Err("the metadata is larger than 256 KiB".into());
        }
        body.extend_from_slice(&chunk);
    }
    let xml = String::from_utf8(body).map_err(|_| "the metadata is not UTF-8".to_string())?;
    let parsed = parse_idp(&xml)?;
    Ok((xml, parsed))
}

/// The error and its causes (which say, e.g., that a name has no public address),
/// without the URL.
fn without_url(e: &reqwest::Error) -> String {
    let mut s = crate::auth::oidc::discovery::error_chain(e);
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "the URL");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str = include_str!("../../../tests/peers/saml-samlify/keys/idp.crt");

    fn body(cert: &str) -> String {
        cert.lines().filter(|l| !l.starts_with("-----")).collect()
    }

    /// The shape of Entra ID's federation metadata: a signature, WS-Federation role
    /// descriptors before the IDPSSODescriptor, two signing certificates, several bindings.
    #[test]
    fn reads_entra_shaped_metadata() {
        let c = body(CERT);
        let xml = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><EntityDescriptor ID="_x" entityID="https://sts.windows.net/t/" xmlns="urn:oasis:names:tc:SAML:2.0:metadata"><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></SignedInfo><SignatureValue>AA==</SignatureValue></Signature><RoleDescriptor xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706"><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>{c}</X509Certificate></X509Data></KeyInfo></KeyDescriptor><fed:ClaimTypesOffered><auth:ClaimType Uri="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name" xmlns:auth="http://docs.oasis-open.org/wsfed/authorization/200706"><auth:DisplayName>Name</auth:DisplayName></auth:ClaimType></fed:ClaimTypesOffered></RoleDescriptor><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>{c}</X509Certificate></X509Data></KeyInfo></KeyDescriptor><SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/t/saml2"/><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/t/saml2"/><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://login.microsoftonline.com/t/saml2"/></IDPSSODescriptor></EntityDescriptor>"#
        );
        let m = parse_idp(&xml).expect("Entra-shaped metadata");
        assert_eq!(m.entity_id, "https://sts.windows.net/t/");
        assert_eq!(m.sso_url, "https://login.microsoftonline.com/t/saml2");
        assert_eq!(m.certs.len(), 1, "the same certificate twice is kept once");
        assert!(parse_idp("<!DOCTYPE x><EntityDescriptor/>").is_err());
        let no_cert = xml.replace(&c, "");
        assert!(parse_idp(&no_cert).is_err());
    }
}
