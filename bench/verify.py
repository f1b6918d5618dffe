#!/usr/bin/python3
"""verify.py - check the benchmark's sampled signatures with python3-dkim.

  verify.py ZONE SAMPLEDIR

ZONE has lines "NAME RECORD" (NAME = selector._domainkey.domain); the
records reach dkimpy through its dnsfunc hook, so no DNS is involved.
SAMPLEDIR/GROUP-MILTER-SIZE-CONNS/msg-N.eml are messages as the milters
left them. Every DKIM-Signature must verify; a dual-signing sample must
carry two. Prints one line per message; exit 0 only when all pass.
"""
import os
import sys

import dkim


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: verify.py ZONE SAMPLEDIR")
    zone = {}
    with open(sys.argv[1], encoding="ascii") as f:
        for line in f:
            name, _, rec = line.strip().partition(" ")
            if name:
                zone[name.rstrip(".").lower()] = rec.encode("ascii")

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii")
        return zone.get(name.rstrip(".").lower())

    total = bad = 0
    top = sys.argv[2]
    for cell in sorted(os.listdir(top)) if os.path.isdir(top) else []:
        want = 2 if cell.startswith("dual-") else 1
        for fn in sorted(os.listdir(os.path.join(top, cell))):
            path = os.path.join(top, cell, fn)
            with open(path, "rb") as f:
                data = f.read()
            d = dkim.DKIM(data)
            nsig = sum(1 for h in d.headers if h[0].lower() == b"dkim-signature")
            oks = []
            for i in range(nsig):
                try:
                    oks.append(bool(d.verify(idx=i, dnsfunc=dnsfunc)))
                except dkim.DKIMException as e:
                    print("  %s: signature %d: %s" % (path, i, e))
                    oks.append(False)
            ok = nsig == want and all(oks)
            total += 1
            bad += 0 if ok else 1
            print("%s %s/%s: %d signature(s), %s" % (
                "PASS" if ok else "FAIL", cell, fn, nsig,
                " ".join("ok" if o else "bad" for o in oks) or "none"))
    print("python3-dkim: %d sampled messages, %d failed" % (total, bad))
    return 0 if total > 0 and bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
