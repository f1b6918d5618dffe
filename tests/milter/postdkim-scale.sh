#!/bin/sh
# postdkim-scale.sh - many domains, some with broken keys. A 10,000-domain
# KeyTable + SigningTable in which one key file is missing, one is 0644,
# one is corrupt and one SigningTable line names no KeyTable entry:
# postdkim starts, signs the good domains (checked by dkimpy), defers
# exactly the broken ones and logs each with its path and reason; -n lists
# all four; after the files are fixed and a reload, the same messages are
# signed. Then a 100,000-line table: an external message of 2,000 header
# fields and a message for the last domain are handled at once, since no
# header or message walks the table.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

# mktables DIR N: keys (copies of three), key.table and signing.table for
# dI.example, I < N, in DIR (python: 10,000 files without 10,000 forks).
mktables() {
	$PY - "$1" "$2" "$T/k0.key" "$T/k1.key" "$T/k2.key" <<'PYEOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
keys = [open(p).read() for p in sys.argv[3:6]]
os.makedirs(d + "/keys", mode=0o700, exist_ok=True)
with open(d + "/key.table", "w") as kt, open(d + "/signing.table", "w") as st:
    for i in range(n):
        path = "%s/keys/d%d.key" % (d, i)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, keys[i % 3].encode())
        os.close(fd)
        kt.write("k%d d%d.example:s:%s\n" % (i, i, path))
        st.write("d%d.example k%d\n" % (i, i))
PYEOF
}

for k in k0 k1 k2; do pd_key "$k" rsa; done
N=10000
mktables "$T/t" $N
for i in 0 4999 9999 13 14 15 16; do pd_zone s "d$i.example" "k$((i % 3))"; done
# The broken ones.
rm "$T/t/keys/d13.key"
chmod 644 "$T/t/keys/d14.key"
printf -- '-----BEGIN PRIVATE KEY-----\nnot a key at all\n-----END PRIVATE KEY-----\n' > "$T/t/keys/d15.key"
sed -i 's/^d16.example k16$/d16.example k16-not-there/' "$T/t/signing.table"
cat > "$T/scale.conf" <<EOF
KeyTable	file:$T/t/key.table
SigningTable	file:$T/t/signing.table
Socket		local:$T/pd.sock
Syslog		no
SyslogSuccess	yes
EOF

# -n: every problem, each with file and line, and a failure status.
st=0
"$POSTDKIM" -n -c "$T/scale.conf" > "$T/n.out" 2>&1 || st=$?
[ $st -ne 0 ] || { cat "$T/n.out" >&2; tl_fail "-n accepted broken keys"; }
for want in "key.table:14: KeyTable entry 'k13': $T/t/keys/d13.key: No such file" \
    "key.table:15: KeyTable entry 'k14': $T/t/keys/d14.key: readable by others" \
    "key.table:16: KeyTable entry 'k15': $T/t/keys/d15.key:" \
    "signing.table:17: SigningTable entry 'd16.example' names key 'k16-not-there'" \
    "(and 3 more problems)"; do
	grep -qF -- "$want" "$T/n.out" || { cat "$T/n.out" >&2; tl_fail "-n: missing '$want'"; }
done
tl_note "-n: 4 problems reported, exit $st"

pd_start scale "$T/scale.conf"
# mail I...: one message per domain dI.example, results in $T/out.
mail() {
	rm -rf "$T/out"
	mkdir "$T/out"
	_m=
	for i in "$@"; do
		printf 'From: user%s <user@d%s.example>\nTo: x@example.net\nSubject: d%s\n\nbody %s\n' \
		    "$i" "$i" "$i" "$i" > "$T/m$i.eml"
		_m="$_m $T/m$i.eml"
	done
	# shellcheck disable=SC2086
	"$MCLIENT" -s "unix:$T/pd.sock" -o "$T/out" --queue-id Q $_m > "$T/mc.log" 2>&1 \
	    || { cat "$T/mc.log" >&2; tl_fail "mclient failed"; }
}
mail 0 4999 9999 13 14 15 16
for k in 1 2 3; do
	grep -q "^$k accept .* ins=1 " "$T/mc.log" || { cat "$T/mc.log" >&2; tl_fail "message $k not signed"; }
done
for k in 4 5 6 7; do
	grep -q "^$k tempfail " "$T/mc.log" || { cat "$T/mc.log" "$T/scale.log" >&2; tl_fail "message $k not deferred"; }
