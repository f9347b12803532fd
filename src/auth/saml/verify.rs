//! A posted SAML response, checked until it can be trusted or refused. The rules, in
//! the order they run (each refusal names its check, [`Refusal::code`]):
//!
//! 1. At most 256 KiB decoded; no DOCTYPE, comment or processing instruction; one
//!    `Response` at the root holding exactly one `Assertion`, none encrypted.
//! 2. Every signature names RSA or ECDSA with SHA-256 or stronger, digests too, and
//!    only the enveloped-signature transform and canonicalization without comments.
//! 3. libxmlsec1 (through samael) verifies every signature against the connection's
//!    certificates only (no keys manager: a `KeyInfo` certificate is never used) and
//!    returns the bytes the one verified reference covers. Only those are read: the
//!    signed element must be the root `Response` (by its ID) or the one `Assertion`.
//! 4. Status Success; Destination = this connection's ACS; Issuer = its IdP; the
//!    assertion's `AudienceRestriction` present and naming our entity id; its
//!    `NotBefore` / `NotOnOrAfter` and those of a bearer `SubjectConfirmationData`
//!    (whose `Recipient` = the ACS) hold at `now`, with 2 minutes of skew.
//!
//! What stays for the caller (it needs the database): `InResponseTo` against a live
//! pending request of this browser, and the assertion id seen only once.

use super::scan::{ScanError, scan};
use super::{MAX_XML_BYTES, STATUS_SUCCESS, XmlSignatures};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use samael::crypto::{AllowedSignatureAlgorithm, CertificateDer, CryptoProvider, ReduceMode};
use samael::schema::{Assertion, Response};
use time::{Duration, OffsetDateTime};

/// Clock skew allowed between the identity provider and us.
pub const SKEW: Duration = Duration::minutes(2);

const ALLOWED: [AllowedSignatureAlgorithm; 6] = [
    AllowedSignatureAlgorithm::RsaSha256,
    AllowedSignatureAlgorithm::RsaSha384,
    AllowedSignatureAlgorithm::RsaSha512,
    AllowedSignatureAlgorithm::EcdsaSha256,
    AllowedSignatureAlgorithm::EcdsaSha384,
    AllowedSignatureAlgorithm::EcdsaSha512,
];

const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// The transforms and canonicalizations a SAML signature needs; anything else (XPath,
/// XSLT, canonicalization with comments) is refused before xmlsec runs.
const TRANSFORMS: [&str; 4] = [
    "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/2006/12/xml-c14n11",
];

/// What a response must match: the connection's settings and the time.
pub struct Expect<'a> {
    pub idp_entity_id: &'a str,
    pub sp_entity_id: &'a str,
    pub acs_url: &'a str,
    /// DER certificates of the connection.
    pub certs: &'a [Vec<u8>],
    pub now: OffsetDateTime,
}

/// A response that passed every check of this module.
#[derive(Debug, Clone)]
pub struct Verified {
    pub assertion_id: String,
    /// The request it answers; `None` for an IdP-initiated sign-in.
    pub in_response_to: Option<String>,
    pub name_id: String,
    /// Attributes by `Name` (and by `FriendlyName` when given), with their values.
    pub attributes: Vec<(String, Vec<String>)>,
    /// When the assertion stops being valid (its id may then be forgotten).
    pub valid_until: OffsetDateTime,
}

impl Verified {
    /// The first non-empty value of the first attribute named in `names` (any case).
    pub fn attribute(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|n| {
            self.attributes
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(n))
                .flat_map(|(_, v)| v.iter())
                .map(|v| v.trim())
                .find(|v| !v.is_empty())
                .map(str::to_string)
        })
    }
}

/// Which check refused a response. Its code goes to the log and the audit log; nothing
/// of the response's content does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    TooLarge,
    NotBase64,
    Doctype,
    CommentOrInstruction,
    Malformed,
    NotAResponse,
    AssertionCount,
    Encrypted,
    Unsigned,
    WeakAlgorithm,
    Transform,
    Signature,
    SignedElement,
    Status,
    Issuer,
    Destination,
    Subject,
    Audience,
    NotYetValid,
    Expired,
    Recipient,
    NoBearer,
    InResponseTo,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::TooLarge => "too_large",
            Refusal::NotBase64 => "not_base64",
            Refusal::Doctype => "doctype",
            Refusal::CommentOrInstruction => "comment",
            Refusal::Malformed => "malformed",
            Refusal::NotAResponse => "not_a_response",
            Refusal::AssertionCount => "assertion_count",
            Refusal::Encrypted => "encrypted_assertion",
            Refusal::Unsigned => "unsigned",
            Refusal::WeakAlgorithm => "weak_algorithm",
            Refusal::Transform => "transform",
            Refusal::Signature => "signature",
            Refusal::SignedElement => "signed_element",
            Refusal::Status => "status",
            Refusal::Issuer => "issuer",
            Refusal::Destination => "destination",
            Refusal::Subject => "subject",
            Refusal::Audience => "audience",
            Refusal::NotYetValid => "not_yet_valid",
            Refusal::Expired => "expired",
            Refusal::Recipient => "recipient",
            Refusal::NoBearer => "no_bearer_confirmation",
            Refusal::InResponseTo => "in_response_to",
        }
    }
}

