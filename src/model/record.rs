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
    /// First 64 bits of the BLAKE3 hash of the message bytes, 16 hex digits;
    /// trace fields are left out of the hash when there is a Message-ID (see
    /// `messages.msg_key`).
    pub msg_key: String,
    /// Where the message was read (`source_*`, `folder`, `maildir_flags` columns).
    pub location: Location,
    /// Message-ID without angle brackets; None when missing or empty.
    pub message_id: Option<String>,
    /// Date header in UTC, milliseconds since the epoch.
    pub date: Option<i64>,
    /// First From address (domain lowercased); None when there is none.
    pub from_addr: Option<String>,
    /// Display name of the first From address, RFC 2047 decoded; None when
    /// there is none.
    pub from_name: Option<String>,
    /// Domain of `from_addr`, lowercased.
    pub from_domain: Option<String>,
    /// Sender address; None when there is no Sender header.
    pub sender_addr: Option<String>,
    /// Reply-To addresses.
    pub reply_to: Vec<String>,
    /// Return-Path address (envelope sender) without angle brackets.
    pub return_path: Option<String>,
    /// To addresses, groups flattened.
    pub to_addrs: Vec<String>,
    /// Cc addresses.
    pub cc_addrs: Vec<String>,
    /// Bcc addresses.
    pub bcc_addrs: Vec<String>,
    /// Display names of To/Cc recipients (searchable, not addresses).
    pub recipient_names: Vec<String>,
    /// Subject, RFC 2047 decoded; None when missing.
    pub subject: Option<String>,
    /// In-Reply-To message ids, without angle brackets.
    pub in_reply_to: Vec<String>,
    /// References message ids, oldest first (RFC 5322 §3.6.4).
    pub references: Vec<String>,
    /// Hash of the thread root id: first References entry, else In-Reply-To,
    /// else own Message-ID, else the msg_key.
    pub thread_id: String,
    /// Decoded body text (plain parts, HTML turned to text when no plain part);
    /// indexed, not written to Parquet.
    pub body_text: String,
    /// Size in bytes of the message (after mbox unquoting).
    pub size: u64,
    /// Size in bytes of the header section.
    pub header_size: u64,
    /// What the MIME walk found: parts, sizes, attachments, signing and
    /// encryption.
    pub mime: MimeSummary,
    /// spam, ham or unknown.
    pub label: Label,
    /// Where the label came from.
    pub label_source: LabelSource,
    /// The labels a provider's export gave the message: Takeout's
    /// X-Gmail-Labels (Inbox, Spam, Important, the user's own), an X-Folder.
    pub tags: Vec<String>,
    /// Gmail's thread id (Takeout's X-GM-THRID), as written.
    pub gmail_thread_id: Option<String>,
    /// false when mail-parser found no header at all in the bytes.
    pub parse_ok: bool,
    /// What was wrong with the message (unparseable date, undecodable part, a
    /// limit reached, …).
    pub warnings: Vec<String>,
    /// One entry per Received header, in header order (0 = topmost).
    pub hops: Vec<HopRecord>,
    /// The Received chain's verdict: origin, hop counts, timing and anomalies.
    pub route: Route,
    /// Signs of forgery and their score.
    pub forgery: Forgery,
    /// Authentication verdicts and alignment.
    pub auth: AuthSummary,
    /// Rows of `auth_results`: one per method result or ARC header.
    pub auth_rows: Vec<AuthResultRecord>,
    /// Rows of `dkim_signatures`: one per DKIM-Signature header, in header
    /// order.
    pub dkim_rows: Vec<DkimSignatureRecord>,
    /// Attachment and inline non-text parts.
    pub attachment_rows: Vec<AttachmentRecord>,
    /// DMARC aggregate reports the message carries (`dmarc_reports`,
    /// `dmarc_records`, `dmarc_record_auth`).
    pub dmarc: DmarcRows,
    /// Rows of `urls`: every link in the text and HTML parts.
    pub url_rows: Vec<super::rows::UrlRecord>,
    /// Rows of `headers`: every header field, in order.
    pub header_rows: Vec<super::rows::HeaderRecord>,
    /// Rows of `ip_info`: what the IP databases said about the hops'
    /// addresses (one per address and database).
    pub ip_rows: Vec<super::rows::IpInfoRecord>,
}

/// The rows of the DMARC and SMTP TLS report tables of one message or
/// file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DmarcRows {
    /// One per report.
    pub reports: Vec<super::rows::DmarcReportRow>,
    /// Their records.
    pub records: Vec<super::rows::DmarcRecordRow>,
    /// The records' DKIM and SPF results.
    pub auth: Vec<super::rows::DmarcAuthRow>,
    /// Failure reports (ARF feedback-report parts).
    pub failures: Vec<super::rows::DmarcFailureRow>,
    /// SMTP TLS report policies (RFC 8460).
    pub tls_policies: Vec<super::rows::SmtpTlsPolicyRow>,
    /// Their failure details.
    pub tls_failures: Vec<super::rows::SmtpTlsFailureRow>,
    /// Problems met reading them.
    pub problems: Vec<String>,
}

