//! `mailidx status`: what a database holds, read from the index and the
//! Parquet files: footers for row counts, and only the `folder` and `label`
//! columns, one part file at a time, for the per-folder counts (so memory
//! stays bounded by one part whatever the database's size).

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;
use serde::Serialize;

use crate::store::DbPaths;
use crate::error::{Error, Result};
use crate::store::index::open_existing;
use crate::model::ErrorKind;
use crate::store::parquet::{part_files, str_col};
use crate::store::tables;

/// One Parquet table in force: its rows, part files and bytes.
#[derive(Debug, Clone, Serialize)]
pub struct TableStatus {
    /// The table's name.
    pub table: String,
    /// Rows over all its part files (from the Parquet footers).
    pub rows: u64,
    /// Part files.
    pub files: u64,
    /// Bytes of its part files on disk.
    pub bytes: u64,
}

/// Archive files of one kind and folder, and when they were last ingested.
#[derive(Debug, Clone, Serialize)]
pub struct SourceGroup {
    /// maildir, mbox, mbox.gz, mbox.zst or eml.
    pub kind: String,
    /// Mail folder relative to the ingested path.
    pub folder: String,
    /// Archive files of this kind in this folder.
    pub files: u64,
    /// Their size in bytes when last ingested.
    pub bytes: u64,
    /// RFC 3339, UTC.
    pub last_ingested: Option<String>,
}

/// What `mailidx status` reports: what a database holds.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// The database directory.
    pub db: String,
    /// The table generation in force (one per commit).
    pub generation: u64,
    /// Messages in the index.
    pub messages: u64,
    /// Copies of messages in the archive (rows of `locations`).
    pub locations: u64,
    /// Archive files the database knows, by kind and folder.
    pub sources: Vec<SourceGroup>,
    /// Messages per folder (from the messages table).
    pub folders: BTreeMap<String, u64>,
    /// Messages per label (spam, ham, unknown), from the messages table.
    pub labels: BTreeMap<String, u64>,
    /// Messages per receiving-side profile detected (`none` where no
    /// profile matched), from the messages table.
    pub receivers: BTreeMap<String, u64>,
    /// Problems recorded by ingests, by kind (io, malformed, not_mail).
    pub errors: BTreeMap<String, u64>,
    /// Rows, part files and bytes of every table.
    pub tables: Vec<TableStatus>,
    /// Bytes of the files in the index directory.
    pub index_bytes: u64,
    /// Bytes of the Parquet tables in force.
    pub tables_bytes: u64,
    /// Paths inside the database (the database itself first) that users
    /// other than its owner may read or list; empty when it is private.
    pub readable_by_others: Vec<String>,
}

/// What the database at `db` holds; [`Error::NoDatabase`] when there is none.
pub fn status(db: &DbPaths) -> Result<Status> {
    if !db.exists() {
        return Err(Error::NoDatabase(db.root.clone()));
    }
    crate::store::parquet::check_layout(&db.tables_dir(), &db.root)?;
    let (index, _) = open_existing(&db.index_dir())?;
    let searcher = index.reader()?.searcher();
    let [folders, labels, receivers] = column_counts(db)?;
    let tables_out = table_statuses(db)?;
    let mut errors = BTreeMap::new();
    if tables_out.iter().any(|t| t.table == tables::ERRORS.table && t.rows > 0) {
        for p in problems(db)? {
            *errors.entry(p.error_kind.as_str().to_string()).or_default() += 1;
        }
    }
    let locations = tables_out.iter().find(|t| t.table == tables::LOCATIONS.table).map_or(0, |t| t.rows);
    let tables_bytes = tables_out.iter().map(|t| t.bytes).sum();
    Ok(Status {
        db: db.root.display().to_string(),
        generation: db.committed_generation().unwrap_or(0),
        locations,
        sources: source_groups(db)?,
        tables_bytes,
        messages: searcher.num_docs(),
        folders,
        labels,
        receivers,
        errors,
        tables: tables_out,
        index_bytes: dir_size(&db.index_dir()),
        readable_by_others: readable_by_others(&db.root),
    })
}