impl From<ScanError> for Refusal {
    fn from(e: ScanError) -> Self {
        match e {
            ScanError::Doctype => Refusal::Doctype,
            ScanError::CommentOrInstruction => Refusal::CommentOrInstruction,
            ScanError::Malformed => Refusal::Malformed,
        }
    }
}

/// Decodes the `SAMLResponse` form value and runs every check of this module.
pub fn verify(saml_response: &str, e: &Expect<'_>) -> Result<Verified, Refusal> {
    if saml_response.len() > MAX_XML_BYTES / 3 * 4 + 4096 {
        return Err(Refusal::TooLarge);
    }
    let compact: Vec<u8> = saml_response
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let bytes = STANDARD.decode(compact).map_err(|_| Refusal::NotBase64)?;
    if bytes.len() > MAX_XML_BYTES {
        return Err(Refusal::TooLarge);
    }
    let xml = String::from_utf8(bytes).map_err(|_| Refusal::Malformed)?;
    let (response, assertion, envelope_signed) = signed_parts(&xml, e.certs)?;
    check(&response, &assertion, envelope_signed, e)
}

fn allowed_algorithms(sig: &[String], digest: &[String]) -> bool {
    !sig.is_empty()
        && sig
            .iter()
            .all(|m| ALLOWED.iter().any(|a| a.signature_uri() == m))
        && digest
            .iter()
            .all(|m| ALLOWED.iter().any(|a| a.digest_uri() == m))
}

/// Steps 1 to 3: the response and its one assertion, as far as the signature covers
/// them, and whether the response itself is covered. The envelope around a signed
/// assertion is read from the document, only for its Status, Destination and Issuer
/// (and an `InResponseTo` that must agree with the assertion's).
fn signed_parts(xml: &str, certs: &[Vec<u8>]) -> Result<(Response, Assertion, bool), Refusal> {
    let shape = scan(xml)?;
    if shape.root != "Response" || shape.responses != 1 {
        return Err(Refusal::NotAResponse);
    }
    if shape.encrypted_assertions > 0 {
        return Err(Refusal::Encrypted);
    }
    if shape.assertions != 1 {
        return Err(Refusal::AssertionCount);
    }
    if shape.signatures == 0 {
        return Err(Refusal::Unsigned);
    }
    if !allowed_algorithms(&shape.signature_methods, &shape.digest_methods) {
        return Err(Refusal::WeakAlgorithm);
    }
    if !shape
        .transforms
        .iter()
        .all(|t| TRANSFORMS.contains(&t.as_str()))
    {
        return Err(Refusal::Transform);
    }
    let ders: Vec<CertificateDer> = certs.iter().map(|c| c.clone().into()).collect();
    if ders.is_empty() {
        return Err(Refusal::Signature);
    }
    let signed = XmlSignatures::reduce_xml_to_signed_with_allowed_algorithms(
        xml,
        &ders,
        ReduceMode::PreDigest,
        Some(&ALLOWED),
    )
    .map_err(|_| Refusal::Signature)?;
    let covered = scan(&signed).map_err(|_| Refusal::SignedElement)?;
    match covered.root.as_str() {
        "Response" if covered.root_id.is_some() && covered.root_id == shape.root_id => {
            let r: Response = signed.parse().map_err(|_| Refusal::Malformed)?;
            let a = r.assertion.clone().ok_or(Refusal::AssertionCount)?;
            Ok((r, a, true))
        }
        "Assertion" if covered.root_id.is_some() && covered.root_id == shape.assertion_id => {
            let a: Assertion = signed.parse().map_err(|_| Refusal::Malformed)?;
            let r: Response = xml.parse().map_err(|_| Refusal::Malformed)?;
            Ok((r, a, false))
        }
        _ => Err(Refusal::SignedElement),
    }
}

