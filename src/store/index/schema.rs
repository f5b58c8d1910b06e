//! The index schema (built once, in [`IndexFields::schema`]), the
//! tokenizers it needs, and opening the index.

use std::path::Path;

use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
    FAST, INDEXED, STORED, STRING,
};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, TextAnalyzer};
use tantivy::Index;

use crate::error::{Error, Result};

/// Tokenizer for free text (subject, body, names, addresses): words split on
/// non-alphanumerics, Chinese/Japanese/Korean runs as bigrams
/// ([`super::cjk`]), lowercased and folded to ASCII so `cafe` finds `café`.
pub(crate) const TEXT_TOKENIZER: &str = "mail_text";
/// Tokenizer for whole-value keyword fields matched case-insensitively
/// (folder, label, MIME type).
pub(crate) const KEYWORD_TOKENIZER: &str = "keyword_lc";
/// Tokenizer for fields whose terms mailidx writes itself, separated by
/// spaces and already lowercased (the `domain` field's domains).
pub(crate) const TERMS_TOKENIZER: &str = "terms";

/// Handles to every index field. Field names match the Parquet columns where
/// they carry the same value; the names users type are listed in
/// read/search/fields.rs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IndexFields {
    pub msg_key: Field,
    pub message_id: Field,
    pub from: Field,
    pub to: Field,
    pub cc: Field,
    pub subject: Field,
    pub body: Field,
    /// From and Subject of attached messages, apart from the outer headers.
    pub nested: Field,
    pub attachment_names: Field,
    pub mime_types: Field,
    pub date: Field,
    pub folder: Field,
    pub label: Field,
    /// Provider labels (`tags`), one value each, any case.
    pub tags: Field,
    /// The words of every link in the body (`urls.url`).
    pub url: Field,
    /// The registrable domain (or IP host) of every link, space-separated.
    pub domain: Field,
    pub source_path: Field,
    pub source_offset: Field,
    pub source_length: Field,
    pub source_kind: Field,
    /// The origin hop's IP (IPv4 stored IPv4-mapped, as tantivy does).
    pub origin_ip: Field,
    pub spf_result: Field,
    pub dkim_result: Field,
    pub dmarc_result: Field,
    pub arc_result: Field,
    pub dmarc_computed: Field,
}

impl IndexFields {
    /// The index schema, built in one place.
    pub(crate) fn schema() -> (Schema, IndexFields) {
        let mut b = Schema::builder();
        let text = |stored: bool| {
            let o = TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(TEXT_TOKENIZER)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            );
            if stored { o.set_stored() } else { o }
        };
        let keyword = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default().set_tokenizer(KEYWORD_TOKENIZER).set_index_option(IndexRecordOption::Basic),
            )
            .set_stored();
        // Terms mailidx writes itself, looked up whole and never shown:
        // one space-separated value per document, not stored.
        let terms = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(TERMS_TOKENIZER).set_index_option(IndexRecordOption::Basic),
        );
        let fields = IndexFields {
            msg_key: b.add_text_field("msg_key", STRING | STORED),
            message_id: b.add_text_field("message_id", STRING | STORED),
            from: b.add_text_field("from", text(true)),
            to: b.add_text_field("to", text(true)),
            cc: b.add_text_field("cc", text(true)),
            subject: b.add_text_field("subject", text(true)),
            body: b.add_text_field("body", text(false)),
            nested: b.add_text_field("nested", text(false)),
            attachment_names: b.add_text_field("attachment_names", text(true)),
            mime_types: b.add_text_field("mime_types", keyword.clone()),
            date: b.add_date_field(
                "date",
                DateOptions::default().set_indexed().set_stored().set_fast().set_precision(DateTimePrecision::Seconds),
            ),
            folder: b.add_text_field("folder", keyword.clone()),
            label: b.add_text_field("label", keyword.clone()),
            tags: b.add_text_field("tags", keyword.clone()),
            url: {
                // `header` held `name:word` for every header field; search
                // now reads the `headers` table for `header:` and the field
                // stays empty, so that the fields after it keep their
                // numbers in the indexes of earlier versions.
                b.add_text_field("header", terms.clone());
                b.add_text_field("url", text(false))
            },
            domain: b.add_text_field("domain", terms),
            source_path: b.add_text_field("source_path", STORED),
            source_offset: b.add_u64_field("source_offset", NumericOptions::default().set_stored()),
            source_length: b.add_u64_field("source_length", NumericOptions::default().set_stored()),
            source_kind: b.add_text_field("source_kind", STORED),
            origin_ip: b.add_ip_addr_field("origin_ip", INDEXED | STORED | FAST),
            spf_result: b.add_text_field("spf_result", keyword.clone()),
            dkim_result: b.add_text_field("dkim_result", keyword.clone()),
            dmarc_result: b.add_text_field("dmarc_result", keyword.clone()),
            arc_result: b.add_text_field("arc_result", keyword.clone()),
            dmarc_computed: b.add_text_field("dmarc_computed", keyword.clone()),
        };
        (b.build(), fields)
    }
}

/// Registers mailidx's tokenizers on an index (needed to write and to query).
pub(crate) fn register_tokenizers(index: &Index) {
    let text = TextAnalyzer::builder(super::cjk::CjkBigramTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(AsciiFoldingFilter)
        .build();
    index.tokenizers().register(TEXT_TOKENIZER, text);
    let keyword = TextAnalyzer::builder(RawTokenizer::default()).filter(LowerCaser).build();
    index.tokenizers().register(KEYWORD_TOKENIZER, keyword);
    let terms = TextAnalyzer::builder(tantivy::tokenizer::WhitespaceTokenizer::default()).filter(RemoveLongFilter::limit(120)).build();
    index.tokenizers().register(TERMS_TOKENIZER, terms);
}

/// Opens the index in `dir`, creating it when absent.
pub(crate) fn open_or_create(dir: &Path) -> Result<(Index, IndexFields)> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let (schema, fields) = IndexFields::schema();
    let mmap = tantivy::directory::MmapDirectory::open(dir).map_err(|e| Error::Other(format!("{}: {e}", dir.display())))?;
    let index = Index::open_or_create(mmap, schema)?;
    register_tokenizers(&index);
    Ok((index, fields))
}

/// Opens an existing index for reading.
pub(crate) fn open_existing(dir: &Path) -> Result<(Index, IndexFields)> {
    if !dir.join("meta.json").exists() {
        return Err(Error::NoDatabase(dir.parent().unwrap_or(dir).to_path_buf()));
    }
    let index = Index::open_in_dir(dir)?;
    register_tokenizers(&index);
    let (_, fields) = IndexFields::schema();
    Ok((index, fields))
}

