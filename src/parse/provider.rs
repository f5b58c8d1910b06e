//! What a provider's export records about a message in its headers: Google
//! Takeout's `X-Gmail-Labels` (Inbox, Spam, Trash, Important, Sent and the
//! user's own labels) and `X-GM-THRID` (Gmail's thread id), and the
//! `X-Folder` that Outlook/Exchange export converters (readpst-style,
//! the Enron corpus) write.
//!
//! Takeout writes its two headers as the first fields of every message; a
//! sender can write them too, further down. Only an `X-Gmail-Labels` or
//! `X-GM-THRID` in the run of such fields the message starts with (at most
//! [`EXPORT_HEADER_SLOTS`]) is the export's word. An `X-Folder` counts only
//! above every Received field (a sender's is below the receiver's).

use mail_parser::Message;


/// How many leading header fields an export's own headers may occupy.
pub(crate) const EXPORT_HEADER_SLOTS: usize = 3;

/// The export headers of one message (passed from parse to analysis in
/// [`super::TraceHeaders`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ProviderTags {
    /// Takeout's X-Gmail-Labels, split; None when there is none.
    pub gmail_labels: Option<Vec<String>>,
    /// Takeout's X-GM-THRID.
    pub gmail_thread_id: Option<String>,
    /// An export's X-Folder.
    pub folder: Option<String>,
}

impl ProviderTags {
    /// Every label the export gives: Gmail's, then the X-Folder.
    pub(crate) fn tags(&self) -> Vec<String> {
        let mut t = self.gmail_labels.clone().unwrap_or_default();
        t.extend(self.folder.clone());
        t
    }
}

/// Reads the export headers of a message.
pub(super) fn read(m: &Message<'_>) -> ProviderTags {
    let mut out = ProviderTags::default();
    let raw = m.raw_message();
    let mut lead = true;
    let mut received_seen = false;
    for (pos, h) in m.root_part().headers.iter().enumerate() {
        let name = h.name();
        let takeout = name.eq_ignore_ascii_case("x-gmail-labels") || name.eq_ignore_ascii_case("x-gm-thrid");
        lead &= takeout && pos < EXPORT_HEADER_SLOTS;
        received_seen |= name.eq_ignore_ascii_case("received");
        let value = || super::trace::unfolded_value(raw, h);
        if lead && name.eq_ignore_ascii_case("x-gmail-labels") && out.gmail_labels.is_none() {
            out.gmail_labels = Some(split_labels(&value()));
        } else if lead && name.eq_ignore_ascii_case("x-gm-thrid") && out.gmail_thread_id.is_none() {
            out.gmail_thread_id = Some(value()).filter(|v| !v.is_empty() && v.len() <= 32 && v.bytes().all(|b| b.is_ascii_alphanumeric()));
        } else if name.eq_ignore_ascii_case("x-folder") && out.folder.is_none() && !received_seen {
            out.folder = Some(value()).filter(|v| !v.is_empty());
        }
    }
    out
}

/// `Inbox,"Work, 2024",Category Updates` → its labels: comma-separated, a
/// label holding a comma quoted, `\"` inside quotes; RFC 2047 words decoded.
pub(crate) fn split_labels(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut cur, mut quoted, mut escaped) = (String::new(), false, false);
    let mut flush = |cur: &mut String| {
        let t = super::rfc2047::decode_unstructured(cur.trim().as_bytes(), None).0;
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
        cur.clear();
    };
    for c in v.chars() {
        match c {
            _ if escaped => {
                cur.push(c);
                escaped = false;
            }
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => flush(&mut cur),
            _ => cur.push(c),
        }
    }
    flush(&mut cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(split_labels("Inbox,Important,Opened,Category Personal"), ["Inbox", "Important", "Opened", "Category Personal"]);
        assert_eq!(split_labels("\"Work, 2024\",Spam, Inbox ,,"), ["Work, 2024", "Spam", "Inbox"]);
        assert_eq!(split_labels("=?UTF-8?B?5Lqk5rWB?=,Sent"), ["交流", "Sent"]);
    }

    #[test]
    fn only_the_leading_fields_are_the_exports() {
        let m = |s: &str| read(&mail_parser::MessageParser::default().parse(s.as_bytes()).unwrap());
        let t = m("X-GM-THRID: 1791234567890123456\r\nX-Gmail-Labels: Spam,Opened\r\nFrom: a@b.example\r\nSubject: x\r\n\r\nhi\r\n");
        assert_eq!(t.gmail_labels.as_deref(), Some(&["Spam".to_string(), "Opened".to_string()][..]));
        assert_eq!(t.gmail_thread_id.as_deref(), Some("1791234567890123456"));
        let forged = m("From: a@b.example\r\nSubject: x\r\nTo: c@d.example\r\nX-Gmail-Labels: Inbox\r\n\r\nhi\r\n");
        assert_eq!(forged.gmail_labels, None);
        let below_received = m("X-Spam-Flag: YES\r\nReceived: from a by b; Mon, 4 Mar 2024 10:00:00 +0000\r\nX-Gmail-Labels: Inbox\r\nX-Folder: Inbox\r\n\r\nhi\r\n");
        assert_eq!((below_received.gmail_labels, below_received.folder), (None, None));
        let outlook = m("From: a@b.example\r\nX-Folder: \\\\Mailbox\\\\Junk E-mail\r\n\r\nhi\r\n");
        assert_eq!(outlook.folder.as_deref(), Some("\\\\Mailbox\\\\Junk E-mail"));
    }
}
