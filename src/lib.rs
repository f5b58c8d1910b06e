//! mailidx: an offline mail-archive indexer and header-forensics pipeline.
//!
//! Data flows one way:
//!
//! ```text
//! source (Maildir, mbox, .eml, compressed mbox)  bytes in
//!   → parse (MIME, charsets, RFC 2047; parse::fields: header grammars)
//!   → analyze (hops and origin, auth and alignment, forgery, labels)
//!   → store (tantivy index, Parquet parts, one commit per generation)
//! ```
//!
//! [`ingest`] plans what changed and drives those stages; [`read`] answers
//! queries from what the store holds; [`model`] holds the record and the
//! rows every stage passes on and depends on nothing. The binary
//! (`src/main.rs`, `src/cmd/`) turns arguments into a config, calls one
//! function here and prints. docs/architecture.md walks the folders in
//! this order.
//!
//! Without the default feature `store` only source, parse, analyze and model
//! are built (the fuzz targets in fuzz/ use that).

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Without `store` only the fuzz checks use the library: discovery, the
// error rows and the rest that ingest needs are dead code in that build.
#![cfg_attr(not(feature = "store"), allow(dead_code, unused_imports))]

pub mod analyze;
pub mod error;
pub mod fuzzing;
#[cfg(feature = "store")]
pub mod ingest;
pub mod model;
pub mod parse;
#[cfg(feature = "store")]
pub mod read;
pub mod source;
#[cfg(feature = "store")]
pub mod store;

pub use error::{Error, Result};
