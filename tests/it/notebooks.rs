//! Every notebook in notebooks/ executes headless (nbclient, a real Jupyter
//! kernel) against tables mailidx wrote from ../shared/corpora/spamassassin
//! and parsedmarc's report samples (the sample archive when ../shared is
//! absent), reading only the Parquet
//! tables; a failing cell fails the test, and the notebooks that draw must
//! draw. Needs `pip install -r notebooks/requirements.txt` (`.ci/run` does
//! it); skipped with a printed reason when it is missing.

use std::path::Path;
use std::process::Command;

use mailidx::store::DbPaths;
use mailidx::ingest::{ingest, IngestConfig, NoProgress};

#[test]
fn notebooks_execute_on_what_mailidx_writes() {
    let ready = Command::new("python3").args(["-c", "import polars, nbclient, matplotlib, ipykernel"]).output();
    if !ready.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED: python3 lacks the notebook requirements (pip install -r notebooks/requirements.txt)");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../shared/corpora/spamassassin");
    let source = if corpus.is_dir() { corpus } else { root.join("samples/mail") };
    let db = tempfile::tempdir().unwrap();
    // With parsedmarc's report samples beside the mail, for the DMARC notebook.
    let mut paths = vec![source];
    let reports = root.join("../shared/corpora/dmarc-parsedmarc/samples");
    if reports.is_dir() {
        paths.push(reports);
    }
    ingest(&IngestConfig::new(paths, DbPaths::new(db.path())), &NoProgress).unwrap();
    let mut notebooks: Vec<_> = std::fs::read_dir(root.join("notebooks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ipynb"))
        .collect();
    notebooks.sort();
    let out = Command::new("python3")
        .arg(root.join("notebooks/run_notebook.py"))
        .args(&notebooks)
        .env("MAILIDX_DB", db.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    eprintln!("{stdout}");
    let dmarc = root.join("../shared/corpora/dmarc-parsedmarc/samples").is_dir();
    for name in ["spam_sources", "forgery", "hops", "messages_overview", "dmarc"] {
        if name == "dmarc" && !dmarc {
            continue;
        }
        let line = stdout.lines().find(|l| l.starts_with(&format!("{name}.ipynb:"))).unwrap_or_else(|| panic!("{name} did not run: {stdout}"));
        let figures: usize = line.rsplit(", ").next().and_then(|f| f.split(' ').next()).and_then(|n| n.parse().ok()).unwrap();
        if name != "messages_overview" {
            assert!(figures >= 2, "{name} drew {figures} figures");
        }
    }
}
