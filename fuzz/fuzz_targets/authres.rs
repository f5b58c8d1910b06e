//! The Authentication-Results, ARC-Authentication-Results and Received-SPF parsers.
//! The checks are `mailidx::fuzzing::authres`, which tests/it/fuzz_regressions.rs
//! also runs on every input a fuzzer found.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| mailidx::fuzzing::authres(text));
