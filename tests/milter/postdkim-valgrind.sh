#!/bin/sh
# postdkim-valgrind.sh - postdkim under valgrind through everything a day
# at an MTA brings: reused and fresh connections, aborted and half-sent
# transactions, clients that vanish, mail that is not ours, dual signing,
# a good and a broken reload, and SIGTERM. No invalid access, no definite
# leak, no error of any kind may be reported. In a sanitizer build
# (--enable-sanitizers) AddressSanitizer/UBSan/LeakSanitizer do the
# checking instead of valgrind, which cannot run such a binary.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"
if nm "$POSTDKIM" 2>/dev/null | grep -q __asan_init; then
	VG=""
	tl_note "sanitizer build: AddressSanitizer checks instead of valgrind"
else
	command -v valgrind >/dev/null 2>&1 || tl_skip "valgrind not installed (apt-get install valgrind)"
	VG="valgrind -q --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --error-exitcode=42 --log-file=$T/vg.log"
fi
: > "$T/vg.log"

pd_key rsa rsa
pd_key ed ed25519
pd_zone rsa example.com rsa
pd_zone ed example.com ed
cat > "$T/keytable" <<EOF2
r example.com:rsa:$T/rsa.key
e example.com:ed:$T/ed.key
b broken.example:s:$T/missing.key
EOF2
printf 'example.com r\nexample.com e\nbroken.example b\n' > "$T/signingtable"
cat > "$T/pd.conf" <<EOF2
KeyTable		$T/keytable
SigningTable		$T/signingtable
MultipleSignatures	yes
Socket			local:$T/pd.sock
Syslog			no
SyslogSuccess		yes
LogWhy			yes
EOF2
# shellcheck disable=SC2034 # pd_start reads them
PD_WRAP=$VG PD_WRAP_LOG=$T/vg.log PD_WAIT=300
pd_start pd "$T/pd.conf"
PID=$PD_PID
S="unix:$T/pd.sock"
tl_corpus "$T/in"
set -- $CORPUS
M1=$1 M8=$8

mkdir "$T/a" "$T/b"
"$MCLIENT" -t 60 -s "$S" --abort-first -n 2 -o "$T/a" $CORPUS > "$T/a.log" || tl_fail "reuse"
[ "$(grep -c ' ins=2 ' "$T/a.log")" -eq 20 ] || { cat "$T/a.log" >&2; tl_fail "reuse: not all signed"; }
"$MCLIENT" -t 60 -s "$S" -r --no-leadspc -o "$T/b" $CORPUS > "$T/b.log" || tl_fail "reconnect"
[ "$(grep -c ' ins=2 ' "$T/b.log")" -eq 10 ] || tl_fail "reconnect: not all signed"
for st in optneg connect helo mail header body; do
	"$MCLIENT" -t 60 -s "$S" --stop-after $st --hangup -n 2 "$M8" > /dev/null 2>&1 || tl_fail "hangup after $st"
	"$MCLIENT" -t 60 -s "$S" --stop-after $st -n 2 "$M8" > /dev/null 2>&1 || tl_fail "stop after $st"
done
"$MCLIENT" -t 60 -s "$S" --client-addr 192.0.2.1 -n 3 "$M1" > /dev/null 2>&1 || tl_fail "external"
printf 'To: x@example.net\nSubject: no from\n\nbody\n' > "$T/nofrom.eml"
printf 'From: a@example.com\nFrom: b@example.com\n\nbody\n' > "$T/twofrom.eml"
"$MCLIENT" -t 60 -s "$S" "$T/nofrom.eml" "$T/twofrom.eml" "$M1" > /dev/null 2>&1 || tl_fail "no/two From"
$PY -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
s.sendall(struct.pack(">I", 0x7fffffff) + b"O"); s.close()' "$T/pd.sock" || tl_fail "garbage"
kill -HUP "$PID"
sleep 1
cp "$T/pd.conf" "$T/pd.conf.good"
echo "Selectr x" >> "$T/pd.conf"
kill -HUP "$PID"
sleep 1
cp "$T/pd.conf.good" "$T/pd.conf"
mkdir "$T/c"
"$MCLIENT" -t 60 -s "$S" -n 3 -o "$T/c" "$M1" > "$T/c.log" || tl_fail "after reloads"
[ "$(grep -c ' ins=2 ' "$T/c.log")" -eq 3 ] || tl_fail "after reloads: not signed"
# A key that cannot be read: that mail deferred, twice (the failure is cached).
printf 'From: a@broken.example\nTo: x@example.net\n\nbody\n' > "$T/broken.eml"
"$MCLIENT" -t 60 -s "$S" -n 2 "$T/broken.eml" > /dev/null 2> "$T/broken.log" || tl_fail "broken key"
[ "$(grep -c ' tempfail ' "$T/broken.log")" -eq 2 ] || { cat "$T/broken.log" >&2; tl_fail "broken key: not deferred"; }
# Reloads while messages are in flight: every one signed.
mkdir "$T/d"
"$MCLIENT" -t 120 -s "$S" -n 20 -o "$T/d" "$M1" > "$T/d.log" 2>&1 &
L1=$!
"$MCLIENT" -t 120 -s "$S" -n 20 -r "$M8" > /dev/null 2> "$T/e.log" &
L2=$!
for i in 1 2 3 4 5; do
	sleep 0.4
	kill -USR1 "$PID"
done
wait $L1 || { cat "$T/d.log" >&2; tl_fail "reload under load: client 1"; }
wait $L2 || { cat "$T/e.log" >&2; tl_fail "reload under load: client 2"; }
[ "$(grep -c ' ins=2 ' "$T/d.log")" -eq 20 ] && [ "$(grep -c ' ins=2 ' "$T/e.log")" -eq 20 ] \
    || { cat "$T/d.log" "$T/e.log" >&2; tl_fail "reload under load: not every message signed"; }
pd_check 2 "$T"/a/1?.eml "$T"/c/*.eml "$T"/d/*.eml

kill -TERM "$PID"
tl_waitgone "$PID" 600 || tl_fail "postdkim under valgrind did not stop within 60 s"
st=0
wait "$PID" || st=$?
if [ $st -ne 0 ] || [ -s "$T/vg.log" ] || grep -q 'Sanitizer\|runtime error' "$T/pd.log"; then
	cat "$T/vg.log" "$T/pd.log" >&2
	tl_fail "memory errors reported (exit $st)"
fi
if [ -n "$VG" ]; then tl_note "ok: valgrind clean"; else tl_note "ok: sanitizers clean"; fi
