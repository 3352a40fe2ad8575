#!/usr/bin/env bash
# The same inputs give the same case, whatever the threads (issue 21): scans
# the benchmark set RUNS times (default 10) with 1, 2 and 8 threads in turn,
# every second scan with the large files cut in small pieces
# (VIGIE_SCAN_PIECE_BYTES=4000000) so that pieces and sets meet in other
# orders, each into a case folder of the same name with the scan time fixed
# (SOURCE_DATE_EPOCH), and compares every case file's SHA-256 with the first
# scan's. Prints one line per scan (threads, pieces, wall seconds, peak RSS,
# findings, files differing) and exits 1 when any file differs.
#
#   BENCH_DATA=DIR VIGIE=path/to/vigie RUNS=10 bench/determinism.sh
#
# Defaults as bench/compare.sh: the 1.1 GB generated set and the release
# build of this tree. The lab's case is checked the same way by
# crates/cli/tests/deterministic.rs on every test run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-10}
source "$root/bench/common.sh"
VIGIE=$vigie
work=$(mktemp -d)
trap 'rm -rf "$work" "$timing"' EXIT
export SOURCE_DATE_EPOCH=1764547200

# sums DIR : "file sha256" per case file, in name order.
sums() { (cd "$1" && find . -maxdepth 1 -type f -printf '%f\n' | sort | xargs -d '\n' sha256sum); }

differ=0
printf '%-4s %-8s %-7s %8s %8s %9s %s\n' run threads pieces wall_s rss_MB findings differing
counts=(1 2 8)
for ((i = 0; i < runs; i++)); do
  threads=${counts[i % 3]}
  pieces=whole
  rm -rf "$work/case"
  env=()
  if ((i % 2 == 1)); then
    pieces=4MB
    env=(VIGIE_SCAN_PIECE_BYTES=4000000)
  fi
  rc=0
  env "${env[@]}" /usr/bin/time -f '%e %M' -o "$work/time" \
    "$VIGIE" scan --tz UTC --no-intel-store --threads "$threads" --case "$work/case" "$data" \
    >/dev/null 2>"$work/stderr" || rc=$?
  # 1: something found; anything else is a failed scan.
  [ "$rc" -le 1 ] || { cat "$work/stderr" >&2; exit 2; }
  # time(1) writes "Command exited with non-zero status 1" above its figures.
  read -r wall rss < <(tail -n 1 "$work/time")
  sums "$work/case" >"$work/sums.$i"
  findings=$(wc -l <"$work/case/findings.jsonl")
  if ((i == 0)); then
    diff_files=-
  else
    diff_files=$(diff "$work/sums.0" "$work/sums.$i" | awk '/^>/ { print $3 }' | tr '\n' ' ')
    [ -z "$diff_files" ] && diff_files=none || differ=1
  fi
  printf '%-4s %-8s %-7s %8s %8d %9s %s\n' "$i" "$threads" "$pieces" "$wall" $((rss / 1024)) "$findings" "$diff_files"
done
echo "case files compared: $(wc -l <"$work/sums.0") ($(awk '{ print $2 }' "$work/sums.0" | tr '\n' ' '))"
exit "$differ"
