//! The library's error type. Only failures that stop a run live here (I/O on
//! the database, a sink that cannot write, a path that holds no mail); a
//! malformed message is data, recorded on its record and in the `errors` table.

use std::path::PathBuf;

/// A failure that stops a run; a malformed message is not one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file or directory failed.
    #[error("{path}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A path given to ingest does not exist.
    #[error("{0}: no such file or directory")]
    NotFound(PathBuf),
    /// A path given to ingest holds no Maildir, mbox or message file.
    #[error("{0}: holds no mail (no Maildir, mbox or message file found)")]
    NoMail(PathBuf),
    /// The tantivy index failed.
    #[cfg(feature = "store")]
    #[error("search index")]
    Index(#[from] tantivy::TantivyError),
    /// A search query that cannot be read; the text says why.
    #[error("bad query: {0}")]
    Query(String),
    /// Reading or writing a Parquet table failed.
    #[cfg(feature = "store")]
    #[error("parquet table {table}")]
    Table {
        /// The table's name (`messages`, `locations`, …).
        table: String,
        /// The polars error.
        #[source]
        source: polars::prelude::PolarsError,
    },
    /// No database at this directory (no index yet).
    #[error("no database at {0} (run `mailidx ingest PATH` first)")]
    NoDatabase(PathBuf),
    /// No message in the database has this msg_key or Message-ID.
    #[error("no message with key or Message-ID {0:?}")]
    UnknownKey(String),
    /// Any other failure, described in the text.
    #[error("{0}")]
    Other(String),
}

/// The library's result type, with [`Error`] by default.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Attach a path to an I/O error.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// Maps an I/O error to one naming the path: `.map_err(Error::at(path))`.
    pub(crate) fn at(path: &std::path::Path) -> impl Fn(std::io::Error) -> Error + '_ {
        move |e| Error::io(path, e)
    }

    /// Maps a polars error to an error naming the table: `.map_err(Error::table("messages"))`.
    #[cfg(feature = "store")]
    pub(crate) fn table(table: &str) -> impl Fn(polars::prelude::PolarsError) -> Error + '_ {
        move |source| Error::Table { table: table.to_string(), source }
    }
}

/// The step a run is in, for the one line a user sees if mailidx itself
/// fails (a panic): "while computing the derived statistics" says where to
/// look and what was already committed.
static STEP: std::sync::Mutex<&str> = std::sync::Mutex::new("starting");

/// Records the step a run has reached (see [`step`]).
pub fn enter_step(what: &'static str) {
    if let Ok(mut s) = STEP.lock() {
        *s = what;
    }
}

/// The step last entered.
pub fn step() -> &'static str {
    STEP.lock().map(|s| *s).unwrap_or("running")
}

/// The message a panic carried, when it carried text (`panic!` with a
/// literal or a formatted message).
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    payload.downcast_ref::<&str>().copied().or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}
