#!/bin/sh
# dnssec.sh - dkimrotate asks a zone's SOA, its NS and their addresses
# through postdkim's own resolver, DNSSEC-validated with TrustAnchorFile.
# signed.org is signed by the primary (Knot) and transferred signed by the
# secondary; its NS, ns1 and ns2.signed.org, are the two servers on port 53
# of loopback addresses of their own (NS records hold no port); there is no
# RotateAuthoritative, so the servers checked are the ones the validated NS
# name. With signed.org's key as trust anchor, d1.signed.org rotates to its
# new selector under load (a lagging secondary, found through the NS,
# holds the switch back meanwhile). With another key as anchor (other.org's
# KSK, also Knot-made), run publishes nothing for d2.signed.org: the domain
# waits, status says DNSSEC validation failed, the old key keeps signing;
# with the right anchor back, the next run publishes.
set -eu
DNS_SIGNED_ZONES="signed.org other.org"
DNS_LISTEN_53=1
export DNS_SIGNED_ZONES DNS_LISTEN_53
# shellcheck disable=SC2034 # rotlib.sh reads it: no RotateAuthoritative
ROT_AUTHORITATIVE=
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

# ta ZONE FILE: the KSK ZONE serves, as a trust anchor for signed.org.
ta() {
	_k=$(kdig +short +time=2 +retry=1 @127.0.0.1 -p "$DNS_PRIMARY_PORT" DNSKEY "$1" | grep '^257 ') ||
	    rot_fail "$1 serves no KSK (DNSKEY flags 257)"
	printf '; the KSK %s serves\nsigned.org. IN DNSKEY %s\n' "$1" "$_k" > "$2"
}
ta signed.org "$T/ta.good"
ta other.org "$T/ta.wrong"
cmp -s "$T/ta.good" "$T/ta.wrong" && rot_fail "signed.org and other.org serve the same key"
cp "$T/ta.good" "$T/ta"
# Before any key record: the zone answers through a validating resolver.
kdig +dnssec +time=2 @"$DNS_SECONDARY_ADDR53" SOA signed.org | grep -q 'RRSIG' ||
    rot_fail "the secondary (port 53 of $DNS_SECONDARY_ADDR53) does not serve signed.org signed"

rot_key d1.signed.org old
rot_key d2.signed.org old
rot_conf "TrustAnchorFile	$T/ta"
! grep -q '^RotateAuthoritative' "$T/postdkim.conf" || rot_fail "RotateAuthoritative is set"
rot_daemon
rot_load_start 'sender@d%u.signed.org' 1:3
d2_old=$(lib_pubkey rsa "$T/keys/d2.signed.org/old.private")

# (a) The right anchor: a rotation through to the switch.
"$H" lag "$T/dns"
rot_ok start d1.signed.org
rot_ok run
new=$(rot_new_selector d1.signed.org old)
[ -n "$new" ] || rot_fail "run published no new selector for d1.signed.org"
# The servers checked are the NS's addresses, port 53: the lagging one is named.
rot_status_has d1.signed.org "$DNS_SECONDARY_ADDR53@53"
[ "$(rot_table_selector d1.signed.org)" = old ] || rot_fail "switched while the secondary lags"
"$H" catchup "$T/dns"
rot_until_switch d1.signed.org "$new"
rot_signs_with "$new" d1.signed.org

# (b) Another key as anchor: nothing is published, the domain waits, says why.
cp "$T/ta.wrong" "$T/ta"
rot_ok start d2.signed.org
rot_adv 1h
rot_err run
grep -q 'd2.signed.org: .*DNSSEC validation failed' "$T/rot.out" ||
    rot_fail "run does not say DNSSEC validation failed: $(cat "$T/rot.out")"
[ -z "$(rot_new_selector d2.signed.org old)" ] || rot_fail "a record was published through a bogus zone"
rot_status_has d2.signed.org "publishing .*DNSSEC validation failed"
rot_adv 1h
rot_err run
[ -z "$(rot_new_selector d2.signed.org old)" ] || rot_fail "a record was published through a bogus zone"
[ "$(rot_table_selector d2.signed.org)" = old ] || rot_fail "d2.signed.org left its old key"
[ "$(rot_p primary old._domainkey.d2.signed.org)" = "$d2_old" ] || rot_fail "d2's old record changed"
rot_signs_with old d2.signed.org
rot_no_secret

# The right anchor back: the waiting domain publishes.
cp "$T/ta.good" "$T/ta"
rot_adv 1h
rot_ok run
[ -n "$(rot_new_selector d2.signed.org old)" ] || rot_fail "no record published once the anchor is right"
sleep 1
rot_load_stop --expect-switch
rot_note ok
