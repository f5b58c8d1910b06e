//! [`IndexSink`], which adds message records and commits; the keys an
//! index holds; and the merge policy that bounds what a merge reads.

use std::collections::HashSet;

use tantivy::schema::IndexRecordOption;
use tantivy::{DateTime, DocId, DocSet, Index, IndexWriter, SegmentReader, TantivyDocument, Term};

use super::schema::IndexFields;
use crate::error::{Error, Result};
use crate::model::MessageRecord;

/// The message keys already in the index, as 64-bit numbers.
pub(crate) fn existing_keys(index: &Index, fields: &IndexFields) -> Result<HashSet<u64>> {
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let mut keys = HashSet::new();
    for seg in searcher.segment_readers() {
        live_keys(seg, fields, false, &mut |key, _| {
            if let Some(k) = std::str::from_utf8(key).ok().and_then(key_number) {
                keys.insert(k);
            }
        })?;
    }
    Ok(keys)
}

/// Calls `each` with every message key of a segment that has a live
/// document, and (with `docs`) the first such document. A deleted
/// message's key stays in the term list until a merge, so the postings
/// decide; a segment without deletes needs them only for `docs`.
pub(crate) fn live_keys(seg: &SegmentReader, fields: &IndexFields, docs: bool, each: &mut dyn FnMut(&[u8], Option<DocId>)) -> Result<()> {
    let inverted = seg.inverted_index(fields.msg_key)?;
    let alive = seg.alive_bitset();
    let keys_error = |e: std::io::Error| Error::Other(format!("reading index keys: {e}"));
    let mut stream = inverted.terms().stream().map_err(keys_error)?;
    while stream.advance() {
        if alive.is_none() && !docs {
            each(stream.key(), None);
            continue;
        }
        let mut postings = inverted.read_postings_from_terminfo(stream.value(), IndexRecordOption::Basic).map_err(keys_error)?;
        let mut doc = postings.doc();
        while doc != tantivy::TERMINATED && !alive.is_none_or(|a| a.is_alive(doc)) {
            doc = postings.advance();
        }
        if doc != tantivy::TERMINATED {
            each(stream.key(), Some(doc));
        }
    }
    Ok(())
}

/// A 16-hex-digit message key as a number.
pub(crate) fn key_number(key: &str) -> Option<u64> {
    u64::from_str_radix(key, 16).ok()
}

/// Documents one merge may produce (see [`BoundedMerges`]).
pub(crate) const MERGE_MAX_DOCS: u32 = 36_000;

/// Merges small segments together (at least `min_segments` at a time), but
/// never into one of more than `max_docs` documents. tantivy's default
/// (log-size tiers) goes on merging large segments into larger ones, and a
/// merge maps every segment it reads, so peak memory would grow with the
/// archive. With a bound, a merge reads at most what the whole of a
/// 36k-message archive would; and nothing is merged before there are 8
/// small segments, as a few cost searches little (docs/benchmarks.md has
/// the measurements behind both numbers).
#[derive(Debug)]
pub(crate) struct BoundedMerges {
    pub max_docs: u32,
    pub min_segments: usize,
}

impl tantivy::merge_policy::MergePolicy for BoundedMerges {
    fn compute_merge_candidates(&self, segments: &[tantivy::SegmentMeta]) -> Vec<tantivy::merge_policy::MergeCandidate> {
        use tantivy::merge_policy::MergeCandidate;
        // Segments already half the bound are left alone.
        let mut small: Vec<&tantivy::SegmentMeta> = segments.iter().filter(|s| s.num_docs() < self.max_docs / 2).collect();
        // A few segments cost searches little; merging them costs the
        // ingest a rewrite. Merge once there are 8.
        if small.len() < 8 {
            return Vec::new();
        }
        small.sort_by_key(|s| s.num_docs());
        let (mut out, mut group, mut docs) = (Vec::new(), Vec::new(), 0u32);
        for s in small {
            if docs + s.num_docs() > self.max_docs {
                if group.len() >= self.min_segments {
                    out.push(MergeCandidate(std::mem::take(&mut group)));
                }
                group.clear();
                docs = 0;
            }
            group.push(s.id());
            docs += s.num_docs();
        }
        if group.len() >= self.min_segments {
            out.push(MergeCandidate(group));
        }
        out
    }
}

/// Adds records to the index; commits when [`crate::store::Db::commit`] says.
pub(crate) struct IndexSink {
    writer: IndexWriter,
    fields: IndexFields,
}

