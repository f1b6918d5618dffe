#!/usr/bin/python3
"""notify.py - postdkim's sd_notify messages, read from a NOTIFY_SOCKET of
our own (a datagram socket, as systemd's): READY=1 only once the milter
socket answers, RELOADING=1 then READY=1 around SIGUSR1 and postdkim -r,
the load record's generation, WATCHDOG=1 pings that stop while the process
is stopped (SIGSTOP), STOPPING=1 at the end.

  notify.py POSTDKIM CONF SOCKSPEC PIDFILE
"""
import os
import signal
import socket
import struct
import subprocess
import sys
import time

postdkim, conf, spec, pidfile = sys.argv[1:5]
tmp = os.path.dirname(conf)
record = pidfile[:-4] + ".loaded" if pidfile.endswith(".pid") else pidfile + ".loaded"


def fail(msg):
    print("notify.py: FAIL: %s" % msg, file=sys.stderr)
    sys.exit(1)


def optneg(spec, timeout=2.0):
    """True when the milter at spec answers an option negotiation."""
    try:
        if spec.startswith("local:"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            addr = spec[6:]
        else:
            port, host = spec[5:].split("@")
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            addr = (host, int(port))
        s.settimeout(timeout)
        s.connect(addr)
        s.sendall(struct.pack(">IcIII", 13, b"O", 6, 0x1FF, 0x1FFFFF))
        hdr = s.recv(5)
        s.sendall(struct.pack(">Ic", 1, b"Q"))
        s.close()
        return len(hdr) == 5 and hdr[4:5] == b"O"
    except OSError:
        return False


def read_record():
    rec = {}
    with open(record) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition(" ")
            rec[k] = v
    return rec


nsock_path = os.path.join(tmp, "notify.sock")
nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
nsock.bind(nsock_path)
log = open(os.path.join(tmp, "notify-pd.log"), "w")


def start(cfg, watchdog_usec=None):
    env = dict(os.environ, NOTIFY_SOCKET=nsock_path)
    env.pop("WATCHDOG_USEC", None)
    env.pop("WATCHDOG_PID", None)
    if watchdog_usec:
        env["WATCHDOG_USEC"] = str(watchdog_usec)
    return subprocess.Popen([postdkim, "-f", "-c", cfg], env=env, stdout=log, stderr=log)


def recv(until):
    """The next notification as a dict, or None at the deadline."""
    left = until - time.monotonic()
    if left <= 0:
        return None
    nsock.settimeout(left)
    try:
        data = nsock.recv(4096).decode()
    except socket.timeout:
        return None
    msg = {}
    for line in data.split("\n"):
        k, _, v = line.partition("=")
        msg[k] = v
    return msg


def wait_for(key, seconds=10, skip=("WATCHDOG",)):
    """The first notification with key; others than skip fail the test."""
    until = time.monotonic() + seconds
    while True:
        m = recv(until)
        if m is None:
            fail("no %s=1 within %d s" % (key, seconds))
        if key in m:
            return m
        if not any(k in m for k in skip):
            fail("%s before %s=1" % (m, key))


procs = []
try:
    # 1. Start-up: the first message is READY=1, and by then the socket answers.
    p = start(conf, watchdog_usec=1000000)
    procs.append(p)
    m = wait_for("READY", skip=())
    if not optneg(spec, 0.5):
        fail("READY=1 came before the milter socket answered")
    if m["READY"] != "1" or "generation 1 " not in m.get("STATUS", ""):
        fail("READY message: %s" % m)
    print("ok: READY=1 after the socket answers; STATUS=%s" % m["STATUS"])
    rec = read_record()
    if rec.get("generation") != "1" or rec.get("pid") != str(p.pid) or rec.get("attempts") != "0":
        fail("load record at start: %s" % rec)
    if os.stat(record).st_mode & 0o777 != 0o644:
        fail("load record mode %o" % (os.stat(record).st_mode & 0o777))
    print("ok: load record %s: generation 1, pid %d" % (record, p.pid))

    # 2. The watchdog pings every half period (0.5 s), each after a probe of
    # at most 0.25 s: on a loaded machine a probe may miss, hence at least 3 of 6.
    n, until = 0, time.monotonic() + 3
    while (m := recv(until)) is not None:
        n += m.get("WATCHDOG") == "1"
    if n < 3:
        fail("%d WATCHDOG=1 in 3 s with WATCHDOG_USEC=1000000" % n)
    print("ok: %d WATCHDOG=1 in 3 s" % n)

    # 3. SIGUSR1: RELOADING=1, then READY=1 with generation 2.
    os.kill(p.pid, signal.SIGUSR1)
    m = wait_for("RELOADING")
    if "MONOTONIC_USEC" not in m:
        fail("RELOADING=1 without MONOTONIC_USEC: %s" % m)
    m = wait_for("READY")
    if "generation 2 " not in m.get("STATUS", ""):
        fail("READY after a reload: %s" % m)
    rec = read_record()
    if rec.get("generation") != "2" or rec.get("attempts") != "1" or "error" in rec:
        fail("load record after a reload: %s" % rec)
    print("ok: SIGUSR1: RELOADING=1, READY=1, generation 2")

    # 4. postdkim -r with a broken configuration: exit 1, generation kept.
    good = open(conf).read()
    with open(conf, "a") as f:
        f.write("Canonicalization nonsense\n")
    r = subprocess.run([postdkim, "-r", "-c", conf], capture_output=True, text=True)
    # -r reads the configuration first: a broken one is reported before any signal.
    with open(conf, "w") as f:
        f.write(good)
    if r.returncode != 1:
        fail("postdkim -r with a broken configuration: exit %d: %s" % (r.returncode, r.stderr))
    print("ok: postdkim -r refuses a broken configuration: %s" % r.stderr.strip())
    # A configuration that reads but does not load (its key is gone) fails in the daemon.
    key = [l.split()[1] for l in good.splitlines() if l.startswith("KeyFile")][0]
    os.rename(key, key + ".away")
    r = subprocess.run([postdkim, "-r", "-c", conf], capture_output=True, text=True)
    os.rename(key + ".away", key)
    if r.returncode != 1 or "reload failed, generation 2 kept" not in r.stderr:
        fail("postdkim -r with a missing key: exit %d: %s" % (r.returncode, r.stderr))
    wait_for("RELOADING")
    m = wait_for("READY")
    if "reload failed" not in m.get("STATUS", ""):
        fail("READY after a failed reload: %s" % m)
    rec = read_record()
    if rec.get("generation") != "2" or rec.get("failed") != "1" or not rec.get("error"):
        fail("load record after a failed reload: %s" % rec)
    print("ok: failed reload: postdkim -r exit 1 (%s), generation 2 kept" % r.stderr.strip())
    # Under systemd, a record naming another process than the service's is stale.
    r = subprocess.run([postdkim, "-r", "-c", conf], capture_output=True, text=True,
                       env=dict(os.environ, MAINPID="1"))
    if r.returncode != 3 or "stale" not in r.stderr:
        fail("postdkim -r with another MAINPID: exit %d: %s" % (r.returncode, r.stderr))
    print("ok: postdkim -r refuses a record of another process than MAINPID")
    r = subprocess.run([postdkim, "-r", "-c", conf], capture_output=True, text=True,
                       env=dict(os.environ, MAINPID=str(p.pid)))
    if r.returncode != 0 or "generation 3 loaded" not in r.stdout:
        fail("postdkim -r: exit %d: %s %s" % (r.returncode, r.stdout, r.stderr))
    wait_for("RELOADING")
    wait_for("READY")
    if read_record().get("generation") != "3":
        fail("postdkim -r returned before generation 3 was recorded")
    print("ok: postdkim -r: %s" % r.stdout.strip())

    # 5. A stopped process sends no ping; it resumes after SIGCONT.
    os.kill(p.pid, signal.SIGSTOP)
    while recv(time.monotonic() + 0.3) is not None:
        pass            # what was sent before the stop
    if recv(time.monotonic() + 1.5) is not None:
        fail("a notification from a stopped process")
    os.kill(p.pid, signal.SIGCONT)
    if wait_for("WATCHDOG", 5, skip=()).get("WATCHDOG") != "1":
        fail("no WATCHDOG=1 after SIGCONT")
    print("ok: no WATCHDOG=1 while stopped, pings again after SIGCONT")

    # 6. The socket file removed (by mistake, by a cleaner): the MTA cannot
    # reach the daemon, so the pings stop and say why (systemd would restart it).
    os.unlink(spec[6:])
    until = time.monotonic() + 5
    while "watchdog pings stopped: the milter socket does not answer" not in \
            open(os.path.join(tmp, "notify-pd.log")).read():
        if time.monotonic() > until:
            fail("the log does not say why the pings stopped")
        time.sleep(0.05)
    while recv(time.monotonic() + 0.3) is not None:
        pass            # a ping that was on its way
    m = recv(time.monotonic() + 1.5)
    if m is not None:
        fail("a notification with the socket gone: %s" % m)
    print("ok: socket removed: no WATCHDOG=1, the log says why")

    # 7. SIGTERM: STOPPING=1, exit 0, the record removed.
    os.kill(p.pid, signal.SIGTERM)
    wait_for("STOPPING")
    if p.wait(15) != 0:
        fail("exit status %d" % p.returncode)
    if os.path.exists(record):
        fail("load record left after the stop")
    while recv(time.monotonic() + 0.3) is not None:
        pass            # a ping sent before the stop: the next daemon starts afresh
    print("ok: SIGTERM: STOPPING=1, exit 0, load record removed")

    # 8. A TCP socket, without watchdog: READY=1 once it answers, no ping.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    tcp_conf = os.path.join(tmp, "tcp.conf")
    with open(tcp_conf, "w") as f:
        f.write("".join(l + "\n" for l in good.splitlines()
                        if not l.startswith(("Socket", "PidFile"))))
        f.write("Socket inet:%d@127.0.0.1\n" % port)
    p = start(tcp_conf)
    procs.append(p)
    wait_for("READY", skip=())
    if not optneg("inet:%d@127.0.0.1" % port, 0.5):
        fail("TCP: READY=1 before the socket answered")
    if recv(time.monotonic() + 0.5) is not None:
        fail("a notification without WATCHDOG_USEC")
    # No PidFile, no record: postdkim -r signals $MAINPID and does not wait.
    r = subprocess.run([postdkim, "-r", "-c", tcp_conf], capture_output=True, text=True,
                       env=dict(os.environ, MAINPID=str(p.pid)))
    if r.returncode != 0 or "no load record to wait for" not in r.stderr:
        fail("postdkim -r without PidFile: exit %d: %s" % (r.returncode, r.stderr))
    wait_for("RELOADING")
    if "generation 2 " not in wait_for("READY").get("STATUS", ""):
        fail("no generation 2 after postdkim -r without PidFile")
    r = subprocess.run([postdkim, "-r", "-c", tcp_conf], capture_output=True, text=True,
                       env={k: v for k, v in os.environ.items() if k != "MAINPID"})
    if r.returncode != 1 or "no PidFile" not in r.stderr:
        fail("postdkim -r without PidFile or MAINPID: exit %d: %s" % (r.returncode, r.stderr))
    os.kill(p.pid, signal.SIGTERM)
    wait_for("STOPPING")
    if p.wait(15) != 0:
        fail("TCP: exit status %d" % p.returncode)
    print("ok: inet socket: READY=1 once it answers, no watchdog ping when none is asked; "
          "without PidFile postdkim -r signals MAINPID")
finally:
    for q in procs:
        if q.poll() is None:
            q.kill()
            q.wait()
