#!/bin/sh
# resolver.sh - the resolver module (verify/resolver.c, libunbound) against
# a DNS server on loopback (tests/dns/hostile-dns.py) answering the way
# broken and hostile zones do: each answer must become the right status
# with a reason, the whole wait must stay within the timeout, the cache
# must spare repeated queries, 16 threads sharing one resolver must all
# get their answers, and a server back after a long outage must be asked
# again at once.
set -eu
PY=/usr/bin/python3
here=$(dirname "$0")
src=${srcdir:-$here}
# shellcheck source=tests/lib.sh
. "$src/../lib.sh"
lib_skip_unless "$PY cannot import dns (apt-get install python3-dnspython)" \
    "$PY" -c 'import dns.message'
work=$(mktemp -d "${TMPDIR:-/tmp}/resolver.XXXXXX")
pids=
rpid=
cleanup() {
	for p in $pids $rpid; do
		kill "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
freeport() {
	"$PY" "$src/../freeport.py"
}
# await FILE PATTERN TENTHS WHAT: wait until FILE shows PATTERN, at most
# TENTHS tenths of a second; else fail, saying WHAT did not happen.
await() {
	_i=0
	until grep -q "$2" "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt "$3" ] || { echo "$4"; cat "$1"; exit 1; }
		sleep 0.1
	done
}

# serve NAME PORT ZONE [ARGS]: a DNS server on loopback; its pid in $spid.
serve() {
	_n=$1
	_p=$2
	_z=$3
	shift 3
	"$PY" "$src/../dns/hostile-dns.py" "$_p" "$work/log.$_n" "$_z" "$@" >"$work/server.$_n" 2>&1 &
	spid=$!
	pids="$pids $spid"
	await "$work/server.$_n" ready 100 "DNS server $_n did not start"
}
port=$(freeport)
printf 'zz._domainkey.example.com v=DKIM1; p=%s\n' "$(printf '%0600d' 0)" >"$work/zone"
serve main "$port" "$work/zone"

# The outage runs beside the other checks (it is mostly waiting): a
# server that answered, then was gone for 40 s (long enough for libunbound
# to mark it down), must be asked again as soon as it is back; by default
# libunbound would answer SERVFAIL for up to 15 minutes more.
port3=$(freeport)
i=0
while [ $i -lt 400 ]; do
	i=$((i + 1))
	echo "o$i._domainkey.example.com v=DKIM1; p=AAAA"
done >"$work/zone3"
serve outage "$port3" "$work/zone3"
# One lookup of a new name every 250 ms (each round a name no cache holds).
./restool -n "127.0.0.1@$port3" -T 1000 -R 400 -D 250 'o#:example.com' >"$work/out7" 2>&1 &
rpid=$!
await "$work/out7" FOUND 200 "no answer before the outage"
kill "$spid"
wait "$spid" 2>/dev/null || true
sleep 40
up=$(date +%s%3N)
serve outage "$port3" "$work/zone3"

fail=0
check() {	# check WHAT PATTERN FILE
	if grep -q -- "$2" "$3"; then
		echo "ok - $1"
	else
		echo "not ok - $1: no line matching '$2' in:"
		cat "$3"
		fail=1
	fi
}

names=
for l in good split many big two binary nx nodata servfail refused slow wrongtype cname badrr; do
	names="$names $l:t.example.net"
done
# shellcheck disable=SC2086
./restool -n "127.0.0.1@$port" -T 1500 -R 2 $names 'bad;name:t.example.net' zz:example.com \
	>"$work/out"
check "a record is found" '^1 good:t.example.net FOUND .*"v=DKIM1; k=rsa; p=MII' "$work/out"
check "strings are joined" '^1 split:t.example.net FOUND dnssec=0 len=62 ' "$work/out"
check "a CNAME is followed" '^1 cname:t.example.net FOUND dnssec=0 len=62 ' "$work/out"
check "a 611-byte record from the zone file" '^1 zz:example.com FOUND dnssec=0 len=611 ' "$work/out"
# Either round: over TCP a loaded machine can take longer than the timeout.
check "300 strings (60 KB over TCP) refused" '^[12] many:t.example.net BAD .*longer than' "$work/out"
check "a 64 KB record refused" '^[12] big:t.example.net BAD .*longer than' "$work/out"
check "two records refused" '^1 two:t.example.net BAD .*2 TXT records' "$work/out"
check "a NUL byte refused" '^1 binary:t.example.net BAD .*NUL byte' "$work/out"
check "NXDOMAIN is no key" '^1 nx:t.example.net NONE .*no such name' "$work/out"
check "NODATA is no key" '^1 nodata:t.example.net NONE .*no TXT record' "$work/out"
check "an A record where TXT was asked is no key" '^1 wrongtype:t.example.net NONE ' "$work/out"
check "SERVFAIL is a temporary failure" '^1 servfail:t.example.net TEMPFAIL .*SERVFAIL' "$work/out"
check "REFUSED is a temporary failure" '^1 refused:t.example.net TEMPFAIL ' "$work/out"
check "a malformed reply is a temporary failure" '^1 badrr:t.example.net TEMPFAIL ' "$work/out"
check "no answer is a timeout" '^1 slow:t.example.net TEMPFAIL .*timeout after 1500 ms' "$work/out"
check "a name with a ';' is never asked" '^1 bad;name:t.example.net BAD .*not a valid DNS name' "$work/out"
# The whole batch waited for the timeout once, not once per name.
ms=$(awk '$1 == 1 { sub("ms=", "", $6); print $6; exit }' "$work/out")
# Slack above the timeout for a loaded test machine.
if [ "$ms" -ge 1400 ] && [ "$ms" -le 4000 ]; then
	echo "ok - one batch with a silent server took $ms ms (timeout 1500)"
else
	echo "not ok - one batch took $ms ms, timeout 1500"
	fail=1
fi
# Cached: the second round asked the server nothing new for good names.
n=$(grep -c '^good\._domainkey\.t\.example\.net\.$' "$work/log.main" || true)
if [ "$n" -eq 1 ]; then
	echo "ok - the second round came from the cache (1 query for good)"
else
	echo "not ok - $n queries for good in 2 rounds"
	fail=1
fi
# 16 threads x 10 rounds on one resolver.
./restool -n "127.0.0.1@$port" -T 3000 -j 16 -R 10 good:t.example.net nx:t.example.net \
	zz:example.com >"$work/out2"
n=$(grep -c ' FOUND \| NONE ' "$work/out2" || true)
if [ "$n" -eq 480 ] && ! grep -q 'TEMPFAIL\|BAD' "$work/out2"; then
	echo "ok - 16 threads x 10 rounds x 3 names: 480 answers"
else
	echo "not ok - threads: $n good answers of 480"
	fail=1
fi
# Threads waiting while another reads the answers sleep: 4 threads wait
# 1.5 s for a server that never answers, and the process uses a fraction
# of a second of CPU (it used a core for every waiting thread when their
# deadlines were on another clock than their waits).
cpu=$("$PY" -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.2f" % (r.ru_utime + r.ru_stime))' ./restool -n "127.0.0.1@$port" -T 1500 -j 4 slow:t.example.net)
if awk -v c="$cpu" 'BEGIN { exit !(c < 0.5) }'; then
	echo "ok - 4 threads waiting 1.5 s used $cpu s of CPU"
else
	echo "not ok - 4 threads waiting 1.5 s used $cpu s of CPU (they spin)"
	fail=1
fi
# DNSSEC: a second server signs secure.example; its key is the trust anchor.
port2=$(freeport)
printf 'good._domainkey.secure.example v=DKIM1; p=AAAA\nbogus._domainkey.secure.example v=DKIM1; p=BBBB\nout._domainkey.sender.example v=DKIM1; p=CCCC\n' >"$work/zone2"
serve signing "$port2" "$work/zone2" secure.example "$work/ta"
./restool -n "127.0.0.1@$port2" -a "$work/ta" -T 3000 good:secure.example bogus:secure.example \
	out:sender.example >"$work/out4" 2>&1 || true
check "a signed record is secure" '^1 good:secure.example FOUND dnssec=1 ' "$work/out4"
check "a record whose signature does not match is bogus" '^1 bogus:secure.example FOUND dnssec=3 ' "$work/out4"
check "a record outside the trust anchor is insecure" '^1 out:sender.example FOUND dnssec=2 ' "$work/out4"
./restool -n "127.0.0.1@$port" good:t.example.net >"$work/out5" 2>&1
check "without a trust anchor nothing is validated" '^1 good:t.example.net FOUND dnssec=0 ' "$work/out5"
if ./restool -n "127.0.0.1@$port" -a /etc/hostname good:t.example.net >"$work/out6" 2>&1; then
	echo "not ok - a trust anchor file without anchors was accepted"
	fail=1
else
	check "a trust anchor file without anchors is refused" 'not a DS or DNSKEY record' "$work/out6"
fi

# The outage: answers before it, none during it, and an answer within 5 s
# of the server's return (two lookups' timeouts plus slack for a loaded machine).
sleep 6
kill "$rpid" 2>/dev/null || true
wait "$rpid" 2>/dev/null || true
rpid=
before=$(awk -v up="$up" '{ sub("at=", "", $NF) } $NF < up - 40000 && $3 == "FOUND"' "$work/out7" | wc -l)
during=$(awk -v up="$up" '{ sub("at=", "", $NF) } $NF > up - 38000 && $NF < up && $3 != "FOUND"' \
	"$work/out7" | wc -l)
back=$(awk -v up="$up" '{ sub("at=", "", $NF) } $NF >= up && $3 == "FOUND" { print $NF - up; exit }' \
	"$work/out7")
if [ "$before" -ge 1 ] && [ "$during" -ge 10 ] && [ -n "$back" ] && [ "$back" -le 5000 ]; then
	echo "ok - after a 40 s outage the server is asked again: an answer $back ms after its return"
else
	echo "not ok - outage: $before answers before, $during failures during, first answer" \
	    "${back:-never} ms after the return:"
	tail -n 30 "$work/out7"
	fail=1
fi

# Nameservers that make no sense are refused at startup with the reason.
if ./restool -n "not-an-address" good:t.example.net >"$work/out3" 2>&1; then
	echo "not ok - a bad Nameservers entry was accepted"
	fail=1
else
	check "a bad Nameservers entry is refused" "Nameservers 'not-an-address'" "$work/out3"
fi
exit $fail
