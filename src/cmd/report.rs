//! `mailidx report` and `mailidx stats rebuild`

use chrono::NaiveDate;
use std::io::IsTerminal;

use clap::{Args, Subcommand, ValueEnum};
use mailidx::store::DbPaths;
use mailidx::read::{report, terminal};
use mailidx::store::derived::Filter;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Rows per list (per kind for the spam sources)
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Only messages dated on or after this day (YYYY-MM-DD, UTC)
    #[arg(long, value_parser = parse_day)]
    pub since: Option<NaiveDate>,
    /// Only messages dated on or before this day (YYYY-MM-DD, UTC)
    #[arg(long, value_parser = parse_day)]
    pub until: Option<NaiveDate>,
    /// Only messages with this label
    #[arg(long, value_enum)]
    pub label: Option<LabelArg>,
    /// Only these sections (repeatable): labels, receivers, auth_failures, spam_sources, forged_domains, linked_domains, dmarc, dmarc_sources
    #[arg(long = "section", value_parser = clap::builder::PossibleValuesParser::new(report::SECTIONS))]
    pub sections: Vec<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum LabelArg {
    Spam,
    Ham,
    Unknown,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
}

fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| format!("{s:?}: {e} (want YYYY-MM-DD)"))
}

fn day_ms(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or_default()
}

pub fn run(a: ReportArgs, db: DbPaths) -> anyhow::Result<i32> {
    let filter = Filter {
        since: a.since.map(day_ms),
        until: a.until.and_then(|d| d.succ_opt()).map(day_ms),
        label: a.label.map(|l| format!("{l:?}").to_ascii_lowercase()),
    };
    let mut sections = report::build(&db, &filter, a.top)?;
    if !a.sections.is_empty() {
        sections.retain(|s| a.sections.iter().any(|n| n == s.name));
    }
    let text = match a.format {
        // render_table escapes every cell itself.
        ReportFormat::Table => report::render_table(&sections),
        ReportFormat::Json => terminal::json(report::render_json(&sections)),
        // CSV is data for programs: the exact values to a pipe or a file;
        // to a terminal, what mail wrote is shown, not obeyed.
        ReportFormat::Csv if std::io::stdout().is_terminal() => terminal::text(&report::render_csv(&sections)).into_owned(),
        ReportFormat::Csv => report::render_csv(&sections),
    };
    print!("{text}");
    Ok(0)
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    #[command(subcommand)]
    pub action: StatsAction,
}

#[derive(Subcommand, Debug)]
pub enum StatsAction {
    /// Thread every message again and recompute spam_sources, forgery_by_domain and daily from messages
    Rebuild {
        /// Look the hops' and origins' network owners up again in these MaxMind DB
        /// files (repeatable; also $MAILIDX_GEOIP, colon-separated), without
        /// reading the archive
        #[arg(long = "geoip", value_name = "FILE")]
        geoip: Vec<std::path::PathBuf>,
        /// Thread again, joining threads by subject (or not: =false); remembered
        #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
        thread_by_subject: Option<bool>,
    },
}

pub fn run_stats(a: StatsArgs, db: DbPaths) -> anyhow::Result<i32> {
    let StatsAction::Rebuild { geoip, thread_by_subject } = a.action;
    let geoip = super::geoip_files(geoip);
    let threads = mailidx::ingest::rethread(&db, mailidx::ingest::threading_options(&db, thread_by_subject)?)?;
    println!("threads: {} rows ({} messages placed anew)", threads.threads, threads.moved);
    if !geoip.is_empty() {
        let g = mailidx::analyze::geoip::GeoIp::open(&geoip)?;
        let (looked_up, found, rewritten) = mailidx::ingest::reenrich(&db, &g)?;
        println!("{looked_up} addresses looked up, {found} found in {}", geoip.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
        for (table, rows) in rewritten {
            println!("{table}: {rows} rows");
        }
        return Ok(0);
    }
    let rebuilt = mailidx::store::derived::rebuild(&db)?;
    if rebuilt.is_empty() {
        eprintln!("mailidx: no messages in {}; nothing to derive", db.root.display());
        return Ok(2);
    }
    for (table, rows) in rebuilt {
        println!("{table}: {rows} rows");
    }
    Ok(0)
}
