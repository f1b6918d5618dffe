#!/usr/bin/python3
"""dsn_table.py - tables and target verdicts from dsn.sh's and ldap.sh's results.

  dsn_table.py RESULTS.jsonl

Each line of RESULTS is a start-up timing (what = start) or one benchdrv
run (phase = ws-fill, ws-warmup, ws, cold, fill1, fill2), labelled with n,
tables (file, pgsql, mysql, ldap) and milter; the database and LDAP runs
carry the server's CPU per message (db_cpu_ms_per_msg). Prints Markdown: throughput
and CPU, memory, then the issue's targets, each MET or MISSED.
"""
import json
import statistics
import sys

M = 1 / 1024.0


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    R = {}
    for r in rows:
        R.setdefault((r["tables"], r["milter"], r.get("what") or r.get("phase")), []).append(r)
    n = rows[0]["n"]
    dbs = [t for t in ("pgsql", "mysql", "ldap") if any(r["tables"] == t for r in rows)]

    def vals(tk, m, what, key):
        return [r[key] for r in R.get((tk, m, what), []) if r.get(key) is not None]

    def g(tk, m, what, key):
        """The median over the repetitions."""
        v = vals(tk, m, what, key)
        return statistics.median(v) if v else None

    def fmt(v, f):
        return "-" if v is None else f % v

    def pair(tk, what, key, f, scale=1.0):
        a, b = g(tk, "postdkim", what, key), g(tk, "opendkim", what, key)
        a = a * scale if a is not None else None
        b = b * scale if b is not None else None
        if b is None:
            return fmt(a, f)
        r = "%.2fx" % (a / b) if a is not None and b else "-"
        return "%s / %s (%s)" % (fmt(a, f), fmt(b, f), r)

    def tot(tk, m, what):
        a, b = g(tk, m, what, "milter_cpu_ms_per_msg"), g(tk, m, what, "db_cpu_ms_per_msg")
        return None if a is None else a + (b or 0)

    reps = max(r.get("rep", 1) for r in rows)
    print("N = %s domains, medians of %d repetitions. 8 connections, 2 KB messages; "
          "postdkim / OpenDKIM (ratio). ws = random over the working set (in postdkim's caches, after an untimed pass); "
          "cold = every message a domain not used before. CPU per message: utime + stime "
          "of the milter, and of the server (postmaster and its children, "
          "mariadbd or slapd), from /proc; peak RSS = the milter's VmHWM at the end of the run."
          % (format(n, ","), reps))
    print()
    print("| tables | run | msgs/s | p50 ms | p99 ms | milter CPU ms/msg | server CPU ms/msg "
          "| milter + server ms/msg | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    names = {"ws": "ws (warm)", "cold": "cold (new domains)"}
    for tk in ["file"] + dbs:
        for ph in ("ws", "cold"):
            if g(tk, "postdkim", ph, "msgs") is None:
                continue
            pt, ot = tot(tk, "postdkim", ph), tot(tk, "opendkim", ph)
            tt = fmt(pt, "%.3f")
            if ot is not None:
                tt += " / %.3f (%.2fx)" % (ot, pt / ot if ot else 0)
            print("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                tk, names[ph], pair(tk, ph, "msgs_per_s", "%.0f"),
                pair(tk, ph, "p50_ms", "%.1f"), pair(tk, ph, "p99_ms", "%.1f"),
                pair(tk, ph, "milter_cpu_ms_per_msg", "%.3f"),
                "-" if tk == "file" else pair(tk, ph, "db_cpu_ms_per_msg", "%.3f"),
                tt, pair(tk, ph, "milter_hwm_kb", "%.1f", M)))

    print()
    print("Memory: postdkim's VmRSS in MiB at start, after the ws and cold runs, after "
          "fill1 and fill2 (each 1.25 x DatabaseCacheSize more distinct domains), and its "
          "peak (VmHWM); OpenDKIM's, which keeps no cache, after its cold run.")
    print()
    print("| tables | start | after ws | after cold | after fill1 | after fill2 | peak "
          "| OpenDKIM after cold, peak |")
    print("|---|---|---|---|---|---|---|---|")
    def mib(tk, m, what, key="rss_kb"):
        v = g(tk, m, what, key)
        return "-" if v is None else "%.1f" % (v * M)

    for tk in ["file"] + dbs:
        last = "fill2" if g(tk, "postdkim", "fill2", "rss_kb") else "cold"
        print("| %s | %s | %s | %s | %s | %s | %s | %s, %s |" % (
            tk, mib(tk, "postdkim", "start"), mib(tk, "postdkim", "ws"),
            mib(tk, "postdkim", "cold"), mib(tk, "postdkim", "fill1"),
            mib(tk, "postdkim", "fill2"), mib(tk, "postdkim", last, "milter_hwm_kb"),
            mib(tk, "opendkim", "cold"), mib(tk, "opendkim", "cold", "milter_hwm_kb")))

    if reps > 1:
        print()
        print("msgs/s of each repetition, in order (postdkim; OpenDKIM):")
        print()
        print("| tables | run | postdkim | OpenDKIM |")
        print("|---|---|---|---|")
        for tk in ["file"] + dbs:
            for ph in ("ws", "cold"):
                print("| %s | %s | %s | %s |" % (
                    tk, names[ph],
                    " ".join("%.0f" % v for v in vals(tk, "postdkim", ph, "msgs_per_s")) or "-",
                    " ".join("%.0f" % v for v in vals(tk, "opendkim", ph, "msgs_per_s")) or "-"))

    bad = [(r["tables"], r["milter"], r["phase"], r.get("rep"), r["unsigned"], r["errors"])
           for r in rows if "phase" in r and (r["unsigned"] or r["errors"])]
    print()
    print("runs with unsigned messages or errors (tables, milter, run, repetition, unsigned, errors): %s"
          % (bad or "none"))

    print()
    print("| target | tables | measured | verdict |")
    print("|---|---|---|---|")

    def target(name, tk, text, ok):
        v = "-" if ok is None else ("MET" if ok else "**MISSED**")
        print("| %s | %s | %s | %s |" % (name, tk, text, v))

    fws = g("file", "postdkim", "ws", "msgs_per_s")
    fwc = g("file", "postdkim", "ws", "milter_cpu_ms_per_msg")
    for tk in dbs:
        p = g(tk, "postdkim", "ws", "msgs_per_s")
        pc = tot(tk, "postdkim", "ws")
        if p is not None and fws:
            text = "%.0f vs %.0f msgs/s = %.0f%%" % (p, fws, 100 * p / fws)
            if pc and fwc:
                text += "; by CPU/msg (milter + server) %.3f vs %.3f ms = %.0f%%" % (
                    pc, fwc, 100 * fwc / pc)
            target("warm >= 90% of file: tables", tk, text, p >= 0.9 * fws)
        # issue 12's multiples of OpenDKIM are for the SQL back ends only.
        for ph, name, k in (("ws", "warm", 3), ("cold", "cold", 2)) if tk != "ldap" else ():
            p, o = g(tk, "postdkim", ph, "msgs_per_s"), g(tk, "opendkim", ph, "msgs_per_s")
            pc, oc = tot(tk, "postdkim", ph), tot(tk, "opendkim", ph)
            if p is None or not o:
                continue
            text = "%.0f vs %.0f msgs/s (%.2fx)" % (p, o, p / o)
            if pc and oc:
                text += "; CPU/msg (milter + server) %.3f vs %.3f ms (%.2fx less)" % (
                    pc, oc, oc / pc)
            target("%s >= %dx OpenDKIM" % (name, k), tk, text, p >= k * o)
        f1, f2 = g(tk, "postdkim", "fill1", "rss_kb"), g(tk, "postdkim", "fill2", "rss_kb")
        if f1 and f2:
            s0 = g(tk, "postdkim", "start", "rss_kb") or 0
            target("RSS bounded by the cache limits", tk,
                   "start %.1f, after fill1 %.1f, after fill2 %.1f MiB (peak %.1f)" % (
                       s0 * M, f1 * M, f2 * M,
                       (g(tk, "postdkim", "fill2", "milter_hwm_kb") or 0) * M),
                   f2 <= 1.1 * f1 + 2048)
    return 0


if __name__ == "__main__":
    sys.exit(main())
