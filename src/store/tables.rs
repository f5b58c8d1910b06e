//! The Parquet table contracts: for each table, its columns (name, type,
//! nullability, meaning) as data. schemas/NAME.json is generated from
//! [`TableSpec`] and checked by `tests/it/schemas.rs`; [`super::frames`]
//! turns records into DataFrames with exactly these columns.

use polars::prelude::*;
use serde::Serialize;


/// Column types, named as in schemas/*.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ColType {
    /// UTF-8 text.
    #[serde(rename = "string")]
    Str,
    /// Unsigned 64-bit integer.
    #[serde(rename = "uint64")]
    U64,
    /// Unsigned 32-bit integer.
    #[serde(rename = "uint32")]
    U32,
    /// Signed 64-bit integer.
    #[serde(rename = "int64")]
    I64,
    /// Boolean.
    #[serde(rename = "bool")]
    Bool,
    /// Milliseconds since the epoch, UTC.
    #[serde(rename = "timestamp[ms, UTC]")]
    Timestamp,
    /// List of UTF-8 strings.
    #[serde(rename = "list<string>")]
    ListStr,
    /// 64-bit float.
    #[serde(rename = "float64")]
    F64,
    /// Calendar day (UTC).
    #[serde(rename = "date")]
    Date,
}

impl ColType {
    /// The polars type a column of this kind has when read back.
    pub fn polars_dtype(self) -> DataType {
        match self {
            ColType::Str => DataType::String,
            ColType::U64 => DataType::UInt64,
            ColType::U32 => DataType::UInt32,
            ColType::I64 => DataType::Int64,
            ColType::Bool => DataType::Boolean,
            ColType::Timestamp => DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)),
            ColType::ListStr => DataType::List(Box::new(DataType::String)),
            ColType::F64 => DataType::Float64,
            ColType::Date => DataType::Date,
        }
    }
}

/// One column of a table contract.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnSpec {
    /// Column name, as in the Parquet files and the schema file.
    pub name: &'static str,
    /// The column's type (`type` in the schema file).
    #[serde(rename = "type")]
    pub col_type: ColType,
    /// Whether the column may hold nulls.
    pub nullable: bool,
    /// What the value means.
    pub description: &'static str,
}

/// One table's contract: its name, meaning and columns (schemas/NAME.json).
#[derive(Debug, Clone, Serialize)]
pub struct TableSpec {
    /// Table name: the folder of its part files and the schema file's name.
    pub table: &'static str,
    /// What the table holds.
    pub description: &'static str,
    /// What one row stands for.
    pub one_row_per: &'static str,
    /// The columns, in order.
    pub columns: &'static [ColumnSpec],
}

const fn col(name: &'static str, col_type: ColType, nullable: bool, description: &'static str) -> ColumnSpec {
    ColumnSpec { name, col_type, nullable, description }
}

use ColType::*;

