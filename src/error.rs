//! The library's error type. Only failures that stop a run live here (I/O on
//! the database, a sink that cannot write, a path that holds no mail); a
//! malformed message is data, recorded on its record and in the `errors` table.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}: no such file or directory")]
    NotFound(PathBuf),
    #[error("{0}: holds no mail (no Maildir, mbox or message file found)")]
    NoMail(PathBuf),
    #[cfg(feature = "store")]
    #[error("search index")]
    Index(#[from] tantivy::TantivyError),
    #[error("bad query: {0}")]
    Query(String),
    #[cfg(feature = "store")]
    #[error("parquet table {table}")]
    Table {
        table: String,
        #[source]
        source: polars::prelude::PolarsError,
    },
    #[error("no database at {0} (run `mailidx ingest PATH` first)")]
    NoDatabase(PathBuf),
    #[error("no message with key or Message-ID {0:?}")]
    UnknownKey(String),
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Attach a path to an I/O error.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// Maps a polars error to an error naming the table: `.map_err(Error::table("messages"))`.
    #[cfg(feature = "store")]
    pub(crate) fn table(table: &str) -> impl Fn(polars::prelude::PolarsError) -> Error + '_ {
        move |source| Error::Table { table: table.to_string(), source }
    }
}
