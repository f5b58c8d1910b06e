//! Analysis: pure functions from a parsed message to owned records. Header
//! forensics lives here: the Received chain ([`received`]) and, built on it,
//! the hops and origin of a message ([`hops`]).

pub mod attachments;
pub mod auth;
pub mod auth_results;
pub mod dkim;
pub mod dkim_verify;
pub mod forgery;
pub mod hops;
pub mod labels;
pub mod received;

use crate::model::{MessageRecord, RawMessage};
use crate::parse::{parse_message_with, Limits};

/// The whole per-message path, parse then every analysis, with what the
/// ingest flags set. The pipeline runs it on each new message; the fuzz
/// target `message` runs it on arbitrary bytes.
#[derive(Debug, Clone, Default)]
pub struct Analyzer {
    pub limits: Limits,
    /// Relays the receiving side vouches for (`--trusted-network`).
    pub trusted: Vec<ipnet::IpNet>,
    /// authserv-ids whose verdicts count wherever they stand (`--authserv-id`).
    pub authserv_ids: Vec<String>,
    /// Keys to verify DKIM signatures with (`--dkim-keys`); empty: none.
    pub dkim_keys: dkim_verify::DkimKeys,
    pub label_rules: labels::LabelRules,
    /// The label the user gives every message (`--label`).
    pub label: Option<&'static str>,
}

impl Analyzer {
    /// Parses and analyses one message into its record.
    pub fn record(&self, raw: &RawMessage<'_>, key: String) -> MessageRecord {
        let mut rec = parse_message_with(raw, key, &self.limits);
        hops::annotate(&mut rec, &self.trusted);
        auth::annotate(&mut rec, &self.authserv_ids);
        dkim_verify::verify_record(&raw.bytes, &mut rec, &self.dkim_keys);
        forgery::annotate(&mut rec);
        labels::annotate(&mut rec, &self.label_rules, self.label);
        rec
    }
}
