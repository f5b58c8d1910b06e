//! DMARC failure reports (RUF): the `message/feedback-report` part of an
//! ARF message (RFC 5965, RFC 6591 for DMARC's authentication-failure
//! fields), read as the header-style block it is.

use crate::model::DmarcFailureRow;

/// Reads one feedback-report block; None when it has no Feedback-Type.
pub(crate) fn parse(block: &[u8], msg_key: Option<&str>, part: Option<&str>) -> Option<DmarcFailureRow> {
    let text = String::from_utf8_lossy(block);
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let get = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
    let feedback_type = get("feedback-type")?;
    Some(DmarcFailureRow {
        msg_key: msg_key.map(str::to_string),
        part_path: part.map(str::to_string),
        feedback_type: Some(feedback_type.to_ascii_lowercase()),
        user_agent: get("user-agent"),
        version: get("version"),
        original_envelope_id: get("original-envelope-id"),
        original_mail_from: get("original-mail-from"),
        original_rcpt_to: get("original-rcpt-to"),
        arrival_date: get("arrival-date").and_then(|d| mail_parser::DateTime::parse_rfc822(&d)).filter(|d| d.is_valid()).map(|d| d.to_timestamp() * 1000),
        source_ip: get("source-ip").map(|s| s.trim_matches(['[', ']']).to_string()),
        reported_domain: get("reported-domain").map(|d| d.to_ascii_lowercase()),
        authentication_results: get("authentication-results"),
        auth_failure: get("auth-failure").map(|a| a.to_ascii_lowercase()),
        delivery_result: get("delivery-result").map(|d| d.to_ascii_lowercase()),
        dkim_domain: get("dkim-domain"),
        dkim_selector: get("dkim-selector"),
        identity_alignment: get("identity-alignment"),
        ..Default::default()
    })
}
