//! Authentication verdicts of one message: which Authentication-Results
//! count, SPF/DKIM/DMARC/ARC results, alignment (RFC 7489 §3.1) and a
//! DMARC-style verdict recomputed offline.
//!
//! Only results the receiving side wrote count: an Authentication-Results
//! header above the origin hop's Received header (a sender can write any
//! header below it), or one whose authserv-id the user names
//! (`--authserv-id`). Others are kept, marked `trusted = false`.
//!
//! Organisational domains come from the Public Suffix List (the psl crate
//! embeds it): relaxed alignment compares organisational domains, strict
//! alignment the names themselves.

use crate::parse::fields::auth_results::{
    parse_arc_authentication_results, parse_authentication_results, parse_received_spf, AuthResults, MethodResult,
};
use crate::parse::fields::dkim::tag_list;
use crate::parse::TraceHeaders;
use crate::parse::AuthHeaderKind;
use crate::model::{AuthResultRecord, AuthSummary, DkimSignatureRecord, MessageRecord};
use crate::parse::domain_of;

/// The organisational domain of a name (RFC 7489 §3.2, via the PSL); the
/// name itself when the PSL knows no suffix for it.
pub(crate) fn org_domain(name: &str) -> String {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    psl::domain_str(&name).map(str::to_string).unwrap_or(name)
}

/// The domain part of an identity that may be an address (`a@b.example`),
/// an `@b.example` DKIM i=, or a bare domain.
fn identity_domain(v: &str) -> Option<String> {
    let v = v.trim().trim_matches(['<', '>']);
    let d = if v.contains('@') { domain_of(v)? } else { v.trim_end_matches('.').to_ascii_lowercase() };
    (!d.is_empty()).then_some(d)
}

/// Exchange Online writes Authentication-Results as RFC 2047 words when
/// they hold non-ASCII; read them back to text first.
pub fn decode_encoded_words(v: &str) -> String {
    if !v.contains("=?") {
        return v.to_string();
    }
    let fake = format!("Subject: {v}\r\n\r\n");
    mail_parser::MessageParser::default()
        .parse(fake.as_bytes())
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_else(|| v.to_string())
}