pub(crate) const MESSAGES: TableSpec = TableSpec {
    table: "messages",
    description: "Every message mailidx ingested, decoded. msg_key joins every other table.",
    one_row_per: "unique message (same raw bytes = same message)",
    columns: &[
        col("msg_key", Str, false, "First 64 bits of the BLAKE3 hash of the message bytes (mbox quoting undone), 16 hex digits; for a message with a Message-ID, the delivery trace fields (Received, Return-Path, Delivered-To, X-Original-To) are left out of the hash, so copies delivered by different routes are one message"),
        col("message_id", Str, true, "Message-ID without angle brackets"),
        col("source_path", Str, false, "Absolute path of the file holding the message"),
        col("source_offset", U64, false, "Byte offset of the message in the file (decompressed stream for .gz/.zst)"),
        col("source_length", U64, false, "Length in bytes of the message as stored"),
        col("source_kind", Str, false, "maildir, mbox, mbox.gz, mbox.zst or eml"),
        col("folder", Str, false, "Mail folder relative to the ingested path (Maildir folder, mbox file name without extension)"),
        col("maildir_flags", Str, false, "Maildir flags after :2, (empty for other kinds)"),
        col("date", Timestamp, true, "Date header in UTC; null when missing or unparseable"),
        col("from_addr", Str, true, "First From address (domain lowercased)"),
        col("from_name", Str, true, "Display name of the first From address, RFC 2047 decoded"),
        col("from_domain", Str, true, "Domain of from_addr, lowercased"),
        col("sender_addr", Str, true, "Sender address"),
        col("reply_to", ListStr, false, "Reply-To addresses"),
        col("return_path", Str, true, "Return-Path address (envelope sender) without angle brackets"),
        col("to_addrs", ListStr, false, "To addresses, groups flattened"),
        col("cc_addrs", ListStr, false, "Cc addresses"),
        col("bcc_addrs", ListStr, false, "Bcc addresses"),
        col("subject", Str, true, "Subject, RFC 2047 decoded"),
        col("in_reply_to", ListStr, false, "In-Reply-To message ids"),
        col("references", ListStr, false, "References message ids, oldest first"),
        col("thread_id", Str, false, "The thread (joins threads): 16 hex digits of BLAKE3 of the thread root's Message-ID; threads are linked by References and In-Reply-To as notmuch links them, over the whole archive, after every ingest"),
        col("parent_key", Str, true, "The parent message's msg_key in the thread tree; `<Message-ID>` when the parent is not in the archive (a ghost); null at the top"),
        col("depth", U32, false, "Messages and ghosts above this one in the thread tree (0 at the top)"),
        col("body_chars", U64, false, "Characters of the searchable text: every text/* part (the plain version of an alternative, HTML as text), text attachments and the text of attached messages"),
        col("size", U64, false, "Size in bytes of the message (after mbox unquoting)"),
        col("header_size", U64, false, "Size in bytes of the header section"),
        col("attachment_count", U32, false, "Rows of the attachments table for this message (attachments and inline non-text leaf parts)"),
        col("attachment_names", ListStr, false, "Decoded attachment file names (RFC 2231 and RFC 2047)"),
        col("mime_types", ListStr, false, "Distinct MIME types of the leaf parts"),
        col("part_count", U32, false, "Leaf MIME parts, counting those inside attached messages"),
        col("nested_message_count", U32, false, "Attached messages (message/rfc822 parts) at any depth"),
        col("text_bytes", U64, false, "Decoded bytes of the text/* parts other than text/html (after Base64/QP, before charset decoding)"),
        col("html_bytes", U64, false, "Decoded bytes of the text/html parts"),
        col("charsets", ListStr, false, "Declared charsets of the text parts, lowercased, distinct, in part order"),
        col("smime_signed", Bool, false, "S/MIME signed: multipart/signed with application/pkcs7-signature, or a pkcs7-signature part"),
        col("smime_encrypted", Bool, false, "S/MIME encrypted: an application/pkcs7-mime part (enveloped-data)"),
        col("pgp_signed", Bool, false, "PGP signed: multipart/signed with application/pgp-signature, or inline BEGIN PGP SIGNED MESSAGE"),
        col("pgp_encrypted", Bool, false, "PGP encrypted: multipart/encrypted with application/pgp-encrypted, or inline BEGIN PGP MESSAGE"),
        col("has_tnef", Bool, false, "Carries a TNEF (winmail.dat, application/ms-tnef) part"),
        col("label", Str, false, "spam, ham or unknown"),
        col("label_source", Str, false, "Where the label came from: user (--label), folder (Spam, Junk, *_ham, … and --spam-folder/--ham-folder), header:NAME (x-gmail-labels: a Takeout Spam label, or --spam-tag, is spam and any other Takeout message ham; x-folder: an export's folder that is a spam folder; X-Spam-Flag, X-Spam-Status, X-Spam-Score, Microsoft SCL, written above the origin or the receiver's own, such as X-MS-Exchange-Organization-SCL), or none"),
        col("tags", ListStr, false, "Labels a provider's export gave the message: Google Takeout's X-Gmail-Labels (Inbox, Spam, Trash, Important, Sent, Category …, the user's own labels; only among the first 3 header fields, where Takeout writes it) and an export's X-Folder"),
        col("gmail_thread_id", Str, true, "Gmail's thread id (Takeout's X-GM-THRID, among the first 3 header fields)"),
        col("parse_ok", Bool, false, "false when no header could be parsed (empty file, not a message)"),
        col("warnings", ListStr, false, "What was wrong with the message (unparseable date, undecodable part, …)"),
        col("receiver", Str, true, "The receiving side's profile (microsoft365, google, yahoo, …; receivers/*.toml): detected from the by hosts at the top of the Received chain, or named with --receiver; null when none"),
        col("receiver_gateway", Str, true, "The filtering gateway (mimecast, proofpoint, barracuda, cisco) the trust walk passed through, if any"),
        col("origin_kind", Str, false, "mta (a server handed the message to the receiving side), client (a client submitted it to the receiving provider: provider-to-provider mail) or none (no relay outside the receiving side)"),
        col("origin_ip", Str, true, "IP of the origin: the first Received hop from the top that the receiving side does not vouch for (not private/loopback/link-local, not authenticated, not in --trusted-network or the config's networks, not in the receiver's or a gateway's published networks)"),
        col("origin_rdns", Str, true, "rDNS name of the origin hop as the receiving MTA wrote it; null where the receiver writes only the HELO (Exchange Online) and for a client whose session names the provider's own server"),
        col("origin_helo", Str, true, "HELO/EHLO name the origin gave"),
        col("origin_net", Str, true, "The origin's /24 (IPv4) or /48 (IPv6) network, CIDR; null for a private or link-local origin (a mailbox server's own MAPI session)"),
        col("origin_rdns_org", Str, true, "Organisational domain of origin_rdns (Public Suffix List)"),
        col("origin_asn", U32, true, "AS number of origin_ip (--geoip; search asn:N)"),
        col("origin_as_org", Str, true, "AS organisation of origin_ip (--geoip)"),
        col("origin_country", Str, true, "Country of origin_ip, ISO 3166 alpha-2 (--geoip; search country:gb)"),
        col("hop_count", U32, false, "Received headers"),
        col("unparsed_hop_count", U32, false, "Received headers without a from clause naming an address (by-only lines, qmail 'invoked' lines, unparseable)"),
        col("transit_seconds", I64, true, "Topmost hop time minus lowest hop time"),
        col("date_hop_skew_seconds", I64, true, "Date header minus the origin hop's time (or the lowest hop's)"),
        col("hops_time_reversed", Bool, false, "Some hop's time is more than 60 s before the hop below it"),
        col("date_far_from_hops", Bool, false, "|date_hop_skew_seconds| > 3 hours"),
        col("origin_helo_is_ip_literal", Bool, false, "The origin's HELO is an address literal or a bare IP"),
        col("origin_helo_rdns_mismatch", Bool, false, "The origin's HELO and rDNS are both known and differ in their last two labels"),
        col("origin_rdns_missing", Bool, false, "The origin has no rDNS name (unknown or none written)"),
        col("origin_rdns_dynamic", Bool, false, "The origin's rDNS embeds its IP or names consumer space (dyn, dsl, pool, dhcp, cable, …)"),
        col("private_after_public", Bool, false, "Below the origin, a hop claims a private IP after a public one in transit order"),
        col("origin_helo_forged_provider", Bool, false, "The origin's HELO names a known provider's relay (outlook.com, mail-xx.google.com, …) but its address is outside that provider's networks"),
        col("spf_result", Str, true, "SPF result of the topmost trusted Authentication-Results (else a trusted Received-SPF)"),
        col("dkim_result", Str, true, "DKIM result of the trusted Authentication-Results: pass if any signature passed, else the first"),
        col("dmarc_result", Str, true, "DMARC result of the topmost trusted Authentication-Results"),
        col("arc_result", Str, true, "ARC result of the trusted Authentication-Results, else cv= of the highest ARC-Seal"),
        col("from_org_domain", Str, true, "Organisational domain of from_domain (Public Suffix List)"),
        col("spf_domain", Str, true, "Domain SPF checked: smtp.mailfrom of the trusted SPF result, else the Return-Path domain"),
        col("spf_aligned_relaxed", Bool, false, "spf_domain and from_domain share the organisational domain (RFC 7489 §3.1.2)"),
        col("spf_aligned_strict", Bool, false, "spf_domain equals from_domain"),
        col("dkim_aligned_relaxed", Bool, false, "Some DKIM-Signature d= has the From's organisational domain (RFC 7489 §3.1.1)"),
        col("dkim_aligned_strict", Bool, false, "Some DKIM-Signature d= equals from_domain"),
        col("dmarc_computed", Str, false, "pass (an aligned SPF or DKIM pass in the trusted results), fail, or none (no From domain or no trusted SPF/DKIM result)"),
        col("dkim_signature_count", U32, false, "DKIM-Signature headers"),
        col("dkim_body_hash_mismatch", Bool, false, "Some DKIM-Signature's bh= does not match the body as stored (changed after signing)"),
        col("auth_results_trusted", U32, false, "Authentication-Results headers written by the receiving side (above the origin, or a named --authserv-id)"),
        col("auth_results_untrusted", U32, false, "Authentication-Results headers below the origin: data, not verdicts (a sender can forge them)"),
        col("from_return_path_mismatch", Bool, false, "From and Return-Path (envelope sender) have different organisational domains. Weight 1"),
        col("reply_to_mismatch", Bool, false, "A Reply-To address has another organisational domain than From. Weight 2"),
        col("display_name_spoof", Bool, false, "The From display name holds an address or domain of another organisational domain than the From address. Weight 3"),
        col("message_id_domain_mismatch", Bool, false, "The Message-ID's domain is a real domain unrelated to From, Return-Path, DKIM d= and the SPF domain. Weight 1"),
        col("spf_fail", Bool, false, "spf_result is fail, softfail or permerror. Weight 2"),
        col("dkim_fail", Bool, false, "dkim_result is fail or permerror. Weight 2"),
        col("dmarc_fail", Bool, false, "dmarc_result is fail, or dmarc_computed is fail. Weight 3"),
        col("spf_unaligned", Bool, false, "SPF passed for a domain not aligned with From. Weight 1"),
        col("dkim_unaligned", Bool, false, "DKIM passed but no signature is aligned with From. Weight 1"),
        col("received_anomaly", Bool, false, "hops_time_reversed, private_after_public, origin_helo_is_ip_literal, origin_helo_rdns_mismatch or origin_helo_forged_provider. Weight 1"),
        col("compauth_fail", Bool, false, "A trusted Authentication-Results says compauth=fail (Microsoft's composite authentication: the From domain is not the sender's). Weight 2"),
        col("link_anchor_mismatch", Bool, false, "A link's anchor text shows one registrable domain and the link goes to another (urls.anchor_mismatch). Weight 2"),
        col("link_ip_host", Bool, false, "An http(s) link to an IP address (urls.host_is_ip). Weight 1"),
        col("link_punycode", Bool, false, "A link to an internationalised, punycode host (urls.punycode). Weight 1"),
        col("forgery_signs", ListStr, false, "Names of the signs present (the columns above, plus dkim_body_hash_mismatch and date_far_from_hops, weight 1 each)"),
        col("forgery_score", U32, false, "Sum of the weights of forgery_signs (0 to 25)"),
    ],
};

