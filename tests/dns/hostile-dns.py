#!/usr/bin/python3
"""hostile-dns.py - a small authoritative DNS server for the resolver tests,
answering (or not) the way a hostile or broken zone would.

Records from ZONEFILE (lines "NAME TEXT", as the crosscheck zone: NAME is
SELECTOR._domainkey.DOMAIN, TEXT the record, split into 255-byte strings)
are answered first; then, for SELECTOR._domainkey.ANYDOMAIN:
  good      one TXT record, TTL 300
  split     one TXT record in three character-strings
  many      one TXT record of 300 strings of 200 bytes (60 KB, TCP only)
  big       one TXT record of 250 strings of 255 bytes (64 KB, TCP only)
  two       two TXT records
  binary    a TXT record holding a NUL byte
  nx        NXDOMAIN
  nodata    NOERROR, no answer
  servfail  SERVFAIL
  refused   REFUSED
  slow      never answered
  lateN...  as good, but only after N milliseconds (late205x1: 205 ms)
  wrongtype an A record in the answer section
  cname     CNAME to good._domainkey.t.test
  badrr     a reply whose answer section does not parse
  wrongid   as good (record "v=DKIM1; p=spoofed"), but with the next ID
  othername as wrongid, but with the right ID and another name
Every query is appended to LOG (one qname per line), so tests can count.
The zone file is read again when its modification time changes.

With SECZONE and TAFILE, names under SECZONE are DNSSEC-signed (Ed25519,
algorithm 15, a key made at start whose DNSKEY is written to TAFILE as a
trust anchor); there, the selector "bogus" gets a signature that does not
match its record.

usage: hostile-dns.py PORT LOG [ZONEFILE [SECZONE TAFILE]]   (prints "ready")
"""
import os
import re
import socketserver
import struct
import sys
import threading

import time

import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

GOOD = "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"
LOG = None
ZONEFILE = None
ZONE = {}
ZONE_MTIME = None
LOCK = threading.Lock()
SECZONE = None		# dns.name.Name of the signed zone, or None
SECKEY = None		# its private key (cryptography Ed25519)
DNSKEY = None		# its DNSKEY rdata


def dnssec_setup(zone, tafile):
    """Make the zone key and write its DNSKEY as a trust anchor."""
    global SECZONE, SECKEY, DNSKEY
    from cryptography.hazmat.primitives.asymmetric import ed25519
    import dns.name
    SECZONE = dns.name.from_text(zone)
    SECKEY = ed25519.Ed25519PrivateKey.generate()
    DNSKEY = dns.dnssec.make_dnskey(SECKEY.public_key(), dns.dnssec.Algorithm.ED25519,
                                    flags=257)
    with open(tafile, "w") as f:
        f.write("%s 300 IN DNSKEY %s\n" % (SECZONE.to_text(), DNSKEY.to_text()))


def dnssec_sign(r, bogus):
    """Append an RRSIG to every answer rrset in the signed zone."""
    now = int(time.time())
    for rrset in list(r.answer):
        if not rrset.name.is_subdomain(SECZONE):
            continue
        signed = rrset
        if bogus:	# sign other data than what is served
            signed = dns.rrset.from_text(rrset.name, rrset.ttl, "IN", "TXT", '"v=DKIM1; p=x"')
        sig = dns.dnssec.sign(signed, SECKEY, SECZONE, DNSKEY, inception=now - 3600,
                              expiration=now + 86400)
        r.answer.append(dns.rrset.from_rdata(rrset.name, rrset.ttl, sig))


def zone_lookup(qname):
    """The zone file's record for qname, reread when the file changed."""
    global ZONE, ZONE_MTIME
    if ZONEFILE is None:
        return None
    try:
        mtime = os.stat(ZONEFILE).st_mtime_ns
    except OSError:
        return None
    if mtime != ZONE_MTIME:
        zone = {}
        with open(ZONEFILE, "rb") as f:
            for line in f:
                name, _, text = line.rstrip(b"\r\n").partition(b" ")
                zone[name.decode().rstrip(".").lower() + "."] = text
        ZONE, ZONE_MTIME = zone, mtime
    return ZONE.get(qname)


def txt(strings):
    """TXT rdata text from a list of byte strings."""
    return " ".join('"%s"' % "".join(
        chr(b) if 0x20 <= b < 0x7f and b not in (0x22, 0x5c) else "\\%03d" % b
        for b in s) for s in strings)


