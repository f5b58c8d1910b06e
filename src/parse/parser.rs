//! [`parse_message`]: the bounds on one message's work, the bytes made readable
//! (line ends, blank lines, headers that ran into the body), and mail-parser's
//! parse turned into a [`ParsedMessage`].

use super::{message, mime, TraceHeaders};
use std::borrow::Cow;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use mail_parser::{Message, MessageParser, MimeHeaders};

use crate::model::{MessageRecord, RawMessage};
use message::{fill_record, recover_missing, thread_id, NO_HEADERS};

/// Longest body text (in bytes) kept for the index; the rest of a huge text
/// part is still in the archive and shown by `mailidx show`.
pub(crate) const MAX_BODY_TEXT: usize = 1 << 20;

/// Bounds on the work one message may cause, so that hostile mail cannot
/// make an ingest use unbounded time or memory. A message over a limit is
/// kept and indexed as far as the limit allows, with a warning naming the
/// limit. `ingest` takes them from the command line (`--max-…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest decoded Subject and display name kept, in bytes.
    pub max_header_bytes: usize,
    /// Received headers analysed (hops rows); the rest are counted.
    pub max_received: usize,
    /// MIME leaf parts walked; the rest are counted.
    pub max_parts: usize,
    /// MIME nesting walked.
    pub max_depth: usize,
    /// Searchable text kept, in bytes.
    pub max_body_text: usize,
    /// Warnings kept per message; the rest are counted in a last one.
    pub max_warnings: usize,
    /// Bytes of one message parsed; a longer message is parsed up to the
    /// last line end within the limit (its key and size cover it whole).
    pub max_message_bytes: usize,
    /// Authentication, ARC, DKIM-Signature and spam-filter header fields
    /// analysed per message (Received has `max_received`); the rest are counted.
    pub max_auth_headers: usize,
    /// Time budget of one message's MIME walk and header analysis, in
    /// milliseconds: what is not reached by then is counted, not read.
    pub max_message_ms: u64,
    /// Header fields kept per message in the `headers` table and the
    /// index; the rest are counted in a warning.
    pub max_header_fields: usize,
}

/// Distinct DKIM body hashes (canonicalisation, `l=`, algorithm) computed
/// per message; signatures asking for more are left unchecked. Each is a
/// pass over the whole body, so a message with thousands of signatures
/// with different `l=` cannot cost thousands of passes.
pub(crate) const MAX_BODY_HASHES: usize = 8;

impl Limits {
    /// The moment a message whose work starts at `start` runs out of time.
    pub(crate) fn deadline_from(&self, start: Instant) -> Instant {
        start + std::time::Duration::from_millis(self.max_message_ms)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: 16 * 1024,
            max_received: 500,
            max_parts: 10_000,
            max_depth: mime::MAX_DEPTH,
            max_body_text: MAX_BODY_TEXT,
            max_warnings: 100,
            max_message_bytes: 64 << 20,
            max_auth_headers: 200,
            max_message_ms: 10_000,
            max_header_fields: 10_000,
        }
    }
}

/// Cuts a string to at most `max` bytes on a character boundary.
pub(crate) fn cut_to(s: &mut String, max: usize) -> bool {
    if s.len() <= max {
        return false;
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    true
}

/// A message as parse leaves it: the record's header and MIME fields
/// filled, and the trace header fields that analysis reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedMessage {
    /// The record, its header and MIME fields filled; analysis fills the rest.
    pub record: MessageRecord,
    pub(crate) trace: TraceHeaders,
}

/// Parses one message. Never fails and never panics: a parser panic on
/// hostile input is caught and recorded as a warning.
pub fn parse_message(raw: &RawMessage<'_>, key: String) -> ParsedMessage {
    parse_message_with(raw, key, &Limits::default())
}

