#!/bin/sh
# lagging.sh - one authoritative server lags: the new record is on the
# primary only, so runs over days exit 0, switch nothing, and status names
# what it waits for (the lagging server); once the secondary catches up, 2
# runs switch. Later the revocation lags the same way: the old key is not
# deleted while the lagging server still answers the old record, and
# RotateRevokeHold starts when every server answers the revocation.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

rot_begin
old_p=$(lib_pubkey rsa "$T/keys/example.com/old.private")
"$H" lag "$T/dns"
rot_ok start example.com
rot_ok run
new=$(rot_new_selector example.com old)
[ -n "$new" ] || rot_fail "nothing published"
[ "$(rot_p secondary "$new._domainkey.example.com")" = - ] || rot_fail "the secondary does not lag"
rot_no_switch 6 12h example.com "switched while the secondary does not serve $new"
rot_status_has example.com "$DNS_SECONDARY_PORT|secondary|lag|wait"
"$H" catchup "$T/dns"
rot_until_switch example.com "$new" "no switch once the secondary caught up"
rot_signs_with "$new" example.com
# The revocation lags too.
"$H" lag "$T/dns"
rot_adv 8d
rot_ok run
rot_wait_p primary old._domainkey.example.com ""
[ "$(rot_p secondary old._domainkey.example.com)" = "$old_p" ] || rot_fail "the secondary does not lag"
for i in 1 2 3 4; do
	rot_adv 1d
	rot_ok run
	[ -f "$T/keys/example.com/old.private" ] ||
	    rot_fail "old key deleted while the secondary still answers its record"
done
"$H" catchup "$T/dns"
rot_adv 1h
rot_ok run
rot_adv 2h
rot_ok run
[ -f "$T/keys/example.com/old.private" ] || rot_fail "old key deleted before RotateRevokeHold from the revocation seen everywhere"
rot_adv 2d
rot_ok run
rot_adv 1h
rot_ok run
"$H" sync "$T/dns"
rot_wait_p secondary old._domainkey.example.com -
rot_adv 1h
rot_ok run
[ ! -f "$T/keys/example.com/old.private" ] || rot_fail "the old key is never deleted"
sleep 1
rot_load_stop --expect-switch
rot_note ok
