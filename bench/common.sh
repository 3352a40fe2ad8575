# Shared by the bench scripts (sourced after they set `root`): the data set
# (generated on first use: a synthetic office with the lab intrusion injected),
# ripgrep, a release build of vigie (or the one VIGIE names), and `best CMD…`,
# which runs CMD $runs times and prints the best wall time and that run's peak
# RSS (KB), as /usr/bin/time measures them.
size_mb=${1:-1100}
runs=${RUNS:-3}
data=${BENCH_DATA:-$root/bench/data/office-${size_mb}mb-intrusion}
command -v rg >/dev/null || apt-get install -y -qq ripgrep >/dev/null
[ -d "$data" ] || python3 "$root/bench/generate.py" "$data" "$size_mb" --inject "$root/examples/lab-intrusion"
if [ -n "${VIGIE:-}" ]; then
  vigie=$VIGIE
else
  cargo build --release -q -p vigie --manifest-path "$root/Cargo.toml"
  vigie=${CARGO_TARGET_DIR:-$root/target}/release/vigie
fi
find "$data" -type f -exec cat {} + > /dev/null   # every tool reads from the page cache
timing=$(mktemp)
trap 'rm -f "$timing"' EXIT

best() {
  local best_t=999999 best_m=0 t m
  for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -o "$timing" "$@" > /dev/null || true
    read -r t m < <(tail -n 1 "$timing")
    if awk "BEGIN{exit !($t < $best_t)}"; then best_t=$t; best_m=$m; fi
  done
  echo "$best_t $best_m"
}

# `best_alternating "CMD A" "CMD B"`: runs A and B alternately $runs times, so
# a burst of load on the machine hits both, and prints the best wall time of
# each with that run's peak RSS: "tA mA tB mB". (The commands are eval'd.)
best_alternating() {
  local ta=999999 ma=0 tb=999999 mb=0 t m
  for _ in $(seq "$runs"); do
    read -r t m < <(runs=1 eval best "$1")
    if awk "BEGIN{exit !($t < $ta)}"; then ta=$t; ma=$m; fi
    read -r t m < <(runs=1 eval best "$2")
    if awk "BEGIN{exit !($t < $tb)}"; then tb=$t; mb=$m; fi
  done
  echo "$ta $ma $tb $mb"
}


# `throughput_row LABEL SECONDS PEAK_KB`: one row of a side-by-side table
# over the data set ($mb MB): wall time, MB/s and peak memory in MB.
throughput_row() {
  printf "%-48s %8.2f %8.1f %10.0f\n" "$1" "$2" "$(awk "BEGIN{print $mb/$2}")" "$(awk "BEGIN{print $3/1024}")"
}
