//! One Received header → one [`Hop`] (RFC 5321 §4.4 time-stamp lines, RFC
//! 5322 §3.6.7 trace fields).
//!
//! The grammar is `from … by … via … with … id … for … ; date`, but every MTA
//! fills the `from` clause its own way, so the header is first cut into
//! tokens (words, `(comments)` with nesting, `[literals]`) and clauses, and
//! the `from` clause is then read by shape, the way SpamAssassin's
//! Received.pm reads it (its output is the oracle in ../shared/oracle):
//!
//! | shape (MTA) | HELO | rDNS | IP |
//! |---|---|---|---|
//! | `from H (R [IP])` Postfix, Sendmail, Gmail | H | R (`unknown` → none) | IP |
//! | `from H (user@R [IP])` Sendmail with ident | H | R | IP |
//! | `from H ([IP])` Sendmail, MS SMTPSVC | H | none | IP |
//! | `from R ([IP] helo=H)`, `from [IP] (helo=H)` Exim | H | R / none | IP |
//! | `from unknown (HELO H) (IP)` qmail | H | none | IP |
//! | `from H (IP)` Exchange, Yahoo | H | H (`unknown` → none) | IP |
//! | `from [IP1] (IP2)` Eudora | `[IP1]` | none | IP2 |
//!
//! mail-parser's own Received parse fills what this reading leaves empty
//! (protocol, TLS version and cipher, the date).

use std::net::IpAddr;

use mail_parser::{Host, Received};

use crate::parse::recover::lenient_date;

/// A hop as read from one Received header. Field names are the
/// `received_hops` columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedHop {
    /// HELO/EHLO name the sending host gave (`[1.2.3.4]` for an address
    /// literal).
    pub helo: Option<String>,
    /// Reverse-DNS name the receiving host wrote; None for `unknown` or none
    /// written.
    pub rdns: Option<String>,
    /// Address of the sending host.
    pub ip: Option<IpAddr>,
    /// RFC 1413 ident user (`user@host` before the address).
    pub ident: Option<String>,
    /// The receiving host (the by clause).
    pub by_host: Option<String>,
    /// The via clause.
    pub via: Option<String>,
    /// The with clause as a protocol name (RFC 3848: SMTP, ESMTP, ESMTPS,
    /// ESMTPSA, LMTP, HTTP, …).
    pub protocol: Option<String>,
    /// TLS version, where the header gives it.
    pub tls_version: Option<String>,
    /// TLS cipher, where the header gives it.
    pub tls_cipher: Option<String>,
    /// Authenticated submission (ESMTPA/ESMTPSA, `(authenticated …)`,
    /// `Authenticated sender:`, `AUTH:`, Exchange HTTPS).
    pub authenticated: bool,
    /// The id clause (queue id), without angle brackets.
    pub queue_id: Option<String>,
    /// The for clause (envelope recipient), without angle brackets.
    pub envelope_for: Option<String>,
    /// envelope-from / envelope-sender, where given.
    pub envelope_from: Option<String>,
    /// UTC milliseconds.
    pub timestamp: Option<i64>,
    /// The header had a `from` clause with an address in it.
    pub parsed: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Word(&'a str),
    Comment(&'a str),
    Literal(&'a str),
}

/// Cuts the clause part of a header into words, comments and literals.
/// Works on bytes: the delimiters are ASCII, so every cut is on a character
/// boundary. Tokens borrow from `s`: no copy per word.
fn tokenize(s: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'(' {
            let mut depth = 0;
            let start = i + 1;
            while i < b.len() {
                match b[i] {
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            out.push(Tok::Comment(&s[start..i.min(b.len())]));
            i += 1;
        } else if c == b'[' {
            let start = i + 1;
            while i < b.len() && b[i] != b']' {
                i += 1;
            }
            out.push(Tok::Literal(&s[start..i.min(b.len())]));
            i += 1;
        } else {
            let start = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'(' && !(b[i] == b'[' && i > start) {
                i += 1;
            }
            out.push(Tok::Word(&s[start..i]));
        }
    }
    out
}

const KEYWORDS: &[&str] = &["from", "by", "via", "with", "id", "for"];

/// An IP address in the forms headers write it: `1.2.3.4`, `IPv6:2001:db8::1`,
/// `::ffff:1.2.3.4`, `1.2.3.4:25` (with a port), `fe80::1%eth0`.
pub(crate) fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches(|c| c == '[' || c == ']' || c == '(' || c == ')' || c == ',');
    let s = s.strip_prefix("IPv6:").or_else(|| s.strip_prefix("ipv6:")).unwrap_or(s);
    let s = s.split('%').next().unwrap_or(s);
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        });
    }
    // IPv4 with a port: 1.2.3.4:25 (Exim writes [1.2.3.4]:25).
    if let Some((host, port)) = s.rsplit_once(':') {
        if port.chars().all(|c| c.is_ascii_digit()) && host.contains('.') {
            return host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4);
        }
    }
    None
}

