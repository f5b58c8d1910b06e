//! The integration tests, one crate (one link step): a module per capability.
//! Corpus tests use ../shared when it is present and say SKIPPED when not.

mod common;
mod auth_oracle;
mod cli;
mod corpora;
mod dkim_vectors;
mod dmarc;
mod fuzz_regressions;
mod geoip;
mod headers;
mod hostile;
mod incremental;
mod labels;
mod mime_oracle;
mod notebooks;
mod property;
mod received_oracle;
mod receivers;
mod received_vectors;
mod report;
mod safety;
mod schemas;
mod spark;
mod threads;
mod urls_oracle;
