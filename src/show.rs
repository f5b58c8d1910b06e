//! `mailidx show`: one message read back from the archive through the
//! location the index stored, decoded for reading. The library returns text;
//! the CLI prints it.

use std::fmt::Write as _;

use mail_parser::{MessageParser, MimeHeaders, PartType};

use crate::db::DbPaths;
use crate::error::Result;
use crate::search::{Hit, Searchable};
use crate::source::read_message;

/// The index entry of a message, its bytes as stored in the archive (mbox
/// quoting undone), and how many messages share the Message-ID asked for.
pub fn load(db: &DbPaths, key: &str) -> Result<(Hit, Vec<u8>, usize)> {
    let (hit, sharing) = Searchable::open(db)?.find(key)?;
    let raw = read_message(&hit.location())?;
    Ok((hit, raw, sharing))
}

/// Decoded headers a reader wants, then the decoded text.
pub fn render(hit: &Hit, raw: &[u8]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Key:        {}", hit.msg_key);
    let _ = writeln!(out, "Location:   {} @ {} ({} bytes, {})", hit.source_path, hit.source_offset, hit.source_length, hit.source_kind);
    let _ = writeln!(out, "Folder:     {}", hit.folder);
    let Some(m) = MessageParser::default().parse(raw) else {
        let _ = writeln!(out, "\n(mail-parser found no headers; use --raw to see the bytes)");
        return out;
    };
    let addr = |a: Option<&mail_parser::Address<'_>>| -> String {
        a.map(|a| {
            a.iter()
                .map(|x| match (x.name(), x.address()) {
                    (Some(n), Some(e)) => format!("{n} <{e}>"),
                    (None, Some(e)) => e.to_string(),
                    (Some(n), None) => n.to_string(),
                    _ => String::new(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
    };
    let rows = [
        ("From", addr(m.from())),
        ("To", addr(m.to())),
        ("Cc", addr(m.cc())),
        ("Reply-To", addr(m.reply_to())),
        ("Date", m.date().map(|d| d.to_rfc3339()).unwrap_or_default()),
        ("Subject", m.subject().unwrap_or_default().to_string()),
        ("Message-ID", m.message_id().map(|s| format!("<{s}>")).unwrap_or_default()),
    ];
    for (name, value) in rows {
        if !value.is_empty() {
            let _ = writeln!(out, "{:<11} {}", format!("{name}:"), value);
        }
    }
    let attachments: Vec<String> = m
        .attachments()
        .map(|p| {
            let ct = p.content_type().map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("*"))).unwrap_or_default();
            format!("{} ({ct}, {} bytes)", p.attachment_name().unwrap_or("unnamed"), p.len())
        })
        .collect();
    if !attachments.is_empty() {
        let _ = writeln!(out, "Attachments: {}", attachments.join(", "));
    }
    out.push('\n');
    for i in 0..m.text_body_count() {
        if let Some(t) = m.body_text(i) {
            out.push_str(&t);
            if !t.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out
}

/// The MIME tree, one line per part: depth, type, name and size.
pub fn render_parts(raw: &[u8]) -> String {
    let mut out = String::new();
    if let Some(m) = MessageParser::default().parse(raw) {
        walk(&m, 0, 0, &mut out);
    }
    out
}

fn walk(m: &mail_parser::Message<'_>, id: u32, depth: usize, out: &mut String) {
    let Some(part) = m.part(id) else { return };
    let ct = part
        .content_type()
        .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("*")))
        .unwrap_or_else(|| "text/plain".into());
    let name = part.attachment_name().map(|n| format!(" \"{n}\"")).unwrap_or_default();
    // Containers have no decoded body: give their size in the message.
    let size = if part.is_multipart() || part.is_message() { part.raw_len() as usize } else { part.len() };
    let _ = writeln!(out, "{}{ct}{name} [{size} bytes]", "  ".repeat(depth));
    match &part.body {
        PartType::Multipart(children) => {
            for c in children {
                walk(m, *c, depth + 1, out);
            }
        }
        PartType::Message(inner) => walk(inner, 0, depth + 1, out),
        _ => {}
    }
}
