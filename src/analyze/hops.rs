//! The Received chain of one message read as a mail administrator reads it:
//! IP classes, which hops the receiving side can vouch for, the origin (the
//! first hop from outside), delays between hops, and anomalies.
//!
//! Trust follows SpamAssassin's inference when no `trusted_networks` is set
//! (Mail::SpamAssassin::Message::Metadata::Received): walking from the top
//! (the hop written last, by the recipient's own servers), a relay is trusted
//! while its IP is private, loopback or link-local, it was an authenticated
//! submission, or it is in a network the user names (`--trusted-network`).
//! On top of that, the receiving side's profile (Microsoft 365, Google, a
//! gateway; see [`crate::analyze::receivers`]) vouches for its own published
//! networks. The first relay that none of these covers is the origin. Hops
//! without an address (`by`-only lines, `(qmail … invoked …)`) and mailbox
//! retrieval (IMAP, POP3, fetchmail, local delivery) are not relays and are
//! passed over.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::analyze::receivers::{self, Trust, Walk};
use crate::parse::fields::received::ParsedHop;
use crate::model::{Anomalies, HopRecord, MessageRecord, OriginKind, Route};

/// A hop's time may be this much before the hop below it before it counts
/// as going backwards (clocks of relays drift a little).
pub(crate) const REVERSED_TOLERANCE_SECS: i64 = 60;
/// The Date header is "far" from the hops beyond this (SpamAssassin's
/// smallest DATE_IN_PAST / DATE_IN_FUTURE bucket).
pub(crate) const DATE_SKEW_LIMIT_SECS: i64 = 3 * 3600;

/// Words in a host name that mark consumer, dial-up and dynamic address
/// space, the hosts IP25B / OP25B (port 25 blocking) policies target. A label
/// counts when it is one of these, or one of these followed by digits
/// (`pool85`, `adsl64`).
const DYNAMIC_WORDS: &[&str] = &[
    "dyn", "dynamic", "dynip", "dsl", "adsl", "vdsl", "xdsl", "pool", "dhcp", "cable", "dial", "dialup", "dialin", "ppp",
    "pppoe", "broadband", "cpe", "cust", "customer", "residential", "fios", "ftth", "catv", "dip",
];
/// Words that mark consumer space only when digits follow (`ip68`,
/// `host217`, `client42`): alone they are ordinary host names.
const DYNAMIC_PREFIXES: &[&str] = &["ip", "host", "client", "user", "bb", "res", "nat", "mobile", "wireless"];

/// The network a spam source is counted by: the /24 of an IPv4 address,
/// the /48 of an IPv6 one (a site's allocation), as CIDR.
pub(crate) fn network_of(ip: std::net::IpAddr) -> String {
    let prefix = if ip.is_ipv4() { 24 } else { 48 };
    IpNet::new(ip, prefix).map(|n| n.trunc().to_string()).unwrap_or_else(|_| ip.to_string())
}

