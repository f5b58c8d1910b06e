//! Bytes in a declared charset → UTF-8, never failing and never silent.
//!
//! Labels are looked up as the WHATWG Encoding Standard does (encoding_rs),
//! then in mail-parser's wider table (UTF-7, UTF-16 without BOM, odd aliases),
//! then in a few aliases real mail uses that neither knows (`cp932`,
//! `iso-2022-jp-2`, `uft-8`, `x-unknown`). What the label cannot explain is
//! guessed from the bytes (valid UTF-8 first, then chardetng, Mozilla's
//! detector), and Latin-1 (windows-1252) is the last resort, so text is never
//! dropped. Every guess or replacement leaves a warning for the `warnings`
//! column.

use encoding_rs::{Encoding, ISO_2022_JP, SHIFT_JIS, UTF_8, WINDOWS_1252};

/// Text decoded from bytes, the charset actually used, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decoded {
    pub text: String,
    /// Lowercase name of the charset the text was decoded with.
    pub used: String,
    pub warning: Option<String>,
}

/// How a label is to be decoded.
enum Label {
    Encoding(&'static Encoding),
    /// mail-parser knows it (UTF-7, UTF-16 without a BOM, …).
    MailParser(mail_parser::decoders::charsets::DecoderFnc),
    /// ISO-2022-JP-1/-2/-3: JIS X 0208 with extra escape sets.
    Iso2022JpExt,
    /// No usable label (`x-unknown`, `unknown-8bit`, `default`, empty).
    Unknown,
}

fn lookup(label: &str) -> Label {
    let l = label.trim().trim_matches(['"', '\'']).to_ascii_lowercase();
    match l.as_str() {
        "" | "x-unknown" | "unknown-8bit" | "unknown" | "default" | "default_charset" | "x-user-defined" => {
            return Label::Unknown;
        }
        "cp932" | "ms932" | "windows-31j" | "x-sjis" | "sjis" | "shift-jis" | "x-ms-cp932" => return Label::Encoding(SHIFT_JIS),
        "iso-2022-jp-1" | "iso-2022-jp-2" | "iso-2022-jp-3" | "iso-2022-jp-2004" | "csiso2022jp2" => {
            return Label::Iso2022JpExt;
        }
        "uft-8" | "utf8" | "utf_8" | "x-utf-8" => return Label::Encoding(UTF_8),
        "chinesebig5" => return Label::Encoding(encoding_rs::BIG5),
        "gb2312_charset" => return Label::Encoding(encoding_rs::GBK),
        "us-asii" => return Label::Encoding(WINDOWS_1252),
        "unicode-1-1-utf-7" | "x-utf-7" => {
            if let Some(f) = mail_parser::decoders::charsets::map::charset_decoder(b"utf-7") {
                return Label::MailParser(f);
            }
        }
        _ => {}
    }
    // WHATWG maps ISO-2022-KR and HZ to the "replacement" encoding, which
    // throws the text away; mail-parser and detection do better.
    match Encoding::for_label_no_replacement(l.as_bytes()) {
        Some(e) if e != encoding_rs::UTF_16LE && e != encoding_rs::UTF_16BE => Label::Encoding(e),
        _ => match mail_parser::decoders::charsets::map::charset_decoder(l.as_bytes()) {
            Some(f) => Label::MailParser(f),
            None => Label::Unknown,
        },
    }
}

/// Decodes `bytes` declared as `label` (None: no charset parameter).
pub(crate) fn decode(label: Option<&str>, bytes: &[u8]) -> Decoded {
    let ascii = bytes.is_ascii();
    let shown = label.unwrap_or("").trim();
    let l = label.map(lookup).unwrap_or(Label::Unknown);
    match l {
        Label::Encoding(e) if e == UTF_8 => match std::str::from_utf8(bytes) {
            Ok(s) => ok(s.to_string(), "utf-8"),
            Err(_) => guess(bytes, &format!("declared {shown} but not valid UTF-8")),
        },
        // A 7-bit encoding (ISO-2022-JP) with 8-bit bytes is mislabelled
        // Shift_JIS or EUC-JP more often than not.
        Label::Encoding(e) if e == ISO_2022_JP && !ascii => guess(bytes, &format!("declared {shown} but holds 8-bit bytes")),
        // encoding_rs follows WHATWG, which rejects two escape sequences in
        // a row (common where encoded words are joined) and the user-defined
        // rows that Japanese carriers used for emoji.
        Label::Encoding(e) if e == ISO_2022_JP => iso2022jp_ext(bytes, shown),
        // us-ascii (read as windows-1252 by WHATWG) holding UTF-8.
        Label::Encoding(e) if !ascii && is_ascii_label(shown) => match std::str::from_utf8(bytes) {
            Ok(s) => warned(s.to_string(), "utf-8", format!("declared {shown} but holds UTF-8; read as UTF-8")),
            Err(_) => with_encoding(e, bytes, shown),
        },
        Label::Encoding(e) => with_encoding(e, bytes, shown),
        Label::MailParser(f) => {
            let text = f(bytes);
            let bad = text.contains('\u{fffd}');
            Decoded {
                text,
                used: shown.to_ascii_lowercase(),
                warning: bad.then(|| format!("invalid bytes for charset {shown} replaced")),
            }
        }
        Label::Iso2022JpExt => iso2022jp_ext(bytes, shown),

        Label::Unknown if ascii => ok(String::from_utf8_lossy(bytes).into_owned(), "us-ascii"),
        Label::Unknown if label.is_none() => match std::str::from_utf8(bytes) {
            Ok(s) => ok(s.to_string(), "utf-8"),
            Err(_) => guess(bytes, "8-bit text without a charset"),
        },
        Label::Unknown => guess(bytes, &format!("unknown charset {shown:?}")),
    }
}

/// Raw header bytes with no label of their own, read with the body's
/// charset as a hint; when the hint does not fit the bytes, by detection.
pub(crate) fn decode_hinted(hint: Option<&str>, bytes: &[u8]) -> Decoded {
    let d = decode(hint, bytes);
    if d.warning.is_some() && hint.is_some() { decode(None, bytes) } else { d }
}

fn is_ascii_label(l: &str) -> bool {
    matches!(l.to_ascii_lowercase().as_str(), "us-ascii" | "ascii" | "ansi_x3.4-1968" | "us-asii" | "iso646-us")
}

fn ok(text: String, used: &str) -> Decoded {
    Decoded { text, used: used.into(), warning: None }
}

fn warned(text: String, used: &str, w: String) -> Decoded {
    Decoded { text, used: used.into(), warning: Some(w) }
}

fn with_encoding(e: &'static Encoding, bytes: &[u8], shown: &str) -> Decoded {
    let (text, had_errors) = e.decode_without_bom_handling(bytes);
    let used = e.name().to_ascii_lowercase();
    if had_errors {
        let n = text.matches('\u{fffd}').count();
        warned(text.into_owned(), &used, format!("{n} invalid byte sequence(s) for charset {shown} replaced"))
    } else {
        ok(text.into_owned(), &used)
    }
}

/// The label could not be trusted: valid UTF-8 wins, then ISO-2022-JP
/// escapes, then chardetng's guess when it decodes cleanly, then Latin-1.
fn guess(bytes: &[u8], why: &str) -> Decoded {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return warned(s.to_string(), "utf-8", format!("{why}; read as UTF-8"));
    }
    if bytes.is_ascii() && memchr::memmem::find(bytes, b"\x1b$").is_some() {
        let (text, bad) = ISO_2022_JP.decode_without_bom_handling(bytes);
        if !bad {
            return warned(text.into_owned(), "iso-2022-jp", format!("{why}; detected iso-2022-jp"));
        }
    }
    let e = detect(bytes);
    let (text, bad) = e.decode_without_bom_handling(bytes);
    if !bad {
        let used = e.name().to_ascii_lowercase();
        return warned(text.into_owned(), &used, format!("{why}; detected {used}"));
    }
    let (text, _) = WINDOWS_1252.decode_without_bom_handling(bytes);
    warned(text.into_owned(), "windows-1252", format!("{why}; read as Latin-1 (windows-1252)"))
}