pub(crate) const AUTH_RESULTS: TableSpec = TableSpec {
    table: "auth_results",
    description: "Every result inside Authentication-Results (RFC 8601), ARC-Authentication-Results, Received-SPF (RFC 7208 §9.1), and every ARC-Seal / ARC-Message-Signature (RFC 8617).",
    one_row_per: "method result (or ARC header)",
    columns: &[
        col("msg_key", Str, false, "The message (joins messages)"),
        col("header_kind", Str, false, "authentication-results, arc-authentication-results, received-spf, arc-seal or arc-message-signature"),
        col("header_index", U32, false, "Index among headers of its kind, 0 = topmost"),
        col("arc_instance", U32, true, "ARC instance i="),
        col("trusted", Bool, false, "Written by the receiving side: above the origin hop, or a --authserv-id the user named"),
        col("authserv_id", Str, true, "authserv-id, lowercased (null when the header starts with a result, as Exchange Online writes)"),
        col("method", Str, false, "spf, dkim, dmarc, arc, compauth, …; arc-seal / arc-message-signature for those headers; none for a header with no result"),
        col("method_version", Str, true, "method/version"),
        col("result", Str, false, "pass, fail, softfail, neutral, none, temperror, permerror, …; cv= for an ARC-Seal"),
        col("reason", Str, true, "reason="),
        col("comment", Str, true, "The first comment after the result"),
        col("properties", ListStr, false, "ptype.property=value as written (key=value without a ptype, e.g. action=none)"),
        col("smtp_mailfrom", Str, true, "smtp.mailfrom (envelope-from for Received-SPF)"),
        col("smtp_helo", Str, true, "smtp.helo (helo for Received-SPF)"),
        col("header_from", Str, true, "header.from"),
        col("header_d", Str, true, "header.d"),
        col("header_i", Str, true, "header.i"),
        col("header_s", Str, true, "header.s"),
        col("unparsed", ListStr, false, "Text of the header that could not be read as part of a result"),
    ],
};

