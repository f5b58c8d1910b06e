//! The MIME tree's attachments as rows: every leaf part that is an
//! attachment (disposition attachment, or a file name) or inline non-text
//! (an embedded image), with its IMAP-style part path (`1.2.1`, RFC 3501
//! §6.4.5), declared and sniffed type, decoded size and SHA-256. Parts of an
//! attached message/rfc822 are walked and marked `in_nested_message`.

use mail_parser::{Message, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use crate::model::AttachmentRecord;

/// The attachments of a parsed message, in MIME tree order.
pub fn attachments(m: &Message<'_>, key: &str) -> Vec<AttachmentRecord> {
    let mut out = Vec::new();
    walk(m, 0, "", false, key, &mut out, 0);
    out
}

fn child_path(parent: &str, n: usize) -> String {
    if parent.is_empty() { n.to_string() } else { format!("{parent}.{n}") }
}

fn walk(m: &Message<'_>, id: u32, path: &str, nested: bool, key: &str, out: &mut Vec<AttachmentRecord>, depth: usize) {
    // Hostile mail nests messages deeply; mail-parser limits it too.
    if depth > 20 {
        return;
    }
    let Some(part) = m.part(id) else { return };
    match &part.body {
        PartType::Multipart(children) => {
            for (n, c) in children.iter().enumerate() {
                walk(m, *c, &child_path(path, n + 1), nested, key, out, depth + 1);
            }
        }
        PartType::Message(inner) => {
            // The encapsulated message's parts number under this part.
            let here = if path.is_empty() { "1".to_string() } else { path.to_string() };
            match &inner.part(0).map(|p| &p.body) {
                Some(PartType::Multipart(_)) => walk(inner, 0, &here, true, key, out, depth + 1),
                _ => walk(inner, 0, &child_path(&here, 1), true, key, out, depth + 1),
            }
        }
        _ => {
            let path = if path.is_empty() { "1".to_string() } else { path.to_string() };
            let declared = crate::parse::mime_type(part);
            let disposition = part.content_disposition().map(|d| d.ctype().to_ascii_lowercase());
            let filename = part.attachment_name().map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
            let is_text = declared.starts_with("text/");
            let attachment = disposition.as_deref() == Some("attachment") || filename.is_some() || !is_text;
            if !attachment {
                return;
            }
            let bytes = part.contents();
            out.push(AttachmentRecord {
                msg_key: key.to_string(),
                part_path: path,
                filename,
                sniffed_type: sniff(bytes).map(str::to_string),
                declared_type: declared,
                disposition,
                decoded_size: bytes.len() as u64,
                sha256: Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect(),
                in_nested_message: nested,
            });
        }
    }
}

/// The type the bytes say they are, from their first bytes (magic numbers);
/// None when nothing matches.
pub fn sniff(b: &[u8]) -> Option<&'static str> {
    let starts = |m: &[u8]| b.starts_with(m);
    Some(if starts(b"%PDF-") {
        "application/pdf"
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if starts(b"\xff\xd8\xff") {
        "image/jpeg"
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        "image/gif"
    } else if starts(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        "image/webp"
    } else if starts(b"PK\x03\x04") {
        "application/zip"
    } else if starts(b"\x1f\x8b") {
        "application/gzip"
    } else if starts(b"Rar!\x1a\x07") {
        "application/vnd.rar"
    } else if starts(b"7z\xbc\xaf\x27\x1c") {
        "application/x-7z-compressed"
    } else if starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        // OLE2: .doc, .xls, .msg
        "application/x-ole-storage"
    } else if starts(b"MZ") {
        "application/x-msdownload"
    } else if starts(b"\x7fELF") {
        "application/x-executable"
    } else if starts(b"{\\rtf") {
        "application/rtf"
    } else if starts(b"\x78\x9f\x3e\x22") {
        // TNEF (winmail.dat)
        "application/vnd.ms-tnef"
    } else {
        let head = String::from_utf8_lossy(&b[..b.len().min(256)]).to_ascii_lowercase();
        let head = head.trim_start();
        if head.starts_with("<!doctype html") || head.starts_with("<html") {
            "text/html"
        } else if head.starts_with("begin:vcalendar") {
            "text/calendar"
        } else {
            return None;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    #[test]
    fn paths_types_and_nested_messages() {
        let msg = b"From: a@b.c\r\nContent-Type: multipart/mixed; boundary=A\r\n\r\n--A\r\nContent-Type: text/plain\r\n\r\nhi\r\n--A\r\nContent-Type: application/octet-stream; name=\"report.pdf\"\r\nContent-Disposition: attachment; filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--A\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@y.z\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\ninner\r\n--B\r\nContent-Type: image/png; name=dot.png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--B--\r\n--A--\r\n";
        let m = MessageParser::default().parse(&msg[..]).unwrap();
        let a = attachments(&m, "k");
        let got: Vec<(&str, Option<&str>, &str, Option<&str>, bool)> = a
            .iter()
            .map(|r| (r.part_path.as_str(), r.filename.as_deref(), r.declared_type.as_str(), r.sniffed_type.as_deref(), r.in_nested_message))
            .collect();
        assert_eq!(
            got,
            [
                ("2", Some("report.pdf"), "application/octet-stream", Some("application/pdf"), false),
                ("3.2", Some("dot.png"), "image/png", Some("image/png"), true),
            ]
        );
        assert_eq!(a[0].decoded_size, 9);
        assert_eq!(a[0].sha256.len(), 64);
        assert_eq!(a[0].disposition.as_deref(), Some("attachment"));
    }
}
