//! The last step of an ingest: make the index and every table describe
//! exactly what is in the archive now. Copies whose files are gone (or were
//! rewritten and read again) leave `locations`; renamed Maildir files take
//! their location rows with them; a message with no copy left leaves the
//! index and every table; a `messages` row whose copy moved points at one
//! that is still there; the sources' state and the derived tables are
//! brought up to date; and all of it is one commit.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::incremental::{state_of, Plan};
use crate::sink::index::IndexSink;
use crate::sink::parquet::read_parts;
use crate::sink::store::TableStore;
use crate::sink::tables::{self, LOCATIONS, MESSAGES};
use crate::source::SourceFile;

fn err(table: &str) -> impl Fn(PolarsError) -> Error + '_ {
    move |source| Error::Table { table: table.to_string(), source }
}

/// The locations the database held when this ingest began.
pub struct Committed {
    files: Vec<PathBuf>,
    locations: Option<DataFrame>,
}

fn strs(df: &DataFrame, c: &str) -> Result<StringChunked> {
    df.column(c).and_then(|c| c.str().cloned()).map_err(err("locations"))
}

fn u64s(df: &DataFrame, c: &str) -> Result<UInt64Chunked> {
    df.column(c).and_then(|c| c.u64().cloned()).map_err(err("locations"))
}

fn str_values(ca: &StringChunked) -> Vec<Option<String>> {
    (0..ca.len()).map(|i| ca.get(i).map(str::to_string)).collect()
}

fn u64_values(ca: &UInt64Chunked) -> Vec<Option<u64>> {
    (0..ca.len()).map(|i| ca.get(i)).collect()
}

impl Committed {
    pub fn load(store: &TableStore) -> Result<Self> {
        let files = store.files(LOCATIONS.table);
        let locations = read_parts(&files, LOCATIONS.table, None)?;
        Ok(Committed { files, locations })
    }

    /// The offsets of every recorded copy, by path, outside `dropped` files
    /// (a path once per file, not once per copy).
    pub fn recorded_except(&self, dropped: &HashSet<String>) -> HashMap<String, HashSet<u64>> {
        let mut out: HashMap<String, HashSet<u64>> = HashMap::new();
        if let Some(df) = &self.locations {
            if let (Ok(paths), Ok(offsets)) = (strs(df, "path"), u64s(df, "offset")) {
                for i in 0..df.height() {
                    if let (Some(p), Some(o)) = (paths.get(i), offsets.get(i)) {
                        if !dropped.contains(p) {
                            out.entry(p.to_string()).or_default().insert(o);
                        }
                    }
                }
            }
        }
        out
    }
}

/// What the last step changed.
#[derive(Debug, Default)]
pub struct Outcome {
    pub renamed: u64,
    pub removed_copies: u64,
    pub removed_messages: u64,
}

/// Brings everything up to date and commits. The files the plan read are
/// recorded as they now stand (except those in `failed`) and leave the plan
/// as they are: on a big Maildir the list and the sources are each tens of
/// MB, and this way they are not both held at once.
pub fn finish(store: &mut TableStore, index: &mut IndexSink, committed: &Committed, plan: &mut Plan, failed: &HashSet<PathBuf>) -> Result<Outcome> {
    let mut out = Outcome::default();
    let now = chrono::Utc::now().timestamp_millis();
    if !plan.dropped.is_empty() || !plan.renamed.is_empty() {
        let (final_locs, o) = final_locations(store, committed, plan)?;
        out = o;
        let live: HashSet<String> = str_values(&strs(&final_locs, "msg_key")?).into_iter().flatten().collect();
        let here: HashSet<(String, u64)> = {
            let (p, o) = (strs(&final_locs, "path")?, u64s(&final_locs, "offset")?);
            (0..final_locs.height()).filter_map(|i| Some((p.get(i)?.to_string(), o.get(i)?))).collect()
        };
        let gone: HashSet<String> = match &committed.locations {
            Some(df) => str_values(&strs(df, "msg_key")?).into_iter().flatten().filter(|k| !live.contains(k)).collect(),
            None => HashSet::new(),
        };
        out.removed_messages = gone.len() as u64;
        for k in &gone {
            index.delete(k);
        }
        let mut final_locs = final_locs;
        store.replace_table(LOCATIONS.table, &mut final_locs)?;
        if !gone.is_empty() {
            for spec in [&tables::MESSAGES, &tables::RECEIVED_HOPS, &tables::AUTH_RESULTS, &tables::DKIM_SIGNATURES, &tables::ATTACHMENTS, &tables::ERRORS] {
                drop_keys(store, spec.table, &gone)?;
            }
        }
        repoint_messages(store, &final_locs, &here)?;
    }
    // The derived tables, from the messages as they now stand.
    for (table, mut df) in crate::stats::derive(&store.files(MESSAGES.table))? {
        store.replace_table(table, &mut df)?;
    }
    // The sources' new state, after the derived tables: each takes tens of
    // MB on a big archive, and this way they are not held at once.
    // Dropped files read again keep their entry (it is rewritten below).
    let reread: HashSet<String> = match plan.dropped.is_empty() {
        true => HashSet::new(),
        false => plan.read.iter().map(|f| f.path().to_string_lossy().into_owned()).filter(|p| plan.dropped.contains(p)).collect(),
    };
    for path in &plan.dropped {
        if !reread.contains(path.as_str()) {
            store.sources.remove(path);
        }
    }
    for (old, new) in &plan.renamed {
        store.sources.remove(old);
        store.sources.insert(new.path().to_string_lossy().into_owned(), state_of(new, now));
    }
    let read = std::mem::take(&mut plan.read).into_iter().chain(std::mem::take(&mut plan.appended).into_iter().map(|(f, _)| f));
    for f in read {
        let path = f.path();
        if !failed.contains(&path) {
            store.sources.insert(path.to_string_lossy().into_owned(), state_of(&f, now));
        }
    }
    let payload = store.stage()?;
    index.commit(&payload)?;
    store.published()?;
    Ok(out)
}

