#!/usr/bin/python3
"""sigcheck.py - every signature of a load run, checked against the DNS of its moment.

    sigcheck.py --log LOAD.log --message MSG --dns DNS.jsonl --servers A,B
                [--window SECONDS] [--before SECONDS] [--min N]
                [--expect-switch | --expect-no-switch]

LOAD.log is benchdrv -L's (times, verdict, the header as signed), MSG the
message benchdrv generated (-M: its body is every message's body), DNS.jsonl
what dnsmon.py saw each server serve. Each DKIM-Signature is verified with
python3-dkim against the record every server published at the moment the
milter's reply came (CNAMEs followed inside those servers' zones): a
signature that fails against any of them used a selector not (yet, or no
longer) visible everywhere. Prints one JSON line: messages, signed,
unsigned, failed (tempfail, reject, I/O), unseen (with examples),
undecided (a signature that verifies only if a server's change, seen
between two polls of dnsmon.py, came before it: not counted as unseen),
the selectors used, and p99 latency before and during the switch (the first
message of a domain signed with other selectors than its first: the window
is that moment plus or minus --window seconds, "before" the --before
seconds (5) ahead of that window).
Exit 1 when a message was unsigned, failed or unseen, when fewer than --min
messages were sent, or when a switch was (not) expected and (not) seen.
"""
import argparse
import hashlib
import json
import sys

import dkim


