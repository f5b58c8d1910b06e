//! Every header field of a message, in order, for the `headers` table
//! (which `header:NAME:WORD` searches, by [`header_terms`]): the name lowercased, the value
//! unfolded and RFC 2047 decoded, and the raw value where decoding changed
//! it. A message may carry any number of fields; the first
//! `Limits::max_header_fields` are kept and the rest counted in a warning.

use mail_parser::Message;

use super::rfc2047::decode_unstructured;
use crate::model::HeaderRecord;

/// Longest value kept per field, in bytes (a longer one is cut, with a
/// warning): one hostile field cannot fill the table.
pub(crate) const MAX_HEADER_VALUE: usize = 64 * 1024;

/// The header fields of `m`, top first.
pub(super) fn read(m: &Message<'_>, key: &str, max_fields: usize, warnings: &mut Vec<String>) -> Vec<HeaderRecord> {
    let fields = split_fields(m.raw_message());
    let mut out = Vec::with_capacity(fields.len().min(max_fields));
    let mut cut = 0;
    for (i, (name, bytes)) in fields.iter().enumerate().take(max_fields) {
        let bytes = if bytes.len() > MAX_HEADER_VALUE {
            cut += 1;
            &bytes[..MAX_HEADER_VALUE]
        } else {
            bytes
        };
        let unfolded = unfold(bytes);
        // Most fields are plain ASCII with no encoded word: nothing to decode.
        let (value, raw) = if bytes.is_ascii() && memchr::memmem::find(bytes, b"=?").is_none() {
            (unfolded, None)
        } else {
            let value = decode_unstructured(bytes, None).0.trim().to_string();
            let raw = (unfolded != value).then_some(unfolded);
            (value, raw)
        };
        let name = super::lossy(name);
        out.push(HeaderRecord { msg_key: key.to_string(), index: i as u32, name: name.trim_end().to_ascii_lowercase(), raw, value });
    }
    if fields.len() > max_fields {
        warnings.push(format!("{} header fields beyond the first {max_fields} not kept (limit max_header_fields)", fields.len() - max_fields));
    }
    if cut > 0 {
        warnings.push(format!("{cut} header values longer than {MAX_HEADER_VALUE} bytes cut"));
    }
    out
}

/// A field's value with its line ends taken out and its ends trimmed,
/// read as UTF-8 (anything else replaced).
fn unfold(bytes: &[u8]) -> String {
    let text = super::lossy(bytes);
    let mut out = String::with_capacity(text.len());
    for piece in text.split(['\r', '\n']) {
        out.push_str(piece);
    }
    let end = out.trim_end().len();
    out.truncate(end);
    let start = out.len() - out.trim_start().len();
    out.drain(..start);
    out
}

/// Splits the header section into (name, value bytes) fields, as RFC 5322
/// §2.2 and Python's email package read it: a field starts with a line
/// `NAME:` (NAME printable ASCII other than `:`, blanks allowed before the
/// colon), a line starting with a
/// space or tab continues it, and the section ends at the first empty line
/// or the first line that is neither. A leading mbox `From ` line and a
/// `From ` line inside the section are envelope lines, not fields; a UTF-8
/// byte-order mark before the first field is passed over.
pub(crate) fn split_fields(raw: &[u8]) -> Vec<(&[u8], &[u8])> {
    let raw = raw.strip_prefix(b"\xef\xbb\xbf").unwrap_or(raw);
    let mut out: Vec<(&[u8], std::ops::Range<usize>)> = Vec::new();
    let mut pos = 0;
    let mut first = true;
    while pos < raw.len() {
        let end = memchr::memchr(b'\n', &raw[pos..]).map_or(raw.len(), |i| pos + i + 1);
        let line = &raw[pos..end];
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.is_empty() {
            break;
        }
        if text.starts_with(b"From ") {
            // The envelope line of an mbox (or one misplaced among the fields).
            first = false;
            pos = end;
            continue;
        }
        if text[0] == b' ' || text[0] == b'\t' {
            if let Some(last) = out.last_mut() {
                last.1.end = end;
                pos = end;
                continue;
            }
            if !first {
                break;
            }
        }
        let colon = text.iter().position(|&b| b == b':');
        match colon {
            // RFC 5322's obsolete syntax allows blanks before the colon,
            // none inside the name.
            Some(c) if !text[..c].trim_ascii_end().is_empty() && text[..c].trim_ascii_end().iter().all(|&b| (0x21..=0x7e).contains(&b)) => {
                out.push((&text[..c], pos + c + 1..end));
            }
            _ => break,
        }
        first = false;
        pos = end;
    }
    out.into_iter().map(|(n, r)| (n, &raw[r])).collect()
}

