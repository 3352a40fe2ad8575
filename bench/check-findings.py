#!/usr/bin/env python3
"""Reads a scan's findings against the injected intrusion's ground truth and
prints the benchmark summary (called by scan-vs-rg.sh)."""
import datetime as dt
import json
import os
import sys

findings_path, truth_path, data, rg_t, ev_t, sc_t, sc_m, rules = sys.argv[1:9]
findings = [json.loads(l) for l in open(findings_path)]
truth = json.load(open(truth_path))
size = sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data))
gb = size / 1024**3


def sec(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


attackers = {ip for party, ip in truth["addresses"].items() if party.startswith("attacker")}
mail_only = {"inbound_html_payload"}
steps = [s for s in truth["steps"] if s["malicious"] and s["step"] not in mail_only]
victims = {a for s in steps for a in (s.get("account") or "").split(",") if a}
start = min(sec(s["start"]) for s in truth["steps"]) - 60
found, missing = 0, []
for s in steps:
    lo, hi = sec(s["start"]) - 2, sec(s["end"]) + 2
    accounts = (s.get("account") or "").split(",")
    hit = any(
        (f["entity"].get("source_ip") == s["src_ip"] or f["entity"].get("user") in accounts)
        and sec(f["first_seen"]) <= hi and sec(f["last_seen"]) >= lo and f["level"] != "informational"
        for f in findings)
    found += hit
    if not hit:
        missing.append(s["step"])
severe = [f for f in findings if f["level"] in ("high", "critical")]
related = [f for f in severe if f["entity"].get("source_ip") in attackers
           or (f["entity"].get("user") in victims and sec(f["last_seen"]) >= start)]
unrelated = [f for f in severe if f not in related]
mb = size / 1048576
print(f"input: {mb:.0f} MB ({gb:.2f} GiB); rule pack: {rules}")
print(f"{'tool':<34}{'wall s':>8}{'MB/s':>8}")
for name, t in [("rg -c (one literal)", rg_t), ("vigie events --stats", ev_t), ("vigie scan (rules+correlation+analytics)", sc_t)]:
    print(f"{name:<34}{float(t):>8.2f}{mb / float(t):>8.0f}")
print(f"scan/rg throughput ratio: {float(rg_t) / float(sc_t):.3f} (target >= 0.25); scan peak memory {int(sc_m) / 1024:.0f} MB (target < 256)")
print(f"scan cost over parsing: {float(sc_t) - float(ev_t):.2f} s for all rules, correlations and analytics")
print(f"injected malicious steps found: {found}/{len(steps)} (mail-only steps left to the mailbox scan: {sorted(mail_only)}); missing: {missing}")
print(f"findings: {len(findings)}; high/critical related to the intrusion: {len(related)}; unrelated: {len(unrelated)} = {len(unrelated) / gb:.1f} per GiB (target <= 1)")
by_title = {}
for f in unrelated:
    by_title[f["title"]] = by_title.get(f["title"], 0) + 1
for title, n in sorted(by_title.items(), key=lambda kv: -kv[1])[:10]:
    print(f"  unrelated: {n} x {title}")
