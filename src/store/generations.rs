//! The table store: Parquet parts that become visible together with the
//! index commit that goes with them, and never half.
//!
//! Every part is written once, under a temporary name and renamed, into
//! `store/NAME/`. A commit stages a new generation, `snapshots/GEN/`: a
//! folder per table holding hard links to the parts that make up the tables
//! now, plus `.sources.json` (what each archive file looked like). Then the
//! index commits with the payload `tables:GEN`, and only then does the
//! `tables` link move to the new generation. A crash before the index commit
//! leaves the old generation in force (the staged folder and any new parts
//! are garbage); a crash after it leaves the new one in force, and the next
//! [`TableStore::open`] moves the link forward. mailidx's own readers follow
//! the index payload ([`crate::store::DbPaths::tables_dir`]), so what they read
//! always matches the index.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;
use polars_parquet::write::ZstdLevel;
use serde::{Deserialize, Serialize};

use crate::store::DbPaths;
use crate::model::SourceKind;
use crate::error::{Error, Result};

/// What an archive file looked like when it was last ingested. One per
/// file, all in memory at the end of an ingest: kept small (the folder is
/// shared with the file's neighbours; about 64 bytes besides the path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SourceState {
    pub kind: SourceKind,
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: u64,
    /// Mail folder the file belongs to.
    pub folder: Arc<str>,
    /// BLAKE3 of the first `size` bytes (uncompressed mbox only): an append
    /// leaves it unchanged, a rewrite does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_hash: Option<Box<str>>,
    /// When it was ingested, ms since the epoch.
    pub ingested_at: i64,
}

/// Archive files by absolute path.
pub(crate) type Sources = BTreeMap<String, SourceState>;

const SOURCES_FILE: &str = ".sources.json";

/// zstd level of every Parquet part. Level 1 rather than polars' default 3:
/// on the freedreno mbox it saves about 5% of an ingest's CPU for 1.4% more
/// database (docs/benchmarks.md, "Each change, measured").
const ZSTD_LEVEL: i32 = 1;

/// The parts of every table, the sources, and the generation in force.
pub(crate) struct TableStore {
    db: DbPaths,
    generation: u64,
    parts: BTreeMap<String, Vec<String>>,
    pub sources: Sources,
    run_id: String,
    seq: u32,
}

