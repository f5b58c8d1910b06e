//! Unstructured header values (Subject, Content-Description, display text)
//! decoded as RFC 2047 says, where mail-parser does not: whitespace between
//! adjacent encoded words is dropped (§6.2), adjacent words in one charset
//! are joined before decoding, so a character split across two words
//! survives, and raw 8-bit or ISO-2022-JP bytes outside any encoded word
//! are decoded with a hint (the body's charset) or by detection, with a
//! warning, instead of becoming U+FFFD.

use base64::Engine as _;

use super::charset;

/// The decoded value and, when bytes had to be guessed, a warning.
pub(crate) fn decode_unstructured(raw: &[u8], hint: Option<&str>) -> (String, Option<String>) {
    let unfolded = unfold(raw);
    decode_words(&unfolded, hint)
}

/// Text outside encoded words: UTF-8 as it is; raw 8-bit or ISO-2022-JP
/// bytes through the hint (the body's charset), else by detection.
fn decode_raw(bytes: &[u8], hint: Option<&str>, warning: &mut Option<String>) -> String {
    if !bytes.contains(&0x1b) {
        if let Ok(s) = std::str::from_utf8(bytes) {
            return s.to_string();
        }
    }
    let d = charset::decode_hinted(hint, bytes);
    warning.get_or_insert(format!("raw 8-bit header text read as {}", d.used));
    d.text
}

/// Removes folding: a line break followed by whitespace (RFC 5322 §2.2.3).
fn unfold(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'\r' if raw.get(i + 1) == Some(&b'\n') => i += 1,
            b'\n' => {}
            b => out.push(b),
        }
        i += 1;
    }
    let start = out.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(out.len());
    let end = out.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(start, |e| e + 1);
    out[start..end].to_vec()
}

/// One `=?charset?enc?text?=` word found in a value.
struct Word {
    end: usize,
    charset: String,
    bytes: Vec<u8>,
}

fn parse_word(s: &[u8], start: usize) -> Option<Word> {
    let rest = &s[start + 2..];
    let q1 = memchr::memchr(b'?', rest)?;
    let charset = std::str::from_utf8(&rest[..q1]).ok()?;
    if charset.is_empty() || charset.contains(|c: char| c.is_whitespace() || c == '=') {
        return None;
    }
    // RFC 2231 §5: charset*language.
    let charset = charset.split('*').next().unwrap_or(charset);
    let enc = *rest.get(q1 + 1)?;
    if rest.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let body_start = q1 + 3;
    let body_len = memchr::memmem::find(&rest[body_start..], b"?=")?;
    let body = &rest[body_start..body_start + body_len];
    let bytes = match enc {
        b'B' | b'b' => b64(body)?,
        b'Q' | b'q' => q(body),
        _ => return None,
    };
    Some(Word { end: start + 2 + body_start + body_len + 2, charset: charset.to_string(), bytes })
}

fn b64(s: &[u8]) -> Option<Vec<u8>> {
    let clean: Vec<u8> = s.iter().copied().filter(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/').collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    // A stray final sextet carries no whole byte.
    let usable = clean.len() - usize::from(clean.len() % 4 == 1);
    engine.decode(&clean[..usable]).ok()
}

fn q(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'_' => out.push(b' '),
            b'=' if i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit() => {
                let h = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                out.push(h.unwrap_or(b'?'));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Decodes the encoded words of a value; the text between them goes
/// through [`decode_raw`]. Whitespace between adjacent words is dropped.
fn decode_words(s: &[u8], hint: Option<&str>) -> (String, Option<String>) {
    let mut out = String::with_capacity(s.len());
    let mut warning = None;
    let mut pos = 0;
    // Pending bytes of adjacent words in one charset.
    let mut pending: Option<(String, Vec<u8>)> = None;
    let flush = |pending: &mut Option<(String, Vec<u8>)>, out: &mut String, warning: &mut Option<String>| {
        if let Some((cs, bytes)) = pending.take() {
            let d = charset::decode(Some(&cs), &bytes);
            if let Some(w) = d.warning {
                warning.get_or_insert(format!("encoded word: {w}"));
            }
            out.push_str(&d.text);
        }
    };
    let mut search = 0;
    while let Some(rel) = memchr::memmem::find(&s[search..], b"=?") {
        let start = search + rel;
        let Some(word) = parse_word(s, start) else {
            search = start + 2;
            continue;
        };
        let gap = &s[pos..start];
        let adjacent = pending.is_some() && gap.iter().all(u8::is_ascii_whitespace);
        if !adjacent {
            flush(&mut pending, &mut out, &mut warning);
            out.push_str(&decode_raw(gap, hint, &mut warning));
        }
        match &mut pending {
            Some((cs, bytes)) if cs.eq_ignore_ascii_case(&word.charset) => bytes.extend_from_slice(&word.bytes),
            _ => {
                flush(&mut pending, &mut out, &mut warning);
                pending = Some((word.charset, word.bytes));
            }
        }
        pos = word.end;
        search = word.end;
    }
    flush(&mut pending, &mut out, &mut warning);
    out.push_str(&decode_raw(&s[pos..], hint, &mut warning));
    (out, warning)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(raw: &str) -> String {
        decode_unstructured(raw.as_bytes(), None).0
    }

    #[test]
    fn encoded_words() {
        assert_eq!(d("=?ISO-8859-1?Q?caf=E9?= time"), "café time");
        assert_eq!(d("=?utf-8?b?SGVs?= =?utf-8?b?bG8=?="), "Hello");
        assert_eq!(d("=?utf-8?q?a?=\r\n =?utf-8?q?b?= c =?utf-8?q?d_e?="), "ab c d e");
        // A UTF-8 character split across two words.
        assert_eq!(d("=?UTF-8?B?5Lit?= =?UTF-8?B?5paH?="), "中文");
        assert_eq!(d("=?UTF-8?B?5A==?= =?UTF-8?B?uK0=?="), "中");
        assert_eq!(d("=?ISO-2022-JP?B?GyRCN29MPhsoQg==?="), "件名");
        assert_eq!(d("=?gb2312?B?1tDOxA==?= and =?big5?B?pKSk5Q==?="), "中文 and 中文");
        assert_eq!(d("=?utf-8*en?q?hi?="), "hi");
        assert_eq!(d("no =? words ?= here"), "no =? words ?= here");
        assert_eq!(d("=?bogus?x?abc?="), "=?bogus?x?abc?=");
        // Raw 8-bit inside a word belongs to the word's charset.
        assert_eq!(decode_unstructured(b"=?iso-8859-1?Q?Die_Fr\xf6sche?=", Some("utf-8")).0, "Die Frösche");
    }

    #[test]
    fn raw_bytes_use_the_hint() {
        let (t, w) = decode_unstructured(b"\x1b$B7oL>\x1b(B test", Some("iso-2022-jp"));
        assert_eq!(t, "件名 test");
        assert!(w.is_some());
        let sjis = encoding_rs::SHIFT_JIS.encode("会議のお知らせ").0;
        let (t, _) = decode_unstructured(&sjis, Some("shift_jis"));
        assert_eq!(t, "会議のお知らせ");
    }
}
