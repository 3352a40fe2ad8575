#!/usr/bin/env python3
"""Writes realistic mixed mail-server logs for benchmarks (synthetic, labelled so).

The line shapes are those the lab's real Postfix + Dovecot + Roundcube + nginx
write (see shared/lab/sample-run): an nginx access log of Roundcube traffic,
Roundcube userlogins, Dovecot's own log, and Postfix through rsyslog.
Usage: generate.py OUT_DIR TOTAL_MB   (files are split in ~128 MB parts)
"""
import os
import random
import sys

rng = random.Random(20261128)
USERS = [f"user{i}@corp.example" for i in range(2000)]
IPS = [f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(3000)]
PUBLIC = [f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(3000)]
UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
]
ACTIONS = [
    "_task=mail&_action=list&_mbox=INBOX&_page=1&_remote=1",
    "_task=mail&_action=show&_uid={uid}&_mbox=INBOX",
    "_task=mail&_action=preview&_uid={uid}&_mbox=INBOX&_framed=1",
    "_task=mail&_action=get&_uid={uid}&_mbox=INBOX&_part=2&_download=1",
    "_task=mail&_action=refresh&_remote=1",
    "_task=addressbook&_action=list&_source=0&_remote=1",
    "_task=settings&_action=folders",
]
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
HEX = "0123456789ABCDEF"


def clock(t):
    day, rest = divmod(t, 86400)
    return 1 + day % 28, rest // 3600, rest // 60 % 60, rest % 60


def web(t):
    d, h, m, s = clock(t)
    q = rng.choice(ACTIONS).format(uid=rng.randrange(1, 5000))
    tok = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=32))
    return (f'{rng.choice(IPS)} - - [{d:02d}/Nov/2026:{h:02d}:{m:02d}:{s:02d} +0100] '
            f'"GET /?{q}&_token={tok} HTTP/1.1" 200 {rng.randrange(200, 90000)} '
            f'"https://mail.corp.example/?_task=mail&_mbox=INBOX" "{rng.choice(UAS)}"\n')


def roundcube(t):
    d, h, m, s = clock(t)
    sess = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=16))
    if rng.random() < 0.9:
        return (f"[{d:02d}-Nov-2026 {h:02d}:{m:02d}:{s:02d} +0100]: <{sess[:8]}> Successful login for "
                f"{rng.choice(USERS)} (ID: {rng.randrange(1, 2000)}) from {rng.choice(IPS)} in session {sess}\n")
    return (f"[{d:02d}-Nov-2026 {h:02d}:{m:02d}:{s:02d} +0100]: <{sess[:8]}> Failed login for "
            f"{rng.choice(USERS)} from {rng.choice(PUBLIC)} in session {sess} (error: 0)\n")


def dovecot(t):
    d, h, m, s = clock(t)
    user, sess = rng.choice(USERS), "".join(rng.choices("abcdefghijklmnopqrstuvwxyzABCDEF0123456789/+", k=16))
    stamp = f"Nov {d:2d} {h:02d}:{m:02d}:{s:02d}"
    r = rng.random()
    if r < 0.45:
        return (f"{stamp} imap-login: Info: Login: user=<{user}>, method=PLAIN, rip={rng.choice(IPS)}, "
                f"lip=10.0.0.1, mpid={rng.randrange(100, 60000)}, TLS, session=<{sess}>\n")
    if r < 0.9:
        return (f"{stamp} imap({user})<{rng.randrange(100, 60000)}><{sess}>: Info: Disconnected: Logged out "
                f"in={rng.randrange(50, 5000)} out={rng.randrange(500, 900000)} deleted=0 expunged=0 trashed=0 "
                f"hdr_count={rng.randrange(0, 50)} hdr_bytes={rng.randrange(0, 40000)} body_count={rng.randrange(0, 9)} "
                f"body_bytes={rng.randrange(0, 800000)}\n")
    return f"{stamp} auth: Info: passwd-file({user},{rng.choice(PUBLIC)},<{sess}>): Password mismatch\n"


def postfix(t):
    d, h, m, s = clock(t)
    qid = "".join(rng.choices(HEX, k=10))
    stamp = f"2026-11-{d:02d}T{h:02d}:{m:02d}:{s:02d}.{rng.randrange(1000000):06d}+01:00 mx1"
    r = rng.random()
    if r < 0.25:
        return (f"{stamp} postfix/submission/smtpd[{rng.randrange(100, 60000)}]: {qid}: client=unknown[{rng.choice(IPS)}], "
                f"sasl_method=PLAIN, sasl_username={rng.choice(USERS)}\n")
    if r < 0.5:
        return f"{stamp} postfix/qmgr[812]: {qid}: from=<{rng.choice(USERS)}>, size={rng.randrange(900, 4000000)}, nrcpt=1 (queue active)\n"
    if r < 0.75:
        return (f"{stamp} postfix/lmtp[{rng.randrange(100, 60000)}]: {qid}: to=<{rng.choice(USERS)}>, "
                f"relay=mail.corp.example[private/dovecot-lmtp], delay=0.07, delays=0.02/0.01/0.03/0.02, dsn=2.0.0, "
                f"status=sent (250 2.0.0 <x> INPDEKZXC2tIfAAAg+zDdQ Saved)\n")
    return f"{stamp} postfix/cleanup[{rng.randrange(100, 60000)}]: {qid}: message-id=<{rng.randrange(10**12)}@corp.example>\n"


def main():
    out, total_mb = sys.argv[1], int(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    kinds = [("access.log", web), ("userlogins.log", roundcube), ("dovecot.log", dovecot), ("mail.log", postfix)]
    weights = {"access.log": 0.45, "userlogins.log": 0.05, "dovecot.log": 0.25, "mail.log": 0.25}
    part_mb = 128
    for name, make in kinds:
        target = int(total_mb * weights[name] * 1024 * 1024)
        part, written = 0, 0
        while written < target:
            size = min(part_mb * 1024 * 1024, target - written)
            path = os.path.join(out, f"{name.split('.')[0]}-{part:02d}.{name.split('.')[1]}")
            t, n = 0, 0
            with open(path, "w") as f:
                while n < size:
                    batch = "".join(make(t + i // 40) for i in range(2000))
                    t += 50
                    f.write(batch)
                    n += len(batch)
            written += n
            part += 1
    print(f"wrote {total_mb} MB of synthetic logs to {out}")


if __name__ == "__main__":
    main()
