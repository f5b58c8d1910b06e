//! The DKIM tag-list parser, signature reader and canonicalisation.
//! The checks are `mailidx::fuzzing::dkim`, which tests/it/fuzz_regressions.rs
//! also runs on every input a fuzzer found.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mailidx::fuzzing::dkim(data));
