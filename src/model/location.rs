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


/// A file's path as the tables and the index hold it, losslessly: its bytes
/// as UTF-8 where they are UTF-8, `\xHH` for each byte that is not (a name
/// in Latin-1 or Shift_JIS), and `\\` for a backslash, so that the text
/// always turns back into the very path ([`text_path`]).
pub fn path_text(path: &std::path::Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// The path a [`path_text`] names.
pub fn text_path(text: &str) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStringExt;
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('\\') {
        bytes.extend_from_slice(&rest.as_bytes()[..i]);
        let tail = &rest[i..];
        let hex = tail.get(2..4).filter(|_| tail.as_bytes().get(1) == Some(&b'x')).and_then(|h| u8::from_str_radix(h, 16).ok());
        rest = match (tail.as_bytes().get(1), hex) {
            (Some(b'\\'), _) => {
                bytes.push(b'\\');
                &tail[2..]
            }
            (_, Some(b)) => {
                bytes.push(b);
                &tail[4..]
            }
            _ => {
                // Not written by path_text; kept as it stands.
                bytes.push(b'\\');
                &tail[1..]
            }
        };
    }
    bytes.extend_from_slice(rest.as_bytes());
    std::path::PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn paths_survive_as_text() {
        for raw in [&b"/m/INBOX/cur/1:2,S"[..], b"/m/Entw\xfcrfe/cur/1", b"/m/\x93\xfa\x96\x7b.mbox", b"/m/a\\xFF\\\\b", b"/m/\xff\xfe"] {
            let p = std::path::Path::new(std::ffi::OsStr::from_bytes(raw));
            let text = path_text(p);
            assert_eq!(text_path(&text), p, "{text}");
        }
        assert_eq!(path_text(std::path::Path::new("/m/café/cur/x")), "/m/café/cur/x");
        assert_eq!(path_text(std::path::Path::new(std::ffi::OsStr::from_bytes(b"/m/Entw\xfcrfe"))), "/m/Entw\\xFCrfe");
    }
}
