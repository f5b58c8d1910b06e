//! Signs that a message is not from whom it says, one column each on
//! `messages`, and a `forgery_score` that adds them up with weights. Needs
//! the hop chain ([`crate::analyze::hops`]) and the authentication summary
//! ([`crate::analyze::auth`]) already annotated.
//!
//! Domains are compared by organisational domain (the Public Suffix List,
//! as DMARC does), so `mail.example.com` and `example.com` are the same
//! sender.

use crate::analyze::auth::org_domain;
use crate::model::{Forgery, ForgerySigns, MessageRecord};

/// Each sign with its weight in `forgery_score`: the ones a sender cannot
/// produce by accident weigh most (a display name naming another domain, a
/// DMARC failure).
pub(crate) const WEIGHTS: &[(&str, u32)] = &[
    ("from_return_path_mismatch", 1),
    ("reply_to_mismatch", 2),
    ("display_name_spoof", 3),
    ("message_id_domain_mismatch", 1),
    ("spf_fail", 2),
    ("dkim_fail", 2),
    ("dmarc_fail", 3),
    ("spf_unaligned", 1),
    ("dkim_unaligned", 1),
    ("dkim_body_hash_mismatch", 1),
    ("received_anomaly", 1),
    ("date_far_from_hops", 1),
    ("compauth_fail", 2),
    ("link_anchor_mismatch", 2),
    ("link_ip_host", 1),
    ("link_punycode", 1),
];

/// Fills [`Forgery`]: the signs, their names and the score.
pub(crate) fn annotate(rec: &mut MessageRecord) {
    let from_org = rec.auth.from_org_domain.clone();
    let org_of_addr = |a: &str| crate::parse::domain_of(a).map(|d| org_domain(&d));
    let differs = |other: Option<String>| matches!((&from_org, other), (Some(f), Some(o)) if *f != o);

    let mut s = ForgerySigns {
        from_return_path_mismatch: differs(rec.return_path.as_deref().and_then(org_of_addr)),
        reply_to_mismatch: rec.reply_to.iter().any(|r| differs(org_of_addr(r))),
        display_name_spoof: display_name_spoof(rec.from_name.as_deref(), from_org.as_deref()),
        ..Default::default()
    };
    // A Message-ID domain is related when it is the From's, the envelope's,
    // a DKIM signer's or the SPF domain's (ESPs write their own).
    if let (Some(f), Some(mid)) = (&from_org, rec.message_id.as_deref().and_then(message_id_domain)) {
        let mut related = vec![f.clone()];
        related.extend(rec.return_path.as_deref().and_then(org_of_addr));
        related.extend(rec.dkim_rows.iter().filter_map(|d| d.d.as_deref()).map(org_domain));
        related.extend(rec.auth.spf_domain.as_deref().map(org_domain));
        s.message_id_domain_mismatch = !related.contains(&org_domain(&mid));
    }
    let is = |r: &Option<String>, vals: &[&str]| r.as_deref().is_some_and(|v| vals.contains(&v));
    let a = &rec.auth;
    s.spf_fail = is(&a.spf_result, &["fail", "softfail", "permerror"]);
    s.dkim_fail = is(&a.dkim_result, &["fail", "permerror"]);
    s.dmarc_fail = is(&a.dmarc_result, &["fail"]) || a.dmarc_computed == "fail";
    s.spf_unaligned = is(&a.spf_result, &["pass"]) && !a.spf_aligned_relaxed && from_org.is_some();
    s.dkim_unaligned = is(&a.dkim_result, &["pass"]) && !a.dkim_aligned_relaxed && from_org.is_some();
    let an = &rec.route.anomalies;
    s.received_anomaly = an.hops_time_reversed
        || an.private_after_public
        || an.origin_helo_is_ip_literal
        || an.origin_helo_rdns_mismatch
        || an.origin_helo_forged_provider;
    // Microsoft's composite authentication: its own verdict on whether the
    // From domain is the sender's, written in a trusted
    // Authentication-Results.
    s.compauth_fail = rec.auth_rows.iter().any(|r| r.trusted && r.method == "compauth" && r.result == "fail");
    // The message's own links (not those of attached messages).
    let links = || rec.url_rows.iter().filter(|u| !u.in_nested_message);
    s.link_anchor_mismatch = links().any(|u| u.anchor_mismatch);
    s.link_ip_host = links().any(|u| u.host_is_ip && matches!(u.scheme.as_deref(), Some("http" | "https")));
    s.link_punycode = links().any(|u| u.punycode.is_some());

    let on = [
        s.from_return_path_mismatch,
        s.reply_to_mismatch,
        s.display_name_spoof,
        s.message_id_domain_mismatch,
        s.spf_fail,
        s.dkim_fail,
        s.dmarc_fail,
        s.spf_unaligned,
        s.dkim_unaligned,
        a.dkim_body_hash_mismatch,
        s.received_anomaly,
        an.date_far_from_hops,
        s.compauth_fail,
        s.link_anchor_mismatch,
        s.link_ip_host,
        s.link_punycode,
    ];
    rec.forgery = Forgery {
        signs: s,
        forgery_signs: WEIGHTS.iter().zip(on).filter(|(_, on)| *on).map(|((name, _), _)| name.to_string()).collect(),
        forgery_score: WEIGHTS.iter().zip(on).filter(|(_, on)| *on).map(|((_, w), _)| w).sum(),
    };
}

