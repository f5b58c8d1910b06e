//! The `headers` table against Python's email package (issue 18, part 3):
//! for every message of the shared Maildir corpora that is alone in its
//! file, the header field names mailidx records, in order, are the names
//! `email.parser.BytesParser(policy=compat32)` lists; at least 99.5% of
//! messages must agree. Plus `header:` search on fixtures written here.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::common::{mailidx, search, shared};
use polars::prelude::*;

/// Python's header names for each file, lowercased.
const PY: &str = r#"
import sys, json, email, email.policy
from email.parser import BytesParser
for path in sys.stdin.read().split("\0"):
    if not path:
        continue
    with open(path, "rb") as f:
        m = BytesParser(policy=email.policy.compat32).parse(f, headersonly=True)
    print(json.dumps({"path": path, "names": [k.lower() for k in m.keys()]}))
"#;

#[test]
fn header_names_agree_with_python() {
    let Some(shared) = shared() else { return };
    let corpora = std::fs::canonicalize(shared.join("corpora")).unwrap();
    let roots: Vec<PathBuf> = crate::common::MAILDIR_CORPORA.iter().map(|c| corpora.join(c)).collect();
    let db = tempfile::tempdir().unwrap();
    let out = mailidx(db.path()).args(["ingest", "--quiet"]).args(&roots).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    let tables = db.path().join("tables");
    let locations = mailidx::store::parquet::read_table(&tables, "locations").unwrap();
    // Files holding one message, read from their start.
    let per_file = locations.clone().lazy().group_by([col("path")]).agg([len().alias("n"), col("msg_key").first(), col("offset").first()]).collect().unwrap();
    let (paths, keys, n, offsets) = (
        per_file.column("path").unwrap().str().unwrap().clone(),
        per_file.column("msg_key").unwrap().str().unwrap().clone(),
        per_file.column("n").unwrap().u32().unwrap().clone(),
        per_file.column("offset").unwrap().u64().unwrap().clone(),
    );
    let mut key_of: HashMap<String, String> = HashMap::new();
    for i in 0..per_file.height() {
        if n.get(i) == Some(1) && offsets.get(i).is_some() {
            key_of.insert(paths.get(i).unwrap().to_string(), keys.get(i).unwrap().to_string());
        }
    }
    let headers = mailidx::store::parquet::read_table(&tables, "headers").unwrap();
    let grouped = headers.lazy().sort(["msg_key", "index"], Default::default()).group_by([col("msg_key")]).agg([col("name")]).collect().unwrap();
    let mut ours: HashMap<String, Vec<String>> = HashMap::new();
    let gk = grouped.column("msg_key").unwrap().str().unwrap().clone();
    let gn = grouped.column("name").unwrap().list().unwrap().clone();
    for i in 0..grouped.height() {
        let names = gn.get_as_series(i).unwrap();
        ours.insert(gk.get(i).unwrap().to_string(), names.str().unwrap().iter().flatten().map(str::to_string).collect());
    }

    let mut py = std::process::Command::new("python3")
        .args(["-c", PY])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let list: String = key_of.keys().map(|p| format!("{p}\0")).collect();
    let writer = {
        let mut stdin = py.stdin.take().unwrap();
        std::thread::spawn(move || std::io::Write::write_all(&mut stdin, list.as_bytes()).unwrap())
    };
    let output = py.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(output.status.success());
    let (mut total, mut agree, mut misses) = (0u32, 0u32, Vec::new());
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let path = v["path"].as_str().unwrap();
        let want: Vec<String> = v["names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect();
        let got = ours.get(&key_of[path]).cloned().unwrap_or_default();
        total += 1;
        if want == got {
            agree += 1;
        } else if misses.len() < 12 {
            misses.push(format!("{path}: python {} fields {:?}…, mailidx {} {:?}…", want.len(), &want[..want.len().min(4)], got.len(), &got[..got.len().min(4)]));
        }
    }
    let rate = 100.0 * f64::from(agree) / f64::from(total.max(1));
    eprintln!("header names agree with Python's email for {agree} of {total} messages ({rate:.2}%)");
    for m in &misses {
        eprintln!("MISS {m}");
    }
    assert!(total > 8000, "{total}");
    assert!(rate >= 99.5, "{rate:.2}%");
}

