//! [`Db`]: an open database, locked for writing, and the one commit path.

use std::collections::HashSet;

use super::generations::TableStore;
use super::index::{self, IndexSink};
use super::lock::{self, DbLock};
use super::DbPaths;
use crate::error::{Error, Result};

/// An open database, locked for writing.
pub(crate) struct Db {
    tables: TableStore,
    index: IndexSink,
    /// The index as opened, for reading the keys it holds.
    opened: (tantivy::Index, index::IndexFields),
    _lock: DbLock,
}

impl Db {
    /// Creates the database directory if needed, takes the lock, and opens
    /// (or creates) the index and the committed table generation.
    /// `index_heap` is tantivy's indexing memory budget.
    pub(crate) fn create_or_open(paths: &DbPaths, index_heap: usize) -> Result<Db> {
        if paths.root.exists() && !paths.root.is_dir() {
            return Err(Error::Other(format!("--db {}: is a file, not a database directory", paths.root.display())));
        }
        let cannot = |e: std::io::Error| {
            Error::Other(format!(
                "cannot create the database directory {}: {e}; pass a writable --db DIR (or set MAILIDX_DB)",
                paths.root.display()
            ))
        };
        if let Some(parent) = paths.root.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(cannot)?;
        }
        if !paths.root.is_dir() {
            // The user's mail lives here: no one else may even list it.
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new().mode(0o700).create(&paths.root).map_err(cannot)?;
        }
        Self::open_locked(paths, index_heap)
    }

    /// Opens a database that must exist already.
    pub(crate) fn open_existing(paths: &DbPaths, index_heap: usize) -> Result<Db> {
        if !paths.exists() {
            return Err(Error::NoDatabase(paths.root.clone()));
        }
        Self::open_locked(paths, index_heap)
    }

    fn open_locked(paths: &DbPaths, index_heap: usize) -> Result<Db> {
        let lock = lock::lock(paths)?;
        super::parquet::check_layout(&paths.tables_dir(), &paths.root)?;
        let (index, fields) = index::open_or_create(&paths.index_dir())?;
        let tables = TableStore::open(paths)?;
        let writer = IndexSink::new(&index, fields, index_heap)?;
        Ok(Db { tables, index: writer, opened: (index, fields), _lock: lock })
    }

    /// The table parts and the sources' state, as they stand in this run.
    pub(crate) fn tables(&self) -> &TableStore {
        &self.tables
    }

    pub(crate) fn tables_mut(&mut self) -> &mut TableStore {
        &mut self.tables
    }

    /// The index writer: documents added or deleted become visible with
    /// the next [`Db::commit`].
    pub(crate) fn index(&mut self) -> &mut IndexSink {
        &mut self.index
    }

    /// The keys of the messages the last commit holds, as numbers.
    pub(crate) fn committed_keys(&self) -> Result<HashSet<u64>> {
        index::existing_keys(&self.opened.0, &self.opened.1)
    }

    /// Makes every part written and every document added since the last
    /// commit visible together: stages the next table generation, commits
    /// the index with that generation as its payload, then publishes it.
    /// A crash before the index commit leaves the previous generation in
    /// force; a crash after it, the new one.
    pub(crate) fn commit(&mut self) -> Result<()> {
        let payload = self.tables.stage()?;
        self.index.commit(&payload)?;
        self.tables.published()
    }

    /// Purges deleted documents from the index ([`IndexSink::purge_deletes`]),
    /// waits for its background merges, then releases the lock.
    pub(crate) fn close(mut self) -> Result<()> {
        self.index.purge_deletes(&self.opened.0)?;
        self.index.finish()
    }
}
