//! Labels from the provider and labels that follow the mail (issue 17):
//! a Google Takeout mbox written here (Spam, Inbox, Trash and user labels)
//! gives the labels, tags, thread ids and `report` counts a Gmail user
//! expects; moving messages between INBOX and Spam folders (both ways)
//! moves their folder, label, search hits and report counts at the next
//! ingest; `--label` given again on files that did not change is applied.

use std::path::Path;

use crate::common::mailidx;
use serde_json::Value;

fn ingest(db: &Path, args: &[&str], path: &Path) -> String {
    let out = mailidx(db).arg("ingest").arg("--quiet").args(args).arg(path).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

use crate::common::search;

/// `report`'s label counts as (label, messages), sorted.
fn label_counts(db: &Path) -> Vec<(String, u64)> {
    let out = mailidx(db).args(["report", "--format", "json", "--section", "labels"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut c: Vec<(String, u64)> =
        v["labels"].as_array().unwrap().iter().map(|x| (x["label"].as_str().unwrap().to_string(), x["messages"].as_u64().unwrap())).collect();
    c.sort();
    c
}

fn messages(db: &Path) -> polars::prelude::DataFrame {
    mailidx::store::parquet::read_table(&db.join("tables"), "messages").unwrap()
}

fn column(df: &polars::prelude::DataFrame, key: &str, name: &str) -> String {
    let keys = df.column("msg_key").unwrap().str().unwrap().clone();
    let i = (0..df.height()).find(|&i| keys.get(i) == Some(key)).unwrap();
    df.column(name).unwrap().get(i).unwrap().to_string().trim_matches('"').to_string()
}

fn takeout_message(thread: &str, labels: &str, subject: &str) -> String {
    format!(
        "From 1791234567890123456@xxx Mon Mar 04 10:00:00 +0000 2024\nX-GM-THRID: {thread}\nX-Gmail-Labels: {labels}\nFrom: Sender <sender@example.org>\nTo: me@gmail.example\nSubject: {subject}\nMessage-ID: <{subject}@example.org>\nDate: Mon, 4 Mar 2024 10:00:00 +0000\n\nBody of {subject}.\n\n"
    )
}

#[test]
fn google_takeout_labels_tags_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("All mail Including Spam and Trash.mbox");
    let text = [
        takeout_message("1791234567890123456", "Spam,Opened", "winner"),
        takeout_message("1791234567890123457", "Inbox,Important,Opened,Category Personal", "dinner"),
        takeout_message("1791234567890123457", "\"Work, 2024\",Inbox,Sent", "minutes"),
        takeout_message("1791234567890123458", "Trash,Opened", "oldnews"),
        // Not a Takeout message: a sender's X-Gmail-Labels further down.
        "From x@y Mon Mar 04 10:00:00 +0000 2024\nFrom: a@spam.example\nSubject: forged\nMessage-ID: <forged@spam.example>\nX-Gmail-Labels: Inbox\n\nhi\n\n".to_string(),
    ]
    .concat();
    std::fs::write(&mbox, text).unwrap();
    let db = dir.path().join("db");
    ingest(&db, &[], &mbox);
    assert_eq!(label_counts(&db), [("ham".into(), 3), ("spam".into(), 1), ("unknown".into(), 1)]);
    let hit = |q: &str| search(&db, q).iter().map(|h| h["subject"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(hit("tag:important"), ["dinner"]);
    assert_eq!(hit("tag:\"work, 2024\""), ["minutes"]);
    assert_eq!(hit("tag:spam"), ["winner"]);
    assert_eq!(hit("label:spam"), ["winner"]);
    assert!(hit("tag:inbox").len() == 2, "the forged header is not the export's");
    let m = messages(&db);
    let key = search(&db, "subject:winner")[0]["msg_key"].as_str().unwrap().to_string();
    assert_eq!(column(&m, &key, "label_source"), "header:x-gmail-labels");
    assert_eq!(column(&m, &key, "gmail_thread_id"), "1791234567890123456");
    // Trash is spam where the user says so.
    let db2 = dir.path().join("db2");
    ingest(&db2, &["--spam-tag", "Trash"], &mbox);
    assert_eq!(label_counts(&db2), [("ham".into(), 2), ("spam".into(), 2), ("unknown".into(), 1)]);
}

fn put(dir: &Path, folder: &str, name: &str, subject: &str) {
    let cur = dir.join(folder).join("cur");
    std::fs::create_dir_all(&cur).unwrap();
    for sub in ["new", "tmp"] {
        std::fs::create_dir_all(dir.join(folder).join(sub)).unwrap();
    }
    let msg = format!("From: a@example.org\nTo: b@example.org\nSubject: {subject}\nMessage-ID: <{subject}@example.org>\nDate: Mon, 4 Mar 2024 10:00:00 +0000\n\nhello {subject}\n");
    std::fs::write(cur.join(format!("{name}:2,S")), msg).unwrap();
}

#[test]
fn labels_follow_the_mail_between_inbox_and_spam() {
    let dir = tempfile::tempdir().unwrap();
    let mail = dir.path().join("Mail");
    put(&mail, "INBOX", "1700000001.a", "offer");
    put(&mail, "INBOX", "1700000002.b", "lunch");
    std::fs::create_dir_all(mail.join("Spam/cur")).unwrap();
    let db = dir.path().join("db");
    ingest(&db, &[], &mail);
    assert_eq!(label_counts(&db), [("unknown".into(), 2)]);
    let folder_of = |q: &str| {
        let h = search(&db, q);
        assert_eq!(h.len(), 1, "{q}: {h:?}");
        (h[0]["folder"].as_str().unwrap().to_string(), h[0]["label"].as_str().unwrap().to_string())
    };
    assert_eq!(folder_of("subject:offer"), ("INBOX".into(), "unknown".into()));

    // The user marks it spam by moving it.
    std::fs::rename(mail.join("INBOX/cur/1700000001.a:2,S"), mail.join("Spam/cur/1700000001.a:2,S")).unwrap();
    let out = ingest(&db, &[], &mail);
    assert!(out.contains("1 messages read again"), "{out}");
    assert_eq!(folder_of("subject:offer"), ("Spam".into(), "spam".into()));
    assert_eq!(search(&db, "label:spam").len(), 1);
    assert_eq!(search(&db, "folder:Spam").len(), 1);
    assert_eq!(label_counts(&db), [("spam".into(), 1), ("unknown".into(), 1)]);
    let key = search(&db, "subject:offer")[0]["msg_key"].as_str().unwrap().to_string();
    assert_eq!(column(&messages(&db), &key, "folder"), "Spam");
    let sources = mailidx::store::parquet::read_table(&db.join("tables"), "daily").unwrap();
    assert!(format!("{sources}").contains("spam"), "the derived tables follow: {sources}");

    // And back: not spam any more.
    std::fs::rename(mail.join("Spam/cur/1700000001.a:2,S"), mail.join("INBOX/cur/1700000001.a:2,S")).unwrap();
    ingest(&db, &[], &mail);
    assert_eq!(folder_of("subject:offer"), ("INBOX".into(), "unknown".into()));
    assert_eq!(search(&db, "label:spam").len(), 0);
    assert_eq!(label_counts(&db), [("unknown".into(), 2)]);

    // A copy in Spam while one stays in INBOX: the spam copy names it.
    std::fs::copy(mail.join("INBOX/cur/1700000002.b:2,S"), mail.join("Spam/cur/1700000002.b:2,S")).unwrap();
    ingest(&db, &[], &mail);
    assert_eq!(folder_of("subject:lunch"), ("Spam".into(), "spam".into()));
    assert_eq!(search(&db, "subject:lunch").len(), 1, "one message, two copies");
}

#[test]
fn label_given_again_on_unchanged_files_is_applied() {
    let dir = tempfile::tempdir().unwrap();
    let mail = dir.path().join("Mail");
    put(&mail, "INBOX", "1700000001.a", "offer");
    put(&mail, "INBOX", "1700000002.b", "lunch");
    let db = dir.path().join("db");
    ingest(&db, &["--label", "ham"], &mail);
    assert_eq!(label_counts(&db), [("ham".into(), 2)]);
    let out = ingest(&db, &["--label", "spam"], &mail);
    assert!(out.contains("2 messages read again"), "{out}");
    assert_eq!(label_counts(&db), [("spam".into(), 2)]);
    assert_eq!(search(&db, "label:spam").len(), 2);
    // The user's label stays when later ingests do not repeat it.
    ingest(&db, &[], &mail);
    assert_eq!(label_counts(&db), [("spam".into(), 2)]);
    let key = search(&db, "subject:offer")[0]["msg_key"].as_str().unwrap().to_string();
    assert_eq!(column(&messages(&db), &key, "label_source"), "user");
}