/// Fills `auth`, `auth_rows` and `dkim_rows` from the message's
/// authentication headers. Needs `hops` (the origin) already annotated.
pub(crate) fn annotate(rec: &mut MessageRecord, trace: &TraceHeaders, authserv_ids: &[String]) {
    let boundary = Boundary::of(rec, trace);
    let seen = read_headers(rec, trace, authserv_ids, &boundary);
    let from_domain = rec.from_domain.clone();
    let from_org = from_domain.as_deref().map(org_domain);
    // Alignment (RFC 7489 §3.1.1, §3.1.2): (relaxed, strict).
    let aligned = |d: &str| -> (bool, bool) {
        match (&from_domain, &from_org) {
            (Some(fd), Some(fo)) => (org_domain(d) == *fo, d.eq_ignore_ascii_case(fd)),
            _ => (false, false),
        }
    };
    // The trusted header nearest the origin judged the outside connection;
    // higher ones may be internal re-checks against a private relay.
    let first = |m: &str| seen.trusted_results.iter().rev().find(|r| r.method == m);
    let spf = first("spf").cloned().or(seen.received_spf.clone());
    let dkim_results: Vec<&MethodResult> = seen.trusted_results.iter().filter(|r| r.method == "dkim").collect();
    let dkim_result = if dkim_results.iter().any(|r| r.result == "pass") {
        Some("pass".to_string())
    } else {
        dkim_results.first().map(|r| r.result.clone())
    };
    let spf_domain = spf
        .as_ref()
        .and_then(|r| r.property("smtp", "mailfrom").or_else(|| r.property("", "envelope-from")).and_then(identity_domain))
        .or_else(|| rec.return_path.as_deref().and_then(domain_of));
    let (spf_rel, spf_strict) = spf_domain.as_deref().map(aligned).unwrap_or((false, false));
    let dkim_rows = dkim_rows(&rec.msg_key, trace, &aligned);
    // DMARC, recomputed: an aligned pass of SPF or of DKIM (by header.d, or
    // the domain of header.i).
    let dkim_aligned_pass = dkim_results.iter().any(|r| {
        r.result == "pass"
            && r.property("header", "d")
                .map(str::to_string)
                .or_else(|| r.property("header", "i").and_then(identity_domain))
                .is_some_and(|d| aligned(&d).0)
    });
    let spf_aligned_pass = spf.as_ref().is_some_and(|r| r.result == "pass") && spf_rel;
    let dmarc_computed = if from_org.is_none() || (spf.is_none() && dkim_results.is_empty()) {
        "none"
    } else if spf_aligned_pass || dkim_aligned_pass {
        "pass"
    } else {
        "fail"
    };
    rec.auth = AuthSummary {
        spf_result: spf.map(|r| r.result),
        dkim_result,
        dmarc_result: first("dmarc").map(|r| r.result.clone()),
        arc_result: first("arc").map(|r| r.result.clone()).or(seen.best_arc_seal.map(|b| b.1)),
        from_org_domain: from_org,
        spf_domain,
        spf_aligned_relaxed: spf_rel,
        spf_aligned_strict: spf_strict,
        dkim_aligned_relaxed: dkim_rows.iter().any(|d| d.aligned_relaxed),
        dkim_aligned_strict: dkim_rows.iter().any(|d| d.aligned_strict),
        dmarc_computed: dmarc_computed.into(),
        dkim_signature_count: dkim_rows.len() as u32,
        dkim_body_hash_mismatch: dkim_rows.iter().any(|d| d.body_hash_ok == Some(false)),
        auth_results_trusted: seen.n_trusted,
        auth_results_untrusted: seen.n_untrusted,
    };
    rec.auth_rows = seen.rows;
    rec.dkim_rows = dkim_rows;
}

/// The boundary of what the receiving side wrote.
struct Boundary {
    /// Header position of the origin hop's Received header; with no origin
    /// (every relay trusted), of the lowest Received header; with no
    /// Received header at all, 0: nothing was added in transit and only
    /// named authserv-ids count.
    origin_pos: u32,
    /// Organisational domain of the origin hop's `by` host, the receiving
    /// MX. Gmail writes its Authentication-Results just below its own
    /// Received line; a header with that organisational domain as its
    /// authserv-id, standing right there (in the run of authentication
    /// fields that follows it), is the receiver's too. Further down the
    /// sender wrote it.
    receiver_org: Option<String>,
    /// End of the run of authentication fields right below the origin's
    /// Received header: what the receiver wrote there.
    below_origin_pos: u32,
}

impl Boundary {
    fn of(rec: &MessageRecord, trace: &TraceHeaders) -> Self {
        let origin_index = rec.hops.iter().position(|h| h.is_origin);
        let origin_pos = match origin_index {
            Some(i) => trace.received_positions.get(i).copied().unwrap_or(0),
            None => trace.received_positions.last().copied().unwrap_or(0),
        };
        let receiver_org = origin_index.and_then(|i| rec.hops[i].by_host.as_deref()).map(org_domain);
        // The run of authentication fields right below the origin's
        // Received line (Gmail: Received-SPF, then Authentication-Results);
        // the first other field ends it.
        let auth_at: std::collections::HashSet<u32> = trace.auth_headers.iter().map(|h| h.position).collect();
        let below_origin_pos = match origin_index {
            Some(_) => {
                let mut p = origin_pos + 1;
                while auth_at.contains(&p) {
                    p += 1;
                }
                p
            }
            None => 0,
        };
        Boundary { origin_pos, receiver_org, below_origin_pos }
    }
}

/// What the authentication headers say, before it is summed up.
#[derive(Default)]
struct Seen {
    rows: Vec<AuthResultRecord>,
    /// Results of trusted Authentication-Results, header order.
    trusted_results: Vec<MethodResult>,
    /// The topmost Received-SPF above the origin.
    received_spf: Option<MethodResult>,
    /// (instance, cv) of the highest ARC-Seal above the origin.
    best_arc_seal: Option<(u32, String)>,
    n_trusted: u32,
    n_untrusted: u32,
}

