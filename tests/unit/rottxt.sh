#!/bin/sh
# rottxt.sh - dkimrotate's questions to one authoritative server, many on
# one socket (keygen/rottxt.c, through txttool), against a hostile server
# on loopback (tests/dns/hostile-dns.py, which answers one question per TCP
# connection and then closes it): every name gets its own answer over UDP
# (more than the window of questions unanswered at once) and over TCP
# (a question whose connection closes unanswered is given up, the others
# asked on new connections);
# an answer carrying another question's ID, or the right ID and another
# name, is taken for nothing; a server that never answers costs the
# timeout once, not once per name; nothing listening fails at once.
set -eu
src=${srcdir:-$(dirname "$0")}
# shellcheck source=tests/lib.sh
. "$src/../lib.sh"
PY=/usr/bin/python3
lib_skip_unless "$PY cannot import dns (apt-get install python3-dnspython)" \
    "$PY" -c 'import dns.name'
spid=
lib_tmpdir rottxt spid TERM
work=$T
fail() {
	echo "rottxt.sh: $*"
	exit 1
}
port=$("$PY" "$src/../freeport.py")
i=0
while [ $i -lt 150 ]; do
	i=$((i + 1))
	echo "z$i._domainkey.example.com v=DKIM1; p=Z$i"
done >"$work/zone"
"$PY" "$src/../dns/hostile-dns.py" "$port" "$work/log" "$work/zone" >"$work/server" 2>&1 &
spid=$!
wait_until 100 grep -q ready "$work/server" ||
    fail "the DNS server did not start: $(cat "$work/server")"

# 150 zone records between the server's answers of every kind.
names=
i=0
while [ $i -lt 150 ]; do
	i=$((i + 1))
	names="$names z$i._domainkey.example.com"
	[ $((i % 30)) -ne 0 ] || names="$names good._domainkey.t.example nx._domainkey.t.example nodata._domainkey.t.example two._domainkey.t.example servfail._domainkey.t.example refused._domainkey.t.example big._domainkey.t.example"
done

# expect FILE TRANSPORT: each line of FILE says what the server answered.
expect() {
	_f=$1
	_t=$2
	[ "$(grep -c . "$_f")" -eq 185 ] || fail "$_t: $(grep -c . "$_f") lines, 185 expected"
	i=0
	while [ $i -lt 150 ]; do
		i=$((i + 1))
		grep -qx "z$i._domainkey.example.com found v=DKIM1; p=Z$i" "$_f" ||
		    fail "$_t: z$i: $(grep "^z$i\._" "$_f")"
	done
	[ "$(grep -c '^good._domainkey.t.example found v=DKIM1; k=rsa; p=MIIB' "$_f")" -eq 5 ] ||
	    fail "$_t: good: $(grep '^good' "$_f" | head -2)"
	[ "$(grep -c '^nx._domainkey.t.example none$' "$_f")" -eq 5 ] || fail "$_t: nx"
	[ "$(grep -c '^nodata._domainkey.t.example none$' "$_f")" -eq 5 ] || fail "$_t: nodata"
	# Two records, in either order.
	[ "$(grep -c -e '^two._domainkey.t.example found v=DKIM1; p=one|v=DKIM1; p=two$' \
	    -e '^two._domainkey.t.example found v=DKIM1; p=two|v=DKIM1; p=one$' "$_f")" -eq 5 ] ||
	    fail "$_t: two: $(grep '^two' "$_f" | head -1)"
	[ "$(grep -c "^servfail._domainkey.t.example fail 127.0.0.1@$port ($_t) gave no authoritative answer (rcode 2)$" "$_f")" -eq 5 ] ||
	    fail "$_t: servfail: $(grep '^servfail' "$_f" | head -1)"
	[ "$(grep -c "^refused._domainkey.t.example fail .*(rcode 5)$" "$_f")" -eq 5 ] ||
	    fail "$_t: refused: $(grep '^refused' "$_f" | head -1)"
}