/// Reads the Received chain of a message (as parse found it, header order):
/// fills `hops` and the [`Route`]: receiver, origin, hop counts, transit
/// time, the Date skew and the anomaly flags. Returns the walk (the
/// receiver's profile decides which verdict headers count).
pub(crate) fn annotate(rec: &mut MessageRecord, received: &[(String, ParsedHop)], trust: &Trust) -> Walk {
    let parsed: Vec<&ParsedHop> = received.iter().map(|(_, h)| h).collect();
    let walk = receivers::walk(&parsed, trust);
    let origin = walk.origin;
    // Trust runs down the chain from the top and stops at the origin: a
    // private hop below it is the sender's word, not the receiver's.
    let mut hops: Vec<HopRecord> = received
        .iter()
        .enumerate()
        .map(|(i, (raw, h))| hop_record(&rec.msg_key, i, raw, h, walk.trusted[i], origin == Some(i)))
        .collect();
    for h in hops.iter_mut() {
        if h.by_host.as_deref().and_then(receivers::owning_host).is_some_and(|p| !p.writes_rdns) {
            // The name in its from clause is the client's HELO, not a lookup.
            (h.rdns, h.rdns_missing, h.rdns_dynamic, h.helo_rdns_mismatch) = (None, false, false, false);
        }
    }
    // Delays: each hop against the hop below it (written earlier).
    for i in 0..hops.len() {
        let below = hops[i + 1..].iter().find_map(|h| h.timestamp);
        if let (Some(t), Some(b)) = (hops[i].timestamp, below) {
            let d = (t - b) / 1000;
            hops[i].delay_seconds = Some(d);
            hops[i].time_reversed = d < -REVERSED_TOLERANCE_SECS;
        }
    }
    let mut route = Route {
        hop_count: hops.len() as u32,
        receiver: walk.receiver.map(|p| p.name.clone()),
        receiver_gateway: walk.gateway.map(|p| p.name.clone()),
        origin_kind: walk.origin_kind,
        ..Default::default()
    };
    route.unparsed_hop_count = hops.iter().filter(|h| !h.parsed).count() as u32;
    let times: Vec<i64> = hops.iter().filter_map(|h| h.timestamp).collect();
    route.transit_seconds = match (times.first(), times.last()) {
        (Some(top), Some(bottom)) if times.len() > 1 => Some((top - bottom) / 1000),
        _ => None,
    };
    let first_time = origin.and_then(|o| hops[o].timestamp).or_else(|| times.last().copied());
    route.date_hop_skew_seconds = match (rec.date, first_time) {
        (Some(d), Some(t)) => Some((d - t) / 1000),
        _ => None,
    };
    let mut a = Anomalies {
        hops_time_reversed: hops.iter().any(|h| h.time_reversed),
        date_far_from_hops: route.date_hop_skew_seconds.is_some_and(|s| s.abs() > DATE_SKEW_LIMIT_SECS),
        ..Default::default()
    };
    if let Some(o) = origin {
        let h = &hops[o];
        route.origin_ip = received[o].1.ip;
        // A network groups public addresses; private and link-local ones
        // (a mailbox server's MAPI session) belong to no one's network.
        route.origin_net = route.origin_ip.filter(|ip| ip_class(ip) == "public").map(network_of);
        // A client's session names the provider's own server, not the client.
        let provider_own = |name: &Option<String>| {
            walk.origin_kind == OriginKind::Client && name.as_deref().and_then(receivers::owning_host).is_some()
        };
        route.origin_rdns = h.rdns.clone().filter(|_| !provider_own(&h.rdns));
        route.origin_rdns_org = route.origin_rdns.as_deref().map(crate::analyze::auth::org_domain);
        route.origin_helo = h.helo.clone().filter(|_| !provider_own(&h.helo));
        // A HELO naming a provider's relay from outside its networks.
        a.origin_helo_forged_provider = walk.origin_kind == OriginKind::Mta
            && h.helo.as_deref().and_then(receivers::owning_host).zip(route.origin_ip).is_some_and(|(p, ip)| !p.contains(ip));
        a.origin_helo_is_ip_literal = h.helo_is_ip_literal;
        a.origin_helo_rdns_mismatch = h.helo_rdns_mismatch;
        a.origin_rdns_missing = h.rdns_missing;
        a.origin_rdns_dynamic = h.rdns_dynamic;
        // Below the origin, in transit order (bottom up): private after public.
        let mut seen_public = false;
        for h in hops[o + 1..].iter().rev() {
            match h.ip_class.as_deref() {
                Some("public") => seen_public = true,
                Some("private" | "loopback" | "link-local") if seen_public => a.private_after_public = true,
                _ => {}
            }
        }
    }
    route.anomalies = a;
    rec.route = route;
    rec.hops = hops;
    walk
}

fn hop_record(key: &str, i: usize, raw: &str, h: &ParsedHop, trusted: bool, is_origin: bool) -> HopRecord {
    let helo_is_ip_literal = h.helo.as_deref().is_some_and(|x| x.starts_with('[') || crate::parse::fields::received::parse_ip(x).is_some());
    HopRecord {
        msg_key: key.to_string(),
        hop_index: i as u32,
        raw: raw.to_string(),
        parsed: h.parsed,
        helo: h.helo.clone(),
        rdns: h.rdns.clone(),
        ip: h.ip.map(|ip| ip.to_string()),
        ip_class: h.ip.map(|ip| ip_class(&ip).to_string()),
        by_host: h.by_host.clone(),
        via: h.via.clone(),
        protocol: h.protocol.clone(),
        tls_version: h.tls_version.clone(),
        tls_cipher: h.tls_cipher.clone(),
        authenticated: h.authenticated,
        queue_id: h.queue_id.clone(),
        envelope_for: h.envelope_for.clone(),
        envelope_from: h.envelope_from.clone(),
        ident: h.ident.clone(),
        timestamp: h.timestamp,
        delay_seconds: None,
        trusted: is_relay(h) && trusted,
        is_origin,
        helo_is_ip_literal,
        helo_rdns_mismatch: match (&h.helo, &h.rdns) {
            (Some(helo), Some(rdns)) if !helo_is_ip_literal => last_two_labels(helo) != last_two_labels(rdns),
            _ => false,
        },
        rdns_missing: h.parsed && h.rdns.is_none(),
        rdns_dynamic: h.rdns.as_deref().is_some_and(|r| looks_dynamic(r, h.ip)),
        time_reversed: false,
        ..Default::default()
    }
}

