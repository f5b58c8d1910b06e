//! `mailidx search QUERY`

use clap::{Args, ValueEnum};

use super::Format;
use mailidx::store::DbPaths;
use mailidx::read::search::{fields, Searchable, SortOrder};
use mailidx::read::{results, threads};
use mailidx::read::terminal;

#[derive(Args, Debug)]
#[command(after_help = fields::help())]
pub struct SearchArgs {
    /// Query: words, field:value (fields below), AND/OR/NOT, "phrases";
    /// a query starting with -word goes after --: mailidx search -- -word
    #[arg(required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// Most results to print
    #[arg(long, short = 'n', default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: u64,
    #[arg(long, value_enum, default_value_t = SortArg::Date)]
    pub sort: SortArg,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Print only how many messages match
    #[arg(long, short = 'c')]
    pub count: bool,
    /// messages: one line per message; threads: one line per thread with a
    /// match, newest activity first, with matched/total and the participants
    #[arg(long, value_enum, default_value_t = Output::Messages)]
    pub output: Output,
    /// Put every match into DIR as a Maildir (links to the archive's files,
    /// copies of messages inside an mbox), replacing what the last
    /// --output-maildir run put there; a DIR holding anything else is refused
    #[arg(long, value_name = "DIR", conflicts_with_all = ["output_mbox", "count"])]
    pub output_maildir: Option<std::path::PathBuf>,
    /// Write every match into FILE as an mbox (replacing an mbox only
    /// mailidx wrote there)
    #[arg(long, value_name = "FILE", conflicts_with = "count")]
    pub output_mbox: Option<std::path::PathBuf>,
    /// With --output-maildir or --output-mbox: the whole thread of each match
    /// (those write every match; --limit does not apply)
    #[arg(long)]
    pub include_threads: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum Output {
    /// One line per message
    Messages,
    /// One line per thread
    Threads,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum SortArg {
    /// Newest first
    Date,
    /// Best match first
    Relevance,
}

pub fn run(a: SearchArgs, db: DbPaths) -> anyhow::Result<i32> {
    let sort = match a.sort {
        SortArg::Date => SortOrder::Date,
        SortArg::Relevance => SortOrder::Relevance,
    };
    if a.include_threads && a.output_maildir.is_none() && a.output_mbox.is_none() {
        anyhow::bail!("--include-threads goes with --output-maildir or --output-mbox (for whole threads in a listing: --output threads, or thread:{{QUERY}})");
    }
    if a.count && a.output == Output::Threads {
        println!("{}", threads::summaries(&db, &a.query.join(" "), 1, sort)?.0);
        return Ok(0);
    }
    if a.count {
        println!("{}", Searchable::open(&db)?.count(&a.query.join(" "))?);
        return Ok(0);
    }
    let query = a.query.join(" ");
    if a.output_maildir.is_some() || a.output_mbox.is_some() {
        return write_results(&a, &db, &query);
    }
    if a.output == Output::Threads {
        return print_threads(&a, &db, &query, sort);
    }
    let result = Searchable::open(&db)?.search(&query, a.limit as usize, sort)?;
    match a.format {
        Format::Json => {
            for h in &result.hits {
                println!("{}", terminal::json(serde_json::to_string(h)?));
            }
        }
        Format::Table => {
            for h in &result.hits {
                let date: String = h.date.as_deref().map(|d| d.replace('T', " ").chars().take(16).collect()).unwrap_or_default();
                println!(
                    "{:<16}  {:<28}  {:<56}  {}",
                    date,
                    terminal::cell(h.from.as_deref().unwrap_or(""), 28),
                    terminal::cell(h.subject.as_deref().unwrap_or(""), 56),
                    h.msg_key
                );
            }
            eprintln!("{} of {} matching messages", result.hits.len(), result.total);
        }
    }
    Ok(0)
}

/// `--output-maildir` / `--output-mbox`: every match (and its thread).
fn write_results(a: &SearchArgs, db: &DbPaths, query: &str) -> anyhow::Result<i32> {
    let query = if a.include_threads { format!("thread:{{{query}}}") } else { query.to_string() };
    let idx = Searchable::open(db)?;
    let n = idx.count(&query)?;
    let hits = idx.search(&query, n.max(1), SortOrder::Date)?.hits;
    let (w, place) = match (&a.output_maildir, &a.output_mbox) {
        (Some(dir), _) => (results::to_maildir(dir, &hits, db)?, dir),
        (None, Some(file)) => (results::to_mbox(file, &hits, db)?, file),
        (None, None) => unreachable!("write_results needs an output"),
    };
    out!("{} messages written to {} ({} links to the archive, {} copies)", w.messages, place.display(), w.links, w.copies);
    Ok(0)
}

/// `--output threads`: one line per thread, as notmuch search prints.
fn print_threads(a: &SearchArgs, db: &DbPaths, query: &str, sort: SortOrder) -> anyhow::Result<i32> {
    let (total, list) = threads::summaries(db, query, a.limit as usize, sort)?;
    for t in &list {
        match a.format {
            Format::Json => println!("{}", terminal::json(serde_json::to_string(t)?)),
            Format::Table => {
                let date = t.last_date.and_then(chrono::DateTime::from_timestamp_millis).map(|d| d.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default();
                let who = t.participants.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
                let more = if t.participants.len() > 3 { format!(" +{}", t.participants.len() - 3) } else { String::new() };
                println!(
                    "thread:{}  {:<16}  [{}/{}]  {}  {}",
                    t.thread_id,
                    date,
                    t.matched,
                    t.total,
                    terminal::cell(&format!("{who}{more}"), 40),
                    terminal::cell(t.subject.as_deref().unwrap_or(""), 60)
                );
            }
        }
    }
    if a.format == Format::Table {
        eprintln!("{} of {total} threads with a match", list.len());
    }
    Ok(0)
}
