//! The ingest pipeline: the only module that knows every stage.
//!
//! ```text
//! discover ──► rayon workers: map file, split, hash, parse ──► bounded queue ──► sink thread
//!                                                                              ├─ tantivy index
//!                                                                              └─ Parquet parts
//! ```
//!
//! Workers hand finished records to one sink thread through a bounded channel,
//! so at most `QUEUE_DEPTH` records plus one Parquet batch are in memory
//! whatever the archive's size. Messages whose key is already in the index, or
//! was seen earlier in the run, are counted as duplicates and not written
//! again, so re-running an ingest adds nothing twice.

use std::borrow::Cow;
use std::collections::HashSet;
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
use crate::parse::{msg_key, parse_message};
use crate::sink::index::{existing_keys, key_number, open_or_create, IndexSink};
use crate::sink::parquet::PartWriter;
use crate::sink::tables;
use crate::source::{self, compressed, mbox, mmap::MappedFile, SourceFile};

/// Records in flight between the workers and the sink.
const QUEUE_DEPTH: usize = 2048;
/// Messages taken from an mbox (mapped or streamed) before they are parsed in
/// parallel; bounds the memory an mbox of any size needs.
const STREAM_CHUNK: usize = 2000;

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
    /// Rows per Parquet part (and per index commit).
    pub batch_rows: usize,
    /// tantivy's indexing memory budget in bytes.
    pub index_heap: usize,
    /// Networks whose relays the receiving side vouches for (`--trusted-network`).
    pub trusted_networks: Vec<ipnet::IpNet>,
    /// authserv-ids whose Authentication-Results count wherever they stand (`--authserv-id`).
    pub authserv_ids: Vec<String>,
    /// DKIM public keys the user supplies (`--dkim-keys`); empty: no verification.
    pub dkim_keys: crate::analyze::dkim_verify::DkimKeys,
}

impl IngestConfig {
    pub fn new(paths: Vec<PathBuf>, db: DbPaths) -> Self {
        IngestConfig { paths, db, label: None, label_rules: Default::default(), batch_rows: 20_000, index_heap: 128_000_000, trusted_networks: Vec::new(), authserv_ids: Vec::new(), dkim_keys: Default::default() }
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
    /// Messages already in the database or seen twice in this run.
    pub duplicates: u64,
    pub files: u64,
    pub seconds: f64,
    pub db: PathBuf,
}

impl IngestSummary {
    /// Exit status 1 ("finished, but some messages were skipped") applies.
    pub fn had_problems(&self) -> bool {
        self.malformed > 0 || self.skipped > 0
    }
}

enum Item {
    Message(Box<MessageRecord>),
    Problem(ErrorRecord),
}

/// Shared state of the workers.
struct Workers<'a> {
    existing: HashSet<u64>,
    seen: Mutex<HashSet<u64>>,
    duplicates: AtomicU64,
    bytes: AtomicU64,
    skipped: AtomicU64,
    label: Option<Label>,
    label_rules: crate::analyze::labels::LabelRules,
    trusted: Vec<ipnet::IpNet>,
    authserv_ids: Vec<String>,
    dkim_keys: crate::analyze::dkim_verify::DkimKeys,
    progress: &'a dyn Progress,
    /// Set when the sink has stopped: workers stop producing.
    abort: AtomicBool,
}

