//! The rows of the child tables, one struct per table: `received_hops`
//! ([`HopRecord`]), `auth_results`, `dkim_signatures` and `attachments`.
//! Field names are the column names (schemas/).

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
    /// AS number of `ip` (`--geoip`).
    pub asn: Option<u32>,
    /// AS organisation of `ip`.
    pub as_org: Option<String>,
    /// Country (ISO 3166 alpha-2) of `ip`.
    pub country: Option<String>,
}

/// One link in a message's text or HTML: one row of `urls`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct UrlRecord {
    /// The message.
    pub msg_key: String,
    /// IMAP part path of the text or HTML part it is in.
    pub part_path: String,
    /// In a part of an attached message.
    pub in_nested_message: bool,
    /// The link as the message gives it (transfer encoding and HTML
    /// entities undone; `www.` links without a scheme as written).
    pub url: String,
    /// Scheme, lowercased (http, https, mailto, …; http for `www.` links).
    pub scheme: Option<String>,
    /// Host, lowercased, in ASCII (punycode for IDN).
    pub host: Option<String>,
    /// Registrable domain of the host (Public Suffix List).
    pub registrable_domain: Option<String>,
    /// Where it was found: a, img, form, area, link, iframe, … (the HTML
    /// element), or text.
    pub source: String,
    /// The text inside an `<a>` element.
    pub anchor_text: Option<String>,
    /// A domain written in the anchor text.
    pub anchor_domain: Option<String>,
    /// The anchor text shows one registrable domain, the link goes to another.
    pub anchor_mismatch: bool,
    /// The host is an IP address.
    pub host_is_ip: bool,
    /// The host in Unicode, when it is an IDN.
    pub host_unicode: Option<String>,
    /// The host in punycode (`xn--`), when it is an IDN.
    pub punycode: Option<String>,
    /// A URL carried inside this one's query (`returnurl=`, a redirector's
    /// `url=` / `q=`), decoded.
    pub redirect_target: Option<String>,
    /// The host is a known URL shortener.
    pub shortener: bool,
}

/// One DMARC aggregate report: one row of `dmarc_reports`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DmarcReportRow {
    /// The report: a hash of its org and report id (the same report
    /// received twice is stored once).
    pub report_key: String,
    /// The message that carried it; None for a report file.
    pub msg_key: Option<String>,
    /// The file it was read from (the message's, or the report file).
    pub source: String,
    /// The MIME part that carried it.
    pub part_path: Option<String>,
    /// The reporting organisation.
    pub org_name: Option<String>,
    /// Its contact address.
    pub org_email: Option<String>,
    /// The report id.
    pub report_id: Option<String>,
    /// Start of the period reported, UTC milliseconds.
    pub begin: Option<i64>,
    /// End of the period reported, UTC milliseconds.
    pub end: Option<i64>,
    /// The report's `<error>`s.
    pub errors: Vec<String>,
    /// The report generator (RFC 9990).
    pub generator: Option<String>,
    /// The report format version, where given.
    pub version: Option<String>,
    /// The published domain.
    pub domain: Option<String>,
    /// Published DKIM alignment mode (r, s).
    pub adkim: Option<String>,
    /// Published SPF alignment mode.
    pub aspf: Option<String>,
    /// Published policy.
    pub p: Option<String>,
    /// Published subdomain policy.
    pub sp: Option<String>,
    /// Published percentage (RFC 7489).
    pub pct: Option<String>,
    /// Published failure-reporting options.
    pub fo: Option<String>,
    /// Published non-existent-subdomain policy (RFC 9990).
    pub np: Option<String>,
    /// Published testing flag (RFC 9990).
    pub testing: Option<String>,
    /// How the policy was found (RFC 9990: psl, treewalk).
    pub discovery_method: Option<String>,
    /// Records in the report.
    pub record_count: u32,
    /// Messages the records count.
    pub message_count: u64,
}

/// One `<record>` of an aggregate report: one row of `dmarc_records`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DmarcRecordRow {
    /// The report.
    pub report_key: String,
    /// Position in the report, from 0.
    pub index: u32,
    /// The sending address.
    pub source_ip: Option<String>,
    /// Its network: the /24 (IPv4) or /48 (IPv6), as CIDR.
    pub source_net: Option<String>,
    /// Messages from it.
    pub count: u64,
    /// What the receiver did: none, quarantine, reject.
    pub disposition: Option<String>,
    /// DKIM as DMARC evaluated it (aligned pass or fail).
    pub dkim: Option<String>,
    /// SPF as DMARC evaluated it.
    pub spf: Option<String>,
    /// Policy override reasons (`type: comment`).
    pub override_reasons: Vec<String>,
    /// The From domain.
    pub header_from: Option<String>,
    /// The envelope sender domain.
    pub envelope_from: Option<String>,
    /// The envelope recipient domain.
    pub envelope_to: Option<String>,
    /// AS number of `source_ip` (`--geoip`).
    pub asn: Option<u32>,
    /// AS organisation of `source_ip`.
    pub as_org: Option<String>,
    /// Country of `source_ip`.
    pub country: Option<String>,
}

/// One DKIM or SPF result of a record: one row of `dmarc_record_auth`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DmarcAuthRow {
    /// The report.
    pub report_key: String,
    /// The record's position in the report.
    pub record_index: u32,
    /// dkim or spf.
    pub method: String,
    /// The domain checked.
    pub domain: Option<String>,
    /// The DKIM selector.
    pub selector: Option<String>,
    /// The SPF scope (mfrom, helo).
    pub scope: Option<String>,
    /// The result, lowercased.
    pub result: Option<String>,
}

