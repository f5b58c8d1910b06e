//! The types passed between stages: what a source hands out ([`RawMessage`]
//! with its [`Location`]), and what analysis hands to the sinks
//! ([`MessageRecord`], [`ErrorRecord`]). Field names here are the Parquet column
//! names and the tantivy field names (see schemas/).

use std::borrow::Cow;

/// How a message is stored; decides how `show` reads it back.
/// Written as [`SourceKind::as_str`] (in `.sources.json`, for one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum SourceKind {
    /// One file in a Maildir `cur/` or `new/` folder.
    #[serde(rename = "maildir")]
    Maildir,
    /// A message inside an mbox file (offset and length into the file).
    #[serde(rename = "mbox")]
    Mbox,
    /// A gzip-compressed mbox; offset and length are in the decompressed stream.
    #[serde(rename = "mbox.gz")]
    MboxGz,
    /// A zstd-compressed mbox; offset and length are in the decompressed stream.
    #[serde(rename = "mbox.zst")]
    MboxZst,
    /// A single message file outside a Maildir (`*.eml`, MH, …).
    #[serde(rename = "eml")]
    Eml,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Maildir => "maildir",
            SourceKind::Mbox => "mbox",
            SourceKind::MboxGz => "mbox.gz",
            SourceKind::MboxZst => "mbox.zst",
            SourceKind::Eml => "eml",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "maildir" => SourceKind::Maildir,
            "mbox" => SourceKind::Mbox,
            "mbox.gz" => SourceKind::MboxGz,
            "mbox.zst" => SourceKind::MboxZst,
            "eml" => SourceKind::Eml,
            _ => return None,
        })
    }

    /// Messages of this kind are stored with mbox `From ` quoting.
    pub fn is_mbox(self) -> bool {
        matches!(self, SourceKind::Mbox | SourceKind::MboxGz | SourceKind::MboxZst)
    }
}

/// Where a message lives in the archive: enough to read it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Absolute path of the file that holds the message.
    pub path: String,
    /// Byte offset of the message's first header line in the file (after an
    /// mbox `From ` line); in the decompressed stream for compressed mbox.
    pub offset: u64,
    /// Length in bytes of the message as stored (still `>From`-quoted in mbox).
    pub length: u64,
    /// Mail folder relative to the ingested root (Maildir folder or mbox name).
    pub folder: String,
    pub kind: SourceKind,
    /// Maildir flags after `:2,` (`"RS"`), empty for other kinds.
    pub flags: String,
}

/// One message as a source hands it out: the bytes (a slice of a memory map
/// where possible) and where they came from.
#[derive(Debug)]
pub struct RawMessage<'a> {
    pub bytes: Cow<'a, [u8]>,
    pub location: Location,
}

