//! The threads step, at the end of every ingest that changed anything (and
//! of `mailidx stats rebuild`): every message is threaded again from the
//! `messages` table as it now stands ([`crate::analyze::threads`]), the
//! `messages` parts whose rows moved (thread, parent or depth) are
//! rewritten, and `threads` is replaced; all in the ingest's one commit.
//!
//! Because the whole archive is threaded every time, a message that arrives
//! later and links two threads joins them, a removed message that held a
//! thread together splits it, and the tables always equal those of a fresh
//! ingest of the same archive. The index holds no thread: `thread:` is
//! answered from `messages`, so nothing needs re-indexing.

use std::collections::HashMap;

use polars::prelude::*;

use crate::analyze::threads::{thread, Options};
use crate::error::{Error, Result};
use crate::model::Placement;
use crate::store::parquet::{read_parts, str_col};
use crate::store::{frames, tables, threading, Db, DbPaths};

/// What the step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Threaded {
    /// Messages whose thread, parent or depth changed.
    pub moved: u64,
    /// Threads now.
    pub threads: usize,
}

/// Threads the whole database again (staged; the caller commits).
pub(crate) fn rethread(db: &mut Db, opts: Options) -> Result<Threaded> {
    let table = tables::MESSAGES.table;
    let files = db.tables().files(table);
    let (inputs, stored) = match read_parts(&files, table, Some(&threading::INPUT))? {
        Some(df) => threading::read_inputs(&df)?,
        None => Default::default(),
    };
    let crate::analyze::threads::Threading { placements, threads: mut rows, .. } = thread(&inputs, opts);
    rows.sort_by(|a, b| a.thread_id.cmp(&b.thread_id));
    let mut moved = 0;
    let mut placed: HashMap<&str, &Placement> = HashMap::with_capacity(inputs.len());
    let mut changed: std::collections::HashSet<&str> = Default::default();
    for ((m, p), s) in inputs.iter().zip(&placements).zip(&stored) {
        placed.insert(m.key.as_str(), p);
        if p != s {
            moved += 1;
            changed.insert(m.key.as_str());
        }
    }
    if !changed.is_empty() {
        for part in files {
            let Some(keys) = read_parts(std::slice::from_ref(&part), table, Some(&["msg_key"]))? else { continue };
            if !str_col(&keys, table, "msg_key")?.iter().flatten().any(|k| changed.contains(k)) {
                continue;
            }
            let mut df = read_parts(std::slice::from_ref(&part), table, None)?.unwrap_or_default();
            let at: Vec<Option<&Placement>> = str_col(&df, table, "msg_key")?.iter().map(|k| k.and_then(|k| placed.get(k).copied())).collect();
            let cols = [
                StringChunked::from_iter_options("thread_id".into(), at.iter().map(|p| p.map(|p| p.thread_id.as_str()))).into_series().into_column(),
                StringChunked::from_iter_options("parent_key".into(), at.iter().map(|p| p.and_then(|p| p.parent.as_deref()))).into_series().into_column(),
                UInt32Chunked::from_iter_values("depth".into(), at.iter().map(|p| p.map_or(0, |p| p.depth))).into_series().into_column(),
            ];
            for c in cols {
                df.with_column(c).map_err(Error::table(table))?;
            }
            db.tables_mut().replace_part(table, &part, &mut df)?;
        }
    }
    let mut df = frames::threads_frame(&rows).map_err(Error::table(tables::THREADS.table))?;
    db.tables_mut().replace_table(tables::THREADS.table, &mut df)?;
    db.tables_mut().ensure_table(tables::THREADS.table, &mut df)?;
    Ok(Threaded { moved, threads: rows.len() })
}

/// The database's threading options: `by_subject` as given (and remembered
/// in `threading.json` beside the index), else as remembered.
pub fn threading_options(paths: &DbPaths, by_subject: Option<bool>) -> Result<Options> {
    let file = paths.root.join("threading.json");
    if let Some(b) = by_subject {
        if paths.root.is_dir() {
            std::fs::write(&file, serde_json::json!({ "by_subject": b }).to_string()).map_err(|e| Error::io(&file, e))?;
        }
        return Ok(Options { by_subject: b });
    }
    let remembered = std::fs::read_to_string(&file).ok().and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    Ok(Options { by_subject: remembered.and_then(|v| v["by_subject"].as_bool()).unwrap_or(false) })
}

/// `mailidx stats rebuild`'s threading: the whole database threaded again
/// (with `--thread-by-subject` or without) and committed.
pub fn rebuild(paths: &DbPaths, opts: Options) -> Result<Threaded> {
    let mut db = Db::open_existing(paths, 50_000_000)?;
    crate::error::enter_step("threading the messages");
    let t = rethread(&mut db, opts)?;
    db.commit()?;
    db.close()?;
    Ok(t)
}