/// One policy of an SMTP TLS report (RFC 8460): one row of
/// `smtp_tls_reports`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SmtpTlsPolicyRow {
    /// The report: a hash of its organisation and report id.
    pub report_key: String,
    /// Position of the policy in the report.
    pub policy_index: u32,
    /// The message that carried it; None for a report file.
    pub msg_key: Option<String>,
    /// The file it was read from.
    pub source: String,
    /// The reporting organisation.
    pub org_name: Option<String>,
    /// The report id.
    pub report_id: Option<String>,
    /// The reporter's contact.
    pub contact: Option<String>,
    /// Start of the period, UTC milliseconds.
    pub begin: Option<i64>,
    /// End of the period, UTC milliseconds.
    pub end: Option<i64>,
    /// sts, tlsa or no-policy-found.
    pub policy_type: Option<String>,
    /// The domain whose policy was applied.
    pub policy_domain: Option<String>,
    /// The policy as the reporter saw it.
    pub policy_strings: Vec<String>,
    /// The MX host patterns of the policy.
    pub mx_hosts: Vec<String>,
    /// Sessions that negotiated TLS as the policy asks.
    pub successful_sessions: u64,
    /// Sessions that failed.
    pub failed_sessions: u64,
}

/// One failure detail of an SMTP TLS report: one row of `smtp_tls_failures`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SmtpTlsFailureRow {
    /// The report.
    pub report_key: String,
    /// The policy it belongs to.
    pub policy_index: u32,
    /// What went wrong (certificate-expired, starttls-not-supported, …).
    pub result_type: Option<String>,
    /// The sending MTA.
    pub sending_mta_ip: Option<String>,
    /// The receiving MX.
    pub receiving_mx_hostname: Option<String>,
    /// Its HELO.
    pub receiving_mx_helo: Option<String>,
    /// Its address.
    pub receiving_ip: Option<String>,
    /// Sessions that failed this way.
    pub failed_sessions: u64,
    /// More about it.
    pub additional_information: Option<String>,
    /// The reporter's failure code.
    pub failure_reason_code: Option<String>,
}

/// One DMARC failure report (an ARF `message/feedback-report` part): one
/// row of `dmarc_failures`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DmarcFailureRow {
    /// The message that carried it.
    pub msg_key: Option<String>,
    /// The feedback-report part.
    pub part_path: Option<String>,
    /// Feedback-Type (auth-failure for DMARC).
    pub feedback_type: Option<String>,
    /// User-Agent of the reporter.
    pub user_agent: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Original-Envelope-Id.
    pub original_envelope_id: Option<String>,
    /// Original-Mail-From, as written.
    pub original_mail_from: Option<String>,
    /// Original-Rcpt-To.
    pub original_rcpt_to: Option<String>,
    /// Arrival-Date, UTC milliseconds.
    pub arrival_date: Option<i64>,
    /// Source-IP.
    pub source_ip: Option<String>,
    /// Reported-Domain, lowercased.
    pub reported_domain: Option<String>,
    /// The reporter's Authentication-Results.
    pub authentication_results: Option<String>,
    /// Auth-Failure (dmarc, dkim, spf, …).
    pub auth_failure: Option<String>,
    /// Delivery-Result (delivered, spam, policy, reject, other).
    pub delivery_result: Option<String>,
    /// DKIM-Domain.
    pub dkim_domain: Option<String>,
    /// DKIM-Selector.
    pub dkim_selector: Option<String>,
    /// Identity-Alignment.
    pub identity_alignment: Option<String>,
    /// The failing message the report carries (message/rfc822 or
    /// text/rfc822-headers), analysed as any message: its key.
    pub sample_key: Option<String>,
    /// Its From address.
    pub sample_from: Option<String>,
    /// Its Subject.
    pub sample_subject: Option<String>,
    /// Its origin, as mailidx reads its Received chain.
    pub sample_origin_ip: Option<String>,
    /// Its SPF verdict (from the reporter's trusted Authentication-Results).
    pub sample_spf: Option<String>,
    /// Its DKIM verdict.
    pub sample_dkim: Option<String>,
    /// Its DMARC verdict, recomputed by mailidx.
    pub sample_dmarc_computed: Option<String>,
    /// Its forgery score.
    pub sample_forgery_score: Option<u32>,
    /// The sample's bytes until it is analysed; not a column.
    #[serde(skip)]
    pub sample: Vec<u8>,
}

/// One header field: one row of `headers`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct HeaderRecord {
    /// The message.
    pub msg_key: String,
    /// Position among the message's header fields, 0 = topmost.
    pub index: u32,
    /// The field name, lowercased.
    pub name: String,
    /// The value unfolded and RFC 2047 decoded, trimmed.
    pub value: String,
    /// The value unfolded, as written; None when it equals `value`.
    pub raw: Option<String>,
}

/// One row of `ip_info`: what one IP database said about one address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct IpInfoRecord {
    /// The address looked up.
    pub ip: String,
    /// The database's type (GeoLite2-ASN, GeoIP2-City, …).
    pub database_type: String,
    /// When the database was built (seconds since the epoch).
    pub build_epoch: u64,
    /// Autonomous system number.
    pub asn: Option<u32>,
    /// Autonomous system organisation.
    pub as_org: Option<String>,
    /// Country, ISO 3166 alpha-2.
    pub country: Option<String>,
    /// City, English name.
    pub city: Option<String>,
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

/// Milliseconds since the epoch as an RFC 3339 UTC string (null when absent).
pub fn ms_as_rfc3339<S: serde::Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match ms.and_then(chrono::DateTime::from_timestamp_millis) {
        Some(t) => s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        None => s.serialize_none(),
    }
}
