//! The ingest's configuration, its summary, and the run that drives plan,
//! workers, batches and reconcile.

use super::{batch, plan, reconcile, workers};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use crate::analyze::Analyzer;
use crate::error::{enter_step, Error, Result};
use crate::model::{ErrorKind, ErrorRecord};
use crate::source::{self, SourceFile};
use crate::store::generations::TableStore;
use crate::store::{parquet, tables, Db, DbPaths};
use workers::{problem, Item, Workers};

/// Set (by the CLI's Ctrl-C / SIGTERM handler) to stop an ingest cleanly:
/// workers stop taking messages, the sink commits what it has.
pub static STOP: AtomicBool = AtomicBool::new(false);

/// Records in flight between the workers and the sink.
const QUEUE_DEPTH: usize = 2048;

/// Everything an ingest needs, resolved from the command line.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Archive paths to ingest: Maildir folders, mbox files (plain or
    /// compressed), message files, or trees holding them.
    pub paths: Vec<PathBuf>,
    /// The database to write.
    pub db: DbPaths,
    /// Rows per Parquet part (and per index commit). The batch is most of
    /// an ingest's heap (docs/benchmarks.md has the measurements).
    pub batch_rows: usize,
    /// tantivy's indexing memory budget in bytes.
    pub index_heap: usize,
    /// Follow symbolic links wherever they lead (`--follow-symlinks`); by
    /// default only links to files inside the ingested folder are.
    pub follow_symlinks: bool,
    /// Read only these files and byte ranges of the archive under `paths`
    /// (a task of a job spread over many machines: `spark/ingest.py`), and
    /// record no sources (the job keeps its own list).
    pub slice: Option<Vec<super::slices::SliceEntry>>,
    /// `--thread-by-subject`: Some sets it for this database from now on;
    /// None keeps what the database says (off unless set).
    pub thread_by_subject: Option<bool>,
    /// The per-message analysis with what the flags set: limits, trusted
    /// networks, authserv-ids, DKIM keys, label rules and the user's label.
    pub analysis: Analyzer,
}

impl IngestConfig {
    /// A config for `paths` into `db` with the default batch size, index heap
    /// and analysis.
    pub fn new(paths: Vec<PathBuf>, db: DbPaths) -> Self {
        IngestConfig { paths, db, batch_rows: 10_000, index_heap: 128_000_000, follow_symlinks: false, slice: None, thread_by_subject: None, analysis: Analyzer::default() }
    }
}

/// Told how far an ingest has got; the CLI draws a bar, tests ignore it.
pub trait Progress: Sync {
    /// Called once: bytes on disk and files to read.
    fn start(&self, _total_bytes: u64, _files: usize) {}
    /// Called as work is done: messages handled and bytes of disk input read.
    fn advance(&self, _messages: u64, _disk_bytes: u64) {}
    /// Called once, when the ingest is done.
    fn finish(&self) {}
}

/// A [`Progress`] that shows nothing.
pub struct NoProgress;
impl Progress for NoProgress {}

/// What an ingest did; every number is also in the tables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngestSummary {
    /// New messages written to the index and the messages table.
    pub messages: u64,
    /// Bytes of all messages read (decompressed), new or duplicate.
    pub bytes: u64,
    /// Messages kept but unparseable (parse_ok = false; listed in errors).
    pub malformed: u64,
    /// Files that could not be read (listed in errors, not ingested).
    pub skipped: u64,
    /// Files in the tree that are not mail (listed in errors).
    pub ignored: u64,
    /// Symbolic links out of the ingested folders, not followed (listed in errors).
    pub links_not_followed: u64,
    /// Copies of messages already in the database or seen twice in this
    /// run: recorded as locations, not parsed again.
    pub duplicates: u64,
    /// Mail files found under the ingested paths.
    pub files: u64,
    /// Files unchanged since the last ingest, not read.
    pub unchanged_files: u64,
    /// Mbox files read only from where they ended last time.
    pub appended_files: u64,
    /// Maildir files renamed (flags, new/ → cur/): their locations followed.
    pub renamed: u64,
    /// Copies gone from the archive.
    pub removed_copies: u64,
    /// Messages gone from the archive (no copy left): removed from the index and every table.
    pub removed_messages: u64,
    /// DMARC and SMTP TLS report files read (not mail).
    pub report_files: u64,
    /// Threads in the database after the ingest (0 when nothing changed).
    pub threads: usize,
    /// Messages whose thread, parent or depth the ingest changed (new ones too).
    pub rethreaded: u64,
    /// Messages read again because the copy naming their folder, or their
    /// user label, changed (moved into or out of a spam folder, `--label`).
    pub relabelled: u64,
    /// Stopped by Ctrl-C or SIGTERM: what was committed stays, the rest is
    /// done by the next ingest.
    pub interrupted: bool,
    /// Wall-clock time of the run, in seconds.
    pub seconds: f64,
    /// The database directory written.
    pub db: PathBuf,
    /// The first problems of this run (at most [`SHOWN_PROBLEMS`]); all are
    /// in the `errors` table.
    pub problems: Vec<ErrorRecord>,
}

