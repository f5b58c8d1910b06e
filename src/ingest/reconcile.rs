//! The last step of an ingest: make the index and every table describe
//! exactly what is in the archive now. Copies whose files are gone (or were
//! rewritten and read again) leave `locations`; renamed Maildir files take
//! their location rows with them; a message with no copy left leaves the
//! index and every table; each message's row names the copy its folder and
//! label follow ([`super::follow`]); the sources' state and the derived
//! tables are brought up to date; and all of it is one commit
//! ([`Db::commit`]).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use polars::prelude::*;

use super::plan::{state_of, Plan};
use crate::error::{Error, Result};
use crate::model::{path_text, Location};
use crate::source::SourceFile;
use crate::analyze::Analyzer;
use crate::store::frames::{locations_frame, read_locations, LOCATION_COLUMNS};
use crate::store::generations::TableStore;
use crate::store::parquet::{read_parts, str_col, str_values, u64_col};
use crate::store::tables::{self, LOCATIONS, MESSAGES};
use crate::store::{derived, Db};

/// The locations the database held when this ingest began.
pub(super) struct Committed {
    files: Vec<PathBuf>,
    locations: Option<DataFrame>,
}

impl Committed {
    pub(super) fn load(store: &TableStore) -> Result<Self> {
        let files = store.files(LOCATIONS.table);
        let locations = read_parts(&files, LOCATIONS.table, None)?;
        Ok(Committed { files, locations })
    }

    /// The offsets of every recorded copy, by path, outside `dropped` files
    /// (a path once per file, not once per copy).
    pub(super) fn recorded_except(&self, dropped: &HashSet<String>) -> HashMap<String, HashSet<u64>> {
        let mut out: HashMap<String, HashSet<u64>> = HashMap::new();
        if let Some(df) = &self.locations {
            if let (Ok(paths), Ok(offsets)) = (str_col(df, LOCATIONS.table, "path"), u64_col(df, LOCATIONS.table, "offset")) {
                for (p, o) in paths.iter().zip(offsets.iter()) {
                    if let (Some(p), Some(o)) = (p, o) {
                        if !dropped.contains(p) {
                            out.entry(p.to_string()).or_default().insert(o);
                        }
                    }
                }
            }
        }
        out
    }

    /// Every message key the committed locations name.
    fn keys(&self) -> Result<Vec<String>> {
        match &self.locations {
            Some(df) => Ok(str_values(&str_col(df, LOCATIONS.table, "msg_key")?).into_iter().flatten().collect()),
            None => Ok(Vec::new()),
        }
    }
}

/// What the last step changed.
#[derive(Debug, Default)]
pub(super) struct Outcome {
    pub(super) renamed: u64,
    pub(super) removed_copies: u64,
    pub(super) removed_messages: u64,
    /// Messages read again because their folder or user label changed.
    pub(super) followed: u64,
    /// What threading found.
    pub(super) threaded: super::threads::Threaded,
}

/// The copies of messages after this ingest: `keys[i]` is at `locations[i]`.
#[derive(Default)]
pub(super) struct Copies {
    pub(super) keys: Vec<String>,
    pub(super) locations: Vec<Location>,
}

impl Copies {
    fn push(&mut self, key: String, location: Location) {
        self.keys.push(key);
        self.locations.push(location);
    }
}

