//! The mailidx command line: parses arguments, calls the library, prints,
//! and maps the outcome to an exit status (0 all good, 1 finished but some
//! messages were skipped or malformed, 2 could not run).

mod cmd;

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
