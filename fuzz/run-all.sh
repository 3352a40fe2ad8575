#!/usr/bin/env bash
# Runs the fuzz campaign over every target (or those named in TARGETS).
#
# Two modes:
#   SECONDS_EACH=600 (default)  each target for that many wall seconds,
#                               JOBS (default 2) at a time.
#   CPU_SECONDS_EACH=3600       budget mode: the targets are taken in turn,
#                               JOBS at a time, and each one runs until the
#                               CPU time (user + system, read from
#                               /proc/PID/stat, not wall time) recorded for
#                               it in the ledger reaches the budget. Issue 11
#                               asks for a CPU-hour per target.
#
# STATE (default: this folder) holds what the campaign accumulates across
# sessions, outside git when set elsewhere (e.g. STATE=../fuzz-state):
#   STATE/corpus/<target>     corpus, seeded from the repository when empty
#   STATE/artifacts/<target>  crashing, leaking or slow inputs
#   STATE/logs/<target>.log   libFuzzer's output of the last chunk
#   STATE/ledger.tsv          one line per run: date, target, cpu seconds,
#                             wall seconds, executions (libFuzzer's final
#                             stats), corpus files, corpus bytes, exit code
# `./run-all.sh table` prints the ledger summed per target.
#
# TIMEOUT (default 120) is libFuzzer's -timeout, in wall seconds: a
# fuzzer at nice 19 starved by builds on a 2-core machine took 30 s of
# wall time over inputs that run in 30 ms alone (false "timeouts").
# UNTIL (a date(1) string, e.g. "04:35 UTC") stops starting work after
# that time and cuts the runs short. NICE (default 19) runs every
# fuzzer at that niceness so a shared machine's builds come first.
# A target with a dictionary of its format's tokens (dicts/, see dict_of)
# gets it; an empty corpus is seeded from the repository's own inputs
# (seed.py). Needs cargo-fuzz; the machine's stable toolchain accepts the
# nightly flags with RUSTC_BOOTSTRAP=1. The binaries are built once, then
# run directly so cargo's own CPU time is not counted as fuzzing (BUILD=0
# skips the build and runs the binaries as they are).
set -euo pipefail
cd "$(dirname "$0")"
fuzz_dir=$PWD
self=$fuzz_dir/$(basename "$0")
state=$(mkdir -p "${STATE:-.}" && cd "${STATE:-.}" && pwd)
export RUSTC_BOOTSTRAP=1
export STATE=$state
repo=..
all="syslog exim web roundcube journald input intel mail mailstore sieve sigma"
all+=" mta imap webmail intel_values audit yara"
targets=${TARGETS:-$all}
jobs=${JOBS:-2}
nice=${NICE:-19}
# The yara target is a package of its own (yara/): YARA-X's long build.
fuzz_dir_of() { if [ "$1" = yara ]; then echo "$fuzz_dir/yara"; else echo "$fuzz_dir"; fi; }
bin_of() {
  echo "${CARGO_TARGET_DIR:-$(fuzz_dir_of "$1")/target}/x86_64-unknown-linux-gnu/release/$1"
}
ledger=$state/ledger.tsv

# dict_of TARGET : the dictionary of the target's format.
dict_of() {
  case $1 in
    syslog | exim | web | roundcube | journald | input | mta | imap | webmail) echo dicts/logs.dict ;;
    intel | intel_values) echo dicts/intel.dict ;;
    mailstore) echo dicts/mail.dict ;;
    *) echo "dicts/$1.dict" ;;
  esac
}

# cpu_total TARGET : CPU seconds the ledger holds for TARGET.
cpu_total() {
  [ -f "$ledger" ] || { echo 0; return; }
  awk -F'\t' -v t="$1" '$2 == t { s += $3 } END { printf "%d\n", s }' "$ledger"
}

if [ "${1:-}" = dict-of ]; then
  dict_of "$2"
  exit 0
fi
if [ "${1:-}" = bin-of ]; then
  bin_of "$2"
  exit 0
fi

if [ "${1:-}" = table ]; then
  [ -f "$ledger" ] || { echo "no ledger at $ledger" >&2; exit 2; }
  # found: runs the ledger records as stopped by a finding (libFuzzer's
  # exit 77 crash or leak, 70 timeout, 71 out of memory), on any machine;
  # artifacts: those inputs still in STATE/artifacts on this one (moved
  # away once fixed and kept as regression tests).
  printf '%-14s %9s %12s %8s %10s %6s %9s\n' target cpu_s executions files bytes found artifacts
  awk -F'\t' '{ cpu[$2] += $3; ex[$2] += $5; files[$2] = $6; bytes[$2] = $7
      found[$2] += ($8 == 77 || $8 == 70 || $8 == 71) }
    END { for (t in cpu) printf "%s\t%d\t%d\t%d\t%d\t%d\n", t, cpu[t], ex[t], files[t], bytes[t], found[t] }' \
    "$ledger" | sort | while IFS=$'\t' read -r t c e f b found; do
      # Crashes, leaks, timeouts and out-of-memory inputs; libFuzzer's
      # slow-unit-* files (a run over 10 s wall, often just a busy machine)
      # are not counted.
      n=$(find "$state/artifacts/$t" -type f \( -name 'crash-*' -o -name 'leak-*' \
        -o -name 'timeout-*' -o -name 'oom-*' \) 2>/dev/null | wc -l || true)
      printf '%-14s %9d %12d %8d %10d %6d %9d\n' "$t" "$c" "$e" "$f" "$b" "$found" "$n"
    done
  exit 0
