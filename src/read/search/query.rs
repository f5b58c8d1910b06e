//! The query language users type, turned into tantivy's: the notmuch/mu
//! style prefixes of [`super::fields`], date ranges, networks, lowercase
//! operators, and words with reserved characters read as phrases. Nothing
//! here touches an index.

use chrono::{DateTime as ChronoDateTime, NaiveDate, TimeZone, Utc};

use super::fields::{self, Match, SearchField};
use crate::error::{Error, Result};

/// A parser error in words a user can act on.
pub(super) fn query_error(e: &tantivy::query::QueryParserError, rewritten: &str) -> String {
    use tantivy::query::QueryParserError as E;
    match e {
        E::FieldDoesNotExist(f) => format!("no field {f:?}; fields are {}", fields::names().join(", ")),
        _ => format!("{e} (in: {rewritten}); put words with special characters in \"double quotes\""),
    }
}

/// Splits a query into words, keeping `"quoted phrases"` (with any prefix)
/// whole and peeling brackets off the ends of words.
fn lex(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    // `field:{a subquery}` is one word, whatever it holds.
    let mut braces = 0usize;
    for c in q.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                cur.push(c);
            }
            '\u{7b}' if !in_quotes && (braces > 0 || cur.ends_with(':')) => {
                braces += 1;
                cur.push(c);
            }
            '\u{7d}' if !in_quotes && braces > 0 => {
                braces -= 1;
                cur.push(c);
            }
            c if c.is_whitespace() && !in_quotes && braces == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Characters tantivy's query grammar reserves; inside a word they would
/// make a syntax error (`Bob's`, `[dev]`, `Re:`), so such a word is searched
/// as the phrase of its parts.
const RESERVED: &[char] = &['\'', '[', ']', '{', '}', '!', '^', '`', ':', '\\', '*', '+', '~', '<', '>'];

/// A free-text value as tantivy should see it: as is when it is a plain word
/// or a quoted phrase, else the phrase of its words.
fn text_value(v: &str) -> String {
    let quoted = v.len() >= 2 && v.starts_with('"') && v.ends_with('"');
    if quoted || !v.contains(RESERVED) {
        return v.to_string();
    }
    let words: String = v.chars().map(|c| if RESERVED.contains(&c) || c == '"' { ' ' } else { c }).collect();
    let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
    if words.is_empty() { String::new() } else { quote(&words) }
}

/// Turns the user's query language into tantivy's: field aliases and any
/// case (`From:`, `id:` → `message_id:`, `attachment:` → `attachment_names:`),
/// exact values quoted so `@`, `/` and `<>` survive, `date:` specs into
/// ranges, lowercase `and`/`or`/`not` as operators (as notmuch reads them),
/// and words with reserved characters (`Bob's`, `[dev]`, `https://x`) as
/// phrases instead of syntax errors.
#[cfg(test)]
pub(crate) fn rewrite_query(q: &str) -> Result<String> {
    rewrite_query_with(q, &|_, _| Ok(Vec::new()))
}

/// The [`Resolver`] "column" that asks for the messages in the threads of
/// a query's hits (`thread:{QUERY}`).
pub(crate) const THREADS_OF: &str = "{threads of}";

/// The [`Resolver`] name of `header:NAME:WORDS` (answered from the
/// `headers` table, [`super::headers`]).
pub(crate) const HEADER_FIELDS: &str = "{header fields}";

/// Subqueries within subqueries, at most (`thread:{thread:{…}}`).
const MAX_NESTING: usize = 4;

