#!/usr/bin/env bash
# What matching indicators costs a scan: `vigie scan --findings-only` over
# the benchmark set of bench/scan-vs-rg.sh with no indicator and with 100,000
# mixed indicators (IPv4/IPv6 addresses and networks, domains, URLs, e-mail
# addresses, SHA-256 digests; a few of them the injected intruder's), side by
# side, best of RUNS. Target: at most 10 % slower.
#
#   bench/intel-overhead.sh [SIZE_MB] [INDICATORS]      (default 1100 100000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/common.sh"
count=${2:-100000}
feed=$(mktemp --suffix=.txt)
cases=$(mktemp -d)
trap 'rm -rf "$feed" "$cases" "$timing"' EXIT
python3 - "$feed" "$count" <<'PY'
import random, sys
path, count = sys.argv[1], int(sys.argv[2])
rnd = random.Random(7)
word = lambda: "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(5, 12)))
make = [
    (30, lambda: ".".join(str(rnd.randint(1, 254)) for _ in range(4))),
    (10, lambda: "%d.%d.%d.0/24" % (rnd.randint(1, 223), rnd.randint(0, 255), rnd.randint(0, 255))),
    (5, lambda: "2001:db8:%x:%x::%x" % (rnd.randint(0, 65535), rnd.randint(0, 65535), rnd.randint(1, 65535))),
    (25, lambda: "%s.%s" % (word(), rnd.choice(["com", "net", "org", "ru", "info", "top"]))),
    (10, lambda: "https://%s.com/%s/%s.php" % (word(), word(), word())),
    (10, lambda: "%s@%s.com" % (word(), word())),
    (10, lambda: "%064x" % rnd.getrandbits(256)),
]
kinds = [m for w, m in make for _ in range(w)]
with open(path, "w") as out:
    # The injected intruder's addresses (as bench/generate.py maps them) and
    # Sieve target, defanged as feeds publish them.
    out.write("185.220.101[.]66\n185.220.101[.]67\ncollector[@]exfil[.]example\n")
    for _ in range(count - 3):
        out.write(rnd.choice(kinds)() + "\n")
PY
read -r o_t o_m w_t w_m < <(best_alternating \
  "$vigie scan --tz UTC --findings-only --no-intel-store --case $cases/none $data" \
  "$vigie scan --tz UTC --findings-only --no-intel-store --ioc $feed --case $cases/with $data")
mb=$(du -sm "$data" | cut -f1)
printf "%-48s %8s %8s %10s\n" "vigie scan --findings-only" "wall s" "MB/s" "peak MB"
throughput_row "no indicators" "$o_t" "$o_m"
throughput_row "$count indicators (--ioc, imported each run)" "$w_t" "$w_m"
printf "matching costs %.1f %% (target <= 10 %%); %s indicator findings, %s of them on the injected intruder's indicators\n" \
  "$(awk "BEGIN{print ($w_t/$o_t-1)*100}")" "$(grep -c '"rule_id":"VI00' "$cases/with/findings.jsonl" || true)" \
  "$(grep '"rule_id":"VI00' "$cases/with/findings.jsonl" | grep -c -e '185\.220\.101\.6[67]' -e 'collector@exfil' || true)"
