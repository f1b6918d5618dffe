#!/bin/sh
# postdkim-ldap.sh - KeyTable and SigningTable in LDAP, through the real
# daemon and a private slapd (tests/ldap/ldapharness.sh): OpenDKIM's layout
# (README.LDAP: people and units carrying DKIMSelector, DKIMKey...) over
# ldap: with a simple bind (also with StartTLS, and over ldaps:), Zimbra's (domain entries, a search from the
# root) over an ldapi: socket of its own with SASL EXTERNAL, $d and $D in a
# base DN, LDAPDisableCache, a hung slapd. $d is escaped:
# a sender cannot widen the filter. With slapd stopped, cached entries keep
# signing, uncached domains are tempfailed, foreign mail passes; after the
# restart everything signs. -n binds and names the server; with a wrong
# password it names the server's error, and the password is in no output.
# slapd returns at most 5 entries a search (sizelimit 5, as its default
# 500 on a large directory): -n reads a larger table page by page (RFC 2696)
# where the server lets it, and otherwise names the setting to change.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

H=$(cd "$TESTS_SRCDIR/../ldap" && pwd)/ldapharness.sh
[ -x /usr/sbin/slapd ] || tl_skip "slapd not installed (apt-get install slapd ldap-utils)"
command -v ldapadd >/dev/null 2>&1 || tl_skip "ldapadd not installed (apt-get install ldap-utils)"
LD=$(mktemp -d "${TMPDIR:-/tmp}/postdkim-ldap.XXXXXX")
trap '"$H" stop "$LD"; lib_cleanup' EXIT
LDAP_SIZELIMIT=5 "$H" start "$LD" || tl_fail "slapd did not start"
. "$LD/env"

# ldif FILE: add entries as the directory's administrator.
ldif() {
	ldapadd -x -H "$LDAPI_URI" -D "$LDAP_ROOTDN" -w "$LDAP_ROOTPW" -f "$1" > "$T/ldapadd.log" 2>&1 ||
		{ cat "$T/ldapadd.log" >&2; tl_fail "ldapadd $1"; }
}
# b64 FILE: the file in base64 on one line.
b64() {
	base64 -w 0 < "$1"
}

pd_key k1 rsa
pd_key k2 rsa
pd_key k3 ed25519
pd_zone alice-2011 bar.example.com k1
pd_zone foo-2011 foo.example.com k2
pd_zone 4d2c1f0e zimbra.example k3
pd_zone 9a8b7c6d late.example k3

# OpenDKIM's layout (contrib/ldap/example.com.ldif), with keys of our own.
cat > "$T/odkim.ldif" <<EOF
dn: ou=bar,ou=people,dc=example,dc=com
objectClass: organizationalUnit
ou: bar

dn: uniqueIdentifier=alice@bar.example.com,ou=bar,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
objectClass: extensibleObject
objectClass: DKIM
cn: Alice
sn: Alice
uid: alice
uniqueIdentifier: alice@bar.example.com
mail: alice@bar.example.com
DKIMSelector: alice-2011
DKIMDomain: bar.example.com
DKIMIdentity: alice@bar.example.com
DKIMKey:: $(b64 "$T/k1.key")

dn: ou=foo,ou=people,dc=example,dc=com
objectClass: organizationalUnit
objectClass: DKIM
ou: foo
DKIMSelector: foo-2011
DKIMDomain: foo.example.com
DKIMIdentity: foo.example.com
DKIMKey:: $(b64 "$T/k2.key")
EOF
ldif "$T/odkim.ldif"
# Zimbra's layout: the domain entry carries its DKIM attributes.
zdomain() {
	cat <<EOF
dn: dc=$1,ou=domains,dc=example,dc=com
objectClass: dcObject
objectClass: organizationalUnit
objectClass: dkimTestDomain
dc: $1
ou: $1
dkimTestDomainName: $1.example
DKIMSelector: $2
DKIMDomain: $1.example
DKIMIdentity: $1.example
DKIMKey:: $(b64 "$T/k3.key")
EOF
}
zdomain zimbra 4d2c1f0e > "$T/zimbra.ldif"
ldif "$T/zimbra.ldif"