fn clean_host(s: &str) -> Option<String> {
    let s = s.trim().trim_matches(['<', '>']).trim_end_matches([';', ',']).trim_end_matches('.');
    (!s.is_empty()).then(|| s.to_string())
}

fn none_if_unknown(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.eq_ignore_ascii_case("unknown"))
}

/// Reads one Received header value (unfolded or not). `mp` is mail-parser's
/// parse of the same header, when it has one.
pub fn parse_received(raw: &str, mp: Option<&Received<'_>>) -> ParsedHop {
    // A Received value written in RFC 2047 words is read decoded, as
    // SpamAssassin reads it.
    let decoded;
    let raw = if raw.contains("=?") {
        decoded = crate::parse::rfc2047::decode_unstructured(raw.as_bytes(), None).0;
        decoded.as_str()
    } else {
        raw
    };
    let text: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let (clauses_text, date_text) = match text.rfind(';') {
        Some(i) => (&text[..i], Some(text[i + 1..].trim())),
        None => (text.as_str(), None),
    };
    let mut hop = ParsedHop::default();
    let clauses = split_clauses(tokenize(clauses_text));
    let clause = |k: &str| clauses.iter().find(|(c, _)| *c == k).map(|(_, v)| v.as_slice());

    let lower = text.to_ascii_lowercase();
    if let Some(from) = clause("from") {
        read_from_clause(from, lower.contains("(exim"), &mut hop);
    }
    if let Some(by) = clause("by") {
        hop.by_host = by.iter().find_map(|t| match t {
            Tok::Word(w) => clean_host(w),
            Tok::Literal(l) => clean_host(l).map(|l| format!("[{l}]")),
            _ => None,
        });
    }
    hop.via = clause("via").and_then(first_word);
    let (protocol, with_cipher) = clause("with").map(read_with).unwrap_or_default();
    hop.protocol = protocol;
    hop.queue_id = clause("id").and_then(first_word).map(|s| s.trim_matches(|c| c == '<' || c == '>').to_string());
    hop.envelope_for = clause("for").and_then(first_word).map(|s| s.trim_matches(|c| c == '<' || c == '>').to_string());

    hop.envelope_from = envelope_from(&text, &lower);
    hop.authenticated = is_authenticated(&without_sender_text(&lower), hop.protocol.as_deref());
    let (v, c) = tls(&text);
    hop.tls_version = v;
    hop.tls_cipher = c.or(with_cipher);
    // mail-parser has already read the date in most headers; the lenient
    // reader takes the rest.
    hop.timestamp = mp
        .and_then(|m| m.date)
        .filter(|d| d.is_valid())
        .map(|d| d.to_timestamp() * 1000)
        .or_else(|| date_text.and_then(|d| lenient_date(d).map(|(ms, _)| ms)));

    if let Some(mp) = mp {
        fill_gaps(&mut hop, mp, clause("from").is_some());
    }
    hop
}

/// Splits a header's tokens into clauses (`from`, `by`, `via`, `with`,
/// `id`, `for`, …); comments belong to the clause they follow.
fn split_clauses(toks: Vec<Tok<'_>>) -> Vec<(&'static str, Vec<Tok<'_>>)> {
    let mut clauses: Vec<(&'static str, Vec<Tok<'_>>)> = Vec::new();
    for t in toks {
        if let Tok::Word(w) = t {
            // The word right after `from` or `by` is a name whatever it is
            // (a sender may HELO as `by`).
            let value_expected = clauses.last().is_some_and(|(k, v)| (*k == "from" || *k == "by") && v.is_empty());
            let keyword = KEYWORDS.iter().find(|k| k.eq_ignore_ascii_case(w));
            if let Some(&k) = keyword.filter(|k| !value_expected && !clauses.iter().any(|(c, _)| c == *k)) {
                clauses.push((k, Vec::new()));
                continue;
            }
        }
        match clauses.last_mut() {
            Some((_, v)) => v.push(t),
            None => clauses.push(("", vec![t])),
        }
    }
    clauses
}