/// Fields whose values are signatures, hashes or opaque tokens: only their
/// presence is indexed (their text is in the `headers` table).
const OPAQUE: &[&str] = &[
    "dkim-signature", "arc-seal", "arc-message-signature", "x-google-dkim-signature", "x-gm-message-state", "x-google-smtp-source",
    "x-received", "x-ms-exchange-crosstenant-network-message-id", "x-microsoft-antispam-message-info", "x-ms-exchange-antispam-messagedata-0",
    "x-ms-exchange-antispam-messagedata-chunkcount", "x-forefront-antispam-report-untrusted", "x-microsoft-antispam-untrusted",
    "x-microsoft-antispam-message-info-original", "x-ms-exchange-organization-network-message-id", "x-message-info", "x-message-delivery",
    // Indexed in fields of their own (search's `header:NAME:` sends these
    // there) or ids and dates, better searched by `id:`, `date:`, `thread:`.
    "subject", "from", "to", "cc", "date", "message-id", "references", "in-reply-to",
];

/// Appends the terms of one header field to `out`, each followed by
/// a space: `name:` (the field is there) and `name:word` for each word of
/// its value (lowercase, split at anything that is not a letter or digit),
/// at most 64 words, none longer than 40 bytes (longer ones are ids and
/// hashes) and none only digits; only `name:` for the [`OPAQUE`] fields.
/// Search's `header:NAME:WORD` compares the query's terms with those of
/// the `headers` table's values (`read/search/headers.rs`).
pub fn header_terms(name: &str, value: &str, out: &mut String) {
    let start = out.len();
    for c in name.chars().filter(|c| !c.is_whitespace()) {
        out.extend(c.to_lowercase());
    }
    out.push(':');
    let prefix = out[start..].to_string();
    out.push(' ');
    if OPAQUE.contains(&prefix.trim_end_matches(':')) {
        return;
    }
    // Numbers (times, dates, ports, octets) are most of a Received line's
    // words and no one looks for them alone.
    let words = value.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty() && w.len() <= 40 && !w.bytes().all(|b| b.is_ascii_digit()));
    for w in words.take(64) {
        out.push_str(&prefix);
        out.extend(w.chars().flat_map(char::to_lowercase));
        out.push(' ');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_in_order_decoded() {
        assert_eq!(
            split_fields(b"From a@b Mon\nDate: Wed, 24 Jul 2002 12:55:18 UT\nX-X: a\n b\nSubject: s\n\nX-Not: body\n").iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            [&b"Date"[..], b"X-X", b"Subject"],
            "mail-parser's date parser swallows the field after a `UT` zone; this does not"
        );
        assert_eq!(split_fields(b"Subject: a\nnot a header\nX-After: b\n\n").len(), 1);
        assert_eq!(split_fields(b"Subject : a\nQuite Delivered-To: b\n\n").len(), 1);
        let m = mail_parser::MessageParser::default()
            .parse(&b"X-Mailer: PHPMailer 6.1.4\r\nSubject: =?UTF-8?B?w6l0w6k=?= time\r\nX-Empty:\r\nReceived: from a\r\n by b; Mon, 4 Mar 2024 10:00:00 +0000\r\n\r\nbody\r\n"[..])
            .unwrap();
        let mut w = Vec::new();
        let rows = read(&m, "k", 10_000, &mut w);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["x-mailer", "subject", "x-empty", "received"]);
        assert_eq!((rows[1].value.as_str(), rows[1].raw.as_deref()), ("été time", Some("=?UTF-8?B?w6l0w6k=?= time")));
        assert_eq!((rows[0].value.as_str(), rows[0].raw.as_deref()), ("PHPMailer 6.1.4", None));
        assert_eq!(rows[3].value, "from a by b; Mon, 4 Mar 2024 10:00:00 +0000");
        assert!(w.is_empty());
        let rows = read(&m, "k", 2, &mut w);
        assert_eq!(rows.len(), 2);
        assert!(w[0].contains("2 header fields beyond the first 2"), "{w:?}");
        let mut t = String::new();
        header_terms("X-Mailer", "PHPMailer 6.1.4", &mut t);
        header_terms("DKIM-Signature", "v=1; a=rsa-sha256", &mut t);
        assert_eq!(t, "x-mailer: x-mailer:phpmailer dkim-signature: ");
    }
}
