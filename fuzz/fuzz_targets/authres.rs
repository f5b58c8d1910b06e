//! The Authentication-Results, ARC-Authentication-Results and Received-SPF
//! parsers on arbitrary text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailidx::analyze::auth_results::{
    parse_arc_authentication_results, parse_authentication_results, parse_received_spf,
};

fuzz_target!(|text: &str| {
    let ar = parse_authentication_results(text);
    let _ = format!("{ar:?}");
    let _ = parse_arc_authentication_results(text);
    let _ = parse_received_spf(text);
});