def answer(wire, tcp):
    q = dns.message.from_wire(wire)
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    qname = q.question[0].name.to_text().lower()
    label = qname.split(".")[0]
    with LOCK:
        with open(LOG, "a") as f:
            f.write(qname + "\n")
    if (SECZONE is not None and q.question[0].name == SECZONE and
            q.question[0].rdtype == dns.rdatatype.DNSKEY):
        r.answer.append(dns.rrset.from_rdata(SECZONE, 300, DNSKEY))
        dnssec_sign(r, False)
        return r.to_wire()
    if "._domainkey." not in qname:
        r.set_rcode(dns.rcode.NXDOMAIN)
        return r.to_wire()

    def add(rtype, *datas, ttl=300, name=None):
        r.answer.append(dns.rrset.from_text(name or qname, ttl, "IN", rtype, *datas))
    if q.question[0].rdtype != dns.rdatatype.TXT and label != "wrongtype":
        return r.to_wire()
    with LOCK:
        rec = zone_lookup(qname)
    late = re.match(r"late([0-9]+)", label)
    if late:	# this thread only: the server goes on answering others
        time.sleep(int(late.group(1)) / 1000)
        add("TXT", txt([GOOD.encode()]))
    elif rec is not None:
        add("TXT", txt([rec[i:i + 255] for i in range(0, len(rec), 255)] or [b""]))
    elif label == "good":
        add("TXT", txt([GOOD.encode()]))
    elif label == "split":
        g = GOOD.encode()
        add("TXT", txt([g[:10], g[10:30], g[30:]]))
    elif label == "many":
        add("TXT", txt([b"a" * 200] * 300))
    elif label == "big":
        add("TXT", txt([b"b" * 255] * 250))
    elif label == "two":
        add("TXT", txt([b"v=DKIM1; p=one"]), txt([b"v=DKIM1; p=two"]))
    elif label == "binary":
        add("TXT", txt([b"v=DKIM1; p=\x00abc"]))
    elif label == "nx":
        r.set_rcode(dns.rcode.NXDOMAIN)
    elif label == "nodata":
        pass
    elif label == "servfail":
        r.set_rcode(dns.rcode.SERVFAIL)
    elif label == "refused":
        r.set_rcode(dns.rcode.REFUSED)
    elif label == "slow":
        return None
    elif label == "wrongtype":
        add("A", "192.0.2.1")
    elif label == "cname":
        target = "good." + qname.split(".", 1)[1]
        add("CNAME", target)
        add("TXT", txt([GOOD.encode()]), name=target)
    elif label in ("wrongid", "othername"):
        add("TXT", txt([b"v=DKIM1; p=spoofed"]))
        if label == "wrongid":
            r.id = (r.id + 1) & 0xffff
        else:
            r.question[0].name = dns.name.from_text("good." + qname.split(".", 1)[1])
            r.answer[0].name = r.question[0].name
    elif label == "badrr":
        w = bytearray(r.to_wire())
        w[6:8] = struct.pack("!H", 3)	# ancount 3, no answers follow
        return bytes(w)
    else:
        r.set_rcode(dns.rcode.NXDOMAIN)
    if SECZONE is not None and r.answer:
        dnssec_sign(r, label == "bogus")
    out = r.to_wire(max_size=65535)
    if not tcp and len(out) > 1232:
        r.answer = []
        r.flags |= dns.flags.TC
        out = r.to_wire()
    return out


class UDP(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        try:
            out = answer(data, False)
        except Exception:  # a test server: a bad query is dropped
            return
        if out is not None:
            sock.sendto(out, self.client_address)


class TCP(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            n = struct.unpack("!H", self.request.recv(2))[0]
            data = b""
            while len(data) < n:
                chunk = self.request.recv(n - len(data))
                if not chunk:
                    return
                data += chunk
            out = answer(data, True)
        except Exception:
            return
        if out is not None:
            self.request.sendall(struct.pack("!H", len(out)) + out)


class UDPServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    allow_reuse_address = True
    daemon_threads = True


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    global LOG, ZONEFILE
    port, LOG = int(sys.argv[1]), sys.argv[2]
    ZONEFILE = sys.argv[3] if len(sys.argv) > 3 else None
    if len(sys.argv) > 5:
        dnssec_setup(sys.argv[4], sys.argv[5])
    udp = UDPServer(("127.0.0.1", port), UDP)
    tcp = TCPServer(("127.0.0.1", port), TCP)
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    print("ready", flush=True)
    udp.serve_forever()


if __name__ == "__main__":
    main()