/// What mail-parser read of the header fills what mailidx's reading left empty.
fn fill_gaps(hop: &mut ParsedHop, mp: &Received<'_>, has_from: bool) {
    if hop.protocol.is_none() {
        hop.protocol = mp.with.map(|p| format!("{p:?}"));
    }
    if hop.tls_version.is_none() {
        hop.tls_version = mp.tls_version.map(|t| format!("{t:?}"));
    }
    if hop.tls_cipher.is_none() {
        hop.tls_cipher = mp.tls_cipher.as_ref().map(|c| c.to_string());
    }
    if hop.timestamp.is_none() {
        hop.timestamp = mp.date.filter(|d| d.is_valid()).map(|d| d.to_timestamp() * 1000);
    }
    if hop.by_host.is_none() {
        hop.by_host = mp.by.as_ref().map(host_text);
    }
    if hop.ip.is_none() && has_from {
        hop.ip = mp.from_ip;
        hop.parsed = hop.ip.is_some();
    }
}

/// The `with` clause as a transmission type (RFC 3848 names: SMTP, ESMTP,
/// ESMTPS, ESMTPSA, LMTP, HTTP, …): `ESMTP/TLS/cipher` gives ESMTP and the
/// cipher, Exim's `local-esmtps` ESMTPS, `local-bsmtp` and Microsoft's
/// `Microsoft SMTP Server` / `SMTPSVC` SMTP, `[XMail 1.20 ESMTP Server]` ESMTP.
fn read_with(toks: &[Tok]) -> (Option<String>, Option<String>) {
    let first = toks.iter().find_map(|t| match t {
        Tok::Word(w) => Some(w.to_string()),
        Tok::Literal(l) => Some(l.split_whitespace().find(|w| w.to_ascii_uppercase().ends_with("SMTP")).unwrap_or(l).to_string()),
        _ => None,
    });
    let Some(first) = first else { return (None, None) };
    let mut parts = first.trim_end_matches([';', ',']).split('/');
    let proto = parts.next().unwrap_or_default().to_ascii_uppercase();
    let rest: Vec<&str> = parts.collect();
    let cipher = match rest.as_slice() {
        [tls, cipher, ..] if tls.eq_ignore_ascii_case("TLS") => Some(cipher.to_string()),
        _ => None,
    };
    let proto = proto.strip_prefix("LOCAL-").unwrap_or(&proto).to_string();
    let proto = match proto.as_str() {
        "BSMTP" | "MICROSOFT" => "SMTP".to_string(),
        "ESMTP-TLS" => "ESMTPS".to_string(),
        "" => return (None, cipher),
        _ => proto,
    };
    (Some(proto), cipher)
}

fn host_text(h: &Host<'_>) -> String {
    match h {
        Host::Name(n) => n.to_string(),
        Host::IpAddr(ip) => ip.to_string(),
    }
}

fn first_word(toks: &[Tok]) -> Option<String> {
    toks.iter().find_map(|t| match t {
        Tok::Word(w) => clean_host(w),
        _ => None,
    })
}

/// The `from` clause, by shape (see the module table). Exim writes the
/// verified rDNS name after `from` (`from R ([IP] helo=H)`), other MTAs the
/// HELO name (`from H ([IP])`).
fn read_from_clause(toks: &[Tok], exim: bool, hop: &mut ParsedHop) {
    let mut name: Option<String> = None; // the word right after `from`
    let mut name_literal: Option<String> = None; // `from [1.2.3.4]`
    let mut helo_explicit: Option<String> = None;
    // An address outside the comments is text the sender chose (Postfix
    // keeps brackets in `HELO x[10.0.0.1]`): the one the MTA wrote in a
    // comment wins.
    let mut outside_ip: Option<IpAddr> = None;
    let mut comment = FromComment::default();
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Word(w) if i == 0 => {
                if let Some(h) = w.strip_prefix("helo=") {
                    helo_explicit = clean_host(h);
                } else {
                    name = clean_host(w);
                }
            }
            Tok::Literal(l) if i == 0 => name_literal = Some(l.to_string()),
            Tok::Literal(l) => {
                if outside_ip.is_none() {
                    outside_ip = parse_ip(l);
                }
            }
            Tok::Word(w) => {
                // `from host [ip]` without parentheses, or `helo=x` outside them.
                if let Some(h) = w.strip_prefix("helo=").or_else(|| w.strip_prefix("HELO=")) {
                    helo_explicit = clean_host(h);
                } else if outside_ip.is_none() {
                    outside_ip = parse_ip(w);
                }
            }
            Tok::Comment(c) => {
                comment.helo = helo_explicit.take();
                comment.read(c);
                helo_explicit = comment.helo.take();
            }
        }
    }
    let FromComment { ip: comment_ip, rdns: rdns_in_comment, bare_ip: bare_ip_comment, ident, .. } = comment;
    hop.ident = ident;
    let mut ip = comment_ip;
    if ip.is_none() {
        ip = outside_ip;
    }
    // `from 1.2.3.4 by …`: the name is the address.
    if ip.is_none() {
        if let Some(addr) = name.as_deref().and_then(parse_ip) {
            ip = Some(addr);
            name = None;
        }
    }
    // `from [IP]` alone: the literal is the address; with another address
    // in a comment it is the HELO.
    if let Some(lit) = &name_literal {
        match (ip, parse_ip(lit)) {
            (None, Some(addr)) => ip = Some(addr),
            _ => {
                if helo_explicit.is_none() {
                    helo_explicit = Some(format!("[{lit}]"));
                }
            }
        }
    }
    hop.ip = ip;
    hop.parsed = ip.is_some();
    (hop.helo, hop.rdns) = helo_and_rdns(name, helo_explicit, rdns_in_comment, exim || bare_ip_comment);
}

