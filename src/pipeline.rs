//! The ingest pipeline: the only module that knows every stage.
//!
//! ```text
//! lock ─► discover ─► plan (what changed) ─► rayon workers: map, split, hash, parse ─► bounded queue ─► sink thread
//!                                                                                     ├─ tantivy index
//!                                                                                     └─ Parquet parts (table store)
//!         ─► reconcile: removed and renamed copies, gone messages, derived tables ─► final commit
//! ```
//!
//! Workers hand finished records to one sink thread through a bounded channel,
//! so at most `QUEUE_DEPTH` records plus one Parquet batch are in memory
//! whatever the archive's size. Every batch is one commit: its Parquet parts
//! and its index documents become visible together ([`crate::sink::store`]).
//! Files unchanged since the last ingest are not read; a message whose key is
//! already in the index only gains a location. Ctrl-C ([`STOP`]) or a kill
//! at any point leaves the last commit in force; the next ingest finishes the job.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rayon::prelude::*;

use crate::db::DbPaths;
use crate::error::{Error, Result};
use crate::model::{
    AttachmentRecord, AuthResultRecord, DkimSignatureRecord, ErrorRecord, HopRecord, Location, MessageRecord, RawMessage, SourceKind,
};
use crate::analyze::Analyzer;
use crate::parse::{msg_key, Limits};
use crate::sink::index::{existing_keys, key_number, open_or_create, IndexSink};
use crate::sink::store::TableStore;
use crate::sink::tables;
use crate::source::{self, compressed, mbox, SourceFile};

/// Set (by the CLI's Ctrl-C / SIGTERM handler) to stop an ingest cleanly:
/// workers stop taking messages, the sink commits what it has.
pub static STOP: AtomicBool = AtomicBool::new(false);

/// Records in flight between the workers and the sink.
const QUEUE_DEPTH: usize = 2048;

/// A label the user gives to everything in one ingest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Spam,
    Ham,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Spam => "spam",
            Label::Ham => "ham",
        }
    }
}

/// Everything an ingest needs, resolved from the command line.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    pub paths: Vec<PathBuf>,
    pub db: DbPaths,
    pub label: Option<Label>,
    /// Folder names and filter headers that label messages (`--spam-folder`, …).
    pub label_rules: crate::analyze::labels::LabelRules,
    /// Rows per Parquet part (and per index commit). The batch is most of
    /// an ingest's heap: with 20,000 rows peak RSS was 604 MB (38k
    /// messages) and 723 MB (232k); with 10,000, 519 and 560 MB.
    pub batch_rows: usize,
    /// tantivy's indexing memory budget in bytes.
    pub index_heap: usize,
    /// Networks whose relays the receiving side vouches for (`--trusted-network`).
    pub trusted_networks: Vec<ipnet::IpNet>,
    /// authserv-ids whose Authentication-Results count wherever they stand (`--authserv-id`).
    pub authserv_ids: Vec<String>,
    /// DKIM public keys the user supplies (`--dkim-keys`); empty: no verification.
    pub dkim_keys: crate::analyze::dkim_verify::DkimKeys,
    /// Bounds on the work one message may cause (`--max-…`).
    pub limits: Limits,
}

impl IngestConfig {
    pub fn new(paths: Vec<PathBuf>, db: DbPaths) -> Self {
        IngestConfig { paths, db, label: None, label_rules: Default::default(), batch_rows: 10_000, index_heap: 128_000_000, trusted_networks: Vec::new(), authserv_ids: Vec::new(), dkim_keys: Default::default(), limits: Limits::default() }
    }
}

/// Told how far an ingest has got; the CLI draws a bar, tests ignore it.
pub trait Progress: Sync {
    /// Called once: bytes on disk and files to read.
    fn start(&self, _total_bytes: u64, _files: usize) {}
    /// Called as work is done: messages handled and bytes of disk input read.
    fn advance(&self, _messages: u64, _disk_bytes: u64) {}
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
    /// Copies of messages already in the database or seen twice in this
    /// run: recorded as locations, not parsed again.
    pub duplicates: u64,
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
    /// Stopped by Ctrl-C or SIGTERM: what was committed stays, the rest is
    /// done by the next ingest.
    pub interrupted: bool,
    pub seconds: f64,
    pub db: PathBuf,
    /// The first problems of this run (at most [`SHOWN_PROBLEMS`]); all are
    /// in the `errors` table.
    pub problems: Vec<ErrorRecord>,
}

