#!/bin/sh
# postdkim-vectors.sh - verification verdicts on the cases other verifiers'
# test suites are built from (dkimpy's, Mail::DKIM's): signature and key
# record variants, RFC 8301 and RFC 8463 cases, DNS failures. vectors.py
# makes the keys, the zone and the messages now, signed by dkimpy or by its
# own hashlib + openssl signer; tests/dns/hostile-dns.py serves the zone
# (and SERVFAIL, timeouts, NXDOMAIN by selector). Each message goes through
# two running daemons and through postdkim -t with the same configurations:
# daemon A accepts everything and always adds a field, so its
# Authentication-Results show each signature's result, which must be the
# case's RFC verdict, and -t must print the very message A passed on;
# daemon B acts (On-BadSignature and On-KeyNotFound reject, On-DNSError
# tempfail), and -t must name the action B took.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"
$PY -c 'import authres, dns.message' 2>/dev/null ||
	tl_skip "python3-authres and python3-dnspython are needed"

PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$PY "$TESTS_SRCDIR/vectors.py" gen "$T" || tl_fail "making the test messages failed"
$PY "$TESTS_SRCDIR/../dns/hostile-dns.py" "$PORT" "$T/dns.log" "$T/zone" > "$T/dns.out" 2>&1 &
TL_PIDS="$TL_PIDS $!"
wait_until 100 grep -q ready "$T/dns.out" || tl_fail "the DNS server did not start"

# Our own domain (mail from it would be signed, not verified) and the two daemons.
pd_key k rsa
for d in a b; do
	{
		echo "Domain ours.example"
		echo "KeyFile $T/k.key"
		echo "Selector sel"
		echo "Socket local:$T/$d.sock"
		echo "Syslog no"
		echo "SyslogSuccess yes"
		echo "Nameservers 127.0.0.1@$PORT"
		echo "DNSTimeout 2"
		echo "AuthservID mx.vectors.example"
		echo "AlwaysAddARHeader yes"
		if [ "$d" = a ]; then
			echo "On-BadSignature accept"
			echo "On-KeyNotFound accept"
			echo "On-DNSError accept"
			echo "On-Security accept"
			echo "On-InternalError accept"
		else
			echo "On-BadSignature reject"
			echo "On-KeyNotFound reject"
			echo "On-DNSError tempfail"
			echo "On-Security tempfail"
			echo "On-InternalError tempfail"
		fi
		echo "On-NoSignature accept"
	} > "$T/$d.conf"
	pd_start "pd$d" "$T/$d.conf"
	PDS="${PDS:-} $PD_PID"
done

# Each case: both daemons, then -t under both configurations.
n=0
while IFS='	' read -r name _; do
	mkdir -p "$T/a-$name" "$T/b-$name"
	"$MCLIENT" -s "unix:$T/a.sock" --client-addr 192.0.2.1 --queue-id "A$n" \
	    -o "$T/a-$name" "$T/$name.eml" > "$T/a-$name.log" ||
		{ cat "$T/a-$name.log" >&2; tl_fail "$name: mclient (daemon A) failed"; }
	"$MCLIENT" -s "unix:$T/b.sock" --client-addr 192.0.2.1 --queue-id "B$n" \
	    -o "$T/b-$name" "$T/$name.eml" > "$T/b-$name.log" ||
		{ cat "$T/b-$name.log" >&2; tl_fail "$name: mclient (daemon B) failed"; }
	for d in a b; do
		"$POSTDKIM" -c "$T/$d.conf" -a 192.0.2.1 -t "$T/$name.eml" > "$T/$name.t$d" \
		    2> "$T/$name.t${d}e" || { cat "$T/$name.t${d}e" >&2; tl_fail "$name: -t failed"; }
	done
	n=$((n + 1))
done < "$T/cases"

$PY "$TESTS_SRCDIR/vectors.py" check "$T" > "$T/check.out" || {
	cat "$T/check.out"
	tl_fail "$(grep -c '^FAIL' "$T/check.out") of $n cases do not get their verdict"
}
cat "$T/check.out"
for pid in $PDS; do
	pd_stop "$pid" || tl_fail "postdkim did not stop cleanly"
done
echo "$TL_NAME: PASS ($n cases)"
