//! `mailidx hops TARGET`

use clap::Args;

use super::Format;
use mailidx::analyze::dkim_verify::DkimKeys;
use mailidx::analyze::Analyzer;
use mailidx::store::DbPaths;
use mailidx::read::hops::{hops_report, HopsReport};
use mailidx::read::terminal;

#[derive(Args, Debug)]
pub struct HopsArgs {
    /// A message file (.eml, a Maildir file), or a msg_key / Message-ID in the database
    pub target: String,
    #[command(flatten)]
    pub trust: super::trust::TrustArgs,
    /// DKIM public keys (selector._domainkey.domain TXT "v=DKIM1; p=…" records) to verify signatures with
    #[arg(long = "dkim-keys", value_name = "FILE")]
    pub dkim_keys: Option<std::path::PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(a: HopsArgs, db: DbPaths) -> anyhow::Result<i32> {
    let (trust, authserv_ids) = a.trust.resolve()?;
    let analyzer = Analyzer {
        trust,
        authserv_ids,
        dkim_keys: match &a.dkim_keys {
            Some(p) => DkimKeys::load(p)?,
            None => Default::default(),
        },
        ..Default::default()
    };
    let report = hops_report(&db, &a.target, &analyzer)?;
    match a.format {
        Format::Json => println!("{}", terminal::json(serde_json::to_string(&report)?)),
        Format::Table => print_table(&report),
    }
    Ok(0)
}

fn print_table(r: &HopsReport) {
    out!("message  {}  ({})", r.msg_key, r.source);
    if let Some(s) = &r.subject {
        out!("subject  {s}");
    }
    out!("from     {}", r.from_addr.as_deref().unwrap_or("-"));
    out!();
    print_hops(r);
    out!();
    print_route(r);
    out!();
    print_auth(r);
    out!(
        "forgery  score {} ({}); label {} (from {})",
        r.forgery.forgery_score,
        if r.forgery.forgery_signs.is_empty() { "no signs".to_string() } else { r.forgery.forgery_signs.join(", ") },
        r.label,
        r.label_source
    );
}

/// The hop table, bottom (nearest the sender) first, with each hop's flags.
fn print_hops(r: &HopsReport) {
    out!("Hops in transit order (the first is nearest the sender; * origin, T trusted):");
    out!(
        "{:>3} {:1} {:<19} {:>7}  {:<44} {:<30} {:<9} {:<8} {:4}",
        "hop", "", "time (UTC)", "delay", "from (HELO / rDNS [IP] class)", "by", "with", "TLS", "auth"
    );
    for h in r.hops.iter().rev() {
        let time = h
            .timestamp
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "-".into());
        let delay = h.delay_seconds.map(|d| format!("{d}s")).unwrap_or_else(|| "-".into());
        let from = if h.parsed {
            format!(
                "{} / {} [{}] {}",
                h.helo.as_deref().unwrap_or("-"),
                h.rdns.as_deref().unwrap_or("-"),
                h.ip.as_deref().unwrap_or("-"),
                h.ip_class.as_deref().unwrap_or("")
            )
        } else {
            format!("({})", terminal::cell(&h.raw, 40))
        };
        let mark = if h.is_origin { "*" } else if h.trusted { "T" } else { "" };
        out!(
            "{:>3} {:1} {:<19} {:>7}  {:<44} {:<30} {:<9} {:<8} {:4}",
            h.hop_index,
            mark,
            time,
            delay,
            terminal::cell(&from, 44),
            terminal::cell(h.by_host.as_deref().unwrap_or("-"), 30),
            terminal::cell(h.protocol.as_deref().unwrap_or("-"), 9),
            terminal::cell(h.tls_version.as_deref().unwrap_or("-"), 8),
            if h.authenticated { "yes" } else { "" }
        );
        let flags: Vec<&str> = [
            (h.time_reversed, "time goes backwards"),
            (h.helo_is_ip_literal, "HELO is an IP literal"),
            (h.helo_rdns_mismatch, "HELO does not match rDNS"),
            (h.rdns_missing, "no rDNS"),
            (h.rdns_dynamic, "dynamic-looking rDNS"),
        ]
        .into_iter()
        .filter_map(|(on, text)| on.then_some(text))
        .collect();
        if !flags.is_empty() {
            out!("{:>25}  ! {}", "", flags.join(", "));
        }
    }
}

