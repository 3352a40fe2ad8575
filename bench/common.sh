# Shared by the bench scripts: `best CMD…` runs CMD $runs times and prints the
# best wall time and that run's peak RSS (KB), as /usr/bin/time measures them.
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
