//! `mailidx report`: the answers a mail administrator asks first, as top-N
//! tables: how much is spam, where it comes from, whose names are forged,
//! and how often authentication fails. Computed by the same queries as the
//! derived tables ([`crate::store::derived`]) over the messages a [`Filter`] keeps,
//! so `--since`, `--until` and `--label` need no rebuild.

use polars::prelude::*;
use serde_json::{Map, Value};

use crate::store::DbPaths;
use crate::error::{Error, Result};
use crate::store::derived::{self, count, Filter};

/// One table of the report.
pub struct Section {
    /// The section's name, one of [`SECTIONS`].
    pub name: &'static str,
    /// The heading printed above the table.
    pub title: &'static str,
    /// The rows.
    pub frame: DataFrame,
}

const DMARC_TITLE: &str = "DMARC aggregate reports per published domain (messages by disposition and by DMARC result, days covered)";
const DMARC_SOURCES_TITLE: &str =
    "DMARC report sources per published domain, most failing first (messages failing both DKIM and SPF alignment, and passing; AS with --geoip)";

/// The sections `report` prints, in order.
pub const SECTIONS: &[&str] = &["labels", "receivers", "auth_failures", "spam_sources", "forged_domains", "linked_domains", "dmarc", "dmarc_sources"];

/// Builds the report; `top` rows per list (per kind for spam sources).
pub fn build(db: &DbPaths, filter: &Filter, top: usize) -> Result<Vec<Section>> {
    crate::store::parquet::check_layout(&db.tables_dir(), &db.root)?;
    let Some(all) = derived::messages(&db.tables_dir())? else { return reports_only(db, top) };
    let msgs = derived::filtered(all, filter);
    let total = len().cast(DataType::UInt32);
    let rate = |e: Expr| e.cast(DataType::Float64).mean().fill_null(lit(0.0));

    let labels = msgs
        .clone()
        .group_by([col("label")])
        .agg([total.clone().alias("messages")])
        .with_column((col("messages").cast(DataType::Float64) / col("messages").sum().cast(DataType::Float64)).alias("share"))
        .sort(["messages"], SortMultipleOptions::default().with_order_descending(true));

    let receivers = msgs
        .clone()
        .group_by([col("receiver").fill_null(lit("none")), col("receiver_gateway").fill_null(lit("-")).alias("gateway")])
        .agg([
            total.clone().alias("messages"),
            count(col("label").eq(lit("spam"))).alias("spam"),
            count(col("origin_kind").eq(lit("client"))).alias("client_origins"),
            count(col("origin_kind").eq(lit("none"))).alias("no_origin"),
            count(col("auth_results_trusted").gt(lit(0))).alias("trusted_verdicts"),
        ])
        .sort(["messages", "receiver"], SortMultipleOptions::default().with_order_descending_multi([true, false]));

    let auth = msgs
        .clone()
        .group_by([col("label")])
        .agg([
            total.clone().alias("messages"),
            rate(col("spf_fail")).alias("spf_fail_rate"),
            rate(col("dkim_fail")).alias("dkim_fail_rate"),
            rate(col("dmarc_fail")).alias("dmarc_fail_rate"),
            rate(col("spf_fail").or(col("dkim_fail")).or(col("dmarc_fail"))).alias("any_fail_rate"),
            col("forgery_score").cast(DataType::Float64).mean().alias("mean_forgery_score"),
        ])
        .sort(["label"], SortMultipleOptions::default());

    // The top sources per kind: by spam messages, then by messages.
    let sources = derived::spam_sources(msgs.clone())?
        .group_by_stable([col("kind")])
        .head(Some(top))
        .select([
            col("kind"),
            col("source"),
            col("messages"),
            col("spam_messages"),
            col("spf_fail_share"),
            col("dynamic_share"),
            col("first_seen"),
            col("last_seen"),
            col("top_from_domains"),
        ]);

    let msgs_for_links = msgs.clone().select([col("msg_key"), col("label")]);
    let forged = derived::forgery_by_domain(msgs)
        .filter(col("forged_messages").gt(lit(0)))
        .select([
            col("domain"),
            col("messages"),
            col("forged_messages"),
            col("dmarc_fail"),
            col("dmarc_pass"),
            col("spf_fail"),
            col("dkim_fail"),
            col("return_path_mismatches"),
            col("display_name_spoofs"),
            col("origins"),
            col("mean_forgery_score"),
        ])
        .limit(top as IdxSize);

    let linked = linked_domains(db, msgs_for_links, top)?;
    let (dmarc, dmarc_sources) = dmarc_sections(db, top)?;

    let mut out = Vec::new();
    for (name, title, lf) in [
        ("labels", "Messages by label", labels),
        ("receivers", "Receiving side detected (provider or gateway; origin kinds; messages with trusted Authentication-Results)", receivers),
        ("auth_failures", "Authentication failure rates by label", auth),
        ("spam_sources", "Top sources (origin IP, /24 or /48 network, rDNS domain, HELO), most spam first", sources),
        ("forged_domains", "Most forged From domains (messages with forgery_score >= 3, then DMARC failures)", forged),
        ("linked_domains", "Most linked domains in spam (registrable domain of the body's links; messages, links, anchor mismatches)", linked),
        ("dmarc", DMARC_TITLE, dmarc),
        ("dmarc_sources", DMARC_SOURCES_TITLE, dmarc_sources),
    ] {
        out.push(Section { name, title, frame: derived::collect(lf, name)? });
    }
    Ok(out)
}

