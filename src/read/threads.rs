//! Threads read back from the tables: the messages that share a thread with
//! a query's hits (`thread:{QUERY}`, `--include-threads`), one line per
//! thread (`mailidx search --output threads`, as `notmuch search` prints),
//! and one thread's tree (`mailidx thread`).
//!
//! The index holds no thread (threads change without the index being
//! rewritten): every answer comes from `messages.thread_id` and `threads`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use polars::prelude::*;
use serde::Serialize;

use crate::analyze::threads::{thread, Options};
use crate::error::{Error, Result};
use crate::model::ms_as_rfc3339;
use crate::read::search::{Searchable, SortOrder};
use crate::read::terminal::inline;
use crate::store::parquet::{part_files, read_parts, str_col};
use crate::store::{tables, threading, DbPaths};

fn keys_series(keys: &[String]) -> Expr {
    lit(Series::new("keys".into(), keys.to_vec())).implode(false)
}

/// (msg_key, thread_id) of the `messages` rows that `filter` keeps.
fn key_threads(tables_dir: &Path, filter: Expr) -> Result<Vec<(String, String)>> {
    let table = tables::MESSAGES.table;
    let Some(df) = read_parts(&part_files(tables_dir, table)?, table, Some(&["msg_key", "thread_id"]))? else {
        return Ok(Vec::new());
    };
    let df = df.lazy().filter(filter).collect().map_err(Error::table(table))?;
    let (k, t) = (str_col(&df, table, "msg_key")?, str_col(&df, table, "thread_id")?);
    Ok(k.iter().zip(t.iter()).filter_map(|(k, t)| Some((k?.to_string(), t?.to_string()))).collect())
}

/// The thread of each of these messages.
pub(crate) fn thread_ids(tables_dir: &Path, keys: &[String]) -> Result<HashMap<String, String>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(key_threads(tables_dir, col("msg_key").is_in(keys_series(keys), false))?.into_iter().collect())
}

/// Every message in a thread that holds one of these messages.
pub(crate) fn thread_members(tables_dir: &Path, keys: &[String]) -> Result<Vec<String>> {
    let ids: HashSet<String> = thread_ids(tables_dir, keys)?.into_values().collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = ids.into_iter().collect();
    Ok(key_threads(tables_dir, col("thread_id").is_in(keys_series(&ids), false))?.into_iter().map(|(k, _)| k).collect())
}

/// One line of `search --output threads`: a thread with a match.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ThreadSummary {
    /// `threads.thread_id` (search `thread:ID`, `mailidx thread ID`).
    pub thread_id: String,
    /// The thread's newest message's date, RFC 3339 UTC.
    #[serde(serialize_with = "ms_as_rfc3339")]
    pub last_date: Option<i64>,
    /// Its oldest message's date.
    #[serde(serialize_with = "ms_as_rfc3339")]
    pub first_date: Option<i64>,
    /// Messages of the thread the query matched.
    pub matched: u32,
    /// Messages in the thread.
    pub total: u32,
    /// From addresses, in date order.
    pub participants: Vec<String>,
    /// The root's subject (else the first message's).
    pub subject: Option<String>,
    /// The root's Message-ID.
    pub root_message_id: Option<String>,
    /// The root is not in the archive.
    pub root_is_ghost: bool,
}