fn last_two_labels(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = host.rsplit('.').take(2).collect();
    labels.into_iter().rev().collect::<Vec<_>>().join(".")
}

/// An rDNS name that embeds the address (`80-24-132-206.uc.example.es`,
/// `206.132.24.80.dsl.example.net`, `p5089cd12.dip0.t-ipconnect.de`) or a
/// word from [`DYNAMIC_WORDS`] as a label or label prefix.
pub(crate) fn looks_dynamic(rdns: &str, ip: Option<IpAddr>) -> bool {
    let name = rdns.to_ascii_lowercase();
    if let Some(IpAddr::V4(v4)) = ip {
        let o = v4.octets();
        let forms = [
            format!("{}-{}-{}-{}", o[0], o[1], o[2], o[3]),
            format!("{}-{}-{}-{}", o[3], o[2], o[1], o[0]),
            format!("{}.{}.{}.{}", o[3], o[2], o[1], o[0]),
            format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3]),
            format!("{:02x}{:02x}{:02x}{:02x}", o[0], o[1], o[2], o[3]),
        ];
        if forms.iter().any(|f| name.contains(f.as_str())) {
            return true;
        }
    }
    name.split(['.', '-']).any(|label| {
        let word: String = label.chars().take_while(char::is_ascii_alphabetic).collect();
        let rest = &label[word.len()..];
        let digits_follow = !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit());
        (DYNAMIC_WORDS.contains(&word.as_str()) && (rest.is_empty() || digits_follow))
            || (DYNAMIC_PREFIXES.contains(&word.as_str()) && digits_follow)
    })
}

/// The class of an address, as a column value.
pub(crate) fn ip_class(ip: &IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() {
                "loopback"
            } else if v4.is_private() || (o[0] == 100 && (o[1] & 0xc0) == 64) {
                // RFC 1918 and RFC 6598 shared (carrier-grade NAT) space.
                "private"
            } else if v4.is_link_local() {
                "link-local"
            } else if (o[0] == 192 && o[1] == 0 && o[2] == 2)
                || (o[0] == 198 && o[1] == 51 && o[2] == 100)
                || (o[0] == 203 && o[1] == 0 && o[2] == 113)
            {
                // RFC 5737
                "documentation"
            } else if v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast() || o[0] >= 240 || o[0] == 0 {
                "reserved"
            } else {
                "public"
            }
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if v6.is_loopback() {
                "loopback"
            } else if (s[0] & 0xfe00) == 0xfc00 {
                // RFC 4193 unique local
                "private"
            } else if (s[0] & 0xffc0) == 0xfe80 {
                "link-local"
            } else if s[0] == 0x2001 && s[1] == 0x0db8 {
                // RFC 3849
                "documentation"
            } else if v6.is_unspecified() || v6.is_multicast() {
                "reserved"
            } else {
                "public"
            }
        }
    }
}

/// Protocols that fetch mail from a mailbox or deliver it locally: not relays.
fn is_retrieval(hop: &ParsedHop) -> bool {
    hop.protocol.as_deref().is_some_and(|p| {
        let p = p.to_ascii_uppercase();
        p == "IMAP" || p == "POP3" || p == "LOCAL" || p.starts_with("POP") || p.starts_with("IMAP")
    })
}

/// A hop is a relay when it names the address mail came from and is not a
/// mailbox retrieval.
pub(crate) fn is_relay(hop: &ParsedHop) -> bool {
    hop.parsed && hop.ip.is_some() && !is_retrieval(hop)
}

