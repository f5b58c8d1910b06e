//! `mailidx status`: what a database holds, read from the index and the
//! Parquet files: footers for row counts, and only the `folder` and `label`
//! columns, one part file at a time, for the per-folder counts (so memory
//! stays bounded by one part whatever the database's size).

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;
use serde::Serialize;

use crate::db::DbPaths;
use crate::error::{Error, Result};
use crate::sink::index::open_existing;
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
    /// Messages per folder and per label (from the messages table).
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
    let (index, _) = open_existing(&db.index_dir())?;
    let searcher = index.reader()?.searcher();
    let mut folders = BTreeMap::new();
    let mut labels = BTreeMap::new();
    for p in part_files(&db.tables_dir(), tables::MESSAGES.table)? {
        let f = std::fs::File::open(&p).map_err(|e| Error::io(&p, e))?;
        let table_err = |source| Error::Table { table: tables::MESSAGES.table.into(), source };
        let df = ParquetReader::new(f).with_columns(Some(vec!["folder".into(), "label".into()])).finish().map_err(table_err)?;
        for (name, counts) in [("folder", &mut folders), ("label", &mut labels)] {
            let col = df.column(name).and_then(|c| c.str().cloned()).map_err(table_err)?;
            for v in (0..col.len()).filter_map(|i| col.get(i)) {
                *counts.entry(v.to_string()).or_insert(0u64) += 1;
            }
        }
    }
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
        folders,
        labels,
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
