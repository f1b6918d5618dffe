#!/bin/sh
# postdkim-verifyonly.sh - OpenDKIM's verify-only configurations load as a
# verifier: Debian's stock /etc/opendkim.conf (no Mode, so sv; no Domain,
# KeyFile or KeyTable) says once, in postdkim -n and in the daemon's log,
# that nothing is signed; the daemon verifies an inbound signed message
# (Authentication-Results added) and passes outbound mail untouched.
# Mode v with no key loads without that line; Mode s with no key is refused.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

DNSPY="$TESTS_SRCDIR/../dns/hostile-dns.py"
PORT=$($PY "$TESTS_SRCDIR/../freeport.py")
ME=$(id -un)

# Debian 12's /etc/opendkim.conf (opendkim 2.11.0~beta2-8), line for line;
# Socket, PidFile and UserID point into this test's directory and user.
cat > "$T/opendkim.conf" <<EOF
# This is a basic configuration for signing and verifying. It can easily be
# adapted to suit a basic installation. See opendkim.conf(5) and
# /usr/share/doc/opendkim/examples/opendkim.conf.sample for complete
# documentation of available configuration parameters.

Syslog			yes
SyslogSuccess		yes
#LogWhy			no

# Common signing and verification parameters. In Debian, the "From" header is
# oversigned, because it is often the identity key used by reputation systems
# and thus somewhat security sensitive.
Canonicalization	relaxed/simple
#Mode			sv
#SubDomains		no
OversignHeaders		From

# Signing domain, selector, and key (required). For example, perform signing
# for domain "example.com" with selector "2020" (2020._domainkey.example.com),
# using the private key stored in /etc/dkimkeys/example.private. More granular
# setup options can be found in /usr/share/doc/opendkim/README.opendkim.
#Domain			example.com
#Selector		2020
#KeyFile		/etc/dkimkeys/example.private

# In Debian, opendkim runs as user "opendkim". A umask of 007 is required when
# using a local socket with MTAs that access the socket as a non-privileged
# user (for example, Postfix). You may need to add user "postfix" to group
# "opendkim" in that case.
UserID			$ME
UMask			007

# Socket for the MTA connection (required). If the MTA is inside a chroot jail,
# it must be ensured that the socket is accessible. In Debian, Postfix runs in
# a chroot in /var/spool/postfix, therefore a Unix socket would have to be
# configured as shown on the last line below.
Socket			local:$T/pd.sock
#Socket			inet:8891@localhost
#Socket			inet:8891
#Socket			local:/var/spool/postfix/opendkim/opendkim.sock

PidFile			$T/pd.pid

# Hosts for which to sign rather than verify, default is 127.0.0.1. See the
# OPERATION section of opendkim(8) for more information.
#InternalHosts		192.168.0.0/16, 10.0.0.0/8, 172.16.0.0/12

# The trust anchor enables DNSSEC. In Debian, the trust anchor file is provided
# by the package dns-root-data.
TrustAnchorFile		/usr/share/dns/root.key
#Nameservers		127.0.0.1
EOF
# Where this machine has the stock file, the fixture follows it.
if [ -r /etc/opendkim.conf ]; then
	sed -e 's/^\(UserID\|Socket\|PidFile\)[ 	].*/\1/' /etc/opendkim.conf > "$T/stock.cmp"
	sed -e 's/^\(UserID\|Socket\|PidFile\)[ 	].*/\1/' "$T/opendkim.conf" > "$T/fixture.cmp"
	cmp -s "$T/stock.cmp" "$T/fixture.cmp" &&
	    tl_note "the fixture is /etc/opendkim.conf but for Socket, PidFile and UserID" ||
	    tl_note "/etc/opendkim.conf differs from Debian 12's: the fixture is Debian 12's"
fi
[ -r /usr/share/dns/root.key ] || tl_fail "/usr/share/dns/root.key missing (apt-get install dns-root-data)"

