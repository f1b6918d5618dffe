#!/bin/sh
# soak.sh - a long run of postdkim under steady load, not part of make check:
# N messages (default 10^6) over 8 connections (4 load drivers of mixed
# message sizes, 2 connections each), a reload (SIGUSR1) every few seconds,
# a few messages a second sent aside and verified with python3-dkim, RSS
# and open file descriptors sampled every second. Fails when a message is
# lost (every message must be accepted signed), a sample does not verify,
# the daemon does not stop cleanly, RSS grows after warm-up or descriptors
# are not back to their idle count at the end.
#
#   tests/soak/soak.sh [--messages N] [--builddir DIR] [--reload SECONDS]
#
# DIR is a configured build tree (default: ./_build); bench/benchdrv and
# tests/milter/mclient are built there when missing. Needs openssl(1) and
# python3-dkim. Prints the numbers to record in bench/RESULTS.md.
set -eu

N=1000000
B=./_build
RELOAD=3
PY=${PY:-/usr/bin/python3}	# Debian's, with python3-dkim
while [ $# -gt 0 ]; do
	case $1 in
	--messages) N=$2; shift 2 ;;
	--builddir) B=$2; shift 2 ;;
	--reload) RELOAD=$2; shift 2 ;;
	*) echo "usage: $0 [--messages N] [--builddir DIR] [--reload SECONDS]" >&2; exit 2 ;;
	esac
