//! `mailidx stats rebuild --geoip FILE…`: the network owners of an existing
//! database looked up again in newer IP databases, without reading the
//! archive: `received_hops` (asn, as_org, country), `messages` (origin_*),
//! `dmarc_records` (the reports' sources) and `ip_info` are rewritten from the addresses they hold, then the
//! derived tables; one commit.

use std::collections::HashMap;

use polars::prelude::*;

use crate::analyze::geoip::{GeoIp, Owner};
use crate::error::{Error, Result};
use crate::model::IpInfoRecord;
use crate::store::parquet::{read_parts, str_col};
use crate::store::{derived, frames, tables, Db, DbPaths};

/// Re-enriches the database; returns (addresses looked up, addresses
/// found, rows of each table rewritten).
pub fn reenrich(paths: &DbPaths, geoip: &GeoIp) -> Result<(usize, usize, Vec<(&'static str, usize)>)> {
    let mut db = Db::open_existing(paths, 50_000_000)?;
    crate::error::enter_step("looking up the network owners again");
    let mut owners: HashMap<String, Owner> = HashMap::new();
    let mut rows: Vec<IpInfoRecord> = Vec::new();
    let mut out = Vec::new();
    for (table, ip_col, prefix) in [
        (tables::RECEIVED_HOPS.table, "ip", ""),
        (tables::MESSAGES.table, "origin_ip", "origin_"),
        (tables::DMARC_RECORDS.table, "source_ip", ""),
    ] {
        let mut n = 0;
        for part in db.tables().files(table) {
            let Some(mut df) = read_parts(std::slice::from_ref(&part), table, None)? else { continue };
            let ips = str_col(&df, table, ip_col)?.clone();
            let found: Vec<Owner> = ips
                .iter()
                .map(|ip| {
                    let Some(ip) = ip else { return Owner::default() };
                    owners
                        .entry(ip.to_string())
                        .or_insert_with(|| {
                            let r = ip.parse().map(|a| geoip.lookup(a)).unwrap_or_default();
                            let o = GeoIp::owner(&r);
                            rows.extend(r);
                            o
                        })
                        .clone()
                })
                .collect();
            let name = |c: &str| format!("{prefix}{c}");
            let cols = [
                UInt32Chunked::from_iter_options(name("asn").into(), found.iter().map(|o| o.asn)).into_series().into_column(),
                StringChunked::from_iter_options(name("as_org").into(), found.iter().map(|o| o.as_org.as_deref())).into_series().into_column(),
                StringChunked::from_iter_options(name("country").into(), found.iter().map(|o| o.country.as_deref())).into_series().into_column(),
            ];
            for c in cols {
                df.with_column(c).map_err(Error::table(table))?;
            }
            n += df.height();
            db.tables_mut().replace_part(table, &part, &mut df)?;
        }
        out.push((table, n));
    }
    let mut info = frames::ip_info_frame(&rows).map_err(Error::table(tables::IP_INFO.table))?;
    out.push((tables::IP_INFO.table, info.height()));
    db.tables_mut().replace_table(tables::IP_INFO.table, &mut info)?;
    for (table, mut df) in derived::derive(&db.tables().files(tables::MESSAGES.table))? {
        out.push((table, df.height()));
        db.tables_mut().replace_table(table, &mut df)?;
    }
    db.commit()?;
    db.close()?;
    let found = owners.values().filter(|o| **o != Owner::default()).count();
    Ok((owners.len(), found, out))
}
