//! The Parquet table contracts: for each table, its columns (name, type,
//! nullability, meaning) as data, and the function that turns a batch of
//! records into a DataFrame with exactly those columns. schemas/NAME.json is
//! generated from [`TableSpec`] and checked by `tests/schemas.rs`.

use polars::prelude::*;
use serde::Serialize;

use crate::model::{AttachmentRecord, AuthResultRecord, DkimSignatureRecord, ErrorRecord, HopRecord, MessageRecord};

/// Column types, named as in schemas/*.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ColType {
    #[serde(rename = "string")]
    Str,
    #[serde(rename = "uint64")]
    U64,
    #[serde(rename = "uint32")]
    U32,
    #[serde(rename = "int64")]
    I64,
    #[serde(rename = "bool")]
    Bool,
    /// Milliseconds since the epoch, UTC.
    #[serde(rename = "timestamp[ms, UTC]")]
    Timestamp,
    #[serde(rename = "list<string>")]
    ListStr,
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

#[derive(Debug, Clone, Serialize)]
pub struct ColumnSpec {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub col_type: ColType,
    pub nullable: bool,
    pub description: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableSpec {
    pub table: &'static str,
    pub description: &'static str,
    pub one_row_per: &'static str,
    pub columns: &'static [ColumnSpec],
}

const fn col(name: &'static str, col_type: ColType, nullable: bool, description: &'static str) -> ColumnSpec {
    ColumnSpec { name, col_type, nullable, description }
}

use ColType::*;

pub const MESSAGES: TableSpec = TableSpec {
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
        col("thread_id", Str, false, "Hash of the thread root id: first References entry, else In-Reply-To, else own Message-ID"),
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
        col("label_source", Str, false, "Where the label came from: user (--label), folder (Spam, Junk, *_ham, … and --spam-folder/--ham-folder), header:NAME (X-Spam-Flag, X-Spam-Status, X-Spam-Score, Microsoft SCL, written above the origin), or none"),
        col("parse_ok", Bool, false, "false when no header could be parsed (empty file, not a message)"),
        col("warnings", ListStr, false, "What was wrong with the message (unparseable date, undecodable part, …)"),
        col("origin_ip", Str, true, "IP of the origin: the first Received hop from the top that the receiving side does not vouch for (not private/loopback/link-local, not authenticated, not in --trusted-network)"),
        col("origin_rdns", Str, true, "rDNS name of the origin hop as the receiving MTA wrote it"),
        col("origin_helo", Str, true, "HELO/EHLO name the origin gave"),
        col("origin_net", Str, true, "The origin's /24 (IPv4) or /48 (IPv6) network, CIDR"),
        col("origin_rdns_org", Str, true, "Organisational domain of origin_rdns (Public Suffix List)"),
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
        col("received_anomaly", Bool, false, "hops_time_reversed, private_after_public, origin_helo_is_ip_literal or origin_helo_rdns_mismatch. Weight 1"),
        col("forgery_signs", ListStr, false, "Names of the signs present (the columns above, plus dkim_body_hash_mismatch and date_far_from_hops, weight 1 each)"),
        col("forgery_score", U32, false, "Sum of the weights of forgery_signs (0 to 19)"),
    ],
};