/// [`parse_message`] within explicit [`Limits`].
pub(crate) fn parse_message_with(raw: &RawMessage<'_>, key: String, limits: &Limits) -> ParsedMessage {
    let loc = &raw.location;
    let mut rec = MessageRecord { msg_key: key, location: loc.clone(), size: raw.bytes.len() as u64, ..Default::default() };
    let deadline = limits.deadline_from(Instant::now());
    let whole: &[u8] = &raw.bytes;
    let within = cut_at_line(whole, limits.max_message_bytes);
    // A message file over the limit is read only that far (its location
    // keeps the whole length).
    let stored = if loc.kind.is_mbox() { whole.len() as u64 } else { loc.length.max(whole.len() as u64) };
    if (within.len() as u64) < stored {
        rec.size = stored;
        rec.warnings.push(format!(
            "message is {stored} bytes; only the first {} parsed (limit max_message_bytes)",
            within.len()
        ));
    }
    let unified = unify_line_ends(within);
    if matches!(unified, Cow::Owned(_)) {
        rec.warnings.push("CR-only line ends read as LF".into());
    }
    let bytes = skip_blank_lines(&unified);
    if bytes.len() != unified.len() && !bytes.is_empty() {
        rec.warnings.push("blank lines before the header were skipped".into());
    }
    let mut trace = TraceHeaders::default();
    let outcome = read_parsed(bytes, |m| {
        let mut p = ParsedMessage { record: rec.clone(), trace: TraceHeaders::default() };
        fill_record(m, &mut p.record, &mut p.trace, limits, deadline);
        recover_missing(m, bytes, &mut p.record);
        p
    })
    .map(|read| {
        read.map(|(mut p, fixed)| {
            if let Some(name) = fixed {
                p.record.warnings.push(format!("{name} header ran into the body in mail-parser; re-read on its own"));
            }
            p
        })
    });
    match outcome {
        Ok(Some(filled)) => {
            let ok = !filled.record.warnings.iter().any(|w| w == NO_HEADERS);
            (rec, trace) = (filled.record, filled.trace);
            if !ok {
                rec.parse_ok = false;
            }
        }
        Ok(None) => rec.warnings.push(if bytes.is_empty() { "empty message".into() } else { NO_HEADERS.into() }),
        Err(_) => rec.warnings.push("mail-parser panicked on this message".into()),
    }
    if rec.thread_id.is_empty() {
        rec.thread_id = thread_id(&rec);
    }
    if trace.unanalysed_received > 0 {
        rec.warnings.push(format!(
            "{} Received headers beyond the first {} not analysed (limit max_received)",
            trace.unanalysed_received, limits.max_received
        ));
    }
    if rec.warnings.len() > limits.max_warnings {
        let more = rec.warnings.len() - limits.max_warnings;
        rec.warnings.truncate(limits.max_warnings);
        rec.warnings.push(format!("… and {more} more warnings (limit max_warnings)"));
    }
    ParsedMessage { record: rec, trace }
}

/// A header section that is not well formed: it starts with a folded
/// (continuation) line, or holds a line that is not a field (no colon):
/// usually a missing empty line between header and body, so mail-parser
/// reads the body as header or the header as body.
pub(crate) fn header_section_problem(bytes: &[u8]) -> Option<String> {
    let end = header_end(bytes).unwrap_or(bytes.len());
    for (n, line) in bytes[..end].split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if n == 0 {
                return Some("first header line is a continuation line".into());
            }
            continue;
        }
        let name_end = memchr::memchr(b':', line);
        let valid = name_end.is_some_and(|i| i > 0 && line[..i].iter().all(|&c| c.is_ascii_graphic() || c == b' '));
        if !valid && !(n == 0 && line.starts_with(b"From ")) {
            let shown = String::from_utf8_lossy(&line[..line.len().min(40)]).into_owned();
            return Some(format!("header line {} is not a field: {shown:?} (missing empty line before the body?)", n + 1));
        }
    }
    None
}

