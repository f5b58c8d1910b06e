//! Search results where mail programs read them, as mairix leaves them: a
//! Maildir of symbolic links to the matching messages (copies of messages
//! that live inside an mbox), or an mbox.
//!
//! The output is mailidx's own and nothing else: a marker records what it
//! wrote (`.mailidx-results` in the Maildir; `.NAME.mailidx-results` beside
//! an mbox, with the hash of what was written), and a folder or file that
//! holds anything else is refused before anything is touched, so a
//! mistyped path never deletes a user's mail. Clearing removes only the
//! entries the marker names, as entries: a symbolic link is removed, never
//! followed. The archive itself is only read.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::SourceKind;
use crate::read::search::Hit;

const MARKER: &str = ".mailidx-results";
const SUBDIRS: [&str; 3] = ["cur", "new", "tmp"];

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// Messages in the output.
    pub messages: usize,
    /// Of those, symbolic links to the archive's files.
    pub links: usize,
    /// Of those, copies (messages inside an mbox, or when writing an mbox).
    pub copies: usize,
}

fn refuse(path: &Path, why: &str) -> Error {
    Error::Other(format!(
        "{}: {why}; mailidx writes results only into a folder (or mbox) of its own, and nothing was changed. Name a new or empty one",
        path.display()
    ))
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}

/// The entries a previous run wrote into `dir` (relative paths), or an
/// error if `dir` holds anything else.
fn owned_entries(dir: &Path) -> Result<BTreeSet<String>> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    if !meta.is_dir() {
        return Err(refuse(dir, if meta.file_type().is_symlink() { "is a symbolic link" } else { "is not a folder" }));
    }
    let listed: BTreeSet<String> = match std::fs::read_to_string(dir.join(MARKER)) {
        Ok(t) => t.lines().filter(|l| !l.is_empty()).map(str::to_string).collect(),
        Err(_) => BTreeSet::new(),
    };
    let has_marker = dir.join(MARKER).is_file();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type().map_err(io(dir))?;
        if name == MARKER && kind.is_file() {
            continue;
        }
        if !(SUBDIRS.contains(&name.as_str()) && kind.is_dir()) {
            return Err(refuse(dir, &format!("holds {name}, which mailidx did not write there")));
        }
        for inner in std::fs::read_dir(entry.path()).map_err(io(dir))? {
            let inner = inner.map_err(io(dir))?;
            let rel = format!("{name}/{}", inner.file_name().to_string_lossy());
            if !has_marker || !listed.contains(&rel) {
                return Err(refuse(dir, &format!("holds {rel}, which mailidx did not write there")));
            }
        }
    }
    Ok(listed)
}

/// Fills `dir` with a Maildir of the hits: the previous run's entries go,
/// a link (or copy) of each hit comes.
pub fn to_maildir(dir: &Path, hits: &[Hit]) -> Result<Written> {
    let old = owned_entries(dir)?;
    for rel in &old {
        // Only names the marker lists, one level down: never a path out.
        if rel.split('/').count() == 2 && !rel.contains("..") {
            let p = dir.join(rel);
            if std::fs::symlink_metadata(&p).is_ok() {
                std::fs::remove_file(&p).map_err(io(&p))?;
            }
        }
    }
    for sub in SUBDIRS {
        let d = dir.join(sub);
        std::fs::create_dir_all(&d).map_err(io(&d))?;
    }
    let mut out = Written::default();
    let mut names = Vec::with_capacity(hits.len());
    for h in hits {
        let flags = match h.location().kind {
            SourceKind::Maildir => h.source_path.rsplit_once(":2,").map(|(_, f)| f.to_string()).unwrap_or_default(),
            _ => String::new(),
        };
        let flags: String = flags.chars().filter(|c| c.is_ascii_alphabetic()).collect();
        let rel = format!("cur/{}:2,{flags}", h.msg_key);
        let target = dir.join(&rel);
        match h.location().kind {
            SourceKind::Maildir | SourceKind::Eml => {
                std::os::unix::fs::symlink(crate::model::text_path(&h.source_path), &target).map_err(io(&target))?;
                out.links += 1;
            }
            _ => {
                let bytes = crate::source::read_message(&h.location())?;
                std::fs::write(&target, bytes).map_err(io(&target))?;
                out.copies += 1;
            }
        }
        names.push(rel);
        out.messages += 1;
    }
    let marker = dir.join(MARKER);
    std::fs::write(&marker, names.join("\n") + "\n").map_err(io(&marker))?;
    Ok(out)
}

fn mbox_marker(file: &Path) -> PathBuf {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    file.with_file_name(format!(".{name}{MARKER}"))
}

/// Writes the hits as an mbox (mboxrd quoting), replacing the file only
/// if mailidx wrote it and no one changed it since.
pub fn to_mbox(file: &Path, hits: &[Hit]) -> Result<Written> {
    let marker = mbox_marker(file);
    match std::fs::symlink_metadata(file) {
        Ok(m) if !m.is_file() => return Err(refuse(file, "is not a regular file")),
        Ok(_) => {
            let bytes = std::fs::read(file).map_err(io(file))?;
            let recorded = std::fs::read_to_string(&marker).unwrap_or_default();
            if recorded.trim() != blake3::hash(&bytes).to_hex().as_str() {
                return Err(refuse(file, "exists, and is not an mbox that mailidx wrote (or it was changed since)"));
            }
        }
        Err(_) => {}
    }
    let tmp = file.with_file_name(format!(".{}.tmp", file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()));
    let mut buf = Vec::new();
    for h in hits {
        let bytes = crate::source::read_message(&h.location())?;
        let when = h.date.as_deref().and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok()).map(|d| d.format("%a %b %e %H:%M:%S %Y").to_string());
        let _ = writeln!(buf, "From mailidx {}", when.unwrap_or_else(|| "Thu Jan  1 00:00:00 1970".into()));
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            let quoted = line.iter().position(|&b| b != b'>').is_some_and(|i| line[i..].starts_with(b"From "));
            if quoted {
                buf.push(b'>');
            }
            buf.extend_from_slice(line);
        }
        if !buf.ends_with(b"\n") {
            buf.push(b'\n');
        }
        buf.push(b'\n');
    }
    std::fs::write(&tmp, &buf).map_err(io(&tmp))?;
    std::fs::write(&marker, blake3::hash(&buf).to_hex().as_str()).map_err(io(&marker))?;
    std::fs::rename(&tmp, file).map_err(io(file))?;
    Ok(Written { messages: hits.len(), links: 0, copies: hits.len() })
}
