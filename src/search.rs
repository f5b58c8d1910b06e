//! Searching the index: the query language users type (tantivy's, plus the
//! notmuch/mu-style prefixes and date ranges that [`rewrite_query`] turns into
//! it) and the hits, with stable field names for `--format json`.
//!
//! | user writes | means |
//! |---|---|
//! | `from:alice subject:invoice` | both words, in those fields (AND is the default) |
//! | `to:` `cc:` `body:` `subject:` `from:` | word in that field |
//! | `attachment:invoice` `mimetype:application/pdf` | attachment name word, exact MIME type |
//! | `folder:spam` `label:ham` `id:<abc@x>` `thread:ID` `key:KEY` | exact values |
//! | `date:2024` `date:2024-03` `date:2024-01-01..2024-06-30` `date:..2020` | date ranges (UTC, end inclusive) |
//! | `a OR b`, `a AND NOT b`, `-word`, `(…)`, `"a phrase"` | boolean operators and phrases |

use chrono::{DateTime as ChronoDateTime, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{QueryParser, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, Index, Order, Searcher, TantivyDocument, Term};

use crate::db::DbPaths;
use crate::error::{Error, Result};
use crate::model::{Location, SourceKind};
use crate::sink::index::{open_existing, IndexFields};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Newest first (notmuch's and mu's default).
    #[default]
    Date,
    /// Best match first.
    Relevance,
}

/// One search result. These names are the JSON Lines contract
/// (schemas/search_hit.json).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    pub msg_key: String,
    pub message_id: Option<String>,
    /// RFC 3339, UTC.
    pub date: Option<String>,
    pub from: Option<String>,
    pub to: Vec<String>,
    pub subject: Option<String>,
    pub folder: String,
    pub label: String,
    pub thread_id: String,
    pub source_path: String,
    pub source_offset: u64,
    pub source_length: u64,
    pub source_kind: String,
    /// The origin hop's IP (see `mailidx hops`).
    pub origin_ip: Option<String>,
    /// Relevance score; null when sorted by date.
    pub score: Option<f32>,
}

