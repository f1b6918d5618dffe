#!/usr/bin/python3
"""scale_table.py - tables and target verdicts from scale.sh's results.

  scale_table.py RESULTS.jsonl

Each line of RESULTS is either a timing (what = check, start or reload:
seconds s, and rss_kb after it) or one benchdrv run (phase = last,
distinct, ws, uniform, after; with the milter's VmRSS, rss_kb, after the
run), labelled with n, tables (file or refile) and milter. Prints
Markdown: times and memory, throughput, then the issue's targets at the
largest N, each MET or MISSED.
"""
import json
import sys

CACHE = 4096  # KeyCacheSize default


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    R = {}
    for r in rows:
        k = (r["n"], r["tables"], r["milter"], r.get("what") or r.get("phase"))
        R[k] = r
    ns = sorted({r["n"] for r in rows})
    tks = [t for t in ("file", "refile") if any(r["tables"] == t for r in rows)]

    def g(n, tk, m, what, key):
        r = R.get((n, tk, m, what))
        return r.get(key) if r else None

    def ratio(a, b):
        return a / b if a is not None and b else None

    def fmt(v, f):
        return "-" if v is None else f % v

    def pair(n, tk, what, key, f, scale=1.0):
        a, b = g(n, tk, "postdkim", what, key), g(n, tk, "opendkim", what, key)
        a = a * scale if a is not None else None
        b = b * scale if b is not None else None
        r = ratio(a, b)
        return "%s / %s (%s)" % (fmt(a, f), fmt(b, f), fmt(r, "%.2fx"))

    M = 1 / 1024.0
    print("Times and memory: postdkim / OpenDKIM (ratio). RSS = VmRSS in MiB; "
          "\"10k distinct\" = after signing for min(N, 10,000) distinct domains; "
          "\"more\" = after the ws and uniform runs too.")
    print()
    print("| N | SigningTable | -n s | start s | reload s | RSS start | RSS 10k distinct "
          "| RSS more | RSS after reload |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in ns:
        for tk in tks:
            print("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                format(n, ","), tk, pair(n, tk, "check", "s", "%.2f"),
                pair(n, tk, "start", "s", "%.3f"), pair(n, tk, "reload", "s", "%.3f"),
                pair(n, tk, "start", "rss_kb", "%.1f", M),
                pair(n, tk, "distinct", "rss_kb", "%.1f", M),
                pair(n, tk, "uniform", "rss_kb", "%.1f", M),
                pair(n, tk, "reload", "rss_kb", "%.1f", M)))
    print()
    print("Throughput, 8 connections, 2 KB messages: msgs/s postdkim / OpenDKIM (ratio), "
          "then p99 ms postdkim / OpenDKIM. last = the table's last domain; ws = random "
          "over a working set of min(N, 1,000) domains that is in the key cache; uniform = "
          "random over all N domains; first use = every message for a domain not seen "
          "before (min(N, 10,000) messages).")
    print()
    print("| N | SigningTable | last msg/s | last p99 | ws msg/s | ws p99 | uniform msg/s "
          "| uniform p99 | first use msg/s | first use p99 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in ns:
        for tk in tks:
            cells = []
            for ph in ("last", "ws", "uniform", "distinct"):
                if ph == "distinct" and n < 1000:
                    cells += ["- (%d message)" % n, "-"]	# too few to time
                    continue
                cells.append(pair(n, tk, ph, "msgs_per_s", "%.0f"))
                cells.append("%s / %s" % (fmt(g(n, tk, "postdkim", ph, "p99_ms"), "%.1f"),
                                          fmt(g(n, tk, "opendkim", ph, "p99_ms"), "%.1f")))
            print("| %s | %s | %s |" % (format(n, ","), tk, " | ".join(cells)))

    bad = [(r["n"], r["tables"], r["milter"], r["phase"], r["unsigned"], r["errors"])
           for r in rows if "phase" in r and (r["unsigned"] or r["errors"])]
    print()
    print("runs with unsigned messages or errors (N, tables, milter, run, unsigned, errors): %s"
          % (bad or "none"))

    nx = ns[-1]
    print()
    print("Targets at N = %s:" % format(nx, ","))
    print()
    print("| target | SigningTable | measured | verdict |")
    print("|---|---|---|---|")

    def target(name, tk, text, ok):
        v = "-" if ok is None else ("MET" if ok else "**MISSED**")
        print("| %s | %s | %s | %s |" % (name, tk, text, v))

    base = g(1, "file", "postdkim", "last", "msgs_per_s") if 1 in ns else None
    grow1k = None
    if 1000 in ns:
        a, b = g(1000, "file", "postdkim", "distinct", "rss_kb"), g(1000, "file", "postdkim",
                                                                    "start", "rss_kb")
        if a and b:
            grow1k = (a - b) / 1000.0
    for tk in tks:
        ps, os_ = g(nx, tk, "postdkim", "start", "s"), g(nx, tk, "opendkim", "start", "s")
        pr = g(nx, tk, "postdkim", "reload", "s")
        if ps is not None and os_ is not None:
            target("start-up <= 1 s and <= 2x OpenDKIM's start-up", tk,
                   "%.3f s vs %.3f s (%.2fx)" % (ps, os_, ps / os_ if os_ else 0),
                   ps <= 1 and ps <= 2 * os_)
        if pr is not None and os_ is not None:
            target("reload <= 1 s and <= 2x OpenDKIM's start-up", tk,
                   "%.3f s vs %.3f s (%.2fx)" % (pr, os_, pr / os_ if os_ else 0),
                   pr <= 1 and pr <= 2 * os_)
        a, b = g(nx, tk, "postdkim", "start", "rss_kb"), g(nx, tk, "opendkim", "start", "rss_kb")
        if a and b:
            target("RSS after start <= 1.5x OpenDKIM's", tk,
                   "%.1f vs %.1f MiB (%.2fx)" % (a * M, b * M, a / b), a <= 1.5 * b)
        s0 = g(nx, tk, "postdkim", "start", "rss_kb")
        d = g(nx, tk, "postdkim", "distinct", "rss_kb")
        u = g(nx, tk, "postdkim", "uniform", "rss_kb")
        dn = g(nx, tk, "postdkim", "distinct", "signed")
        if s0 and d and u:
            text = ("start %.1f, after %s distinct domains %.1f, after more %.1f MiB"
                    % (s0 * M, dn, d * M, u * M))
            ok = u <= 1.1 * d + 2048
            if grow1k is not None:
                bound = s0 + 1.25 * CACHE * grow1k
                text += ("; %.1f KiB per cached key (N = 1,000), so %d keys ~ %.1f MiB "
                         "above start" % (grow1k, CACHE, CACHE * grow1k * M))
                ok = ok and d <= bound
            target("RSS bounded by the cache limit (%d keys) after 10,000 distinct domains"
                   % CACHE, tk, text, ok)
        for ph, name in (("ws", "working set in the cache"), ("uniform", "uniform over all N")):
            p = g(nx, tk, "postdkim", ph, "msgs_per_s")
            o = g(nx, tk, "opendkim", ph, "msgs_per_s")
            if p is not None and base:
                target("random domains (%s) >= 90%% of N = 1 (%.0f msgs/s)" % (name, base), tk,
                       "%.0f msgs/s = %.0f%%" % (p, 100 * p / base), p >= 0.9 * base)
            if p is not None and o:
                target("random domains (%s) >= 3x OpenDKIM" % name, tk,
                       "%.0f vs %.0f msgs/s (%.2fx)" % (p, o, p / o), p >= 3 * o)
        c = g(nx, tk, "postdkim", "check", "s")
        if c is not None:
            target("-n over %s keys <= 60 s" % format(nx, ","), tk, "%.2f s" % c, c <= 60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
