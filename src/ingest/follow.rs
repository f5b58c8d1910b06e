//! Labels follow the mail: after every ingest, each message's `messages`
//! row and index document name the folder of one of its current copies, and
//! its label follows that folder, unless the user set one.
//!
//! Which copy names the folder: a copy in a spam folder, else one in a ham
//! folder, else any; among those, the first by path and offset, so that
//! the choice never depends on the order the copies were read in.
//! So moving a message from INBOX/ to Spam/ (the way most people mark spam)
//! makes it spam at the next ingest, and moving it back makes it what its
//! other signs say. `ingest --label L` applies to every message with a copy
//! under the paths of that ingest, including messages it did not read again.
//!
//! A message whose naming copy or user label changed is read again from
//! that copy and analysed anew ([`Analyzer`]); its rows in `messages` and
//! the per-message tables and its index document are replaced, in the same
//! commit as the rest of the ingest.

use std::collections::{HashMap, HashSet};

use super::reconcile::{drop_keys, Copies};
use super::plan::Plan;
use crate::analyze::Analyzer;
use crate::error::Result;
use crate::model::{path_text, Label, Location, MessageRecord, RawMessage};
use crate::store::parquet::{read_parts, str_col, u64_col};
use crate::store::{tables, Db};

/// The paths of every file under this ingest's roots (read, grown, renamed
/// or unchanged): the messages `--label` applies to.
pub(super) fn scope(plan: &Plan) -> HashSet<String> {
    let read = plan.read.iter().chain(plan.appended.iter().map(|(f, _)| f)).chain(&plan.unchanged);
    read.chain(plan.renamed.iter().map(|(_, f)| f)).map(|f| path_text(&f.path())).collect()
}

/// One message to read again: its key, the copy that names its folder, and
/// the user's label for it.
struct Target {
    key: String,
    location: Location,
    user: Option<Label>,
}

/// Re-analyses every message whose naming copy or user label changed;
/// returns how many.
pub(super) fn follow(db: &mut Db, copies: &Copies, analyzer: &Analyzer, scope: &HashSet<String>) -> Result<u64> {
    let targets = targets(db, copies, analyzer, scope)?;
    if targets.is_empty() {
        return Ok(0);
    }
    let mut an = analyzer.clone();
    let mut records: Vec<MessageRecord> = Vec::new();
    for t in targets {
        // A copy that cannot be read now keeps the row as it was; the next
        // ingest tries again.
        let Ok(bytes) = crate::source::read_message(&t.location) else { continue };
        an.label = t.user;
        let raw = RawMessage { bytes: bytes.into(), location: t.location };
        records.push(an.record(&raw, t.key));
    }
    let keys: HashSet<String> = records.iter().map(|r| r.msg_key.clone()).collect();
    for spec in tables::PER_MESSAGE {
        drop_keys(db.tables_mut(), spec.table, &keys)?;
    }
    let n = records.len() as u64;
    let mut batch = super::batch::Batch::default();
    for mut r in records {
        db.index().delete(&r.msg_key);
        db.index().add(&r)?;
        // The reports it carries are stored under its key already.
        r.dmarc = Default::default();
        batch.add(Box::new(r), false);
    }
    batch.write_parts(db)?;
    Ok(n)
}

/// The messages whose row names another copy than the one that should name
/// its folder, or whose user label is not the one it should have.
fn targets(db: &Db, copies: &Copies, analyzer: &Analyzer, scope: &HashSet<String>) -> Result<Vec<Target>> {
    let table = tables::MESSAGES.table;
    let mut by_key: HashMap<&str, Vec<&Location>> = HashMap::new();
    for (k, l) in copies.keys.iter().zip(&copies.locations) {
        by_key.entry(k.as_str()).or_default().push(l);
    }
    let rules = &analyzer.label_rules;
    let mut out = Vec::new();
    for part in db.tables().files(table) {
        let cols = ["msg_key", "source_path", "source_offset", "label", "label_source"];
        let Some(head) = read_parts(std::slice::from_ref(&part), table, Some(&cols))? else { continue };
        let (k, p, o) = (str_col(&head, table, "msg_key")?, str_col(&head, table, "source_path")?, u64_col(&head, table, "source_offset")?);
        let (label, source) = (str_col(&head, table, "label")?, str_col(&head, table, "label_source")?);
        for i in 0..head.height() {
            let (Some(key), Some(path), Some(offset)) = (k.get(i), p.get(i), o.get(i)) else { continue };
            let Some(locs) = by_key.get(key) else { continue };
            let current = locs.iter().copied().find(|l| l.path == path && l.offset == offset);
            // The first by path and offset: the same copy whatever order
            // the copies were found in (by one ingest or by many tasks).
            let first = |want: Option<Label>| {
                locs.iter().copied().filter(|l| want.is_none() || crate::analyze::labels::folder_label(&l.folder, rules) == want).min_by(|a, b| (&a.path, a.offset).cmp(&(&b.path, b.offset)))
            };
            let Some(naming) = first(Some(Label::Spam)).or_else(|| first(Some(Label::Ham))).or_else(|| first(None)) else { continue };
            let was_user = source.get(i) == Some("user");
            let user = match analyzer.label {
                Some(l) if locs.iter().any(|c| scope.contains(&c.path)) => Some(l),
                _ => was_user.then(|| Label::parse(label.get(i).unwrap_or_default())).flatten(),
            };
            let relabel = user.is_some_and(|l| !was_user || label.get(i) != Some(l.as_str()));
            if current != Some(naming) || relabel {
                out.push(Target { key: key.to_string(), location: naming.clone(), user });
            }
        }
    }
    Ok(out)
}
