//! Network owners from the user's own IP databases: MaxMind DB files
//! (GeoLite2/GeoIP2 ASN, Country, City, ISP, and the databases others
//! publish in that format: DB-IP, IPinfo Lite), read with the `maxminddb`
//! crate. Nothing is downloaded: the user names the files.
//!
//! Every file is verified when it is opened (the whole search tree and data
//! section, with the crate's bounds on depth and work), so a corrupt file is
//! refused with its name before anything is written, and a lookup never
//! meets a cycle or an offset out of range.
//!
//! Each public address gets, from each database that knows it, the AS
//! number and organisation, the country (ISO 3166 alpha-2) and the city
//! (English name); the hop and the origin get the first database's answer
//! for each field, in the order the files were given. Private, loopback and
//! reserved addresses are never looked up.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use maxminddb::{path, Reader};

use crate::analyze::hops::ip_class;
use crate::error::{Error, Result};
use crate::model::IpInfoRecord;

/// One opened, verified database.
struct Database {
    reader: Reader<Vec<u8>>,
    database_type: String,
    build_epoch: u64,
}

/// The databases of one run (cheap to clone: shared).
#[derive(Clone, Default)]
pub struct GeoIp {
    dbs: Arc<Vec<Database>>,
    /// The files, for messages.
    pub files: Vec<PathBuf>,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoIp").field("files", &self.files).finish()
    }
}

impl PartialEq for GeoIp {
    fn eq(&self, other: &Self) -> bool {
        self.files == other.files
    }
}

/// What the databases say about one address: the merged answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Owner {
    /// Autonomous system number.
    pub asn: Option<u32>,
    /// Autonomous system organisation.
    pub as_org: Option<String>,
    /// ISO 3166 alpha-2 country code, upper case.
    pub country: Option<String>,
    /// City (English name).
    pub city: Option<String>,
}

impl GeoIp {
    /// Opens and verifies every file; the first that cannot be read or is
    /// corrupt is an error naming it.
    pub fn open(files: &[PathBuf]) -> Result<GeoIp> {
        let mut dbs = Vec::new();
        for f in files {
            dbs.push(open_one(f)?);
        }
        Ok(GeoIp { dbs: Arc::new(dbs), files: files.to_vec() })
    }

    /// Whether any database was given.
    pub fn is_empty(&self) -> bool {
        self.dbs.is_empty()
    }

    /// Each database's answer for a public address (rows of `ip_info`);
    /// empty for other addresses and addresses no database holds.
    pub fn lookup(&self, ip: IpAddr) -> Vec<IpInfoRecord> {
        if self.dbs.is_empty() || ip_class(&ip) != "public" {
            return Vec::new();
        }
        self.dbs.iter().filter_map(|db| answer(db, ip)).collect()
    }

    /// The merged answer: the first database's value for each field.
    pub fn owner(rows: &[IpInfoRecord]) -> Owner {
        Owner {
            asn: rows.iter().find_map(|r| r.asn),
            as_org: rows.iter().find_map(|r| r.as_org.clone()),
            country: rows.iter().find_map(|r| r.country.clone()),
            city: rows.iter().find_map(|r| r.city.clone()),
        }
    }
}

/// Gives every hop's address and the origin their owners, and the record
/// its `ip_info` rows (one per address and database). Needs the hops.
pub(crate) fn annotate(rec: &mut crate::model::MessageRecord, geoip: &GeoIp) {
    if geoip.is_empty() {
        return;
    }
    let mut seen: std::collections::HashMap<String, Owner> = std::collections::HashMap::new();
    for h in rec.hops.iter_mut() {
        let Some(ip) = h.ip.as_deref() else { continue };
        let owner = match seen.get(ip) {
            Some(o) => o.clone(),
            None => {
                let rows = ip.parse().map(|a| geoip.lookup(a)).unwrap_or_default();
                let o = GeoIp::owner(&rows);
                rec.ip_rows.extend(rows);
                seen.insert(ip.to_string(), o.clone());
                o
            }
        };
        (h.asn, h.as_org, h.country) = (owner.asn, owner.as_org, owner.country);
        if h.is_origin {
            (rec.route.origin_asn, rec.route.origin_as_org, rec.route.origin_country) = (h.asn, h.as_org.clone(), h.country.clone());
        }
    }
}

