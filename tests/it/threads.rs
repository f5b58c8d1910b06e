//! Threads: notmuch's partition of freedreno (../shared oracle), notmuch's
//! own threading corpora giving the trees notmuch's tests expect, every
//! delivery order giving one tree, joins and splits across ingests equal to
//! a fresh ingest, `thread:{QUERY}`, `search --output threads`, `mailidx
//! thread`, and results written as a Maildir or an mbox that never touch
//! what mailidx did not write.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde_json::Value;

use crate::common::{mailidx, oracle, search, shared};
use mailidx::ingest::{ingest, IngestConfig, NoProgress};
use mailidx::store::DbPaths;

fn ingest_paths(paths: &[&Path], db: &Path) {
    let cfg = IngestConfig::new(paths.iter().map(|p| p.to_path_buf()).collect(), DbPaths::new(db));
    ingest(&cfg, &NoProgress).unwrap();
}

fn table(db: &Path, name: &str) -> DataFrame {
    mailidx::store::parquet::read_table(&DbPaths::new(db).tables_dir(), name).unwrap()
}

fn strs(df: &DataFrame, c: &str) -> Vec<Option<String>> {
    df.column(c).unwrap().str().unwrap().iter().map(|s| s.map(str::to_string)).collect()
}

/// A message with these ids, a day apart per `day`.
fn message(id: &str, irt: Option<&str>, refs: &[&str], day: u32, from: &str) -> String {
    let mut m = format!("From: {from}@example.org\r\nTo: list@example.org\r\nSubject: about {id}\r\nDate: {day:02} Jan 2024 10:00:00 +0000\r\nMessage-ID: <{id}@example.org>\r\n");
    if let Some(p) = irt {
        m += &format!("In-Reply-To: <{p}@example.org>\r\n");
    }
    if !refs.is_empty() {
        let r: Vec<String> = refs.iter().map(|r| format!("<{r}@example.org>")).collect();
        m += &format!("References: {}\r\n", r.join(" "));
    }
    m + "\r\nbody of " + id + "\r\n"
}

fn maildir(root: &Path) -> PathBuf {
    for d in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    root.join("cur")
}

/// Every message's (Message-ID, parent's Message-ID, depth, thread_id), by Message-ID.
fn placements(db: &Path) -> BTreeMap<String, (Option<String>, u32, String)> {
    let m = table(db, "messages");
    let (keys, ids, parents, threads) = (strs(&m, "msg_key"), strs(&m, "message_id"), strs(&m, "parent_key"), strs(&m, "thread_id"));
    let depth: Vec<u32> = m.column("depth").unwrap().u32().unwrap().iter().map(|d| d.unwrap()).collect();
    let id_of: HashMap<String, String> = keys.iter().zip(&ids).map(|(k, i)| (k.clone().unwrap(), i.clone().unwrap_or_default())).collect();
    (0..m.height())
        .map(|i| {
            let parent = parents[i].as_ref().map(|p| id_of.get(p).cloned().unwrap_or_else(|| p.clone()));
            (ids[i].clone().unwrap_or_default(), (parent, depth[i], threads[i].clone().unwrap()))
        })
        .collect()
}

