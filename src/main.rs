//! The mailidx command line: parses arguments, calls the library, prints,
//! and maps the outcome to an exit status (0 all good, 1 finished but some
//! messages were skipped or malformed, 2 could not run).

mod cmd;

// mimalloc: glibc's per-thread arenas made peak memory grow with the
// archive, and its v2 line grows less than v3 at the same speed
// (docs/benchmarks.md has the measurements).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

fn main() {
    // Whatever mailidx writes (the database, exports) holds the user's
    // mail: readable by the user alone (0700 folders, 0600 files), whatever
    // the umask it was started with.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = cmd::Cli::parse();
    let code = match cmd::run(cli) {
        Ok(code) => code,
        Err(e) => {
            // `{:#}` prints the whole cause chain on one line.
            eprintln!("mailidx: {}", mailidx::read::terminal::inline(&format!("{e:#}")));
            2
        }
    };
    std::process::exit(code);
}