/// Runs an ingest of `cfg.paths` into `cfg.db`.
pub fn ingest(cfg: &IngestConfig, progress: &dyn Progress) -> Result<IngestSummary> {
    let started = Instant::now();
    let found = source::discover(&cfg.paths)?;
    if cfg.db.root.exists() && !cfg.db.root.is_dir() {
        return Err(Error::Other(format!("--db {}: is a file, not a database directory", cfg.db.root.display())));
    }
    std::fs::create_dir_all(&cfg.db.root).map_err(|e| Error::io(&cfg.db.root, e))?;
    let (index, fields) = open_or_create(&cfg.db.index_dir())?;
    let existing = existing_keys(&index, &fields)?;
    let index_sink = IndexSink::new(&index, fields, cfg.index_heap)?;
    let run_id = run_id();
    let tables_dir = cfg.db.tables_dir();
    let out = TableWriters {
        messages: PartWriter::new(&tables_dir, tables::MESSAGES.table, &run_id)?,
        hops: PartWriter::new(&tables_dir, tables::RECEIVED_HOPS.table, &run_id)?,
        auth: PartWriter::new(&tables_dir, tables::AUTH_RESULTS.table, &run_id)?,
        dkim: PartWriter::new(&tables_dir, tables::DKIM_SIGNATURES.table, &run_id)?,
        attachments: PartWriter::new(&tables_dir, tables::ATTACHMENTS.table, &run_id)?,
        errors: PartWriter::new(&tables_dir, tables::ERRORS.table, &run_id)?,
    };

    progress.start(found.total_bytes(), found.files.len());
    let (tx, rx) = sync_channel::<Item>(QUEUE_DEPTH);
    let batch_rows = cfg.batch_rows.max(1);
    let sink = std::thread::Builder::new()
        .name("mailidx-sink".into())
        .spawn(move || run_sink(rx, index_sink, out, batch_rows))
        .map_err(|e| Error::Other(format!("cannot start sink thread: {e}")))?;

    let workers = Workers {
        existing,
        seen: Mutex::new(HashSet::new()),
        duplicates: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        skipped: AtomicU64::new(0),
        label: cfg.label,
        label_rules: cfg.label_rules.clone(),
        trusted: cfg.trusted_networks.clone(),
        authserv_ids: cfg.authserv_ids.clone(),
        dkim_keys: cfg.dkim_keys.clone(),
        progress,
        abort: AtomicBool::new(false),
    };
    // Files already listed in `errors` by an earlier ingest are not listed again.
    let known = known_file_problems(&tables_dir)?;
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
        found.files.iter().filter(|f| matches!(f.kind, SourceKind::Maildir | SourceKind::Eml)).collect();
    singles.par_iter().for_each_with(tx.clone(), |tx, f| workers.single_file(f, tx));
    for f in found.files.iter().filter(|f| f.kind.is_mbox()) {
        if workers.abort.load(Ordering::Relaxed) {
            break;
        }
        match f.kind {
            SourceKind::Mbox => workers.mbox_file(f, &tx),
            _ => workers.compressed_file(f, &tx),
        }
    }
    drop(tx);
    let counts = sink.join().map_err(|_| Error::Other("sink thread panicked".into()))??;
    // The derived statistics describe the whole database, this run included.
    crate::stats::rebuild(&cfg.db)?;
    progress.finish();
    Ok(IngestSummary {
        messages: counts.messages,
        bytes: workers.bytes.load(Ordering::Relaxed),
        malformed: counts.malformed,
        skipped: workers.skipped.load(Ordering::Relaxed),
        ignored: found.ignored.len() as u64,
        duplicates: workers.duplicates.load(Ordering::Relaxed),
        files: found.files.len() as u64,
        seconds: started.elapsed().as_secs_f64(),
        db: cfg.db.root.clone(),
    })
}

