//! Threads: which messages form one conversation, and the tree inside it.
//!
//! Computed over the whole archive at the end of every ingest (not per
//! message), so that a message arriving later can join two threads and a
//! message removed can split one, and so that the result never depends on
//! the order mail was delivered or ingested: the input is sorted first.
//!
//! **Which messages share a thread** follows notmuch (`lib/add-message.cc`,
//! `_notmuch_database_link_message_to_parents`): a message is linked to every
//! Message-ID its References and In-Reply-To name (its own id excepted), and a
//! thread is everything linked, directly or through a Message-ID that is not
//! in the archive (a *ghost*). Two messages with the same Message-ID are in
//! one thread. Subjects join nothing unless the user asks
//! ([`Options::by_subject`], as JWZ's step 5).
//!
//! **The tree** follows JWZ's algorithm (<https://www.jwz.org/doc/threading.html>)
//! with notmuch's choice of parent: a message's parent is the In-Reply-To
//! message when In-Reply-To names exactly one id, else the last References
//! entry, else the last In-Reply-To id (`_notmuch_database_link_message_to_parents`).
//! Where that parent is a ghost, the message hangs from the ghost, which
//! hangs from the entry before it in References: with ghosts left out, the
//! tree is notmuch's (which re-parents such a message under its deepest
//! referenced message in the thread).
//! A ghost's parent is the entry before it in the References of the first
//! message (in date order) that names it. A link that would close a loop is
//! not made (messages are placed newest first, so the oldest of a loop
//! stays at the top, as in notmuch); the message then hangs from its next
//! candidate or starts a tree.
//! Ghosts that lead to no message are dropped; a ghost at the top stays, so
//! the thread says that its start is missing.

use std::collections::{BTreeMap, HashMap};

pub use crate::model::{Placement, ThreadInput, ThreadRow};

/// What threading found.
#[derive(Debug, Clone, Default)]
pub struct Threading {
    /// Where each message stands, in input order.
    pub placements: Vec<Placement>,
    /// The threads.
    pub threads: Vec<ThreadRow>,
    /// The ghosts that lead to a message: (Message-ID, where it stands).
    pub ghosts: Vec<(String, Placement)>,
}

/// How threads are built.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Also join threads whose roots have the same subject once `Re:`,
    /// `Fwd:` and `[list]` prefixes are removed (off by default, as in
    /// notmuch and mu).
    pub by_subject: bool,
}

/// The id of a thread rooted at `root` (a Message-ID, or a key).
pub fn thread_id_of(root: &str) -> String {
    blake3::hash(root.as_bytes()).as_bytes()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Union-find over container indices.
struct Sets(Vec<usize>);

impl Sets {
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

/// A Message-ID, or a key for a message without one: what a container is named.
#[derive(Default)]
struct Containers {
    ids: Vec<String>,
    by_id: HashMap<String, usize>,
    /// Messages (indices into the sorted input) holding this id.
    messages: Vec<Vec<usize>>,
    parent: Vec<Option<usize>>,
}

impl Containers {
    fn get(&mut self, id: &str) -> usize {
        if let Some(&i) = self.by_id.get(id) {
            return i;
        }
        let i = self.ids.len();
        self.ids.push(id.to_string());
        self.by_id.insert(id.to_string(), i);
        self.messages.push(Vec::new());
        self.parent.push(None);
        i
    }
}

/// The name of a message's container: its Message-ID, else a key that no
/// Message-ID can equal (a NUL starts it).
fn own_id(m: &ThreadInput) -> String {
    match m.message_id.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => id.to_string(),
        None => format!("\0{}", m.key),
    }
}

/// The ids a message may hang from, best first (notmuch's order).
fn parent_candidates<'a>(m: &'a ThreadInput, own: &str) -> Vec<&'a str> {
    let not_self = |s: &&'a String| s.as_str() != own && !s.is_empty();
    let irt: Vec<&str> = m.in_reply_to.iter().filter(not_self).map(String::as_str).collect();
    let refs: Vec<&str> = m.references.iter().filter(not_self).map(String::as_str).collect();
    let mut out = Vec::new();
    if irt.len() == 1 {
        out.push(irt[0]);
    }
    out.extend(refs.iter().rev());
    out.extend(irt.iter().rev());
    let mut seen = std::collections::HashSet::new();
    out.retain(|s| seen.insert(*s));
    out
}

