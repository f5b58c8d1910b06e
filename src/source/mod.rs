//! Sources: bytes in. Finds the mail under the paths a user names (Maildir
//! folders, mbox files, compressed mbox, single message files, or any tree
//! mixing them; the kind is sniffed, never configured) and reads a message
//! back from its [`Location`]. Parsing is left to the parse module.
//!
//! Nothing here writes to the archive.

pub(crate) mod compressed;
pub(crate) mod maildir;
pub(crate) mod mbox;
mod discover;

pub use discover::single_message_start;
pub(crate) use discover::{cr_to_lf, discover, is_cr_only, read_message, Discovery, SourceFile};
