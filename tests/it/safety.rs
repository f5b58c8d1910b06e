//! Hostile and ordinary mail kept in its place (issue 16): archives that
//! once crashed an ingest, what reaches the terminal, links out of the
//! archive, and who may read the database.

use std::path::Path;

use crate::common::mailidx;


fn mbox(dir: &Path, name: &str, messages: &[&str]) {
    let mut data = String::new();
    for m in messages {
        data.push_str("From x@y Mon Jan  1 00:00:00 2024\n");
        data.push_str(m);
        data.push('\n');
    }
    std::fs::write(dir.join(name), data).unwrap();
}

/// Two folders, one message with a Date in one and one without in the
/// other, each from its own origin and domain: the derived statistics once
/// panicked on it (a group whose dates were all null had another type),
/// and so did every later ingest and `stats rebuild`.
#[test]
fn an_undated_message_beside_a_dated_one_does_not_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let (mail, db) = (tmp.path().join("mail"), tmp.path().join("db"));
    std::fs::create_dir_all(&mail).unwrap();
    let received = |host: &str, ip: &str| format!("Received: from {host} ({host} [{ip}]) by mx.example.org; Mon, 13 Nov 2023 09:15:05 +0000\n");
    let dated = received("mx.one.example", "198.51.100.7") + "From: a@one.example\nSubject: dated\nDate: Mon, 13 Nov 2023 09:15:05 +0000\n\nhi\n";
    let undated = received("mx.two.example", "203.0.113.9") + "From: b@two.example\nSubject: undated\n\nhi\n";
    mbox(&mail, "Inbox.mbox", &[&dated]);
    mbox(&mail, "Drafts.mbox", &[&undated]);
    let out = mailidx(&db).args(["ingest", "-q"]).arg(&mail).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for args in [&["stats", "rebuild"][..], &["report"], &["search", "subject:undated"]] {
        let out = mailidx(&db).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    // A later ingest adds another undated message in a part of its own.
    mbox(&mail, "Later.mbox", &[&(received("mx.three.example", "192.0.2.1") + "From: c@three.example\nSubject: later\n\nhi\n")]);
    let out = mailidx(&db).args(["ingest", "-q"]).arg(&mail).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let sources = mailidx::store::parquet::read_table(&db.join("tables"), "spam_sources").unwrap();
    let first_seen = sources.column("first_seen").unwrap();
    assert_eq!(first_seen.dtype(), &polars::prelude::DataType::Datetime(polars::prelude::TimeUnit::Milliseconds, Some(polars::prelude::TimeZone::UTC)));
    assert!(first_seen.null_count() > 0 && first_seen.null_count() < sources.height(), "dated and undated sources: {sources}");
}

/// What attackers put in mail to reach past it: an OSC 52 clipboard write,
/// an OSC 8 hidden link, CSI sequences, C1 controls (raw and RFC 2047
/// encoded), right-to-left override and the isolates, in the Subject, the
/// From display name, a Received header and the file and folder names.
fn hostile_maildir(root: &Path) -> Vec<String> {
    let osc52 = "\u{1b}]52;c;cm0gLXJmIH4=\u{7}";
    let osc8 = "\u{1b}]8;;http://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\";
    let csi = "\u{1b}[2J\u{1b}[31m";
    let bidi = "\u{202e}fdp.exe\u{2066}\u{2067}\u{2068}\u{2069}";
    let c1 = "\u{9b}1m\u{85}";
    let folder = root.join(format!("Evil{bidi}/cur"));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::create_dir_all(root.join(format!("Evil{bidi}/new"))).unwrap();
    let messages = [
        format!("From: \"Pay{osc52}Pal\" <a@evil.example>\nSubject: invoice {csi}{osc8}\nMessage-ID: <1@evil.example>\n\nbody {osc52}\n"),
        format!("From: \"{bidi}\" <b@evil.example>\nSubject: =?UTF-8?B?{}?=\nMessage-ID: <2@evil.example>\n\nbody\n", base64(&format!("report {bidi}{c1}{osc52}"))),
        format!("Received: from x{csi} (host{bidi}.example [198.51.100.7]) by mx.example.org; Mon, 13 Nov 2023 09:15:05 +0000\nFrom: c@evil.example\nSubject: hops {c1}\nMessage-ID: <3@evil.example>\n\nbody\n"),
    ];
    let mut names = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let name = format!("{i}{csi}{bidi}:2,S");
        std::fs::write(folder.join(&name), m).unwrap();
        names.push(folder.join(name).to_string_lossy().into_owned());
    }
    std::fs::write(folder.join(format!("junk{osc52}")), b"not mail at all\0\x01").unwrap();
    names
}

