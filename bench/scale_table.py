#!/usr/bin/python3
"""scale_table.py - tables and target verdicts from scale.sh's results.

  scale_table.py RESULTS.jsonl

Each line of RESULTS is either a timing (what = check, start or reload:
seconds s, and rss_kb after it) or one benchdrv run (phase = last,
distinct, ws, uniform, after; with the milter's VmRSS, rss_kb, after the
run); timings carry the milter's CPU seconds too (cpu_s), labelled with n, tables (file or refile) and milter. Prints
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
    print("Times: postdkim / OpenDKIM (ratio), seconds of wall-clock time, then the "
          "milter's CPU seconds (which other load on the machine does not inflate). "
          "OpenDKIM's reload happens at the first connection after SIGUSR1 (see scale.sh).")
    print()
    print("| N | SigningTable | -n s | -n CPU s | start s | start CPU s | reload s "
          "| reload CPU s |")
    print("|---|---|---|---|---|---|---|---|")
    for n in ns:
        for tk in tks:
            print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                format(n, ","), tk, pair(n, tk, "check", "s", "%.2f"),
                pair(n, tk, "check", "cpu_s", "%.2f"),
                pair(n, tk, "start", "s", "%.3f"), pair(n, tk, "start", "cpu_s", "%.3f"),
                pair(n, tk, "reload", "s", "%.3f"), pair(n, tk, "reload", "cpu_s", "%.3f")))
    print()
    print("Memory: VmRSS in MiB, postdkim / OpenDKIM (ratio). \"10k distinct\" = after "
          "signing for min(N, 10,000) distinct domains; \"more\" = after the ws and uniform "
          "runs too; \"reload\" = after a reload.")
    print()
    print("| N | SigningTable | RSS start | RSS 10k distinct | RSS more | RSS reload |")
    print("|---|---|---|---|---|---|")
    for n in ns:
        for tk in tks:
            print("| %s | %s | %s | %s | %s | %s |" % (
                format(n, ","), tk,
                pair(n, tk, "start", "rss_kb", "%.1f", M),
                pair(n, tk, "distinct", "rss_kb", "%.1f", M),
                pair(n, tk, "uniform", "rss_kb", "%.1f", M),
                pair(n, tk, "reload", "rss_kb", "%.1f", M)))
    print()
    print("Throughput, 8 connections, 2 KB messages: msgs/s postdkim / OpenDKIM (ratio), "
          "then p99 ms postdkim / OpenDKIM, then the milter's CPU per message (utime + stime "
          "from /proc, so not inflated by other load). last = the table's last domain; ws = random "
          "over a working set of min(N, 1,000) domains that is in the key cache; uniform = "
          "random over all N domains; first use = every message for a domain not seen "
          "before (min(N, 10,000) messages).")
    print()
    print("| N | SigningTable | run | msgs/s | p99 ms | milter CPU ms/msg |")
    print("|---|---|---|---|---|---|")
    names = {"last": "last domain", "ws": "ws (in cache)", "uniform": "uniform over N",
             "distinct": "first use"}
    for n in ns:
        for tk in tks:
            for ph in ("last", "ws", "uniform", "distinct"):
                if ph == "distinct" and n < 1000:
                    continue	# too few messages to time
                print("| %s | %s | %s | %s | %s / %s | %s |" % (
                    format(n, ","), tk, names[ph], pair(n, tk, ph, "msgs_per_s", "%.0f"),
                    fmt(g(n, tk, "postdkim", ph, "p99_ms"), "%.1f"),
                    fmt(g(n, tk, "opendkim", ph, "p99_ms"), "%.1f"),
                    pair(n, tk, ph, "milter_cpu_ms_per_msg", "%.3f")))

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
        psc, osc = g(nx, tk, "postdkim", "start", "cpu_s"), g(nx, tk, "opendkim", "start", "cpu_s")
        prc = g(nx, tk, "postdkim", "reload", "cpu_s")

        def cputext(a, b):
            if a is None or not b:
                return ""
            return "; CPU %.3f s vs %.3f s (%.2fx)" % (a, b, a / b)
        if ps is not None and os_ is not None:
            target("start-up <= 1 s and <= 2x OpenDKIM's start-up", tk,
                   "%.3f s vs %.3f s (%.2fx)%s" % (ps, os_, ps / os_ if os_ else 0,
                                                 cputext(psc, osc)),
                   ps <= 1 and ps <= 2 * os_)
        if pr is not None and os_ is not None:
            target("reload <= 1 s and <= 2x OpenDKIM's start-up", tk,
                   "%.3f s vs %.3f s (%.2fx)%s" % (pr, os_, pr / os_ if os_ else 0,
                                                 cputext(prc, osc)),
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
        basec = g(1, "file", "postdkim", "last", "milter_cpu_ms_per_msg") if 1 in ns else None
        for ph, name in (("ws", "working set in the cache"), ("uniform", "uniform over all N")):
            p = g(nx, tk, "postdkim", ph, "msgs_per_s")
            o = g(nx, tk, "opendkim", ph, "msgs_per_s")
            pc = g(nx, tk, "postdkim", ph, "milter_cpu_ms_per_msg")
            oc = g(nx, tk, "opendkim", ph, "milter_cpu_ms_per_msg")
            if p is not None and base:
                text = "%.0f msgs/s = %.0f%%" % (p, 100 * p / base)
                if pc and basec:
                    text += "; by CPU/msg %.3f vs %.3f ms = %.0f%%" % (pc, basec,
                                                                     100 * basec / pc)
                target("random domains (%s) >= 90%% of N = 1 (%.0f msgs/s)" % (name, base), tk,
                       text, p >= 0.9 * base)
            if p is not None and o:
                text = "%.0f vs %.0f msgs/s (%.2fx)" % (p, o, p / o)
                if pc and oc:
                    text += "; CPU/msg %.3f vs %.3f ms (%.2fx less)" % (pc, oc, oc / pc)
                target("random domains (%s) >= 3x OpenDKIM" % name, tk, text, p >= 3 * o)
        c = g(nx, tk, "postdkim", "check", "s")
        cc = g(nx, tk, "postdkim", "check", "cpu_s")
        if c is not None:
            target("-n over %s keys <= 60 s" % format(nx, ","), tk, "%.2f s%s" % (
                c, "" if cc is None else " (CPU %.2f s)" % cc), c <= 60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