/// chardetng's best guess for 8-bit bytes.
pub(crate) fn detect(bytes: &[u8]) -> &'static Encoding {
    let mut d = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
    d.feed(bytes, true);
    d.guess(None, chardetng::Utf8Detection::Allow)
}

/// ISO-2022-JP-2 (RFC 1554) and -3 mix JIS X 0208 with other 94² sets by
/// escape sequence. Each run is re-encoded in the EUC form of its set and
/// decoded by encoding_rs: GB 2312 (`ESC $ A`) as GBK, KS C 5601
/// (`ESC $ ( C`) as EUC-KR, JIS X 0212 (`ESC $ ( D`) as EUC-JP's 0x8F
/// plane; JIS X 0213 (`ESC $ ( O/P/Q`, -3) as JIS X 0208, its common subset.
/// The G2 single shifts (`ESC . A` Latin-1, `ESC . F` Greek, then `ESC N`)
/// are decoded too. The user-defined rows 0x75–0x7E, where Japanese
/// carriers put emoji, map to the Private Use Area as CP50221 (Windows)
/// maps them (U+E000 up), and are noted in the warning.
fn iso2022jp_ext(bytes: &[u8], shown: &str) -> Decoded {
    let mut d = Iso2022Decoder { out: String::with_capacity(bytes.len()), set: JisSet::Ascii, g2: None, bad: 0, private: 0 };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == 0x1b {
            i += 1 + d.escape(&bytes[i + 1..]);
            continue;
        }
        if b == b'\n' || b == b'\r' {
            d.set = JisSet::Ascii;
        }
        match d.set {
            JisSet::Ascii => {
                d.out.push(if b < 0x80 { b as char } else { '\u{fffd}' });
                d.bad += usize::from(b >= 0x80);
                i += 1;
            }
            JisSet::Kana => {
                let e = [0x8e, b | 0x80];
                d.out.push_str(&encoding_rs::EUC_JP.decode_without_bom_handling(&e).0);
                i += 1;
            }
            _ if !(0x21..=0x7e).contains(&b) => {
                d.out.push(b as char);
                i += 1;
            }
            _ => {
                let Some(&c) = bytes.get(i + 1) else {
                    d.bad += 1;
                    break;
                };
                d.double(b, c);
                i += 2;
            }
        }
    }
    let warning = match (d.bad, d.private) {
        (0, 0) => None,
        (0, p) => Some(format!("{p} user-defined (carrier emoji) character(s) of {shown} mapped to the Private Use Area")),
        (b, _) => Some(format!("{b} invalid byte sequence(s) for charset {shown} replaced")),
    };
    let used = if shown.is_empty() { "iso-2022-jp".to_string() } else { shown.to_ascii_lowercase() };
    Decoded { text: d.out, used, warning }
}

