//! Records into DataFrames: for each table, the function that turns a batch
//! of rows into a frame with exactly the columns of its [`TableSpec`](super::tables::TableSpec)
//! (`super::tables`), and the reverse for the location columns that
//! reconcile rewrites.

use polars::prelude::*;

use crate::error::Result;
use crate::model::{AttachmentRecord, AuthResultRecord, DkimSignatureRecord, ErrorRecord, HeaderRecord, HopRecord, IpInfoRecord, Location, MessageRecord, SourceKind, UrlRecord};
use crate::store::parquet::{str_col, u64_col};

/// The columns a [`Location`] is written as: in `locations`, and in
/// `messages` (where they say which copy the row was read from).
pub(crate) const LOCATION_COLUMNS: [&str; 6] = ["path", "offset", "length", "kind", "folder", "flags"];
pub(crate) const MESSAGE_LOCATION_COLUMNS: [&str; 6] = ["source_path", "source_offset", "source_length", "source_kind", "folder", "maildir_flags"];

/// Locations as the six columns named by `names` (one of the two lists above).
pub(crate) fn location_columns<'a>(locs: impl Iterator<Item = &'a Location> + Clone, names: [&str; 6]) -> Vec<Column> {
    vec![
        strs(names[0], locs.clone().map(|r| Some(r.path.as_str()))),
        u64s(names[1], locs.clone().map(|r| Some(r.offset))),
        u64s(names[2], locs.clone().map(|r| Some(r.length))),
        strs(names[3], locs.clone().map(|r| Some(r.kind.as_str()))),
        strs(names[4], locs.clone().map(|r| Some(r.folder.as_str()))),
        strs(names[5], locs.map(|r| Some(r.flags.as_str()))),
    ]
}

/// The locations held in a frame's six columns named by `names`.
pub(crate) fn read_locations(df: &DataFrame, table: &str, names: [&str; 6]) -> Result<Vec<Location>> {
    let (p, o, l) = (str_col(df, table, names[0])?, u64_col(df, table, names[1])?, u64_col(df, table, names[2])?);
    let (k, fo, fl) = (str_col(df, table, names[3])?, str_col(df, table, names[4])?, str_col(df, table, names[5])?);
    let text = |c: &StringChunked, i: usize| c.get(i).unwrap_or_default().to_string();
    Ok((0..df.height())
        .map(|i| Location {
            path: text(&p, i),
            offset: o.get(i).unwrap_or(0),
            length: l.get(i).unwrap_or(0),
            kind: k.get(i).and_then(SourceKind::parse).unwrap_or_default(),
            folder: text(&fo, i),
            flags: text(&fl, i),
        })
        .collect())
}

/// Locations as a DataFrame with the [`LOCATIONS`](super::tables::LOCATIONS) columns.
pub(crate) fn locations_frame(rs: &[Location], keys: &[String]) -> PolarsResult<DataFrame> {
    let mut cols = vec![strs("msg_key", keys.iter().map(|k| Some(k.as_str())))];
    cols.extend(location_columns(rs.iter(), LOCATION_COLUMNS));
    DataFrame::new(rs.len(), cols)
}

/// Attachments as a DataFrame with the [`ATTACHMENTS`](super::tables::ATTACHMENTS) columns.
pub(crate) fn attachments_frame(rs: &[AttachmentRecord]) -> PolarsResult<DataFrame> {
    let cols = vec![
        strs("msg_key", rs.iter().map(|r| Some(r.msg_key.as_str()))),
        strs("part_path", rs.iter().map(|r| Some(r.part_path.as_str()))),
        strs("filename", rs.iter().map(|r| r.filename.as_deref())),
        strs("declared_type", rs.iter().map(|r| Some(r.declared_type.as_str()))),
        strs("sniffed_type", rs.iter().map(|r| r.sniffed_type.as_deref())),
        strs("disposition", rs.iter().map(|r| r.disposition.as_deref())),
        u64s("decoded_size", rs.iter().map(|r| Some(r.decoded_size))),
        strs("sha256", rs.iter().map(|r| Some(r.sha256.as_str()))),
        bools("in_nested_message", rs.iter().map(|r| r.in_nested_message)),
    ];
    DataFrame::new(rs.len(), cols)
}

fn strs<'a>(name: &str, it: impl Iterator<Item = Option<&'a str>>) -> Column {
    StringChunked::from_iter_options(name.into(), it).into_series().into_column()
}

fn u64s(name: &str, it: impl Iterator<Item = Option<u64>>) -> Column {
    UInt64Chunked::from_iter_options(name.into(), it).into_series().into_column()
}

fn owned_strs(name: &str, it: impl Iterator<Item = Option<String>>) -> Column {
    StringChunked::from_iter_options(name.into(), it).into_series().into_column()
}

fn i64s(name: &str, it: impl Iterator<Item = Option<i64>>) -> Column {
    Int64Chunked::from_iter_options(name.into(), it).into_series().into_column()
}

