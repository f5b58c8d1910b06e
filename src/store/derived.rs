//! Derived statistics: `spam_sources`, `forgery_by_domain` and `daily`,
//! computed with polars' lazy engine (streaming) from the `messages` part
//! files: only the columns a query names are read, and rows are never held
//! by hand. `mailidx ingest` rebuilds them at the end of every run, `mailidx
//! stats rebuild` on demand, and `mailidx report` runs the same queries over
//! a filtered view (dates, label).

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::store::{Db, DbPaths};
use crate::store::tables::{ColType, ColumnSpec, TableSpec, DAILY, FORGERY_BY_DOMAIN, MESSAGES, SPAM_SOURCES};

/// Which messages a statistic covers.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Date header at or after this (ms since the epoch, UTC).
    pub since: Option<i64>,
    /// Date header before this.
    pub until: Option<i64>,
    /// Only messages with this label (spam, ham or unknown); None: every label.
    pub label: Option<String>,
}

/// The committed `messages` table as a lazy scan; None when it has no parts yet.
pub(crate) fn messages(tables_dir: &Path) -> Result<Option<LazyFrame>> {
    table(tables_dir, MESSAGES.table)
}

/// A committed table as a lazy scan; None when it has no parts yet.
pub(crate) fn table(tables_dir: &Path, name: &str) -> Result<Option<LazyFrame>> {
    scan(&crate::store::parquet::part_files(tables_dir, name)?)
}

/// A lazy scan of `messages` part files; None when there are none.
pub(crate) fn scan(files: &[PathBuf]) -> Result<Option<LazyFrame>> {
    if files.is_empty() {
        return Ok(None);
    }
    // Parts written before a column existed read it as null.
    let args = ScanArgsParquet { allow_missing_columns: true, ..Default::default() };
    let paths: Vec<PlRefPath> = files.iter().map(|p| PlRefPath::new(p.to_string_lossy().as_ref())).collect();
    let lf = LazyFrame::scan_parquet_files(paths.into_iter().collect(), args).map_err(Error::table("messages"))?;
    Ok(Some(lf))
}

/// Narrows messages to a filter.
pub(crate) fn filtered(lf: LazyFrame, f: &Filter) -> LazyFrame {
    let ms = || col("date").cast(DataType::Int64);
    let mut lf = lf;
    if let Some(s) = f.since {
        lf = lf.filter(ms().gt_eq(lit(s)));
    }
    if let Some(u) = f.until {
        lf = lf.filter(ms().lt(lit(u)));
    }
    if let Some(l) = &f.label {
        lf = lf.filter(col("label").eq(lit(l.clone())));
    }
    lf
}

fn share(e: Expr) -> Expr {
    e.cast(DataType::Float64).mean().fill_null(lit(0.0))
}

pub(crate) fn count(e: Expr) -> Expr {
    e.cast(DataType::UInt32).sum()
}

/// The columns of a spec, in its order and types.
fn conform(lf: LazyFrame, spec: &TableSpec) -> LazyFrame {
    let typed = |c: &ColumnSpec| match c.col_type {
        // Timestamps are aggregated as epoch milliseconds and become naive
        // datetimes here; [`collect`] gives them their UTC zone back.
        ColType::Timestamp => DataType::Datetime(TimeUnit::Milliseconds, None),
        other => other.polars_dtype(),
    };
    lf.select(spec.columns.iter().map(|c| col(c.name).cast(typed(c))).collect::<Vec<_>>())
}

/// A timestamp column as epoch milliseconds. Aggregating the zoned column
/// itself gave a group whose dates are all null a zoneless type, and the
/// streaming engine then panicked joining it with the other groups.
fn epoch_ms(e: Expr) -> Expr {
    e.cast(DataType::Int64)
}