/// The database folder and what is in it that group or others may read,
/// list or enter (symbolic links, whose own mode means nothing, are passed
/// over); at most 20 paths.
fn readable_by_others(root: &Path) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut open = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(p) = todo.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&p) else { continue };
        if meta.file_type().is_symlink() {
            continue;
        }
        if meta.permissions().mode() & 0o077 != 0 && open.len() < 20 {
            open.push(p.display().to_string());
        }
        if meta.is_dir() {
            if let Ok(rd) = std::fs::read_dir(&p) {
                todo.extend(rd.filter_map(|e| e.ok()).map(|e| e.path()));
            }
        }
    }
    open
}

/// Messages per folder, per label and per receiver, one part's three
/// columns at a time.
fn column_counts(db: &DbPaths) -> Result<[BTreeMap<String, u64>; 3]> {
    let names = ["folder", "label", "receiver"];
    let mut counts: [BTreeMap<String, u64>; 3] = Default::default();
    let table = tables::MESSAGES.table;
    for p in part_files(&db.tables_dir(), table)? {
        let f = std::fs::File::open(&p).map_err(|e| Error::io(&p, e))?;
        let df = ParquetReader::new(f).with_columns(Some(names.map(Into::into).to_vec())).finish().map_err(Error::table(table))?;
        for (name, counts) in names.iter().zip(counts.iter_mut()) {
            for v in str_col(&df, table, name)?.iter() {
                *counts.entry(v.unwrap_or("none").to_string()).or_insert(0u64) += 1;
            }
        }
    }
    Ok(counts)
}

/// Rows, part files and bytes of every table, from the Parquet footers.
fn table_statuses(db: &DbPaths) -> Result<Vec<TableStatus>> {
    let mut out = Vec::new();
    for spec in tables::ALL {
        let mut t = TableStatus { table: spec.table.into(), rows: 0, files: 0, bytes: 0 };
        for p in part_files(&db.tables_dir(), spec.table)? {
            let f = std::fs::File::open(&p).map_err(|e| Error::io(&p, e))?;
            t.bytes += f.metadata().map(|m| m.len()).unwrap_or(0);
            t.rows += ParquetReader::new(f).num_rows().map_err(Error::table(spec.table))? as u64;
            t.files += 1;
        }
        out.push(t);
    }
    Ok(out)
}

/// The archive files the committed generation knows, by kind and folder.
fn source_groups(db: &DbPaths) -> Result<Vec<SourceGroup>> {
    let mut groups: BTreeMap<(&str, std::sync::Arc<str>), SourceGroup> = BTreeMap::new();
    let sources_file = db.tables_dir().join(".sources.json");
    let Ok(bytes) = std::fs::read(&sources_file) else { return Ok(Vec::new()) };
    let sources: crate::store::generations::Sources =
        serde_json::from_slice(&bytes).map_err(|e| Error::Other(format!("{}: {e}", sources_file.display())))?;
    for st in sources.values() {
        let g = groups.entry((st.kind.as_str(), st.folder.clone())).or_insert_with(|| SourceGroup {
            kind: st.kind.as_str().to_string(),
            folder: st.folder.to_string(),
            files: 0,
            bytes: 0,
            last_ingested: None,
        });
        g.files += 1;
        g.bytes += st.size;
        let when = chrono::DateTime::from_timestamp_millis(st.ingested_at).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        if when > g.last_ingested {
            g.last_ingested = when;
        }
    }
    Ok(groups.into_values().collect())
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

/// Every problem recorded in the `errors` table, in the order recorded.
pub fn problems(db: &DbPaths) -> Result<Vec<crate::model::ErrorRecord>> {
    let files = part_files(&db.tables_dir(), tables::ERRORS.table)?;
    let Some(df) = crate::store::parquet::read_parts(&files, tables::ERRORS.table, None)? else {
        return Ok(Vec::new());
    };
    let table = tables::ERRORS.table;
    let text = |name: &str| str_col(&df, table, name);
    let (path, kind, reason, key) = (text("source_path")?, text("error_kind")?, text("reason")?, text("msg_key")?);
    let offset = df.column("source_offset").and_then(|c| c.cast(&DataType::UInt64)).map_err(Error::table(table))?;
    let offset = offset.u64().map_err(Error::table(table))?.clone();
    Ok((0..df.height())
        .map(|i| crate::model::ErrorRecord {
            source_path: path.get(i).unwrap_or_default().to_string(),
            source_offset: offset.get(i),
            error_kind: kind.get(i).and_then(ErrorKind::parse).unwrap_or(ErrorKind::Malformed),
            reason: reason.get(i).unwrap_or_default().to_string(),
            msg_key: key.get(i).map(str::to_string),
        })
        .collect())
}
