//! `mailidx status`

use clap::Args;

use super::Format;
use mailidx::db::DbPaths;

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(a: StatusArgs, db: DbPaths) -> anyhow::Result<i32> {
    let s = mailidx::status::status(&db)?;
    if matches!(a.format, Format::Json) {
        println!("{}", serde_json::to_string(&s)?);
        return Ok(0);
    }
    println!("database   {}", s.db);
    println!("messages   {}", s.messages);
    println!("index      {:.1} MB", s.index_bytes as f64 / 1e6);
    for t in &s.tables {
        println!("table      {:<16} {:>9} rows  {:>4} files  {:>8.1} MB", t.table, t.rows, t.files, t.bytes as f64 / 1e6);
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
        println!("problems recorded (see {}/tables/errors)", s.db);
        for (k, n) in &s.errors {
            println!("  {n:>9}  {k}");
        }
    }
    Ok(0)
}
