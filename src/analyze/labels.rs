//! spam / ham / unknown for every message, and where that came from. In
//! order of precedence: the user (`ingest --label`), the folder the message
//! sits in (Spam, Junk, Junk E-mail, 迷惑メール, … and ham folders, matched
//! case-insensitively against each level of the folder path; configurable),
//! the provider's export (Takeout's X-Gmail-Labels: Spam, or a label given
//! with `--spam-tag`, is spam, any other message Gmail exported is ham; an
//! export's X-Folder naming a spam folder is spam), then the verdict a
//! filter left in the headers (X-Spam-Flag,
//! X-Spam-Status, X-Spam-Score against a threshold, Microsoft's SCL in
//! X-MS-Exchange-Organization-SCL, X-Forefront-Antispam-Report or
//! X-Microsoft-Antispam).
//!
//! Filter headers are the receiving side's word only when the receiving
//! side wrote them; a spammer can write `X-Spam-Flag: NO`. Only headers
//! above the origin hop are read (the same trust line as
//! Authentication-Results, see [`crate::analyze::hops`]), and those the
//! receiver's profile names as its own wherever they stand: Exchange strips
//! `X-MS-Exchange-Organization-*` from incoming mail and writes its SCL
//! there, below the Received lines.

use crate::analyze::receivers::Profile;
use crate::parse::TraceHeaders;
use crate::model::{Label, LabelSource, MessageRecord};

/// Folder and header rules; `Default` holds the usual folder names.
#[derive(Debug, Clone)]
pub struct LabelRules {
    /// Glob patterns (`*` only, case-insensitive) for spam folders.
    pub spam_folders: Vec<String>,
    /// Glob patterns for ham folders.
    pub ham_folders: Vec<String>,
    /// X-Spam-Score at or above this is spam (SpamAssassin's default 5.0).
    pub spam_score_threshold: f64,
    /// Microsoft SCL at or above this is spam (Exchange's default 5).
    pub scl_threshold: i32,
    /// Provider labels (Takeout's X-Gmail-Labels) that mean spam, any case:
    /// Spam, and what `--spam-tag` adds (Trash, say).
    pub spam_tags: Vec<String>,
}

impl Default for LabelRules {
    fn default() -> Self {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        LabelRules {
            spam_folders: v(&[
                "spam", "spam_*", "spam-*", "*-spam", "*_spam", "junk", "junk*", "junk e-mail", "junk email", "bulk", "bulk mail",
                "迷惑メール*", "垃圾邮件", "스팸*", "courrier indésirable", "pourriel", "unerwünscht",
            ]),
            ham_folders: v(&["ham", "ham_*", "*_ham", "*_ham_*", "not spam", "notspam", "nonspam"]),
            spam_score_threshold: 5.0,
            scl_threshold: 5,
            spam_tags: vec!["Spam".into()],
        }
    }
}

/// Case-insensitive glob with `*` as the only wildcard.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        // Without allocating: receiver profiles match host and header names
        // for every hop and header, and lowercased copies made this 17% of
        // an ingest's allocations (callgrind).
        return glob(pattern.as_bytes(), text.as_bytes(), |c| c == b'*', |a, b| a.eq_ignore_ascii_case(&b));
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.to_lowercase().chars().collect(), text.to_lowercase().chars().collect());
    glob(&p, &t, |c| c == '*', |a, b| a == b)
}

fn glob<T: Copy>(p: &[T], t: &[T], is_star: impl Fn(T) -> bool, eq: impl Fn(T, T) -> bool) -> bool {
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && !is_star(p[pi]) && eq(p[pi], t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && is_star(p[pi]) {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| is_star(c))
}

/// Sets `label` and `label_source`. `user` is `--label` (spam or ham).
/// `receiver` is the receiving side's profile.
pub(crate) fn annotate(rec: &mut MessageRecord, trace: &TraceHeaders, rules: &LabelRules, user: Option<Label>, receiver: Option<&Profile>) {
    let (label, source) = if let Some(l) = user {
        (l, LabelSource::User)
    } else if let Some(l) = from_folder(&rec.location.folder, rules) {
        (l, LabelSource::Folder)
    } else if let Some((l, h)) = from_export(&trace.provider, rules) {
        (l, LabelSource::Header(h))
    } else if let Some((l, h)) = from_headers(&receivers_filter_headers(rec, trace, receiver), rules) {
        (l, LabelSource::Header(h))
    } else {
        (Label::Unknown, LabelSource::None)
    };
    rec.label = label;
    rec.label_source = source;
}

/// Filter headers written above the origin hop's Received header (with no
/// origin, above the lowest Received; with no Received at all, every one:
/// nothing was added in transit), and those the receiver's profile names as
/// its own wherever they stand.
fn receivers_filter_headers<'a>(rec: &MessageRecord, trace: &'a TraceHeaders, receiver: Option<&Profile>) -> Vec<(&'static str, &'a str)> {
    let origin = rec.hops.iter().position(|h| h.is_origin);
    let limit = match origin {
        Some(i) => trace.received_positions.get(i),
        None => trace.received_positions.last(),
    }
    .copied()
    .unwrap_or(u32::MAX);
    let own = |name: &str| receiver.is_some_and(|p| p.trusts_header(name));
    trace.filter_headers.iter().filter(|(pos, name, _)| *pos < limit || own(name)).map(|(_, n, v)| (*n, v.as_str())).collect()
}

