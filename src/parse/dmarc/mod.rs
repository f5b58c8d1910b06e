//! DMARC reports found in an archive: aggregate reports (RUA) in XML,
//! plain or in gzip / zip, attached to a message, as its body, or given as
//! a file.
//!
//! - `container.rs`: gzip and zip, unpacked with bounds;
//! - `xml.rs`: a bounded XML reader with no DTD or entity expansion;
//! - `aggregate.rs`: the RFC 7489, draft and RFC 9990 aggregate schemas.

mod aggregate;
mod container;
mod xml;

use crate::model::{DmarcAuthRow, DmarcRecordRow, DmarcReportRow};

/// The reports of one message or file, their rows keyed, and what went
/// wrong reading them.
#[derive(Debug, Default)]
pub struct Reports {
    /// One per report.
    pub reports: Vec<DmarcReportRow>,
    /// Their records.
    pub records: Vec<DmarcRecordRow>,
    /// The records' DKIM and SPF results.
    pub auth: Vec<DmarcAuthRow>,
    /// Problems met (an archive that does not open, invalid XML), for
    /// warnings.
    pub problems: Vec<String>,
}

impl Reports {
    /// Reads the aggregate reports in `bytes` (XML, gzip or zip). `origin`
    /// names where they came from (a msg_key or a file) on every row;
    /// `part` the MIME part, when in a message. Documents that are not
    /// aggregate reports are passed over quietly when `quiet`.
    pub fn read(&mut self, bytes: &[u8], msg_key: Option<&str>, source: &str, part: Option<&str>, quiet: bool) {
        let mut problems = Vec::new();
        for doc in container::unpack(bytes, 0, &mut problems) {
            if quiet && !looks_like_feedback(&doc) {
                continue;
            }
            let doc = feedback_element(&doc);
            match aggregate::parse(&doc) {
                Ok(mut a) => {
                    let key = report_key(a.report.org_name.as_deref(), a.report.report_id.as_deref(), &doc);
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
                    self.reports.push(a.report);
                    self.records.extend(a.records);
                    self.auth.extend(a.auth);
                }
                Err(e) => problems.push(e),
            }
        }
        if !quiet || !self.reports.is_empty() {
            self.problems.extend(problems.into_iter().map(|p| format!("DMARC report: {p}")));
        }
    }
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
