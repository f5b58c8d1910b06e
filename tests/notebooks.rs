//! Every notebook in notebooks/ runs against a database that mailidx wrote
//! (the sample archive), reading only the Parquet tables. Needs python3 with
//! polars (`.ci/run` installs it); skipped with a printed reason otherwise.

use std::path::Path;
use std::process::Command;

use mailidx::db::DbPaths;
use mailidx::pipeline::{ingest, IngestConfig, NoProgress};

#[test]
fn notebooks_run_on_what_mailidx_writes() {
    let has_polars = Command::new("python3").args(["-c", "import polars"]).output().is_ok_and(|o| o.status.success());
    if !has_polars {
        eprintln!("SKIPPED: python3 with polars is not installed (pip install polars)");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let db = tempfile::tempdir().unwrap();
    ingest(&IngestConfig::new(vec![root.join("samples/mail")], DbPaths::new(db.path())), &NoProgress).unwrap();
    let mut ran = 0;
    for entry in std::fs::read_dir(root.join("notebooks")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "ipynb") {
            continue;
        }
        let out = Command::new("python3")
            .arg(root.join("notebooks/run_notebook.py"))
            .arg(&path)
            .env("MAILIDX_DB", db.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
        // The sample archive's folders appear in every overview.
        assert!(stdout.contains("lists/dev"), "{}: {stdout}", path.display());
        ran += 1;
    }
    assert!(ran >= 1, "no notebooks found");
}