/// The domains the spam links to: messages (spam first) per registrable
/// domain of the body's links, from `urls`.
fn linked_domains(db: &DbPaths, msgs: LazyFrame, top: usize) -> Result<LazyFrame> {
    let urls = derived::table(&db.tables_dir(), "urls")?;
    Ok(match urls {
        Some(urls) => urls
            .filter(col("registrable_domain").is_not_null())
            .select([col("msg_key"), col("registrable_domain").alias("domain"), col("anchor_mismatch"), col("shortener")])
            .join(msgs, [col("msg_key")], [col("msg_key")], JoinArgs::new(JoinType::Inner))
            .group_by([col("domain")])
            .agg([
                col("msg_key").filter(col("label").eq(lit("spam"))).n_unique().alias("spam_messages"),
                col("msg_key").n_unique().alias("messages"),
                col("msg_key").count().alias("links"),
                col("anchor_mismatch").sum().alias("anchor_mismatches"),
                col("shortener").any(true).alias("shortener"),
            ])
            .sort(["spam_messages", "messages", "domain"], SortMultipleOptions::default().with_order_descending_multi([true, true, false]))
            .limit(top as IdxSize),
        None => DataFrame::empty().lazy(),
    })
}

/// A database without messages: the sections of its report files, if any.
fn reports_only(db: &DbPaths, top: usize) -> Result<Vec<Section>> {
    if !db.exists() {
        return Err(Error::NoDatabase(db.root.clone()));
    }
    if crate::store::parquet::part_files(&db.tables_dir(), "dmarc_records")?.is_empty() {
        return Err(Error::Other(format!("{} holds no messages (every one ingested has left the archive): nothing to report", db.root.display())));
    }
    let (dmarc, dmarc_sources) = dmarc_sections(db, top)?;
    Ok(vec![
        Section { name: "dmarc", title: DMARC_TITLE, frame: derived::collect(dmarc, "dmarc")? },
        Section { name: "dmarc_sources", title: DMARC_SOURCES_TITLE, frame: derived::collect(dmarc_sources, "dmarc_sources")? },
    ])
}

/// What the DMARC aggregate reports say, per published domain and per
/// source. Reports are not messages: `--since`, `--until` and `--label`
/// do not narrow these sections.
fn dmarc_sections(db: &DbPaths, top: usize) -> Result<(LazyFrame, LazyFrame)> {
    let (Some(reports), Some(records)) = (derived::table(&db.tables_dir(), "dmarc_reports")?, derived::table(&db.tables_dir(), "dmarc_records")?) else {
        return Ok((DataFrame::empty().lazy(), DataFrame::empty().lazy()));
    };
    // One row per report (a report received in several carriers has a row
    // for each).
    let reports = reports
        .select([col("report_key"), col("domain").str().to_lowercase().str().strip_chars_end(lit(".")).alias("domain"), col("begin"), col("end")])
        .unique_stable(Some(cols(["report_key"])), UniqueKeepStrategy::First);
    let joined = records.join(
        reports,
        [col("report_key")],
        [col("report_key")],
        JoinArgs::new(JoinType::Inner),
    );
    let pass = col("dkim").eq(lit("pass")).or(col("spf").eq(lit("pass"))).fill_null(lit(false));
    let sum_if = |e: Expr| when(e).then(col("count")).otherwise(lit(0u64)).sum();
    let per_domain = joined
        .clone()
        .group_by([col("domain")])
        .agg([
            col("report_key").n_unique().alias("reports"),
            col("count").sum().alias("messages"),
            sum_if(pass.clone()).alias("dmarc_pass"),
            sum_if(pass.clone().not()).alias("dmarc_fail"),
            sum_if(col("disposition").eq(lit("quarantine")).fill_null(lit(false))).alias("quarantined"),
            sum_if(col("disposition").eq(lit("reject")).fill_null(lit(false))).alias("rejected"),
            // Days with a report period starting on them.
            (col("begin").cast(DataType::Int64) / lit(86_400_000i64)).n_unique().alias("days"),
        ])
        .sort(["messages", "domain"], SortMultipleOptions::default().with_order_descending_multi([true, false]))
        .limit(top as IdxSize);
    let per_source = joined
        .group_by([col("domain"), col("source_ip")])
        .agg([
            col("count").sum().alias("messages"),
            sum_if(pass.clone().not()).alias("failing"),
            sum_if(pass).alias("passing"),
            col("header_from").drop_nulls().first().alias("header_from"),
            col("source_net").drop_nulls().first().alias("network"),
            col("asn").drop_nulls().first().alias("asn"),
            col("as_org").drop_nulls().first().alias("as_org"),
            col("country").drop_nulls().first().alias("country"),
        ])
        .sort(["failing", "messages", "source_ip"], SortMultipleOptions::default().with_order_descending_multi([true, true, false]))
        .limit(top as IdxSize);
    Ok((per_domain, per_source))
}

