//! SCIM PATCH `path` values: parsing never panics or hangs, and what parses prints
//! back to the same path.

#![no_main]

use gatehouse::scim::filter::MAX_FILTER_LEN;
use gatehouse::scim::path::parse_path;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(path) = parse_path(text) else {
        return;
    };
    let shown = path.to_string();
    match parse_path(&shown) {
        Ok(again) => assert_eq!(again, path, "{text:?} prints as {shown:?}"),
        Err(e) => assert!(
            shown.len() > MAX_FILTER_LEN || e.message.contains("nesting"),
            "{text:?} prints as {shown:?}, which does not parse: {e}"
        ),
    }
});