/// The threads with a message matching `query`, newest activity first (or,
/// with [`SortOrder::Relevance`], most matches first), at most `limit`; and how many there are.
pub fn summaries(db: &DbPaths, query: &str, limit: usize, sort: SortOrder) -> Result<(usize, Vec<ThreadSummary>)> {
    let keys = Searchable::open(db)?.matching_keys(query)?;
    let tables_dir = db.tables_dir();
    let mut matched: HashMap<String, u32> = HashMap::new();
    for t in thread_ids(&tables_dir, &keys)?.into_values() {
        *matched.entry(t).or_default() += 1;
    }
    let table = tables::THREADS.table;
    let ids: Vec<String> = matched.keys().cloned().collect();
    let mut out = Vec::new();
    if let Some(df) = read_parts(&part_files(&tables_dir, table)?, table, None)? {
        let df = df.lazy().filter(col("thread_id").is_in(keys_series(&ids), false)).collect().map_err(Error::table(table))?;
        let s = |c: &str| str_col(&df, table, c);
        let (tid, subject, root) = (s("thread_id")?, s("subject")?, s("root_message_id")?);
        let err = Error::table(table);
        let int = |c: &str| -> Result<Vec<Option<i64>>> {
            let col = df.column(c).and_then(|x| x.cast(&DataType::Int64)).map_err(&err)?;
            Ok(col.i64().map_err(&err)?.iter().collect())
        };
        let (first, last, total) = (int("first_date")?, int("last_date")?, int("messages")?);
        let ghost: Vec<Option<bool>> = df.column("root_is_ghost").and_then(|c| c.bool().cloned()).map_err(&err)?.iter().collect();
        let people = df.column("participants").and_then(|c| c.list().cloned()).map_err(&err)?;
        for (i, p) in people.series_iter().enumerate() {
            let id = tid.get(i).unwrap_or_default().to_string();
            let participants = p.map(|p| p.str().map(|s| s.iter().flatten().map(str::to_string).collect()).unwrap_or_default()).unwrap_or_default();
            out.push(ThreadSummary {
                matched: matched.get(&id).copied().unwrap_or(0),
                thread_id: id,
                last_date: last[i],
                first_date: first[i],
                total: total[i].unwrap_or(0) as u32,
                participants,
                subject: subject.get(i).map(str::to_string),
                root_message_id: root.get(i).map(str::to_string),
                root_is_ghost: ghost[i].unwrap_or(false),
            });
        }
    }
    match sort {
        SortOrder::Date => out.sort_by(|a, b| (b.last_date.is_some(), b.last_date, &a.thread_id).cmp(&(a.last_date.is_some(), a.last_date, &b.thread_id))),
        SortOrder::Relevance => out.sort_by(|a, b| (b.matched, b.last_date, &a.thread_id).cmp(&(a.matched, a.last_date, &b.thread_id))),
    }
    let total = out.len();
    out.truncate(limit.max(1));
    Ok((total, out))
}

/// One message (or ghost) of a thread's tree, with its replies.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Node {
    /// The message's key; None for a ghost.
    pub msg_key: Option<String>,
    /// Its Message-ID.
    pub message_id: Option<String>,
    /// A message that replies name but the archive does not hold.
    pub ghost: bool,
    /// Date, RFC 3339 UTC.
    #[serde(serialize_with = "ms_as_rfc3339")]
    pub date: Option<i64>,
    /// First From address.
    pub from: Option<String>,
    /// Subject.
    pub subject: Option<String>,
    /// Replies, oldest first.
    pub replies: Vec<Node>,
}

/// The thread of a message (its key or Message-ID), or the thread with that
/// id: its id and its trees (one per root, oldest first).
pub fn tree(db: &DbPaths, which: &str) -> Result<(String, Vec<Node>)> {
    let tables_dir = db.tables_dir();
    let table = tables::MESSAGES.table;
    // As `search --output threads` prints it, too.
    let wanted = which.trim().trim_start_matches("thread:").to_ascii_lowercase();
    let by_thread = key_threads(&tables_dir, col("thread_id").eq(lit(wanted.clone())))?;
    let thread_id = match by_thread.first() {
        Some((_, t)) => t.clone(),
        None => {
            let (hit, _) = Searchable::open(db)?.find(which)?;
            thread_ids(&tables_dir, std::slice::from_ref(&hit.msg_key))?.remove(&hit.msg_key).ok_or_else(|| Error::UnknownKey(which.to_string()))?
        }
    };
    let Some(df) = read_parts(&part_files(&tables_dir, table)?, table, Some(&threading::INPUT))? else {
        return Err(Error::UnknownKey(which.to_string()));
    };
    let df = df.lazy().filter(col("thread_id").eq(lit(thread_id.clone()))).collect().map_err(Error::table(table))?;
    // Threading the thread's own messages again places them as the whole
    // archive did (a thread is closed under its links), and names its ghosts.
    let (inputs, _) = threading::read_inputs(&df)?;
    let t = thread(&inputs, Options::default());
    let mut nodes: BTreeMap<String, (Node, Option<String>)> = BTreeMap::new();
    for (m, p) in inputs.iter().zip(&t.placements) {
        let node = Node { msg_key: Some(m.key.clone()), message_id: m.message_id.clone(), ghost: false, date: m.date, from: m.from.clone(), subject: m.subject.clone(), replies: Vec::new() };
        nodes.insert(m.key.clone(), (node, p.parent.clone()));
    }
    for (id, p) in &t.ghosts {
        let node = Node { msg_key: None, message_id: Some(id.clone()), ghost: true, date: None, from: None, subject: None, replies: Vec::new() };
        nodes.insert(format!("<{id}>"), (node, p.parent.clone()));
    }
    Ok((thread_id, assemble(nodes)))
}

