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
mod thread;

pub use location::{path_text, text_path, Location, RawMessage, SourceKind};
pub(crate) use problem::{ErrorKind, ErrorRecord};
pub use record::{name_addr, Anomalies, AuthSummary, DmarcRows, Forgery, ForgerySigns, Label, LabelSource, MessageRecord, MimeSummary, OriginKind, Route};
pub use thread::{Placement, ThreadInput, ThreadRow};
pub(crate) use rows::{ms_as_rfc3339, AttachmentRecord, AuthResultRecord, DkimSignatureRecord, HopRecord};
pub use rows::{DmarcAuthRow, DmarcFailureRow, DmarcRecordRow, DmarcReportRow, HeaderRecord, IpInfoRecord, SmtpTlsFailureRow, SmtpTlsPolicyRow, UrlRecord};
