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
        let searcher = index.reader()?.searcher();
        Ok(Searchable { index, fields, searcher })
    }

    /// Runs a user query.
    pub fn search(&self, query: &str, limit: usize, sort: SortOrder) -> Result<SearchResult> {
        let f = &self.fields;
        let mut parser = QueryParser::for_index(
            &self.index,
            vec![f.subject, f.from, f.to, f.cc, f.body, f.attachment_names],
        );
        parser.set_conjunction_by_default();
        let rewritten = rewrite_query(query)?;
        let q = if rewritten.trim().is_empty() {
            Box::new(tantivy::query::AllQuery)
        } else {
            parser.parse_query(&rewritten).map_err(|e| Error::Query(format!("{e} (in: {rewritten})")))?
        };
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
        let hits = addrs.into_iter().map(|(score, a)| self.hit(a, score)).collect::<Result<Vec<_>>>()?;
        Ok(SearchResult { total, hits })
    }

    /// The message with this key (or, failing that, this Message-ID).
    pub fn find(&self, key: &str) -> Result<Hit> {
        let f = &self.fields;
        let id = key.trim().trim_start_matches('<').trim_end_matches('>');
        for (field, value) in [(f.msg_key, key.trim()), (f.message_id, id)] {
            let q = TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic);
            let top = self.searcher.search(&q, &TopDocs::with_limit(1).order_by_score())?;
            if let Some((_, addr)) = top.first() {
                return self.hit(*addr, None);
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
            score,
        })
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

/// Turns the user's query language into tantivy's: field aliases
/// (`id:` → `message_id:`, `attachment:` → `attachment_names:`, …), exact
/// values quoted so `@`, `/` and `<>` survive, and `date:` specs into ranges.
pub fn rewrite_query(q: &str) -> Result<String> {
    let mut words = Vec::new();
    let lexed = lex(q);
    for (i, word) in lexed.iter().enumerate() {
        // tantivy reads `a AND NOT b` as `a AND (NOT b)`, which matches
        // nothing; `a NOT b` means what the user meant.
        if word == "AND" && lexed.get(i + 1).is_some_and(|w| w == "NOT") {
            continue;
        }
        let open = word.chars().take_while(|&c| c == '(' || c == '-' || c == '+').count();
        let (lead, rest) = word.split_at(open);
        let close = rest.chars().rev().take_while(|&c| c == ')').count();
        let (body, trail) = rest.split_at(rest.len() - close);
        let rewritten = match body.split_once(':') {
            Some((prefix, value)) if !value.is_empty() && !value.starts_with('[') && !value.starts_with('{') => {
                let value_unquoted = value.trim_matches('"');
                match prefix.to_ascii_lowercase().as_str() {
                    "id" | "message_id" | "mid" => {
                        let v = value_unquoted.trim_start_matches('<').trim_end_matches('>');
                        format!("message_id:{}", quote(v))
                    }
                    "attachment" | "attachment_names" => format!("attachment_names:{value}"),
                    "mimetype" | "mime" | "mime_types" => format!("mime_types:{}", quote(value_unquoted)),
                    "folder" => format!("folder:{}", quote(value_unquoted)),
                    "label" | "tag" => format!("label:{}", quote(value_unquoted)),
                    "thread" | "thread_id" => format!("thread_id:{}", quote(value_unquoted)),
                    "key" | "msg_key" => format!("msg_key:{}", quote(value_unquoted)),
                    "date" => date_range(value_unquoted)?,
                    _ => body.to_string(),
                }
            }
            _ => body.to_string(),
        };
        words.push(format!("{lead}{rewritten}{trail}"));
    }
    Ok(words.join(" "))
}

fn quote(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `date:SPEC` → `date:[START TO END}`, both in UTC. SPEC is `A`, `A..B`,
/// `A..` or `..B`, each side a year, a month, a day or an RFC 3339 time; the
/// end side covers its whole period.
fn date_range(spec: &str) -> Result<String> {
    let (a, b) = match spec.split_once("..") {
        Some((a, b)) => (a, b),
        None => (spec, spec),
    };
    let start = if a.is_empty() { "*".to_string() } else { fmt(period(a)?.0) };
    let end = if b.is_empty() { "*".to_string() } else { fmt(period(b)?.1) };
    Ok(format!("date:[{start} TO {end}}}"))
}

fn fmt(t: ChronoDateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The half-open period `[start, end)` a date spec names.
fn period(s: &str) -> Result<(ChronoDateTime<Utc>, ChronoDateTime<Utc>)> {
    let bad = || Error::Query(format!("date:{s}: expected YYYY, YYYY-MM, YYYY-MM-DD or an RFC 3339 time"));
    if let Ok(t) = ChronoDateTime::parse_from_rfc3339(s) {
        let t = t.with_timezone(&Utc);
        return Ok((t, t + chrono::Duration::seconds(1)));
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
        ];
        for (input, want) in cases {
            assert_eq!(rewrite_query(input).unwrap(), want, "{input}");
        }
        assert!(rewrite_query("date:yesterday").is_err());
        assert!(rewrite_query("date:2024-13").is_err());
    }
}