/// Problems an ingest reports itself; `mailidx errors` lists them all.
pub const SHOWN_PROBLEMS: usize = 5;

impl IngestSummary {
    /// Exit status 1 ("finished, but some messages were skipped") applies.
    pub fn had_problems(&self) -> bool {
        self.malformed > 0 || self.skipped > 0 || self.interrupted
    }
}

enum Item {
    Message(Box<MessageRecord>),
    /// Another copy of a message already known (key, where).
    Copy(String, Location),
    Problem(ErrorRecord),
}

/// Shared state of the workers.
struct Workers<'a> {
    existing: HashSet<u64>,
    seen: Mutex<HashSet<u64>>,
    /// Copies the database already records: offsets by path.
    recorded: HashMap<String, HashSet<u64>>,
    duplicates: AtomicU64,
    bytes: AtomicU64,
    skipped: AtomicU64,
    /// Files that failed to read this run: their state is not recorded.
    failed: Mutex<HashSet<PathBuf>>,
    analyzer: Analyzer,
    progress: &'a dyn Progress,
    /// Set when the sink has stopped: workers stop producing.
    abort: AtomicBool,
}

impl Workers<'_> {
    fn stopped(&self) -> bool {
        self.abort.load(Ordering::Relaxed) || STOP.load(Ordering::Relaxed)
    }
}

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