/// Gives the sources of DMARC aggregate report records their owners.
pub(crate) fn annotate_reports(rows: &mut crate::model::DmarcRows, geoip: &GeoIp) {
    if geoip.is_empty() {
        return;
    }
    for r in rows.records.iter_mut() {
        let Some(ip) = r.source_ip.as_deref().and_then(|s| s.parse().ok()) else { continue };
        let o = GeoIp::owner(&geoip.lookup(ip));
        (r.asn, r.as_org, r.country) = (o.asn, o.as_org, o.country);
    }
}

fn open_one(f: &Path) -> Result<Database> {
    let bad = |e: maxminddb::MaxMindDbError| {
        // main prints errors through read::terminal::inline: a hostile
        // file name cannot reach the terminal as it is.
        Error::Other(format!("--geoip {}: not a usable MaxMind DB file: {e}", f.display()))
    };
    let reader = Reader::open_readfile(f).map_err(|e| match e {
        maxminddb::MaxMindDbError::Io(io) => Error::io(f, io),
        other => bad(other),
    })?;
    reader.verify().map_err(bad)?;
    let m = reader.metadata();
    let (database_type, build_epoch) = (m.database_type.clone(), m.build_epoch);
    Ok(Database { reader, database_type, build_epoch })
}

/// One database's answer; None when it holds nothing for the address.
fn answer(db: &Database, ip: IpAddr) -> Option<IpInfoRecord> {
    let found = db.reader.lookup(ip).ok().filter(|r| r.has_data())?;
    let s = |p: &[maxminddb::PathElement<'_>]| found.decode_path::<String>(p).ok().flatten().filter(|v| !v.is_empty());
    let asn = found
        .decode_path::<u32>(&path!["autonomous_system_number"])
        .ok()
        .flatten()
        // IPinfo Lite: "asn": "AS15169".
        .or_else(|| s(&path!["asn"]).and_then(|a| a.trim_start_matches("AS").parse().ok()));
    let as_org = s(&path!["autonomous_system_organization"]).or_else(|| s(&path!["as_name"]));
    let country = s(&path!["country", "iso_code"])
        .or_else(|| s(&path!["registered_country", "iso_code"]))
        .or_else(|| s(&path!["country_code"]))
        .map(|c| c.to_ascii_uppercase());
    let city = s(&path!["city", "names", "en"]);
    if asn.is_none() && as_org.is_none() && country.is_none() && city.is_none() {
        return None;
    }
    Some(IpInfoRecord {
        ip: ip.to_string(),
        database_type: db.database_type.clone(),
        build_epoch: db.build_epoch,
        asn,
        as_org,
        country,
        city,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(p: &str) -> Option<PathBuf> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/mmdb-maxmind-test").join(p);
        p.exists().then_some(p)
    }

    #[test]
    fn asn_country_and_city() {
        let (Some(asn), Some(city)) = (shared("test-data/GeoLite2-ASN-Test.mmdb"), shared("test-data/GeoIP2-City-Test.mmdb")) else { return };
        let g = GeoIp::open(&[asn, city]).unwrap();
        let rows = g.lookup("1.0.0.1".parse().unwrap());
        let o = GeoIp::owner(&rows);
        assert_eq!((o.asn, o.as_org.as_deref()), (Some(15169), Some("Google Inc.")));
        let o = GeoIp::owner(&g.lookup("2.125.160.217".parse().unwrap()));
        assert_eq!((o.country.as_deref(), o.city.as_deref()), (Some("GB"), Some("Boxford")));
        assert!(g.lookup("10.0.0.1".parse().unwrap()).is_empty(), "private space is never looked up");
    }
}
