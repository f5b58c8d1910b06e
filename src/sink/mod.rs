//! Sinks: records out. The tantivy index ([`index`]) and the Parquet tables
//! ([`parquet`] writes parts, [`tables`] says what columns each table has).
//! Sinks take finished records; they never parse or analyse.

pub mod cjk;
pub mod index;
pub mod parquet;
pub mod store;
pub mod tables;
