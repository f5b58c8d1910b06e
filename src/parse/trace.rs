//! The trace and authentication header fields, collected in header order
//! with their positions for analysis: Received (parsed by
//! [`super::fields::received`]), Authentication-Results, ARC-*,
//! Received-SPF, DKIM-Signature (parsed by [`super::fields::dkim`], with its
//! body-hash check over the body as parsed) and spam-filter verdicts.

use std::time::Instant;

use mail_parser::Message;

use super::fields::dkim::{self, BodyHashCheck, DkimSignature};
use super::fields::received::{self, ParsedHop};
use super::{Limits, MAX_BODY_HASHES};

/// The header fields analysis reads, as parse found them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TraceHeaders {
    /// Received headers (unfolded text, hop), header order.
    pub received: Vec<(String, ParsedHop)>,
    /// Position of each Received header among all header fields.
    pub received_positions: Vec<u32>,
    /// Received headers past `Limits::max_received`, counted, not parsed.
    pub unanalysed_received: u32,
    /// Authentication headers as found.
    pub auth_headers: Vec<AuthHeader>,
    /// Spam-filter headers (X-Spam-*, Microsoft SCL) as (header position,
    /// lowercase name, unfolded value).
    pub filter_headers: Vec<(u32, &'static str, String)>,
    /// DKIM-Signature headers with their offline body-hash check.
    pub dkim: Vec<CheckedSignature>,
    /// What a provider's export wrote about the message (Takeout's
    /// X-Gmail-Labels, X-Folder).
    pub provider: super::provider::ProviderTags,
}

/// Which authentication header a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum AuthHeaderKind {
    AuthenticationResults,
    ArcAuthenticationResults,
    ReceivedSpf,
    ArcSeal,
    ArcMessageSignature,
}

impl AuthHeaderKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AuthHeaderKind::AuthenticationResults => "authentication-results",
            AuthHeaderKind::ArcAuthenticationResults => "arc-authentication-results",
            AuthHeaderKind::ReceivedSpf => "received-spf",
            AuthHeaderKind::ArcSeal => "arc-seal",
            AuthHeaderKind::ArcMessageSignature => "arc-message-signature",
        }
    }
}

/// One authentication header, unfolded, with its position among all fields.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AuthHeader {
    pub kind: AuthHeaderKind,
    pub position: u32,
    pub value: String,
}

/// A DKIM-Signature and its body-hash check (None: unknown algorithm).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CheckedSignature {
    pub position: u32,
    pub signature: DkimSignature,
    pub body_hash: Option<BodyHashCheck>,
}

/// The trace and authentication headers, in header order with their
/// positions: Received (read into hops; mail-parser's own parse of the header
/// fills gaps), Authentication-Results, ARC-*, Received-SPF, and
/// DKIM-Signature (with the body-hash check over this message's body).
pub(super) fn read_trace_headers(m: &Message<'_>, trace: &mut TraceHeaders, warnings: &mut Vec<String>, limits: &Limits, deadline: Instant) {
    let raw = m.raw_message();
    let body = raw.get(m.root_part().offset_body as usize..).unwrap_or_default();
    let mut body_hashes = dkim::BodyHasher::new(body, MAX_BODY_HASHES);
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
        if matches!(kind, Trace::Received) && trace.received.len() >= limits.max_received {
            trace.unanalysed_received += 1;
            continue;
        }
        let text = unfolded_value(raw, h);
        let position = pos as u32;
        match kind {
            Trace::Received => {
                let hop = received::parse_received(&text, h.value().as_received());
                trace.received.push((text, hop));
                trace.received_positions.push(position);
            }
            Trace::Auth(kind) => trace.auth_headers.push(AuthHeader { kind, position, value: text }),
            Trace::Dkim => {
                let signature = dkim::parse_dkim_signature(&text);
                let body_hash = body_hashes.check(&signature);
                trace.dkim.push(CheckedSignature { position, signature, body_hash });
            }
            Trace::Filter(name) => trace.filter_headers.push((position, name, text)),
        }
    }
    if over > 0 {
        warnings.push(format!(
            "{over} authentication and filter headers beyond the first {} not analysed (limit max_auth_headers)",
            limits.max_auth_headers
        ));
    }
    if late > 0 {
        warnings.push(format!("{late} trace headers not analysed: out of time (limit max_message_ms {})", limits.max_message_ms));
    }
    if body_hashes.refused > 0 {
        warnings.push(format!(
            "{} DKIM body hashes not computed: more than {MAX_BODY_HASHES} different ones asked for",
            body_hashes.refused
        ));
    }
}

/// A header field's value as written, unfolded, each run of white space one
/// space.
pub(super) fn unfolded_value(raw: &[u8], h: &mail_parser::Header<'_>) -> String {
    let (start, end) = (h.offset_start() as usize, (h.offset_end() as usize).min(raw.len()));
    let text = super::lossy(raw.get(start..end).unwrap_or_default());
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// What [`read_trace_headers`] does with a header field.
enum Trace {
    Received,
    Auth(AuthHeaderKind),
    Dkim,
    /// A spam filter's verdict, by lowercase name.
    Filter(&'static str),
}

fn trace_kind(name: &str) -> Option<Trace> {
    use AuthHeaderKind as K;
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


