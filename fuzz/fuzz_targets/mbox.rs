//! The mbox splitter, the block reader the pipeline uses, and `>From ` unquoting.
//! The checks are `mailidx::fuzzing::mbox`, which tests/it/fuzz_regressions.rs
//! also runs on every input a fuzzer found.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mailidx::fuzzing::mbox(data));
