//! The DKIM tag-list parser, signature reader and canonicalisation on
//! arbitrary input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailidx::analyze::dkim::{
    canonical_body, canonical_headers, check_body_hash, parse_dkim_signature, split_message, tag_list,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let tags = tag_list(text);
        for (name, _) in &tags {
            assert_eq!(name.trim(), name);
        }
        let sig = parse_dkim_signature(text);
        let _ = check_body_hash(&sig, data);
    }
    let (headers, body) = split_message(data);
    for relaxed in [false, true] {
        // Canonical forms are fixed points of their own canonicalisation.
        let once = canonical_body(body, relaxed);
        assert_eq!(canonical_body(&once, relaxed), once);
        let _ = canonical_headers(headers, relaxed);
    }
});
