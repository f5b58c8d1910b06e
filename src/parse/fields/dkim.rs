//! DKIM-Signature (RFC 6376 §3.5) tag lists, header and body
//! canonicalisation (§3.4), and the offline body-hash check (§3.7): the body
//! is canonicalised (simple or relaxed, cut at `l=`), hashed with the
//! signature's algorithm and compared with `bh=`, so a body changed after
//! signing is caught without DNS. The signature itself (`b=`) needs the
//! signer's public key and is not checked here.
//!
//! The same tag-list reader serves ARC-Seal and ARC-Message-Signature
//! (RFC 8617 §4.1.2–3).

use base64::Engine;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// A tag=value list (RFC 6376 §3.2): tags lowercased, values with folding
/// whitespace removed for b= and bh=, trimmed otherwise.
pub(crate) fn tag_list(value: &str) -> Vec<(String, String)> {
    value
        .split(';')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            let k = k.trim().to_ascii_lowercase();
            if k.is_empty() {
                return None;
            }
            let v = if k == "b" || k == "bh" {
                v.chars().filter(|c| !c.is_whitespace()).collect()
            } else {
                v.split_whitespace().collect::<Vec<_>>().join(" ")
            };
            Some((k, v))
        })
        .collect()
}

/// The tags of one DKIM-Signature.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DkimSignature {
    /// Version, v= (RFC 6376 §3.5 requires `1`).
    pub v: Option<String>,
    /// Signing algorithm, a=, lowercased (rsa-sha256, rsa-sha1,
    /// ed25519-sha256).
    pub a: Option<String>,
    /// Header canonicalisation (`simple` when c= is absent).
    pub c_header: String,
    /// Body canonicalisation (`simple` when c= gives only one).
    pub c_body: String,
    /// Signing domain, d=, lowercased.
    pub d: Option<String>,
    /// Selector, s=.
    pub s: Option<String>,
    /// Agent or user identifier, i=.
    pub i: Option<String>,
    /// Body length limit, l=, in bytes; None when absent or malformed (then
    /// listed in `problems`).
    pub l: Option<u64>,
    /// Signature time, t=, in Unix seconds; None when absent or not a number.
    pub t: Option<i64>,
    /// Expiry, x=, in Unix seconds; None when absent or not a number.
    pub x: Option<i64>,
    /// Signed header field names, h=, in order, as written.
    pub h: Vec<String>,
    /// Body hash, bh=, base64 with whitespace removed.
    pub bh: Option<String>,
    /// Signature, b=, base64 with whitespace removed, kept raw.
    pub b: Option<String>,
    /// Tags that are required but missing, or malformed.
    pub problems: Vec<String>,
}

/// Reads the tags of a DKIM-Signature value (RFC 6376 §3.5). Never fails: a
/// missing a=, b=, bh=, d=, h= or s=, or a malformed l=, is listed in
/// `problems`.
pub fn parse_dkim_signature(value: &str) -> DkimSignature {
    let mut sig = DkimSignature { c_header: "simple".into(), c_body: "simple".into(), ..Default::default() };
    for (k, v) in tag_list(value) {
        match k.as_str() {
            "v" => sig.v = Some(v),
            "a" => sig.a = Some(v.to_ascii_lowercase()),
            "c" => {
                let mut parts = v.splitn(2, '/');
                sig.c_header = parts.next().unwrap_or("simple").trim().to_ascii_lowercase();
                sig.c_body = parts.next().unwrap_or("simple").trim().to_ascii_lowercase();
            }
            "d" => sig.d = Some(v.to_ascii_lowercase()),
            "s" => sig.s = Some(v),
            "i" => sig.i = Some(v),
            "l" => match v.parse() {
                Ok(n) => sig.l = Some(n),
                Err(_) => sig.problems.push(format!("bad l={v}")),
            },
            "t" => sig.t = v.parse().ok(),
            "x" => sig.x = v.parse().ok(),
            "h" => sig.h = v.split(':').map(|h| h.trim().to_string()).filter(|h| !h.is_empty()).collect(),
            "bh" => sig.bh = Some(v),
            "b" => sig.b = Some(v),
            _ => {}
        }
    }
    for (tag, present) in [("a", sig.a.is_some()), ("d", sig.d.is_some()), ("s", sig.s.is_some()), ("bh", sig.bh.is_some()), ("b", sig.b.is_some())] {
        if !present {
            sig.problems.push(format!("missing {tag}="));
        }
    }
    if sig.h.is_empty() {
        sig.problems.push("missing h=".into());
    }
    sig
}

/// Splits a message into its header section and body at the first empty
/// line (LF or CRLF). No empty line: all header, empty body.
pub fn split_message(raw: &[u8]) -> (&[u8], &[u8]) {
    let mut pos = 0;
    while pos < raw.len() {
        let end = memchr::memchr(b'\n', &raw[pos..]).map_or(raw.len(), |i| pos + i + 1);
        let line = &raw[pos..end];
        if line == b"\n" || line == b"\r\n" {
            return (&raw[..pos], &raw[end..]);
        }
        pos = end;
    }
    (raw, &[])
}

