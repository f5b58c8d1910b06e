//! Memory-mapping a file read-only. The only `unsafe` in mailidx lives here.

use std::fs::File;
use std::ops::Deref;
use std::path::Path;

use memmap2::Mmap;

/// A read-only view of a whole file. Empty files are not mapped (mmap of zero
/// bytes fails on Linux); they read as an empty slice.
pub enum MappedFile {
    Map(Mmap),
    Empty,
}

impl MappedFile {
    pub fn open(path: &Path) -> std::io::Result<MappedFile> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        if len == 0 {
            return Ok(MappedFile::Empty);
        }
        // SAFETY: the map is read-only and mailidx never writes to the
        // archive. If another process truncates or rewrites the file while it
        // is mapped, reads may see the new bytes or fault with SIGBUS; mail
        // archives are append-only or replaced by rename (Maildir, mbox
        // writers with dotlocks), so this is the same contract ripgrep and
        // notmuch accept when they map mail files.
        let map = unsafe { Mmap::map(&file)? };
        Ok(MappedFile::Map(map))
    }
}

impl Deref for MappedFile {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            MappedFile::Map(m) => m,
            MappedFile::Empty => &[],
        }
    }
}
