//! The Received header parser on arbitrary text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailidx::analyze::received::parse_received;

fuzz_target!(|text: &str| {
    let hop = parse_received(text, None);
    // Whatever it finds came from the header: folding does not change it.
    let folded = text.replace(' ', "\r\n ");
    let again = parse_received(&folded, None);
    assert_eq!(hop.ip, again.ip);
    assert_eq!(hop.timestamp, again.timestamp);
});
