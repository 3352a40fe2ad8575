#!/usr/bin/env python3
"""Soak test of `vigie watch` as a service (issue 18): the benchmark
generator's lines (bench/generate.py, synthetic office with the lab intrusion
injected, labelled synthetic) are replayed into watched files at a fixed
rate, with rotations every few minutes (rename, copytruncate, compressed),
the watch killed (SIGKILL, sometimes SIGTERM) and restarted at seeded random
moments, and the webhook collector down for a while. At the end:

- every rule and correlation finding `vigie scan` makes on the same lines
  (per rule and source address) was alerted by the watch: LOST must be 0;
- no alert was delivered twice, on stdout or through the webhook: DUPLICATED
  must be 0; the webhook received what stdout printed;
- the webhook queue stayed under its bound and was drained;
- peak memory (RSS of the watch) per minute is printed, to see it stay flat.

Usage:
  bench/soak.py                         # 20 minutes, about 170 MB of lines
  bench/soak.py --minutes 1 --mb 3      # the shortened run (about 75 s)
Options: --minutes N  --mb MB  --seed S  --rotate-every SECONDS
         --collector-down SECONDS  --vigie PATH (default: a release build)
Exit status 0 when every check holds, 1 when one fails.
"""
import argparse
import gzip
import http.server
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUEUE_MAX = 4 * 1024 * 1024


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=20)
    p.add_argument("--mb", type=int, default=None, help="size of the generated set (default: 8.5 MB a minute)")
    p.add_argument("--seed", type=int, default=18)
    p.add_argument("--rotate-every", type=float, default=None, help="seconds (default: a tenth of the run, at most 180)")
    p.add_argument("--collector-down", type=float, default=None, help="seconds (default: a fifth of the run, at most 60)")
    p.add_argument("--vigie", default=None)
    a = p.parse_args()
    seconds = a.minutes * 60
    a.mb = a.mb or max(3, int(a.minutes * 8.5))
    a.rotate_every = a.rotate_every or min(180, seconds / 10)
    a.collector_down = a.collector_down if a.collector_down is not None else min(60, seconds / 5)
    return a