/// What a provider's export says: any Takeout label in `spam_tags` is spam,
/// other exported Gmail mail ham (Gmail's filter and its user let it
/// through); an X-Folder that is a spam folder is spam.
fn from_export(p: &crate::parse::provider::ProviderTags, rules: &LabelRules) -> Option<(Label, &'static str)> {
    if let Some(labels) = &p.gmail_labels {
        let spam = labels.iter().any(|l| rules.spam_tags.iter().any(|t| t.eq_ignore_ascii_case(l)));
        return Some((if spam { Label::Spam } else { Label::Ham }, "x-gmail-labels"));
    }
    let folder = p.folder.as_deref()?;
    (from_folder(folder, rules) == Some(Label::Spam)).then_some((Label::Spam, "x-folder"))
}

/// The label a folder gives (the deepest level of its path a rule names).
pub(crate) fn folder_label(folder: &str, rules: &LabelRules) -> Option<Label> {
    from_folder(folder, rules)
}

/// The deepest level of the folder path that a rule names.
fn from_folder(folder: &str, rules: &LabelRules) -> Option<Label> {
    let levels = folder.split(['/', '\\']).flat_map(|l| l.split('.')).map(str::trim).filter(|l| !l.is_empty());
    for level in levels.collect::<Vec<_>>().into_iter().rev() {
        if rules.spam_folders.iter().any(|p| glob_match(p, level)) {
            return Some(Label::Spam);
        }
        if rules.ham_folders.iter().any(|p| glob_match(p, level)) {
            return Some(Label::Ham);
        }
    }
    None
}

