//! Authentication-Results (RFC 8601 §2.2), ARC-Authentication-Results
//! (RFC 8617 §4.1.1: the same with an `i=N;` prefix) and Received-SPF
//! (RFC 7208 §9.1) parsed into results. mail-parser has no parser for these.
//!
//! Tolerant of what real servers write, and says what it could not read
//! instead of failing:
//! - comments anywhere (kept: the first comment after a result is its
//!   `comment`), quoted strings, folded lines, `ptype.property=value` pairs;
//! - Exchange Online's values without an authserv-id (`spf=pass … ;
//!   dkim=…`), its `action=` and `compauth=… reason=…`;
//! - Yahoo-style `key=value` words after the authserv-id;
//! - a missing `;` between two results (a new `method=result` starts one);
//! - a trailing `;`.

/// One `method=result` with what follows it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MethodResult {
    /// Lowercased (`dkim`, `spf`, `dmarc`, `arc`, `compauth`, …).
    pub method: String,
    /// The method's version (`method/version`, RFC 8601 §2.2); None when
    /// not given.
    pub method_version: Option<String>,
    /// Lowercased (`pass`, `fail`, `softfail`, `none`, …).
    pub result: String,
    /// The `reason=` value, as written.
    pub reason: Option<String>,
    /// The first comment after the result, without its parentheses.
    pub comment: Option<String>,
    /// (ptype, property, value): ptype and property lowercased; a `key=value`
    /// without a ptype (Exchange's `action=none`) has ptype "".
    pub properties: Vec<(String, String, String)>,
}

impl MethodResult {
    /// The value of `ptype.property`, if given.
    pub(crate) fn property(&self, ptype: &str, name: &str) -> Option<&str> {
        self.properties.iter().find(|(t, n, _)| t == ptype && n == name).map(|(_, _, v)| v.as_str())
    }
}

/// One parsed header.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthResults {
    /// None when the header starts with a result (Exchange Online).
    pub authserv_id: Option<String>,
    /// The version number after the authserv-id (RFC 8601 §2.2); None when
    /// not given.
    pub version: Option<String>,
    /// ARC instance (`i=`), for ARC-Authentication-Results.
    pub instance: Option<u32>,
    /// The header says `none`: no method was applied.
    pub none: bool,
    /// Every `method=result`, in header order.
    pub results: Vec<MethodResult>,
    /// Text that could not be read as part of a result.
    pub unparsed: Vec<String>,
}

/// A lexical piece of a header value.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Word(String),
    Comment(String),
    Semicolon,
}

/// Splits into words (quoted strings unquoted, `=` kept inside words),
/// comments and semicolons. Spaces around `=` and `.` are closed up
/// (`header.from = x` is one word), as CFWS is allowed there.
fn lex(s: &str) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    let flush = |cur: &mut String, out: &mut Vec<Piece>| {
        if !cur.is_empty() {
            out.push(Piece::Word(std::mem::take(cur)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '(' => {
                flush(&mut cur, &mut out);
                let mut depth = 1;
                let mut text = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                text.push(n);
                            }
                        }
                        '(' => {
                            depth += 1;
                            text.push(c);
                        }
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                            text.push(c);
                        }
                        _ => text.push(c),
                    }
                }
                out.push(Piece::Comment(text.trim().to_string()));
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                cur.push(n);
                            }
                        }
                        '"' => break,
                        _ => cur.push(c),
                    }
                }
                if cur.is_empty() {
                    // An empty quoted value still makes a word.
                    out.push(Piece::Word(String::new()));
                }
            }
            ';' => {
                flush(&mut cur, &mut out);
                out.push(Piece::Semicolon);
            }
            c if c.is_whitespace() => {
                // Close up CFWS around `=` and `.`: look ahead.
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                let next_joins = chars.peek().is_some_and(|&n| n == '=' || n == '.');
                let prev_joins = cur.ends_with('=') || cur.ends_with('.');
                if !(next_joins || prev_joins) || cur.is_empty() {
                    flush(&mut cur, &mut out);
                }
            }
            _ => cur.push(c),
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// Method names registered with IANA (RFC 8601 §6.7, RFC 8617, and the ones
/// big providers add), used to see a new result where a `;` is missing.
fn is_method(name: &str) -> bool {
    matches!(
        name,
        "auth" | "dkim" | "dkim-adsp" | "dkim-atps" | "dmarc" | "domainkeys" | "iprev" | "rrvs" | "sender-id" | "smime"
            | "spf" | "vbr" | "arc" | "bimi" | "compauth" | "dnswl" | "ptr" | "x-ptr" | "x-google-dkim" | "dara"
    ) || name.starts_with("x-")
}

/// Parses an Authentication-Results value.
pub fn parse_authentication_results(value: &str) -> AuthResults {
    parse_inner(value, false)
}