/// Brings everything up to date and commits. The files the plan read are
/// recorded as they now stand (except those in `failed`) and leave the plan
/// as they are: on a big Maildir the list and the sources are each tens of
/// MB, and this way they are not both held at once.
pub(super) fn finish(db: &mut Db, committed: &Committed, plan: &mut Plan, failed: &HashSet<PathBuf>, analyzer: &Analyzer, threading: crate::analyze::threads::Options, record: bool) -> Result<Outcome> {
    let mut out = Outcome::default();
    let moved = !plan.dropped.is_empty() || !plan.renamed.is_empty();
    let new_copies = db.tables().files(LOCATIONS.table).iter().any(|f| !committed.files.contains(f));
    if moved || new_copies || analyzer.label.is_some() {
        let (copies, o) = final_copies(db.tables(), committed, plan)?;
        out = o;
        if moved {
            remove_gone(db, committed, &copies, &mut out)?;
        }
        out.followed = super::follow::follow(db, &copies, analyzer, &super::follow::scope(plan))?;
    }
    out.threaded = settle(db, threading)?;
    // The sources' new state, after the derived tables: each takes tens of
    // MB on a big archive, and this way they are not held at once.
    if record {
        record_sources(db.tables_mut(), plan, failed);
    }
    db.commit()?;
    Ok(out)
}

/// What every table needs before a commit, once the messages stand: report
/// and address rows once each, every table present, threads and the
/// derived tables from the messages as they now are.
pub(super) fn settle(db: &mut Db, threading: crate::analyze::threads::Options) -> Result<super::threads::Threaded> {
    // ip_info: each address and database once, whatever batch found it.
    if db.tables().files(tables::IP_INFO.table).len() > 1 {
        keep_unique(db, tables::IP_INFO.table, &["ip", "database_type", "build_epoch"], UniqueKeepStrategy::Last)?;
    }
    dedupe_reports(db)?;
    dedupe_tls(db)?;
    let mut empty = crate::store::frames::ip_info_frame(&[]).map_err(Error::table(tables::IP_INFO.table))?;
    db.tables_mut().ensure_table(tables::IP_INFO.table, &mut empty)?;
    let mut empty = crate::store::frames::urls_frame(&[]).map_err(Error::table(tables::URLS.table))?;
    db.tables_mut().ensure_table(tables::URLS.table, &mut empty)?;
    let empty = crate::store::frames::dmarc_frames(&Default::default()).map_err(Error::table(tables::DMARC_REPORTS.table))?;
    for (spec, mut df) in tables::REPORT_TABLES.into_iter().zip(empty) {
        db.tables_mut().ensure_table(spec.table, &mut df)?;
    }
    // Threads, then the derived tables, from the messages as they now stand.
    let threaded = super::threads::rethread(db, threading)?;
    for (table, mut df) in derived::derive(&db.tables().files(MESSAGES.table))? {
        db.tables_mut().replace_table(table, &mut df)?;
    }
    Ok(threaded)
}

/// The same DMARC report received twice (same org and report id: same
/// `report_key`) keeps its records and results once, and a report row for
/// each carrier (message or file) it came in, so that search finds every
/// carrier and the report stays while any carrier does.
fn dedupe_reports(db: &mut Db) -> Result<()> {
    let t = tables::DMARC_REPORTS.table;
    let Some(keys) = read_parts(&db.tables().files(t), t, Some(&["report_key"]))? else { return Ok(()) };
    if keys.height() == keys.column("report_key").map_err(Error::table(t))?.n_unique().map_err(Error::table(t))? {
        return Ok(());
    }
    keep_unique(db, t, &["report_key", "msg_key", "source"], UniqueKeepStrategy::First)?;
    // Records and results: one copy's rows per report (a report's rows are
    // whole within one part, so duplicates are exact copies).
    keep_unique(db, tables::DMARC_RECORDS.table, &["report_key", "index"], UniqueKeepStrategy::First)?;
    let auth = ["report_key", "record_index", "method", "domain", "selector", "scope", "result"];
    keep_unique(db, tables::DMARC_RECORD_AUTH.table, &auth, UniqueKeepStrategy::First)
}

/// The same SMTP TLS report received twice is kept once: the first copy's
/// policy rows and their failure details.
fn dedupe_tls(db: &mut Db) -> Result<()> {
    let failure = ["report_key", "policy_index", "result_type", "sending_mta_ip", "receiving_mx_hostname", "receiving_ip", "failed_sessions", "failure_reason_code"];
    let subsets: [(&str, &[&str]); 2] = [(tables::SMTP_TLS_REPORTS.table, &["report_key", "policy_index"]), (tables::SMTP_TLS_FAILURES.table, &failure)];
    for (table, subset) in subsets {
        if db.tables().files(table).len() > 1 {
            keep_unique(db, table, subset, UniqueKeepStrategy::First)?;
        }
    }
    Ok(())
}