/// Lines of a text without their line ends (LF or CRLF); a final line
/// without a line end is a line too.
fn lines(text: &[u8]) -> Vec<&[u8]> {
    if text.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<&[u8]> = text.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l)).collect();
    if text.ends_with(b"\n") {
        out.pop();
    }
    out
}

/// Body canonicalisation, RFC 6376 §3.4.3 (simple) and §3.4.4 (relaxed).
/// Line ends become CRLF (messages are often stored with LF). Written in one
/// pass into one buffer: bodies are hashed for every signature of every
/// message.
///
/// A last line without a line end keeps a trailing space in relaxed mode:
/// whitespace is removed only before a CRLF, as dkimpy (and flanker's
/// expectations) do; a CRLF is then added.
pub fn canonical_body(body: &[u8], relaxed: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 32 + 2);
    // Length of `out` through the last non-empty line: trailing empty lines go.
    let mut keep = 0;
    let mut pos = 0;
    while pos < body.len() {
        let (line, next, terminated) = match memchr::memchr(b'\n', &body[pos..]) {
            Some(i) => (&body[pos..pos + i], pos + i + 1, true),
            None => (&body[pos..], body.len(), false),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let start = out.len();
        match (relaxed, terminated) {
            (true, true) => relax_into(line, &mut out),
            (true, false) => compress_into(line, &mut out),
            (false, _) => out.extend_from_slice(line),
        }
        let non_empty = out.len() > start;
        out.extend_from_slice(b"\r\n");
        if non_empty {
            keep = out.len();
        }
        pos = next;
    }
    if keep == 0 {
        // §3.4.3: an empty body is one CRLF in simple; §3.4.4 (errata 1384): empty in relaxed.
        return if relaxed { Vec::new() } else { b"\r\n".to_vec() };
    }
    out.truncate(keep);
    out
}

/// Runs of WSP become one SP (trailing WSP kept).
fn compress_into(l: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    for &b in l {
        if b == b' ' || b == b'\t' {
            if out.len() == start || out.last() != Some(&b' ') {
                out.push(b' ');
            }
        } else {
            out.push(b);
        }
    }
}

/// Relaxed line: runs of WSP become one SP, WSP at the end goes.
fn relax_into(l: &[u8], out: &mut Vec<u8>) {
    let mut in_ws = false;
    for &b in l {
        if b == b' ' || b == b'\t' {
            in_ws = true;
        } else {
            if in_ws {
                out.push(b' ');
                in_ws = false;
            }
            out.push(b);
        }
    }
}

fn relax_line(l: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(l.len());
    relax_into(l, &mut out);
    out
}

/// The header fields of a header section, in order: (lowercased name,
/// the field's bytes including its folded lines and line ends).
pub(crate) fn header_fields(headers: &[u8]) -> Vec<(String, &[u8])> {
    let mut out: Vec<(String, std::ops::Range<usize>)> = Vec::new();
    let mut pos = 0;
    while pos < headers.len() {
        let end = memchr::memchr(b'\n', &headers[pos..]).map_or(headers.len(), |i| pos + i + 1);
        let line = &headers[pos..end];
        let continuation = line.first().is_some_and(|&b| b == b' ' || b == b'\t');
        match out.last_mut() {
            Some((_, range)) if continuation => range.end = end,
            _ => {
                let name = line.split(|&b| b == b':').next().unwrap_or_default();
                out.push((String::from_utf8_lossy(name).trim().to_ascii_lowercase(), pos..end));
            }
        }
        pos = end;
    }
    out.into_iter().map(|(n, r)| (n, &headers[r])).collect()
}

/// Canonicalisation of one header field, RFC 6376 §3.4.1 (simple:
/// unchanged, CRLF line ends) and §3.4.2 (relaxed: name lowercased,
/// unfolded, WSP runs to one SP, no WSP around the colon or at the end).
pub(crate) fn canonical_field(field: &[u8], relaxed: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len() + 2);
    if !relaxed {
        for l in lines(field) {
            out.extend_from_slice(l);
            out.extend_from_slice(b"\r\n");
        }
        return out;
    }
    let joined: Vec<u8> = lines(field).concat();
    let (name, value) = match joined.iter().position(|&b| b == b':') {
        Some(i) => (&joined[..i], &joined[i + 1..]),
        None => (&joined[..], &[][..]),
    };
    out.extend_from_slice(&name.trim_ascii_end().to_ascii_lowercase());
    out.push(b':');
    out.extend_from_slice(relax_line(value).trim_ascii());
    out.extend_from_slice(b"\r\n");
    out
}

/// Canonicalisation of a whole header section, field by field.
pub fn canonical_headers(headers: &[u8], relaxed: bool) -> Vec<u8> {
    header_fields(headers).into_iter().flat_map(|(_, f)| canonical_field(f, relaxed)).collect()
}