# OpenDKIM's README.LDAP lines (the trailing ',' included).
cat > "$T/a.conf" <<EOF
SigningTable	$LDAP_URI/ou=people,dc=example,dc=com?DKIMSelector?sub?(DKIMIdentity=\$d)
KeyTable	$LDAP_URI/ou=people,dc=example,dc=com?DKIMDomain,DKIMSelector,DKIMKey,?sub?(DKIMSelector=\$d)
LDAPBindUser	$LDAP_BINDDN
LDAPBindPassword	$LDAP_BINDPW
LDAPKeepaliveIdle	60
LDAPKeepaliveProbes	3
LDAPKeepaliveInterval	10
DatabaseCacheTTL	1
Socket	local:$T/a.sock
Syslog	no
SyslogSuccess	yes
EOF
# Zimbra's lines, but over the test's own ldapi: socket, bound with SASL EXTERNAL.
cat > "$T/z.conf" <<EOF
SigningTable	$LDAPI_URI/?DKIMSelector?sub?(DKIMIdentity=\$d)
KeyTable	$LDAPI_URI/?DKIMDomain,DKIMSelector,DKIMKey?sub?(DKIMSelector=\$d)
LDAPAuthMechanism	EXTERNAL
LDAPTimeout	2
Socket	local:$T/z.sock
Syslog	no
EOF

# $d in the base, scope base: a key without an entry (noSuchObject) has none.
cat > "$T/b.conf" <<EOF
SigningTable	$LDAP_URI/ou=\$d,ou=domains,dc=example,dc=com?DKIMSelector?base
KeyTable	$LDAP_URI/ou=domains,dc=example,dc=com?DKIMDomain,DKIMSelector,DKIMKey?sub?(DKIMSelector=\$d)
LDAPBindUser	$LDAP_BINDDN
LDAPBindPassword	$LDAP_BINDPW
Socket	local:$T/b.sock
Syslog	no
EOF
cat > "$T/base.ldif" <<EOF
dn: ou=base.example,ou=domains,dc=example,dc=com
objectClass: organizationalUnit
objectClass: DKIM
ou: base.example
DKIMSelector: b1
DKIMDomain: base.example
DKIMKey:: $(b64 "$T/k1.key")
EOF
ldif "$T/base.ldif"
pd_zone b1 base.example k1
# $D: the key as dc= parts, the base itself (foo.example.com is
# dc=foo,dc=example,dc=com), its description the selector; the KeyTable is a's.
cat > "$T/dc.ldif" <<EOF
dn: dc=foo,dc=example,dc=com
objectClass: domain
dc: foo
description: foo-2011
EOF
ldif "$T/dc.ldif"
{ printf 'SigningTable\t%s/$D?description?base\n' "$LDAP_URI"; grep -v '^SigningTable' "$T/a.conf" |
    sed "s/a.sock/d.sock/"; } > "$T/d.conf"
# LDAPDisableCache: every lookup asks the server.
{ sed "s/z.sock/u.sock/" "$T/z.conf"; printf 'LDAPDisableCache\tyes\n'; } > "$T/u.conf"

# nopw FILE...: neither password (the right one, the wrong one) in any of them.
nopw() {
	for f in "$@"; do
		! grep -F -e "$LDAP_BINDPW" -e 'Wr0ng:pw' "$f" || tl_fail "$f shows a password"
	done
}
# postdkim -n binds, runs a lookup per table and names the server.
"$POSTDKIM" -n -c "$T/a.conf" > "$T/n.log" 2>&1 || { cat "$T/n.log" >&2; tl_fail "postdkim -n"; }
grep -q "LDAP server $LDAP_URI, bound as $LDAP_BINDDN" "$T/n.log" ||
	{ cat "$T/n.log" >&2; tl_fail "-n: no server named"; }
