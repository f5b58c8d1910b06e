//! The MIME tree of a parsed message, walked once: every part with its
//! IMAP path (`1.2.1`, RFC 3501 §6.4.5), type, charset, file name and
//! decoded size; the text a user would search (text parts decoded from
//! their declared charset by [`super::charset`], HTML as text, text/*
//! attachments, and the text of attached messages); the attachments table's
//! rows; and the structure flags of `messages` (S/MIME, PGP/MIME, TNEF).
//!
//! mail-parser splits the tree and undoes Base64 and quoted-printable for
//! non-text parts. Text parts are transfer-decoded here from the raw bytes,
//! so that the charset step sees the bytes the sender wrote and can warn
//! about them, and so that sizes are bytes, as other tools count them.

use std::borrow::Cow;
use std::time::Instant;

use mail_parser::{Encoding, Message, MessagePart, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use super::charset;
use crate::model::{AttachmentRecord, MimeSummary};

/// Deepest nesting walked; mail-parser bounds its own recursion as well.
pub(crate) const MAX_DEPTH: usize = 64;

/// What a node of the MIME tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    /// A multipart/* container of other parts.
    Multipart,
    /// An encapsulated message (message/rfc822, message/global).
    Message,
    /// A part with content of its own (text, image, application, …).
    Leaf,
}

/// One node of the MIME tree.
#[derive(Debug, Clone, PartialEq)]
pub struct PartInfo {
    /// IMAP part path; the top of a single-part message is `1`, the top
    /// multipart of a message is the empty path.
    pub path: String,
    /// Nesting depth: 0 for the message's top part, one more per container it
    /// sits in.
    pub depth: usize,
    /// Container, attached message or leaf.
    pub kind: PartKind,
    /// Declared Content-Type, lowercased; text/plain when absent
    /// (RFC 2045 §5.2).
    pub content_type: String,
    /// The Content-Type charset parameter, lowercased; None when absent, and
    /// for containers.
    pub charset: Option<String>,
    /// File name (Content-Disposition filename or Content-Type name), decoded;
    /// None when absent.
    pub filename: Option<String>,
    /// Content-Disposition type, lowercased (attachment, inline); None when
    /// absent.
    pub disposition: Option<String>,
    /// Content-Transfer-Encoding, lowercased (base64, quoted-printable, …);
    /// None when absent.
    pub transfer_encoding: Option<String>,
    /// Bytes after Base64/QP decoding (before charset decoding); for
    /// containers, their raw size.
    pub decoded_size: u64,
    /// The part is inside an attached message (message/rfc822).
    pub in_nested_message: bool,
    /// A leaf that is an attachments-table row: disposition attachment, a file
    /// name, or a non-text type.
    pub is_attachment: bool,
    /// For an encapsulated message: its From and Subject, decoded.
    pub summary: Option<String>,
}

/// What the walk found.
#[derive(Debug, Default)]
pub(crate) struct Mime {
    pub parts: Vec<PartInfo>,
    /// Searchable text, in tree order, capped at `max_text` bytes.
    pub text: String,
    pub attachments: Vec<AttachmentRecord>,
    /// What the walk fills of the record's MIME summary: the attached
    /// messages' headers, text and HTML bytes, charsets, S/MIME, PGP and
    /// TNEF flags (the counts are the parse's to fill from `parts`).
    pub summary: MimeSummary,
    pub warnings: Vec<String>,
    /// The links of the text and HTML parts (`urls`).
    pub links: super::links::Links,
    /// DMARC aggregate reports carried by the parts (`dmarc_*` tables).
    pub reports: super::dmarc::Reports,
}

/// Walks a parsed message. `key` fills the attachment rows' msg_key.
pub(crate) fn walk(m: &Message<'_>, key: &str, max_text: usize) -> Mime {
    let limits = super::Limits { max_body_text: max_text, ..Default::default() };
    walk_until(m, key, &limits, limits.deadline_from(Instant::now()))
}

