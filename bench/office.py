#!/usr/bin/env python3
"""A seeded office with seeded intrusions, its ground truth, and a check
(synthetic data, labelled so; line shapes copied from the lab's real servers,
testdata/lab/sample-run, and from the Exim and Dovecot corpus lines in
testdata/corpus/logs).

The office (sizes and habits vary by seed): a few hundred people over some
weeks on one Postfix + Dovecot + Roundcube server, plus a branch office that
relays through Exim. Desktop IMAP clients sync from the office; phones sync
over carrier networks whose address changes every few hours; some people are
on business trips (a hotel address abroad for a few days); a backup host
copies every mailbox each Sunday night; Roundcube sits behind a reverse proxy
(10.0.0.5) and, with no trusted-proxy setting, logs only the proxy, while
nginx's access log carries the client in X-Forwarded-For. Users mistype
passwords, upload attachments (requests without `_from`), and the internet
scans and sprays slowly, all day long.

The intrusions (each seed places and shapes them differently):
- smtp_spraying: twenty or so addresses each trying a few passwords an hour
  on SMTP submission against fifty accounts (Postfix names no account on a
  failed SASL login), then one success, from one of its addresses or from
  an address new for the account inside the campaign's window, and spam sent
  from it within the hour (Postfix bounces and rate-limit deferrals);
- pop3_first_night: on the first night, a whole mailbox downloaded over POP3
  from an address never seen;
- proxy_bruteforce: a webmail password guessed through the proxy, then a
  session reading mail;
- exim_takeover: SMTP AUTH brute force on Exim, then a spam burst with
  bounces and deferrals (from a few dozen recipients to hundreds);
  it and proxy_bruteforce may fall on the first day (the warm-up of the
  baselined analytics);
- cve_2025_49113: a Roundcube upload whose `_from` carries a serialized object;
- spypress: SpyPress-style viewsource loop and a Sieve redirect from the
  victim's own session (../shared/THREATS.md section 2).

  office.py generate SEED OUT_DIR [--people N] [--days D] [--quiet] [--sprays-every H]
      writes the logs into OUT_DIR and the ground truth to OUT_DIR.truth.json;
      --quiet: the same office without any intrusion; --sprays-every H: a
      botnet's distributed spray every H hours (a load, not in the truth).
  office.py check FINDINGS.jsonl TRUTH.json
      prints steps found (a finding above low names the step's account or
      address in its time), steps raised (such a finding high or critical),
      stray high/critical findings, findings per 1000 accounts per week, as
      one JSON line.
  office.py run --seeds N [--people N] [--days D] [--vigie PATH]
      generates, scans and checks N seeds, printing a table.
"""
import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

START = dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc)  # a Monday
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
B64 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
HEX = "0123456789ABCDEF"
PROXY = "10.0.0.5"
BACKUP = "10.0.9.9"
UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
]
# Carrier networks' public pools (documentation-free, realistic first octets).
CARRIERS = ["37.171", "80.215", "92.184", "176.134", "188.65"]
HOTELS = ["81.2.69", "89.160.20", "175.16.199", "216.160.83", "2.125.160"]


def clf(t):
    return f"{t.day:02d}/{MONTHS[t.month - 1]}/{t.year}:{t:%H:%M:%S} +0000"


def rc(t):
    return f"{t.day:02d}-{MONTHS[t.month - 1]}-{t.year} {t:%H:%M:%S} +0000"


def dov(t):
    return f"{MONTHS[t.month - 1]} {t.day:2d} {t:%H:%M:%S}"


