//! The types passed between stages: what a source hands out ([`RawMessage`]
//! with its [`Location`]), and what analysis hands to the sinks
//! ([`MessageRecord`], [`ErrorRecord`]). Field names here are the Parquet column
//! names and the tantivy field names (see schemas/).

use std::borrow::Cow;

/// How a message is stored; decides how `show` reads it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// One file in a Maildir `cur/` or `new/` folder.
    Maildir,
    /// A message inside an mbox file (offset and length into the file).
    Mbox,
    /// A gzip-compressed mbox; offset and length are in the decompressed stream.
    MboxGz,
    /// A zstd-compressed mbox; offset and length are in the decompressed stream.
    MboxZst,
    /// A single message file outside a Maildir (`*.eml`, MH, …).
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
    pub label: String,
    pub label_source: String,
    /// false when mail-parser found no header at all in the bytes.
    pub parse_ok: bool,
    pub warnings: Vec<String>,
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