fn base64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Bytes that a terminal would obey: ESC, other C0 controls but tab and
/// line feed (and CR), DEL, C1 controls as UTF-8, and bidi and invisible
/// format characters.
fn obeyed(out: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(out);
    text.chars()
        .filter(|&c| c != '\n' && c != '\t' && c != '\r' && mailidx::read::terminal::is_unsafe(c))
        .map(|c| format!("U+{:04X}", c as u32))
        .collect()
}

#[test]
fn nothing_mail_wrote_reaches_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let (mail, db) = (tmp.path().join("mail"), tmp.path().join("db"));
    let files = hostile_maildir(&mail);
    let bin = assert_cmd::cargo::cargo_bin("mailidx");
    let ingest = mailidx(&db).args(["ingest"]).arg(&mail).output().unwrap();
    assert!(ingest.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&ingest.stderr));
    let keys: Vec<String> = String::from_utf8_lossy(&mailidx(&db).args(["search", "--format", "json", "from:evil"]).output().unwrap().stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["msg_key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys.len(), 3);
    let mut commands: Vec<Vec<String>> = vec![
        // -q: no progress bar, whose own cursor movements would be escapes.
        vec!["ingest".into(), "-q".into(), mail.to_string_lossy().into_owned()],
        vec!["search".into(), "evil".into()],
        vec!["search".into(), "--format".into(), "json".into(), "evil".into()],
        vec!["status".into()],
        vec!["status".into(), "--format".into(), "json".into()],
        vec!["errors".into()],
        vec!["errors".into(), "--format".into(), "json".into()],
        vec!["report".into()],
        vec!["report".into(), "--format".into(), "json".into()],
        vec!["hops".into(), files[2].clone()],
        vec!["hops".into(), "--format".into(), "json".into(), files[0].clone()],
        vec!["show".into(), "<nosuch\u{1b}[2J@x>".into()],
    ];
    for k in &keys {
        commands.push(vec!["show".into(), k.clone()]);
        commands.push(vec!["show".into(), "--parts".into(), k.clone()]);
        commands.push(vec!["hops".into(), k.clone()]);
    }
    for args in &commands {
        let out = mailidx(&db).args(args).output().unwrap();
        assert!(obeyed(&out.stdout).is_empty(), "{args:?} stdout: {:?}", obeyed(&out.stdout));
        assert!(obeyed(&out.stderr).is_empty(), "{args:?} stderr: {:?}", obeyed(&out.stderr));
        // Through a pseudo-terminal too (util-linux script), where show --raw escapes as well.
        let mut line = format!("{} --db '{}'", bin.display(), db.display());
        for a in args {
            line.push_str(&format!(" '{}'", a.replace('\'', "'\\''")));
        }
        let tty = std::process::Command::new("script").args(["-qec", &line, "/dev/null"]).output().unwrap();
        assert!(obeyed(&tty.stdout).is_empty(), "{args:?} on a terminal: {:?}", obeyed(&tty.stdout));
    }
    let mut raw_escapes = 0;
    for k in &keys {
        let line = format!("{} --db '{}' show --raw {k}", bin.display(), db.display());
        let tty = std::process::Command::new("script").args(["-qec", &line, "/dev/null"]).output().unwrap();
        assert!(obeyed(&tty.stdout).is_empty(), "show --raw on a terminal: {:?}", obeyed(&tty.stdout));
        // Through a pipe, the exact bytes.
        let raw = mailidx(&db).args(["show", "--raw", k]).output().unwrap().stdout;
        raw_escapes += raw.iter().filter(|&&b| b == 0x1b).count();
    }
    assert!(raw_escapes > 0, "show --raw to a pipe keeps the bytes");
    // JSON keeps the exact decoded strings.
    let hits: Vec<serde_json::Value> = String::from_utf8_lossy(&mailidx(&db).args(["search", "--format", "json", "subject:invoice"]).output().unwrap().stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(hits.len(), 1);
    let subject = hits[0]["subject"].as_str().unwrap();
    assert!(subject.contains("\u{1b}]8;;http://evil.example/") && subject.contains("\u{1b}[2J"), "{subject:?}");
    let from = hits[0]["from"].as_str().unwrap();
    assert!(from.contains("\u{1b}]52;c;"), "{from:?}");
}

/// Every mode bit of a tree's folders and files, links passed over.
fn modes(root: &Path) -> Vec<(String, u32)> {
    use std::os::unix::fs::PermissionsExt;
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| !e.path_is_symlink())
        .map(|e| (e.path().display().to_string(), e.metadata().unwrap().permissions().mode() & 0o777))
        .collect()
}

/// The database holds the user's mail: under umask 022 it is still 0700
/// folders and 0600 files, and `status` warns once it is opened up.
#[test]
fn the_database_is_private_whatever_the_umask() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let bin = assert_cmd::cargo::cargo_bin("mailidx");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/mail");
    let run = |args: &str| {
        std::process::Command::new("sh").args(["-c", &format!("umask 022; exec '{}' --db '{}' {args}", bin.display(), db.display())]).output().unwrap()
    };
    let out = run(&format!("ingest -q '{}'", samples.display()));
    assert!(out.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(run("stats rebuild").status.success());
    let all = modes(&db);
    assert!(all.len() > 20, "{all:?}");
    let open: Vec<_> = all.iter().filter(|(_, m)| m & 0o077 != 0).collect();
    assert!(open.is_empty(), "readable by others: {open:?}");
    let status = run("status");
    assert!(!String::from_utf8_lossy(&status.stderr).contains("warning"), "{}", String::from_utf8_lossy(&status.stderr));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o755)).unwrap();
    let status = run("status");
    let err = String::from_utf8_lossy(&status.stderr);
    assert!(err.contains("other users of this machine can read this database") && err.contains("chmod -R go-rwx"), "{err}");
    let json: serde_json::Value = serde_json::from_slice(&run("status --format json").stdout).unwrap();
    assert_eq!(json["readable_by_others"][0].as_str(), Some(db.to_str().unwrap()));
}

