//! `mailidx search QUERY`

use clap::{Args, ValueEnum};

use super::Format;
use mailidx::store::DbPaths;
use mailidx::read::search::{fields, Searchable, SortOrder};
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
    if a.count {
        println!("{}", Searchable::open(&db)?.count(&a.query.join(" "))?);
        return Ok(0);
    }
    let result = Searchable::open(&db)?.search(&a.query.join(" "), a.limit as usize, sort)?;
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
