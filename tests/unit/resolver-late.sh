#!/bin/sh
# resolver-late.sh - late answers racing a lookup that gives up
# (verify/resolver.c). A sender controls when its own key records answer:
# here the DNS server (tests/dns/hostile-dns.py, "lateN" names) answers
# just after the lookup's deadline, while the lookup is cancelling its
# unanswered queries, and restool-slowcancel delays every ub_cancel() by
# 3 ms (a link-time wrapper, tests/unit/slowcancel.c) so that other
# threads' ub_process() deliver those answers meanwhile. Each lookup must
# still get a status for every name, and nothing may touch a query's
# memory once its answer has freed it: the sanitizer build (CI) aborts on
# any such use. And key records that never answer (one sender's) must not
# hold up the lookups of others: libunbound's 16 sockets were all taken.
set -eu
PY=/usr/bin/python3
here=$(dirname "$0")
src=${srcdir:-$here}
# shellcheck source=tests/lib.sh
. "$src/../lib.sh"
lib_skip_unless "$PY cannot import dns (apt-get install python3-dnspython)" \
    "$PY" -c 'import dns.message'
work=$(mktemp -d "${TMPDIR:-/tmp}/resolver-late.XXXXXX")
spid=
cleanup() {
	[ -z "$spid" ] || kill "$spid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PY" "$src/../dns/hostile-dns.py" "$port" "$work/log" >"$work/server" 2>&1 &
spid=$!
wait_until 100 grep -q ready "$work/server" || { echo "DNS server did not start"; cat "$work/server"; exit 1; }

# Per round and thread, 4 names answered 1 to 4 ms after the 200 ms
# deadline, each name new ('%' thread, '#' round); 4 threads started 50 ms
# apart, so that some wait (and deliver answers) while another cancels.
# At most 16 queries in flight, so that no limit of libunbound's queues
# any of them and shifts its answer.
threads=4
rounds=20
names=
for d in 201 202 203 204; do
	names="$names late${d}x%x#:t.example.net"
done
fail=0
# shellcheck disable=SC2086
./restool-slowcancel -n "127.0.0.1@$port" -T 200 -j $threads -S 50 -R $rounds $names \
	>"$work/out" 2>"$work/err" || fail=1
if [ $fail = 1 ]; then
	echo "not ok - restool-slowcancel failed:"
	cat "$work/err"
	exit 1
fi
echo "ok - no crash, no use of freed memory"
want=$((threads * rounds * 4))
n=$(grep -c ' FOUND dnssec=0 \| TEMPFAIL .*"DNS timeout after 200 ms"' "$work/out" || true)
if [ "$n" -eq "$want" ]; then
	echo "ok - $n answers of $want: each found or timed out"
else
	echo "not ok - $n answers found or timed out, $want expected:"
	grep -v ' FOUND dnssec=0 \| TEMPFAIL .*"DNS timeout after 200 ms"' "$work/out" | head
	fail=1
fi
# The moment was reached: answers delivered between the deadline and their cancel.
late=$(sed -n 's/^slowcancel: [0-9]* cancels, \([0-9]*\) after their answer$/\1/p' "$work/err")
if [ "${late:-0}" -ge 1 ]; then
	echo "ok - $late answers came between a lookup's deadline and its cancel"
else
	echo "not ok - no answer came between a deadline and a cancel:"
	cat "$work/err"
	fail=1
fi

# 40 names never answered, then one answered at once, in one batch (sent in
# that order): the last must be found within the 500 ms deadline, not wait
# for a socket that one of the 40 holds (libunbound retries them for seconds).
names=
i=0
while [ $i -lt 40 ]; do
	i=$((i + 1))
	names="$names slow:s$i.example"
done
# shellcheck disable=SC2086
./restool -n "127.0.0.1@$port" -T 500 $names late0:t.example.net >"$work/out2" 2>&1 || true
if grep -q '^1 late0:t.example.net FOUND ' "$work/out2" &&
    [ "$(grep -c ' TEMPFAIL .*timeout after 500 ms' "$work/out2")" -eq 40 ]; then
	echo "ok - 40 silent key records do not hold up a lookup sent after them"
else
	echo "not ok - 40 silent key records and one answered at once:"
	grep -v '^1 slow:' "$work/out2"
	fail=1
fi
exit $fail