"$POSTDKIM" -n -c "$T/z.conf" > "$T/n-z.log" 2>&1 || { cat "$T/n-z.log" >&2; tl_fail "postdkim -n (ldapi:)"; }
grep -q "with SASL EXTERNAL" "$T/n-z.log" || { cat "$T/n-z.log" >&2; tl_fail "-n (ldapi:): no SASL bind named"; }
# A wrong password: the server's error, not the password.
sed "s/^LDAPBindPassword.*/LDAPBindPassword	Wr0ng:pw/; s/a.sock/e.sock/" "$T/a.conf" > "$T/bad.conf"
"$POSTDKIM" -n -c "$T/bad.conf" > "$T/n-bad.log" 2>&1 && tl_fail "-n accepts a wrong password"
grep -q "Invalid credentials (49)" "$T/n-bad.log" || { cat "$T/n-bad.log" >&2; tl_fail "-n: no server error"; }
grep -q "$LDAP_URI" "$T/n-bad.log" || { cat "$T/n-bad.log" >&2; tl_fail "-n: the server is not named"; }
# A password in the URL is refused, and not shown.
sed "s|^KeyTable	ldap://|KeyTable	ldap://u:Wr0ng:pw@|" "$T/a.conf" > "$T/urlpw.conf"
"$POSTDKIM" -n -c "$T/urlpw.conf" > "$T/n-urlpw.log" 2>&1 && tl_fail "-n accepts a password in an LDAP URL"
grep -q "KeyTable.*LDAPBindPassword" "$T/n-urlpw.log" || { cat "$T/n-urlpw.log" >&2; tl_fail "URL password: no error"; }
# StartTLS (LDAPUseTLS) on ldap:, and ldaps:: the server's certificate is
# checked (libldap trusts the test's CA through LDAPTLS_CACERT only).
{ sed "s/a.sock/t.sock/" "$T/a.conf"; printf 'LDAPUseTLS\tyes\n'; } > "$T/t.conf"
sed "s|$LDAP_URI|$LDAPS_URI|; s/a.sock/s.sock/" "$T/a.conf" > "$T/s.conf"
env -u LDAPTLS_CACERT "$POSTDKIM" -n -c "$T/t.conf" > "$T/n-t0.log" 2>&1 &&
	tl_fail "-n: StartTLS with an untrusted certificate accepted"
grep -q "Connect error" "$T/n-t0.log" || { cat "$T/n-t0.log" >&2; tl_fail "-n: no TLS error named"; }
LDAPTLS_CACERT=$LDAP_CACERT
export LDAPTLS_CACERT
"$POSTDKIM" -n -c "$T/t.conf" > "$T/n-t.log" 2>&1 || { cat "$T/n-t.log" >&2; tl_fail "postdkim -n (StartTLS)"; }
"$POSTDKIM" -n -c "$T/s.conf" > "$T/n-s.log" 2>&1 || { cat "$T/n-s.log" >&2; tl_fail "postdkim -n (ldaps:)"; }
grep -q "LDAP server $LDAPS_URI" "$T/n-s.log" || { cat "$T/n-s.log" >&2; tl_fail "-n (ldaps:): no server named"; }
# More entries than the server returns to one search: -n reads them all,
# in pages, as the service account (allowed to page past the limit).
bulk() {
	printf '\ndn: ou=d%s.bulk.example,ou=bulk,dc=example,dc=com\n' $1
	printf 'objectClass: organizationalUnit\nobjectClass: DKIM\nou: d%s.bulk.example\n' $1
	printf 'DKIMSelector: s%s\nDKIMDomain: d%s.bulk.example\nDKIMIdentity: d%s.bulk.example\n' $1 $1 $1
	printf 'DKIMKey:: %s\n' "$2"
}
{ printf 'dn: ou=bulk,dc=example,dc=com\nobjectClass: organizationalUnit\nou: bulk\n'
  for i in 1 2 3 4 5 6 7 8; do bulk $i "$(b64 "$T/k1.key")"; done; } > "$T/bulk.ldif"
ldif "$T/bulk.ldif"
cat > "$T/big.conf" <<EOF
SigningTable	$LDAP_URI/ou=bulk,dc=example,dc=com?DKIMSelector?sub?(DKIMIdentity=\$d)
KeyTable	$LDAP_URI/ou=bulk,dc=example,dc=com?DKIMDomain,DKIMSelector,DKIMKey?sub?(DKIMSelector=\$d)
LDAPBindUser	$LDAP_BINDDN
LDAPBindPassword	$LDAP_BINDPW
Socket	local:$T/big.sock
Syslog	no
EOF
"$POSTDKIM" -n -c "$T/big.conf" > "$T/n-big.log" 2>&1 || { cat "$T/n-big.log" >&2; tl_fail "postdkim -n (8 entries, size limit 5)"; }
# A broken key in the last page is found: every entry was read.
bulk 9 "$(printf 'not a key' | base64)" > "$T/bulk9.ldif"
ldif "$T/bulk9.ldif"
"$POSTDKIM" -n -c "$T/big.conf" > "$T/n-big9.log" 2>&1 && tl_fail "-n (9 entries): the broken key is not found"
grep -q "d9.bulk.example.*key" "$T/n-big9.log" && ! grep -q "Size limit" "$T/n-big9.log" ||
	{ cat "$T/n-big9.log" >&2; tl_fail "-n (9 entries): the broken entry not named"; }
