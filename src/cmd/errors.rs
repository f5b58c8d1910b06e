//! `mailidx errors`: every problem an ingest recorded, one per line, with
//! what to do about it.

use clap::Args;

use super::Format;
use mailidx::read::terminal;
use mailidx::store::DbPaths;

#[derive(Args, Debug)]
pub struct ErrorsArgs {
    /// Only problems of this kind: io, malformed, not_mail or link
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(a: ErrorsArgs, db: DbPaths) -> anyhow::Result<i32> {
    if !db.exists() {
        return Err(mailidx::Error::NoDatabase(db.root.clone()).into());
    }
    let all = mailidx::read::status::problems(&db)?;
    let shown = all.iter().filter(|p| a.kind.as_deref().is_none_or(|k| p.error_kind.as_str() == k));
    for p in shown {
        match a.format {
            Format::Table => println!("{}", terminal::inline(&p.to_string())),
            Format::Json => {
                let row = serde_json::json!({
                    "source_path": p.source_path, "source_offset": p.source_offset, "error_kind": p.error_kind.as_str(),
                    "reason": p.reason, "msg_key": p.msg_key, "advice": p.advice(),
                });
                println!("{}", terminal::json(row.to_string()))
            }
        }
    }
    Ok(0)
}
