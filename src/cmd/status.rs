//! `mailidx status`

use clap::Args;

use super::Format;
use mailidx::read::terminal;
use mailidx::store::DbPaths;

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(a: StatusArgs, db: DbPaths) -> anyhow::Result<i32> {
    let s = mailidx::read::status::status(&db)?;
    if let Some(first) = s.readable_by_others.first() {
        eprintln!(
            "mailidx: warning: other users of this machine can read this database ({}{}); make it private with: chmod -R go-rwx {}",
            terminal::inline(first),
            if s.readable_by_others.len() > 1 { " and more" } else { "" },
            terminal::inline(&s.db)
        );
    }
    if matches!(a.format, Format::Json) {
        println!("{}", terminal::json(serde_json::to_string(&s)?));
        return Ok(0);
    }
    out!("database   {} (generation {})", s.db, s.generation);
    out!("messages   {}", s.messages);
    out!("copies     {} (locations)", s.locations);
    out!("on disk    index {:.1} MB, tables {:.1} MB", s.index_bytes as f64 / 1e6, s.tables_bytes as f64 / 1e6);
    if !s.sources.is_empty() {
        out!("sources (files by kind and folder, last ingested)");
        for g in &s.sources {
            out!(
                "  {:>7} {:<8} {:>9.1} MB  {}  {}",
                g.files,
                g.kind,
                g.bytes as f64 / 1e6,
                g.last_ingested.as_deref().unwrap_or("-"),
                g.folder
            );
        }
    }
    for t in &s.tables {
        out!("table      {:<18} {:>9} rows  {:>4} files  {:>8.1} MB", t.table, t.rows, t.files, t.bytes as f64 / 1e6);
    }
    out!("folders");
    for (f, n) in &s.folders {
        out!("  {n:>9}  {f}");
    }
    out!("labels");
    for (l, n) in &s.labels {
        out!("  {n:>9}  {l}");
    }
    out!("receivers (the provider or gateway detected at the top of the Received chain; receivers/)");
    for (r, n) in &s.receivers {
        out!("  {n:>9}  {r}");
    }
    if !s.errors.is_empty() {
        out!("problems recorded (`mailidx errors` lists them with what to do)");
        for (k, n) in &s.errors {
            out!("  {n:>9}  {k}");
        }
    }
    Ok(0)
}
