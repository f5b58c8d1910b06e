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

/// What an output entry was when mailidx wrote it: a link to a path, or
/// a copy with this BLAKE3 hash.
fn fingerprint(path: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if meta.file_type().is_symlink() {
        return Some(format!("link {}", std::fs::read_link(path).ok()?.display()));
    }
    if meta.is_file() {
        return Some(format!("copy {}", blake3::hash(&std::fs::read(path).ok()?).to_hex()));
    }
    None
}

/// The entries a previous run wrote into `dir` (relative paths), or an
/// error if `dir` holds anything else, or an entry changed since.
fn owned_entries(dir: &Path) -> Result<Vec<String>> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    if !meta.is_dir() {
        return Err(refuse(dir, if meta.file_type().is_symlink() { "is a symbolic link" } else { "is not a folder" }));
    }
    let marker = dir.join(MARKER);
    let listed: std::collections::BTreeMap<String, String> = match std::fs::symlink_metadata(&marker) {
        Ok(m) if m.is_file() => std::fs::read_to_string(&marker)
            .map_err(Error::at(&marker))?
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(rel, fp)| (rel.to_string(), fp.to_string()))
            .collect(),
        _ => Default::default(),
    };
    for entry in std::fs::read_dir(dir).map_err(Error::at(dir))? {
        let entry = entry.map_err(Error::at(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type().map_err(Error::at(dir))?;
        if name == MARKER && kind.is_file() {
            continue;
        }
        if !(SUBDIRS.contains(&name.as_str()) && kind.is_dir()) {
            return Err(refuse(dir, &format!("holds {name}, which mailidx did not write there")));
        }
        for inner in std::fs::read_dir(entry.path()).map_err(Error::at(dir))? {
            let inner = inner.map_err(Error::at(dir))?;
            let rel = format!("{name}/{}", inner.file_name().to_string_lossy());
            // Still the link or the copy mailidx made, byte for byte.
            if listed.get(&rel).is_none_or(|fp| fingerprint(&inner.path()).as_ref() != Some(fp)) {
                return Err(refuse(dir, &format!("holds {rel}, which mailidx did not write there (or which changed since)")));
            }
        }
    }
    Ok(listed.into_keys().collect())
}

/// Refuses an output inside the database or beside the archive's files,
/// where the next ingest would read it as mail.
fn outside_archive(path: &Path, db: &crate::store::DbPaths) -> Result<()> {
    // The nearest folder that exists, resolved.
    let mut at = path.to_path_buf();
    let resolved = loop {
        if let Ok(p) = std::fs::canonicalize(&at) {
            break p.join(path.strip_prefix(&at).unwrap_or(Path::new("")));
        }
        if !at.pop() {
            break std::env::current_dir().unwrap_or_default().join(path);
        }
    };
    if let Ok(root) = std::fs::canonicalize(&db.root) {
        if resolved.starts_with(&root) {
            return Err(refuse(path, "is inside the database"));
        }
    }
    let (maildirs, folders) = archive_folders(db)?;
    let inside = maildirs.iter().find(|d| resolved.starts_with(d));
    let beside = resolved.parent().and_then(|p| folders.get(p));
    if let Some(dir) = inside.or(beside) {
        return Err(refuse(path, &format!("is in the archive ({}); the next ingest would read it as mail", dir.display())));
    }
    Ok(())
}

/// The archive's Maildirs (anything inside one is mail), and the folders
/// holding its mbox and .eml files (a file beside them is read as mail).
fn archive_folders(db: &crate::store::DbPaths) -> Result<(BTreeSet<PathBuf>, BTreeSet<PathBuf>)> {
    let table = crate::store::tables::LOCATIONS.table;
    let files = crate::store::parquet::part_files(&db.tables_dir(), table)?;
    let (mut maildirs, mut folders) = (BTreeSet::new(), BTreeSet::new());
    let Some(df) = crate::store::parquet::read_parts(&files, table, Some(&["path", "kind"]))? else { return Ok((maildirs, folders)) };
    let (paths, kinds) = (crate::store::parquet::str_col(&df, table, "path")?, crate::store::parquet::str_col(&df, table, "kind")?);
    let mut seen = BTreeSet::new();
    for (p, k) in paths.iter().zip(kinds.iter()) {
        let Some(mut dir) = p.map(|p| crate::model::text_path(p)).and_then(|p| p.parent().map(Path::to_path_buf)) else { continue };
        let maildir = k == Some("maildir");
        if !seen.insert((dir.clone(), maildir)) {
            continue;
        }
        if maildir {
            dir.pop();
        }
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        if maildir { maildirs.insert(dir) } else { folders.insert(dir) };
    }
    Ok((maildirs, folders))
}

/// Fills `dir` with a Maildir of the hits: the previous run's entries go,
/// a link (or copy) of each hit comes.
pub fn to_maildir(dir: &Path, hits: &[Hit], db: &crate::store::DbPaths) -> Result<Written> {
    outside_archive(dir, db)?;
    let old = owned_entries(dir)?;
    for rel in &old {
        // Only names the marker lists, one level down: never a path out.
        if rel.split('/').count() == 2 && !rel.contains("..") {
            let p = dir.join(rel);
            if std::fs::symlink_metadata(&p).is_ok() {
                std::fs::remove_file(&p).map_err(Error::at(&p))?;
            }
        }
    }
    for sub in SUBDIRS {
        let d = dir.join(sub);
        std::fs::create_dir_all(&d).map_err(Error::at(&d))?;
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
                std::os::unix::fs::symlink(crate::model::text_path(&h.source_path), &target).map_err(Error::at(&target))?;
                out.links += 1;
            }
            _ => {
                let bytes = crate::source::read_message(&h.location())?;
                std::fs::write(&target, bytes).map_err(Error::at(&target))?;
                out.copies += 1;
            }
        }
        names.push(format!("{rel}\t{}", fingerprint(&target).unwrap_or_default()));
        out.messages += 1;
    }
    write_new(&dir.join(MARKER), (names.join("\n") + "\n").as_bytes())?;
    Ok(out)
}

fn mbox_marker(file: &Path) -> PathBuf {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    file.with_file_name(format!(".{name}{MARKER}"))
}

/// Writes the hits as an mbox (mboxrd quoting), replacing the file only
/// if mailidx wrote it and no one changed it since.
pub fn to_mbox(file: &Path, hits: &[Hit], db: &crate::store::DbPaths) -> Result<Written> {
    outside_archive(file, db)?;
    let marker = mbox_marker(file);
    match std::fs::symlink_metadata(file) {
        Ok(m) if !m.is_file() => return Err(refuse(file, "is not a regular file")),
        Ok(m) if m.len() == 0 => {}
        Ok(_) => {
            let bytes = std::fs::read(file).map_err(Error::at(file))?;
            let recorded = std::fs::read_to_string(&marker).unwrap_or_default();
            if recorded.trim() != blake3::hash(&bytes).to_hex().as_str() {
                return Err(refuse(file, "exists, and is not an mbox that mailidx wrote (or it was changed since)"));
            }
        }
        Err(_) => {}
    }
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
    write_new(&marker, blake3::hash(&buf).to_hex().as_str().as_bytes())?;
    write_new(file, &buf)?;
    Ok(Written { messages: hits.len(), links: 0, copies: hits.len() })
}

/// Writes `path` through a new temporary file in the same folder (created
/// exclusively: never through a symbolic link someone left there), renamed
/// over `path` (which replaces a link at `path`, not what it points at).
fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp).map_err(Error::at(&tmp))?;
    f.write_all(bytes).map_err(Error::at(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(Error::at(path))
}
