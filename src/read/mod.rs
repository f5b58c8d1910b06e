//! The query side: everything here only reads a database (or, for `hops`,
//! one message file). [`search`] runs queries against the index, [`show`]
//! reads a message back from the archive, [`hops`] is the header analyser
//! for one message, [`status`] says what a database holds, [`report`]
//! prints the derived statistics and [`threads`] reads conversations back.
//! Nothing here takes the lock or writes to a database; [`results`] writes
//! search results into a Maildir or mbox of its own, outside the archive.

pub mod hops;
pub mod report;
pub mod results;
pub mod search;
pub mod show;
pub mod status;
pub mod terminal;
pub mod threads;