impl Seen {
    /// Rows for every result of one header (or one `none` row when it
    /// holds none).
    fn push(&mut self, key: &str, kind: AuthHeaderKind, header_index: u32, ar: &AuthResults, results: &[MethodResult], trusted: bool) {
        for r in results {
            self.rows.push(result_row(key, kind.as_str(), header_index, ar, r, trusted));
        }
        if results.is_empty() && (ar.none || !ar.unparsed.is_empty()) {
            let none = MethodResult { method: "none".into(), result: "none".into(), ..Default::default() };
            self.rows.push(result_row(key, kind.as_str(), header_index, ar, &none, trusted));
        }
    }
}

/// Reads every authentication header in header order: which count, and a
/// row for each result.
fn read_headers(rec: &MessageRecord, trace: &TraceHeaders, authserv_ids: &[String], boundary: &Boundary) -> Seen {
    let mut seen = Seen::default();
    let mut counts = std::collections::HashMap::new();
    let key = rec.msg_key.as_str();
    for h in &trace.auth_headers {
        let idx = counts.entry(h.kind).or_insert(0u32);
        let header_index = *idx;
        *idx += 1;
        let above_origin = h.position < boundary.origin_pos;
        match h.kind {
            AuthHeaderKind::AuthenticationResults => {
                let ar = parse_authentication_results(&decode_encoded_words(&h.value));
                let named = ar.authserv_id.as_ref().is_some_and(|id| authserv_ids.iter().any(|a| a.eq_ignore_ascii_case(id)));
                let receivers = h.position < boundary.below_origin_pos
                    && ar.authserv_id.as_deref().is_some_and(|id| Some(org_domain(id)) == boundary.receiver_org);
                let trusted = above_origin || named || receivers;
                if trusted {
                    seen.n_trusted += 1;
                    seen.trusted_results.extend(ar.results.iter().cloned());
                } else {
                    seen.n_untrusted += 1;
                }
                seen.push(key, h.kind, header_index, &ar, &ar.results, trusted);
            }
            AuthHeaderKind::ArcAuthenticationResults => {
                let ar = parse_arc_authentication_results(&decode_encoded_words(&h.value));
                seen.push(key, h.kind, header_index, &ar, &ar.results, above_origin);
            }
            AuthHeaderKind::ReceivedSpf => {
                let r = parse_received_spf(&h.value);
                if above_origin && seen.received_spf.is_none() {
                    seen.received_spf = Some(r.clone());
                }
                seen.push(key, h.kind, header_index, &AuthResults::default(), std::slice::from_ref(&r), above_origin);
            }
            AuthHeaderKind::ArcSeal | AuthHeaderKind::ArcMessageSignature => {
                let (ar, r) = arc_result(h.kind, &h.value);
                let cv_of_seal = (h.kind == AuthHeaderKind::ArcSeal).then(|| r.result.clone());
                let instance = ar.instance.unwrap_or(0);
                if let Some(cv) = cv_of_seal.filter(|_| above_origin && instance >= seen.best_arc_seal.as_ref().map_or(0, |b| b.0)) {
                    seen.best_arc_seal = Some((instance, cv));
                }
                seen.push(key, h.kind, header_index, &ar, std::slice::from_ref(&r), above_origin);
            }
        }
    }
    seen
}

/// An ARC-Seal or ARC-Message-Signature as a result row: its instance, and
/// `d`, `s`, `a` as properties; a seal's result is its `cv=`.
fn arc_result(kind: AuthHeaderKind, value: &str) -> (AuthResults, MethodResult) {
    let tags = tag_list(value);
    let get = |k: &str| tags.iter().find(|(t, _)| t == k).map(|(_, v)| v.clone());
    let instance = get("i").and_then(|i| i.parse::<u32>().ok());
    let is_seal = kind == AuthHeaderKind::ArcSeal;
    let r = MethodResult {
        method: kind.as_str().into(),
        result: if is_seal { get("cv").unwrap_or_default().to_ascii_lowercase() } else { String::new() },
        properties: ["d", "s", "a"].iter().filter_map(|k| get(k).map(|v| ("".to_string(), k.to_string(), v))).collect(),
        ..Default::default()
    };
    (AuthResults { instance, ..Default::default() }, r)
}

