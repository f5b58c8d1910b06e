//! Compressed mbox files (`.gz`, `.zst`), read by streaming decompression
//! into [`super::mbox::MboxBlocks`]: the decompressed archive is never held
//! in memory or written to disk, and offsets count bytes of the decompressed
//! stream, so `show` can find a message again by decompressing up to it.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::model::SourceKind;

/// Opens a compressed file as a decompressing reader.
pub(crate) fn open_decoder(path: &Path, kind: SourceKind) -> std::io::Result<Box<dyn Read + Send>> {
    decode(File::open(path)?, kind)
}

/// Wraps a reader of compressed bytes in the decoder for `kind`.
pub(crate) fn decode<R: Read + Send + 'static>(reader: R, kind: SourceKind) -> std::io::Result<Box<dyn Read + Send>> {
    let buffered = BufReader::with_capacity(1 << 20, reader);
    Ok(match kind {
        SourceKind::MboxGz => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        SourceKind::MboxZst => Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?),
        _ => Box::new(buffered),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::mbox::MboxBlocks;

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
            let block = MboxBlocks::new(open_decoder(&p, k).unwrap(), 0).next_block().unwrap().unwrap();
            let got = block.entries();
            assert_eq!(got.len(), 2, "{p:?}");
            assert_eq!(got[1].bytes, b"Subject: two\n\nx\n");
        }
    }
}
