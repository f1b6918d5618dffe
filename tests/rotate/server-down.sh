#!/bin/sh
# server-down.sh - the primary down when dkimrotate publishes: run exits
# non-zero, nothing switches; the secondary down while the record is
# checked: runs exit 0 and wait (status names the server); both back, the
# rotation completes. The old key signs throughout.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

rot_begin
"$H" stop-primary "$T/dns"
rot_ok start example.com
rot_err run
[ "$(rot_table_selector example.com)" = old ] || rot_fail "switched with the primary down"
"$H" start-primary "$T/dns"
rot_adv 1h
rot_ok run
new=$(rot_new_selector example.com old)
[ -n "$new" ] || rot_fail "nothing published once the primary is back"
"$H" stop-secondary "$T/dns"
rot_no_switch 4 6h example.com "switched while the secondary is down"
rot_status_has example.com "$DNS_SECONDARY_PORT|secondary|down|timeout|wait|unreach"
rot_signs_with old example.com
"$H" start-secondary "$T/dns"
"$H" sync "$T/dns"
rot_until_switch example.com "$new" "no switch once both servers are back"
rot_signs_with "$new" example.com
sleep 1
rot_load_stop --expect-switch
rot_note ok
