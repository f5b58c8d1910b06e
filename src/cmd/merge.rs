//! `mailidx slices` and `mailidx merge`: the two halves of an ingest spread
//! over many machines (spark/ingest.py runs them; docs/spark.md).

use std::path::PathBuf;

use clap::Args;

use mailidx::store::DbPaths;

#[derive(Args, Debug)]
pub struct SlicesArgs {
    /// Archive paths, as `mailidx ingest` takes them
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Cut plain mbox files into byte ranges of about this many bytes (at message boundaries)
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    pub max_bytes: u64,
    /// Follow symbolic links wherever they lead, as `ingest --follow-symlinks`
    #[arg(long)]
    pub follow_symlinks: bool,
}

/// Prints the slices, one JSON object per line.
pub fn slices(a: SlicesArgs) -> anyhow::Result<i32> {
    let paths: Vec<PathBuf> = a.paths.iter().map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone())).collect();
    for e in mailidx::ingest::slices::slices(&paths, a.follow_symlinks, a.max_bytes)? {
        println!("{}", serde_json::to_string(&e)?);
    }
    Ok(0)
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Databases that `mailidx ingest --slice` wrote (one per task)
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// An archive path the shards were cut from (repeatable): its files are
    /// recorded as ingested, so that a later `mailidx ingest` of it reads
    /// only what changed
    #[arg(long = "root", value_name = "PATH")]
    pub roots: Vec<PathBuf>,
    /// As `ingest --thread-by-subject`
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub thread_by_subject: Option<bool>,
}

/// Joins the shards into the database and says what it did.
pub fn merge(a: MergeArgs, db: DbPaths) -> anyhow::Result<i32> {
    let roots: Vec<PathBuf> = a.roots.iter().map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone())).collect();
    let m = mailidx::ingest::merge(&db, &a.shards, &roots, &mailidx::analyze::Analyzer::default(), a.thread_by_subject)?;
    println!("{} shards: {} messages added, {} already there; {} threads; database: {}", m.shards, m.messages, m.duplicates, m.threads, db.root.display());
    Ok(0)
}
