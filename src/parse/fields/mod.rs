//! Header grammars that mail-parser lacks or gets wrong, each parsed into
//! typed values: the Received trace field ([`received`], RFC 5321 §4.4 and
//! the forms real MTAs write), Authentication-Results and its relatives
//! ([`auth_results`], RFC 8601 / RFC 8617 / RFC 7208 §9.1) and DKIM-Signature
//! with its canonicalisation and body hash ([`dkim`], RFC 6376). Judging the
//! values (trust, alignment, origin) is left to the analyze module.

pub mod auth_results;
pub mod dkim;
pub mod received;