fn u32s(name: &str, it: impl Iterator<Item = u32>) -> Column {
    UInt32Chunked::from_iter_values(name.into(), it).into_series().into_column()
}

fn bools(name: &str, it: impl Iterator<Item = bool>) -> Column {
    BooleanChunked::from_iter_values(name.into(), it).into_series().into_column()
}

fn timestamps(name: &str, it: impl Iterator<Item = Option<i64>>) -> Column {
    Int64Chunked::from_iter_options(name.into(), it)
        .into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
        .into_series()
        .into_column()
}

fn lists<'a>(name: &str, it: impl ExactSizeIterator<Item = &'a Vec<String>>) -> Column {
    let mut b = ListStringChunkedBuilder::new(name.into(), it.len(), it.len() * 2);
    for v in it {
        b.append_values_iter(v.iter().map(String::as_str));
    }
    b.finish().into_series().into_column()
}

/// A batch of message records as a DataFrame with the [`MESSAGES`](super::tables::MESSAGES) columns,
/// in the spec's order.
pub(crate) fn messages_frame(rs: &[MessageRecord]) -> PolarsResult<DataFrame> {
    let mut cols = vec![
        strs("msg_key", rs.iter().map(|r| Some(r.msg_key.as_str()))),
        strs("message_id", rs.iter().map(|r| r.message_id.as_deref())),
    ];
    cols.extend(location_columns(rs.iter().map(|r| &r.location), MESSAGE_LOCATION_COLUMNS));
    cols.extend(header_columns(rs));
    cols.extend(content_columns(rs));
    cols.extend(route_columns(rs));
    cols.extend(auth_and_forgery_columns(rs));
    DataFrame::new(rs.len(), cols)
}

/// Date, addresses, subject, ids and thread.
fn header_columns(rs: &[MessageRecord]) -> Vec<Column> {
    vec![
        timestamps("date", rs.iter().map(|r| r.date)),
        strs("from_addr", rs.iter().map(|r| r.from_addr.as_deref())),
        strs("from_name", rs.iter().map(|r| r.from_name.as_deref())),
        strs("from_domain", rs.iter().map(|r| r.from_domain.as_deref())),
        strs("sender_addr", rs.iter().map(|r| r.sender_addr.as_deref())),
        lists("reply_to", rs.iter().map(|r| &r.reply_to)),
        strs("return_path", rs.iter().map(|r| r.return_path.as_deref())),
        lists("to_addrs", rs.iter().map(|r| &r.to_addrs)),
        lists("cc_addrs", rs.iter().map(|r| &r.cc_addrs)),
        lists("bcc_addrs", rs.iter().map(|r| &r.bcc_addrs)),
        strs("subject", rs.iter().map(|r| r.subject.as_deref())),
        lists("in_reply_to", rs.iter().map(|r| &r.in_reply_to)),
        lists("references", rs.iter().map(|r| &r.references)),
        strs("thread_id", rs.iter().map(|r| Some(r.thread_id.as_str()))),
        // Until the threads step places it (the end of the same ingest).
        strs("parent_key", rs.iter().map(|_| None)),
        u32s("depth", rs.iter().map(|_| 0)),
    ]
}

/// Sizes, the MIME summary, the label and parse warnings.
fn content_columns(rs: &[MessageRecord]) -> Vec<Column> {
    vec![
        u64s("body_chars", rs.iter().map(|r| Some(r.mime.body_chars))),
        u64s("size", rs.iter().map(|r| Some(r.size))),
        u64s("header_size", rs.iter().map(|r| Some(r.header_size))),
        u32s("attachment_count", rs.iter().map(|r| r.mime.attachment_count)),
        lists("attachment_names", rs.iter().map(|r| &r.mime.attachment_names)),
        lists("mime_types", rs.iter().map(|r| &r.mime.mime_types)),
        u32s("part_count", rs.iter().map(|r| r.mime.part_count)),
        u32s("nested_message_count", rs.iter().map(|r| r.mime.nested_message_count)),
        u64s("text_bytes", rs.iter().map(|r| Some(r.mime.text_bytes))),
        u64s("html_bytes", rs.iter().map(|r| Some(r.mime.html_bytes))),
        lists("charsets", rs.iter().map(|r| &r.mime.charsets)),
        bools("smime_signed", rs.iter().map(|r| r.mime.smime_signed)),
        bools("smime_encrypted", rs.iter().map(|r| r.mime.smime_encrypted)),
        bools("pgp_signed", rs.iter().map(|r| r.mime.pgp_signed)),
        bools("pgp_encrypted", rs.iter().map(|r| r.mime.pgp_encrypted)),
        bools("has_tnef", rs.iter().map(|r| r.mime.has_tnef)),
        strs("label", rs.iter().map(|r| Some(r.label.as_str()))),
        owned_strs("label_source", rs.iter().map(|r| Some(r.label_source.to_column().into_owned()))),
        lists("tags", rs.iter().map(|r| &r.tags)),
        strs("gmail_thread_id", rs.iter().map(|r| r.gmail_thread_id.as_deref())),
        bools("parse_ok", rs.iter().map(|r| r.parse_ok)),
        lists("warnings", rs.iter().map(|r| &r.warnings)),
    ]
}

