//! The query side: everything here only reads a database (or, for `hops`,
//! one message file). [`search`] runs queries against the index, [`show`]
//! reads a message back from the archive, [`hops`] is the header analyser
//! for one message, [`status`] says what a database holds and [`report`]
//! prints the derived statistics. Nothing here takes the lock or writes.

pub mod hops;
pub mod report;
pub mod search;
pub mod show;
pub mod status;
pub mod terminal;