/// Problems an ingest reports itself; `mailidx errors` lists them all.
pub(crate) const SHOWN_PROBLEMS: usize = 5;

impl IngestSummary {
    /// Exit status 1 ("finished, but some messages were skipped") applies.
    pub fn had_problems(&self) -> bool {
        self.malformed > 0 || self.skipped > 0 || self.interrupted
    }
}

/// Runs an ingest of `cfg.paths` into `cfg.db`.
pub fn ingest(cfg: &IngestConfig, progress: &dyn Progress) -> Result<IngestSummary> {
    let started = Instant::now();
    enter_step("listing the archive");
    let mut found = source::discover(&cfg.paths, cfg.follow_symlinks)?;
    let file_count = found.files.len() as u64;
    let db = Db::create_or_open(&cfg.db, cfg.index_heap)?;
    let threading = super::threads::threading_options(&cfg.db, cfg.thread_by_subject)?;
    let mut plan = plan::plan(&mut found, &db.tables().sources);
    let committed = reconcile::Committed::load(db.tables())?;
    // Copies already recorded, except those of files read again from the start.
    let recorded = committed.recorded_except(&plan.dropped);
    let known = known_file_problems(db.tables())?;

    let to_read: Vec<(&SourceFile, u64, u64)> = match &cfg.slice {
        Some(slice) => super::slices::restrict(&plan.read, slice, &mut found),
        None => plan.read.iter().map(|f| (f, 0, f.size)).chain(plan.appended.iter().map(|(f, o)| (f, *o, f.size))).collect(),
    };
    progress.start(to_read.iter().map(|(f, o, u)| u.min(&f.size) - o.min(&f.size)).sum(), to_read.len());
    let workers = Workers::new(db.committed_keys()?, recorded, cfg.analysis.clone(), progress);
    let (tx, rx) = sync_channel::<Item>(QUEUE_DEPTH);
    let batch_rows = cfg.batch_rows.max(1);
    let sink = std::thread::Builder::new()
        .name("mailidx-batch".into())
        .spawn(move || batch::run(rx, db, batch_rows))
        .map_err(|e| Error::Other(format!("cannot start the batch thread: {e}")))?;

    // Files already listed in `errors` by an earlier ingest are not listed again.
    let is_new = |path: &std::path::Path, kind: ErrorKind| !known.contains(&(crate::model::path_text(path), kind));
    for (path, why) in found.ignored.iter().filter(|(p, _)| is_new(p, ErrorKind::NotMail)) {
        let _ = tx.send(Item::Problem(problem(path, None, ErrorKind::NotMail, why)));
    }
    for (path, why) in found.links.iter().filter(|(p, _)| is_new(p, ErrorKind::Link)) {
        let _ = tx.send(Item::Problem(problem(path, None, ErrorKind::Link, why)));
    }
    for (path, why) in &found.unreadable {
        workers.skipped.fetch_add(1, Ordering::Relaxed);
        if is_new(path, ErrorKind::Io) {
            let _ = tx.send(Item::Problem(problem(path, None, ErrorKind::Io, why)));
        }
    }
    enter_step("reading DMARC report files");
    read_report_files(&found.reports, &cfg.analysis.geoip, &known, &tx);
    enter_step("reading, parsing and indexing messages");
    workers.read_all(&to_read, &tx);
    drop(tx);
    let (mut db, counts) = sink.join().map_err(|p| Error::Other(format!("the batch thread failed: {}", crate::error::panic_text(&*p).unwrap_or("a panic"))))??;
    let interrupted = STOP.load(Ordering::Relaxed) || workers.abort.load(Ordering::Relaxed);
    let mut summary = IngestSummary {
        messages: counts.messages,
        bytes: workers.bytes.load(Ordering::Relaxed),
        malformed: counts.malformed,
        problems: counts.problems,
        skipped: workers.skipped.load(Ordering::Relaxed),
        ignored: found.ignored.len() as u64,
        links_not_followed: found.links.len() as u64,
        report_files: found.reports.len() as u64,
        duplicates: workers.duplicates.load(Ordering::Relaxed),
        files: file_count,
        unchanged_files: plan.unchanged.len() as u64,
        appended_files: plan.appended.len() as u64,
        interrupted,
        db: cfg.db.root.clone(),
        ..Default::default()
    };
    // `--label` applies to messages already ingested too, so it always
    // reaches the last step.
    let changed = !to_read.is_empty()
        || !plan.dropped.is_empty()
        || !plan.renamed.is_empty()
        || cfg.analysis.label.is_some()
        || !found.reports.is_empty()
        || cfg.thread_by_subject.is_some();
    if !interrupted && changed {
        // Removed and renamed copies, messages left without a copy, the
        // sources' new state, and the derived tables: one last commit.
        enter_step("removing what left the archive and deriving the statistics");
        let failed = workers.failed.into_inner().unwrap_or_default();
        let r = reconcile::finish(&mut db, &committed, &mut plan, &failed, &cfg.analysis, threading, cfg.slice.is_none())?;
        summary.renamed = r.renamed;
        summary.removed_copies = r.removed_copies;
        summary.removed_messages = r.removed_messages;
        summary.relabelled = r.followed;
        summary.threads = r.threaded.threads;
        summary.rethreaded = r.threaded.moved;
    }
    db.close()?;
    progress.finish();
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Largest report file read (a zip or gzip of a big report is far smaller).
const MAX_REPORT_FILE: u64 = 256 << 20;

/// DMARC aggregate report files given to ingest (or found in its folders):
/// read whole on every ingest (the same report is stored once), their rows
/// and problems to the batch thread.
fn read_report_files(
    files: &[std::path::PathBuf],
    geoip: &crate::analyze::geoip::GeoIp,
    known: &HashSet<(String, ErrorKind)>,
    tx: &std::sync::mpsc::SyncSender<Item>,
) {
    for path in files {
        let text = crate::model::path_text(path);
        let bytes = match std::fs::metadata(path).map(|m| m.len()) {
            Ok(n) if n > MAX_REPORT_FILE => Err(format!("a report file of {n} bytes: more than {MAX_REPORT_FILE} not read")),
            Ok(_) => std::fs::read(path).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match bytes {
            Ok(bytes) => {
                let mut r = crate::model::DmarcRows::default();
                r.read(&bytes, None, &text, None, false);
                crate::analyze::geoip::annotate_reports(&mut r, geoip);
                // Read again on every ingest: a problem already listed is
                // not listed twice.
                let listed = known.contains(&(text.clone(), ErrorKind::Malformed));
                for p in r.problems.drain(..).filter(|_| !listed) {
                    let _ = tx.send(Item::Problem(workers::problem(path, None, ErrorKind::Malformed, &p)));
                }
                let _ = tx.send(Item::Reports(Box::new(r)));
            }
            Err(e) if !known.contains(&(text.clone(), ErrorKind::Io)) => {
                let _ = tx.send(Item::Problem(workers::problem(path, None, ErrorKind::Io, &e)));
            }
            Err(_) => {}
        }
    }
}

/// (path, kind) of the whole-file problems the `errors` table already lists.
fn known_file_problems(store: &TableStore) -> Result<HashSet<(String, ErrorKind)>> {
    let mut known = HashSet::new();
    let table = tables::ERRORS.table;
    let Some(df) = parquet::read_parts(&store.files(table), table, Some(&["source_path", "error_kind"]))? else {
        return Ok(known);
    };
    let (paths, kinds) = (parquet::str_col(&df, table, "source_path")?, parquet::str_col(&df, table, "error_kind")?);
    for i in 0..df.height() {
        if let (Some(p), Some(k)) = (paths.get(i), kinds.get(i).and_then(ErrorKind::parse)) {
            known.insert((p.to_string(), k));
        }
    }
    Ok(known)
}
