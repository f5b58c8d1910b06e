#!/usr/bin/env bash
# Benchmark (not a test): ingest the freedreno archive (38,637 messages,
# zstd mbox, 430 MB decompressed) and print messages/s, MB/s and peak RSS.
# Usage: benches/ingest.sh [MBOX]   (default ../shared/corpora/lists-freedreno/freedreno.mbox.zst)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mailidx-target}"
MBOX="${1:-../shared/corpora/lists-freedreno/freedreno.mbox.zst}"
for tool in zstd bc; do
    command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$tool" >/dev/null; }
done
cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/mailidx"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

run() { # label, path
    local label="$1" path="$2" db="$WORK/db-$1"
    /usr/bin/time -v "$BIN" ingest "$path" --db "$db" --quiet >"$WORK/out" 2>"$WORK/time" || true
    local msgs secs rss bytes
    msgs=$(grep -oE '^[0-9]+ messages' "$WORK/out" | grep -oE '^[0-9]+')
    bytes=$(grep -oE '\(([0-9.]+) MB\)' "$WORK/out" | head -1 | grep -oE '[0-9.]+')
    secs=$(grep 'Elapsed (wall clock)' "$WORK/time" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    rss=$(grep 'Maximum resident set size' "$WORK/time" | awk '{print $NF}')
    local size
    size=$(du -sm "$db" | cut -f1)
    printf '| %s | %s | %.1f | %.0f | %.1f | %.0f | %s |\n' "$label" "$msgs" "$secs" \
        "$(echo "$msgs / $secs" | bc -l)" "$(echo "$bytes / $secs" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$size"
}

echo "| input | messages | wall s | messages/s | MB/s | peak RSS MB | db MB |"
echo "|---|---|---|---|---|---|---|"
run zst "$MBOX"
# The same archive decompressed: a plain mbox, read through a memory map.
zstd -dcq "$MBOX" >"$WORK/freedreno.mbox"
run mbox "$WORK/freedreno.mbox"
echo
echo "machine: $(nproc) cores, $(uname -srm); $(date -u +%F)"