/// Threads the messages: a placement for each (in input order) and the threads.
pub fn thread(input: &[ThreadInput], opts: Options) -> Threading {
    // Date order (undated last), then Message-ID and key: the order of
    // delivery never matters.
    let mut order: Vec<usize> = (0..input.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&input[a], &input[b]);
        (x.date.is_none(), x.date, &x.message_id, &x.key).cmp(&(y.date.is_none(), y.date, &y.message_id, &y.key))
    });
    let mut c = Containers::default();
    let own: Vec<usize> = order.iter().map(|&i| c.get(&own_id(&input[i]))).collect();
    for (rank, &ci) in own.iter().enumerate() {
        c.messages[ci].push(rank);
    }
    // Every id named anywhere gets a container; the partition links them all.
    let mut linked: Vec<(usize, usize)> = Vec::new();
    for (rank, &i) in order.iter().enumerate() {
        for id in input[i].references.iter().chain(&input[i].in_reply_to).filter(|s| !s.is_empty()) {
            let r = c.get(id);
            linked.push((own[rank], r));
        }
    }
    let n = c.ids.len();
    let mut tree = Sets((0..n).collect());
    // A message's own headers place it; the first copy of an id speaks for
    // it. Newest first: where links loop, the oldest message is the one
    // left at the top, as in notmuch.
    for (rank, &i) in order.iter().enumerate().rev() {
        let ci = own[rank];
        if c.parent[ci].is_some() || c.messages[ci][0] != rank {
            continue;
        }
        for cand in parent_candidates(&input[i], &c.ids[ci]) {
            let p = c.by_id[cand];
            if tree.find(p) != tree.find(ci) {
                c.parent[ci] = Some(p);
                tree.union(p, ci);
                break;
            }
        }
    }
    // Ghosts hang from the entry before them in the first References naming them.
    for &i in &order {
        let refs = &input[i].references;
        for w in refs.windows(2).filter(|w| !w[0].is_empty() && !w[1].is_empty()) {
            let (p, g) = (c.by_id[&w[0]], c.by_id[&w[1]]);
            if c.messages[g].is_empty() && c.parent[g].is_none() && tree.find(p) != tree.find(g) {
                c.parent[g] = Some(p);
                tree.union(p, g);
            }
        }
    }
    let mut part = Sets((0..n).collect());
    for (a, b) in linked {
        part.union(a, b);
    }
    if opts.by_subject {
        join_by_subject(input, &order, &c, &mut part);
    }
    build(input, &order, &c, &mut part)
}

/// A subject without `Re:`, `Fwd:`, `Aw:` and `[list]` prefixes, lowercased.
pub fn base_subject(s: &str) -> String {
    let mut t = s.trim();
    loop {
        let before = t;
        if let Some(rest) = t.strip_prefix('[').and_then(|r| r.split_once(']')).map(|(_, r)| r) {
            t = rest.trim_start();
        }
        for p in ["re", "fwd", "fw", "aw", "wg", "sv", "vs", "antw"] {
            if t.len() > p.len() && t.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p)) {
                let rest = &t[p.len()..];
                // `Re:`, `Re[2]:`
                let rest = rest.strip_prefix('[').and_then(|r| r.split_once(']')).map(|(_, r)| r).unwrap_or(rest);
                if let Some(rest) = rest.strip_prefix(':') {
                    t = rest.trim_start();
                    break;
                }
            }
        }
        if t == before {
            break;
        }
    }
    t.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// JWZ's step 5: threads whose first message has the same base subject are one.
fn join_by_subject(input: &[ThreadInput], order: &[usize], c: &Containers, part: &mut Sets) {
    let mut first: HashMap<String, usize> = HashMap::new();
    for &i in order {
        let Some(s) = input[i].subject.as_deref().map(base_subject).filter(|s| !s.is_empty()) else { continue };
        let ci = c.by_id[&own_id(&input[i])];
        match first.get(&s) {
            Some(&other) => part.union(other, ci),
            None => {
                first.insert(s, ci);
            }
        }
    }
}

