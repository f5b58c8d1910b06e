//! Where a message lives in the archive ([`Location`], [`SourceKind`]) and a
//! message as a source hands it out ([`RawMessage`]).

use std::borrow::Cow;

/// How a message is stored; decides how `show` reads it back.
/// Written as [`SourceKind::as_str`] (in `.sources.json`, for one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
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
    #[default]
    #[serde(rename = "eml")]
    Eml,
}

impl SourceKind {
    /// The kind's name: maildir, mbox, mbox.gz, mbox.zst or eml.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Maildir => "maildir",
            SourceKind::Mbox => "mbox",
            SourceKind::MboxGz => "mbox.gz",
            SourceKind::MboxZst => "mbox.zst",
            SourceKind::Eml => "eml",
        }
    }

    /// The kind a name from [`SourceKind::as_str`] stands for; None for any
    /// other text.
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
    /// How the message is stored (the `kind` / `source_kind` column).
    pub kind: SourceKind,
    /// Maildir flags after `:2,` (`"RS"`), empty for other kinds.
    pub flags: String,
}

/// One message as a source hands it out: the bytes (a slice of the block
/// read, or an owned copy where `>From` quoting was undone) and where they came from.
#[derive(Debug)]
pub struct RawMessage<'a> {
    /// The message's bytes, with mbox `>From` quoting undone.
    pub bytes: Cow<'a, [u8]>,
    /// Where the bytes were read.
    pub location: Location,
}