/// What a [`Match::Column`] field resolves to: the keys of the messages
/// whose column has the value.
pub(crate) type Resolver<'a> = &'a dyn Fn(&'static str, &str) -> Result<Vec<String>>;

/// [`rewrite_query`], with the tables at hand for [`Match::Column`] fields.
pub(crate) fn rewrite_query_with(q: &str, resolve: Resolver<'_>) -> Result<String> {
    let mut words = Vec::new();
    let lexed = lex(q);
    for (i, word) in lexed.iter().enumerate() {
        let upper = word.to_ascii_uppercase();
        if matches!(upper.as_str(), "AND" | "OR" | "NOT") {
            // tantivy reads `a AND NOT b` as `a AND (NOT b)`, which matches
            // nothing; `a NOT b` means what the user meant.
            if upper == "AND" && lexed.get(i + 1).is_some_and(|w| w.eq_ignore_ascii_case("NOT")) {
                continue;
            }
            words.push(upper);
            continue;
        }
        let open = word.chars().take_while(|&c| c == '(' || c == '-' || c == '+').count();
        let (lead, rest) = word.split_at(open);
        let close = rest.chars().rev().take_while(|&c| c == ')').count();
        let (body, trail) = rest.split_at(rest.len() - close);
        let field = body.split_once(':').and_then(|(p, v)| fields::field_for(p).map(|f| (f, v)));
        let rewritten = match field {
            // An empty value would match everything (`thread:$EMPTY`).
            Some((f, "")) => return Err(Error::Query(format!("{}: needs a value, such as {}", body.trim_end_matches(':'), f.example))),
            Some((f, value)) => field_query(f, value, resolve)?,
            None => text_value(body),
        };
        if !rewritten.is_empty() && rewritten != "\"\"" {
            words.push(format!("{lead}{rewritten}{trail}"));
        } else if !lead.is_empty() || !trail.is_empty() {
            // A lone `(` or `)` keeps the grouping.
            words.push(format!("{lead}{trail}"));
        }
    }
    Ok(words.join(" "))
}

/// One `field:value` in tantivy's syntax, as the field's [`Match`] says.
fn field_query(f: &SearchField, value: &str, resolve: Resolver<'_>) -> Result<String> {
    let raw = value.trim_matches('"');
    let value = match f.matching {
        Match::Header => {
            let (name, words) = raw.split_once(':').unwrap_or((raw, ""));
            // Fields the index holds apart: their own search field.
            let own = ["subject", "from", "to", "cc"].into_iter().find(|n| n.eq_ignore_ascii_case(name.trim()));
            if let (Some(own), false) = (own, words.trim().is_empty()) {
                let f = fields::field_for(own).expect("a search field");
                return field_query(f, words, resolve);
            }
            return Ok(key_set(&resolve(HEADER_FIELDS, raw)?));
        }
        Match::Column(column) => {
            let sub = match value.strip_prefix('{').filter(|_| column == "thread_id") {
                Some(v) => Some(subquery(v)?),
                None => None,
            };
            let keys = match sub {
                Some(q) => resolve(THREADS_OF, q)?,
                None => resolve(column, raw)?,
            };
            return Ok(key_set(&keys));
        }
        Match::Date => return date_range(raw),
        Match::Network => return ip_range(raw),
        Match::MessageId => quote(raw.trim_start_matches('<').trim_end_matches('>')),
        Match::Exact => quote(raw),
        Match::Lowercase => quote(&raw.to_ascii_lowercase()),
        Match::Words => text_value(value),
    };
    Ok(format!("{}:{value}", f.index_field))
}

/// The messages with these keys, in tantivy's syntax.
fn key_set(keys: &[String]) -> String {
    // A key is 16 hex digits: `-` matches no message.
    match keys.is_empty() {
        true => "msg_key:\"-\"".to_string(),
        false => format!("msg_key: IN [{}]", keys.join(" ")),
    }
}

/// The QUERY of `thread:{QUERY}` (given without its `{`): balanced, not
/// empty, not nested too deep.
fn subquery(v: &str) -> Result<&str> {
    let err = |why: &str| Err(Error::Query(format!("thread:{}{v}: {why}", '\u{7b}')));
    let Some(q) = v.strip_suffix('}') else { return err("no closing }") };
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in q.chars() {
        match c {
            '\u{7b}' => depth += 1,
            '\u{7d}' if depth == 0 => return err("a } closes nothing"),
            '\u{7d}' => depth -= 1,
            _ => {}
        }
        deepest = deepest.max(depth);
    }
    if depth > 0 {
        return err("no closing }");
    }
    if deepest > MAX_NESTING {
        return err(&format!("at most {MAX_NESTING} subqueries within one another"));
    }
    if q.trim().is_empty() {
        return err("an empty subquery; thread:{QUERY} needs a query");
    }
    Ok(q)
}

fn quote(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `origin:1.2.3.4`, `origin:203.0.113.0/24`, `origin:2001:db8::/32` → an
/// inclusive range over the origin_ip field (IPv4 as IPv4-mapped IPv6, which
/// is how tantivy stores it).
fn ip_range(spec: &str) -> Result<String> {
    let bad = || Error::Query(format!("origin:{spec}: expected an IP address or a CIDR network (203.0.113.0/24)"));
    let net: ipnet::IpNet = match spec.parse::<ipnet::IpNet>() {
        Ok(n) => n,
        Err(_) => spec.parse::<std::net::IpAddr>().map(ipnet::IpNet::from).map_err(|_| bad())?,
    };
    let v6 = |ip: std::net::IpAddr| match ip {
        std::net::IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        std::net::IpAddr::V6(v6) => v6,
    };
    Ok(format!("origin_ip:[{} TO {}]", v6(net.network()), v6(net.broadcast())))
}

/// `date:SPEC` → `date:[START TO END}`, both in UTC. SPEC is `A`, `A..B`,
/// `A..` or `..B`, each side a year, a month, a day or an RFC 3339 time; the
/// end side covers its whole period.
fn date_range(spec: &str) -> Result<String> {
    let (a, b) = match spec.split_once("..") {
        Some((a, b)) => (a, b),
        None => (spec, spec),
    };
    if a.is_empty() && b.is_empty() {
        return Err(Error::Query("date:.. needs a start or an end (date:2020.., date:..2020)".into()));
    }
    let start = if a.is_empty() { None } else { Some(period(a)?.0) };
    let end = if b.is_empty() { None } else { Some(period(b)?.1) };
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            return Err(Error::Query(format!("date:{spec}: the end is before the start")));
        }
    }
    let show = |t: Option<ChronoDateTime<Utc>>| t.map(fmt).unwrap_or_else(|| "*".into());
    Ok(format!("date:[{} TO {}}}", show(start), show(end)))
}

