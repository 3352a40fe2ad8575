#!/usr/bin/env bash
# What writing the case (per-account activity in stage one, scope.json,
# timeline.csv/jsonl) costs a scan: `vigie scan` with and without it
# (--findings-only) over the benchmark set of bench/scan-vs-rg.sh, side by
# side, best of RUNS. Target: at most 15 % slower.
#
#   bench/case-overhead.sh [SIZE_MB]      (default 1100)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/common.sh"
with=$(mktemp -d)
without=$(mktemp -d)
read -r o_t o_m w_t w_m < <(best_alternating \
  "$vigie scan --tz UTC --findings-only --no-intel-store --case $without $data" \
  "$vigie scan --tz UTC --no-intel-store --case $with $data")
printf "%-40s %8s %10s\n" "vigie scan" "wall s" "peak MB"
printf "%-40s %8.2f %10.0f\n" "--findings-only (no case files)" "$o_t" "$(awk "BEGIN{print $o_m/1024}")"
printf "%-40s %8.2f %10.0f\n" "with scope.json and timeline" "$w_t" "$(awk "BEGIN{print $w_m/1024}")"
printf "case writing costs %.1f %% (target <= 15 %%); scope.json %s bytes, timeline.csv %s bytes\n" \
  "$(awk "BEGIN{print ($w_t/$o_t-1)*100}")" "$(stat -c %s "$with/scope.json")" "$(stat -c %s "$with/timeline.csv")"
