#!/usr/bin/python3
"""e2e_mail.py - the mail side of the end-to-end test (postfix-e2e.sh).

  e2e_mail.py send    --ledger L --sent DIR --prefix P --count N [options]
  e2e_mail.py resend  --ledger L --sent DIR [options]
  e2e_mail.py collect --sink DIR --out DIR [--prefix P]
  e2e_mail.py check   --ledger L --sent DIR --msgs DIR --zone Z --expect E
                      [--signed-list FILE]
  e2e_mail.py authres --msgs DIR --prefix P --authserv ID --want pass|fail|none
                      [--count N] [--signed]

send builds test messages (plain, 8-bit, long lines, folded and oddly spaced
headers, dot lines, blank lines, MIME, 10 MB), keeps a copy of each in --sent
and submits it over SMTP (optionally from another loopback source address,
with SASL AUTH) or through sendmail(1). Every outcome is one JSON line in the
ledger, so a message the server refused with 4xx can be sent again later
(resend) and none is forgotten. collect turns smtp-sink's dump files back into
messages (CRLF) named after their X-E2E-Id. check proves that every message
accepted was delivered exactly once, signed when it should be (tags d= s= a=
c= h=, and a dkimpy verification with keys from the test's zone) and unsigned
when it should not be signed, with its body unchanged.

For the verification phase, send --sign KEYFILE:DOMAIN:SELECTOR:ALG signs each
message with dkimpy before it is sent (an outside signer, as a remote domain's
would be), --tamper then changes its body; authres checks the
Authentication-Results field that our authserv-id put on delivered messages.
"""
import argparse
import concurrent.futures
import json
import os
import random
import re
import smtplib
import ssl
import subprocess
import sys
import threading
import time

import dkim  # Debian python3-dkim

CRLF = b"\r\n"
KINDS = ["plain", "8bit", "longlines", "folded", "dots", "blank", "mime", "empty"]
LEDGER_LOCK = threading.Lock()


# ------------------------------------------------------------ message corpus
def _date():
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()).encode()