/// The character set an ISO-2022 escape selected into G0.
#[derive(Clone, Copy, PartialEq)]
enum JisSet {
    Ascii,
    Kana,
    Jis0208,
    Jis0212,
    Gb2312,
    Ksc5601,
}

/// The state of [`iso2022jp_ext`]: text so far, the sets in force, and
/// what could not be read.
struct Iso2022Decoder {
    out: String,
    set: JisSet,
    /// The 96-character set ESC . A / ESC . F put in G2 (ISO-2022-JP-2).
    g2: Option<&'static Encoding>,
    bad: usize,
    /// Carrier emoji mapped to the Private Use Area.
    private: usize,
}

impl Iso2022Decoder {
    /// Reads the escape sequence after an ESC; returns the bytes it takes.
    fn escape(&mut self, rest: &[u8]) -> usize {
        let (next, len) = if rest.starts_with(b"$B") || rest.starts_with(b"$@") || rest.starts_with(b"$(O") || rest.starts_with(b"$(Q") {
            (Some(JisSet::Jis0208), if rest[1] == b'(' { 3 } else { 2 })
        } else if rest.starts_with(b"$A") {
            (Some(JisSet::Gb2312), 2)
        } else if rest.starts_with(b"$(C") {
            (Some(JisSet::Ksc5601), 3)
        } else if rest.starts_with(b"$(D") || rest.starts_with(b"$(P") {
            (Some(JisSet::Jis0212), 3)
        } else if rest.starts_with(b"(B") || rest.starts_with(b"(J") {
            (Some(JisSet::Ascii), 2)
        } else if rest.starts_with(b"(I") {
            (Some(JisSet::Kana), 2)
        } else if rest.starts_with(b".A") {
            self.g2 = Some(WINDOWS_1252);
            (None, 2)
        } else if rest.starts_with(b".F") {
            self.g2 = Some(encoding_rs::ISO_8859_7);
            (None, 2)
        } else if rest.first() == Some(&b'N') && rest.len() > 1 {
            // Single shift: the next byte is from G2, high bit set.
            match self.g2 {
                Some(e) => self.out.push_str(&e.decode_without_bom_handling(&[rest[1] | 0x80]).0),
                None => self.bad += 1,
            }
            return 2;
        } else {
            self.bad += 1;
            (None, 0)
        };
        if let Some(s) = next {
            self.set = s;
        }
        len
    }

