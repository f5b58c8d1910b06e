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
    /// The message's key, computed from the bytes read (as `messages.msg_key`).
    pub msg_key: String,
    /// Where the message was read: the file given, or `path @ offset` of a
    /// message found in the database.
    pub source: String,
    /// Subject, RFC 2047 decoded.
    pub subject: Option<String>,
    /// First From address (domain lowercased).
    pub from_addr: Option<String>,
    /// Date header, milliseconds since the epoch, UTC (RFC 3339 in JSON); None
    /// when missing or unparseable.
    #[serde(serialize_with = "crate::model::ms_as_rfc3339")]
    pub date: Option<i64>,
    /// The receiving side's profile (microsoft365, google, …), if detected.
    pub receiver: Option<String>,
    /// The gateway the trust walk passed through, if any.
    pub receiver_gateway: Option<String>,
    /// mta, client or none.
    pub origin_kind: &'static str,
    /// IP of the origin hop; None when no hop qualifies.
    pub origin_ip: Option<String>,
    /// rDNS name of the origin hop as the receiving MTA wrote it.
    pub origin_rdns: Option<String>,
    /// HELO/EHLO name the origin gave.
    pub origin_helo: Option<String>,
    /// Received headers read as hops.
    pub hop_count: u32,
    /// Received headers without a from clause naming an address.
    pub unparsed_hop_count: u32,
    /// Seconds from the lowest to the topmost hop with a time.
    pub transit_seconds: Option<i64>,
    /// Date header minus the time of the origin hop (or the lowest hop with a
    /// time), in seconds.
    pub date_hop_skew_seconds: Option<i64>,
    /// Header-forensics flags of the chain and the Date header.
    pub anomalies: Anomalies,
    /// Header order: index 0 is the topmost (last) hop.
    pub hops: Vec<HopRecord>,
    /// Authentication verdicts and alignment (the `messages` columns).
    pub auth: AuthSummary,
    /// Every Authentication-Results method result, Received-SPF and ARC header
    /// (`auth_results` rows).
    pub auth_results: Vec<AuthResultRecord>,
    /// Every DKIM-Signature, its tags and checks (`dkim_signatures` rows).
    pub dkim: Vec<DkimSignatureRecord>,
    /// Forgery signs, their names and score, as ingest records them.
    pub forgery: Forgery,
    /// spam, ham or unknown.
    pub label: &'static str,
    /// Where the label came from: user, folder, header:NAME or none.
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
        receiver: route.receiver,
        receiver_gateway: route.receiver_gateway,
        origin_kind: route.origin_kind.as_str(),
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
