//! A hostile archive, written here: MIME nested 10,000 deep, 100,000 parts,
//! a 50 MB header line, 100,000 Received headers, broken Base64, NUL bytes
//! and invalid UTF-8 in headers, mbox files without a final newline, with
//! unquoted `From ` lines in bodies and with CR-only line ends, an empty
//! file, a symlink loop, a socket and a directory where a message should be.
//! The ingest must not panic, must finish in bounded time and memory, must
//! say what it did about each, and must ingest every other message.

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use polars::prelude::*;

fn write(dir: &Path, name: &str, data: &[u8]) {
    std::fs::write(dir.join(name), data).unwrap();
}

fn hostile_archive(root: &Path) {
    let cur = root.join("Hostile/cur");
    std::fs::create_dir_all(&cur).unwrap();
    std::fs::create_dir_all(root.join("Hostile/new")).unwrap();
    let mut deep = b"From: a@b.example\nSubject: deep\n".to_vec();
    for i in 0..10_000 {
        deep.extend_from_slice(format!("Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n").as_bytes());
    }
    deep.extend_from_slice(b"Content-Type: text/plain\n\nleaf\n");
    write(&cur, "deep:2,", &deep);
    let mut many = b"From: a@b.example\nSubject: many parts\nContent-Type: multipart/mixed; boundary=X\n\n".to_vec();
    for i in 0..100_000 {
        many.extend_from_slice(format!("--X\nContent-Type: text/plain\n\np{i}\n").as_bytes());
    }
    many.extend_from_slice(b"--X--\n");
    write(&cur, "many:2,", &many);
    let mut big = b"From: a@b.example\nSubject: ".to_vec();
    big.resize(big.len() + 50_000_000, b'A');
    big.extend_from_slice(b"\n\nbody\n");
    write(&cur, "bigheader:2,", &big);
    let mut hops = Vec::new();
    for i in 0..100_000 {
        hops.extend_from_slice(format!("Received: from h{i} ([10.0.{}.{}]) by mx; Mon, 1 Jan 2024 00:00:00 +0000\n", i / 250 % 250, i % 250).as_bytes());
    }
    hops.extend_from_slice(b"From: a@b.example\nSubject: hops\n\nbody\n");
    write(&cur, "hops:2,", &hops);
    write(&cur, "b64:2,", b"From: a@b.example\nSubject: bad base64\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n!!!!@@@@####\n");
    write(&cur, "qp:2,", b"From: a@b.example\nSubject: bad qp\nContent-Transfer-Encoding: quoted-printable\n\n=ZZ=\n=4\n");
    write(&cur, "nul:2,", b"From: a\x00@b.example\nSubject: nul\x00 \xff\xfe bytes\n\nbody\x00\n");
    write(&cur, "empty:2,", b"");
    // 10,000 DKIM signatures, each asking for another body length, and
    // 10,000 Authentication-Results.
    let mut sigs = Vec::new();
    for i in 0..10_000 {
        sigs.extend_from_slice(format!("DKIM-Signature: v=1; a=rsa-sha256; d=x.example; s=s; l={i}; h=from; bh=AAAA; b=AAAA\n").as_bytes());
        sigs.extend_from_slice(format!("Authentication-Results: mx{i}.example; spf=pass smtp.mailfrom=x.example\n").as_bytes());
    }
    sigs.extend_from_slice(b"From: a@x.example\nSubject: signatures\n\n");
    sigs.resize(sigs.len() + 2_000_000, b'x');
    write(&cur, "sigs:2,", &sigs);
    // A 100 MB file (sparse: a header, then zeros), over max_message_bytes.
    let huge = std::fs::File::create(cur.join("huge:2,")).unwrap();
    std::io::Write::write_all(&mut &huge, b"From: a@b.example\nSubject: huge\n\n").unwrap();
    huge.set_len(100_000_000).unwrap();
    // A file that cannot be read: a symlink to nowhere, and (for a user
    // other than root) a file without read permission.
    std::os::unix::fs::symlink(root.join("nowhere"), cur.join("dangling:2,")).unwrap();
    write(&cur, "unreadable:2,", b"From: a@b.example\nSubject: unreadable\n\nx\n");
    std::fs::set_permissions(cur.join("unreadable:2,"), std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    write(&cur, "good:2,", b"From: ok@b.example\nSubject: the one good message\nMessage-ID: <good@b.example>\n\nfine\n");
    std::fs::create_dir_all(cur.join("a-directory:2,")).unwrap();
    std::os::unix::fs::symlink(root.join("loop"), root.join("loop")).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(root.join("Hostile/cur/socket:2,")).unwrap();
    std::mem::forget(_socket);
    // mbox files: no final newline; an unquoted From_ line in a body; CR only.
    write(root, "nofinal.mbox", b"From x Mon Jan  1 00:00:00 2024\nFrom: a@b.example\nSubject: no newline at the end\n\nlast line");
    write(
        root,
        "unquoted.mbox",
        b"From x Mon Jan  1 00:00:00 2024\nFrom: a@b.example\nSubject: first\n\nbody\nFrom here on, a sentence\n\nFrom x Mon Jan  1 00:00:01 2024\nFrom: c@d.example\nSubject: second\n\nbody\n",
    );
    write(root, "cr.mbox", b"From x Mon Jan  1 00:00:00 2024\rFrom: a@b.example\rSubject: cr only\r\rbody\r");
}

#[test]
fn a_hostile_archive_is_ingested_with_every_problem_recorded() {
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("archive");
    hostile_archive(&archive);
    let db = work.path().join("db");
    let started = Instant::now();
    let out = Command::cargo_bin("mailidx").unwrap().arg("--db").arg(&db).args(["ingest", "-q"]).arg(&archive).timeout(Duration::from_secs(120)).output().unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}{stderr}took {took:?}");
    assert!(matches!(out.status.code(), Some(0) | Some(1)), "no panic, no failure: {:?} {stderr}", out.status);
    assert!(took < Duration::from_secs(60), "bounded time: {took:?}");

    let tables = mailidx::store::DbPaths::new(&db).tables_dir();
    let m = mailidx::store::parquet::read_table(&tables, "messages").unwrap();
    let warnings_of = |subject: &str| -> Vec<String> {
        let row = m.clone().lazy().filter(col("subject").str().starts_with(lit(subject))).collect().unwrap();
        assert_eq!(row.height(), 1, "one message with subject {subject}");
        let w = row.column("warnings").unwrap().list().unwrap().get_as_series(0).unwrap();
        (0..w.len()).map(|i| w.str().unwrap().get(i).unwrap_or_default().to_string()).collect()
    };
    let has = |subject: &str, needle: &str| {
        let w = warnings_of(subject);
        assert!(w.iter().any(|x| x.contains(needle)), "{subject}: {needle:?} not in {w:?}");
    };
    has("deep", "max_depth");
    has("many parts", "limit max_parts");
    has("AAAA", "max_header_bytes");
    has("hops", "max_received");
    has("bad base64", "base64 body could not be decoded");
    has("signatures", "limit max_auth_headers");
    has("signatures", "DKIM body hashes not computed");
    has("huge", "limit max_message_bytes");
    assert!(warnings_of("deep").len() <= 101, "warnings are capped");
    let hops = mailidx::store::parquet::read_table(&tables, "received_hops").unwrap();
    assert_eq!(hops.height(), 500, "the Received chain is cut at the limit");
    let subject_len = m.clone().lazy().select([col("subject").str().len_bytes().max()]).collect().unwrap();
    assert!(subject_len.column("subject").unwrap().u32().unwrap().get(0).unwrap() <= 16 * 1024);

    // Every other message is in, the mboxes split as mboxo/mboxrd say.
    for s in ["the one good message", "nul", "no newline at the end", "first", "second", "cr only", "bad qp"] {
        assert_eq!(
            m.clone().lazy().filter(col("subject").str().starts_with(lit(s))).collect().unwrap().height(),
            1,
            "{s} ingested"
        );
    }
    // The problems a user must know of are in `errors`.
    let errors = mailidx::store::parquet::read_table(&tables, "errors").unwrap();
    let reasons: Vec<String> = {
        let k = errors.column("error_kind").unwrap().str().unwrap().clone();
        let p = errors.column("source_path").unwrap().str().unwrap().clone();
        (0..errors.height()).map(|i| format!("{} {}", k.get(i).unwrap_or_default(), p.get(i).unwrap_or_default())).collect()
    };
    eprintln!("errors: {reasons:#?}");
    assert!(reasons.iter().any(|r| r.starts_with("malformed") && r.ends_with("empty:2,")), "the empty file");
    assert!(reasons.iter().any(|r| r.contains("loop")), "the symlink loop");
    assert!(reasons.iter().any(|r| r.starts_with("not_mail") && r.ends_with("socket:2,")), "the socket");
    assert!(reasons.iter().any(|r| r.starts_with("not_mail") && r.ends_with("a-directory:2,")), "the directory");
    assert!(reasons.iter().any(|r| r.ends_with("dangling:2,")), "the dangling symlink");
    // root reads a file whatever its mode; anyone else cannot.
    let root_user = std::process::Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
    let unreadable_in = m.clone().lazy().filter(col("subject").eq(lit("unreadable"))).collect().unwrap().height() == 1;
    if root_user {
        assert!(unreadable_in, "root reads a mode-000 file");
    } else {
        assert!(!unreadable_in && reasons.iter().any(|r| r.starts_with("io") && r.ends_with("unreadable:2,")), "the unreadable file");
    }

    // Searching still works, and a second ingest is quiet.
    let count = Command::cargo_bin("mailidx").unwrap().arg("--db").arg(&db).args(["search", "--count", "subject:good"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&count.stdout).trim(), "1");
    let again = Command::cargo_bin("mailidx").unwrap().arg("--db").arg(&db).args(["ingest", "-q"]).arg(&archive).output().unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).starts_with("0 messages"), "{}", String::from_utf8_lossy(&again.stdout));
}

