//! `mailidx show KEY`

use std::io::Write;

use clap::Args;
use mailidx::store::DbPaths;

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// A msg_key from search results, or a Message-ID
    pub key: String,
    /// Print the message exactly as stored (mbox quoting undone)
    #[arg(long, conflicts_with = "parts")]
    pub raw: bool,
    /// Print the MIME tree
    #[arg(long)]
    pub parts: bool,
}

pub fn run(a: ShowArgs, db: DbPaths) -> anyhow::Result<i32> {
    let (hit, raw, sharing) = mailidx::read::show::load(&db, &a.key)?;
    if sharing > 1 {
        eprintln!(
            "mailidx: {sharing} messages have this Message-ID; showing {} (search id:{} lists them all)",
            hit.msg_key,
            a.key.trim()
        );
    }
    let mut out = std::io::stdout().lock();
    if a.raw {
        out.write_all(&raw)?;
    } else if a.parts {
        out.write_all(mailidx::read::show::render_parts(&raw).as_bytes())?;
    } else {
        out.write_all(mailidx::read::show::render(&hit, &raw).as_bytes())?;
    }
    Ok(0)
}
