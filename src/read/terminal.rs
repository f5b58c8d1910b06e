//! What may reach a terminal. Mail is written by attackers: a Subject can
//! hold `ESC ] 52` (write the clipboard), `ESC [ 2J` (clear the screen),
//! `ESC ] 8` (a hidden link), C1 controls that 8-bit terminals obey, or
//! bidirectional overrides that make text read differently from what it is
//! (CVE-2021-42574). Every human-readable output goes through [`inline`]
//! (one value: a table cell, a header line) or [`text`] (a body: keeps its
//! line breaks and tabs), which make such characters visible instead; JSON
//! goes through [`json`], which keeps the exact strings but writes those
//! characters as `\uXXXX` escapes, so that JSON printed to a terminal is
//! harmless too.
//!
//! Shown as: C0 controls and DEL in caret notation (`^[` for ESC, `^?` for
//! DEL, `^I` for a tab inside a value), C1 controls and invisible or
//! direction-changing format characters as `<U+202E>`.

use std::borrow::Cow;
use std::fmt::Write;

/// A character that must not reach a terminal as it is: C0 and C1
/// controls, DEL, bidirectional controls (U+061C, U+200E–U+200F,
/// U+202A–U+202E, U+2066–U+2069) and other invisible format characters
/// (zero-width spaces and joiners, word joiner, invisible operators, BOM,
/// interlinear annotation, soft hyphen, tag characters).
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{ad}' | '\u{61c}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}' | '\u{e0000}'..='\u{e007f}')
}

fn show(c: char, out: &mut String) {
    match c {
        '\u{0}'..='\u{1f}' => {
            out.push('^');
            out.push((c as u8 + b'@') as char);
        }
        '\u{7f}' => out.push_str("^?"),
        _ => {
            let _ = write!(out, "<U+{:04X}>", c as u32);
        }
    }
}

fn escape(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_unsafe(c) && !keep(c) {
            show(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One value on one line: every unsafe character visible, tabs and line
/// breaks included, so a value cannot break a table's layout.
pub fn inline(s: &str) -> Cow<'_, str> {
    escape(s, |_| false)
}

/// Text of several lines (a message body, a report): line breaks and tabs
/// kept, every other unsafe character visible. A CR before a line feed is
/// dropped.
pub fn text(s: &str) -> Cow<'_, str> {
    let s: Cow<'_, str> = if s.contains("\r\n") { Cow::Owned(s.replace("\r\n", "\n")) } else { Cow::Borrowed(s) };
    match escape(&s, |c| c == '\n' || c == '\t') {
        Cow::Borrowed(_) => s,
        Cow::Owned(o) => Cow::Owned(o),
    }
}

/// A value made safe and cut to `width` characters (with `…`), for a table
/// column.
pub fn cell(s: &str, width: usize) -> String {
    let s = inline(s);
    if s.chars().count() <= width {
        s.into_owned()
    } else {
        s.chars().take(width.saturating_sub(1)).chain(['…']).collect()
    }
}

/// JSON text with every unsafe character that serde_json leaves as it is
/// (C1 controls, DEL, bidi and format characters) written as a `\uXXXX`
/// escape: the same JSON value, harmless to print. Line feeds, CRs and tabs
/// are JSON's own white space between tokens (serde_json escapes them inside
/// strings); every other such character can only stand inside a string, so
/// the rewrite never touches the structure.
pub fn json(s: String) -> String {
    let rewrite = |c: char| is_unsafe(c) && !matches!(c, '\n' | '\r' | '\t');
    if !s.chars().any(rewrite) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if rewrite(c) {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_shown_not_obeyed() {
        assert_eq!(inline("a\u{1b}]52;c;ZXZpbA==\u{7}b"), "a^[]52;c;ZXZpbA==^Gb");
        assert_eq!(inline("\u{1b}[2J\u{9b}31m"), "^[[2J<U+009B>31m");
        assert_eq!(inline("invoice\u{202e}fdp.exe"), "invoice<U+202E>fdp.exe");
        assert_eq!(inline("a\tb\nc\u{7f}"), "a^Ib^Jc^?");
        assert_eq!(text("line 1\r\nline\t2\n\u{2067}x"), "line 1\nline\t2\n<U+2067>x");
        assert!(matches!(inline("plain café 会議"), Cow::Borrowed(_)));
        assert_eq!(cell("\u{1b}[31mred", 6), "^[[31…");
    }

    #[test]
    fn json_keeps_the_value() {
        let v = serde_json::json!({"subject": "x\u{1b}]8;;http://e\u{7}\u{202e}\u{9b}\u{e0041}"});
        let safe = json(serde_json::to_string(&v).unwrap());
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&safe).unwrap(), v);
        let pretty = json(serde_json::to_string_pretty(&v).unwrap());
        assert_eq!(serde_json::from_str::<serde_json::Value>(&pretty).unwrap(), v);
    }
}