/// The HELO and rDNS of a `from` clause: an explicit HELO makes the name
/// the rDNS; otherwise the name is the HELO, and the rDNS is the one a
/// comment gave, or the name itself where the MTA writes it so (Exim, or
/// a comment holding only the address).
fn helo_and_rdns(name: Option<String>, helo: Option<String>, rdns_in_comment: Option<String>, name_is_rdns: bool) -> (Option<String>, Option<String>) {
    match (helo, rdns_in_comment) {
        (Some(h), rdns) => (Some(h), none_if_unknown(rdns.or(name))),
        (None, Some(rdns)) => (name, none_if_unknown(Some(rdns))),
        (None, None) if name_is_rdns => (name.clone(), none_if_unknown(name)),
        (None, None) => (name, None),
    }
}

/// What the comments of a `from` clause say, the first of each found: `R
/// [IP]`, `user@R [IP]`, `[IP]`, `[IP]:port helo=H`, `HELO H`, `IP`, `may be
/// forged`, …
#[derive(Default)]
struct FromComment {
    ip: Option<IpAddr>,
    rdns: Option<String>,
    helo: Option<String>,
    /// A comment that is only an address (`(1.2.3.4)`).
    bare_ip: bool,
    ident: Option<String>,
}

impl FromComment {
    fn read(&mut self, c: &str) {
        let toks = tokenize(c);
        let mut prev_word: Option<&str> = None;
        let mut k = 0;
        while k < toks.len() {
            match &toks[k] {
                Tok::Word(w) => {
                    // ZMailer quotes its `"EHLO name"`.
                    let w = w.trim_matches('"');
                    if let Some(h) = w.get(..5).filter(|p| p.eq_ignore_ascii_case("helo=")).map(|_| &w[5..]) {
                        // `helo=[192.168.1.5]` is a word and a literal.
                        let literal = match (h.is_empty(), toks.get(k + 1)) {
                            (true, Some(Tok::Literal(l))) => {
                                k += 1;
                                Some(format!("[{l}]"))
                            }
                            _ => None,
                        };
                        if self.helo.is_none() {
                            self.helo = literal.or_else(|| clean_host(h));
                        }
                    } else if (w.eq_ignore_ascii_case("helo") || w.eq_ignore_ascii_case("ehlo")) && k + 1 < toks.len() {
                        if let Tok::Word(h) | Tok::Literal(h) = &toks[k + 1] {
                            if self.helo.is_none() {
                                let h = h.trim_matches('"');
                                self.helo = clean_host(h).map(|h| if matches!(toks[k + 1], Tok::Literal(_)) { format!("[{h}]") } else { h });
                            }
                        }
                        k += 1;
                    } else if let Some(addr) = parse_ip(w) {
                        if self.ip.is_none() {
                            self.ip = Some(addr);
                            if k == 0 && toks.len() == 1 {
                                self.bare_ip = true;
                            }
                        }
                    } else if !w.contains('=') {
                        prev_word = Some(w);
                    }
                }
                Tok::Literal(l) => {
                    if let Some(addr) = parse_ip(l) {
                        if self.ip.is_none() {
                            self.ip = Some(addr);
                            if let Some(p) = prev_word.take() {
                                let (user, host) = match p.rsplit_once('@') {
                                    Some((u, h)) => (Some(u.to_string()), h),
                                    None => (None, p),
                                };
                                if self.rdns.is_none() {
                                    self.rdns = clean_host(host);
                                }
                                if self.ident.is_none() {
                                    self.ident = user;
                                }
                            }
                        }
                    }
                }
                Tok::Comment(_) => {}
            }
            k += 1;
        }
    }
}