/// Deepest level a tree is nested to (JSON readers such as serde_json stop
/// at 128 levels of arrays and objects): deeper replies are shown as
/// siblings at this level (a hostile chain of 100,000 replies must not
/// overflow the stack of the printer or the JSON writer).
const MAX_NESTING: usize = 50;

/// Nests nodes under their parents; children and roots oldest first.
fn assemble(mut nodes: BTreeMap<String, (Node, Option<String>)>) -> Vec<Node> {
    let mut children: HashMap<String, Vec<String>> = HashMap::new();
    let mut roots = Vec::new();
    for (id, (_, parent)) in &nodes {
        match parent.as_ref().filter(|p| nodes.contains_key(*p)) {
            Some(p) => children.entry(p.clone()).or_default().push(id.clone()),
            None => roots.push(id.clone()),
        }
    }
    // Breadth first from the roots: below MAX_NESTING, a reply hangs from
    // its parent's parent instead.
    let mut shown: HashMap<String, Vec<String>> = HashMap::new();
    let mut queue: std::collections::VecDeque<(String, Option<String>, usize)> = roots.iter().map(|r| (r.clone(), None, 0)).collect();
    while let Some((id, parent, depth)) = queue.pop_front() {
        if let Some(p) = &parent {
            shown.entry(p.clone()).or_default().push(id.clone());
        }
        for c in children.get(&id).into_iter().flatten() {
            let (p, d) = if depth < MAX_NESTING { (Some(id.clone()), depth + 1) } else { (parent.clone(), depth) };
            queue.push_back((c.clone(), p, d));
        }
    }
    let children = shown;
    fn take(id: &str, nodes: &mut BTreeMap<String, (Node, Option<String>)>, children: &HashMap<String, Vec<String>>) -> Option<Node> {
        let (mut node, _) = nodes.remove(id)?;
        for c in children.get(id).into_iter().flatten() {
            node.replies.extend(take(c, nodes, children));
        }
        node.replies.sort_by_key(earliest);
        Some(node)
    }
    let mut out: Vec<Node> = roots.iter().filter_map(|r| take(r, &mut nodes, &children)).collect();
    out.sort_by_key(earliest);
    out
}

/// A node's date, a ghost's its first reply's: the order siblings are shown in.
fn earliest(n: &Node) -> (bool, Option<i64>) {
    let d = n.date.or_else(|| n.replies.iter().filter_map(|r| earliest(r).1).min());
    (d.is_none(), d)
}

/// The tree as indented lines: date, sender, subject, key.
pub fn render(thread_id: &str, roots: &[Node]) -> String {
    let mut out = format!("thread {thread_id}\n");
    fn line(n: &Node, depth: usize, out: &mut String) {
        let indent = "  ".repeat(depth);
        if n.ghost {
            let _ = writeln!(out, "{indent}(not in the archive) <{}>", inline(n.message_id.as_deref().unwrap_or("")));
        } else {
            let date = n.date.and_then(chrono::DateTime::from_timestamp_millis).map(|d| d.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "(no date)       ".into());
            let _ = writeln!(
                out,
                "{indent}{date}  {}  {}  {}",
                inline(n.from.as_deref().unwrap_or("(no sender)")),
                inline(n.subject.as_deref().unwrap_or("(no subject)")),
                n.msg_key.as_deref().unwrap_or("")
            );
        }
        for r in &n.replies {
            line(r, depth + 1, out);
        }
    }
    for r in roots {
        line(r, 0, &mut out);
    }
    out
}
