//! `mailidx show`: one message read back from the archive through the
//! location the index stored, decoded for reading. The library returns text;
//! the CLI prints it.

use std::fmt::Write as _;

use std::borrow::Cow;

use crate::store::DbPaths;
use crate::error::Result;
use crate::model::RawMessage;
use crate::parse::{self, mime::PartKind, parse_message};
use crate::read::search::{Hit, Searchable};
use crate::read::terminal::{inline, text};
use crate::source::read_message;

/// The index entry of a message, its bytes as stored in the archive (mbox
/// quoting undone), and how many messages share the Message-ID asked for.
pub fn load(db: &DbPaths, key: &str) -> Result<(Hit, Vec<u8>, usize)> {
    let (hit, sharing) = Searchable::open(db)?.find(key)?;
    let raw = read_message(&hit.location())?;
    Ok((hit, raw, sharing))
}

/// Decoded headers a reader wants, then the decoded text. The message is
/// read by the same code as ingest ([`crate::parse`]), so `show` prints what
/// was indexed: charsets decoded, RFC 2047 words joined, text attachments
/// and attached messages' text included.
pub fn render(hit: &Hit, raw: &[u8]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Key:        {}", hit.msg_key);
    let _ = writeln!(out, "Location:   {} @ {} ({} bytes, {})", inline(&hit.source_path), hit.source_offset, hit.source_length, hit.source_kind);
    let _ = writeln!(out, "Folder:     {}", inline(&hit.folder));
    let rec = parse_message(&RawMessage { bytes: Cow::Borrowed(raw), location: hit.location() }, hit.msg_key.clone()).record;
    if !rec.parse_ok {
        let _ = writeln!(out, "\n(no header found: {}; use --raw to see the bytes)", inline(&rec.warnings.join("; ")));
        return out;
    }
    let from = crate::model::name_addr(rec.from_name.as_deref(), rec.from_addr.as_deref());
    let rows = [
        ("From", from),
        ("To", rec.to_addrs.join(", ")),
        ("Cc", rec.cc_addrs.join(", ")),
        ("Reply-To", rec.reply_to.join(", ")),
        ("Date", rec.date.and_then(chrono::DateTime::from_timestamp_millis).map(|d| d.to_rfc3339()).unwrap_or_default()),
        ("Subject", rec.subject.clone().unwrap_or_default()),
        ("Message-ID", rec.message_id.as_ref().map(|s| format!("<{s}>")).unwrap_or_default()),
    ];
    for (name, value) in rows {
        if !value.is_empty() {
            let _ = writeln!(out, "{:<11} {}", format!("{name}:"), inline(&value));
        }
    }
    if !rec.attachment_rows.is_empty() {
        let list: Vec<String> = rec
            .attachment_rows
            .iter()
            .map(|a| format!("{} ({}, {} bytes)", a.filename.as_deref().unwrap_or("unnamed"), a.declared_type, a.decoded_size))
            .collect();
        let _ = writeln!(out, "Attachments: {}", inline(&list.join(", ")));
    }
    if !rec.mime.nested_headers.is_empty() {
        for line in rec.mime.nested_headers.lines() {
            let _ = writeln!(out, "Attached:   {}", inline(line));
        }
    }
    for u in rec.url_rows.iter().take(50) {
        let mut notes = Vec::new();
        if u.anchor_mismatch {
            notes.push(format!("text shows {}", u.anchor_domain.as_deref().unwrap_or("?")));
        }
        if let Some(h) = &u.host_unicode {
            notes.push(format!("IDN {h}"));
        }
        if u.host_is_ip {
            notes.push("IP host".into());
        }
        if u.shortener {
            notes.push("shortener".into());
        }
        if let Some(t) = &u.redirect_target {
            notes.push(format!("leads to {t}"));
        }
        let notes = if notes.is_empty() { String::new() } else { format!("  [{}]", notes.join("; ")) };
        let _ = writeln!(out, "Link:       {} ({}){notes}", inline(&u.url), u.source);
    }
    if rec.url_rows.len() > 50 {
        let _ = writeln!(out, "Link:       … {} more (the urls table has them all)", rec.url_rows.len() - 50);
    }
    if !rec.warnings.is_empty() {
        let _ = writeln!(out, "Warnings:   {}", inline(&rec.warnings.join("; ")));
    }
    out.push('\n');
    out.push_str(&text(&rec.body_text));
    if !rec.body_text.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// The MIME tree, one line per part: IMAP part path, type, charset,
/// transfer encoding, file name, disposition and decoded size; attached
/// messages with their From and Subject.
pub fn render_parts(raw: &[u8]) -> String {
    let mut out = String::new();
    for p in parse::mime_parts(raw) {
        let path = if p.path.is_empty() { "-".to_string() } else { p.path.clone() };
        let mut line = format!("{}{} {}", "  ".repeat(p.depth), path, p.content_type);
        if let Some(c) = &p.charset {
            let _ = write!(line, "; charset={c}");
        }
        if let Some(n) = &p.filename {
            let _ = write!(line, " \"{n}\"");
        }
        if let Some(d) = p.disposition.as_ref().filter(|_| p.kind == PartKind::Leaf) {
            let _ = write!(line, " ({d})");
        }
        if let Some(e) = p.transfer_encoding.as_ref().filter(|_| p.kind == PartKind::Leaf) {
            let _ = write!(line, " [{e}]");
        }
        let what = if p.kind == PartKind::Leaf { "bytes decoded" } else { "bytes" };
        let _ = write!(line, " {} {what}", p.decoded_size);
        if let Some(s) = &p.summary {
            let _ = write!(line, " — {s}");
        }
        let _ = writeln!(out, "{}", inline(&line));
    }
    out
}
