#!/usr/bin/env bash
# What `vigie watch` costs when it starts: it reads the lines already in the
# files (the baseline, which also opens the correlation windows) in one
# thread and in time order, where `vigie scan --findings-only` reads files in
# parallel and prunes what correlations cannot use before running them.
# `--stop-after 0` ends the watch after that first read and its analytics.
# Side by side on the benchmark set of bench/scan-vs-rg.sh, best of RUNS,
# runs alternated.
#
#   bench/watch-catchup.sh [SIZE_MB]      (default 1100)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/common.sh"
cases=$(mktemp -d)
trap 'rm -rf "$cases" "$timing"' EXIT
read -r s_t s_m w_t w_m < <(best_alternating \
  "$vigie scan --tz UTC --findings-only --no-intel-store --case $cases/scan $data" \
  "$vigie watch --tz UTC --no-intel-store --stop-after 0 $data")
mb=$(du -sm "$data" | cut -f1)
printf "%-48s %8s %8s %10s\n" "$mb MB, $(nproc) cores" "wall s" "MB/s" "peak MB"
throughput_row "vigie scan --findings-only (all cores)" "$s_t" "$s_m"
throughput_row "vigie watch, reading the baseline (one thread)" "$w_t" "$w_m"
