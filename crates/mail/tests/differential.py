#!/usr/bin/env python3
"""Differential test of vigie's MIME parts against Python's `email` package.

Issue 15: any difference between how vigie and another reader split or
decode a message is a way past vigie. This script parses every message
that `tests/differential.rs` wrote (`<dir>/<n>.eml`, the exact bytes vigie
analysed, mbox escapes removed) with Python's stdlib `email` package
(`policy.default`) and compares, part by part, with what vigie reported
(`<dir>/vigie.jsonl`): the leaf parts (multipart containers and
message/rfc822 wrappers left out, nested messages walked), their content
types, and their decoded content (text parts as decoded text, others as
bytes) by SHA-256.

Two vigie views are compared: `parser` (mail-parser 0.11, the parts vigie
reports) and `raw` (vigie's raw split, `raw_regions.rs`, which follows
Dovecot). Each disagreement is classified by `classify`; its kinds and what
explains them are in `EXPLAINED`. Output: a JSON summary on stdout (the
Rust test reads it) and, with --table, a Markdown table and the list of
disagreements on stderr.

With --roundcube (and php and an installed Roundcube, the shared lab's),
a third view `roundcube` is Roundcube's own PHP parser (`roundcube_parts.php`,
the fallback it uses when Dovecot's structure disagrees with the headers),
compared as transfer-decoded bytes; its disagreements are listed, not
judged (Roundcube shows mail through Dovecot's structure otherwise).

Usage: differential.py DIR [--table] [--roundcube]
"""

import os
import subprocess

import email
import email.policy
import hashlib
import json
import sys
from collections import Counter, defaultdict

# What explains each kind of disagreement (checked by reading the messages).
EXPLAINED = {
    "agree": "same leaf parts, types and decoded content",
    "text-line-endings": "same text once CRLF is LF: Python keeps the message's CRLF in "
    "decoded text, mail-parser keeps them too but not after a quoted-printable soft break "
    "(or the reverse); no markup changes",
    "text-trailing-newline": "same text but for the line break before the next boundary, "
    "which RFC 2046 gives to the delimiter (mail-parser and Dovecot drop it, Python keeps it "
    "in some cases)",
    "text-charset": "same bytes, decoded by another charset table or with another "
    "replacement for invalid bytes (mail-parser: WHATWG labels; Python: codecs, "
    "'replace')",
    "text-content": "text decoded differently beyond charsets and line ends (see list)",
    "binary-content": "decoded bytes differ (see list)",
    "content-type": "same structure, another content type (see list)",
    "structure": "another number of leaf parts (see list)",
    "python-error": "Python's email package raised an exception on the message",
}

