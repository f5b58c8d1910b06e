//! Hostile and ordinary mail kept in its place (issue 16): archives that
//! once crashed an ingest, what reaches the terminal, links out of the
//! archive, and who may read the database.

use std::path::Path;

use assert_cmd::Command;

fn mailidx(db: &Path) -> Command {
    let mut c = Command::cargo_bin("mailidx").unwrap();
    c.arg("--db").arg(db);
    c
}

fn mbox(dir: &Path, name: &str, messages: &[&str]) {
    let mut data = String::new();
    for m in messages {
        data.push_str("From x@y Mon Jan  1 00:00:00 2024\n");
        data.push_str(m);
        data.push('\n');
    }
    std::fs::write(dir.join(name), data).unwrap();
}

/// Two folders, one message with a Date in one and one without in the
/// other, each from its own origin and domain: the derived statistics once
/// panicked on it (a group whose dates were all null had another type),
/// and so did every later ingest and `stats rebuild`.
#[test]
fn an_undated_message_beside_a_dated_one_does_not_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let (mail, db) = (tmp.path().join("mail"), tmp.path().join("db"));
    std::fs::create_dir_all(&mail).unwrap();
    let received = |host: &str, ip: &str| format!("Received: from {host} ({host} [{ip}]) by mx.example.org; Mon, 13 Nov 2023 09:15:05 +0000\n");
    let dated = received("mx.one.example", "198.51.100.7") + "From: a@one.example\nSubject: dated\nDate: Mon, 13 Nov 2023 09:15:05 +0000\n\nhi\n";
    let undated = received("mx.two.example", "203.0.113.9") + "From: b@two.example\nSubject: undated\n\nhi\n";
    mbox(&mail, "Inbox.mbox", &[&dated]);
    mbox(&mail, "Drafts.mbox", &[&undated]);
    let out = mailidx(&db).args(["ingest", "-q"]).arg(&mail).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for args in [&["stats", "rebuild"][..], &["report"], &["search", "subject:undated"]] {
        let out = mailidx(&db).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    // A later ingest adds another undated message in a part of its own.
    mbox(&mail, "Later.mbox", &[&(received("mx.three.example", "192.0.2.1") + "From: c@three.example\nSubject: later\n\nhi\n")]);
    let out = mailidx(&db).args(["ingest", "-q"]).arg(&mail).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let sources = mailidx::store::parquet::read_table(&db.join("tables"), "spam_sources").unwrap();
    let first_seen = sources.column("first_seen").unwrap();
    assert_eq!(first_seen.dtype(), &polars::prelude::DataType::Datetime(polars::prelude::TimeUnit::Milliseconds, Some(polars::prelude::TimeZone::UTC)));
    assert!(first_seen.null_count() > 0 && first_seen.null_count() < sources.height(), "dated and undated sources: {sources}");
}