/// The domain after the `@` of a Message-ID, when it is a real domain
/// (a suffix the Public Suffix List knows).
fn message_id_domain(id: &str) -> Option<String> {
    let d = id.rsplit_once('@')?.1.trim().trim_end_matches('>').to_ascii_lowercase();
    known_domain(&d).then_some(d)
}

/// `d` has a suffix the Public Suffix List knows and a label before it.
fn known_domain(d: &str) -> bool {
    d.contains('.') && psl::domain(d.as_bytes()).is_some_and(|dom| dom.suffix().is_known())
}

/// The display name holds an address or a domain whose organisational
/// domain is not the From address's (`"PayPal <service@paypal.com>"
/// <x@evil.example>`, `"paypal.com Support" <x@evil.example>`).
pub(crate) fn display_name_spoof(name: Option<&str>, from_org: Option<&str>) -> bool {
    let (Some(name), Some(from_org)) = (name, from_org) else { return false };
    name.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')' | '"' | '\'' | ',' | ';' | '[' | ']'))
        .map(|t| t.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|t| t.contains('.'))
        .map(|t| t.rsplit('@').next().unwrap_or(t).to_ascii_lowercase())
        .filter(|d| known_domain(d) && d.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .any(|d| org_domain(&d) != from_org)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AuthSummary;

    #[test]
    fn display_names() {
        assert!(display_name_spoof(Some("service@paypal.com"), Some("evil.example")));
        assert!(display_name_spoof(Some("PayPal.com Support"), Some("evil.example")));
        assert!(!display_name_spoof(Some("PayPal"), Some("evil.example")));
        assert!(!display_name_spoof(Some("news@mail.example.com"), Some("example.com")));
        assert!(!display_name_spoof(Some("J. R. R. Tolkien"), Some("example.com")));
        assert!(!display_name_spoof(Some("Mr.Smith"), Some("example.com")), "no known suffix");
    }

    #[test]
    fn signs_and_score() {
        let mut rec = MessageRecord {
            from_addr: Some("security@paypal.com".into()),
            from_name: Some("service@paypal.com".into()),
            return_path: Some("bounce@evil.example".into()),
            reply_to: vec!["collect@other.example".into()],
            message_id: Some("123@mailer.evil.example".into()),
            auth: AuthSummary {
                from_org_domain: Some("paypal.com".into()),
                spf_result: Some("pass".into()),
                dmarc_result: Some("fail".into()),
                dmarc_computed: "fail".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        annotate(&mut rec);
        let f = &rec.forgery.signs;
        assert!(f.from_return_path_mismatch && f.reply_to_mismatch && !f.display_name_spoof && f.dmarc_fail && f.spf_unaligned);
        assert!(!f.message_id_domain_mismatch, "the envelope's domain is related");
        assert_eq!(rec.forgery.forgery_signs, ["from_return_path_mismatch", "reply_to_mismatch", "dmarc_fail", "spf_unaligned"]);
        assert_eq!(rec.forgery.forgery_score, 1 + 2 + 3 + 1);
    }
}
