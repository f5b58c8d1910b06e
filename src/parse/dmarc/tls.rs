//! SMTP TLS reports (RFC 8460): JSON, plain or gzipped, one row per
//! policy evaluated and one per failure detail.

use serde_json::Value;

use crate::model::{SmtpTlsFailureRow, SmtpTlsPolicyRow};

/// A TLS report's rows (without their report key).
#[derive(Debug, Default)]
pub(crate) struct TlsReport {
    pub policies: Vec<SmtpTlsPolicyRow>,
    pub failures: Vec<SmtpTlsFailureRow>,
    /// Organisation and report id, for the report key.
    pub org: Option<String>,
    pub id: Option<String>,
}

/// Whether a document is a JSON TLS report.
pub(crate) fn looks_like(doc: &[u8]) -> bool {
    let head = &doc[..doc.len().min(4096)];
    head.trim_ascii_start().starts_with(b"\x7b") && memchr::memmem::find(head, b"\"organization-name\"").is_some()
}

/// Reads an RFC 8460 report.
pub(crate) fn parse(doc: &[u8]) -> Result<TlsReport, String> {
    let v: Value = serde_json::from_slice(doc).map_err(|e| format!("invalid TLS report JSON: {e}"))?;
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string).filter(|x| !x.is_empty());
    let n = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    let time = |k: &str| {
        v.get("date-range").and_then(|d| d.get(k)).and_then(Value::as_str).and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).map(|t| t.timestamp_millis())
    };
    let org = s(&v, "organization-name");
    let id = s(&v, "report-id");
    if org.is_none() && id.is_none() {
        return Err("not an SMTP TLS report (no organization-name or report-id)".into());
    }
    let mut out = TlsReport { org: org.clone(), id: id.clone(), ..Default::default() };
    for (i, p) in v.get("policies").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let pol = p.get("policy").cloned().unwrap_or(Value::Null);
        let sum = p.get("summary").cloned().unwrap_or(Value::Null);
        let strings = |k: &str| match pol.get(k) {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Some(Value::String(x)) => vec![x.clone()],
            _ => Vec::new(),
        };
        out.policies.push(SmtpTlsPolicyRow {
            policy_index: i as u32,
            org_name: org.clone(),
            report_id: id.clone(),
            contact: s(&v, "contact-info"),
            begin: time("start-datetime"),
            end: time("end-datetime"),
            policy_type: s(&pol, "policy-type"),
            policy_domain: s(&pol, "policy-domain"),
            policy_strings: strings("policy-string"),
            mx_hosts: strings("mx-host"),
            successful_sessions: n(&sum, "total-successful-session-count"),
            failed_sessions: n(&sum, "total-failure-session-count"),
            ..Default::default()
        });
        for f in p.get("failure-details").and_then(Value::as_array).into_iter().flatten() {
            out.failures.push(SmtpTlsFailureRow {
                policy_index: i as u32,
                result_type: s(f, "result-type"),
                sending_mta_ip: s(f, "sending-mta-ip"),
                receiving_mx_hostname: s(f, "receiving-mx-hostname"),
                receiving_mx_helo: s(f, "receiving-mx-helo"),
                receiving_ip: s(f, "receiving-ip"),
                failed_sessions: n(f, "failed-session-count"),
                additional_information: s(f, "additional-information"),
                failure_reason_code: s(f, "failure-reason-code"),
                ..Default::default()
            });
        }
    }
    Ok(out)
}
