#!/bin/sh
# emergency.sh - emergency DOMAIN (a compromised key): the new record is
# published at once, the switch comes as soon as it is visible on both
# servers, and the old record is revoked right after the confirmed switch,
# without RotateRetireAfter's 7 days. No unseen selector is ever signed with.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

rot_begin
rot_ok emergency example.com
new=$(rot_new_selector example.com old)
if [ -z "$new" ]; then
	rot_ok run
	new=$(rot_new_selector example.com old)
fi
[ -n "$new" ] || rot_fail "emergency published nothing"
i=0
while [ "$(rot_table_selector example.com)" = old ]; do
	i=$((i + 1))
	[ $i -le 3 ] || rot_fail "no switch after 3 runs with the record visible"
	"$H" sync "$T/dns"
	rot_adv 1m
	rot_ok run
done
rot_signs_with "$new" example.com
for i in 1 2 3; do
	[ -n "$(rot_p primary old._domainkey.example.com)" ] || break
	rot_adv 1m
	rot_ok run
done
rot_wait_p primary old._domainkey.example.com ""
rot_wait_p secondary old._domainkey.example.com ""
sleep 1
rot_load_stop --expect-switch
rot_note ok
