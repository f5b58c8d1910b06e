//! Second chances for headers mail-parser gets wrong on real mail: it is the
//! primary parser, and these helpers only run when it returned nothing for a
//! header that is present. Seen in the SpamAssassin corpus: a Date with no
//! zone (`Fri, 23 Aug 2002 19:27:52`), with AM/PM or a three-digit year
//! (`0102`), and a malformed Date that swallows the From line after it.

use chrono::{DateTime, Duration, Utc};

/// The first `name:` header of a header section, unfolded (RFC 5322 §2.2.3),
/// as text (invalid UTF-8 replaced). Stops at the blank line ending the
/// header section.
pub(crate) fn raw_header(msg: &[u8], name: &str) -> Option<String> {
    let mut lines = msg.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    while let Some(line) = lines.next() {
        if line.is_empty() {
            return None;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        if !line[..colon].trim_ascii_end().eq_ignore_ascii_case(name.as_bytes()) {
            continue;
        }
        let mut value = line[colon + 1..].to_vec();
        for cont in lines.by_ref() {
            if cont.first().is_some_and(|&b| b == b' ' || b == b'\t') {
                value.extend_from_slice(cont);
            } else {
                break;
            }
        }
        return Some(String::from_utf8_lossy(&value).trim().to_string());
    }
    None
}

/// A Date header value read leniently, in milliseconds since the epoch (UTC),
/// with a note on what had to be assumed. Follows RFC 5322 §4.3 for obsolete
/// forms: two-digit years are 19xx/20xx (chrono's rule: < 50 is 20xx), three-digit
/// years have 1900 added; a missing zone is read as UTC (as Python's email
/// package does), and a trailing AM/PM is honoured.
pub(crate) fn lenient_date(value: &str) -> Option<(i64, Option<&'static str>)> {
    // C's asctime() form, written by some old mailers: `Sat Sep 21 08:18:08 2002`.
    let mut parts: Vec<String> = value.split_whitespace().map(str::to_string).collect();
    if parts.get(2).is_some_and(|d| d.len() == 1) {
        parts[2].insert(0, '0');
    }
    // The weekday is skipped: chrono would reject a wrong one.
    let squeezed = parts.get(1..).unwrap_or_default().join(" ");
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(&squeezed, "%b %d %H:%M:%S %Y") {
        return Some((t.and_utc().timestamp_millis(), Some("Date header in asctime form, read as UTC")));
    }
    let mut text = value.trim().to_string();
    // Drop a trailing comment: `… +0200 (CEST)`.
    if let Some(i) = text.find('(') {
        text.truncate(i);
    }
    let mut words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    // The day of the week is often wrong in forged or buggy mail; chrono
    // would reject the date for it, and it adds nothing.
    if words.first().is_some_and(|w| w.ends_with(',') || w.len() == 3 && w.chars().all(|c| c.is_ascii_alphabetic())) {
        words.remove(0);
    }
    let mut note = None;
    let mut pm = None;
    if let Some(last) = words.last() {
        match last.to_ascii_uppercase().as_str() {
            "AM" => pm = Some(false),
            "PM" => pm = Some(true),
            _ => {}
        }
    }
    if pm.is_some() {
        words.pop();
        note = Some("Date header with AM/PM");
    }
    let has_zone = words.last().is_some_and(|w| {
        w.starts_with('+') || w.starts_with('-') || (w.chars().all(|c| c.is_ascii_alphabetic()) && w.len() <= 5)
    });
    // After the weekday: day, month, year, time (RFC 5322 §3.3).
    if let Some(year) = words.get_mut(2) {
        if let Ok(y) = year.parse::<u32>() {
            let full = match (year.len(), y) {
                (2, y) if y < 50 => 2000 + y,
                (2, y) => 1900 + y,
                // Three-digit (or zero-padded) years: `0102` means 2002.
                (_, 100..=999) => 1900 + y,
                (_, y) => y,
            };
            if full != y || year.len() != 4 {
                note = Some("Date header with an obsolete year (RFC 5322 §4.3)");
            }
            *year = full.to_string();
        }
    }
    if let Some(time) = words.get_mut(3) {
        if time.find(':') == Some(1) {
            time.insert(0, '0');
        }
        // Fractional seconds (SendGrid: `07:53:55.516`).
        if let Some(dot) = time.find('.') {
            time.truncate(dot);
        }
    }
    if !has_zone {
        words.push("+0000".into());
        note = Some("Date header without a zone, read as UTC");
    }
    let joined = words.join(" ");
    let parsed = DateTime::parse_from_rfc2822(&joined).ok()?.with_timezone(&Utc);
    let parsed = match pm {
        Some(true) if parsed.format("%H").to_string().parse::<u32>().ok()? < 12 => parsed + Duration::hours(12),
        Some(false) if parsed.format("%H").to_string() == "12" => parsed - Duration::hours(12),
        _ => parsed,
    };
    Some((parsed.timestamp_millis(), note))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_unfolded_headers() {
        let msg = b"Subject: one\r\n two\r\nFrom: a@b\r\n\r\nFrom: body@x\r\n";
        assert_eq!(raw_header(msg, "subject").as_deref(), Some("one two"));
        assert_eq!(raw_header(msg, "From").as_deref(), Some("a@b"));
        assert_eq!(raw_header(msg, "To"), None);
        assert_eq!(raw_header(b"\r\nFrom: x\r\n", "From"), None);
    }

    #[test]
    fn lenient_dates() {
        let at = |s: &str| lenient_date(s).map(|(ms, _)| DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339());
        let cases = [
            ("Fri, 23 Aug 2002 19:27:52", "2002-08-23T19:27:52+00:00"),
            ("Tue, 22 Aug 0102 12:07:35 +0800", "2002-08-22T04:07:35+00:00"),
            ("27 Jun 01 3:36:25 AM", "2001-06-27T03:36:25+00:00"),
            ("27 Jun 01 3:36:25 PM", "2001-06-27T15:36:25+00:00"),
            ("Mon, 2 Sep 2002 10:00:00 -0400 (EDT)", "2002-09-02T14:00:00+00:00"),
            ("Mon, 2 Sep 2002 10:00:00 EDT", "2002-09-02T14:00:00+00:00"),
            ("Sat Sep 21 08:18:08 2002", "2002-09-21T08:18:08+00:00"),
            ("Sat Sep  1 08:18:08 2002", "2002-09-01T08:18:08+00:00"),
        ];
        for (input, want) in cases {
            assert_eq!(at(input).as_deref(), Some(want), "{input}");
        }
        assert_eq!(at("yesterday"), None);
    }
}
