//! Finding mail under the paths a user names: Maildir folders, mbox files
//! (plain or compressed) and single message files, sniffed by content; and
//! reading one message back from its location.

use super::{compressed, maildir, mbox};
use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::model::{Location, SourceKind};

/// A directory holding mail files, and the mail folder they belong to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SourceDir {
    pub path: PathBuf,
    /// Mail folder relative to the root the user named.
    pub folder: Arc<str>,
}

/// One file that holds mail: a Maildir message, an mbox, or a message file.
///
/// Its directory is shared, not repeated: a big Maildir is listed whole
/// before the ingest starts, and a full path and folder name per file would
/// add up to tens of MB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourceFile {
    pub dir: Arc<SourceDir>,
    /// Its name in `dir`.
    pub name: Box<OsStr>,
    pub kind: SourceKind,
    /// Size on disk (compressed size for compressed mbox).
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: u64,
}

impl SourceFile {
    pub(crate) fn path(&self) -> PathBuf {
        self.dir.path.join(&*self.name)
    }

    pub(crate) fn folder(&self) -> &str {
        &self.dir.folder
    }
}

/// A file's modification time in nanoseconds since the epoch (0 if unknown).
pub(crate) fn mtime_ns(m: &std::fs::Metadata) -> u64 {
    m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos() as u64)
}

/// What a walk of the user's paths found.
#[derive(Debug, Default)]
pub(crate) struct Discovery {
    /// The roots the user named, absolute.
    pub roots: Vec<PathBuf>,
    pub files: Vec<SourceFile>,
    /// Files in the tree that are not mail (licences, JSON, …), with why.
    pub ignored: Vec<(PathBuf, String)>,
    /// DMARC aggregate report files (`.xml`, `.xml.gz`, `.zip` holding a
    /// `<feedback>` report): read as reports, not as mail.
    pub reports: Vec<PathBuf>,
    /// Files or folders that could not be read, with the error.
    pub unreadable: Vec<(PathBuf, String)>,
    /// Symbolic links not followed, with where they lead.
    pub links: Vec<(PathBuf, String)>,
    /// Follow every symbolic link (`--follow-symlinks`); by default only
    /// links to files inside the root are.
    follow: bool,
    /// Folders reached through links, canonical, so a loop is walked once.
    linked_dirs: std::collections::HashSet<PathBuf>,
    /// Files already listed, by a hash of their canonical path: a file
    /// reached twice (overlapping roots, a folder named again through a
    /// link) is one location. Hard links stay apart: a mail server's copy
    /// into another folder is a copy in that folder.
    seen: std::collections::HashSet<u64>,
    /// How many times a file already listed was met again.
    met_again: usize,
    /// Maildir folders met, empty ones too: a root holding only an empty
    /// Maildir holds mail (none now), and its messages that are gone must
    /// leave the database.
    mail_folders: usize,
}

impl Discovery {
    /// Whether this is the first time the walk meets the file at `path`.
    /// Walked paths are canonical (roots are canonicalised, and only real
    /// folders are entered) except below a folder reached through a link,
    /// which only `--follow-symlinks` enters: then the path is resolved.
    fn first_time(&mut self, path: &Path) -> bool {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let canonical = if self.follow { std::fs::canonicalize(path).ok() } else { None };
        let key = BuildHasherDefault::<DefaultHasher>::default().hash_one(canonical.as_deref().unwrap_or(path));
        let first = self.seen.insert(key);
        self.met_again += usize::from(!first);
        first
    }
}

/// Walks every root and classifies what it finds. A root that does not exist,
/// or holds no mail and no DMARC report at all, is an error: the user named
/// the wrong path. A
/// root is followed when it is a symbolic link (the user named it); inside
/// it, a link is followed only to a file inside the same root, unless
/// `follow_symlinks`, so that an archive from elsewhere cannot pull
/// `/etc/passwd` or a private key into the database.
pub(crate) fn discover(roots: &[PathBuf], follow_symlinks: bool) -> Result<Discovery> {
    let mut found = Discovery { follow: follow_symlinks, ..Default::default() };
    for root in roots {
        let meta = std::fs::metadata(root).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound(root.clone()),
            _ => Error::io(root, e),
        })?;
        let root = std::fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
        found.roots.push(root.clone());
        let before = (found.files.len(), found.met_again, found.mail_folders, found.reports.len());
        if meta.is_dir() {
            std::fs::read_dir(&root).map_err(|e| Error::io(&root, e))?;
            walk_dir(&root, &root, &mut found);
        } else {
            if !found.first_time(&root) {
                continue;
            }
            if let Some((kind, folder)) = classify_file(&root, &root, &mut found) {
                let (Some(dir), Some(name)) = (root.parent(), root.file_name()) else { return Err(Error::NoMail(root)) };
                let dir = Arc::new(SourceDir { path: dir.to_path_buf(), folder: folder.into() });
                found.files.push(SourceFile { dir, name: name.into(), kind, size: meta.len(), mtime_ns: mtime_ns(&meta) });
            }
        }
        if (found.files.len(), found.met_again, found.mail_folders, found.reports.len()) == before {
            return Err(Error::NoMail(root));
        }
    }
    Ok(found)
}

