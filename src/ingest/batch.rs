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
struct Batch {
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

    /// Writes the batch's parts and commits them with the index documents
    /// added since the last commit.
    fn commit(&mut self, db: &mut Db) -> Result<()> {
        let frames = [
            (tables::MESSAGES.table, frames::messages_frame(&self.messages)),
            (tables::RECEIVED_HOPS.table, frames::hops_frame(&self.hops)),
            (tables::AUTH_RESULTS.table, frames::auth_frame(&self.auth)),
            (tables::DKIM_SIGNATURES.table, frames::dkim_frame(&self.dkim)),
            (tables::ATTACHMENTS.table, frames::attachments_frame(&self.attachments)),
            (tables::HEADERS.table, frames::headers_frame(&self.headers)),
            (tables::URLS.table, frames::urls_frame(&self.urls)),
            (tables::IP_INFO.table, frames::ip_info_frame(&self.ip_info.drain().collect::<Vec<_>>())),
            (tables::ERRORS.table, frames::errors_frame(&self.problems)),
            (tables::LOCATIONS.table, frames::locations_frame(&self.locations, &self.location_keys)),
        ];
        for (table, df) in frames {
            db.tables_mut().write_part(table, &mut df.map_err(Error::table(table))?)?;
        }
        let dmarc = frames::dmarc_frames(&self.dmarc).map_err(Error::table(tables::DMARC_REPORTS.table))?;
        for (spec, mut df) in [&tables::DMARC_REPORTS, &tables::DMARC_RECORDS, &tables::DMARC_RECORD_AUTH, &tables::SMTP_TLS_REPORTS, &tables::SMTP_TLS_FAILURES, &tables::DMARC_FAILURES].into_iter().zip(dmarc) {
            db.tables_mut().write_part(spec.table, &mut df)?;
        }
        db.commit()?;
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
            Item::Message(mut rec) => {
                db.index().add(&rec)?;
                counts.messages += 1;
                if !rec.parse_ok {
                    counts.malformed += 1;
                }
                rec.body_text = String::new();
                b.hops.append(&mut rec.hops);
                b.auth.append(&mut rec.auth_rows);
                b.dkim.append(&mut rec.dkim_rows);
                b.attachments.append(&mut rec.attachment_rows);
                b.ip_info.extend(rec.ip_rows.drain(..));
                b.headers.append(&mut rec.header_rows);
                b.urls.append(&mut rec.url_rows);
                b.dmarc.reports.append(&mut rec.dmarc.reports);
                b.dmarc.records.append(&mut rec.dmarc.records);
                b.dmarc.auth.append(&mut rec.dmarc.auth);
                b.dmarc.tls_policies.append(&mut rec.dmarc.tls_policies);
                b.dmarc.tls_failures.append(&mut rec.dmarc.tls_failures);
                b.dmarc.failures.append(&mut rec.dmarc.failures);
                b.location_keys.push(rec.msg_key.clone());
                b.locations.push(rec.location.clone());
                b.messages.push(*rec);
            }
            Item::Copy(key, loc) => {
                b.location_keys.push(key);
                b.locations.push(loc);
            }
            Item::Reports(mut r) => {
                b.dmarc.reports.append(&mut r.reports);
                b.dmarc.records.append(&mut r.records);
                b.dmarc.auth.append(&mut r.auth);
                b.dmarc.tls_policies.append(&mut r.tls_policies);
                b.dmarc.tls_failures.append(&mut r.tls_failures);
            }
            Item::Problem(p) => {
                if counts.problems.len() < SHOWN_PROBLEMS {
                    counts.problems.push(p.clone());
                }
                b.problems.push(p)
            }
        }
        // A batch ends at batch_rows messages (or copies), or sooner when
        // their hops (about five a message) would make the hops part large.
        if b.messages.len() >= batch_rows || b.locations.len() >= 4 * batch_rows || b.hops.len() >= 3 * batch_rows || b.headers.len() >= 10 * batch_rows || b.urls.len() >= 10 * batch_rows {
            b.commit(&mut db)?;
        }
    }
    if !b.is_empty() {
        b.commit(&mut db)?;
    }
    Ok((db, counts))
}