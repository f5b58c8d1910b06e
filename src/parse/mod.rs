//! Parse: raw bytes → [`MessageRecord`], with mail-parser 0.11 doing the
//! decoding (MIME, Base64, quoted-printable, RFC 2047 words, RFC 2231
//! parameters, legacy charsets through encoding_rs). This module only picks
//! the fields out and normalises them; header forensics live in
//! [`crate::analyze`]-style modules added by later stages.
//!
//! A message mail-parser cannot make sense of still becomes a record, with
//! `parse_ok = false` and a warning saying why: malformed mail is data.

pub mod charset;
pub mod mime;
pub(crate) mod recover;
pub mod rfc2047;

use std::borrow::Cow;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders};

use crate::model::{MessageRecord, RawMessage};

/// Longest body text (in bytes) kept for the index; the rest of a huge text
/// part is still in the archive and shown by `mailidx show`.
pub const MAX_BODY_TEXT: usize = 1 << 20;

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
}

/// Distinct DKIM body hashes (canonicalisation, `l=`, algorithm) computed
/// per message; signatures asking for more are left unchecked. Each is a
/// pass over the whole body, so a message with thousands of signatures
/// with different `l=` cannot cost thousands of passes.
pub const MAX_BODY_HASHES: usize = 8;

impl Limits {
    /// The moment a message whose work starts at `start` runs out of time.
    pub fn deadline_from(&self, start: Instant) -> Instant {
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
        }
    }
}

