//! `mailidx merge SHARD… --db DB`: the databases that the tasks of a job
//! spread over many machines wrote (`mailidx ingest --slice`, run by
//! `spark/ingest.py`) joined into one, as if one machine had ingested the
//! whole archive.
//!
//! 1. Under the database's lock, the shards' index documents join the
//!    index ([`crate::store::index::join`]), each message once: a message
//!    already in the database, or in an earlier shard, adds no document.
//! 2. The shards' table rows are added the same way: per-message rows of a
//!    message already there are left out; each copy (`locations`) and
//!    problem (`errors`) is added once, every report row (deduplicated as
//!    at the end of an ingest). With the archive's roots, every file under
//!    them is recorded as ingested (the sources' state).
//! 3. Then what ends every ingest: the copy that names each message's
//!    folder and label, report rows once, threads and the derived tables
//!    over the whole database; one commit makes it all visible.
//!
//! A crash in step 1 leaves the old index; a crash between 1 and 3 leaves
//! documents without rows, which the next merge of the same shards
//! completes (their documents are there, their rows are added).

use std::collections::HashSet;
use std::path::PathBuf;

use super::{follow, reconcile, threads};
use crate::analyze::Analyzer;
use crate::error::Result;
use crate::store::parquet::{part_files, read_parts, str_col};
use crate::store::{tables, Db, DbPaths};
use polars::prelude::*;

/// What a merge did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    /// Shards joined.
    pub shards: usize,
    /// Messages new to the database.
    pub messages: u64,
    /// Messages a shard held that the database (or an earlier shard) had.
    pub duplicates: u64,
    /// Threads after the merge.
    pub threads: usize,
}

/// Tables recomputed after a merge rather than copied from shards.
fn derived(table: &str) -> bool {
    [tables::THREADS.table, tables::SPAM_SOURCES.table, tables::FORGERY_BY_DOMAIN.table, tables::DAILY.table].contains(&table)
}