class Collector(http.server.ThreadingHTTPServer):
    """A webhook collector on loopback: keeps each POST's body; answers 503 while down."""

    def __init__(self):
        self.bodies, self.down, self.lock = [], False, threading.Lock()
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.server.lock:
            down = self.server.down
            if not down:
                self.server.bodies.append(body.decode())
        self.send_response(503 if down else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def rss_kb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def key(finding):
    return (finding["rule_id"], finding["entity"].get("source_ip", ""))


def identity(finding):
    """What tells one alert from another: the same twice is a duplicate."""
    first = (finding.get("evidence") or [{}])[0]
    return (finding["rule_id"], json.dumps(finding["entity"], sort_keys=True),
            finding["first_seen"], first.get("path"), first.get("line"))


def is_analytic(rule_id):
    return len(rule_id) == 5 and rule_id[0] == "V" and rule_id[2:].isdigit()


class Watch:
    def __init__(self, vigie, watched, state, url, out):
        self.proc = subprocess.Popen(
            [vigie, "watch", watched, "--state-dir", state, "--json", "--tz", "UTC",
             "--no-intel-store", "--no-mail", "--interval", "0.5",
             "--webhook", url, "--webhook-queue-max", str(QUEUE_MAX)],
            stdout=out, stderr=open(os.path.join(os.path.dirname(state), "watch.stderr"), "a"))


def rotate(path, mode, rng):
    """Rotates `path` as logrotate would: `create` (rename, new file),
    `copytruncate`, or `create` then compress the new `.1` at once."""
    d, name = os.path.split(path)
    rotated = sorted((f for f in os.listdir(d) if f.startswith(name + ".")),
                     key=lambda f: -int(f[len(name) + 1:].split(".")[0]))
    for f in rotated:  # .3.gz -> .4.gz, …, .1 -> .2 (nothing is deleted: scan reads them all)
        n = int(f[len(name) + 1:].split(".")[0])
        os.rename(os.path.join(d, f), os.path.join(d, f.replace(f".{n}", f".{n + 1}", 1)))
    one = path + ".1"
    if mode == "copytruncate":
        shutil.copyfile(path, one)
        with open(path, "r+") as f:
            f.truncate(0)
    else:
        os.rename(path, one)
        open(path, "a").close()
        if mode == "compressed":
            with open(one, "rb") as src, gzip.open(one + ".gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.remove(one)
    two = path + ".2"
    if os.path.exists(two):  # delaycompress
        with open(two, "rb") as src, gzip.open(two + ".gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.remove(two)


def main():
    a = parse_args()
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="vigie-soak-")
    vigie = a.vigie
    if vigie is None:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "vigie"], cwd=ROOT, check=True)
        vigie = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "vigie")
    gen = os.path.join(work, "generated")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "generate.py"), gen, str(a.mb),
                    "--inject", os.path.join(ROOT, "examples", "lab-intrusion"), "--inject-hour", "1"],
                   check=True, stdout=subprocess.DEVNULL)
    # What scan finds on the same lines.
    subprocess.run([vigie, "scan", "--tz", "UTC", "--findings-only", "--no-intel-store", "--no-mail",
                    "--case", os.path.join(work, "case"), gen], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    expected = {key(f) for f in map(json.loads, open(os.path.join(work, "case", "findings.jsonl")))
                if not is_analytic(f["rule_id"])}

    # The lines, interleaved in proportion so every file spans the run alike.
    watched = os.path.join(work, "logs")
    os.makedirs(watched)
    merged = []
    for f in sorted(os.listdir(gen)):
        lines = open(os.path.join(gen, f), errors="replace").readlines()
        live = os.path.join(watched, f.replace("-00.log", ".log"))
        open(live, "w").close()
        merged += [((i + 0.5) / len(lines), live, line) for i, line in enumerate(lines)]
    merged.sort(key=lambda t: t[0])
    seconds = a.minutes * 60
    rate = len(merged) / (seconds * 0.85)
    busiest = max({p for _, p, _ in merged}, key=lambda p: sum(1 for _, q, _ in merged if q == p))
    live_files = sorted({p for _, p, _ in merged})

    collector = Collector()
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{collector.server_address[1]}/alerts"
    state = os.path.join(work, "state")
    stdout_path = os.path.join(work, "alerts.jsonl")
    out = open(stdout_path, "ab")
    watch = Watch(vigie, watched, state, url, out)

    kills = sorted(rng.uniform(0.1, 0.8) * seconds for _ in range(max(2, int(a.minutes / 3))))
    rotations = [a.rotate_every * (i + 1) for i in range(int(seconds * 0.85 / a.rotate_every))]
    modes = ["create", "copytruncate", "compressed"]
    down_from = seconds * 0.3
    print(f"{len(merged)} lines at {rate:.0f}/s for {seconds:.0f} s; {len(expected)} rule and correlation "
          f"findings from scan; kills at {[round(k) for k in kills]} s; rotations every {a.rotate_every:.0f} s; "
          f"collector down {a.collector_down:.0f} s from {down_from:.0f} s; work in {work}", flush=True)

    start = time.monotonic()
    written, minute_peak, minute, queue_peak, restarts = 0, 0, 0, 0, 0
    next_rotation = 0
    files = {p: open(p, "a") for p in live_files}
    while written < len(merged):
        now = time.monotonic() - start
        due = min(len(merged), int(now * rate))
        batch = {}
        for _, path, line in merged[written:due]:
            batch.setdefault(path, []).append(line)
        for path, lines in batch.items():
            files[path].write("".join(lines))
            files[path].flush()
        written = due
        collector.down = down_from <= now < down_from + a.collector_down
        if next_rotation < len(rotations) and now >= rotations[next_rotation]:
            path = busiest if next_rotation % 2 == 0 else rng.choice(live_files)
            files[path].close()
            rotate(path, modes[next_rotation % 3], rng)
            files[path] = open(path, "a")
            next_rotation += 1
        if kills and now >= kills[0]:
            kills.pop(0)
            hard = rng.random() < 0.75
            watch.proc.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
            watch.proc.wait()
            time.sleep(rng.uniform(0.5, 4))
            watch = Watch(vigie, watched, state, url, out)
            restarts += 1
        minute_peak = max(minute_peak, rss_kb(watch.proc.pid))
        try:
            status = json.load(open(os.path.join(state, "status.json")))
            queue_peak = max(queue_peak, (status.get("webhook") or {}).get("queued_bytes", 0))
        except (OSError, ValueError):
            pass
        if now >= (minute + 1) * 60:
            print(f"minute {minute + 1}: peak RSS {minute_peak / 1024:.1f} MB, {written} lines written, "
                  f"webhook queue peak {queue_peak} bytes", flush=True)
            minute, minute_peak = minute + 1, 0
        time.sleep(0.05)
    for f in files.values():
        f.close()
    # Let it catch up and drain the queue, then stop it.
    collector.down = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            status = json.load(open(os.path.join(state, "status.json")))
            lag = sum(f["lag_bytes"] for f in status["files"])
            queued = (status.get("webhook") or {}).get("queued", 0)
            if lag == 0 and queued == 0:
                break
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.5)
    time.sleep(2)
    print(f"minute {minute + 1} (end): peak RSS {max(minute_peak, rss_kb(watch.proc.pid)) / 1024:.1f} MB in the last minute", flush=True)
    watch.proc.send_signal(signal.SIGTERM)
    watch.proc.wait()
    out.close()
    time.sleep(0.5)

    printed = [json.loads(l) for l in open(stdout_path) if l.strip()]
    posted = [json.loads(b) for b in collector.bodies]
    alerted = {key(f) for f in printed}
    lost = sorted(expected - alerted)
    dup_stdout = len(printed) - len({identity(f) for f in printed})
    dup_webhook = len(posted) - len({identity(f) for f in posted})
    not_posted = len({identity(f) for f in printed} - {identity(f) for f in posted})
    queue_left = len(os.listdir(os.path.join(state, "webhook")))
    print(f"alerts: {len(printed)} on stdout, {len(posted)} through the webhook; restarts: {restarts}")
    print(f"LOST (scan findings not alerted): {len(lost)} {lost[:10]}")
    print(f"DUPLICATED: {dup_stdout} on stdout, {dup_webhook} through the webhook")
    print(f"webhook: {not_posted} printed alerts not posted, {queue_left} left queued, "
          f"queue peak {queue_peak} bytes (bound {QUEUE_MAX})")
    ok = not lost and dup_stdout == 0 and dup_webhook == 0 and not_posted == 0 and queue_left == 0 \
        and queue_peak <= QUEUE_MAX
    print("OK" if ok else "FAILED")
    if ok:
        shutil.rmtree(work)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
