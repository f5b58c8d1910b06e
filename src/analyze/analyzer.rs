//! The one analysis path: [`Analyzer`] parses a message and runs every analysis
//! step on it, in order.

use super::{auth, dkim_verify, forgery, geoip, hops, labels, receivers};
use crate::model::{Label, MessageRecord, RawMessage};
use crate::parse::{parse_message_with, Limits, ParsedMessage};

/// The whole per-message path, parse then every analysis, with what the
/// ingest flags set.
#[derive(Debug, Clone, Default)]
pub struct Analyzer {
    /// Bounds on the work one message may cause (`--max-…`).
    pub limits: Limits,
    /// What the receiving side vouches for: `--trusted-network`, the
    /// config's organisation, and which receiver profile applies
    /// (`--receiver`).
    pub trust: receivers::Trust,
    /// authserv-ids whose verdicts count wherever they stand (`--authserv-id`).
    pub authserv_ids: Vec<String>,
    /// Keys to verify DKIM signatures with (`--dkim-keys`); empty: none.
    pub dkim_keys: dkim_verify::DkimKeys,
    /// Spam and ham folder names and filter-header thresholds (`--spam-folder`,
    /// `--ham-folder`, `--spam-score-threshold`).
    pub label_rules: labels::LabelRules,
    /// IP databases for network owners (`--geoip`); empty: none.
    pub geoip: geoip::GeoIp,
    /// The label the user gives every message (`--label`).
    pub label: Option<Label>,
}

impl Analyzer {
    /// Parses and analyses one message into its record.
    pub(crate) fn record(&self, raw: &RawMessage<'_>, key: String) -> MessageRecord {
        let mut rec = self.analyze(&raw.bytes, parse_message_with(raw, key, &self.limits));
        self.analyze_samples(&mut rec);
        rec
    }

    /// The failing messages that DMARC failure reports carry go through
    /// the same analysis as any message (one level: a sample's own samples
    /// are not analysed); what it finds is summed up on the failure row.
    fn analyze_samples(&self, rec: &mut MessageRecord) {
        for f in rec.dmarc.failures.iter_mut() {
            let sample = std::mem::take(&mut f.sample);
            if sample.is_empty() {
                continue;
            }
            let key = crate::parse::msg_key(&sample);
            let raw = RawMessage { bytes: std::borrow::Cow::Owned(sample), location: rec.location.clone() };
            let s = self.analyze(&raw.bytes, parse_message_with(&raw, key, &self.limits));
            f.sample_key = Some(s.msg_key.clone());
            f.sample_from = s.from_addr.clone();
            f.sample_subject = s.subject.clone();
            f.sample_origin_ip = s.route.origin_ip.map(|i| i.to_string());
            f.sample_spf = s.auth.spf_result.clone();
            f.sample_dkim = s.auth.dkim_result.clone();
            f.sample_dmarc_computed = Some(s.auth.dmarc_computed.clone());
            f.sample_forgery_score = Some(s.forgery.forgery_score);
        }
    }

    /// Every analysis step, in order, on a parsed message; `raw` is the
    /// message as stored (DKIM signatures are verified over it).
    pub(crate) fn analyze(&self, raw: &[u8], parsed: ParsedMessage) -> MessageRecord {
        let ParsedMessage { mut record, trace } = parsed;
        let walk = hops::annotate(&mut record, &trace.received, &self.trust);
        geoip::annotate(&mut record, &self.geoip);
        geoip::annotate_reports(&mut record.dmarc, &self.geoip);
        auth::annotate(&mut record, &trace, &self.authserv_ids);
        dkim_verify::verify_record(raw, &mut record, &trace, &self.dkim_keys);
        forgery::annotate(&mut record);
        labels::annotate(&mut record, &trace, &self.label_rules, self.label, walk.receiver);
        record
    }
}
