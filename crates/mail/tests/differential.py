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

Usage: differential.py DIR [--table]
"""

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
        where = f"part {i + 1} ({p['type']})"
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


def main():
    folder = sys.argv[1]
    table = "--table" in sys.argv
    results = defaultdict(Counter)
    listed = defaultdict(list)
    messages = 0
    with open(f"{folder}/vigie.jsonl", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
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
            for view in ("parser", "raw"):
                kind, detail = classify(view, record[view], python)
                results[view][kind] += 1
                if kind != "agree":
                    listed[view].append((record["where"], kind, detail))
    summary = {
        "messages": messages,
        "views": {v: dict(c) for v, c in results.items()},
        "unexplained": sorted(
            {k for c in results.values() for k in c if k not in EXPLAINED}
        ),
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
                print(f"- {kind}: {where}: {detail}", file=err)


if __name__ == "__main__":
    main()
