//! The command line as a user meets it, on the sample archive the repository
//! ships (samples/mail: a Maildir with a Maildir++ sub-folder, an mbox with
//! `>From` quoting, a gzip'd mbox, a loose .eml and a non-mail README).

use std::path::{Path, PathBuf};

use serde_json::Value;
use crate::common::mailidx;

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/mail")
}


fn ingest_samples(db: &Path) -> String {
    let out = mailidx(db).arg("ingest").arg(samples()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

use crate::common::search;

fn subjects(hits: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = hits.iter().map(|h| h["subject"].as_str().unwrap_or("").to_string()).collect();
    v.sort();
    v
}

#[test]
fn ingest_then_search_and_show() {
    let db = tempfile::tempdir().unwrap();
    let out = ingest_samples(db.path());
    assert!(out.starts_with("11 messages"), "{out}");
    assert!(out.contains("0 malformed, 0 skipped, 0 duplicates, 1 non-mail files ignored"), "{out}");
    assert!(out.contains(&db.path().display().to_string()), "prints where it wrote: {out}");

    // field prefixes
    assert_eq!(subjects(&search(db.path(), "from:alice")), ["Invoice 2023-117 for the garden shed"]);
    assert_eq!(search(db.path(), "subject:invoice").len(), 2);
    assert_eq!(search(db.path(), "from:alice subject:invoice").len(), 1);
    assert_eq!(search(db.path(), "to:dev-list").len(), 3);
    assert_eq!(search(db.path(), "body:shed").len(), 3);
    assert_eq!(search(db.path(), "cafe").len(), 1, "accents fold: café");
    // boolean operators and phrases
    assert_eq!(search(db.path(), "subject:invoice AND NOT from:alice").len(), 1);
    assert_eq!(search(db.path(), "from:carol OR from:dave").len(), 2);
    assert_eq!(search(db.path(), "\"feature flag was missing\"").len(), 1);
    assert_eq!(search(db.path(), "\"flag feature was missing\"").len(), 0);
    // what users type that is not tantivy syntax
    assert_eq!(search(db.path(), "NOT invoice").len(), 9, "a negation alone");
    assert_eq!(search(db.path(), "not from:alice").len(), 10);
    assert_eq!(search(db.path(), "from:carol or from:dave").len(), 2, "lowercase operators");
    assert_eq!(search(db.path(), "FROM:alice").len(), 1, "field names in any case");
    assert_eq!(search(db.path(), "[dev]").len(), 3, "reserved characters");
    assert_eq!(search(db.path(), "subject:Re:").len(), 2);
    assert_eq!(search(db.path(), "Alice's").len(), 0, "searched as the phrase \"alice s\", not an error");
    assert_eq!(search(db.path(), "from:alice@example.org").len(), 1);
    let bad = mailidx(db.path()).args(["search", "nofield:x"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(0), "an unknown prefix is searched as words");
    let bad = mailidx(db.path()).args(["search", "date:2024..2023"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("before the start"));
    let bad = mailidx(db.path()).args(["search", "--limit", "0", "x"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2), "--limit 0 is refused");

    // attachments, types, folders, ids
    assert_eq!(subjects(&search(db.path(), "attachment:invoice")), ["Invoice 2023-117 for the garden shed"]);
    assert_eq!(search(db.path(), "mimetype:application/pdf").len(), 1);
    assert_eq!(search(db.path(), "mimetype:text/html").len(), 1);
    assert_eq!(subjects(&search(db.path(), "folder:Inbox/.Spam")), ["Your account has been limited"]);
    assert_eq!(search(db.path(), "folder:lists/dev").len(), 3);
    assert_eq!(search(db.path(), "folder:archive/2019").len(), 2);
    assert_eq!(search(db.path(), "id:<reply-1@example.com>").len(), 1);
    // HTML-only mail is searchable as text
    assert_eq!(search(db.path(), "\"unusual activity\"").len(), 1);
    // mboxrd quoting is undone before indexing
    assert_eq!(search(db.path(), "body:log").len(), 1);
    // RFC 2047 + ISO-2022-JP headers decode
    let jp = search(db.path(), "from:taro");
    assert_eq!(subjects(&jp), ["会議資料の件"]);
    // Japanese is searchable by the words a user types (CJK bigrams).
    assert_eq!(subjects(&search(db.path(), "会議")), ["会議資料の件"]);
    assert_eq!(subjects(&search(db.path(), "subject:資料")), ["会議資料の件"]);
    assert_eq!(search(db.path(), "body:送ります").len(), 1);
    assert_eq!(search(db.path(), "\"会議資料\"").len(), 1);
    assert_eq!(search(db.path(), "資料 会議").len(), 1, "both words, any order");
    assert_eq!(search(db.path(), "\"資料会議\"").len(), 0, "as a phrase, in order");
    // date ranges, newest first
    let y2019 = search(db.path(), "date:2019");
    assert_eq!(subjects(&y2019), ["Compiler notes", "Old photos from the 2019 trip"]);
    assert_eq!(search(db.path(), "date:2023-11-13..2023-11-14").len(), 2);
    assert_eq!(search(db.path(), "dkim:pass dmarc_computed:pass").len(), 1, "the signed digest");
    assert_eq!(search(db.path(), "date:2024..").len(), 2);
    let all = search(db.path(), "date:..2030");
    assert_eq!(all.len(), 11);
    let dates: Vec<&str> = all.iter().map(|h| h["date"].as_str().unwrap()).collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "--sort date is newest first");

    // JSON Lines fields are stable
    let hit = &search(db.path(), "from:alice")[0];
    for field in ["msg_key", "message_id", "date", "from", "to", "subject", "folder", "label", "thread_id", "source_path", "source_offset", "source_length", "source_kind", "score"] {
        assert!(hit.get(field).is_some(), "missing {field} in {hit}");
    }
    assert_eq!(hit["date"], "2023-11-13T09:14:55Z");
    assert_eq!(hit["message_id"], "invoice-117@example.org");

    // threads: the reply shares the invoice's thread
    let thread = hit["thread_id"].as_str().unwrap();
    assert_eq!(search(db.path(), &format!("thread:{thread}")).len(), 2);

    // show reads the message back from the archive
    let key = hit["msg_key"].as_str().unwrap();
    let out = mailidx(db.path()).args(["show", key]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Subject:    Invoice 2023-117 for the garden shed"), "{text}");
    assert!(text.contains("Café au lait"), "QP decoded: {text}");
    assert!(text.contains("invoice-2023-117.pdf"), "{text}");
    let raw = mailidx(db.path()).args(["show", "--raw", key]).output().unwrap().stdout;
    let file = std::fs::read(samples().join("Inbox/cur/1700000001.M1P1.sample:2,S")).unwrap();
    assert_eq!(raw, file);
    let parts = String::from_utf8(mailidx(db.path()).args(["show", "--parts", key]).output().unwrap().stdout).unwrap();
    assert!(parts.starts_with("- multipart/mixed"), "{parts}");
    assert!(parts.contains("  2 application/pdf \"invoice-2023-117.pdf\" (attachment) [base64]"), "{parts}");

    // messages from an mbox and a gzip'd mbox come back too, unquoted
    let carol = &search(db.path(), "from:carol")[0];
    let text = String::from_utf8(mailidx(db.path()).args(["show", carol["msg_key"].as_str().unwrap()]).output().unwrap().stdout).unwrap();
    assert!(text.contains("\nFrom the log"), "{text}");
    let upper = mailidx(db.path()).args(["show", &key.to_ascii_uppercase()]).output().unwrap();
    assert_eq!(upper.status.code(), Some(0), "keys in any case");
    let grace = &search(db.path(), "from:grace")[0];
    assert_eq!(grace["source_kind"], "mbox.gz");
    let raw = mailidx(db.path()).args(["show", "--raw", "<compiler-notes@example.org>"]).output().unwrap().stdout;
    assert!(String::from_utf8(raw).unwrap().starts_with("From: Grace Hopper"));
}

#[test]
fn reingest_adds_no_duplicates() {
    let db = tempfile::tempdir().unwrap();
    ingest_samples(db.path());
    let again = ingest_samples(db.path());
    assert!(again.starts_with("0 messages"), "{again}");
    assert!(again.contains("0 duplicates"), "{again}");
    assert!(again.contains("8 files unchanged, 0 grown, 0 renamed"), "nothing is read again: {again}");
    assert_eq!(search(db.path(), "date:..2030").len(), 11);
    let df = mailidx::store::parquet::read_table(&db.path().join("tables"), "messages").unwrap();
    assert_eq!(df.height(), 11);
    let att = mailidx::store::parquet::read_table(&db.path().join("tables"), "attachments").unwrap();
    assert_eq!(att.height(), 1, "the invoice PDF");
    let col = |n: &str| att.column(n).unwrap().str().unwrap().get(0).map(str::to_string);
    assert_eq!(col("filename").as_deref(), Some("invoice-2023-117.pdf"));
    assert_eq!(col("sniffed_type").as_deref(), Some("application/pdf"));
    assert_eq!(col("part_path").as_deref(), Some("2"));
    let errors = mailidx::store::parquet::read_table(&db.path().join("tables"), "errors").unwrap();
    assert_eq!(errors.height(), 1, "the ignored README is listed once, not once per ingest");
    let status = String::from_utf8(mailidx(db.path()).arg("status").output().unwrap().stdout).unwrap();
    assert!(status.contains("messages   11"), "{status}");
    assert!(status.contains("Inbox/.Spam"), "folders as written: {status}");
}

#[test]
fn bad_paths_exit_2_with_one_line() {
    let db = tempfile::tempdir().unwrap();
    let out = mailidx(db.path()).args(["ingest", "/nonexistent/mail"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no such file"), "{err}");

    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("notes.txt"), "just some notes\n").unwrap();
    let out = mailidx(db.path()).arg("ingest").arg(empty.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("holds no mail"));

    let nodb = tempfile::tempdir().unwrap();
    let out = mailidx(&nodb.path().join("x")).args(["search", "anything"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("no database"));

    // A database that cannot be created says what to do.
    let file = nodb.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let out = mailidx(&file.join("db")).arg("ingest").arg(samples()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("cannot create the database directory") && err.contains("--db"), "{err}");
}

#[test]
fn malformed_and_unreadable_are_recorded_and_the_run_goes_on() {
    let tree = tempfile::tempdir().unwrap();
    let cur = tree.path().join("box/cur");
    std::fs::create_dir_all(&cur).unwrap();
    std::fs::create_dir_all(tree.path().join("box/new")).unwrap();
    std::fs::write(cur.join("1.good:2,S"), "From: a@b.c\nSubject: fine\n\nok\n").unwrap();
    std::fs::write(cur.join("2.empty:2,"), "").unwrap();
    std::fs::write(cur.join(".hidden"), "From: x@y\n\nignored\n").unwrap();
    // A dangling link cannot be read, whoever runs the test (root included).
    std::os::unix::fs::symlink(tree.path().join("gone"), cur.join("3.gone:2,")).unwrap();

    let db = tempfile::tempdir().unwrap();
    let out = mailidx(db.path()).arg("ingest").arg(tree.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    // Each problem is named with its file and what to do about it.
    for name in ["2.empty:2,", "3.gone:2,"] {
        assert!(stderr.lines().any(|l| l.contains(name) && l.contains("What to do:")), "{name}: {stderr}");
    }
    assert!(stderr.contains("`mailidx errors`"), "{stderr}");
    let listed = mailidx(db.path()).arg("errors").output().unwrap();
    assert_eq!(listed.status.code(), Some(0));
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(listed.lines().any(|l| l.contains("3.gone:2,: io: ")), "{listed}");
    let io_only = mailidx(db.path()).args(["errors", "--kind", "io", "--format", "json"]).output().unwrap();
    let rows: Vec<Value> = String::from_utf8(io_only.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 1);
    assert!(rows[0]["advice"].as_str().unwrap().contains("run the same ingest again"));
    let errors = mailidx::store::parquet::read_table(&db.path().join("tables"), "errors").unwrap();
    let col = errors.column("error_kind").unwrap().str().unwrap().clone();
    let kinds: Vec<String> = (0..col.len()).map(|i| col.get(i).unwrap().to_string()).collect();
    assert!(kinds.contains(&"malformed".to_string()), "{kinds:?}");
    assert!(stdout.starts_with("2 messages"), "{stdout}");
    assert!(stdout.contains("1 malformed, 1 skipped"), "{stdout}");
    assert!(kinds.contains(&"io".to_string()), "{kinds:?}");
    assert_eq!(search(db.path(), "subject:fine").len(), 1);
}


#[test]
fn hops_shows_origin_delays_and_anomalies() {
    let db = tempfile::tempdir().unwrap();
    let spam = samples().join("Inbox/.Spam/cur/1700000004.M4P1.sample:2,");
    let out = mailidx(db.path()).arg("hops").arg(&spam).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("origin   203.0.113.45 (the server that handed it over)  rDNS none  HELO paypal.com"), "{text}");
    assert!(text.contains("receiver none detected"), "{text}");
    assert!(text.contains("origin has no rDNS"), "{text}");
    assert!(text.contains("auth     SPF fail  DKIM none  DMARC fail"), "{text}");

    let out = mailidx(db.path()).args(["hops", "--format", "json"]).arg(&spam).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["origin_ip"], "203.0.113.45");
    assert_eq!(v["hop_count"], 1);
    assert_eq!(v["hops"][0]["is_origin"], true);
    assert_eq!(v["hops"][0]["ip_class"], "documentation");
    assert_eq!(v["hops"][0]["timestamp"], "2023-11-16T03:12:44Z");
    assert_eq!(v["anomalies"]["origin_rdns_missing"], true);
    assert_eq!(v["date_hop_skew_seconds"], -4);
    assert_eq!(v["auth"]["spf_result"], "fail");
    assert_eq!(v["auth"]["dmarc_result"], "fail");
    assert_eq!(v["auth"]["spf_domain"], "paypa1-security.example");
    assert_eq!(v["auth"]["spf_aligned_strict"], true);
    assert_eq!(v["auth"]["dmarc_computed"], "fail");
    assert_eq!(v["auth_results"].as_array().unwrap().len(), 3);
    assert_eq!(v["auth_results"][0]["trusted"], true);

    // By key, after an ingest; and the origin is searchable.
    ingest_samples(db.path());
    let hits = search(db.path(), "origin:203.0.113.0/24");
    assert_eq!(subjects(&hits), ["Your account has been limited"]);
    assert_eq!(hits[0]["origin_ip"], "203.0.113.45");
    assert_eq!(search(db.path(), "origin_ip:198.51.100.7").len(), 1);
    // Authentication verdicts are search fields.
    assert_eq!(subjects(&search(db.path(), "dmarc:fail")), ["Your account has been limited"]);
    assert_eq!(search(db.path(), "spf:fail AND dmarc_computed:fail").len(), 1);
    assert_eq!(search(db.path(), "dmarc_computed:none").len(), 9);
    let key = hits[0]["msg_key"].as_str().unwrap();
    let out = mailidx(db.path()).args(["hops", key]).output().unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains("203.0.113.45"));

    // --trusted-network moves the origin past a relay you run.
    let out = mailidx(db.path())
        .args(["hops", "--format", "json", "--trusted-network", "203.0.113.0/24"])
        .arg(&spam)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["origin_ip"], Value::Null);
}

#[test]
fn hops_on_a_phishing_message() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/phishing_pot/cur");
    let Ok(entries) = std::fs::read_dir(&corpus) else {
        eprintln!("SKIPPED: ../shared/corpora/phishing_pot is not here");
        return;
    };
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).filter(|p| !p.ends_with(".keep")).collect();
    files.sort();
    let db = tempfile::tempdir().unwrap();
    // The first message whose chain has an origin and a delay.
    let mut checked = 0;
    for f in files.iter().take(50) {
        let out = mailidx(db.path()).args(["hops", "--format", "json"]).arg(f).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let hops = v["hops"].as_array().unwrap();
        if v["origin_ip"].is_null() || !hops.iter().any(|h| h["delay_seconds"].is_i64()) {
            continue;
        }
        let origin = hops.iter().find(|h| h["is_origin"] == true).expect("an origin hop");
        assert_eq!(origin["ip"], v["origin_ip"]);
        let table = String::from_utf8(mailidx(db.path()).arg("hops").arg(f).output().unwrap().stdout).unwrap();
        assert!(table.contains(&format!("origin   {}", v["origin_ip"].as_str().unwrap())), "{table}");
        assert!(table.lines().any(|l| l.contains(" * ")), "origin marked: {table}");
        assert!(table.lines().any(|l| l.trim_end().contains("s  ")), "delays shown: {table}");
        checked += 1;
        break;
    }
    assert_eq!(checked, 1, "no phishing message with an origin and delays among the first 50");
}

#[test]
fn ingest_verifies_dkim_with_supplied_keys() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dkim");
    let db = tempfile::tempdir().unwrap();
    let out = mailidx(db.path())
        .arg("ingest")
        .arg(fixtures.join("signed-relaxed.eml"))
        .arg(fixtures.join("signed-simple.eml"))
        .arg("--dkim-keys")
        .arg(fixtures.join("keys.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let sigs = mailidx::store::parquet::read_table(&db.path().join("tables"), "dkim_signatures").unwrap();
    let ok = sigs.column("signature_ok").unwrap().bool().unwrap().clone();
    assert_eq!(ok.len(), 2);
    assert!((0..ok.len()).all(|i| ok.get(i) == Some(true)));
    assert_eq!(search(db.path(), "dmarc_computed:pass").len(), 2);
}

#[test]
fn folder_labels_report_and_stats_rebuild() {
    let db = tempfile::tempdir().unwrap();
    mailidx(db.path()).args(["ingest", "--quiet"]).arg(samples()).assert().code(0);
    // The sample's Maildir++ .Spam folder labels its message spam.
    let spam = search(db.path(), "label:spam");
    assert_eq!(spam.len(), 1);
    let count = mailidx(db.path()).args(["search", "--count", "label:spam"]).output().unwrap();
    assert_eq!(String::from_utf8(count.stdout).unwrap(), "1\n");
    let out = mailidx(db.path()).args(["report", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for s in ["labels", "auth_failures", "spam_sources", "forged_domains"] {
        assert!(r[s].is_array(), "{s} missing: {r}");
    }
    let spam_row = r["labels"].as_array().unwrap().iter().find(|x| x["label"] == "spam").unwrap();
    assert_eq!(spam_row["messages"], 1);
    let rebuilt = mailidx(db.path()).args(["stats", "rebuild"]).output().unwrap();
    assert_eq!(rebuilt.status.code(), Some(0));
    let text = String::from_utf8(rebuilt.stdout).unwrap();
    assert!(text.contains("spam_sources: ") && text.contains("forgery_by_domain: ") && text.contains("daily: "), "{text}");
    // An empty database has nothing to report: exit 2 with a reason.
    let empty = tempfile::tempdir().unwrap();
    let out = mailidx(empty.path()).args(["report"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ingest"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_database_from_an_older_mailidx_is_refused_with_what_to_do() {
    let db = tempfile::tempdir().unwrap();
    let out = mailidx(db.path()).args(["ingest", "--quiet"]).arg(samples()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // What an older version wrote: messages without this version's columns.
    let dir = db.path().join("tables/messages");
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        use polars::prelude::SerReader;
        let mut df = polars::prelude::ParquetReader::new(std::fs::File::open(&p).unwrap()).finish().unwrap().drop_many(["receiver", "tags"]);
        polars::prelude::ParquetWriter::new(std::fs::File::create(&p).unwrap()).finish(&mut df).unwrap();
    }
    let samples = samples().to_string_lossy().into_owned();
    for args in [&["status"][..], &["report"], &["ingest", "--quiet", &samples]] {
        let out = mailidx(db.path()).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("written by an older mailidx") && err.contains("--db NEWDIR"), "{args:?}: {err}");
    }
}
