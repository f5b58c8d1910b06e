//! The Spark job (spark/ingest.py) in Spark's local mode against one
//! `mailidx ingest` of the same archive: the spamassassin Maildirs and the
//! freedreno mbox (decompressed, cut into at least 8 byte ranges), then
//! phishing_pot added with `--append`; one task is killed in the middle
//! of its work once and retried by Spark. Every table must hold the same
//! rows, the Spark SQL derived tables the same rows as mailidx's own, and
//! queries the same hits in the same order. Needs pyspark and Java (.ci/run
//! installs both); says SKIPPED where pyspark is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{mailidx, shared};

fn spark_submit() -> Option<PathBuf> {
    let ok = Command::new("python3").args(["-c", "import pyspark"]).output().map(|o| o.status.success()).unwrap_or(false);
    if !ok {
        eprintln!("SKIPPED: pyspark is not installed (.ci/run installs it)");
        return None;
    }
    let out = Command::new("python3").args(["-c", "import pyspark, os; print(os.path.join(os.path.dirname(pyspark.__file__), 'bin', 'spark-submit'))"]).output().ok()?;
    Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn run_job(spark: &Path, inputs: &[&Path], db: &Path, extra: &[&str], fail_once: &Path) -> String {
    let job = Path::new(env!("CARGO_MANIFEST_DIR")).join("spark/ingest.py");
    let out = Command::new(spark)
        .args(["--master", "local[2,2]", job.to_str().unwrap()])
        .args(inputs)
        .args(["--db", db.to_str().unwrap(), "--slice-bytes", "48000000", "--mailidx", env!("CARGO_BIN_EXE_mailidx")])
        .args(extra)
        .env("MAILIDX_SPARK_FAIL_ONCE", fail_once)
        .output()
        .unwrap();
    // The driver's progress lines reach spark-submit's stdout.
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let progress: Vec<&str> = log.lines().filter(|l| l.starts_with("mailidx-spark")).collect();
    assert!(out.status.success(), "spark job failed: {}", &log[log.len().saturating_sub(4000)..]);
    progress.join("\n")
}

fn compare(args: &[&Path]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/spark/compare_tables.py");
    let out = Command::new("python3").arg(script).args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}");
    assert!(out.status.success(), "tables differ:\n{text}{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_spark_job_gives_the_database_one_ingest_gives() {
    let Some(shared) = shared() else { return };
    let Some(spark) = spark_submit() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // freedreno as a plain mbox, so that it can be cut into byte ranges.
    let list = tmp.path().join("lists");
    std::fs::create_dir_all(&list).unwrap();
    let zst = std::fs::File::open(shared.join("corpora/lists-freedreno/freedreno.mbox.zst")).unwrap();
    let mut plain = std::fs::File::create(list.join("freedreno.mbox")).unwrap();
    std::io::copy(&mut zstd::Decoder::new(zst).unwrap(), &mut plain).unwrap();
    let sa = shared.join("corpora/spamassassin");
    let pp = shared.join("corpora/phishing_pot");

    let slices = mailidx(tmp.path()).args(["slices", "--max-bytes", "48000000"]).arg(&list).output().unwrap();
    let ranges = String::from_utf8_lossy(&slices.stdout).lines().filter(|l| l.contains("\"mbox\"")).count();
    assert!(ranges >= 8, "freedreno cut into {ranges} ranges");

    let spark_db = tmp.path().join("spark-db");
    let fail_once = tmp.path().join("killed-once");
    let started = std::time::Instant::now();
    let log = run_job(&spark, &[&sa, &list], &spark_db, &[], &fail_once);
    eprintln!("{log}\nspark job: {:.1} s", started.elapsed().as_secs_f64());
    assert!(fail_once.exists(), "a task was killed once, and retried");
    let started = std::time::Instant::now();
    let log = run_job(&spark, &[&sa, &list, &pp], &spark_db, &["--append"], &fail_once);
    eprintln!("{log}\nspark job --append: {:.1} s", started.elapsed().as_secs_f64());
    assert!(log.contains("new, in"), "{log}");

    let one = tmp.path().join("one-db");
    let started = std::time::Instant::now();
    let o = mailidx(&one).args(["ingest", "-q"]).args([&sa, &list, &pp]).output().unwrap();
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&o.stderr));
    eprintln!("mailidx ingest of the same: {:.1} s", started.elapsed().as_secs_f64());

    compare(&[&spark_db, &one]);
    compare(&[Path::new("--derived"), &spark_db]);
    let queries = [
        "viagra", "\"click here\"", "from:paypal", "subject:invoice", "date:2002", "date:2019..2021", "origin:64.0.0.0/8",
        "label:unknown", "drm msm", "attachment:pdf", "spf:fail", "thread:{subject:\"gpu hang\"}", "-drm", "*",
    ];
    let mut with_hits = 0;
    for q in queries {
        for sort in ["date", "relevance"] {
            let run = |db: &Path| mailidx(db).args(["search", "--format", "json", "--limit", "200", "--sort", sort, "--", q]).output().unwrap().stdout;
            let (a, b) = (run(&spark_db), run(&one));
            with_hits += usize::from(!b.is_empty());
            assert!(a == b, "{q} --sort {sort}: the hits differ");
        }
    }
    assert!(with_hits >= 20, "only {with_hits} of the query/sort pairs found anything");

    // The job records what it ingested: an ingest of the same paths reads nothing.
    let o = mailidx(&spark_db).args(["ingest", "-q"]).args([&sa, &list, &pp]).output().unwrap();
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.starts_with("0 messages (0.0 MB)"), "{said}");
    // Private, as mailidx's own databases are.
    use std::os::unix::fs::PermissionsExt;
    for p in [spark_db.clone(), spark_db.join("spark-derived"), spark_db.join("spark-derived/daily")] {
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o077, 0, "{} is private", p.display());
    }
    assert!(!spark_db.join(".spark-staging").exists(), "staging removed");
}