/// [`walk`] within the parts, depth, text and time limits given, stopping
/// at `deadline`: parts not reached by then are counted, not walked.
pub(crate) fn walk_until(m: &Message<'_>, key: &str, limits: &super::Limits, deadline: Instant) -> Mime {
    let mut w = Walker { key, max_text: limits.max_body_text, max_parts: limits.max_parts, max_depth: limits.max_depth, deadline, late: 0, leaves: 0, skipped: 0, raw: m.raw_message(), out: Mime { links: super::links::Links::new(key), ..Default::default() } };
    w.part(m, 0, &Place { path: String::new(), depth: 0, nested: false, for_text: true });
    if w.skipped > 0 {
        w.out.warnings.push(format!("{} MIME parts beyond the first {} not walked (limit max_parts)", w.skipped, w.max_parts));
    }
    if w.late > 0 {
        w.out.warnings.push(format!("{} MIME parts not walked: out of time (limit max_message_ms {})", w.late, limits.max_message_ms));
    }
    let link_warnings = w.out.links.warnings();
    w.out.warnings.extend(link_warnings);
    w.out
}

struct Walker<'k> {
    key: &'k str,
    raw: &'k [u8],
    max_text: usize,
    max_parts: usize,
    max_depth: usize,
    deadline: Instant,
    /// Leaf parts passed over because the deadline had passed.
    late: usize,
    leaves: usize,
    skipped: usize,
    out: Mime,
}

/// Where a part sits in the tree.
struct Place {
    /// IMAP part path (RFC 3501 §6.4.5); empty for the top.
    path: String,
    depth: usize,
    /// Inside an attached message.
    nested: bool,
    /// Its text goes into the searchable text (false for the versions of
    /// an alternative not chosen).
    for_text: bool,
}

/// A Content-Type parameter, lowercased.
fn attribute(part: &MessagePart<'_>, name: &str) -> Option<String> {
    part.content_type().and_then(|c| c.attribute(name)).map(|v| v.to_ascii_lowercase())
}

fn child_path(parent: &str, n: usize) -> String {
    if parent.is_empty() { n.to_string() } else { format!("{parent}.{n}") }
}

/// The part's declared type, lowercased; text/plain when none (RFC 2045 §5.2).
pub(crate) fn content_type(part: &MessagePart<'_>) -> String {
    super::mime_type(part)
}

