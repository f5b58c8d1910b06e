//! The whole per-message path (parse and every analysis).
//! The checks are `mailidx::fuzzing::message`, which tests/it/fuzz_regressions.rs
//! also runs on every input a fuzzer found.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mailidx::fuzzing::message(data));