fn count(db: &Path, query: &str) -> u64 {
    let out = mailidx(db).args(["search", "--count", query]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// A link in a Maildir to a file outside the archive (here a "private key"),
/// and one to a folder of mail outside it: not followed by default, each
/// recorded; with --follow-symlinks both are read. A link to a file inside
/// the archive is followed; a root that is itself a link is followed.
#[test]
fn links_out_of_the_archive_are_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let (mail, outside) = (tmp.path().join("mail"), tmp.path().join("outside"));
    let cur = mail.join("box/cur");
    std::fs::create_dir_all(&cur).unwrap();
    std::fs::create_dir_all(mail.join("box/new")).unwrap();
    std::fs::create_dir_all(outside.join("more/cur")).unwrap();
    std::fs::create_dir_all(outside.join("more/new")).unwrap();
    std::fs::write(cur.join("1.good:2,S"), "From: a@b.example\nSubject: inside\n\nhello\n").unwrap();
    std::fs::write(outside.join("id_rsa"), "From: x@y.example\nSubject: secret\n\nzanzibarkey\n").unwrap();
    std::fs::write(outside.join("more/cur/1:2,S"), "From: c@d.example\nSubject: elsewhere\n\nquokka\n").unwrap();
    std::fs::write(mail.join("notes.eml"), "From: e@f.example\nSubject: linked inside\n\nwombat\n").unwrap();
    std::os::unix::fs::symlink(outside.join("id_rsa"), cur.join("2.key:2,S")).unwrap();
    std::os::unix::fs::symlink(outside.join("more"), mail.join("more")).unwrap();
    std::os::unix::fs::symlink(mail.join("notes.eml"), cur.join("3.notes:2,S")).unwrap();

    let db = tmp.path().join("db");
    let out = mailidx(&db).args(["ingest", "-q"]).arg(&mail).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2 links out of the archive not followed"), "{stdout}");
    assert_eq!((count(&db, "zanzibarkey"), count(&db, "quokka"), count(&db, "wombat"), count(&db, "hello")), (0, 0, 1, 1));
    let raw = mailidx(&db).args(["search", "--format", "json", "wombat"]).output().unwrap().stdout;
    assert!(!raw.is_empty());
    let errors = mailidx(&db).args(["errors", "--format", "json"]).output().unwrap().stdout;
    let links: Vec<serde_json::Value> = String::from_utf8_lossy(&errors)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["error_kind"] == "link")
        .collect();
    assert_eq!(links.len(), 2, "{links:?}");
    assert!(links.iter().all(|e| e["advice"].as_str().unwrap().contains("--follow-symlinks")));
    // Nothing of the outside file is anywhere in the database.
    let secret_in_db = walkdir::WalkDir::new(&db)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .any(|e| std::fs::read(e.path()).unwrap().windows(11).any(|w| w == b"zanzibarkey"));
    assert!(!secret_in_db);

    let followed = tmp.path().join("db-followed");
    let out = mailidx(&followed).args(["ingest", "-q", "--follow-symlinks"]).arg(&mail).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!((count(&followed, "zanzibarkey"), count(&followed, "quokka")), (1, 1));

    // A root that is a link is what the user asked for.
    let via = tmp.path().join("via-link");
    std::os::unix::fs::symlink(outside.join("more"), &via).unwrap();
    let named = tmp.path().join("db-named");
    assert!(mailidx(&named).args(["ingest", "-q"]).arg(&via).output().unwrap().status.success());
    assert_eq!(count(&named, "quokka"), 1);
}

