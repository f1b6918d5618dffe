#!/usr/bin/python3
"""pydkim.py - test helper: judge dkimgen's keys and records with dkimpy
(Debian's python3-dkim), an implementation this project did not write.

  pydkim.py verify ZONEFILE MSGFILE
      every DKIM-Signature of MSGFILE must verify against the record
  pydkim.py sign KEYFILE ZONEFILE DOMAIN SELECTOR OUTFILE
      sign a message with dkimpy using the private key dkimgen wrote, verify
      it with dkimpy against the record, write it to OUTFILE

The record is SELECTOR.txt as dkimgen wrote it; its quoted strings are
joined the way DNS joins the strings of one TXT record. Exit 0 on success.
"""
import base64
import re
import sys

import dkim


def zone_text(path):
    """The joined quoted strings of a zone-file TXT record."""
    with open(path, encoding="ascii") as f:
        zone = f.read()
    zone = re.sub(r';[^"\n]*$', "", zone, flags=re.M)  # the trailing comment
    strings = re.findall(r'"((?:[^"\\]|\\.)*)"', zone)
    if not strings:
        sys.exit("%s: no quoted TXT text" % path)
    for s in strings:
        if len(s.encode()) > 255:
            sys.exit("%s: a string is longer than 255 bytes" % path)
    return "".join(re.sub(r"\\(.)", r"\1", s) for s in strings).encode()


def dnsfunc_for(record, seen):
    """A dnsfunc for dkimpy that knows only the one record."""
    def dnsfunc(name, timeout=5):
        seen.append(name)
        return record
    return dnsfunc


def verify_all(msg, record):
    """Verify every signature; returns the number that pass and the total."""
    heads = msg.split(b"\r\n\r\n", 1)[0]
    total = len(re.findall(rb"^dkim-signature:", heads, flags=re.I | re.M))
    passed = 0
    for i in range(total):
        seen = []
        d = dkim.DKIM(msg)
        ok = d.verify(idx=i, dnsfunc=dnsfunc_for(record, seen))
        print("  dkimpy signature %d: %s (asked for %s)"
              % (i + 1, "pass" if ok else "FAIL", b", ".join(seen).decode()))
        passed += bool(ok)
    return passed, total


def ed25519_seed(pem):
    """The 32-byte seed of a PKCS#8 Ed25519 key (RFC 8410), base64."""
    body = b"".join(l for l in pem.splitlines() if not l.startswith(b"-----"))
    der = base64.b64decode(body)
    prefix = bytes.fromhex("302e020100300506032b657004220420")
    if len(der) != 48 or not der.startswith(prefix):
        sys.exit("not a PKCS#8 Ed25519 key")
    return base64.b64encode(der[16:])


def cmd_sign(keyfile, zonefile, domain, selector, outfile):
    record = zone_text(zonefile)
    with open(keyfile, "rb") as f:
        pem = f.read()
    if b"k=ed25519" in record:
        alg, key = b"ed25519-sha256", ed25519_seed(pem)
    else:
        alg, key = b"rsa-sha256", pem
    msg = ("From: Carol <carol@%s>\r\nTo: dave@example.net\r\n"
           "Subject: signed by dkimpy\r\n\r\nHello from dkimpy.\r\n"
           % domain).encode()
    sig = dkim.sign(msg, selector.encode(), domain.encode(), key,
                    canonicalize=(b"relaxed", b"relaxed"),
                    signature_algorithm=alg)
    signed = sig + msg
    passed, total = verify_all(signed, record)
    if total != 1 or passed != 1:
        sys.exit("FAIL: dkimpy cannot verify its own signature with this record")
    with open(outfile, "wb") as f:
        f.write(signed)
    print("ok: dkimpy signs with %s (%s) and verifies against the record"
          % (keyfile, alg.decode()))


def cmd_verify(zonefile, msgfile):
    record = zone_text(zonefile)
    with open(msgfile, "rb") as f:
        msg = f.read()
    passed, total = verify_all(msg, record)
    if total == 0 or passed != total:
        sys.exit("FAIL: dkimpy: %d of %d signatures pass" % (passed, total))
    print("ok: dkimpy verifies %d signature(s) of %s" % (total, msgfile))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "verify":
        cmd_verify(*sys.argv[2:])
    elif len(sys.argv) == 7 and sys.argv[1] == "sign":
        cmd_sign(*sys.argv[2:])
    else:
        sys.exit(__doc__)
