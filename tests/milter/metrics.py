#!/usr/bin/python3
"""metrics.py - GET a path from postdkim's metrics endpoint (MetricsSocket)
and print the HTTP status on the first line, then the body.

usage: metrics.py HOST:PORT|/path/to/unix.sock PATH
"""
import http.client
import socket
import sys


class UnixConnection(http.client.HTTPConnection):
    """HTTP over a UNIX socket."""

    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.unix_path)


def main():
    addr, path = sys.argv[1], sys.argv[2]
    if addr.startswith("/"):
        conn = UnixConnection(addr)
    else:
        host, port = addr.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read().decode("utf-8")
    print(r.status)
    if path == "/metrics" and r.status == 200:
        ctype = r.getheader("Content-Type", "")
        if not ctype.startswith("text/plain; version=0.0.4"):
            print("bad Content-Type: %s" % ctype, file=sys.stderr)
            sys.exit(1)
    sys.stdout.write(body)


if __name__ == "__main__":
    main()
