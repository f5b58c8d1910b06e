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

use memchr::memmem;

/// One message found in an mbox byte slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MboxEntry<'a> {
    /// Offset of the message's first byte (just after its `From_` line).
    pub offset: usize,
    /// The message, still quoted, without its `From_` line and trailing
    /// separator line.
    pub bytes: &'a [u8],
    /// The `From_` line without its line end.
    pub from_line: &'a [u8],
}

/// Walks an mbox by offset and yields its messages as slices of the input.
pub struct MboxSplitter<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> MboxSplitter<'a> {
    /// `data` should start with a `From ` line; bytes before the first one
    /// are not a message and are skipped.
    pub fn new(data: &'a [u8]) -> Self {
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
pub fn without_separator(msg: &[u8]) -> &[u8] {
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
pub fn unescape_from(msg: &[u8]) -> Cow<'_, [u8]> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
