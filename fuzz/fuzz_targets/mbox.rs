//! The mbox splitter and `>From ` unquoting on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailidx::source::mbox::{unescape_from, MboxSplitter};

fuzz_target!(|data: &[u8]| {
    let mut last_end = 0usize;
    for entry in MboxSplitter::new(data) {
        // Messages are slices of the input, in order, never overlapping.
        let start = entry.offset;
        let end = start + entry.bytes.len();
        assert!(start >= last_end && end <= data.len());
        assert_eq!(&data[start..end], entry.bytes);
        assert!(entry.from_line.starts_with(b"From "));
        last_end = end;
        let plain = unescape_from(entry.bytes);
        // Unquoting only ever removes `>` characters.
        assert!(plain.len() <= entry.bytes.len());
        let removed = entry.bytes.len() - plain.len();
        let gts = |b: &[u8]| b.iter().filter(|&&c| c == b'>').count();
        assert_eq!(gts(entry.bytes) - gts(&plain), removed);
    }
});
