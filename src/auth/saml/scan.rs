//! The structure of a response, read before anything is verified and without building
//! a tree (quick-xml's pull reader; no DTD, no entities): which elements it holds and
//! how many, and which algorithms its signatures name. A DOCTYPE, a comment or a
//! processing instruction ends the reading: SAML responses carry none, and each has
//! been a way in (entity expansion; CVE-2017-11427's comment inside a NameID).

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// Deeper nesting is refused (a SAML response is about ten levels deep).
const MAX_DEPTH: usize = 64;

#[derive(Debug, Default)]
pub(super) struct Shape {
    /// Local name and `ID` of the root element.
    pub root: String,
    pub root_id: Option<String>,
    pub responses: usize,
    pub assertions: usize,
    pub encrypted_assertions: usize,
    /// `ID` of the first `Assertion`.
    pub assertion_id: Option<String>,
    pub signatures: usize,
    /// `Algorithm` of every `SignatureMethod` and `DigestMethod`.
    pub signature_methods: Vec<String>,
    pub digest_methods: Vec<String>,
    /// `Algorithm` of every `Transform` and `CanonicalizationMethod`.
    pub transforms: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum ScanError {
    Doctype,
    CommentOrInstruction,
    Malformed,
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::default())
                .ok()
                .map(|v| v.into_owned())
        })
}

pub(super) fn scan(xml: &str) -> Result<Shape, ScanError> {
    let mut reader = Reader::from_str(xml);
    let mut shape = Shape::default();
    let mut depth = 0usize;
    let mut seen_root = false;
    loop {
        let event = reader.read_event().map_err(|_| ScanError::Malformed)?;
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            Event::End(_) => {
                depth = depth.checked_sub(1).ok_or(ScanError::Malformed)?;
                (None, false)
            }
            Event::DocType(_) => return Err(ScanError::Doctype),
            Event::Comment(_) | Event::PI(_) => return Err(ScanError::CommentOrInstruction),
            Event::Eof => break,
            Event::Decl(_) if seen_root => return Err(ScanError::Malformed),
            _ => (None, false),
        };
        let Some(e) = start else { continue };
        if depth == 0 {
            if seen_root {
                return Err(ScanError::Malformed); // a second root
            }
            seen_root = true;
            shape.root = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
            shape.root_id = attr(e, b"ID");
        }
        match e.local_name().as_ref() {
            b"Response" => shape.responses += 1,
            b"Assertion" => {
                shape.assertions += 1;
                if shape.assertion_id.is_none() {
                    shape.assertion_id = attr(e, b"ID");
                }
            }
            b"EncryptedAssertion" => shape.encrypted_assertions += 1,
            b"Signature" => shape.signatures += 1,
            b"SignatureMethod" => shape
                .signature_methods
                .push(attr(e, b"Algorithm").unwrap_or_default()),
            b"DigestMethod" => shape
                .digest_methods
                .push(attr(e, b"Algorithm").unwrap_or_default()),
            b"Transform" | b"CanonicalizationMethod" => shape
                .transforms
                .push(attr(e, b"Algorithm").unwrap_or_default()),
            _ => {}
        }
        if !empty {
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(ScanError::Malformed);
            }
        }
    }
    if !seen_root || depth != 0 {
        return Err(ScanError::Malformed);
    }
    Ok(shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_refusals() {
        let s = scan(
            r#"<?xml version="1.0"?><p:Response xmlns:p="urn:p" ID="r1"><a:Assertion xmlns:a="urn:a" ID="a1"/></p:Response>"#,
        )
        .unwrap();
        assert_eq!(
            (s.root.as_str(), s.root_id.as_deref(), s.assertions),
            ("Response", Some("r1"), 1)
        );
        assert_eq!(s.assertion_id.as_deref(), Some("a1"));
        assert_eq!(
            scan("<!DOCTYPE x [<!ENTITY a \"b\">]><x/>").unwrap_err(),
            ScanError::Doctype
        );
        assert_eq!(
            scan("<x><!-- c --></x>").unwrap_err(),
            ScanError::CommentOrInstruction
        );
        assert_eq!(scan("<x/><y/>").unwrap_err(), ScanError::Malformed);
        assert_eq!(scan("<x>").unwrap_err(), ScanError::Malformed);
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert_eq!(scan(&deep).unwrap_err(), ScanError::Malformed);
    }
}
