//! The whole path on archives assembled at random: messages from the shared
//! corpora (the sample archive where ../shared is absent), with headers
//! dropped or mangled (no Date, no From, no Message-ID, one Message-ID for
//! several messages, dates in 1970 and 2100), spread over Maildir folders
//! (some empty) and mbox files; ingest, tables, derived statistics, search,
//! report, stats rebuild, then the archive changed and ingested again. No
//! command may fail or panic, and every table must agree with the messages.
//!
//! A fixed seed runs in `cargo test`; more cases by hand:
//! `MAILIDX_PROPERTY_SEED=7 MAILIDX_PROPERTY_CASES=200 cargo test --release property`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::common::mailidx;

/// xorshift64*: enough randomness to choose, and the same for a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Message files to draw from.
fn pool() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/corpora");
    let dirs: Vec<PathBuf> = if shared.is_dir() {
        ["spamassassin", "phishing_pot", "sisimai", "japanese", "flanker", "mime4j"].iter().map(|c| shared.join(c)).collect()
    } else {
        vec![root.join("samples/mail")]
    };
    let mut files: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|d| walkdir::WalkDir::new(d).into_iter().filter_map(|e| e.ok()))
        .filter(|e| e.file_type().is_file() && e.path().parent().is_some_and(|p| p.ends_with("cur") || p.ends_with("new")))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