/// Parses an ARC-Authentication-Results value (`i=N; authserv-id; …`).
pub fn parse_arc_authentication_results(value: &str) -> AuthResults {
    parse_inner(value, true)
}

fn parse_inner(value: &str, arc: bool) -> AuthResults {
    let mut out = AuthResults::default();
    let pieces = lex(value);
    // Split at semicolons into statements.
    let mut statements: Vec<Vec<Piece>> = vec![Vec::new()];
    for p in pieces {
        if p == Piece::Semicolon {
            statements.push(Vec::new());
        } else if let Some(last) = statements.last_mut() {
            last.push(p);
        }
    }
    statements.retain(|s| !s.is_empty());
    let mut iter = statements.into_iter().peekable();
    if arc {
        if let Some(first) = iter.peek() {
            if let Some(Piece::Word(w)) = first.first() {
                if let Some(n) = w.strip_prefix("i=").and_then(|n| n.parse().ok()) {
                    out.instance = Some(n);
                    iter.next();
                }
            }
        }
    }
    // The authserv-id statement, unless the header starts with a result.
    if let Some(first) = iter.peek() {
        let first_word = first.iter().find_map(|p| match p {
            Piece::Word(w) => Some(w.clone()),
            _ => None,
        });
        let starts_with_result = first_word.as_deref().is_some_and(|w| {
            w.split_once('=').is_some_and(|(k, _)| is_method(&k.split('/').next().unwrap_or("").to_ascii_lowercase()))
        });
        if !starts_with_result {
            let first = iter.next().unwrap_or_default();
            let mut rest: Vec<Piece> = Vec::new();
            let mut seen_id = false;
            for p in first {
                match p {
                    Piece::Word(w) if !seen_id => {
                        out.authserv_id = Some(w.to_ascii_lowercase());
                        seen_id = true;
                    }
                    Piece::Word(w) if rest.is_empty() && out.version.is_none() && w.chars().all(|c| c.is_ascii_digit()) => {
                        out.version = Some(w);
                    }
                    Piece::Word(w) if rest.is_empty() && w.eq_ignore_ascii_case("none") => out.none = true,
                    // Comments between the id and its version are CFWS.
                    Piece::Comment(_) if rest.is_empty() => {}
                    other => rest.push(other),
                }
            }
            // Yahoo writes results in this statement too (`mx.x dkim=pass
            // header.d=a.org`): read what is left as one statement.
            if !rest.is_empty() {
                read_statement(&rest, &mut out);
            }
        }
    }
    for st in iter {
        read_statement(&st, &mut out);
    }
    out
}

/// One statement between semicolons: one or more `method=result` groups.
fn read_statement(pieces: &[Piece], out: &mut AuthResults) {
    let mut current: Option<MethodResult> = None;
    for p in pieces {
        match p {
            Piece::Comment(c) => {
                if let Some(r) = current.as_mut() {
                    if r.comment.is_none() && !c.is_empty() {
                        r.comment = Some(c.clone());
                    }
                }
            }
            Piece::Semicolon => {}
            Piece::Word(w) => {
                let Some((key, val)) = w.split_once('=') else {
                    if w.eq_ignore_ascii_case("none") && current.is_none() && out.results.is_empty() {
                        out.none = true;
                    } else {
                        out.unparsed.push(w.clone());
                    }
                    continue;
                };
                let key_lc = key.to_ascii_lowercase();
                let (method, version) = match key_lc.split_once('/') {
                    Some((m, v)) => (m.to_string(), Some(v.to_string())),
                    None => (key_lc.clone(), None),
                };
                let new_result = current.is_none() || (is_method(&method) && !key_lc.contains('.'));
                if new_result && !key_lc.contains('.') && key_lc != "reason" {
                    if let Some(r) = current.take() {
                        out.results.push(r);
                    }
                    current = Some(MethodResult {
                        method,
                        method_version: version,
                        result: val.to_ascii_lowercase(),
                        ..Default::default()
                    });
                    continue;
                }
                let Some(r) = current.as_mut() else {
                    out.unparsed.push(w.clone());
                    continue;
                };
                if key_lc == "reason" {
                    r.reason = Some(val.to_string());
                } else if let Some((ptype, prop)) = key_lc.split_once('.') {
                    r.properties.push((ptype.to_string(), prop.to_string(), val.to_string()));
                } else {
                    r.properties.push((String::new(), key_lc, val.to_string()));
                }
            }
        }
    }
    if let Some(r) = current {
        out.results.push(r);
    }
}