/// (path, kind) of the whole-file problems the `errors` table already lists.
fn known_file_problems(tables_dir: &std::path::Path) -> Result<HashSet<(String, String)>> {
    let mut known = HashSet::new();
    if crate::sink::parquet::part_files(tables_dir, tables::ERRORS.table)?.is_empty() {
        return Ok(known);
    }
    let df = crate::sink::parquet::read_table(tables_dir, tables::ERRORS.table)?;
    let col = |name: &str| {
        df.column(name).and_then(|c| c.str().cloned()).map_err(|source| Error::Table { table: "errors".into(), source })
    };
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

/// A name for this run's Parquet parts that sorts by time.
fn run_id() -> String {
    let now = chrono::Utc::now();
    format!("{}-{}", now.format("%Y%m%dT%H%M%S%3f"), std::process::id())
}

impl Workers<'_> {
    /// Hashes, de-duplicates and parses one message, and queues the result.
    fn handle(&self, raw: RawMessage<'_>, tx: &SyncSender<Item>) {
        self.bytes.fetch_add(raw.bytes.len() as u64, Ordering::Relaxed);
        let key = msg_key(&raw.bytes);
        let num = key_number(&key).unwrap_or_default();
        let fresh = !self.existing.contains(&num) && self.seen.lock().map(|mut s| s.insert(num)).unwrap_or(true);
        if !fresh {
            self.duplicates.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let mut rec = parse_message(&raw, key);
        crate::analyze::hops::annotate(&mut rec, &self.trusted);
        crate::analyze::auth::annotate(&mut rec, &self.authserv_ids);
        crate::analyze::dkim_verify::verify_record(&raw.bytes, &mut rec, &self.dkim_keys);
        crate::analyze::forgery::annotate(&mut rec);
        crate::analyze::labels::annotate(&mut rec, &self.label_rules, self.label.map(Label::as_str));
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
        self.send(tx, Item::Problem(problem(&f.path, None, "io", &e.to_string())));
    }

    /// A Maildir message or a single message file.
    fn single_file(&self, f: &SourceFile, tx: &mut SyncSender<Item>) {
        if self.abort.load(Ordering::Relaxed) {
            return;
        }
        let map = match MappedFile::open(&f.path) {
            Ok(m) => m,
            Err(e) => return self.io_problem(f, &e, tx),
        };
        let start = source::single_message_start(&map);
        let flags = match f.kind {
            SourceKind::Maildir => {
                let name = f.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                source::maildir::split_name(&name).1.to_string()
            }
            _ => String::new(),
        };
        let raw = RawMessage {
            bytes: Cow::Borrowed(&map[start..]),
            location: Location {
                path: f.path.to_string_lossy().into_owned(),
                offset: start as u64,
                length: (map.len() - start) as u64,
                folder: f.folder.clone(),
                kind: f.kind,
                flags,
            },
        };
        self.handle(raw, tx);
        self.progress.advance(1, f.size);
    }

    /// An uncompressed mbox: mapped, split serially, parsed in parallel.
    fn mbox_file(&self, f: &SourceFile, tx: &SyncSender<Item>) {
        let map = match MappedFile::open(&f.path) {
            Ok(m) => m,
            Err(e) => return self.io_problem(f, &e, tx),
        };
        let path = f.path.to_string_lossy().into_owned();
        let mut splitter = mbox::MboxSplitter::new(&map);
        let mut released = 0;
        loop {
            let chunk: Vec<mbox::MboxEntry<'_>> = splitter.by_ref().take(STREAM_CHUNK).collect();
            let Some(last) = chunk.last() else { break };
            let done = last.offset + last.bytes.len();
            chunk.par_iter().for_each_with(tx.clone(), |tx, e| {
                if !self.abort.load(Ordering::Relaxed) {
                    self.handle(mbox_message(f, &path, e.offset as u64, e.bytes), tx);
                }
            });
            self.progress.advance(chunk.len() as u64, (done - released) as u64);
            map.release(released, done);
            released = done;
        }
    }

    /// A compressed mbox: decompressed as a stream, parsed chunk by chunk.
    fn compressed_file(&self, f: &SourceFile, tx: &SyncSender<Item>) {
        let disk = Arc::new(AtomicU64::new(0));
        let decoder = match std::fs::File::open(&f.path)
            .and_then(|file| compressed::decode(CountingReader { inner: file, count: disk.clone() }, f.kind))
        {
            Ok(d) => d,
            Err(e) => return self.io_problem(f, &e, tx),
        };
        let path = f.path.to_string_lossy().into_owned();
        let mut stream = compressed::StreamingMbox::new(decoder);
        let mut reported = 0u64;
        loop {
            if self.abort.load(Ordering::Relaxed) {
                return;
            }
            let mut chunk = Vec::with_capacity(STREAM_CHUNK);
            for entry in stream.by_ref().take(STREAM_CHUNK) {
                match entry {
                    Ok(e) => chunk.push(e),
                    Err(e) => {
                        self.io_problem(f, &e, tx);
                        break;
                    }
                }
            }
            if chunk.is_empty() {
                break;
            }
            let n = chunk.len() as u64;
            chunk.par_iter().for_each_with(tx.clone(), |tx, e| {
                self.handle(mbox_message(f, &path, e.offset, &e.bytes), tx);
            });
            let now = disk.load(Ordering::Relaxed);
            self.progress.advance(n, now - reported);
            reported = now;
        }
    }
}

/// A message of an mbox (mapped or streamed), its `>From` quoting undone.
fn mbox_message<'a>(f: &SourceFile, path: &str, offset: u64, bytes: &'a [u8]) -> RawMessage<'a> {
    RawMessage {
        bytes: mbox::unescape_from(bytes),
        location: Location {
            path: path.to_string(),
            offset,
            length: bytes.len() as u64,
            folder: f.folder.clone(),
            kind: f.kind,
            flags: String::new(),
        },
    }
}