/// The origin, hop counts, timing and anomaly flags.
fn route_columns(rs: &[MessageRecord]) -> Vec<Column> {
    vec![
        strs("receiver", rs.iter().map(|r| r.route.receiver.as_deref())),
        strs("receiver_gateway", rs.iter().map(|r| r.route.receiver_gateway.as_deref())),
        strs("origin_kind", rs.iter().map(|r| Some(r.route.origin_kind.as_str()))),
        owned_strs("origin_ip", rs.iter().map(|r| r.route.origin_ip.map(|i| i.to_string()))),
        strs("origin_rdns", rs.iter().map(|r| r.route.origin_rdns.as_deref())),
        strs("origin_helo", rs.iter().map(|r| r.route.origin_helo.as_deref())),
        strs("origin_net", rs.iter().map(|r| r.route.origin_net.as_deref())),
        strs("origin_rdns_org", rs.iter().map(|r| r.route.origin_rdns_org.as_deref())),
        opt_u32s("origin_asn", rs.iter().map(|r| r.route.origin_asn)),
        strs("origin_as_org", rs.iter().map(|r| r.route.origin_as_org.as_deref())),
        strs("origin_country", rs.iter().map(|r| r.route.origin_country.as_deref())),
        u32s("hop_count", rs.iter().map(|r| r.route.hop_count)),
        u32s("unparsed_hop_count", rs.iter().map(|r| r.route.unparsed_hop_count)),
        i64s("transit_seconds", rs.iter().map(|r| r.route.transit_seconds)),
        i64s("date_hop_skew_seconds", rs.iter().map(|r| r.route.date_hop_skew_seconds)),
        bools("hops_time_reversed", rs.iter().map(|r| r.route.anomalies.hops_time_reversed)),
        bools("date_far_from_hops", rs.iter().map(|r| r.route.anomalies.date_far_from_hops)),
        bools("origin_helo_is_ip_literal", rs.iter().map(|r| r.route.anomalies.origin_helo_is_ip_literal)),
        bools("origin_helo_rdns_mismatch", rs.iter().map(|r| r.route.anomalies.origin_helo_rdns_mismatch)),
        bools("origin_rdns_missing", rs.iter().map(|r| r.route.anomalies.origin_rdns_missing)),
        bools("origin_rdns_dynamic", rs.iter().map(|r| r.route.anomalies.origin_rdns_dynamic)),
        bools("private_after_public", rs.iter().map(|r| r.route.anomalies.private_after_public)),
        bools("origin_helo_forged_provider", rs.iter().map(|r| r.route.anomalies.origin_helo_forged_provider)),
    ]
}

/// Verdicts, alignment, forgery signs and score.
fn auth_and_forgery_columns(rs: &[MessageRecord]) -> Vec<Column> {
    vec![
        strs("spf_result", rs.iter().map(|r| r.auth.spf_result.as_deref())),
        strs("dkim_result", rs.iter().map(|r| r.auth.dkim_result.as_deref())),
        strs("dmarc_result", rs.iter().map(|r| r.auth.dmarc_result.as_deref())),
        strs("arc_result", rs.iter().map(|r| r.auth.arc_result.as_deref())),
        strs("from_org_domain", rs.iter().map(|r| r.auth.from_org_domain.as_deref())),
        strs("spf_domain", rs.iter().map(|r| r.auth.spf_domain.as_deref())),
        bools("spf_aligned_relaxed", rs.iter().map(|r| r.auth.spf_aligned_relaxed)),
        bools("spf_aligned_strict", rs.iter().map(|r| r.auth.spf_aligned_strict)),
        bools("dkim_aligned_relaxed", rs.iter().map(|r| r.auth.dkim_aligned_relaxed)),
        bools("dkim_aligned_strict", rs.iter().map(|r| r.auth.dkim_aligned_strict)),
        strs("dmarc_computed", rs.iter().map(|r| Some(r.auth.dmarc_computed.as_str()))),
        u32s("dkim_signature_count", rs.iter().map(|r| r.auth.dkim_signature_count)),
        bools("dkim_body_hash_mismatch", rs.iter().map(|r| r.auth.dkim_body_hash_mismatch)),
        u32s("auth_results_trusted", rs.iter().map(|r| r.auth.auth_results_trusted)),
        u32s("auth_results_untrusted", rs.iter().map(|r| r.auth.auth_results_untrusted)),
        bools("from_return_path_mismatch", rs.iter().map(|r| r.forgery.signs.from_return_path_mismatch)),
        bools("reply_to_mismatch", rs.iter().map(|r| r.forgery.signs.reply_to_mismatch)),
        bools("display_name_spoof", rs.iter().map(|r| r.forgery.signs.display_name_spoof)),
        bools("message_id_domain_mismatch", rs.iter().map(|r| r.forgery.signs.message_id_domain_mismatch)),
        bools("spf_fail", rs.iter().map(|r| r.forgery.signs.spf_fail)),
        bools("dkim_fail", rs.iter().map(|r| r.forgery.signs.dkim_fail)),
        bools("dmarc_fail", rs.iter().map(|r| r.forgery.signs.dmarc_fail)),
        bools("spf_unaligned", rs.iter().map(|r| r.forgery.signs.spf_unaligned)),
        bools("dkim_unaligned", rs.iter().map(|r| r.forgery.signs.dkim_unaligned)),
        bools("received_anomaly", rs.iter().map(|r| r.forgery.signs.received_anomaly)),
        bools("compauth_fail", rs.iter().map(|r| r.forgery.signs.compauth_fail)),
        bools("link_anchor_mismatch", rs.iter().map(|r| r.forgery.signs.link_anchor_mismatch)),
        bools("link_ip_host", rs.iter().map(|r| r.forgery.signs.link_ip_host)),
        bools("link_punycode", rs.iter().map(|r| r.forgery.signs.link_punycode)),
        lists("forgery_signs", rs.iter().map(|r| &r.forgery.forgery_signs)),
        u32s("forgery_score", rs.iter().map(|r| r.forgery.forgery_score)),
    ]
}

