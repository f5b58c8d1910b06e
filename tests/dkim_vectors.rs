//! DKIM canonicalisation and body hashes against independent expectations:
//! flanker's expected simple and relaxed canonicalisations
//! (../shared/corpora/flanker/dkim-canon-expected: header section, CRLF, body)
//! and SpamAssassin's DKIM test messages (../shared/corpora/sa-testdata/dkim),
//! whose names say whether the signature should verify.

use std::path::{Path, PathBuf};

use mailidx::analyze::dkim::{canonical_body, canonical_headers, check_body_hash, parse_dkim_signature, split_message};

fn corpora() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora");
    p.is_dir().then_some(p).or_else(|| {
        eprintln!("SKIPPED: ../shared/corpora is not here");
        None
    })
}

#[test]
fn flanker_canonicalisation() {
    let Some(c) = corpora() else { return };
    let dir = c.join("flanker/dkim-canon/cur");
    let mut checked = 0;
    let mut failed = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(n) = name.split("email.").nth(1).map(|s| s.trim_end_matches(":2,").to_string()) else { continue };
        let raw = std::fs::read(&path).unwrap();
        let (headers, body) = split_message(&raw);
        for (kind, relaxed) in [("simple", false), ("relaxed", true)] {
            let want = std::fs::read(c.join(format!("flanker/dkim-canon-expected/{kind}.expected.{n}"))).unwrap();
            let mut got = canonical_headers(headers, relaxed);
            got.extend_from_slice(b"\r\n");
            got.extend_from_slice(&canonical_body(body, relaxed));
            if got != want {
                failed.push(format!("{kind} {n}: want {:?} got {:?}", String::from_utf8_lossy(&want), String::from_utf8_lossy(&got)));
            }
            checked += 1;
        }
    }
    for f in &failed {
        eprintln!("MISS {f}");
    }
    assert_eq!(checked, 42, "21 messages, simple and relaxed");
    assert!(failed.is_empty(), "{} of {checked} differ", failed.len());
}

#[test]
fn spamassassin_dkim_body_hashes() {
    let Some(c) = corpora() else { return };
    let dir = c.join("sa-testdata/dkim/cur");
    let mut rows = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let raw = std::fs::read(&path).unwrap();
        let (headers, body) = split_message(&raw);
        let text = String::from_utf8_lossy(headers).into_owned();
        // Unfold and find DKIM-Signature fields.
        let unfolded = text.replace("\r\n\t", " ").replace("\r\n ", " ").replace("\n\t", " ").replace("\n ", " ");
        for line in unfolded.lines() {
            if let Some(v) = line.strip_prefix("DKIM-Signature:") {
                let sig = parse_dkim_signature(v);
                let check = check_body_hash(&sig, body);
                rows.push((name.clone(), check.map(|c| c.matches)));
                // The same signature over a body changed after signing fails.
                let mut altered = body.to_vec();
                altered.extend_from_slice(b"Appended by a forwarder.\r\n");
                if sig.l.is_none() {
                    assert_eq!(check_body_hash(&sig, &altered).map(|c| c.matches), Some(false), "{name}");
                }
            }
        }
    }
    for (n, ok) in &rows {
        eprintln!("{n}: body hash {ok:?}");
    }
    let pass: Vec<_> = rows.iter().filter(|(n, _)| n.contains("test-pass-")).collect();
    assert!(pass.len() >= 23, "every test-pass message is signed");
    for (n, ok) in &pass {
        assert_eq!(*ok, Some(true), "{n}: a message that should verify has an unchanged body");
    }
    // The test-fail messages were broken in their headers or signatures, not
    // their bodies (their bodies are the test-pass ones'): bh= still matches.
    let fail: Vec<_> = rows.iter().filter(|(n, _)| n.contains("test-fail-")).collect();
    assert!(!fail.is_empty());
    assert!(fail.iter().all(|(_, ok)| *ok == Some(true)), "{fail:?}");
}
