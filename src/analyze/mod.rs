//! Analysis: judgments on a parsed message, as a mail administrator makes
//! them. [`Analyzer`] is the one place the steps are sequenced; ingest runs
//! it on every new message, `mailidx hops` on one, and the fuzz target
//! `message` on arbitrary bytes, so all three see the same record.
//!
//! The order matters and is written once, in [`Analyzer::analyze`]:
//! 1. [`hops`]: the Received chain, trust and the origin, with the
//!    receiving side's profile ([`receivers`]);
//!    Then [`geoip`]: the owners (AS, country) of the hops' addresses,
//!    from the user's IP databases;
//! 2. [`auth`]: which Authentication-Results count (those above the origin),
//!    alignment and the recomputed DMARC verdict;
//! 3. [`dkim_verify`]: signatures checked with the keys the user gave;
//! 4. [`forgery`]: signs that need the route and the verdicts;
//! 5. [`labels`]: spam or ham, from the user, the folder, or filter
//!    headers the receiving side wrote (above the origin, or stripped and
//!    rewritten by the receiver's provider).

pub mod auth;
pub mod dkim_verify;
pub(crate) mod forgery;
pub mod geoip;
pub mod hops;
pub mod receivers;
pub(crate) mod labels;
pub mod threads;
mod analyzer;

pub use analyzer::Analyzer;
