//! The whole per-message path: key, parse (MIME, charsets, RFC 2047) and
//! every analysis, into the record the pipeline would write.
#![no_main]
use std::borrow::Cow;

use libfuzzer_sys::fuzz_target;
use mailidx::analyze::Analyzer;
use mailidx::model::{Location, RawMessage, SourceKind};
use mailidx::parse::{mime_parts, msg_key};

fuzz_target!(|data: &[u8]| {
    let analyzer = Analyzer::default();
    let location = Location {
        path: "/fuzz/cur/1:2,S".into(),
        offset: 0,
        length: data.len() as u64,
        folder: "fuzz".into(),
        kind: SourceKind::Maildir,
        flags: "S".into(),
    };
    let raw = RawMessage { bytes: Cow::Borrowed(data), location };
    let key = msg_key(data);
    let rec = analyzer.record(&raw, key.clone());
    assert_eq!(rec.msg_key, key);
    assert!(rec.warnings.len() <= analyzer.limits.max_warnings + 1);
    let _ = mime_parts(data);
});