done
here=$(cd "$(dirname "$0")" && pwd)
B=$(cd "$B" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$B/daemon/postdkim" ] || fail "$B/daemon/postdkim is not built"
command -v openssl >/dev/null || fail "openssl(1) is needed"
(cd / && $PY -c "import dkim") 2>/dev/null || fail "python3-dkim is needed (apt-get install python3-dkim)"
[ -x "$B/bench/benchdrv" ] || make -C "$B/bench" benchdrv >/dev/null
[ -x "$B/tests/milter/mclient" ] || make -C "$B/tests/milter" mclient >/dev/null
DKIMCHECK="$PY $here/../milter/dkimcheck.py"

# shellcheck source=tests/lib.sh
. "$here/../lib.sh"
PIDS=
lib_tmpdir soak PIDS TERM

# Keys and their records: bench.example (the load) signs with Ed25519,
# sample.example (the messages sent aside) with RSA and Ed25519.
lib_genkey ed25519 "$T/ed.key" || fail "openssl genpkey ed25519"
lib_genkey rsa "$T/rsa.key" || fail "openssl genpkey rsa"
edp=$(lib_pubkey ed25519 "$T/ed.key")
rsap=$(lib_pubkey rsa "$T/rsa.key")
{
	printf 'ed._domainkey.bench.example TXT "v=DKIM1; k=ed25519; p=%s"\n' "$edp"
	printf 'ed._domainkey.sample.example TXT "v=DKIM1; k=ed25519; p=%s"\n' "$edp"
	printf 'rsa._domainkey.sample.example TXT "v=DKIM1; k=rsa; p=%s"\n' "$rsap"
} > "$T/zone"
cat > "$T/keytable" <<EOF
bench	bench.example:ed:$T/ed.key
srsa	sample.example:rsa:$T/rsa.key
sed	sample.example:ed:$T/ed.key
EOF
printf 'bench.example bench\nsample.example srsa\nsample.example sed\n' > "$T/signingtable"
cat > "$T/pd.conf" <<EOF
KeyTable		file:$T/keytable
SigningTable		file:$T/signingtable
MultipleSignatures	yes
Socket			local:$T/pd.sock
Syslog			no
EOF
"$B/daemon/postdkim" -f -c "$T/pd.conf" > "$T/pd.log" 2>&1 &
PD=$!
PIDS="$PD"
wait_until 100 test -S "$T/pd.sock" || { cat "$T/pd.log"; fail "postdkim did not start"; }

# fds of the idle daemon, then RSS and fds every second.
sleep 1
fd_idle=$(ls "/proc/$PD/fd" | wc -l)
( t=0; while kill -0 "$PD" 2>/dev/null; do
	rss=$(sed -n 's/^VmRSS:[ 	]*\([0-9]*\).*/\1/p' "/proc/$PD/status" 2>/dev/null || echo 0)
	fds=$(ls "/proc/$PD/fd" 2>/dev/null | wc -l)
	echo "$t $rss $fds"
	t=$((t + 1))
	sleep 1
done ) > "$T/curve" &
PIDS="$PIDS $!"
# A reload every RELOAD seconds.
( while kill -0 "$PD" 2>/dev/null; do sleep "$RELOAD"; kill -USR1 "$PD" 2>/dev/null || :; echo r; done ) \
    > "$T/reloads" &
RL=$!
PIDS="$PIDS $RL"
# Messages sent aside every second, kept and verified at the end.
mkdir "$T/aside"
$PY - "$T" <<'EOP'
import sys
t = sys.argv[1]
for i, size in enumerate((300, 20000, 300000)):
    body = "".join("line %d of a message sent aside, with some text\r\n" % n
                   for n in range(size // 48 + 1))
    with open("%s/aside-%d.eml" % (t, i), "w") as f:
        f.write("From: Sample <s@sample.example>\r\nTo: x@example.net\r\n"
                "Subject: soak sample %d\r\n\r\n%s" % (i, body))
EOP
( k=0; while kill -0 "$PD" 2>/dev/null && [ ! -e "$T/load-done" ]; do
	k=$((k + 1))
	mkdir -p "$T/aside/$k"
	"$B/tests/milter/mclient" -s "unix:$T/pd.sock" -o "$T/aside/$k" "$T"/aside-*.eml \
	    > "$T/aside/$k.log" 2>&1 || echo "mclient failed" >> "$T/aside/$k.log"
	sleep 1
done ) &
AS=$!
PIDS="$PIDS $AS"

# The load: 4 drivers, 2 connections each, sizes weighted toward small mail.
start=$(date +%s)
n1=$((N * 55 / 100)) n2=$((N * 30 / 100)) n3=$((N * 14 / 100))
n4=$((N - n1 - n2 - n3))
lp=
for spec in "2k $n1" "16k $n2" "64k $n3" "1m $n4"; do
	set -- $spec
	mkdir -p "$T/samples-$1"
	"$B/bench/benchdrv" -s "$T/pd.sock" -c 2 -n "$2" -g "$1" -D "$T/samples-$1" -k 5 \
	    -l "$1" > "$T/load-$1.json" 2> "$T/load-$1.err" &
	lp="$lp $!"
done
PIDS="$PIDS $lp"
lrc=0
for p in $lp; do wait "$p" || lrc=1; done
end=$(date +%s)
touch "$T/load-done"
wait "$AS" 2>/dev/null || :
sleep 3
fd_end=$(ls "/proc/$PD/fd" | wc -l)
kill "$RL" 2>/dev/null || :
kill -TERM "$PD"
pdrc=0
wait "$PD" || pdrc=$?
[ "$lrc" -eq 0 ] || { cat "$T"/load-*.err; fail "a load driver failed"; }
[ "$pdrc" -eq 0 ] || { tail "$T/pd.log"; fail "postdkim exited $pdrc"; }

# Every message accepted with its signature, counted by the drivers.
$PY - "$N" "$T"/load-*.json <<'EOP' || fail "messages lost or unsigned"
import json, sys
want, tot, bad = int(sys.argv[1]), 0, 0
for path in sys.argv[2:]:
    r = json.loads(open(path).read())
    print("  %-4s msgs %8d signed %8d unsigned %d errors %d  %.0f msg/s p99 %.2f ms" % (
        r["label"], r["msgs"], r["signed"], r["unsigned"], r["errors"], r["msgs_per_s"],
        r["p99_ms"]))
    tot += r["msgs"]
    bad += r["unsigned"] + r["errors"] + (r["msgs"] - r["signed"])
print("  messages %d of %d, lost or unsigned %d" % (tot, want, bad))
sys.exit(0 if tot == want and bad == 0 else 1)
EOP
# Samples: the drivers' (Ed25519) and those sent aside (RSA + Ed25519) all verify.
nside=$(cat "$T"/aside/*.log | grep -c ' accept .*ins=2 ' || :)
nsent=$(cat "$T"/aside/*.log | grep -c '^[0-9]* ' || :)
[ "$nside" -eq "$nsent" ] && [ "$nside" -gt 0 ] || fail "messages sent aside: $nside of $nsent signed twice"
$DKIMCHECK --zone "$T/zone" --nsig 1 "$T"/samples-*/msg-*.eml > "$T/v1" || { grep -v '^OK' "$T/v1"; fail "a load sample does not verify"; }
$DKIMCHECK --zone "$T/zone" --nsig 2 "$T"/aside/*/*.eml > "$T/v2" || { grep -v '^OK' "$T/v2"; fail "a sample sent aside does not verify"; }
nv=$(cat "$T/v1" "$T/v2" | grep -c '^OK' || :)

# The curve: start (after 10 s of warm-up) and end; flat or it fails.
$PY - "$T/curve" "$fd_idle" "$fd_end" <<'EOP' || fail "RSS or descriptors not flat"
import sys
rows = [tuple(int(x) for x in l.split()) for l in open(sys.argv[1]) if len(l.split()) == 3]
warm = [r for r in rows if r[0] >= 10] or rows
first, last = warm[:10], warm[-10:]
fmt = lambda rs: " ".join("%ds:%dkB/%dfd" % r for r in rs)
print("  curve start (after 10 s warm-up): " + fmt(first[:5]))
print("  curve end:                        " + fmt(last[-5:]))
a = sum(r[1] for r in first) / len(first)
b = sum(r[1] for r in last) / len(last)
peak = max(r[1] for r in warm)
print("  RSS mean first 10 s %.0f kB, last 10 s %.0f kB, peak %d kB; fds idle %s, end %s, max %d"
      % (a, b, peak, sys.argv[2], sys.argv[3], max(r[2] for r in rows)))
ok = b <= a * 1.25 + 2048 and sys.argv[2] == sys.argv[3]
sys.exit(0 if ok else 1)
EOP
echo "soak: $N messages in $((end - start)) s over 8 connections, $(wc -l < "$T/reloads") reloads," \
    "$nv sampled signatures verified by python3-dkim, postdkim exit 0"
echo "PASS"
