//! Compressed mbox files (`.gz`, `.zst`), read by streaming decompression:
//! the decompressed archive is never held in memory or written to disk. Each
//! message is copied once into its own buffer (there is no map to slice), and
//! offsets count bytes of the decompressed stream, so `show` can find a
//! message again by decompressing up to it.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::mbox::without_separator;
use crate::model::SourceKind;

/// A message read from a compressed mbox.
#[derive(Debug)]
pub struct OwnedEntry {
    /// Offset in the decompressed stream of the message's first byte.
    pub offset: u64,
    pub bytes: Vec<u8>,
}

/// Opens a compressed file as a decompressing reader.
pub fn open_decoder(path: &Path, kind: SourceKind) -> std::io::Result<Box<dyn Read + Send>> {
    decode(File::open(path)?, kind)
}

/// Wraps a reader of compressed bytes in the decoder for `kind`.
pub fn decode<R: Read + Send + 'static>(reader: R, kind: SourceKind) -> std::io::Result<Box<dyn Read + Send>> {
    let buffered = BufReader::with_capacity(1 << 20, reader);
    Ok(match kind {
        SourceKind::MboxGz => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        SourceKind::MboxZst => Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?),
        _ => Box::new(buffered),
    })
}

/// Streams the messages of a (decompressed) mbox reader, applying the same
/// rules as [`super::mbox::MboxSplitter`].
pub struct StreamingMbox<R: Read> {
    reader: BufReader<R>,
    /// Bytes consumed from the decompressed stream so far.
    pos: u64,
    /// The message being accumulated and its offset.
    current: Option<(u64, Vec<u8>)>,
    line: Vec<u8>,
    done: bool,
}

impl<R: Read> StreamingMbox<R> {
    pub fn new(reader: R) -> Self {
        StreamingMbox {
            reader: BufReader::with_capacity(1 << 20, reader),
            pos: 0,
            current: None,
            line: Vec::with_capacity(4096),
            done: false,
        }
    }

    /// Decompressed bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.pos
    }
}

impl<R: Read> Iterator for StreamingMbox<R> {
    type Item = std::io::Result<OwnedEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            self.line.clear();
            let n = match self.reader.read_until(b'\n', &mut self.line) {
                Ok(n) => n,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            if n == 0 {
                self.done = true;
                return self.current.take().map(|(offset, bytes)| Ok(OwnedEntry { offset, bytes }));
            }
            self.pos += n as u64;
            if self.line.starts_with(b"From ") {
                let finished = self.current.replace((self.pos, Vec::new()));
                if let Some((offset, mut bytes)) = finished {
                    let keep = without_separator(&bytes).len();
                    bytes.truncate(keep);
                    return Some(Ok(OwnedEntry { offset, bytes }));
                }
            } else if let Some((_, buf)) = self.current.as_mut() {
                buf.extend_from_slice(&self.line);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::mbox::MboxSplitter;

    #[test]
    fn streaming_agrees_with_the_map_splitter() {
        let data: &[u8] = b"junk\nFrom a Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\n\nFrom c Tue\r\nSubject: two\r\n\r\nx\r\n\r\nFrom d\n\n";
        let streamed: Vec<_> = StreamingMbox::new(data).map(|e| e.unwrap()).collect();
        let mapped: Vec<_> = MboxSplitter::new(data).collect();
        assert_eq!(streamed.len(), 3);
        assert_eq!(streamed.len(), mapped.len());
        for (s, m) in streamed.iter().zip(&mapped) {
            assert_eq!(s.offset as usize, m.offset);
            assert_eq!(&s.bytes[..], m.bytes);
        }
    }

    #[test]
    fn reads_gzip_and_zstd() {
        use std::io::Write;
        let mbox = b"From a Mon\nSubject: one\n\nbody\n\nFrom b Tue\nSubject: two\n\nx\n";
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("a.mbox.gz");
        let mut enc = flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        enc.write_all(mbox).unwrap();
        enc.finish().unwrap();
        let zst = dir.path().join("a.mbox.zst");
        std::fs::write(&zst, zstd::encode_all(&mbox[..], 3).unwrap()).unwrap();
        for (p, k) in [(gz, SourceKind::MboxGz), (zst, SourceKind::MboxZst)] {
            let got: Vec<_> = StreamingMbox::new(open_decoder(&p, k).unwrap()).map(|e| e.unwrap()).collect();
            assert_eq!(got.len(), 2, "{p:?}");
            assert_eq!(got[1].bytes, b"Subject: two\n\nx\n");
        }
    }
}
