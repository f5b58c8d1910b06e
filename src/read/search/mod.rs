//! Searching the index: a query in the user's language ([`query`], with the
//! fields of [`fields`]) runs against the index, and the hits come back
//! with stable field names for `--format json`.

pub mod fields;
mod headers;
mod query;
mod searcher;
mod stats;

pub use searcher::{Hit, SearchResult, Searchable, SortOrder};
