//! An archive cut into slices for a job spread over many machines
//! (`spark/ingest.py`): `mailidx slices` lists them, each task ingests its
//! own (`mailidx ingest --slice FILE`) into a database of its own, and
//! `mailidx merge` joins those into one ([`super::merge`]).
//!
//! A slice entry is a whole Maildir or `.eml` file, a whole compressed
//! mbox, a byte range of a plain mbox cut where a message begins
//! ([`crate::source::mbox::cuts`]), a DMARC report file, or a file that is
//! not mail (so that exactly one task records it in `errors`). Tasks
//! discover the same roots the single-machine ingest would, so folders
//! are named alike, and read only their entries.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{path_text, SourceKind};
use crate::source::{self, Discovery, SourceFile};

/// One piece of work.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SliceEntry {
    /// Absolute path, as mailidx names files (`locations.path`).
    pub path: String,
    /// maildir, eml, mbox, mbox.gz, mbox.zst; report (a DMARC or TLS
    /// report file); problem (not mail, unreadable, a link not followed).
    pub kind: String,
    /// Byte range of a plain mbox (the whole file for anything else).
    pub start: u64,
    /// End of the range, exclusive.
    pub end: u64,
}

/// The archive under `roots` as slice entries; plain mbox files longer
/// than `max_bytes` are cut into ranges of about that size.
pub fn slices(roots: &[PathBuf], follow_symlinks: bool, max_bytes: u64) -> Result<Vec<SliceEntry>> {
    let found = source::discover(roots, follow_symlinks)?;
    let mut out = Vec::new();
    for f in &found.files {
        let path = f.path();
        let text = path_text(&path);
        if f.kind == SourceKind::Mbox && f.size > max_bytes {
            let file = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
            let cuts = crate::source::mbox::cuts(std::io::Read::take(file, f.size), max_bytes.clamp(1 << 16, usize::MAX as u64) as usize).map_err(|e| Error::io(&path, e))?;
            out.extend(cuts.into_iter().map(|(start, end)| SliceEntry { path: text.clone(), kind: f.kind.as_str().to_string(), start, end }));
        } else {
            out.push(SliceEntry { path: text, kind: f.kind.as_str().to_string(), start: 0, end: f.size });
        }
    }
    let whole = |p: &PathBuf, kind: &str| SliceEntry { path: path_text(p), kind: kind.to_string(), start: 0, end: std::fs::metadata(p).map(|m| m.len()).unwrap_or(0) };
    out.extend(found.reports.iter().map(|p| whole(p, "report")));
    out.extend(found.ignored.iter().chain(&found.links).chain(&found.unreadable).map(|(p, _)| whole(p, "problem")));
    Ok(out)
}

/// What a task reads of the plan: its files and ranges; and only its
/// reports and problems stay in `found`.
pub(super) fn restrict<'a>(read: &'a [SourceFile], slice: &[SliceEntry], found: &mut Discovery) -> Vec<(&'a SourceFile, u64, u64)> {
    let mut ranges: HashMap<&str, Vec<(u64, u64)>> = HashMap::new();
    for e in slice.iter().filter(|e| e.kind != "report" && e.kind != "problem") {
        ranges.entry(e.path.as_str()).or_default().push((e.start, e.end));
    }
    let mut out = Vec::new();
    for f in read {
        for (start, end) in ranges.get(path_text(&f.path()).as_str()).into_iter().flatten() {
            out.push((f, *start, *end));
        }
    }
    let named = |kind: &str| -> HashSet<String> { slice.iter().filter(|e| e.kind == kind).map(|e| e.path.clone()).collect() };
    let (reports, problems) = (named("report"), named("problem"));
    found.reports.retain(|p| reports.contains(&path_text(p)));
    for list in [&mut found.ignored, &mut found.links, &mut found.unreadable] {
        list.retain(|(p, _)| problems.contains(&path_text(p)));
    }
    out
}

/// Reads a slice file: one JSON [`SliceEntry`] per line.
pub fn read_slice(path: &std::path::Path) -> Result<Vec<SliceEntry>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| Error::Other(format!("{}: not a slice entry ({e}): {l}", path.display()))))
        .collect()
}