/// The archive is read, never written: every file's bytes, size, mtime and
/// name (Maildir flags) are the same after an ingest, after an ingest
/// killed halfway, and after a re-ingest.
#[test]
fn the_archive_is_never_changed() {
    let Some(corpus) = Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/mu")).filter(|p| p.is_dir()) else {
        eprintln!("SKIPPED: ../shared/corpora is not here");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("archive");
    for e in walkdir::WalkDir::new(&corpus) {
        let e = e.unwrap();
        let dest = archive.join(e.path().strip_prefix(&corpus).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
    let mbox = archive.join("list.mbox");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/mail/lists/dev.mbox"), &mbox).unwrap();
    let fingerprint = || -> Vec<(String, u64, std::time::SystemTime, String)> {
        let mut v: Vec<_> = walkdir::WalkDir::new(&archive)
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let m = e.metadata().unwrap();
                let hash = blake3::hash(&std::fs::read(e.path()).unwrap()).to_hex().to_string();
                (e.path().display().to_string(), m.len(), m.modified().unwrap(), hash)
            })
            .collect();
        v.sort();
        v
    };
    let before = fingerprint();
    let db = work.path().join("db");
    let mailidx = || {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("mailidx"));
        c.arg("--db").arg(&db).args(["ingest", "-q", "--batch-rows", "5"]).arg(&archive);
        c
    };
    let mut child = mailidx().stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(150));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(fingerprint(), before, "after an interrupted ingest");
    assert!(matches!(mailidx().output().unwrap().status.code(), Some(0) | Some(1)));
    assert!(matches!(mailidx().output().unwrap().status.code(), Some(0) | Some(1)));
    assert_eq!(fingerprint(), before, "after two ingests");
}