/// Index (in header order, 0 = topmost) of the origin hop under
/// SpamAssassin's plain inference (no receiver profile): the first relay
/// from the top that is not private, not authenticated and not in
/// `trusted`.
pub fn origin_index<'a>(hops: impl IntoIterator<Item = &'a ParsedHop>, trusted: &[IpNet]) -> Option<usize> {
    let hops: Vec<&ParsedHop> = hops.into_iter().collect();
    let trust = Trust { networks: trusted.to_vec(), receiver: receivers::ReceiverChoice::None, ..Default::default() };
    receivers::walk(&hops, &trust).origin
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        for (ip, class) in [
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("100.64.1.1", "private"),
            ("127.0.0.1", "loopback"),
            ("169.254.1.1", "link-local"),
            ("203.0.113.7", "documentation"),
            ("240.0.0.1", "reserved"),
            ("8.8.8.8", "public"),
            ("::1", "loopback"),
            ("fd00::1", "private"),
            ("fe80::1", "link-local"),
            ("2001:db8::1", "documentation"),
            ("2a00:1450:4864:20::441", "public"),
        ] {
            assert_eq!(ip_class(&ip.parse().unwrap()), class, "{ip}");
        }
    }

    fn hop(ip: &str, auth: bool, proto: &str) -> ParsedHop {
        ParsedHop {
            ip: ip.parse().ok(),
            parsed: !ip.is_empty(),
            authenticated: auth,
            protocol: Some(proto.into()),
            ..Default::default()
        }
    }

    #[test]
    fn dynamic_names() {
        let ip = |s: &str| s.parse().ok();
        assert!(looks_dynamic("80-24-132-206.uc.nombres.ttd.es", ip("80.24.132.206")));
        assert!(looks_dynamic("206.132.24.80.example.net", ip("80.24.132.206")));
        assert!(looks_dynamic("p5089cd12.dip0.t-ipconnect.de", ip("80.137.205.18")));
        assert!(looks_dynamic("216.pool85-49-174.dynamic.orange.es", None));
        assert!(looks_dynamic("adsl-64-1.example.net", None));
        assert!(looks_dynamic("cpe-203-51-220-31.qld.bigpond.net.au", None));
        assert!(!looks_dynamic("mail-wr1-x441.google.com", ip("209.85.221.65")));
        assert!(!looks_dynamic("gabe.freedesktop.org", None));
        assert!(!looks_dynamic("mx.poolside.example", None));
        assert!(looks_dynamic("ip68-1-2-3.example.net", None));
        assert!(!looks_dynamic("mail.host.example.org", None));
    }

    #[test]
    fn annotate_fills_origin_delays_and_anomalies() {
        use crate::parse::fields::received::parse_received;
        let headers = [
            "from mx.example.com (localhost [127.0.0.1]) by mail.example.com (Postfix) with ESMTP id A1; Mon, 13 Nov 2023 09:15:05 +0000",
            "from paypal.com (unknown [203.0.113.45]) by mx.example.com (Postfix) with SMTP id B2; Mon, 13 Nov 2023 09:15:02 +0000",
            "from [192.168.0.3] (80-24-132-206.dyn.example.es [80.24.132.206]) by relay.example.es with SMTP id C3; Mon, 13 Nov 2023 09:20:00 +0000",
            "from pc ([10.0.0.5]) by relay.example.es with SMTP id D4; Mon, 13 Nov 2023 09:10:00 +0000",
        ];
        let mut rec = MessageRecord { msg_key: "k".into(), date: Some(1699866902000 - 5 * 3600 * 1000), ..Default::default() };
        let received: Vec<_> = headers.iter().map(|h| (h.to_string(), parse_received(h, None))).collect();
        annotate(&mut rec, &received, &Trust::default());
        assert_eq!(rec.route.hop_count, 4);
        assert_eq!(rec.route.origin_ip.map(|i| i.to_string()).as_deref(), Some("203.0.113.45"));
        assert_eq!(rec.route.origin_helo.as_deref(), Some("paypal.com"));
        assert!(rec.hops[1].is_origin && rec.hops[0].trusted && !rec.hops[1].trusted);
        assert_eq!(rec.hops[0].delay_seconds, Some(3));
        assert_eq!(rec.hops[1].delay_seconds, Some(-298));
        assert!(rec.hops[1].time_reversed);
        assert_eq!(rec.route.transit_seconds, Some(305));
        let a = &rec.route.anomalies;
        assert!(a.hops_time_reversed);
        assert!(a.origin_rdns_missing);
        assert!(!a.origin_helo_is_ip_literal);
        assert!(a.date_far_from_hops, "{:?}", rec.route.date_hop_skew_seconds);
        assert!(!a.private_after_public, "private at the bottom is the sender's LAN");
        assert!(!rec.hops[3].trusted, "a private hop below the origin is not vouched for");
        assert!(rec.hops[2].rdns_dynamic && rec.hops[2].helo_is_ip_literal);
    }

    #[test]
    fn origin_is_the_first_untrusted_relay() {
        let chain = vec![
            hop("", false, "SMTP"),               // by-only line
            hop("127.0.0.1", false, "ESMTP"),     // local filter
            hop("192.168.1.5", false, "ESMTP"),   // internal relay
            hop("198.51.100.7", false, "ESMTPS"), // the sender's server: origin
            hop("10.0.0.2", false, "ESMTP"),      // forgeable lower hop
        ];
        assert_eq!(origin_index(&chain, &[]), Some(3));
        let trusted: Vec<IpNet> = vec!["198.51.100.0/24".parse().unwrap()];
        assert_eq!(origin_index(&chain, &trusted), None);
        let submitted = vec![hop("203.0.113.9", true, "ESMTPSA"), hop("8.8.8.8", false, "SMTP")];
        assert_eq!(origin_index(&submitted, &[]), Some(1));
        let fetched = vec![hop("193.120.211.219", false, "POP3"), hop("8.8.4.4", false, "SMTP")];
        assert_eq!(origin_index(&fetched, &[]), Some(1));
    }
}
