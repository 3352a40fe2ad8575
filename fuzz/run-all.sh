#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 600) each, JOBS (default 2) at a
# time, and prints libFuzzer's final line for each. Needs cargo-fuzz; the
# machine's stable toolchain accepts the nightly flags with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${SECONDS_EACH:-600}
jobs=${JOBS:-2}
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
mkdir -p logs
printf '%s\n' syslog exim web roundcube journald input intel |
  xargs -P "$jobs" -I{} sh -c "mkdir -p corpus/{}; cargo fuzz run -O {} corpus/{} -- -max_total_time=$seconds -rss_limit_mb=2048 > logs/{}.log 2>&1; echo \"{}: exit \$?: \$(grep -E '^(Done|#[0-9]+ +DONE)' logs/{}.log | tail -1)\""