/// The sorted values of one string column of a table.
fn column(db: &Path, table: &str, name: &str) -> Vec<String> {
    let tables = mailidx::store::DbPaths::new(db).tables_dir();
    let t = mailidx::store::parquet::read_table(&tables, table).unwrap();
    let c = t.column(name).unwrap().str().unwrap().clone();
    let mut v: Vec<String> = (0..c.len()).map(|i| c.get(i).unwrap_or_default().to_string()).collect();
    v.sort();
    v
}

/// Files deleted, rewritten and truncated while an ingest reads them: the
/// ingest does not crash (a truncated mapped file would raise SIGBUS; mailidx
/// reads instead), and the next ingest brings the database to exactly what
/// a clean ingest of the archive as it now is finds.
#[test]
fn files_that_change_or_vanish_during_ingest_lose_nothing() {
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("archive");
    let cur = archive.join("Inbox/cur");
    std::fs::create_dir_all(&cur).unwrap();
    std::fs::create_dir_all(archive.join("Inbox/new")).unwrap();
    let message = |i: usize, tag: &str| {
        format!("From: s{i}@example.org\nMessage-ID: <{tag}{i}@example.org>\nSubject: {tag} number {i}\n\n{}\n", "text ".repeat(200))
    };
    for i in 0..3000 {
        write(&cur, &format!("{i}.host:2,S"), message(i, "file").as_bytes());
    }
    let mut mbox = Vec::new();
    for i in 0..3000 {
        mbox.extend_from_slice(format!("From x Mon Jan  1 00:00:00 2024\n{}\n", message(i, "mbox")).as_bytes());
    }
    write(&archive, "list.mbox", &mbox);

    let db = work.path().join("db");
    let ingest = |db: &Path| {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("mailidx"));
        c.arg("--db").arg(db).args(["ingest", "-q", "--batch-rows", "300"]).arg(&archive);
        c
    };
    let child = ingest(&db).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    // Meanwhile: delete every third file, rewrite every seventh, cut the
    // mbox in the middle of a message.
    for i in 0..3000 {
        let path = cur.join(format!("{i}.host:2,S"));
        if i % 3 == 0 {
            let _ = std::fs::remove_file(&path);
        } else if i % 7 == 0 {
            let _ = std::fs::write(&path, message(i, "rewritten"));
        }
        if i == 1500 {
            std::fs::OpenOptions::new().write(true).open(archive.join("list.mbox")).unwrap().set_len(mbox.len() as u64 / 2 + 17).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("during the changes: {}{stderr}", String::from_utf8_lossy(&out.stdout));
    assert!(matches!(out.status.code(), Some(0) | Some(1)), "no crash: {:?} {stderr}", out.status);

    // The next ingest settles everything; a clean ingest is the reference.
    let again = ingest(&db).output().unwrap();
    assert!(matches!(again.status.code(), Some(0) | Some(1)), "{}", String::from_utf8_lossy(&again.stderr));
    let clean = work.path().join("clean");
    assert!(matches!(ingest(&clean).output().unwrap().status.code(), Some(0) | Some(1)));
    for (table, col) in [("messages", "msg_key"), ("messages", "subject"), ("locations", "path")] {
        let (got, want) = (column(&db, table, col), column(&clean, table, col));
        assert_eq!(got.len(), want.len(), "{table}.{col}");
        assert!(got == want, "{table}.{col} differs from a clean ingest");
    }
    let left = std::fs::read(archive.join("list.mbox")).unwrap();
    let mbox_left = left.windows(6).filter(|w| w == b"\nFrom ").count() + 1;
    assert_eq!(column(&clean, "messages", "msg_key").len(), 2000 + mbox_left, "what is left of the archive");
}