/// Everything mailidx knows about one message after parse and analysis.
/// One row of the `messages` table and one document of the index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageRecord {
    pub msg_key: String,
    pub message_id: Option<String>,
    pub source_path: String,
    pub source_offset: u64,
    pub source_length: u64,
    pub source_kind: String,
    pub folder: String,
    pub maildir_flags: String,
    /// Date header in UTC, milliseconds since the epoch.
    pub date: Option<i64>,
    pub from_addr: Option<String>,
    pub from_name: Option<String>,
    pub from_domain: Option<String>,
    pub sender_addr: Option<String>,
    pub reply_to: Vec<String>,
    pub return_path: Option<String>,
    pub to_addrs: Vec<String>,
    pub cc_addrs: Vec<String>,
    pub bcc_addrs: Vec<String>,
    /// Display names of To/Cc recipients (searchable, not addresses).
    pub recipient_names: Vec<String>,
    pub subject: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub thread_id: String,
    /// Decoded body text (plain parts, HTML turned to text when no plain part);
    /// indexed, not written to Parquet.
    pub body_text: String,
    pub body_chars: u64,
    pub size: u64,
    pub header_size: u64,
    pub attachment_count: u32,
    pub attachment_names: Vec<String>,
    pub mime_types: Vec<String>,
    /// Headers of attached messages (From, Subject), indexed apart.
    pub nested_headers: String,
    /// Leaf MIME parts.
    pub part_count: u32,
    /// Attached messages (message/rfc822 parts), at any depth.
    pub nested_message_count: u32,
    /// Decoded bytes of text/* parts other than HTML, and of HTML parts.
    pub text_bytes: u64,
    pub html_bytes: u64,
    /// Declared charsets of the text parts, lowercased, distinct.
    pub charsets: Vec<String>,
    pub smime_signed: bool,
    pub smime_encrypted: bool,
    pub pgp_signed: bool,
    pub pgp_encrypted: bool,
    pub has_tnef: bool,
    pub label: String,
    pub label_source: String,
    /// false when mail-parser found no header at all in the bytes.
    pub parse_ok: bool,
    pub warnings: Vec<String>,

    /// Received headers as parse read them (raw text, hop), header order;
    /// analyze::hops turns them into `hops` and the origin columns.
    pub received: Vec<(String, crate::analyze::received::ParsedHop)>,
    /// Received headers past `Limits::max_received`, counted, not analysed.
    pub unanalysed_received: u32,
    /// Position of each Received header among all header fields.
    pub received_positions: Vec<u32>,
    /// Authentication headers as found (analyze::auth reads them).
    pub auth_headers: Vec<AuthHeader>,
    /// Spam-filter headers (X-Spam-*, Microsoft SCL) as (header position,
    /// lowercase name, unfolded value); analyze::labels reads them.
    pub filter_headers: Vec<(u32, String, String)>,
    /// DKIM-Signature headers with their offline body-hash check.
    pub dkim: Vec<CheckedSignature>,
    // The Received chain (filled by analyze::hops).
    /// One entry per Received header, in header order (0 = topmost).
    pub hops: Vec<HopRecord>,
    pub origin_ip: Option<std::net::IpAddr>,
    pub origin_rdns: Option<String>,
    pub origin_helo: Option<String>,
    pub hop_count: u32,
    pub unparsed_hop_count: u32,
    /// Seconds from the lowest to the topmost hop with a time.
    pub transit_seconds: Option<i64>,
    /// Date header minus the time of the origin hop (or the lowest hop with a time).
    pub date_hop_skew_seconds: Option<i64>,
    pub anomalies: Anomalies,

    /// The origin's network: its /24 (IPv4) or /48 (IPv6), as CIDR.
    pub origin_net: Option<String>,
    /// Organisational domain of the origin's rDNS name (Public Suffix List).
    pub origin_rdns_org: Option<String>,
    // Forgery signs (filled by analyze::forgery).
    pub forgery: ForgerySigns,
    /// Names of the signs present, as in `forgery_score`'s weights.
    pub forgery_signs: Vec<String>,
    pub forgery_score: u32,

    // Authentication (filled by analyze::auth).
    pub auth: AuthSummary,
    pub auth_rows: Vec<AuthResultRecord>,
    pub dkim_rows: Vec<DkimSignatureRecord>,
    /// Attachment and inline non-text parts (analyze::attachments).
    pub attachment_rows: Vec<AttachmentRecord>,
}

/// One attachment or inline non-text part: one row of `attachments`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct AttachmentRecord {
    pub msg_key: String,
    /// IMAP-style part path (RFC 3501 §6.4.5): `2`, `1.2`, `3.2` inside an attached message.
    pub part_path: String,
    pub filename: Option<String>,
    pub declared_type: String,
    pub sniffed_type: Option<String>,
    pub disposition: Option<String>,
    pub decoded_size: u64,
    pub sha256: String,
    pub in_nested_message: bool,
}

/// Signs of forgery: `messages` columns (see analyze::forgery).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ForgerySigns {
    pub from_return_path_mismatch: bool,
    pub reply_to_mismatch: bool,
    pub display_name_spoof: bool,
    pub message_id_domain_mismatch: bool,
    pub spf_fail: bool,
    pub dkim_fail: bool,
    pub dmarc_fail: bool,
    pub spf_unaligned: bool,
    pub dkim_unaligned: bool,
    pub received_anomaly: bool,
}

