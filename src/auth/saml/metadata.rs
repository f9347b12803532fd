//! Metadata: the identity provider's, read (entity id, the HTTP-Redirect sign-in URL,
//! the signing certificates), and ours, written for the admin to give their IdP.

use super::certs::{self, Cert};
use super::{BINDING_POST, BINDING_REDIRECT, MAX_XML_BYTES};
use samael::metadata::EntityDescriptor;

/// What Gatehouse keeps of an identity provider's metadata.
#[derive(Debug, Clone)]
pub struct IdpMetadata {
    pub entity_id: String,
    pub sso_url: String,
    pub certs: Vec<Cert>,
}

/// Reads an `EntityDescriptor` with an `IDPSSODescriptor`. Refused: a DOCTYPE, a
/// document over 256 KiB, no entity id, no HTTP-Redirect sign-in service, no signing
/// certificate.
pub fn parse_idp(xml: &str) -> Result<IdpMetadata, String> {
    if xml.len() > MAX_XML_BYTES {
        return Err("the metadata is larger than 256 KiB".into());
    }
    if xml.to_ascii_uppercase().contains("<!DOCTYPE") {
        return Err("metadata with a DOCTYPE is refused".into());
    }
    let ed: EntityDescriptor = xml
        .trim()
        .parse()
        .map_err(|_| "this is not SAML metadata (an EntityDescriptor)".to_string())?;
    let entity_id = ed
        .entity_id
        .filter(|e| !e.trim().is_empty())
        .ok_or("the metadata names no entityID")?;
    let idp = ed
        .idp_sso_descriptors
        .unwrap_or_default()
        .into_iter()
        .next()
        .ok_or("the metadata has no IDPSSODescriptor: is it an identity provider's?")?;
    let sso_url = idp
        .single_sign_on_services
        .iter()
        .find(|s| s.binding == BINDING_REDIRECT)
        .map(|s| s.location.clone())
        .ok_or("the identity provider offers no HTTP-Redirect SingleSignOnService")?;
    let signing: Vec<_> = idp
        .key_descriptors
        .iter()
        .filter(|k| {
            k.key_use
                .as_deref()
                .is_none_or(|u| u.is_empty() || u == "signing")
        })
        .flat_map(|k| k.key_info.x509_data.iter())
        .flat_map(|d| d.certificates.iter())
        .collect();
    let mut certs = Vec::new();
    for c in signing {
        let cert = certs::parse(c).map_err(|e| format!("a signing certificate: {e}"))?;
        if !certs.iter().any(|k: &Cert| k.der == cert.der) {
            certs.push(cert);
        }
    }
    if certs.is_empty() {
        return Err("the metadata has no signing certificate".into());
    }
    Ok(IdpMetadata {
        entity_id,
        sso_url,
        certs,
    })
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

/// Fetches metadata from `url` (already checked by the caller: https, public host):
/// 10 s at most, no redirects, 256 KiB at most; then [`parse_idp`].
pub async fn fetch(url: &str) -> Result<(String, IdpMetadata), String> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let mut resp = client
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

fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "the URL");
    }
    s
}