/// `envelope-from <a@b>` / `envelope-sender <a@b>` inside the header.
fn envelope_from(text: &str, lower: &str) -> Option<String> {
    for key in ["envelope-from", "envelope-sender"] {
        if let Some(i) = lower.find(key) {
            let rest = text[i + key.len()..].trim_start_matches([' ', '=', ':']);
            let v: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != ')' && *c != ';').collect();
            let v = v.trim_matches(|c| c == '<' || c == '>').to_string();
            if !v.is_empty() {
                return Some(v);
            }
        }
    }
    None
}

/// The header without text the sender chose: `<addresses>`, `"quoted"`
/// strings, and the name after `from` (the HELO). An MTA's own notes
/// (`(authenticated …)`, `AUTH:`) remain.
fn without_sender_text(lower: &str) -> String {
    let mut out = String::with_capacity(lower.len());
    let mut skip_until: Option<char> = None;
    for c in lower.chars() {
        match skip_until {
            Some(end) if c == end => skip_until = None,
            Some(_) => {}
            None if c == '<' => skip_until = Some('>'),
            None if c == '"' => skip_until = Some('"'),
            None => out.push(c),
        }
    }
    match out.strip_prefix("from ") {
        Some(rest) => rest.split_once(' ').map(|(_, r)| r.to_string()).unwrap_or_default(),
        None => out,
    }
}

/// Authenticated submission: `with ESMTPA/ESMTPSA/LMTPA/…`, Exchange's
/// `with HTTPS`, `(authenticated …)`, `Authenticated sender:`, `AUTH:`.
fn is_authenticated(lower: &str, protocol: Option<&str>) -> bool {
    let proto_auth = protocol.is_some_and(|p| {
        let p = p.to_ascii_uppercase();
        p.ends_with("SMTPA") || p.ends_with("SMTPSA") || p.ends_with("LMTPA") || p.ends_with("LMTPSA") || p == "ASMTP" || p == "HTTPS"
    });
    proto_auth
        || lower.contains("(authenticated")
        || lower.contains("authenticated sender:")
        || lower.contains("authenticated as ")
        || lower.contains(" auth: ")
        || lower.contains("(auth:")
}