/// Depths, roots, placements and thread rows from the links.
fn build(input: &[ThreadInput], order: &[usize], c: &Containers, part: &mut Sets) -> Threading {
    let n = c.ids.len();
    // Depth by walking up (parents were only ever set on tree roots, so
    // the walk ends); memoised.
    let mut depth: Vec<Option<u32>> = vec![None; n];
    let mut top: Vec<usize> = (0..n).collect();
    for start in 0..n {
        let mut path = Vec::new();
        let mut at = start;
        while depth[at].is_none() {
            path.push(at);
            match c.parent[at] {
                Some(p) => at = p,
                None => {
                    depth[at] = Some(0);
                    top[at] = at;
                    path.pop();
                    break;
                }
            }
        }
        for &x in path.iter().rev() {
            let p = c.parent[x].expect("a parent on the path");
            depth[x] = Some(depth[p].unwrap_or(0) + 1);
            top[x] = top[p];
        }
    }
    // Per thread (partition set): its messages in date order.
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &i in order {
        let ci = c.by_id[&own_id(&input[i])];
        groups.entry(part.find(ci)).or_default().push(i);
    }
    let mut placements: Vec<Option<Placement>> = vec![None; input.len()];
    let mut threads = Vec::with_capacity(groups.len());
    let parent_of = |ci: usize| {
        c.parent[ci].map(|p| match c.messages[p].first() {
            Some(&r) => input[order[r]].key.clone(),
            None => format!("<{}>", c.ids[p]),
        })
    };
    let mut thread_of_top: HashMap<usize, String> = HashMap::new();
    for members in groups.values() {
        // The root: the top of the tree holding the thread's first message.
        let first = &input[members[0]];
        let root = top[c.by_id[&own_id(first)]];
        let root_messages = &c.messages[root];
        let root_key = root_messages.first().map(|&r| input[order[r]].key.clone());
        let thread_id = thread_id_of(c.ids[root].trim_start_matches('\0'));
        let mut participants: Vec<String> = Vec::new();
        let mut roots = std::collections::BTreeSet::new();
        let mut max_depth = 0;
        for &i in members {
            let ci = c.by_id[&own_id(&input[i])];
            roots.insert(top[ci]);
            let d = depth[ci].unwrap_or(0);
            max_depth = max_depth.max(d);
            thread_of_top.insert(top[ci], thread_id.clone());
            placements[i] = Some(Placement { thread_id: thread_id.clone(), parent: parent_of(ci), depth: d });
            if let Some(f) = input[i].from.as_deref().filter(|f| !participants.iter().any(|p| p == f)) {
                participants.push(f.to_string());
            }
        }
        let subject = root_messages.first().map(|&r| &input[order[r]]).unwrap_or(first).subject.clone();
        let dates = members.iter().filter_map(|&i| input[i].date);
        threads.push(ThreadRow {
            thread_id,
            root_message_id: (!c.ids[root].starts_with('\0')).then(|| c.ids[root].clone()),
            root_is_ghost: root_key.is_none(),
            root_key,
            subject,
            first_date: dates.clone().min(),
            last_date: dates.max(),
            messages: members.len() as u32,
            participants,
            depth: max_depth,
            roots: roots.len() as u32,
        });
    }
    let ghosts = ghosts(c, &depth, &top, &thread_of_top, &parent_of);
    let placements = placements.into_iter().map(|p| p.expect("every message is in a thread")).collect();
    Threading { placements, threads, ghosts }
}