def unescape(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            out.append({"r": "\r", "n": "\n", "\\": "\\"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def load_log(path):
    msgs = []
    with open(path, encoding="latin-1") as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 3)
            if len(parts) < 3:
                continue
            head = unescape(parts[3]) if len(parts) > 3 else ""
            msgs.append((float(parts[0]), float(parts[1]), parts[2], head.encode("latin-1")))
    msgs.sort(key=lambda m: m[1])
    return msgs


def sig_tags(value):
    tags = {}
    for part in value.replace("\r\n", "").split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            tags[k.strip()] = "".join(v.split())
    return tags


def signatures(head):
    """The (d, s) of every DKIM-Signature field of a header, in order."""
    out, cur = [], None
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            if cur is not None:
                cur.append(line)
            continue
        if cur is not None:
            out.append(b"\r\n".join(cur))
            cur = None
        if line.lower().startswith(b"dkim-signature:"):
            cur = [line]
    if cur is not None:
        out.append(b"\r\n".join(cur))
    res = []
    for field in out:
        t = sig_tags(field.split(b":", 1)[1].decode("latin-1"))
        res.append((t.get("d", "").lower(), t.get("s", "").lower()))
    return res


def quantile(v, q):
    if not v:
        return None
    v = sorted(v)
    k = max(1, int(q * len(v) + 0.999999))
    return round(v[min(k, len(v)) - 1], 3)


class Dns:
    """Every server's zones as they were at a moment (events applied in time
    order): by when = "t", as late as each change can have happened; by
    "since", as early."""

    def __init__(self, path, servers, when="t"):
        self.events = []
        with open(path) as f:
            for line in f:
                e = json.loads(line)
                e["t"] = e.get(when, e["t"])
                self.events.append(e)
        self.events.sort(key=lambda e: e["t"])
        self.pos = 0
        self.servers = servers
        self.zones = {s: {} for s in servers}  # server -> zone -> (txt, cname)
        self.version = 0

    def advance(self, t):
        while self.pos < len(self.events) and self.events[self.pos]["t"] <= t:
            e = self.events[self.pos]
            self.pos += 1
            if e.get("down") or e["server"] not in self.zones:
                continue  # a server away still counts with what it served last
            self.zones[e["server"]][e["zone"]] = (e["txt"], e["cname"])
            self.version += 1

    def lookup(self, server, name):
        name = name.rstrip(".").lower()
        for _ in range(8):
            hit = False
            for txt, cname in self.zones[server].values():
                if name in cname:
                    name, hit = cname[name], True
                    break
                if name in txt:
                    return txt[name]
            if not hit:
                return None
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--message", required=True)
    ap.add_argument("--dns", required=True)
    ap.add_argument("--servers", required=True)
    ap.add_argument("--window", type=float, default=1.0)
    ap.add_argument("--before", type=float, default=5.0)
    ap.add_argument("--min", type=int, default=1)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--expect-switch", action="store_true")
    g.add_argument("--expect-no-switch", action="store_true")
    a = ap.parse_args()
    servers = a.servers.split(",")
    body = open(a.message, "rb").read().split(b"\r\n\r\n", 1)[1]
    msgs = load_log(a.log)
    dns = Dns(a.dns, servers)
    early = Dns(a.dns, servers, "since")
    cache = {}
    res = {"messages": len(msgs), "signed": 0, "unsigned": 0, "failed": 0, "unseen": 0,
           "undecided": 0, "checked_sigs": 0, "examples": [], "selectors": {}}
    first_sel = {}
    switch_t = None
    lat = []
    for t0, t1, verdict, head in msgs:
        lat.append((t0, (t1 - t0) * 1000.0))
        if verdict != "accept":
            res["failed"] += 1
            if len(res["examples"]) < 5:
                res["examples"].append({"t": t1, "why": "verdict " + verdict})
            continue
        sigs = signatures(head)
        if not sigs:
            res["unsigned"] += 1
            continue
        res["signed"] += 1
        sel = ",".join("%s/%s" % ds for ds in sigs)
        res["selectors"][sel] = res["selectors"].get(sel, 0) + 1
        # The switch: a domain first signed with other selectors than before.
        doms = ",".join(d for d, _ in sigs)
        if doms not in first_sel:
            first_sel[doms] = sel
        elif sel != first_sel[doms] and switch_t is None:
            switch_t = t0
        dns.advance(t1)
        early.advance(t1)
        data = head + b"\r\n\r\n" + body
        hkey = hashlib.sha256(head).digest()

        def verifies(rec, idx):
            key = (hkey, idx, rec)
            if key not in cache:
                def dnsfunc(_name, timeout=5, rec=rec):
                    return rec.encode("latin-1") if rec is not None else None
                try:
                    cache[key] = bool(dkim.DKIM(data).verify(idx=idx, dnsfunc=dnsfunc))
                except Exception:
                    cache[key] = False
            return cache[key]
        for idx, (d, s) in enumerate(sigs):
            for server in servers:
                name = "%s._domainkey.%s" % (s, d)
                rec = dns.lookup(server, name)
                res["checked_sigs"] += 1
                if verifies(rec, idx):
                    continue
                # The server changed between two polls around t1: which
                # side t1 fell on cannot be told, so it is counted apart.
                if verifies(early.lookup(server, name), idx):
                    res["undecided"] += 1
                    continue
                res["unseen"] += 1
                if len(res["examples"]) < 5:
                    res["examples"].append({"t": t1, "why": "s=%s d=%s does not verify against %s, which served %s"
                                            % (s, d, server, "nothing" if rec is None else rec[:60])})
    res["first_selectors"] = first_sel
    res["switch_t"] = switch_t
    if switch_t is not None:
        before = [ms for t, ms in lat if switch_t - a.window - a.before <= t < switch_t - a.window]
        during = [ms for t, ms in lat if switch_t - a.window <= t <= switch_t + a.window]
    else:
        before, during = [ms for _, ms in lat], []
    res["p99_before_ms"] = quantile(before, 0.99)
    res["p99_during_ms"] = quantile(during, 0.99)
    res["n_before"], res["n_during"] = len(before), len(during)
    print(json.dumps(res))
    bad = res["unsigned"] or res["failed"] or res["unseen"] or len(msgs) < a.min
    if a.expect_switch and switch_t is None:
        bad = True
    if a.expect_no_switch and switch_t is not None:
        bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