/// One `dkim_signatures` row per DKIM-Signature, with its alignment.
fn dkim_rows(key: &str, trace: &TraceHeaders, aligned: impl Fn(&str) -> (bool, bool)) -> Vec<DkimSignatureRecord> {
    let mut rows = Vec::new();
    for (i, c) in trace.dkim.iter().enumerate() {
        let s = &c.signature;
        let (rel, strict) = s.d.as_deref().map(&aligned).unwrap_or((false, false));
        rows.push(DkimSignatureRecord {
            msg_key: key.to_string(),
            sig_index: i as u32,
            v: s.v.clone(),
            a: s.a.clone(),
            c_header: s.c_header.clone(),
            c_body: s.c_body.clone(),
            d: s.d.clone(),
            s: s.s.clone(),
            i: s.i.clone(),
            l: s.l,
            t: s.t,
            x: s.x,
            h: s.h.clone(),
            bh: s.bh.clone(),
            b: s.b.clone(),
            body_hash_computed: c.body_hash.as_ref().map(|b| b.computed.clone()),
            body_hash_ok: c.body_hash.as_ref().map(|b| b.matches),
            signature_ok: None,
            aligned_relaxed: rel,
            aligned_strict: strict,
            problems: s.problems.clone(),
        });
    }
    rows
}