fn opt_u32s(name: &str, it: impl Iterator<Item = Option<u32>>) -> Column {
    UInt32Chunked::from_iter_options(name.into(), it).into_series().into_column()
}

fn opt_bools(name: &str, it: impl Iterator<Item = Option<bool>>) -> Column {
    BooleanChunked::from_iter_options(name.into(), it).into_series().into_column()
}

/// Authentication results as a DataFrame with the [`AUTH_RESULTS`](super::tables::AUTH_RESULTS) columns.
pub(crate) fn auth_frame(rs: &[AuthResultRecord]) -> PolarsResult<DataFrame> {
    let cols = vec![
        strs("msg_key", rs.iter().map(|r| Some(r.msg_key.as_str()))),
        strs("header_kind", rs.iter().map(|r| Some(r.header_kind.as_str()))),
        u32s("header_index", rs.iter().map(|r| r.header_index)),
        opt_u32s("arc_instance", rs.iter().map(|r| r.arc_instance)),
        bools("trusted", rs.iter().map(|r| r.trusted)),
        strs("authserv_id", rs.iter().map(|r| r.authserv_id.as_deref())),
        strs("method", rs.iter().map(|r| Some(r.method.as_str()))),
        strs("method_version", rs.iter().map(|r| r.method_version.as_deref())),
        strs("result", rs.iter().map(|r| Some(r.result.as_str()))),
        strs("reason", rs.iter().map(|r| r.reason.as_deref())),
        strs("comment", rs.iter().map(|r| r.comment.as_deref())),
        lists("properties", rs.iter().map(|r| &r.properties)),
        strs("smtp_mailfrom", rs.iter().map(|r| r.smtp_mailfrom.as_deref())),
        strs("smtp_helo", rs.iter().map(|r| r.smtp_helo.as_deref())),
        strs("header_from", rs.iter().map(|r| r.header_from.as_deref())),
        strs("header_d", rs.iter().map(|r| r.header_d.as_deref())),
        strs("header_i", rs.iter().map(|r| r.header_i.as_deref())),
        strs("header_s", rs.iter().map(|r| r.header_s.as_deref())),
        lists("unparsed", rs.iter().map(|r| &r.unparsed)),
    ];
    DataFrame::new(rs.len(), cols)
}

/// DKIM signatures as a DataFrame with the [`DKIM_SIGNATURES`](super::tables::DKIM_SIGNATURES) columns.
pub(crate) fn dkim_frame(rs: &[DkimSignatureRecord]) -> PolarsResult<DataFrame> {
    let cols = vec![
        strs("msg_key", rs.iter().map(|r| Some(r.msg_key.as_str()))),
        u32s("sig_index", rs.iter().map(|r| r.sig_index)),
        strs("v", rs.iter().map(|r| r.v.as_deref())),
        strs("a", rs.iter().map(|r| r.a.as_deref())),
        strs("c_header", rs.iter().map(|r| Some(r.c_header.as_str()))),
        strs("c_body", rs.iter().map(|r| Some(r.c_body.as_str()))),
        strs("d", rs.iter().map(|r| r.d.as_deref())),
        strs("s", rs.iter().map(|r| r.s.as_deref())),
        strs("i", rs.iter().map(|r| r.i.as_deref())),
        u64s("l", rs.iter().map(|r| r.l)),
        i64s("t", rs.iter().map(|r| r.t)),
        i64s("x", rs.iter().map(|r| r.x)),
        lists("h", rs.iter().map(|r| &r.h)),
        strs("bh", rs.iter().map(|r| r.bh.as_deref())),
        strs("b", rs.iter().map(|r| r.b.as_deref())),
        strs("body_hash_computed", rs.iter().map(|r| r.body_hash_computed.as_deref())),
        opt_bools("body_hash_ok", rs.iter().map(|r| r.body_hash_ok)),
        opt_bools("signature_ok", rs.iter().map(|r| r.signature_ok)),
        bools("aligned_relaxed", rs.iter().map(|r| r.aligned_relaxed)),
        bools("aligned_strict", rs.iter().map(|r| r.aligned_strict)),
        lists("problems", rs.iter().map(|r| &r.problems)),
    ];
    DataFrame::new(rs.len(), cols)
}

