//! The Authentication-Results parser against the authres library's
//! (../shared/oracle/*/authres_py.jsonl.gz). On every header authres could
//! read (strictly or with its marked lenient fixes), (method, result) must
//! agree on at least 99% of results and the properties on at least 98%.
//! authres drops properties whose ptype is not smtp, header, body or
//! policy, and comments; those are left out of the comparison. Skipped
//! where ../shared is absent.

use crate::common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use mailidx::parse::fields::auth_results::{parse_arc_authentication_results, parse_authentication_results, AuthResults};

#[derive(Default)]
struct Tally {
    headers: u64,
    results: u64,
    method_result: u64,
    props: u64,
}

#[test]
fn authentication_results_agree_with_authres() {
    let Some(shared) = common::shared() else { return };
    let oracle = shared.join("oracle");
    let mut per: BTreeMap<String, Tally> = BTreeMap::new();
    let mut misses: Vec<String> = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&oracle).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    for dir in dirs {
        let file = dir.join("authres_py.jsonl.gz");
        if !file.exists() {
            continue;
        }
        let corpus = dir.file_name().unwrap().to_string_lossy().into_owned();
        let t = per.entry(corpus.clone()).or_default();
        for r in common::oracle(&shared, &corpus, "authres_py") {
            for (kind, parse) in [
                ("authentication_results", parse_authentication_results as fn(&str) -> AuthResults),
                ("arc_authentication_results", parse_arc_authentication_results),
            ] {
                for h in r[kind].as_array().into_iter().flatten() {
                    if h["parse"] == "failed" {
                        continue;
                    }
                    // Exchange writes RFC 2047-encoded values; both sides decode first.
                    let raw = mailidx::analyze::auth::decode_encoded_words(h["raw"].as_str().unwrap_or(""));
                    let raw = raw.as_str();
                    let ours = parse(raw);
                    t.headers += 1;
                    for (i, want) in h["results"].as_array().into_iter().flatten().enumerate() {
                        t.results += 1;
                        let got = ours.results.get(i);
                        let want_mr = (want["method"].as_str().unwrap_or(""), want["result"].as_str().unwrap_or(""));
                        let got_mr = got.map(|g| (g.method.as_str(), g.result.as_str())).unwrap_or(("", ""));
                        if want_mr == got_mr {
                            t.method_result += 1;
                        } else if misses.len() < 30 {
                            misses.push(format!("{corpus} result {i}: want {want_mr:?} got {got_mr:?} in {raw}"));
                        }
                        let mut want_props: Vec<String> = want["properties"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|p| format!("{}.{}={}", p["type"].as_str().unwrap_or(""), p["name"].as_str().unwrap_or(""), p["value"].as_str().unwrap_or("")))
                            .collect();
                        let mut got_props: Vec<String> = got
                            .map(|g| {
                                g.properties
                                    .iter()
                                    .filter(|(t, _, _)| matches!(t.as_str(), "smtp" | "header" | "body" | "policy"))
                                    .map(|(t, n, v)| format!("{t}.{n}={v}"))
                                    .collect()
                            })
                            .unwrap_or_default();
                        want_props.sort();
                        got_props.sort();
                        if want_props == got_props {
                            t.props += 1;
                        } else if misses.len() < 60 {
                            misses.push(format!("{corpus} props {i}: want {want_props:?} got {got_props:?} in {raw}"));
                        }
                    }
                }
            }
        }
    }
    let pct = |a: u64, b: u64| 100.0 * a as f64 / b.max(1) as f64;
    let mut all = Tally::default();
    eprintln!("| corpus | headers | results | method+result | properties |");
    for (c, t) in &per {
        if t.results == 0 {
            continue;
        }
        eprintln!("| {c} | {} | {} | {:.2}% | {:.2}% |", t.headers, t.results, pct(t.method_result, t.results), pct(t.props, t.results));
        all.headers += t.headers;
        all.results += t.results;
        all.method_result += t.method_result;
        all.props += t.props;
    }
    eprintln!("| all | {} | {} | {:.2}% | {:.2}% |", all.headers, all.results, pct(all.method_result, all.results), pct(all.props, all.results));
    for m in &misses {
        eprintln!("MISS {m}");
    }
    assert!(all.results > 10_000);
    assert!(pct(all.method_result, all.results) >= 99.0);
    assert!(pct(all.props, all.results) >= 98.0);
}