impl TableStore {
    /// Opens the committed generation (the index's payload), moves the
    /// `tables` link to it if a crash left it behind, and removes what no
    /// generation in force refers to.
    pub(crate) fn open(db: &DbPaths) -> Result<Self> {
        for d in [db.store_dir(), db.snapshots_dir()] {
            std::fs::create_dir_all(&d).map_err(Error::at(&d))?;
        }
        let generation = db.committed_generation().unwrap_or(0);
        let mut parts = BTreeMap::new();
        let mut sources = Sources::new();
        if generation > 0 {
            let snap = db.snapshot_dir(generation);
            for entry in std::fs::read_dir(&snap).map_err(Error::at(&snap))? {
                let entry = entry.map_err(Error::at(&snap))?;
                if !entry.path().is_dir() {
                    continue;
                }
                let table = entry.file_name().to_string_lossy().into_owned();
                let mut names: Vec<String> = std::fs::read_dir(entry.path())
                    .map_err(Error::at(&entry.path()))?
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".parquet") && !n.starts_with('.'))
                    .collect();
                names.sort();
                parts.insert(table, names);
            }
            let sp = snap.join(SOURCES_FILE);
            if let Ok(bytes) = std::fs::read(&sp) {
                sources = serde_json::from_slice(&bytes).map_err(|e| Error::Other(format!("{}: {e}", sp.display())))?;
            }
        }
        let run_id = format!(
            "{}-{}",
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0),
            std::process::id()
        );
        let store = TableStore { db: db.clone(), generation, parts, sources, run_id, seq: 0 };
        if generation > 0 {
            store.link()?;
        }
        store.collect_garbage()?;
        Ok(store)
    }

    /// The store files of a table as they stand now (committed and pending).
    pub(crate) fn files(&self, table: &str) -> Vec<PathBuf> {
        let dir = self.db.store_dir().join(table);
        self.parts.get(table).map(|v| v.iter().map(|n| dir.join(n)).collect()).unwrap_or_default()
    }

    /// Writes a batch as a new part of `table`; an empty batch writes nothing.
    pub(crate) fn write_part(&mut self, table: &str, df: &mut DataFrame) -> Result<()> {
        if df.height() == 0 {
            return Ok(());
        }
        self.add_part(table, df)
    }

    /// Writes `df` as a new part of `table`, empty or not.
    fn add_part(&mut self, table: &str, df: &mut DataFrame) -> Result<()> {
        let name = format!("part-{}-{:05}.parquet", self.run_id, self.seq);
        self.seq += 1;
        self.write_file(table, &name, df)?;
        self.parts.entry(table.to_string()).or_default().push(name);
        Ok(())
    }

    /// Gives a table with no part an empty one, so that readers (polars'
    /// `scan_parquet`, `read_table`) find its columns.
    pub(crate) fn ensure_table(&mut self, table: &str, df: &mut DataFrame) -> Result<()> {
        if !self.files(table).is_empty() {
            return Ok(());
        }
        self.add_part(table, df)
    }

    /// Replaces every part of `table` with one frame (a rewrite after
    /// removals, a derived table); an empty frame leaves the table empty.
    pub(crate) fn replace_table(&mut self, table: &str, df: &mut DataFrame) -> Result<()> {
        self.parts.insert(table.to_string(), Vec::new());
        self.write_part(table, df)
    }

    /// Replaces one part by a rewritten frame (or drops it when empty).
    pub(crate) fn replace_part(&mut self, table: &str, old: &Path, df: &mut DataFrame) -> Result<()> {
        let old_name = old.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let list = self.parts.entry(table.to_string()).or_default();
        let Some(pos) = list.iter().position(|n| *n == old_name) else {
            return Err(Error::Other(format!("{table}: no part {old_name}")));
        };
        list.remove(pos);
        if df.height() > 0 {
            let name = format!("part-{}-{:05}.parquet", self.run_id, self.seq);
            self.seq += 1;
            self.write_file(table, &name, df)?;
            let list = self.parts.entry(table.to_string()).or_default();
            list.insert(pos, name);
        }
        Ok(())
    }

    fn write_file(&self, table: &str, name: &str, df: &mut DataFrame) -> Result<()> {
        let dir = self.db.store_dir().join(table);
        std::fs::create_dir_all(&dir).map_err(Error::at(&dir))?;
        let tmp = dir.join(format!(".{name}.tmp"));
        let path = dir.join(name);
        let file = std::fs::File::create(&tmp).map_err(Error::at(&tmp))?;
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(ZstdLevel::try_new(ZSTD_LEVEL).ok()))
            .finish(df)
            .map_err(|source| Error::Table { table: table.to_string(), source })?;
        std::fs::rename(&tmp, &path).map_err(Error::at(&path))?;
        Ok(())
    }

    /// Builds the next generation's folder and returns the index payload
    /// that makes it the one in force.
    pub(crate) fn stage(&mut self) -> Result<String> {
        let next = self.generation + 1;
        let final_dir = self.db.snapshot_dir(next);
        let tmp = self.db.snapshots_dir().join(format!(".{next:08}.tmp"));
        for d in [&final_dir, &tmp] {
            if d.exists() {
                std::fs::remove_dir_all(d).map_err(Error::at(d))?;
            }
        }
        for (table, names) in &self.parts {
            let dir = tmp.join(table);
            std::fs::create_dir_all(&dir).map_err(Error::at(&dir))?;
            for n in names {
                let src = self.db.store_dir().join(table).join(n);
                std::fs::hard_link(&src, dir.join(n)).map_err(Error::at(&src))?;
            }
        }
        let sp = tmp.join(SOURCES_FILE);
        // Streamed, not built in memory: tens of MB on a big Maildir.
        let mut w = std::io::BufWriter::new(std::fs::File::create(&sp).map_err(Error::at(&sp))?);
        serde_json::to_writer(&mut w, &self.sources).map_err(|e| Error::Other(format!("sources: {e}")))?;
        std::io::Write::flush(&mut w).map_err(Error::at(&sp))?;
        std::fs::rename(&tmp, &final_dir).map_err(Error::at(&final_dir))?;
        Ok(format!("tables:{next}"))
    }

    /// After the index committed the staged payload: the new generation is
    /// in force; move the link and drop what nothing refers to.
    pub(crate) fn published(&mut self) -> Result<()> {
        self.generation += 1;
        self.link()?;
        self.collect_garbage()
    }

    /// Points `DB/tables` at the generation in force (atomic rename of a
    /// new symlink over the old).
    fn link(&self) -> Result<()> {
        let link = self.db.tables_link();
        let target = PathBuf::from("snapshots").join(format!("{:08}", self.generation));
        if std::fs::read_link(&link).is_ok_and(|t| t == target) {
            return Ok(());
        }
        let tmp = self.db.root.join(".tables.tmp");
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&target, &tmp).map_err(Error::at(&tmp))?;
        if link.is_dir() && std::fs::read_link(&link).is_err() {
            // A database from before generations: its folder goes.
            std::fs::remove_dir_all(&link).map_err(Error::at(&link))?;
        }
        std::fs::rename(&tmp, &link).map_err(Error::at(&link))
    }

    /// Removes snapshots other than the one in force and the one before it
    /// (a reader may still be on it; its hard links keep its files), and
    /// store files the tables no longer use.
    fn collect_garbage(&self) -> Result<()> {
        let keep = [self.generation, self.generation.saturating_sub(1)];
        let snaps = self.db.snapshots_dir();
        for entry in std::fs::read_dir(&snaps).map_err(Error::at(&snaps))?.filter_map(|e| e.ok()) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.parse::<u64>().is_ok_and(|g| keep.contains(&g)) {
                continue;
            }
            let _ = std::fs::remove_dir_all(entry.path());
        }
        let store = self.db.store_dir();
        for table in std::fs::read_dir(&store).map_err(Error::at(&store))?.filter_map(|e| e.ok()) {
            let t = table.file_name().to_string_lossy().into_owned();
            let live = self.parts.get(&t);
            for f in std::fs::read_dir(table.path()).map_err(Error::at(&table.path()))?.filter_map(|e| e.ok()) {
                let n = f.file_name().to_string_lossy().into_owned();
                if !live.is_some_and(|l| l.contains(&n)) {
                    let _ = std::fs::remove_file(f.path());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_json_keeps_its_format() {
        // As databases written before SourceState was compacted hold it.
        let json = r#"{"/m/cur/1:2,S":{"kind":"maildir","size":10,"mtime_ns":5,"folder":"Work","ingested_at":7},"/m/a.mbox":{"kind":"mbox","size":9,"mtime_ns":4,"folder":"a","prefix_hash":"ab12","ingested_at":7}}"#;
        let sources: Sources = serde_json::from_str(json).unwrap();
        let st = &sources["/m/a.mbox"];
        assert_eq!((st.kind, &*st.folder, st.prefix_hash.as_deref()), (SourceKind::Mbox, "a", Some("ab12")));
        assert_eq!(sources["/m/cur/1:2,S"].kind, SourceKind::Maildir);
        let again: serde_json::Value = serde_json::to_value(&sources).unwrap();
        assert_eq!(again, serde_json::from_str::<serde_json::Value>(json).unwrap());
    }
}
