//! `mailidx status`

use clap::Args;

use super::Format;
use mailidx::store::DbPaths;

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(a: StatusArgs, db: DbPaths) -> anyhow::Result<i32> {
    let s = mailidx::read::status::status(&db)?;
    if matches!(a.format, Format::Json) {
        println!("{}", serde_json::to_string(&s)?);
        return Ok(0);
    }
    println!("database   {} (generation {})", s.db, s.generation);
    println!("messages   {}", s.messages);
    println!("copies     {} (locations)", s.locations);
    println!("on disk    index {:.1} MB, tables {:.1} MB", s.index_bytes as f64 / 1e6, s.tables_bytes as f64 / 1e6);
    if !s.sources.is_empty() {
        println!("sources (files by kind and folder, last ingested)");
        for g in &s.sources {
            println!(
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
        println!("table      {:<18} {:>9} rows  {:>4} files  {:>8.1} MB", t.table, t.rows, t.files, t.bytes as f64 / 1e6);
    }
    println!("folders");
    for (f, n) in &s.folders {
        println!("  {n:>9}  {f}");
    }
    println!("labels");
    for (l, n) in &s.labels {
        println!("  {n:>9}  {l}");
    }
    if !s.errors.is_empty() {
        println!("problems recorded (`mailidx errors` lists them with what to do)");
        for (k, n) in &s.errors {
            println!("  {n:>9}  {k}");
        }
    }
    Ok(0)
}