# shellcheck disable=SC2086
./txttool "127.0.0.1@$port" $names >"$work/udp"
expect "$work/udp" UDP
# 64 KB: over UDP the server can only say it did not fit.
[ "$(grep -c '^big._domainkey.t.example truncated$' "$work/udp")" -eq 5 ] ||
    fail "UDP: big: $(grep '^big' "$work/udp" | head -1)"
echo "UDP: 185 names, each with its own answer"

# shellcheck disable=SC2086
./txttool -t -T 20000 "127.0.0.1@$port" $names >"$work/tcp"
expect "$work/tcp" TCP
# The whole 64 KB answer over TCP (its record, longer than dkimrotate
# keeps of one, is counted, not kept).
[ "$(grep -cx 'big._domainkey.t.example found' "$work/tcp")" -eq 5 ] ||
    fail "TCP: big: $(grep '^big' "$work/tcp" | cut -c1-100 | head -1)"
echo "TCP: 185 names on connections the server closes after each answer"

# Spoofed answers: wrongid answers with the next question's ID (that of a
# good name, asked right after), othername with its own ID but another
# name. Neither may be taken, for itself or for another question.
for t in "" -t; do
	./txttool $t -T 1500 "127.0.0.1@$port" wrongid._domainkey.t.example \
	    good._domainkey.t.example othername._domainkey.t.example \
	    z1._domainkey.example.com >"$work/spoof" 2>&1
	grep -q spoofed "$work/spoof" && fail "a spoofed answer was taken: $(cat "$work/spoof")"
	grep -q '^wrongid._domainkey.t.example fail .*did not answer' "$work/spoof" ||
	    fail "wrongid: $(cat "$work/spoof")"
	grep -q '^othername._domainkey.t.example fail .*did not answer' "$work/spoof" ||
	    fail "othername: $(cat "$work/spoof")"
	grep -q '^good._domainkey.t.example found v=DKIM1; k=rsa' "$work/spoof" ||
	    fail "good after wrongid: $(cat "$work/spoof")"
	grep -qx 'z1._domainkey.example.com found v=DKIM1; p=Z1' "$work/spoof" ||
	    fail "z1: $(cat "$work/spoof")"
done
echo "spoofed IDs and names: taken for nothing"

# A server that never answers some names: the timeout once for all of them.
start=$(date +%s%3N)
./txttool -T 1000 "127.0.0.1@$port" slow._domainkey.a.example slow._domainkey.b.example \
    slow._domainkey.c.example good._domainkey.t.example >"$work/slow"
took=$(( $(date +%s%3N) - start ))
[ "$(grep -c '^slow._domainkey.[abc].example fail 127.0.0.1@'"$port"' (UDP) did not answer: no answer within 1000 ms$' "$work/slow")" -eq 3 ] ||
    fail "slow: $(cat "$work/slow")"
grep -q '^good._domainkey.t.example found' "$work/slow" || fail "good beside slow: $(cat "$work/slow")"
[ "$took" -lt 1800 ] || fail "3 unanswered names took $took ms with a 1000 ms timeout"
echo "3 unanswered names: $took ms with a 1000 ms timeout"

# Nothing listening: UDP and TCP fail at once, saying so.
dead=$("$PY" "$src/../freeport.py")
for t in "" -t; do
	start=$(date +%s%3N)
	./txttool $t -T 3000 "127.0.0.1@$dead" good._domainkey.t.example >"$work/dead"
	took=$(( $(date +%s%3N) - start ))
	grep -q "^good._domainkey.t.example fail 127.0.0.1@$dead ([UT][DC]P) did not answer: Connection refused$" "$work/dead" ||
	    fail "nothing listening ($t): $(cat "$work/dead")"
	[ "$took" -lt 1000 ] || fail "nothing listening ($t) took $took ms"
done
echo "nothing listening: refused at once, over UDP and TCP"