# The messages of ../shared/corpus/mail whose structure, types or content
# differ (kinds structure, content-type, binary-content, text-content), each
# read by hand: (path prefix, views, why). A disagreement of these kinds not
# listed here is unexplained and fails the Rust test.
KNOWN = [
    ("mikel-mail/emails/error_emails/multiple_content_types.eml", "parser",
     "two Content-Type headers (multipart/alternative, then text/plain): mail-parser takes the "
     "last, Python and Dovecot the first; the raw split agrees with Python and raises VM040"),
    ("stalwart-mail-parser/eml/malformed/021.eml", "parser",
     "a multipart/alternative header block with a second Content-Type (text/plain): mail-parser "
     "takes the last; the raw split agrees with Python and raises VM040"),
    ("notmuch-corpora/insert/mbox-attachment.eml", "parser",
     "an mbox whose attached patch holds an unescaped 'From ' line: vigie's mbox reader ends "
     "the message there (mboxo), leaving a last part with headers, no content and no closing "
     "delimiter; mail-parser drops that part, Python and the raw split keep it empty"),
    ("mikel-mail/emails/mime_emails/raw_email_with_mimepart_without_content_type.eml", "parser raw",
     "message/delivery-status: Python reads its status blocks as header-only sub-messages "
     "(one leaf each); mail-parser and Dovecot keep it one part"),
    ("mikel-mail/emails/multipart_report_emails/", "parser raw",
     "message/delivery-status, as above (Python: one leaf per status block)"),
    ("phishing_pot/email/sample-2523.eml", "parser raw",
     "boundary=--_=_swift-… unquoted although it holds '=': Python finds no start boundary "
     "(StartBoundaryNotFoundDefect) and keeps one part; mail-parser and the raw split use it"),
    ("stalwart-mail-parser/eml/thirdparty/015.eml", "parser raw",
     "Dovecot's malformed case: a nested message's multipart whose boundary parameter follows "
     "the outer delimiter without a blank line; readers end its header at different lines"),
    ("stalwart-mail-parser/maildir/", "parser raw",
     "2-byte placeholder files, not messages: mail-parser reads no part, Python and the raw "
     "split one part of the 2 bytes"),
    ("mikel-mail/emails/rfc2822/example13.eml", "parser raw",
     "obsolete header syntax (space before ':' and a '__' line inside the header block): "
     "readers start the content at different lines"),
    ("stalwart-mail-parser/eml/thirdparty/003.eml", "parser raw",
     "Content-Transfer-Encoding 'quoted-printable' followed by spaces: Python leaves the part "
     "undecoded, mail-parser and the raw split decode it"),
    ("spamassassin-tdata/nice/cjk/big5-base64.1", "parser",
     "charset big5: mail-parser 0.11 without the full_encoding feature has no Big5 table and "
     "keeps the bytes lossily; Python decodes Big5 (markup is ASCII in both)"),
    ("spamassassin-tdata/nice/mime8", "parser raw",
     "Content-Type 'BINARY' (no subtype): mail-parser and the raw split keep it as written, "
     "Python replaces an invalid type by text/plain"),
    ("spamassassin-tdata/spam/badctype1", "parser raw",
     "Content-Type 'text plain' (no slash): kept as written by vigie, text/plain by Python"),
    ("spamassassin-tdata/spam/016", "parser raw",
     "the first delimiter sits in the header block (no blank line before it): Python keeps an "
     "empty-bodied multipart/alternative leaf, mail-parser a text/plain part; the raw split "
     "agrees with Python but for the last line break"),
    ("spamassassin-tdata/spam/badmime2.txt", "parser",
     "two Content-Type headers (multipart/related with 'boundary =bar', then "
     "multipart/alternative): mail-parser takes the last and finds no 'foo' delimiter; the raw "
     "split agrees with Python and raises VM040"),
    ("stalwart-mail-parser/eml/thirdparty/009.eml", "parser raw",
     "message/partial: Python reads it as text/plain (RFC 2046 §5.2.2 fragments are not "
     "parsed), vigie keeps the declared type"),
    ("stalwart-mail-parser/eml/legacy/048.eml", "parser raw",
     "Content-Transfer-Encoding x-uuencode: Python decodes uuencode, vigie keeps the bytes"),
    ("stalwart-mail-parser/eml/rfc/000.eml", "parser raw",
     "RFC 2049's sample with base64 bodies shortened to placeholders ('... base64-encoded "
     "8000 Hz data goes here ...'): decoders skip different invalid characters"),
]


def known(view, where):
    """Why a structural disagreement of `view` at `where` happens, if read."""
    for prefix, views, why in KNOWN:
        if where.startswith(prefix) and view in views.split():
            return why
    return None


def leaves(msg, out):
    """Leaf parts in order; message/rfc822 parts walked into."""
    if msg.is_multipart():
        for sub in msg.get_payload():
            if isinstance(sub, email.message.Message):
                leaves(sub, out)
        return
    out.append(msg)


