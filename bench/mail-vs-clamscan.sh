#!/usr/bin/env bash
# Mailbox scanning speed, side by side with ClamAV: `vigie scan` over a
# Maildir of >= 20,000 real messages (the corpus's messages, copied with
# distinct names until the count is reached) and `clamscan` with the same
# YARA rules (rules/yara/, and nothing else: --database points at them).
# Prints wall time, messages/s and MB/s for both, best of RUNS.
#
#   bench/mail-vs-clamscan.sh [MESSAGES]      (default 20000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
want=${1:-20000}
runs=${RUNS:-3}
data="$root/bench/data/maildir-$want"
corpus="$root/../shared/corpus/mail"
command -v clamscan >/dev/null || { echo "clamscan is needed: apt-get install clamav" >&2; exit 1; }

if [ ! -d "$data/cur" ]; then
  mkdir -p "$data"/{cur,new,tmp}
  python3 - "$corpus" "$data" "$want" <<'PY'
import os, sys
corpus, out, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
def is_message(head):
    if head.startswith(b"From "):
        return False  # mbox files: skipped, the Maildir holds single messages
    lines = head.split(b"\n")[:4]
    return sum(1 for l in lines if b":" in l.split(b" ")[0]) >= 2
sources = []
for d, _, files in os.walk(corpus):
    for f in sorted(files):
        p = os.path.join(d, f)
        with open(p, "rb") as fh:
            head = fh.read(512)
        if not f.endswith(".json") and is_message(head):
            sources.append(p)
n = 0
while n < want:
    for p in sources:
        if n >= want:
            break
        with open(p, "rb") as src, open(os.path.join(out, "cur", f"{1700000000 + n}.M{n}P1.bench:2,S"), "wb") as dst:
            dst.write(src.read())
        n += 1
print(f"{n} messages from {len(sources)} corpus files", file=sys.stderr)
PY
fi
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
vigie="$root/target/release/vigie"
count=$(find "$data/cur" -type f | wc -l)
bytes=$(du -sb "$data" | cut -f1)
cat "$data"/cur/* > /dev/null   # page cache warm for both

timing=$(mktemp)
trap 'rm -f "$timing"' EXIT
best() {
  local best_t=999999 best_m=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$timing" "$@" >/dev/null 2>&1 || true
    read -r t m < <(tail -1 "$timing")
    if awk "BEGIN{exit !($t < $best_t)}"; then best_t=$t; best_m=$m; fi
  done
  echo "$best_t $best_m"
}
case_dir=$(mktemp -d)
read -r v_t v_m < <(best "$vigie" scan --tz UTC --case "$case_dir" "$data")
read -r c_t c_m < <(best clamscan --no-summary --infected -r --database="$root/rules/yara" "$data")
clam_loaded=$(clamscan --database="$root/rules/yara" -r /dev/null 2>&1 | grep -i "known viruses" || true)
flagged=$(grep -c . "$case_dir/findings.jsonl" || true)
clam_hits=$(clamscan --no-summary --infected -r --database="$root/rules/yara" "$data" 2>/dev/null | grep -c FOUND || true)
mb=$(awk "BEGIN{print $bytes/1e6}")
printf "mailbox: %d messages, %.1f MB (Maildir built from ../shared/corpus/mail)\n" "$count" "$mb"
printf "%-32s %8s %10s %8s %10s\n" tool "wall s" "msgs/s" "MB/s" "peak MB"
printf "%-32s %8.2f %10.0f %8.1f %10.0f\n" "vigie scan (MIME+HTML+YARA-X)" "$v_t" "$(awk "BEGIN{print $count/$v_t}")" "$(awk "BEGIN{print $mb/$v_t}")" "$(awk "BEGIN{print $v_m/1024}")"
printf "%-32s %8.2f %10.0f %8.1f %10.0f\n" "clamscan (same YARA rules)" "$c_t" "$(awk "BEGIN{print $count/$c_t}")" "$(awk "BEGIN{print $mb/$c_t}")" "$(awk "BEGIN{print $c_m/1024}")"
printf "vigie/clamscan speed: %.1fx; vigie findings: %s; clamscan detections: %s\n" "$(awk "BEGIN{print $c_t/$v_t}")" "$flagged" "$clam_hits"
echo "clamscan rule load: ${clam_loaded:-see clamscan --debug}"
