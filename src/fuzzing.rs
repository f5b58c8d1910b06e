//! The invariants the fuzz targets (fuzz/fuzz_targets/) check, one function
//! per target. They live here so that tests/it/fuzz_regressions.rs replays every
//! input a fuzzer ever broke through the very same checks. Each panics when
//! an invariant does not hold; none writes anything.

use std::borrow::Cow;

use crate::parse::fields::auth_results::{parse_arc_authentication_results, parse_authentication_results, parse_received_spf};
use crate::parse::fields::dkim::{canonical_body, canonical_headers, check_body_hash, parse_dkim_signature, split_message, tag_list};
use crate::parse::fields::received::parse_received;
use crate::analyze::Analyzer;
use crate::model::{Location, RawMessage, SourceKind};
use crate::parse::{mime_parts, msg_key};
use crate::source::mbox::{unescape_from, MboxBlocks, MboxSplitter};

/// The mbox splitter, the block reader the pipeline uses, and `>From `
/// unquoting.
pub fn mbox(data: &[u8]) {
    // Read in blocks (of a size taken from the input), the messages are the
    // ones the whole-buffer splitter finds, at the same offsets.
    let block = 1 + data.first().map_or(0, |&b| b as usize) * 7;
    // The reader reads a file whose first block has CR line ends and no LF
    // with LF (classic Mac OS mbox).
    let translated: Vec<u8>;
    let expected_input = if crate::source::is_cr_only(&data[..block.min(data.len())]) {
        translated = data.iter().map(|&b| if b == b'\r' { b'\n' } else { b }).collect();
        &translated[..]
    } else {
        data
    };
    let whole: Vec<(u64, &[u8])> = MboxSplitter::new(expected_input).map(|e| (e.offset as u64, e.bytes)).collect();
    let mut blocks = MboxBlocks::with_block_size(data, 0, block);
    let mut read = Vec::new();
    while let Some(b) = blocks.next_block().unwrap() {
        read.extend(b.entries().into_iter().map(|e| (b.base + e.offset as u64, e.bytes.to_vec())));
    }
    assert_eq!(read.len(), whole.len());
    for ((o1, b1), (o2, b2)) in read.iter().zip(&whole) {
        assert_eq!((o1, &b1[..]), (o2, *b2));
    }
    let mut last_end = 0usize;
    for entry in MboxSplitter::new(data) {
        // Messages are slices of the input, in order, never overlapping.
        let start = entry.offset;
        let end = start + entry.bytes.len();
        assert!(start >= last_end && end <= data.len());
        assert_eq!(&data[start..end], entry.bytes);
        assert!(entry.from_line.starts_with(b"From "));
        last_end = end;
        let plain = unescape_from(entry.bytes);
        // Unquoting only ever removes `>` characters.
        assert!(plain.len() <= entry.bytes.len());
        let removed = entry.bytes.len() - plain.len();
        let gts = |b: &[u8]| b.iter().filter(|&&c| c == b'>').count();
        assert_eq!(gts(entry.bytes) - gts(&plain), removed);
    }
}

/// The Received header parser.
pub fn received(text: &str) {
    let hop = parse_received(text, None);
    // Whatever it finds came from the header: folding does not change it.
    let folded = text.replace(' ', "\r\n ");
    let again = parse_received(&folded, None);
    assert_eq!(hop.ip, again.ip);
    assert_eq!(hop.timestamp, again.timestamp);
}

/// The Authentication-Results, ARC-Authentication-Results and Received-SPF
/// parsers.
pub fn authres(text: &str) {
    let ar = parse_authentication_results(text);
    let _ = format!("{ar:?}");
    let _ = parse_arc_authentication_results(text);
    let _ = parse_received_spf(text);
}

/// The DKIM tag-list parser, signature reader and canonicalisation.
pub fn dkim(data: &[u8]) {
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
        // Canonical forms are fixed points of their own canonicalisation,
        // except in relaxed mode for a last line without a line end: it
        // keeps one trailing space (as dkimpy does), which a second pass
        // removes (fuzz/artifacts/dkim/crash-0bb28cdb…, a flanker test).
        let once = canonical_body(body, relaxed);
        if !relaxed || body.is_empty() || body.ends_with(b"\n") {
            assert_eq!(canonical_body(&once, relaxed), once);
        }
        let _ = canonical_headers(headers, relaxed);
    }
}

/// The whole per-message path: key, parse (MIME, charsets, RFC 2047) and
/// every analysis, into the record the pipeline would write.
pub fn message(data: &[u8]) {
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
}
