//! Reads a table stored as a folder of Parquet part files
//! (`tables/NAME/*.parquet`, one file per batch, written by
//! [`crate::store::generations`]), which polars, DuckDB or Spark read as one dataset.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, Result};

/// Refuses a database whose tables an older mailidx wrote (a column this
/// version reads is missing), with what to do, before anything reads or
/// appends to them. Reads one part footer per table.
pub(crate) fn check_layout(tables_dir: &Path, root: &Path) -> Result<()> {
    for spec in crate::store::tables::ALL {
        let Some(first) = part_files(tables_dir, spec.table)?.into_iter().next() else { continue };
        let f = File::open(&first).map_err(|e| Error::io(&first, e))?;
        let schema = ParquetReader::new(f).schema().map_err(Error::table(spec.table))?;
        let missing: Vec<&str> = spec.columns.iter().map(|c| c.name).filter(|n| schema.get(*n).is_none()).collect();
        if let Some(first_missing) = missing.first() {
            return Err(Error::Other(format!(
                "{} was written by an older mailidx: its table {} has no column {first_missing}{}. This version cannot read or add to it; ingest into a new database (--db NEWDIR), or remove {} and ingest again",
                root.display(),
                spec.table,
                match missing.len() {
                    1 => String::new(),
                    n => format!(" (and {} more)", n - 1),
                },
                root.display()
            )));
        }
    }
    Ok(())
}

/// Reads every part of a table into one DataFrame (for tests and small
/// tables; notebooks use `scan_parquet` on the folder).
pub fn read_table(tables_dir: &Path, table: &str) -> Result<DataFrame> {
    read_parts(&part_files(tables_dir, table)?, table, None)?
        .ok_or_else(|| Error::Other(format!("table {table} has no parts in {}", tables_dir.join(table).display())))
}

/// Reads and stacks part files (all columns, or the ones named); None when
/// there are none.
pub(crate) fn read_parts(files: &[PathBuf], table: &str, columns: Option<&[&str]>) -> Result<Option<DataFrame>> {
    let mut out: Option<DataFrame> = None;
    for p in files {
        let f = File::open(p).map_err(|e| Error::io(p, e))?;
        let mut reader = ParquetReader::new(f);
        if let Some(cols) = columns {
            reader = reader.with_columns(Some(cols.iter().map(|c| c.to_string()).collect()));
        }
        let err = |source| Error::Table { table: table.to_string(), source };
        let df = reader.finish().map_err(err)?;
        out = Some(match out {
            None => df,
            Some(mut acc) => {
                acc.vstack_mut(&df).map_err(err)?;
                acc
            }
        });
    }
    Ok(out)
}

/// The finished part files of a table, in write order.
pub(crate) fn part_files(tables_dir: &Path, table: &str) -> Result<Vec<PathBuf>> {
    let dir = tables_dir.join(table);
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut parts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| Error::io(&dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet") && !is_tmp(p))
        .collect();
    parts.sort();
    Ok(parts)
}

fn is_tmp(p: &Path) -> bool {
    p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// A string column of a table's frame; a missing column or another type is
/// an error naming the table.
pub(crate) fn str_col(df: &DataFrame, table: &str, name: &str) -> Result<StringChunked> {
    df.column(name).and_then(|c| c.str().cloned()).map_err(Error::table(table))
}

/// A u64 column of a table's frame.
pub(crate) fn u64_col(df: &DataFrame, table: &str, name: &str) -> Result<UInt64Chunked> {
    df.column(name).and_then(|c| c.u64().cloned()).map_err(Error::table(table))
}

/// Every value of a string column, owned.
pub(crate) fn str_values(ca: &StringChunked) -> Vec<Option<String>> {
    ca.iter().map(|v| v.map(str::to_string)).collect()
}
