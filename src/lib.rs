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

pub mod analyze;
pub mod db;
pub mod error;
pub mod inspect;
pub mod model;
pub mod incremental;
pub mod parse;
pub mod reconcile;
pub mod pipeline;
pub mod report;
pub mod search;
pub mod show;
pub mod sink;
pub mod source;
pub mod stats;
pub mod status;

pub use error::{Error, Result};