/// `mailidx ingest ~/Mail ~/Mail/INBOX`, in either order, or a folder twice
/// through a link: every file is one location, not a copy of itself.
#[test]
fn a_file_reached_twice_is_one_location() {
    let tmp = tempfile::tempdir().unwrap();
    let mail = tmp.path().join("Mail");
    let cur = mail.join("INBOX/cur");
    std::fs::create_dir_all(&cur).unwrap();
    std::fs::create_dir_all(mail.join("INBOX/new")).unwrap();
    for i in 0..3 {
        std::fs::write(cur.join(format!("{i}:2,S")), format!("From: a@b.example\nSubject: m{i}\nMessage-ID: <{i}@b>\n\nx\n")).unwrap();
    }
    std::os::unix::fs::symlink(mail.join("INBOX"), tmp.path().join("inbox-link")).unwrap();
    let inbox = mail.join("INBOX");
    let link = tmp.path().join("inbox-link");
    for (n, roots) in [vec![&mail, &inbox], vec![&inbox, &mail], vec![&inbox, &link]].into_iter().enumerate() {
        let db = tmp.path().join(format!("db{n}"));
        let out = mailidx(&db).args(["ingest", "-q"]).args(&roots).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{roots:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.starts_with("3 messages") && stdout.contains(" 0 duplicates"), "{roots:?}: {stdout}");
        let locations = mailidx::store::parquet::read_table(&db.join("tables"), "locations").unwrap();
        assert_eq!(locations.height(), 3, "{roots:?}");
    }
}