/// Joins `shards` (database folders) into the database at `paths`.
///
/// `roots`: the archive paths the shards were cut from (`mailidx slices`);
/// every file found under them is recorded as ingested, as at the end of an
/// ingest that read them all, so that a later `mailidx ingest` of those
/// paths reads only what changed, and notices what left.
pub fn merge(paths: &DbPaths, shards: &[PathBuf], roots: &[PathBuf], analyzer: &Analyzer, by_subject: Option<bool>) -> Result<Merged> {
    let shard_paths: Vec<DbPaths> = shards.iter().map(DbPaths::new).collect();
    for s in &shard_paths {
        if !s.exists() {
            return Err(crate::error::Error::Other(format!("{}: not a mailidx database (a shard is a folder that `mailidx ingest --slice` wrote)", s.root.display())));
        }
        crate::store::parquet::check_layout(&s.tables_dir(), &s.root)?;
    }
    // 1. The index, each message once.
    let mut out = Merged { shards: shards.len(), ..Default::default() };
    {
        crate::error::enter_step("joining the shards' indexes");
        let db = Db::create_or_open(paths, 15_000_000)?;
        let mut seen = db.committed_keys()?;
        db.close()?;
        let _lock = crate::store::lock(paths)?;
        let dirs: Vec<PathBuf> = shard_paths.iter().map(DbPaths::index_dir).collect();
        let mut keep = |k: &str| crate::store::index::key_number(k).is_some_and(|n| seen.insert(n));
        crate::store::index::join::join(&paths.index_dir(), &dirs, &mut keep)?;
    }
    // 2. The tables, each message's rows once.
    crate::error::enter_step("joining the shards' tables");
    let mut db = Db::create_or_open(paths, 50_000_000)?;
    let committed = reconcile::Committed::load(db.tables())?;
    let mut have: HashSet<String> = message_keys(&db.tables().files(tables::MESSAGES.table))?;
    let mut problems = known_problems(&db.tables().files(tables::ERRORS.table))?;
    let mut copies: HashSet<(String, u64)> = committed.recorded_except(&HashSet::new()).into_iter().flat_map(|(p, os)| os.into_iter().map(move |o| (p.clone(), o))).collect();
    for shard in &shard_paths {
        let dir = shard.tables_dir();
        let mine: HashSet<String> = message_keys(&part_files(&dir, tables::MESSAGES.table)?)?;
        let new: Vec<String> = mine.iter().filter(|k| !have.contains(*k)).cloned().collect();
        out.messages += new.len() as u64;
        out.duplicates += (mine.len() - new.len()) as u64;
        have.extend(new.iter().cloned());
        let new = Series::new("new".into(), new);
        for spec in tables::ALL.iter().filter(|s| !derived(s.table)) {
            let Some(mut df) = read_parts(&part_files(&dir, spec.table)?, spec.table, None)? else { continue };
            if tables::PER_MESSAGE.iter().any(|p| p.table == spec.table) {
                df = df.lazy().filter(col("msg_key").is_in(lit(new.clone()).implode(false), false)).collect().map_err(crate::error::Error::table(spec.table))?;
            }
            if spec.table == tables::ERRORS.table {
                // A problem recorded already (a file listed again) once.
                let fresh: Vec<bool> = problem_keys(&df)?.into_iter().map(|k| problems.insert(k)).collect();
                df = rows_where(&df, spec.table, &fresh)?;
            }
            if spec.table == tables::LOCATIONS.table {
                // A copy recorded already (a file read again) once.
                let (paths, offsets) = (str_col(&df, spec.table, "path")?, crate::store::parquet::u64_col(&df, spec.table, "offset")?);
                let fresh: Vec<bool> = paths.iter().zip(offsets.iter()).map(|(p, o)| copies.insert((p.unwrap_or_default().to_string(), o.unwrap_or(0)))).collect();
                df = rows_where(&df, spec.table, &fresh)?;
            }
            db.tables_mut().write_part(spec.table, &mut df)?;
        }
    }
    if !roots.is_empty() {
        let found = crate::source::discover(roots, false)?;
        let now = chrono::Utc::now().timestamp_millis();
        for f in &found.files {
            db.tables_mut().sources.insert(crate::model::path_text(&f.path()), super::plan::state_of(f, now));
        }
    }
    // 3. As at the end of an ingest.
    crate::error::enter_step("settling the merged database");
    let (copies, _) = reconcile::final_copies(db.tables(), &committed, &super::plan::Plan::default())?;
    follow::follow(&mut db, &copies, analyzer, &HashSet::new())?;
    out.threads = reconcile::settle(&mut db, threads::threading_options(paths, by_subject)?)?.threads;
    db.commit()?;
    db.close()?;
    Ok(out)
}

fn message_keys(files: &[PathBuf]) -> Result<HashSet<String>> {
    let table = tables::MESSAGES.table;
    let Some(df) = read_parts(files, table, Some(&["msg_key"]))? else { return Ok(HashSet::new()) };
    Ok(str_col(&df, table, "msg_key")?.iter().flatten().map(str::to_string).collect())
}

/// (path, offset, kind) of every problem the `errors` table holds.
fn known_problems(files: &[PathBuf]) -> Result<HashSet<(String, Option<u64>, String)>> {
    let Some(df) = read_parts(files, tables::ERRORS.table, Some(&["source_path", "source_offset", "error_kind"]))? else { return Ok(HashSet::new()) };
    Ok(problem_keys(&df)?.into_iter().collect())
}

/// (path, offset, kind) of each row of an `errors` frame: what makes a
/// problem the same problem.
fn problem_keys(df: &DataFrame) -> Result<Vec<(String, Option<u64>, String)>> {
    let table = tables::ERRORS.table;
    let (p, o, k) = (str_col(df, table, "source_path")?, crate::store::parquet::u64_col(df, table, "source_offset")?, str_col(df, table, "error_kind")?);
    Ok((0..df.height()).map(|i| (p.get(i).unwrap_or_default().to_string(), o.get(i), k.get(i).unwrap_or_default().to_string())).collect())
}

/// The rows of `df` whose flag in `keep` is set.
fn rows_where(df: &DataFrame, table: &str, keep: &[bool]) -> Result<DataFrame> {
    df.filter(&BooleanChunked::from_slice("keep".into(), keep)).map_err(crate::error::Error::table(table))
}
