//! `mailidx show KEY`

use std::io::{IsTerminal, Write};

use clap::Args;
use mailidx::read::terminal;
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
            terminal::inline(a.key.trim())
        );
    }
    let mut out = std::io::stdout().lock();
    if a.raw && !out.is_terminal() {
        out.write_all(&raw)?;
    } else if a.raw {
        // To a terminal the bytes would be obeyed, not shown.
        eprintln!("mailidx: control characters are shown escaped; pipe the output (| less, > file) for the exact bytes");
        out.write_all(terminal::text(&String::from_utf8_lossy(&raw)).as_bytes())?;
    } else if a.parts {
        out.write_all(mailidx::read::show::render_parts(&raw).as_bytes())?;
    } else {
        out.write_all(mailidx::read::show::render(&hit, &raw).as_bytes())?;
    }
    Ok(0)
}
