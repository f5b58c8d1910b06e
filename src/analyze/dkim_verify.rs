//! Full DKIM signature verification (RFC 6376 §3.7, §5.4) with public keys
//! the user supplies: `--dkim-keys FILE` of `selector._domainkey.domain TXT
//! "v=DKIM1; k=rsa; p=…"` records, as a zone file or `dig` prints them.
//! mailidx never looks keys up in DNS: without a key a signature stays
//! unverified (`signature_ok` null).
//!
//! RSA (rsa-sha256, rsa-sha1) is verified; ed25519-sha256 (RFC 8463) keys
//! are recognised but not verified.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::parse::fields::dkim::{canonical_field, header_fields, split_message, DkimSignature};
use crate::error::{Error, Result};
use crate::parse::TraceHeaders;

/// A public key from a DKIM TXT record.
#[derive(Debug, Clone)]
pub(crate) enum DkimKey {
    Rsa(Box<RsaPublicKey>),
    /// A key type mailidx does not verify (ed25519).
    Unsupported,
    /// An empty p=: the key was revoked.
    Revoked,
}

/// Keys by `selector._domainkey.domain`, lowercased, without a trailing dot.
#[derive(Debug, Clone, Default)]
pub struct DkimKeys {
    keys: HashMap<String, DkimKey>,
}

impl DkimKeys {
    /// Reads a file of TXT records. Lines starting with `;` or `#` are
    /// comments; a record may span lines inside `( … )`; the text is the
    /// concatenation of its quoted strings.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut keys = DkimKeys::default();
        let mut statement = String::new();
        let mut depth = 0i32;
        for line in text.lines() {
            let line = line.trim();
            if statement.is_empty() && (line.is_empty() || line.starts_with(';') || line.starts_with('#')) {
                continue;
            }
            depth += line.matches('(').count() as i32 - line.matches(')').count() as i32;
            statement.push(' ');
            statement.push_str(line);
            if depth <= 0 {
                keys.add_record(&statement).map_err(|e| Error::Other(format!("{}: {e}", path.display())))?;
                statement.clear();
                depth = 0;
            }
        }
        Ok(keys)
    }

    fn add_record(&mut self, statement: &str) -> std::result::Result<(), String> {
        let name = statement.split_whitespace().next().ok_or("empty record")?;
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let quoted: Vec<&str> = statement.split('"').skip(1).step_by(2).collect();
        let txt = if quoted.is_empty() {
            statement.split_once("TXT").map(|(_, r)| r.trim().to_string()).ok_or(format!("no TXT text for {name}"))?
        } else {
            quoted.concat()
        };
        let tags = crate::parse::fields::dkim::tag_list(&txt);
        let get = |k: &str| tags.iter().find(|(t, _)| t == k).map(|(_, v)| v.as_str());
        let kind = get("k").unwrap_or("rsa").to_ascii_lowercase();
        let p: String = get("p").unwrap_or("").chars().filter(|c| !c.is_whitespace()).collect();
        let key = if p.is_empty() {
            DkimKey::Revoked
        } else if kind != "rsa" {
            DkimKey::Unsupported
        } else {
            let der = base64::engine::general_purpose::STANDARD.decode(&p).map_err(|e| format!("{name}: p= is not base64: {e}"))?;
            let key = RsaPublicKey::from_public_key_der(&der)
                .or_else(|_| RsaPublicKey::from_pkcs1_der(&der))
                .map_err(|e| format!("{name}: p= is not an RSA public key: {e}"))?;
            DkimKey::Rsa(Box::new(key))
        };
        self.keys.insert(name, key);
        Ok(())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Keys loaded, one per `selector._domainkey.domain` name.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    fn get(&self, selector: &str, domain: &str) -> Option<&DkimKey> {
        self.keys.get(&format!("{}._domainkey.{}", selector.to_ascii_lowercase(), domain.trim_end_matches('.').to_ascii_lowercase()))
    }
}

/// The DKIM-Signature field with the value of its b= tag removed (RFC 6376
/// §3.7: "including all surrounding whitespace").
fn without_b_value(field: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(field);
    let Some(colon) = text.find(':') else { return field.to_vec() };
    let (name, value) = text.split_at(colon + 1);
    let mut out = String::from(name);
    let parts: Vec<&str> = value.split(';').collect();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        match part.split_once('=') {
            Some((tag, _)) if tag.trim().eq_ignore_ascii_case("b") => {
                out.push_str(tag);
                out.push('=');
                // Keep the line end of the field if b= was the last tag.
                if i + 1 == parts.len() {
                    let trail: String = part.chars().rev().take_while(|c| *c == '\r' || *c == '\n').collect();
                    out.extend(trail.chars().rev());
                }
            }
            _ => out.push_str(part),
        }
    }
    out.into_bytes()
}

