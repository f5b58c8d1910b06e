//! Every input a fuzz target broke (fuzz/, README "Fuzzing"), replayed
//! through the same checks (`mailidx::fuzzing`). The inputs live in
//! tests/fixtures/fuzz/TARGET/, one file each, named as libFuzzer wrote them.

use std::path::Path;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz").join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut v: Vec<(String, Vec<u8>)> = entries
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    v.sort();
    v
}

#[test]
fn every_target_passes_on_every_input_a_fuzzer_found() {
    let mut replayed = 0;
    for (target, check) in [
        ("mbox", mailidx::fuzzing::mbox as fn(&[u8])),
        ("dkim", mailidx::fuzzing::dkim),
        ("message", mailidx::fuzzing::message),
    ] {
        for (name, data) in inputs(target) {
            eprintln!("{target}/{name}");
            check(&data);
            replayed += 1;
        }
    }
    for (target, check) in [("received", mailidx::fuzzing::received as fn(&str)), ("authres", mailidx::fuzzing::authres)] {
        for (name, data) in inputs(target) {
            // libFuzzer hands &str targets only valid UTF-8.
            let Ok(text) = std::str::from_utf8(&data) else { continue };
            eprintln!("{target}/{name}");
            check(text);
            replayed += 1;
        }
    }
    assert!(replayed >= 1, "the crash inputs are in tests/fixtures/fuzz");
}
