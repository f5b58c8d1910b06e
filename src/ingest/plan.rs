//! What changed in the archive since the last ingest, from the files on disk
//! and what each looked like then ([`Sources`]): which files to read whole,
//! which mbox files only grew (read from where they ended), which are
//! unchanged (not read at all), which copies are gone, and which Maildir
//! files were only renamed (flags changed, or moved from new/ to cur/): those
//! keep their message and are not read again.
//!
//! Only files under the roots of this ingest are compared: ingesting one
//! folder never removes another's mail. A file that cannot be read now is
//! left as it was.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::model::{path_text, text_path, SourceKind};
use crate::source::maildir::split_name;
use crate::source::{Discovery, SourceFile};
use crate::store::generations::{SourceState, Sources};

/// What an ingest has to do.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Files to read whole: new, or changed in place.
    pub read: Vec<SourceFile>,
    /// Uncompressed mbox files that only grew, with where the known part ends.
    pub appended: Vec<(SourceFile, u64)>,
    /// Files as they were: nothing to read.
    pub unchanged: Vec<SourceFile>,
    /// Files whose recorded copies no longer stand: gone, or changed and read again.
    pub dropped: HashSet<String>,
    /// Maildir files renamed in their folder: (old path, the file now).
    pub renamed: Vec<(String, SourceFile)>,
}

/// A Maildir file's folder directory (above cur/ or new/) and unique name.
fn maildir_identity(path: &Path) -> Option<(PathBuf, String)> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let dir = path.parent()?.parent()?.to_path_buf();
    Some((dir, split_name(&name).0.to_string()))
}

/// Whether a `From ` line begins at `offset` (an append starts a message;
/// anything else means the known part was cut mid-message).
fn starts_message_at(path: &Path, offset: u64) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let mut head = [0u8; 5];
    std::fs::File::open(path)
        .and_then(|mut f| {
            f.seek(SeekFrom::Start(offset))?;
            f.read_exact(&mut head)
        })
        .is_ok_and(|()| &head == b"From ")
}

/// BLAKE3 of the first `len` bytes of a file, as hex. Read in blocks, not
/// mapped: a whole mapped mbox would count in the process's resident memory.
pub(crate) fn prefix_hash(path: &Path, len: u64) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?.take(len);
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().to_hex().to_string())
}

/// Sorts the files discovery found into the plan. The files move into it,
/// not copies: a big Maildir's list is tens of MB.
pub(crate) fn plan(found: &mut Discovery, sources: &Sources) -> Plan {
    let mut p = Plan::default();
    let files = std::mem::take(&mut found.files);
    // A file that cannot be read now, or has become a link this ingest does
    // not follow, keeps what was recorded of it.
    let unreadable: Vec<&PathBuf> = found.unreadable.iter().chain(&found.links).map(|(p, _)| p).collect();
    let under_roots = |path: &str| found.roots.iter().any(|r| text_path(path).starts_with(r));
    let cannot_tell = |path: &str| unreadable.iter().any(|u| text_path(path).starts_with(u));

    // Copies that are gone from where they were (none on a first ingest).
    let vanished: Vec<(&String, &SourceState)> = if sources.is_empty() {
        Vec::new()
    } else {
        let on_disk: HashSet<String> = files.iter().map(|f| path_text(&f.path())).collect();
        sources.iter().filter(|(path, _)| under_roots(path) && !on_disk.contains(path.as_str()) && !cannot_tell(path)).collect()
    };
    // Where a vanished Maildir copy went, if it was only renamed: a new
    // file with the same folder and unique name (index into `files`).
    let mut rename_of: HashMap<usize, String> = HashMap::new();
    if vanished.iter().any(|(_, st)| st.kind == SourceKind::Maildir) {
        let mut new_maildir: HashMap<(PathBuf, String), usize> = HashMap::new();
        for (i, f) in files.iter().enumerate() {
            let path = f.path();
            if f.kind == SourceKind::Maildir && !sources.contains_key(path_text(&path).as_str()) {
                if let Some(id) = maildir_identity(&path) {
                    new_maildir.insert(id, i);
                }
            }
        }
        for (path, st) in &vanished {
            let target = (st.kind == SourceKind::Maildir)
                .then(|| maildir_identity(&text_path(path)))
                .flatten()
                .and_then(|id| new_maildir.get(&id).copied())
                .filter(|&i| files[i].size == st.size && !rename_of.contains_key(&i));
            if let Some(i) = target {
                rename_of.insert(i, (*path).clone());
            }
        }
    }
    let renamed_from: HashSet<&String> = rename_of.values().collect();
    for (path, _) in &vanished {
        if !renamed_from.contains(path) {
            p.dropped.insert((*path).clone());
        }
    }
    for (i, f) in files.into_iter().enumerate() {
        if let Some(old) = rename_of.remove(&i) {
            p.renamed.push((old, f));
            continue;
        }
        let file = f.path();
        let path = path_text(&file);
        let Some(st) = sources.get(path.as_str()) else {
            p.read.push(f);
            continue;
        };
        if st.size == f.size && st.mtime_ns == f.mtime_ns && st.kind == f.kind {
            p.unchanged.push(f);
            continue;
        }
        let grew = f.kind == SourceKind::Mbox
            && f.size > st.size
            && starts_message_at(&file, st.size)
            && st.prefix_hash.as_deref().is_some_and(|h| prefix_hash(&file, st.size).is_ok_and(|now| *now == *h));
        if grew {
            p.appended.push((f, st.size));
        } else {
            p.dropped.insert(path);
            p.read.push(f);
        }
    }
    p
}

/// The state to record for a file that was read whole or to its end.
pub(crate) fn state_of(f: &SourceFile, now_ms: i64) -> SourceState {
    SourceState {
        kind: f.kind,
        size: f.size,
        mtime_ns: f.mtime_ns,
        folder: f.dir.folder.clone(),
        prefix_hash: (f.kind == SourceKind::Mbox).then(|| prefix_hash(&f.path(), f.size).ok()).flatten().map(String::into_boxed_str),
        ingested_at: now_ms,
    }
}