/// The folder name of `dir` relative to `root`; the root's own name when they
/// are the same.
fn folder_name(root: &Path, dir: &Path) -> String {
    match dir.strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().into_owned(),
        _ => dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
    }
}

/// The names in a directory, sorted.
fn sorted_entries(dir: &Path, found: &mut Discovery) -> Vec<OsString> {
    match std::fs::read_dir(dir) {
        Ok(rd) => {
            let mut v: Vec<OsString> = rd.filter_map(|e| e.ok().map(|e| e.file_name())).collect();
            v.sort();
            v
        }
        Err(e) => {
            found.unreadable.push((dir.to_path_buf(), e.to_string()));
            Vec::new()
        }
    }
}

fn walk_dir(root: &Path, dir: &Path, found: &mut Discovery) {
    let mail_folder = maildir::is_mail_folder(dir);
    if mail_folder {
        found.mail_folders += 1;
        let folder = folder_name(root, dir);
        for sub in ["cur", "new"].map(|s| dir.join(s)).into_iter().filter(|d| d.is_dir()) {
            let shared = Arc::new(SourceDir { path: sub.clone(), folder: folder.as_str().into() });
            for name in sorted_entries(&sub, found) {
                if name.as_encoded_bytes().starts_with(b".") {
                    continue;
                }
                let path = sub.join(&name);
                let Some(m) = entry_meta(root, &path, found) else { continue };
                if m.is_file() && !found.first_time(&path) {
                    continue;
                }
                if m.is_file() {
                    found.files.push(SourceFile {
                        dir: shared.clone(),
                        name: name.into_boxed_os_str(),
                        kind: SourceKind::Maildir,
                        size: m.len(),
                        mtime_ns: mtime_ns(&m),
                    });
                } else {
                    let what = if m.is_dir() { "a directory" } else { "not a regular file (socket, device or FIFO)" };
                    found.ignored.push((path, format!("{what} inside a Maildir cur/ or new/ folder")));
                }
            }
        }
    }
    // Message files in one directory share one SourceDir (their folder is
    // the directory's); each mbox is a folder of its own.
    let mut here: Option<Arc<SourceDir>> = None;
    for entry in sorted_entries(dir, found) {
        let path = dir.join(&entry);
        let name = entry.to_string_lossy();
        if mail_folder && matches!(name.as_ref(), "cur" | "new" | "tmp") {
            continue;
        }
        let Some(meta) = entry_meta(root, &path, found) else { continue };
        if meta.is_dir() {
            // Maildir++ sub-folders are dot-named (`.Sent`); other dot
            // folders (`.git`, `.notmuch`) are skipped.
            if !name.starts_with('.') || maildir::is_mail_folder(&path) {
                walk_dir(root, &path, found);
            }
        } else if !name.starts_with('.') && meta.is_file() && found.first_time(&path) {
            let Some((kind, folder)) = classify_file(root, &path, found) else { continue };
            let shared = match &here {
                Some(d) if *d.folder == *folder => d.clone(),
                _ => Arc::new(SourceDir { path: dir.to_path_buf(), folder: folder.into() }),
            };
            if kind == SourceKind::Eml {
                here = Some(shared.clone());
            }
            found.files.push(SourceFile { dir: shared, name: entry.into_boxed_os_str(), kind, size: meta.len(), mtime_ns: mtime_ns(&meta) });
        }
    }
}

/// The metadata of a directory entry, following a symbolic link where that
/// is allowed; None when the entry is passed over (recorded as a link not
/// followed, or as unreadable when the link is dangling or loops). Links to
/// files or folders inside the root are passed over silently: they are
/// listed where they are.
fn entry_meta(root: &Path, path: &Path, found: &mut Discovery) -> Option<std::fs::Metadata> {
    let own = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => {
            found.unreadable.push((path.to_path_buf(), e.to_string()));
            return None;
        }
    };
    if !own.file_type().is_symlink() {
        return Some(own);
    }
    let (target, meta) = match std::fs::canonicalize(path).and_then(|t| std::fs::metadata(&t).map(|m| (t, m))) {
        Ok(tm) => tm,
        Err(e) => {
            found.unreadable.push((path.to_path_buf(), e.to_string()));
            return None;
        }
    };
    let inside = target.starts_with(root);
    if found.follow {
        // A folder reached twice (a loop, or two links) is walked once.
        return (!meta.is_dir() || found.linked_dirs.insert(target)).then_some(meta);
    }
    // A link to a file inside the root is passed over: the walk lists the
    // file itself, under its own name and folder.
    if !inside {
        let what = if meta.is_dir() { "folder" } else { "file" };
        found.links.push((path.to_path_buf(), format!("symbolic link to a {what} outside the ingested folder: {}", target.display())));
    }
    None
}

