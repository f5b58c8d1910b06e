//! The receiving side: which mailbox provider or gateway wrote the top of
//! the Received chain, and how far down its word goes.
//!
//! - `profile.rs`: the profiles (`receivers/*.toml`, embedded): host
//!   patterns, published networks, where verdicts are written;
//! - `walk.rs`: detection and the trust walk that finds the origin.

mod profile;
mod walk;

pub use profile::{builtin, named, owning_host, Kind, Networks, Profile, Verdicts};
pub use walk::{walk, Organisation, ReceiverChoice, Trust, Walk};