/// The hops of a batch of messages as a DataFrame with the [`RECEIVED_HOPS`](super::tables::RECEIVED_HOPS) columns.
pub(crate) fn hops_frame(rs: &[HopRecord]) -> PolarsResult<DataFrame> {
    let cols = vec![
        strs("msg_key", rs.iter().map(|r| Some(r.msg_key.as_str()))),
        u32s("hop_index", rs.iter().map(|r| r.hop_index)),
        strs("raw", rs.iter().map(|r| Some(r.raw.as_str()))),
        bools("parsed", rs.iter().map(|r| r.parsed)),
        strs("helo", rs.iter().map(|r| r.helo.as_deref())),
        strs("rdns", rs.iter().map(|r| r.rdns.as_deref())),
        strs("ip", rs.iter().map(|r| r.ip.as_deref())),
        strs("ip_class", rs.iter().map(|r| r.ip_class.as_deref())),
        strs("by_host", rs.iter().map(|r| r.by_host.as_deref())),
        strs("via", rs.iter().map(|r| r.via.as_deref())),
        strs("protocol", rs.iter().map(|r| r.protocol.as_deref())),
        strs("tls_version", rs.iter().map(|r| r.tls_version.as_deref())),
        strs("tls_cipher", rs.iter().map(|r| r.tls_cipher.as_deref())),
        bools("authenticated", rs.iter().map(|r| r.authenticated)),
        strs("queue_id", rs.iter().map(|r| r.queue_id.as_deref())),
        strs("envelope_for", rs.iter().map(|r| r.envelope_for.as_deref())),
        strs("envelope_from", rs.iter().map(|r| r.envelope_from.as_deref())),
        strs("ident", rs.iter().map(|r| r.ident.as_deref())),
        timestamps("timestamp", rs.iter().map(|r| r.timestamp)),
        i64s("delay_seconds", rs.iter().map(|r| r.delay_seconds)),
        bools("trusted", rs.iter().map(|r| r.trusted)),
        bools("is_origin", rs.iter().map(|r| r.is_origin)),
        bools("helo_is_ip_literal", rs.iter().map(|r| r.helo_is_ip_literal)),
        bools("helo_rdns_mismatch", rs.iter().map(|r| r.helo_rdns_mismatch)),
        bools("rdns_missing", rs.iter().map(|r| r.rdns_missing)),
        bools("rdns_dynamic", rs.iter().map(|r| r.rdns_dynamic)),
        bools("time_reversed", rs.iter().map(|r| r.time_reversed)),
        opt_u32s("asn", rs.iter().map(|r| r.asn)),
        strs("as_org", rs.iter().map(|r| r.as_org.as_deref())),
        strs("country", rs.iter().map(|r| r.country.as_deref())),
    ];
    DataFrame::new(rs.len(), cols)
}