impl Walker<'_> {
    fn part(&mut self, m: &Message<'_>, id: u32, at: &Place) {
        if at.depth > self.max_depth {
            self.out.warnings.push(format!("part {}: MIME nesting deeper than {}; not walked (limit max_depth)", at.path, self.max_depth));
            return;
        }
        let Some(part) = m.part(id) else { return };
        let ct = content_type(part);
        let info = PartInfo {
            path: at.path.clone(),
            depth: at.depth,
            kind: PartKind::Leaf,
            content_type: ct,
            charset: None,
            filename: part.attachment_name().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
            disposition: part.content_disposition().map(|d| d.ctype().to_ascii_lowercase()),
            transfer_encoding: part.content_transfer_encoding().map(|e| e.trim().to_ascii_lowercase()),
            decoded_size: 0,
            in_nested_message: at.nested,
            is_attachment: false,
            summary: None,
        };
        match &part.body {
            PartType::Multipart(children) => self.multipart(m, part, children, info, at),
            PartType::Message(inner) => self.message(inner, part, info, at),
            _ if self.leaves >= self.max_parts => self.skipped += 1,
            _ if self.late > 0 || Instant::now() > self.deadline => self.late += 1,
            body => {
                let is_text = matches!(body, PartType::Text(_) | PartType::Html(_));
                self.leaf(part, info, at, is_text);
            }
        }
    }

    /// A multipart: S/MIME and PGP flags from its protocol, its boundary
    /// checked, then its children (of an alternative, only the best text
    /// version is searched).
    fn multipart(&mut self, m: &Message<'_>, part: &MessagePart<'_>, children: &[u32], mut info: PartInfo, at: &Place) {
        info.kind = PartKind::Multipart;
        info.decoded_size = part.raw_len() as u64;
        let protocol = attribute(part, "protocol").unwrap_or_default();
        match info.content_type.as_str() {
            "multipart/signed" if protocol.contains("pkcs7-signature") => self.out.summary.smime_signed = true,
            "multipart/signed" if protocol.contains("pgp-signature") => self.out.summary.pgp_signed = true,
            "multipart/encrypted" if protocol.contains("pgp-encrypted") => self.out.summary.pgp_encrypted = true,
            _ => {}
        }
        self.check_boundaries(part, &info.path, attribute(part, "boundary"), children.len());
        let alternative = info.content_type == "multipart/alternative";
        self.out.parts.push(info);
        let chosen = if alternative { best_alternative(m, children) } else { None };
        for (n, c) in children.iter().enumerate() {
            let child = Place {
                path: child_path(&at.path, n + 1),
                depth: at.depth + 1,
                nested: at.nested,
                for_text: at.for_text && chosen.is_none_or(|k| k == n),
            };
            self.part(m, *c, &child);
        }
    }

    /// An attached message: its From and Subject are kept apart for the
    /// index, and its parts are walked, numbered under this part.
    fn message(&mut self, inner: &Message<'_>, part: &MessagePart<'_>, mut info: PartInfo, at: &Place) {
        info.kind = PartKind::Message;
        info.decoded_size = part.raw_len() as u64;
        let mut summary = Vec::new();
        if let Some(f) = inner.from().and_then(|a| a.first()) {
            summary.push(format!("From: {}", crate::model::name_addr(f.name(), f.address())));
        }
        if let Some(s) = inner.subject() {
            summary.push(format!("Subject: {}", s.trim()));
        }
        if !summary.is_empty() {
            let line = summary.join(" · ");
            if !self.out.summary.nested_headers.is_empty() {
                self.out.summary.nested_headers.push('\n');
            }
            self.out.summary.nested_headers.push_str(&line);
            info.summary = Some(line);
        }
        self.out.parts.push(info);
        // The failing message of a DMARC failure report (RFC 5965: after the
        // feedback-report part): kept for analysis as a message.
        if let Some(f) = self.out.reports.failures.last_mut().filter(|f| f.sample.is_empty() && f.sample_key.is_none()) {
            f.sample = inner.raw_message().to_vec();
        }
        let here = if at.path.is_empty() { "1".to_string() } else { at.path.clone() };
        let path = match inner.part(0).map(|p| &p.body) {
            Some(PartType::Multipart(_)) => here,
            _ => child_path(&here, 1),
        };
        self.part(inner, 0, &Place { path, depth: at.depth + 1, nested: true, for_text: at.for_text });
    }

    /// A leaf: decoded (leniently where mail-parser gave up), checked,
    /// flagged, listed as an attachment when it is one, and its text added.
    fn leaf(&mut self, part: &MessagePart<'_>, mut info: PartInfo, at: &Place, is_text: bool) {
        self.leaves += 1;
        if info.path.is_empty() {
            info.path = "1".into();
        }
        let uuencoded = info.transfer_encoding.as_deref().is_some_and(|e| matches!(e, "x-uuencode" | "uuencode" | "x-uue"));
        let bytes: Cow<'_, [u8]> = if uuencoded {
            Cow::Owned(uudecode(raw_body(self.raw, part)))
        } else if is_text || part.is_encoding_problem {
            // mail-parser stops at the first bad Base64 character; mail
            // readers skip it and go on.
            Cow::Owned(transfer_decoded(self.raw, part))
        } else {
            Cow::Borrowed(part.contents())
        };
        info.decoded_size = bytes.len() as u64;
        info.charset = attribute(part, "charset").map(|c| c.trim().trim_matches('"').to_string()).filter(|c| !c.is_empty());
        self.check_leaf(part, &info, &at.path);
        let ct = info.content_type.clone();
        self.flags(&ct, &info, &bytes);
        info.is_attachment = info.disposition.as_deref() == Some("attachment") || info.filename.is_some() || !ct.starts_with("text/");
        if ct == "message/feedback-report" {
            self.out.reports.read_failure(&bytes, Some(self.key), Some(&info.path));
        } else if ct == "text/rfc822-headers" {
            if let Some(f) = self.out.reports.failures.last_mut().filter(|f| f.sample.is_empty()) {
                f.sample = bytes.to_vec();
            }
        } else if super::dmarc::may_carry_report(&ct, info.filename.as_deref(), &bytes) {
            // A TLS report type says it is a report: why it cannot be read
            // is worth a warning. Other types only when they look like one.
            let declared = ct.starts_with("application/tlsrpt");
            self.out.reports.read(&bytes, Some(self.key), "", Some(&info.path), !declared);
        }
        if info.is_attachment {
            self.out.attachments.push(AttachmentRecord {
                msg_key: self.key.to_string(),
                part_path: info.path.clone(),
                filename: info.filename.clone(),
                sniffed_type: crate::parse::sniff::sniff(&bytes).map(str::to_string),
                declared_type: ct.clone(),
                disposition: info.disposition.clone(),
                decoded_size: bytes.len() as u64,
                sha256: Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect(),
                in_nested_message: at.nested,
            });
        }
        if ct.starts_with("text/") {
            self.text(&info, &bytes, at.for_text, at.nested);
        }
        self.out.parts.push(info);
    }

    /// Warnings for a leaf: a body that could not be decoded, Base64
    /// defects, a multipart that turned out to be one part.
    fn check_leaf(&mut self, part: &MessagePart<'_>, info: &PartInfo, path: &str) {
        if part.is_encoding_problem {
            let enc = info.transfer_encoding.clone().unwrap_or_else(|| transfer_name(part).to_string());
            self.out.warnings.push(format!("part {}: {enc} body could not be decoded; decoded leniently", info.path));
        } else if part.encoding == Encoding::Base64 {
            if let Some(problem) = base64_problem(raw_body(self.raw, part)) {
                self.out.warnings.push(format!("part {}: Base64 {problem}", info.path));
            }
        }
        let ct = &info.content_type;
        if ct.starts_with("multipart/") {
            let at = if path.is_empty() { "top multipart".to_string() } else { format!("part {path}") };
            let why = match attribute(part, "boundary") {
                None => "has no boundary parameter".to_string(),
                Some(b) => format!("boundary {b:?} never appears"),
            };
            self.out.warnings.push(format!("{at}: {ct} {why}; read as one part"));
        }
    }

    /// Structural defects of a multipart: no boundary parameter, a boundary
    /// that never appears, or no closing `--boundary--`. mail-parser reads on
    /// regardless; the warning says the tree may not be what the sender meant.
    fn check_boundaries(&mut self, part: &MessagePart<'_>, path: &str, boundary: Option<String>, children: usize) {
        let at = if path.is_empty() { "top multipart".to_string() } else { format!("part {path}") };
        let body = raw_body(self.raw, part);
        let Some(b) = part.content_type().and_then(|c| c.attribute("boundary")).or(boundary.as_deref()).map(str::to_string) else {
            self.out.warnings.push(format!("{at}: multipart without a boundary parameter"));
            return;
        };
        let delim = format!("--{b}");
        if children == 0 || memchr::memmem::find(body, delim.as_bytes()).is_none() {
            self.out.warnings.push(format!("{at}: boundary {b:?} never appears; no parts found"));
        } else if memchr::memmem::find(body, format!("{delim}--").as_bytes()).is_none() {
            self.out.warnings.push(format!("{at}: multipart not closed (no --{b}--); message may be truncated"));
        }
    }

    fn flags(&mut self, ct: &str, info: &PartInfo, bytes: &[u8]) {
        let o = &mut self.out.summary;
        match ct {
            "application/pkcs7-signature" | "application/x-pkcs7-signature" => o.smime_signed = true,
            "application/pkcs7-mime" | "application/x-pkcs7-mime" => {
                // smime-type=signed-data is an opaque signature; anything
                // else (enveloped-data, or none) is an encrypted body.
                if bytes.len() > 8 && info.filename.as_deref().is_some_and(|f| f.ends_with(".p7s")) {
                    o.smime_signed = true;
                } else {
                    o.smime_encrypted = true;
                }
            }
            "application/pgp-signature" => o.pgp_signed = true,
            "application/pgp-encrypted" => o.pgp_encrypted = true,
            "application/ms-tnef" | "application/vnd.ms-tnef" => o.has_tnef = true,
            _ => {}
        }
        if info.filename.as_deref().is_some_and(|f| f.eq_ignore_ascii_case("winmail.dat")) || bytes.starts_with(b"\x78\x9f\x3e\x22") {
            o.has_tnef = true;
        }
    }

    /// Decodes one text leaf and adds it to the searchable text.
    fn text(&mut self, info: &PartInfo, bytes: &[u8], for_text: bool, nested: bool) {
        let decoded = charset::decode(info.charset.as_deref(), bytes);
        if let Some(w) = decoded.warning {
            self.out.warnings.push(format!("part {}: {w}", info.path));
        }
        if let Some(cs) = info.charset.as_ref() {
            if !self.out.summary.charsets.contains(cs) {
                self.out.summary.charsets.push(cs.clone());
            }
        }
        let html = info.content_type == "text/html";
        if html {
            self.out.summary.html_bytes += bytes.len() as u64;
        } else {
            self.out.summary.text_bytes += bytes.len() as u64;
        }
        let text = decoded.text;
        if !info.is_attachment {
            match html {
                true => self.out.links.html(&info.path, nested, &text),
                false => self.out.links.text(&info.path, nested, &text),
            }
        }
        // One pass for both armour lines (each `contains` was a pass).
        for at in memchr::memmem::find_iter(text.as_bytes(), b"-----BEGIN PGP ") {
            let rest = &text.as_bytes()[at + 15..];
            self.out.summary.pgp_signed |= rest.starts_with(b"SIGNED MESSAGE-----");
            self.out.summary.pgp_encrypted |= rest.starts_with(b"MESSAGE-----");
        }
        if !for_text || self.out.text.len() >= self.max_text {
            return;
        }
        let text = if html { Cow::Owned(mail_parser::decoders::html::html_to_text(&text)) } else { Cow::Borrowed(text.as_str()) };
        if !self.out.text.is_empty() {
            self.out.text.push('\n');
        }
        self.out.text.push_str(&text);
        if self.out.text.len() > self.max_text {
            let mut cut = self.max_text;
            while !self.out.text.is_char_boundary(cut) {
                cut -= 1;
            }
            self.out.text.truncate(cut);
        }
    }
}

