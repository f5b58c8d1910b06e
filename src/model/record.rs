//! [`MessageRecord`]: everything mailidx knows about one message after parse
//! and analysis, one row of `messages` and one document of the index. Its
//! fields are grouped by who fills them: the location (source), the header
//! fields and [`MimeSummary`] (parse), the [`Route`] (analyze::hops), the
//! [`AuthSummary`] (analyze::auth), the [`Forgery`] signs and the label.
//! Field names are the column names (schemas/messages.json).

use super::location::Location;
use super::rows::{AttachmentRecord, AuthResultRecord, DkimSignatureRecord, HopRecord};

/// Everything mailidx knows about one message after parse and analysis.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageRecord {
    pub msg_key: String,
    /// Where the message was read (`source_*`, `folder`, `maildir_flags` columns).
    pub location: Location,
    pub message_id: Option<String>,
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
    pub size: u64,
    pub header_size: u64,
    pub mime: MimeSummary,
    pub label: Label,
    pub label_source: LabelSource,
    /// false when mail-parser found no header at all in the bytes.
    pub parse_ok: bool,
    pub warnings: Vec<String>,
    /// One entry per Received header, in header order (0 = topmost).
    pub hops: Vec<HopRecord>,
    pub route: Route,
    pub forgery: Forgery,
    pub auth: AuthSummary,
    pub auth_rows: Vec<AuthResultRecord>,
    pub dkim_rows: Vec<DkimSignatureRecord>,
    /// Attachment and inline non-text parts.
    pub attachment_rows: Vec<AttachmentRecord>,
}

/// What the MIME walk found: `messages` columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MimeSummary {
    /// Characters of the searchable text.
    pub body_chars: u64,
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
}

/// The Received chain's verdict: the origin and the timing (analyze::hops).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Route {
    pub origin_ip: Option<std::net::IpAddr>,
    pub origin_rdns: Option<String>,
    pub origin_helo: Option<String>,
    /// The origin's network: its /24 (IPv4) or /48 (IPv6), as CIDR.
    pub origin_net: Option<String>,
    /// Organisational domain of the origin's rDNS name (Public Suffix List).
    pub origin_rdns_org: Option<String>,
    pub hop_count: u32,
    pub unparsed_hop_count: u32,
    /// Seconds from the lowest to the topmost hop with a time.
    pub transit_seconds: Option<i64>,
    /// Date header minus the time of the origin hop (or the lowest hop with a time).
    pub date_hop_skew_seconds: Option<i64>,
    pub anomalies: Anomalies,
}

/// Signs of forgery and their score (analyze::forgery).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Forgery {
    #[serde(flatten)]
    pub signs: ForgerySigns,
    /// Names of the signs present, as in `forgery_score`'s weights.
    pub forgery_signs: Vec<String>,
    pub forgery_score: u32,
}

/// spam, ham or unknown (`messages.label`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Label {
    Spam,
    Ham,
    #[default]
    Unknown,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Spam => "spam",
            Label::Ham => "ham",
            Label::Unknown => "unknown",
        }
    }
}

/// Where a label came from (`messages.label_source`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum LabelSource {
    /// `ingest --label`.
    User,
    /// A spam or ham folder name.
    Folder,
    /// A filter's verdict in this header (lowercase name), written above the origin.
    Header(&'static str),
    #[default]
    None,
}

impl LabelSource {
    /// `user`, `folder`, `header:NAME` or `none`.
    pub fn to_column(&self) -> std::borrow::Cow<'static, str> {
        match self {
            LabelSource::User => "user".into(),
            LabelSource::Folder => "folder".into(),
            LabelSource::Header(h) => format!("header:{h}").into(),
            LabelSource::None => "none".into(),
        }
    }
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

