//! The database directory: where the index and the tables live, and how its
//! location is chosen (`--db`, then `$MAILIDX_DB`, then the per-user data
//! directory, e.g. `~/.local/share/mailidx` on Linux).
//!
//! ```text
//! DB/index/                 tantivy; each commit's payload names the table snapshot it goes with
//! DB/store/NAME/*.parquet   every Parquet part ever written and still referenced
//! DB/snapshots/GEN/NAME/    one generation of the tables: hard links into store/
//! DB/snapshots/GEN/.sources.json   what each archive file looked like when ingested
//! DB/tables -> snapshots/GEN        the committed generation, for notebooks and other readers
//! DB/lock                   held by a running ingest
//! ```
//!
//! mailidx's own readers follow the index's payload, so the tables they read
//! always match the index, even just after a crash (see [`crate::store::generations`]).

use std::path::{Path, PathBuf};

/// Paths inside one database directory.
#[derive(Debug, Clone)]
pub struct DbPaths {
    /// The database directory.
    pub root: PathBuf,
}

impl DbPaths {
    /// The paths of a database at `root` (nothing is read or created).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DbPaths { root: root.into() }
    }

    /// `--db DIR` if given (clap also fills it from `$MAILIDX_DB`), else the
    /// per-user data directory.
    pub fn resolve(arg: Option<&Path>) -> Self {
        match arg {
            Some(p) => DbPaths::new(p),
            None => DbPaths::new(default_root()),
        }
    }

    /// The tantivy index.
    pub fn index_dir(&self) -> PathBuf {
        self.root.join("index")
    }

    /// The committed tables, one folder per table (`NAME/*.parquet`): the
    /// snapshot the index's last commit names; `DB/tables` for a database
    /// without one.
    pub fn tables_dir(&self) -> PathBuf {
        match self.committed_generation() {
            Some(g) => self.snapshot_dir(g),
            None => self.root.join("tables"),
        }
    }

    /// The `tables` link other readers use.
    pub fn tables_link(&self) -> PathBuf {
        self.root.join("tables")
    }

    /// Every Parquet part still referenced, one folder per table
    /// (`DB/store/NAME/`).
    pub fn store_dir(&self) -> PathBuf {
        self.root.join("store")
    }

    /// The table generations (`DB/snapshots/`).
    pub fn snapshots_dir(&self) -> PathBuf {
        self.root.join("snapshots")
    }

    /// One generation of the tables: `DB/snapshots/GEN/`, GEN written with
    /// eight digits.
    pub fn snapshot_dir(&self, generation: u64) -> PathBuf {
        self.snapshots_dir().join(format!("{generation:08}"))
    }

    /// The lock file a running ingest holds.
    pub fn lock_path(&self) -> PathBuf {
        self.root.join("lock")
    }

    /// The table generation of the index's last commit (its payload).
    pub fn committed_generation(&self) -> Option<u64> {
        let meta = std::fs::read(self.index_dir().join("meta.json")).ok()?;
        let v: serde_json::Value = serde_json::from_slice(&meta).ok()?;
        v.get("payload")?.as_str()?.strip_prefix("tables:")?.parse().ok()
    }

    /// A database is here: its index has a `meta.json`.
    pub fn exists(&self) -> bool {
        self.index_dir().join("meta.json").exists()
    }
}

/// `$XDG_DATA_HOME/mailidx` or `~/.local/share/mailidx` (Linux),
/// `~/Library/Application Support/mailidx` (macOS).
pub fn default_root() -> PathBuf {
    dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("mailidx")
}
