//! The database's lock: one writer at a time. Ingest and `stats rebuild`
//! take it through [`super::Db`]; readers never need it, because every
//! commit is a new generation that appears whole (see [`super::generations`]).

use crate::error::{Error, Result};
use crate::store::DbPaths;

/// Holds the database's lock file for the life of an ingest.
pub struct DbLock {
    _file: std::fs::File,
}

/// Takes the database's lock, or says who holds it: two ingests at once
/// would each commit over the other's tables.
pub fn lock(db: &DbPaths) -> Result<DbLock> {
    let path = db.lock_path();
    let mut file = std::fs::OpenOptions::new().create(true).truncate(false).read(true).write(true).open(&path).map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => {
            use std::io::{Seek, Write};
            let _ = file.set_len(0);
            let _ = file.seek(std::io::SeekFrom::Start(0));
            let _ = writeln!(file, "{}", std::process::id());
            Ok(DbLock { _file: file })
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            Err(Error::Other(format!(
                "{} is in use by another mailidx ingest (pid {}); wait for it to finish, or stop it",
                db.root.display(),
                holder.trim()
            )))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
    }
}

