#!/usr/bin/env bash
# Runs the fuzz campaign: every target (or those named in TARGETS) for
# SECONDS_EACH (default 600) each, JOBS (default 2) at a time, and prints
# libFuzzer's final line for each. Issue 11 asks for a CPU-hour per target:
# SECONDS_EACH=3600 JOBS=1 (or JOBS=2 on two free cores).
#
# Each corpus (corpus/<target>, kept between runs) is seeded from the
# repository's own inputs when empty, and a target with a dictionary of its
# format's tokens (dicts/<target>.dict) gets it. Needs cargo-fuzz; the
# machine's stable toolchain accepts the nightly flags with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${SECONDS_EACH:-600}
jobs=${JOBS:-2}
targets=${TARGETS:-"syslog exim web roundcube journald input intel mail mailstore sieve sigma"}
export RUSTC_BOOTSTRAP=1
repo=..

# seed TARGET FILE... : copies each file into corpus/TARGET, named by its hash.
seed() {
  local target=$1
  shift
  for file in "$@"; do
    [ -f "$file" ] || continue
    cp "$file" "corpus/$target/$(sha1sum "$file" | cut -c1-16)"
  done
}

for target in $targets; do
  mkdir -p "corpus/$target"
  [ -n "$(ls -A "corpus/$target")" ] && continue
  case $target in
    mail | mailstore)
      mapfile -t files < <(find "$repo/examples" -path '*/Maildir/*' -type f \
        \( -path '*/cur/*' -o -path '*/new/*' \))
      seed "$target" "${files[@]}" ;;
    sieve)
      mapfile -t files < <(find "$repo/examples" -name '*.sieve' -type f)
      seed "$target" "${files[@]}" ;;
    sigma)
      mapfile -t files < <(find "$repo/rules/sigma" -name '*.yml' -type f)
      seed "$target" "${files[@]}" ;;
    intel)
      mapfile -t files < <(find "$repo/crates/intel/tests" "$repo/intel" -type f \
        \( -name '*.json' -o -name '*.csv' -o -name '*.txt' \) -size -256k 2>/dev/null)
      seed "$target" "${files[@]}" ;;
    *)
      mapfile -t files < <(find "$repo/crates/ingest/tests/testdata/golden" -type f \
        -size -256k 2>/dev/null)
      seed "$target" "${files[@]}" ;;
  esac
done

for target in $targets; do cargo fuzz build -O "$target"; done
mkdir -p logs
for target in $targets; do echo "$target"; done |
  xargs -P "$jobs" -I{} sh -c "dict=; [ -f dicts/{}.dict ] && dict=-dict=dicts/{}.dict; cargo fuzz run -O {} corpus/{} -- -max_total_time=$seconds -rss_limit_mb=2048 -timeout=30 \$dict > logs/{}.log 2>&1; echo \"{}: exit \$?: \$(grep -E '^(Done|#[0-9]+ +DONE)' logs/{}.log | tail -1); corpus \$(ls corpus/{} | wc -l) files\""
