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
    quiet_panics();
    let code = match std::panic::catch_unwind(|| cmd::run(cli)) {
        Ok(Ok(code)) => code,
        Ok(Err(e)) if e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)) => {
            // The reader went away (`mailidx show --raw KEY | head`): nothing is wrong.
            0
        }
        Ok(Err(e)) => {
            // `{:#}` prints the whole cause chain on one line.
            eprintln!("mailidx: {}", mailidx::read::terminal::inline(&format!("{e:#}")));
            2
        }
        Err(_) => {
            let what = LAST_PANIC.lock().ok().and_then(|p| p.clone()).unwrap_or_default();
            if what.contains("Broken pipe") {
                // The reader went away (`mailidx search x | head`): nothing is wrong.
                std::process::exit(0);
            }
            eprintln!(
                "mailidx: internal error while {}: {}. What was committed before it stands: run the same command again; if it fails the same way, report this line (RUST_BACKTRACE=1 adds a backtrace).",
                mailidx::error::step(),
                mailidx::read::terminal::inline(&what)
            );
            2
        }
    };
    std::process::exit(code);
}

/// The last panic's message and place, kept for the one line main prints.
static LAST_PANIC: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Panics are recorded, not printed: one a parser hits on hostile mail is
/// caught and becomes a warning on that message, and one that escapes is
/// told to the user in one line by main. RUST_BACKTRACE keeps Rust's own
/// report as well.
fn quiet_panics() {
    let default = std::panic::take_hook();
    let verbose = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
    std::panic::set_hook(Box::new(move |info| {
        let msg = mailidx::error::panic_text(info.payload()).unwrap_or_default();
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(format!("{msg}{at}"));
        }
        if verbose {
            default(info);
        }
    }));
}