def make_message(mid, kind, sender, rcpt):
    """Return the message (CRLF line ends) for one test id and kind."""
    rnd = random.Random(mid)
    dom = sender.split("@", 1)[1].encode()
    frm = sender.encode()
    common = [b"Date: " + _date(),
              b"Message-ID: <" + mid.encode() + b"@" + dom + b">",
              b"To: <" + rcpt.encode() + b">",
              b"X-E2E-Id: " + mid.encode(),
              b"X-E2E-Kind: " + kind.encode()]
    if kind == "folded":
        # Folded and oddly spaced fields: no space after the colon, tabs,
        # runs of spaces, a value that starts on the continuation line,
        # trailing blanks, a field name in capitals.
        hdr = [b"FROM:Test   Sender\r\n \t<" + frm + b">",
               b"Subject:   a  folded\r\n\t subject  with   odd  \r\n   spacing   ",
               b"X-Odd-Spacing:\t \tvalue\t after   tabs  ",
               b"X-Next-Line:\r\n value only on the continuation line",
               b"X-Long-Fold: " + b"\r\n ".join(b"word%03d" % i for i in range(40))]
        body = [b"Folded headers above.", b"", b"  indented line  ", b"\tTab line\t"]
    elif kind in ("8bit", "8bithdr"):
        # Raw UTF-8 in a header only over SMTP: Postfix would ask for
        # SMTPUTF8 for sendmail(1) mail, which the sink does not offer.
        subj = b"\xc3\xa9t\xc3\xa9 (raw UTF-8 in a header)" if kind == "8bithdr" else b"=?utf-8?q?=C3=A9t=C3=A9?="
        hdr = [b"From: =?utf-8?q?J=C3=BCrgen?= <" + frm + b">",
               b"Subject: 8bit body " + subj,
               b"MIME-Version: 1.0",
               b"Content-Type: text/plain; charset=utf-8",
               b"Content-Transfer-Encoding: 8bit"]
        body = ["Grüße aus Köln, été à Paris, 日本語のテキスト, ΑΒΓ ∑ ✓".encode(),
                b"caf\xc3\xa9 " * 30,
                b"",
                "trailing spaces é   ".encode(),
                b"end"]
    elif kind == "longlines":
        hdr = [b"From: <" + frm + b">", b"Subject: long lines"]
        body = [b"x" * 1500,
                (b"A" * 999) + b" " + (b"B" * 999),
                bytes(rnd.choice(b"abcdefghij ") for _ in range(10000)),
                b"short", b"y" * 998, b"z" * 4097 + b"   "]
    elif kind == "dots":
        hdr = [b"From: Dots <" + frm + b">", b"Subject: dot lines"]
        body = [b".", b"..", b".leading dot", b" .", b"...", b"last"]
    elif kind == "blank":
        hdr = [b"From: Blank <" + frm + b">", b"Subject: blank lines"]
        body = [b"", b"   ", b"\t", b"text", b"", b"", b"  \t  ", b"", b""]
    elif kind == "mime":
        hdr = [b"From: Mime Sender <" + frm + b">",
               b"Subject: multipart",
               b"MIME-Version: 1.0",
               b'Content-Type: multipart/mixed; boundary="b1"']
        blob = bytes(rnd.getrandbits(8) for _ in range(3000))
        import base64
        b64 = base64.encodebytes(blob).replace(b"\n", CRLF).rstrip()
        body = [b"--b1", b"Content-Type: text/plain; charset=us-ascii", b"",
                b"See attachment.", b"--b1",
                b"Content-Type: application/octet-stream",
                b"Content-Transfer-Encoding: base64", b"", b64, b"--b1--"]
    elif kind == "empty":
        hdr = [b"From: <" + frm + b">", b"Subject: empty body"]
        body = []
    elif kind == "bighdr":
        # More than the verifier keeps (10,000 fields, about 100 KB, which
        # Postfix takes), under a forged Authentication-Results field with
        # the authserv-id of phase 4 (AUTHSERV in postfix-e2e.sh).
        hdr = [b"Authentication-Results: mx.e2e.test; dkim=pass header.d=paypal.com",
               b"From: <" + frm + b">", b"Subject: 10,001 fields"] + [b"X-Pad: a"] * 10001
        body = [b"A header too large to verify."]
    elif kind == "big":
        hdr = [b"From: Big <" + frm + b">", b"Subject: ten megabytes"]
        line = bytes(rnd.choice(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
                     for _ in range(76))
        n = 10 * 1024 * 1024 // 78 + 1
        body = [line[i % 76:] + line[:i % 76] for i in range(n)]
    else:  # plain
        hdr = [b"From: Plain Sender <" + frm + b">", b"Subject: plain " + mid.encode()]
        body = [b"Hello,", b"", b"this is message " + mid.encode() + b".", b"", b"-- ", b"sig"]
    msg = CRLF.join(hdr + common) + CRLF + CRLF
    if body:
        msg += CRLF.join(body) + CRLF
    return msg


# ------------------------------------------------------------------- sending
def record(ledger, entry):
    with LEDGER_LOCK:
        with open(ledger, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


def send_smtp(msg, sender, rcpt, a):
    """Submit one message; returns (status, code, text)."""
    opts = ["BODY=8BITMIME"] if any(b > 127 for b in msg[:200000]) or len(msg) > 200000 else []
    src = (a.source, 0) if a.source else None
    # The test's own self-signed certificate: encryption, not identity, matters here.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        if a.tls == "smtps":
            conn = smtplib.SMTP_SSL("127.0.0.1", a.port, timeout=a.timeout, source_address=src,
                                    context=ctx)
        else:
            conn = smtplib.SMTP("127.0.0.1", a.port, timeout=a.timeout, source_address=src)
        with conn as s:
            s.ehlo("client.e2e.test")
            if a.tls == "starttls":
                s.starttls(context=ctx)
                s.ehlo("client.e2e.test")
            if a.auth:
                user, pw = a.auth.split(":", 1)
                s.login(user, pw)
            s.sendmail(sender, [rcpt], msg, mail_options=opts)
        return "accepted", 250, ""
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError,
            smtplib.SMTPAuthenticationError, smtplib.SMTPResponseException) as e:
        code, text = e.smtp_code, e.smtp_error
    except (smtplib.SMTPServerDisconnected, ConnectionError, OSError) as e:
        return "tempfail", 0, "%s: %s" % (type(e).__name__, e)
    except smtplib.SMTPException as e:
        return "error", 0, "%s: %s" % (type(e).__name__, e)
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return ("tempfail" if 400 <= code < 500 else "error"), code, text


def send_sendmail(msg, sender, rcpt, a):
    """Hand one message to sendmail(1) of the private instance (LF line ends, as cron does)."""
    p = subprocess.run([a.sendmail, "-C", a.conf, "-i", "-f", sender, "--", rcpt],
                       input=msg.replace(CRLF, b"\n"), capture_output=True, timeout=a.timeout)
    if p.returncode == 0:
        return "accepted", 0, ""
    return "error", p.returncode, p.stderr.decode("utf-8", "replace").strip()


def submit(entry, a):
    with open(os.path.join(a.sent, entry["id"] + ".eml"), "rb") as f:
        msg = f.read()
    fn = send_sendmail if entry["via"] == "sendmail" else send_smtp
    st, code, text = fn(msg, entry["from"], entry["rcpt"], a)
    e = dict(entry, status=st, code=code, text=text[:200], t=time.time())
    record(a.ledger, e)
    return e


def cmd_send(a):
    kinds = a.kinds.split(",")
    os.makedirs(a.sent, exist_ok=True)
    entries = []
    for i in range(a.count):
        mid = "%s-%03d" % (a.prefix, i)
        kind = kinds[i % len(kinds)]
        dom = a.domains.split(",")[i % len(a.domains.split(","))]
        sender = "%s@%s" % (a.local, dom)
        rcpt = "rcpt-%s@sink.e2e.test" % mid
        msg = make_message(mid, kind, sender, rcpt)
        if a.sign:
            msg = outside_sign(msg, a.sign)
            if a.tamper:
                msg = msg.rstrip(CRLF) + b" (changed on the way)" + CRLF
        with open(os.path.join(a.sent, mid + ".eml"), "wb") as f:
            f.write(msg)
        entries.append({"id": mid, "kind": kind, "via": a.via, "from": sender, "rcpt": rcpt,
                        "expect": a.expect, "port": a.port, "source": a.source, "auth": a.auth,
                        "tls": a.tls})
    return run_batch(entries, a)


def outside_sign(msg, spec):
    """Sign msg with dkimpy as KEYFILE:DOMAIN:SELECTOR:ALG (rsa or ed25519) says."""
    keyfile, dom, sel, alg = spec.split(":")
    with open(keyfile, "rb") as f:
        key = f.read()
    sig = dkim.sign(msg, sel.encode(), dom.encode(), key, canonicalize=(b"relaxed", b"relaxed"),
                    signature_algorithm=(b"ed25519-sha256" if alg == "ed25519" else b"rsa-sha256"),
                    include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    return sig + msg


def run_batch(entries, a):
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.parallel) as ex:
        futs = []
        for e in entries:
            futs.append(ex.submit(submit, e, a))
            if a.pace:
                time.sleep(a.pace)
        for f in futs:
            results.append(f.result())
    n = {s: sum(1 for r in results if r["status"] == s) for s in ("accepted", "tempfail", "error")}
    print("send %s: %d accepted, %d tempfail, %d refused" %
          (a.prefix if hasattr(a, "prefix") else "resend", n["accepted"], n["tempfail"], n["error"]))
    for r in results:
        if r["status"] != "accepted":
            print("  %s %s %s %s" % (r["id"], r["status"], r["code"], r["text"]))
    if a.want == "tempfail":
        return 0 if n["tempfail"] == len(results) else 1
    if n["error"] or (n["tempfail"] and a.want == "accepted"):
        return 1
    return 0


def last_status(ledger):
    last = {}
    with open(ledger, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            last[e["id"]] = e
    return last


def cmd_resend(a):
    todo = [e for e in last_status(a.ledger).values() if e["status"] == "tempfail"]
    if not todo:
        print("resend: nothing to resend")
        return 0
    groups = {}
    for e in todo:
        groups.setdefault((e["port"], e["source"], e["auth"], e["tls"]), []).append(e)
    rc = 0
    for (port, source, auth, tls), es in groups.items():
        a.port, a.source, a.auth, a.tls = port, source, auth, tls
        rc |= run_batch(es, a)
    return rc


# ------------------------------------------------------------------ capture
def parse_dump(data):
    """smtp-sink -d file -> message bytes (CRLF). The sink prepends X-* lines
    and a three-line Received: header and appends one empty line."""
    lines = data.split(b"\n")
    i = 0
    while i < len(lines) and lines[i].startswith(b"X-"):
        i += 1
    if i >= len(lines) or not lines[i].startswith(b"Received: from "):
        raise ValueError("not an smtp-sink dump")
    i += 3
    body = lines[i:]
    if body and body[-1] == b"":
        body.pop()        # split artefact of the final newline
    if body and body[-1] == b"":
        body.pop()        # the empty line smtp-sink appends
    return CRLF.join(body) + CRLF


def header_block(msg):
    end = msg.find(CRLF + CRLF)
    return msg[:end + 2] if end >= 0 else msg


def header_value(msg, name):
    m = re.search(rb"(?im)^" + re.escape(name) + rb":[ \t]*([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", header_block(msg))
    return m.group(1).replace(CRLF, b"").strip().decode("latin-1") if m else None


def cmd_collect(a):
    os.makedirs(a.out, exist_ok=True)
    seen = {}
    for root, _, files in os.walk(a.sink):
        for fn in sorted(files):
            with open(os.path.join(root, fn), "rb") as f:
                msg = parse_dump(f.read())
            mid = header_value(msg, b"X-E2E-Id") or ("noid-" + fn)
            # Messages without an id (a bounce, say) are kept: check reports them.
            if a.prefix and not mid.startswith((a.prefix, "noid-")):
                continue
            seen[mid] = seen.get(mid, 0) + 1
            name = mid if seen[mid] == 1 else "%s.dup%d" % (mid, seen[mid])
            with open(os.path.join(a.out, name + ".eml"), "wb") as f:
                f.write(msg)
    print("collect: %d messages" % sum(seen.values()))
    return 0


# ------------------------------------------------------------------- checks
def load_zone(path):
    zone = {}
    with open(path, encoding="ascii") as f:
        for line in f:
            m = re.match(r'^(\S+)\s+(?:IN\s+)?TXT\s+(.*)$', line.strip())
            if m:
                zone[m.group(1).rstrip(".").lower()] = "".join(re.findall(r'"([^"]*)"', m.group(2)))
    return zone


def sig_tags(value):
    tags = {}
    for part in value.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            tags[k.strip()] = re.sub(r"\s+", "", v)
    return tags


def dkim_fields(msg):
    fields = re.findall(rb"(?im)^DKIM-Signature:([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", header_block(msg))
    return [sig_tags(f.replace(CRLF, b"").decode("ascii", "replace")) for f in fields]


def body_of(msg):
    end = msg.find(CRLF + CRLF)
    body = msg[end + 4:] if end >= 0 else b""
    return body.rstrip(b"\r\n")


def check_one(e, msg, zone, expect, problems):
    """Check one delivered message against what the test expects of it."""
    mid = e["id"]
    sigs = dkim_fields(msg)
    if e["expect"] == "unsigned":
        if sigs:
            problems.append("%s: from an external client but signed (d=%s)" % (mid, sigs[0].get("d")))
        return 0
    dom = e["from"].split("@", 1)[1]
    want = expect.get(dom)
    if want is None:
        problems.append("%s: no expectation for domain %s" % (mid, dom))
        return 0
    got = sorted([s.get("a"), s.get("s")] for s in sigs)
    if got != sorted(want["sigs"]):
        problems.append("%s: signatures %s, expected %s" % (mid, got, sorted(want["sigs"])))
        return 0
    ok = 0
    for i, s in enumerate(sigs):
        bad = []
        if s.get("v") != "1":
            bad.append("v=%s" % s.get("v"))
        if s.get("d", "").lower() != dom:
            bad.append("d=%s" % s.get("d"))
        if s.get("c", "simple/simple") != want["c"]:
            bad.append("c=%s" % s.get("c"))
        if "from" not in [h.lower() for h in s.get("h", "").split(":")]:
            bad.append("h= does not cover From: %s" % s.get("h"))
        if not s.get("bh") or not s.get("b"):
            bad.append("bh= or b= missing")

        def dnsfunc(name, timeout=5):
            n = name.decode() if isinstance(name, bytes) else name
            v = zone.get(n.rstrip(".").lower())
            return v.encode() if v is not None else None
        try:
            if not dkim.DKIM(msg, minkey=1024).verify(idx=i, dnsfunc=dnsfunc):
                bad.append("dkimpy: signature does not verify")
        except dkim.DKIMException as ex:
            bad.append("dkimpy: %s" % ex)
        if bad:
            problems.append("%s: signature %d (a=%s): %s" % (mid, i, s.get("a"), "; ".join(bad)))
        else:
            ok += 1
    return 1 if ok == len(sigs) else 0


def cmd_check(a):
    zone = load_zone(a.zone)
    with open(a.expect, encoding="utf-8") as f:
        expect = json.load(f)
    last = last_status(a.ledger)
    problems = []
    signed_files = []
    nsigned = nunsigned = 0
    delivered = set(os.path.splitext(f)[0] for f in os.listdir(a.msgs))
    for mid in sorted(last):
        e = last[mid]
        if e["status"] != "accepted":
            problems.append("%s: never accepted (last: %s %s %s)" % (mid, e["status"], e["code"], e["text"]))
            continue
        path = os.path.join(a.msgs, mid + ".eml")
        if mid not in delivered:
            problems.append("%s: accepted (%s) but never delivered" % (mid, e["via"]))
            continue
        if mid + ".dup2" in delivered:
            problems.append("%s: delivered more than once" % mid)
        with open(path, "rb") as f:
            msg = f.read()
        with open(os.path.join(a.sent, mid + ".eml"), "rb") as f:
            sent = f.read()
        if body_of(msg) != body_of(sent):
            problems.append("%s: body changed in transit (%d -> %d bytes)" %
                            (mid, len(body_of(sent)), len(body_of(msg))))
        if e["expect"] == "unsigned":
            check_one(e, msg, zone, expect, problems)
            nunsigned += 1
        elif check_one(e, msg, zone, expect, problems):
            nsigned += 1
            signed_files.append(path)
    stray = sorted(d for d in delivered if d not in last)
    for d in stray:
        problems.append("%s: delivered but not in the ledger" % d)
    if a.signed_list:
        with open(a.signed_list, "w", encoding="utf-8") as f:
            f.write("".join(p + "\n" for p in signed_files))
    for p in problems:
        print("PROBLEM " + p)
    print("check: %d ids, %d signed and verified (dkimpy, tags), %d external and unsigned, %d problems"
          % (len(last), nsigned, nunsigned, len(problems)))
    return 1 if problems else 0


def cmd_authres(a):
    """Each delivered message of the batch carries exactly the verdict wanted."""
    problems = []
    names = sorted(f for f in os.listdir(a.msgs) if f.startswith(a.prefix + "-"))
    if a.count and len(names) != a.count:
        problems.append("%s: %d messages delivered, expected %d" % (a.prefix, len(names), a.count))
    ours = re.compile(rb"(?im)^Authentication-Results:[ \t]*" + re.escape(a.authserv.encode()) +
                      rb"[ \t]*;([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)")
    for name in names:
        with open(os.path.join(a.msgs, name), "rb") as f:
            msg = f.read()
        found = ours.findall(header_block(msg))
        # Printed values come from the delivered mail: escape them.
        shown = ascii([v.replace(CRLF, b" ") for v in found])
        if a.signed and not dkim_fields(msg):
            problems.append("%s: not signed" % name)
        if a.want == "none":
            if found:
                problems.append("%s: has our Authentication-Results: %s" % (name, shown))
        elif len(found) != 1:
            problems.append("%s: %d Authentication-Results fields of ours: %s" % (name, len(found), shown))
        elif not re.search(rb"\bdkim=" + a.want.encode() + rb"\b", found[0]):
            problems.append("%s: expected dkim=%s, got %s" % (name, a.want, shown))
    for p in problems:
        print("PROBLEM " + p)
    print("authres %s: %d messages, dkim=%s expected, %d problems" % (a.prefix, len(names), a.want, len(problems)))
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("send", "resend"):
        p = sub.add_parser(name)
        p.add_argument("--ledger", required=True)
        p.add_argument("--sent", required=True)
        p.add_argument("--port", type=int, default=25)
        p.add_argument("--source", default="")
        p.add_argument("--auth", default="")
        p.add_argument("--tls", choices=["", "starttls", "smtps"], default="")
        p.add_argument("--via", choices=["smtp", "sendmail"], default="smtp")
        p.add_argument("--conf", default="")
        p.add_argument("--sendmail", default="/usr/sbin/sendmail")
        p.add_argument("--parallel", type=int, default=1)
        p.add_argument("--pace", type=float, default=0.0)
        p.add_argument("--timeout", type=float, default=120)
        p.add_argument("--want", choices=["accepted", "tempfail", "mixed"], default="accepted")
        if name == "send":
            p.add_argument("--prefix", required=True)
            p.add_argument("--count", type=int, default=1)
            p.add_argument("--kinds", default=",".join(KINDS))
            p.add_argument("--domains", default="example.com")
            p.add_argument("--local", default="sender")
            p.add_argument("--expect", choices=["signed", "unsigned"], default="signed")
            p.add_argument("--sign", default="", help="KEYFILE:DOMAIN:SELECTOR:ALG")
            p.add_argument("--tamper", action="store_true")
    p = sub.add_parser("collect")
    p.add_argument("--sink", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--prefix", default="", help="only messages whose X-E2E-Id starts so")
    p = sub.add_parser("check")
    p.add_argument("--ledger", required=True)
    p.add_argument("--sent", required=True)
    p.add_argument("--msgs", required=True)
    p.add_argument("--zone", required=True)
    p.add_argument("--expect", required=True)
    p.add_argument("--signed-list")
    p = sub.add_parser("authres")
    p.add_argument("--msgs", required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--authserv", required=True)
    p.add_argument("--want", choices=["pass", "fail", "none", "permerror"], required=True)
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--signed", action="store_true")
    a = ap.parse_args()
    return {"send": cmd_send, "resend": cmd_resend, "collect": cmd_collect, "check": cmd_check,
            "authres": cmd_authres}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
