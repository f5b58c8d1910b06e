//! The Received chain of one message read as a mail administrator reads it:
//! IP classes, which hops the receiving side can vouch for, the origin (the
//! first hop from outside), delays between hops, and anomalies.
//!
//! Trust follows SpamAssassin's inference when no `trusted_networks` is set
//! (Mail::SpamAssassin::Message::Metadata::Received): walking from the top
//! (the hop written last, by the recipient's own servers), a relay is trusted
//! while its IP is private, loopback or link-local, it was an authenticated
//! submission, or it is in a network the user names (`--trusted-network`).
//! The first relay that is none of these is the origin. Hops without an
//! address (`by`-only lines, `(qmail … invoked …)`) and mailbox retrieval
//! (IMAP, POP3, fetchmail, local delivery) are not relays and are passed over.

use std::net::IpAddr;

use ipnet::IpNet;

use super::received::ParsedHop;

/// The class of an address, as a column value.
pub fn ip_class(ip: &IpAddr) -> &'static str {
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
pub fn is_relay(hop: &ParsedHop) -> bool {
    hop.parsed && hop.ip.is_some() && !is_retrieval(hop)
}

/// Whether the receiving side can vouch for this relay (see module docs).
pub fn is_trusted(hop: &ParsedHop, trusted: &[IpNet]) -> bool {
    let Some(ip) = hop.ip else { return false };
    matches!(ip_class(&ip), "private" | "loopback" | "link-local")
        || hop.authenticated
        || trusted.iter().any(|n| n.contains(&ip))
}

/// Index (in header order, 0 = topmost) of the origin hop: the first relay
/// from the top that is not trusted.
pub fn origin_index(hops: &[ParsedHop], trusted: &[IpNet]) -> Option<usize> {
    hops.iter().position(|h| is_relay(h) && !is_trusted(h, trusted))
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
