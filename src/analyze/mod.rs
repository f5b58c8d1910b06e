//! Analysis: pure functions from a parsed message to owned records. Header
//! forensics lives here: the Received chain ([`received`]) and, built on it,
//! the hops and origin of a message ([`hops`]).

pub mod attachments;
pub mod auth;
pub mod auth_results;
pub mod dkim;
pub mod dkim_verify;
pub mod forgery;
pub mod hops;
pub mod labels;
pub mod received;
