//! `mailidx hops`: the header analyser for one message, offline. Takes a
//! message file (`.eml`, a Maildir file) or a msg_key from the database,
//! runs the same [`Analyzer`] as ingest (so the forgery signs and the label
//! are the ones ingest records), and returns a report the CLI prints as a
//! table or JSON.

use std::borrow::Cow;
use std::path::Path;

use serde::Serialize;

use crate::analyze::Analyzer;
use crate::error::{Error, Result};
use crate::model::{Anomalies, AuthResultRecord, AuthSummary, DkimSignatureRecord, Forgery, HopRecord, Location, RawMessage, SourceKind};
use crate::parse::msg_key;
use crate::read::search::Searchable;
use crate::source::{read_message, single_message_start};
use crate::store::DbPaths;

/// What `mailidx hops` shows. Field names are the JSON contract and match
/// the `messages` and `received_hops` columns.
#[derive(Debug, Clone, Serialize)]
pub struct HopsReport {
    pub msg_key: String,
    pub source: String,
    pub subject: Option<String>,
    pub from_addr: Option<String>,
    #[serde(serialize_with = "crate::model::ms_as_rfc3339")]
    pub date: Option<i64>,
    pub origin_ip: Option<String>,
    pub origin_rdns: Option<String>,
    pub origin_helo: Option<String>,
    pub hop_count: u32,
    pub unparsed_hop_count: u32,
    pub transit_seconds: Option<i64>,
    pub date_hop_skew_seconds: Option<i64>,
    pub anomalies: Anomalies,
    /// Header order: index 0 is the topmost (last) hop.
    pub hops: Vec<HopRecord>,
    /// Authentication verdicts and alignment (the `messages` columns).
    pub auth: AuthSummary,
    pub auth_results: Vec<AuthResultRecord>,
    pub dkim: Vec<DkimSignatureRecord>,
    /// Forgery signs, their names and score, as ingest records them.
    pub forgery: Forgery,
    pub label: &'static str,
    pub label_source: String,
}

/// Analyses `target`: a path to a message file, else a msg_key or
/// Message-ID looked up in the database (whose folder then counts for the
/// label, as at ingest).
pub fn hops_report(db: &DbPaths, target: &str, analyzer: &Analyzer) -> Result<HopsReport> {
    let path = Path::new(target);
    let (bytes, source, folder) = if path.is_file() {
        let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let start = single_message_start(&data);
        (data[start..].to_vec(), path.display().to_string(), String::new())
    } else {
        let (hit, _) = Searchable::open(db)?.find(target)?;
        let bytes = read_message(&hit.location())?;
        (bytes, format!("{} @ {}", hit.source_path, hit.source_offset), hit.folder.clone())
    };
    let location = Location { path: source.clone(), length: bytes.len() as u64, folder, kind: SourceKind::Eml, ..Default::default() };
    let raw = RawMessage { bytes: Cow::Borrowed(&bytes), location };
    let rec = analyzer.record(&raw, msg_key(&bytes));
    let route = rec.route;
    Ok(HopsReport {
        msg_key: rec.msg_key,
        source,
        subject: rec.subject,
        from_addr: rec.from_addr,
        date: rec.date,
        origin_ip: route.origin_ip.map(|i| i.to_string()),
        origin_rdns: route.origin_rdns,
        origin_helo: route.origin_helo,
        hop_count: route.hop_count,
        unparsed_hop_count: route.unparsed_hop_count,
        transit_seconds: route.transit_seconds,
        date_hop_skew_seconds: route.date_hop_skew_seconds,
        anomalies: route.anomalies,
        hops: rec.hops,
        auth: rec.auth,
        auth_results: rec.auth_rows,
        dkim: rec.dkim_rows,
        forgery: rec.forgery,
        label: rec.label.as_str(),
        label_source: rec.label_source.to_column().into_owned(),
    })
}
