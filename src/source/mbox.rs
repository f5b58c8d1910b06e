//! Splitting an mbox into messages, and undoing its `>From ` quoting.
//!
//! The format (RFC 4155, and the mboxo/mboxrd variants described in
//! <https://www.loc.gov/preservation/digital/formats/fdd/fdd000383.shtml>):
//! every line that starts with `From ` begins a message, and that `From_`
//! line is not part of the message. The empty line a writer puts before the
//! next `From_` line is not part of the message either. This is the rule of
//! Python's `mailbox.mbox`, mutt and the oracles in ../shared/oracle, so the
//! message counts agree with them. Line ends may be LF or CRLF.
//!
//! mboxrd writers quote a body line matching `^>*From ` by adding one `>`;
//! mboxo writers quote only `^From `. [`unescape_from`] removes one `>` from
//! every line matching `^>+From `, which undoes mboxrd exactly and mboxo in all
//! but the rare case of a body line that already began with `>From `.

use std::borrow::Cow;
use std::io::Read;

use memchr::memmem;

/// One message found in an mbox byte slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MboxEntry<'a> {
    /// Offset of the message's first byte (just after its `From_` line).
    pub offset: usize,
    /// The message, still quoted, without its `From_` line and trailing
    /// separator line.
    pub bytes: &'a [u8],
    /// The `From_` line without its line end.
    pub from_line: &'a [u8],
}

/// Walks an mbox by offset and yields its messages as slices of the input.
pub(crate) struct MboxSplitter<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> MboxSplitter<'a> {
    /// `data` should start with a `From ` line; bytes before the first one
    /// are not a message and are skipped.
    pub(crate) fn new(data: &'a [u8]) -> Self {
        let pos = if data.starts_with(b"From ") {
            0
        } else {
            find_from_line(data, 0).unwrap_or(data.len())
        };
        MboxSplitter { data, pos }
    }
}

/// Position of the next line starting with `From ` at or after `start`, where
/// `start` is itself at the beginning of a line.
fn find_from_line(data: &[u8], start: usize) -> Option<usize> {
    // A From_ line right at `start` counts too: two From_ lines in a row
    // are an empty message, as for Python's mailbox (found by fuzzing: the
    // block reader, cutting between them, disagreed with the whole split).
    if data[start..].starts_with(b"From ") {
        return Some(start);
    }
    let finder = memmem::Finder::new(b"\nFrom ");
    finder.find(&data[start..]).map(|i| start + i + 1)
}

/// Where the line starting at `start` ends, and where the next line begins.
fn line_end(data: &[u8], start: usize) -> (usize, usize) {
    match memchr::memchr(b'\n', &data[start..]) {
        Some(i) => {
            let nl = start + i;
            let end = if nl > start && data[nl - 1] == b'\r' { nl - 1 } else { nl };
            (end, nl + 1)
        }
        None => (data.len(), data.len()),
    }
}

impl<'a> Iterator for MboxSplitter<'a> {
    type Item = MboxEntry<'a>;

    fn next(&mut self) -> Option<MboxEntry<'a>> {
        let data = self.data;
        if self.pos >= data.len() {
            return None;
        }
        let (from_end, body_start) = line_end(data, self.pos);
        let from_line = &data[self.pos..from_end];
        let next = find_from_line(data, body_start.min(data.len()));
        let mut end = next.unwrap_or(data.len());
        if next.is_some() {
            end = body_start + without_separator(&data[body_start..end]).len();
        }
        self.pos = next.unwrap_or(data.len());
        Some(MboxEntry { offset: body_start, bytes: &data[body_start..end.max(body_start)], from_line })
    }
}

/// The message without the one empty line (LF or CRLF) that separates it
/// from the next `From_` line.
pub(crate) fn without_separator(msg: &[u8]) -> &[u8] {
    if msg.ends_with(b"\r\n\r\n") {
        &msg[..msg.len() - 2]
    } else if msg.ends_with(b"\n\n") || msg == b"\n" {
        &msg[..msg.len() - 1]
    } else if msg == b"\r\n" {
        &[]
    } else {
        msg
    }
}

