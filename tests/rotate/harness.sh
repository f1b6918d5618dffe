#!/bin/sh
# harness.sh - proves dnsharness.sh with Knot's own clients (knsupdate, kdig):
# a TSIG-signed update reaches both servers, over UDP and TCP; a record of
# 1,000 bytes comes back in 255-byte strings; a lagging secondary keeps the
# old answer until it catches up; a refused key changes nothing; a stopped
# server answers nothing and serves its zones again when started.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
H=$here/dnsharness.sh
NAME=$(basename "$0")

fail() {
	echo "$NAME: FAIL: $*" >&2
	exit 1
}

if ! command -v knotd >/dev/null 2>&1 && ! [ -x /usr/sbin/knotd ]; then
	[ -z "${CI:-}" ] || fail "knotd missing in CI (Debian package knot)"
	echo "SKIP: knotd not installed (apt-get install knot knot-dnsutils)"
	exit 77
fi

# shellcheck disable=SC2034 # lib_cleanup reads it by name
PIDS=
lib_tmpdir dnsharness PIDS TERM
trap '"$H" stop "$T/dns" >/dev/null 2>&1 || :; lib_cleanup' EXIT
"$H" start "$T/dns" || fail "the servers did not start"
. "$T/dns/env"
grep -q '^key "rotate-key" {' "$DNS_TSIG_KEY" && grep -q 'algorithm hmac-sha256;' "$DNS_TSIG_KEY" ||
    fail "key file not in BIND's form"

# get SERVER NAME: the TXT answer of one server (UDP, then the same over TCP).
get() {
	_u=$("$H" get "$T/dns" "$1" "$2" 2>/dev/null)
	_t=$(DNS_TCP=1 "$H" get "$T/dns" "$1" "$2" 2>/dev/null)
	[ "$_u" = "$_t" ] || fail "$1 answers $2 differently over UDP and TCP"
	printf '%s' "$_u"
}

long="v=DKIM1; k=rsa; p=$(head -c 750 /dev/urandom | base64 -w0)"
"$H" txt "$T/dns" sel1._domainkey.example.com "$long" || fail "signed update refused"
[ "$(get primary sel1._domainkey.example.com)" = "$long" ] || fail "primary: record not as sent"
kdig @127.0.0.1 -p "$DNS_PRIMARY_PORT" +tcp TXT sel1._domainkey.example.com > "$T/kdig.out"
n=$(grep -o '" "' "$T/kdig.out" | wc -l)
[ "$n" -eq 3 ] || fail "a record of ${#long} bytes in $((n + 1)) strings, not 4"
"$H" sync "$T/dns"
[ "$(get secondary sel1._domainkey.example.com)" = "$long" ] || fail "secondary did not get the update"

# The other zones: the delegated sub-zone and the provider's zone.
"$H" txt "$T/dns" s._domainkey.sub.example.com "v=DKIM1; p=sub" || fail "update of sub.example.com"
"$H" cname "$T/dns" selector1._domainkey.customer.org selector1.customer.org.provider.net. ||
    fail "CNAME update"
kdig +short @127.0.0.1 -p "$DNS_PRIMARY_PORT" SOA s._domainkey.sub.example.com > "$T/soa" 2>&1 || :
kdig @127.0.0.1 -p "$DNS_PRIMARY_PORT" SOA _domainkey.sub.example.com | grep -q 'sub.example.com.*SOA' ||
    fail "the SOA of _domainkey.sub.example.com is not sub.example.com's"

# Lag: the secondary keeps the old answer until it catches up.
"$H" lag "$T/dns"
"$H" txt "$T/dns" sel2._domainkey.example.com "v=DKIM1; p=new"
sleep 3
[ "$(get primary sel2._domainkey.example.com)" = "v=DKIM1; p=new" ] || fail "primary lost the update"
[ -z "$(get secondary sel2._domainkey.example.com)" ] || fail "the lagging secondary got the update"
"$H" catchup "$T/dns"
[ "$(get secondary sel2._domainkey.example.com)" = "v=DKIM1; p=new" ] || fail "the secondary did not catch up"

# A refused key: the update fails with BADSIG and changes nothing.
"$H" refuse-tsig "$T/dns"
if "$H" txt "$T/dns" sel3._domainkey.example.com "v=DKIM1; p=refused" 2>"$T/refused"; then
	fail "an update was taken with a key the server does not know"
fi
grep -q BADSIG "$T/refused" || fail "refused, but not for the key: $(cat "$T/refused")"
[ -z "$(get primary sel3._domainkey.example.com)" ] || fail "the refused update is published"
"$H" accept-tsig "$T/dns"
"$H" txt "$T/dns" sel3._domainkey.example.com "v=DKIM1; p=ok" || fail "key not accepted again"
# The wrong key file names the same key with another secret.
printf 'server 127.0.0.1 %s\nzone example.com.\nadd x.example.com. 60 TXT "x"\nsend\n' \
    "$DNS_PRIMARY_PORT" > "$T/upd"
wrong=$(sed -n 's/.*secret "\(.*\)";/\1/p' "$DNS_TSIG_WRONG")
if knsupdate -y "hmac-sha256:$DNS_TSIG_NAME:$wrong" -t 5 < "$T/upd" > "$T/wrong" 2>&1; then
	fail "the wrong key was accepted"
fi

# Server down, then back with its zones and updates.
"$H" stop-secondary "$T/dns"
[ -z "$(get secondary sel1._domainkey.example.com)" ] || fail "a stopped server answered"
"$H" start-secondary "$T/dns"
"$H" stop-primary "$T/dns"
"$H" start-primary "$T/dns"
"$H" sync "$T/dns"
for s in primary secondary; do
	[ "$(get $s sel3._domainkey.example.com)" = "v=DKIM1; p=ok" ] || fail "$s lost an update across a restart"
done
# A wrong record (someone else's key) replaces the right one.
"$H" txt "$T/dns" sel3._domainkey.example.com "v=DKIM1; p=wrong"
[ "$(get primary sel3._domainkey.example.com)" = "v=DKIM1; p=wrong" ] || fail "the wrong record is not served"
"$H" txt "$T/dns" sel3._domainkey.example.com
[ -z "$(get primary sel3._domainkey.example.com)" ] || fail "a deleted record is served"
echo "$NAME: ok"