#[test]
fn any_header_is_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let cur = dir.path().join("Mail/inbox/cur");
    std::fs::create_dir_all(&cur).unwrap();
    let msg = |name: &str, extra: &str, subject: &str| {
        let text = format!("From: a@example.org\nTo: b@example.org\n{extra}Subject: {subject}\nMessage-ID: <{subject}@example.org>\n\nhi\n");
        std::fs::write(cur.join(format!("{name}:2,")), text).unwrap();
    };
    msg("1", "X-Mailer: PHPMailer 6.1.4 (https://github.com/PHPMailer/PHPMailer)\n", "php");
    msg("2", "X-Mailer: Microsoft Outlook 16.0\nList-Id: <dev.lists.example.org>\n", "outlook");
    msg("3", "X-Spam-Note: =?UTF-8?B?w6l0w6k=?= offer\nReceived: from relay.example.net\n by mx.example.org; Mon, 4 Mar 2024 10:00:00 +0000\nReceived: from laptop\n by relay.example.net; Mon, 4 Mar 2024 09:59:00 +0000\n", "encoded");
    let db = dir.path().join("db");
    let out = mailidx(&db).args(["ingest", "--quiet"]).arg(dir.path().join("Mail")).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let subjects = |q: &str| {
        let mut s: Vec<String> = search(&db, q).iter().map(|h| h["subject"].as_str().unwrap().to_string()).collect();
        s.sort();
        s
    };
    assert_eq!(subjects("header:x-mailer:phpmailer"), ["php"]);
    assert_eq!(subjects("header:X-Mailer:PHPMailer"), ["php"], "any case");
    assert_eq!(subjects("header:x-mailer"), ["outlook", "php"]);
    assert_eq!(subjects("header:x-mailer:\"microsoft outlook\""), ["outlook"]);
    assert_eq!(subjects("header:list-id"), ["outlook"]);
    assert_eq!(subjects("header:x-spam-note:été"), ["encoded"], "RFC 2047 decoded");
    assert!(subjects("header:x-mailer:thunderbird").is_empty());
    assert_eq!(subjects("header:x-mailer NOT header:x-mailer:outlook"), ["php"]);
    // Words from two fields of one name: one message, as one document held them.
    assert_eq!(subjects("header:received:\"mx laptop\""), ["encoded"]);
    assert!(subjects("header:received:\"mx desktop\"").is_empty());
    assert_eq!(subjects("header:received:2024"), ["encoded"], "a number alone is not a word: the field's presence");
    assert_eq!(subjects("hi AND -header:received"), ["outlook", "php"]);
    // Signatures and ids: only whether the field is there.
    assert_eq!(subjects("header:message-id:php"), subjects("header:message-id"));
}

/// A header block of 100,000 fields: ingested in bounded time and memory,
/// the first 10,000 fields kept, the rest counted in a warning, the
/// message itself searchable.
#[test]
fn a_hundred_thousand_header_fields() {
    let dir = tempfile::tempdir().unwrap();
    let cur = dir.path().join("Mail/inbox/cur");
    std::fs::create_dir_all(&cur).unwrap();
    let mut text = String::from("From: a@example.org\nSubject: crowded\nMessage-ID: <crowded@example.org>\n");
    for i in 0..100_000 {
        text.push_str(&format!("X-Filler-{i}: value {i}\n"));
    }
    text.push_str("\nbody\n");
    std::fs::write(cur.join("1:2,"), text).unwrap();
    let db = dir.path().join("db");
    let started = std::time::Instant::now();
    let out = mailidx(&db).args(["ingest", "--quiet"]).arg(dir.path().join("Mail")).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
    assert_eq!(search(&db, "subject:crowded").len(), 1);
    let tables = db.join("tables");
    let headers = mailidx::store::parquet::read_table(&tables, "headers").unwrap();
    assert_eq!(headers.height(), 10_000);
    let msgs = mailidx::store::parquet::read_table(&tables, "messages").unwrap();
    let w = format!("{:?}", msgs.column("warnings").unwrap());
    assert!(w.contains("90003 header fields beyond the first 10000"), "{w}");
    // From, Subject and Message-ID, then X-Filler-0 … X-Filler-9996.
    assert_eq!(search(&db, "header:x-filler-9996:value").len(), 1);
    assert!(search(&db, "header:x-filler-9997").is_empty());
}