pub(crate) const DKIM_SIGNATURES: TableSpec = TableSpec {
    table: "dkim_signatures",
    description: "Every DKIM-Signature (RFC 6376 §3.5), its tags, and the offline body-hash check.",
    one_row_per: "DKIM-Signature header",
    columns: &[
        col("msg_key", Str, false, "The message (joins messages)"),
        col("sig_index", U32, false, "Index among DKIM-Signature headers, 0 = topmost"),
        col("v", Str, true, "v="),
        col("a", Str, true, "a= (rsa-sha256, rsa-sha1, ed25519-sha256)"),
        col("c_header", Str, false, "Header canonicalisation (simple when c= is absent)"),
        col("c_body", Str, false, "Body canonicalisation"),
        col("d", Str, true, "Signing domain, lowercased"),
        col("s", Str, true, "Selector"),
        col("i", Str, true, "Agent or user identifier"),
        col("l", U64, true, "Body length limit"),
        col("t", I64, true, "Signature time (Unix seconds)"),
        col("x", I64, true, "Expiry (Unix seconds)"),
        col("h", ListStr, false, "Signed header fields"),
        col("bh", Str, true, "Body hash, base64"),
        col("b", Str, true, "Signature, base64, kept raw"),
        col("body_hash_computed", Str, true, "Body hash mailidx computed (base64)"),
        col("body_hash_ok", Bool, true, "body_hash_computed equals bh= (null: unknown algorithm)"),
        col("signature_ok", Bool, true, "b= verified with a public key (null: no key given; offline)"),
        col("aligned_relaxed", Bool, false, "d= has the From's organisational domain"),
        col("aligned_strict", Bool, false, "d= equals the From domain"),
        col("problems", ListStr, false, "Missing or malformed tags"),
    ],
};

pub(crate) const RECEIVED_HOPS: TableSpec = TableSpec {
    table: "received_hops",
    description: "Every Received header of every message, read as a hop (RFC 5321 §4.4). hop_index 0 is the topmost header, written last, by the recipient's side.",
    one_row_per: "Received header",
    columns: &[
        col("msg_key", Str, false, "The message (joins messages)"),
        col("hop_index", U32, false, "Position in header order, 0 = topmost (last hop)"),
        col("raw", Str, false, "The header value, unfolded"),
        col("parsed", Bool, false, "A from clause naming an address was found"),
        col("helo", Str, true, "HELO/EHLO name the sending host gave ([1.2.3.4] for an address literal)"),
        col("rdns", Str, true, "Reverse-DNS name the receiving host wrote (none for unknown, and none for hops written by a receiver that writes only the HELO, such as Exchange Online: see receivers/)"),
        col("ip", Str, true, "Address of the sending host"),
        col("ip_class", Str, true, "public, private, loopback, link-local, documentation or reserved"),
        col("by_host", Str, true, "The receiving host"),
        col("via", Str, true, "The via clause"),
        col("protocol", Str, true, "The with clause: SMTP, ESMTP, ESMTPS, ESMTPSA, LMTP, HTTP, …"),
        col("tls_version", Str, true, "TLS version where the header gives it"),
        col("tls_cipher", Str, true, "TLS cipher where the header gives it"),
        col("authenticated", Bool, false, "Authenticated submission (ESMTPA/ESMTPSA, (authenticated …), Authenticated sender:, AUTH:, Exchange HTTPS)"),
        col("queue_id", Str, true, "The id clause"),
        col("envelope_for", Str, true, "The for clause (envelope recipient)"),
        col("envelope_from", Str, true, "envelope-from / envelope-sender where given"),
        col("ident", Str, true, "RFC 1413 ident user (user@host before the address)"),
        col("timestamp", Timestamp, true, "Time after the last ';', UTC"),
        col("delay_seconds", I64, true, "This hop's time minus the time of the hop below it"),
        col("trusted", Bool, false, "A relay the receiving side vouches for (private/loopback/link-local IP, authenticated, or --trusted-network)"),
        col("is_origin", Bool, false, "The message's origin hop"),
        col("helo_is_ip_literal", Bool, false, "HELO is an address literal or bare IP"),
        col("helo_rdns_mismatch", Bool, false, "HELO and rDNS both known and differ in their last two labels"),
        col("rdns_missing", Bool, false, "A from clause without an rDNS name"),
        col("rdns_dynamic", Bool, false, "rDNS embeds the IP or names consumer space"),
        col("time_reversed", Bool, false, "delay_seconds < -60"),
        col("asn", U32, true, "AS number of ip, from the IP databases given with --geoip (null without one, or when none holds the address; private and reserved addresses are never looked up)"),
        col("as_org", Str, true, "AS organisation of ip (--geoip)"),
        col("country", Str, true, "Country of ip, ISO 3166 alpha-2 (--geoip)"),
    ],
};