fi

# run-one TARGET : budget mode for one target (called through xargs).
if [ "${1:-}" = run-one ]; then
  target=$2
  budget=${CPU_SECONDS_EACH:?}
  max_wall=${MAX_WALL:-86400}
  poll=${POLL:-5}
  until_epoch=${UNTIL_EPOCH:-0}
  dict=
  [ -f "$(dict_of "$target")" ] && dict=-dict=$(dict_of "$target")
  mkdir -p "$state/artifacts/$target" "$state/logs"
  bin=$(bin_of "$target")
  [ -x "$bin" ] || { echo "$target: not built ($bin)"; exit 0; }
  spent=$(cpu_total "$target")
  [ "$spent" -lt "$budget" ] || { echo "$target: $spent CPU-s, budget reached"; exit 0; }
  wall=$max_wall
  if [ "$until_epoch" -gt 0 ]; then
    wall=$((until_epoch - $(date +%s)))
    [ "$wall" -ge 30 ] || { echo "$target: $spent CPU-s, stopped at UNTIL"; exit 0; }
  fi
  log=$state/logs/$target.log
  start=$(date +%s)
  # One process for the whole budget (a restart would read the corpus
  # again); its CPU time is read from /proc every few seconds and the
  # fuzzer interrupted (SIGINT: libFuzzer prints its final stats, exit 72)
  # once the ledger's total and its own reach the budget.
  nice -n "$nice" "$bin" "$state/corpus/$target" $dict \
    -max_total_time="$wall" -rss_limit_mb=2048 -timeout="${TIMEOUT:-120}" -print_final_stats=1 \
    -artifact_prefix="$state/artifacts/$target/" >"$log" 2>&1 &
  pid=$!
  ticks=$(getconf CLK_TCK)
  cpu=0
  while :; do
    # Fields 3 (state), 14 and 15 (user and system clock ticks); the
    # binary's name (field 2) has no space.
    read -r state_now ticks_used < <(awk '{ print $3, $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) ||
      break
    cpu=$(awk -v t="$ticks_used" -v hz="$ticks" 'BEGIN { printf "%.1f", t / hz }')
    [ "$state_now" = Z ] && break
    if awk -v s="$spent" -v c="$cpu" -v b="$budget" 'BEGIN { exit !(s + c >= b) }'; then
      kill -INT "$pid" 2>/dev/null || true
    fi
    sleep "$poll"
  done
  rc=0
  wait "$pid" || rc=$?
  end=$(date +%s)
  execs=$(awk '/^stat::number_of_executed_units/ { print $NF }' "$log" | tail -1)
  files=$(find "$state/corpus/$target" -type f | wc -l)
  bytes=$(du -sb "$state/corpus/$target" | cut -f1)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$target" "$cpu" \
    $((end - start)) "${execs:-0}" "$files" "$bytes" "$rc" >>"$ledger"
  # 72: interrupted at the budget.
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 72 ]; then
    echo "$target: exit $rc, see $log and $state/artifacts/$target"
  else
    echo "$target: $(cpu_total "$target") CPU-s in the ledger"
  fi
  exit 0
fi

for target in $targets; do
  mkdir -p "$state/corpus/$target" "$state/artifacts/$target"
  [ -n "$(ls -A "$state/corpus/$target")" ] || python3 seed.py "$repo" "$state/corpus/$target" "$target"
done

if [ "${BUILD:-1}" = 1 ]; then
  for target in $targets; do cargo fuzz build --fuzz-dir "$(fuzz_dir_of "$target")" -O "$target"; done
fi
mkdir -p "$state/logs"

if [ -n "${CPU_SECONDS_EACH:-}" ]; then
  [ -n "${UNTIL:-}" ] && export UNTIL_EPOCH=$(date -d "$UNTIL" +%s)
  export CPU_SECONDS_EACH
  for target in $targets; do echo "$target"; done | xargs -P "$jobs" -I{} "$self" run-one {}
  "$self" table
  exit 0
fi

seconds=${SECONDS_EACH:-600}
for target in $targets; do echo "$target"; done |
  xargs -P "$jobs" -I{} sh -c "dict=\$(\"$self\" dict-of {}); [ -f \"\$dict\" ] && dict=-dict=\$dict || dict=; nice -n $nice \"\$(\"$self\" bin-of {})\" \"$state/corpus/{}\" -max_total_time=$seconds -rss_limit_mb=2048 -timeout=${TIMEOUT:-120} -artifact_prefix=\"$state/artifacts/{}/\" \$dict > \"$state/logs/{}.log\" 2>&1; echo \"{}: exit \$?: \$(grep -E '^(Done|#[0-9]+ +DONE)' \"$state/logs/{}.log\" | tail -1); corpus \$(ls \"$state/corpus/{}\" | wc -l) files\""
