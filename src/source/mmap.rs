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
        // Mail files are read front to back: let the kernel read ahead.
        let _ = map.advise(memmap2::Advice::Sequential);
        Ok(MappedFile::Map(map))
    }

    /// Tells the kernel the pages wholly inside `start..end` are done with,
    /// so a large mbox does not stay resident as it is read (peak memory
    /// stays flat whatever the file's size). Best effort: errors are ignored.
    pub fn release(&self, start: usize, end: usize) {
        let MappedFile::Map(map) = self else { return };
        const PAGE: usize = 4096;
        let first = start.div_ceil(PAGE) * PAGE;
        let last = (end.min(map.len()) / PAGE) * PAGE;
        if last > first {
            // SAFETY: MADV_DONTNEED on a read-only, file-backed shared mapping
            // only drops the page-cache references of this process; a later
            // read of the range faults the same bytes back in from the file.
            // No memory is freed under a live reference, so slices borrowed
            // from the map stay valid.
            let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, first, last - first) };
        }
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
