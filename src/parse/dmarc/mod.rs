//! DMARC reports found in an archive: aggregate reports (RUA) in XML and
//! SMTP TLS reports (RFC 8460) in JSON, plain or in gzip / zip, attached to
//! a message, as its body, or given as a file.
//!
//! - `container.rs`: gzip and zip, unpacked with bounds;
//! - `xml.rs`: a bounded XML reader with no DTD or entity expansion;
//! - `aggregate.rs`: the RFC 7489, draft and RFC 9990 aggregate schemas;
//! - `tls.rs`: SMTP TLS reports;
//! - `arf.rs`: failure reports (ARF feedback-report parts).

mod aggregate;
mod arf;
mod container;
mod tls;
mod xml;

/// The reports of one message or file, their rows keyed, and what went
/// wrong reading them.
pub use crate::model::DmarcRows as Reports;

impl Reports {
    /// Reads an ARF `message/feedback-report` part (a DMARC failure report).
    pub fn read_failure(&mut self, block: &[u8], msg_key: Option<&str>, part: Option<&str>) {
        self.failures.extend(arf::parse(block, msg_key, part));
    }

    /// Reads the aggregate reports in `bytes` (XML, gzip or zip). `origin`
    /// names where they came from (a msg_key or a file) on every row;
    /// `part` the MIME part, when in a message. Documents that are not
    /// aggregate reports are passed over quietly when `quiet`.
    pub fn read(&mut self, bytes: &[u8], msg_key: Option<&str>, source: &str, part: Option<&str>, quiet: bool) {
        let mut problems = Vec::new();
        let docs = container::unpack(bytes, 0, &mut problems);
        // Quietly, only what matters whatever the part is: a limit hit
        // (a decompression bomb, or just a very big archive).
        let mut kept: Vec<String> = problems.into_iter().filter(|p| !quiet || p.contains("more than")).collect();
        for doc in docs {
            if tls::looks_like(&doc) {
                match tls::parse(&doc) {
                    Ok(mut t) => {
                        let key = report_key(t.org.as_deref(), t.id.as_deref(), &doc);
                        for p in t.policies.iter_mut() {
                            (p.report_key, p.msg_key, p.source) = (key.clone(), msg_key.map(str::to_string), source.to_string());
                        }
                        for f in t.failures.iter_mut() {
                            f.report_key = key.clone();
                        }
                        self.tls_policies.extend(t.policies);
                        self.tls_failures.extend(t.failures);
                    }
                    Err(e) => kept.push(e),
                }
                continue;
            }
            let claims = looks_like_feedback(&doc);
            if quiet && !claims {
                continue;
            }
            let doc = feedback_element(&doc);
            match aggregate::parse(doc) {
                Ok(mut a) => {
                    let key = report_key(a.report.org_name.as_deref(), a.report.report_id.as_deref(), doc);
                    a.report.report_key = key.clone();
                    a.report.msg_key = msg_key.map(str::to_string);
                    a.report.source = source.to_string();
                    a.report.part_path = part.map(str::to_string);
                    for r in a.records.iter_mut() {
                        r.report_key = key.clone();
                    }
                    for r in a.auth.iter_mut() {
                        r.report_key = key.clone();
                    }
                    kept.extend(a.warnings);
                    self.reports.push(a.report);
                    self.records.extend(a.records);
                    self.auth.extend(a.auth);
                }
                // A document that says it is a report and is not readable.
                Err(e) => kept.push(e),
            }
        }
        let at = part.map(|p| format!(" (part {p})")).unwrap_or_default();
        self.problems.extend(kept.into_iter().map(|p| format!("DMARC report{at}: {p}")));
    }
}

/// A part worth opening as a report: an XML, gzip or zip type (or
/// octet-stream) or file name, or bytes that start as one whatever the
/// declared type says (reporters send `application/octet-stream`,
/// `text/plain`, …).
pub(crate) fn may_carry_report(content_type: &str, filename: Option<&str>, bytes: &[u8]) -> bool {
    let typed = matches!(
        content_type,
        "application/zip"
            | "application/x-zip-compressed"
            | "application/gzip"
            | "application/x-gzip"
            | "text/xml"
            | "application/xml"
            | "application/octet-stream"
            | "application/tlsrpt+gzip"
            | "application/tlsrpt+json"
            | "application/json"
    );
    let named = filename.is_some_and(|f| {
        let f = f.to_ascii_lowercase();
        f.ends_with(".xml") || f.ends_with(".gz") || f.ends_with(".zip") || f.ends_with(".json")
    });
    let head = &bytes[..bytes.len().min(512)];
    let magic = head.starts_with(&[0x1f, 0x8b]) || head.starts_with(b"PK\x03\x04") || memchr::memmem::find(head, b"<feedback").is_some() || tls::looks_like(head);
    (typed || named || magic) && !bytes.is_empty()
}

/// The `<feedback>` element of a document that wraps it in something else
/// (an unclosed `<xs:schema>`, seen from a real reporter); the document
/// itself otherwise.
fn feedback_element(doc: &[u8]) -> &[u8] {
    let Some(start) = memchr::memmem::find(doc, b"<feedback") else { return doc };
    let root_is_feedback = doc[..start].iter().all(|b| b.is_ascii_whitespace()) || memchr::memmem::find(&doc[..start], b"<").is_none_or(|_| {
        // Only a declaration, comments or a doctype before it.
        let before = String::from_utf8_lossy(&doc[..start]);
        before.split('<').skip(1).all(|t| t.starts_with('?') || t.starts_with('!'))
    });
    if root_is_feedback {
        return doc;
    }
    let end = memchr::memmem::rfind(doc, b"</feedback>").map_or(doc.len(), |e| e + b"</feedback>".len());
    &doc[start..end.max(start)]
}

/// An XML document whose first element is `<feedback`.
fn looks_like_feedback(doc: &[u8]) -> bool {
    let head = &doc[..doc.len().min(4096)];
    memchr::memmem::find(head, b"<feedback").is_some()
}

/// The same report received twice (same org and report id) is one report:
/// its key hashes those two; a report missing both is keyed by its bytes.
fn report_key(org: Option<&str>, id: Option<&str>, doc: &[u8]) -> String {
    let hash = match (org, id) {
        (None, None) => blake3::hash(doc),
        _ => blake3::hash(format!("{}\u{0}{}", org.unwrap_or_default().to_ascii_lowercase(), id.unwrap_or_default()).as_bytes()),
    };
    hash.as_bytes()[..8].iter().map(|b| format!("{b:02x}")).collect()
}
