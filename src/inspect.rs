//! `mailidx hops`: the header analyser for one message, offline. Takes a
//! message file (`.eml`, a Maildir file) or a msg_key from the database,
//! runs the same parse and hop analysis as ingest, and returns a report the
//! CLI prints as a table or JSON.

use std::borrow::Cow;
use std::path::Path;

use ipnet::IpNet;
use serde::Serialize;

use crate::analyze::hops::annotate;
use crate::db::DbPaths;
use crate::error::{Error, Result};
use crate::model::{
    Anomalies, AuthResultRecord, AuthSummary, DkimSignatureRecord, HopRecord, Location, RawMessage, SourceKind,
};
use crate::parse::{msg_key, parse_message};
use crate::search::Searchable;
use crate::source::{read_message, single_message_start};

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
}

/// Analyses `target`: a path to a message file, else a msg_key or
/// Message-ID looked up in the database.
pub fn hops_report(
    db: &DbPaths,
    target: &str,
    trusted: &[IpNet],
    authserv_ids: &[String],
    dkim_keys: &crate::analyze::dkim_verify::DkimKeys,
) -> Result<HopsReport> {
    let path = Path::new(target);
    let (bytes, source) = if path.is_file() {
        let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let start = single_message_start(&data);
        (data[start..].to_vec(), path.display().to_string())
    } else {
        let (hit, _) = Searchable::open(db)?.find(target)?;
        let bytes = read_message(&hit.location())?;
        (bytes, format!("{} @ {}", hit.source_path, hit.source_offset))
    };
    let raw = RawMessage {
        bytes: Cow::Borrowed(&bytes),
        location: Location {
            path: source.clone(),
            offset: 0,
            length: bytes.len() as u64,
            folder: String::new(),
            kind: SourceKind::Eml,
            flags: String::new(),
        },
    };
    let mut rec = parse_message(&raw, msg_key(&bytes));
    annotate(&mut rec, trusted);
    crate::analyze::auth::annotate(&mut rec, authserv_ids);
    crate::analyze::dkim_verify::verify_record(&bytes, &mut rec, dkim_keys);
    Ok(HopsReport {
        msg_key: rec.msg_key,
        source,
        subject: rec.subject,
        from_addr: rec.from_addr,
        date: rec.date,
        origin_ip: rec.origin_ip.map(|i| i.to_string()),
        origin_rdns: rec.origin_rdns,
        origin_helo: rec.origin_helo,
        hop_count: rec.hop_count,
        unparsed_hop_count: rec.unparsed_hop_count,
        transit_seconds: rec.transit_seconds,
        date_hop_skew_seconds: rec.date_hop_skew_seconds,
        anomalies: rec.anomalies,
        hops: rec.hops,
        auth: rec.auth,
        auth_results: rec.auth_rows,
        dkim: rec.dkim_rows,
    })
}