    /// One two-byte character of the set in force.
    fn double(&mut self, b: u8, c: u8) {
        let pair = [b | 0x80, c | 0x80];
        let (e, buf): (&'static Encoding, Vec<u8>) = match self.set {
            JisSet::Jis0208 => (encoding_rs::EUC_JP, pair.to_vec()),
            JisSet::Jis0212 => (encoding_rs::EUC_JP, vec![0x8f, pair[0], pair[1]]),
            JisSet::Gb2312 => (encoding_rs::GBK, pair.to_vec()),
            _ => (encoding_rs::EUC_KR, pair.to_vec()),
        };
        let (t, had) = e.decode_without_bom_handling(&buf);
        if had && self.set == JisSet::Jis0208 && (0x75..=0x7e).contains(&b) && (0x21..=0x7e).contains(&c) {
            let cp = 0xe000 + u32::from(b - 0x75) * 94 + u32::from(c - 0x21);
            self.out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
            self.private += 1;
        } else {
            self.bad += usize::from(had);
            self.out.push_str(&t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_charsets() {
        let cases: &[(&str, &[u8], &str)] = &[
            ("iso-2022-jp", b"\x1b$B4A;z\x1b(B", "漢字"),
            // Two escapes in a row, as where encoded words are joined.
            ("iso-2022-jp", b"\x1b$B4A\x1b(B\x1b$B;z\x1b(B", "漢字"),
            ("ISO-2022-JP-2", b"\x1b$B4A;z\x1b(B \x1b$AVPND\x1b(B \x1b$(CGQ1[\x1b(B", "漢字 中文 한글"),
            ("shift_jis", b"\x8a\xbf\x8e\x9a", "漢字"),
            ("CP932", b"\x87\x40", "①"),
            ("windows-31j", b"\x8a\xbf", "漢"),
            ("euc-jp", b"\xb4\xc1\xbb\xfa", "漢字"),
            ("gb2312", b"\xd6\xd0\xce\xc4", "中文"),
            ("gb18030", b"\x81\x30\x81\x30", "\u{80}"),
            ("big5", b"\xa4\xa4\xa4\xe5", "中文"),
            ("ks_c_5601-1987", b"\xc7\xd1\xb1\xb9", "한국"),
            ("euc-kr", b"\xc7\xd1", "한"),
            ("koi8-r", b"\xf0\xd2\xc9\xd7\xc5\xd4", "Привет"),
            ("koi8-u", b"\xa4", "є"),
            ("iso-8859-2", b"\xb1", "ą"),
            ("windows-1251", b"\xcf", "П"),
            ("utf-7", b"Hi +AOk-", "Hi é"),
            ("unicode-1-1-utf-7", b"+AOk-", "é"),
            ("utf-16", b"\xff\xfeA\x00", "A"),
            ("utf-16be", b"\x00A", "A"),
        ];
        for (label, bytes, want) in cases {
            let d = decode(Some(label), bytes);
            assert_eq!(d.text, *want, "{label}");
            assert_eq!(d.warning, None, "{label}");
        }
    }

    #[test]
    fn wrong_or_missing_labels_are_guessed_and_warned() {
        let d = decode(Some("x-unknown"), "Grüße".as_bytes());
        assert_eq!(d.text, "Grüße");
        assert!(d.warning.unwrap().contains("unknown charset"));
        let d = decode(Some("us-ascii"), "Grüße".as_bytes());
        assert_eq!((d.text.as_str(), d.used.as_str()), ("Grüße", "utf-8"));
        assert!(d.warning.is_some());
        // Shift_JIS labelled iso-2022-jp.
        let sjis = SHIFT_JIS.encode("日本語の会議資料をお送りします。よろしくお願いします。").0;
        let d = decode(Some("iso-2022-jp"), &sjis);
        assert_eq!(d.text, "日本語の会議資料をお送りします。よろしくお願いします。");
        assert_eq!(d.used, "shift_jis");
        // Not UTF-8 though it says so: Latin-1 text survives.
        let d = decode(Some("utf-8"), b"caf\xe9 cr\xe8me br\xfbl\xe9e");
        assert_eq!(d.text, "café crème brûlée");
        assert!(d.warning.unwrap().contains("not valid UTF-8"));
        let latin1 = WINDOWS_1252.encode("Le café était très animé, la naïve élève à côté.").0;
        let d = decode(None, &latin1);
        assert_eq!(d.text, "Le café était très animé, la naïve élève à côté.");
        assert!(d.warning.is_some());
        assert_eq!(decode(None, b"plain").warning, None);
    }

    #[test]
    fn carrier_emoji_go_to_the_private_use_area() {
        let d = decode(Some("iso-2022-jp"), b"\x1b$BBjL>vO\x1b(B");
        assert_eq!(d.text, "題名\u{e08c}");
        assert!(d.warning.unwrap().contains("Private Use Area"));
    }

    #[test]
    fn invalid_bytes_are_counted() {
        let d = decode(Some("shift_jis"), b"\x8a");
        assert!(d.text.contains('\u{fffd}'));
        assert!(d.warning.unwrap().contains("1 invalid"));
    }
}
