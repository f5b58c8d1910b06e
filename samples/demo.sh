#!/usr/bin/env bash
# The quick start: build mailidx, ingest the sample archive into a fresh
# database, search it, and report what was written.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mailidx-target}"
cargo build --release --quiet
mailidx="$CARGO_TARGET_DIR/release/mailidx"
DB="${MAILIDX_DEMO_DB:-$(mktemp -d)/mailidx-demo}"

echo "== mailidx ingest samples/mail --db $DB"
"$mailidx" ingest samples/mail --db "$DB"
echo
echo "== mailidx search 'subject:invoice OR attachment:invoice'"
"$mailidx" search --db "$DB" 'subject:invoice OR attachment:invoice'
echo
echo "== mailidx search 'date:2019' --format json"
"$mailidx" search --db "$DB" 'date:2019' --format json
echo
echo "== mailidx status"
"$mailidx" status --db "$DB"
echo
echo "== mailidx hops (the header analysis of the phishing sample)"
"$mailidx" hops --db "$DB" 'samples/mail/Inbox/.Spam/cur/1700000004.M4P1.sample:2,'
echo
echo "== mailidx report (labels from folder names: .Spam is spam)"
"$mailidx" report --db "$DB" --top 3
