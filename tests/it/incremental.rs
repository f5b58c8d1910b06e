//! Ingest again and again: after adding, removing, renaming and
//! flag-changing files, moving them from new/ to cur/ and appending to an
//! mbox, a re-ingest leaves the database equal to a clean ingest of the
//! archive as it now is; an ingest killed at random points (SIGKILL) or
//! stopped with SIGINT is completed by the next one, with nothing lost and
//! nothing doubled; and a second ingest on a database in use is refused.
//! Uses ../shared/corpora (copied to a temporary folder where a test
//! changes it; never changed in place); skipped where it is absent.

use crate::common::shared;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use mailidx::store::DbPaths;
use mailidx::ingest::{ingest, IngestConfig, IngestSummary, NoProgress};
use polars::prelude::*;


fn run(paths: &[&Path], db: &Path) -> IngestSummary {
    let cfg = IngestConfig::new(paths.iter().map(|p| p.to_path_buf()).collect(), DbPaths::new(db));
    ingest(&cfg, &NoProgress).unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// Rows of `table` (committed) as sorted strings of the given columns.
fn rows(db: &Path, table: &str, columns: &[&str]) -> Vec<String> {
    let dir = DbPaths::new(db).tables_dir();
    let Ok(df) = mailidx::store::parquet::read_table(&dir, table) else { return Vec::new() };
    let mut out: Vec<String> = (0..df.height())
        .map(|i| {
            columns
                .iter()
                .map(|c| match df.column(c).unwrap().get(i).unwrap() {
                    AnyValue::String(s) => s.to_string(),
                    v => v.to_string(),
                })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    out.sort();
    out
}

/// Everything a database says about the archive, location-independent
/// where a run may pick either of two copies as "the" message.
fn contents(db: &Path) -> BTreeMap<&'static str, Vec<String>> {
    let status = mailidx::read::status::status(&DbPaths::new(db)).unwrap();
    BTreeMap::from([
        ("index", vec![status.messages.to_string()]),
        ("messages", rows(db, "messages", &["msg_key", "subject", "label", "hop_count", "forgery_score", "thread_id", "parent_key", "depth"])),
        ("threads", rows(db, "threads", &["thread_id", "root_message_id", "root_key", "messages", "participants", "depth", "roots"])),
        ("received_hops", rows(db, "received_hops", &["msg_key", "hop_index", "ip"])),
        ("auth_results", rows(db, "auth_results", &["msg_key", "header_kind", "header_index", "method", "result"])),
        ("dkim_signatures", rows(db, "dkim_signatures", &["msg_key", "sig_index", "d"])),
        ("attachments", rows(db, "attachments", &["msg_key", "part_path", "sha256"])),
        ("locations", rows(db, "locations", &["msg_key", "path", "offset", "length", "flags", "folder"])),
        ("errors", rows(db, "errors", &["source_path", "error_kind"])),
        ("daily", rows(db, "daily", &["day", "label", "messages"])),
    ])
}

fn assert_same(a: &Path, b: &Path, what: &str) {
    let (ca, cb) = (contents(a), contents(b));
    for (table, rows) in &ca {
        let other = &cb[table];
        if rows != other {
            let sa: BTreeSet<&String> = rows.iter().collect();
            let sb: BTreeSet<&String> = other.iter().collect();
            let only_a: Vec<_> = sa.difference(&sb).take(5).collect();
            let only_b: Vec<_> = sb.difference(&sa).take(5).collect();
            panic!("{what}: {table} differs ({} vs {} rows); only in the first: {only_a:?}; only in the clean one: {only_b:?}", rows.len(), other.len());
        }
    }
    // The messages row points at a copy that exists.
    let locs: BTreeSet<String> = rows(a, "locations", &["msg_key", "path", "offset"]).into_iter().collect();
    for r in rows(a, "messages", &["msg_key", "source_path", "source_offset"]) {
        assert!(locs.contains(&r), "{what}: messages row {r} points at no recorded copy");
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    v.sort();
    v
}

#[test]
fn changes_to_the_archive_are_followed() {
    let Some(shared) = shared() else { return };
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("archive");
    let md = archive.join("notmuch");
    copy_dir(&shared.join("corpora/notmuch/corpora"), &md);
    std::fs::create_dir_all(md.join("new")).unwrap();
    // Three messages wait in new/ (no info part), as a delivery leaves them.
    let cur = files_in(&md.join("cur"));
    for f in &cur[..3] {
        let name = f.file_name().unwrap().to_string_lossy().replace(":2,", "");
        std::fs::rename(f, md.join("new").join(name)).unwrap();
    }
    let mbox = archive.join("lists.mbox");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/mail/lists/dev.mbox"), &mbox).unwrap();
    let db = work.path().join("db");
    let first = run(&[&archive], &db);
    assert!(first.messages > 250, "{first:?}");

    // A quiet re-ingest reads nothing.
    let quiet = run(&[&archive], &db);
    assert_eq!((quiet.messages, quiet.duplicates, quiet.removed_messages), (0, 0, 0), "{quiet:?}");
    assert_eq!(quiet.unchanged_files, first.files);

    // Changes: remove 10, flag 10 (:2, → :2,S), move new/ → cur/ with flags,
    // add 5 new messages, a second copy of one, and append to the mbox.
    let cur = files_in(&md.join("cur"));
    for f in &cur[3..13] {
        std::fs::remove_file(f).unwrap();
    }
    for f in &cur[20..30] {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::rename(f, md.join("cur").join(format!("{name}S"))).unwrap();
    }
    for f in files_in(&md.join("new")) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::rename(&f, md.join("cur").join(format!("{name}:2,RS"))).unwrap();
    }
    for f in files_in(&shared.join("corpora/mu/testdata/cur")).iter().take(5) {
        std::fs::copy(f, md.join("cur").join(f.file_name().unwrap())).unwrap();
    }
    let other = archive.join("copies/cur");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(&cur[40], other.join("copy-of-one:2,")).unwrap();
    let mut appended = std::fs::OpenOptions::new().append(true).open(&mbox).unwrap();
    std::io::Write::write_all(
        &mut appended,
        b"From appended@example.org Mon Jan  1 00:00:00 2024\nFrom: Appended <appended@example.org>\nSubject: appended later\nMessage-ID: <appended-1@example.org>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nnew text\n\n",
    )
    .unwrap();
    drop(appended);

    let again = run(&[&archive], &db);
    eprintln!("after changes: {again:?}");
    assert_eq!(again.renamed, 13, "10 flag changes and 3 moves from new/ to cur/");
    assert_eq!(again.appended_files, 1);
    assert_eq!(again.removed_copies, 10);
    assert!(again.messages >= 1 && again.messages <= 6, "only the added messages are parsed: {again:?}");
    assert_eq!(again.duplicates, 1, "the second copy is recorded, not parsed");

    // The same archive ingested once, from scratch.
    let clean = work.path().join("clean");
    run(&[&archive], &clean);
    assert_same(&db, &clean, "after changes");

    // The renamed messages show from their new place; the appended message is found.
    let moved = rows(&db, "locations", &["path"]).into_iter().find(|p| p.ends_with(":2,RS")).unwrap();
    assert!(Path::new(&moved).exists());
    let idx = mailidx::read::search::Searchable::open(&DbPaths::new(&db)).unwrap();
    let hit = &idx.search("subject:\"appended later\"", 5, mailidx::read::search::SortOrder::Date).unwrap().hits[0];
    let (h, raw, _) = mailidx::read::show::load(&DbPaths::new(&db), &hit.msg_key).unwrap();
    assert!(String::from_utf8_lossy(&raw).contains("new text"), "{h:?}");
    for r in rows(&db, "messages", &["msg_key"]) {
        let (h, raw, _) = mailidx::read::show::load(&DbPaths::new(&db), &r).unwrap();
        assert!(!raw.is_empty(), "{r} reads back from {}", h.source_path);
    }
    // Removing a whole folder removes its messages everywhere.
    std::fs::remove_dir_all(archive.join("copies")).unwrap();
    std::fs::remove_file(&mbox).unwrap();
    let gone = run(&[&archive], &db);
    assert!(gone.removed_messages >= 3, "the mbox's messages: {gone:?}");
    let clean2 = work.path().join("clean2");
    run(&[&archive], &clean2);
    assert_same(&db, &clean2, "after removing a folder and an mbox");
}

fn mailidx_cmd(db: &Path) -> Process {
    let mut c = Process::cargo_bin("mailidx").unwrap();
    c.arg("--db").arg(db).env_remove("MAILIDX_DB");
    c
}

/// Kills ingests of the SpamAssassin corpus (small commits, so a kill lands
/// between and inside them) at seeded random moments, runs the ingest again,
/// and compares with one clean ingest.
#[test]
fn killed_ingests_are_completed_by_the_next() {
    let Some(shared) = shared() else { return };
    let corpus = shared.join("corpora/spamassassin");
    let work = tempfile::tempdir().unwrap();
    let clean = work.path().join("clean");
    let t0 = std::time::Instant::now();
    let out = mailidx_cmd(&clean).args(["ingest", "-q", "--batch-rows", "400"]).arg(&corpus).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let full = t0.elapsed();
    // A simple LCG: the delays are the same on every run of the test.
    let mut seed: u64 = 0x5eed;
    for round in 0..4 {
        let db = work.path().join(format!("killed-{round}"));
        let mut kills = 0;
        for _ in 0..2 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let at = full.mul_f64(0.1 + (seed >> 33) as f64 / (1u64 << 31) as f64 * 0.8);
            let mut child =
                mailidx_cmd(&db).args(["ingest", "-q", "--batch-rows", "400"]).arg(&corpus).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
            std::thread::sleep(at);
            if round == 3 {
                // SIGINT: a clean stop that commits what is done.
                Process::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
                let status = child.wait().unwrap();
                assert!(matches!(status.code(), Some(0) | Some(1)), "SIGINT ends the run with 0 or 1: {status:?}");
            } else {
                let _ = child.kill();
                let _ = child.wait();
            }
            kills += 1;
        }
        let out = mailidx_cmd(&db).args(["ingest", "-q"]).arg(&corpus).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "round {round}: {}", String::from_utf8_lossy(&out.stderr));
        assert_same(&db, &clean, &format!("round {round} after {kills} interrupted runs"));
        let searched = mailidx::read::search::Searchable::open(&DbPaths::new(&db)).unwrap().search("*", 1, mailidx::read::search::SortOrder::Date).unwrap().total;
        assert_eq!(searched, 6046, "round {round}");
    }
}