pub(crate) const DMARC_REPORTS: TableSpec = TableSpec {
    table: "dmarc_reports",
    description: "DMARC aggregate reports (RFC 7489, the draft schema, RFC 9990) found attached to messages, as their body, or given as files, in XML, gzip or zip. A report received in several carriers (org and report id the same) has a row for each carrier and its records once.",
    one_row_per: "aggregate report and carrier (message or file)",
    columns: &[
        col("report_key", Str, false, "The report: a hash of its org name and report id (joins dmarc_records, dmarc_record_auth)"),
        col("msg_key", Str, true, "The message that carried it (joins messages)"),
        col("source", Str, false, "The file it was read from"),
        col("part_path", Str, true, "The MIME part that carried it"),
        col("org_name", Str, true, "The reporting organisation (the reporter's address domain when the report leaves it empty)"),
        col("org_email", Str, true, "The reporter's contact address"),
        col("report_id", Str, true, "The report id"),
        col("begin", Timestamp, true, "Start of the period reported (null unless seconds since the epoch between 1970 and 2200)"),
        col("end", Timestamp, true, "End of the period reported (same)"),
        col("errors", ListStr, false, "The report's <error> elements"),
        col("generator", Str, true, "The report generator (RFC 9990)"),
        col("version", Str, true, "The report format version, where given"),
        col("domain", Str, true, "The published domain, lowercased, without a trailing dot"),
        col("adkim", Str, true, "Published DKIM alignment (r or s; r when absent, RFC 7489 §6.3)"),
        col("aspf", Str, true, "Published SPF alignment (r or s; r when absent)"),
        col("p", Str, true, "Published policy: none, quarantine, reject"),
        col("sp", Str, true, "Published subdomain policy (p when absent)"),
        col("pct", Str, true, "Published percentage (RFC 7489)"),
        col("fo", Str, true, "Published failure-reporting options"),
        col("np", Str, true, "Published non-existent-subdomain policy (RFC 9990)"),
        col("testing", Str, true, "Published testing flag (RFC 9990)"),
        col("discovery_method", Str, true, "How the policy was found (RFC 9990: psl, treewalk)"),
        col("record_count", U32, false, "Records in the report"),
        col("message_count", U64, false, "Messages the records count"),
    ],
};

pub(crate) const DMARC_RECORDS: TableSpec = TableSpec {
    table: "dmarc_records",
    description: "The <record>s of DMARC aggregate reports: who sent as the published domain, from where, how often, and how it fared.",
    one_row_per: "report record",
    columns: &[
        col("report_key", Str, false, "The report (joins dmarc_reports)"),
        col("index", U32, false, "Position in the report, from 0"),
        col("source_ip", Str, true, "The sending address"),
        col("source_net", Str, true, "Its network: the /24 (IPv4) or /48 (IPv6), as CIDR"),
        col("count", U64, false, "Messages from it"),
        col("disposition", Str, true, "What the receiver did: none, quarantine, reject"),
        col("dkim", Str, true, "DKIM as DMARC evaluated it: pass (aligned) or fail"),
        col("spf", Str, true, "SPF as DMARC evaluated it: pass (aligned) or fail"),
        col("override_reasons", ListStr, false, "Policy override reasons, as `type: comment`"),
        col("header_from", Str, true, "The From domain"),
        col("envelope_from", Str, true, "The envelope sender domain"),
        col("envelope_to", Str, true, "The envelope recipient domain"),
        col("asn", U32, true, "AS number of source_ip (--geoip)"),
        col("as_org", Str, true, "AS organisation of source_ip (--geoip)"),
        col("country", Str, true, "Country of source_ip, ISO 3166 alpha-2 (--geoip)"),
    ],
};

pub(crate) const DMARC_RECORD_AUTH: TableSpec = TableSpec {
    table: "dmarc_record_auth",
    description: "Each DKIM and SPF result of a DMARC aggregate report record.",
    one_row_per: "DKIM or SPF result",
    columns: &[
        col("report_key", Str, false, "The report (joins dmarc_reports)"),
        col("record_index", U32, false, "The record's position in the report (joins dmarc_records.index)"),
        col("method", Str, false, "dkim or spf"),
        col("domain", Str, true, "The domain checked"),
        col("selector", Str, true, "The DKIM selector"),
        col("scope", Str, true, "The SPF scope (mfrom, helo)"),
        col("result", Str, true, "The result, lowercased"),
    ],
};

pub(crate) const DMARC_FAILURES: TableSpec = TableSpec {
    table: "dmarc_failures",
    description: "DMARC failure reports (RUF): the message/feedback-report part of ARF messages (RFC 5965, RFC 6591). The failing message's copy stays an attached message of the carrying message.",
    one_row_per: "feedback-report part",
    columns: &[
        col("msg_key", Str, true, "The message that carried it (joins messages)"),
        col("part_path", Str, true, "The feedback-report part"),
        col("feedback_type", Str, true, "Feedback-Type, lowercased (auth-failure for DMARC)"),
        col("user_agent", Str, true, "User-Agent of the reporter"),
        col("version", Str, true, "Version"),
        col("original_envelope_id", Str, true, "Original-Envelope-Id"),
        col("original_mail_from", Str, true, "Original-Mail-From, as written"),
        col("original_rcpt_to", Str, true, "Original-Rcpt-To"),
        col("arrival_date", Timestamp, true, "Arrival-Date"),
        col("source_ip", Str, true, "Source-IP"),
        col("reported_domain", Str, true, "Reported-Domain, lowercased"),
        col("authentication_results", Str, true, "The reporter's Authentication-Results"),
        col("auth_failure", Str, true, "Auth-Failure, lowercased (dmarc, dkim, spf, adsp, bodyhash, revoked, signature)"),
        col("delivery_result", Str, true, "Delivery-Result, lowercased (delivered, spam, policy, reject, other)"),
        col("dkim_domain", Str, true, "DKIM-Domain"),
        col("dkim_selector", Str, true, "DKIM-Selector"),
        col("identity_alignment", Str, true, "Identity-Alignment"),
        col("sample_key", Str, true, "The failing message the report carries (message/rfc822 or text/rfc822-headers), analysed as any message: its key"),
        col("sample_from", Str, true, "Its From address"),
        col("sample_subject", Str, true, "Its Subject"),
        col("sample_origin_ip", Str, true, "Its origin, as mailidx reads its Received chain"),
        col("sample_spf", Str, true, "Its SPF verdict (from the reporter's trusted Authentication-Results)"),
        col("sample_dkim", Str, true, "Its DKIM verdict"),
        col("sample_dmarc_computed", Str, true, "Its DMARC verdict recomputed by mailidx (pass, fail, none)"),
        col("sample_forgery_score", U32, true, "Its forgery score"),
    ],
};