/// A DMARC aggregate report file: a zip (what reporters send), or XML
/// (plain or gzipped: `head` is decompressed) whose beginning holds a
/// `<feedback` element; or an SMTP TLS report (JSON with an
/// `organization-name`).
fn is_report_file(name: &str, head: &[u8]) -> bool {
    let zip = head.starts_with(b"PK\x03\x04") && name.ends_with(".zip");
    let tls = head.trim_ascii_start().starts_with(b"\x7b") && memchr::memmem::find(head, b"\"organization-name\"").is_some();
    zip || tls || memchr::memmem::find(&head[..head.len().min(4096)], b"<feedback").is_some()
}

/// Sniffs a file outside a Maildir: an mbox starts with `From `, a message
/// file with a header line (a field name, then a colon: RFC 5322 §2.2 allows
/// any printable ASCII in the name, real ones are letters, digits and dashes,
/// which keeps JSON and prose out); `.gz` and `.zst` files are decompressed to look.
/// Its kind and folder, or None (recorded as ignored or unreadable).
fn classify_file(root: &Path, path: &Path, found: &mut Discovery) -> Option<(SourceKind, String)> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    let compressed = if name.ends_with(".gz") {
        Some(SourceKind::MboxGz)
    } else if name.ends_with(".zst") {
        Some(SourceKind::MboxZst)
    } else {
        None
    };
    let head = match read_head(path, compressed) {
        Ok(h) => h,
        Err(e) => {
            found.unreadable.push((path.to_path_buf(), e.to_string()));
            return None;
        }
    };
    if !head.starts_with(b"From ") && !looks_like_header(&head) && is_report_file(&name, &head) {
        found.reports.push(path.to_path_buf());
        return None;
    }
    let kind = match compressed {
        Some(k) if head.starts_with(b"From ") => k,
        Some(_) => {
            found.ignored.push((path.to_path_buf(), "compressed file that is not an mbox".into()));
            return None;
        }
        None if head.starts_with(b"From ") => SourceKind::Mbox,
        None if name.ends_with(".eml") || looks_like_header(&head) => SourceKind::Eml,
        None => {
            found.ignored.push((path.to_path_buf(), "not a mail file (no header or From_ line)".into()));
            return None;
        }
    };
    let folder = if path == root {
        stem(path)
    } else if kind == SourceKind::Eml {
        folder_name(root, path.parent().unwrap_or(root))
    } else {
        let rel = path.strip_prefix(root).unwrap_or(path);
        strip_mbox_ext(&rel.to_string_lossy())
    };
    Some((kind, folder))
}

fn read_head(path: &Path, compressed: Option<SourceKind>) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(512);
    match compressed {
        Some(kind) => compressed::open_decoder(path, kind)?.take(512).read_to_end(&mut head)?,
        None => std::fs::File::open(path)?.take(512).read_to_end(&mut head)?,
    };
    Ok(head)
}

fn looks_like_header(head: &[u8]) -> bool {
    let line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    match line.iter().position(|&b| b == b':') {
        Some(colon) if colon > 0 => {
            line[0].is_ascii_alphabetic()
                && line[..colon].iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        }
        _ => false,
    }
}