def rfc(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def exim(t):
    return t.strftime("%Y-%m-%d %H:%M:%S")


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Office:
    def __init__(self, seed, people, days):
        self.rng = random.Random(seed)
        r = self.rng
        self.days = days
        self.users = [f"user{i}@corp.example" for i in range(people)]
        self.office = {u: f"10.1.{i // 250}.{i % 250 + 2}" for i, u in enumerate(self.users)}
        self.home = {u: f"100.64.{r.randrange(256)}.{r.randrange(1, 255)}" for u in self.users}
        self.ua = {u: r.choice(UAS) for u in self.users}
        self.webmail = set(r.sample(self.users, people * 2 // 5))
        self.phones = {u: r.choice(CARRIERS) for u in r.sample(self.users, people // 2)}
        self.branch = set(r.sample(self.users, people // 10))  # send through the Exim relay
        self.trips = {}
        for u in r.sample(self.users, max(1, people // 25)):
            d = r.randrange(days - 3)
            self.trips[u] = (d, d + r.randrange(2, 5), f"{r.choice(HOTELS)}.{r.randrange(1, 255)}")
        self.logs = {k: [] for k in ("access", "userlogins", "sendmail", "dovecot", "mail", "exim")}
        self.truth = {"seed": seed, "people": people, "days": days, "steps": [], "addresses": {}}
        self.ids = 0

    def rid(self, n, alphabet="abcdefghijklmnopqrstuvwxyz0123456789"):
        return "".join(self.rng.choices(alphabet, k=n))

    def add(self, log, t, line):
        self.logs[log].append((t, line + "\n"))

    def pid(self):
        return self.rng.randrange(1000, 60000)

    # --- lines, in the real servers' shapes -------------------------------

    def web(self, t, client, ua, query, status=200, method="GET", size=None):
        size = size if size is not None else self.rng.randrange(300, 60000)
        self.add("access", t, f'{PROXY} - - [{clf(t)}] "{method} /?{query} HTTP/1.1" {status} {size} "-" "{ua}" "{client}"')

    def imap_session(self, t, user, ip, out=None, proto="imap"):
        r = self.rng
        sess, pid = self.rid(16, B64), self.pid()
        lip = "127.0.0.1" if ip == "127.0.0.1" else "10.0.0.1"
        tls = "secured" if ip == "127.0.0.1" else "TLS"
        self.add("dovecot", t, f"{dov(t)} {proto}-login: Info: Login: user=<{user}>, method=PLAIN, rip={ip}, lip={lip}, mpid={pid}, {tls}, session=<{sess}>")
        t2 = t + dt.timedelta(seconds=r.randrange(1, 5))
        out = out if out is not None else r.randrange(600, 90000)
        self.add("dovecot", t2, f"{dov(t2)} {proto}({user})<{pid}><{sess}>: Info: Disconnected: Logged out in={r.randrange(50, 900)} out={out} deleted=0 expunged=0 trashed=0 hdr_count={r.randrange(0, 30)} hdr_bytes={r.randrange(0, 8000)} body_count={r.randrange(0, 4)} body_bytes={r.randrange(0, 80000)}")

    def imap_failure(self, t, user, ip):
        self.add("dovecot", t, f"{dov(t)} auth: Info: passwd-file({user},{ip},<{self.rid(16, B64)}>): Password mismatch")
        self.add("dovecot", t, f"{dov(t)} imap-login: Info: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<{user}>, method=PLAIN, rip={ip}, lip=10.0.0.1, TLS, session=<{self.rid(16, B64)}>")

    def submission(self, t, user, ip, to, sasl="PLAIN", outcomes=None):
        q, pid = self.rid(10, HEX), self.pid()
        self.add("mail", t, f"{rfc(t)} mail postfix/submission/smtpd[{pid}]: connect from unknown[{ip}]")
        self.add("mail", t, f"{rfc(t)} mail postfix/submission/smtpd[{pid}]: {q}: client=unknown[{ip}], sasl_method={sasl}, sasl_username={user}")
        self.add("mail", t, f"{rfc(t)} mail postfix/cleanup[{pid + 1}]: {q}: message-id=<{self.rid(24)}@corp.example>")
        self.add("mail", t, f"{rfc(t)} mail postfix/qmgr[812]: {q}: from=<{user}>, size={self.rng.randrange(900, 300000)}, nrcpt={len(to)} (queue active)")
        for i, rcpt in enumerate(to):
            o = outcomes[i] if outcomes else "sent"
            if o == "bounced":  # postfix/smtp's bounce and rate-limit deferral shapes (Postfix smtp_proto.c)
                self.add("mail", t, f"{rfc(t)} mail postfix/smtp[{pid + 2}]: {q}: to=<{rcpt}>, relay=mx.{rcpt.split('@')[1]}[198.51.100.25]:25, delay=1.2, delays=0.1/0.01/0.6/0.5, dsn=5.1.1, status=bounced (host mx.{rcpt.split('@')[1]}[198.51.100.25] said: 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown (in reply to RCPT TO command))")
            elif o == "deferred":
                self.add("mail", t, f"{rfc(t)} mail postfix/smtp[{pid + 2}]: {q}: to=<{rcpt}>, relay=mx.{rcpt.split('@')[1]}[198.51.100.25]:25, delay=2.1, delays=0.1/0.01/1.5/0.5, dsn=4.7.0, status=deferred (host mx.{rcpt.split('@')[1]}[198.51.100.25] said: 421 4.7.0 Too many messages, rate limited (in reply to end of DATA command))")
            elif rcpt.endswith("@corp.example"):
                self.add("mail", t, f"{rfc(t)} mail postfix/lmtp[{pid + 2}]: {q}: to=<{rcpt}>, relay=mail.corp.example[private/dovecot-lmtp], delay=0.07, delays=0.02/0.01/0.03/0.02, dsn=2.0.0, status=sent (250 2.0.0 <{rcpt}> {self.rid(22, B64)} Saved)")
            else:
                self.add("mail", t, f"{rfc(t)} mail postfix/smtp[{pid + 2}]: {q}: to=<{rcpt}>, relay=mx.{rcpt.split('@')[1]}[198.51.100.25]:25, delay=0.9, delays=0.1/0.01/0.3/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as {self.rid(10, HEX)})")
        self.add("mail", t, f"{rfc(t)} mail postfix/qmgr[812]: {q}: removed")
        self.add("mail", t, f"{rfc(t)} mail postfix/submission/smtpd[{pid}]: disconnect from unknown[{ip}] ehlo=1 auth=1 mail=1 rcpt={len(to)} data=1 quit=1 commands={5 + len(to)}")

    def sasl_failure(self, t, ip, service="submission/smtpd"):
        pid = self.pid()
        self.add("mail", t, f"{rfc(t)} mail postfix/{service}[{pid}]: connect from unknown[{ip}]")
        self.add("mail", t, f"{rfc(t)} mail postfix/{service}[{pid}]: warning: unknown[{ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6")
        self.add("mail", t, f"{rfc(t)} mail postfix/{service}[{pid}]: disconnect from unknown[{ip}] ehlo=1 auth=0/1 quit=1 commands=2/3")

    def exim_id(self):
        return f"{self.rid(6, B64[:62])}-{self.rid(6, B64[:62])}-{self.rid(2, B64[:62])}"

    def exim_send(self, t, user, ip, to, outcomes=None):
        mid = self.exim_id()
        self.add("exim", t, f"{exim(t)} {mid} <= {user} H=({self.rid(8)}) [{ip}] P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=dovecot_login:{user} S={self.rng.randrange(1500, 40000)} id={self.rid(20)}@corp.example")
        for i, rcpt in enumerate(to):
            o = outcomes[i] if outcomes else "=>"
            domain = rcpt.split("@")[1]
            if o == "=>":
                self.add("exim", t, f"{exim(t)} {mid} => {rcpt} R=dnslookup T=remote_smtp H=mx.{domain} [198.51.100.{self.rng.randrange(2, 250)}] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 2.0.0 OK\"")
            elif o == "**":
                self.add("exim", t, f"{exim(t)} {mid} ** {rcpt} R=dnslookup T=remote_smtp H=mx.{domain} [198.51.100.{self.rng.randrange(2, 250)}]: SMTP error from remote mail server after RCPT TO:<{rcpt}>: 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown")
            else:
                self.add("exim", t, f"{exim(t)} {mid} == {rcpt} R=dnslookup T=remote_smtp defer (-44) H=mx.{domain} [198.51.100.{self.rng.randrange(2, 250)}]: SMTP error from remote mail server after RCPT TO:<{rcpt}>: 451 4.7.1 Please try again later (rate limited)")
        self.add("exim", t, f"{exim(t)} {mid} Completed")

    def exim_auth_failure(self, t, user, ip):
        self.add("exim", t, f"{exim(t)} dovecot_login authenticator failed for ({self.rid(6)}) [{ip}]:{self.rng.randrange(20000, 65000)}: 535 Incorrect authentication data (set_id={user})")

    def webmail_login(self, t, user, client, ok=True):
        s8, s16 = self.rid(8), self.rid(16)
        if ok:
            self.web(t, client, self.ua.get(user, UAS[0]), "_task=login", 302, "POST", 0)
            self.add("userlogins", t, f"[{rc(t)}]: <{s8}> Successful login for {user} (ID: {self.users.index(user) + 1 if user in self.users else 9999}) from {PROXY} in session {s16}")
            self.imap_session(t, user, "127.0.0.1")
        else:
            self.web(t, client, self.ua.get(user, UAS[0]), "_task=login", 401, "POST", 5501)
            self.add("userlogins", t, f"[{rc(t)}]: <{s8}> Failed login for {user} from {PROXY} in session {s16} (error: 0)")
        return s8

    # --- the office -------------------------------------------------------

    def phone_address(self, user, t):
        # A new carrier address every few hours (CGNAT pools rotate).
        slot = int(t.timestamp()) // (3600 * (3 + sum(user.encode()) % 4))
        h = random.Random(f"{user}{slot}")
        return f"{self.phones[user]}.{h.randrange(256)}.{h.randrange(1, 255)}"

    def day(self, d):
        r = self.rng
        base = START + dt.timedelta(days=d)
        weekday = base.weekday() < 5
        for user in self.users:
            trip = self.trips.get(user)
            away = trip and trip[0] <= d <= trip[1]
            for hour in range(24):
                t0 = base + dt.timedelta(hours=hour)
                active = weekday and 8 <= hour < 18
                if not away and weekday:
                    for slot in range(2 if active else (1 if hour % 4 == 0 else 0)):
                        t = t0 + dt.timedelta(minutes=slot * 30, seconds=r.randrange(1800))
                        if r.random() < 0.004:
                            self.imap_failure(t, user, self.office[user])
                        else:
                            self.imap_session(t, user, self.office[user])
                if user in self.phones and 7 <= hour < 23 and r.random() < 0.5:
                    t = t0 + dt.timedelta(seconds=r.randrange(3600))
                    self.imap_session(t, user, self.phone_address(user, t))
                if away and 7 <= hour < 22 and r.random() < 0.5:
                    self.imap_session(t0 + dt.timedelta(seconds=r.randrange(3600)), user, trip[2])
                if active and user in self.webmail and r.random() < 0.06:
                    self.webmail_session(t0 + dt.timedelta(seconds=r.randrange(3000)), user)
                if active and r.random() < 0.04:
                    t = t0 + dt.timedelta(seconds=r.randrange(3600))
                    to = [r.choice(self.users)] if r.random() < 0.7 else [f"{self.rid(6)}@partner{r.randrange(40)}.example" for _ in range(r.randrange(1, 4))]
                    if user in self.branch:
                        self.exim_send(t, user, f"10.2.0.{self.users.index(user) % 250 + 2}", to)
                    else:
                        self.submission(t, user, self.office[user], to)
        # The weekly backup: every mailbox, Sunday night, from the backup host.
        if base.weekday() == 6:
            t = base + dt.timedelta(hours=1)
            for user in self.users:
                t += dt.timedelta(seconds=r.randrange(5, 40))
                self.imap_session(t, user, BACKUP, out=r.randrange(50, 900) * 1_000_000)
        # The internet's background: scanners and slow sprays, all day.
        for _ in range(r.randrange(150, 250)):
            t = base + dt.timedelta(seconds=r.randrange(86400))
            ip = f"{r.randrange(1, 224)}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"
            k = r.random()
            if k < 0.45:
                self.sasl_failure(t, ip, r.choice(["smtpd", "submission/smtpd"]))
            elif k < 0.7:
                pid = self.pid()
                self.add("mail", t, f"{rfc(t)} mail postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from unknown[{ip}]: 554 5.7.1 Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; from=<{self.rid(8)}@{self.rid(6)}.com> to=<{r.choice(self.users)}> proto=ESMTP helo=<{self.rid(7)}>")
            elif k < 0.85:
                self.add("dovecot", t, f"{dov(t)} imap-login: Info: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<{r.choice(['admin', 'info', 'test', 'office'])}@corp.example>, method=PLAIN, rip={ip}, lip=10.0.0.1, TLS, session=<{self.rid(16, B64)}>")
            else:
                self.add("access", t, f'{PROXY} - - [{clf(t)}] "GET /{r.choice([".env", "wp-login.php", "installer/", ".git/config", "installer/index.php?_step=2"])} HTTP/1.1" 404 153 "-" "Mozilla/5.0 zgrab/0.x" "{ip}"')

    def webmail_session(self, t, user):
        r = self.rng
        client = self.office[user] if r.random() < 0.85 else self.home[user]
        ua = self.ua[user]
        tok = self.rid(32)
        if r.random() < 0.04:  # a typo first
            self.webmail_login(t, user, client, ok=False)
            t += dt.timedelta(seconds=r.randrange(3, 15))
        s8 = self.webmail_login(t, user, client)
        for _ in range(r.randrange(2, 9)):
            t += dt.timedelta(seconds=r.randrange(5, 90))
            uid = r.randrange(1, 4000)
            k = r.random()
            if k < 0.35:
                self.web(t, client, ua, f"_task=mail&_action=list&_mbox=INBOX&_page=1&_remote=1&_token={tok}")
            elif k < 0.75:
                self.web(t, client, ua, f"_task=mail&_uid={uid}&_mbox=INBOX&_action=show")
            elif k < 0.85:
                self.web(t, client, ua, f"_task=mail&_action=get&_mbox=INBOX&_uid={uid}&_part=2&_download=1&_token={tok}")
            elif k < 0.92:  # an attachment upload in compose: no _from
                self.web(t, client, ua, f"_task=mail&_id={self.rid(14)}&_uploadid=upload{int(t.timestamp() * 1000)}&_action=upload", 200, "POST")
            else:
                self.web(t, client, ua, f"_task=mail&_action=refresh&_remote=1&_token={tok}")
            self.imap_session(t, user, "127.0.0.1")
        if r.random() < 0.3:
            t += dt.timedelta(seconds=r.randrange(10, 120))
            to = r.choice(self.users) if r.random() < 0.6 else f"{self.rid(7)}@{r.choice(['gmail.com', 'outlook.com', 'partner3.example'])}"
            self.add("sendmail", t, f"[{rc(t)}]: <{s8}> User {user} [{PROXY}]; Message <{self.rid(32)}@corp.example> for {to}; 250: 2.0.0 Ok: queued as {self.rid(10, HEX)}")
        t += dt.timedelta(seconds=r.randrange(10, 300))
        self.web(t, client, ua, f"_task=logout&_token={tok}", 302)

    # --- the intrusions ---------------------------------------------------

    def step(self, name, start, end, src_ips, account, malicious=True):
        self.truth["steps"].append({
            "step": name, "malicious": malicious, "start": iso(start), "end": iso(end),
            "src_ip": src_ips[0] if src_ips else None, "src_ips": src_ips, "account": account,
        })
        for ip in src_ips:
            self.truth["addresses"][f"attacker_{len(self.truth['addresses'])}"] = ip

    def public(self):
        r = self.rng
        return f"{r.choice([45, 77, 91, 103, 141, 185, 193, 194, 212])}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"

    def smtp_spraying(self, d):
        r = self.rng
        sources = [self.public() for _ in range(r.randrange(18, 23))]
        targets = r.sample(self.users, min(50, len(self.users)))
        start = START + dt.timedelta(days=d, hours=r.randrange(0, 12))
        hours = r.randrange(6, 10)
        t = start
        for h in range(hours):
            for ip in sources:
                for _ in range(r.randrange(1, 3)):
                    t = start + dt.timedelta(hours=h, seconds=r.randrange(3600))
                    self.sasl_failure(t, ip)
        end = start + dt.timedelta(hours=hours)
        self.step("smtp_spraying", start, end, sources, "")
        victim = r.choice(targets)
        if r.random() < 0.5:
            # The password found, the intruder logs in from one of the campaign's addresses.
            ip = r.choice(sources)
            t = end + dt.timedelta(minutes=r.randrange(5, 40))
        else:
            # ...or from a clean address never seen for the account, inside the campaign's window.
            ip = self.public()
            t = start + dt.timedelta(hours=r.randrange(1, hours), minutes=r.randrange(60))
        # Spam, a few messages within the hour, some bounced and rate-limited by the receivers.
        t2 = t
        for _ in range(r.randrange(2, 5)):
            to = [f"{self.rid(7)}@{self.rid(6)}.example" for _ in range(r.randrange(15, 35))]
            outcomes = [r.choices(["sent", "bounced", "deferred"], [7, 2, 1])[0] for _ in to]
            self.submission(t2, victim, ip, to, sasl="LOGIN", outcomes=outcomes)
            t2 += dt.timedelta(minutes=r.randrange(1, 15))
        self.step("smtp_login_after_spraying", t, t2, [ip], victim)

    def pop3_first_night(self, d=0):
        r = self.rng
        victim = r.choice(self.users)
        ip = self.public()
        t = START + dt.timedelta(days=d, hours=r.randrange(1, 5), minutes=r.randrange(60))
        n = r.randrange(9000, 20000)
        size = n * r.randrange(30000, 70000)
        sess, pid = self.rid(16, B64), self.pid()
        self.add("dovecot", t, f"{dov(t)} pop3-login: Info: Login: user=<{victim}>, method=PLAIN, rip={ip}, lip=10.0.0.1, mpid={pid}, TLS, session=<{sess}>")
        t2 = t + dt.timedelta(minutes=r.randrange(20, 90))
        self.add("dovecot", t2, f"{dov(t2)} pop3({victim})<{pid}><{sess}>: Info: Disconnected: Logged out top=0/0, retr={n}/{size}, del=0/{n}, size={size}")
        self.step("pop3_whole_mailbox_download", t, t2, [ip], victim)

    def proxy_bruteforce(self, d):
        r = self.rng
        victim = r.choice(sorted(self.webmail))
        ip = self.public()
        ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
        start = t = START + dt.timedelta(days=d, hours=r.randrange(0, 23), minutes=r.randrange(60))
        for _ in range(r.randrange(25, 60)):
            t += dt.timedelta(seconds=r.randrange(2, 20))
            self.web(t, ip, ua, "_task=login", 401, "POST", 5501)
            s8, s16 = self.rid(8), self.rid(16)
            self.add("userlogins", t, f"[{rc(t)}]: <{s8}> Failed login for {victim} from {PROXY} in session {s16} (error: 0)")
        self.step("webmail_bruteforce_via_proxy", start, t, [ip], victim)
        t += dt.timedelta(seconds=r.randrange(5, 60))
        t1 = t
        self.web(t, ip, ua, "_task=login", 302, "POST", 0)
        self.add("userlogins", t, f"[{rc(t)}]: <{self.rid(8)}> Successful login for {victim} (ID: {self.users.index(victim) + 1}) from {PROXY} in session {self.rid(16)}")
        self.imap_session(t, victim, "127.0.0.1")
        for _ in range(r.randrange(20, 40)):
            t += dt.timedelta(seconds=r.randrange(1, 5))
            self.web(t, ip, ua, f"_task=mail&_uid={r.randrange(1, 4000)}&_mbox=INBOX&_action=show")
            self.imap_session(t, victim, "127.0.0.1")
        self.step("webmail_session_after_bruteforce", t1, t, [ip], victim)

    def exim_takeover(self, d):
        r = self.rng
        victim = r.choice(self.users)
        ip = self.public()
        start = t = START + dt.timedelta(days=d, hours=r.randrange(0, 23), minutes=r.randrange(60))
        for _ in range(r.randrange(30, 80)):
            t += dt.timedelta(seconds=r.randrange(1, 8))
            self.exim_auth_failure(t, victim, ip)
        self.step("exim_auth_bruteforce", start, t, [ip], victim)
        t += dt.timedelta(minutes=r.randrange(2, 30))
        t1 = t
        # From a short burst (a few dozen recipients) to hundreds.
        for _ in range(r.randrange(2, 20)):
            t += dt.timedelta(seconds=r.randrange(5, 40))
            to = [f"{self.rid(8)}@{r.choice(['gmail.com', 'yahoo.com', 'mail.ru', 'web.de', 'orange.fr'])}" for _ in range(r.randrange(12, 50))]
            outcomes = [r.choices(["=>", "**", "=="], [6, 2, 2])[0] for _ in to]
            self.exim_send(t, victim, ip, to, outcomes)
        self.step("spam_burst_after_exim_takeover", t1, t, [ip], victim)

    def cve_2025_49113(self, d):
        r = self.rng
        victim = r.choice(sorted(self.webmail))
        ip = self.public()
        t = START + dt.timedelta(days=d, hours=r.randrange(0, 23), minutes=r.randrange(60))
        ua = "curl/8.5.0"
        self.web(t, ip, ua, "_task=settings&_action=upload&_from=edit-!%C7%22%3Bi%3A0%3BO%3A16%3A%22Crypt_GPG_Engine%22%3A1%3A%7Bs%3A8%3A%22_gpgconf%22%3Bs%3A21%3A%22id%3Becho%3B%23%22%3B%7Di%3A0%3Bb%3A0%3B%7D&_framed=1&_remote=1&_id=1&_uploadid=1&_unlock=1", 200, "POST", 200)
        self.step("cve_2025_49113_upload", t, t, [ip], victim)

    def spypress(self, d):
        r = self.rng
        victim = r.choice(sorted(self.webmail))
        client = self.office[victim]
        ua = self.ua[victim]
        t = START + dt.timedelta(days=d, hours=r.randrange(9, 17), minutes=r.randrange(60))
        self.webmail_login(t, victim, client)
        t1 = t
        for uid in r.sample(range(1, 4000), r.randrange(40, 120)):
            t += dt.timedelta(milliseconds=r.randrange(200, 900))
            self.web(t, client, ua, f"_task=mail&_save=0&_uid={uid}&_mbox=INBOX&_action=viewsource&_extwin=1")
        t += dt.timedelta(seconds=2)
        self.web(t, client, ua, "_task=settings&_action=plugin.managesieve-action", 200)
        self.web(t, client, ua, "_task=settings&_action=plugin.managesieve-save", 200, "POST")
        self.step("spypress_viewsource_loop", t1, t, [], victim)

    def botnet(self, every):
        """A botnet that never stops: a distributed spray on SMTP submission
        (a dozen fresh addresses, two or three refused logins each) every
        `every` hours of the whole period. A load for VA010's cost, not a
        step of the truth: each one is a campaign of its own (with every
        third hour or rarer, the median hour stays a quiet one)."""
        r = self.rng
        for hour in range(0, self.days * 24, every):
            for _ in range(12):
                ip = self.public()
                for _ in range(r.randrange(2, 4)):
                    self.sasl_failure(START + dt.timedelta(hours=hour, seconds=r.randrange(3600)), ip)

    def intrusions(self):
        r = self.rng
        days = self.days
        self.pop3_first_night(0)
        self.smtp_spraying(r.randrange(days // 2, days - 1))
        # Either may fall on the first day, where the baselined analytics are in warm-up.
        self.proxy_bruteforce(r.randrange(0, days - 1))
        self.exim_takeover(r.randrange(0, days - 1))
        self.cve_2025_49113(r.randrange(1, days))
        self.spypress(r.randrange(1, days - 1))

    def write(self, out):
        os.makedirs(out, exist_ok=True)
        names = {"access": "nginx-roundcube.access.log", "userlogins": "roundcube-userlogins.log",
                 "sendmail": "roundcube-sendmail.log", "dovecot": "dovecot.log", "mail": "mail.log",
                 "exim": "exim-mainlog"}
        # A log's modification time is its last write: the office's end, so
        # that year-less syslog times are placed in the office's year, not
        # in the year before when the office runs past the day it is made.
        end = (START + dt.timedelta(days=self.days)).timestamp()
        for log, lines in self.logs.items():
            lines.sort(key=lambda tl: tl[0])
            path = os.path.join(out, names[log])
            with open(path, "w") as f:
                f.writelines(line for _, line in lines)
            os.utime(path, (end, end))
        self.truth["accounts"] = len(self.users)
        self.truth["start"], self.truth["end"] = iso(START), iso(START + dt.timedelta(days=self.days))
        self.truth["proxy"] = PROXY
        with open(out.rstrip("/") + ".truth.json", "w") as g:
            json.dump(self.truth, g, indent=1)


def generate(seed, out, people, days, quiet, sprays_every=0):
    office = Office(seed, people, days)
    for d in range(days):
        office.day(d)
    if not quiet:
        office.intrusions()
    if sprays_every:
        office.botnet(sprays_every)
    office.write(out)


def sec(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def check(findings_path, truth_path):
    findings = [json.loads(line) for line in open(findings_path) if line.strip()]
    truth = json.load(open(truth_path))
    attackers = set(truth["addresses"].values())
    steps = [s for s in truth["steps"] if s["malicious"]]
    victims = {a for s in steps for a in (s.get("account") or "").split(",") if a}
    found, raised, missing, unraised, found_by = 0, 0, [], [], {}
    for s in steps:
        lo, hi = sec(s["start"]) - 2, sec(s["end"]) + 2
        accounts = [a for a in (s.get("account") or "").split(",") if a]
        ips = set(s.get("src_ips") or [])
        hits = [
            f for f in findings
            if (f["entity"].get("source_ip") in ips or f["entity"].get("user") in accounts)
            and sec(f["first_seen"]) <= hi and sec(f["last_seen"]) >= lo
            and f["level"] not in ("informational", "low")]
        found += bool(hits)
        # The analytics (VA…) and rules that found it, for the per-kind summary.
        found_by[s["step"]] = sorted({f["rule_id"] if f["rule_id"].startswith("V") else f["title"] for f in hits})
        if not hits:
            missing.append(s["step"])
        # Raised: a high or critical finding, what a person must act on.
        severe_hit = any(f["level"] in ("high", "critical") for f in hits)
        raised += severe_hit
        if not severe_hit:
            unraised.append(s["step"])
    severe = [f for f in findings if f["level"] in ("high", "critical")]
    strays = [f for f in severe if f["entity"].get("source_ip") not in attackers and f["entity"].get("user") not in victims]
    weeks = truth["days"] / 7
    per = len(findings) / (truth["accounts"] / 1000) / weeks
    levels = {}
    for f in findings:
        levels[f["level"]] = levels.get(f["level"], 0) + 1
    stray_titles = {}
    for f in strays:
        stray_titles[f["title"]] = stray_titles.get(f["title"], 0) + 1
    return {"seed": truth["seed"], "steps": len(steps), "found": found, "missing": missing,
            "raised": raised, "unraised": unraised, "found_by": found_by,
            "strays": len(strays), "stray_titles": stray_titles, "findings": len(findings),
            "per_1000_accounts_week": round(per, 1), "levels": levels}


def run(args):
    vigie = args.vigie or os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "debug", "vigie")
    rows = []
    tmp = tempfile.mkdtemp(prefix="office-")
    try:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            out = os.path.join(tmp, f"seed{seed}")
            generate(seed, out, args.people, args.days, args.quiet, args.sprays_every)
            case = os.path.join(tmp, f"case{seed}")
            t = time.time()
            p = subprocess.run([vigie, "scan", "--tz", "UTC", "--findings-only", "--case", case, out],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if p.returncode not in (0, 1):
                sys.exit(f"seed {seed}: vigie scan failed ({p.returncode}): {p.stderr[-2000:]}")
            row = check(os.path.join(case, "findings.jsonl"), out + ".truth.json")
            row["scan_s"] = round(time.time() - t, 1)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
            shutil.rmtree(out)
            shutil.rmtree(case)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'seed':>5} {'steps':>7} {'raised':>7} {'strays':>7} {'findings':>9} {'/1000acc/wk':>12}  missing")
    for r in rows:
        print(f"{r['seed']:>5} {r['found']:>3}/{r['steps']:<3} {r['raised']:>3}/{r['steps']:<3} {r['strays']:>7} {r['findings']:>9} {r['per_1000_accounts_week']:>12}  {','.join(r['missing'])}")
    found = sum(r["found"] for r in rows)
    raised = sum(r["raised"] for r in rows)
    steps = sum(r["steps"] for r in rows)
    strays = sum(r["strays"] for r in rows)
    per = sum(r["per_1000_accounts_week"] for r in rows) / len(rows)
    print(f"total: steps found {found}/{steps}, raised high/critical {raised}/{steps}, stray high/critical {strays}, mean findings per 1000 accounts per week {per:.1f}")
    titles = {}
    for r in rows:
        for k, v in r["stray_titles"].items():
            titles[k] = titles.get(k, 0) + v
    for k, v in sorted(titles.items(), key=lambda kv: -kv[1]):
        print(f"  stray: {v} x {k}")
    missing = {}
    for r in rows:
        for m in r["missing"]:
            missing[m] = missing.get(m, 0) + 1
    for k, v in sorted(missing.items(), key=lambda kv: -kv[1]):
        print(f"  missed: {v} x {k}")
    by = {}
    for r in rows:
        for step, rules in r["found_by"].items():
            for rule in rules:
                by.setdefault(step, {}).setdefault(rule, 0)
                by[step][rule] += 1
    for step in sorted(by):
        top = sorted(by[step].items(), key=lambda kv: (-kv[1], kv[0]))[:6]
        print(f"  {step} found by: " + ", ".join(f"{k} {v}" for k, v in top))
    unraised = {}
    for r in rows:
        for m in r["unraised"]:
            unraised[m] = unraised.get(m, 0) + 1
    for k, v in sorted(unraised.items(), key=lambda kv: -kv[1]):
        print(f"  found but not raised high: {v} x {k}")
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("seed", type=int)
    g.add_argument("out")
    c = sub.add_parser("check")
    c.add_argument("findings")
    c.add_argument("truth")
    r = sub.add_parser("run")
    r.add_argument("--seeds", type=int, default=20)
    r.add_argument("--first-seed", type=int, default=1)
    r.add_argument("--vigie")
    r.add_argument("--max-strays", type=int, help="exit 1 if the total strays exceed this")
    r.add_argument("--min-found", type=float, help="exit 1 if the share of steps found is below this")
    for q in (g, r):
        q.add_argument("--people", type=int, default=200)
        q.add_argument("--days", type=int, default=14)
        q.add_argument("--quiet", action="store_true", help="the office without intrusions")
        q.add_argument("--sprays-every", type=int, default=0, metavar="HOURS",
                       help="a botnet spraying every HOURS hours (>= 3), a load for VA010, not in the truth")
    a = p.parse_args()
    if a.cmd == "generate":
        generate(a.seed, a.out, a.people, a.days, a.quiet, a.sprays_every)
    elif a.cmd == "check":
        print(json.dumps(check(a.findings, a.truth)))
    else:
        rows = run(a)
        found = sum(r["found"] for r in rows) / max(1, sum(r["steps"] for r in rows))
        strays = sum(r["strays"] for r in rows)
        if (a.max_strays is not None and strays > a.max_strays) or (a.min_found is not None and found < a.min_found):
            sys.exit(1)


if __name__ == "__main__":
    main()