def python_parts(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    parts = []
    for part in leaves_of(msg):
        ctype = part.get_content_type()
        decoded = part.get_payload(decode=True) or b""
        if part.get_content_maintype() == "text":
            charset = part.get_content_charset() or "us-ascii"
            try:
                text = decoded.decode(charset, "replace")
            except LookupError:
                text = decoded.decode("utf-8", "replace")
            parts.append(
                {"type": ctype, "text": True, "content": text.encode("utf-8"), "raw": decoded}
            )
        else:
            parts.append({"type": ctype, "text": False, "content": decoded, "raw": decoded})
    return parts


def leaves_of(msg):
    out = []
    leaves(msg, out)
    return out


def sha(data):
    return hashlib.sha256(data).hexdigest()


def norm_eol(data):
    return data.replace(b"\r\n", b"\n")


def classify(view, vigie, python):
    """The kind of the first disagreement between two part lists, or 'agree'.

    The `raw` view holds transfer-decoded bytes (no charset): it is compared
    with Python's transfer-decoded bytes."""
    if len(vigie) != len(python):
        return "structure", f"vigie {len(vigie)} parts, python {len(python)}"
    for i, (v, p) in enumerate(zip(vigie, python)):
        if v["content_type"] != p["type"]:
            return "content-type", f"part {i + 1}: vigie {v['content_type']}, python {p['type']}"
    for i, (v, p) in enumerate(zip(vigie, python)):
        if v["sha256"] == sha(p["content"]):
            continue
        if view == "raw" and v["raw_sha256"] == sha(p["raw"]):
            continue
        # Roundcube's bodies come with LF line ends (see roundcube_parts.php).
        if view == "roundcube" and v["sha256"] == sha(norm_eol(p["raw"])):
            continue
        where = f"part {i + 1} ({p['type']})"
        if view == "roundcube" and v["trim_sha256"] == sha(norm_eol(p["raw"]).rstrip(b"\n")):
            return "text-trailing-newline", where
        if not p["text"]:
            return "binary-content", f"{where}: vigie {v['size']} bytes, python {len(p['content'])}"
        if v.get("eol_sha256") == sha(norm_eol(p["content"])):
            return "text-line-endings", where
        if v.get("trim_sha256") == sha(norm_eol(p["content"]).rstrip(b"\n")):
            return "text-trailing-newline", where
        if v.get("raw_sha256") in (sha(p["raw"]), sha(norm_eol(p["raw"]))):
            return "text-charset", where
        return "text-content", f"{where}: vigie {v['size']} bytes, python {len(p['content'])}"
    return "agree", ""


def roundcube_parts(folder):
    """Roundcube's parts of every message of `folder`, by id ({} if it cannot run)."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "roundcube_parts.php")
    ids = sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".eml"))
    out = {}
    for start in range(0, len(ids), 200):
        batch = [f"{folder}/{i}.eml" for i in ids[start : start + 200]]
        try:
            run = subprocess.run(
                ["php", script, *batch],
                capture_output=True,
                check=False,
                timeout=600,
                cwd=folder,  # anything Roundcube writes stays in the temporary folder
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            print(f"roundcube view skipped: {e}", file=sys.stderr)
            return {}
        for line in run.stdout.decode("utf-8", "replace").splitlines():
            record = json.loads(line)
            parts = record["parts"]
            if isinstance(parts, list):
                key = os.path.basename(record["file"])[:-4]
                out[key] = parts
    return out


def main():
    folder = sys.argv[1]
    table = "--table" in sys.argv
    results = defaultdict(Counter)
    listed = defaultdict(list)
    messages = 0
    roundcube = {}
    if "--roundcube" in sys.argv:
        roundcube = roundcube_parts(folder)
    with open(f"{folder}/vigie.jsonl", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if str(record["id"]) in roundcube:
                record["roundcube"] = roundcube[str(record["id"])]
            messages += 1
            with open(f"{folder}/{record['id']}.eml", "rb") as m:
                raw = m.read()
            try:
                python = python_parts(raw)
            except Exception as e:  # noqa: BLE001 - any failure is a finding
                for view in ("parser", "raw"):
                    results[view]["python-error"] += 1
                    listed[view].append((record["where"], "python-error", repr(e)[:120]))
                continue
            for view in ("parser", "raw", "roundcube"):
                if view not in record:
                    continue
                kind, detail = classify(view, record[view], python)
                results[view][kind] += 1
                if kind != "agree":
                    listed[view].append((record["where"], kind, detail))
    structural = {"structure", "content-type", "binary-content", "text-content", "python-error"}
    unexplained = sorted({k for c in results.values() for k in c if k not in EXPLAINED})
    unexplained += sorted(
        f"{view}: {where}: {kind}: {detail}"
        for view in listed
        for where, kind, detail in listed[view]
        if kind in structural and known(view, where) is None and view != "roundcube"
    )
    summary = {
        "messages": messages,
        "views": {v: dict(c) for v, c in results.items()},
        "unexplained": unexplained,
        "disagreements": {v: listed[v] for v in listed},
    }
    print(json.dumps(summary))
    if table:
        kinds = sorted({k for c in results.values() for k in c})
        err = sys.stderr
        print(f"\n{messages} messages; vigie view against Python email (policy.default)\n", file=err)
        print("| kind | " + " | ".join(sorted(results)) + " |", file=err)
        print("|---|" + "---:|" * len(results), file=err)
        for k in kinds:
            print(f"| {k} | " + " | ".join(str(results[v][k]) for v in sorted(results)) + " |", file=err)
        for view in sorted(listed):
            print(f"\n## {view}: disagreements", file=err)
            for where, kind, detail in listed[view]:
                why = known(view, where)
                why = f" — {why}" if why and kind in structural else ""
                print(f"- {kind}: {where}: {detail}{why}", file=err)


if __name__ == "__main__":
    main()