/// Per origin IP, network, rDNS organisational domain, HELO, AS number and
/// country.
pub(crate) fn spam_sources(messages: LazyFrame) -> Result<LazyFrame> {
    let kinds = [
        ("ip", "origin_ip"),
        ("net", "origin_net"),
        ("rdns_org", "origin_rdns_org"),
        ("helo", "origin_helo"),
        ("asn", "origin_asn"),
        ("country", "origin_country"),
    ];
    let frames: Vec<LazyFrame> = kinds
        .iter()
        .map(|(kind, c)| {
            // A HELO that names a provider's relay from outside its networks
            // names the victim of the forgery, not the source.
            let genuine = if *kind == "helo" { col("origin_helo_forged_provider").not() } else { lit(true) };
            messages.clone().filter(col(*c).is_not_null().and(genuine)).select([
                lit(*kind).alias("kind"),
                col(*c).cast(DataType::String).alias("source"),
                col("label"),
                col("date"),
                col("spf_fail"),
                col("dkim_fail"),
                col("dmarc_fail"),
                col("origin_rdns_dynamic"),
                col("from_domain"),
            ])
        })
        .collect();
    let all = concat(frames, UnionArgs::default()).map_err(Error::table("spam_sources"))?;
    let keys = [col("kind"), col("source")];
    let agg = all.clone().group_by(keys.clone()).agg([
        len().cast(DataType::UInt32).alias("messages"),
        count(col("label").eq(lit("spam"))).alias("spam_messages"),
        epoch_ms(col("date")).min().alias("first_seen"),
        epoch_ms(col("date")).max().alias("last_seen"),
        share(col("spf_fail")).alias("spf_fail_share"),
        share(col("dkim_fail")).alias("dkim_fail_share"),
        share(col("dmarc_fail")).alias("dmarc_fail_share"),
        share(col("origin_rdns_dynamic")).alias("dynamic_share"),
    ]);
    let tops = all
        .filter(col("from_domain").is_not_null())
        .group_by([col("kind"), col("source"), col("from_domain")])
        .agg([len().alias("n")])
        .group_by(keys.clone())
        .agg([col("from_domain")
            .sort_by([col("n"), col("from_domain")], SortMultipleOptions::default().with_order_descending_multi([true, false]))
            .head(Some(5))
            .alias("top_from_domains")]);
    let joined = agg
        .join(tops, keys.clone(), keys, JoinArgs::new(JoinType::Left))
        .sort(
            ["kind", "spam_messages", "messages", "source"],
            SortMultipleOptions::default().with_order_descending_multi([false, true, true, false]),
        );
    Ok(conform(joined, &SPAM_SOURCES))
}

/// A message counts as forged from `forgery_score` 3 up: a DMARC failure
/// or a display-name spoof alone, or two lesser signs together.
pub(crate) const FORGED_SCORE: u32 = 3;

/// Per From organisational domain, most forged first.
pub(crate) fn forgery_by_domain(messages: LazyFrame) -> LazyFrame {
    let agg = messages.filter(col("from_org_domain").is_not_null()).group_by([col("from_org_domain").alias("domain")]).agg([
        len().cast(DataType::UInt32).alias("messages"),
        count(col("forgery_score").gt_eq(lit(FORGED_SCORE))).alias("forged_messages"),
        count(col("label").eq(lit("spam"))).alias("spam_messages"),
        count(col("spf_result").eq(lit("pass")).fill_null(lit(false))).alias("spf_pass"),
        count(col("spf_fail")).alias("spf_fail"),
        count(col("dkim_result").eq(lit("pass")).fill_null(lit(false))).alias("dkim_pass"),
        count(col("dkim_fail")).alias("dkim_fail"),
        count(col("dmarc_result").eq(lit("pass")).fill_null(lit(false)).or(col("dmarc_computed").eq(lit("pass")))).alias("dmarc_pass"),
        count(col("dmarc_fail")).alias("dmarc_fail"),
        share(col("spf_aligned_relaxed")).alias("spf_aligned_share"),
        share(col("dkim_aligned_relaxed")).alias("dkim_aligned_share"),
        count(col("from_return_path_mismatch")).alias("return_path_mismatches"),
        count(col("reply_to_mismatch")).alias("reply_to_mismatches"),
        count(col("display_name_spoof")).alias("display_name_spoofs"),
        col("origin_ip").drop_nulls().n_unique().cast(DataType::UInt32).alias("origins"),
        col("forgery_score").cast(DataType::Float64).mean().alias("mean_forgery_score"),
        epoch_ms(col("date")).min().alias("first_seen"),
        epoch_ms(col("date")).max().alias("last_seen"),
    ]);
    let sorted = agg.sort(
        ["forged_messages", "dmarc_fail", "messages", "domain"],
        SortMultipleOptions::default().with_order_descending_multi([true, true, true, false]),
    );
    conform(sorted, &FORGERY_BY_DOMAIN)
}

