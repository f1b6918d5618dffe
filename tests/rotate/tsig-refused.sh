#!/bin/sh
# tsig-refused.sh - the primary refuses the TSIG key (BADSIG): run exits
# non-zero, nothing is published or switched, status says why, the old key
# keeps signing; accepted again, the rotation goes on. A TSIG key file others
# may read, or with the wrong secret, is refused; no secret is ever shown.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

rot_begin
"$H" refuse-tsig "$T/dns"
rot_ok start example.com
rot_err run
[ -z "$(rot_new_selector example.com old)" ] || rot_fail "published with a refused key"
rot_adv 1h
rot_err run
[ "$(rot_table_selector example.com)" = old ] || rot_fail "switched without a published record"
rot_status_has example.com "tsig|badsig|refus|notauth|denied|fail"
rot_signs_with old example.com
"$H" accept-tsig "$T/dns"
# The key file's safety: readable by others is refused, naming the file.
chmod 644 "$T/keys/tsig.key"
rot_err run
grep -q "$T/keys/tsig.key" "$T/rot.out" || rot_fail "an unsafe TSIG key file is not named: $(cat "$T/rot.out")"
[ -z "$(rot_new_selector example.com old)" ] || rot_fail "published with an unsafe TSIG key file"
chmod 600 "$T/keys/tsig.key"
# The wrong secret.
sed -i "s|^RotateTSIGKey.*|RotateTSIGKey	$T/keys/wrong.key|" "$T/postdkim.conf"
rot_err run
[ -z "$(rot_new_selector example.com old)" ] || rot_fail "published with the wrong secret"
sed -i "s|^RotateTSIGKey.*|RotateTSIGKey	$T/keys/tsig.key|" "$T/postdkim.conf"
rot_adv 1h
rot_ok run
new=$(rot_new_selector example.com old)
[ -n "$new" ] || rot_fail "nothing published once the key is accepted"
rot_until_switch example.com "$new" "no switch once the key is accepted"
rot_signs_with "$new" example.com
rot_no_secret
sleep 1
rot_load_stop --expect-switch
rot_note ok
