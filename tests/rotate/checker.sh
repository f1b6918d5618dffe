#!/bin/sh
# checker.sh - proves the checking machinery of the rotation scenarios
# without dkimrotate: a rotation done by hand the right way (publish, wait
# for both servers, switch the KeyTable, SIGUSR1) passes sigcheck.py and
# rot_invariants; the same done the wrong way (switching while the
# secondary lags) is caught by both.
set -eu
# shellcheck disable=SC2034 # rotlib.sh reads it
ROT_NO_TOOL=1
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

rot_key example.com old
rot_conf
rot_daemon
rot_invariants
rot_load_start sender@example.com
sleep 2

# switch_to SEL: the KeyTable and SigningTable name SEL's key, postdkim reloads.
switch_to() {
	sed -i "s|:old:.*|:$1:$T/keys/example.com/$1.private|; s|^old\._domainkey|$1._domainkey|" "$T/keytable"
	sed -i "s/ old\._domainkey/ $1._domainkey/" "$T/signingtable"
	kill -USR1 "$PD_PID"
	rot_signs_with "$1" example.com
}

# The right way.
ROT_NOTABLES=1 rot_key example.com good
"$H" sync "$T/dns"
sleep 0.5
switch_to good
rot_invariants
sleep 2
rot_load_stop --expect-switch

# The wrong way: the secondary lags, the switch does not wait for it.
sed -i "s/:good:/:old:/; s/^good\._domainkey/old._domainkey/; s/ good\._domainkey/ old._domainkey/; s/good.private/old.private/" \
    "$T/keytable" "$T/signingtable"
kill -USR1 "$PD_PID"
"$H" lag "$T/dns"
rot_load_start sender@example.com
rot_signs_with old example.com
sleep 1
ROT_NOTABLES=1 rot_key example.com bad
switch_to bad
sleep 1
if (rot_invariants) > "$T/inv.out" 2>&1; then
	rot_fail "rot_invariants passed a switch to a selector the secondary does not serve"
fi
grep -q "bad._domainkey.example.com, which secondary does not answer" "$T/inv.out" ||
    rot_fail "rot_invariants: $(cat "$T/inv.out")"
rot_load_end
if rot_sigcheck; then
	rot_fail "sigcheck.py passed signatures the secondary could not verify"
fi
$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["unseen"] > 0 and any("secondary" in e["why"] for e in r["examples"]) else 1)' \
    "$T/sigcheck.json" || rot_fail "sigcheck.py: $(cat "$T/sigcheck.json")"
rot_note "ok (caught: $($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["unseen"])' "$T/sigcheck.json") unseen signatures)"