/// Verifies the `n`th DKIM-Signature (header order) of a raw message.
/// None: no key for its selector and domain, or a key type not verified.
pub(crate) fn verify(raw: &[u8], n: usize, sig: &DkimSignature, body_hash_ok: Option<bool>, keys: &DkimKeys) -> Option<bool> {
    let (d, s) = (sig.d.as_deref()?, sig.s.as_deref()?);
    let key = match keys.get(s, d)? {
        DkimKey::Rsa(k) => k,
        DkimKey::Revoked => return Some(false),
        DkimKey::Unsupported => return None,
    };
    if body_hash_ok != Some(true) {
        return Some(false);
    }
    // RFC 6376 §6.1.1: From must be signed, and i= must be in d=.
    if !sig.h.iter().any(|h| h.eq_ignore_ascii_case("from")) {
        return Some(false);
    }
    if let Some(i) = sig.i.as_deref() {
        let i_domain = i.rsplit('@').next().unwrap_or("").trim_end_matches('.').to_ascii_lowercase();
        if i_domain != d && !i_domain.ends_with(&format!(".{d}")) {
            return Some(false);
        }
    }
    let (headers, _) = split_message(raw);
    let all = header_fields(headers);
    let relaxed = sig.c_header == "relaxed";
    // §5.4.2: each h= name takes the last unused instance, bottom up.
    let mut used = vec![false; all.len()];
    let mut data = Vec::new();
    for name in &sig.h {
        let name = name.to_ascii_lowercase();
        if let Some(i) = (0..all.len()).rev().find(|&i| !used[i] && all[i].0 == name) {
            used[i] = true;
            data.extend_from_slice(&canonical_field(all[i].1, relaxed));
        }
    }
    let (_, own) = all.iter().filter(|(name, _)| name == "dkim-signature").nth(n)?;
    let mut own = canonical_field(&without_b_value(own), relaxed);
    if own.ends_with(b"\r\n") {
        own.truncate(own.len() - 2);
    }
    data.extend_from_slice(&own);
    let signature = base64::engine::general_purpose::STANDARD.decode(sig.b.as_deref()?).ok()?;
    let a = sig.a.as_deref()?;
    let ok = if a == "rsa-sha256" {
        key.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&data), &signature).is_ok()
    } else if a == "rsa-sha1" {
        key.verify(Pkcs1v15Sign::new::<Sha1>(), &Sha1::digest(&data), &signature).is_ok()
    } else {
        return None;
    };
    Some(ok)
}

/// Verifies every DKIM-Signature of a record with the given keys: fills
/// `signature_ok`, and lets an aligned, verified signature make the
/// recomputed DMARC verdict pass.
pub(crate) fn verify_record(raw: &[u8], rec: &mut crate::model::MessageRecord, trace: &TraceHeaders, keys: &DkimKeys) {
    if keys.is_empty() {
        return;
    }
    for (i, row) in rec.dkim_rows.iter_mut().enumerate() {
        if let Some(c) = trace.dkim.get(i) {
            row.signature_ok = verify(raw, i, &c.signature, row.body_hash_ok, keys);
        }
    }
    let verified_aligned = rec.dkim_rows.iter().any(|r| r.signature_ok == Some(true) && r.aligned_relaxed);
    if verified_aligned && rec.auth.from_org_domain.is_some() {
        rec.auth.dmarc_computed = "pass".into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b_value_is_removed() {
        let f = b"DKIM-Signature: v=1; bh=abc=; b=xyz\r\n uvw=\r\n";
        assert_eq!(without_b_value(f), b"DKIM-Signature: v=1; bh=abc=; b=\r\n");
        let f = b"DKIM-Signature: b=xyz; d=example.org\r\n";
        assert_eq!(without_b_value(f), b"DKIM-Signature: b=; d=example.org\r\n");
    }

    #[test]
    fn fields_keep_folding() {
        let f = header_fields(b"A: 1\r\n  2\r\nB: 3\r\n");
        assert_eq!(f.len(), 2);
        assert_eq!(f[0], ("a".to_string(), &b"A: 1\r\n  2\r\n"[..]));
    }
}