/// Runs an ingest of `cfg.paths` into `cfg.db`.
pub fn ingest(cfg: &IngestConfig, progress: &dyn Progress) -> Result<IngestSummary> {
    let started = Instant::now();
    let mut found = source::discover(&cfg.paths)?;
    let file_count = found.files.len() as u64;
    if cfg.db.root.exists() && !cfg.db.root.is_dir() {
        return Err(Error::Other(format!("--db {}: is a file, not a database directory", cfg.db.root.display())));
    }
    std::fs::create_dir_all(&cfg.db.root).map_err(|e| {
        Error::Other(format!(
            "cannot create the database directory {}: {e}; pass a writable --db DIR (or set MAILIDX_DB)",
            cfg.db.root.display()
        ))
    })?;
    let _lock = lock(&cfg.db)?;
    let (index, fields) = open_or_create(&cfg.db.index_dir())?;
    let store = TableStore::open(&cfg.db)?;
    let existing = existing_keys(&index, &fields)?;
    let index_sink = IndexSink::new(&index, fields, cfg.index_heap)?;
    let mut plan = crate::incremental::plan(&mut found, &store.sources);
    let committed = crate::reconcile::Committed::load(&store)?;
    // Copies already recorded, except those of files read again from the start.
    let recorded = committed.recorded_except(&plan.dropped);
    let known = known_file_problems(&store)?;

    let to_read: Vec<(&SourceFile, u64)> = plan.read.iter().map(|f| (f, 0)).chain(plan.appended.iter().map(|(f, o)| (f, *o))).collect();
    progress.start(to_read.iter().map(|(f, o)| f.size - o.min(&f.size)).sum(), to_read.len());
    let (tx, rx) = sync_channel::<Item>(QUEUE_DEPTH);
    let batch_rows = cfg.batch_rows.max(1);
    let sink = std::thread::Builder::new()
        .name("mailidx-sink".into())
        .spawn(move || run_sink(rx, index_sink, store, batch_rows))
        .map_err(|e| Error::Other(format!("cannot start sink thread: {e}")))?;

    let workers = Workers {
        existing,
        seen: Mutex::new(HashSet::new()),
        recorded,
        duplicates: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        skipped: AtomicU64::new(0),
        failed: Mutex::new(HashSet::new()),
        analyzer: Analyzer {
            limits: cfg.limits,
            trusted: cfg.trusted_networks.clone(),
            authserv_ids: cfg.authserv_ids.clone(),
            dkim_keys: cfg.dkim_keys.clone(),
            label_rules: cfg.label_rules.clone(),
            label: cfg.label.map(Label::as_str),
        },
        progress,
        abort: AtomicBool::new(false),
    };
    // Files already listed in `errors` by an earlier ingest are not listed again.
    let is_new = |path: &std::path::Path, kind: &str| !known.contains(&(path.to_string_lossy().into_owned(), kind.to_string()));
    for (path, why) in found.ignored.iter().filter(|(p, _)| is_new(p, "not_mail")) {
        let _ = tx.send(Item::Problem(problem(path, None, "not_mail", why)));
    }
    for (path, why) in &found.unreadable {
        workers.skipped.fetch_add(1, Ordering::Relaxed);
        if is_new(path, "io") {
            let _ = tx.send(Item::Problem(problem(path, None, "io", why)));
        }
    }
    let singles: Vec<&SourceFile> =
        to_read.iter().map(|(f, _)| *f).filter(|f| matches!(f.kind, SourceKind::Maildir | SourceKind::Eml)).collect();
    singles.par_iter().for_each_with(tx.clone(), |tx, f| workers.single_file(f, tx));
    for (f, from) in to_read.iter().filter(|(f, _)| f.kind.is_mbox()) {
        if workers.stopped() {
            break;
        }
        workers.mbox_file(f, *from, &tx);
    }
    drop(tx);
    let (mut index_sink, mut store, counts) = sink.join().map_err(|_| Error::Other("sink thread panicked".into()))??;
    let interrupted = STOP.load(Ordering::Relaxed) || workers.abort.load(Ordering::Relaxed);
    let mut summary = IngestSummary {
        messages: counts.messages,
        bytes: workers.bytes.load(Ordering::Relaxed),
        malformed: counts.malformed,
        problems: counts.problems,
        skipped: workers.skipped.load(Ordering::Relaxed),
        ignored: found.ignored.len() as u64,
        duplicates: workers.duplicates.load(Ordering::Relaxed),
        files: file_count,
        unchanged_files: plan.unchanged.len() as u64,
        appended_files: plan.appended.len() as u64,
        interrupted,
        db: cfg.db.root.clone(),
        ..Default::default()
    };
    let changed = !to_read.is_empty() || !plan.dropped.is_empty() || !plan.renamed.is_empty();
    if !interrupted && changed {
        // Removed and renamed copies, messages left without a copy, the
        // sources' new state, and the derived tables: one last commit.
        let failed = workers.failed.into_inner().unwrap_or_default();
        let r = crate::reconcile::finish(&mut store, &mut index_sink, &committed, &mut plan, &failed)?;
        summary.renamed = r.renamed;
        summary.removed_copies = r.removed_copies;
        summary.removed_messages = r.removed_messages;
    }
    index_sink.finish()?;
    progress.finish();
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// (path, kind) of the whole-file problems the `errors` table already lists.
fn known_file_problems(store: &TableStore) -> Result<HashSet<(String, String)>> {
    let mut known = HashSet::new();
    let Some(df) = crate::sink::parquet::read_parts(&store.files(tables::ERRORS.table), "errors", Some(&["source_path", "error_kind"]))? else {
        return Ok(known);
    };
    let col = |name: &str| df.column(name).and_then(|c| c.str().cloned()).map_err(|source| Error::Table { table: "errors".into(), source });
    let (paths, kinds) = (col("source_path")?, col("error_kind")?);
    for i in 0..df.height() {
        if let (Some(p), Some(k)) = (paths.get(i), kinds.get(i)) {
            known.insert((p.to_string(), k.to_string()));
        }
    }
    Ok(known)
}

fn problem(path: &std::path::Path, offset: Option<u64>, kind: &str, reason: &str) -> ErrorRecord {
    ErrorRecord {
        source_path: path.to_string_lossy().into_owned(),
        source_offset: offset,
        error_kind: kind.into(),
        reason: reason.into(),
        msg_key: None,
    }
}

impl Workers<'_> {
    /// Hashes one message; a copy the database records is passed over, a
    /// copy of a known message becomes a location, a new message is parsed
    /// and analysed.
    fn handle(&self, raw: RawMessage<'_>, tx: &SyncSender<Item>) {
        self.bytes.fetch_add(raw.bytes.len() as u64, Ordering::Relaxed);
        if self.recorded.get(&raw.location.path).is_some_and(|o| o.contains(&raw.location.offset)) {
            return;
        }
        let key = msg_key(&raw.bytes);
        let num = key_number(&key).unwrap_or_default();
        let fresh = !self.existing.contains(&num) && self.seen.lock().map(|mut s| s.insert(num)).unwrap_or(true);
        if !fresh {
            self.duplicates.fetch_add(1, Ordering::Relaxed);
            self.send(tx, Item::Copy(key, raw.location));
            return;
        }
        let rec = self.analyzer.record(&raw, key);
        if !rec.parse_ok {
            let mut p = problem(std::path::Path::new(&rec.source_path), Some(rec.source_offset), "malformed", "");
            p.reason = rec.warnings.join("; ");
            p.msg_key = Some(rec.msg_key.clone());
            self.send(tx, Item::Problem(p));
        }
        self.send(tx, Item::Message(Box::new(rec)));
    }

    fn send(&self, tx: &SyncSender<Item>, item: Item) {
        if tx.send(item).is_err() {
            self.abort.store(true, Ordering::Relaxed);
        }
    }

    fn io_problem(&self, f: &SourceFile, e: &std::io::Error, tx: &SyncSender<Item>) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
        let path = f.path();
        self.send(tx, Item::Problem(problem(&path, None, "io", &e.to_string())));
        if let Ok(mut failed) = self.failed.lock() {
            failed.insert(path);
        }
    }

    /// A Maildir message or a single message file.
    fn single_file(&self, f: &SourceFile, tx: &mut SyncSender<Item>) {
        if self.stopped() {
            return;
        }
        // Read, not mapped: a file truncated meanwhile reads short instead
        // of faulting. A file over max_message_bytes is read that far only.
        let max = self.analyzer.limits.max_message_bytes as u64;
        let mut data = Vec::with_capacity(f.size.min(max) as usize);
        let path = f.path();
        if let Err(e) = std::fs::File::open(&path).and_then(|file| file.take(max).read_to_end(&mut data)) {
            return self.io_problem(f, &e, tx);
        }
        let whole = if data.len() as u64 == max { f.size.max(max) } else { data.len() as u64 };
        let start = source::single_message_start(&data);
        let flags = match f.kind {
            SourceKind::Maildir => source::maildir::split_name(&f.name.to_string_lossy()).1.to_string(),
            _ => String::new(),
        };
        let raw = RawMessage {
            bytes: Cow::Borrowed(&data[start..]),
            location: Location {
                path: path.to_string_lossy().into_owned(),
                offset: start as u64,
                length: whole - start as u64,
                folder: f.folder().to_string(),
                kind: f.kind,
                flags,
            },
        };
        self.handle(raw, tx);
        self.progress.advance(1, f.size);
    }

    /// An mbox, plain (from byte `from` on: 0, or where it ended at the last
    /// ingest, up to the size discovery saw) or compressed (whole): read in
    /// blocks of whole messages, each block's messages parsed in parallel.
    fn mbox_file(&self, f: &SourceFile, from: u64, tx: &SyncSender<Item>) {
        use std::io::{Seek, SeekFrom};
        let disk = Arc::new(AtomicU64::new(0));
        let plain = f.kind == SourceKind::Mbox;
        let (from, len) = if plain { (from, f.size.saturating_sub(from)) } else { (0, u64::MAX) };
        let path = f.path();
        let opened = std::fs::File::open(&path).and_then(|mut file| {
            file.seek(SeekFrom::Start(from))?;
            compressed::decode(CountingReader { inner: file, count: disk.clone() }.take(len), f.kind)
        });
        let reader = match opened {
            Ok(r) => r,
            Err(e) => return self.io_problem(f, &e, tx),
        };
        let path = path.to_string_lossy().into_owned();
        let mut blocks = mbox::MboxBlocks::new(reader, from);
        let mut reported = 0u64;
        while !self.stopped() {
            let block = match blocks.next_block() {
                Ok(Some(b)) => b,
                Ok(None) => break,
                Err(e) => return self.io_problem(f, &e, tx),
            };
            let entries = block.entries();
            entries.par_iter().for_each_with(tx.clone(), |tx, e| {
                if !self.stopped() {
                    self.handle(mbox_message(f, &path, block.base + e.offset as u64, e.bytes), tx);
                }
            });
            let now = disk.load(Ordering::Relaxed);
            self.progress.advance(entries.len() as u64, now - reported);
            reported = now;
        }
    }
}

