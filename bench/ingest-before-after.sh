#!/usr/bin/env bash
# Parsing speed before and after a change, on a machine shared with others:
# builds bench/ingest-only (vigie-ingest alone: a minute, not the whole tool)
# at BEFORE (any commit, exported with `git archive`, no worktree) and at the
# working tree, then runs the two alternately RUNS times (default 5) over the
# bench data set (bench/common.sh's, generated on first use) and prints, for
# each, the median and the range of wall time, user CPU and user+system CPU.
# CPU time moves less than wall time when other jobs share the cores; compare
# medians and read the ranges as the noise.
#
#   bench/ingest-before-after.sh BEFORE [SIZE_MB]
#   e.g. bench/ingest-before-after.sh 9208539      (main before issue 12's parsers)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
before=${1:?usage: bench/ingest-before-after.sh BEFORE_COMMIT [SIZE_MB]}
size_mb=${2:-1100}
runs=${RUNS:-5}
data=${BENCH_DATA:-$root/bench/data/office-${size_mb}mb-intrusion}
[ -d "$data" ] || python3 "$root/bench/generate.py" "$data" "$size_mb" --inject "$root/examples/lab-intrusion"
target=${INGEST_ONLY_TARGET:-${CARGO_TARGET_DIR:-$root/target}/ingest-only}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build() { # SOURCE_TREE NAME
  mkdir -p "$1/bench/ingest-only"
  cp -r "$root/bench/ingest-only/." "$1/bench/ingest-only/"
  cp "$1/Cargo.lock" "$1/bench/ingest-only/Cargo.lock"
  CARGO_TARGET_DIR=$target cargo build --release -q --manifest-path "$1/bench/ingest-only/Cargo.toml"
  cp "$target/release/vigie-ingest-only" "$work/$2"
}
mkdir "$work/tree"
git -C "$root" archive "$before" | tar -x -C "$work/tree"
build "$work/tree" before
cp "$root/Cargo.lock" "$root/bench/ingest-only/Cargo.lock"
CARGO_TARGET_DIR=$target cargo build --release -q --manifest-path "$root/bench/ingest-only/Cargo.toml"
cp "$target/release/vigie-ingest-only" "$work/after"

cat "$data"/* > /dev/null   # both read from the page cache
for _ in $(seq "$runs"); do
  for which in before after; do
    /usr/bin/time -f "$which %e %U %S" -a -o "$work/times" "$work/$which" "$data"/* > "$work/out-$which"
  done
done
printf "input: %s MB, %s alternating runs each; before = %s\n" "$(du -sm "$data" | cut -f1)" "$runs" "$(git -C "$root" rev-parse --short "$before")"
for which in before after; do
  printf "%-7s %s\n" "$which" "$(sed 's/^[0-9.]* s, //' "$work/out-$which")"
done
python3 - "$work/times" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    which, wall, user, sys_ = line.split()
    runs.setdefault(which, []).append((float(wall), float(user), float(user) + float(sys_)))
print(f"{'build':7} {'wall median [range] s':>24} {'user median [range] s':>24} {'user+sys median s':>18}")
for which in ("before", "after"):
    cols = list(zip(*runs[which]))
    cell = lambda c: f"{statistics.median(c):6.2f} [{min(c):.2f}-{max(c):.2f}]"
    print(f"{which:7} {cell(cols[0]):>24} {cell(cols[1]):>24} {statistics.median(cols[2]):18.2f}")
b, a = (statistics.median(list(zip(*runs[w]))[1]) for w in ("before", "after"))
print(f"after/before user CPU: {a / b:.3f}")
PY