# An identity the server does not let page past the limit (SASL EXTERNAL
# here): -n fails, naming the server setting to change.
sed "s|$LDAP_URI/|$LDAPI_URI/|; /^LDAPBind/d; s/big.sock/bigx.sock/" "$T/big.conf" > "$T/bigx.conf"
printf 'LDAPAuthMechanism\tEXTERNAL\n' >> "$T/bigx.conf"
"$POSTDKIM" -n -c "$T/bigx.conf" > "$T/n-bigx.log" 2>&1 && tl_fail "-n passes past the server's size limit"
grep -q "Size limit exceeded (4).*limits dn.exact=.*size.prtotal=unlimited" "$T/n-bigx.log" ||
	{ cat "$T/n-bigx.log" >&2; tl_fail "-n: size limit: no setting named"; }
nopw "$T"/n*.log
tl_note "-n binds and names the server, or its error; reads 9 entries past a size limit of 5"

# start NAME: pd_start, then wait until the daemon accepts connections (its
# socket file appears before it listens).
start() {
	pd_start "$1" "$T/$1.conf"
	n=0
	until $PY -c 'import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' \
	    "$T/$1.sock" 2>/dev/null; do
		n=$((n + 1))
		[ $n -le 50 ] || { cat "$T/$1.log" >&2; tl_fail "postdkim ($1) does not accept connections"; }
		sleep 0.1
	done
}
start a
PDA=$PD_PID
start z
cp "$T/bad.conf" "$T/e.conf"
start e

H1='To: bob@example.org\nSubject: ldap\nDate: Tue, 14 Nov 2023 22:13:20 +0000\nMessage-ID: <1@x>\n'
printf 'From: Alice <alice@bar.example.com>\n'"$H1"'\nhello\n' > "$T/alice.eml"
printf 'From: bob@foo.example.com\n'"$H1"'\nhello\n' > "$T/foo.eml"
printf 'From: carol@bar.example.com\n'"$H1"'\nhello\n' > "$T/carol.eml"
printf 'From: *@bar.example.com\n'"$H1"'\nhello\n' > "$T/star.eml"
printf 'From: x@zimbra.example\n'"$H1"'\nhello\n' > "$T/zim.eml"
printf 'From: y@late.example\n'"$H1"'\nhello\n' > "$T/late.eml"
printf 'From: x@uncached.example\n'"$H1"'\nhello\n' > "$T/unc.eml"
printf 'From: eve@elsewhere.org\n'"$H1"'\nhello\n' > "$T/ext.eml"

pd_signed a-alice a alice.eml alice-2011 bar.example.com
pd_signed a-foo a foo.eml foo-2011 foo.example.com
pd_unsigned a-carol a carol.eml
# "*" from the sender is a character, not a wildcard of the filter.
pd_unsigned a-star a star.eml
pd_signed z-zim z zim.eml 4d2c1f0e zimbra.example
start b
printf 'From: x@base.example\n'"$H1"'\nhello\n' > "$T/base.eml"
pd_signed b-base b base.eml b1 base.example
pd_unsigned b-other b foo.eml
start u
start d
pd_signed d-foo d foo.eml foo-2011 foo.example.com
pd_unsigned d-carol d carol.eml
pd_signed u-zim u zim.eml 4d2c1f0e zimbra.example
start t
pd_signed t-alice t alice.eml alice-2011 bar.example.com
start s
pd_signed s-foo s foo.eml foo-2011 foo.example.com
tl_note "OpenDKIM's layout over ldap: (also StartTLS, ldaps:), Zimbra's over ldapi: with SASL EXTERNAL: signed"
# A wrong password: our mail is tempfailed, the log has the server's reason.
pd_tempfailed e-alice e alice.eml
grep -q 'Invalid credentials' "$T/e.log" || { cat "$T/e.log" >&2; tl_fail "wrong password: the log does not say why"; }
# libldap is opened at first use: a daemon with file: tables does not map it.
grep -q '/libldap' "/proc/$PDA/maps" || tl_fail "ldap: daemon: libldap not loaded"
printf 'k1 bar.example.com:alice-2011:%s\n' "$T/k1.key" > "$T/kt"
printf 'alice@bar.example.com k1\n' > "$T/st"
cat > "$T/p.conf" <<EOF
SigningTable	file:$T/st
KeyTable	file:$T/kt
Socket	local:$T/p.sock
Syslog	no
EOF
start p
pd_signed p-alice p alice.eml alice-2011 bar.example.com
! grep -q '/libldap' "/proc/$PD_PID/maps" || tl_fail "file: daemon: libldap loaded"
tl_note "libldap is mapped by the daemon whose tables need it only: VmRSS $(sed -n 's/^VmRSS:[^0-9]*//p' "/proc/$PD_PID/status") with file: tables, $(sed -n 's/^VmRSS:[^0-9]*//p' "/proc/$PDA/status") with ldap: ones"