done
pd_check 1 "$T/out/1.eml" "$T/out/2.eml" "$T/out/3.eml"
for want in "$T/t/keys/d13.key: No such file" "$T/t/keys/d14.key: readable by others" \
    "KeyTable entry 'k15': $T/t/keys/d15.key:" "names key 'k16-not-there'"; do
	grep -qF -- "$want" "$T/scale.log" || { cat "$T/scale.log" >&2; tl_fail "log lacks '$want'"; }
done
[ "$(grep -c 'not signed: .*(action tempfail)' "$T/scale.log")" -eq 4 ] \
    || { cat "$T/scale.log" >&2; tl_fail "want exactly 4 deferred messages in the log"; }
tl_note "10,000 domains: 3 good domains signed, the 4 broken ones deferred and logged"

# Fix everything, reload: the same messages are signed.
cp "$T/k1.key" "$T/t/keys/d13.key"
chmod 644 "$T/t/keys/d13.key"; chmod 600 "$T/t/keys/d13.key"
chmod 600 "$T/t/keys/d14.key"
cp "$T/k0.key" "$T/t/keys/d15.key"
sed -i 's/^d16.example k16-not-there$/d16.example k16/' "$T/t/signing.table"
"$POSTDKIM" -n -c "$T/scale.conf" > "$T/n2.out" 2>&1 || { cat "$T/n2.out" >&2; tl_fail "-n after the fix"; }
kill -USR1 "$PD_PID"
n=0
until grep -q "configuration reloaded" "$T/scale.log"; do
	n=$((n + 1)); [ $n -le 100 ] || tl_fail "no reload"; sleep 0.1
done
mail 13 14 15 16
for k in 1 2 3 4; do
	grep -q "^$k accept .* ins=1 " "$T/mc.log" || { cat "$T/mc.log" "$T/scale.log" >&2; tl_fail "after the fix: message $k not signed"; }
done
pd_check 1 "$T/out/1.eml" "$T/out/2.eml" "$T/out/3.eml" "$T/out/4.eml"
pd_stop "$PD_PID" || tl_fail "postdkim did not stop cleanly"
tl_note "after the fix and a reload: the 4 domains are signed"

# 100,000 lines: headers and messages cost the same as with one domain.
N=100000
mktables "$T/big" $N
sed -e "s|$T/t/|$T/big/|g" -e "s|$T/pd.sock|$T/big.sock|" "$T/scale.conf" > "$T/big.conf"
pd_zone s "d$((N - 1)).example" "k$(((N - 1) % 3))"
pd_start big "$T/big.conf"
$PY - "$T/many.eml" <<'PYEOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("From: someone@outside.example\n")
    for i in range(2000):
        f.write("X-H%d: v\n" % i)
    f.write("Subject: many headers\n\nbody\n")
PYEOF
t0=$(date +%s%N)
"$MCLIENT" -s "unix:$T/big.sock" --client-addr 192.0.2.7 "$T/many.eml" > /dev/null 2> "$T/many.log" \
    || { cat "$T/many.log" >&2; tl_fail "external message failed"; }
t1=$(date +%s%N)
grep -q '^1 accept .* ins=0 ' "$T/many.log" || { cat "$T/many.log" >&2; tl_fail "external message not passed untouched"; }
ms=$(( (t1 - t0) / 1000000 ))
# A guard against a table walk per header (21 s before indexing), not a speed target.
[ "$ms" -lt 5000 ] || tl_fail "2,000 headers with a 100,000-line table took $ms ms"
printf 'From: u@d%s.example\nTo: x@example.net\nSubject: last\n\nbody\n' $((N - 1)) > "$T/last.eml"
"$MCLIENT" -s "unix:$T/big.sock" "$T/last.eml" > "$T/last.out" 2> "$T/last.log" \
    || { cat "$T/last.log" >&2; tl_fail "last-domain message failed"; }
grep -q '^1 accept .* ins=1 ' "$T/last.log" || { cat "$T/last.log" "$T/big.log" >&2; tl_fail "last domain not signed"; }
pd_check 1 "$T/last.out"
pd_stop "$PD_PID" || tl_fail "postdkim did not stop cleanly"
tl_note "100,000 domains: 2,000-header external message in $ms ms; the last domain signed"
tl_note "ok"
