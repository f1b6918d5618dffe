#!/usr/bin/python3
"""dkimcheck.py - verify every DKIM-Signature of messages with python3-dkim.

  dkimcheck.py --zone ZONE [--nsig N] [--none] MSG...

ZONE holds lines "selector._domainkey.domain [IN] TXT "v=DKIM1; ..." ["..."]"
(quoted strings are joined). Keys come from that file through dkimpy's
dnsfunc hook, so no DNS is involved. Each message must carry exactly N
signatures (default: at least one) and all must verify; --none wants none.
Prints one line per message; exit 0 only when all are as wanted.
"""
import argparse
import re
import sys

import dkim


def load_zone(path):
    zone = {}
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"\(([^)]*)\)", lambda m: " ".join(m.group(1).split("\n")), text)
    for line in text.splitlines():
        line = line.split(";  -----")[0].strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^(\S+)\s+(?:IN\s+)?TXT\s+(.*)$", line, re.I)
        if not m:
            continue
        strings = re.findall(r'"([^"]*)"', m.group(2))
        zone[m.group(1).rstrip(".").lower()] = "".join(strings)
    return zone


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zone", required=True)
    ap.add_argument("--nsig", type=int, default=0)
    ap.add_argument("--none", action="store_true")
    ap.add_argument("msgs", nargs="+")
    a = ap.parse_args()
    zone = load_zone(a.zone)

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii")
        rec = zone.get(name.rstrip(".").lower())
        return rec.encode("ascii") if rec is not None else None

    bad = 0
    for path in a.msgs:
        with open(path, "rb") as f:
            data = f.read()
        d = dkim.DKIM(data)
        nsig = sum(1 for h in d.headers if h[0].lower() == b"dkim-signature")
        results = []
        for i in range(nsig):
            try:
                ok = d.verify(idx=i, dnsfunc=dnsfunc)
            except Exception as e:  # a verifier exception is a failure
                ok = False
                results.append("error:%s" % e)
                continue
            results.append("pass" if ok else "fail")
        if a.none:
            good = nsig == 0
        elif a.nsig:
            good = nsig == a.nsig and all(r == "pass" for r in results)
        else:
            good = nsig > 0 and all(r == "pass" for r in results)
        print("%s %s nsig=%d %s" % ("OK" if good else "BAD", path, nsig, " ".join(results)))
        bad += 0 if good else 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