/// TLS version and cipher, from the forms MTAs write:
/// `(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))`
/// (Postfix), `(version=TLS1_2, cipher=…)` (Exchange, Gmail),
/// `with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384` (Exim),
/// `(version=TLSv1/SSLv3 cipher=…)` (Sendmail).
fn tls(text: &str) -> (Option<String>, Option<String>) {
    let word_after = |key: &str| -> Option<String> {
        let i = text.find(key)?;
        let v: String = text[i + key.len()..]
            .trim_start()
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ')' | ';' | '('))
            .collect();
        (!v.is_empty()).then_some(v)
    };
    let version = word_after("using ")
        .filter(|v| v.starts_with("TLS") || v.starts_with("SSL"))
        .or_else(|| word_after("version="))
        .or_else(|| {
            let i = text.find("(TLS")?;
            let v: String = text[i + 1..].chars().take_while(|c| *c != ')' && *c != ':').collect();
            Some(v)
        });
    let cipher = word_after("with cipher ").or_else(|| word_after("cipher=")).or_else(|| word_after(") tls "));
    if cipher.is_some() {
        return (version, cipher);
    }
    // Exim's `(TLS1.3:ECDHE_RSA_AES_256_GCM_SHA384:256)`, `(Cipher TLSv1:DES-CBC3-SHA:168)`,
    // `(tls_cipher TLS-1.0:RSA_AES_256_CBC_SHA:32)`.
    for key in ["(TLS", "(Cipher ", "tls_cipher ", "(SSL"] {
        if let Some(i) = text.find(key) {
            let start = if key.starts_with("(T") || key.starts_with("(S") { i + 1 } else { i + key.len() };
            let inner: String = text[start..].chars().take_while(|c| *c != ')' && !c.is_whitespace()).collect();
            let mut f = inner.split(':');
            if let (Some(v), Some(c)) = (f.next(), f.next()) {
                if !c.is_empty() {
                    return (Some(v.to_string()), Some(c.to_string()));
                }
            }
        }
    }
    // `(TLS: TLSv1/SSLv3, 168bits, DES-CBC3-SHA)`: version first, cipher last.
    if let Some(i) = text.find("TLS: ") {
        let inner: String = text[i + 5..].chars().take_while(|c| *c != ')').collect();
        let items: Vec<&str> = inner.split(',').map(str::trim).collect();
        if items.len() >= 2 {
            return (Some(items[0].to_string()), items.last().map(|s| s.to_string()));
        }
    }
    (version, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(raw: &str) -> ParsedHop {
        parse_received(raw, None)
    }

    fn shape(h: &ParsedHop) -> (Option<&str>, Option<&str>, Option<String>, Option<&str>) {
        (h.helo.as_deref(), h.rdns.as_deref(), h.ip.map(|i| i.to_string()), h.by_host.as_deref())
    }

    /// Relay forms written here. SpamAssassin is not installed on this
    /// machine. For ZMailer its oracle (received_sa on notmuch and
    /// freedreno, whose vger.kernel.org lines are ZMailer's) takes the EHLO
    /// name as the HELO, which mailidx now does too, and leaves the rDNS
    /// empty; ZMailer writes the reverse-DNS name first (rhost-flags record
    /// its checks of it), so mailidx takes that name as the rDNS.
    #[test]
    fn forms_the_corpora_lack() {
        let cases: &[(&str, (Option<&str>, Option<&str>, Option<&str>, Option<&str>), Option<&str>)] = &[
            // ZMailer
            ("from mail.example.com ([192.0.2.1]:3489 \"EHLO helo.example.net\" rhost-flags-OK-OK-OK-OK) by mx.example.org with ESMTP id <20240304100000.12345-1@mx.example.org>; Mon, 4 Mar 2024 10:00:00 +0000",
             (Some("helo.example.net"), Some("mail.example.com"), Some("192.0.2.1"), Some("mx.example.org")), Some("ESMTP")),
            ("from mail.example.com ([IPv6:2001:db8::25]:50123 \"HELO [2001:db8::25]\" rhost-flags-OK-FAIL-OK-OK) by mx.example.org with SMTP id <1@mx>; Mon, 4 Mar 2024 10:00:00 +0000",
             (Some("[2001:db8::25]"), Some("mail.example.com"), Some("2001:db8::25"), Some("mx.example.org")), Some("SMTP")),
            // The whole value in RFC 2047 words.
            ("=?us-ascii?Q?from_relay=2Eexample=2Ecom_=28relay=2Eexample=2Ecom_=5B198=2E51=2E100=2E7=5D=29?= by mx.example.org with ESMTP id 1; Mon, 4 Mar 2024 10:00:00 +0000",
             (Some("relay.example.com"), Some("relay.example.com"), Some("198.51.100.7"), Some("mx.example.org")), Some("ESMTP")),
            // OpenSMTPD
            ("from mail.example.com (mail.example.com [198.51.100.7]) by mx.example.org (OpenSMTPD) with ESMTPS id 4a1b2c3d (TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO) for <b@example.org>; Mon, 4 Mar 2024 10:00:00 +0000",
             (Some("mail.example.com"), Some("mail.example.com"), Some("198.51.100.7"), Some("mx.example.org")), Some("ESMTPS")),
            // Haraka
            ("from mail.example.com (mail.example.com [198.51.100.7]) by mx.example.org (Haraka/2.8.25) with ESMTPS id 6C8F5C3E-1B2A-4F0D-9E1C-0D2B3A4C5D6E.1 envelope-from <a@example.com> (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384); Mon, 04 Mar 2024 10:00:00 +0000",
             (Some("mail.example.com"), Some("mail.example.com"), Some("198.51.100.7"), Some("mx.example.org")), Some("ESMTPS")),
            // Courier, authenticated
            ("from [192.0.2.44] (pc.example.com [192.0.2.44]) (AUTH: LOGIN alice, TLS: TLSv1.2,256bits,ECDHE-RSA-AES256-GCM-SHA384) by mail.example.org with ESMTPSA; Mon, 04 Mar 2024 10:00:00 +0000",
             (Some("[192.0.2.44]"), Some("pc.example.com"), Some("192.0.2.44"), Some("mail.example.org")), Some("ESMTPSA")),
        ];
        for (raw, want, proto) in cases {
            let h = p(raw);
            let (helo, rdns, ip, by) = shape(&h);
            assert_eq!((helo, rdns, ip.as_deref(), by), *want, "{raw}");
            assert_eq!(h.protocol.as_deref(), *proto, "{raw}");
            assert!(h.timestamp.is_some(), "{raw}");
        }
        let courier = p(cases[5].0);
        assert!(courier.authenticated);
        let haraka = p(cases[4].0);
        assert_eq!((haraka.tls_version.as_deref(), haraka.tls_cipher.as_deref()), (Some("TLSv1.3"), Some("TLS_AES_256_GCM_SHA384")));
        assert_eq!(haraka.envelope_from.as_deref(), Some("a@example.com"));
    }

    #[test]
    fn from_clause_shapes() {
        let cases: &[(&str, (Option<&str>, Option<&str>, Option<&str>, Option<&str>))] = &[
            ("from localhost (localhost [127.0.0.1]) by phobos.example.com (Postfix) with ESMTP id D03E543C36 for <z@localhost>; Thu, 22 Aug 2002 07:36:16 -0400",
             (Some("localhost"), Some("localhost"), Some("127.0.0.1"), Some("phobos.example.com"))),
            ("from ratree.psu.ac.th ([202.28.97.6]) by mx1.example.org (8.11.6/8.11.6) with SMTP id g7MBIhl25223; Thu, 22 Aug 2002 12:18:00 +0100",
             (Some("ratree.psu.ac.th"), None, Some("202.28.97.6"), Some("mx1.example.org"))),
            ("from unknown (66.218.66.217) by m3.grp.scd.yahoo.com with QMQP; 22 Aug 2002 11:46:29 -0000",
             (Some("unknown"), None, Some("66.218.66.217"), Some("m3.grp.scd.yahoo.com"))),
            ("from ee.ed.ac.uk (sxs@dunblane [129.215.34.86]) by postbox.ee.ed.ac.uk (8.11.0/8.11.0) with ESMTP id g7MDcNi28645",
             (Some("ee.ed.ac.uk"), Some("dunblane"), Some("129.215.34.86"), Some("postbox.ee.ed.ac.uk"))),
            ("from gabe.freedesktop.org (gabe.freedesktop.org [IPv6:2610:10:20:722:a800:ff:fe36:1795]) by mail.lfdr.de (Postfix) with ESMTPS id 3A0D0EB97",
             (Some("gabe.freedesktop.org"), Some("gabe.freedesktop.org"), Some("2610:10:20:722:a800:ff:fe36:1795"), Some("mail.lfdr.de"))),
            ("from unknown (HELO mailgateway.cursor-system.com) (62.189.7.27) by mta2.grp.scd.yahoo.com with SMTP; 22 Aug 2002 11:46:29 -0000",
             (Some("mailgateway.cursor-system.com"), None, Some("62.189.7.27"), Some("mta2.grp.scd.yahoo.com"))),
            ("from usw-sf-list1-b.sourceforge.net ([10.3.1.13] helo=usw-sf-list1.sourceforge.net) by usw-sf-list2.sourceforge.net with esmtp (Exim 3.31-VA-mm2 #1 (Debian))",
             (Some("usw-sf-list1.sourceforge.net"), Some("usw-sf-list1-b.sourceforge.net"), Some("10.3.1.13"), Some("usw-sf-list2.sourceforge.net"))),
            ("from DS7PR19MB6351.namprd19.prod.outlook.com (2603:10b6:8:95::8) by MN0PR19MB6312.namprd19.prod.outlook.com with HTTPS; Thu, 7 Sep 2023 15:17:26 +0000",
             (Some("DS7PR19MB6351.namprd19.prod.outlook.com"), Some("DS7PR19MB6351.namprd19.prod.outlook.com"), Some("2603:10b6:8:95::8"), Some("MN0PR19MB6312.namprd19.prod.outlook.com"))),
            ("from [66.218.67.196] by n20.grp.scd.yahoo.com with NNFMP; 22 Aug 2002 11:46:30 -0000",
             (None, None, Some("66.218.67.196"), Some("n20.grp.scd.yahoo.com"))),
            ("from [10.0.1.22] (66.68.99.248) by realsoftware.com with ESMTP (Eudora Internet Mail Server 3.1.3); Fri, 4 Oct 2002 01:35:23 -0500",
             (Some("[10.0.1.22]"), None, Some("66.68.99.248"), Some("realsoftware.com"))),
            ("from red.harvee.home (red [192.168.25.1] (may be forged)) by web.tb.tf (8.11.6/8.11.6) with ESMTP id g7MDO4I16408",
             (Some("red.harvee.home"), Some("red"), Some("192.168.25.1"), Some("web.tb.tf"))),
            ("from [192.168.123.179] (helo=permafrost.net) by sunserver.permafrost.net with esmtp (Exim 3.35 #1 (Debian)) id 17htxj-0008Ad-00",
             (Some("permafrost.net"), None, Some("192.168.123.179"), Some("sunserver.permafrost.net"))),
            ("from 203.86.192.7 by ra9.jp with esmtp id 997zu6-of9K2-rr for <cs@ra9.jp>; Thu, 14 Aug 2008 01:13:54 +0900",
             (None, None, Some("203.86.192.7"), Some("ra9.jp"))),
            ("from [201.162.240.41] (port=17449 helo=[192.168.43.132]) by gator4166.hostgator.com with esmtpsa (TLSv1.2:ECDHE-RSA-AES128-GCM-SHA256:128) (Exim 4.92) id 1j9C6Y",
             (Some("[192.168.43.132]"), None, Some("201.162.240.41"), Some("gator4166.hostgator.com"))),
            ("from marcos.anarc.at ([206.248.172.91]) by fethera.tethera.net with esmtp (Exim 4.89) (envelope-from <anarcat@orangeseeds.org>) id 1exz1i",
             (Some("marcos.anarc.at"), Some("marcos.anarc.at"), Some("206.248.172.91"), Some("fethera.tethera.net"))),
            ("from login_0216.mailservice.net (mx.service.net[206.232.231.77] (may be forged)) by [192.201.131.147] (8.8.5/8.7.3) with SMTP id XAA05533",
             (Some("login_0216.mailservice.net"), Some("mx.service.net"), Some("206.232.231.77"), Some("[192.201.131.147]"))),
            ("from x[10.0.0.1] (unknown [203.0.113.5]) by mx.example.com (Postfix) with ESMTP id 1A",
             (Some("x"), None, Some("203.0.113.5"), Some("mx.example.com"))),
            ("from by (unknown [203.0.113.5]) by mx.example.com (Postfix) with ESMTP id 1B",
             (Some("by"), None, Some("203.0.113.5"), Some("mx.example.com"))),
            ("from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.google.com with SMTPS id a1sor; Mon, 1 Jan 2024 00:00:00 -0800",
             (Some("mail-sor-f41.google.com"), Some("mail-sor-f41.google.com"), Some("209.85.220.41"), Some("mx.google.com"))),
        ];
        for (raw, want) in cases {
            let h = p(raw);
            let got = shape(&h);
            assert_eq!((got.0, got.1, got.2.as_deref(), got.3), *want, "{raw}");
            assert!(h.parsed, "{raw}");
        }
    }

    #[test]
    fn clauses_tls_auth_and_time() {
        let h = p("from mail.example.com (mail.example.com [198.51.100.7]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) (Authenticated sender: bob) by smtp.example.org (Postfix) with ESMTPSA id 4AB12 for <alice@example.org>; Mon, 13 Nov 2023 09:15:02 +0000 (UTC)");
        assert_eq!(h.protocol.as_deref(), Some("ESMTPSA"));
        assert_eq!(h.tls_version.as_deref(), Some("TLSv1.3"));
        assert_eq!(h.tls_cipher.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
        assert!(h.authenticated);
        assert_eq!(h.queue_id.as_deref(), Some("4AB12"));
        assert_eq!(h.envelope_for.as_deref(), Some("alice@example.org"));
        assert_eq!(h.timestamp, Some(1699866902000));

        let h = p("from host ([203.0.113.9]:4321 helo=host) by mx.example.net with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <b@x.org>) id 1r2 for a@example.net; Tue, 14 Nov 2023 08:01:00 +0000");
        assert_eq!(h.ip.map(|i| i.to_string()).as_deref(), Some("203.0.113.9"));
        assert_eq!(h.tls_version.as_deref(), Some("TLS1.3"));
        assert_eq!(h.tls_cipher.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
        assert_eq!(h.envelope_from.as_deref(), Some("b@x.org"));
        assert!(!h.authenticated);
        // Text the sender controls cannot claim authentication.
        let h = p("from x ([203.0.113.9] helo=x) by mx.example.net with esmtp (Exim 4.96) (envelope-from <\"a (authenticated\"@evil.example>) id 1r2; Tue, 14 Nov 2023 08:01:00 +0000");
        assert!(!h.authenticated);
        let h = p("from (authenticated ([203.0.113.9]) by mx.example.net with SMTP id 1; Tue, 14 Nov 2023 08:01:00 +0000");
        assert!(!h.authenticated);

        let h = p("by 10.180.12.11 with SMTP id u11mr8106663wib.61; Fri, 05 Jul 2013 16:24:28 -0700 (PDT)");
        assert!(!h.parsed);
        assert_eq!(h.by_host.as_deref(), Some("10.180.12.11"));
        let h = p("(qmail 11764 invoked from network); 22 Aug 2002 11:46:29 -0000");
        assert!(!h.parsed);
        assert!(h.timestamp.is_some());
    }

    #[test]
    fn ip_forms() {
        for (s, want) in [
            ("1.2.3.4", "1.2.3.4"),
            ("IPv6:2001:db8::1", "2001:db8::1"),
            ("::ffff:1.2.3.4", "1.2.3.4"),
            ("1.2.3.4:25", "1.2.3.4"),
            ("fe80::1%eth0", "fe80::1"),
        ] {
            assert_eq!(parse_ip(s).map(|i| i.to_string()).as_deref(), Some(want), "{s}");
        }
        assert_eq!(parse_ip("host.example.com"), None);
        assert_eq!(parse_ip("15.20.6768.30"), None);
    }
}
