//! The Received parser against SpamAssassin 4.0.1's (../shared/oracle/*/
//! received_sa.jsonl.gz): on every hop SpamAssassin parsed, ip, rdns, helo
//! and by must agree on at least 97% of hops over the whole shared set, and
//! the origin (SpamAssassin's first untrusted relay) on at least 97% of
//! messages, with mailidx's defaults (receiver profiles detected). The
//! origin of phishing_pot, which Microsoft 365 received, is compared with
//! SpamAssassin told Microsoft's networks instead (tests/it/receivers.rs):
//! plain SpamAssassin takes Microsoft's own relays for its origin. Skipped
//! where ../shared is absent.

use crate::common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use mailidx::analyze::receivers::{walk, ReceiverChoice, Trust};
use mailidx::parse::fields::received::{parse_received, ParsedHop};
use serde_json::Value;

/// SpamAssassin's value normalisation (see ../shared/oracle/README.md):
/// brackets, parentheses, `<>|#` and spaces become `!`, trailing dots go,
/// `unknown` rDNS is empty; compared case-insensitively.
fn sa_norm(s: &str) -> String {
    s.trim_end_matches('.')
        .chars()
        .map(|c| if "[]()<>|#".contains(c) || c.is_whitespace() { '!' } else { c })
        .collect::<String>()
        .to_lowercase()
}

#[derive(Default)]
struct Tally {
    hops: u64,
    ip: u64,
    rdns: u64,
    helo: u64,
    by: u64,
    messages: u64,
    origin: u64,
    /// The origin with no receiver profile (`--receiver none`).
    origin_plain: u64,
}

#[test]
fn received_agrees_with_spamassassin() {
    let Some(shared) = common::shared() else { return };
    let mut per_corpus: BTreeMap<String, Tally> = BTreeMap::new();
    let mut misses: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(shared.join("oracle")).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    for dir in dirs {
        let file = dir.join("received_sa.jsonl.gz");
        if !file.exists() {
            continue;
        }
        let corpus = dir.file_name().unwrap().to_string_lossy().into_owned();
        let t = per_corpus.entry(corpus.clone()).or_default();
        for r in common::oracle(&shared, &corpus, "received_sa") {
            let real: Vec<&Value> =
                r["received"].as_array().unwrap().iter().filter(|h| h["synthetic"] != true).collect();
            let ours: Vec<ParsedHop> = real.iter().map(|h| parse_received(h["raw"].as_str().unwrap_or(""), None)).collect();
            for (h, mine) in real.iter().zip(&ours) {
                if h["status"] != "parsed" {
                    continue;
                }
                let relay = &h["relay"];
                t.hops += 1;
                let field = |name: &str| sa_norm(relay[name].as_str().unwrap_or(""));
                let checks = [
                    ("ip", field("ip"), mine.ip.map(|i| i.to_string().to_lowercase()).unwrap_or_default()),
                    ("rdns", field("rdns"), mine.rdns.as_deref().map(sa_norm).unwrap_or_default()),
                    ("helo", field("helo"), mine.helo.as_deref().map(sa_norm).unwrap_or_default()),
                    ("by", field("by"), mine.by_host.as_deref().map(sa_norm).unwrap_or_default()),
                ];
                for (name, want, got) in checks {
                    if want == got {
                        match name {
                            "ip" => t.ip += 1,
                            "rdns" => t.rdns += 1,
                            "helo" => t.helo += 1,
                            _ => t.by += 1,
                        }
                    } else {
                        let m = misses.entry(name).or_default();
                        if m.len() < 12 {
                            m.push(format!("{corpus}: want {want:?} got {got:?} in {}", h["raw"].as_str().unwrap_or("")));
                        }
                    }
                }
            }
            // The origin: SpamAssassin's first untrusted relay.
            if corpus == "phishing_pot" {
                continue;
            }
            let sa_origin = r["relays_untrusted"].as_array().and_then(|a| a.first()).and_then(|x| x["ip"].as_str());
            let refs: Vec<&ParsedHop> = ours.iter().collect();
            let our_origin = walk(&refs, &Trust::default()).origin.and_then(|i| ours[i].ip).map(|i| i.to_string());
            let none = Trust { receiver: ReceiverChoice::None, ..Default::default() };
            let plain = walk(&refs, &none).origin.and_then(|i| ours[i].ip).map(|i| i.to_string());
            t.messages += 1;
            if sa_origin.map(|s| s.to_lowercase()) == plain.map(|s| s.to_lowercase()) {
                t.origin_plain += 1;
            }
            if sa_origin.map(|s| s.to_lowercase()) == our_origin.clone().map(|s| s.to_lowercase()) {
                t.origin += 1;
            } else {
                let m = misses.entry("origin").or_default();
                if m.len() < 12 {
                    m.push(format!("{corpus} {}: want {sa_origin:?} got {our_origin:?}", r["relpath"]));
                }
            }
        }
    }
    let mut all = Tally::default();
    let pct = |a: u64, b: u64| 100.0 * a as f64 / b.max(1) as f64;
    eprintln!("| corpus | hops | ip | rdns | helo | by | messages | origin | origin, --receiver none |");
    for (c, t) in &per_corpus {
        eprintln!(
            "| {c} | {} | {:.2}% | {:.2}% | {:.2}% | {:.2}% | {} | {:.2}% | {:.2}% |",
            t.hops, pct(t.ip, t.hops), pct(t.rdns, t.hops), pct(t.helo, t.hops), pct(t.by, t.hops), t.messages, pct(t.origin, t.messages), pct(t.origin_plain, t.messages)
        );
        all.origin_plain += t.origin_plain;
        all.hops += t.hops;
        all.ip += t.ip;
        all.rdns += t.rdns;
        all.helo += t.helo;
        all.by += t.by;
        all.messages += t.messages;
        all.origin += t.origin;
    }
    eprintln!(
        "| all | {} | {:.2}% | {:.2}% | {:.2}% | {:.2}% | {} | {:.2}% | {:.2}% |",
        all.hops, pct(all.ip, all.hops), pct(all.rdns, all.hops), pct(all.helo, all.hops), pct(all.by, all.hops), all.messages, pct(all.origin, all.messages), pct(all.origin_plain, all.messages)
    );
    for (k, v) in &misses {
        for m in v {
            eprintln!("MISS {k}: {m}");
        }
    }
    assert!(all.hops > 40_000, "the oracle covers the shared set");
    for (name, n) in [("ip", all.ip), ("rdns", all.rdns), ("helo", all.helo), ("by", all.by)] {
        assert!(pct(n, all.hops) >= 97.0, "{name}: {:.2}%", pct(n, all.hops));
    }
    assert!(pct(all.origin, all.messages) >= 97.0, "origin: {:.2}%", pct(all.origin, all.messages));
    // Receiver profiles must not move the origin where no provider received
    // the mail (the rates before profiles: 100% and 99.9%).
    let rate = |c: &str| per_corpus.get(c).map(|t| pct(t.origin, t.messages)).unwrap_or(0.0);
    assert!(rate("lists-freedreno") >= 100.0, "freedreno origin: {:.2}%", rate("lists-freedreno"));
    assert!(rate("spamassassin") >= 99.9, "spamassassin origin: {:.2}%", rate("spamassassin"));
}