/// The message's authentication verdicts and alignment: `messages` columns.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct AuthSummary {
    /// SPF result from a trusted Authentication-Results (else Received-SPF).
    pub spf_result: Option<String>,
    /// DKIM result from a trusted Authentication-Results: pass if any passed.
    pub dkim_result: Option<String>,
    /// DMARC result from a trusted Authentication-Results.
    pub dmarc_result: Option<String>,
    /// ARC result from a trusted Authentication-Results, else the cv= of the highest ARC-Seal.
    pub arc_result: Option<String>,
    /// Organisational domain of the From domain (Public Suffix List).
    pub from_org_domain: Option<String>,
    /// Domain SPF checked: smtp.mailfrom of the trusted SPF result, else the Return-Path's.
    pub spf_domain: Option<String>,
    pub spf_aligned_relaxed: bool,
    pub spf_aligned_strict: bool,
    /// Some DKIM-Signature d= has the From's organisational domain.
    pub dkim_aligned_relaxed: bool,
    /// Some DKIM-Signature d= is the From domain.
    pub dkim_aligned_strict: bool,
    /// pass / fail / none, recomputed from the trusted SPF and DKIM results and alignment.
    pub dmarc_computed: String,
    pub dkim_signature_count: u32,
    /// Some DKIM-Signature's bh= does not match the body (changed after signing).
    pub dkim_body_hash_mismatch: bool,
    pub auth_results_trusted: u32,
    /// Authentication-Results not written by the receiving side (below the origin).
    pub auth_results_untrusted: u32,
}

/// One result inside an authentication header: one row of `auth_results`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct AuthResultRecord {
    pub msg_key: String,
    pub header_kind: String,
    /// Index among headers of its kind, 0 = topmost.
    pub header_index: u32,
    pub arc_instance: Option<u32>,
    pub trusted: bool,
    pub authserv_id: Option<String>,
    pub method: String,
    pub method_version: Option<String>,
    pub result: String,
    pub reason: Option<String>,
    pub comment: Option<String>,
    /// `ptype.property=value`, as written.
    pub properties: Vec<String>,
    pub smtp_mailfrom: Option<String>,
    pub smtp_helo: Option<String>,
    pub header_from: Option<String>,
    pub header_d: Option<String>,
    pub header_i: Option<String>,
    pub header_s: Option<String>,
    /// Text of the header that could not be read as part of a result.
    pub unparsed: Vec<String>,
}

/// One DKIM-Signature: one row of `dkim_signatures`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DkimSignatureRecord {
    pub msg_key: String,
    pub sig_index: u32,
    pub v: Option<String>,
    pub a: Option<String>,
    pub c_header: String,
    pub c_body: String,
    pub d: Option<String>,
    pub s: Option<String>,
    pub i: Option<String>,
    pub l: Option<u64>,
    pub t: Option<i64>,
    pub x: Option<i64>,
    pub h: Vec<String>,
    pub bh: Option<String>,
    pub b: Option<String>,
    pub body_hash_computed: Option<String>,
    /// null: the algorithm is unknown.
    pub body_hash_ok: Option<bool>,
    /// null: no public key was given (--dkim-keys).
    pub signature_ok: Option<bool>,
    pub aligned_relaxed: bool,
    pub aligned_strict: bool,
    pub problems: Vec<String>,
}

/// Which authentication header a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthHeaderKind {
    AuthenticationResults,
    ArcAuthenticationResults,
    ReceivedSpf,
    ArcSeal,
    ArcMessageSignature,
}

impl AuthHeaderKind {
    pub fn as_str(self) -> &'static str {
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
pub struct AuthHeader {
    pub kind: AuthHeaderKind,
    pub position: u32,
    pub value: String,
}

/// A DKIM-Signature and its body-hash check (None: unknown algorithm).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedSignature {
    pub position: u32,
    pub signature: crate::analyze::dkim::DkimSignature,
    pub body_hash: Option<crate::analyze::dkim::BodyHashCheck>,
}

