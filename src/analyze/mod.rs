//! Analysis: judgments on a parsed message, as a mail administrator makes
//! them. [`Analyzer`] is the one place the steps are sequenced; ingest runs
//! it on every new message, `mailidx hops` on one, and the fuzz target
//! `message` on arbitrary bytes, so all three see the same record.
//!
//! The order matters and is written once, in [`Analyzer::analyze`]:
//! 1. [`hops`]: the Received chain, trust and the origin;
//! 2. [`auth`]: which Authentication-Results count (those above the origin),
//!    alignment and the recomputed DMARC verdict;
//! 3. [`dkim_verify`]: signatures checked with the keys the user gave;
//! 4. [`forgery`]: signs that need the route and the verdicts;
//! 5. [`labels`]: spam or ham, from the user, the folder, or filter
//!    headers written above the origin.

pub mod auth;
pub mod dkim_verify;
pub(crate) mod forgery;
pub mod hops;
pub(crate) mod labels;

use crate::model::{Label, MessageRecord, RawMessage};
use crate::parse::{parse_message_with, Limits, ParsedMessage};

/// The whole per-message path, parse then every analysis, with what the
/// ingest flags set.
#[derive(Debug, Clone, Default)]
pub struct Analyzer {
    /// Bounds on the work one message may cause (`--max-…`).
    pub limits: Limits,
    /// Relays the receiving side vouches for (`--trusted-network`).
    pub trusted: Vec<ipnet::IpNet>,
    /// authserv-ids whose verdicts count wherever they stand (`--authserv-id`).
    pub authserv_ids: Vec<String>,
    /// Keys to verify DKIM signatures with (`--dkim-keys`); empty: none.
    pub dkim_keys: dkim_verify::DkimKeys,
    /// Spam and ham folder names and filter-header thresholds (`--spam-folder`,
    /// `--ham-folder`, `--spam-score-threshold`).
    pub label_rules: labels::LabelRules,
    /// The label the user gives every message (`--label`).
    pub label: Option<Label>,
}

impl Analyzer {
    /// Parses and analyses one message into its record.
    pub(crate) fn record(&self, raw: &RawMessage<'_>, key: String) -> MessageRecord {
        self.analyze(&raw.bytes, parse_message_with(raw, key, &self.limits))
    }

    /// Every analysis step, in order, on a parsed message; `raw` is the
    /// message as stored (DKIM signatures are verified over it).
    pub(crate) fn analyze(&self, raw: &[u8], parsed: ParsedMessage) -> MessageRecord {
        let ParsedMessage { mut record, trace } = parsed;
        hops::annotate(&mut record, &trace.received, &self.trusted);
        auth::annotate(&mut record, &trace, &self.authserv_ids);
        dkim_verify::verify_record(raw, &mut record, &trace, &self.dkim_keys);
        forgery::annotate(&mut record);
        labels::annotate(&mut record, &trace, &self.label_rules, self.label);
        record
    }
}
