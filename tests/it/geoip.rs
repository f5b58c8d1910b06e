//! Network owners from MaxMind DB files (issue 18, part 1), with MaxMind's
//! own test databases (../shared/corpora/mmdb-maxmind-test): messages
//! whose hops come from networks the source JSON maps get those AS
//! numbers, organisations and countries in received_hops, messages,
//! ip_info, search and spam_sources; `stats rebuild --geoip` redoes it
//! without the archive; every corrupt file is refused by name, with exit 2
//! and nothing written.

use std::path::{Path, PathBuf};

use crate::common::{mailidx, search, shared};
use polars::prelude::*;

fn mmdb(shared: &Path, name: &str) -> PathBuf {
    shared.join("corpora/mmdb-maxmind-test/test-data").join(name)
}

/// A message whose origin is `origin`, with 89.160.20.112 below it.
fn message(dir: &Path, name: &str, origin: &str, subject: &str) {
    let cur = dir.join("cur");
    std::fs::create_dir_all(&cur).unwrap();
    let text = format!(
        "Received: from filter.example.org (filter.example.org [10.0.0.2]) by mx.example.org with ESMTP id A; Mon, 4 Mar 2024 10:00:03 +0000\n\
         Received: from sender.example.com (sender.example.com [{origin}]) by filter.example.org with ESMTP id B; Mon, 4 Mar 2024 10:00:02 +0000\n\
         Received: from pc.example.se (pc.example.se [89.160.20.112]) by sender.example.com with ESMTP id C; Mon, 4 Mar 2024 10:00:01 +0000\n\
         From: a@example.com\nTo: b@example.org\nSubject: {subject}\nMessage-ID: <{subject}@example.com>\nDate: Mon, 4 Mar 2024 10:00:00 +0000\n\nhi\n"
    );
    std::fs::write(cur.join(format!("{name}:2,")), text).unwrap();
}

#[test]
fn owners_from_maxmind_test_databases() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mail = dir.path().join("Mail/spam");
    message(&mail, "1", "1.0.0.1", "google");
    message(&mail, "2", "2.125.160.217", "boxford");
    message(&mail, "3", "10.1.2.3", "private");
    let db = dir.path().join("db");
    let (asn, city) = (mmdb(&shared, "GeoLite2-ASN-Test.mmdb"), mmdb(&shared, "GeoIP2-City-Test.mmdb"));
    let geoip = format!("{}:{}", asn.display(), city.display());
    let out = mailidx(&db).args(["ingest", "--quiet"]).arg(dir.path().join("Mail")).env("MAILIDX_GEOIP", &geoip).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    let tables = db.join("tables");
    let msgs = mailidx::store::parquet::read_table(&tables, "messages").unwrap();
    let by_subject = |s: &str, c: &str| {
        let row = msgs.clone().lazy().filter(col("subject").eq(lit(s))).select([col(c).cast(DataType::String)]).collect().unwrap();
        row.column(c).unwrap().str().unwrap().get(0).map(str::to_string)
    };
    // What source-data/GeoLite2-ASN-Test.json and GeoIP2-City-Test.json say.
    assert_eq!(by_subject("google", "origin_asn").as_deref(), Some("15169"));
    assert_eq!(by_subject("google", "origin_as_org").as_deref(), Some("Google Inc."));
    assert_eq!(by_subject("boxford", "origin_country").as_deref(), Some("GB"));
    let hops = mailidx::store::parquet::read_table(&tables, "received_hops").unwrap();
    let private = hops.clone().lazy().filter(col("ip").eq(lit("10.1.2.3"))).select([col("asn"), col("country")]).collect().unwrap();
    assert_eq!(private.height(), 1);
    assert_eq!(private.column("asn").unwrap().null_count() + private.column("country").unwrap().null_count(), 2, "private space is never looked up");
    let relay = hops.lazy().filter(col("ip").eq(lit("89.160.20.112"))).select([col("country")]).collect().unwrap();
    assert!(relay.column("country").unwrap().str().unwrap().iter().all(|c| c == Some("SE")), "{relay}");
    let info = mailidx::store::parquet::read_table(&tables, "ip_info").unwrap();
    let boxford = info.clone().lazy().filter(col("ip").eq(lit("2.125.160.217"))).collect().unwrap();
    assert_eq!(boxford.column("city").unwrap().str().unwrap().get(0), Some("Boxford"));
    assert_eq!(boxford.column("database_type").unwrap().str().unwrap().get(0), Some("GeoIP2-City"));
    assert!(boxford.column("build_epoch").unwrap().u64().unwrap().get(0).unwrap() > 1_000_000_000);
    let distinct = info.clone().lazy().select([col("ip"), col("database_type")]).unique(None, UniqueKeepStrategy::First).collect().unwrap();
    assert_eq!(distinct.height(), info.height(), "each address and database once");

    let subjects = |q: &str| search(&db, q).iter().map(|h| h["subject"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(subjects("asn:15169"), ["google"]);
    assert_eq!(subjects("asn:AS15169"), ["google"]);
    assert_eq!(subjects("country:gb"), ["boxford"]);
    assert_eq!(subjects("country:GB AND subject:boxford"), ["boxford"]);
    assert!(subjects("country:fr").is_empty());

    let sources = mailidx::store::parquet::read_table(&tables, "spam_sources").unwrap();
    let kinds = |k: &str| {
        let f = sources.clone().lazy().filter(col("kind").eq(lit(k))).select([col("source")]).collect().unwrap();
        f.column("source").unwrap().str().unwrap().iter().flatten().map(str::to_string).collect::<Vec<_>>()
    };
    assert!(kinds("asn").contains(&"15169".to_string()), "{sources}");
    assert!(kinds("country").contains(&"GB".to_string()), "{sources}");

    // A newer file, without the archive: only the Country database now.
    let country = mmdb(&shared, "GeoLite2-Country-Test.mmdb");
    let out = mailidx(&db).args(["stats", "rebuild", "--geoip"]).arg(&country).env_remove("MAILIDX_GEOIP").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("addresses looked up"));
    let msgs = mailidx::store::parquet::read_table(&tables, "messages").unwrap();
    let asns = msgs.column("origin_asn").unwrap().null_count();
    assert_eq!(asns, msgs.height(), "no ASN database any more");
    assert_eq!(subjects("country:gb"), ["boxford"]);
    assert!(subjects("asn:15169").is_empty());
}

#[test]
fn corrupt_databases_are_refused_by_name_before_anything_is_written() {
    let Some(shared) = shared() else { return };
    let bad = shared.join("corpora/mmdb-maxmind-test/bad-data");
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&bad)
        .into_iter()
        .filter_map(|e| e.ok())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "mmdb"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "{files:?}");
    let dir = tempfile::tempdir().unwrap();
    let mail = dir.path().join("Mail/inbox");
    message(&mail, "1", "1.0.0.1", "google");
    for f in &files {
        let db = dir.path().join("db");
        let started = std::time::Instant::now();
        let out = mailidx(&db).args(["ingest", "--quiet", "--geoip"]).arg(f).arg(dir.path().join("Mail")).env_remove("MAILIDX_GEOIP").output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let name = f.file_name().unwrap().to_string_lossy();
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(name.as_ref()) && !err.contains("internal error"), "{name}: {err}");
        assert!(!db.exists(), "{name}: nothing is written");
        assert!(started.elapsed().as_secs() < 10, "{name} took {:?}", started.elapsed());
    }
}