/// Header-forensics flags of one message, each a `messages` column.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Anomalies {
    /// A hop's time is more than 60 s before the time of the hop below it.
    pub hops_time_reversed: bool,
    /// |date_hop_skew_seconds| > 3 hours.
    pub date_far_from_hops: bool,
    /// The origin's HELO is an address literal (`[1.2.3.4]`) or a bare IP.
    pub origin_helo_is_ip_literal: bool,
    /// The origin's HELO and rDNS are both known and differ in their last two labels.
    pub origin_helo_rdns_mismatch: bool,
    /// The origin has no rDNS name (`unknown` or none written).
    pub origin_rdns_missing: bool,
    /// The origin's rDNS name looks like a consumer / dynamic address.
    pub origin_rdns_dynamic: bool,
    /// Below the origin, a hop claims a private IP after (in transit order) a public one.
    pub private_after_public: bool,
}

/// One Received header: one row of `received_hops`. As JSON (`mailidx hops
/// --format json`) the timestamp is RFC 3339.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct HopRecord {
    pub msg_key: String,
    pub hop_index: u32,
    pub raw: String,
    pub parsed: bool,
    pub helo: Option<String>,
    pub rdns: Option<String>,
    pub ip: Option<String>,
    pub ip_class: Option<String>,
    pub by_host: Option<String>,
    pub via: Option<String>,
    pub protocol: Option<String>,
    pub tls_version: Option<String>,
    pub tls_cipher: Option<String>,
    pub authenticated: bool,
    pub queue_id: Option<String>,
    pub envelope_for: Option<String>,
    pub envelope_from: Option<String>,
    pub ident: Option<String>,
    /// UTC milliseconds.
    #[serde(serialize_with = "ms_as_rfc3339")]
    pub timestamp: Option<i64>,
    /// Seconds since the hop below (the previous one in transit).
    pub delay_seconds: Option<i64>,
    pub trusted: bool,
    pub is_origin: bool,
    pub helo_is_ip_literal: bool,
    pub helo_rdns_mismatch: bool,
    pub rdns_missing: bool,
    pub rdns_dynamic: bool,
    pub time_reversed: bool,
}

/// A file or message that could not be read or parsed: one row of `errors`.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRecord {
    pub source_path: String,
    pub source_offset: Option<u64>,
    /// `io` (file unreadable), `malformed` (message kept, with warnings) or
    /// `not_mail` (a file in the tree that is not a message).
    pub error_kind: String,
    pub reason: String,
    pub msg_key: Option<String>,
}

impl ErrorRecord {
    /// What the user can do about a problem of this kind.
    pub fn advice(&self) -> &'static str {
        match self.error_kind.as_str() {
            "io" => "check that the file exists and is readable, then run the same ingest again: only files that failed are re-read",
            "malformed" => "the message is kept and indexed as far as it could be read; `mailidx show KEY --raw` prints it as stored",
            "not_mail" => "not a message, so not indexed; move it out of the mail tree to silence this",
            _ => "see the reason",
        }
    }
}

/// `PATH (offset N): KIND: REASON. What to do.`
impl std::fmt::Display for ErrorRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.source_path)?;
        if let Some(o) = self.source_offset.filter(|&o| o > 0) {
            write!(f, " (offset {o})")?;
        }
        write!(f, ": {}: {}", self.error_kind, if self.reason.is_empty() { "(no reason given)" } else { &self.reason })?;
        if let Some(k) = &self.msg_key {
            write!(f, " [key {k}]")?;
        }
        write!(f, ". What to do: {}", self.advice())
    }
}

/// Milliseconds since the epoch as an RFC 3339 UTC string (null when absent).
pub fn ms_as_rfc3339<S: serde::Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match ms.and_then(chrono::DateTime::from_timestamp_millis) {
        Some(t) => s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        None => s.serialize_none(),
    }
}