/// The ghosts under which some message hangs, and where each stands.
fn ghosts(c: &Containers, depth: &[Option<u32>], top: &[usize], thread_of_top: &HashMap<usize, String>, parent_of: &dyn Fn(usize) -> Option<String>) -> Vec<(String, Placement)> {
    let n = c.ids.len();
    let mut leads = vec![false; n];
    for ci in 0..n {
        if !c.messages[ci].is_empty() {
            let mut at = c.parent[ci];
            while let Some(p) = at.filter(|&p| !leads[p] && c.messages[p].is_empty()) {
                leads[p] = true;
                at = c.parent[p];
            }
        }
    }
    (0..n)
        .filter(|&g| leads[g])
        .filter_map(|g| {
            let thread_id = thread_of_top.get(&top[g])?.clone();
            Some((c.ids[g].clone(), Placement { thread_id, parent: parent_of(g), depth: depth[g].unwrap_or(0) }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn msg(id: &str, irt: &[&str], refs: &[&str], date: i64) -> ThreadInput {
        ThreadInput {
            key: format!("k-{id}"),
            message_id: Some(id.to_string()),
            in_reply_to: irt.iter().map(|s| s.to_string()).collect(),
            references: refs.iter().map(|s| s.to_string()).collect(),
            subject: Some(format!("s {id}")),
            date: Some(date),
            from: Some(format!("{id}@x")),
        }
    }

    /// (id, parent, depth, thread root) per message.
    fn tree(input: &[ThreadInput]) -> Vec<(String, Option<String>, u32, String)> {
        let p = thread(input, Options::default()).placements;
        let mut out: Vec<_> = input.iter().zip(p).map(|(m, p)| (m.message_id.clone().unwrap_or_default(), p.parent, p.depth, p.thread_id)).collect();
        out.sort();
        out
    }

    #[test]
    fn replies_hang_from_their_parents_and_ghosts_stay_at_the_top() {
        let ms = [msg("a", &[], &[], 1), msg("b", &["a"], &["a"], 2), msg("c", &["b"], &["a", "b"], 3), msg("e", &["d"], &["g", "d"], 4)];
        let t = tree(&ms);
        assert_eq!(t[0], ("a".into(), None, 0, thread_id_of("a")));
        assert_eq!(t[1], ("b".into(), Some("k-a".into()), 1, thread_id_of("a")));
        assert_eq!(t[2], ("c".into(), Some("k-b".into()), 2, thread_id_of("a")));
        // e's parent d and grandparent g are missing: g is the root.
        assert_eq!(t[3], ("e".into(), Some("<d>".into()), 2, thread_id_of("g")));
        let threads = thread(&ms, Options::default()).threads;
        let ghost = threads.iter().find(|t| t.thread_id == thread_id_of("g")).unwrap();
        assert!(ghost.root_is_ghost && ghost.root_key.is_none() && ghost.messages == 1);
        let ghosts = thread(&ms, Options::default()).ghosts;
        let at = |id: &str| ghosts.iter().find(|(g, _)| g == id).map(|(_, p)| (p.parent.clone(), p.depth));
        assert_eq!((at("g"), at("d")), (Some((None, 0)), Some((Some("<g>".into()), 1))));
        let a = threads.iter().find(|t| t.thread_id == thread_id_of("a")).unwrap();
        assert_eq!((a.messages, a.depth, a.participants.len(), a.root_key.as_deref()), (3, 2, 3, Some("k-a")));
    }

    #[test]
    fn every_delivery_order_gives_the_same_tree() {
        // Two replies that cite only part of the chain, and a reply that links them.
        let ms = vec![
            msg("r", &[], &[], 1),
            msg("x", &["r"], &[], 2),
            msg("y", &["x"], &["r", "x"], 3),
            msg("z", &["r"], &["r"], 4),
        ];
        let want = tree(&ms);
        let mut idx = vec![0, 1, 2, 3];
        let mut seen = 0;
        permute(&mut idx, 0, &mut |p| {
            let shuffled: Vec<ThreadInput> = p.iter().map(|&i| ms[i].clone()).collect();
            assert_eq!(tree(&shuffled), want, "order {p:?}");
            seen += 1;
        });
        assert_eq!(seen, 24);
    }

    fn permute(v: &mut Vec<usize>, k: usize, f: &mut dyn FnMut(&[usize])) {
        if k == v.len() {
            return f(v);
        }
        for i in k..v.len() {
            v.swap(k, i);
            permute(v, k + 1, f);
            v.swap(k, i);
        }
    }

    #[test]
    fn a_reference_loop_is_broken_and_stays_one_thread() {
        let ms = [msg("p", &["q"], &["q"], 1), msg("q", &["p"], &["p"], 2)];
        let t = tree(&ms);
        assert_eq!(t[0].3, t[1].3);
        assert_eq!(t.iter().filter(|m| m.1.is_none()).count(), 1, "one of them is the root: {t:?}");
    }

    #[test]
    fn a_later_message_joins_two_threads() {
        let a = [msg("a", &[], &[], 1), msg("b", &["gone"], &["gone"], 2)];
        let t = tree(&a);
        assert_ne!(t[0].3, t[1].3);
        let mut joined = a.to_vec();
        joined.push(msg("gone", &["a"], &["a"], 3));
        let t = tree(&joined);
        assert!(t.iter().all(|m| m.3 == thread_id_of("a")), "{t:?}");
    }

    #[test]
    fn duplicate_and_missing_message_ids() {
        let mut no_id = msg("n", &["a"], &[], 3);
        no_id.message_id = None;
        let mut dup = msg("a", &[], &[], 2);
        dup.key = "k-a2".into();
        let ms = [msg("a", &[], &[], 1), dup, no_id, msg("m", &[], &[], 4)];
        let Threading { placements: p, threads, .. } = thread(&ms, Options::default());
        assert!(p[..3].iter().all(|x| x.thread_id == thread_id_of("a")));
        assert_eq!(p[2].parent.as_deref(), Some("k-a"), "the first copy speaks for the id");
        assert_eq!(threads.len(), 2);
        // A message without an id and without references is its own thread, named after its key.
        let mut alone = msg("z", &[], &[], 1);
        alone.message_id = None;
        let p = thread(&[alone], Options::default()).placements;
        assert_eq!(p[0].thread_id, thread_id_of("k-z"));
    }

    #[test]
    fn subjects_join_only_when_asked() {
        let ms = [msg("a", &[], &[], 1), msg("b", &[], &[], 2)];
        let mut ms = ms.to_vec();
        ms[0].subject = Some("[dev] Build broken".into());
        ms[1].subject = Some("Re: RE: [dev] build  broken".into());
        let p = thread(&ms, Options::default()).placements;
        assert_ne!(p[0].thread_id, p[1].thread_id);
        let Threading { placements: p, threads: t, .. } = thread(&ms, Options { by_subject: true });
        assert_eq!(p[0].thread_id, p[1].thread_id);
        assert_eq!(t[0].roots, 2);
        assert_eq!(base_subject("Re[2]: Fwd: [x] Hello"), "hello");
        // A prefix's length may cut a character: no panic.
        for s in ["Réunion", "還在", "ab還", "Re: 還", "Aw: é"] {
            assert!(!base_subject(s).is_empty(), "{s}");
        }
    }
}
