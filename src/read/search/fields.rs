//! The search fields: the one table that the query rewriter
//! ([`super::query`]), its error messages, `mailidx search --help` and the
//! README's search-syntax table (checked by a test) all come from.

/// How a field's value is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Match {
    /// Words, tokenized as the text is (a quoted value is a phrase).
    Words,
    /// The whole value, any case (MIME type, folder, label, verdicts).
    Exact,
    /// The whole value, lowercased first (keys and thread ids).
    Lowercase,
    /// A Message-ID, angle brackets removed, compared exactly (RFC 5322).
    MessageId,
    /// A date or a range of dates (UTC, end inclusive).
    Date,
    /// An IP address or a CIDR network.
    Network,
    /// A value of a `messages` column, or of `TABLE.COLUMN` (any case), resolved through the
    /// tables into the messages that have it: columns the index does not
    /// hold, so that `stats rebuild` can change them without the archive.
    Column(&'static str),
    /// `NAME:WORDS`: a header field of that name whose value holds the
    /// words (any case); `NAME` alone: the field is there.
    Header,
}

/// A field users may name in a query.
#[derive(Debug)]
pub(crate) struct SearchField {
    /// What users type, the preferred name first; any case.
    pub names: &'static [&'static str],
    /// The index field searched (`crate::store::index::IndexFields`).
    pub index_field: &'static str,
    pub matching: Match,
    /// An example as a user would type it.
    pub example: &'static str,
    /// What it finds.
    pub finds: &'static str,
}

const fn field(names: &'static [&'static str], index_field: &'static str, matching: Match, example: &'static str, finds: &'static str) -> SearchField {
    SearchField { names, index_field, matching, example, finds }
}

use Match::*;

/// Every search field, in the order the help lists them.
pub(crate) const FIELDS: &[SearchField] = &[
    field(&["from"], "from", Words, "from:alice", "a word of the From address or display name"),
    field(&["to"], "to", Words, "to:bob", "a word of a To address, or of a To or Cc recipient's display name (as notmuch)"),
    field(&["cc"], "cc", Words, "cc:carol", "a word of a Cc address"),
    field(&["subject"], "subject", Words, "subject:invoice", "a word of the Subject"),
    field(&["body"], "body", Words, "body:\"garden shed\"", "a word or phrase of the decoded body text"),
    field(&["nested", "forwarded"], "nested", Words, "nested:word", "a word in the From or Subject of an attached message"),
    field(&["attachment", "attachments", "attachment_names"], "attachment_names", Words, "attachment:invoice", "a word of an attachment's file name"),
    field(&["mimetype", "mime", "mime_types"], "mime_types", Exact, "mimetype:application/pdf", "a part of that MIME type"),
    field(&["folder"], "folder", Exact, "folder:Inbox/.Spam", "the exact folder, as ingest names it"),
    field(&["label"], "label", Exact, "label:spam", "spam, ham or unknown"),
    field(&["tag", "tags"], "tags", Exact, "tag:Important", "a label the provider's export gave it (Takeout's X-Gmail-Labels, X-Folder), whole, any case: `tag:\"Category Updates\"`"),
    field(&["id", "message_id", "mid"], "message_id", MessageId, "id:<abc@example.org>", "the message with that Message-ID (exact)"),
    field(&["thread", "thread_id"], "msg_key", Column("thread_id"), "thread:ID", "the messages of one thread (`mailidx thread ID` shows it); `thread:{from:alice subject:plan}`: every message of the threads with a match, as notmuch's subquery"),
    field(&["key", "msg_key"], "msg_key", Lowercase, "key:KEY", "the message with that key"),
    field(&["date"], "date", Date, "date:2024-01-05..2024-02-29", "a UTC date range, end inclusive; also `date:2024`, `date:2024-03`, `date:..2019`, `date:2023..`"),
    field(&["origin", "origin_ip"], "origin_ip", Network, "origin:203.0.113.0/24", "messages whose origin hop is in that network or is that address (IPv4 or IPv6: `origin:2001:db8::/32`, `origin:198.51.100.7`)"),
    field(&["spf", "spf_result"], "spf_result", Exact, "spf:fail", "the receiving side's SPF verdict"),
    field(&["dkim", "dkim_result"], "dkim_result", Exact, "dkim:pass", "the receiving side's DKIM verdict"),
    field(&["dmarc", "dmarc_result"], "dmarc_result", Exact, "dmarc:fail", "the receiving side's DMARC verdict"),
    field(&["arc", "arc_result"], "arc_result", Exact, "arc:pass", "the receiving side's ARC verdict"),
    field(&["header"], "header", Header, "header:x-mailer:phpmailer", "a header field of that name (any case) whose value holds the words: `header:x-mailer:\"php mailer\"`; `header:list-id` where the field is there at all; read from the `headers` table, so slower than the other fields"),
    field(&["url", "link"], "url", Words, "url:\"bit.ly/3xYz\"", "a word or phrase of a link in the body (text or HTML)"),
    field(&["domain", "link_domain"], "domain", Lowercase, "domain:paypal.com", "messages linking to that registrable domain (or IP host), any case"),
    field(&["asn", "origin_asn"], "msg_key", Column("origin_asn"), "asn:15169", "messages whose origin is in that autonomous system (`--geoip`; `asn:AS15169` too)"),
    field(&["country", "origin_country"], "msg_key", Column("origin_country"), "country:gb", "messages whose origin is in that country, ISO 3166 alpha-2, any case (`--geoip`)"),
    field(&["dmarc_report"], "msg_key", Column("dmarc_reports.report_id"), "dmarc_report:949348866075514174", "the message carrying the DMARC aggregate report with that report id"),
    field(&["dmarc_org"], "msg_key", Column("dmarc_reports.org_name"), "dmarc_org:google.com", "messages carrying DMARC aggregate reports from that organisation, any case"),
    field(&["dmarc_computed", "computed"], "dmarc_computed", Exact, "dmarc_computed:fail", "mailidx's recomputed DMARC verdict (pass, fail, none)"),
];

