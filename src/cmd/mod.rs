//! Subcommands: one file each, one enum variant, one match arm.

/// Prints one line with every character mail could smuggle in made visible
/// (`mailidx::read::terminal::inline`); `out!()` prints an empty line.
macro_rules! out {
    () => { println!() };
    ($($t:tt)*) => { println!("{}", mailidx::read::terminal::inline(&format!($($t)*))) };
}

mod errors;
mod hops;
mod ingest;
mod merge;
mod report;
mod search;
mod show;
mod status;
mod thread;
mod trust;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Offline mail-archive indexer: full-text search plus Parquet tables of
/// header forensics.
#[derive(Parser, Debug)]
#[command(name = "mailidx", version, about)]
pub struct Cli {
    /// Database directory [default: $MAILIDX_DB, else ~/.local/share/mailidx]
    #[arg(long, global = true, env = "MAILIDX_DB")]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Read Maildir folders, mbox files (also .gz/.zst) or .eml files into the database
    Ingest(ingest::IngestArgs),
    /// Search the index
    Search(search::SearchArgs),
    /// Print one message, decoded, read back from the archive
    Show(show::ShowArgs),
    /// Print a conversation as a tree: the thread of a message (key or Message-ID) or a thread id
    Thread(thread::ThreadArgs),
    /// The Received chain of one message: hops, origin, delays, anomalies
    Hops(hops::HopsArgs),
    /// What the database holds: messages, folders, labels, tables, problems
    Status(status::StatusArgs),
    /// Spam sources, forged domains, authentication failures, label counts
    Report(report::ReportArgs),
    /// Derived tables (threads, spam_sources, forgery_by_domain, daily)
    Stats(report::StatsArgs),
    /// List an archive as slices for tasks on many machines (spark/ingest.py)
    #[command(hide = true)]
    Slices(merge::SlicesArgs),
    /// Join databases that tasks wrote (ingest --slice) into this one (spark/ingest.py)
    Merge(merge::MergeArgs),
    /// Every problem ingests recorded (unreadable files, malformed messages), with what to do
    Errors(errors::ErrorsArgs),
}

/// How a command prints records: a table for people, or JSON (JSON Lines for
/// lists) with stable field names for programs.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum Format {
    Table,
    Json,
}

/// The IP databases: `--geoip` files, else `$MAILIDX_GEOIP` split at `:`
/// (empty entries, and an empty variable, mean none).
pub(crate) fn geoip_files(flags: Vec<PathBuf>) -> Vec<PathBuf> {
    if !flags.is_empty() {
        return flags;
    }
    std::env::var_os("MAILIDX_GEOIP")
        .map(|v| std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect())
        .unwrap_or_default()
}

/// Runs a command and returns the exit status.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    let db = mailidx::store::DbPaths::resolve(cli.db.as_deref());
    mailidx::error::enter_step(match &cli.command {
        Command::Ingest(_) => "starting the ingest",
        Command::Search(_) => "searching",
        Command::Show(_) => "showing a message",
        Command::Thread(_) => "showing a thread",
        Command::Status(_) => "reading the database's status",
        Command::Hops(_) => "analysing a message's headers",
        Command::Report(_) => "computing the report",
        Command::Stats(_) => "rebuilding the statistics",
        Command::Errors(_) => "listing the problems recorded",
        Command::Slices(_) => "listing the archive's slices",
        Command::Merge(_) => "merging databases",
    });
    match cli.command {
        Command::Ingest(a) => ingest::run(a, db),
        Command::Search(a) => search::run(a, db),
        Command::Show(a) => show::run(a, db),
        Command::Thread(a) => thread::run(a, db),
        Command::Status(a) => status::run(a, db),
        Command::Hops(a) => hops::run(a, db),
        Command::Report(a) => report::run(a, db),
        Command::Stats(a) => report::run_stats(a, db),
        Command::Errors(a) => errors::run(a, db),
        Command::Slices(a) => merge::slices(a),
        Command::Merge(a) => merge::merge(a, db),
    }
}
