//! The database: where it lives ([`paths`]), its lock ([`lock`]), the table
//! generations ([`generations`]), the tantivy index ([`index`]), the Parquet
//! parts ([`parquet`], [`tables`]) and the derived tables ([`derived`]).
//!
//! [`Db`] is the one way to change a database: it holds the lock, the index
//! writer and the table generations, and [`Db::commit`] is the only place a
//! generation is staged, committed with the index and published. Ingest,
//! its reconcile step and `stats rebuild` all go through it; nothing else
//! writes. Readers (search, show, status, report) open the index and the
//! committed tables directly and never need the lock.

pub mod derived;
pub(crate) mod frames;
pub(crate) mod generations;
pub(crate) mod index;
mod lock;
pub mod parquet;
pub(crate) mod paths;
pub mod tables;
pub(crate) mod threading;
mod db;

pub use lock::{lock, DbLock};
pub use paths::DbPaths;
pub(crate) use db::Db;