/// The body-hash check of one signature.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyHashCheck {
    /// base64 of the hash mailidx computed.
    pub computed: String,
    /// Whether it equals bh=.
    pub matches: bool,
}

/// Computes the body hash a signature covers and compares it with `bh=`.
/// None when the algorithm is unknown or bh= is missing.
pub fn check_body_hash(sig: &DkimSignature, body: &[u8]) -> Option<BodyHashCheck> {
    BodyHasher::new(body, usize::MAX).check(sig)
}

/// Body hashes of one message, each computed once: signatures by the same
/// sender and forwarders share canonicalisation, `l=` and algorithm, and a
/// hostile message may carry thousands of signatures.
pub(crate) struct BodyHasher<'a> {
    body: &'a [u8],
    /// The canonical body, simple [0] and relaxed [1], made when first asked.
    canonical: [Option<Vec<u8>>; 2],
    /// (relaxed, l=, sha256?) → base64 digest.
    done: Vec<((bool, Option<u64>, bool), String)>,
    max: usize,
    /// Signatures left unchecked because `max` different hashes were made.
    pub refused: usize,
}

impl<'a> BodyHasher<'a> {
    /// At most `max` different hashes are computed.
    pub(crate) fn new(body: &'a [u8], max: usize) -> Self {
        BodyHasher { body, canonical: [None, None], done: Vec::new(), max, refused: 0 }
    }

    /// [`check_body_hash`] for one signature of this body.
    pub(crate) fn check(&mut self, sig: &DkimSignature) -> Option<BodyHashCheck> {
        let relaxed = sig.c_body == "relaxed";
        let a = sig.a.as_deref()?;
        let sha256 = if a.ends_with("sha256") {
            true
        } else if a.ends_with("sha1") {
            false
        } else {
            return None;
        };
        let want = sig.bh.as_deref()?;
        let id = (relaxed, sig.l, sha256);
        let computed = match self.done.iter().find(|(k, _)| *k == id) {
            Some((_, hash)) => hash.clone(),
            None if self.done.len() >= self.max => {
                self.refused += 1;
                return None;
            }
            None => {
                let body = self.body;
                let canon = self.canonical[relaxed as usize].get_or_insert_with(|| canonical_body(body, relaxed));
                let covered = &canon[..sig.l.map_or(canon.len(), |l| l.min(canon.len() as u64) as usize)];
                let digest: Vec<u8> = if sha256 { Sha256::digest(covered).to_vec() } else { Sha1::digest(covered).to_vec() };
                let hash = base64::engine::general_purpose::STANDARD.encode(digest);
                self.done.push((id, hash.clone()));
                hash
            }
        };
        Some(BodyHashCheck { matches: computed == want, computed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        let sig = parse_dkim_signature(
            "v=1; a=rsa-sha256; c=relaxed/simple; d=Example.com;\r\n s=sel; h=From:To:Subject; l=10; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n b=abc\r\n def=",
        );
        assert_eq!(sig.d.as_deref(), Some("example.com"));
        assert_eq!((sig.c_header.as_str(), sig.c_body.as_str()), ("relaxed", "simple"));
        assert_eq!(sig.h, ["From", "To", "Subject"]);
        assert_eq!(sig.l, Some(10));
        assert_eq!(sig.b.as_deref(), Some("abcdef="));
        assert!(sig.problems.is_empty(), "{:?}", sig.problems);
        assert!(parse_dkim_signature("v=1; d=x").problems.contains(&"missing bh=".to_string()));
    }

    #[test]
    fn rfc6376_body_canonicalisation() {
        // RFC 6376 §3.4.5 example.
        let body = b" C \r\nD \t E\r\n\r\n\r\n";
        assert_eq!(canonical_body(body, true), b" C\r\nD E\r\n");
        assert_eq!(canonical_body(body, false), b" C \r\nD \t E\r\n");
        assert_eq!(canonical_body(b"", false), b"\r\n");
        assert_eq!(canonical_body(b"", true), b"");
        assert_eq!(canonical_body(b"a\nb", false), b"a\r\nb\r\n");
    }

    #[test]
    fn body_hash() {
        // The empty body's simple/sha256 hash (RFC 6376 §3.4.3: "\r\n").
        let sig = parse_dkim_signature("a=rsa-sha256; c=simple/simple; bh=frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=; d=x; s=y; h=from; b=z");
        let check = check_body_hash(&sig, b"").unwrap();
        assert!(check.matches, "{}", check.computed);
        assert!(!check_body_hash(&sig, b"changed\r\n").unwrap().matches);
        let unknown = parse_dkim_signature("a=rsa-md5; bh=x; d=x; s=y; h=from; b=z");
        assert_eq!(check_body_hash(&unknown, b""), None);
    }

    #[test]
    fn split() {
        assert_eq!(split_message(b"A: b\r\n\r\nbody"), (&b"A: b\r\n"[..], &b"body"[..]));
        assert_eq!(split_message(b"A: b\n"), (&b"A: b\n"[..], &b""[..]));
    }
}