/// The committed copies without the dropped files', renamed ones moved,
/// plus every copy this run recorded.
fn final_locations(store: &TableStore, committed: &Committed, plan: &Plan) -> Result<(DataFrame, Outcome)> {
    let mut out = Outcome::default();
    let renames: HashMap<&str, &SourceFile> = plan.renamed.iter().map(|(old, f)| (old.as_str(), f)).collect();
    let mut cols: [Vec<String>; 5] = Default::default(); // msg_key, path, kind, folder, flags
    let (mut offsets, mut lengths) = (Vec::new(), Vec::new());
    // Copies of dropped files; those not read again are removed.
    let mut dropped: HashSet<(String, u64)> = HashSet::new();
    if let Some(df) = &committed.locations {
        let (k, p, o, l, kind, fo, fl) = (
            strs(df, "msg_key")?,
            strs(df, "path")?,
            u64s(df, "offset")?,
            u64s(df, "length")?,
            strs(df, "kind")?,
            strs(df, "folder")?,
            strs(df, "flags")?,
        );
        for i in 0..df.height() {
            let path = p.get(i).unwrap_or_default();
            if plan.dropped.contains(path) {
                dropped.insert((path.to_string(), o.get(i).unwrap_or(0)));
                continue;
            }
            let (path, flags) = match renames.get(path) {
                Some(f) => {
                    out.renamed += 1;
                    let name = f.name.to_string_lossy();
                    (f.path().to_string_lossy().into_owned(), crate::source::maildir::split_name(&name).1.to_string())
                }
                None => (path.to_string(), fl.get(i).unwrap_or_default().to_string()),
            };
            cols[0].push(k.get(i).unwrap_or_default().to_string());
            cols[1].push(path);
            cols[2].push(kind.get(i).unwrap_or_default().to_string());
            cols[3].push(fo.get(i).unwrap_or_default().to_string());
            cols[4].push(flags);
            offsets.push(o.get(i).unwrap_or(0));
            lengths.push(l.get(i).unwrap_or(0));
        }
    }
    let new_files: Vec<PathBuf> = store.files(LOCATIONS.table).into_iter().filter(|f| !committed.files.contains(f)).collect();
    let mut after: HashSet<(String, u64)> = cols[1].iter().cloned().zip(offsets.iter().copied()).collect();
    if let Some(df) = read_parts(&new_files, LOCATIONS.table, None)? {
        let (k, p, o, l, kind, fo, fl) = (
            strs(&df, "msg_key")?,
            strs(&df, "path")?,
            u64s(&df, "offset")?,
            u64s(&df, "length")?,
            strs(&df, "kind")?,
            strs(&df, "folder")?,
            strs(&df, "flags")?,
        );
        for i in 0..df.height() {
            let at = (p.get(i).unwrap_or_default().to_string(), o.get(i).unwrap_or(0));
            if !after.insert(at.clone()) {
                continue;
            }
            cols[0].push(k.get(i).unwrap_or_default().to_string());
            cols[1].push(at.0);
            cols[2].push(kind.get(i).unwrap_or_default().to_string());
            cols[3].push(fo.get(i).unwrap_or_default().to_string());
            cols[4].push(fl.get(i).unwrap_or_default().to_string());
            offsets.push(at.1);
            lengths.push(l.get(i).unwrap_or(0));
        }
    }
    out.removed_copies = dropped.iter().filter(|d| !after.contains(*d)).count() as u64;
    let s = |name: &str, v: &Vec<String>| Column::new(name.into(), v.clone());
    let df = DataFrame::new(
        offsets.len(),
        vec![
            s("msg_key", &cols[0]),
            s("path", &cols[1]),
            Column::new("offset".into(), offsets),
            Column::new("length".into(), lengths),
            s("kind", &cols[2]),
            s("folder", &cols[3]),
            s("flags", &cols[4]),
        ],
    )
    .map_err(err("locations"))?;
    Ok((df, out))
}

