#!/bin/sh
# unit-second-signature.sh - start --add ed25519: the Ed25519 key is made,
# published, seen on both servers, then its KeyTable entry (NAME-ed25519)
# and a twin of the domain's SigningTable line are added in one run with one
# reload, and postdkim signs with both keys (MultipleSignatures); the RSA
# key is untouched. start --drop ed25519: the lines go, postdkim signs with
# RSA only, and the Ed25519 record is retired, revoked and removed and its
# key deleted, as an old key is. Both need MultipleSignatures.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

rot_key example.com rsa1
rot_conf
rot_err start --add ed25519 example.com
grep -q 'MultipleSignatures' "$T/rot.out" || rot_fail "--add without MultipleSignatures: no reason given"
rot_conf "MultipleSignatures	yes"
rot_daemon
rot_load_start sender@example.com
cp "$T/keytable" "$T/kt.before"
cp "$T/signingtable" "$T/st.before"
rot_ok start --add ed25519 example.com
rot_ok start --add ed25519 example.com	# already adding: said, exit 0
rot_ok run
ed=$(rot_new_selector example.com rsa1)
[ -n "$ed" ] || rot_fail "no Ed25519 record published"
# The k= tag (a greedy ".*k=" could stop at a base64 value's end, "...k=").
[ "$(rot_txt primary "$ed._domainkey.example.com" | tr ';' '\n' | sed -n 's/^[[:space:]]*k=//p')" = ed25519 ] ||
    rot_fail "the record of $ed is not k=ed25519"
i=0
until grep -q -- '-ed25519' "$T/signingtable"; do
	i=$((i + 1))
	[ $i -le 3 ] || rot_fail "no second signature after 3 runs"
	"$H" sync "$T/dns"
	rot_adv 1h
	rot_ok run
done
grep -q "^rsa1._domainkey.example.com-ed25519	example.com:$ed:[^:]*\.private\$" "$T/keytable" ||
    rot_fail "no KeyTable entry for $ed: $(cat "$T/keytable")"
grep -q "^example.com rsa1._domainkey.example.com-ed25519\$" "$T/signingtable" ||
    rot_fail "no SigningTable twin: $(cat "$T/signingtable")"
[ "$(rot_table_selector example.com)" = rsa1 ] || rot_fail "the RSA entry changed"
grep -q "example.com:rsa1:" "$T/keytable" || rot_fail "the RSA entry is gone"
wait_until 200 sh -c "tail -n 20 '$T/load.log' | grep 'd=example.com;' | grep -q 's=$ed;'" ||
    rot_fail "postdkim does not sign with $ed"
rot_signs_with rsa1 example.com
rot_ok start --add ed25519 example.com
grep -q 'already signs with an Ed25519 key' "$T/rot.out" || rot_fail "a second --add was not refused"

# Removal.
rot_ok start --drop ed25519 example.com
# Nothing replaces a dropped key: no new selector (null), kind drop.
rot_ok status --json example.com
$PY - "$T/rot.out" "$ed" <<'EOF' || rot_fail "status --json during --drop: $(cat "$T/rot.out")"
import json, sys
o = [x for x in json.load(open(sys.argv[1])) if x["selector"] == sys.argv[2]]
sys.exit(not (len(o) == 1 and o[0]["kind"] == "drop" and o[0]["state"] == "visible" and
              o[0]["new_selector"] is None and sys.argv[2] in o[0]["waiting_for"]))
EOF
rot_ok run
! grep -q -- '-ed25519' "$T/keytable" "$T/signingtable" || rot_fail "the Ed25519 lines are still there"
cmp -s "$T/st.before" "$T/signingtable" || rot_fail "the SigningTable is not as it was"
[ -n "$(rot_p primary "$ed._domainkey.example.com")" ] || rot_fail "revoked before RotateRetireAfter"
key=$(ls "$T/keys/example.com/"example.com."$ed".private)
rot_adv 8d
rot_ok run
rot_wait_p secondary "$ed._domainkey.example.com" ""
rot_adv 2d
rot_ok run
rot_adv 1h
rot_ok run
rot_wait_p secondary "$ed._domainkey.example.com" -
[ ! -f "$key" ] || rot_fail "the Ed25519 key is still there"
rot_status_has example.com "rsa1.*idle"
rot_no_secret
rot_load_stop
rot_note ok