pub(crate) const SMTP_TLS_REPORTS: TableSpec = TableSpec {
    table: "smtp_tls_reports",
    description: "SMTP TLS reports (RFC 8460, JSON, plain or gzipped) found in the mail or given as files: one row per policy a report evaluated. The same report (organisation and report id) is stored once.",
    one_row_per: "report policy",
    columns: &[
        col("report_key", Str, false, "The report: a hash of its organisation and report id (joins smtp_tls_failures)"),
        col("policy_index", U32, false, "Position of the policy in the report"),
        col("msg_key", Str, true, "The message that carried it (joins messages)"),
        col("source", Str, false, "The file it was read from"),
        col("org_name", Str, true, "The reporting organisation"),
        col("report_id", Str, true, "The report id"),
        col("contact", Str, true, "The reporter's contact"),
        col("begin", Timestamp, true, "Start of the period reported"),
        col("end", Timestamp, true, "End of the period reported"),
        col("policy_type", Str, true, "sts, tlsa or no-policy-found"),
        col("policy_domain", Str, true, "The domain whose policy was applied"),
        col("policy_strings", ListStr, false, "The policy as the reporter saw it"),
        col("mx_hosts", ListStr, false, "The policy's MX host patterns"),
        col("successful_sessions", U64, false, "Sessions that negotiated TLS as the policy asks"),
        col("failed_sessions", U64, false, "Sessions that failed"),
    ],
};

pub(crate) const SMTP_TLS_FAILURES: TableSpec = TableSpec {
    table: "smtp_tls_failures",
    description: "The failure details of SMTP TLS reports.",
    one_row_per: "failure detail",
    columns: &[
        col("report_key", Str, false, "The report (joins smtp_tls_reports)"),
        col("policy_index", U32, false, "The policy it belongs to"),
        col("result_type", Str, true, "What went wrong: certificate-expired, starttls-not-supported, validation-failure, sts-policy-fetch-error, …"),
        col("sending_mta_ip", Str, true, "The sending MTA"),
        col("receiving_mx_hostname", Str, true, "The receiving MX"),
        col("receiving_mx_helo", Str, true, "Its HELO"),
        col("receiving_ip", Str, true, "Its address"),
        col("failed_sessions", U64, false, "Sessions that failed this way"),
        col("additional_information", Str, true, "More about it (a URI)"),
        col("failure_reason_code", Str, true, "The reporter's failure code"),
    ],
};

pub(crate) const URLS: TableSpec = TableSpec {
    table: "urls",
    description: "Every link in the text and HTML parts of every message (and of attached messages, marked): where the body really points.",
    one_row_per: "link (distinct per part, URL and source), at most 2,000 per message",
    columns: &[
        col("msg_key", Str, false, "The message (joins messages)"),
        col("part_path", Str, false, "IMAP part path of the text or HTML part it is in"),
        col("in_nested_message", Bool, false, "In a part of an attached message"),
        col("url", Str, false, "The link as the message gives it: transfer encoding and HTML entities undone, relative links resolved against <base href>; www. links without a scheme as written"),
        col("scheme", Str, true, "Scheme, lowercased (http for www. links); null when the link does not parse"),
        col("host", Str, true, "Host, lowercased, ASCII (punycode for IDN)"),
        col("registrable_domain", Str, true, "Registrable domain of the host (Public Suffix List); null for IP hosts"),
        col("source", Str, false, "Where it was found: the HTML element (a, img, form, area, link, iframe, base, script, embed, input, and the element of a background attribute) or text (plain text, or the visible text of HTML)"),
        col("anchor_text", Str, true, "The text inside the <a> element, whitespace collapsed"),
        col("anchor_domain", Str, true, "The first domain written in the anchor text (a name whose suffix the Public Suffix List knows)"),
        col("anchor_mismatch", Bool, false, "The anchor text shows one registrable domain and the link goes to another"),
        col("host_is_ip", Bool, false, "The host is an IP address"),
        col("host_unicode", Str, true, "The host in Unicode, when it is an IDN"),
        col("punycode", Str, true, "The host in punycode (xn--), when it is an IDN"),
        col("redirect_target", Str, true, "A URL carried inside this one's query (returnurl=, url=, q=, …), percent-decoded"),
        col("shortener", Bool, false, "The host is a known URL shortener (bit.ly, tinyurl.com, t.co, …)"),
    ],
};

pub(crate) const HEADERS: TableSpec = TableSpec {
    table: "headers",
    description: "Every header field of every message, in order (the first 10,000 per message: --max-header-fields), as the message gives it. Search any of them with header:NAME:WORD.",
    one_row_per: "header field",
    columns: &[
        col("msg_key", Str, false, "The message (joins messages)"),
        col("index", U32, false, "Position among the message's header fields, 0 = topmost"),
        col("name", Str, false, "Field name, lowercased"),
        col("value", Str, false, "Value unfolded, RFC 2047 decoded and trimmed (at most 64 KiB)"),
        col("raw", Str, true, "Value unfolded as written; null when it equals value"),
    ],
};

