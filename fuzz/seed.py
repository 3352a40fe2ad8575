#!/usr/bin/env python3
"""Seeds an empty fuzz corpus from the repository's own inputs.

usage: seed.py REPO CORPUS_DIR TARGET

Each seed is named by its hash. Log files are cut into pieces of LINES
lines (libFuzzer works best on small inputs); the family targets (mta,
imap, webmail) get each syslog line's message behind the byte that picks
its program's row in families.tsv; the audit target gets the test system
root's files joined by NUL in the target's order.
"""

import hashlib
import os
import re
import sys

LINES = 40
PIECES_PER_FILE = 4
MAX_SEED = 64 * 1024

LINE_TARGETS = {"syslog", "exim", "web", "roundcube", "journald", "input"}
LOG_DIRS = ["examples", "testdata/corpus/logs", "crates/ingest/tests/testdata/mailservers"]
NOT_LOGS = re.compile(r"(LICENSE|\.md|\.yaml|\.yml|\.assert|\.json|\.rs|\.php|\.sieve|\.eml)$")
SYSLOG = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d (?:\S+ )?([^:\[ ]+)(?:\[\d+\])?: ?(.*)$")

# The audit target's files, in its order (fuzz_targets/audit.rs).
AUDIT_FILES = [
    "etc/php/8.2/fpm/php.ini",
    "etc/postfix/main.cf",
    "etc/postfix/master.cf",
    "etc/dovecot/dovecot.conf",
    "etc/dovecot/conf.d/10-auth.conf",
    "etc/dovecot/conf.d/auth-system.conf.ext",
    "etc/exim4/update-exim4.conf.conf",
    "etc/exim4/exim4.conf.template",
    "usr/share/roundcube/program/include/iniset.php",
    "etc/roundcube/config.inc.php",
    "etc/roundcube/defaults.inc.php",
    "etc/nginx/nginx.conf",
    "etc/nginx/sites-available/default",
    "etc/apache2/apache2.conf",
    "var/lib/dpkg/status",
    "etc/os-release",
    "etc/fail2ban/jail.local",
]


def files(repo, dirs, keep):
    for d in dirs:
        for root, _, names in os.walk(os.path.join(repo, d)):
            for name in sorted(names):
                path = os.path.join(root, name)
                if os.path.isfile(path) and keep(path):
                    yield path


def read(path, limit=None):
    with open(path, "rb") as f:
        return f.read(limit) if limit else f.read()


def save(corpus, data):
    if data:
        name = hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(corpus, name), "wb") as f:
            f.write(data[:MAX_SEED])


def pieces(data):
    lines = data.splitlines(keepends=True)
    for i in range(0, min(len(lines), LINES * PIECES_PER_FILE), LINES):
        yield b"".join(lines[i : i + LINES])


def log_files(repo):
    return files(repo, LOG_DIRS, lambda p: ("/logs/" in p or "testdata" in p) and not NOT_LOGS.search(p))


def family_rows(repo, group):
    rows = []
    with open(os.path.join(repo, "fuzz", "families.tsv"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            g, fmt, prefix = (line.split("\t", 2) + [""])[:3]
            if g == group:
                rows.append((fmt, prefix))
    return rows


def seed_family(repo, corpus, group):
    rows = family_rows(repo, group)
    by_program = {}
    for i, (fmt, prefix) in enumerate(rows):
        m = SYSLOG.match(prefix)
        if m:
            by_program.setdefault(m.group(1), i)
    framed = {i: fmt for i, (fmt, prefix) in enumerate(rows) if not prefix}
    hints = {
        "exim": ("exim", "mainlog"), "roundcube": ("roundcube",), "zimbra": ("zimbra",),
        "kerio": ("kerio",), "openwebmail": ("openwebmail",), "nginx-error": ("nginx", "error"),
        "nginx-access": ("nginx", "access"), "apache-access": ("apache", "access"),
        "apache-error": ("apache", "error"),
    }
    per_row = {}
    for path in log_files(repo):
        data = read(path, 1 << 20)
        for line in data.splitlines():
            m = SYSLOG.match(line.decode("utf-8", "replace"))
            if m and m.group(1) in by_program:
                row = by_program[m.group(1)]
                per_row.setdefault(row, []).append(m.group(2).encode())
        for row, fmt in framed.items():
            if any(h in path.lower() for h in hints.get(fmt, ())):
                for piece in pieces(data):
                    save(corpus, bytes([row]) + piece)
    for row, messages in per_row.items():
        for i in range(0, min(len(messages), LINES * 8), LINES):
            save(corpus, bytes([row]) + b"\n".join(messages[i : i + LINES]))


def main():
    repo, corpus, target = sys.argv[1:4]
    os.makedirs(corpus, exist_ok=True)
    if target in LINE_TARGETS:
        for path in log_files(repo):
            for piece in pieces(read(path, 1 << 20)):
                save(corpus, piece)
    elif target in ("mta", "imap", "webmail"):
        seed_family(repo, corpus, target)
    elif target in ("mail", "mailstore"):
        dirs = ["examples", "crates/mail/tests", "testdata/corpus/mail"]
        for path in files(repo, dirs, lambda p: re.search(r"/(cur|new)/|\.eml$|\.mbox$", p)):
            if os.path.getsize(path) <= MAX_SEED:
                save(corpus, read(path))
    elif target == "sieve":
        for path in files(repo, ["examples", "crates/mail/tests", "testdata"], lambda p: p.endswith(".sieve")):
            save(corpus, read(path))
    elif target == "sigma":
        for path in files(repo, ["rules/sigma", "testdata/sigma"], lambda p: p.endswith((".yml", ".yaml"))):
            save(corpus, read(path))
    elif target in ("intel", "intel_values"):
        dirs = ["crates/intel/tests", "intel", "testdata"]
        feeds = files(repo, dirs, lambda p: p.endswith((".json", ".csv", ".txt")) and "/corpus/" not in p)
        for path in feeds:
            if os.path.getsize(path) <= MAX_SEED:
                data = read(path)
                if target == "intel":
                    save(corpus, data)
                else:
                    # Each format picks its entries out of the lines.
                    for kind in range(8):
                        save(corpus, bytes([kind]) + data[:4096])
    elif target == "yara":
        dirs = ["rules/yara", "crates/mail/tests", "testdata"]
        for path in files(repo, dirs, lambda p: p.endswith((".yar", ".yara"))):
            save(corpus, read(path))
            # Each rule alone, so mutations reach the rules' own syntax.
            text = read(path)
            for rule in re.split(rb"\n(?=rule )", text)[1:]:
                save(corpus, rule)
    elif target == "audit":
        base = os.path.join(repo, "crates/audit/tests/testdata/debian-bookworm")
        whole = []
        for i, name in enumerate(AUDIT_FILES):
            path = os.path.join(base, name)
            data = read(path) if os.path.isfile(path) else b""
            whole.append(data.replace(b"\0", b""))
            # Each file alone, in its place.
            save(corpus, b"\0" * i + whole[-1])
        save(corpus, b"\0".join(whole))
    else:
        sys.exit(f"seed.py: no seeds known for {target}")


if __name__ == "__main__":
    main()
