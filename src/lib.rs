//! mailidx: an offline mail-archive indexer and header-forensics pipeline.
//!
//! Data flows one way:
//!
//! ```text
//! source (Maildir, mbox, .eml, compressed mbox)
//!   → parse (mail-parser: MIME, charsets, RFC 2047)
//!   → analyze (pure functions: message → record)
//!   → sink (tantivy index, batched Parquet tables)
//! ```
//!
//! [`pipeline`] is the only module that knows every stage; [`search`] and
//! [`show`] read back what the sinks wrote. The binary (`src/main.rs`,
//! `src/cmd/`) only parses arguments and calls into this library.
//!
//! Without the default feature `store` only sources, parse and analyze are
//! built (the fuzz targets in fuzz/ use that).

#![forbid(unsafe_code)]

pub mod analyze;
#[cfg(feature = "store")]
pub mod db;
pub mod error;
pub mod fuzzing;
#[cfg(feature = "store")]
pub mod inspect;
pub mod model;
#[cfg(feature = "store")]
pub mod incremental;
pub mod parse;
#[cfg(feature = "store")]
pub mod reconcile;
#[cfg(feature = "store")]
pub mod pipeline;
#[cfg(feature = "store")]
pub mod report;
#[cfg(feature = "store")]
pub mod search;
#[cfg(feature = "store")]
pub mod show;
#[cfg(feature = "store")]
pub mod sink;
pub mod source;
#[cfg(feature = "store")]
pub mod stats;
#[cfg(feature = "store")]
pub mod status;

pub use error::{Error, Result};
