//! Joins indexes that tasks of a job spread over many machines wrote into
//! the database's own (`mailidx merge`): tantivy merges every segment of
//! both into one new segment in a folder beside the index, keeping the
//! shard documents the caller accepts (each message once), and the new
//! folder replaces the old. Search then reads one index, so BM25's
//! statistics are those of the whole archive.

use std::path::{Path, PathBuf};

use tantivy::directory::{MmapDirectory, OwnedBytes};
use tantivy::fastfield::{write_alive_bitset, AliveBitSet};
use tantivy::{BitSet, Index, Segment, SegmentReader};

use super::schema::IndexFields;
use crate::error::{Error, Result};

/// Which documents of one shard segment to keep: those whose key `keep`
/// accepts (asked once per key).
/// None when every document stays: a merge told of deleted documents
/// estimates each field's token count from the (lossy) field norms, and
/// BM25 scores would differ a little from those of one ingest.
fn alive(segment: &Segment, fields: &IndexFields, keep: &mut dyn FnMut(&str) -> bool) -> Result<(Option<AliveBitSet>, u64)> {
    let reader = SegmentReader::open(segment)?;
    let mut bits = BitSet::with_max_value(reader.max_doc());
    let mut kept = 0;
    super::writer::live_keys(&reader, fields, true, &mut |key, doc| {
        // One document per key: the first alive one, if the key is new.
        if let (Some(doc), true) = (doc, keep(&String::from_utf8_lossy(key))) {
            bits.insert(doc);
            kept += 1;
        }
    })?;
    if kept == u64::from(reader.max_doc()) {
        return Ok((None, kept));
    }
    let mut bytes = Vec::new();
    write_alive_bitset(&bits, &mut bytes).map_err(|e| Error::Other(format!("writing a shard's filter: {e}")))?;
    Ok((Some(AliveBitSet::open(OwnedBytes::new(bytes))), kept))
}

/// Adds the documents of `shards` (index folders) that `keep` accepts to the
/// index in `dir`; returns how many. The index keeps its commit payload (its
/// table generation) until the caller commits.
pub(crate) fn join(dir: &Path, shards: &[PathBuf], keep: &mut dyn FnMut(&str) -> bool) -> Result<u64> {
    let (_, fields) = IndexFields::schema();
    let main = super::open_or_create(dir)?.0;
    let payload = main.load_metas()?.payload;
    let mut segments: Vec<Segment> = main.searchable_segments()?;
    let mut filters: Vec<Option<AliveBitSet>> = segments.iter().map(|_| None).collect();
    let mut added = 0;
    let mut opened = Vec::new();
    for shard in shards {
        let index = Index::open_in_dir(shard)?;
        for seg in index.searchable_segments()? {
            let (bits, kept) = alive(&seg, &fields, keep)?;
            added += kept;
            segments.push(seg);
            filters.push(bits);
        }
        opened.push(index);
    }
    if added == 0 {
        return Ok(0);
    }
    let fresh = dir.with_file_name("index.joining");
    let old = dir.with_file_name("index.joined-old");
    for d in [&fresh, &old] {
        if d.exists() {
            std::fs::remove_dir_all(d).map_err(Error::at(d))?;
        }
    }
    std::fs::create_dir_all(&fresh).map_err(Error::at(&fresh))?;
    let out = MmapDirectory::open(&fresh).map_err(|e| Error::Other(format!("{}: {e}", fresh.display())))?;
    let merged = tantivy::indexer::merge_filtered_segments(&segments, main.settings().clone(), filters, out)?;
    {
        let mut writer: tantivy::IndexWriter = merged.writer_with_num_threads(1, 15_000_000)?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(payload.as_deref().unwrap_or(""));
        prepared.commit()?;
        writer.wait_merging_threads()?;
    }
    drop((main, opened, merged));
    std::fs::rename(dir, &old).map_err(Error::at(dir))?;
    std::fs::rename(&fresh, dir).map_err(Error::at(dir))?;
    std::fs::remove_dir_all(&old).map_err(Error::at(&old))?;
    Ok(added)
}