pub const AUTH_RESULTS: TableSpec = TableSpec {
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

pub const DKIM_SIGNATURES: TableSpec = TableSpec {
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

pub const RECEIVED_HOPS: TableSpec = TableSpec {
    table: "received_hops",
    description: "Every Received header of every message, read as a hop (RFC 5321 §4.4). hop_index 0 is the topmost header, written last, by the recipient's side.",
    one_row_per: "Received header",
    columns: &[
        col("msg_key", Str, false, "The message (joins messages)"),
        col("hop_index", U32, false, "Position in header order, 0 = topmost (last hop)"),
        col("raw", Str, false, "The header value, unfolded"),
        col("parsed", Bool, false, "A from clause naming an address was found"),
        col("helo", Str, true, "HELO/EHLO name the sending host gave ([1.2.3.4] for an address literal)"),
        col("rdns", Str, true, "Reverse-DNS name the receiving host wrote (none for unknown)"),
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
    ],
};

pub const ERRORS: TableSpec = TableSpec {
    table: "errors",
    description: "Files and messages that could not be read or were malformed; the run went on.",
    one_row_per: "problem found during an ingest",
    columns: &[
        col("source_path", Str, false, "File the problem is in"),
        col("source_offset", U64, true, "Byte offset of the message, when the problem is one message"),
        col("error_kind", Str, false, "io (unreadable, skipped), malformed (kept with warnings) or not_mail (ignored file)"),
        col("reason", Str, false, "What went wrong"),
        col("msg_key", Str, true, "Key of the message, when it was kept"),
    ],
};

/// Every table mailidx writes, for the schema files and their test.
pub const ATTACHMENTS: TableSpec = TableSpec {
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

pub const SPAM_SOURCES: TableSpec = TableSpec {
    table: "spam_sources",
    description: "Where mail comes from, counted four ways: by origin IP, by its /24 or /48 network, by the organisational domain of its rDNS name, and by the HELO name it gave. Derived from messages by `mailidx stats rebuild` (and after every ingest).",
    one_row_per: "(kind, source): one origin IP, network, rDNS organisational domain or HELO",
    columns: &[
        col("kind", Str, false, "ip, net, rdns_org or helo"),
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

pub const FORGERY_BY_DOMAIN: TableSpec = TableSpec {
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

pub const DAILY: TableSpec = TableSpec {
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

pub const LOCATIONS: TableSpec = TableSpec {
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

/// The tables an ingest writes part by part.
pub const BASE: &[&TableSpec] = &[&MESSAGES, &RECEIVED_HOPS, &AUTH_RESULTS, &DKIM_SIGNATURES, &ATTACHMENTS, &ERRORS, &LOCATIONS];

/// The tables `stats rebuild` derives from `messages`.
pub const DERIVED: &[&TableSpec] = &[&SPAM_SOURCES, &FORGERY_BY_DOMAIN, &DAILY];

pub const ALL: &[&TableSpec] = &[
    &MESSAGES,
    &RECEIVED_HOPS,
    &AUTH_RESULTS,
    &DKIM_SIGNATURES,
    &ATTACHMENTS,
    &ERRORS,
    &LOCATIONS,
    &SPAM_SOURCES,
    &FORGERY_BY_DOMAIN,
    &DAILY,
];

/// Locations as a DataFrame with the [`LOCATIONS`] columns.
pub fn locations_frame(rs: &[crate::model::Location], keys: &[String]) -> PolarsResult<DataFrame> {
    let cols = vec![
        strs("msg_key", keys.iter().map(|k| Some(k.as_str()))),
        strs("path", rs.iter().map(|r| Some(r.path.as_str()))),
        u64s("offset", rs.iter().map(|r| Some(r.offset))),
        u64s("length", rs.iter().map(|r| Some(r.length))),
        strs("kind", rs.iter().map(|r| Some(r.kind.as_str()))),
        strs("folder", rs.iter().map(|r| Some(r.folder.as_str()))),
        strs("flags", rs.iter().map(|r| Some(r.flags.as_str()))),
    ];
    DataFrame::new(rs.len(), cols)
}

/// Attachments as a DataFrame with the [`ATTACHMENTS`] columns.
pub fn attachments_frame(rs: &[AttachmentRecord]) -> PolarsResult<DataFrame> {
    let cols = vec![
        strs("msg_key", rs.iter().map(|r| Some(r.msg_key.as_str()))),
        strs("part_path", rs.iter().map(|r| Some(r.part_path.as_str()))),
        strs("filename", rs.iter().map(|r| r.filename.as_deref())),
        strs("declared_type", rs.iter().map(|r| Some(r.declared_type.as_str()))),
        strs("sniffed_type", rs.iter().map(|r| r.sniffed_type.as_deref())),
        strs("disposition", rs.iter().map(|r| r.disposition.as_deref())),
        u64s("decoded_size", rs.iter().map(|r| Some(r.decoded_size))),
        strs("sha256", rs.iter().map(|r| Some(r.sha256.as_str()))),
        bools("in_nested_message", rs.iter().map(|r| r.in_nested_message)),
    ];
    DataFrame::new(rs.len(), cols)
}

fn strs<'a>(name: &str, it: impl Iterator<Item = Option<&'a str>>) -> Column {
    StringChunked::from_iter_options(name.into(), it).into_series().into_column()
}

fn u64s(name: &str, it: impl Iterator<Item = Option<u64>>) -> Column {
    UInt64Chunked::from_iter_options(name.into(), it).into_series().into_column()
}

fn owned_strs(name: &str, it: impl Iterator<Item = Option<String>>) -> Column {
    StringChunked::from_iter_options(name.into(), it).into_series().into_column()
}

fn i64s(name: &str, it: impl Iterator<Item = Option<i64>>) -> Column {
    Int64Chunked::from_iter_options(name.into(), it).into_series().into_column()
}

fn u32s(name: &str, it: impl Iterator<Item = u32>) -> Column {
    UInt32Chunked::from_iter_values(name.into(), it).into_series().into_column()
}

fn bools(name: &str, it: impl Iterator<Item = bool>) -> Column {
    BooleanChunked::from_iter_values(name.into(), it).into_series().into_column()
}

fn timestamps(name: &str, it: impl Iterator<Item = Option<i64>>) -> Column {
    Int64Chunked::from_iter_options(name.into(), it)
        .into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
        .into_series()
        .into_column()
}

fn lists<'a>(name: &str, it: impl ExactSizeIterator<Item = &'a Vec<String>>) -> Column {
    let mut b = ListStringChunkedBuilder::new(name.into(), it.len(), it.len() * 2);
    for v in it {
        b.append_values_iter(v.iter().map(String::as_str));
    }
    b.finish().into_series().into_column()
}

/// A batch of message records as a DataFrame with the [`MESSAGES`] columns.
pub fn messages_frame(rs: &[MessageRecord]) -> PolarsResult<DataFrame> {
    let cols = vec![
        strs("msg_key", rs.iter().map(|r| Some(r.msg_key.as_str()))),
        strs("message_id", rs.iter().map(|r| r.message_id.as_deref())),
        strs("source_path", rs.iter().map(|r| Some(r.source_path.as_str()))),
        u64s("source_offset", rs.iter().map(|r| Some(r.source_offset))),
        u64s("source_length", rs.iter().map(|r| Some(r.source_length))),
        strs("source_kind", rs.iter().map(|r| Some(r.source_kind.as_str()))),
        strs("folder", rs.iter().map(|r| Some(r.folder.as_str()))),
        strs("maildir_flags", rs.iter().map(|r| Some(r.maildir_flags.as_str()))),
        timestamps("date", rs.iter().map(|r| r.date)),
        strs("from_addr", rs.iter().map(|r| r.from_addr.as_deref())),
        strs("from_name", rs.iter().map(|r| r.from_name.as_deref())),
        strs("from_domain", rs.iter().map(|r| r.from_domain.as_deref())),
        strs("sender_addr", rs.iter().map(|r| r.sender_addr.as_deref())),
        lists("reply_to", rs.iter().map(|r| &r.reply_to)),
        strs("return_path", rs.iter().map(|r| r.return_path.as_deref())),
        lists("to_addrs", rs.iter().map(|r| &r.to_addrs)),
        lists("cc_addrs", rs.iter().map(|r| &r.cc_addrs)),
        lists("bcc_addrs", rs.iter().map(|r| &r.bcc_addrs)),
        strs("subject", rs.iter().map(|r| r.subject.as_deref())),
        lists("in_reply_to", rs.iter().map(|r| &r.in_reply_to)),
        lists("references", rs.iter().map(|r| &r.references)),
        strs("thread_id", rs.iter().map(|r| Some(r.thread_id.as_str()))),
        u64s("body_chars", rs.iter().map(|r| Some(r.body_chars))),
        u64s("size", rs.iter().map(|r| Some(r.size))),
        u64s("header_size", rs.iter().map(|r| Some(r.header_size))),
        u32s("attachment_count", rs.iter().map(|r| r.attachment_count)),
        lists("attachment_names", rs.iter().map(|r| &r.attachment_names)),
        lists("mime_types", rs.iter().map(|r| &r.mime_types)),
        u32s("part_count", rs.iter().map(|r| r.part_count)),
        u32s("nested_message_count", rs.iter().map(|r| r.nested_message_count)),
        u64s("text_bytes", rs.iter().map(|r| Some(r.text_bytes))),
        u64s("html_bytes", rs.iter().map(|r| Some(r.html_bytes))),
        lists("charsets", rs.iter().map(|r| &r.charsets)),
        bools("smime_signed", rs.iter().map(|r| r.smime_signed)),
        bools("smime_encrypted", rs.iter().map(|r| r.smime_encrypted)),
        bools("pgp_signed", rs.iter().map(|r| r.pgp_signed)),
        bools("pgp_encrypted", rs.iter().map(|r| r.pgp_encrypted)),
        bools("has_tnef", rs.iter().map(|r| r.has_tnef)),
        strs("label", rs.iter().map(|r| Some(r.label.as_str()))),
        strs("label_source", rs.iter().map(|r| Some(r.label_source.as_str()))),
        bools("parse_ok", rs.iter().map(|r| r.parse_ok)),
        lists("warnings", rs.iter().map(|r| &r.warnings)),
        owned_strs("origin_ip", rs.iter().map(|r| r.origin_ip.map(|i| i.to_string()))),
        strs("origin_rdns", rs.iter().map(|r| r.origin_rdns.as_deref())),
        strs("origin_helo", rs.iter().map(|r| r.origin_helo.as_deref())),
        strs("origin_net", rs.iter().map(|r| r.origin_net.as_deref())),
        strs("origin_rdns_org", rs.iter().map(|r| r.origin_rdns_org.as_deref())),
        u32s("hop_count", rs.iter().map(|r| r.hop_count)),
        u32s("unparsed_hop_count", rs.iter().map(|r| r.unparsed_hop_count)),
        i64s("transit_seconds", rs.iter().map(|r| r.transit_seconds)),
        i64s("date_hop_skew_seconds", rs.iter().map(|r| r.date_hop_skew_seconds)),
        bools("hops_time_reversed", rs.iter().map(|r| r.anomalies.hops_time_reversed)),
        bools("date_far_from_hops", rs.iter().map(|r| r.anomalies.date_far_from_hops)),
        bools("origin_helo_is_ip_literal", rs.iter().map(|r| r.anomalies.origin_helo_is_ip_literal)),
        bools("origin_helo_rdns_mismatch", rs.iter().map(|r| r.anomalies.origin_helo_rdns_mismatch)),
        bools("origin_rdns_missing", rs.iter().map(|r| r.anomalies.origin_rdns_missing)),
        bools("origin_rdns_dynamic", rs.iter().map(|r| r.anomalies.origin_rdns_dynamic)),
        bools("private_after_public", rs.iter().map(|r| r.anomalies.private_after_public)),
        strs("spf_result", rs.iter().map(|r| r.auth.spf_result.as_deref())),
        strs("dkim_result", rs.iter().map(|r| r.auth.dkim_result.as_deref())),
        strs("dmarc_result", rs.iter().map(|r| r.auth.dmarc_result.as_deref())),
        strs("arc_result", rs.iter().map(|r| r.auth.arc_result.as_deref())),
        strs("from_org_domain", rs.iter().map(|r| r.auth.from_org_domain.as_deref())),
        strs("spf_domain", rs.iter().map(|r| r.auth.spf_domain.as_deref())),
        bools("spf_aligned_relaxed", rs.iter().map(|r| r.auth.spf_aligned_relaxed)),
        bools("spf_aligned_strict", rs.iter().map(|r| r.auth.spf_aligned_strict)),
        bools("dkim_aligned_relaxed", rs.iter().map(|r| r.auth.dkim_aligned_relaxed)),
        bools("dkim_aligned_strict", rs.iter().map(|r| r.auth.dkim_aligned_strict)),
        strs("dmarc_computed", rs.iter().map(|r| Some(r.auth.dmarc_computed.as_str()))),
        u32s("dkim_signature_count", rs.iter().map(|r| r.auth.dkim_signature_count)),
        bools("dkim_body_hash_mismatch", rs.iter().map(|r| r.auth.dkim_body_hash_mismatch)),
        u32s("auth_results_trusted", rs.iter().map(|r| r.auth.auth_results_trusted)),
        u32s("auth_results_untrusted", rs.iter().map(|r| r.auth.auth_results_untrusted)),
        bools("from_return_path_mismatch", rs.iter().map(|r| r.forgery.from_return_path_mismatch)),
        bools("reply_to_mismatch", rs.iter().map(|r| r.forgery.reply_to_mismatch)),
        bools("display_name_spoof", rs.iter().map(|r| r.forgery.display_name_spoof)),
        bools("message_id_domain_mismatch", rs.iter().map(|r| r.forgery.message_id_domain_mismatch)),
        bools("spf_fail", rs.iter().map(|r| r.forgery.spf_fail)),
        bools("dkim_fail", rs.iter().map(|r| r.forgery.dkim_fail)),
        bools("dmarc_fail", rs.iter().map(|r| r.forgery.dmarc_fail)),
        bools("spf_unaligned", rs.iter().map(|r| r.forgery.spf_unaligned)),
        bools("dkim_unaligned", rs.iter().map(|r| r.forgery.dkim_unaligned)),
        bools("received_anomaly", rs.iter().map(|r| r.forgery.received_anomaly)),
        lists("forgery_signs", rs.iter().map(|r| &r.forgery_signs)),
        u32s("forgery_score", rs.iter().map(|r| r.forgery_score)),
    ];
    DataFrame::new(rs.len(), cols)
}

fn opt_u32s(name: &str, it: impl Iterator<Item = Option<u32>>) -> Column {
    UInt32Chunked::from_iter_options(name.into(), it).into_series().into_column()
}

fn opt_bools(name: &str, it: impl Iterator<Item = Option<bool>>) -> Column {
    BooleanChunked::from_iter_options(name.into(), it).into_series().into_column()
}

/// Authentication results as a DataFrame with the [`AUTH_RESULTS`] columns.
pub fn auth_frame(rs: &[AuthResultRecord]) -> PolarsResult<DataFrame> {
    let cols = vec![
        strs("msg_key", rs.iter().map(|r| Some(r.msg_key.as_str()))),
        strs("header_kind", rs.iter().map(|r| Some(r.header_kind.as_str()))),
        u32s("header_index", rs.iter().map(|r| r.header_index)),
        opt_u32s("arc_instance", rs.iter().map(|r| r.arc_instance)),
        bools("trusted", rs.iter().map(|r| r.trusted)),
        strs("authserv_id", rs.iter().map(|r| r.authserv_id.as_deref())),
        strs("method", rs.iter().map(|r| Some(r.method.as_str()))),
        strs("method_version", rs.iter().map(|r| r.method_version.as_deref())),
        strs("result", rs.iter().map(|r| Some(r.result.as_str()))),
        strs("reason", rs.iter().map(|r| r.reason.as_deref())),
        strs("comment", rs.iter().map(|r| r.comment.as_deref())),
        lists("properties", rs.iter().map(|r| &r.properties)),
        strs("smtp_mailfrom", rs.iter().map(|r| r.smtp_mailfrom.as_deref())),
        strs("smtp_helo", rs.iter().map(|r| r.smtp_helo.as_deref())),
        strs("header_from", rs.iter().map(|r| r.header_from.as_deref())),
        strs("header_d", rs.iter().map(|r| r.header_d.as_deref())),
        strs("header_i", rs.iter().map(|r| r.header_i.as_deref())),
        strs("header_s", rs.iter().map(|r| r.header_s.as_deref())),
        lists("unparsed", rs.iter().map(|r| &r.unparsed)),
    ];
    DataFrame::new(rs.len(), cols)
}

/// DKIM signatures as a DataFrame with the [`DKIM_SIGNATURES`] columns.
pub fn dkim_frame(rs: &[DkimSignatureRecord]) -> PolarsResult<DataFrame> {
    let cols = vec![
        strs("msg_key", rs.iter().map(|r| Some(r.msg_key.as_str()))),
        u32s("sig_index", rs.iter().map(|r| r.sig_index)),
        strs("v", rs.iter().map(|r| r.v.as_deref())),
        strs("a", rs.iter().map(|r| r.a.as_deref())),
        strs("c_header", rs.iter().map(|r| Some(r.c_header.as_str()))),
        strs("c_body", rs.iter().map(|r| Some(r.c_body.as_str()))),
        strs("d", rs.iter().map(|r| r.d.as_deref())),
        strs("s", rs.iter().map(|r| r.s.as_deref())),
        strs("i", rs.iter().map(|r| r.i.as_deref())),
        u64s("l", rs.iter().map(|r| r.l)),
        i64s("t", rs.iter().map(|r| r.t)),
        i64s("x", rs.iter().map(|r| r.x)),
        lists("h", rs.iter().map(|r| &r.h)),
        strs("bh", rs.iter().map(|r| r.bh.as_deref())),
        strs("b", rs.iter().map(|r| r.b.as_deref())),
        strs("body_hash_computed", rs.iter().map(|r| r.body_hash_computed.as_deref())),
        opt_bools("body_hash_ok", rs.iter().map(|r| r.body_hash_ok)),
        opt_bools("signature_ok", rs.iter().map(|r| r.signature_ok)),
        bools("aligned_relaxed", rs.iter().map(|r| r.aligned_relaxed)),
        bools("aligned_strict", rs.iter().map(|r| r.aligned_strict)),
        lists("problems", rs.iter().map(|r| &r.problems)),
    ];
    DataFrame::new(rs.len(), cols)
}

/// The hops of a batch of messages as a DataFrame with the [`RECEIVED_HOPS`] columns.
pub fn hops_frame(rs: &[HopRecord]) -> PolarsResult<DataFrame> {
    let cols = vec![
        strs("msg_key", rs.iter().map(|r| Some(r.msg_key.as_str()))),
        u32s("hop_index", rs.iter().map(|r| r.hop_index)),
        strs("raw", rs.iter().map(|r| Some(r.raw.as_str()))),
        bools("parsed", rs.iter().map(|r| r.parsed)),
        strs("helo", rs.iter().map(|r| r.helo.as_deref())),
        strs("rdns", rs.iter().map(|r| r.rdns.as_deref())),
        strs("ip", rs.iter().map(|r| r.ip.as_deref())),
        strs("ip_class", rs.iter().map(|r| r.ip_class.as_deref())),
        strs("by_host", rs.iter().map(|r| r.by_host.as_deref())),
        strs("via", rs.iter().map(|r| r.via.as_deref())),
        strs("protocol", rs.iter().map(|r| r.protocol.as_deref())),
        strs("tls_version", rs.iter().map(|r| r.tls_version.as_deref())),
        strs("tls_cipher", rs.iter().map(|r| r.tls_cipher.as_deref())),
        bools("authenticated", rs.iter().map(|r| r.authenticated)),
        strs("queue_id", rs.iter().map(|r| r.queue_id.as_deref())),
        strs("envelope_for", rs.iter().map(|r| r.envelope_for.as_deref())),
        strs("envelope_from", rs.iter().map(|r| r.envelope_from.as_deref())),
        strs("ident", rs.iter().map(|r| r.ident.as_deref())),
        timestamps("timestamp", rs.iter().map(|r| r.timestamp)),
        i64s("delay_seconds", rs.iter().map(|r| r.delay_seconds)),
        bools("trusted", rs.iter().map(|r| r.trusted)),
        bools("is_origin", rs.iter().map(|r| r.is_origin)),
        bools("helo_is_ip_literal", rs.iter().map(|r| r.helo_is_ip_literal)),
        bools("helo_rdns_mismatch", rs.iter().map(|r| r.helo_rdns_mismatch)),
        bools("rdns_missing", rs.iter().map(|r| r.rdns_missing)),
        bools("rdns_dynamic", rs.iter().map(|r| r.rdns_dynamic)),
        bools("time_reversed", rs.iter().map(|r| r.time_reversed)),
    ];
    DataFrame::new(rs.len(), cols)
}

/// A batch of error records as a DataFrame with the [`ERRORS`] columns.
pub fn errors_frame(rs: &[ErrorRecord]) -> PolarsResult<DataFrame> {
    let cols = vec![
        strs("source_path", rs.iter().map(|r| Some(r.source_path.as_str()))),
        u64s("source_offset", rs.iter().map(|r| r.source_offset)),
        strs("error_kind", rs.iter().map(|r| Some(r.error_kind.as_str()))),
        strs("reason", rs.iter().map(|r| Some(r.reason.as_str()))),
        strs("msg_key", rs.iter().map(|r| r.msg_key.as_deref())),
    ];
    DataFrame::new(rs.len(), cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_matches_spec(df: &DataFrame, spec: &TableSpec) {
        let names: Vec<&str> = df.get_column_names().iter().map(|s| s.as_str()).collect();
        let want: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
        assert_eq!(names, want, "{}", spec.table);
        for (c, s) in df.columns().iter().zip(spec.columns) {
            assert_eq!(c.dtype(), &s.col_type.polars_dtype(), "{}.{}", spec.table, s.name);
        }
    }

    #[test]
    fn frames_follow_their_specs() {
        let m = MessageRecord { msg_key: "k".into(), date: Some(1), reply_to: vec!["a@b".into()], ..Default::default() };
        assert_matches_spec(&messages_frame(&[m.clone(), m]).unwrap(), &MESSAGES);
        assert_matches_spec(&messages_frame(&[]).unwrap(), &MESSAGES);
        let h = HopRecord { msg_key: "k".into(), delay_seconds: Some(-3), timestamp: Some(5), ..Default::default() };
        assert_matches_spec(&hops_frame(&[h]).unwrap(), &RECEIVED_HOPS);
        assert_matches_spec(&hops_frame(&[]).unwrap(), &RECEIVED_HOPS);
        let a = AuthResultRecord { arc_instance: Some(1), ..Default::default() };
        assert_matches_spec(&auth_frame(&[a]).unwrap(), &AUTH_RESULTS);
        assert_matches_spec(&auth_frame(&[]).unwrap(), &AUTH_RESULTS);
        let d = DkimSignatureRecord { l: Some(5), t: Some(1), body_hash_ok: Some(true), ..Default::default() };
        assert_matches_spec(&dkim_frame(&[d]).unwrap(), &DKIM_SIGNATURES);
        assert_matches_spec(&dkim_frame(&[]).unwrap(), &DKIM_SIGNATURES);
        assert_matches_spec(&attachments_frame(&[AttachmentRecord::default()]).unwrap(), &ATTACHMENTS);
        assert_matches_spec(&attachments_frame(&[]).unwrap(), &ATTACHMENTS);
        let e = ErrorRecord {
            source_path: "p".into(),
            source_offset: None,
            error_kind: "io".into(),
            reason: "r".into(),
            msg_key: None,
        };
        assert_matches_spec(&errors_frame(&[e]).unwrap(), &ERRORS);
    }
}