fn result_row(key: &str, kind: &str, header_index: u32, ar: &AuthResults, r: &MethodResult, trusted: bool) -> AuthResultRecord {
    let prop = |t: &str, n: &str| r.property(t, n).map(str::to_string);
    AuthResultRecord {
        msg_key: key.to_string(),
        header_kind: kind.to_string(),
        header_index,
        arc_instance: ar.instance,
        trusted,
        authserv_id: ar.authserv_id.clone(),
        method: r.method.clone(),
        method_version: r.method_version.clone(),
        result: r.result.clone(),
        reason: r.reason.clone(),
        comment: r.comment.clone(),
        properties: r
            .properties
            .iter()
            .map(|(t, n, v)| if t.is_empty() { format!("{n}={v}") } else { format!("{t}.{n}={v}") })
            .collect(),
        smtp_mailfrom: prop("smtp", "mailfrom").or_else(|| prop("", "envelope-from")),
        smtp_helo: prop("smtp", "helo").or_else(|| prop("", "helo")),
        header_from: prop("header", "from"),
        header_d: prop("header", "d"),
        header_i: prop("header", "i"),
        header_s: prop("header", "s"),
        unparsed: ar.unparsed.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HopRecord;
    use crate::parse::AuthHeader;

    #[test]
    fn org_domains() {
        assert_eq!(org_domain("mail.example.co.uk"), "example.co.uk");
        assert_eq!(org_domain("a.b.example.com."), "example.com");
        assert_eq!(org_domain("bounces.github.com"), "github.com");
    }

    /// A record and its trace headers: the authentication headers given,
    /// and an origin hop at `origin_pos` when there is one.
    fn rec_with(headers: &[(AuthHeaderKind, u32, &str)], from: &str, origin_pos: Option<u32>) -> (MessageRecord, TraceHeaders) {
        let mut rec = MessageRecord { msg_key: "k".into(), from_domain: Some(from.into()), ..Default::default() };
        let mut trace = TraceHeaders {
            auth_headers: headers.iter().map(|(k, p, v)| AuthHeader { kind: *k, position: *p, value: v.to_string() }).collect(),
            ..Default::default()
        };
        if let Some(p) = origin_pos {
            rec.hops = vec![HopRecord { is_origin: true, ..Default::default() }];
            trace.received_positions = vec![p];
        }
        (rec, trace)
    }

    #[test]
    fn trusted_results_alignment_and_verdict() {
        use AuthHeaderKind::*;
        let (mut rec, trace) = rec_with(
            &[
                (AuthenticationResults, 0, "mx.example.net; spf=pass smtp.mailfrom=bounce@mail.shop.example.com; dkim=pass header.d=shop.example.com; dmarc=pass header.from=example.com"),
                // Below the origin: a sender can write this; it does not count.
                (AuthenticationResults, 5, "mx.example.net; spf=pass smtp.mailfrom=x@evil.example; dmarc=pass"),
            ],
            "example.com",
            Some(3),
        );
        annotate(&mut rec, &trace, &[]);
        let a = &rec.auth;
        assert_eq!(a.spf_result.as_deref(), Some("pass"));
        assert_eq!(a.spf_domain.as_deref(), Some("mail.shop.example.com"));
        assert!(a.spf_aligned_relaxed && !a.spf_aligned_strict);
        assert_eq!(a.dmarc_computed, "pass");
        assert_eq!((a.auth_results_trusted, a.auth_results_untrusted), (1, 1));
        assert_eq!(rec.auth_rows.len(), 5);
        assert!(!rec.auth_rows[4].trusted);

        // A forged From: SPF passes for another domain, no DKIM.
        let (mut rec, trace) = rec_with(
            &[(AuthenticationResults, 0, "spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=mailer.example.org; dkim=none (message not signed) header.d=none;dmarc=fail action=none header.from=paypal.com;compauth=fail reason=001")],
            "paypal.com",
            Some(2),
        );
        annotate(&mut rec, &trace, &[]);
        assert_eq!(rec.auth.dmarc_result.as_deref(), Some("fail"));
        assert!(!rec.auth.spf_aligned_relaxed);
        assert_eq!(rec.auth.dmarc_computed, "fail");

        // --authserv-id makes a header below the origin count.
        let (mut rec, trace) = rec_with(&[(AuthenticationResults, 9, "mx.mine.example; spf=fail smtp.mailfrom=a.example")], "a.example", Some(1));
        annotate(&mut rec, &trace, &["MX.MINE.EXAMPLE".to_string()]);
        assert_eq!(rec.auth.spf_result.as_deref(), Some("fail"));

        // Nothing to judge by.
        let (mut rec, trace) = rec_with(&[], "a.example", None);
        annotate(&mut rec, &trace, &[]);
        assert_eq!(rec.auth.dmarc_computed, "none");

        // No Received header at all: nothing was added in transit, so a
        // result header is the sender's own text.
        let (mut rec, trace) = rec_with(&[(AuthenticationResults, 0, "mx.victim.example; dkim=pass header.d=paypal.com")], "paypal.com", None);
        annotate(&mut rec, &trace, &[]);
        assert_eq!((rec.auth.auth_results_trusted, rec.auth.dmarc_computed.as_str()), (0, "none"));

        // Gmail writes its results just below its own Received line: the
        // authserv-id is the receiving MX's organisational domain.
        let (mut rec, trace) = rec_with(&[(AuthenticationResults, 2, "mx.google.com; spf=pass smtp.mailfrom=a@shop.example")], "shop.example", Some(1));
        rec.hops[0].by_host = Some("mx.google.com".into());
        annotate(&mut rec, &trace, &[]);
        assert_eq!(rec.auth.spf_result.as_deref(), Some("pass"));
        assert_eq!(rec.auth.auth_results_trusted, 1);
        // The same authserv-id further down, after the sender's fields: the
        // sender wrote it.
        let (mut rec, trace) = rec_with(&[(AuthenticationResults, 9, "mx.google.com; dmarc=pass header.from=shop.example")], "shop.example", Some(1));
        rec.hops[0].by_host = Some("mx.google.com".into());
        annotate(&mut rec, &trace, &[]);
        assert_eq!((rec.auth.auth_results_trusted, rec.auth.dmarc_result.as_deref()), (0, None));
    }
}