/// File and folder names that are not UTF-8 (Latin-1, Shift_JIS), as older
/// archives have them: ingest, search, show, show --raw, a Maildir rename
/// and a re-ingest all reach the files.
#[test]
fn names_that_are_not_utf8_are_read_back() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let mail = tmp.path().join("mail");
    let folder = mail.join(OsStr::from_bytes(b"Entw\xfcrfe")); // Latin-1 "Entwürfe"
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(folder.join(sub)).unwrap();
    }
    let latin = folder.join("cur").join(OsStr::from_bytes(b"1.m\xe9l:2,S"));
    let sjis = mail.join(OsStr::from_bytes(b"\x93\xfa\x96\x7b.mbox")); // Shift_JIS "日本"
    let one = b"From: a@b.example\nSubject: latin one\nMessage-ID: <l1@b>\n\nokapi\n";
    std::fs::write(&latin, one).unwrap();
    std::fs::write(&sjis, b"From x@y Mon Jan  1 00:00:00 2024\nFrom: c@d.example\nSubject: sjis two\nMessage-ID: <s2@d>\n\nnarwhal\n").unwrap();
    let db = tmp.path().join("db");
    let out = mailidx(&db).args(["ingest", "-q"]).arg(&mail).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = |word: &str| -> String {
        let out = mailidx(&db).args(["search", "--format", "json", word]).output().unwrap();
        let hit: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        hit["msg_key"].as_str().unwrap().to_string()
    };
    for (word, file) in [("okapi", &latin), ("narwhal", &sjis)] {
        let k = key(word);
        let shown = mailidx(&db).args(["show", &k]).output().unwrap();
        assert!(shown.status.success(), "show {word}: {}", String::from_utf8_lossy(&shown.stderr));
        assert!(String::from_utf8_lossy(&shown.stdout).contains(word));
        let raw = mailidx(&db).args(["show", "--raw", &k]).output().unwrap().stdout;
        assert!(std::fs::read(file).unwrap().ends_with(&raw) || raw.windows(word.len()).any(|w| w == word.as_bytes()), "raw {word}");
        let hops = mailidx(&db).args(["hops", &k]).output().unwrap();
        assert!(hops.status.success(), "hops {word}: {}", String::from_utf8_lossy(&hops.stderr));
    }
    assert_eq!(mailidx(&db).args(["show", "--raw", &key("okapi")]).output().unwrap().stdout, one);
    // A flag change renames the file; the next ingest follows it.
    let renamed = folder.join("cur").join(OsStr::from_bytes(b"1.m\xe9l:2,RS"));
    std::fs::rename(&latin, &renamed).unwrap();
    let again = mailidx(&db).args(["ingest", "-q"]).arg(&mail).output().unwrap();
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success() && stdout.contains("1 renamed"), "{stdout}");
    assert_eq!(mailidx(&db).args(["show", "--raw", &key("okapi")]).output().unwrap().stdout, one);
    let unchanged = mailidx(&db).args(["ingest", "-q"]).arg(&mail).output().unwrap();
    assert!(String::from_utf8_lossy(&unchanged.stdout).starts_with("0 messages"), "{}", String::from_utf8_lossy(&unchanged.stdout));
}