/// Removes one `>` from each line matching `^>+From `. Borrows when there is
/// nothing to undo (the common case), so most messages are never copied.
pub(crate) fn unescape_from(msg: &[u8]) -> Cow<'_, [u8]> {
    let needle = memmem::Finder::new(b">From ");
    let mut first = None;
    for hit in needle.find_iter(msg) {
        let line_start = msg[..hit].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        if msg[line_start..hit].iter().all(|&b| b == b'>') {
            first = Some(line_start);
            break;
        }
    }
    let Some(first) = first else { return Cow::Borrowed(msg) };
    let mut out = Vec::with_capacity(msg.len());
    out.extend_from_slice(&msg[..first]);
    let mut pos = first;
    while pos < msg.len() {
        let (_, next) = line_end(msg, pos);
        let line = &msg[pos..next];
        let gt = line.iter().take_while(|&&b| b == b'>').count();
        if gt > 0 && line[gt..].starts_with(b"From ") {
            out.extend_from_slice(&line[1..]);
        } else {
            out.extend_from_slice(line);
        }
        pos = next;
    }
    Cow::Owned(out)
}

/// Bytes read per block by [`MboxBlocks`] (more when one message is longer).
pub(crate) const BLOCK: usize = 8 << 20;

/// A run of whole messages read from an mbox stream, starting at stream
/// offset `base`.
#[derive(Debug)]
pub(crate) struct Block {
    pub base: u64,
    pub data: Vec<u8>,
    /// More of the stream follows: the last message ends where the next
    /// block's `From_` line begins.
    more: bool,
}

impl Block {
    /// The block's messages, split as [`MboxSplitter`] splits the whole
    /// stream (offsets relative to `base`).
    pub(crate) fn entries(&self) -> Vec<MboxEntry<'_>> {
        let mut all: Vec<MboxEntry<'_>> = MboxSplitter::new(&self.data).collect();
        if let (true, Some(last)) = (self.more, all.last_mut()) {
            last.bytes = without_separator(last.bytes);
        }
        all
    }
}

/// Reads an mbox from any reader (a file, from where the last ingest ended,
/// or a decompressor) in blocks of whole messages. Nothing is memory-mapped,
/// so a file truncated or rewritten while it is read gives short or changed
/// reads, never a SIGBUS; memory stays at about one block whatever the size
/// of the archive. A file whose first block has CR line ends and no LF
/// (classic Mac OS) is read with LF, one byte for one, so offsets hold.
pub(crate) struct MboxBlocks<R: Read> {
    reader: R,
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// Bytes to read per block, and to hold before looking for a cut.
    block: usize,
    want: usize,
    eof: bool,
    cr_only: Option<bool>,
    /// The stream is a slice of a longer mbox: its end is where another
    /// message's `From_` line begins.
    more_at_end: bool,
}

impl<R: Read> MboxBlocks<R> {
    /// `base`: the stream offset of the reader's first byte.
    pub(crate) fn new(reader: R, base: u64) -> Self {
        MboxBlocks { reader, buf: Vec::new(), base, block: BLOCK, want: BLOCK, eof: false, cr_only: None, more_at_end: false }
    }

    /// [`MboxBlocks::new`] with another block size (tests and the fuzz
    /// target use a tiny one, to cut messages at every place).
    pub(crate) fn with_block_size(reader: R, base: u64, block: usize) -> Self {
        MboxBlocks { block: block.max(1), want: block.max(1), ..MboxBlocks::new(reader, base) }
    }

    /// Reads a slice of an mbox that ends where another message begins (a
    /// cut made by [`cuts`]): its last message loses its separator line, as
    /// when the whole file is read.
    pub(crate) fn ending_before_more(mut self) -> Self {
        self.more_at_end = true;
        self
    }

