//! SAML 2.0 Web Browser SSO, the service provider's side: the AuthnRequest sent over
//! HTTP-Redirect (`request`), the response posted back checked until nothing is left
//! to trust blindly (`verify`, over the structure read by `scan`), the IdP's metadata
//! read and ours written (`metadata`), and certificates (`certs`).
//!
//! **Why `samael`** (pinned `=0.0.22` in Cargo.toml). XML signatures are the part of
//! SAML that must not be written again: canonicalization, transforms and reference
//! resolution are where SAML libraries have been broken (signature wrapping,
//! CVE-2017-11427 comment truncation, CVE-2025-25291/25292 parser differentials in
//! ruby-saml, CVE-2025-47949 in samlify). samael hands the signature to libxmlsec1
//! (the reference C implementation, also behind pysaml2 and python3-saml), and its
//! 0.0.22 can return *only what the signature covers*: `ReduceMode::PreDigest` yields
//! xmlsec's own pre-digest bytes of the one verified reference, and an allow-list of
//! signature algorithms is enforced before any cryptography. Its history, read before
//! pinning: early 0.0.x verified signatures over a re-serialized document
//! (njaremko/samael#4, "SAML response signature verification"); Oxide moved from
//! 0.0.19 to 0.0.22 for its security fixes: unsigned parts removed, the algorithm
//! allow-list, documents with comments refused (oxidecomputer/omicron#10793); its
//! older `ValidateAndMark` reduction still keeps unsigned ancestors and is not used
//! here. No RustSec advisory for it was found in the material searchable here (the
//! advisory database cannot be fetched on this machine: re-check with `cargo audit`). Everything else samael offers the SP side
//! (`ServiceProvider::parse_*`, which reads the system clock and lets an absent
//! Destination or audience pass) is not used: the checks are ours, with the injected
//! clock, and a response is parsed only after its signature verified.
//!
//! **No verification, no build.** Only the verifying type `samael::crypto::XmlSec` is
//! named, and it exists only with samael's `xmlsec` feature; a build without it does
//! not compile. `certs` and `metadata` never take a key from a response's `KeyInfo`.

pub mod certs;
pub mod metadata;
pub mod request;
mod scan;
pub mod verify;

/// The XML signature implementation: libxmlsec1 through samael (feature `xmlsec`).
/// Naming the type (and not samael's `Crypto` alias, which falls back to a provider
/// that verifies nothing) is what makes a build without the feature fail.
pub(crate) type XmlSignatures = samael::crypto::XmlSec;

pub use verify::{Expect, Refusal, Verified, verify};

/// SAML's status of success.
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
/// HTTP-POST and HTTP-Redirect bindings.
pub const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
pub const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

/// The largest response accepted, decoded (and the metadata document fetched).
pub const MAX_XML_BYTES: usize = 256 * 1024;

/// The attributes read from an assertion, by name (any case), first found wins. The
/// email falls back to the NameID when that is an address.
pub mod attributes {
    pub const EMAIL: &[&str] = &[
        "email",
        "mail",
        "emailaddress",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "urn:oid:0.9.2342.19200300.100.1.3",
    ];
    pub const GIVEN_NAME: &[&str] = &[
        "firstName",
        "givenName",
        "given_name",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "urn:oid:2.5.4.42",
    ];
    pub const FAMILY_NAME: &[&str] = &[
        "lastName",
        "sn",
        "surname",
        "family_name",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "urn:oid:2.5.4.4",
    ];
    pub const GROUPS: &[&str] = &[
        "groups",
        "memberOf",
        "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
    ];
}
