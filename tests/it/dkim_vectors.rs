//! DKIM canonicalisation and body hashes against independent expectations:
//! flanker's expected simple and relaxed canonicalisations
//! (../shared/corpora/flanker/dkim-canon-expected: header section, CRLF, body)
//! and SpamAssassin's DKIM test messages (../shared/corpora/sa-testdata/dkim),
//! whose names say whether the signature should verify.

use std::path::{Path, PathBuf};

use mailidx::parse::fields::dkim::{canonical_body, canonical_headers, check_body_hash, parse_dkim_signature, split_message};

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

/// Messages signed by an independent signer (dkimpy 1.1.8, with a key made
/// for this test; tests/fixtures/dkim/keys.txt holds its public half): mailidx
/// verifies them with --dkim-keys, and fails them when a signed header or
/// the body changes.
#[test]
fn signatures_verify_with_supplied_keys() {
    use mailidx::analyze::dkim_verify::DkimKeys;
    use mailidx::store::DbPaths;
    use mailidx::read::hops::hops_report;
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dkim");
    let keys = DkimKeys::load(&fixtures.join("keys.txt")).unwrap();
    assert_eq!(keys.len(), 1);
    let db = DbPaths::new("/nonexistent");
    let tmp = tempfile::tempdir().unwrap();
    let check = |file: &Path, keys: &DkimKeys| {
        let analyzer = mailidx::analyze::Analyzer { dkim_keys: keys.clone(), ..Default::default() };
        let r = hops_report(&db, file.to_str().unwrap(), &analyzer).unwrap();
        assert_eq!(r.dkim.len(), 1);
        (r.dkim[0].body_hash_ok, r.dkim[0].signature_ok, r.auth.dmarc_computed.clone())
    };
    for canon in ["relaxed", "simple"] {
        let signed = fixtures.join(format!("signed-{canon}.eml"));
        assert_eq!(check(&signed, &keys), (Some(true), Some(true), "pass".to_string()), "{canon}");
        assert_eq!(check(&signed, &DkimKeys::default()).1, None, "{canon}: no key, no verdict");
        let text = std::fs::read_to_string(&signed).unwrap();
        let forged = tmp.path().join(format!("forged-{canon}.eml"));
        std::fs::write(&forged, text.replace("Subject: Signed", "Subject: Forged")).unwrap();
        assert_eq!(check(&forged, &keys).1, Some(false), "{canon}: a signed header changed");
        let altered = tmp.path().join(format!("altered-{canon}.eml"));
        std::fs::write(&altered, text.replace("due on Friday", "due on Monday")).unwrap();
        assert_eq!(check(&altered, &keys).0, Some(false), "{canon}: the body changed");
        assert_eq!(check(&altered, &keys).1, Some(false));
    }
    // Relaxed header canonicalisation survives whitespace changes; simple does not.
    let respaced = |canon: &str| {
        let text = std::fs::read_to_string(fixtures.join(format!("signed-{canon}.eml"))).unwrap();
        let p = tmp.path().join(format!("respaced-{canon}.eml"));
        std::fs::write(&p, text.replace("Subject: Signed  invoice   reminder", "Subject: Signed invoice reminder")).unwrap();
        check(&p, &keys).1
    };
    assert_eq!(respaced("relaxed"), Some(true));
    assert_eq!(respaced("simple"), Some(false));
}