    /// The next block, None at the end of the stream.
    pub(crate) fn next_block(&mut self) -> std::io::Result<Option<Block>> {
        loop {
            if !self.eof && self.buf.len() < self.want {
                let old = self.buf.len();
                let asked = (self.want - old) as u64;
                let got = (&mut self.reader).take(asked).read_to_end(&mut self.buf)?;
                self.eof = (got as u64) < asked;
                if *self.cr_only.get_or_insert_with(|| super::is_cr_only(&self.buf)) {
                    super::cr_to_lf(&mut self.buf[old..]);
                }
            }
            if self.eof {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                let data = std::mem::take(&mut self.buf);
                let base = self.base;
                self.base += data.len() as u64;
                return Ok(Some(Block { base, data, more: self.more_at_end }));
            }
            match memmem::rfind(&self.buf, b"\nFrom ") {
                Some(i) => {
                    let rest = self.buf.split_off(i + 1);
                    let data = std::mem::replace(&mut self.buf, rest);
                    let base = self.base;
                    self.base += data.len() as u64;
                    self.want = self.block.max(self.buf.len() + self.block / 2);
                    return Ok(Some(Block { base, data, more: true }));
                }
                // One message longer than the buffer: read on.
                None => self.want = self.want.saturating_mul(2),
            }
        }
    }
}

