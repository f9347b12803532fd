//! The identity provider's signing certificates: given as PEM, as the bare base64 of
//! metadata, or as DER; kept as DER. Only these verify a response, never a
//! certificate the response carries.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openssl::asn1::Asn1Time;
use openssl::x509::X509;
use time::OffsetDateTime;

/// A certificate the connection trusts, with what the page shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cert {
    pub der: Vec<u8>,
    pub subject: String,
    pub not_after: OffsetDateTime,
}

/// Reads one certificate: PEM (`-----BEGIN CERTIFICATE-----`) or bare base64.
pub fn parse(text: &str) -> Result<Cert, String> {
    let body: String = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = STANDARD
        .decode(body.as_bytes())
        .map_err(|_| "a certificate must be PEM or base64".to_string())?;
    from_der(der)
}

/// Reads every certificate of a PEM bundle (one or more `BEGIN CERTIFICATE` blocks),
/// or one bare base64 certificate.
pub fn parse_all(text: &str) -> Result<Vec<Cert>, String> {
    let blocks: Vec<&str> = text
        .split("-----END CERTIFICATE-----")
        .filter(|b| b.contains("-----BEGIN CERTIFICATE-----"))
        .collect();
    if blocks.is_empty() {
        return parse(text).map(|c| vec![c]);
    }
    blocks.into_iter().map(parse).collect()
}

pub fn from_der(der: Vec<u8>) -> Result<Cert, String> {
    let x = X509::from_der(&der).map_err(|_| "not an X.509 certificate".to_string())?;
    let epoch = Asn1Time::from_unix(0).map_err(|e| e.to_string())?;
    let diff = epoch
        .diff(x.not_after())
        .map_err(|_| "the certificate's expiry cannot be read".to_string())?;
    let secs = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    let not_after = OffsetDateTime::from_unix_timestamp(secs)
        .map_err(|_| "the certificate's expiry is out of range".to_string())?;
    let subject = x
        .subject_name()
        .entries()
        .filter_map(|e| e.data().to_string().ok())
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Cert {
        der,
        subject,
        not_after,
    })
}

/// The base64 of the DER, as metadata writes it.
pub fn to_base64(der: &[u8]) -> String {
    STANDARD.encode(der)
}
