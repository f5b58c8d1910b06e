//! The Parquet table contracts: for each table, its columns (name, type,
//! nullability, meaning) as data, and the function that turns a batch of
//! records into a DataFrame with exactly those columns. schemas/NAME.json is
//! generated from [`TableSpec`] and checked by `tests/schemas.rs`.

use polars::prelude::*;
use serde::Serialize;

use crate::model::{ErrorRecord, HopRecord, MessageRecord};

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
        col("msg_key", Str, false, "First 64 bits of the BLAKE3 hash of the message bytes (mbox quoting undone), 16 hex digits"),
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
        col("body_chars", U64, false, "Characters of decoded body text (plain parts; HTML as text when no plain part)"),
        col("size", U64, false, "Size in bytes of the message (after mbox unquoting)"),
        col("header_size", U64, false, "Size in bytes of the header section"),
        col("attachment_count", U32, false, "Parts mail-parser classes as attachments"),
        col("attachment_names", ListStr, false, "Decoded attachment file names"),
        col("mime_types", ListStr, false, "Distinct MIME types of the leaf parts"),
        col("label", Str, false, "spam, ham or unknown"),
        col("label_source", Str, false, "Where the label came from: user (--label) or none"),
        col("parse_ok", Bool, false, "false when no header could be parsed (empty file, not a message)"),
        col("warnings", ListStr, false, "What was wrong with the message (unparseable date, undecodable part, …)"),
        col("origin_ip", Str, true, "IP of the origin: the first Received hop from the top that the receiving side does not vouch for (not private/loopback/link-local, not authenticated, not in --trusted-network)"),
        col("origin_rdns", Str, true, "rDNS name of the origin hop as the receiving MTA wrote it"),
        col("origin_helo", Str, true, "HELO/EHLO name the origin gave"),
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
pub const ALL: &[&TableSpec] = &[&MESSAGES, &RECEIVED_HOPS, &ERRORS];

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
        strs("label", rs.iter().map(|r| Some(r.label.as_str()))),
        strs("label_source", rs.iter().map(|r| Some(r.label_source.as_str()))),
        bools("parse_ok", rs.iter().map(|r| r.parse_ok)),
        lists("warnings", rs.iter().map(|r| &r.warnings)),
        owned_strs("origin_ip", rs.iter().map(|r| r.origin_ip.map(|i| i.to_string()))),
        strs("origin_rdns", rs.iter().map(|r| r.origin_rdns.as_deref())),
        strs("origin_helo", rs.iter().map(|r| r.origin_helo.as_deref())),
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
