//! BM25's statistics taken from the live documents alone, the same way
//! whatever the index's history.
//!
//! tantivy's own statistics count a deleted document until its segment is
//! merged, and a merge told of deleted documents estimates a field's token
//! count from the field norms while a fresh segment counts it exactly. So
//! the same messages scored a little differently after another history of
//! ingests, or after a Spark job's merge, and near-ties swapped places.
//! Here every statistic is a function of the live documents: their number,
//! the documents holding a term, and each field's length from the field
//! norms (the lengths BM25 itself scores with).

use std::collections::HashMap;
use std::sync::Mutex;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocSet, Searcher, Term};

/// [`Bm25StatisticsProvider`] over a searcher's live documents.
pub(crate) struct LiveStatistics<'a> {
    searcher: &'a Searcher,
    tokens: Mutex<HashMap<Field, u64>>,
}

impl<'a> LiveStatistics<'a> {
    pub(crate) fn new(searcher: &'a Searcher) -> Self {
        LiveStatistics { searcher, tokens: Mutex::new(HashMap::new()) }
    }
}

impl Bm25StatisticsProvider for LiveStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        if let Some(n) = self.tokens.lock().ok().and_then(|t| t.get(&field).copied()) {
            return Ok(n);
        }
        let mut total = 0u64;
        for seg in self.searcher.segment_readers() {
            match seg.fieldnorms_readers().get_field(field)? {
                Some(norms) => total += seg.doc_ids_alive().map(|d| u64::from(FieldNormReader::id_to_fieldnorm(norms.fieldnorm_id(d)))).sum::<u64>(),
                None => total += seg.inverted_index(field)?.total_num_tokens(),
            }
        }
        if let Ok(mut t) = self.tokens.lock() {
            t.insert(field, total);
        }
        Ok(total)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.searcher.num_docs())
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        let mut n = 0u64;
        for seg in self.searcher.segment_readers() {
            let inverted = seg.inverted_index(term.field())?;
            match seg.alive_bitset() {
                None => n += u64::from(inverted.doc_freq(term)?),
                Some(alive) => {
                    let Some(mut postings) = inverted.read_postings(term, IndexRecordOption::Basic)? else { continue };
                    let mut doc = postings.doc();
                    while doc != tantivy::TERMINATED {
                        n += u64::from(alive.is_alive(doc));
                        doc = postings.advance();
                    }
                }
            }
        }
        Ok(n)
    }
}