/// Rewrites the parts of `table` that hold rows of `gone` messages.
fn drop_keys(store: &mut TableStore, table: &str, gone: &HashSet<String>) -> Result<()> {
    let gone_list: Vec<String> = gone.iter().cloned().collect();
    for part in store.files(table) {
        let Some(keys) = read_parts(std::slice::from_ref(&part), table, Some(&["msg_key"]))? else { continue };
        let hit = str_values(&strs(&keys, "msg_key")?).into_iter().flatten().any(|k| gone.contains(&k));
        if !hit {
            continue;
        }
        let df = read_parts(std::slice::from_ref(&part), table, None)?.unwrap_or_default();
        let keep = df
            .lazy()
            .filter(col("msg_key").is_in(lit(Series::new("gone".into(), gone_list.clone())).implode(false), false).not().or(col("msg_key").is_null()))
            .collect()
            .map_err(err(table))?;
        let mut keep = keep;
        store.replace_part(table, &part, &mut keep)?;
    }
    Ok(())
}

/// `messages` rows whose recorded copy is gone point at one still there.
fn repoint_messages(store: &mut TableStore, locs: &DataFrame, here: &HashSet<(String, u64)>) -> Result<()> {
    // The first remaining copy of each message.
    let mut first: HashMap<String, usize> = HashMap::new();
    let keys = strs(locs, "msg_key")?;
    for i in 0..locs.height() {
        if let Some(k) = keys.get(i) {
            first.entry(k.to_string()).or_insert(i);
        }
    }
    let (paths, offsets, lengths, kinds, folders, flags) =
        (strs(locs, "path")?, u64s(locs, "offset")?, u64s(locs, "length")?, strs(locs, "kind")?, strs(locs, "folder")?, strs(locs, "flags")?);
    for part in store.files(MESSAGES.table) {
        let Some(head) = read_parts(std::slice::from_ref(&part), MESSAGES.table, Some(&["msg_key", "source_path", "source_offset"]))? else {
            continue;
        };
        let (k, p, o) = (strs(&head, "msg_key")?, strs(&head, "source_path")?, u64s(&head, "source_offset")?);
        let moved: Vec<usize> = (0..head.height())
            .filter(|&i| !here.contains(&(p.get(i).unwrap_or_default().to_string(), o.get(i).unwrap_or(0))))
            .filter(|&i| k.get(i).is_some_and(|k| first.contains_key(k)))
            .collect();
        if moved.is_empty() {
            continue;
        }
        let mut df = read_parts(std::slice::from_ref(&part), MESSAGES.table, None)?.unwrap_or_default();
        let mut path_v: Vec<Option<String>> = str_values(&strs(&df, "source_path")?);
        let mut off_v: Vec<Option<u64>> = u64_values(&u64s(&df, "source_offset")?);
        let mut len_v: Vec<Option<u64>> = u64_values(&u64s(&df, "source_length")?);
        let mut kind_v: Vec<Option<String>> = str_values(&strs(&df, "source_kind")?);
        let mut folder_v: Vec<Option<String>> = str_values(&strs(&df, "folder")?);
        let mut flags_v: Vec<Option<String>> = str_values(&strs(&df, "maildir_flags")?);
        for i in moved {
            let j = first[k.get(i).unwrap_or_default()];
            path_v[i] = paths.get(j).map(str::to_string);
            off_v[i] = offsets.get(j);
            len_v[i] = lengths.get(j);
            kind_v[i] = kinds.get(j).map(str::to_string);
            folder_v[i] = folders.get(j).map(str::to_string);
            flags_v[i] = flags.get(j).map(str::to_string);
        }
        let set = |df: &mut DataFrame, c: Column| df.with_column(c).map(|_| ()).map_err(err("messages"));
        set(&mut df, Column::new("source_path".into(), path_v))?;
        set(&mut df, Column::new("source_offset".into(), off_v))?;
        set(&mut df, Column::new("source_length".into(), len_v))?;
        set(&mut df, Column::new("source_kind".into(), kind_v))?;
        set(&mut df, Column::new("folder".into(), folder_v))?;
        set(&mut df, Column::new("maildir_flags".into(), flags_v))?;
        store.replace_part(MESSAGES.table, &part, &mut df)?;
    }
    Ok(())
}
