//! The database directory: where the index and the tables live, and how its
//! location is chosen (`--db`, then `$MAILIDX_DB`, then the per-user data
//! directory, e.g. `~/.local/share/mailidx` on Linux).

use std::path::{Path, PathBuf};

/// Paths inside one database directory.
#[derive(Debug, Clone)]
pub struct DbPaths {
    pub root: PathBuf,
}

impl DbPaths {
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

    /// One folder per Parquet table: `tables/NAME/*.parquet`.
    pub fn tables_dir(&self) -> PathBuf {
        self.root.join("tables")
    }

    pub fn exists(&self) -> bool {
        self.index_dir().join("meta.json").exists()
    }
}

/// `$XDG_DATA_HOME/mailidx` or `~/.local/share/mailidx` (Linux),
/// `~/Library/Application Support/mailidx` (macOS).
pub fn default_root() -> PathBuf {
    dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("mailidx")
}