/// What a review found, each a case of its own: a root inside another
/// whose files the outer walk passes over (a dot folder); a file ingested
/// before that is now a link out of the archive; hard-linked copies in two
/// folders (a mail server's IMAP COPY); CSV on a terminal; a reader that
/// goes away.
#[test]
fn nested_roots_links_that_were_files_hard_links_csv_and_pipes() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("p");
    for sub in ["cur", "new", "tmp", ".old"] {
        std::fs::create_dir_all(p.join(sub)).unwrap();
    }
    std::fs::write(p.join("cur/1.h:2,S"), "From: a@b.example\nSubject: top\n\nalpaca\n").unwrap();
    std::fs::write(p.join(".old/saved.eml"), "From: a@b.example\nSubject: old\n\nbison\n").unwrap();
    let db = tmp.path().join("db");
    for roots in [vec![p.join(".old")], vec![p.clone(), p.join(".old")], vec![p.join(".old"), p.clone()]] {
        assert!(mailidx(&db).args(["ingest", "-q"]).args(&roots).output().unwrap().status.success());
        assert_eq!((count(&db, "alpaca"), count(&db, "bison")), (u64::from(roots.len() > 1), 1), "{roots:?}");
    }

    // An mbox ingested as a file, then moved out and linked back.
    let (n, ext) = (tmp.path().join("n"), tmp.path().join("ext"));
    std::fs::create_dir_all(&n).unwrap();
    std::fs::create_dir_all(&ext).unwrap();
    mbox(&n, "dev.mbox", &["From: c@d.example\nSubject: one\n\nquagga\n", "From: c@d.example\nSubject: two\n\nquagga\n"]);
    mbox(&n, "keep.mbox", &["From: e@f.example\nSubject: three\n\nkeeper\n"]);
    let db2 = tmp.path().join("db2");
    assert!(mailidx(&db2).args(["ingest", "-q"]).arg(&n).output().unwrap().status.success());
    std::fs::rename(n.join("dev.mbox"), ext.join("dev.mbox")).unwrap();
    std::os::unix::fs::symlink(ext.join("dev.mbox"), n.join("dev.mbox")).unwrap();
    let out = mailidx(&db2).args(["ingest", "-q"]).arg(&n).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 links out of the archive not followed") && stdout.contains("0 messages gone"), "{stdout}");
    assert_eq!(count(&db2, "quagga"), 2, "what was recorded of a file now linked stays");

    // Hard links: the same file in two folders is a copy in each.
    let m = tmp.path().join("m");
    for f in ["INBOX", "Archive"] {
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(m.join(f).join(sub)).unwrap();
        }
    }
    std::fs::write(m.join("INBOX/cur/1.h:2,S"), "From: a@b.example\nSubject: copied\nMessage-ID: <c@b>\n\nibex\n").unwrap();
    std::fs::hard_link(m.join("INBOX/cur/1.h:2,S"), m.join("Archive/cur/9.h:2,S")).unwrap();
    let db3 = tmp.path().join("db3");
    assert!(mailidx(&db3).args(["ingest", "-q"]).arg(&m).output().unwrap().status.success());
    assert_eq!(mailidx::store::parquet::read_table(&db3.join("tables"), "locations").unwrap().height(), 2);

    // CSV: exact to a pipe, shown (not obeyed) on a terminal.
    let hostile = tmp.path().join("hostile");
    std::fs::create_dir_all(&hostile).unwrap();
    mbox(&hostile, "h.mbox", &["Received: from evil\u{1b}]52;c;eA==\u{7} (evil.example [198.51.100.9]) by mx.example.org; Mon, 13 Nov 2023 09:15:05 +0000\nFrom: z@evil.example\nSubject: s\nDate: Mon, 13 Nov 2023 09:15:05 +0000\n\nx\n"]);
    let db4 = tmp.path().join("db4");
    assert!(mailidx(&db4).args(["ingest", "-q"]).arg(&hostile).output().unwrap().status.success());
    let piped = mailidx(&db4).args(["report", "--format", "csv"]).output().unwrap().stdout;
    assert!(piped.contains(&0x1b), "CSV to a pipe keeps the exact values");
    let bin = assert_cmd::cargo::cargo_bin("mailidx");
    let line = format!("{} --db '{}' report --format csv", bin.display(), db4.display());
    let tty = std::process::Command::new("script").args(["-qec", &line, "/dev/null"]).output().unwrap();
    assert!(obeyed(&tty.stdout).is_empty() && !tty.stdout.is_empty(), "CSV on a terminal: {:?}", obeyed(&tty.stdout));

    // A reader that goes away is not an error of mailidx's: a 2 MB message
    // to `head -c 1` breaks the pipe.
    let big = tmp.path().join("big");
    std::fs::create_dir_all(&big).unwrap();
    mbox(&big, "b.mbox", &[&format!("From: a@b.example\nSubject: big\nMessage-ID: <big@b>\n\n{}\n", "yak ".repeat(500_000))]);
    let db5 = tmp.path().join("db5");
    assert!(mailidx(&db5).args(["ingest", "-q"]).arg(&big).output().unwrap().status.success());
    let err = tmp.path().join("stderr");
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("'{}' --db '{}' show --raw '<big@b>' 2>'{}' | head -c 1 >/dev/null", bin.display(), db5.display(), err.display())])
        .status()
        .unwrap();
    assert!(status.success());
    let err = std::fs::read_to_string(&err).unwrap();
    assert!(err.is_empty(), "{err}");
}