fn fmt(t: ChronoDateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The half-open period `[start, end)` a date spec names.
fn period(s: &str) -> Result<(ChronoDateTime<Utc>, ChronoDateTime<Utc>)> {
    let bad = || Error::Query(format!("date:{s}: expected YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDTHH:MM or an RFC 3339 time"));
    if let Ok(t) = ChronoDateTime::parse_from_rfc3339(s) {
        let t = t.with_timezone(&Utc);
        return Ok((t, t.checked_add_signed(chrono::Duration::seconds(1)).ok_or_else(bad)?));
    }
    // 2024-03-05T10:30 (UTC), the whole minute.
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M") {
        let t = t.and_utc();
        return Ok((t, t.checked_add_signed(chrono::Duration::minutes(1)).ok_or_else(bad)?));
    }
    let parts: Vec<&str> = s.split('-').collect();
    let num = |i: usize| parts.get(i).and_then(|p| p.parse::<u32>().ok()).ok_or_else(bad);
    let day = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad);
    let (start, end) = match parts.len() {
        1 => {
            let y = num(0)? as i32;
            (day(y, 1, 1)?, day(y + 1, 1, 1)?)
        }
        2 => {
            let (y, m) = (num(0)? as i32, num(1)?);
            let start = day(y, m, 1)?;
            let end = if m == 12 { day(y + 1, 1, 1)? } else { day(y, m + 1, 1)? };
            (start, end)
        }
        3 => {
            let d = day(num(0)? as i32, num(1)?, num(2)?)?;
            (d, d.succ_opt().ok_or_else(bad)?)
        }
        _ => return Err(bad()),
    };
    let at = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"));
    Ok((at(start), at(end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_prefixes_and_dates() {
        let cases = [
            ("from:alice subject:invoice", "from:alice subject:invoice"),
            ("id:<abc@x.org>", "message_id:\"abc@x.org\""),
            ("(attachment:inv OR mimetype:application/pdf)", "(attachment_names:inv OR mime_types:\"application/pdf\")"),
            ("date:2024", "date:[2024-01-01T00:00:00Z TO 2025-01-01T00:00:00Z}"),
            ("date:2024-12", "date:[2024-12-01T00:00:00Z TO 2025-01-01T00:00:00Z}"),
            ("date:2024-01-05..2024-02-29", "date:[2024-01-05T00:00:00Z TO 2024-03-01T00:00:00Z}"),
            ("date:..2001", "date:[* TO 2002-01-01T00:00:00Z}"),
            ("-folder:spam \"exact phrase\"", "-folder:\"spam\" \"exact phrase\""),
            ("subject:\"two words\"", "subject:\"two words\""),
            ("a AND NOT b", "a NOT b"),
            ("a and not b or c", "a NOT b OR c"),
            ("From:alice SUBJECT:x", "from:alice subject:x"),
            ("Bob's [dev] Re: https://x.org", "\"Bob s\" \"dev\" \"Re\" \"https //x.org\""),
            ("subject:[dev] subject:Re:", "subject:\"dev\" subject:\"Re\""),
            ("key:7D4F32D3B11D406A", "msg_key:\"7d4f32d3b11d406a\""),
            ("date:2024-03-05T10:30", "date:[2024-03-05T10:30:00Z TO 2024-03-05T10:31:00Z}"),
            ("x AND ( a OR b )", "x AND ( a OR b )"),
            ("origin:203.0.113.0/24", "origin_ip:[::ffff:203.0.113.0 TO ::ffff:203.0.113.255]"),
            ("dmarc:fail SPF:softfail", "dmarc_result:\"fail\" spf_result:\"softfail\""),
            ("origin_ip:8.8.8.8", "origin_ip:[::ffff:8.8.8.8 TO ::ffff:8.8.8.8]"),
        ];
        for bad in ["from:", "thread:", "thread:{}", "thread:{ }", "thread:{from:carl", "thread:{from:carl}}", "thread:{a} OR thread:{b"] {
            assert!(rewrite_query(bad).is_err(), "{bad}");
        }
        for (input, want) in cases {
            assert_eq!(rewrite_query(input).unwrap(), want, "{input}");
        }
        assert!(rewrite_query("date:yesterday").is_err());
        assert!(rewrite_query("date:2024-13").is_err());
        assert!(rewrite_query("date:..").is_err());
        assert!(rewrite_query("date:2024..2023").is_err());
    }
}
