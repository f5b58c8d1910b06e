//! Writes a table as a folder of Parquet part files (`tables/NAME/*.parquet`),
//! one file per batch, so that memory stays bounded and polars, DuckDB or
//! Spark read the folder as one dataset. A part is written under a temporary
//! name and renamed into place, so a reader never sees half a file.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, Result};

/// Writes the parts of one table for one ingest run.
pub struct PartWriter {
    dir: PathBuf,
    table: &'static str,
    run_id: String,
    seq: u32,
}

impl PartWriter {
    pub fn new(tables_dir: &Path, table: &'static str, run_id: &str) -> Result<Self> {
        let dir = tables_dir.join(table);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(PartWriter { dir, table, run_id: run_id.to_string(), seq: 0 })
    }

    /// Writes one batch as a new part file; an empty batch writes nothing.
    pub fn write(&mut self, df: &mut DataFrame) -> Result<Option<PathBuf>> {
        if df.height() == 0 {
            return Ok(None);
        }
        let name = format!("part-{}-{:05}.parquet", self.run_id, self.seq);
        self.seq += 1;
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let path = self.dir.join(&name);
        let file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(df)
            .map_err(|source| Error::Table { table: self.table.to_string(), source })?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        Ok(Some(path))
    }
}

/// Reads every part of a table into one DataFrame (for tests and small
/// tables; notebooks use `scan_parquet` on the folder).
pub fn read_table(tables_dir: &Path, table: &str) -> Result<DataFrame> {
    let dir = tables_dir.join(table);
    let parts = part_files(tables_dir, table)?;
    let mut out: Option<DataFrame> = None;
    for p in parts {
        let f = File::open(&p).map_err(|e| Error::io(&p, e))?;
        let df = ParquetReader::new(f).finish().map_err(|source| Error::Table { table: table.to_string(), source })?;
        out = Some(match out {
            None => df,
            Some(mut acc) => {
                acc.vstack_mut(&df).map_err(|source| Error::Table { table: table.to_string(), source })?;
                acc
            }
        });
    }
    out.ok_or_else(|| Error::Other(format!("table {table} has no parts in {}", dir.display())))
}

/// The finished part files of a table, in write order.
pub fn part_files(tables_dir: &Path, table: &str) -> Result<Vec<PathBuf>> {
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
