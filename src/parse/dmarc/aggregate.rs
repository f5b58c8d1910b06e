//! DMARC aggregate reports (RUA): RFC 7489 appendix C, the older draft
//! schema, and RFC 9990 (`urn:ietf:params:xml:ns:dmarc-2.0`: `np`,
//! `testing`, `discovery_method`), read element by element through
//! [`super::xml`].

use super::xml::{self, Node};
use crate::model::{DmarcAuthRow, DmarcRecordRow, DmarcReportRow};

/// One aggregate report and its records.
#[derive(Debug, Default, Clone)]
pub(crate) struct Aggregate {
    pub report: DmarcReportRow,
    pub records: Vec<DmarcRecordRow>,
    pub auth: Vec<DmarcAuthRow>,
    /// What was read with a doubt: a document cut short, counts that are
    /// not numbers.
    pub warnings: Vec<String>,
}

/// Reads an aggregate report; Err when the document is not one (or not
/// XML), with why.
pub(crate) fn parse(doc: &[u8]) -> Result<Aggregate, String> {
    let mut out = Aggregate::default();
    let mut index = 0u32;
    let (root, truncated) = xml::read(doc, |n: Node| match n.name.as_str() {
        "report_metadata" => {
            let r = &mut out.report;
            r.org_name = n.text_at(&["org_name"]);
            r.org_email = n.text_at(&["email"]);
            r.report_id = n.text_at(&["report_id"]);
            r.begin = epoch(n.text_at(&["date_range", "begin"]));
            r.end = epoch(n.text_at(&["date_range", "end"]));
            r.errors = n.all("error").filter_map(|e| (!e.text.trim().is_empty()).then(|| e.text.trim().to_string())).collect();
            r.generator = n.text_at(&["generator"]);
        }
        "policy_published" => {
            let r = &mut out.report;
            r.domain = n.text_at(&["domain"]).map(|d| d.trim_end_matches('.').to_ascii_lowercase());
            r.adkim = n.text_at(&["adkim"]);
            r.aspf = n.text_at(&["aspf"]);
            r.p = n.text_at(&["p"]);
            r.sp = n.text_at(&["sp"]);
            r.pct = n.text_at(&["pct"]);
            r.fo = n.text_at(&["fo"]);
            r.np = n.text_at(&["np"]);
            r.testing = n.text_at(&["testing"]);
            r.discovery_method = n.text_at(&["discovery_method"]);
        }
        "version" => out.report.version = Some(n.text.trim().to_string()).filter(|v| !v.is_empty()),
        "record" => {
            record(&n, index, &mut out);
            index += 1;
        }
        _ => {}
    })?;
    out.warnings.extend(truncated);
    if root != "feedback" {
        return Err(format!("not a DMARC aggregate report (the root element is <{root}>)"));
    }
    if out.report.report_id.is_none() && out.report.org_name.is_none() {
        return Err("not a DMARC aggregate report (no report_metadata)".into());
    }
    let r = &mut out.report;
    // An empty org_name: the reporter's address says who it is.
    if r.org_name.is_none() {
        r.org_name = r.org_email.as_deref().and_then(|e| e.rsplit_once('@')).map(|(_, d)| d.to_ascii_lowercase());
    }
    // RFC 7489 §6.3 defaults: relaxed alignment, and sp as p.
    r.adkim = r.adkim.take().or(Some("r".into()));
    r.aspf = r.aspf.take().or(Some("r".into()));
    if r.sp.is_none() {
        r.sp = r.p.clone();
    }
    out.report.record_count = out.records.len() as u32;
    out.report.message_count = out.records.iter().fold(0u64, |a, r| a.saturating_add(r.count));
    Ok(out)
}

/// A report date (seconds since the epoch) as milliseconds, when it is a
/// number from 1970 to 2200; others are not dates.
fn epoch(s: Option<String>) -> Option<i64> {
    s.and_then(|s| s.trim().parse::<i64>().ok()).filter(|s| (0..7_258_118_400).contains(s)).map(|s| s * 1000)
}

fn record(n: &Node, index: u32, out: &mut Aggregate) {
    let lower = |s: Option<String>| s.map(|v| v.to_ascii_lowercase());
    let row = n.child("row");
    let get = |path: &[&str]| row.and_then(|r| r.text_at(path));
    let ids = n.child("identifiers");
    let id = |name: &str| ids.and_then(|i| i.text_at(&[name]));
    out.records.push(DmarcRecordRow {
        index,
        source_ip: get(&["source_ip"]),
        source_net: get(&["source_ip"]).and_then(|ip| ip.parse::<std::net::IpAddr>().ok()).map(|ip| match ip {
            // An IPv4 address written as IPv6 (::ffff:1.2.3.4) is IPv4.
            std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, std::net::IpAddr::V4),
            v4 => v4,
        }).and_then(|ip| {
            let prefix = if ip.is_ipv4() { 24 } else { 48 };
            ipnet::IpNet::new(ip, prefix).ok().map(|n| n.trunc().to_string())
        }),
        count: match get(&["count"]) {
            Some(c) => c.parse().unwrap_or_else(|_| {
                out.warnings.push(format!("record {index}: count {c:?} is not a number; read as 0"));
                0
            }),
            None => 0,
        },
        disposition: lower(get(&["policy_evaluated", "disposition"])),
        dkim: lower(get(&["policy_evaluated", "dkim"])),
        spf: lower(get(&["policy_evaluated", "spf"])),
        override_reasons: row
            .and_then(|r| r.child("policy_evaluated"))
            .map(|p| {
                p.all("reason")
                    .map(|r| match (r.text_at(&["type"]), r.text_at(&["comment"])) {
                        (Some(t), Some(c)) => format!("{t}: {c}"),
                        (Some(t), None) => t,
                        (None, c) => c.unwrap_or_default(),
                    })
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        header_from: id("header_from"),
        envelope_from: id("envelope_from"),
        envelope_to: id("envelope_to"),
        ..Default::default()
    });
    if let Some(a) = n.child("auth_results") {
        for (method, node) in a.children.iter().filter_map(|c| match c.name.as_str() {
            "dkim" | "spf" => Some((c.name.clone(), c)),
            _ => None,
        }) {
            out.auth.push(DmarcAuthRow {
                record_index: index,
                method,
                domain: node.text_at(&["domain"]),
                selector: node.text_at(&["selector"]),
                scope: node.text_at(&["scope"]),
                result: node.text_at(&["result"]).map(|r| r.to_ascii_lowercase()),
                ..Default::default()
            });
        }
    }
}
