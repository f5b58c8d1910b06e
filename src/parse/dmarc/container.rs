//! The bytes a report travels in: gzip, zip (one level of nesting inside
//! either) or plain XML, unpacked with bounds, so that a zip or gzip bomb
//! costs at most [`MAX_UNPACKED`] bytes and [`MAX_ENTRIES`] entries.

use std::io::Read;

/// Bytes one report document may unpack to.
pub(crate) const MAX_UNPACKED: u64 = 128 << 20;
/// Entries read from one zip file.
pub(crate) const MAX_ENTRIES: usize = 16;

/// The documents inside `bytes` (itself, when it is not an archive), with
/// the problems met on the way.
pub(crate) fn unpack(bytes: &[u8], depth: usize, problems: &mut Vec<String>) -> Vec<Vec<u8>> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let read = flate2::read::MultiGzDecoder::new(bytes).take(MAX_UNPACKED + 1).read_to_end(&mut out);
        if let Err(e) = read {
            problems.push(format!("gzip: {e}"));
            if out.is_empty() {
                return Vec::new();
            }
        }
        if out.len() as u64 > MAX_UNPACKED {
            problems.push(format!("gzip unpacks to more than {MAX_UNPACKED} bytes: not read as a report"));
            return Vec::new();
        }
        return nested(out, depth, problems);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        let mut archive = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
            Ok(a) => a,
            Err(e) => {
                problems.push(format!("zip: {e}"));
                return Vec::new();
            }
        };
        let mut docs = Vec::new();
        let mut budget = MAX_UNPACKED;
        for i in 0..archive.len() {
            if i >= MAX_ENTRIES {
                problems.push(format!("zip holds {} entries; the first {MAX_ENTRIES} read", archive.len()));
                break;
            }
            let mut entry = match archive.by_index(i) {
                Ok(e) => e,
                Err(e) => {
                    problems.push(format!("zip entry {i}: {e}"));
                    continue;
                }
            };
            if entry.is_dir() {
                continue;
            }
            let mut out = Vec::new();
            if let Err(e) = (&mut entry).take(budget + 1).read_to_end(&mut out) {
                problems.push(format!("zip entry {}: {e}", entry.name()));
                continue;
            }
            if out.len() as u64 > budget {
                problems.push(format!("zip unpacks to more than {MAX_UNPACKED} bytes: the rest not read as a report"));
                break;
            }
            budget -= out.len() as u64;
            docs.extend(nested(out, depth, problems));
        }
        return docs;
    }
    vec![bytes.to_vec()]
}

/// An archive inside an archive is opened once more, no deeper.
fn nested(doc: Vec<u8>, depth: usize, problems: &mut Vec<String>) -> Vec<Vec<u8>> {
    let is_archive = doc.starts_with(&[0x1f, 0x8b]) || doc.starts_with(b"PK\x03\x04");
    match (is_archive, depth) {
        (true, 0) => unpack(&doc, 1, problems),
        (true, _) => {
            problems.push("an archive nested more than twice: not read as a report (more than one level of nesting)".into());
            Vec::new()
        }
        (false, _) => vec![doc],
    }
}