/// The threads table, sorted rows of its main columns.
fn threads_rows(db: &Path) -> Vec<String> {
    let t = table(db, "threads");
    let mut out: Vec<String> = (0..t.height())
        .map(|i| {
            ["thread_id", "root_message_id", "root_key", "root_is_ghost", "messages", "participant_count", "depth", "roots", "first_date", "last_date"]
                .iter()
                // Timestamps as numbers (polars prints zoned ones only with chrono-tz).
                .map(|c| {
                    let col = t.column(c).unwrap();
                    let col = if matches!(col.dtype(), DataType::Datetime(..)) { col.cast(&DataType::Int64).unwrap() } else { col.clone() };
                    col.get(i).unwrap().to_string()
                })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    out.sort();
    out
}

#[test]
fn freedreno_threads_as_notmuch_partitions_them() {
    let Some(shared) = shared() else { return };
    let db = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    ingest_paths(&[&shared.join("corpora/lists-freedreno/freedreno.mbox.zst")], db.path());
    eprintln!("freedreno ingest with threads: {:.1} s", started.elapsed().as_secs_f64());
    let m = table(db.path(), "messages");
    let mut ours: HashMap<String, String> = HashMap::new();
    for (id, t) in strs(&m, "message_id").into_iter().zip(strs(&m, "thread_id")) {
        if let (Some(id), Some(t)) = (id, t) {
            ours.entry(id).or_insert(t);
        }
    }
    let theirs: HashMap<String, String> = oracle(&shared, "lists-freedreno", "threads_notmuch")
        .iter()
        .map(|r| (r["message_id"].as_str().unwrap().to_string(), r["thread"].as_str().unwrap().to_string()))
        .collect();
    let group = |map: &HashMap<String, String>| {
        let mut g: HashMap<String, BTreeSet<String>> = HashMap::new();
        for (id, t) in map {
            g.entry(t.clone()).or_default().insert(id.clone());
        }
        g
    };
    let (ours_g, theirs_g) = (group(&ours), group(&theirs));
    let agree = theirs.iter().filter(|(id, t)| ours.get(*id).is_some_and(|o| ours_g[o] == theirs_g[*t])).count();
    let rate = 100.0 * agree as f64 / theirs.len() as f64;
    eprintln!("freedreno threads: {agree} of {} messages in the same thread as notmuch's ({rate:.2}%); {} threads here, {} in notmuch", theirs.len(), ours_g.len(), theirs_g.len());
    assert!(theirs.len() > 38_000);
    assert!(rate >= 99.5, "{rate:.2}%");
    // The threads table agrees with messages.
    let t = table(db.path(), "threads");
    assert_eq!(t.height(), ours_g.len());
    let total: u64 = t.column("messages").unwrap().cast(&DataType::UInt64).unwrap().u64().unwrap().sum().unwrap();
    assert_eq!(total as usize, m.height());
}

/// The tree of `mailidx thread WHICH --format json` with ghosts left out,
/// as notmuch shows it: (Message-ID, parent Message-ID) for each message.
fn notmuch_view(db: &Path, which: &str) -> BTreeSet<(String, Option<String>)> {
    let out = mailidx(db).args(["thread", "--format", "json", which]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    fn walk(n: &Value, parent: Option<&str>, out: &mut BTreeSet<(String, Option<String>)>) {
        let id = n["message_id"].as_str().unwrap();
        let ghost = n["ghost"].as_bool().unwrap();
        if !ghost {
            out.insert((id.to_string(), parent.map(str::to_string)));
        }
        for r in n["replies"].as_array().unwrap() {
            walk(r, if ghost { parent } else { Some(id) }, out);
        }
    }
    let mut out = BTreeSet::new();
    for r in v["roots"].as_array().unwrap() {
        walk(r, None, &mut out);
    }
    out
}

#[test]
fn notmuch_threading_corpora_give_the_trees_notmuch_expects() {
    let Some(shared) = shared() else { return };
    let db = tempfile::tempdir().unwrap();
    ingest_paths(&[&shared.join("corpora/notmuch/corpora")], db.path());
    let e = |s: &str| s.replace('…', "@example.org");
    let pairs = |v: &[(&str, Option<&str>)]| -> BTreeSet<(String, Option<String>)> { v.iter().map(|(a, b)| (e(a), b.map(e))).collect() };
    // T510 "reply to ghost": the spoofed "fake root", as old as the real
    // root and replying to a message no one has, hangs under child.
    assert_eq!(
        notmuch_view(db.path(), &e("001-great-grand-child…")),
        pairs(&[
            ("000-real-root…", None),
            ("001-child…", Some("000-real-root…")),
            ("001-fake-message-root…", Some("001-child…")),
            ("001-grand-child…", Some("001-child…")),
            ("001-grand-child2…", Some("001-child…")),
            ("001-great-grand-child…", Some("001-grand-child…")),
        ])
    );
    // T510 "trusting reply-to": In-Reply-To beats References.
    assert_eq!(
        notmuch_view(db.path(), &e("B01-grand-child…")),
        pairs(&[("B00-root…", None), ("B01-child…", Some("B00-root…")), ("B01-grand-child…", Some("B01-child…"))])
    );
    // T050 "reference loop": one thread, the older message at the top.
    assert_eq!(notmuch_view(db.path(), &e("mid-loop-21…")), pairs(&[("mid-loop-12…", None), ("mid-loop-21…", Some("mid-loop-12…"))]));
    // T510 "reply to ghost (RT)": two tops, joined through the ghost ticket.
    let rt = notmuch_view(db.path(), "87bmc6lp3h.fsf@len.workgroup");
    assert_eq!(rt.len(), 3);
    assert_eq!(rt.iter().filter(|(_, p)| p.is_none()).count(), 2, "{rt:?}");
    // With ghosts, the fake root hangs from the message it names.
    let m = placements(db.path());
    assert_eq!(m[&e("001-fake-message-root…")].0.as_deref(), Some(e("<nonexistent-message…>").as_str()));
    assert_eq!(m[&e("001-fake-message-root…")].1, 3);
    let out = mailidx(db.path()).args(["thread", &e("001-fake-message-root…")]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("(not in the archive) <{}>", e("nonexistent-message…"))), "{text}");
    assert!(text.lines().any(|l| l.starts_with("      ") && l.contains("fake root message")), "indented under the ghost: {text}");
}

#[test]
fn every_delivery_order_gives_the_same_tree_and_tables() {
    // r ← x ← y, and z ← r; y cites only its parent, z only the root.
    let msgs = [
        ("r", message("r", None, &[], 1, "ann")),
        ("x", message("x", Some("r"), &["r"], 2, "bob")),
        ("y", message("y", Some("x"), &[], 3, "cy")),
        ("z", message("z", Some("r"), &[], 4, "ann")),
    ];
    let fresh = tempfile::tempdir().unwrap();
    let arch = fresh.path().join("mail");
    let cur = maildir(&arch);
    for (n, m) in &msgs {
        std::fs::write(cur.join(n), m).unwrap();
    }
    let db = fresh.path().join("db");
    ingest_paths(&[&arch], &db);
    let want = (placements(&db), threads_rows(&db));
    assert_eq!(want.1.len(), 1, "one thread: {:?}", want.1);
    assert_eq!(want.0["y@example.org"].1, 2);
    let mut orders = Vec::new();
    permutations(&mut vec![0, 1, 2, 3], 0, &mut orders);
    assert_eq!(orders.len(), 24);
    for order in orders {
        let dir = tempfile::tempdir().unwrap();
        let arch = dir.path().join("mail");
        let cur = maildir(&arch);
        let db = dir.path().join("db");
        // One message delivered, one ingest.
        for &i in &order {
            std::fs::write(cur.join(msgs[i].0), &msgs[i].1).unwrap();
            ingest_paths(&[&arch], &db);
        }
        assert_eq!((placements(&db), threads_rows(&db)), want, "delivery order {order:?}");
    }
}

fn permutations(v: &mut Vec<usize>, k: usize, out: &mut Vec<Vec<usize>>) {
    if k == v.len() {
        return out.push(v.clone());
    }
    for i in k..v.len() {
        v.swap(k, i);
        permutations(v, k + 1, out);
        v.swap(k, i);
    }
}

#[test]
fn a_message_joins_two_threads_and_its_removal_splits_them_again() {
    let dir = tempfile::tempdir().unwrap();
    let arch = dir.path().join("mail");
    let cur = maildir(&arch);
    std::fs::write(cur.join("a"), message("a", None, &[], 1, "ann")).unwrap();
    // c's References name b only: without b, a and c are two threads.
    std::fs::write(cur.join("c"), message("c", Some("b"), &["b"], 3, "cy")).unwrap();
    let db = dir.path().join("db");
    ingest_paths(&[&arch], &db);
    let before = placements(&db);
    assert_ne!(before["a@example.org"].2, before["c@example.org"].2);
    assert_eq!(before["c@example.org"].0.as_deref(), Some("<b@example.org>"), "hangs from the ghost");
    let split_rows = threads_rows(&db);

    std::fs::write(cur.join("b"), message("b", Some("a"), &["a"], 2, "bob")).unwrap();
    ingest_paths(&[&arch], &db);
    let joined = placements(&db);
    assert!(joined.values().all(|p| p.2 == joined["a@example.org"].2), "{joined:?}");
    assert_eq!(joined["c@example.org"], (Some("b@example.org".into()), 2, joined["a@example.org"].2.clone()));
    assert_eq!(joined["a@example.org"].2, before["a@example.org"].2, "the older thread keeps its id");
    let fresh = dir.path().join("fresh");
    ingest_paths(&[&arch], &fresh);
    assert_eq!((placements(&fresh), threads_rows(&fresh)), (joined, threads_rows(&db)), "joined = a fresh ingest");
    // Search follows the tables, not a stale index.
    let id = before["a@example.org"].2.clone();
    assert_eq!(search(&db, &format!("thread:{id}")).len(), 3);
    assert_eq!(search(&db, "thread:{from:cy}").len(), 3);
    assert!(search(&db, "from:cy").iter().all(|h| h["thread_id"] == Value::String(id.clone())));

    std::fs::remove_file(cur.join("b")).unwrap();
    ingest_paths(&[&arch], &db);
    assert_eq!(placements(&db), before, "split again, as before b came");
    assert_eq!(threads_rows(&db), split_rows);
    assert_eq!(search(&db, "thread:{from:cy}").len(), 1);
    assert_eq!(search(&db, &format!("thread:{id}")).len(), 1);
}

#[test]
fn search_prints_threads_and_thread_prints_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let arch = dir.path().join("mail");
    let cur = maildir(&arch);
    std::fs::write(cur.join("r"), message("r", None, &[], 1, "ann")).unwrap();
    std::fs::write(cur.join("x"), message("x", Some("r"), &["r"], 2, "bob")).unwrap();
    std::fs::write(cur.join("y"), message("y", Some("x"), &["r", "x"], 5, "cy")).unwrap();
    std::fs::write(cur.join("s"), message("s", None, &[], 3, "dee")).unwrap();
    let db = dir.path().join("db");
    ingest_paths(&[&arch], &db);
    let out = mailidx(&db).args(["search", "--output", "threads", "--format", "json", "body"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    // Newest activity first: r's thread (y on the 5th) before s (the 3rd).
    assert_eq!((lines[0]["matched"].as_u64(), lines[0]["total"].as_u64()), (Some(3), Some(3)));
    assert_eq!(lines[0]["participants"], serde_json::json!(["ann@example.org", "bob@example.org", "cy@example.org"]));
    assert_eq!(lines[0]["subject"], "about r");
    assert_eq!(lines[1]["total"].as_u64(), Some(1));
    let out = mailidx(&db).args(["search", "--output", "threads", "from:bob"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("[1/3]") && text.contains(lines[0]["thread_id"].as_str().unwrap()), "{text}");
    // thread KEY, thread ID and thread <Message-ID> give one tree.
    let tid = lines[0]["thread_id"].as_str().unwrap();
    let by_id = mailidx(&db).args(["thread", tid]).output().unwrap();
    let by_mid = mailidx(&db).args(["thread", "<y@example.org>"]).output().unwrap();
    assert_eq!(by_id.stdout, by_mid.stdout);
    let tree = String::from_utf8(by_id.stdout).unwrap();
    let lines: Vec<&str> = tree.lines().collect();
    assert_eq!(lines.len(), 4, "{tree}");
    assert!(lines[1].starts_with("2024-01-01") && lines[2].starts_with("  2024-01-02") && lines[3].starts_with("    2024-01-05"), "{tree}");
    let unknown = mailidx(&db).args(["thread", "nothing-like-it"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}

fn listing(dir: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(dir).follow_links(false).into_iter().map(|e| e.unwrap().path().strip_prefix(dir).unwrap().to_string_lossy().into_owned()).collect()
}

#[test]
fn results_go_into_a_maildir_of_their_own_and_nowhere_else() {
    let dir = tempfile::tempdir().unwrap();
    let arch = dir.path().join("mail");
    let cur = maildir(&arch);
    std::fs::write(cur.join("r:2,S"), message("r", None, &[], 1, "ann")).unwrap();
    std::fs::write(cur.join("x"), message("x", Some("r"), &["r"], 2, "bob")).unwrap();
    std::fs::write(cur.join("s"), message("s", None, &[], 3, "dee")).unwrap();
    // A message inside an mbox is copied, not linked.
    std::fs::create_dir_all(dir.path().join("lists")).unwrap();
    let mbox = dir.path().join("lists").join("list.mbox");
    std::fs::write(&mbox, format!("From ann Mon Jan  8 10:00:00 2024\n{}\n", message("m", Some("s"), &["s"], 8, "eve").replace("\r\n", "\n"))).unwrap();
    let db = dir.path().join("db");
    ingest_paths(&[&arch, &mbox], &db);
    let out_dir = dir.path().join("results");
    let run = |args: &[&str]| mailidx(&db).arg("search").args(args).output().unwrap();

    let o = run(&["--output-maildir", out_dir.to_str().unwrap(), "from:bob"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let files: Vec<PathBuf> = std::fs::read_dir(out_dir.join("cur")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    assert_eq!(std::fs::read_link(&files[0]).unwrap(), cur.join("x"), "a link to the archive's file");
    for sub in ["cur", "new", "tmp"] {
        assert!(out_dir.join(sub).is_dir(), "a Maildir has {sub}/");
    }
    // The thread of each hit; the previous run's link is replaced.
    let o = run(&["--output-maildir", out_dir.to_str().unwrap(), "--include-threads", "from:eve"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let mut got: Vec<String> = std::fs::read_dir(out_dir.join("cur")).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect();
    got.sort();
    assert_eq!(got.len(), 2, "eve's message and the one it replies to");
    assert!(got.iter().any(|m| m.contains("Message-ID: <m@example.org>")) && got.iter().any(|m| m.contains("<s@example.org>\r\n\r\nbody of s")));
    assert!(got.iter().all(|m| !m.contains("<x@example.org>")), "bob's link went");
    // Maildir flags of the archive's file are kept.
    let o = run(&["--output-maildir", out_dir.to_str().unwrap(), "from:ann"]);
    assert_eq!(o.status.code(), Some(0));
    let names: Vec<String> = std::fs::read_dir(out_dir.join("cur")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 1);
    assert!(names[0].ends_with(":2,S"), "{names:?}");

    // A real Maildir, a folder with a stray file, a file: refused, untouched.
    let archive_before = listing(&arch);
    let o = run(&["--output-maildir", arch.to_str().unwrap(), "from:ann"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is in the archive"), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(listing(&arch), archive_before);
    // Nor inside it, nor beside its mbox, nor in the database.
    for inside in [arch.join("new").join("results"), arch.join(".Sub"), dir.path().join("lists").join("out"), db.join("out")] {
        let o = run(&["--output-maildir", inside.to_str().unwrap(), "from:ann"]);
        assert_eq!(o.status.code(), Some(2), "{}", inside.display());
        assert!(!inside.exists());
    }
    assert_eq!(listing(&arch), archive_before);
    // A copy someone changed, or a link replaced by a file, is not ours any more.
    let o = run(&["--output-maildir", out_dir.to_str().unwrap(), "from:ann"]);
    assert_eq!(o.status.code(), Some(0));
    let ours = std::fs::read_dir(out_dir.join("cur")).unwrap().next().unwrap().unwrap().path();
    std::fs::remove_file(&ours).unwrap();
    std::fs::write(&ours, "edited by the user").unwrap();
    assert_eq!(run(&["--output-maildir", out_dir.to_str().unwrap(), "from:bob"]).status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&ours).unwrap(), "edited by the user");
    std::fs::remove_file(&ours).unwrap();
    std::fs::write(out_dir.join("cur").join("mine"), "a user's file").unwrap();
    let before = listing(&out_dir);
    assert_eq!(run(&["--output-maildir", out_dir.to_str().unwrap(), "from:bob"]).status.code(), Some(2));
    assert_eq!(listing(&out_dir), before);
    assert_eq!(std::fs::read_to_string(out_dir.join("cur").join("mine")).unwrap(), "a user's file");
    assert_eq!(run(&["--output-maildir", mbox.to_str().unwrap(), "from:bob"]).status.code(), Some(2));

    // Clearing removes links, never what they point at.
    let out2 = dir.path().join("results2");
    assert_eq!(run(&["--output-maildir", out2.to_str().unwrap(), "from:ann"]).status.code(), Some(0));
    assert_eq!(run(&["--output-maildir", out2.to_str().unwrap(), "from:bob"]).status.code(), Some(0));
    assert!(cur.join("r:2,S").is_file(), "the archive's file is still there");
    assert_eq!(listing(&arch), archive_before);
}

#[test]
fn results_go_into_an_mbox_that_mailidx_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let arch = dir.path().join("mail");
    let cur = maildir(&arch);
    std::fs::write(cur.join("r"), message("r", None, &[], 1, "ann").replace("body of r", "From here on, a line mbox readers would split at")).unwrap();
    std::fs::write(cur.join("x"), message("x", Some("r"), &["r"], 2, "bob")).unwrap();
    let db = dir.path().join("db");
    ingest_paths(&[&arch], &db);
    let mbox = dir.path().join("out.mbox");
    let run = |q: &[&str]| mailidx(&db).args(["search", "--output-mbox", mbox.to_str().unwrap()]).args(q).output().unwrap();
    assert_eq!(run(&["--include-threads", "from:bob"]).status.code(), Some(0));
    // mailidx reads what it wrote as two messages, the From line quoted.
    let check = dir.path().join("check");
    ingest_paths(&[&mbox], &check);
    assert_eq!(table(&check, "messages").height(), 2);
    assert!(std::fs::read_to_string(&mbox).unwrap().contains("\n>From here on"));
    assert_eq!(run(&["from:bob"]).status.code(), Some(0), "its own mbox is replaced");
    let text = std::fs::read_to_string(&mbox).unwrap();
    assert!(text.starts_with("From mailidx ") && !text.contains("\nFrom mailidx "), "one message now: {text}");
    // A link left where the temporary file or the marker go is replaced, never written through.
    let outside = dir.path().join("precious");
    std::fs::write(&outside, "precious").unwrap();
    let mbox2 = dir.path().join("two.mbox");
    std::os::unix::fs::symlink(&outside, dir.path().join(".two.mbox.mailidx-results")).unwrap();
    let o = mailidx(&db).args(["search", "--output-mbox", mbox2.to_str().unwrap(), "from:bob"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
    // A user's mbox (or ours changed since) is refused.
    std::fs::write(&mbox, "From a user\nSubject: keep\n\nmine\n").unwrap();
    let o = run(&["from:bob"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&mbox).unwrap(), "From a user\nSubject: keep\n\nmine\n");
}

#[test]
fn a_hostile_chain_of_replies_is_threaded_and_printed_without_recursion() {
    // 5,000 messages, each replying to the one before (References cut to
    // the parent, so the chain is all the tree has).
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("chain.mbox");
    let mut text = String::new();
    for i in 0..5000u32 {
        let irt = if i == 0 { String::new() } else { format!("In-Reply-To: <m{}@x>\n", i - 1) };
        text += &format!("From x Mon Jan  1 00:00:00 2024\nFrom: a@x\nSubject: \u{1b}[31mchain\nDate: 01 Jan 2024 00:00:00 +0000\nMessage-ID: <m{i}@x>\n{irt}\n{i}\n\n");
    }
    std::fs::write(&mbox, text).unwrap();
    let db = dir.path().join("db");
    ingest_paths(&[&mbox], &db);
    let m = placements(&db);
    assert_eq!(m["m4999@x"].1, 4999);
    assert_eq!(threads_rows(&db).len(), 1);
    let out = mailidx(&db).args(["thread", "m2500@x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let tree = String::from_utf8(out.stdout).unwrap();
    assert_eq!(tree.lines().count(), 5001);
    assert!(!tree.contains('\u{1b}'), "the escape from the subject is shown, not sent");
    let out = mailidx(&db).args(["thread", "--format", "json", "m0@x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(serde_json::from_slice::<Value>(&out.stdout).is_ok());
}
