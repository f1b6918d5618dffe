#!/bin/sh
# delegated.sh - RotateDelegate provider.test (as Microsoft 365 does): the
# customer published once selector1/selector2._domainkey.customer.test as
# CNAMEs to selectorN.customer.test.provider.test; rotation alternates the
# two selectors and only ever updates provider.test (customer.test's serial
# does not move); signatures verify through the CNAMEs on both servers.
# status names a customer whose CNAMEs are missing.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

ROT_DELEGATE=provider.test
for s in selector1 selector2; do
	"$H" cname "$T/dns" $s._domainkey.customer.test $s.customer.test.provider.test. || rot_fail "CNAME"
done
ROT_RECORD_NAME=selector1.customer.test.provider.test rot_key customer.test selector1
# A second customer who never published the CNAMEs.
ROT_RECORD_NAME=selector1.nocname.customer.test.provider.test rot_key nocname.customer.test selector1
rot_conf "RotateDelegate	provider.test"
rot_daemon
rot_load_start sender@customer.test
serial() {
	kdig +short @127.0.0.1 -p "$DNS_PRIMARY_PORT" SOA customer.test | awk '{print $3}'
}
s0=$(serial)
rot_status_has nocname.customer.test "cname|missing|selector1._domainkey"
rot_ok start customer.test
rot_ok run
[ -n "$(rot_p primary selector2.customer.test.provider.test | grep -v '^-$')" ] ||
    rot_fail "the new key is not at selector2.customer.test.provider.test"
rot_adv 1h
rot_ok run
[ "$(rot_table_selector customer.test)" = selector2 ] || rot_fail "no switch to selector2"
rot_signs_with selector2 customer.test
[ "$(serial)" = "$s0" ] || rot_fail "dkimrotate updated the customer's zone"
for s in selector1 selector2; do
	[ "$(kdig +short @127.0.0.1 -p "$DNS_PRIMARY_PORT" CNAME $s._domainkey.customer.test)" = "$s.customer.test.provider.test." ] ||
	    rot_fail "the customer's CNAME $s changed"
done
sleep 1
rot_load_stop --expect-switch
rot_note ok