# A domain added to the directory: z caches for 60 s (the default), so
# still "no entry"; a (TTL 1 s) sees entries added within the TTL.
pd_unsigned z-late0 z late.eml
pd_unsigned a-late0 a late.eml
zdomain late 9a8b7c6d > "$T/late.ldif"
ldif "$T/late.ldif"
sleep 1.3
pd_unsigned z-late1 z late.eml
# Without a cache: at once.
pd_signed u-late u late.eml 9a8b7c6d late.example

# slapd goes down: what is cached keeps signing (the TTL has passed: stale
# answers), what is not is tempfailed, mail from outside passes.
"$H" stop-slapd "$LD"
sleep 1.3
pd_signed a-down a alice.eml alice-2011 bar.example.com
pd_signed a-down2 a foo.eml foo-2011 foo.example.com
pd_signed z-down z zim.eml 4d2c1f0e zimbra.example
pd_tempfailed a-unc a unc.eml
pd_tempfailed z-unc z unc.eml
# Without a cache nothing is kept for the outage: tempfailed, never unsigned.
pd_tempfailed u-down u zim.eml
pd_send a-ext a ext.eml --client-addr 192.0.2.1
grep -q '^1 accept .* ins=0 ' "$T/a-ext.log" || { cat "$T/a-ext.log" >&2; tl_fail "foreign mail affected by the outage"; }
# -n with the server down names why.
"$POSTDKIM" -n -c "$T/a.conf" > "$T/n-down.log" 2>&1 && tl_fail "-n passes with slapd down"
grep -q "Can't contact LDAP server" "$T/n-down.log" || { cat "$T/n-down.log" >&2; tl_fail "-n: slapd down not named"; }
tl_note "slapd down: cached entries sign, uncached domains are tempfailed"
"$H" start-slapd "$LD"
n=0
until pd_send a-back a carol.eml && grep -q '^1 accept .* ins=0 ' "$T/a-back.log" &&
    pd_send a-unc2 a unc.eml && grep -q '^1 accept .* ins=0 ' "$T/a-unc2.log"; do
	n=$((n + 1))
	[ $n -le 30 ] || { cat "$T/a-unc2.log" "$T/a.log" >&2; tl_fail "no recovery after the restart"; }
	sleep 0.5
done
pd_signed a-back2 a alice.eml alice-2011 bar.example.com

# slapd hangs (stopped, its sockets still open): a lookup gives up after
# LDAPTimeout (2 s for z) and the mail is tempfailed, not held; cached
# domains still sign.
pd_signed z-pre z zim.eml 4d2c1f0e zimbra.example
kill -STOP "$(cat "$LD/slapd.run")"
t0=$(date +%s)
pd_tempfailed z-hang z unc.eml
t1=$(date +%s)
pd_signed z-hang2 z zim.eml 4d2c1f0e zimbra.example
kill -CONT "$(cat "$LD/slapd.run")"
[ $((t1 - t0)) -le 6 ] || tl_fail "a hung slapd held a lookup for $((t1 - t0)) s"
tl_note "slapd hung: lookups give up after LDAPTimeout ($((t1 - t0)) s)"
nopw "$T"/*.log
tl_note "ok"
