//! spam / ham / unknown for every message, and where that came from. In
//! order of precedence: the user (`ingest --label`), the folder the message
//! sits in (Spam, Junk, Junk E-mail, 迷惑メール, … and ham folders, matched
//! case-insensitively against each level of the folder path; configurable),
//! then the verdict a filter left in the headers (X-Spam-Flag,
//! X-Spam-Status, X-Spam-Score against a threshold, Microsoft's SCL in
//! X-MS-Exchange-Organization-SCL, X-Forefront-Antispam-Report or
//! X-Microsoft-Antispam).
//!
//! Filter headers are the receiving side's word only when the receiving
//! side wrote them; a spammer can write `X-Spam-Flag: NO`. Only headers
//! above the origin hop are read (the same trust line as
//! Authentication-Results, see [`crate::analyze::hops`]).

use crate::model::MessageRecord;

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
        }
    }
}

/// Case-insensitive glob with `*` as the only wildcard.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.to_lowercase().chars().collect(), text.to_lowercase().chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
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
    p[pi..].iter().all(|&c| c == '*')
}

/// Sets `label` and `label_source`. `user` is `--label` (spam or ham).
pub fn annotate(rec: &mut MessageRecord, rules: &LabelRules, user: Option<&str>) {
    let (label, source) = if let Some(l) = user {
        (l.to_string(), "user".to_string())
    } else if let Some(l) = from_folder(&rec.folder, rules) {
        (l.to_string(), "folder".to_string())
    } else if let Some((l, h)) = from_headers(&receivers_filter_headers(rec), rules) {
        (l.to_string(), format!("header:{h}"))
    } else {
        ("unknown".to_string(), "none".to_string())
    };
    rec.label = label;
    rec.label_source = source;
}

/// Filter headers written above the origin hop's Received header (with no
/// origin, above the lowest Received; with no Received at all, every one:
/// nothing was added in transit).
fn receivers_filter_headers(rec: &MessageRecord) -> Vec<(String, String)> {
    let origin = rec.hops.iter().position(|h| h.is_origin);
    let limit = match origin {
        Some(i) => rec.received_positions.get(i),
        None => rec.received_positions.last(),
    }
    .copied()
    .unwrap_or(u32::MAX);
    rec.filter_headers.iter().filter(|(pos, _, _)| *pos < limit).map(|(_, n, v)| (n.clone(), v.clone())).collect()
}

/// The deepest level of the folder path that a rule names.
fn from_folder(folder: &str, rules: &LabelRules) -> Option<&'static str> {
    let levels = folder.split(['/', '\\']).flat_map(|l| l.split('.')).map(str::trim).filter(|l| !l.is_empty());
    for level in levels.collect::<Vec<_>>().into_iter().rev() {
        if rules.spam_folders.iter().any(|p| glob_match(p, level)) {
            return Some("spam");
        }
        if rules.ham_folders.iter().any(|p| glob_match(p, level)) {
            return Some("ham");
        }
    }
    None
}

/// The first filter verdict found, in the order the headers were read.
fn from_headers(headers: &[(String, String)], rules: &LabelRules) -> Option<(&'static str, String)> {
    let yes_no = |v: &str| {
        let v = v.trim_start().to_ascii_lowercase();
        if v.starts_with("yes") {
            Some("spam")
        } else if v.starts_with("no") {
            Some("ham")
        } else {
            None
        }
    };
    let scl = |n: i32| if n >= rules.scl_threshold { "spam" } else { "ham" };
    for (name, value) in headers {
        let verdict = match name.as_str() {
            "x-spam-flag" | "x-spam-status" => yes_no(value),
            "x-spam-score" => value.trim().split_whitespace().next().and_then(|s| s.parse::<f64>().ok()).map(|s| {
                if s >= rules.spam_score_threshold { "spam" } else { "ham" }
            }),
            "x-ms-exchange-organization-scl" => value.trim().parse::<i32>().ok().map(scl),
            "x-forefront-antispam-report" | "x-microsoft-antispam" => scl_field(value).map(scl),
            _ => None,
        };
        if let Some(v) = verdict {
            return Some((v, name.clone()));
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

    fn label(folder: &str, headers: &[(&str, &str)]) -> (String, String) {
        let mut rec = MessageRecord { folder: folder.into(), ..Default::default() };
        rec.filter_headers = headers.iter().map(|(a, b)| (0, a.to_string(), b.to_string())).collect();
        annotate(&mut rec, &LabelRules::default(), None);
        (rec.label, rec.label_source)
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
        let mut rec = MessageRecord { folder: "Spam".into(), ..Default::default() };
        annotate(&mut rec, &LabelRules::default(), Some("ham"));
        assert_eq!((rec.label.as_str(), rec.label_source.as_str()), ("ham", "user"));
    }

    #[test]
    fn filter_headers_below_the_origin_are_the_senders_word() {
        use crate::model::HopRecord;
        let mut rec = MessageRecord { folder: "Inbox".into(), ..Default::default() };
        rec.hops = vec![HopRecord { is_origin: true, ..Default::default() }];
        rec.received_positions = vec![3];
        rec.filter_headers = vec![(5, "x-spam-flag".into(), "NO".into())];
        annotate(&mut rec, &LabelRules::default(), None);
        assert_eq!(rec.label, "unknown");
        rec.filter_headers = vec![(1, "x-spam-flag".into(), "YES".into())];
        annotate(&mut rec, &LabelRules::default(), None);
        assert_eq!(rec.label, "spam");
    }

    #[test]
    fn globs() {
        assert!(glob_match("junk*", "Junk E-mail"));
        assert!(glob_match("*_ham_*", "easy_ham_2"));
        assert!(!glob_match("spam", "spamassassin"));
    }
}
