//! The mailidx command line: parses arguments, calls the library, prints,
//! and maps the outcome to an exit status (0 all good, 1 finished but some
//! messages were skipped or malformed, 2 could not run).

mod cmd;

// mimalloc: glibc's malloc spent about 10% of ingest time in a profile, and
// its per-thread arenas made peak RSS grow with the archive. Its v2 line, not
// v3: side by side on freedreno (38k) and ×6 (232k) mbox, v3 peaked at
// 436-461 / 556-578 MB (+23%), v2 at 356-367 / 396-410 MB (+11%), at the
// same speed (README, Benchmarks).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

fn main() {
    let cli = cmd::Cli::parse();
    let code = match cmd::run(cli) {
        Ok(code) => code,
        Err(e) => {
            // `{:#}` prints the whole cause chain on one line.
            eprintln!("mailidx: {e:#}");
            2
        }
    };
    std::process::exit(code);
}
