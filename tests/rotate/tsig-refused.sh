#!/bin/sh
# tsig-refused.sh - the primary refuses the TSIG key (BADSIG): run exits
# non-zero, nothing is published or switched, status says why, the old key
# keeps signing; accepted again, the rotation goes on. A TSIG key file others
# may read, or with the wrong secret, is refused, as is a name the primary's
# ACL denies the key; each refusal says the server's rcode and TSIG error;
# no secret is ever shown.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

# refused_says WHEN TEXT: the last run says the update was refused: TEXT.
refused_says() {
	grep -qF "refused by $DNS_PRIMARY: $2" "$T/rot.out" ||
	    rot_fail "$1: the refusal is not said as \"$2\": $(cat "$T/rot.out")"
}

rot_begin
"$H" refuse-tsig "$T/dns"
rot_ok start example.com
rot_err run
[ -z "$(rot_new_selector example.com old)" ] || rot_fail "published with a refused key"
refused_says "the key the primary refuses" "NOTAUTH (TSIG error BADSIG: the server's secret for the key is another)"
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
refused_says "the wrong secret" "NOTAUTH (TSIG error BADSIG: the server's secret for the key is another)"
sed -i "s|^RotateTSIGKey.*|RotateTSIGKey	$T/keys/tsig.key|" "$T/postdkim.conf"
# The right key, but the primary's ACL denies example.com's names (Knot
# answers NOTAUTH, TSIG error BADKEY).
"$H" allow-names "$T/dns" other.example.com
rot_adv 1h
rot_err run
[ -z "$(rot_new_selector example.com old)" ] || rot_fail "published a name the ACL denies"
refused_says "a name the ACL denies" "NOTAUTH (TSIG error BADKEY: key unknown, or not allowed for this name)"
"$H" allow-names "$T/dns"
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
