#!/usr/bin/env python3
"""Writes realistic benign mail-server logs for benchmarks, optionally with one
real lab intrusion injected (synthetic benign data, labelled so).

An office of 2000 accounts on a Postfix + Dovecot + Roundcube + nginx server,
day after day, in the line shapes the lab's real servers write
(shared/lab/sample-run): desktop IMAP clients syncing every ten minutes,
webmail sessions (login, list, open, download, logout) with the webmail's own
proxied IMAP logins, submission of outgoing mail, inbound MX traffic, and the
internet's background noise (scanners, slow credential stuffing). Users mistype
passwords now and then, from their usual address.

With --inject RUN, the logs of a lab run (`drive-scenario … --collect RUN`,
e.g. examples/lab-intrusion) are shifted to the night of the sixth day, their
accounts and addresses mapped onto the office (alice -> user7, attacker on
public addresses), merged into the same files in time order, and the shifted
ground truth is written to OUT_DIR.ground-truth.json.

With --inject-hour H (after --inject RUN), the intrusion starts H hours
after the first line instead (bench/soak.py: a short replay holds it).

Usage: generate.py OUT_DIR TOTAL_MB [--inject RUN [--inject-hour H]]
"""
import datetime as dt
import json
import os
import random
import re
import sys

rng = random.Random(20261129)
START = dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc)  # a Monday
USERS = [f"user{i}@corp.example" for i in range(2000)]
OFFICE = {u: f"10.1.{i // 250}.{i % 250 + 2}" for i, u in enumerate(USERS)}
HOME = {u: f"100.64.{rng.randrange(256)}.{rng.randrange(1, 255)}" for u in USERS}
UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
]
UA = {u: rng.choice(UAS) for u in USERS}
WEBMAIL_USERS = set(rng.sample(USERS, 600))
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
B64 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"


def rid(n, alphabet="abcdefghijklmnopqrstuvwxyz0123456789"):
    return "".join(rng.choices(alphabet, k=n))


def clf(t):
    return f"{t.day:02d}/{MONTHS[t.month - 1]}/{t.year}:{t:%H:%M:%S} +0000"


def rc(t):
    return f"{t.day:02d}-{MONTHS[t.month - 1]}-{t.year} {t:%H:%M:%S} +0000"


def dov(t):
    return f"{MONTHS[t.month - 1]} {t.day:2d} {t:%H:%M:%S}"


