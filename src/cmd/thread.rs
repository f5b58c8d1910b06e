//! `mailidx thread KEY|MESSAGE-ID|THREAD-ID`

use clap::Args;

use super::Format;
use mailidx::read::{terminal, threads};
use mailidx::store::DbPaths;

#[derive(Args, Debug)]
pub struct ThreadArgs {
    /// A message's key or Message-ID (its thread is shown), or a thread id
    pub which: String,
    /// table: the tree, indented; json: the nested tree (replies under each message)
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(a: ThreadArgs, db: DbPaths) -> anyhow::Result<i32> {
    let (id, roots) = threads::tree(&db, &a.which)?;
    match a.format {
        Format::Json => println!("{}", terminal::json(serde_json::to_string(&serde_json::json!({ "thread_id": id, "roots": roots }))?)),
        Format::Table => print!("{}", threads::render(&id, &roots)),
    }
    Ok(0)
}
