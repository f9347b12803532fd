//! The AuthnRequest, sent over HTTP-Redirect (deflated, base64, in the query).

use samael::schema::{AuthnRequest, Issuer};
use time::OffsetDateTime;

/// A request id: `_` and 32 random hex digits (an XML ID must not start with a digit).
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("_{hex}")
}

/// The identity provider's URL carrying the request `id` from `sp_entity_id`.
pub fn redirect_url(
    id: &str,
    sso_url: &str,
    sp_entity_id: &str,
    acs_url: &str,
    now: OffsetDateTime,
) -> Result<String, String> {
    let issue_instant = chrono::DateTime::from_timestamp(now.unix_timestamp(), 0)
        .ok_or("the clock is out of range")?;
    let req = AuthnRequest {
        id: id.to_string(),
        version: "2.0".into(),
        issue_instant,
        destination: Some(sso_url.to_string()),
        consent: None,
        issuer: Some(Issuer {
            value: Some(sp_entity_id.to_string()),
            ..Issuer::default()
        }),
        signature: None,
        subject: None,
        name_id_policy: None,
        conditions: None,
        requested_authn_context: None,
        force_authn: None,
        is_passive: None,
        assertion_consumer_service_index: None,
        assertion_consumer_service_url: Some(acs_url.to_string()),
        protocol_binding: Some(super::BINDING_POST.into()),
        attribute_consuming_service_index: None,
        provider_name: None,
    };
    let url = req
        .redirect("")
        .map_err(|e| format!("AuthnRequest: {e}"))?
        .ok_or("no destination")?;
    Ok(url.to_string())
}