/// The origin, hop counts, timing and the anomaly flags.
fn print_route(r: &HopsReport) {
    out!(
        "receiver {}{}",
        r.receiver.as_deref().unwrap_or("none detected (SpamAssassin's plain reading)"),
        r.receiver_gateway.as_deref().map(|g| format!(" behind the gateway {g}")).unwrap_or_default()
    );
    match &r.origin_ip {
        Some(ip) => out!(
            "origin   {ip} ({})  rDNS {}  HELO {}",
            if r.origin_kind == "client" { "the client that submitted it to the provider" } else { "the server that handed it over" },
            r.origin_rdns.as_deref().unwrap_or("none"),
            r.origin_helo.as_deref().unwrap_or("none")
        ),
        None => out!("origin   none: every relay is trusted (or none names an address)"),
    }
    let secs = |s: Option<i64>| s.map(|s| format!("{s} s")).unwrap_or_else(|| "-".into());
    out!(
        "hops     {} ({} without an address); transit {}; Date header vs origin {}",
        r.hop_count,
        r.unparsed_hop_count,
        secs(r.transit_seconds),
        secs(r.date_hop_skew_seconds)
    );
    let a = &r.anomalies;
    let anomalies: Vec<&str> = [
        (a.hops_time_reversed, "hop times go backwards"),
        (a.date_far_from_hops, "Date header more than 3 h from the origin hop"),
        (a.origin_helo_is_ip_literal, "origin HELO is an IP literal"),
        (a.origin_helo_rdns_mismatch, "origin HELO does not match its rDNS"),
        (a.origin_rdns_missing, "origin has no rDNS"),
        (a.origin_rdns_dynamic, "origin rDNS looks dynamic/consumer"),
        (a.origin_helo_forged_provider, "origin HELO names a provider's relay from outside its networks"),
        (a.private_after_public, "a private IP appears after a public one below the origin"),
    ]
    .into_iter()
    .filter_map(|(on, text)| on.then_some(text))
    .collect();
    out!("anomalies {}", if anomalies.is_empty() { "none".to_string() } else { anomalies.join("; ") });
}

/// Verdicts, alignment and each DKIM signature's checks.
fn print_auth(r: &HopsReport) {
    let au = &r.auth;
    let v = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
    out!(
        "auth     SPF {}  DKIM {}  DMARC {}  ARC {}   (trusted Authentication-Results: {}, untrusted: {})",
        v(&au.spf_result),
        v(&au.dkim_result),
        v(&au.dmarc_result),
        v(&au.arc_result),
        au.auth_results_trusted,
        au.auth_results_untrusted
    );
    out!(
        "align    From org domain {}; SPF domain {} ({}); DKIM d= {}; DMARC recomputed: {}",
        v(&au.from_org_domain),
        v(&au.spf_domain),
        if au.spf_aligned_strict { "strict" } else if au.spf_aligned_relaxed { "relaxed" } else { "unaligned" },
        if au.dkim_aligned_strict { "strict" } else if au.dkim_aligned_relaxed { "relaxed" } else { "unaligned" },
        au.dmarc_computed
    );
    for d in &r.dkim {
        out!(
            "dkim     d={} s={} a={} c={}/{}: body hash {}; signature {}",
            d.d.as_deref().unwrap_or("-"),
            d.s.as_deref().unwrap_or("-"),
            d.a.as_deref().unwrap_or("-"),
            d.c_header,
            d.c_body,
            match d.body_hash_ok {
                Some(true) => "matches",
                Some(false) => "DOES NOT MATCH (body changed after signing)",
                None => "not checked (unknown algorithm)",
            },
            match d.signature_ok {
                Some(true) => "verified",
                Some(false) => "FAILS verification",
                None => "not verified (no key; see --dkim-keys)",
            }
        );
    }
}