impl IndexSink {
    /// `heap_bytes` is tantivy's indexing memory budget, shared by its threads.
    pub(crate) fn new(index: &Index, fields: IndexFields, heap_bytes: usize) -> Result<Self> {
        // Half the cores index, the other half parse: with more indexing
        // threads the parsers starve (docs/benchmarks.md).
        // MAILIDX_INDEX_THREADS overrides it.
        let threads = std::env::var("MAILIDX_INDEX_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()) / 2)
            .clamp(1, 4);
        let writer: IndexWriter = index.writer_with_num_threads(threads, heap_bytes.max(threads * 20_000_000))?;
        let max_docs = std::env::var("MAILIDX_MERGE_MAX_DOCS").ok().and_then(|v| v.parse().ok()).unwrap_or(MERGE_MAX_DOCS);
        writer.set_merge_policy(Box::new(BoundedMerges { max_docs, min_segments: 3 }));
        Ok(IndexSink { writer, fields })
    }

    pub(crate) fn add(&mut self, r: &MessageRecord) -> Result<()> {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.msg_key, &r.msg_key);
        if let Some(id) = &r.message_id {
            doc.add_text(f.message_id, id);
        }
        let from = crate::model::name_addr(r.from_name.as_deref(), r.from_addr.as_deref());
        if !from.is_empty() {
            doc.add_text(f.from, &from);
        }
        for a in &r.to_addrs {
            doc.add_text(f.to, a);
        }
        for a in &r.cc_addrs {
            doc.add_text(f.cc, a);
        }
        // Display names are searchable with to: (notmuch does the same).
        for n in &r.recipient_names {
            doc.add_text(f.to, n);
        }
        if let Some(s) = &r.subject {
            doc.add_text(f.subject, s);
        }
        doc.add_text(f.body, &r.body_text);
        if !r.mime.nested_headers.is_empty() {
            doc.add_text(f.nested, &r.mime.nested_headers);
        }
        for n in &r.mime.attachment_names {
            doc.add_text(f.attachment_names, n);
        }
        for m in &r.mime.mime_types {
            doc.add_text(f.mime_types, m);
        }
        if let Some(ms) = r.date {
            doc.add_date(f.date, DateTime::from_timestamp_millis(ms));
        }
        let loc = &r.location;
        doc.add_text(f.folder, &loc.folder);
        doc.add_text(f.label, r.label.as_str());
        for t in &r.tags {
            doc.add_text(f.tags, t);
        }
        let mut domains = String::new();
        for u in &r.url_rows {
            doc.add_text(f.url, &u.url);
            if let Some(d) = u.registrable_domain.as_deref().or(u.host.as_deref()) {
                domains.push_str(&d.to_lowercase());
                domains.push(' ');
            }
        }
        if !domains.is_empty() {
            doc.add_text(f.domain, &domains);
        }
        doc.add_text(f.source_path, &loc.path);
        doc.add_u64(f.source_offset, loc.offset);
        doc.add_u64(f.source_length, loc.length);
        doc.add_text(f.source_kind, loc.kind.as_str());
        if let Some(ip) = r.route.origin_ip {
            let v6 = match ip {
                std::net::IpAddr::V4(v4) => v4.to_ipv6_mapped(),
                std::net::IpAddr::V6(v6) => v6,
            };
            doc.add_ip_addr(f.origin_ip, v6);
        }
        let a = &r.auth;
        for (field, value) in [
            (f.spf_result, &a.spf_result),
            (f.dkim_result, &a.dkim_result),
            (f.dmarc_result, &a.dmarc_result),
            (f.arc_result, &a.arc_result),
        ] {
            if let Some(v) = value {
                doc.add_text(field, v);
            }
        }
        doc.add_text(f.dmarc_computed, &a.dmarc_computed);
        self.writer.add_document(doc)?;
        Ok(())
    }

    /// Removes a message from the index (at the next commit).
    pub(crate) fn delete(&mut self, key: &str) {
        self.writer.delete_term(Term::from_field_text(self.fields.msg_key, key));
    }

    /// Makes everything added so far durable and visible to searches, with
    /// `payload` (the table generation that goes with it) in the commit.
    pub(crate) fn commit(&mut self, payload: &str) -> Result<()> {
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(payload);
        prepared.commit()?;
        Ok(())
    }

    /// Rewrites every committed segment that holds deleted documents (a
    /// message read again or gone), one segment at a time. tantivy's BM25
    /// statistics count deleted documents until their segment is merged,
    /// so without this the same archive could score a little differently
    /// after another history of ingests (or when ingested by a Spark job).
    pub(crate) fn purge_deletes(&mut self, index: &Index) -> Result<()> {
        for meta in index.searchable_segment_metas()?.into_iter().filter(|m| m.has_deletes()) {
            // A segment that the merge policy is merging already is left to it.
            let _ = self.writer.merge(&[meta.id()]).wait();
        }
        Ok(())
    }

    /// Waits for background merges to finish.
    pub(crate) fn finish(self) -> Result<()> {
        self.writer.wait_merging_threads()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::merge_policy::MergePolicy;

    #[test]
    fn merges_stay_within_the_bound() {
        let index = Index::create_in_ram(IndexFields::schema().0);
        let metas: Vec<tantivy::SegmentMeta> = [11_000, 11_500, 10_900, 11_200, 11_100, 10_800, 2_000, 9_000, 9_500, 40_000, 20_000]
            .into_iter()
            .map(|n| index.new_segment_meta(tantivy::index::SegmentId::generate_random(), n))
            .collect();
        let policy = BoundedMerges { max_docs: 36_000, min_segments: 3 };
        let groups = policy.compute_merge_candidates(&metas);
        let docs = |ids: &[tantivy::index::SegmentId]| -> u32 {
            ids.iter().map(|id| metas.iter().find(|m| m.id() == *id).unwrap().num_docs()).sum()
        };
        assert_eq!(groups.len(), 2, "{groups:?}");
        for g in &groups {
            assert!(g.0.len() >= 3 && docs(&g.0) <= 36_000, "{}", docs(&g.0));
            // Segments of half the bound or more are never merged again.
            assert!(g.0.iter().all(|id| docs(&[*id]) < 18_000));
        }
        assert!(BoundedMerges { max_docs: 0, min_segments: 3 }.compute_merge_candidates(&metas).is_empty());
        // Fewer than 8 small segments: no merge yet.
        assert!(policy.compute_merge_candidates(&metas[..7]).is_empty());
    }
}
