#!/usr/bin/python3
"""scale_verify.py - check scale.sh's sampled signatures with python3-dkim.

  scale_verify.py POOLDIR KEYS SAMPLEDIR

Domain dI.example was given key I mod KEYS (POOLDIR/kJ.pub: base64 of the
DER public key), selector s. Every sampled message must carry exactly one
DKIM-Signature, with d= the From domain, that verifies against that key.
The record reaches dkimpy through its dnsfunc hook (nothing is published),
and only for the From domain of the message being checked. Prints one line
per message; exit 0 only when all pass.
"""
import os
import re
import sys

import dkim


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: scale_verify.py POOLDIR KEYS SAMPLEDIR")
    pool, nkeys, top = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    pubs = [open(os.path.join(pool, "k%d.pub" % j)).read().strip() for j in range(nkeys)]
    total = bad = 0
    for cell in sorted(os.listdir(top)) if os.path.isdir(top) else []:
        for fn in sorted(os.listdir(os.path.join(top, cell))):
            path = os.path.join(top, cell, fn)
            with open(path, "rb") as f:
                data = f.read()
            head = data.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
            m = re.search(r"(?im)^From:.*@(d(\d+)\.example)>", head)
            why = ""
            ok = False
            if not m:
                why = "no From dI.example"
            else:
                dom, idx = m.group(1), int(m.group(2))
                rec = ("v=DKIM1; k=rsa; p=" + pubs[idx % nkeys]).encode("ascii")
                want = "s._domainkey." + dom

                def dnsfunc(name, timeout=5):
                    if isinstance(name, bytes):
                        name = name.decode("ascii")
                    return rec if name.rstrip(".").lower() == want else None

                d = dkim.DKIM(data)
                sigs = [h for h in d.headers if h[0].lower() == b"dkim-signature"]
                if len(sigs) != 1:
                    why = "%d signatures" % len(sigs)
                elif not re.search(rb"(^|;)\s*d=" + re.escape(dom.encode()) + rb"\s*(;|$)",
                                   sigs[0][1]):
                    why = "d= is not " + dom
                else:
                    try:
                        ok = bool(d.verify(dnsfunc=dnsfunc))
                        why = "verified" if ok else "does not verify"
                    except dkim.DKIMException as e:
                        why = str(e)
            total += 1
            bad += 0 if ok else 1
            print("%s %s/%s: %s" % ("PASS" if ok else "FAIL", cell, fn, why))
    print("python3-dkim: %d sampled messages, %d failed" % (total, bad))
    return 0 if total > 0 and bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