impl DmarcRows {
    /// Moves every row of `other` to the end of these (its problems stay).
    pub fn append(&mut self, other: &mut DmarcRows) {
        self.reports.append(&mut other.reports);
        self.records.append(&mut other.records);
        self.auth.append(&mut other.auth);
        self.failures.append(&mut other.failures);
        self.tls_policies.append(&mut other.tls_policies);
        self.tls_failures.append(&mut other.tls_failures);
    }
}

/// What the MIME walk found: `messages` columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MimeSummary {
    /// Characters of the searchable text.
    pub body_chars: u64,
    /// Rows of the attachments table for this message (attachments and inline
    /// non-text leaf parts).
    pub attachment_count: u32,
    /// Decoded attachment file names (RFC 2231 and RFC 2047).
    pub attachment_names: Vec<String>,
    /// Distinct MIME types of the leaf parts, in part order.
    pub mime_types: Vec<String>,
    /// Headers of attached messages (From, Subject), indexed apart.
    pub nested_headers: String,
    /// Leaf MIME parts.
    pub part_count: u32,
    /// Attached messages (message/rfc822 parts), at any depth.
    pub nested_message_count: u32,
    /// Decoded bytes of the text/* parts other than text/html (after
    /// Base64/QP, before charset decoding).
    pub text_bytes: u64,
    /// Decoded bytes of the text/html parts.
    pub html_bytes: u64,
    /// Declared charsets of the text parts, lowercased, distinct.
    pub charsets: Vec<String>,
    /// S/MIME signed: multipart/signed with application/pkcs7-signature, or a
    /// pkcs7-signature part.
    pub smime_signed: bool,
    /// S/MIME encrypted: an application/pkcs7-mime part (enveloped-data).
    pub smime_encrypted: bool,
    /// PGP signed: multipart/signed with application/pgp-signature, or inline
    /// BEGIN PGP SIGNED MESSAGE.
    pub pgp_signed: bool,
    /// PGP encrypted: multipart/encrypted with application/pgp-encrypted, or
    /// inline BEGIN PGP MESSAGE.
    pub pgp_encrypted: bool,
    /// Carries a TNEF (winmail.dat, application/ms-tnef) part.
    pub has_tnef: bool,
}

/// The Received chain's verdict: the origin and the timing (analyze::hops).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Route {
    /// The receiving side's profile (`microsoft365`, `google`, …): detected
    /// from the top of the chain or named with `--receiver`.
    pub receiver: Option<String>,
    /// The filtering gateway the trust walk passed through (`mimecast`, …).
    pub receiver_gateway: Option<String>,
    /// What kind of host the origin is: `mta`, `client` or `none`.
    pub origin_kind: OriginKind,
    /// IP of the origin: the first Received hop from the top that the receiving
    /// side does not vouch for; None when no hop qualifies.
    pub origin_ip: Option<std::net::IpAddr>,
    /// rDNS name of the origin hop as the receiving MTA wrote it; None when
    /// none was written.
    pub origin_rdns: Option<String>,
    /// HELO/EHLO name the origin gave.
    pub origin_helo: Option<String>,
    /// The origin's network: its /24 (IPv4) or /48 (IPv6), as CIDR.
    pub origin_net: Option<String>,
    /// Organisational domain of the origin's rDNS name (Public Suffix List).
    pub origin_rdns_org: Option<String>,
    /// AS number of the origin (`--geoip`).
    pub origin_asn: Option<u32>,
    /// AS organisation of the origin.
    pub origin_as_org: Option<String>,
    /// Country of the origin (ISO 3166 alpha-2).
    pub origin_country: Option<String>,
    /// Received headers read as hops (rows of `received_hops`).
    pub hop_count: u32,
    /// Received headers without a from clause naming an address (by-only lines,
    /// qmail 'invoked' lines, unparseable).
    pub unparsed_hop_count: u32,
    /// Seconds from the lowest to the topmost hop with a time.
    pub transit_seconds: Option<i64>,
    /// Date header minus the time of the origin hop (or the lowest hop with a time).
    pub date_hop_skew_seconds: Option<i64>,
    /// Header-forensics flags of the chain and the Date header.
    pub anomalies: Anomalies,
}

/// What kind of host the origin is (`messages.origin_kind`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OriginKind {
    /// No relay outside the receiving side (all trusted, or none at all).
    #[default]
    None,
    /// A mail server that handed the message to the receiving side.
    Mta,
    /// A client that submitted the message to the provider (authenticated
    /// SMTP, HTTP(S), MAPI): mail from one customer of the provider to
    /// another.
    Client,
}