/// Counts bytes read from disk, for the progress bar of compressed files.
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

/// One part writer per table the sink writes.
struct TableWriters {
    messages: PartWriter,
    hops: PartWriter,
    auth: PartWriter,
    dkim: PartWriter,
    attachments: PartWriter,
    errors: PartWriter,
}

#[derive(Default)]
struct SinkCounts {
    messages: u64,
    malformed: u64,
}

/// The sink thread: adds records to the index and writes Parquet parts in
/// batches. A batch's part is written before the index commit that makes its
/// messages count as present.
fn run_sink(
    rx: Receiver<Item>,
    mut index: IndexSink,
    mut out: TableWriters,
    batch_rows: usize,
) -> Result<SinkCounts> {
    let mut counts = SinkCounts::default();
    let mut batch: Vec<MessageRecord> = Vec::with_capacity(batch_rows.min(65_536));
    let mut hops: Vec<HopRecord> = Vec::new();
    let mut auth: Vec<AuthResultRecord> = Vec::new();
    let mut dkim: Vec<DkimSignatureRecord> = Vec::new();
    let mut attachments: Vec<AttachmentRecord> = Vec::new();
    let mut problems: Vec<ErrorRecord> = Vec::new();
    let table_err = |table: &str, source| Error::Table { table: table.to_string(), source };
    let mut flush = |batch: &mut Vec<MessageRecord>,
                     hops: &mut Vec<HopRecord>,
                     auth: &mut Vec<AuthResultRecord>,
                     dkim: &mut Vec<DkimSignatureRecord>,
                     attachments: &mut Vec<AttachmentRecord>,
                     problems: &mut Vec<ErrorRecord>,
                     index: &mut IndexSink| {
        let mut df = tables::messages_frame(batch).map_err(|e| table_err("messages", e))?;
        out.messages.write(&mut df)?;
        let mut df = tables::hops_frame(hops).map_err(|e| table_err("received_hops", e))?;
        out.hops.write(&mut df)?;
        let mut df = tables::auth_frame(auth).map_err(|e| table_err("auth_results", e))?;
        out.auth.write(&mut df)?;
        let mut df = tables::dkim_frame(dkim).map_err(|e| table_err("dkim_signatures", e))?;
        out.dkim.write(&mut df)?;
        let mut df = tables::attachments_frame(attachments).map_err(|e| table_err("attachments", e))?;
        out.attachments.write(&mut df)?;
        let mut df = tables::errors_frame(problems).map_err(|e| table_err("errors", e))?;
        out.errors.write(&mut df)?;
        index.commit()?;
        batch.clear();
        hops.clear();
        auth.clear();
        dkim.clear();
        attachments.clear();
        problems.clear();
        Ok::<(), Error>(())
    };
    for item in rx {
        match item {
            Item::Message(mut rec) => {
                index.add(&rec)?;
                counts.messages += 1;
                if !rec.parse_ok {
                    counts.malformed += 1;
                }
                rec.body_text = String::new();
                hops.append(&mut rec.hops);
                auth.append(&mut rec.auth_rows);
                dkim.append(&mut rec.dkim_rows);
                attachments.append(&mut rec.attachment_rows);
                batch.push(*rec);
            }
            Item::Problem(p) => problems.push(p),
        }
        // A batch ends at batch_rows messages, or sooner when their hops
        // (about five a message) would make the hops part large.
        if batch.len() >= batch_rows || hops.len() >= 3 * batch_rows {
            flush(&mut batch, &mut hops, &mut auth, &mut dkim, &mut attachments, &mut problems, &mut index)?;
        }
    }
    flush(&mut batch, &mut hops, &mut auth, &mut dkim, &mut attachments, &mut problems, &mut index)?;
    index.finish()?;
    Ok(counts)
}