fn at(t: &chrono::DateTime<chrono::Utc>) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.timestamp()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Step 4.
fn check(
    r: &Response,
    a: &Assertion,
    envelope_signed: bool,
    e: &Expect<'_>,
) -> Result<Verified, Refusal> {
    let status = r
        .status
        .as_ref()
        .and_then(|s| s.status_code.value.as_deref());
    if status != Some(STATUS_SUCCESS) {
        return Err(Refusal::Status);
    }
    if r.destination.as_deref() != Some(e.acs_url) {
        return Err(Refusal::Destination);
    }
    let response_issuer = r.issuer.as_ref().and_then(|i| i.value.as_deref());
    if response_issuer.is_some_and(|i| i.trim() != e.idp_entity_id)
        || a.issuer.value.as_deref().map(str::trim) != Some(e.idp_entity_id)
    {
        return Err(Refusal::Issuer);
    }
    let subject = a.subject.as_ref().ok_or(Refusal::Subject)?;
    let name_id = subject
        .name_id
        .as_ref()
        .map(|n| n.value.trim().to_string())
        .filter(|n| !n.is_empty() && n.len() <= 1000)
        .ok_or(Refusal::Subject)?;

    let conditions = a.conditions.as_ref().ok_or(Refusal::Audience)?;
    let restrictions = conditions
        .audience_restrictions
        .as_deref()
        .unwrap_or_default();
    if restrictions.is_empty()
        || !restrictions
            .iter()
            .all(|r| r.audience.iter().any(|x| x.trim() == e.sp_entity_id))
    {
        return Err(Refusal::Audience);
    }
    let mut valid_until = None::<OffsetDateTime>;
    window(
        conditions.not_before.as_ref(),
        conditions.not_on_or_after.as_ref(),
        e.now,
        &mut valid_until,
    )?;

    // A bearer confirmation for us, in time. The first failure is reported.
    let mut first_failure = None;
    let mut confirmed = None;
    for c in subject.subject_confirmations.iter().flatten() {
        if c.method.as_deref() != Some(BEARER) {
            continue;
        }
        let outcome = (|| {
            let d = c
                .subject_confirmation_data
                .as_ref()
                .ok_or(Refusal::Recipient)?;
            if d.recipient.as_deref() != Some(e.acs_url) {
                return Err(Refusal::Recipient);
            }
            let nooa = d.not_on_or_after.as_ref().ok_or(Refusal::Expired)?;
            let mut until = valid_until;
            window(d.not_before.as_ref(), Some(nooa), e.now, &mut until)?;
            Ok((d.in_response_to.clone(), until))
        })();
        match outcome {
            Ok(ok) => {
                confirmed = Some(ok);
                break;
            }
            Err(f) => {
                first_failure.get_or_insert(f);
            }
        }
    }
    let (scd_in_response_to, until) =
        confirmed.ok_or(first_failure.unwrap_or(Refusal::NoBearer))?;
    // An unsigned envelope cannot turn an unsolicited assertion into an answer.
    let in_response_to = match (scd_in_response_to, r.in_response_to.clone()) {
        (Some(x), Some(y)) if x != y => return Err(Refusal::InResponseTo),
        (None, Some(_)) if !envelope_signed => return Err(Refusal::InResponseTo),
        (x, y) => x.or(y),
    };
    let mut attributes = Vec::new();
    for statement in a.attribute_statements.iter().flatten() {
        for attr in &statement.attributes {
            let values: Vec<String> = attr.values.iter().filter_map(|v| v.value.clone()).collect();
            for name in [&attr.name, &attr.friendly_name].into_iter().flatten() {
                attributes.push((name.clone(), values.clone()));
            }
        }
    }
    Ok(Verified {
        assertion_id: a.id.clone(),
        in_response_to,
        name_id,
        attributes,
        valid_until: until.unwrap_or(e.now) + SKEW,
    })
}

/// `NotBefore` / `NotOnOrAfter` at `now` with [`SKEW`]; keeps the earliest end.
fn window(
    not_before: Option<&chrono::DateTime<chrono::Utc>>,
    not_on_or_after: Option<&chrono::DateTime<chrono::Utc>>,
    now: OffsetDateTime,
    until: &mut Option<OffsetDateTime>,
) -> Result<(), Refusal> {
    if let Some(nb) = not_before
        && now + SKEW < at(nb)
    {
        return Err(Refusal::NotYetValid);
    }
    if let Some(end) = not_on_or_after {
        let end = at(end);
        if now >= end + SKEW {
            return Err(Refusal::Expired);
        }
        *until = Some(until.map_or(end, |u| u.min(end)));
    }
    Ok(())
}