/// Byte ranges of a plain mbox, each about `bytes` long and made of whole
/// messages (each starts at a `From_` line): how a job spread over many
/// machines cuts one big mbox. Reading each range with
/// [`MboxBlocks::ending_before_more`] (all but the last) gives the messages,
/// offsets and bytes of reading the whole file.
pub(crate) fn cuts(reader: impl Read, bytes: usize) -> std::io::Result<Vec<(u64, u64)>> {
    let mut blocks = MboxBlocks::with_block_size(reader, 0, bytes);
    let mut out = Vec::new();
    while let Some(b) = blocks.next_block()? {
        out.push((b.base, b.base + b.data.len() as u64));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_ranges_read_as_the_whole_file_reads() {
        let mut data = Vec::new();
        for i in 0..50 {
            data.extend_from_slice(format!("From a Mon Jan  1 00:00:00 2024\nSubject: {i}\n\nbody {i}\n{}\n\n", "x".repeat(i * 7)).as_bytes());
        }
        let whole: Vec<(u64, Vec<u8>)> = {
            let mut b = MboxBlocks::new(&data[..], 0);
            let mut v = Vec::new();
            while let Some(block) = b.next_block().unwrap() {
                v.extend(block.entries().iter().map(|e| (block.base + e.offset as u64, e.bytes.to_vec())));
            }
            v
        };
        let ranges = cuts(&data[..], 300).unwrap();
        assert!(ranges.len() > 5);
        let mut sliced = Vec::new();
        for (i, (start, end)) in ranges.iter().enumerate() {
            let mut b = MboxBlocks::new(&data[*start as usize..*end as usize], *start);
            if i + 1 < ranges.len() {
                b = b.ending_before_more();
            }
            while let Some(block) = b.next_block().unwrap() {
                sliced.extend(block.entries().iter().map(|e| (block.base + e.offset as u64, e.bytes.to_vec())));
            }
        }
        assert_eq!(sliced, whole);
    }

    fn split(data: &[u8]) -> Vec<(usize, String)> {
        MboxSplitter::new(data)
            .map(|e| (e.offset, String::from_utf8_lossy(e.bytes).into_owned()))
            .collect()
    }

    #[test]
    fn splits_lf_and_drops_separator_line() {
        let data = b"From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\n\nFrom c@d Tue Jan  2 00:00:00 2024\nSubject: two\n\nbody2\n";
        let got = split(data);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1, "Subject: one\n\nbody\n");
        assert_eq!(got[1].1, "Subject: two\n\nbody2\n");
        assert_eq!(&data[got[1].0..got[1].0 + 7], b"Subject");
    }

    #[test]
    fn splits_crlf() {
        let data = b"From a Mon Jan  1 00:00:00 2024\r\nSubject: one\r\n\r\nbody\r\n\r\nFrom c Tue Jan  2 00:00:00 2024\r\nSubject: two\r\n\r\nx\r\n";
        let got = split(data);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1, "Subject: one\r\n\r\nbody\r\n");
    }

    #[test]
    fn quoted_from_is_not_a_separator() {
        let data = b"From a Mon Jan  1 00:00:00 2024\nSubject: one\n\n>From here\nFrom:x\n";
        let got = split(data);
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn leading_garbage_is_skipped() {
        let data = b"junk\nFrom a Mon Jan  1 00:00:00 2024\nSubject: s\n\nb\n";
        assert_eq!(split(data).len(), 1);
        assert_eq!(split(b"").len(), 0);
        assert_eq!(split(b"no mbox here").len(), 0);
    }

    #[test]
    fn unescape_mboxrd() {
        let msg = b"Subject: s\n\n>From me\n>>From you\n> From not\nA >From b\n";
        let out = unescape_from(msg);
        assert_eq!(&*out, b"Subject: s\n\nFrom me\n>From you\n> From not\nA >From b\n");
        assert!(matches!(unescape_from(b"Subject: s\n\nplain\n"), Cow::Borrowed(_)));
        assert!(matches!(unescape_from(b"Subject: s\n\nA >From b\n"), Cow::Borrowed(_)));
    }

    /// Splits through [`MboxBlocks`] with blocks of `block` bytes (a tiny
    /// size cuts messages at every place), as (stream offset, bytes).
    fn split_blocks_of(data: &[u8], block: usize) -> Vec<(usize, String)> {
        let mut blocks = MboxBlocks::with_block_size(data, 0, block);
        let mut out = Vec::new();
        while let Some(b) = blocks.next_block().unwrap() {
            for e in b.entries() {
                out.push((b.base as usize + e.offset, String::from_utf8_lossy(e.bytes).into_owned()));
            }
        }
        out
    }

    fn split_blocks(data: &[u8]) -> Vec<(usize, String)> {
        split_blocks_of(data, 64)
    }

    #[test]
    fn two_from_lines_in_a_row_are_an_empty_message() {
        let data = b"From a\nFrom b\nSubject: x\n\nbody\n";
        let got = split(data);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1, "");
        assert_eq!(got[1].1, "Subject: x\n\nbody\n");
        assert_eq!(split_blocks(data), got);
    }

    /// The fuzz target's first crash (fuzz/artifacts/mbox/crash-1b0c78…): a
    /// block cut between a From_ line and a From line right after it.
    #[test]
    fn fuzz_crash_consecutive_from_lines_at_a_block_edge() {
        let data = b"junk\nFrom x\r\nFrom y\r\nX: 1\r\n\r\nb\r\n";
        for block in 1..data.len() + 2 {
            assert_eq!(split_blocks_of(data, block), split(data), "block {block}");
        }
    }

    #[test]
    fn blocks_split_as_the_whole_does() {
        let mut data = b"junk\n".to_vec();
        for i in 0..50 {
            let body = "x".repeat(i * 7);
            data.extend_from_slice(format!("From a{i} Mon\nSubject: {i}\n\n{body}\n>From q\n\n").as_bytes());
        }
        data.extend_from_slice(b"From last\r\nSubject: end\r\n\r\nno newline");
        assert_eq!(split_blocks(&data), split(&data));
        assert_eq!(split_blocks(b""), split(b""));
        // CR-only files read as LF.
        let cr = b"From a\rSubject: one\r\rbody\r\rFrom b\rSubject: two\r\rx\r";
        let lf: Vec<u8> = cr.iter().map(|&b| if b == b'\r' { b'\n' } else { b }).collect();
        assert_eq!(split_blocks(cr), split(&lf));
    }
}
