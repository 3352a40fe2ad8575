#!/usr/bin/env bash
# Side by side: `vigie events --stats` (parse every line into an event) against
# `rg -c` with one literal, over the same >= 1 GB of synthetic mixed mail logs
# (bench/generate.py: a synthetic office, labelled so). Prints the best of
# RUNS wall times for each, throughput, the ratio, and vigie's peak memory.
#
# With BASELINE=/path/to/an/older/vigie, the older and this build run
# alternately RUNS times each (a burst of load on a shared machine hits both),
# and the script prints each one's median, best and worst wall time, and the
# user-space instructions of one run of each (`perf stat`, when perf is
# there): the figure that load on the machine does not move.
#
#   bench/ingest-vs-rg.sh [SIZE_MB]                         (default 1100)
#   BASELINE=path/to/vigie-before RUNS=5 bench/ingest-vs-rg.sh [SIZE_MB]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/common.sh"
bytes=$(du -sb "$data" | cut -f1)
stats=$(mktemp)

if [ -n "${BASELINE:-}" ]; then
  walls=$(mktemp)
  for i in $(seq "$runs"); do
    for which in before after; do
      bin=$vigie; [ "$which" = before ] && bin=$BASELINE
      /usr/bin/time -f '%e %M' -o "$timing" "$bin" events --stats --tz UTC "$data" > /dev/null
      echo "$which $(tail -n 1 "$timing")" >> "$walls"
    done
  done
  instructions() {
    command -v perf > /dev/null || { echo "-"; return; }
    perf stat -x, -e instructions:u -o "$stats" "$1" events --stats --tz UTC "$data" > /dev/null 2>&1 \
      && awk -F, '/instructions/ {printf "%.3f", $1 / 1e9}' "$stats" || echo "-"
  }
  printf "input: %.0f MB, %s alternating runs each, cores: %d\n" "$(awk "BEGIN{print $bytes/1048576}")" "$runs" "$(nproc)"
  printf "%-8s %9s %8s %8s %9s %12s %14s\n" build "median s" "best s" "worst s" "MB/s med" "peak RSS MB" "instr:u (1e9)"
  for which in before after; do
    bin=$vigie; [ "$which" = before ] && bin=$BASELINE
    peak=$(awk -v w="$which" '$1 == w && $3 > m { m = $3 } END { print m }' "$walls")
    awk -v w="$which" '$1 == w { print $2 }' "$walls" | sort -n \
      | awk -v w="$which" -v b="$bytes" -v m="$peak" -v ins="$(instructions "$bin")" '{ t[++n] = $1 }
        END {
          med = n % 2 ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2
          printf "%-8s %9.2f %8.2f %8.2f %9.0f %12.1f %14s\n", w, med, t[1], t[n], b / 1048576 / med, m / 1024, ins
        }'
  done
  echo "raw wall times (order of the runs):"
  awk '{printf "  %s %s\n", $1, $2}' "$walls"
  rm -f "$walls" "$stats"
  exit 0
fi

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