/// In a multipart/alternative, the child whose text is searched: the first
/// text/plain, else the first subtree holding one, else the last child
/// (RFC 2046 §5.1.4: the last is the richest).
fn best_alternative(m: &Message<'_>, children: &[u32]) -> Option<usize> {
    let plain = |id: u32| m.part(id).is_some_and(|p| !p.is_multipart() && content_type(p) == "text/plain");
    if let Some(i) = children.iter().position(|&c| plain(c)) {
        return Some(i);
    }
    let holds_plain = |id: u32| match m.part(id).map(|p| &p.body) {
        Some(PartType::Multipart(kids)) => kids.iter().any(|&k| plain(k)),
        _ => false,
    };
    children.iter().position(|&c| holds_plain(c)).or(children.len().checked_sub(1))
}

fn transfer_name(part: &MessagePart<'_>) -> &'static str {
    match part.encoding {
        Encoding::Base64 => "Base64",
        Encoding::QuotedPrintable => "quoted-printable",
        Encoding::None => "the transfer encoding",
    }
}

/// A text part's bytes after Base64/quoted-printable, before any charset.
/// Offsets of parts inside attached messages count from the top message's
/// first byte, so `raw` is always the top message.
fn transfer_decoded(raw: &[u8], part: &MessagePart<'_>) -> Vec<u8> {
    let body = raw_body(raw, part);
    match part.encoding {
        Encoding::Base64 => base64_lenient(body),
        Encoding::QuotedPrintable => qp_lenient(body),
        Encoding::None => body.to_vec(),
    }
}

fn raw_body<'a>(raw: &'a [u8], part: &MessagePart<'_>) -> &'a [u8] {
    let (start, end) = (part.raw_body_offset() as usize, (part.raw_end_offset() as usize).min(raw.len()));
    raw.get(start..end).unwrap_or_default()
}

/// uuencoded data (`Content-Transfer-Encoding: x-uuencode`): the lines
/// between `begin MODE NAME` and `end`; each starts with its length
/// character. Without a `begin` line, the bytes are kept as they are.
pub(crate) fn uudecode(b: &[u8]) -> Vec<u8> {
    let mut lines = b.split(|&c| c == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    if !lines.by_ref().any(|l| l.starts_with(b"begin ")) {
        return b.to_vec();
    }
    let mut out = Vec::with_capacity(b.len() * 3 / 4);
    for line in lines {
        if line == b"end" || line.is_empty() {
            break;
        }
        let n = usize::from((line[0].wrapping_sub(b' ')) & 0x3f);
        let mut chunk = Vec::with_capacity(n + 2);
        for quad in line[1..].chunks(4) {
            let v: Vec<u32> = (0..4).map(|i| u32::from(quad.get(i).map_or(0, |c| c.wrapping_sub(b' ') & 0x3f))).collect();
            let w = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
            chunk.extend_from_slice(&[(w >> 16) as u8, (w >> 8) as u8, w as u8]);
        }
        chunk.truncate(n);
        out.extend_from_slice(&chunk);
    }
    out
}

/// What is wrong with a Base64 body, if anything: characters outside the
/// alphabet, or a length that is not a whole number of 4-character groups.
fn base64_problem(b: &[u8]) -> Option<String> {
    let (mut n, mut bad, mut after_pad) = (0usize, 0usize, false);
    for &c in b {
        match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' if !after_pad => n += 1,
            b'=' => {
                after_pad = true;
                n += 1;
            }
            b'\r' | b'\n' | b' ' | b'\t' => {}
            _ if after_pad => {}
            _ => bad += 1,
        }
    }
    if bad > 0 {
        Some(format!("has {bad} character(s) outside its alphabet (skipped)"))
    } else if n % 4 != 0 {
        Some(format!("length {n} is not a multiple of 4 (padding missing or data cut)"))
    } else {
        None
    }
}

/// Base64 as mail readers decode it: characters outside the alphabet are
/// skipped, decoding stops at padding, and a partial final group keeps its
/// whole bytes.
pub fn base64_lenient(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in b {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Quoted-printable (RFC 2045 §6.7), leniently: a `=` not followed by two
/// hex digits or a line break stays as it is, and hard line breaks are kept
/// as written (CRLF or LF). Trailing blanks are kept, as Python's email and
/// mail-parser keep them, so that sizes and SHA-256 agree with other tools
/// (RFC 2045 asks decoders to delete them; 229 SpamAssassin messages differ
/// only in that).
pub fn qp_lenient(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    for line in b.split_inclusive(|&c| c == b'\n') {
        let (content, eol): (&[u8], &[u8]) = match line.strip_suffix(b"\r\n") {
            Some(c) => (c, b"\r\n"),
            None => match line.strip_suffix(b"\n") {
                Some(c) => (c, b"\n"),
                None => (line, b""),
            },
        };
        let mut soft = false;
        let mut i = 0;
        while i < content.len() {
            let c = content[i];
            if c == b'=' {
                if i + 1 == content.len() {
                    soft = true;
                    break;
                }
                let hex = content.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(v) = hex {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
            out.push(c);
            i += 1;
        }
        if !soft {
            out.extend_from_slice(eol);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    const NESTED: &[u8] = b"From: a@b.c\r\nContent-Type: multipart/mixed; boundary=A\r\n\r\n--A\r\nContent-Type: text/plain\r\n\r\nhi\r\n--A\r\nContent-Type: application/octet-stream; name=\"report.pdf\"\r\nContent-Disposition: attachment; filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--A\r\nContent-Type: message/rfc822\r\n\r\nFrom: Inner <x@y.z>\r\nSubject: inside\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\ninner words\r\n--B\r\nContent-Type: image/png; name=dot.png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--B--\r\n--A--\r\n";

    #[test]
    fn paths_types_and_nested_messages() {
        let m = MessageParser::default().parse(NESTED).unwrap();
        let w = walk(&m, "k", 1 << 20);
        let got: Vec<(&str, Option<&str>, &str, Option<&str>, bool)> = w
            .attachments
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
        assert_eq!(w.attachments[0].decoded_size, 9);
        assert_eq!(w.attachments[0].sha256.len(), 64);
        let paths: Vec<(&str, PartKind)> = w.parts.iter().map(|p| (p.path.as_str(), p.kind)).collect();
        assert_eq!(
            paths,
            [("", PartKind::Multipart), ("1", PartKind::Leaf), ("2", PartKind::Leaf), ("3", PartKind::Message), ("3", PartKind::Multipart), ("3.1", PartKind::Leaf), ("3.2", PartKind::Leaf)]
        );
        assert_eq!(w.parts.iter().filter(|p| p.kind == PartKind::Leaf).count(), 4);
        // The inner text is searchable; its headers are kept apart.
        assert_eq!(w.text, "hi\ninner words");
        assert_eq!(w.summary.nested_headers, "From: Inner <x@y.z> · Subject: inside");
        assert_eq!(w.parts[1].decoded_size, 2, "text size excludes the line break before the boundary");
    }

    #[test]
    fn alternatives_charsets_and_text_attachments() {
        let msg = "From: a@b.c\nContent-Type: multipart/mixed; boundary=A\n\n--A\nContent-Type: multipart/alternative; boundary=B\n\n--B\nContent-Type: text/plain; charset=iso-2022-jp\n\n\x1b$B7oL>\x1b(B\n--B\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n<p>html =E2=9C=93</p>\n--B--\n--A\nContent-Type: text/csv; name=a.csv\nContent-Disposition: attachment\n\nx,y\n--A--\n";
        let m = MessageParser::default().parse(msg.as_bytes()).unwrap();
        let w = walk(&m, "k", 1 << 20);
        assert_eq!(w.text, "件名\nx,y", "plain alternative and the CSV attachment");
        assert_eq!(w.summary.charsets, ["iso-2022-jp", "utf-8"]);
        assert_eq!(w.summary.html_bytes, "<p>html ✓</p>".len() as u64);
        assert_eq!(w.attachments.len(), 1);
        assert!(w.warnings.is_empty(), "{:?}", w.warnings);
    }

    #[test]
    fn rfc2231_and_rfc2047_file_names() {
        let msg = b"Content-Type: multipart/mixed; boundary=Z\n\n--Z\nContent-Type: application/pdf\nContent-Disposition: attachment;\n filename*0*=utf-8''%E2%82%AC%20rechnung;\n filename*1=\".pdf\"\n\nx\n--Z\nContent-Type: application/zip; name=\"=?ISO-8859-1?Q?b=FCro.zip?=\"\n\nx\n--Z--\n";
        let w = walk(&MessageParser::default().parse(&msg[..]).unwrap(), "k", 100);
        let names: Vec<_> = w.attachments.iter().map(|a| a.filename.clone().unwrap_or_default()).collect();
        assert_eq!(names, ["€ rechnung.pdf", "büro.zip"]);
    }

    #[test]
    fn security_flags() {
        let signed = b"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=S\n\n--S\nContent-Type: text/plain\n\nx\n--S\nContent-Type: application/pkcs7-signature; name=smime.p7s\n\nAAAA\n--S--\n";
        let m = MessageParser::default().parse(&signed[..]).unwrap();
        let w = walk(&m, "k", 100);
        assert!(w.summary.smime_signed && !w.summary.smime_encrypted && !w.summary.pgp_signed);
        let enc = b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHA6CAMIACAQAx\n";
        let w = walk(&MessageParser::default().parse(&enc[..]).unwrap(), "k", 100);
        assert!(w.summary.smime_encrypted && !w.summary.smime_signed);
        let pgp = b"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=P\n\n--P\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--P\nContent-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\n--P--\n";
        let w = walk(&MessageParser::default().parse(&pgp[..]).unwrap(), "k", 100);
        assert!(w.summary.pgp_encrypted);
        let tnef = b"Content-Type: multipart/mixed; boundary=T\n\n--T\nContent-Type: application/ms-tnef; name=winmail.dat\nContent-Transfer-Encoding: base64\n\neJ8+IgAA\n--T--\n";
        let w = walk(&MessageParser::default().parse(&tnef[..]).unwrap(), "k", 100);
        assert!(w.summary.has_tnef);
    }

    #[test]
    fn lenient_transfer_decoding() {
        assert_eq!(base64_lenient(b"SGVs\r\nbG8=\r\n"), b"Hello");
        assert_eq!(base64_lenient(b"SGVsbA"), b"Hell");
        assert_eq!(base64_problem(b"SGVs\r\nbG8=\r\n"), None);
        assert!(base64_problem(b"SGV*s").unwrap().contains("1 character"));
        assert!(base64_problem(b"SGVsbA").unwrap().contains("multiple of 4"));
        assert_eq!(uudecode(b"\nbegin 644 x.txt\n&:&5L;&\\*\n`\nend\n"), b"hello\n");
        assert_eq!(qp_lenient(b"caf=E9  \r\nsoft=\r\nbreak = x=4\nend"), b"caf\xe9  \r\nsoftbreak = x=4\nend");
    }
}
