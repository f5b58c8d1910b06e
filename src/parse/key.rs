//! The message key: what makes two copies one message.

use super::header_end;

/// The stable key of a message: the first 64 bits of a BLAKE3 hash, as 16
/// hex digits. Of a message with a Message-ID, the hash covers its bytes
/// (after mbox unquoting) without the delivery trace fields (Received,
/// Return-Path, Delivered-To, X-Original-To), which each copy gets on its
/// own route: the same message stored in two mailboxes, or in a Maildir and
/// an mbox, is one message. Without a Message-ID nothing says two messages
/// are one, and the key is the hash of every byte.
pub(crate) fn msg_key(bytes: &[u8]) -> String {
    let end = header_end(bytes).unwrap_or(bytes.len());
    let head = &bytes[..end];
    let field_is = |line: &[u8], name: &[u8]| line.len() > name.len() && line[..name.len()].eq_ignore_ascii_case(name);
    let has_id = head.split(|&b| b == b'\n').any(|l| field_is(l, b"message-id:"));
    if !has_id {
        return hex(&blake3::hash(bytes).as_bytes()[..8]);
    }
    const TRACE: [&[u8]; 4] = [b"received:", b"return-path:", b"delivered-to:", b"x-original-to:"];
    let mut h = blake3::Hasher::new();
    let mut skipping = false;
    for line in head.split_inclusive(|&b| b == b'\n') {
        if !matches!(line.first(), Some(b' ' | b'\t')) {
            skipping = TRACE.iter().any(|t| field_is(line, t));
        }
        if !skipping {
            h.update(line);
        }
    }
    h.update(&bytes[end..]);
    hex(&h.finalize().as_bytes()[..8])
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