# postdkim -n: the stock file loads; one line says nothing is signed.
"$POSTDKIM" -n -c "$T/opendkim.conf" > "$T/n.out" 2>&1 ||
	{ cat "$T/n.out" >&2; tl_fail "postdkim -n refuses Debian's stock opendkim.conf"; }
[ "$(grep -c 'nothing is signed' "$T/n.out")" -eq 1 ] ||
	{ cat "$T/n.out" >&2; tl_fail "-n: not one line saying nothing is signed"; }
grep -q "opendkim.conf: configuration OK" "$T/n.out" || { cat "$T/n.out" >&2; tl_fail "-n: no OK line"; }
grep -q "every key loaded" "$T/n.out" && { cat "$T/n.out" >&2; tl_fail "-n speaks of keys"; }
[ "$(wc -l < "$T/n.out")" -eq 2 ] || { cat "$T/n.out" >&2; tl_fail "-n: more than two lines"; }
tl_note "-n: $(tr '\n' '|' < "$T/n.out")"

# Mode v with no key: loads, without the line (nothing to sign was asked);
# Mode s with no key: refused.
printf 'Mode v\nTrustAnchorFile /usr/share/dns/root.key\nSocket local:%s/v.sock\n' "$T" > "$T/v.conf"
"$POSTDKIM" -n -c "$T/v.conf" > "$T/v.out" 2>&1 || { cat "$T/v.out" >&2; tl_fail "Mode v without a key refused"; }
grep -qi warning "$T/v.out" && { cat "$T/v.out" >&2; tl_fail "Mode v without a key: a warning"; }
grep -q "configuration OK, verifying only" "$T/v.out" || { cat "$T/v.out" >&2; tl_fail "Mode v: -n does not say verifying only"; }
printf 'Mode s\n' > "$T/s.conf"
"$POSTDKIM" -n -c "$T/s.conf" > "$T/s.out" 2>&1 && tl_fail "Mode s without a key accepted"
grep -q "nothing to sign" "$T/s.out" || { cat "$T/s.out" >&2; tl_fail "Mode s without a key: no reason"; }

# The daemon, on the stock file with the test's DNS server and its trust anchor.
openssl genrsa -traditional -out "$T/rsa.pem" 2048 2>/dev/null
$PY - "$T" <<'EOP'
import base64, subprocess, sys
t = sys.argv[1]
der = subprocess.run(["openssl", "rsa", "-in", t + "/rsa.pem", "-pubout", "-outform", "DER"],
                     capture_output=True, check=True).stdout
with open(t + "/dnszone", "w") as z:
    z.write("rsa._domainkey.sender.example v=DKIM1; k=rsa; p=%s\n" % base64.b64encode(der).decode())
EOP
$PY "$DNSPY" "$PORT" "$T/dns.log" "$T/dnszone" secure.example "$T/ta" > "$T/dns.out" 2>&1 &
TL_PIDS="$TL_PIDS $!"
n=0
until grep -q ready "$T/dns.out" 2>/dev/null; do
	n=$((n + 1)); [ $n -le 100 ] || tl_fail "DNS server did not start"; sleep 0.1
done
sed -e "s|^#Nameservers.*|Nameservers		127.0.0.1@$PORT|" -e "s|^TrustAnchorFile.*|TrustAnchorFile		$T/ta|" \
    "$T/opendkim.conf" > "$T/pd.conf"
pd_start pd "$T/pd.conf"
[ "$(grep -c 'nothing is signed' "$T/pd.log")" -eq 1 ] ||
	{ cat "$T/pd.log" >&2; tl_fail "daemon: not one log line saying nothing is signed"; }

H='To: bob@ours.example\nSubject: verify only\nDate: Mon, 23 Nov 2026 19:00:00 +0000\nMessage-ID: <vo@sender.example>\n'
printf 'From: Sam <sam@sender.example>\n'"$H"'\nHello Bob.\n' > "$T/in.txt"
$PY - "$T" <<'EOP'
import sys
import dkim
t = sys.argv[1]
msg = open(t + "/in.txt", "rb").read().replace(b"\n", b"\r\n")
open(t + "/in.eml", "wb").write(dkim.sign(msg, b"rsa", b"sender.example",
                                          open(t + "/rsa.pem", "rb").read()) + msg)
