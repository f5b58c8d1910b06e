//! What the corpus tests share: where ../shared is, and its oracle records.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The corpora of ../shared that are Maildir trees (MANIFEST.md), each
/// with oracle records.
pub const MAILDIR_CORPORA: &[&str] = &[
    "spamassassin",
    "phishing_pot",
    "sa-testdata",
    "sisimai",
    "japanese",
    "mail-parser",
    "mime4j",
    "flanker",
    "mikel-mail",
    "notmuch",
    "mu",
    "python-test-email",
];

/// ../shared, or None (with a printed reason) where its corpora are absent.
pub fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if p.join("corpora").is_dir() {
        Some(p)
    } else {
        eprintln!("SKIPPED: ../shared/corpora is not here; corpus tests need it");
        None
    }
}

/// Every record of one oracle file (../shared/oracle/CORPUS/NAME.jsonl.gz).
pub fn oracle(shared: &Path, corpus: &str, name: &str) -> Vec<Value> {
    let path = shared.join("oracle").join(corpus).join(format!("{name}.jsonl.gz"));
    let f = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    BufReader::new(flate2::read::GzDecoder::new(f)).lines().map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect()
}

/// The mailidx binary on the database `db`, whatever `$MAILIDX_DB` says.
pub fn mailidx(db: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("mailidx").unwrap();
    c.arg("--db").arg(db).env_remove("MAILIDX_DB");
    c
}

/// `mailidx search --format json --limit 100 QUERY` on `db`: the hits.
pub fn search(db: &Path, q: &str) -> Vec<Value> {
    let out = mailidx(db).args(["search", "--format", "json", "--limit", "100", q]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{q}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}
