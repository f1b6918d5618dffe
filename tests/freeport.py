#!/usr/bin/env python3
"""freeport.py [N] - print N (default 1) different loopback ports, each
free for both TCP and UDP, chosen below the kernel's ephemeral range: a
server the tests stop and start again on the same port must not find it
taken meanwhile by some client's outgoing connection (the kernel hands out
ports in the ephemeral range to those)."""
import random
import socket
import sys

try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        LOW = int(f.read().split()[0])
except (OSError, ValueError, IndexError):
    LOW = 32768
LOW = max(LOW, 2048)


def free(port):
    """True when PORT binds on 127.0.0.1 for TCP and for UDP."""
    socks = []
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind)
            socks.append(s)
            s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


want = int(sys.argv[1]) if len(sys.argv) > 1 else 1
found = []
for _ in range(10000):
    p = random.randrange(1024, LOW)
    if p not in found and free(p):
        found.append(p)
        if len(found) == want:
            print(" ".join(map(str, found)))
            break
else:
    raise SystemExit("freeport.py: not %d free ports below %d" % (want, LOW))