/// Rewrites `table` keeping one of the rows alike on `subset` (the first or
/// the last met).
fn keep_unique(db: &mut Db, table: &str, subset: &[&str], keep: UniqueKeepStrategy) -> Result<()> {
    let Some(df) = read_parts(&db.tables().files(table), table, None)? else { return Ok(()) };
    let mut df = df.lazy().unique_stable(Some(cols(subset.iter().copied())), keep).collect().map_err(Error::table(table))?;
    db.tables_mut().replace_table(table, &mut df)
}

/// Records the copies as they now stand (dropped ones gone, renamed ones
/// moved) and removes messages left without a copy from the index and every
/// table.
fn remove_gone(db: &mut Db, committed: &Committed, copies: &Copies, out: &mut Outcome) -> Result<()> {
    let live: HashSet<&str> = copies.keys.iter().map(String::as_str).collect();
    let gone: HashSet<String> = committed.keys()?.into_iter().filter(|k| !live.contains(k.as_str())).collect();
    out.removed_messages = gone.len() as u64;
    for k in &gone {
        db.index().delete(k);
    }
    let mut frame = locations_frame(&copies.locations, &copies.keys).map_err(Error::table(LOCATIONS.table))?;
    db.tables_mut().replace_table(LOCATIONS.table, &mut frame)?;
    if !gone.is_empty() {
        // Their rows, their problems, and the reports they carried.
        let also = [&tables::ERRORS, &tables::DMARC_REPORTS, &tables::DMARC_FAILURES, &tables::SMTP_TLS_REPORTS];
        for spec in tables::PER_MESSAGE.into_iter().chain(also) {
            drop_keys(db.tables_mut(), spec.table, &gone)?;
        }
        drop_orphans(db, &tables::DMARC_REPORTS, &[&tables::DMARC_RECORDS, &tables::DMARC_RECORD_AUTH])?;
        drop_orphans(db, &tables::SMTP_TLS_REPORTS, &[&tables::SMTP_TLS_FAILURES])?;
    }
    Ok(())
}

/// Rows of `children` whose `report_key` no row of `parent` has any more.
fn drop_orphans(db: &mut Db, parent: &tables::TableSpec, children: &[&tables::TableSpec]) -> Result<()> {
    let files = db.tables().files(parent.table);
    let keys: HashSet<String> = match read_parts(&files, parent.table, Some(&["report_key"]))? {
        Some(df) => str_values(&str_col(&df, parent.table, "report_key")?).into_iter().flatten().collect(),
        None => HashSet::new(),
    };
    for child in children {
        let files = db.tables().files(child.table);
        let Some(df) = read_parts(&files, child.table, None)? else { continue };
        let present = str_col(&df, child.table, "report_key")?.iter().flatten().all(|k| keys.contains(k));
        if present {
            continue;
        }
        let list: Vec<String> = keys.iter().cloned().collect();
        let mut kept = df
            .lazy()
            .filter(col("report_key").is_in(lit(Series::new("keep".into(), list)).implode(false), false))
            .collect()
            .map_err(Error::table(child.table))?;
        db.tables_mut().replace_table(child.table, &mut kept)?;
    }
    Ok(())
}