/// Where the header section really ends: after the first empty line.
pub(crate) fn header_end(bytes: &[u8]) -> Option<usize> {
    let lf = memchr::memmem::find(bytes, b"\n\n").map(|i| i + 2);
    let crlf = memchr::memmem::find(bytes, b"\n\r\n").map(|i| i + 3);
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// mail-parser's date parser can read past the end of a malformed last
/// header (`Date: … 16:50:54 UT`) into the body, so the body loses its first
/// lines. When the body starts after the first empty line, that header's
/// value is blanked (same length, so offsets hold) for a second parse; the
/// value itself is re-read from the original bytes by [`recover_missing`].
fn overrun_fix(m: &Message<'_>, bytes: &[u8]) -> Option<(Vec<u8>, String)> {
    let end = header_end(bytes)?;
    if (m.root_part().offset_body as usize) <= end {
        return None;
    }
    let h = m.root_part().headers.iter().find(|h| (h.offset_start() as usize) < end && h.offset_end() as usize >= end)?;
    let mut fixed = bytes.to_vec();
    let blank_line = end - if bytes[..end].ends_with(b"\r\n") { 2 } else { 1 };
    for b in fixed.get_mut(h.offset_start() as usize..blank_line)? {
        if *b != b'\n' && *b != b'\r' {
            *b = b' ';
        }
    }
    Some((fixed, h.name().to_string()))
}

/// A message's MIME tree, read the way [`parse_message`] reads it (for
/// `mailidx show --parts` and the oracle tests).
pub fn mime_parts(bytes: &[u8]) -> Vec<mime::PartInfo> {
    let unified = unify_line_ends(bytes);
    read_parsed(skip_blank_lines(&unified), |m| mime::walk(m, "", 0).parts)
        .ok()
        .flatten()
        .map_or_else(Vec::new, |(parts, _)| parts)
}

/// Parses `bytes` with mail-parser and hands the message to `read`. When a
/// header ran into the body ([`overrun_fix`]), the fixed bytes are parsed
/// again and the header's name comes back too. None: no message at all;
/// Err: mail-parser panicked.
fn read_parsed<T>(bytes: &[u8], read: impl FnOnce(&Message<'_>) -> T) -> std::thread::Result<Option<(T, Option<String>)>> {
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        let parser = MessageParser::default();
        let m = parser.parse(bytes)?;
        match overrun_fix(&m, bytes) {
            None => Some((read(&m), None)),
            Some((fixed, name)) => {
                drop(m);
                let m = parser.parse(&fixed[..])?;
                Some((read(&m), Some(name)))
            }
        }
    }))
}

/// Classic Mac OS mail (sisimai's `mac/` samples) ends lines with a bare CR,
/// which mail-parser does not split on. A message with CRs and no LF at all
/// is read with LF line ends; anything else is left as it is.
fn unify_line_ends(bytes: &[u8]) -> Cow<'_, [u8]> {
    if crate::source::is_cr_only(bytes) {
        let mut lf = bytes.to_vec();
        crate::source::cr_to_lf(&mut lf);
        Cow::Owned(lf)
    } else {
        Cow::Borrowed(bytes)
    }
}

/// Some exporters put whitespace-only lines before the header (flanker's
/// fixtures do); a header cannot start with an empty line (RFC 5322 §2.1),
/// and mail-parser would read the whole message as body.
fn skip_blank_lines(bytes: &[u8]) -> &[u8] {
    let mut pos = 0;
    while pos < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i + 1);
        if bytes[pos..end].iter().all(|b| b.is_ascii_whitespace()) {
            pos = end;
        } else {
            break;
        }
    }
    &bytes[pos..]
}

/// The longest prefix of `bytes` within `max` bytes that ends at a line end
/// (or `max` bytes when no line ends there).
fn cut_at_line(bytes: &[u8], max: usize) -> &[u8] {
    if bytes.len() <= max {
        return bytes;
    }
    match memchr::memrchr(b'\n', &bytes[..max]) {
        Some(i) => &bytes[..=i],
        None => &bytes[..max],
    }
}