impl OriginKind {
    /// `none`, `mta` or `client`, as in the column.
    pub fn as_str(self) -> &'static str {
        match self {
            OriginKind::None => "none",
            OriginKind::Mta => "mta",
            OriginKind::Client => "client",
        }
    }
}

/// Signs of forgery and their score (analyze::forgery).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Forgery {
    /// Each sign, true when present.
    #[serde(flatten)]
    pub signs: ForgerySigns,
    /// Names of the signs present, as in `forgery_score`'s weights.
    pub forgery_signs: Vec<String>,
    /// Sum of the weights of the signs present (0 to 25).
    pub forgery_score: u32,
}

/// spam, ham or unknown (`messages.label`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Label {
    /// Labelled spam.
    Spam,
    /// Labelled ham (not spam).
    Ham,
    /// Not known to be spam or ham.
    #[default]
    Unknown,
}

impl Label {
    /// The label a `label` column value names.
    pub fn parse(s: &str) -> Option<Label> {
        match s {
            "spam" => Some(Label::Spam),
            "ham" => Some(Label::Ham),
            "unknown" => Some(Label::Unknown),
            _ => None,
        }
    }

    /// `spam`, `ham` or `unknown`, as in the `label` column.
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
    /// No source gave a label.
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
    /// From and Return-Path (envelope sender) have different organisational
    /// domains. Weight 1.
    pub from_return_path_mismatch: bool,
    /// A Reply-To address has another organisational domain than From.
    /// Weight 2.
    pub reply_to_mismatch: bool,
    /// The From display name holds an address or domain of another
    /// organisational domain than the From address. Weight 3.
    pub display_name_spoof: bool,
    /// The Message-ID's domain is a real domain unrelated to From, Return-Path,
    /// DKIM d= and the SPF domain. Weight 1.
    pub message_id_domain_mismatch: bool,
    /// spf_result is fail, softfail or permerror. Weight 2.
    pub spf_fail: bool,
    /// dkim_result is fail or permerror. Weight 2.
    pub dkim_fail: bool,
    /// dmarc_result is fail, or dmarc_computed is fail. Weight 3.
    pub dmarc_fail: bool,
    /// SPF passed for a domain not aligned with From. Weight 1.
    pub spf_unaligned: bool,
    /// DKIM passed but no signature is aligned with From. Weight 1.
    pub dkim_unaligned: bool,
    /// hops_time_reversed, private_after_public, origin_helo_is_ip_literal,
    /// origin_helo_rdns_mismatch or origin_helo_forged_provider. Weight 1.
    pub received_anomaly: bool,
    /// A trusted Authentication-Results says `compauth=fail`: Microsoft's
    /// composite authentication judged the From domain not the sender's.
    /// Weight 2.
    pub compauth_fail: bool,
    /// A link's anchor text shows one domain and the link goes to another.
    /// Weight 2.
    pub link_anchor_mismatch: bool,
    /// An http(s) link to an IP address. Weight 1.
    pub link_ip_host: bool,
    /// A link to an internationalised (punycode) host. Weight 1.
    pub link_punycode: bool,
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
    /// spf_domain and the From domain share the organisational domain
    /// (RFC 7489 §3.1.2).
    pub spf_aligned_relaxed: bool,
    /// spf_domain equals the From domain.
    pub spf_aligned_strict: bool,
    /// Some DKIM-Signature d= has the From's organisational domain.
    pub dkim_aligned_relaxed: bool,
    /// Some DKIM-Signature d= is the From domain.
    pub dkim_aligned_strict: bool,
    /// pass / fail / none, recomputed from the trusted SPF and DKIM results and alignment.
    pub dmarc_computed: String,
    /// DKIM-Signature headers.
    pub dkim_signature_count: u32,
    /// Some DKIM-Signature's bh= does not match the body (changed after signing).
    pub dkim_body_hash_mismatch: bool,
    /// Authentication-Results headers written by the receiving side (above the
    /// origin, or a named `--authserv-id`).
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
    /// The origin's HELO names a known provider's relay (`outlook.com`,
    /// `mail-xx.google.com`) but its address is outside that provider's
    /// networks.
    pub origin_helo_forged_provider: bool,
}

/// A mailbox as people write it: `Name <addr>`, or whichever of the two is
/// known; empty when neither is. Index, `show` and attached-message
/// summaries all print a sender this way.
pub fn name_addr(name: Option<&str>, addr: Option<&str>) -> String {
    match (name, addr) {
        (Some(n), Some(a)) => format!("{n} <{a}>"),
        (None, Some(a)) => a.to_string(),
        (Some(n), None) => n.to_string(),
        (None, None) => String::new(),
    }
}
