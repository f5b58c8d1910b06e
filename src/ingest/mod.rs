//! Ingest: plans what changed ([`plan`]), runs the workers ([`workers`]),
//! batches and commits ([`batch`]), and brings the database in line with the
//! archive at the end ([`reconcile`]). This is the only module that drives
//! every stage; the stages themselves live in source, parse, analyze and store.
//!
//! ```text
//! lock ─► discover ─► plan (what changed) ─► rayon workers: map, split, hash, parse ─► bounded queue ─► sink thread
//!                                                                                     ├─ tantivy index
//!                                                                                     └─ Parquet parts (table store)
//!         ─► reconcile: removed and renamed copies, gone messages, labels follow the copies (follow), threads, derived tables ─► final commit
//! ```
//!
//! Workers hand finished records to one sink thread through a bounded channel,
//! so at most `QUEUE_DEPTH` records plus one Parquet batch are in memory
//! whatever the archive's size. Every batch is one commit: its Parquet parts
//! and its index documents become visible together ([`crate::store::generations`]).
//! Files unchanged since the last ingest are not read; a message whose key is
//! already in the index only gains a location. Ctrl-C ([`STOP`]) or a kill
//! at any point leaves the last commit in force; the next ingest finishes the job.

mod batch;
mod enrich;
mod follow;
mod merge;
pub(crate) mod plan;
mod reconcile;
pub mod slices;
mod threads;
mod workers;
mod run;

pub use enrich::reenrich;
pub use merge::{merge, Merged};
pub use threads::{rebuild as rethread, threading_options, Threaded};
pub use run::{IngestConfig, IngestSummary, NoProgress, Progress, STOP, ingest};
pub(crate) use run::SHOWN_PROBLEMS;
