#!/bin/sh
# delegated.sh - RotateDelegate provider.net (as Microsoft 365 does): the
# customer published once selector1/selector2._domainkey.customer.org as
# CNAMEs to selectorN.customer.org.provider.net; rotation alternates the
# two selectors and only ever updates provider.net (customer.org's serial
# does not move); signatures verify through the CNAMEs on both servers.
# status names a customer whose CNAMEs are missing.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

# shellcheck disable=SC2034 # rotlib.sh reads it
ROT_DELEGATE=provider.net
for s in selector1 selector2; do
	"$H" cname "$T/dns" $s._domainkey.customer.org $s.customer.org.provider.net. || rot_fail "CNAME"
done
ROT_RECORD_NAME=selector1.customer.org.provider.net rot_key customer.org selector1
# A second customer who never published the CNAMEs.
ROT_RECORD_NAME=selector1.nocname.customer.org.provider.net rot_key nocname.customer.org selector1
rot_conf "RotateDelegate	provider.net"
rot_daemon
rot_load_start sender@customer.org
serial() {
	kdig +short @127.0.0.1 -p "$DNS_PRIMARY_PORT" SOA customer.org | awk '{print $3}'
}
s0=$(serial)
rot_status_has nocname.customer.org "cname|missing|selector1._domainkey"
rot_ok start customer.org
rot_ok run
[ -n "$(rot_p primary selector2.customer.org.provider.net | grep -v '^-$')" ] ||
    rot_fail "the new key is not at selector2.customer.org.provider.net"
rot_until_switch customer.org selector2
rot_signs_with selector2 customer.org
[ "$(serial)" = "$s0" ] || rot_fail "dkimrotate updated the customer's zone"
for s in selector1 selector2; do
	[ "$(kdig +short @127.0.0.1 -p "$DNS_PRIMARY_PORT" CNAME $s._domainkey.customer.org)" = "$s.customer.org.provider.net." ] ||
	    rot_fail "the customer's CNAME $s changed"
done
sleep 1
rot_load_stop --expect-switch
rot_note ok
