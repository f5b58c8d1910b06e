//! A problem an ingest met: a file it could not read, a message it kept
//! although malformed, a file in the tree that is not mail. One row of the
//! `errors` table, with what the user can do about it.

/// What kind of problem; written as [`ErrorKind::as_str`] in `errors.error_kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The file could not be read (not ingested).
    Io,
    /// The message is kept, with warnings.
    Malformed,
    /// A file in the tree that is not a message.
    NotMail,
    /// A symbolic link out of the ingested folder, not followed.
    Link,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::Malformed => "malformed",
            ErrorKind::NotMail => "not_mail",
            ErrorKind::Link => "link",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "io" => ErrorKind::Io,
            "malformed" => ErrorKind::Malformed,
            "not_mail" => ErrorKind::NotMail,
            "link" => ErrorKind::Link,
            _ => return None,
        })
    }
}

/// A file or message that could not be read or parsed: one row of `errors`.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRecord {
    pub source_path: String,
    pub source_offset: Option<u64>,
    pub error_kind: ErrorKind,
    pub reason: String,
    pub msg_key: Option<String>,
}

impl ErrorRecord {
    /// What the user can do about a problem of this kind.
    pub fn advice(&self) -> &'static str {
        match self.error_kind {
            ErrorKind::Io => "check that the file exists and is readable, then run the same ingest again: only files that failed are re-read",
            ErrorKind::Malformed => "the message is kept and indexed as far as it could be read; `mailidx show KEY --raw` prints it as stored",
            ErrorKind::NotMail => "not a message, so not indexed; move it out of the mail tree to silence this",
            ErrorKind::Link => "not followed, so that an archive from elsewhere cannot pull in files outside it; ingest the target itself, or pass --follow-symlinks if you trust the archive",
        }
    }
}

/// `PATH (offset N): KIND: REASON. What to do.`
impl std::fmt::Display for ErrorRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.source_path)?;
        if let Some(o) = self.source_offset.filter(|&o| o > 0) {
            write!(f, " (offset {o})")?;
        }
        write!(f, ": {}: {}", self.error_kind.as_str(), if self.reason.is_empty() { "(no reason given)" } else { &self.reason })?;
        if let Some(k) = &self.msg_key {
            write!(f, " [key {k}]")?;
        }
        write!(f, ". What to do: {}", self.advice())
    }
}