/// Received-SPF (RFC 7208 §9.1): `result (comment) key=value; key=value`.
/// The keys (client-ip, envelope-from, helo, identity, receiver, mechanism,
/// problem) become properties with ptype "".
pub(crate) fn parse_received_spf(value: &str) -> MethodResult {
    let pieces = lex(value);
    let mut r = MethodResult { method: "spf".into(), ..Default::default() };
    for p in pieces {
        match p {
            Piece::Word(w) if r.result.is_empty() && !w.contains('=') => r.result = w.to_ascii_lowercase(),
            Piece::Word(w) => {
                if let Some((k, v)) = w.split_once('=') {
                    r.properties.push((String::new(), k.to_ascii_lowercase(), v.to_string()));
                }
            }
            Piece::Comment(c) if r.comment.is_none() => r.comment = Some(c),
            _ => {}
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(r: &MethodResult) -> Vec<String> {
        r.properties.iter().map(|(t, n, v)| format!("{t}.{n}={v}")).collect()
    }

    #[test]
    fn rfc8601_examples() {
        let ar = parse_authentication_results(
            "mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=s1 header.b=\"abc+/=\";\r\n       spf=pass (google.com: domain of a@example.com designates 1.2.3.4 as permitted sender) smtp.mailfrom=a@example.com;\r\n       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com",
        );
        assert_eq!(ar.authserv_id.as_deref(), Some("mx.google.com"));
        assert_eq!(ar.results.len(), 3);
        assert_eq!(props(&ar.results[0]), ["header.i=@example.com", "header.s=s1", "header.b=abc+/="]);
        assert_eq!(ar.results[1].comment.as_deref(), Some("google.com: domain of a@example.com designates 1.2.3.4 as permitted sender"));
        assert_eq!(ar.results[2].property("header", "from"), Some("example.com"));

        let ar = parse_authentication_results("example.org 1; none");
        assert_eq!((ar.authserv_id.as_deref(), ar.version.as_deref(), ar.none), (Some("example.org"), Some("1"), true));
        let ar = parse_authentication_results("example.com; dkim/1=PASS REASON=\"good sig\" Header.D = Example.COM");
        assert_eq!(ar.results[0].method, "dkim");
        assert_eq!(ar.results[0].method_version.as_deref(), Some("1"));
        assert_eq!(ar.results[0].result, "pass");
        assert_eq!(ar.results[0].reason.as_deref(), Some("good sig"));
        assert_eq!(props(&ar.results[0]), ["header.d=Example.COM"]);
    }

    #[test]
    fn what_real_servers_write() {
        // Exchange Online: no authserv-id, action=, compauth reason=.
        let ar = parse_authentication_results("spf=none (sender IP is 93.188.155.251) smtp.mailfrom=X.se; dkim=none (message not signed) header.d=none;dmarc=fail action=none header.from=line.me;compauth=fail reason=001");
        assert_eq!(ar.authserv_id, None);
        let got: Vec<(&str, &str)> = ar.results.iter().map(|r| (r.method.as_str(), r.result.as_str())).collect();
        assert_eq!(got, [("spf", "none"), ("dkim", "none"), ("dmarc", "fail"), ("compauth", "fail")]);
        assert_eq!(props(&ar.results[2]), [".action=none", "header.from=line.me"]);
        assert_eq!(ar.results[3].reason.as_deref(), Some("001"));
        // A missing semicolon and a trailing one.
        let ar = parse_authentication_results("mx.example.net; spf=pass smtp.mailfrom=a.org dkim=fail header.d=a.org;");
        assert_eq!(ar.results.len(), 2);
        assert_eq!(ar.results[1].property("header", "d"), Some("a.org"));
        // ARC-Authentication-Results.
        let ar = parse_arc_authentication_results("i=2; mx.microsoft.com 1; spf=pass smtp.mailfrom=x.com; arc=pass (0 oda=1 ltdi=1 spf=[1,1,smtp.mailfrom=x.com])");
        assert_eq!(ar.instance, Some(2));
        assert_eq!(ar.authserv_id.as_deref(), Some("mx.microsoft.com"));
        assert_eq!(ar.results[1].method, "arc");
        assert!(ar.unparsed.is_empty(), "{:?}", ar.unparsed);
    }

    #[test]
    fn results_after_the_authserv_id() {
        let ar = parse_authentication_results("mta1.mail.yahoo.com from=a.org; domainkeys=neutral (no sig); from=a.org; dkim=pass header.d=a.org");
        assert_eq!(ar.authserv_id.as_deref(), Some("mta1.mail.yahoo.com"));
        let ar = parse_authentication_results("mx.x dkim=pass header.d=a.org; spf=pass smtp.mailfrom=a.org");
        assert_eq!(ar.results[0].property("header", "d"), Some("a.org"));
        assert_eq!(ar.results.len(), 2);
    }

    #[test]
    fn received_spf() {
        let r = parse_received_spf("pass (mx.example.org: domain of a@b.example designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1; envelope-from=\"a@b.example\"; helo=mail.b.example;");
        assert_eq!(r.result, "pass");
        assert_eq!(r.property("", "client-ip"), Some("192.0.2.1"));
        assert_eq!(r.property("", "envelope-from"), Some("a@b.example"));
        assert_eq!(r.property("", "helo"), Some("mail.b.example"));
        assert!(r.comment.unwrap().contains("designates"));
    }
}
