//! mail-parser's message into the record's header fields: addresses
//! (normalised), dates, subject (RFC 2047 by [`super::rfc2047`]), ids, the
//! thread id, the MIME summary from [`super::mime`], and second chances for
//! headers mail-parser misreads ([`super::recover`]).

use std::time::Instant;

use mail_parser::{Address, HeaderName, HeaderValue, Message, MessageParser};

use super::key::hex;
use super::{charset, cut_to, header_section_problem, mime, recover, rfc2047, Limits};
use super::trace::{read_trace_headers, TraceHeaders};
use crate::model::{MessageRecord, MimeSummary};

pub(super) const NO_HEADERS: &str = "no header fields found";

pub(super) fn fill_record(m: &Message<'_>, rec: &mut MessageRecord, trace: &mut TraceHeaders, limits: &Limits, deadline: Instant) {
    rec.parse_ok = true;
    let root = m.root_part();
    if root.headers.is_empty() {
        rec.warnings.push(NO_HEADERS.into());
    }
    if let Some(w) = header_section_problem(m.raw_message()) {
        rec.warnings.push(w);
    }
    rec.header_size = root.offset_body as u64;
    read_trace_headers(m, trace, &mut rec.warnings, limits, deadline);
    trace.provider = super::provider::read(m);
    rec.header_rows = super::headers::read(m, &rec.msg_key, limits.max_header_fields, &mut rec.warnings);
    rec.tags = trace.provider.tags();
    rec.gmail_thread_id = trace.provider.gmail_thread_id.clone();
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
    rec.in_reply_to = m.header_raw(HeaderName::InReplyTo).map(msg_ids).unwrap_or_else(|| id_list(m.in_reply_to()));
    rec.references = m.header_raw(HeaderName::References).map(msg_ids).unwrap_or_else(|| id_list(m.references()));

    let mime = mime::walk_until(m, &rec.msg_key, limits, deadline);
    let hint = mime.summary.charsets.first().map(String::as_str);
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
    rec.body_text = mime_summary(mime, rec);
}

/// The MIME walk's findings as the record's [`MimeSummary`]; returns the
/// searchable text.
fn mime_summary(mime: mime::Mime, rec: &mut MessageRecord) -> String {
    let leaves = || mime.parts.iter().filter(|p| p.kind == mime::PartKind::Leaf);
    let mut mime_types: Vec<String> = Vec::new();
    for p in leaves() {
        if !mime_types.contains(&p.content_type) {
            mime_types.push(p.content_type.clone());
        }
    }
    rec.mime = MimeSummary {
        body_chars: mime.text.chars().count() as u64,
        attachment_count: mime.attachments.len() as u32,
        attachment_names: mime.attachments.iter().filter_map(|a| a.filename.clone()).collect(),
        mime_types,
        part_count: leaves().count() as u32,
        nested_message_count: mime.parts.iter().filter(|p| p.kind == mime::PartKind::Message).count() as u32,
        ..mime.summary
    };
    rec.warnings.extend(mime.warnings);
    rec.attachment_rows = mime.attachments;
    rec.url_rows = mime.links.rows;
    let mut reports = mime.reports;
    rec.warnings.extend(reports.problems.drain(..));
    for r in reports.reports.iter_mut() {
        r.source = rec.location.path.clone();
    }
    for r in reports.tls_policies.iter_mut() {
        r.source = rec.location.path.clone();
    }
    rec.dmarc = reports;
    mime.text
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


/// Where mail-parser found nothing for a header that is there, read the
/// header alone (see [`recover`]). Each recovery leaves a warning.
pub(super) fn recover_missing(m: &Message<'_>, bytes: &[u8], rec: &mut MessageRecord) {
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


/// The `<id>`s of a References or In-Reply-To value, as notmuch reads them
/// (`_notmuch_message_id_parse`): comments skipped, text outside angle
/// brackets ignored (`Your message of … <id>` gives the id; a bare
/// `id@host` gives none), whitespace inside an id removed, ids of one
/// character dropped.
pub(crate) fn msg_ids(raw: &str) -> Vec<String> {
    let b = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let skip_space_and_comments = |mut i: usize| {
        let mut depth = 0usize;
        while i < b.len() {
            match b[i] {
                b'(' => depth += 1,
                b')' if depth > 0 => depth -= 1,
                b'\\' if depth > 0 => i += 1,
                c if depth == 0 && !c.is_ascii_whitespace() => break,
                _ => {}
            }
            i += 1;
        }
        i
    };
    while i < b.len() {
        i = skip_space_and_comments(i);
        let Some(lt) = b[i.min(b.len())..].iter().position(|&c| c == b'<') else { break };
        let start = skip_space_and_comments(i + lt + 1);
        let end = b[start.min(b.len())..].iter().position(|&c| c == b'>').map_or(b.len(), |e| start + e);
        let id: String = String::from_utf8_lossy(&b[start.min(end)..end]).chars().filter(|c| !c.is_whitespace()).collect();
        if id.chars().count() > 1 {
            out.push(id);
        }
        i = end + 1;
    }
    out
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
pub(crate) fn domain_of(addr: &str) -> Option<String> {
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
pub(super) fn thread_id(rec: &MessageRecord) -> String {
    let root = rec
        .references
        .first()
        .or(rec.in_reply_to.first())
        .or(rec.message_id.as_ref())
        .unwrap_or(&rec.msg_key);
    hex(&blake3::hash(root.as_bytes()).as_bytes()[..8])
}

