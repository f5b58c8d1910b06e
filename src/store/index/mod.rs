//! The tantivy index: its schema (built once, in [`IndexFields::schema`]), the
//! tokenizers it needs, and [`IndexSink`], which adds message records and
//! commits. Reading the index back is the search side's job (read/search).
//!
//! The index stores what a search result shows (dates, addresses, subject,
//! folder) and where the message lives (path, offset, length, kind); the body
//! is indexed but not stored: `mailidx show` reads it from the archive.

pub(crate) mod cjk;
pub(crate) mod join;
mod schema;
mod writer;

pub(crate) use schema::{open_existing, open_or_create, IndexFields};
pub(crate) use writer::{existing_keys, key_number, IndexSink};
