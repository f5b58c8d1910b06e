//! `mailidx status`: what a database holds, read from the index's term
//! dictionaries and the Parquet files' footers, so it costs the same on a
//! database of any size (only the small `errors` table is read whole).

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;
use serde::Serialize;

use crate::db::DbPaths;
use crate::error::{Error, Result};
use crate::sink::index::{open_existing, IndexFields};
use crate::sink::parquet::{part_files, read_table};
use crate::sink::tables;

#[derive(Debug, Clone, Serialize)]
pub struct TableStatus {
    pub table: String,
    pub rows: u64,
    pub files: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub db: String,
    /// Messages in the index.
    pub messages: u64,
    /// Messages per folder and per label (from the index).
    pub folders: BTreeMap<String, u64>,
    pub labels: BTreeMap<String, u64>,
    /// Problems recorded by ingests, by kind (io, malformed, not_mail).
    pub errors: BTreeMap<String, u64>,
    pub tables: Vec<TableStatus>,
    pub index_bytes: u64,
}

pub fn status(db: &DbPaths) -> Result<Status> {
    if !db.exists() {
        return Err(Error::NoDatabase(db.root.clone()));
    }
    let (index, fields) = open_existing(&db.index_dir())?;
    let searcher = index.reader()?.searcher();
    let terms = |field| -> Result<BTreeMap<String, u64>> {
        let mut out = BTreeMap::new();
        for seg in searcher.segment_readers() {
            let inv = seg.inverted_index(field)?;
            let mut s = inv.terms().stream().map_err(|e| Error::Other(format!("reading index: {e}")))?;
            while s.advance() {
                *out.entry(String::from_utf8_lossy(s.key()).into_owned()).or_default() += s.value().doc_freq as u64;
            }
        }
        Ok(out)
    };
    let IndexFields { folder, label, .. } = fields;
    let mut tables_out = Vec::new();
    for spec in tables::ALL {
        let mut t = TableStatus { table: spec.table.into(), rows: 0, files: 0, bytes: 0 };
        for p in part_files(&db.tables_dir(), spec.table)? {
            let f = std::fs::File::open(&p).map_err(|e| Error::io(&p, e))?;
            t.bytes += f.metadata().map(|m| m.len()).unwrap_or(0);
            t.rows += ParquetReader::new(f)
                .num_rows()
                .map_err(|source| Error::Table { table: spec.table.into(), source })? as u64;
            t.files += 1;
        }
        tables_out.push(t);
    }
    let mut errors = BTreeMap::new();
    if tables_out.iter().any(|t| t.table == tables::ERRORS.table && t.rows > 0) {
        let df = read_table(&db.tables_dir(), tables::ERRORS.table)?;
        let kinds = df.column("error_kind").and_then(|c| c.str().cloned()).map_err(|source| Error::Table {
            table: "errors".into(),
            source,
        })?;
        for k in (0..kinds.len()).filter_map(|i| kinds.get(i)) {
            *errors.entry(k.to_string()).or_default() += 1;
        }
    }
    Ok(Status {
        db: db.root.display().to_string(),
        messages: searcher.num_docs(),
        folders: terms(folder)?,
        labels: terms(label)?,
        errors,
        tables: tables_out,
        index_bytes: dir_size(&db.index_dir()),
    })
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum())
        .unwrap_or(0)
}