/// The header lines of a message without the fields named (with their
/// continuation lines), the rest as it was.
fn drop_fields(msg: &[u8], names: &[&str]) -> Vec<u8> {
    let end = msg.windows(2).position(|w| w == b"\n\n").map(|i| i + 1).unwrap_or(msg.len());
    let (head, body) = msg.split_at(end);
    let mut out = Vec::with_capacity(msg.len());
    let mut dropping = false;
    for line in head.split_inclusive(|&b| b == b'\n') {
        if !matches!(line.first(), Some(b' ' | b'\t')) {
            let lower = String::from_utf8_lossy(line).to_ascii_lowercase();
            dropping = names.iter().any(|n| lower.starts_with(&format!("{n}:")));
        }
        if !dropping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(body);
    out
}

fn mangle(msg: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut m = msg.to_vec();
    for (field, percent) in [("date", 20), ("from", 10), ("message-id", 15)] {
        if rng.chance(percent) {
            m = drop_fields(&m, &[field]);
        }
    }
    let extra: &[u8] = match rng.below(10) {
        0 => b"Message-ID: <same@property.example>\n",
        1 => b"Date: Thu, 1 Jan 1970 00:00:00 +0000\n",
        2 => b"Date: Fri, 31 Dec 2100 23:59:59 +0000\n",
        _ => b"",
    };
    if !extra.is_empty() {
        m = drop_fields(&m, &[if extra.starts_with(b"Date") { "date" } else { "message-id" }]);
        let mut with = extra.to_vec();
        with.extend_from_slice(&m);
        m = with;
    }
    m
}

/// Writes a random archive; returns how many copies of messages it holds.
fn archive(root: &Path, pool: &[PathBuf], rng: &mut Rng, start: usize) -> usize {
    let mut copies = 0;
    let folders = 1 + rng.below(4);
    for f in 0..folders {
        let dir = root.join(format!("maildir{}", start + f));
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        if rng.chance(20) {
            continue; // an empty folder
        }
        for i in 0..rng.below(25) {
            let msg = mangle(&std::fs::read(&pool[rng.below(pool.len())]).unwrap(), rng);
            std::fs::write(dir.join(format!("cur/{start}.{f}.{i}:2,S")), msg).unwrap();
            copies += 1;
        }
    }
    for b in 0..rng.below(3) {
        let mut mbox = Vec::new();
        for _ in 0..rng.below(20) {
            let msg = mangle(&std::fs::read(&pool[rng.below(pool.len())]).unwrap(), rng);
            mbox.extend_from_slice(b"From property@example Thu Jan  1 00:00:00 2024\n");
            for line in msg.split_inclusive(|&c| c == b'\n') {
                if line.iter().skip_while(|&&c| c == b'>').take(5).eq(b"From ".iter()) {
                    mbox.push(b'>');
                }
                mbox.extend_from_slice(line);
            }
            if !mbox.ends_with(b"\n") {
                mbox.push(b'\n');
            }
            mbox.push(b'\n');
            copies += 1;
        }
        if !mbox.is_empty() {
            std::fs::write(root.join(format!("box{start}-{b}.mbox")), mbox).unwrap();
        }
    }
    copies
}


fn run_ok(db: &Path, args: &[&str]) -> String {
    let out = mailidx(db).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{args:?}: exit {:?}: {err}", out.status.code());
    assert!(!err.contains("panicked") && !err.contains("internal error"), "{args:?}: {err}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn keys(db: &Path, table: &str) -> Vec<String> {
    let Ok(df) = mailidx::store::parquet::read_table(&db.join("tables"), table) else { return Vec::new() };
    df.column("msg_key").unwrap().str().unwrap().iter().flatten().map(str::to_string).collect()
}

/// Every table's rows belong to a message; the index holds every message;
/// every copy written is a location.
fn consistent(db: &Path, copies: usize) {
    let messages: HashSet<String> = keys(db, "messages").into_iter().collect();
    let status: serde_json::Value = serde_json::from_str(&run_ok(db, &["status", "--format", "json"])).unwrap();
    assert_eq!(status["messages"].as_u64(), Some(messages.len() as u64), "index and messages table");
    let locations = keys(db, "locations");
    assert_eq!(locations.len(), copies, "one location per copy");
    assert_eq!(locations.iter().cloned().collect::<HashSet<_>>(), messages, "locations and messages");
    for table in ["received_hops", "auth_results", "dkim_signatures", "attachments", "errors"] {
        for k in keys(db, table) {
            assert!(messages.contains(&k), "{table} row of {k} without its message");
        }
    }
}

#[test]
fn random_archives_go_through_every_step() {
    let pool = pool();
    assert!(!pool.is_empty());
    let seed: u64 = std::env::var("MAILIDX_PROPERTY_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let cases: u64 = std::env::var("MAILIDX_PROPERTY_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(4);
    for case in 0..cases {
        let mut rng = Rng((seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (case + 1).wrapping_mul(0xd1b5_4a32_d192_ed03)) | 1);
        let tmp = tempfile::tempdir().unwrap();
        let (mail, db) = (tmp.path().join("mail"), tmp.path().join("db"));
        std::fs::create_dir_all(&mail).unwrap();
        let mut copies = archive(&mail, &pool, &mut rng, 0);
        if copies == 0 {
            copies += archive(&mail, &pool, &mut rng, 10);
        }
        if copies == 0 {
            continue;
        }
        eprintln!("seed {seed} case {case}: {copies} copies");
        run_ok(&db, &["ingest", "-q", mail.to_str().unwrap()]);
        consistent(&db, copies);
        for q in ["the", "from:example", "date:1970", "date:2100", "id:same@property.example", "label:unknown", "NOT the"] {
            run_ok(&db, &["search", q]);
        }
        run_ok(&db, &["report"]);
        run_ok(&db, &["stats", "rebuild"]);
        // Change the archive: remove a folder's files, add more, ingest again.
        let first = mail.join("maildir0/cur");
        let removed = std::fs::read_dir(&first).map(|d| d.count()).unwrap_or(0);
        if rng.chance(50) && removed > 0 {
            std::fs::remove_dir_all(&first).unwrap();
            std::fs::create_dir_all(&first).unwrap();
            copies -= removed;
        }
        copies += archive(&mail, &pool, &mut rng, 20);
        run_ok(&db, &["ingest", "-q", mail.to_str().unwrap()]);
        consistent(&db, copies);
        if copies > 0 {
            run_ok(&db, &["report"]);
        }
    }
}