/// A message of an mbox, its `>From` quoting undone.
fn mbox_message<'a>(f: &SourceFile, path: &str, offset: u64, bytes: &'a [u8]) -> RawMessage<'a> {
    RawMessage {
        bytes: mbox::unescape_from(bytes),
        location: Location {
            path: path.to_string(),
            offset,
            length: bytes.len() as u64,
            folder: f.folder().to_string(),
            kind: f.kind,
            flags: String::new(),
        },
    }
}

/// Counts bytes read from disk, for the progress bar.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[derive(Default)]
struct SinkCounts {
    messages: u64,
    malformed: u64,
    /// The run's first problems, for the summary.
    problems: Vec<ErrorRecord>,
}

/// The rows of one batch, one vector per table.
#[derive(Default)]
struct Batch {
    messages: Vec<MessageRecord>,
    hops: Vec<HopRecord>,
    auth: Vec<AuthResultRecord>,
    dkim: Vec<DkimSignatureRecord>,
    attachments: Vec<AttachmentRecord>,
    problems: Vec<ErrorRecord>,
    locations: Vec<Location>,
    location_keys: Vec<String>,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.messages.is_empty() && self.problems.is_empty() && self.locations.is_empty()
    }

    /// Writes the batch's parts and commits them with the index documents
    /// added since the last commit.
    fn commit(&mut self, store: &mut TableStore, index: &mut IndexSink) -> Result<()> {
        let table_err = |table: &str, source| Error::Table { table: table.to_string(), source };
        let frames = [
            (tables::MESSAGES.table, tables::messages_frame(&self.messages)),
            (tables::RECEIVED_HOPS.table, tables::hops_frame(&self.hops)),
            (tables::AUTH_RESULTS.table, tables::auth_frame(&self.auth)),
            (tables::DKIM_SIGNATURES.table, tables::dkim_frame(&self.dkim)),
            (tables::ATTACHMENTS.table, tables::attachments_frame(&self.attachments)),
            (tables::ERRORS.table, tables::errors_frame(&self.problems)),
            (tables::LOCATIONS.table, tables::locations_frame(&self.locations, &self.location_keys)),
        ];
        for (table, df) in frames {
            store.write_part(table, &mut df.map_err(|e| table_err(table, e))?)?;
        }
        let payload = store.stage()?;
        index.commit(&payload)?;
        store.published()?;
        *self = Batch::default();
        Ok(())
    }
}

