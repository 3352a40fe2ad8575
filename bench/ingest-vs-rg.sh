#!/usr/bin/env bash
# Side by side: `vigie events --stats` (parse every line into an event) against
# `rg -c` with one literal, over the same >= 1 GB of synthetic mixed mail logs
# (bench/generate.py: a synthetic office, labelled so). Prints the best of
# RUNS wall times for each, throughput, the ratio, and vigie's peak memory.
#
#   bench/ingest-vs-rg.sh [SIZE_MB]      (default 1100)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/common.sh"
bytes=$(du -sb "$data" | cut -f1)
stats=$(mktemp)

read -r rg_t rg_m < <(best rg -c --no-messages 'Password mismatch' "$data")
read -r vg_t vg_m < <(best "$vigie" events --stats --tz UTC "$data")
"$vigie" events --stats --json --tz UTC "$data" > "$stats"
lines=$(python3 -c "import json;d=json.load(open('"$stats"'));print(d['totals']['lines'], d['totals']['events'], d['totals']['skipped'])")

awk -v b="$bytes" -v rt="$rg_t" -v vt="$vg_t" -v rm="$rg_m" -v vm="$vg_m" -v l="$lines" -v cores="$(nproc)" 'BEGIN {
  mb = b / 1048576
  printf "input: %.0f MB, lines/events/skipped: %s, cores: %d\n", mb, l, cores
  printf "%-28s %8s %10s %12s\n", "tool", "wall s", "MB/s", "peak RSS MB"
  printf "%-28s %8.2f %10.0f %12.1f\n", "rg -c (one literal)", rt, mb / rt, rm / 1024
  printf "%-28s %8.2f %10.0f %12.1f\n", "vigie events --stats", vt, mb / vt, vm / 1024
  printf "ratio vigie/rg throughput: %.2f (target >= 0.50); vigie peak memory %.1f MB (target < 256)\n", rt / vt, vm / 1024
}'
