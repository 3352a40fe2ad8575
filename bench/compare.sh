#!/usr/bin/env bash
# vigie beside the tools a user would pick instead, in one interleaved run
# over the same files: `rg -c` (the floor: reading the bytes), `vigie events
# --stats` (parsing), `vigie scan --findings-only` (detection), `vigie scan`
# with the case, and the peers on what each can do: fail2ban-regex with
# Debian's roundcube-auth, dovecot and postfix filters on their own logs,
# GoAccess on the access log, rsigma when installed (`rsigma` on PATH; it is
# given the events as JSON from `vigie events --json`, the conversion timed
# apart). Each round runs every command once, in the same order, so a burst of
# load on the machine hits all; the table gives medians over the rounds of
# wall time, CPU time (user + system), cores used (CPU / wall), peak RSS,
# throughput over the bytes the command reads, and throughput over rg's.
#
#   BENCH_DATA=DIR VIGIE=path/to/vigie RUNS=3 bench/compare.sh
#
# VIGIE_BEFORE=path/to/older/vigie adds that build's three vigie commands to
# every round, for a before/after table measured under the same load.
#
# BENCH_DATA defaults to bench/data/office-1100mb-intrusion, generated on
# first use (`bench/generate.py DIR 1100 --inject examples/lab-intrusion`,
# through common.sh, as for the other scripts); VIGIE to the
# release build of this tree. A peer that is not installed is left out with
# its reason (apt-get install fail2ban goaccess --no-install-recommends).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/common.sh"
VIGIE=$vigie
work=$(mktemp -d)
trap 'rm -rf "$work" "$timing"' EXIT

# The files of one kind in the set (generate.py and office.py name them
# differently), space-separated; empty when there is none.
files() { find "$data" -maxdepth 1 -type f \( "$@" \) | sort | tr '\n' ' '; }
access=$(files -name 'access*.log' -o -name '*access.log')
dovecot=$(files -name 'dovecot*.log')
postfix=$(files -name 'mail*.log' -o -name 'mail.log')
roundcube=$(files -name 'userlogins*.log' -o -name 'roundcube-userlogins.log' -o -name 'errors*.log')

# name|bytes read|command. fail2ban-regex takes one file: its files are
# joined on the fly (cat's cost is in its time, and small beside it).
declare -a tools=()
add() { tools+=("$1|$2|$3"); }
bytes() { [ -n "$1" ] && du -cb $1 | tail -1 | cut -f1 || echo 0; }
all=$(du -sb "$data" | cut -f1)
add "rg -c" "$all" "rg -c --no-messages 'Password mismatch' '$data'"
# vigie_rows PREFIX BIN : the three vigie commands of BIN, labelled PREFIX….
vigie_rows() {
  add "${1}vigie events --stats" "$all" "'$2' events --stats --tz UTC '$data'"
  add "${1}vigie scan --findings-only" "$all" "'$2' scan --tz UTC --no-intel-store --findings-only --case '$work/fo' '$data'"
  add "${1}vigie scan (case)" "$all" "rm -rf '$work/case'; '$2' scan --tz UTC --no-intel-store --case '$work/case' '$data'"
}
vigie_rows "" "$VIGIE"
# VIGIE_BEFORE: an older build measured in the same rounds (a before/after
# table whose noise hits both alike).
[ -z "${VIGIE_BEFORE:-}" ] || vigie_rows "before: " "$VIGIE_BEFORE"
skipped=()
if command -v fail2ban-regex >/dev/null; then
  f2b=/etc/fail2ban/filter.d
  [ -n "$roundcube" ] && add "fail2ban-regex roundcube-auth" "$(bytes "$roundcube")" \
    "cat $roundcube > '$work/rc.log'; fail2ban-regex '$work/rc.log' $f2b/roundcube-auth.conf"
  [ -n "$dovecot" ] && add "fail2ban-regex dovecot" "$(bytes "$dovecot")" \
    "cat $dovecot > '$work/dc.log'; fail2ban-regex '$work/dc.log' $f2b/dovecot.conf"
  [ -n "$postfix" ] && add "fail2ban-regex postfix" "$(bytes "$postfix")" \
    "cat $postfix > '$work/pf.log'; fail2ban-regex '$work/pf.log' $f2b/postfix.conf"
else
  skipped+=("fail2ban-regex: not installed")
fi
if command -v goaccess >/dev/null && [ -n "$access" ]; then
  add "goaccess (access log)" "$(bytes "$access")" \
    "goaccess $access --log-format=COMBINED -o '$work/goaccess.json'"
else
  skipped+=("goaccess: not installed or no access log")
fi
if command -v rsigma >/dev/null; then
  add "vigie events as JSON (for rsigma)" "$all" "'$VIGIE' events --tz UTC '$data' > '$work/events.jsonl'"
  add "rsigma on the events as JSON" "$all" "rsigma engine eval -q --no-stats -r '$root/rules/sigma' < '$work/events.jsonl'"
else
  skipped+=("rsigma: not on PATH (cargo install rsigma: a long build on this machine)")
fi

results=$work/results
for round in $(seq "$runs"); do
  for tool in "${tools[@]}"; do
    IFS='|' read -r name size cmd <<<"$tool"
    rc=0
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" bash -c "$cmd" > /dev/null 2>"$work/stderr" || rc=$?
    # vigie scan exits 1 when it finds something, fail2ban-regex and rg when
    # nothing matched; above 1 the command failed and its figures mean nothing.
    if [ "$rc" -gt 1 ]; then
      echo "$name failed (exit $rc): $(tail -n 2 "$work/stderr")" >&2
      skipped+=("$name: failed (exit $rc), see above")
      continue
    fi
    read -r wall user sys rss < <(tail -n 1 "$work/time")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$size" "$wall" "$user" "$sys" "$rss" >> "$results"
  done
  echo "round $round of $runs done" >&2
done

echo "data: $data ($((all / 1000000)) MB), $runs interleaved rounds, medians; vigie: $VIGIE${VIGIE_BEFORE:+; before: $VIGIE_BEFORE}"
python3 - "$results" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, size, wall, user, sys_, rss = line.rstrip("\n").split("\t")
    rows.setdefault(name, []).append((int(size), float(wall), float(user) + float(sys_), int(rss)))
def med(name, i):
    return statistics.median(r[i] for r in rows[name])
rg = med("rg -c", 0) / 1e6 / max(med("rg -c", 1), 0.001)
print(f"{'command':<34} {'wall s':>8} {'(min-max)':>13} {'CPU s':>8} {'cores':>6} {'RSS MB':>8} {'MB/s':>8} {'x rg':>7}")
for name in rows:
    wall, cpu = med(name, 1), med(name, 2)
    walls = [r[1] for r in rows[name]]
    mbs = med(name, 0) / 1e6 / max(wall, 0.001)
    print(f"{name:<34} {wall:8.2f} {min(walls):6.2f}-{max(walls):<6.2f} {cpu:8.2f} {cpu / max(wall, 0.001):6.2f}"
          f" {med(name, 3) / 1024:8.0f} {mbs:8.1f} {mbs / rg:7.3f}")
EOF
[ ${#skipped[@]} -eq 0 ] || printf '%s\n' "${skipped[@]}" | sort -u | sed 's/^/left out: /'