/// DMARC report rows as DataFrames with the `dmarc_*` columns.
pub(crate) fn dmarc_frames(d: &crate::model::DmarcRows) -> PolarsResult<[DataFrame; 6]> {
    let r = &d.reports;
    let reports = DataFrame::new(r.len(), vec![
        strs("report_key", r.iter().map(|x| Some(x.report_key.as_str()))),
        strs("msg_key", r.iter().map(|x| x.msg_key.as_deref())),
        strs("source", r.iter().map(|x| Some(x.source.as_str()))),
        strs("part_path", r.iter().map(|x| x.part_path.as_deref())),
        strs("org_name", r.iter().map(|x| x.org_name.as_deref())),
        strs("org_email", r.iter().map(|x| x.org_email.as_deref())),
        strs("report_id", r.iter().map(|x| x.report_id.as_deref())),
        timestamps("begin", r.iter().map(|x| x.begin)),
        timestamps("end", r.iter().map(|x| x.end)),
        lists("errors", r.iter().map(|x| &x.errors)),
        strs("generator", r.iter().map(|x| x.generator.as_deref())),
        strs("version", r.iter().map(|x| x.version.as_deref())),
        strs("domain", r.iter().map(|x| x.domain.as_deref())),
        strs("adkim", r.iter().map(|x| x.adkim.as_deref())),
        strs("aspf", r.iter().map(|x| x.aspf.as_deref())),
        strs("p", r.iter().map(|x| x.p.as_deref())),
        strs("sp", r.iter().map(|x| x.sp.as_deref())),
        strs("pct", r.iter().map(|x| x.pct.as_deref())),
        strs("fo", r.iter().map(|x| x.fo.as_deref())),
        strs("np", r.iter().map(|x| x.np.as_deref())),
        strs("testing", r.iter().map(|x| x.testing.as_deref())),
        strs("discovery_method", r.iter().map(|x| x.discovery_method.as_deref())),
        u32s("record_count", r.iter().map(|x| x.record_count)),
        u64s("message_count", r.iter().map(|x| Some(x.message_count))),
    ])?;
    let c = &d.records;
    let records = DataFrame::new(c.len(), vec![
        strs("report_key", c.iter().map(|x| Some(x.report_key.as_str()))),
        u32s("index", c.iter().map(|x| x.index)),
        strs("source_ip", c.iter().map(|x| x.source_ip.as_deref())),
        strs("source_net", c.iter().map(|x| x.source_net.as_deref())),
        u64s("count", c.iter().map(|x| Some(x.count))),
        strs("disposition", c.iter().map(|x| x.disposition.as_deref())),
        strs("dkim", c.iter().map(|x| x.dkim.as_deref())),
        strs("spf", c.iter().map(|x| x.spf.as_deref())),
        lists("override_reasons", c.iter().map(|x| &x.override_reasons)),
        strs("header_from", c.iter().map(|x| x.header_from.as_deref())),
        strs("envelope_from", c.iter().map(|x| x.envelope_from.as_deref())),
        strs("envelope_to", c.iter().map(|x| x.envelope_to.as_deref())),
        opt_u32s("asn", c.iter().map(|x| x.asn)),
        strs("as_org", c.iter().map(|x| x.as_org.as_deref())),
        strs("country", c.iter().map(|x| x.country.as_deref())),
    ])?;
    let a = &d.auth;
    let auth = DataFrame::new(a.len(), vec![
        strs("report_key", a.iter().map(|x| Some(x.report_key.as_str()))),
        u32s("record_index", a.iter().map(|x| x.record_index)),
        strs("method", a.iter().map(|x| Some(x.method.as_str()))),
        strs("domain", a.iter().map(|x| x.domain.as_deref())),
        strs("selector", a.iter().map(|x| x.selector.as_deref())),
        strs("scope", a.iter().map(|x| x.scope.as_deref())),
        strs("result", a.iter().map(|x| x.result.as_deref())),
    ])?;
    let [tls, failures] = tls_frames(d)?;
    Ok([reports, records, auth, tls, failures, failures_frame(&d.failures)?])
}

/// SMTP TLS report rows: policies and failure details.
fn tls_frames(d: &crate::model::DmarcRows) -> PolarsResult<[DataFrame; 2]> {
    let t = &d.tls_policies;
    let tls = DataFrame::new(t.len(), vec![
        strs("report_key", t.iter().map(|x| Some(x.report_key.as_str()))),
        u32s("policy_index", t.iter().map(|x| x.policy_index)),
        strs("msg_key", t.iter().map(|x| x.msg_key.as_deref())),
        strs("source", t.iter().map(|x| Some(x.source.as_str()))),
        strs("org_name", t.iter().map(|x| x.org_name.as_deref())),
        strs("report_id", t.iter().map(|x| x.report_id.as_deref())),
        strs("contact", t.iter().map(|x| x.contact.as_deref())),
        timestamps("begin", t.iter().map(|x| x.begin)),
        timestamps("end", t.iter().map(|x| x.end)),
        strs("policy_type", t.iter().map(|x| x.policy_type.as_deref())),
        strs("policy_domain", t.iter().map(|x| x.policy_domain.as_deref())),
        lists("policy_strings", t.iter().map(|x| &x.policy_strings)),
        lists("mx_hosts", t.iter().map(|x| &x.mx_hosts)),
        u64s("successful_sessions", t.iter().map(|x| Some(x.successful_sessions))),
        u64s("failed_sessions", t.iter().map(|x| Some(x.failed_sessions))),
    ])?;
    let f = &d.tls_failures;
    let failures = DataFrame::new(f.len(), vec![
        strs("report_key", f.iter().map(|x| Some(x.report_key.as_str()))),
        u32s("policy_index", f.iter().map(|x| x.policy_index)),
        strs("result_type", f.iter().map(|x| x.result_type.as_deref())),
        strs("sending_mta_ip", f.iter().map(|x| x.sending_mta_ip.as_deref())),
        strs("receiving_mx_hostname", f.iter().map(|x| x.receiving_mx_hostname.as_deref())),
        strs("receiving_mx_helo", f.iter().map(|x| x.receiving_mx_helo.as_deref())),
        strs("receiving_ip", f.iter().map(|x| x.receiving_ip.as_deref())),
        u64s("failed_sessions", f.iter().map(|x| Some(x.failed_sessions))),
        strs("additional_information", f.iter().map(|x| x.additional_information.as_deref())),
        strs("failure_reason_code", f.iter().map(|x| x.failure_reason_code.as_deref())),
    ])?;
    Ok([tls, failures])
}

