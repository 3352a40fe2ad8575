#!/usr/bin/env bash
# Detection at scale, side by side with rg: `vigie scan` (whole rule pack,
# correlations and analytics) and `rg -c` with one literal over the same
# >= 1 GB of realistic benign office logs with one real lab intrusion injected
# (bench/generate.py --inject examples/lab-intrusion). Prints the best of RUNS
# wall times, throughput ratio, peak memory, rules-per-event cost, whether every
# injected step was found, and the high/critical findings unrelated to it per GB.
#
#   bench/scan-vs-rg.sh [SIZE_MB]      (default 1100)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/common.sh"
case_dir=$(mktemp -d)

read -r rg_t _ < <(best rg -c --no-messages 'Password mismatch' "$data")
read -r ev_t _ < <(best "$vigie" events --stats --tz UTC "$data")
# Detection only: the case files (scope, timeline, exports) are measured by
# bench/case-overhead.sh.
read -r sc_t sc_m < <(best "$vigie" scan --tz UTC --findings-only --case "$case_dir" "$data")
rules=$("$vigie" rules check "$root/rules/sigma" | tail -1)
python3 "$root/bench/check-findings.py" "$case_dir/findings.jsonl" "$data.ground-truth.json" "$data" \
  "$rg_t" "$ev_t" "$sc_t" "$sc_m" "$rules"