pub(crate) const IP_INFO: TableSpec = TableSpec {
    table: "ip_info",
    description: "What the IP databases given with --geoip (MaxMind DB format: GeoLite2/GeoIP2, DB-IP, IPinfo Lite) said about each public address of a Received hop, so the enrichment can be reproduced; stats rebuild --geoip FILE replaces it from newer files.",
    one_row_per: "address and database",
    columns: &[
        col("ip", Str, false, "The address"),
        col("database_type", Str, false, "The database's type from its metadata (GeoLite2-ASN, GeoIP2-City, …)"),
        col("build_epoch", U64, false, "When the database was built, seconds since the epoch (from its metadata)"),
        col("asn", U32, true, "Autonomous system number"),
        col("as_org", Str, true, "Autonomous system organisation"),
        col("country", Str, true, "Country, ISO 3166 alpha-2"),
        col("city", Str, true, "City, English name"),
    ],
};

pub(crate) const ERRORS: TableSpec = TableSpec {
    table: "errors",
    description: "Files and messages that could not be read or were malformed; the run went on.",
    one_row_per: "problem found during an ingest",
    columns: &[
        col("source_path", Str, false, "File the problem is in"),
        col("source_offset", U64, true, "Byte offset of the message, when the problem is one message"),
        col("error_kind", Str, false, "io (unreadable, skipped), malformed (kept with warnings), not_mail (ignored file) or link (a symbolic link out of the ingested folder, not followed)"),
        col("reason", Str, false, "What went wrong"),
        col("msg_key", Str, true, "Key of the message, when it was kept"),
    ],
};

pub(crate) const ATTACHMENTS: TableSpec = TableSpec {
    table: "attachments",
    description: "Every leaf MIME part that is an attachment (disposition attachment or a file name) or inline non-text, including the parts of attached messages.",
    one_row_per: "attachment part",
    columns: &[
        col("msg_key", Str, false, "The message (joins messages)"),
        col("part_path", Str, false, "IMAP-style part path (RFC 3501 §6.4.5): 2, 1.2, 3.2 inside an attached message"),
        col("filename", Str, true, "File name, RFC 2047 / RFC 2231 decoded"),
        col("declared_type", Str, false, "Content-Type as declared, lowercased (text/plain when absent)"),
        col("sniffed_type", Str, true, "Type the first bytes show (PDF, PNG, JPEG, GIF, ZIP, OLE2, PE, TNEF, …); null when none matches"),
        col("disposition", Str, true, "Content-Disposition: attachment or inline"),
        col("decoded_size", U64, false, "Size after Base64/QP decoding (text parts: as UTF-8 after charset decoding)"),
        col("sha256", Str, false, "SHA-256 of the decoded bytes, hex"),
        col("in_nested_message", Bool, false, "The part is inside an attached message/rfc822"),
    ],
};

pub(crate) const SPAM_SOURCES: TableSpec = TableSpec {
    table: "spam_sources",
    description: "Where mail comes from, counted four ways: by origin IP, by its /24 or /48 network, by the organisational domain of its rDNS name, and by the HELO name it gave. Derived from messages by `mailidx stats rebuild` (and after every ingest).",
    one_row_per: "(kind, source): one origin IP, network, rDNS organisational domain or HELO",
    columns: &[
        col("kind", Str, false, "ip, net, rdns_org, helo, asn (AS number, --geoip) or country (ISO 3166 alpha-2, --geoip)"),
        col("source", Str, false, "The origin IP, network (CIDR), rDNS organisational domain or HELO name"),
        col("messages", U32, false, "Messages from this source"),
        col("spam_messages", U32, false, "Of those, labelled spam"),
        col("first_seen", Timestamp, true, "Earliest Date header among them"),
        col("last_seen", Timestamp, true, "Latest Date header among them"),
        col("spf_fail_share", F64, false, "Share with spf_fail"),
        col("dkim_fail_share", F64, false, "Share with dkim_fail"),
        col("dmarc_fail_share", F64, false, "Share with dmarc_fail"),
        col("dynamic_share", F64, false, "Share whose origin rDNS looks dynamic or consumer (origin_rdns_dynamic)"),
        col("top_from_domains", ListStr, true, "Up to 5 most frequent From domains, most frequent first; null when none had a From domain"),
    ],
};

pub(crate) const FORGERY_BY_DOMAIN: TableSpec = TableSpec {
    table: "forgery_by_domain",
    description: "Whose names are used, and how well they are defended: per organisational domain of the From address. Derived from messages by `mailidx stats rebuild` (and after every ingest).",
    one_row_per: "From organisational domain",
    columns: &[
        col("domain", Str, false, "from_org_domain"),
        col("messages", U32, false, "Messages with a From address in this organisational domain"),
        col("forged_messages", U32, false, "Of those, forgery_score 3 or more (a DMARC failure or a display-name spoof alone, or two lesser signs); rows are sorted by this"),
        col("spam_messages", U32, false, "Of those, labelled spam"),
        col("spf_pass", U32, false, "spf_result = pass"),
        col("spf_fail", U32, false, "spf_fail (fail, softfail, permerror)"),
        col("dkim_pass", U32, false, "dkim_result = pass"),
        col("dkim_fail", U32, false, "dkim_fail"),
        col("dmarc_pass", U32, false, "dmarc_result = pass, or dmarc_computed = pass"),
        col("dmarc_fail", U32, false, "dmarc_fail (the receiver's fail, or dmarc_computed = fail)"),
        col("spf_aligned_share", F64, false, "Share with spf_aligned_relaxed"),
        col("dkim_aligned_share", F64, false, "Share with dkim_aligned_relaxed"),
        col("return_path_mismatches", U32, false, "from_return_path_mismatch"),
        col("reply_to_mismatches", U32, false, "reply_to_mismatch"),
        col("display_name_spoofs", U32, false, "display_name_spoof"),
        col("origins", U32, false, "Distinct origin IPs seen"),
        col("mean_forgery_score", F64, false, "Mean forgery_score"),
        col("first_seen", Timestamp, true, "Earliest Date header"),
        col("last_seen", Timestamp, true, "Latest Date header"),
    ],
};