/// DMARC failure report rows.
fn failures_frame(x: &[crate::model::DmarcFailureRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(x.len(), vec![
        strs("msg_key", x.iter().map(|r| r.msg_key.as_deref())),
        strs("part_path", x.iter().map(|r| r.part_path.as_deref())),
        strs("feedback_type", x.iter().map(|r| r.feedback_type.as_deref())),
        strs("user_agent", x.iter().map(|r| r.user_agent.as_deref())),
        strs("version", x.iter().map(|r| r.version.as_deref())),
        strs("original_envelope_id", x.iter().map(|r| r.original_envelope_id.as_deref())),
        strs("original_mail_from", x.iter().map(|r| r.original_mail_from.as_deref())),
        strs("original_rcpt_to", x.iter().map(|r| r.original_rcpt_to.as_deref())),
        timestamps("arrival_date", x.iter().map(|r| r.arrival_date)),
        strs("source_ip", x.iter().map(|r| r.source_ip.as_deref())),
        strs("reported_domain", x.iter().map(|r| r.reported_domain.as_deref())),
        strs("authentication_results", x.iter().map(|r| r.authentication_results.as_deref())),
        strs("auth_failure", x.iter().map(|r| r.auth_failure.as_deref())),
        strs("delivery_result", x.iter().map(|r| r.delivery_result.as_deref())),
        strs("dkim_domain", x.iter().map(|r| r.dkim_domain.as_deref())),
        strs("dkim_selector", x.iter().map(|r| r.dkim_selector.as_deref())),
        strs("identity_alignment", x.iter().map(|r| r.identity_alignment.as_deref())),
        strs("sample_key", x.iter().map(|r| r.sample_key.as_deref())),
        strs("sample_from", x.iter().map(|r| r.sample_from.as_deref())),
        strs("sample_subject", x.iter().map(|r| r.sample_subject.as_deref())),
        strs("sample_origin_ip", x.iter().map(|r| r.sample_origin_ip.as_deref())),
        strs("sample_spf", x.iter().map(|r| r.sample_spf.as_deref())),
        strs("sample_dkim", x.iter().map(|r| r.sample_dkim.as_deref())),
        strs("sample_dmarc_computed", x.iter().map(|r| r.sample_dmarc_computed.as_deref())),
        opt_u32s("sample_forgery_score", x.iter().map(|r| r.sample_forgery_score)),
    ])
}

/// Links as a DataFrame with the [`URLS`](super::tables::URLS) columns.
pub(crate) fn urls_frame(rs: &[UrlRecord]) -> PolarsResult<DataFrame> {
    let cols = vec![
        strs("msg_key", rs.iter().map(|r| Some(r.msg_key.as_str()))),
        strs("part_path", rs.iter().map(|r| Some(r.part_path.as_str()))),
        bools("in_nested_message", rs.iter().map(|r| r.in_nested_message)),
        strs("url", rs.iter().map(|r| Some(r.url.as_str()))),
        strs("scheme", rs.iter().map(|r| r.scheme.as_deref())),
        strs("host", rs.iter().map(|r| r.host.as_deref())),
        strs("registrable_domain", rs.iter().map(|r| r.registrable_domain.as_deref())),
        strs("source", rs.iter().map(|r| Some(r.source.as_str()))),
        strs("anchor_text", rs.iter().map(|r| r.anchor_text.as_deref())),
        strs("anchor_domain", rs.iter().map(|r| r.anchor_domain.as_deref())),
        bools("anchor_mismatch", rs.iter().map(|r| r.anchor_mismatch)),
        bools("host_is_ip", rs.iter().map(|r| r.host_is_ip)),
        strs("host_unicode", rs.iter().map(|r| r.host_unicode.as_deref())),
        strs("punycode", rs.iter().map(|r| r.punycode.as_deref())),
        strs("redirect_target", rs.iter().map(|r| r.redirect_target.as_deref())),
        bools("shortener", rs.iter().map(|r| r.shortener)),
    ];
    DataFrame::new(rs.len(), cols)
}

/// Header fields as a DataFrame with the [`HEADERS`](super::tables::HEADERS) columns.
pub(crate) fn headers_frame(rs: &[HeaderRecord]) -> PolarsResult<DataFrame> {
    let cols = vec![
        strs("msg_key", rs.iter().map(|r| Some(r.msg_key.as_str()))),
        u32s("index", rs.iter().map(|r| r.index)),
        strs("name", rs.iter().map(|r| Some(r.name.as_str()))),
        strs("value", rs.iter().map(|r| Some(r.value.as_str()))),
        strs("raw", rs.iter().map(|r| r.raw.as_deref())),
    ];
    DataFrame::new(rs.len(), cols)
}

/// Threads as a DataFrame with the [`THREADS`](super::tables::THREADS) columns.
pub(crate) fn threads_frame(rs: &[crate::model::ThreadRow]) -> PolarsResult<DataFrame> {
    let participants: Vec<Vec<String>> = rs.iter().map(|r| r.participants.clone()).collect();
    let cols = vec![
        strs("thread_id", rs.iter().map(|r| Some(r.thread_id.as_str()))),
        strs("root_message_id", rs.iter().map(|r| r.root_message_id.as_deref())),
        strs("root_key", rs.iter().map(|r| r.root_key.as_deref())),
        bools("root_is_ghost", rs.iter().map(|r| r.root_is_ghost)),
        strs("subject", rs.iter().map(|r| r.subject.as_deref())),
        timestamps("first_date", rs.iter().map(|r| r.first_date)),
        timestamps("last_date", rs.iter().map(|r| r.last_date)),
        u32s("messages", rs.iter().map(|r| r.messages)),
        u32s("participant_count", rs.iter().map(|r| r.participants.len() as u32)),
        lists("participants", participants.iter()),
        u32s("depth", rs.iter().map(|r| r.depth)),
        u32s("roots", rs.iter().map(|r| r.roots)),
    ];
    DataFrame::new(rs.len(), cols)
}

/// `ip_info` rows as a DataFrame with the [`IP_INFO`](super::tables::IP_INFO) columns.
pub(crate) fn ip_info_frame(rs: &[IpInfoRecord]) -> PolarsResult<DataFrame> {
    let cols = vec![
        strs("ip", rs.iter().map(|r| Some(r.ip.as_str()))),
        strs("database_type", rs.iter().map(|r| Some(r.database_type.as_str()))),
        u64s("build_epoch", rs.iter().map(|r| Some(r.build_epoch))),
        opt_u32s("asn", rs.iter().map(|r| r.asn)),
        strs("as_org", rs.iter().map(|r| r.as_org.as_deref())),
        strs("country", rs.iter().map(|r| r.country.as_deref())),
        strs("city", rs.iter().map(|r| r.city.as_deref())),
    ];
    DataFrame::new(rs.len(), cols)
}

/// A batch of error records as a DataFrame with the [`ERRORS`](super::tables::ERRORS) columns.
pub(crate) fn errors_frame(rs: &[ErrorRecord]) -> PolarsResult<DataFrame> {
    let cols = vec![
        strs("source_path", rs.iter().map(|r| Some(r.source_path.as_str()))),
        u64s("source_offset", rs.iter().map(|r| r.source_offset)),
        strs("error_kind", rs.iter().map(|r| Some(r.error_kind.as_str()))),
        strs("reason", rs.iter().map(|r| Some(r.reason.as_str()))),
        strs("msg_key", rs.iter().map(|r| r.msg_key.as_deref())),
    ];
    DataFrame::new(rs.len(), cols)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tables::*;

    fn assert_matches_spec(df: &DataFrame, spec: &TableSpec) {
        let names: Vec<&str> = df.get_column_names().iter().map(|s| s.as_str()).collect();
        let want: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
        assert_eq!(names, want, "{}", spec.table);
        for (c, s) in df.columns().iter().zip(spec.columns) {
            assert_eq!(c.dtype(), &s.col_type.polars_dtype(), "{}.{}", spec.table, s.name);
        }
    }

    #[test]
    fn frames_follow_their_specs() {
        let m = MessageRecord { msg_key: "k".into(), date: Some(1), reply_to: vec!["a@b".into()], ..Default::default() };
        assert_matches_spec(&messages_frame(&[m.clone(), m]).unwrap(), &MESSAGES);
        assert_matches_spec(&messages_frame(&[]).unwrap(), &MESSAGES);
        let h = HopRecord { msg_key: "k".into(), delay_seconds: Some(-3), timestamp: Some(5), ..Default::default() };
        assert_matches_spec(&hops_frame(&[h]).unwrap(), &RECEIVED_HOPS);
        assert_matches_spec(&hops_frame(&[]).unwrap(), &RECEIVED_HOPS);
        let a = AuthResultRecord { arc_instance: Some(1), ..Default::default() };
        assert_matches_spec(&auth_frame(&[a]).unwrap(), &AUTH_RESULTS);
        assert_matches_spec(&auth_frame(&[]).unwrap(), &AUTH_RESULTS);
        let d = DkimSignatureRecord { l: Some(5), t: Some(1), body_hash_ok: Some(true), ..Default::default() };
        assert_matches_spec(&dkim_frame(&[d]).unwrap(), &DKIM_SIGNATURES);
        assert_matches_spec(&dkim_frame(&[]).unwrap(), &DKIM_SIGNATURES);
        assert_matches_spec(&attachments_frame(&[AttachmentRecord::default()]).unwrap(), &ATTACHMENTS);
        assert_matches_spec(&attachments_frame(&[]).unwrap(), &ATTACHMENTS);
        let e = ErrorRecord {
            source_path: "p".into(),
            source_offset: None,
            error_kind: crate::model::ErrorKind::Io,
            reason: "r".into(),
            msg_key: None,
        };
        assert_matches_spec(&errors_frame(&[e]).unwrap(), &ERRORS);
    }
}