/// Cuts a string to at most `max` bytes on a character boundary.
fn cut_to(s: &mut String, max: usize) -> bool {
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

/// The stable key of a message: the first 64 bits of a BLAKE3 hash, as 16
/// hex digits. Of a message with a Message-ID, the hash covers its bytes
/// (after mbox unquoting) without the delivery trace fields (Received,
/// Return-Path, Delivered-To, X-Original-To), which each copy gets on its
/// own route: the same message stored in two mailboxes, or in a Maildir and
/// an mbox, is one message. Without a Message-ID nothing says two messages
/// are one, and the key is the hash of every byte.
pub fn msg_key(bytes: &[u8]) -> String {
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses one message into a record. Never fails and never panics: a parser
/// panic on hostile input is caught and recorded as a warning.
pub fn parse_message(raw: &RawMessage<'_>, key: String) -> MessageRecord {
    parse_message_with(raw, key, &Limits::default())
}

/// [`parse_message`] within explicit [`Limits`].
pub fn parse_message_with(raw: &RawMessage<'_>, key: String, limits: &Limits) -> MessageRecord {
    let loc = &raw.location;
    let mut rec = MessageRecord {
        msg_key: key,
        source_path: loc.path.clone(),
        source_offset: loc.offset,
        source_length: loc.length,
        source_kind: loc.kind.as_str().to_string(),
        folder: loc.folder.clone(),
        maildir_flags: loc.flags.clone(),
        size: raw.bytes.len() as u64,
        label: "unknown".into(),
        label_source: "none".into(),
        ..Default::default()
    };
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
    let outcome = read_parsed(bytes, |m| {
        let mut r = rec.clone();
        fill_record(m, &mut r, limits, deadline);
        recover_missing(m, bytes, &mut r);
        r
    })
    .map(|read| {
        read.map(|(mut r, fixed)| {
            if let Some(name) = fixed {
                r.warnings.push(format!("{name} header ran into the body in mail-parser; re-read on its own"));
            }
            r
        })
    });
    match outcome {
        Ok(Some(filled)) if !filled.warnings.iter().any(|w| w == NO_HEADERS) => rec = filled,
        Ok(Some(filled)) => {
            rec = filled;
            rec.parse_ok = false;
        }
        Ok(None) => rec.warnings.push(if bytes.is_empty() { "empty message".into() } else { NO_HEADERS.into() }),
        Err(_) => rec.warnings.push("mail-parser panicked on this message".into()),
    }
    if rec.thread_id.is_empty() {
        rec.thread_id = thread_id(&rec);
    }
    if rec.unanalysed_received > 0 {
        rec.warnings.push(format!(
            "{} Received headers beyond the first {} not analysed (limit max_received)",
            rec.unanalysed_received, limits.max_received
        ));
    }
    if rec.warnings.len() > limits.max_warnings {
        let more = rec.warnings.len() - limits.max_warnings;
        rec.warnings.truncate(limits.max_warnings);
        rec.warnings.push(format!("… and {more} more warnings (limit max_warnings)"));
    }
    rec
}

/// A header section that is not well formed: it starts with a folded
/// (continuation) line, or holds a line that is not a field (no colon):
/// usually a missing empty line between header and body, so mail-parser
/// reads the body as header or the header as body.
fn header_section_problem(bytes: &[u8]) -> Option<String> {
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
fn header_end(bytes: &[u8]) -> Option<usize> {
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

const NO_HEADERS: &str = "no header fields found";

fn fill_record(m: &Message<'_>, rec: &mut MessageRecord, limits: &Limits, deadline: Instant) {
    rec.parse_ok = true;
    let root = m.root_part();
    if root.headers.is_empty() {
        rec.warnings.push(NO_HEADERS.into());
    }
    if let Some(w) = header_section_problem(m.raw_message()) {
        rec.warnings.push(w);
    }
    rec.header_size = root.offset_body as u64;
    read_trace_headers(m, rec, limits, deadline);
    rec.message_id = m.message_id().map(clean_id).filter(|s| !s.is_empty());

    if let Some(d) = m.date().filter(|d| d.is_valid()) {
        rec.date = Some(d.to_timestamp() * 1000);
    }

    // The first From mailbox that has an address (`"a@b", <c@d>` is a
    // quoted name, then the mailbox).
    if let Some(addr) = m.from().and_then(|a| a.iter().find(|x| x.address().is_some()).or(a.first())) {
        rec.from_addr = addr.address().map(normalise_addr).filter(|a| !a.is_empty());
        rec.from_name = addr.name().map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        // An encoded word used as the local part (`=?…?=@host`, spam
        // software of 2002) comes back as a name and `@host`.
        if let (Some(a), Some(n)) = (&rec.from_addr, &rec.from_name) {
            if a.starts_with('@') {
                rec.from_addr = Some(format!("\"{n}\"{a}"));
            }
        }
        rec.from_domain = rec.from_addr.as_deref().and_then(domain_of);
    }
    rec.sender_addr = m.sender().and_then(|a| a.first()).and_then(|a| a.address()).map(normalise_addr);
    rec.reply_to = addresses(m.reply_to());
    rec.return_path = return_path(m.return_path());
    let mut names = Vec::new();
    rec.to_addrs = collect_all(m.all_to(), &mut names);
    rec.cc_addrs = collect_all(m.all_cc(), &mut names);
    rec.bcc_addrs = collect_all(m.all_bcc(), &mut Vec::new());
    rec.recipient_names = names;
    rec.in_reply_to = id_list(m.in_reply_to());
    rec.references = id_list(m.references());

    let mime = mime::walk_until(m, &rec.msg_key, limits, deadline);
    let hint = mime.charsets.first().map(String::as_str);
    rec.subject = subject(m, hint, &mut rec.warnings).or_else(|| m.subject().map(|s| s.trim().to_string()));
    if let Some(n) = rec.from_name.as_mut() {
        if cut_to(n, limits.max_header_bytes) {
            rec.warnings.push(format!("From display name longer than {} bytes; cut (limit max_header_bytes)", limits.max_header_bytes));
        }
    }
    if let Some(s) = rec.subject.as_mut() {
        if cut_to(s, limits.max_header_bytes) {
            rec.warnings.push(format!("Subject longer than {} bytes; cut (limit max_header_bytes)", limits.max_header_bytes));
        }
    }
    reread_8bit_addresses(m, hint, rec);
    rec.body_chars = mime.text.chars().count() as u64;
    rec.body_text = mime.text;
    rec.nested_headers = mime.nested_headers;
    let mut mime_types: Vec<String> = Vec::new();
    for p in mime.parts.iter().filter(|p| p.kind == mime::PartKind::Leaf) {
        if !mime_types.contains(&p.content_type) {
            mime_types.push(p.content_type.clone());
        }
    }
    rec.mime_types = mime_types;
    rec.part_count = mime.parts.iter().filter(|p| p.kind == mime::PartKind::Leaf).count() as u32;
    rec.nested_message_count = mime.parts.iter().filter(|p| p.kind == mime::PartKind::Message).count() as u32;
    rec.text_bytes = mime.text_bytes;
    rec.html_bytes = mime.html_bytes;
    rec.charsets = mime.charsets;
    rec.smime_signed = mime.smime_signed;
    rec.smime_encrypted = mime.smime_encrypted;
    rec.pgp_signed = mime.pgp_signed;
    rec.pgp_encrypted = mime.pgp_encrypted;
    rec.has_tnef = mime.has_tnef;
    rec.warnings.extend(mime.warnings);
    rec.attachment_count = mime.attachments.len() as u32;
    rec.attachment_names = mime.attachments.iter().filter_map(|a| a.filename.clone()).collect();
    rec.attachment_rows = mime.attachments;
}

/// The raw bytes of the first header field called `name` (its value).
fn raw_header_value<'a>(m: &'a Message<'_>, name: &str) -> Option<&'a [u8]> {
    let raw = m.raw_message();
    let h = m.root_part().headers.iter().find(|h| h.name().eq_ignore_ascii_case(name))?;
    raw.get(h.offset_start() as usize..(h.offset_end() as usize).min(raw.len()))
}

/// Raw header bytes that are not plain UTF-8: 8-bit legacy text or
/// ISO-2022-JP escapes written without RFC 2047.
fn needs_charset(raw: &[u8]) -> bool {
    raw.contains(&0x1b) || std::str::from_utf8(raw).is_err()
}

/// The first Subject (RFC 5322 allows one; mail-parser keeps the last),
/// decoded by [`rfc2047`]: mail-parser spaces adjacent encoded words apart
/// and replaces raw 8-bit bytes. None when there is no Subject.
fn subject(m: &Message<'_>, hint: Option<&str>, warnings: &mut Vec<String>) -> Option<String> {
    let raw = raw_header_value(m, "Subject")?;
    let (text, warning) = rfc2047::decode_unstructured(raw, hint);
    if let Some(w) = warning {
        warnings.push(format!("Subject: {w}"));
    }
    Some(text.trim().to_string())
}

/// Address headers written in raw 8-bit or ISO-2022-JP (common in old
/// Japanese mail) are decoded to UTF-8 first, then parsed again, so display
/// names are readable.
fn reread_8bit_addresses(m: &Message<'_>, hint: Option<&str>, rec: &mut MessageRecord) {
    let mut block = String::new();
    for name in ["From", "To", "Cc"] {
        if let Some(raw) = raw_header_value(m, name).filter(|r| needs_charset(r)) {
            let d = charset::decode_hinted(hint, raw);
            block.push_str(&format!("{name}:{}\r\n", d.text.trim_end()));
            rec.warnings.push(format!("{name}: raw 8-bit header text read as {}", d.used));
        }
    }
    if block.is_empty() {
        return;
    }
    block.push_str("\r\n");
    let Some(mini) = MessageParser::default().parse(block.as_bytes()) else { return };
    if let Some(addr) = mini.from().and_then(|a| a.first()) {
        rec.from_name = addr.name().map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        if let Some(a) = addr.address().map(normalise_addr).filter(|a| !a.is_empty()) {
            rec.from_domain = domain_of(&a);
            rec.from_addr = Some(a);
        }
    }
    if mini.to().is_some() || mini.cc().is_some() {
        let mut names = Vec::new();
        if mini.to().is_some() {
            rec.to_addrs = collect_all(mini.all_to(), &mut names);
        }
        if mini.cc().is_some() {
            rec.cc_addrs = collect_all(mini.all_cc(), &mut names);
        }
        rec.recipient_names = names;
    }
}

/// The trace and authentication headers, in header order with their
/// positions: Received (read into hops; mail-parser's own parse of the header
/// fills gaps), Authentication-Results, ARC-*, Received-SPF, and
/// DKIM-Signature (with the body-hash check over this message's body).
fn read_trace_headers(m: &Message<'_>, rec: &mut MessageRecord, limits: &Limits, deadline: Instant) {
    use crate::model::{AuthHeader, CheckedSignature};
    let raw = m.raw_message();
    let body = raw.get(m.root_part().offset_body as usize..).unwrap_or_default();
    let mut body_hashes = crate::analyze::dkim::BodyHasher::new(body, MAX_BODY_HASHES);
    let (mut auth_seen, mut over, mut late) = (0usize, 0usize, 0usize);
    for (pos, h) in m.root_part().headers.iter().enumerate() {
        let Some(kind) = trace_kind(h.name()) else { continue };
        if late > 0 || (pos % 64 == 0 && Instant::now() > deadline) {
            late += 1;
            continue;
        }
        if !matches!(kind, Trace::Received) {
            auth_seen += 1;
            if auth_seen > limits.max_auth_headers {
                over += 1;
                continue;
            }
        }
        if matches!(kind, Trace::Received) && rec.received.len() >= limits.max_received {
            rec.unanalysed_received += 1;
            continue;
        }
        let (start, end) = (h.offset_start() as usize, (h.offset_end() as usize).min(raw.len()));
        let text = String::from_utf8_lossy(raw.get(start..end).unwrap_or_default());
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let position = pos as u32;
        match kind {
            Trace::Received => {
                let hop = crate::analyze::received::parse_received(&text, h.value().as_received());
                rec.received.push((text, hop));
                rec.received_positions.push(position);
            }
            Trace::Auth(kind) => rec.auth_headers.push(AuthHeader { kind, position, value: text }),
            Trace::Dkim => {
                let signature = crate::analyze::dkim::parse_dkim_signature(&text);
                let body_hash = body_hashes.check(&signature);
                rec.dkim.push(CheckedSignature { position, signature, body_hash });
            }
            Trace::Filter(name) => rec.filter_headers.push((position, name.to_string(), text)),
        }
    }
    if over > 0 {
        rec.warnings.push(format!(
            "{over} authentication and filter headers beyond the first {} not analysed (limit max_auth_headers)",
            limits.max_auth_headers
        ));
    }
    if late > 0 {
        rec.warnings.push(format!("{late} trace headers not analysed: out of time (limit max_message_ms {})", limits.max_message_ms));
    }
    if body_hashes.refused > 0 {
        rec.warnings.push(format!(
            "{} DKIM body hashes not computed: more than {MAX_BODY_HASHES} different ones asked for",
            body_hashes.refused
        ));
    }
}

/// What [`read_trace_headers`] does with a header field.
enum Trace {
    Received,
    Auth(crate::model::AuthHeaderKind),
    Dkim,
    /// A spam filter's verdict, by lowercase name.
    Filter(&'static str),
}

fn trace_kind(name: &str) -> Option<Trace> {
    use crate::model::AuthHeaderKind as K;
    const FILTERS: [&str; 6] = [
        "x-spam-flag", "x-spam-status", "x-spam-score", "x-ms-exchange-organization-scl", "x-forefront-antispam-report",
        "x-microsoft-antispam",
    ];
    let is = |n: &str| name.eq_ignore_ascii_case(n);
    Some(match () {
        _ if is("received") => Trace::Received,
        _ if is("authentication-results") => Trace::Auth(K::AuthenticationResults),
        _ if is("arc-authentication-results") => Trace::Auth(K::ArcAuthenticationResults),
        _ if is("received-spf") => Trace::Auth(K::ReceivedSpf),
        _ if is("arc-seal") => Trace::Auth(K::ArcSeal),
        _ if is("arc-message-signature") => Trace::Auth(K::ArcMessageSignature),
        _ if is("dkim-signature") => Trace::Dkim,
        _ => Trace::Filter(FILTERS.into_iter().find(|n| is(n))?),
    })
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

/// Where mail-parser found nothing for a header that is there, read the
/// header alone (see [`recover`]). Each recovery leaves a warning.
fn recover_missing(m: &Message<'_>, bytes: &[u8], rec: &mut MessageRecord) {
    let header_end = (m.root_part().offset_body as usize).min(bytes.len());
    let head = &bytes[..header_end];
    if rec.date.is_none() {
        if let Some(value) = recover::raw_header(head, "Date") {
            match recover::lenient_date(&value) {
                Some((ms, note)) => {
                    rec.date = Some(ms);
                    rec.warnings.push(note.unwrap_or("Date header read leniently").into());
                }
                None => rec.warnings.push(format!("Date header unparseable: {value:?}")),
            }
        }
    }
    if rec.from_addr.is_none() {
        if let Some(value) = recover::raw_header(head, "From") {
            let lone = format!("From: {value}\r\n\r\n");
            if let Some(addr) = MessageParser::default().parse(lone.as_bytes()).as_ref().and_then(|m| {
                m.from().and_then(|a| a.first()).map(|a| (a.address().map(normalise_addr), a.name().map(str::to_string)))
            }) {
                rec.from_addr = addr.0.filter(|a| !a.is_empty());
                rec.from_name = addr.1.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
                rec.from_domain = rec.from_addr.as_deref().and_then(domain_of);
                if rec.from_addr.is_some() {
                    rec.warnings.push("From header recovered (mail-parser merged it into the header before)".into());
                }
            }
        }
    }
}

/// A part's declared MIME type, lowercased; text/plain when it declares
/// none (RFC 2045 §5.2).
pub fn mime_type(part: &mail_parser::MessagePart<'_>) -> String {
    part.content_type()
        .map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_string(),
        })
        .unwrap_or_else(|| "text/plain".into())
        .to_ascii_lowercase()
}

fn clean_id(id: &str) -> String {
    id.trim().trim_start_matches('<').trim_end_matches('>').trim().to_string()
}

/// Addresses keep their local part as written; the domain is lowercased
/// (domains are case-insensitive, RFC 5321 §2.4).
fn normalise_addr(addr: &str) -> String {
    let addr = addr.trim().trim_start_matches('<').trim_end_matches('>');
    match addr.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
        None => addr.to_string(),
    }
}

/// The domain of an address, lowercased, without a trailing dot.
pub fn domain_of(addr: &str) -> Option<String> {
    let (_, d) = addr.rsplit_once('@')?;
    let d = d.trim().trim_end_matches('.').trim_end_matches('>').to_ascii_lowercase();
    (!d.is_empty()).then_some(d)
}

fn addresses(a: Option<&Address<'_>>) -> Vec<String> {
    a.map(|a| a.iter().filter_map(|x| x.address()).map(normalise_addr).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default()
}

fn collect_all<'a>(all: impl Iterator<Item = &'a Address<'a>>, names: &mut Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    for a in all {
        for addr in a.iter() {
            if let Some(x) = addr.address().map(normalise_addr).filter(|s| !s.is_empty()) {
                out.push(x);
            }
            if let Some(n) = addr.name().map(str::trim).filter(|n| !n.is_empty()) {
                names.push(n.to_string());
            }
        }
    }
    out
}

fn return_path(v: &HeaderValue<'_>) -> Option<String> {
    let text = match v {
        HeaderValue::Text(t) => t.as_ref(),
        HeaderValue::TextList(l) => l.first()?.as_ref(),
        HeaderValue::Address(a) => a.first()?.address()?,
        _ => return None,
    };
    let t = normalise_addr(text);
    (!t.is_empty()).then_some(t)
}

fn id_list(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![clean_id(t)],
        HeaderValue::TextList(l) => l.iter().map(|t| clean_id(t)).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect()
}

/// A thread is named after its root message: the first References entry
/// (RFC 5322 §3.6.4 lists the thread's ancestors oldest first), else
/// In-Reply-To, else the message's own Message-ID, else its key. Replies that
/// drop References fall into their parent's thread only when they keep
/// In-Reply-To to the root; this is the cheap, stateless rule.
fn thread_id(rec: &MessageRecord) -> String {
    let root = rec
        .references
        .first()
        .or(rec.in_reply_to.first())
        .or(rec.message_id.as_ref())
        .unwrap_or(&rec.msg_key);
    hex(&blake3::hash(root.as_bytes()).as_bytes()[..8])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Location, SourceKind};

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
        assert_eq!(r.attachment_names, vec!["inv.pdf"]);
        assert_eq!(r.attachment_count, 1);
        assert!(r.mime_types.contains(&"application/pdf".to_string()));
        assert!(r.mime_types.contains(&"text/html".to_string()));
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
