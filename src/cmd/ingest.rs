//! `mailidx ingest PATH...`

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use mailidx::store::DbPaths;
use mailidx::ingest::{self, IngestConfig, IngestSummary, Progress};
use mailidx::model::Label;

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// Maildir folders, mbox files (.gz and .zst too), .eml files, or trees of them
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Label every message of this ingest as spam or ham
    #[arg(long, value_enum)]
    pub label: Option<LabelArg>,
    /// A folder name (glob, `*` only, any case) whose mail is spam, besides
    /// Spam, Junk, Junk E-mail, 迷惑メール, … (repeatable)
    #[arg(long = "spam-folder", value_name = "GLOB")]
    pub spam_folders: Vec<String>,
    /// A folder name whose mail is ham, besides ham, *_ham (repeatable)
    #[arg(long = "ham-folder", value_name = "GLOB")]
    pub ham_folders: Vec<String>,
    /// A provider label (Google Takeout's X-Gmail-Labels) that means spam,
    /// besides Spam (repeatable), e.g. Trash
    #[arg(long = "spam-tag", value_name = "LABEL")]
    pub spam_tags: Vec<String>,
    /// X-Spam-Score at or above this labels a message spam
    #[arg(long, value_name = "SCORE", default_value_t = 5.0)]
    pub spam_score_threshold: f64,
    #[command(flatten)]
    pub trust: super::trust::TrustArgs,
    /// A MaxMind DB file (GeoLite2/GeoIP2 ASN, Country or City, DB-IP, IPinfo Lite)
    /// naming the AS, organisation and country of every hop's address (repeatable;
    /// also $MAILIDX_GEOIP, colon-separated); nothing is downloaded
    #[arg(long = "geoip", value_name = "FILE")]
    pub geoip: Vec<PathBuf>,
    /// DKIM public keys (selector._domainkey.domain TXT "v=DKIM1; p=…" records) to verify signatures with
    #[arg(long = "dkim-keys", value_name = "FILE")]
    pub dkim_keys: Option<PathBuf>,
    /// Follow symbolic links wherever they lead (by default a link is followed
    /// only to a file inside the folder being ingested; others are recorded)
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Also join threads whose first messages have the same subject once
    /// Re:, Fwd: and [list] prefixes are removed (off by default, as in
    /// notmuch and mu); the database remembers it: --thread-by-subject=false
    /// turns it off
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub thread_by_subject: Option<bool>,
    /// Read only the files and byte ranges this file lists (JSON lines from
    /// `mailidx slices`), recording no sources: one task of spark/ingest.py
    #[arg(long, value_name = "FILE", hide = true)]
    pub slice: Option<PathBuf>,
    /// No progress bar (it is also off when stderr is not a terminal)
    #[arg(long, short)]
    pub quiet: bool,
    /// Received headers analysed per message (the rest are counted in a warning)
    #[arg(long, default_value_t = 500)]
    pub max_received: usize,
    /// MIME leaf parts walked per message
    #[arg(long, default_value_t = 10_000)]
    pub max_parts: usize,
    /// Longest Subject and display name kept, in bytes
    #[arg(long, default_value_t = 16 * 1024)]
    pub max_header_bytes: usize,
    /// Searchable text kept per message, in bytes
    #[arg(long, default_value_t = 1 << 20)]
    pub max_body_bytes: usize,
    /// Bytes of one message parsed (a longer one is parsed up to this)
    #[arg(long, default_value_t = 64 << 20)]
    pub max_message_bytes: usize,
    /// Authentication, DKIM and spam-filter headers analysed per message
    #[arg(long, default_value_t = 200)]
    pub max_auth_headers: usize,
    /// Header fields kept per message (headers table, header: search); the rest are counted in a warning
    #[arg(long, default_value_t = 10_000)]
    pub max_header_fields: usize,
    /// Time budget of one message's MIME walk and header analysis, in ms
    #[arg(long, default_value_t = 10_000)]
    pub max_message_ms: u64,
    /// Messages per commit (Parquet part and index commit)
    #[arg(long, default_value_t = 10_000, hide = true)]
    pub batch_rows: usize,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum LabelArg {
    Spam,
    Ham,
}

/// The progress bar: bytes read, rate and ETA, with the message count.
struct Bar {
    bar: ProgressBar,
    messages: AtomicU64,
}