/// Records the state of every file the plan read (except those that failed),
/// forgets dropped files not read again, and moves renamed ones.
fn record_sources(store: &mut TableStore, plan: &mut Plan, failed: &HashSet<PathBuf>) {
    let now = chrono::Utc::now().timestamp_millis();
    // Dropped files read again keep their entry (it is rewritten below).
    let reread: HashSet<String> = match plan.dropped.is_empty() {
        true => HashSet::new(),
        false => plan.read.iter().map(|f| path_text(&f.path())).filter(|p| plan.dropped.contains(p)).collect(),
    };
    for path in &plan.dropped {
        if !reread.contains(path.as_str()) {
            store.sources.remove(path);
        }
    }
    for (old, new) in &plan.renamed {
        store.sources.remove(old);
        store.sources.insert(path_text(&new.path()), state_of(new, now));
    }
    let read = std::mem::take(&mut plan.read).into_iter().chain(std::mem::take(&mut plan.appended).into_iter().map(|(f, _)| f));
    for f in read {
        let path = f.path();
        if !failed.contains(&path) {
            store.sources.insert(path_text(&path), state_of(&f, now));
        }
    }
}

/// The committed copies without the dropped files', renamed ones moved,
/// plus every copy this run recorded.
pub(super) fn final_copies(store: &TableStore, committed: &Committed, plan: &Plan) -> Result<(Copies, Outcome)> {
    let mut out = Outcome::default();
    let renames: HashMap<&str, &SourceFile> = plan.renamed.iter().map(|(old, f)| (old.as_str(), f)).collect();
    let mut copies = Copies::default();
    // Copies of dropped files; those not read again are removed.
    let mut dropped: HashSet<(String, u64)> = HashSet::new();
    if let Some(df) = &committed.locations {
        let keys = str_col(df, LOCATIONS.table, "msg_key")?;
        for (key, mut loc) in keys.iter().zip(read_locations(df, LOCATIONS.table, LOCATION_COLUMNS)?) {
            if plan.dropped.contains(&loc.path) {
                dropped.insert((loc.path, loc.offset));
                continue;
            }
            if let Some(f) = renames.get(loc.path.as_str()) {
                out.renamed += 1;
                loc.path = path_text(&f.path());
                loc.flags = crate::source::maildir::split_name(&f.name.to_string_lossy()).1.to_string();
            }
            copies.push(key.unwrap_or_default().to_string(), loc);
        }
    }
    let new_files: Vec<PathBuf> = store.files(LOCATIONS.table).into_iter().filter(|f| !committed.files.contains(f)).collect();
    let mut after: HashSet<(String, u64)> = copies.locations.iter().map(|l| (l.path.clone(), l.offset)).collect();
    if let Some(df) = read_parts(&new_files, LOCATIONS.table, None)? {
        let keys = str_col(&df, LOCATIONS.table, "msg_key")?;
        for (key, loc) in keys.iter().zip(read_locations(&df, LOCATIONS.table, LOCATION_COLUMNS)?) {
            if after.insert((loc.path.clone(), loc.offset)) {
                copies.push(key.unwrap_or_default().to_string(), loc);
            }
        }
    }
    out.removed_copies = dropped.iter().filter(|d| !after.contains(*d)).count() as u64;
    Ok((copies, out))
}

/// Rewrites the parts of `table` that hold rows of `gone` messages.
pub(super) fn drop_keys(store: &mut TableStore, table: &str, gone: &HashSet<String>) -> Result<()> {
    let gone_list: Vec<String> = gone.iter().cloned().collect();
    for part in store.files(table) {
        let Some(keys) = read_parts(std::slice::from_ref(&part), table, Some(&["msg_key"]))? else { continue };
        let hit = str_col(&keys, table, "msg_key")?.iter().flatten().any(|k| gone.contains(k));
        if !hit {
            continue;
        }
        let df = read_parts(std::slice::from_ref(&part), table, None)?.unwrap_or_default();
        let mut keep = df
            .lazy()
            .filter(col("msg_key").is_in(lit(Series::new("gone".into(), gone_list.clone())).implode(false), false).not().or(col("msg_key").is_null()))
            .collect()
            .map_err(Error::table(table))?;
        store.replace_part(table, &part, &mut keep)?;
    }
    Ok(())
}