#[test]
fn a_second_ingest_is_refused_while_one_runs() {
    let db = tempfile::tempdir().unwrap();
    let dbp = DbPaths::new(db.path());
    let held = mailidx::store::lock(&dbp).unwrap();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/mail");
    let out = mailidx_cmd(db.path()).arg("ingest").arg(&samples).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in use by another mailidx ingest"), "{err}");
    drop(held);
    let out = mailidx_cmd(db.path()).arg("ingest").arg(&samples).output().unwrap();
    assert!(matches!(out.status.code(), Some(0) | Some(1)));
}

#[test]
fn tables_stay_readable_by_glob_after_a_kill() {
    // The `tables` link always names a whole generation: polars reading
    // tables/messages/*.parquet sees exactly the committed rows.
    let Some(shared) = shared() else { return };
    let db = tempfile::tempdir().unwrap();
    let mut child = mailidx_cmd(db.path())
        .args(["ingest", "-q", "--batch-rows", "300"])
        .arg(shared.join("corpora/spamassassin"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(900));
    let _ = child.kill();
    let _ = child.wait();
    let link = db.path().join("tables/messages/*.parquet");
    let Ok(lf) = LazyFrame::scan_parquet(PlRefPath::new(link.to_string_lossy().as_ref()), ScanArgsParquet::default()) else { return };
    if let Ok(df) = lf.select([len()]).collect() {
        let n = df.column("len").unwrap().u32().unwrap().get(0).unwrap() as u64;
        let committed = rows(db.path(), "messages", &["msg_key"]).len() as u64;
        let index = mailidx::read::status::status(&DbPaths::new(db.path())).map(|s| s.messages).unwrap_or(0);
        assert!(n == committed || n + 300 >= committed, "glob {n}, committed {committed}");
        assert_eq!(committed, index, "tables and index agree");
    }
}
