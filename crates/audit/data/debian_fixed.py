#!/usr/bin/env python3
"""Derives Debian fixed versions of data/vulnerabilities.json from the
changelog.Debian.gz that Debian's own packages ship, and checks (or, with
--write, fills) the debian_fixed fields.

Usage: debian_fixed.py [--write] RELEASE:COMPONENT:PATH/changelog.Debian.gz ...
e.g.   debian_fixed.py bookworm:roundcube:x/usr/share/doc/roundcube-core/changelog.Debian.gz

Rule: the fixed version for RELEASE is the lower, in dpkg's ordering, of
(a) the version of the oldest changelog entry that names the CVE and (b) the
first entry for RELEASE (distribution bookworm, bookworm-security, ...) at or
after it; (b) matters for backports such as 1.6.3+dfsg-1~deb12u1, which sorts
before 1.6.3+dfsg-1. A CVE the changelog does not name is left as it is.
Needs dpkg (dpkg --compare-versions). Exit 1 when a row disagrees (without --write).
"""
import gzip, json, re, subprocess, sys
from pathlib import Path

DATA = Path(__file__).with_name("vulnerabilities.json")
HEAD = re.compile(r"^(\S+) \(([^)]+)\) ([^;]+);")


def lt(a, b):
    return subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0


def entries(path):
    """(version, distribution, text) oldest first."""
    out, cur = [], None
    for line in gzip.open(path, "rt", errors="replace"):
        m = HEAD.match(line)
        if m:
            cur = [m.group(2), m.group(3).split()[0], ""]
            out.append(cur)
        elif cur:
            cur[2] += line
    return out[::-1]


def fixed(cve, release, log):
    for i, (version, _, text) in enumerate(log):
        if re.search(re.escape(cve) + r"\b", text):
            later = [v for v, dist, _ in log[i:] if dist.startswith(release)]
            if later and lt(later[0], version):
                return later[0]
            return version
    return None


def main(argv):
    write = "--write" in argv
    specs = [a.split(":", 2) for a in argv if a != "--write"]
    data = json.loads(DATA.read_text())
    bad = 0
    for release, component, path in specs:
        log = entries(path)
        for row in data["vulnerabilities"]:
            if row["component"] != component:
                continue
            got = fixed(row["cve"], release, log)
            have = row["debian_fixed"].get(release)
            if got is None:
                print(f"{release} {row['cve']}: not named in {path}; kept {have}")
                continue
            status = "ok" if have == got else f"DIFFERS (file has {have})"
            print(f"{release} {row['cve']}: {got} {status}")
            if have != got:
                bad += 1
                if write:
                    row["debian_fixed"][release] = got
    if write:
        DATA.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return 1 if bad and not write else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
