//! The workers: read each file the plan names, split mbox files into
//! messages, hash each message, and parse and analyse the new ones on all
//! cores (rayon). Finished records go to the batch thread ([`super::batch`])
//! through a bounded channel, so memory stays bounded whatever the archive.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::{Progress, STOP};
use crate::analyze::Analyzer;
use crate::model::{path_text, text_path, ErrorKind, ErrorRecord, Location, MessageRecord, RawMessage, SourceKind};
use crate::parse::msg_key;
use crate::source::{self, compressed, mbox, SourceFile};
use crate::store::index::key_number;

/// What a worker hands the batch thread.
pub(super) enum Item {
    Message(Box<MessageRecord>),
    /// Another copy of a message already known (key, where).
    Copy(String, Location),
    Problem(ErrorRecord),
    /// DMARC reports read from a report file.
    Reports(Box<crate::model::DmarcRows>),
}

/// Shared state of the workers.
pub(super) struct Workers<'a> {
    /// Keys of the messages the database already holds.
    pub(super) existing: HashSet<u64>,
    pub(super) seen: Mutex<HashSet<u64>>,
    /// Copies the database already records: offsets by path.
    pub(super) recorded: HashMap<String, HashSet<u64>>,
    pub(super) duplicates: AtomicU64,
    pub(super) bytes: AtomicU64,
    pub(super) skipped: AtomicU64,
    /// Files that failed to read this run: their state is not recorded.
    pub(super) failed: Mutex<HashSet<PathBuf>>,
    pub(super) analyzer: Analyzer,
    pub(super) progress: &'a dyn Progress,
    /// Set when the batch thread has stopped: workers stop producing.
    pub(super) abort: AtomicBool,
}

impl<'a> Workers<'a> {
    pub(super) fn new(existing: HashSet<u64>, recorded: HashMap<String, HashSet<u64>>, analyzer: Analyzer, progress: &'a dyn Progress) -> Self {
        Workers {
            existing,
            seen: Mutex::new(HashSet::new()),
            recorded,
            duplicates: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            failed: Mutex::new(HashSet::new()),
            analyzer,
            progress,
            abort: AtomicBool::new(false),
        }
    }

    pub(super) fn stopped(&self) -> bool {
        self.abort.load(Ordering::Relaxed) || STOP.load(Ordering::Relaxed)
    }

    /// Reads every file of `to_read` (from the offset given), Maildir and
    /// single files in parallel, then each mbox with its blocks in parallel.
    pub(super) fn read_all(&self, to_read: &[(&SourceFile, u64, u64)], tx: &SyncSender<Item>) {
        let singles: Vec<&SourceFile> =
            to_read.iter().map(|(f, _, _)| *f).filter(|f| matches!(f.kind, SourceKind::Maildir | SourceKind::Eml)).collect();
        singles.par_iter().for_each_with(tx.clone(), |tx, f| self.single_file(f, tx));
        for (f, from, until) in to_read.iter().filter(|(f, _, _)| f.kind.is_mbox()) {
            if self.stopped() {
                break;
            }
            self.mbox_file(f, *from, *until, tx);
        }
    }
}

/// A problem with a file or message, as a row of `errors`.
pub(super) fn problem(path: &std::path::Path, offset: Option<u64>, kind: ErrorKind, reason: &str) -> ErrorRecord {
    ErrorRecord {
        source_path: path_text(path),
        source_offset: offset,
        error_kind: kind,
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
            let mut p = problem(&text_path(&rec.location.path), Some(rec.location.offset), ErrorKind::Malformed, "");
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
        self.send(tx, Item::Problem(problem(&path, None, ErrorKind::Io, &e.to_string())));
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
                path: path_text(&path),
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
    /// ingest, up to `until`: the size discovery saw, or the end of a slice
    /// cut at a message boundary) or compressed (whole): read in blocks of
    /// whole messages, each block's messages parsed in parallel.
    fn mbox_file(&self, f: &SourceFile, from: u64, until: u64, tx: &SyncSender<Item>) {
        use std::io::{Seek, SeekFrom};
        let disk = Arc::new(AtomicU64::new(0));
        let plain = f.kind == SourceKind::Mbox;
        let until = until.min(f.size);
        let (from, len) = if plain { (from, until.saturating_sub(from)) } else { (0, u64::MAX) };
        let path = f.path();
        let opened = std::fs::File::open(&path).and_then(|mut file| {
            file.seek(SeekFrom::Start(from))?;
            compressed::decode(CountingReader { inner: file, count: disk.clone() }.take(len), f.kind)
        });
        let reader = match opened {
            Ok(r) => r,
            Err(e) => return self.io_problem(f, &e, tx),
        };
        let path = path_text(&path);
        let mut blocks = mbox::MboxBlocks::new(reader, from);
        if plain && until < f.size {
            blocks = blocks.ending_before_more();
        }
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