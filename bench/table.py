#!/usr/bin/python3
"""table.py - medians, ratios and target checks from run.sh's results.

  table.py RESULTS.jsonl RSA_SIGN_MS [MILTLOAD.jsonl]

Each line of RESULTS is one benchdrv run plus run.sh's labels (group,
milter, variant, sock, size, rep). Prints Markdown: the main table
(postdkim vs OpenDKIM per body size and connection count), the extra rows
(Ed25519 vs the do-nothing filter, dual signing, inet vs unix), then each
target with its ratio and MET / MISSED.
"""
import json
import os
import statistics
import sys


def med(rows, key):
    vals = [r[key] for r in rows if key in r]
    return statistics.median(vals) if vals else float("nan")


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    rsa_ms = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    cells = {}
    for r in rows:
        k = (r["group"], r["milter"], r["variant"], r["sock"], r["size"], r["conns"])
        cells.setdefault(k, []).append(r)

    def get(group, milter, variant, sock, size, conns):
        return cells.get((group, milter, variant, sock, size, conns), [])

    def summ(rs):
        if not rs:
            return None
        return {
            "n": len(rs),
            "rate": med(rs, "msgs_per_s"),
            "p50": med(rs, "p50_ms"),
            "p99": med(rs, "p99_ms"),
            "cpu": med(rs, "milter_cpu_ms_per_msg"),
            "hwm": max(r.get("milter_hwm_kb", 0) for r in rs) / 1024.0,
            "err": sum(r["errors"] for r in rs),
            "uns": sum(r["unsigned"] for r in rs),
            "starved": max(r["starved"] for r in rs),
            "cmin": min(r["conn_min"] for r in rs),
            "spread": [round(r["msgs_per_s"]) for r in rs],
        }

    def ratio(a, b):
        return a / b if b else float("nan")

    print("| body | conns | postdkim msg/s | opendkim msg/s | ratio | postdkim p50/p99 ms "
          "| opendkim p50/p99 ms | p99 ratio | CPU ms/msg pd / od | peak RSS MiB pd / od "
          "| errors+unsigned pd / od | starved pd / od |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    sizes = ["2k", "64k", "1m", "25m"]
    conns_all = sorted({k[5] for k in cells if k[0] == "main"})
    for size in sizes:
        for c in conns_all:
            p = summ(get("main", "postdkim", "rsa", "unix", size, c))
            o = summ(get("main", "opendkim", "rsa", "unix", size, c))
            if not p or not o:
                continue
            print("| %s | %d | %.0f %s | %.0f %s | **%.2f** | %.2f / %.2f | %.2f / %.2f | %.2f "
                  "| %.3f / %.3f | %.1f / %.1f | %d / %d | %d / %d |" % (
                      size, c, p["rate"], p["spread"], o["rate"], o["spread"],
                      ratio(p["rate"], o["rate"]), p["p50"], p["p99"], o["p50"], o["p99"],
                      ratio(p["p99"], o["p99"]), p["cpu"], o["cpu"], p["hwm"], o["hwm"],
                      p["err"] + p["uns"], o["err"] + o["uns"], p["starved"], o["starved"]))

    print()
    print("| extra row | msg/s | p50 ms | p99 ms | CPU ms/msg | peak RSS MiB | errors+unsigned |")
    print("|---|---|---|---|---|---|---|")
    extra = [
        ("Ed25519 postdkim, 2k, 8 conns", get("ed", "postdkim", "ed", "unix", "2k", 8)),
        ("do-nothing libmilter filter, 2k, 8 conns", get("ed", "null", "none", "unix", "2k", 8)),
        ("do-nothing libmilter filter, 2k, 64 conns", get("ed", "null", "none", "unix", "2k", 64)),
        ("dual RSA+Ed25519 postdkim, 2k, 8 conns", get("dual", "postdkim", "dual", "unix", "2k", 8)),
        ("postdkim unix, 2k, 1 conn", get("inet", "postdkim", "rsa", "unix", "2k", 1)),
        ("postdkim inet, 2k, 1 conn", get("inet", "postdkim", "rsa", "inet", "2k", 1)),
        ("opendkim unix, 2k, 1 conn", get("inet", "opendkim", "rsa", "unix", "2k", 1)),
        ("opendkim inet, 2k, 1 conn", get("inet", "opendkim", "rsa", "inet", "2k", 1)),
    ]
    S = {}
    for name, rs in extra:
        s = summ(rs)
        S[name] = s
        if s:
            print("| %s | %.0f %s | %.3f | %.3f | %.3f | %.1f | %d |" % (
                name, s["rate"], s["spread"], s["p50"], s["p99"], s["cpu"], s["hwm"],
                s["err"] + s["uns"]))

    print()
    print("| target | measured | verdict |")
    print("|---|---|---|")

    def target(name, text, ok):
        print("| %s | %s | %s |" % (name, text, "MET" if ok else "**MISSED**"))

    p = summ(get("main", "postdkim", "rsa", "unix", "2k", 8))
    o = summ(get("main", "opendkim", "rsa", "unix", "2k", 8))
    nul = S["do-nothing libmilter filter, 2k, 8 conns"]
    if p and o:
        r = ratio(p["rate"], o["rate"])
        target("2k 8 conns msg/s >= 3x OpenDKIM", "%.2fx" % r, r >= 3)
        if nul:
            bound = 1.5 * (rsa_ms + nul["cpu"])
            target("2k 8 conns CPU/msg <= 1.5 x (RSA sign %.3f + null %.3f ms)"
                   % (rsa_ms, nul["cpu"]),
                   "%.3f ms = %.2f x (limit %.3f)" % (p["cpu"], p["cpu"] / (bound / 1.5), bound),
                   p["cpu"] <= bound)
    p = summ(get("main", "postdkim", "rsa", "unix", "25m", 8))
    o = summ(get("main", "opendkim", "rsa", "unix", "25m", 8))
    if p and o:
        r = ratio(p["rate"], o["rate"])
        target("25m 8 conns msg/s >= 2x OpenDKIM", "%.2fx" % r, r >= 2)
    p = summ(get("main", "postdkim", "rsa", "unix", "2k", 64))
    o = summ(get("main", "opendkim", "rsa", "unix", "2k", 64))
    if p and o:
        r = ratio(p["p99"], o["p99"])
        target("2k 64 conns p99 <= 1/4 of OpenDKIM", "%.3f vs %.3f ms = %.2fx" % (
            p["p99"], o["p99"], r), r <= 0.25)
        target("2k 64 conns: no connection starves (< 1/4 of mean)",
               "starved %d, slowest connection %d msgs" % (p["starved"], p["cmin"]),
               p["starved"] == 0 and p["cmin"] > 0)
    p = summ(get("main", "postdkim", "rsa", "unix", "25m", 64))
    if p:
        target("peak RSS <= 16 MiB, 64 conns of 25 MB", "%.1f MiB" % p["hwm"], p["hwm"] <= 16)
    u = S["postdkim unix, 2k, 1 conn"]
    i = S["postdkim inet, 2k, 1 conn"]
    if u and i:
        r = ratio(i["p50"], u["p50"])
        target("inet p50 within 2x of unix p50, 1 conn", "%.3f vs %.3f ms = %.2fx" % (
            i["p50"], u["p50"], r), r <= 2)
    e = S["Ed25519 postdkim, 2k, 8 conns"]
    if e and nul:
        r = ratio(e["rate"], nul["rate"])
        target("Ed25519 2k 8 conns >= 70% of do-nothing filter", "%.0f%%" % (100 * r), r >= 0.7)
    if len(sys.argv) > 3 and os.path.exists(sys.argv[3]):
        ml = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
        print()
        print("Cross-check with miltload (independent client; one write per command, "
              "TCP_NODELAY), 2k, 1 conn:")
        print()
        print("| milter | socket | msg/s | p50 ms | p99 ms | signed | errors |")
        print("|---|---|---|---|---|---|---|")
        for kind in ("postdkim", "opendkim"):
            for sk in ("unix", "inet"):
                rs = [r for r in ml if r["milter"] == kind and r["sock"] == sk]
                if rs:
                    print("| %s | %s | %.0f | %.3f | %.3f | %d | %d |" % (
                        kind, sk, med(rs, "msgs_per_s"), med(rs, "p50_ms"),
                        med(rs, "p99_ms"), sum(r["signed"] for r in rs),
                        sum(r["errors"] for r in rs)))
        u = [r for r in ml if r["milter"] == "postdkim" and r["sock"] == "unix"]
        i = [r for r in ml if r["milter"] == "postdkim" and r["sock"] == "inet"]
        if u and i:
            r = med(i, "p50_ms") / med(u, "p50_ms")
            print()
            target("inet p50 within 2x of unix p50, 1 conn (miltload)", "%.2fx" % r, r <= 2)
    starv = sorted("%s %s %s/%d rep %d" % (r["group"], r["milter"], r["size"], r["conns"], r["rep"])
                   for rs in cells.values() for r in rs
                   if r["starved"] and r["size"] != "25m")
    print()
    print("runs with a starved connection (any cell but 25m): %s" % (starv or "none"))
    bad = [k for k, rs in cells.items() if k[1] != "null"
           and sum(r["errors"] + r["unsigned"] for r in rs)]
    print()
    print("cells with errors or unsigned messages: %s" % (bad or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