impl Hit {
    pub fn location(&self) -> Location {
        Location {
            path: self.source_path.clone(),
            offset: self.source_offset,
            length: self.source_length,
            folder: self.folder.clone(),
            kind: SourceKind::parse(&self.source_kind).unwrap_or(SourceKind::Eml),
            flags: String::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SearchResult {
    /// All documents that matched (not only those returned).
    pub total: usize,
    pub hits: Vec<Hit>,
}

/// An open index, ready for queries.
pub struct Searchable {
    db: DbPaths,
    index: Index,
    fields: IndexFields,
    searcher: Searcher,
}

impl Searchable {
    pub fn open(db: &DbPaths) -> Result<Self> {
        if !db.exists() {
            return Err(Error::NoDatabase(db.root.clone()));
        }
        let (index, fields) = open_existing(&db.index_dir())?;
        // A one-shot reader: no thread watching for new commits.
        let searcher = index.reader_builder().reload_policy(tantivy::ReloadPolicy::Manual).try_into()?.searcher();
        Ok(Searchable { db: db.clone(), index, fields, searcher })
    }

    /// How many messages match a query (nothing is read back).
    pub fn count(&self, query: &str) -> Result<usize> {
        let q = self.parse(query)?;
        Ok(self.searcher.search(&q, &Count)?)
    }

    fn parse(&self, query: &str) -> Result<Box<dyn tantivy::query::Query>> {
        let f = &self.fields;
        let mut parser = QueryParser::for_index(
            &self.index,
            vec![f.subject, f.from, f.to, f.cc, f.body, f.nested, f.attachment_names],
        );
        parser.set_conjunction_by_default();
        let rewritten = rewrite_query(query)?;
        if rewritten.trim().is_empty() {
            return Ok(Box::new(tantivy::query::AllQuery));
        }
        match parser.parse_query(&rewritten) {
            Ok(q) => Ok(q),
            // `-word` alone: everything but what matches.
            Err(tantivy::query::QueryParserError::AllButQueryForbidden) => {
                parser.parse_query(&format!("* {rewritten}")).map_err(|e| Error::Query(format!("{e} (in: {rewritten})")))
            }
            Err(e) => Err(Error::Query(query_error(&e, &rewritten))),
        }
    }

    /// Runs a user query.
    pub fn search(&self, query: &str, limit: usize, sort: SortOrder) -> Result<SearchResult> {
        let q = self.parse(query)?;
        let limit = limit.max(1);
        let (total, addrs): (usize, Vec<(Option<f32>, DocAddress)>) = match sort {
            SortOrder::Relevance => {
                let (top, n) = self.searcher.search(&q, &(TopDocs::with_limit(limit).order_by_score(), Count))?;
                (n, top.into_iter().map(|(s, a)| (Some(s), a)).collect())
            }
            SortOrder::Date => {
                let collector = TopDocs::with_limit(limit).order_by_fast_field::<tantivy::DateTime>("date", Order::Desc);
                let (top, n) = self.searcher.search(&q, &(collector, Count))?;
                (n, top.into_iter().map(|(_, a)| (None, a)).collect())
            }
        };
        let mut hits = addrs.into_iter().map(|(score, a)| self.hit(a, score)).collect::<Result<Vec<_>>>()?;
        // A listing needs the locations table only where the indexed file
        // is gone (a renamed or removed copy); `find` always consults it.
        if hits.iter().any(|h| !std::path::Path::new(&h.source_path).exists()) {
            self.current_locations(&mut hits)?;
        }
        Ok(SearchResult { total, hits })
    }

    /// Where each hit's message is now: the index keeps where it was first
    /// read, the `locations` table follows renames and removals. A hit keeps
    /// its indexed place when that copy is still there.
    fn current_locations(&self, hits: &mut [Hit]) -> Result<()> {
        let files = crate::sink::parquet::part_files(&self.db.tables_dir(), crate::sink::tables::LOCATIONS.table)?;
        if hits.is_empty() || files.is_empty() {
            return Ok(());
        }
        use polars::prelude::*;
        let err = |source| Error::Table { table: "locations".into(), source };
        let keys: Vec<String> = hits.iter().map(|h| h.msg_key.clone()).collect();
        let paths: Vec<PlRefPath> = files.iter().map(|p| PlRefPath::new(p.to_string_lossy().as_ref())).collect();
        let df = LazyFrame::scan_parquet_files(paths.into_iter().collect(), ScanArgsParquet::default())
            .map_err(err)?
            .filter(col("msg_key").is_in(lit(Series::new("keys".into(), keys)).implode(false), false))
            .select([col("msg_key"), col("path"), col("offset"), col("length"), col("kind")])
            .collect()
            .map_err(err)?;
        let s = |c: &str| df.column(c).and_then(|c| c.str().cloned()).map_err(err);
        let u = |c: &str| df.column(c).and_then(|c| c.u64().cloned()).map_err(err);
        let (k, p, o, l, kind) = (s("msg_key")?, s("path")?, u("offset")?, u("length")?, s("kind")?);
        for h in hits.iter_mut() {
            let rows: Vec<usize> = (0..df.height()).filter(|&i| k.get(i) == Some(h.msg_key.as_str())).collect();
            let still_there = rows.iter().any(|&i| p.get(i) == Some(h.source_path.as_str()) && o.get(i) == Some(h.source_offset));
            if let (false, Some(&i)) = (still_there, rows.first()) {
                h.source_path = p.get(i).unwrap_or_default().to_string();
                h.source_offset = o.get(i).unwrap_or(0);
                h.source_length = l.get(i).unwrap_or(0);
                h.source_kind = kind.get(i).unwrap_or_default().to_string();
            }
        }
        Ok(())
    }

    /// The message with this key (or, failing that, this Message-ID), and
    /// how many messages share that Message-ID (list copies, resends).
    pub fn find(&self, key: &str) -> Result<(Hit, usize)> {
        let f = &self.fields;
        let key_lc = key.trim().to_ascii_lowercase();
        let id = key.trim().trim_start_matches('<').trim_end_matches('>');
        for (field, value) in [(f.msg_key, key_lc.as_str()), (f.message_id, id)] {
            let q = TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic);
            let (top, n) = self.searcher.search(&q, &(TopDocs::with_limit(1).order_by_score(), Count))?;
            if let Some((_, addr)) = top.first() {
                let mut hit = [self.hit(*addr, None)?];
                self.current_locations(&mut hit)?;
                let [hit] = hit;
                return Ok((hit, n));
            }
        }
        Err(Error::UnknownKey(key.to_string()))
    }

    fn hit(&self, addr: DocAddress, score: Option<f32>) -> Result<Hit> {
        let doc: TantivyDocument = self.searcher.doc(addr)?;
        let f = &self.fields;
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).map(str::to_string);
        let u64v = |field| doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0);
        let date = doc
            .get_first(f.date)
            .and_then(|v| v.as_datetime())
            .and_then(|d| Utc.timestamp_opt(d.into_timestamp_secs(), 0).single())
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        Ok(Hit {
            msg_key: text(f.msg_key).unwrap_or_default(),
            message_id: text(f.message_id),
            date,
            from: text(f.from),
            to: doc.get_all(f.to).filter_map(|v| v.as_str()).filter(|s| s.contains('@')).map(str::to_string).collect(),
            subject: text(f.subject),
            folder: text(f.folder).unwrap_or_default(),
            label: text(f.label).unwrap_or_default(),
            thread_id: text(f.thread_id).unwrap_or_default(),
            source_path: text(f.source_path).unwrap_or_default(),
            source_offset: u64v(f.source_offset),
            source_length: u64v(f.source_length),
            source_kind: text(f.source_kind).unwrap_or_default(),
            origin_ip: doc.get_first(f.origin_ip).and_then(|v| v.as_ip_addr()).map(|v6| {
                v6.to_ipv4_mapped().map(|v4| v4.to_string()).unwrap_or_else(|| v6.to_string())
            }),
            score,
        })
    }
}

