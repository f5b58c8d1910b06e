//! Threading's input and output: what threading (analyze/threads.rs) reads of
//! each message, where it places each, and the `threads` rows.

/// What threading needs of one message (a `messages` row).
#[derive(Debug, Clone, Default)]
pub struct ThreadInput {
    /// `messages.msg_key`.
    pub key: String,
    /// Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// In-Reply-To ids, as written.
    pub in_reply_to: Vec<String>,
    /// References ids, oldest first.
    pub references: Vec<String>,
    /// Subject, decoded.
    pub subject: Option<String>,
    /// Date, ms since the epoch.
    pub date: Option<i64>,
    /// First From address.
    pub from: Option<String>,
}

/// Where one message stands: its thread, its parent and its depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The thread's id: the first 16 hex digits of BLAKE3 of the root's
    /// Message-ID (of the key, for a root without one).
    pub thread_id: String,
    /// The parent's key; `<id>` when the parent is a ghost; None at the top.
    pub parent: Option<String>,
    /// Containers above it, ghosts included (0 at the top).
    pub depth: u32,
}

/// One thread: a row of the `threads` table.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadRow {
    /// See [`Placement::thread_id`].
    pub thread_id: String,
    /// The root's Message-ID (None for a message without one).
    pub root_message_id: Option<String>,
    /// The root message's key; None when the root is a ghost.
    pub root_key: Option<String>,
    /// The root is a message the archive does not hold.
    pub root_is_ghost: bool,
    /// The root's subject, else the first message's.
    pub subject: Option<String>,
    /// Earliest and latest Date of its messages (ms).
    pub first_date: Option<i64>,
    /// See `first_date`.
    pub last_date: Option<i64>,
    /// Messages in the thread.
    pub messages: u32,
    /// Distinct From addresses, in date order.
    pub participants: Vec<String>,
    /// The deepest message's depth.
    pub depth: u32,
    /// Trees under the thread (more than one when loops were broken, or
    /// threads were joined by subject).
    pub roots: u32,
}
