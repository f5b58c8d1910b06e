#!/usr/bin/env bash
# Runs one fuzz target for a while: bash fuzz/run.sh TARGET [SECONDS]
#
# Targets: mbox received authres dkim message (fuzz/fuzz_targets/). Needs
# cargo-fuzz (`cargo install cargo-fuzz`). libFuzzer wants nightly rustc's -Z
# flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain take them. No sanitizer:
# the code under test is safe Rust, so libFuzzer looks for panics, hangs
# (over 10 s on one input), and memory blow-ups (over 2 GiB).
#
# Seeds come from ../shared/corpora (fuzz/seed.py); the growing corpus lives
# in ~/.cache/mailidx-fuzz/corpus/TARGET, crashes in fuzz/artifacts/TARGET.
# Each crash found becomes a regression test in tests/it/fuzz_regressions.rs.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: run.sh TARGET [SECONDS]}
seconds=${2:-600}
cache=$HOME/.cache/mailidx-fuzz
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$cache/target}
export RUSTC_BOOTSTRAP=1
[ -d "$cache/seeds/$target" ] || python3 seed.py "$cache/seeds"
mkdir -p "$cache/corpus/$target" "artifacts/$target"
max_len=4096
[ "$target" = message ] || [ "$target" = mbox ] && max_len=262144
cargo fuzz run -O -s none "$target" "$cache/corpus/$target" "$cache/seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
    -print_final_stats=1 -artifact_prefix="artifacts/$target/"