/// A part's declared MIME type, lowercased; text/plain when it declares
/// none (RFC 2045 §5.2).
pub(crate) fn mime_type(part: &mail_parser::MessagePart<'_>) -> String {
    part.content_type()
        .map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_string(),
        })
        .unwrap_or_else(|| "text/plain".into())
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use crate::parse::key::hex;
    use crate::parse::msg_key;
    use super::*;

    #[test]
    fn message_ids_are_read_as_notmuch_reads_them() {
        use crate::parse::message::msg_ids;
        assert_eq!(msg_ids("<a@x> <b@x>"), vec!["a@x", "b@x"]);
        assert_eq!(msg_ids("Your message of Mon, 1 Jan (noon) <bar@baz.com>"), vec!["bar@baz.com"]);
        assert_eq!(msg_ids("bare@id.example"), Vec::<String>::new(), "no angle brackets, no id");
        assert_eq!(msg_ids("(a <comment@x>) <c@x>"), vec!["c@x"]);
        assert_eq!(msg_ids("<a>  <b c@x>\r\n\t<unterminated@x"), vec!["bc@x", "unterminated@x"]);
    }
    use crate::model::{Location, SourceKind};

    /// The record parse fills: these tests look at nothing else.
    fn parse_message(raw: &RawMessage<'_>, key: String) -> MessageRecord {
        super::parse_message(raw, key).record
    }

    fn raw(bytes: &[u8]) -> RawMessage<'_> {
        RawMessage {
            bytes: Cow::Borrowed(bytes),
            location: Location {
                path: "/x".into(),
                offset: 0,
                length: bytes.len() as u64,
                folder: "inbox".into(),
                kind: SourceKind::Eml,
                flags: String::new(),
            },
        }
    }

    #[test]
    fn fields_are_decoded() {
        let msg = b"From: =?UTF-8?B?w4lsaXNl?= <Elise@Example.COM>\r\n\
To: Bob <bob@b.org>, carol@c.org\r\nCc: undisclosed:;\r\n\
Subject: =?ISO-8859-1?Q?caf=E9?= invoice\r\n\
Date: Tue, 1 Jul 2003 10:52:37 +0200\r\nMessage-ID: <abc@x>\r\n\
References: <root@x> <mid@x>\r\nIn-Reply-To: <mid@x>\r\n\
Return-Path: <bounce@Lists.Example.com>\r\n\r\nHello there\r\n";
        let r = parse_message(&raw(msg), msg_key(msg));
        assert!(r.parse_ok);
        assert_eq!(r.from_addr.as_deref(), Some("Elise@example.com"));
        assert_eq!(r.from_name.as_deref(), Some("Élise"));
        assert_eq!(r.from_domain.as_deref(), Some("example.com"));
        assert_eq!(r.to_addrs, vec!["bob@b.org", "carol@c.org"]);
        assert_eq!(r.subject.as_deref(), Some("café invoice"));
        assert_eq!(r.date, Some(1057049557000));
        assert_eq!(r.message_id.as_deref(), Some("abc@x"));
        assert_eq!(r.references, vec!["root@x", "mid@x"]);
        assert_eq!(r.in_reply_to, vec!["mid@x"]);
        assert_eq!(r.return_path.as_deref(), Some("bounce@lists.example.com"));
        assert_eq!(r.body_text.trim(), "Hello there");
        assert_eq!(r.thread_id, hex(&blake3::hash(b"root@x").as_bytes()[..8]));
        assert_eq!(r.msg_key.len(), 16);
    }

    #[test]
    fn html_only_becomes_text_and_attachments_are_listed() {
        let msg = b"From: a@b.c\nSubject: s\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n\
--XX\nContent-Type: text/html\n\n<p>Hello <b>world</b></p>\n\
--XX\nContent-Type: application/pdf; name=\"inv.pdf\"\nContent-Disposition: attachment; filename=\"inv.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n--XX--\n";
        let r = parse_message(&raw(msg), msg_key(msg));
        assert!(r.body_text.contains("Hello world"), "{:?}", r.body_text);
        assert!(!r.body_text.contains("<b>"));
        assert_eq!(r.mime.attachment_names, vec!["inv.pdf"]);
        assert_eq!(r.mime.attachment_count, 1);
        assert!(r.mime.mime_types.contains(&"application/pdf".to_string()));
        assert!(r.mime.mime_types.contains(&"text/html".to_string()));
    }

    #[test]
    fn garbage_is_a_record_with_a_warning() {
        let r = parse_message(&raw(b""), msg_key(b""));
        assert!(!r.parse_ok);
        assert_eq!(r.warnings, vec!["empty message"]);
        let r = parse_message(&raw(b"Date: yesterday\n\nx"), msg_key(b"x"));
        assert_eq!(r.date, None);
        assert!(r.parse_ok);
        assert!(r.warnings.iter().any(|w| w.contains("Date")), "{:?}", r.warnings);
    }

    #[test]
    fn leading_blank_lines_are_skipped() {
        let msg = b"   \r\n\nFrom: a@b.c\r\nSubject: hi\r\n\r\nbody";
        let r = parse_message(&raw(msg), msg_key(msg));
        assert!(r.parse_ok);
        assert_eq!(r.subject.as_deref(), Some("hi"));
        assert!(r.warnings[0].contains("blank lines"));
    }

    #[test]
    fn cr_only_line_ends_are_read() {
        let msg = b"From: a@b.c\rSubject: mac\r\rbody\r";
        let r = parse_message(&raw(msg), msg_key(msg));
        assert_eq!(r.subject.as_deref(), Some("mac"));
        assert_eq!(r.from_addr.as_deref(), Some("a@b.c"));
    }

    #[test]
    fn headers_mail_parser_misses_are_recovered() {
        // mail-parser reads this Date into the next line and loses From.
        let msg = b"Date: 27 Jun 01 3:36:25 AM\nFrom: chol@example.net\nSubject: s\n\nbody\n";
        let r = parse_message(&raw(msg), msg_key(msg));
        assert_eq!(r.from_addr.as_deref(), Some("chol@example.net"));
        assert_eq!(r.date, Some(993612985000));
        let msg = b"Date: Fri, 23 Aug 2002 19:27:52\nFrom: a@b.c\n\nbody\n";
        assert_eq!(parse_message(&raw(msg), msg_key(msg)).date, Some(1030130872000));
    }

    #[test]
    fn structural_problems_are_warned() {
        let warn = |msg: &[u8]| parse_message(&raw(msg), msg_key(msg)).warnings;
        assert!(warn(b" folded\nFrom: a@b.c\n\nx").iter().any(|w| w.contains("continuation")));
        assert!(warn(b"From: a@b.c\nthis is body\n\nx").iter().any(|w| w.contains("not a field")));
        let open = b"From: a@b.c\nContent-Type: multipart/mixed; boundary=Q\n\n--Q\nContent-Type: text/plain\n\nx\n";
        assert!(warn(open).iter().any(|w| w.contains("not closed")), "{:?}", warn(open));
        let missing = b"From: a@b.c\nContent-Type: multipart/mixed; boundary=Q\n\nno parts\n";
        assert!(warn(missing).iter().any(|w| w.contains("never appears")), "{:?}", warn(missing));
        let fine = b"From: a@b.c\nContent-Type: multipart/mixed; boundary=Q\n\n--Q\n\nx\n--Q--\n";
        assert!(warn(fine).is_empty(), "{:?}", warn(fine));
    }

    #[test]
    fn keys_are_stable() {
        assert_eq!(msg_key(b"abc"), msg_key(b"abc"));
        assert_ne!(msg_key(b"abc"), msg_key(b"abd"));
    }

    #[test]
    fn copies_by_different_routes_share_a_key() {
        let a = b"Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\nReturn-Path: <x@y.z>\nMessage-ID: <1@x>\nSubject: s\n\nbody\n";
        let b = b"Delivered-To: me@here\nReceived: from c\n  by d; Tue, 2 Jan 2024 00:00:00 +0000\nMessage-ID: <1@x>\nSubject: s\n\nbody\n";
        assert_eq!(msg_key(a), msg_key(b));
        let other_body = b"Message-ID: <1@x>\nSubject: s\n\nbody!\n";
        assert_ne!(msg_key(a), msg_key(other_body));
        // Without a Message-ID, only identical bytes are one message.
        let c = b"Received: from a\nSubject: s\n\nbody\n";
        let d = b"Received: from b\nSubject: s\n\nbody\n";
        assert_ne!(msg_key(c), msg_key(d));
    }
}
