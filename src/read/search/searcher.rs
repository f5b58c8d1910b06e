//! Running a query against the index and reading the hits back, with where each
//! message lies now.

use super::query;
use chrono::{TimeZone, Utc};
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{QueryParser, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, Index, Order, Searcher, TantivyDocument, Term};

use crate::store::DbPaths;
use crate::error::{Error, Result};
use crate::model::{Location, SourceKind};
use crate::store::index::{open_existing, IndexFields};

/// How search hits are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Newest first (notmuch's and mu's default).
    #[default]
    Date,
    /// Best match first.
    Relevance,
}

/// One search result. These names are the JSON Lines contract of
/// `mailidx search --format json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    /// The message's key (`messages.msg_key`).
    pub msg_key: String,
    /// Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// RFC 3339, UTC.
    pub date: Option<String>,
    /// First From address, as `Name <addr>` when it has a display name.
    pub from: Option<String>,
    /// To addresses.
    pub to: Vec<String>,
    /// Subject, RFC 2047 decoded.
    pub subject: Option<String>,
    /// Mail folder relative to the ingested path.
    pub folder: String,
    /// spam, ham or unknown.
    pub label: String,
    /// The message's thread (`messages.thread_id`).
    pub thread_id: String,
    /// Absolute path of the file holding the message; another copy's (from
    /// `locations`) when the indexed one is gone.
    pub source_path: String,
    /// Byte offset of the message in that file (decompressed stream for
    /// .gz/.zst).
    pub source_offset: u64,
    /// Length in bytes of the message as stored.
    pub source_length: u64,
    /// maildir, mbox, mbox.gz, mbox.zst or eml.
    pub source_kind: String,
    /// The origin hop's IP (see `mailidx hops`).
    pub origin_ip: Option<String>,
    /// Relevance score; null when sorted by date.
    pub score: Option<f32>,
}