/// A cell as text for the terminal and CSV.
fn cell(v: &AnyValue<'_>) -> String {
    match v {
        AnyValue::Null => String::new(),
        AnyValue::Float64(f) => format!("{f:.3}"),
        AnyValue::Float32(f) => format!("{f:.3}"),
        AnyValue::Datetime(ms, _, _) => {
            chrono::DateTime::from_timestamp_millis(*ms).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
        }
        AnyValue::List(s) => (0..s.len()).filter_map(|i| s.get(i).ok().map(|v| cell(&v))).collect::<Vec<_>>().join(" "),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        other => other.to_string().trim_matches('"').to_string(),
    }
}

fn json(v: &AnyValue<'_>) -> Value {
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(*b),
        AnyValue::UInt32(n) => Value::from(*n),
        AnyValue::UInt64(n) => Value::from(*n),
        AnyValue::Int64(n) => Value::from(*n),
        AnyValue::Int32(n) => Value::from(*n),
        AnyValue::Float64(f) => serde_json::Number::from_f64(*f).map(Value::Number).unwrap_or(Value::Null),
        AnyValue::Datetime(ms, _, _) => chrono::DateTime::from_timestamp_millis(*ms)
            .map(|d| Value::String(d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
            .unwrap_or(Value::Null),
        AnyValue::List(s) => Value::Array((0..s.len()).filter_map(|i| s.get(i).ok().map(|v| json(&v))).collect()),
        other => Value::String(cell(other)),
    }
}

fn rows(df: &DataFrame) -> Vec<Vec<AnyValue<'_>>> {
    (0..df.height()).map(|i| df.columns().iter().map(|c| c.get(i).unwrap_or(AnyValue::Null)).collect()).collect()
}

/// Aligned text tables, one per section, with a title line.
pub fn render_table(sections: &[Section]) -> String {
    let mut out = String::new();
    for s in sections {
        out.push_str(&format!("{}\n", s.title));
        let names: Vec<String> = s.frame.get_column_names().iter().map(|n| n.to_string()).collect();
        let body: Vec<Vec<String>> =
            rows(&s.frame).iter().map(|r| r.iter().map(|v| crate::read::terminal::inline(&cell(v)).into_owned()).collect()).collect();
        let widths: Vec<usize> = (0..names.len())
            .map(|c| body.iter().map(|r| r[c].chars().count().min(48)).chain([names[c].len()]).max().unwrap_or(0))
            .collect();
        let line = |cells: &[String]| {
            cells
                .iter()
                .zip(&widths)
                .map(|(v, w)| {
                    let v: String = v.chars().take(48).collect();
                    format!("{v:<w$}")
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        out.push_str(&line(&names));
        out.push('\n');
        for r in &body {
            out.push_str(&line(r));
            out.push('\n');
        }
        if body.is_empty() {
            out.push_str("(none)\n");
        }
        out.push('\n');
    }
    out
}

/// One JSON object: section name → list of row objects.
pub fn render_json(sections: &[Section]) -> String {
    let mut top = Map::new();
    for s in sections {
        let names: Vec<String> = s.frame.get_column_names().iter().map(|n| n.to_string()).collect();
        let list: Vec<Value> = rows(&s.frame)
            .iter()
            .map(|r| Value::Object(names.iter().cloned().zip(r.iter().map(json)).collect()))
            .collect();
        top.insert(s.name.to_string(), Value::Array(list));
    }
    serde_json::to_string_pretty(&Value::Object(top)).unwrap_or_default() + "\n"
}

/// CSV: with one section, plain CSV; with several, each preceded by a
/// `# name` line and followed by an empty line.
pub fn render_csv(sections: &[Section]) -> String {
    let quote = |v: String| if v.contains([',', '"', '\n', '\r']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v };
    let mut out = String::new();
    for s in sections {
        if sections.len() > 1 {
            out.push_str(&format!("# {}\n", s.name));
        }
        let names: Vec<String> = s.frame.get_column_names().iter().map(|n| n.to_string()).collect();
        out.push_str(&names.join(","));
        out.push('\n');
        for r in rows(&s.frame) {
            out.push_str(&r.iter().map(|v| quote(cell(v))).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
        if sections.len() > 1 {
            out.push('\n');
        }
    }
    out
}
