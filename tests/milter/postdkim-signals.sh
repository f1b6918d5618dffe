#!/bin/sh
# postdkim-signals.sh - SIGHUP and SIGUSR1 reload, SIGTERM and SIGINT stop
# after the messages in flight are done, whatever the timing: 1,000 reload
# signals in HUP/USR1 bursts (back to back and spaced) while clients sign,
# then USR1 followed at once by TERM or INT with a message in flight. The
# daemon must reload every time, keep signing, never stop on a reload, and
# sign the message in flight before it exits 0.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

pd_key k rsa
pd_zone s1 example.com k
cat > "$T/pd.conf" <<EOF
Domain example.com
KeyFile $T/k.key
Selector s1
Socket local:$T/pd.sock
Syslog no
EOF
tl_corpus "$T/in"
set -- $CORPUS
M1=$1 M2=$2
S="unix:$T/pd.sock"

# signed_all LOG N: N messages, each accepted with one signature.
signed_all() {
	got=$(grep -c ' accept stage=eom ins=1 add=0 chg=0 del=0$' "$1" || true)
	[ "$got" -eq "$2" ] || { grep -v ' ins=1 ' "$1" | head >&2; tl_fail "$1: $got of $2 signed"; }
}

# 1. 1,000 reload signals in bursts while two clients sign.
pd_start pd "$T/pd.conf"
PID=$PD_PID
load() {
	_k=0
	while [ ! -e "$T/load.stop" ]; do
		_k=$((_k + 1))
		"$MCLIENT" -s "$S" -n 20 -o "$T/load$1" "$M1" "$M2" >> "$T/load$1.log" 2>&1 \
		    || { echo "mclient failed" >> "$T/load$1.log"; break; }
	done
	echo "$_k" > "$T/load$1.runs"
}
mkdir "$T/load1" "$T/load2"
load 1 &
L1=$!
load 2 &
L2=$!
TL_PIDS="$TL_PIDS $L1 $L2"
$PY - "$PID" "$T/pd.log" 1000 <<'EOF' || { tail -20 "$T/pd.log" >&2; tl_fail "reload bursts"; }
# Send the bursts; after each, wait until the daemon has logged one reload
# per signal. Some go out back to back without waiting (signals of one
# kind may then merge: at least one reload per kind).
import os, signal, sys, time
pid, log, total = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
f = open(log, "rb")
count, rest = 0, b""
def reloads():
    # Whole lines only: a line may be read half-written.
    global count, rest
    lines = (rest + f.read()).split(b"\n")
    rest = lines.pop()
    count += sum(1 for l in lines if b"configuration reloaded" in l)
    return count
def wait_for(n, what):
    end = time.monotonic() + 20
    while reloads() < n:
        os.kill(pid, 0)
        if time.monotonic() > end:
            sys.exit("%s: %d reloads, expected %d" % (what, count, n))
        time.sleep(0.002)
def settle():
    last, still = reloads(), 0
    while still < 10:
        time.sleep(0.01)
        still = still + 1 if reloads() == last else 0
        last = count
sent = 0
while sent < total:
    # Four bursts of a HUP/USR1 pair, back to back or spaced, each
    # acknowledged before the next: exactly two reloads each.
    for kind in range(4):
        base = reloads()
        if kind == 0:
            os.kill(pid, signal.SIGUSR1)
            os.kill(pid, signal.SIGHUP)
        elif kind == 1:
            os.kill(pid, signal.SIGHUP)
            os.kill(pid, signal.SIGUSR1)
        elif kind == 2:
            os.kill(pid, signal.SIGUSR1)
            time.sleep(0.003)
            os.kill(pid, signal.SIGHUP)
        else:
            os.kill(pid, signal.SIGHUP)
            time.sleep(0.0005)
            os.kill(pid, signal.SIGUSR1)
        sent += 2
        wait_for(base + 2, "burst of signals %d-%d" % (sent - 1, sent))
    # Then two pairs back to back, unacknowledged.
    base = reloads()
    for _ in range(2):
        os.kill(pid, signal.SIGUSR1)
        os.kill(pid, signal.SIGHUP)
    sent += 4
    wait_for(base + 2, "burst of signals %d-%d" % (sent - 3, sent))
    settle()
