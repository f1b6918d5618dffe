#!/usr/bin/python3
"""dnsmon.py - what each authoritative server answers, over time.

    dnsmon.py --out FILE --server NAME=ADDR@PORT... --zone ZONE... [--interval S]

Asks every server for the SOA of every zone every INTERVAL seconds (UDP);
when the serial changes, transfers the zone (AXFR over TCP) and writes one
JSON line: {"t": when the transfer ended, "since": when the question that
last saw the previous serial was sent, "server", "zone", "serial", "txt":
{name: joined strings}, "cname": {name: target}}. The change happened
between "since" and "t": a poll cannot say when in between. A server that does
not answer gets a line {"t", "server", "zone", "down": true} once; its zone
then counts as what it last served (the verdicts of sigcheck.py are about
what was published, a stopped server published nothing new). Runs until
SIGTERM; the first lines (every server, every zone) are written before
"ready" is printed on stdout.
"""
import argparse
import json
import signal
import sys
import time

import dns.exception
import dns.message
import dns.query
import dns.rdatatype

stop = False


def on_term(_sig, _frame):
    global stop
    stop = True


def soa_serial(addr, port, zone):
    q = dns.message.make_query(zone, dns.rdatatype.SOA)
    r = dns.query.udp(q, addr, timeout=0.5, port=port)
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset[0].serial
    return None


def snapshot(addr, port, zone):
    txt, cname = {}, {}
    for msg in dns.query.xfr(addr, zone.rstrip(".") + ".", port=port, lifetime=10,
                          relativize=False):
        for rrset in msg.answer:
            key = rrset.name.to_text(omit_final_dot=True).lower()
            if rrset.rdtype == dns.rdatatype.TXT:
                # One name, several TXT records: all of them, sorted, joined by "|".
                vals = [b"".join(rd.strings).decode("latin-1") for rd in rrset]
                if key in txt:
                    vals += txt[key].split("|")
                txt[key] = "|".join(sorted(vals))
            elif rrset.rdtype == dns.rdatatype.CNAME:
                cname[key] = rrset[0].target.to_text(omit_final_dot=True).lower()
    return txt, cname


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--server", action="append", required=True)
    ap.add_argument("--zone", action="append", required=True)
    ap.add_argument("--interval", type=float, default=0.01)
    a = ap.parse_args()
    servers = []
    for s in a.server:
        name, addr = s.split("=", 1)
        host, port = addr.split("@") if "@" in addr else (addr, "53")
        servers.append((name, host, int(port)))
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    last = {}  # (server, zone) -> serial, or "down"
    seen = {}  # (server, zone) -> when the question that last saw it was sent
    out = open(a.out, "w", buffering=1)
    ready = False
    while not stop:
        for name, host, port in servers:
            for zone in a.zone:
                k = (name, zone)
                try:
                    asked = time.time()
                    serial = soa_serial(host, port, zone)
                    if serial is not None and serial != last.get(k):
                        txt, cname = snapshot(host, port, zone)
                        t = time.time()
                        out.write(json.dumps({"t": t, "since": seen.get(k, t), "server": name,
                                              "zone": zone, "serial": serial, "txt": txt,
                                              "cname": cname}) + "\n")
                        last[k] = serial
                    if serial is not None:
                        seen[k] = asked
                except (dns.exception.DNSException, OSError):  # the server is away
                    if last.get(k) != "down":
                        out.write(json.dumps({"t": time.time(), "server": name, "zone": zone,
                                              "down": True}) + "\n")
                        last[k] = "down"
                        seen.pop(k, None)
        if not ready and len(last) == len(servers) * len(a.zone):
            print("ready", flush=True)
            ready = True
        time.sleep(a.interval)
    out.close()


if __name__ == "__main__":
    sys.exit(main())
