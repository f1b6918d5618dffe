#!/usr/bin/python3
"""crosscheck.py - the core against dkimpy (Debian's python3-dkim) and
Mail::DKIM (Debian's libmail-dkim-perl, through mdkim-sign.pl).

Signatures made by the core (through dkimtool) must verify with dkimpy, and
signatures made by dkimpy must verify with the core, for all four
canonicalizations and both algorithms, over a set of awkward messages. Each
check is followed by a tampered copy that must fail, so a verifier that
said yes to everything would be caught. The key records for dkimpy's keys
are computed here with OpenSSL and PyNaCl, not by the core.

usage: /usr/bin/python3 crosscheck.py PATH/TO/dkimtool
"""
import base64
import os
import shutil
import subprocess
import sys
import tempfile
import time

import dkim
import nacl.signing

DOMAIN = b"example.com"
CANONS = [(b"simple", b"simple"), (b"simple", b"relaxed"),
          (b"relaxed", b"simple"), (b"relaxed", b"relaxed")]

MESSAGES = {
    "typical": (
        b"Received: from a.example.net by b.example.com; Tue, 1 Jan 2030 00:00:00 +0000\r\n"
        b"From: Alice Example <alice@example.com>\r\n"
        b"To: Bob <bob@example.org>,\r\n"
        b"\tCarol <carol@example.org>\r\n"
        b"Subject:  Quarterly   report \t\r\n"
        b"Date: Tue, 1 Jan 2030 00:00:00 +0000\r\n"
        b"Message-ID: <1234@example.com>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"\r\n"
        b"Hello Bob,  \r\n\r\nthe numbers \t are in.\r\n"
        b"Caf\xc3\xa9 \xe2\x82\xac 42\r\n\r\n\r\n"),
    "empty-body": (
        b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: empty\r\n\r\n"),
    "no-blank-line": (
        b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: headers only\r\n"),
    "blank-lines-only": (
        b"From: alice@example.com\r\nSubject: blank\r\n\r\n\r\n\r\n \r\n\t\r\n\r\n"),
    # Without a final CRLF. Trailing WSP on such a last line is left out on
    # purpose: implementations disagree on it under relaxed (dkimpy keeps one
    # SP, Mail::DKIM drops it, OpenDKIM differs from both); SMTP bodies
    # always end in CRLF, so it cannot reach the milter.
    "no-final-crlf": (
        b"From: alice@example.com\r\nSubject: unterminated\r\n\r\n \t two  words"),
    "repeated-to": (
        b"From: alice@example.com\r\nTo: first@example.org\r\nSubject: two To\r\n"
        b"To: second@example.org\r\nCc: c@example.org\r\n\r\nbody\r\n"),
    "utf8-header": (
        b"From: =?utf-8?q?J=C3=B6rg?= <joerg@example.com>\r\n"
        b"Subject: gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln\r\n"
        b"To: \xc3\xa9lise@example.org\r\n\r\n"
        b"\xc3\xa4\xc3\xb6\xc3\xbc  \t \r\n \t leading\r\n"),
    "bare-cr": (
        b"From: alice@example.com\r\nSubject: cr\r\n\r\na\rb\r\nc \r d\r\n\r\n"),
    "long": (
        b"From: alice@example.com\r\nSubject: long\r\nX-Long: " + b"x" * 900 + b"\r\n"
        b" folded " + b"y" * 300 + b"\r\n\r\n" +
        b"".join(b"line %d %s \t\r\n" % (i, b"z" * (i % 97)) for i in range(3000)) +
        b"\r\n" * 50),
}

# Header lists given to both signers for one round (the rest use defaults).
HEADERS = [b"from", b"to", b"cc", b"subject", b"date", b"message-id"]


def run(cmd, data=None):
    """Run a command; return (exit status, stdout bytes)."""
    p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120, check=False)
    if p.returncode not in (0, 1):
        sys.stderr.write(p.stderr.decode(errors="replace"))
        raise RuntimeError("%s failed with status %d" % (cmd[0:2], p.returncode))
    return p.returncode, p.stdout


def tamper(msg):
    """Change one body byte (or a From byte when the body has no letter)."""
    head, sep, body = msg.partition(b"\r\n\r\n")
    for i, c in enumerate(body):
        if chr(c).isalpha():
            return head + sep + body[:i] + bytes([c ^ 0x20]) + body[i + 1:]
    i = msg.index(b"alice") if b"alice" in msg else msg.index(b"joerg")
    return msg[:i] + b"m" + msg[i + 1:]


class Cross:
    def __init__(self, tool, tmp):
        self.tool = tool
        self.tmp = tmp
        self.failures = 0
        self.checks = 0
        self.zone = {}
        now = int(time.time())
        self.now = now

    def check(self, ok, what):
        self.checks += 1
        print("%s - %s" % ("ok" if ok else "not ok", what))
        if not ok:
            self.failures += 1

    def dnsfunc(self, name, timeout=5):
        """dkimpy's DNS hook: answer from our zone."""
        if isinstance(name, bytes):
            name = name.decode()
        return self.zone.get(name.rstrip(".").lower())

    def zonefile(self):
        path = os.path.join(self.tmp, "zone")
        with open(path, "wb") as f:
            for name, txt in self.zone.items():
                f.write(name.encode() + b" " + txt + b"\n")
        return path

    def setup_keys(self):
        """RSA (PKCS#1 PEM, by openssl) and Ed25519 (base64 seed); records made independently."""
        self.rsa = os.path.join(self.tmp, "rsa.pem")
        run(["openssl", "genrsa", "-traditional", "-out", self.rsa, "2048"])
        _, der = run(["openssl", "rsa", "-in", self.rsa, "-pubout", "-outform", "DER"])
        self.rsa_p = base64.b64encode(der)
        seed = os.urandom(32)
        self.ed = os.path.join(self.tmp, "ed.key")
        with open(self.ed, "wb") as f:
            f.write(base64.b64encode(seed) + b"\n")
        self.ed_seed = base64.b64encode(seed)
        vk = nacl.signing.SigningKey(seed).verify_key.encode()
        self.ed_p = base64.b64encode(vk)
        self.zone["rsa._domainkey.example.com"] = b"v=DKIM1; k=rsa; p=" + self.rsa_p
        self.zone["ed._domainkey.example.com"] = b"v=DKIM1; k=ed25519; p=" + self.ed_p
        with open(self.rsa, "rb") as f:
            self.rsa_pem = f.read()
        # The core's own record export must say the same.
        for key, p in ((self.rsa, self.rsa_p), (self.ed, self.ed_p)):
            _, out = run([self.tool, "record", "-k", key])
            self.check(out.strip().endswith(b"p=" + p),
                       "core record for %s matches the independent p=" % os.path.basename(key))

    def core_sign(self, msg, alg, canon, headers):
        path = os.path.join(self.tmp, "msg")
        with open(path, "wb") as f:
            f.write(msg)
        cmd = [self.tool, "sign", "-k", self.rsa if alg == "rsa" else self.ed,
               "-d", "example.com", "-s", alg, "-c", b"/".join(canon).decode(),
               "-t", str(self.now)]
        if headers:
            cmd += ["-h", b":".join(headers).decode()]
        rc, out = run(cmd + [path])
        if rc != 0:
            raise RuntimeError("core failed to sign")
        return out

    def core_verify(self, msg):
        path = os.path.join(self.tmp, "vmsg")
        with open(path, "wb") as f:
            f.write(msg)
        rc, out = run([self.tool, "verify", "-z", self.zonefile(), "-t", str(self.now), path])
        return rc == 0, out.decode(errors="replace").strip()

    def dkimpy_sign(self, msg, alg, canon, headers):
        if alg == "rsa":
            key, sigalg = self.rsa_pem, b"rsa-sha256"
        else:
            key, sigalg = self.ed_seed, b"ed25519-sha256"
        sig = dkim.sign(msg, alg.encode(), DOMAIN, key, canonicalize=canon,
                        signature_algorithm=sigalg, include_headers=headers or None)
        return sig + msg

    def dkimpy_verify(self, msg):
        return dkim.verify(msg, dnsfunc=self.dnsfunc)

    def round(self, name, msg, alg, canon, headers):
        what = "%s %s c=%s%s" % (name, alg, b"/".join(canon).decode(),
                                  " h=list" if headers else "")
        signed = self.core_sign(msg, alg, canon, headers)
        self.check(self.dkimpy_verify(signed), "core signs, dkimpy verifies: " + what)
        self.check(not self.dkimpy_verify(tamper(signed)),
                   "core signs, dkimpy rejects tampered: " + what)
        self.check(self.core_verify(signed)[0], "core signs, core verifies: " + what)
        signed = self.dkimpy_sign(msg, alg, canon, headers)
        ok, out = self.core_verify(signed)
        self.check(ok, "dkimpy signs, core verifies: %s (%s)" % (what, out))
        ok, out = self.core_verify(tamper(signed))
        self.check(not ok, "dkimpy signs, core rejects tampered: %s (%s)" % (what, out))


def extras(c):
    """dkimpy signatures with tags the core never writes: l= and i=."""
    msg = MESSAGES["typical"]
    for canon in CANONS:
        sig = dkim.sign(msg, b"rsa", DOMAIN, c.rsa_pem, canonicalize=canon, length=True)
        ok, out = c.core_verify(sig + msg)
        c.check(ok and b"l=" in sig, "dkimpy l= c=%s, core verifies (%s)"
                % (b"/".join(canon).decode(), out))
        ok, out = c.core_verify(sig + tamper(msg))
        c.check(not ok, "dkimpy l= c=%s, core rejects tampered (%s)"
                % (b"/".join(canon).decode(), out))
    sig = dkim.sign(msg, b"ed", DOMAIN, c.ed_seed, identity=b"alice@mail.example.com",
                    signature_algorithm=b"ed25519-sha256")
    ok, out = c.core_verify(sig + msg)
    c.check(ok, "dkimpy i= in a subdomain, core verifies (%s)" % out)


MDKIM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mdkim-sign.pl")


def mdkim_sign(c, msg, canon, selector="rsa", key=None):
    """Mail::DKIM signs with the RSA key (or another PEM file)."""
    _, out = run(["perl", MDKIM, key or c.rsa, "example.com", selector,
                  b"/".join(canon).decode()], msg)
    return out


def verdicts(c):
    """Mail::DKIM signatures, several signatures, and each refused kind with its reason."""
    for name, msg in MESSAGES.items():
        # Mail::DKIM adds no CRLF to a last line without one under simple
        # (RFC 6376 §3.4.3 says to); SMTP bodies always end in CRLF.
        if name == "no-final-crlf":
            continue
        for canon in CANONS:
            what = "%s c=%s" % (name, b"/".join(canon).decode())
            signed = mdkim_sign(c, msg, canon)
            ok, out = c.core_verify(signed)
            c.check(ok, "Mail::DKIM signs, core verifies: %s (%s)" % (what, out))
            ok, out = c.core_verify(tamper(signed))
            c.check(not ok, "Mail::DKIM signs, core rejects tampered: %s (%s)" % (what, out))
    msg = MESSAGES["typical"]
    # Two independent signatures on one message: both reported, both pass.
    both = dkim.sign(msg, b"ed", DOMAIN, c.ed_seed, signature_algorithm=b"ed25519-sha256")
    both = mdkim_sign(c, both + msg, (b"relaxed", b"relaxed"))
    ok, out = c.core_verify(both)
    c.check(ok and out.count("PASS") == 2, "dkimpy + Mail::DKIM, core passes both (%s)" % out)
    # A signed header changed: the header hash fails, not the body hash.
    signed = mdkim_sign(c, msg, (b"relaxed", b"relaxed"))
    ok, out = c.core_verify(signed.replace(b"Quarterly", b"Quarterlx"))
    c.check(not ok and "signature does not verify" in out, "signed header changed (%s)" % out)
    # An unsigned header changed or added: still a pass.
    ok, out = c.core_verify(signed.replace(b"Received: from a", b"Received: from b") +
                            b"")
    c.check(ok, "unsigned header changed, still a pass (%s)" % out)
    # l=: text appended after the signed length still passes; a body cut
    # shorter than l= is refused.
    sig = dkim.sign(msg, b"rsa", DOMAIN, c.rsa_pem, length=True)
    ok, out = c.core_verify(sig + msg + b"appended by a list\r\n")
    c.check(ok, "l= with appended text, core passes (%s)" % out)
    head, _, body = msg.partition(b"\r\n\r\n")
    ok, out = c.core_verify(sig + head + b"\r\n\r\n" + body[:10] + b"\r\n")
    c.check(not ok and "l=" in out, "l= longer than the body, core refuses (%s)" % out)
    # rsa-sha1 (RFC 8301) and small keys are not a pass.
    sig = dkim.sign(msg, b"rsa", DOMAIN, c.rsa_pem, signature_algorithm=b"rsa-sha1")
    ok, out = c.core_verify(sig + msg)
    c.check(not ok and "rsa-sha1" in out, "rsa-sha1 refused (%s)" % out)
    for bits, good in ((1024, True), (512, False)):
        key = os.path.join(c.tmp, "rsa%d.pem" % bits)
        run(["openssl", "genrsa", "-traditional", "-out", key, str(bits)])
        _, der = run(["openssl", "rsa", "-in", key, "-pubout", "-outform", "DER"])
        c.zone["k%d._domainkey.example.com" % bits] = (b"v=DKIM1; k=rsa; p=" +
                                                       base64.b64encode(der))
        ok, out = c.core_verify(mdkim_sign(c, msg, (b"relaxed", b"simple"), "k%d" % bits, key))
        c.check(ok == good and (good or "too small" in out or "minimum" in out),
                "%d-bit key: %s (%s)" % (bits, "pass" if good else "refused", out))
    # Revoked key, key for another service, testing key.
    for rec, want in ((b"v=DKIM1; k=rsa; p=", "revoked"),
                      (b"v=DKIM1; k=rsa; s=tlsrpt; p=" + c.rsa_p, "not email"),
                      (b"v=DKIM1; k=ed25519; p=" + c.ed_p, "k=ed25519")):
        c.zone["other._domainkey.example.com"] = rec
        ok, out = c.core_verify(mdkim_sign(c, msg, (b"simple", b"simple"), "other"))
        c.check(not ok and want in out, "key record %s: refused (%s)" % (rec[:28], out))
    c.zone.pop("other._domainkey.example.com")
    ok, out = c.core_verify(mdkim_sign(c, msg, (b"simple", b"simple"), "other"))
    c.check(not ok and "no key" in out, "no key record (%s)" % out)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: crosscheck.py DKIMTOOL")
    tmp = tempfile.mkdtemp(prefix="crosscheck.")
    try:
        c = Cross(sys.argv[1], tmp)
        c.setup_keys()
        for name, msg in MESSAGES.items():
            for alg in ("rsa", "ed"):
                for canon in CANONS:
                    c.round(name, msg, alg, canon, None)
            c.round(name, msg, "rsa", (b"relaxed", b"relaxed"), HEADERS)
            c.round(name, msg, "ed", (b"simple", b"simple"), HEADERS)
        extras(c)
        verdicts(c)
        print("%d checks, %d failed" % (c.checks, c.failures))
        return 1 if c.failures else 0
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    sys.exit(main())