/// The sink thread: adds records to the index and, every `batch_rows`
/// messages, writes their Parquet parts and commits both together.
fn run_sink(rx: Receiver<Item>, mut index: IndexSink, mut store: TableStore, batch_rows: usize) -> Result<(IndexSink, TableStore, SinkCounts)> {
    let mut counts = SinkCounts::default();
    let mut b = Batch::default();
    for item in rx {
        match item {
            Item::Message(mut rec) => {
                index.add(&rec)?;
                counts.messages += 1;
                if !rec.parse_ok {
                    counts.malformed += 1;
                }
                rec.body_text = String::new();
                b.hops.append(&mut rec.hops);
                b.auth.append(&mut rec.auth_rows);
                b.dkim.append(&mut rec.dkim_rows);
                b.attachments.append(&mut rec.attachment_rows);
                b.location_keys.push(rec.msg_key.clone());
                b.locations.push(Location {
                    path: rec.source_path.clone(),
                    offset: rec.source_offset,
                    length: rec.source_length,
                    folder: rec.folder.clone(),
                    kind: SourceKind::parse(&rec.source_kind).unwrap_or(SourceKind::Eml),
                    flags: rec.maildir_flags.clone(),
                });
                b.messages.push(*rec);
            }
            Item::Copy(key, loc) => {
                b.location_keys.push(key);
                b.locations.push(loc);
            }
            Item::Problem(p) => {
                if counts.problems.len() < SHOWN_PROBLEMS {
                    counts.problems.push(p.clone());
                }
                b.problems.push(p)
            }
        }
        // A batch ends at batch_rows messages (or copies), or sooner when
        // their hops (about five a message) would make the hops part large.
        if b.messages.len() >= batch_rows || b.locations.len() >= 4 * batch_rows || b.hops.len() >= 3 * batch_rows {
            b.commit(&mut store, &mut index)?;
        }
    }
    if !b.is_empty() {
        b.commit(&mut store, &mut index)?;
    }
    Ok((index, store, counts))
}
