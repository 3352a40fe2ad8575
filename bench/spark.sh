#!/usr/bin/env bash
# The Spark job with one and with two executors beside `vigie scan`, on the
# 1 GB benchmark set (bench/generate.py, synthetic office logs with the lab
# intrusion injected): wall time, throughput, the ratios, and whether the
# three found the same. Executors are separate JVMs on this machine
# (local-cluster[N,1,2048]: N executors of one core and 2 GiB each), with the
# release build of the module (`pip install ./python/vigie-spark`).
#
#   BENCH_DATA=DIR bench/spark.sh [SIZE_MB]     (default 1100; RUNS, default 1)
#   VIGIE_SPARK_PYTHON: the Python with pyspark (default ~/.cache/vigie/venv/bin/python)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export RUNS=${RUNS:-1}
source "$root/bench/common.sh"
py=${VIGIE_SPARK_PYTHON:-$HOME/.cache/vigie/venv/bin/python}
[ -x "$py" ] || { python3 -m venv "$(dirname "$(dirname "$py")")"; "$py" -m pip install -q pyspark 'pandas<3' pyarrow; }
# Release profile (maturin's default), into the same target folder.
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target} "$py" -m pip install -q "$root/python/vigie-spark"
spark="$(dirname "$py")/vigie-spark"
work=$(mktemp -d)
trap 'rm -rf "$work" "$timing"' EXIT
mb=$(du -sm --apparent-size "$data" | cut -f1)
echo "data: $data ($mb MB); machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before"

read -r scan_t scan_m < <(best "$vigie" scan --tz UTC --findings-only --case "$work/scan" "$data")
one_out=$work/one.out two_out=$work/two.out
read -r one_t one_m < <(best sh -c "'$spark' scan --tz UTC --findings-only --case '$work/one' --master 'local-cluster[1,1,2048]' '$data' > '$one_out'")
read -r two_t two_m < <(best sh -c "'$spark' scan --tz UTC --findings-only --case '$work/two' --master 'local-cluster[2,1,2048]' '$data' > '$two_out'")
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

rate() { awk "BEGIN{printf \"%.1f\", $mb / $1}"; }
ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }
printf '%-34s %8s s %8s MB/s\n' "vigie scan --findings-only" "$scan_t" "$(rate "$scan_t")"
printf '%-34s %8s s %8s MB/s   %s\n' "vigie-spark, 1 executor" "$one_t" "$(rate "$one_t")" "$(sed 's/); .*/)/' "$one_out")"
printf '%-34s %8s s %8s MB/s   %s\n' "vigie-spark, 2 executors" "$two_t" "$(rate "$two_t")" "$(sed 's/); .*/)/' "$two_out")"
echo "2 executors vs 1: $(ratio "$one_t" "$two_t")x faster; vigie scan vs 2 executors: $(ratio "$two_t" "$scan_t")x faster"
for run in one two; do
  if cmp -s "$work/scan/findings.jsonl" "$work/$run/findings.jsonl"; then
    echo "$run: the same findings.jsonl as vigie scan ($(wc -l < "$work/scan/findings.jsonl") findings)"
  else
    echo "$run: findings.jsonl DIFFERS from vigie scan's"
  fi
done
