//! The batch thread: adds each record to the index and gathers its table
//! rows; every `batch_rows` messages it writes the Parquet parts and
//! commits them together with the index documents ([`crate::store::Db::commit`]).

use std::sync::mpsc::Receiver;

use super::workers::Item;
use super::SHOWN_PROBLEMS;
use crate::error::{Error, Result};
use crate::model::{AttachmentRecord, AuthResultRecord, DkimSignatureRecord, ErrorRecord, HeaderRecord, HopRecord, IpInfoRecord, Location, MessageRecord, UrlRecord};
use crate::store::{frames, tables, Db};


#[derive(Default)]
pub(super) struct SinkCounts {
    pub(super) messages: u64,
    pub(super) malformed: u64,
    /// The run's first problems, for the summary.
    pub(super) problems: Vec<ErrorRecord>,
}

/// The rows of one batch, one vector per table.
#[derive(Default)]
pub(super) struct Batch {
    messages: Vec<MessageRecord>,
    hops: Vec<HopRecord>,
    auth: Vec<AuthResultRecord>,
    dkim: Vec<DkimSignatureRecord>,
    attachments: Vec<AttachmentRecord>,
    headers: Vec<HeaderRecord>,
    urls: Vec<UrlRecord>,
    dmarc: crate::model::DmarcRows,
    /// `ip_info` rows, once each per batch.
    ip_info: std::collections::HashSet<IpInfoRecord>,
    problems: Vec<ErrorRecord>,
    locations: Vec<Location>,
    location_keys: Vec<String>,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.messages.is_empty() && self.problems.is_empty() && self.locations.is_empty() && self.dmarc.reports.is_empty() && self.dmarc.tls_policies.is_empty()
    }

    /// Takes a record's rows, each to its table's vector; with its location
    /// as a copy when `new_copy`.
    pub(super) fn add(&mut self, mut rec: Box<MessageRecord>, new_copy: bool) {
        rec.body_text = String::new();
        self.hops.append(&mut rec.hops);
        self.auth.append(&mut rec.auth_rows);
        self.dkim.append(&mut rec.dkim_rows);
        self.attachments.append(&mut rec.attachment_rows);
        self.ip_info.extend(rec.ip_rows.drain(..));
        self.headers.append(&mut rec.header_rows);
        self.urls.append(&mut rec.url_rows);
        self.dmarc.append(&mut rec.dmarc);
        if new_copy {
            self.location_keys.push(rec.msg_key.clone());
            self.locations.push(rec.location.clone());
        }
        self.messages.push(*rec);
    }

    /// Writes the batch's parts and commits them with the index documents
    /// added since the last commit.
    fn commit(&mut self, db: &mut Db) -> Result<()> {
        self.write_parts(db)?;
        db.commit()
    }

    /// Writes the rows of the long per-message tables (hops, header
    /// fields, links) as parts staged for the next commit, and drops them
    /// from the batch.
    fn write_long_parts(&mut self, db: &mut Db) -> Result<()> {
        let frames = [
            (tables::RECEIVED_HOPS.table, frames::hops_frame(&std::mem::take(&mut self.hops))),
            (tables::HEADERS.table, frames::headers_frame(&std::mem::take(&mut self.headers))),
            (tables::URLS.table, frames::urls_frame(&std::mem::take(&mut self.urls))),
        ];
        for (table, df) in frames {
            db.tables_mut().write_part(table, &mut df.map_err(Error::table(table))?)?;
        }
        Ok(())
    }

    /// Writes the batch's parts (staged for the next commit) and empties it.
    pub(super) fn write_parts(&mut self, db: &mut Db) -> Result<()> {
        self.write_long_parts(db)?;
        let frames = [
            (tables::MESSAGES.table, frames::messages_frame(&self.messages)),
            (tables::AUTH_RESULTS.table, frames::auth_frame(&self.auth)),
            (tables::DKIM_SIGNATURES.table, frames::dkim_frame(&self.dkim)),
            (tables::ATTACHMENTS.table, frames::attachments_frame(&self.attachments)),
            (tables::IP_INFO.table, frames::ip_info_frame(&self.ip_info.drain().collect::<Vec<_>>())),
            (tables::ERRORS.table, frames::errors_frame(&self.problems)),
            (tables::LOCATIONS.table, frames::locations_frame(&self.locations, &self.location_keys)),
        ];
        for (table, df) in frames {
            db.tables_mut().write_part(table, &mut df.map_err(Error::table(table))?)?;
        }
        let dmarc = frames::dmarc_frames(&self.dmarc).map_err(Error::table(tables::DMARC_REPORTS.table))?;
        for (spec, mut df) in tables::REPORT_TABLES.into_iter().zip(dmarc) {
            db.tables_mut().write_part(spec.table, &mut df)?;
        }
        *self = Batch::default();
        Ok(())
    }
}

/// Adds records to the index and, every `batch_rows` messages, writes their
/// Parquet parts and commits both together; hands the database back.
pub(super) fn run(rx: Receiver<Item>, mut db: Db, batch_rows: usize) -> Result<(Db, SinkCounts)> {
    let mut counts = SinkCounts::default();
    let mut b = Batch::default();
    for item in rx {
        match item {
            Item::Message(rec) => {
                db.index().add(&rec)?;
                counts.messages += 1;
                if !rec.parse_ok {
                    counts.malformed += 1;
                }
                b.add(rec, true);
            }
            Item::Copy(key, loc) => {
                b.location_keys.push(key);
                b.locations.push(loc);
            }
            Item::Reports(mut r) => {
                b.dmarc.append(&mut r);
            }
            Item::Problem(p) => {
                if counts.problems.len() < SHOWN_PROBLEMS {
                    counts.problems.push(p.clone());
                }
                b.problems.push(p)
            }
        }
        // A batch ends at batch_rows messages (or copies): one commit. Rows
        // of the long tables (about five hops, forty header fields a
        // message) go to their own parts sooner, staged for that commit,
        // so that memory stays bounded without committing more often
        // (each commit flushes an index segment, and segments are merged).
        if b.messages.len() >= batch_rows || b.locations.len() >= 4 * batch_rows {
            b.commit(&mut db)?;
        } else if b.hops.len() >= 3 * batch_rows || b.headers.len() >= 10 * batch_rows || b.urls.len() >= 10 * batch_rows {
            b.write_long_parts(&mut db)?;
        }
    }
    if !b.is_empty() {
        b.commit(&mut db)?;
    }
    Ok((db, counts))
}