fn stem(path: &Path) -> String {
    strip_mbox_ext(&path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
}

fn strip_mbox_ext(name: &str) -> String {
    let mut s = name;
    for ext in [".gz", ".zst", ".mbox", ".mbx"] {
        if s.len() > ext.len() && s.to_lowercase().ends_with(ext) {
            s = &s[..s.len() - ext.len()];
        }
    }
    s.to_string()
}

/// For a file holding one message (Maildir or `.eml`): where the message
/// starts. Some stores (the SpamAssassin corpus, mutt's "save") keep the mbox
/// `From_` envelope line at the top of each file; it is not part of the
/// message.
pub fn single_message_start(data: &[u8]) -> usize {
    if data.starts_with(b"From ") {
        // The line ends at LF, CRLF or (classic Mac OS) a bare CR.
        match memchr::memchr2(b'\n', b'\r', data) {
            Some(i) if data[i] == b'\r' && data.get(i + 1) == Some(&b'\n') => i + 2,
            Some(i) => i + 1,
            None => data.len(),
        }
    } else {
        0
    }
}

/// Classic Mac OS mail ends lines with a bare CR: bytes with CRs and no LF
/// at all. mailidx reads them with LF (one byte for one, so offsets hold).
pub(crate) fn is_cr_only(bytes: &[u8]) -> bool {
    memchr::memchr(b'\n', bytes).is_none() && memchr::memchr(b'\r', bytes).is_some()
}

/// Every CR becomes LF (for bytes [`is_cr_only`] found CR-only).
pub(crate) fn cr_to_lf(bytes: &mut [u8]) {
    bytes.iter_mut().filter(|b| **b == b'\r').for_each(|b| *b = b'\n');
}

/// Reads a message back from the archive, unquoted, as parse saw it.
pub(crate) fn read_message(loc: &Location) -> Result<Vec<u8>> {
    use std::io::{Seek, SeekFrom};
    let path = &crate::model::text_path(&loc.path);
    let read = || -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::with_capacity(loc.length.min(1 << 30) as usize);
        match loc.kind {
            SourceKind::MboxGz | SourceKind::MboxZst => {
                let mut r = compressed::open_decoder(path, loc.kind)?;
                std::io::copy(&mut (&mut r).take(loc.offset), &mut std::io::sink())?;
                r.take(loc.length).read_to_end(&mut buf)?;
            }
            _ => {
                let mut f = std::fs::File::open(path)?;
                f.seek(SeekFrom::Start(loc.offset))?;
                f.take(loc.length).read_to_end(&mut buf)?;
            }
        }
        Ok(buf)
    };
    let raw = read().map_err(|e| Error::io(path, e))?;
    Ok(if loc.kind.is_mbox() { mbox::unescape_from(&raw).into_owned() } else { raw })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_sniffing() {
        assert!(looks_like_header(b"Return-Path: <a@b>\n"));
        assert!(looks_like_header(b"X-Foo:bar"));
        assert!(!looks_like_header(b"{\"json\": 1}"));
        assert!(!looks_like_header(b"Copyright (c) 2020: me"));
        assert!(!looks_like_header(b": nothing"));
    }

    #[test]
    fn mbox_names() {
        assert_eq!(strip_mbox_ext("lists/freedreno.mbox.zst"), "lists/freedreno");
        assert_eq!(strip_mbox_ext("inbox"), "inbox");
    }

    #[test]
    fn envelope_line_is_skipped() {
        assert_eq!(single_message_start(b"From x Mon\nSubject: a\n"), 11);
        assert_eq!(single_message_start(b"Subject: a\n"), 0);
        assert_eq!(single_message_start(b"From x\r\nSubject: a\r\n"), 8);
        assert_eq!(single_message_start(b"From x\rSubject: a\r"), 7);
    }

    #[test]
    fn discovery_shares_directories_and_keeps_paths() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        for sub in ["Work/cur", "Work/new", "Work/tmp", "notes"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        let msg = "Subject: a\n\nbody\n";
        for name in ["1.a:2,S", "2.b:2,", ".hidden"] {
            std::fs::write(root.join("Work/cur").join(name), msg).unwrap();
        }
        std::fs::write(root.join("Work/new/3.c"), msg).unwrap();
        std::fs::write(root.join("notes/x.eml"), msg).unwrap();
        std::fs::write(root.join("notes/y.eml"), msg).unwrap();
        std::fs::write(root.join("lists.mbox"), "From a Mon Jan  1 00:00:00 2024\nSubject: b\n\nx\n").unwrap();
        let found = discover(&[root.to_path_buf()], false).unwrap();
        let root = std::fs::canonicalize(root).unwrap();
        let got: Vec<(PathBuf, &str, SourceKind)> = found.files.iter().map(|f| (f.path(), f.folder(), f.kind)).collect();
        assert_eq!(
            got,
            vec![
                (root.join("Work/cur/1.a:2,S"), "Work", SourceKind::Maildir),
                (root.join("Work/cur/2.b:2,"), "Work", SourceKind::Maildir),
                (root.join("Work/new/3.c"), "Work", SourceKind::Maildir),
                (root.join("lists.mbox"), "lists", SourceKind::Mbox),
                (root.join("notes/x.eml"), "notes", SourceKind::Eml),
                (root.join("notes/y.eml"), "notes", SourceKind::Eml),
            ]
        );
        // One SourceDir per directory, not one per file.
        assert!(Arc::ptr_eq(&found.files[0].dir, &found.files[1].dir));
        assert!(Arc::ptr_eq(&found.files[4].dir, &found.files[5].dir));
        // A file named on its own is found too.
        let one = discover(&[root.join("notes/x.eml")], false).unwrap();
        assert_eq!(one.files[0].path(), root.join("notes/x.eml"));
        assert_eq!(one.files[0].folder(), "x.eml");
    }
}