print("signals sent: %d, reloads: %d" % (sent, reloads()))
EOF
touch "$T/load.stop"
for p in $L1 $L2; do
	tl_waitgone "$p" 600 || tl_fail "a load client hung"
done
kill -0 "$PID" 2>/dev/null || { tail -20 "$T/pd.log" >&2; tl_fail "postdkim stopped on a reload signal"; }
! grep -q 'libmilter stopped\|stopping on signal' "$T/pd.log" || tl_fail "postdkim stopped on a reload signal"
for k in 1 2; do
	runs=$(cat "$T/load$k.runs")
	[ "$runs" -ge 1 ] || tl_fail "load client $k sent nothing"
	! grep -q 'mclient failed' "$T/load$k.log" || { tail "$T/load$k.log" >&2; tl_fail "load client $k failed"; }
	signed_all "$T/load$k.log" $((runs * 40))
done
n=$(grep -c 'configuration reloaded' "$T/pd.log")
pd_check 1 "$T/load1/1.eml" "$T/load2/2.eml"
pd_stop "$PID" || tl_fail "postdkim did not exit 0 on SIGTERM"
tl_note "1000 reload signals under load: $n reloads, $(cat "$T/load1.runs") + $(cat "$T/load2.runs") client runs, all signed"

# 2. USR1 then at once TERM or INT, a message in flight: it is signed, the
#    daemon exits 0 after it, and never because libmilter stopped by itself.
inflight=0
for i in 1 2 3 4 5 6; do
	case $i in 1|3|5) sig=TERM ;; *) sig=INT ;; esac
	rm -f "$T/pd.sock"
	pd_start stop$i "$T/pd.conf"
	P=$PD_PID
	mkdir "$T/flight$i"
	"$MCLIENT" -v -s "$S" --eom-delay 1000 -o "$T/flight$i" "$M1" > "$T/flight$i.log" \
	    2> "$T/flight$i.trace" &
	C=$!
	TL_PIDS="$TL_PIDS $C"
	# Once the body is on its way the header is done: the message is being
	# signed, and the client waits a second before its end. Then signal.
	n=0
	until grep -q '^> B' "$T/flight$i.trace" || [ $n -ge 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	sleep 0.1
	kill -USR1 "$P"
	kill -$sig "$P"
	tl_waitgone "$C" 100 || tl_fail "run $i: the client in flight hung"
	wait "$C" || { cat "$T/flight$i.log" "$T/flight$i.trace" "$T/stop$i.log" >&2; tl_fail "run $i: client failed"; }
	signed_all "$T/flight$i.log" 1
	pd_check 1 "$T/flight$i/1.eml"
	tl_waitgone "$P" 150 || tl_fail "run $i: postdkim did not stop on SIG$sig"
	st=0
	wait "$P" || st=$?
	[ $st -eq 0 ] || { cat "$T/stop$i.log" >&2; tl_fail "run $i: exit $st after USR1 + $sig"; }
	grep -q "stopping on signal" "$T/stop$i.log" || { cat "$T/stop$i.log" >&2; tl_fail "run $i: SIG$sig not handled by postdkim"; }
	! grep -q "libmilter stopped" "$T/stop$i.log" || tl_fail "run $i: libmilter stopped by itself"
	if grep -q "in progress" "$T/stop$i.log"; then inflight=$((inflight + 1)); fi
done
# The signal follows the body by 0.1 s: on a machine that slow, the daemon
# may not have taken the header yet; most runs must see the message.
[ "$inflight" -ge 3 ] || tl_fail "only $inflight of 6 stops had a message in flight"
tl_note "USR1 + TERM/INT with a message in flight ($inflight of 6): signed, then exit 0"
