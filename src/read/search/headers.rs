//! `header:NAME:WORDS`, answered from the `headers` table rather than the
//! index: the messages with a field NAME (any case) whose values, taken
//! together, hold every word. Words are read as the field's own words
//! are ([`header_terms`]: lowercase, split at anything that is not a
//! letter or digit, numbers alone and words over 40 bytes left out, the
//! first 64 of a field), and only presence counts for the opaque fields
//! (signatures, hashes). The index holds no header terms: they were about
//! a sixth of an ingest's CPU time (docs/benchmarks.md), for a query that
//! a scan of one column answers.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::parse::headers::header_terms;
use crate::store::parquet::{part_files, str_col};
use crate::store::tables::HEADERS;

/// The keys of the messages that `header:NAME:WORDS` matches (`spec` is
/// `NAME:WORDS`, or `NAME` alone for the field's presence).
pub(crate) fn keys_with_header(tables_dir: &Path, spec: &str) -> Result<Vec<String>> {
    let (name, words) = spec.split_once(':').unwrap_or((spec, ""));
    let wanted = terms(name, words);
    let Some((field, words)) = wanted.split_first() else { return Ok(Vec::new()) };
    let name = field.trim_end_matches(':').to_string();
    // At most 64 words, one bit each.
    let words = &words[..words.len().min(64)];
    let full: u64 = if words.is_empty() { 0 } else { u64::MAX >> (64 - words.len()) };
    let table = HEADERS.table;
    let files = part_files(tables_dir, table)?;
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let paths: Vec<PlRefPath> = files.iter().map(|p| PlRefPath::new(p.to_string_lossy().as_ref())).collect();
    let df = LazyFrame::scan_parquet_files(paths.into_iter().collect(), ScanArgsParquet::default())
        .map_err(Error::table(table))?
        .filter(col("name").eq(lit(name.clone())))
        .select([col("msg_key"), col("value")])
        .collect()
        .map_err(Error::table(table))?;
    let (keys, values) = (str_col(&df, table, "msg_key")?, str_col(&df, table, "value")?);
    let mut found: HashMap<&str, u64> = HashMap::new();
    for (key, value) in keys.iter().zip(values.iter()) {
        let Some(key) = key else { continue };
        let have = found.entry(key).or_insert(0);
        if *have == full {
            continue;
        }
        let mine = terms(&name, value.unwrap_or_default());
        for (bit, w) in words.iter().enumerate() {
            if mine.contains(w) {
                *have |= 1 << bit;
            }
        }
    }
    Ok(found.into_iter().filter(|(_, have)| *have == full).map(|(k, _)| k.to_string()).collect())
}

/// A field's terms as [`header_terms`] writes them: `name:` first.
fn terms(name: &str, value: &str) -> Vec<String> {
    let mut joined = String::new();
    header_terms(name, value, &mut joined);
    joined.split_whitespace().map(str::to_string).collect()
}