/// The first filter verdict found, in the order the headers were read.
fn from_headers(headers: &[(&'static str, &str)], rules: &LabelRules) -> Option<(Label, &'static str)> {
    let yes_no = |v: &str| {
        let v = v.trim_start().to_ascii_lowercase();
        if v.starts_with("yes") {
            Some(Label::Spam)
        } else if v.starts_with("no") {
            Some(Label::Ham)
        } else {
            None
        }
    };
    let scl = |n: i32| if n >= rules.scl_threshold { Label::Spam } else { Label::Ham };
    for &(name, value) in headers {
        let verdict = match name {
            "x-spam-flag" | "x-spam-status" => yes_no(value),
            "x-spam-score" => value.trim().split_whitespace().next().and_then(|s| s.parse::<f64>().ok()).map(|s| {
                if s >= rules.spam_score_threshold { Label::Spam } else { Label::Ham }
            }),
            "x-ms-exchange-organization-scl" => value.trim().parse::<i32>().ok().map(scl),
            "x-forefront-antispam-report" | "x-microsoft-antispam" => scl_field(value).map(scl),
            _ => None,
        };
        if let Some(v) = verdict {
            return Some((v, name));
        }
    }
    None
}

/// `SCL:5` inside a `;`-separated Microsoft report header.
fn scl_field(v: &str) -> Option<i32> {
    v.split(';').find_map(|kv| {
        let (k, val) = kv.split_once(':')?;
        k.trim().eq_ignore_ascii_case("scl").then(|| val.trim().parse().ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(folder: &str) -> MessageRecord {
        let mut rec = MessageRecord::default();
        rec.location.folder = folder.into();
        rec
    }

    fn label(folder: &str, headers: &[(&'static str, &str)]) -> (String, String) {
        let mut rec = record(folder);
        let trace = TraceHeaders { filter_headers: headers.iter().map(|(a, b)| (0, *a, b.to_string())).collect(), ..Default::default() };
        annotate(&mut rec, &trace, &LabelRules::default(), None, None);
        (rec.label.as_str().to_string(), rec.label_source.to_column().into_owned())
    }

    #[test]
    fn folders() {
        for f in ["spam", "spam_2", "Inbox/.Spam", "INBOX.Junk", "Junk E-mail", "[Gmail]/Spam", "迷惑メール"] {
            assert_eq!(label(f, &[]).0, "spam", "{f}");
        }
        for f in ["easy_ham", "hard_ham", "easy_ham_2", "Ham"] {
            assert_eq!(label(f, &[]).0, "ham", "{f}");
        }
        assert_eq!(label("Inbox", &[]), ("unknown".into(), "none".into()));
        assert_eq!(label("lists/spamassassin-dev", &[]).0, "unknown", "a folder about spam is not spam");
    }

    #[test]
    fn headers() {
        assert_eq!(label("Inbox", &[("x-spam-flag", "YES")]), ("spam".into(), "header:x-spam-flag".into()));
        assert_eq!(label("Inbox", &[("x-spam-status", "No, score=-2.6 required=5.0")]).0, "ham");
        assert_eq!(label("Inbox", &[("x-spam-score", "7.2")]).0, "spam");
        assert_eq!(label("Inbox", &[("x-spam-score", "1.0")]).0, "ham");
        assert_eq!(label("Inbox", &[("x-forefront-antispam-report", "CIP:1.2.3.4;CTRY:US;SCL:5;SRV:;")]).0, "spam");
        assert_eq!(label("Inbox", &[("x-ms-exchange-organization-scl", "1")]).0, "ham");
        // The folder wins over the headers, the user over both.
        assert_eq!(label("Spam", &[("x-spam-flag", "NO")]).0, "spam");
        let mut rec = record("Spam");
        annotate(&mut rec, &TraceHeaders::default(), &LabelRules::default(), Some(Label::Ham), None);
        assert_eq!((rec.label.as_str(), rec.label_source.to_column().as_ref()), ("ham", "user"));
    }

    #[test]
    fn filter_headers_below_the_origin_are_the_senders_word() {
        use crate::model::HopRecord;
        let mut rec = record("Inbox");
        rec.hops = vec![HopRecord { is_origin: true, ..Default::default() }];
        let mut trace = TraceHeaders { received_positions: vec![3], ..Default::default() };
        trace.filter_headers = vec![(5, "x-spam-flag", "NO".into())];
        annotate(&mut rec, &trace, &LabelRules::default(), None, None);
        assert_eq!(rec.label, Label::Unknown);
        trace.filter_headers = vec![(1, "x-spam-flag", "YES".into())];
        annotate(&mut rec, &trace, &LabelRules::default(), None, None);
        assert_eq!(rec.label, Label::Spam);
        // Exchange's own SCL below the Received lines counts when Microsoft
        // 365 received the message, and only then.
        trace.filter_headers = vec![(9, "x-ms-exchange-organization-scl", "7".into())];
        annotate(&mut rec, &trace, &LabelRules::default(), None, None);
        assert_eq!(rec.label, Label::Unknown);
        let m365 = crate::analyze::receivers::named("microsoft365");
        annotate(&mut rec, &trace, &LabelRules::default(), None, m365);
        assert_eq!((rec.label, rec.label_source.to_column().as_ref()), (Label::Spam, "header:x-ms-exchange-organization-scl"));
    }

    #[test]
    fn provider_exports() {
        use crate::parse::provider::ProviderTags;
        let label = |p: ProviderTags, rules: &LabelRules| {
            let mut rec = record("All mail Including Spam and Trash");
            let trace = TraceHeaders { provider: p, ..Default::default() };
            annotate(&mut rec, &trace, rules, None, None);
            (rec.label, rec.label_source.to_column().into_owned())
        };
        let gmail = |l: &[&str]| ProviderTags { gmail_labels: Some(l.iter().map(|s| s.to_string()).collect()), ..Default::default() };
        let rules = LabelRules::default();
        assert_eq!(label(gmail(&["Spam", "Opened"]), &rules), (Label::Spam, "header:x-gmail-labels".into()));
        assert_eq!(label(gmail(&["Inbox", "Important"]), &rules), (Label::Ham, "header:x-gmail-labels".into()));
        assert_eq!(label(gmail(&["Trash"]), &rules).0, Label::Ham);
        let trash = LabelRules { spam_tags: vec!["Spam".into(), "trash".into()], ..LabelRules::default() };
        assert_eq!(label(gmail(&["Trash"]), &trash).0, Label::Spam);
        let folder = |f: &str| ProviderTags { folder: Some(f.into()), ..Default::default() };
        assert_eq!(label(folder("\\Mailbox\\Junk E-mail"), &rules), (Label::Spam, "header:x-folder".into()));
        assert_eq!(label(folder("\\Mailbox\\Inbox"), &rules).0, Label::Unknown);
    }

    #[test]
    fn globs() {
        assert!(glob_match("junk*", "Junk E-mail"));
        assert!(glob_match("*_ham_*", "easy_ham_2"));
        assert!(!glob_match("spam", "spamassassin"));
        assert!(glob_match("MX*.Example.ORG", "mx2.example.org") && !glob_match("mx*.example.org", "mx2.example.org.evil"));
        assert!(glob_match("*Boîte*", "ma BOÎTE de réception") && glob_match("x-*-*", "X-MS-Exchange"));
    }
}