impl Hit {
    pub(crate) fn location(&self) -> Location {
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

/// What a search returns: how many matched, and the hits asked for.
#[derive(Debug, Clone)]
pub struct SearchResult {
    /// All documents that matched (not only those returned).
    pub total: usize,
    /// At most `limit` hits, in the order asked for.
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
    /// Opens the database's index for searching; [`Error::NoDatabase`] when
    /// there is none.
    pub fn open(db: &DbPaths) -> Result<Self> {
        if !db.exists() {
            return Err(Error::NoDatabase(db.root.clone()));
        }
        // An older mailidx's index numbers its fields otherwise.
        crate::store::parquet::check_layout(&db.tables_dir(), &db.root)?;
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
        let tables = self.db.tables_dir();
        let resolve = |column: &'static str, value: &str| match column {
            query::THREADS_OF => crate::read::threads::thread_members(&tables, &self.matching_keys(value)?),
            query::HEADER_FIELDS => super::headers::keys_with_header(&tables, value),
            _ => crate::store::derived::keys_where(&tables, column, value),
        };
        let rewritten = query::rewrite_query_with(query, &resolve)?;
        if rewritten.trim().is_empty() {
            return Ok(Box::new(tantivy::query::AllQuery));
        }
        match parser.parse_query(&rewritten) {
            Ok(q) => Ok(q),
            // `-word` alone: everything but what matches.
            Err(tantivy::query::QueryParserError::AllButQueryForbidden) => {
                parser.parse_query(&format!("* {rewritten}")).map_err(|e| Error::Query(format!("{e} (in: {rewritten})")))
            }
            Err(e) => Err(Error::Query(query::query_error(&e, &rewritten))),
        }
    }

    /// The keys of every message a query matches, in no order.
    pub fn matching_keys(&self, query: &str) -> Result<Vec<String>> {
        let q = self.parse(query)?;
        let docs = self.searcher.search(&q, &tantivy::collector::DocSetCollector)?;
        let mut keys = Vec::with_capacity(docs.len());
        for a in docs {
            let doc: TantivyDocument = self.searcher.doc(a)?;
            keys.extend(doc.get_first(self.fields.msg_key).and_then(|v| v.as_str()).map(str::to_string));
        }
        Ok(keys)
    }

    /// Runs a user query.
    pub fn search(&self, query: &str, limit: usize, sort: SortOrder) -> Result<SearchResult> {
        let q = self.parse(query)?;
        let total = self.searcher.search(&q, &Count)?;
        let mut hits = self.top(&*q, limit.max(1), sort)?;
        // A listing needs the locations table only where the indexed file
        // is gone (a renamed or removed copy); `find` always consults it.
        if hits.iter().any(|h| !crate::model::text_path(&h.source_path).exists()) {
            self.current_locations(&mut hits)?;
        }
        self.thread_ids(&mut hits)?;
        Ok(SearchResult { total, hits })
    }

    /// The first `limit` hits in a total order: newest first (or best score
    /// first, then newest), then by key. Documents that tie at the cut are
    /// all fetched before the cut is made, so that two indexes holding the
    /// same messages in other segments (another ingest history, a Spark
    /// job's merge) list the same hits in the same order.
    fn top(&self, q: &dyn tantivy::query::Query, limit: usize, sort: SortOrder) -> Result<Vec<Hit>> {
        // One more than asked: whether the last one asked for ties with the next.
        let mut n = limit.saturating_add(1);
        loop {
            let got: Vec<(i64, Option<f32>, DocAddress)> = match sort {
                SortOrder::Relevance => {
                    let stats = super::stats::LiveStatistics::new(&self.searcher);
                    // Every match scored in full (no block-max pruning,
                    // which sums a document's field scores in an order that
                    // depends on the segments, moving the last bit).
                    let every = TopDocs::with_limit(n).tweak_score(|_: &tantivy::SegmentReader| |_: tantivy::DocId, s: tantivy::Score| s);
                    let top = self.searcher.search_with_statistics_provider(q, &every, &stats)?;
                    top.into_iter().map(|(s, a)| (i64::from(s.to_bits()), Some(s), a)).collect()
                }
                SortOrder::Date => {
                    let collector = TopDocs::with_limit(n).order_by_fast_field::<tantivy::DateTime>("date", Order::Desc);
                    let top = self.searcher.search(q, &collector)?;
                    top.into_iter().map(|(d, a)| (d.map_or(i64::MIN, |d| d.into_timestamp_secs()), None, a)).collect()
                }
            };
            if got.len() < n || got[n - 1].0 != got[limit - 1].0 {
                let mut hits = got.into_iter().map(|(_, score, a)| self.hit(a, score)).collect::<Result<Vec<_>>>()?;
                // Scores compare as numbers (all are finite and not negative).
                let rank = |h: &Hit| (std::cmp::Reverse(h.score.map(f32::to_bits)), std::cmp::Reverse(h.date.clone()), h.msg_key.clone());
                hits.sort_by_cached_key(rank);
                hits.truncate(limit);
                return Ok(hits);
            }
            n = n.saturating_mul(2);
        }
    }

    /// Each hit's thread, from `messages` (the index holds none).
    fn thread_ids(&self, hits: &mut [Hit]) -> Result<()> {
        let keys: Vec<String> = hits.iter().map(|h| h.msg_key.clone()).collect();
        let mut threads = crate::read::threads::thread_ids(&self.db.tables_dir(), &keys)?;
        for h in hits.iter_mut() {
            h.thread_id = threads.remove(&h.msg_key).unwrap_or_default();
        }
        Ok(())
    }

    /// Where each hit's message is now: the index keeps where it was first
    /// read, the `locations` table follows renames and removals. A hit keeps
    /// its indexed place when that copy is still there.
    fn current_locations(&self, hits: &mut [Hit]) -> Result<()> {
        let files = crate::store::parquet::part_files(&self.db.tables_dir(), crate::store::tables::LOCATIONS.table)?;
        if hits.is_empty() || files.is_empty() {
            return Ok(());
        }
        use polars::prelude::*;
        let err = Error::table("locations");
        let keys: Vec<String> = hits.iter().map(|h| h.msg_key.clone()).collect();
        let paths: Vec<PlRefPath> = files.iter().map(|p| PlRefPath::new(p.to_string_lossy().as_ref())).collect();
        let df = LazyFrame::scan_parquet_files(paths.into_iter().collect(), ScanArgsParquet::default())
            .map_err(&err)?
            .filter(col("msg_key").is_in(lit(Series::new("keys".into(), keys)).implode(false), false))
            .select([col("msg_key"), col("path"), col("offset"), col("length"), col("kind")])
            .collect()
            .map_err(&err)?;
        let s = |c: &str| crate::store::parquet::str_col(&df, "locations", c);
        let u = |c: &str| crate::store::parquet::u64_col(&df, "locations", c);
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
    pub(crate) fn find(&self, key: &str) -> Result<(Hit, usize)> {
        let f = &self.fields;
        let key_lc = key.trim().to_ascii_lowercase();
        let id = key.trim().trim_start_matches('<').trim_end_matches('>');
        for (field, value) in [(f.msg_key, key_lc.as_str()), (f.message_id, id)] {
            let q = TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic);
            let (top, n) = self.searcher.search(&q, &(TopDocs::with_limit(1).order_by_score(), Count))?;
            if let Some((_, addr)) = top.first() {
                let mut hit = [self.hit(*addr, None)?];
                self.current_locations(&mut hit)?;
                self.thread_ids(&mut hit)?;
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
            // Filled from `messages` (threads change without the index).
            thread_id: String::new(),
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