/// A parser error in words a user can act on.
fn query_error(e: &tantivy::query::QueryParserError, rewritten: &str) -> String {
    use tantivy::query::QueryParserError as E;
    match e {
        E::FieldDoesNotExist(f) => format!(
            "no field {f:?}; fields are from, to, cc, subject, body, attachment, mimetype, folder, label, id, thread, key, date"
        ),
        _ => format!("{e} (in: {rewritten}); put words with special characters in \"double quotes\""),
    }
}

/// Splits a query into words, keeping `"quoted phrases"` (with any prefix)
/// whole and peeling brackets off the ends of words.
fn lex(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    for c in q.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                cur.push(c);
            }
            c if c.is_whitespace() && !in_quotes => {
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

/// Fields a user may name, and the index field each means.
fn field_for(prefix: &str) -> Option<&'static str> {
    Some(match prefix.to_ascii_lowercase().as_str() {
        "from" => "from",
        "to" => "to",
        "cc" => "cc",
        "subject" => "subject",
        "body" => "body",
        "nested" | "forwarded" => "nested",
        "id" | "message_id" | "mid" => "message_id",
        "attachment" | "attachments" | "attachment_names" => "attachment_names",
        "mimetype" | "mime" | "mime_types" => "mime_types",
        "folder" => "folder",
        "label" | "tag" => "label",
        "thread" | "thread_id" => "thread_id",
        "key" | "msg_key" => "msg_key",
        "date" => "date",
        "origin" | "origin_ip" => "origin_ip",
        "spf" | "spf_result" => "spf_result",
        "dkim" | "dkim_result" => "dkim_result",
        "dmarc" | "dmarc_result" => "dmarc_result",
        "arc" | "arc_result" => "arc_result",
        "dmarc_computed" | "computed" => "dmarc_computed",
        _ => return None,
    })
}

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
pub fn rewrite_query(q: &str) -> Result<String> {
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
        let field = body.split_once(':').and_then(|(p, v)| field_for(p).map(|f| (f, v)));
        let rewritten = match field {
            Some((_, "")) => String::new(),
            Some(("date", value)) => date_range(value.trim_matches('"'))?,
            Some(("origin_ip", value)) => ip_range(value.trim_matches('"'))?,
            Some((field, value)) => {
                let raw = value.trim_matches('"');
                let value = match field {
                    "message_id" => quote(raw.trim_start_matches('<').trim_end_matches('>')),
                    "mime_types" | "folder" | "label" | "spf_result" | "dkim_result" | "dmarc_result" | "arc_result"
                    | "dmarc_computed" => quote(raw),
                    "thread_id" | "msg_key" => quote(&raw.to_ascii_lowercase()),
                    _ => text_value(value),
                };
                format!("{field}:{value}")
            }
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
            ("from:", ""),
            ("x AND ( a OR b )", "x AND ( a OR b )"),
            ("origin:203.0.113.0/24", "origin_ip:[::ffff:203.0.113.0 TO ::ffff:203.0.113.255]"),
            ("dmarc:fail SPF:softfail", "dmarc_result:\"fail\" spf_result:\"softfail\""),
            ("origin_ip:8.8.8.8", "origin_ip:[::ffff:8.8.8.8 TO ::ffff:8.8.8.8]"),
        ];
        for (input, want) in cases {
            assert_eq!(rewrite_query(input).unwrap(), want, "{input}");
        }
        assert!(rewrite_query("date:yesterday").is_err());
        assert!(rewrite_query("date:2024-13").is_err());
        assert!(rewrite_query("date:..").is_err());
        assert!(rewrite_query("date:2024..2023").is_err());
    }
}