pub(crate) const DAILY: TableSpec = TableSpec {
    table: "daily",
    description: "Mail per day and label, with authentication failures and transit time. Derived from messages by `mailidx stats rebuild` (and after every ingest); messages without a date are left out.",
    one_row_per: "(day, label)",
    columns: &[
        col("day", Date, false, "UTC day of the Date header"),
        col("label", Str, false, "spam, ham or unknown"),
        col("messages", U32, false, "Messages that day with that label"),
        col("spf_fail", U32, false, "Of those, spf_fail"),
        col("dkim_fail", U32, false, "Of those, dkim_fail"),
        col("dmarc_fail", U32, false, "Of those, dmarc_fail"),
        col("auth_failures", U32, false, "Of those, any of spf_fail, dkim_fail, dmarc_fail"),
        col("median_transit_seconds", F64, true, "Median transit_seconds; null when no message had hop times"),
    ],
};

pub(crate) const THREADS: TableSpec = TableSpec {
    table: "threads",
    description: "Conversations: messages linked by References and In-Reply-To (and, with --thread-by-subject, by subject), over the whole archive. Recomputed after every ingest and by `mailidx stats rebuild`; messages.thread_id, parent_key and depth say where each message stands.",
    one_row_per: "thread",
    columns: &[
        col("thread_id", Str, false, "The thread (joins messages.thread_id)"),
        col("root_message_id", Str, true, "Message-ID of the root: the top of the tree that holds the thread's first message (null for a root without a Message-ID)"),
        col("root_key", Str, true, "msg_key of the root message; null when the root is a ghost"),
        col("root_is_ghost", Bool, false, "The root is a message that replies name but the archive does not hold"),
        col("subject", Str, true, "The root message's subject, else the first message's"),
        col("first_date", Timestamp, true, "Earliest Date header of its messages"),
        col("last_date", Timestamp, true, "Latest Date header of its messages"),
        col("messages", U32, false, "Messages in the thread"),
        col("participant_count", U32, false, "Distinct From addresses"),
        col("participants", ListStr, false, "Distinct From addresses, in date order"),
        col("depth", U32, false, "Depth of the deepest message"),
        col("roots", U32, false, "Trees in the thread: more than 1 where a reference loop was broken or subjects joined threads"),
    ],
};

pub(crate) const LOCATIONS: TableSpec = TableSpec {
    table: "locations",
    description: "Every copy of every message in the archive: the same message stored twice (same bytes, or same Message-ID and content with different Received headers) is one row of messages and two rows here. Kept true by every ingest: removed files leave, renamed Maildir files follow.",
    one_row_per: "copy of a message in the archive",
    columns: &[
        col("msg_key", Str, false, "The message (joins messages)"),
        col("path", Str, false, "Absolute path of the file holding this copy"),
        col("offset", U64, false, "Byte offset of the copy in the file (decompressed stream for .gz/.zst)"),
        col("length", U64, false, "Length in bytes of the copy as stored"),
        col("kind", Str, false, "maildir, mbox, mbox.gz, mbox.zst or eml"),
        col("folder", Str, false, "Mail folder relative to the ingested path"),
        col("flags", Str, false, "Maildir flags after :2, (empty for other kinds)"),
    ],
};

/// The tables whose rows a message's analysis writes, keyed by `msg_key`:
/// what is replaced when a message is read again, and removed when it
/// leaves.
pub(crate) const PER_MESSAGE: [&TableSpec; 7] = [&MESSAGES, &RECEIVED_HOPS, &AUTH_RESULTS, &DKIM_SIGNATURES, &ATTACHMENTS, &HEADERS, &URLS];

/// The report tables, in the order [`super::frames::dmarc_frames`] returns
/// their frames.
pub(crate) const REPORT_TABLES: [&TableSpec; 6] = [&DMARC_REPORTS, &DMARC_RECORDS, &DMARC_RECORD_AUTH, &SMTP_TLS_REPORTS, &SMTP_TLS_FAILURES, &DMARC_FAILURES];

/// Every table mailidx writes, for the schema files and their test.
pub const ALL: &[&TableSpec] = &[
    &MESSAGES,
    &RECEIVED_HOPS,
    &HEADERS,
    &URLS,
    &DMARC_REPORTS,
    &DMARC_RECORDS,
    &DMARC_RECORD_AUTH,
    &DMARC_FAILURES,
    &SMTP_TLS_REPORTS,
    &SMTP_TLS_FAILURES,
    &IP_INFO,
    &AUTH_RESULTS,
    &DKIM_SIGNATURES,
    &ATTACHMENTS,
    &ERRORS,
    &LOCATIONS,
    &THREADS,
    &SPAM_SOURCES,
    &FORGERY_BY_DOMAIN,
    &DAILY,
];