EOP
printf 'From: Alice <alice@ours.example>\n'"$H"'\nour own mail\n' > "$T/out.eml"

# Inbound: verified, one Authentication-Results field with dkim=pass.
mkdir "$T/o-in" "$T/o-out"
"$MCLIENT" -s "unix:$T/pd.sock" --client-addr 192.0.2.1 --hostname mx.ours.example -o "$T/o-in" \
    "$T/in.eml" > "$T/in.log" || { cat "$T/in.log" >&2; tl_fail "inbound: mclient failed"; }
grep -q '^1 accept .* ins=1 ' "$T/in.log" || { cat "$T/in.log" "$T/pd.log" >&2; tl_fail "inbound: no field added"; }
head -n 1 "$T/o-in/1.eml" | grep -q '^Authentication-Results: mx.ours.example;' ||
	{ head -n 3 "$T/o-in/1.eml" >&2; tl_fail "inbound: no Authentication-Results at the top"; }
grep -q 'dkim=pass .*header.d=sender.example' "$T/o-in/1.eml" ||
	{ head -n 3 "$T/o-in/1.eml" >&2; tl_fail "inbound: not dkim=pass"; }
grep -c '^DKIM-Signature:' "$T/o-in/1.eml" | grep -qx 1 || tl_fail "inbound: a signature was added"
# Outbound (127.0.0.1, an InternalHosts client): not signed, nothing changed.
"$MCLIENT" -s "unix:$T/pd.sock" -o "$T/o-out" "$T/out.eml" > "$T/out.log" ||
	{ cat "$T/out.log" >&2; tl_fail "outbound: mclient failed"; }
grep -q '^1 accept .* ins=0 add=0 chg=0 del=0' "$T/out.log" ||
	{ cat "$T/out.log" "$T/pd.log" >&2; tl_fail "outbound: changed"; }
: > "$T/zone"
pd_check 0 "$T/o-out/1.eml"
tl_note "inbound: $(grep -o 'dkim=pass.*header.d=[a-z.]*' "$T/o-in/1.eml" | head -n 1); outbound untouched"
pd_stop "$PD_PID" || tl_fail "postdkim did not stop cleanly"

# On-NoSignature applies to unsigned mail even when no field is to be added
# (no AlwaysAddARHeader, no Authentication-Results in the message): the
# message is kept to its end, where the action is taken, by the milter and -t.
printf 'Mode v\nSocket local:%s/nr.sock\nNameservers 127.0.0.1@%s\nOn-NoSignature reject\n' \
    "$T" "$PORT" > "$T/nr.conf"
pd_start nr "$T/nr.conf"
printf 'From: Sam <sam@sender.example>\n'"$H"'\nnot signed\n' > "$T/unsigned.eml"
mkdir "$T/o-nr"
"$MCLIENT" -s "unix:$T/nr.sock" --client-addr 192.0.2.1 -o "$T/o-nr" "$T/unsigned.eml" \
    > "$T/nr-m.log" || { cat "$T/nr-m.log" >&2; tl_fail "On-NoSignature: mclient failed"; }
grep -q '^1 reject ' "$T/nr-m.log" ||
	{ cat "$T/nr-m.log" "$T/nr.log" >&2; tl_fail "On-NoSignature reject: unsigned mail not rejected"; }
"$POSTDKIM" -c "$T/nr.conf" -a 192.0.2.1 -t "$T/unsigned.eml" > /dev/null 2> "$T/nr-t.err" ||
	{ cat "$T/nr-t.err" >&2; tl_fail "On-NoSignature: -t failed"; }
grep -q 'action reject' "$T/nr-t.err" ||
	{ cat "$T/nr-t.err" >&2; tl_fail "On-NoSignature reject: -t does not say reject"; }
pd_stop "$PD_PID" || tl_fail "postdkim (On-NoSignature) did not stop cleanly"
tl_note "On-NoSignature reject: unsigned mail rejected by the milter and by -t"
tl_note "ok"
