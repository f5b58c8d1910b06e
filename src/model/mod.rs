//! The types passed between stages and written to the tables: what a
//! source hands out ([`RawMessage`] with its [`Location`]), the record that
//! parse and analysis fill ([`MessageRecord`]), the child-table rows, and
//! the problems an ingest records ([`ErrorRecord`]). Field names are the
//! Parquet column and tantivy field names (schemas/). This module depends on
//! no other part of mailidx.

mod location;
mod problem;
mod record;
mod rows;

pub use location::{Location, RawMessage, SourceKind};
pub(crate) use problem::{ErrorKind, ErrorRecord};
pub use record::{Anomalies, AuthSummary, Forgery, ForgerySigns, Label, LabelSource, MessageRecord, MimeSummary, Route};
pub(crate) use rows::{ms_as_rfc3339, AttachmentRecord, AuthResultRecord, DkimSignatureRecord, HopRecord};

/// A mailbox as people write it: `Name <addr>`, or whichever of the two is
/// known; empty when neither is. Index, `show` and attached-message
/// summaries all print a sender this way.
pub fn name_addr(name: Option<&str>, addr: Option<&str>) -> String {
    match (name, addr) {
        (Some(n), Some(a)) => format!("{n} <{a}>"),
        (None, Some(a)) => a.to_string(),
        (Some(n), None) => n.to_string(),
        (None, None) => String::new(),
    }
}
