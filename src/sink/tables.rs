//! The Parquet table contracts: for each table, its columns (name, type,
//! nullability, meaning) as data, and the function that turns a batch of
//! records into a DataFrame with exactly those columns. schemas/NAME.json is
//! generated from [`TableSpec`] and checked by `tests/schemas.rs`.

use polars::prelude::*;
use serde::Serialize;

use crate::model::{ErrorRecord, MessageRecord};

/// Column types, named as in schemas/*.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ColType {
    #[serde(rename = "string")]
    Str,
    #[serde(rename = "uint64")]
    U64,
    #[serde(rename = "uint32")]
    U32,
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
pub const ALL: &[&TableSpec] = &[&MESSAGES, &ERRORS];

fn strs<'a>(name: &str, it: impl Iterator<Item = Option<&'a str>>) -> Column {
    StringChunked::from_iter_options(name.into(), it).into_series().into_column()
}

fn u64s(name: &str, it: impl Iterator<Item = Option<u64>>) -> Column {
    UInt64Chunked::from_iter_options(name.into(), it).into_series().into_column()
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