/// Per UTC day and label.
pub(crate) fn daily(messages: LazyFrame) -> LazyFrame {
    let agg = messages
        .filter(col("date").is_not_null())
        .with_column(col("date").dt().date().alias("day"))
        .group_by([col("day"), col("label")])
        .agg([
            len().cast(DataType::UInt32).alias("messages"),
            count(col("spf_fail")).alias("spf_fail"),
            count(col("dkim_fail")).alias("dkim_fail"),
            count(col("dmarc_fail")).alias("dmarc_fail"),
            count(col("spf_fail").or(col("dkim_fail")).or(col("dmarc_fail"))).alias("auth_failures"),
            col("transit_seconds").cast(DataType::Float64).median().alias("median_transit_seconds"),
        ])
        .sort(["day", "label"], SortMultipleOptions::default());
    conform(agg, &DAILY)
}

/// Runs a query with the streaming engine.
pub(crate) fn collect(lf: LazyFrame, table: &str) -> Result<DataFrame> {
    // One query, one sink: the result is always a single frame.
    let mut df = lf.collect_with_engine(Engine::Streaming).map_err(Error::table(table))?.unwrap_single();
    // Without polars' `timezones` feature (and its chrono-tz weight), casts
    // drop the UTC zone of aggregated timestamps; every timestamp here is
    // UTC, so it is put back.
    let naive: Vec<String> = df
        .columns()
        .iter()
        .filter(|c| matches!(c.dtype(), DataType::Datetime(_, None)))
        .map(|c| c.name().to_string())
        .collect();
    for name in naive {
        let ms = df.column(&name).and_then(|c| c.cast(&DataType::Int64)).map_err(Error::table(table))?;
        let ms = ms.i64().map_err(Error::table(table))?.clone();
        let fixed = ms.into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)).into_series().into_column();
        df.with_column(fixed).map_err(Error::table(table))?;
    }
    Ok(df)
}

/// The derived tables computed from these `messages` parts.
pub(crate) fn derive(message_files: &[PathBuf]) -> Result<Vec<(&'static str, DataFrame)>> {
    let Some(msgs) = scan(message_files)? else { return Ok(Vec::new()) };
    let queries: [(&TableSpec, LazyFrame); 3] = [
        (&SPAM_SOURCES, spam_sources(msgs.clone())?),
        (&FORGERY_BY_DOMAIN, forgery_by_domain(msgs.clone())),
        (&DAILY, daily(msgs)),
    ];
    let mut out = Vec::new();
    for (spec, lf) in queries {
        out.push((spec.table, collect(lf, spec.table)?));
    }
    Ok(out)
}

/// `mailidx stats rebuild`: recomputes every derived table from `messages`
/// and commits them (under the ingest lock, as an ingest would).
pub fn rebuild(paths: &DbPaths) -> Result<Vec<(&'static str, usize)>> {
    let mut db = Db::open_existing(paths, 50_000_000)?;
    crate::error::enter_step("computing the derived statistics");
    let derived = derive(&db.tables().files(MESSAGES.table))?;
    if derived.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (table, mut df) in derived {
        out.push((table, df.height()));
        db.tables_mut().replace_table(table, &mut df)?;
    }
    db.commit()?;
    db.close()?;
    Ok(out)
}

/// The keys of the messages whose `column` has `value`: any case for text;
/// for `origin_asn`, the number (`AS15169` too). `column` is a `messages`
/// column, or `TABLE.COLUMN` of a table with a `msg_key` column. Search's
/// `asn:`, `country:` and `dmarc_report:` read the tables this way, so a
/// `stats rebuild` changes what they find without touching the index.
pub(crate) fn keys_where(tables_dir: &std::path::Path, column: &str, value: &str) -> Result<Vec<String>> {
    let (table, column) = column.split_once('.').unwrap_or((MESSAGES.table, column));
    let files = crate::store::parquet::part_files(tables_dir, table)?;
    let Some(df) = crate::store::parquet::read_parts(&files, table, Some(&["msg_key", column]))? else {
        return Ok(Vec::new());
    };
    let wanted = match column {
        "origin_asn" => {
            let n: u32 = value.trim_start_matches(['A', 'S', 'a', 's']).parse().map_err(|_| {
                Error::Query(format!("asn:{value}: an AS number is a number, such as asn:15169 or asn:AS15169"))
            })?;
            col(column).eq(lit(n))
        }
        _ => col(column).str().to_lowercase().eq(lit(value.to_lowercase())),
    };
    let hits = df.lazy().filter(wanted.and(col("msg_key").is_not_null())).select([col("msg_key")]).unique(None, UniqueKeepStrategy::First).collect().map_err(Error::table(table))?;
    let keys = crate::store::parquet::str_col(&hits, table, "msg_key")?;
    Ok(keys.iter().flatten().map(str::to_string).collect())
}