/// What the query language does besides fields.
pub(crate) const SYNTAX: &[(&str, &str)] = &[
    ("invoice shed", "messages with both words (subject, from, to, cc, body, attached messages' From/Subject, attachment names)"),
    ("\"exact phrase\", from:\"alice example org\"", "words in that order"),
    ("a OR b, a AND NOT b, -word, ( … )", "boolean operators (any case: `or`, `not`); AND is the default; a query may be only a negation"),
];

/// The field a prefix names, in any case.
pub(crate) fn field_for(prefix: &str) -> Option<&'static SearchField> {
    FIELDS.iter().find(|f| f.names.iter().any(|n| n.eq_ignore_ascii_case(prefix)))
}

/// The preferred name of every field.
pub(crate) fn names() -> Vec<&'static str> {
    FIELDS.iter().map(|f| f.names[0]).collect()
}

/// The field list for `mailidx search --help`.
pub fn help() -> String {
    let mut out = String::from("Fields (any case; aliases after /):\n");
    for f in FIELDS {
        out.push_str(&format!("  {:<34} {}; e.g. {}\n", f.names.join(" / "), f.finds.replace('`', ""), f.example));
    }
    out.push_str("Syntax:\n");
    for (example, finds) in SYNTAX {
        out.push_str(&format!("  {example:<34} {}\n", finds.replace('`', "")));
    }
    out
}

/// The README's search-syntax table, as markdown.
#[cfg(test)]
fn markdown_table() -> String {
    let code = |s: &str| s.split(", ").map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ");
    let mut out = String::from("| you type | finds |\n|---|---|\n");
    for (example, finds) in SYNTAX {
        out.push_str(&format!("| {} | {finds} |\n", code(example)));
    }
    for f in FIELDS {
        let aliases = f.names[1..].iter().map(|n| format!("`{n}:`")).collect::<Vec<_>>().join(", ");
        let also = if aliases.is_empty() { String::new() } else { format!(" (also {aliases})") };
        out.push_str(&format!("| `{}`{also} | {} |\n", f.example, f.finds));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_in_the_index_and_names_are_unique() {
        let (schema, _) = crate::store::index::IndexFields::schema();
        let mut seen = std::collections::HashSet::new();
        for f in FIELDS {
            assert!(schema.get_field(f.index_field).is_ok(), "{} is not an index field", f.index_field);
            for n in f.names {
                assert!(seen.insert(n.to_ascii_lowercase()), "{n} names two fields");
            }
        }
        assert_eq!(field_for("FROM").map(|f| f.index_field), Some("from"));
        assert_eq!(field_for("computed").map(|f| f.index_field), Some("dmarc_computed"));
        assert!(field_for("nosuch").is_none());
    }

    #[test]
    fn the_readme_table_is_this_table() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
        let start = readme.find("<!-- search-fields:start -->").expect("start marker") + "<!-- search-fields:start -->".len();
        let end = readme.find("<!-- search-fields:end -->").expect("end marker");
        let got = readme[start..end].trim();
        let want = markdown_table();
        if got != want.trim() {
            let out = std::env::temp_dir().join("mailidx-search-fields.md");
            std::fs::write(&out, &want).expect("write the expected table");
            panic!("README's search table differs from read/search/fields.rs; the table the code gives is in {}", out.display());
        }
    }
}