impl Progress for Bar {
    fn start(&self, total_bytes: u64, _files: usize) {
        self.bar.set_length(total_bytes);
    }
    fn advance(&self, messages: u64, disk_bytes: u64) {
        let n = self.messages.fetch_add(messages, Ordering::Relaxed) + messages;
        self.bar.inc(disk_bytes);
        self.bar.set_message(format!("{n} messages"));
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

pub fn run(a: IngestArgs, db: DbPaths) -> anyhow::Result<i32> {
    let mut cfg = IngestConfig::new(a.paths, db);
    cfg.batch_rows = a.batch_rows;
    cfg.follow_symlinks = a.follow_symlinks;
    cfg.thread_by_subject = a.thread_by_subject;
    if let Some(f) = &a.slice {
        cfg.slice = Some(mailidx::ingest::slices::read_slice(f)?);
    }
    cfg.analysis.limits.max_received = a.max_received;
    cfg.analysis.limits.max_parts = a.max_parts;
    cfg.analysis.limits.max_header_bytes = a.max_header_bytes;
    cfg.analysis.limits.max_body_text = a.max_body_bytes;
    cfg.analysis.limits.max_message_bytes = a.max_message_bytes;
    cfg.analysis.limits.max_auth_headers = a.max_auth_headers;
    cfg.analysis.limits.max_message_ms = a.max_message_ms;
    cfg.analysis.limits.max_header_fields = a.max_header_fields;
    // Ctrl-C and SIGTERM stop the ingest cleanly: what is done is committed.
    let _ = ctrlc::set_handler(|| {
        if ingest::STOP.swap(true, std::sync::atomic::Ordering::SeqCst) {
            // A second Ctrl-C: stop now; the last commit stands.
            std::process::exit(130);
        }
        eprintln!("\nmailidx: stopping; committing what is done (Ctrl-C again to quit at once)");
    });
    let an = &mut cfg.analysis;
    (an.trust, an.authserv_ids) = a.trust.resolve()?;
    an.label_rules.spam_folders.extend(a.spam_folders);
    an.label_rules.ham_folders.extend(a.ham_folders);
    an.label_rules.spam_tags.extend(a.spam_tags);
    an.label_rules.spam_score_threshold = a.spam_score_threshold;
    an.geoip = mailidx::analyze::geoip::GeoIp::open(&super::geoip_files(a.geoip))?;
    if let Some(p) = &a.dkim_keys {
        an.dkim_keys = mailidx::analyze::dkim_verify::DkimKeys::load(p)?;
    }
    an.label = a.label.map(|l| match l {
        LabelArg::Spam => Label::Spam,
        LabelArg::Ham => Label::Ham,
    });
    let show_bar = !a.quiet && std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
    let summary = if show_bar {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}",
            )
            .expect("valid template"),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        ingest::ingest(&cfg, &Bar { bar, messages: AtomicU64::new(0) })?
    } else {
        ingest::ingest(&cfg, &ingest::NoProgress)?
    };
    let s = &summary;
    print_summary(s);
    if s.interrupted {
        eprintln!(
            "mailidx: interrupted; the {} messages committed are in the database. Run the same ingest again to finish.",
            s.messages
        );
        return Ok(1);
    }
    if s.had_problems() {
        eprintln!("mailidx: {} messages malformed and {} files skipped:", s.malformed, s.skipped);
        for p in &s.problems {
            eprintln!("  {}", mailidx::read::terminal::inline(&p.to_string()));
        }
        eprintln!("mailidx: `mailidx errors` lists every problem recorded (also the `errors` table)");
        return Ok(1);
    }
    Ok(0)
}

/// What the ingest did, in two lines, and where the database is.
fn print_summary(s: &IngestSummary) {
    let rate = if s.seconds > 0.0 { s.messages as f64 / s.seconds } else { 0.0 };
    println!(
        "{} messages ({:.1} MB) in {:.1} s ({:.0} messages/s); {} malformed, {} skipped, {} duplicates, {} non-mail files ignored, {} links out of the archive not followed",
        s.messages,
        s.bytes as f64 / 1e6,
        s.seconds,
        rate,
        s.malformed,
        s.skipped,
        s.duplicates,
        s.ignored,
        s.links_not_followed
    );
    println!(
        "{} files unchanged, {} grown, {} renamed; {} copies and {} messages gone from the archive removed",
        s.unchanged_files, s.appended_files, s.renamed, s.removed_copies, s.removed_messages
    );
    if s.report_files > 0 {
        println!("{} DMARC or SMTP TLS report files read (report --section dmarc)", s.report_files);
    }
    if s.threads > 0 {
        println!("{} threads ({} messages placed anew: new, joined, split or moved)", s.threads, s.rethreaded);
    }
    if s.relabelled > 0 {
        println!("{} messages read again: their folder or label follows where their copies are now (or --label)", s.relabelled);
    }
    println!("database: {}", s.db.display());
}