def rfc(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class Hour:
    """The lines of one hour, per log, sorted by time when written."""

    def __init__(self):
        self.logs = {k: [] for k in ("access", "userlogins", "dovecot", "mail", "sendmail")}

    def add(self, log, t, line):
        self.logs[log].append((t, line))


def web(h, t, ip, user, query, status=200, method="GET", size=None):
    size = size or rng.randrange(300, 60000)
    h.add("access", t, f'{ip} - - [{clf(t)}] "{method} /?{query} HTTP/1.1" {status} {size} "-" "{UA[user]}"\n')


def proxied_imap(h, t, user):
    sess = rid(16, B64)
    pid = rng.randrange(1000, 60000)
    h.add("dovecot", t, f"{dov(t)} imap-login: Info: Login: user=<{user}>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, mpid={pid}, secured, session=<{sess}>\n")
    h.add("dovecot", t, f"{dov(t)} imap({user})<{pid}><{sess}>: Info: Disconnected: Logged out in={rng.randrange(40, 400)} out={rng.randrange(300, 30000)} deleted=0 expunged=0 trashed=0 hdr_count={rng.randrange(0, 40)} hdr_bytes={rng.randrange(0, 9000)} body_count={rng.randrange(0, 3)} body_bytes={rng.randrange(0, 20000)}\n")


def webmail_session(h, t, user):
    ip = OFFICE[user] if rng.random() < 0.85 else HOME[user]
    s8, s16 = rid(8), rid(16)
    tok = rid(32)
    if rng.random() < 0.03:  # a typo first
        h.add("userlogins", t, f"[{rc(t)}]: <{s8}> Failed login for {user} from {ip} in session {s16} (error: 0)\n")
        web(h, t, ip, user, "_task=login", 401, "POST")
        t += dt.timedelta(seconds=rng.randrange(3, 15))
    web(h, t, ip, user, "_task=login", 302, "POST", 0)
    h.add("userlogins", t, f"[{rc(t)}]: <{s8}> Successful login for {user} (ID: {USERS.index(user) + 1}) from {ip} in session {s16}\n")
    proxied_imap(h, t, user)
    for _ in range(rng.randrange(2, 9)):
        t += dt.timedelta(seconds=rng.randrange(5, 90))
        uid = rng.randrange(1, 4000)
        r = rng.random()
        if r < 0.35:
            web(h, t, ip, user, f"_task=mail&_action=list&_mbox=INBOX&_page=1&_remote=1&_token={tok}")
        elif r < 0.75:
            web(h, t, ip, user, f"_task=mail&_uid={uid}&_mbox=INBOX&_action=show")
        elif r < 0.85:
            web(h, t, ip, user, f"_task=mail&_action=get&_mbox=INBOX&_uid={uid}&_part=2&_download=1&_token={tok}")
        else:
            web(h, t, ip, user, f"_task=mail&_action=refresh&_remote=1&_token={tok}")
        proxied_imap(h, t, user)
    if rng.random() < 0.3:
        t += dt.timedelta(seconds=rng.randrange(10, 120))
        to = rng.choice(USERS)
        h.add("sendmail", t, f"[{rc(t)}]: <{s8}> User {user} [{ip}]; Message <{rid(32)}@corp.example> for {to}; 250: 2.0.0 Ok: queued as {rid(10, '0123456789ABCDEF')}\n")
    t += dt.timedelta(seconds=rng.randrange(10, 300))
    web(h, t, ip, user, f"_task=logout&_token={tok}", 302)


def imap_sync(h, t, user):
    ip = OFFICE[user]
    if rng.random() < 0.004:  # a client with a stale password after a change
        h.add("dovecot", t, f"{dov(t)} auth: Info: passwd-file({user},{ip},<{rid(16, B64)}>): Password mismatch\n")
        h.add("dovecot", t, f"{dov(t)} imap-login: Info: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<{user}>, method=PLAIN, rip={ip}, lip=10.0.0.1, TLS, session=<{rid(16, B64)}>\n")
        return
    sess, pid = rid(16, B64), rng.randrange(1000, 60000)
    h.add("dovecot", t, f"{dov(t)} imap-login: Info: Login: user=<{user}>, method=PLAIN, rip={ip}, lip=10.0.0.1, mpid={pid}, TLS, session=<{sess}>\n")
    t2 = t + dt.timedelta(seconds=rng.randrange(1, 5))
    h.add("dovecot", t2, f"{dov(t2)} imap({user})<{pid}><{sess}>: Info: Disconnected: Logged out in={rng.randrange(50, 900)} out={rng.randrange(600, 90000)} deleted=0 expunged=0 trashed=0 hdr_count={rng.randrange(0, 30)} hdr_bytes={rng.randrange(0, 8000)} body_count={rng.randrange(0, 4)} body_bytes={rng.randrange(0, 80000)}\n")


def submission(h, t, user):
    q = rid(10, "0123456789ABCDEF")
    ip = OFFICE[user]
    pid = rng.randrange(1000, 60000)
    h.add("mail", t, f"{rfc(t)} mail postfix/submission/smtpd[{pid}]: connect from unknown[{ip}]\n")
    h.add("mail", t, f"{rfc(t)} mail postfix/submission/smtpd[{pid}]: {q}: client=unknown[{ip}], sasl_method=PLAIN, sasl_username={user}\n")
    h.add("mail", t, f"{rfc(t)} mail postfix/cleanup[{pid + 1}]: {q}: message-id=<{rid(24)}@corp.example>\n")
    h.add("mail", t, f"{rfc(t)} mail postfix/qmgr[812]: {q}: from=<{user}>, size={rng.randrange(900, 3000000)}, nrcpt=1 (queue active)\n")
    to = rng.choice(USERS)
    h.add("mail", t, f"{rfc(t)} mail postfix/lmtp[{pid + 2}]: {q}: to=<{to}>, relay=mail.corp.example[private/dovecot-lmtp], delay=0.07, delays=0.02/0.01/0.03/0.02, dsn=2.0.0, status=sent (250 2.0.0 <{to}> {rid(22, B64)} Saved)\n")
    h.add("dovecot", t, f"{dov(t)} lmtp({to})<{pid + 3}><{rid(22, B64)}>: Info: msgid=<{rid(24)}@corp.example>: saved mail to INBOX\n")
    h.add("mail", t, f"{rfc(t)} mail postfix/qmgr[812]: {q}: removed\n")
    h.add("mail", t, f"{rfc(t)} mail postfix/submission/smtpd[{pid}]: disconnect from unknown[{ip}] ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6\n")


def internet_noise(h, t):
    ip = f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    pid = rng.randrange(1000, 60000)
    r = rng.random()
    if r < 0.5:
        h.add("mail", t, f"{rfc(t)} mail postfix/smtpd[{pid}]: connect from unknown[{ip}]\n")
        h.add("mail", t, f"{rfc(t)} mail postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from unknown[{ip}]: 554 5.7.1 Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; from=<{rid(8)}@{rid(6)}.com> to=<{rng.choice(USERS)}> proto=ESMTP helo=<{rid(7)}>\n")
        h.add("mail", t, f"{rfc(t)} mail postfix/smtpd[{pid}]: disconnect from unknown[{ip}] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4\n")
    elif r < 0.7:
        h.add("mail", t, f"{rfc(t)} mail postfix/smtpd[{pid}]: warning: unknown[{ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6\n")
    elif r < 0.85:
        h.add("dovecot", t, f"{dov(t)} imap-login: Info: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<{rng.choice(['admin', 'info', 'test', 'office'])}@corp.example>, method=PLAIN, rip={ip}, lip=10.0.0.1, TLS, session=<{rid(16, B64)}>\n")
    else:
        h.add("access", t, f'{ip} - - [{clf(t)}] "GET /{rng.choice([".env", "wp-login.php", "phpmyadmin/", ".git/config", "installer/"])} HTTP/1.1" 404 153 "-" "Mozilla/5.0 zgrab/0.x"\n')


class Injection:
    """A lab run's lines and ground truth, shifted and mapped onto the office."""

    def __init__(self, run, at):
        gt_path = next(os.path.join(run, f) for f in sorted(os.listdir(run)) if f.startswith("ground-truth"))
        self.truth = json.load(open(gt_path))
        started = dt.datetime.fromisoformat(self.truth["started"].replace("Z", "+00:00"))
        self.shift = at - started.replace(microsecond=0)
        self.map = {
            "alice@lab.test": USERS[7], "bob@lab.test": USERS[8], "carol@lab.test": USERS[9],
            "127.0.0.10": OFFICE[USERS[7]], "127.0.0.11": OFFICE[USERS[8]], "127.0.0.12": OFFICE[USERS[9]],
            "127.0.0.66": "185.220.101.66", "127.0.0.67": "185.220.101.67", "127.0.0.99": "203.0.113.99",
            "127.0.0.20": "198.51.100.20", "lab.test": "corp.example",
        }
        logs = run if os.path.isdir(os.path.join(run, "nginx")) else os.path.join(run, "logs")
        self.lines = {k: [] for k in ("access", "userlogins", "dovecot", "mail", "sendmail")}
        for rel, log in [("nginx/roundcube.access.log", "access"), ("roundcube/userlogins.log", "userlogins"),
                         ("dovecot.log", "dovecot"), ("mail.log", "mail"), ("roundcube/sendmail.log", "sendmail")]:
            for line in open(os.path.join(logs, rel), errors="replace"):
                shifted = self.shift_line(log, self.rename(line))
                if shifted:
                    self.lines[log].append(shifted)

    def rename(self, text):
        for a, b in sorted(self.map.items(), key=lambda kv: -len(kv[0])):
            text = re.sub(re.escape(a) + r"(?![0-9])", b, text)
        return text

    def shift_line(self, log, line):
        patterns = {
            "access": (r"\[(\d\d)/(\w\w\w)/(\d{4}):(\d\d:\d\d:\d\d) \+0000\]", lambda t: f"[{clf(t)}]"),
            "userlogins": (r"^\[(\d\d)-(\w\w\w)-(\d{4}) (\d\d:\d\d:\d\d) \+0000\]", lambda t: f"[{rc(t)}]"),
            "sendmail": (r"^\[(\d\d)-(\w\w\w)-(\d{4}) (\d\d:\d\d:\d\d) \+0000\]", lambda t: f"[{rc(t)}]"),
            "dovecot": (r"^(\w\w\w) +(\d+) (\d\d:\d\d:\d\d)", lambda t: dov(t)),
            "mail": (r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00)", lambda t: rfc(t)),
        }
        pattern, render = patterns[log]
        m = re.search(pattern, line)
        if not m:
            return None
        if log == "mail":
            t = dt.datetime.fromisoformat(m.group(1))
        elif log == "dovecot":
            t = dt.datetime.strptime(f"2026 {m.group(1)} {m.group(2)} {m.group(3)}", "%Y %b %d %H:%M:%S").replace(tzinfo=dt.timezone.utc)
        else:
            t = dt.datetime.strptime(f"{m.group(1)} {m.group(2)} {m.group(3)} {m.group(4)}", "%d %b %Y %H:%M:%S").replace(tzinfo=dt.timezone.utc)
        t += self.shift
        return t, line[: m.start()] + render(t) + line[m.end():]

    def ground_truth(self):
        truth = json.loads(self.rename(json.dumps(self.truth)))
        for step in truth["steps"]:
            for k in ("start", "end"):
                t = dt.datetime.fromisoformat(step[k].replace("Z", "+00:00")) + self.shift
                step[k] = t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        truth["addresses"] = {k: self.rename(v) for k, v in self.truth["addresses"].items()}
        return truth


def main():
    out, total_mb = sys.argv[1], int(sys.argv[2])
    at_hour = int(sys.argv[6]) if "--inject-hour" in sys.argv[5:6] else None
    inject_at = START + (dt.timedelta(days=5, hours=2, minutes=13) if at_hour is None else dt.timedelta(hours=at_hour, minutes=13))
    inject = Injection(sys.argv[4], inject_at) if "--inject" in sys.argv[3:4] else None
    os.makedirs(out, exist_ok=True)
    files = {}
    parts = {}
    written = 0
    limit = total_mb * 1024 * 1024
    hour = START
    while written < limit:
        h = Hour()
        weekday, office_hours = hour.weekday() < 5, 8 <= hour.hour < 18
        active = office_hours and weekday
        for user in USERS:
            # Desktop clients sync every ten minutes, fewer at night.
            for slot in range(6 if active else 2):
                imap_sync(h, hour + dt.timedelta(minutes=slot * (10 if active else 30), seconds=rng.randrange(600)), user)
            if active and user in WEBMAIL_USERS and rng.random() < 0.25:
                webmail_session(h, hour + dt.timedelta(seconds=rng.randrange(3000)), user)
            if active and rng.random() < 0.15:
                submission(h, hour + dt.timedelta(seconds=rng.randrange(3600)), user)
        for _ in range(300):
            internet_noise(h, hour + dt.timedelta(seconds=rng.randrange(3600)))
        if inject:
            for log, lines in inject.lines.items():
                for t, line in lines:
                    if hour <= t < hour + dt.timedelta(hours=1):
                        h.add(log, t, line)
        for log, lines in h.logs.items():
            lines.sort(key=lambda tl: tl[0])
            text = "".join(line for _, line in lines)
            f = files.get(log)
            if f is None or f.tell() > 128 * 1024 * 1024:
                if f:
                    f.close()
                parts[log] = parts.get(log, -1) + 1
                f = files[log] = open(os.path.join(out, f"{log}-{parts[log]:02d}.log"), "w")
            f.write(text)
            written += len(text)
        hour += dt.timedelta(hours=1)
    for f in files.values():
        f.close()
    if inject:
        days = (hour - START).days
        if at_hour is None and days < 6:
            sys.exit(f"only {days} days written: the intrusion (day 6) was not injected; ask for more MB")
        with open(out.rstrip("/") + ".ground-truth.json", "w") as g:
            json.dump(inject.ground_truth(), g, indent=1)
    print(f"wrote {written / 1048576:.0f} MB of synthetic office logs ({(hour - START).days} days) to {out}")


if __name__ == "__main__":
    main()
