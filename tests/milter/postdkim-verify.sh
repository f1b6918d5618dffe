#!/bin/sh
# postdkim-verify.sh - Mode sv through the milter protocol: mail that is not
# ours is verified with keys from a DNS server on loopback, and gets one
# Authentication-Results field at the top, read back with python3-authres.
# Messages are signed by dkimpy (RSA, Ed25519) and Mail::DKIM in all four
# canonicalizations, then tampered, unsigned, signed with a missing or
# revoked key or with rsa-sha1; Debian's opendkim signs (Mode s, through
# mclient) in all four canonicalizations; forged Authentication-Results fields (8 of
# 10 name us) are all removed and the 2 foreign ones kept; our own mail is
# still signed, not verified; with the DNS server gone, signed mail whose
# key is not cached is tempfailed (On-DNSError) within DNSTimeout.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"
$PY -c 'import authres, dns.message, nacl.signing' 2>/dev/null ||
	tl_skip "python3-authres, python3-dnspython and python3-nacl are needed"
perl -MMail::DKIM::Signer -e 1 2>/dev/null || tl_skip "libmail-dkim-perl is needed"
command -v opendkim >/dev/null 2>&1 || tl_skip "opendkim is needed (apt-get install opendkim)"

DNSPY="$TESTS_SRCDIR/../dns/hostile-dns.py"
MDKIM="$TESTS_SRCDIR/../unit/mdkim-sign.pl"
export MDKIM
PORT=$($PY "$TESTS_SRCDIR/../freeport.py")
ID=mx.verify.example

# The senders' keys, and the zone that publishes them.
openssl genrsa -traditional -out "$T/rsa.pem" 2048 2>/dev/null
$PY - "$T" <<'EOP'
import base64, os, subprocess, sys
import nacl.signing
t = sys.argv[1]
seed = os.urandom(32)
open(t + "/ed.seed", "wb").write(base64.b64encode(seed))
ed = base64.b64encode(nacl.signing.SigningKey(seed).verify_key.encode()).decode()
der = subprocess.run(["openssl", "rsa", "-in", t + "/rsa.pem", "-pubout", "-outform", "DER"],
                     capture_output=True, check=True).stdout
rsa = base64.b64encode(der).decode()
with open(t + "/dnszone", "w") as z:
    z.write("rsa._domainkey.sender.example v=DKIM1; k=rsa; p=%s\n" % rsa)
    z.write("fresh._domainkey.sender.example v=DKIM1; k=rsa; p=%s\n" % rsa)
    z.write("ed._domainkey.sender.example v=DKIM1; k=ed25519; p=%s\n" % ed)
    z.write("revoked._domainkey.sender.example v=DKIM1; k=rsa; p=\n")
    z.write("testing._domainkey.sender.example v=DKIM1; k=rsa; t=y; p=%s\n" % rsa)
    z.write("rsa._domainkey.secure.example v=DKIM1; k=rsa; p=%s\n" % rsa)
    z.write("bogus._domainkey.secure.example v=DKIM1; k=rsa; p=%s\n" % rsa)
EOP
$PY "$DNSPY" "$PORT" "$T/dns.log" "$T/dnszone" secure.example "$T/ta" > "$T/dns.out" 2>&1 &
DNS_PID=$!
TL_PIDS="$TL_PIDS $DNS_PID"
n=0
until grep -q ready "$T/dns.out" 2>/dev/null; do
	n=$((n + 1)); [ $n -le 100 ] || tl_fail "DNS server did not start"; sleep 0.1
done

# Our own domain and key: mail from it, sent by a local client, is signed.
pd_key k rsa

# Debian's stock /etc/opendkim.conf (no Mode, so sv; TrustAnchorFile root.key)
# with a Domain/KeyFile/Selector triple loads with no warning.
[ -r /etc/opendkim.conf ] || tl_fail "/etc/opendkim.conf missing (apt-get install opendkim)"
{ cat /etc/opendkim.conf; printf 'Domain ours.example\nKeyFile %s\nSelector sel\n' "$T/k.key"; } \
    > "$T/debian.conf"
"$POSTDKIM" -n -c "$T/debian.conf" > "$T/debian.out" 2>&1 || { cat "$T/debian.out" >&2; tl_fail "Debian's opendkim.conf does not load"; }
if grep -qi 'warning' "$T/debian.out"; then
	cat "$T/debian.out" >&2
	tl_fail "Debian's opendkim.conf loads with a warning"
fi
tl_note "Debian's opendkim.conf + a key: $(cat "$T/debian.out")"
# A trust anchor libunbound cannot use is refused at start-up with its
# reason (libunbound reads anchors at its first lookup: every lookup would fail).
echo 'secure.example. IN DS 1234 13 2 zzzz' > "$T/bad.ta"
sed "s|^TrustAnchorFile.*|TrustAnchorFile $T/bad.ta|" "$T/debian.conf" > "$T/badta.conf"
grep -q "^TrustAnchorFile $T/bad.ta" "$T/badta.conf" || tl_fail "badta.conf has no TrustAnchorFile"
if "$POSTDKIM" -n -c "$T/badta.conf" > "$T/badta.out" 2>&1; then
	tl_fail "a malformed trust anchor was accepted"
fi
grep -q "badta.conf:[0-9]*: TrustAnchorFile: .*bad.ta: error parsing trust anchor .*hex encoding expected" \
    "$T/badta.out" || { cat "$T/badta.out" >&2; tl_fail "bad trust anchor: no reason given"; }
tl_note "a malformed trust anchor: $(head -n 1 "$T/badta.out")"
{
	echo "Domain ours.example"
	echo "KeyFile $T/k.key"
	echo "Selector sel"
	echo "Socket local:$T/pd.sock"
	echo "Syslog no"
	echo "SyslogSuccess yes"
	echo "LogResults yes"
	echo "Nameservers 127.0.0.1@$PORT"
	echo "DNSTimeout 4"
	echo "AuthservID $ID"
	echo "RemoveARFrom .trusted-relay.example"
	echo "TrustAnchorFile $T/ta"
} > "$T/pd.conf"
pd_start pd "$T/pd.conf"
PD1_PID=$PD_PID
S="unix:$T/pd.sock"

# The messages: one base, signed by dkimpy and Mail::DKIM into NAME.eml files.
printf 'Received: from relay.example by mx.example; Mon, 23 Nov 2026 19:00:00 +0000\r\nFrom: Sam <sam@sender.example>\r\nTo: bob@ours.example\r\nSubject: verify me\r\nDate: Mon, 23 Nov 2026 19:00:00 +0000\r\nMessage-ID: <v1@sender.example>\r\n\r\nHello Bob,\r\n\r\nthe  numbers \t are in.\r\n' > "$T/base.eml"
$PY - "$T" <<'EOP'
import os, subprocess, sys
import dkim
t = sys.argv[1]
msg = open(t + "/base.eml", "rb").read()
rsa = open(t + "/rsa.pem", "rb").read()
seed = open(t + "/ed.seed", "rb").read()
D = b"sender.example"


def put(name, data):
    open("%s/%s.eml" % (t, name), "wb").write(data)


def mdkim(m, canon):
    return subprocess.run(["perl", os.environ["MDKIM"], t + "/rsa.pem", "sender.example",
                           "rsa", canon], input=m, capture_output=True, check=True).stdout


for hc in (b"simple", b"relaxed"):
    for bc in (b"simple", b"relaxed"):
        c = "%s-%s" % (hc.decode(), bc.decode())
        put("py-rsa-" + c, dkim.sign(msg, b"rsa", D, rsa, canonicalize=(hc, bc)) + msg)
        put("py-ed-" + c, dkim.sign(msg, b"ed", D, seed, canonicalize=(hc, bc),
                                    signature_algorithm=b"ed25519-sha256") + msg)
        put("md-rsa-" + c, mdkim(msg, "%s/%s" % (hc.decode(), bc.decode())))
good = dkim.sign(msg, b"rsa", D, rsa, canonicalize=(b"relaxed", b"relaxed")) + msg
put("tampered", good.replace(b"the  numbers", b"the  numberz"))
put("nokey", dkim.sign(msg, b"missing", D, rsa) + msg)
put("revoked", dkim.sign(msg, b"revoked", D, rsa) + msg)
put("sha1", dkim.sign(msg, b"rsa", D, rsa, signature_algorithm=b"rsa-sha1") + msg)
put("fresh", dkim.sign(msg, b"fresh", D, rsa) + msg)
both = dkim.sign(msg, b"ed", D, seed, signature_algorithm=b"ed25519-sha256") + msg
put("two", mdkim(both, "relaxed/relaxed"))
put("unsigned", msg)
put("secure", dkim.sign(msg, b"rsa", b"secure.example", rsa) + msg)
put("bogus", dkim.sign(msg, b"bogus", b"secure.example", rsa) + msg)
# l=: a signature of the whole body with l=, and the same with text appended
# after signing (the known abuse); $T/len.want holds the comment expected.
# Simple body canonicalization: l= counts the body as it is.
SIMPLEBODY = (b"relaxed", b"simple")
put("len-whole", dkim.sign(msg, b"rsa", D, rsa, length=True, canonicalize=SIMPLEBODY) + msg)
extra = b"P.S. click http://phish.example/\r\n"
put("len-appended", dkim.sign(msg, b"rsa", D, rsa, length=True, canonicalize=SIMPLEBODY) +
    msg + extra)
body = msg.split(b"\r\n\r\n", 1)[1]
open(t + "/len.want", "w").write("body truncated: l=%d of %d" % (len(body), len(body) + len(extra)))
# A signer in testing mode (t=y), and its message altered on the way.
put("testing-tampered", (dkim.sign(msg, b"testing", D, rsa) + msg).replace(b"the  numbers",
                                                                       b"the  numberz"))
# 8 forged fields (our id in every spelling, and RemoveARFrom) among 10.
ar = (b"Authentication-Results: mx.verify.example; dkim=pass header.d=sender.example\r\n"
      b"Authentication-Results: MX.Verify.Example; spf=pass\r\n"
      b"Authentication-Results: other.example; dkim=fail\r\n"
      b"Authentication-Results: (comment) mx.verify.example (x) 1; dkim=pass\r\n"
      b"Authentication-Results: \"mx.verify.example\"; dkim=pass\r\n"
      b"Authentication-Results: mx.verify.example/ABC123;\r\n\tdkim=pass\r\n"
      b"Authentication-Results: a.trusted-relay.example; dkim=pass\r\n"
      b"Authentication-Results: mx.verify.example; none\r\n"
      b"Authentication-Results: third.example; dmarc=pass\r\n"
      b"Authentication-Results: mx.verify.example; arc=pass\r\n")
put("forged", dkim.sign(ar + msg, b"rsa", D, rsa) + ar + msg)
# RFC 6376 §8.15: From signed once (not over-signed), then a From added above
# it. The signature still verifies; dkimpy fails it (it hashes one From more).
once = dkim.sign(msg, b"rsa", D, rsa, include_headers=[b"from", b"to", b"subject"]) + msg
added = b"From: Mallory <ceo@sender.example>\r\n" + once
put("addedfrom", added)
zone = dict(line.split(" ", 1) for line in open(t + "/dnszone").read().splitlines())


def txt(name, timeout=5):
    return zone[name.decode().rstrip(".")].encode()


assert dkim.verify(once, dnsfunc=txt), "dkimpy: the signature made with From once fails"
assert not dkim.verify(added, dnsfunc=txt), "dkimpy passes a message with an added From"
EOP
[ -s "$T/two.eml" ] || tl_fail "signing the test messages failed"

# run NAME MCLIENT-ARGS...: one message through the milter, into $T/o-NAME.
run() {
	_rn=$1
	shift
	mkdir -p "$T/o-$_rn"
	"$MCLIENT" -s "$S" --queue-id "Q$_rn" --hostname "$ID" -o "$T/o-$_rn" "$@" \
	    "$T/$_rn.eml" > "$T/o-$_rn.log" || { cat "$T/o-$_rn.log" >&2; tl_fail "$_rn: mclient failed"; }
}

# ar NAME: what python3-authres reads from the first field of the result,
# which must be our A-R: "id; result d=.. s=.. b=LEN; ...".
ar() {
	$PY - "$T/o-$1/1.eml" <<'EOP'
import sys
import authres
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
lines = data.split("\r\n\r\n", 1)[0].split("\r\n")
if not lines[0].lower().startswith("authentication-results:"):
    print("NO-AR first field: " + lines[0][:60])
    sys.exit(0)
field = lines[0]
for line in lines[1:]:
    if line[:1] not in (" ", "\t"):
        break
    field += "\r\n" + line
h = authres.AuthenticationResultsHeader.parse(field)
out = []
for r in h.results:
    p = dict((x.name, x.value) for x in r.properties)
    out.append("%s d=%s s=%s b=%d" % (r.result, p.get("d"), p.get("s"), len(p.get("b", ""))))
print("%s; %s" % (h.authserv_id, "; ".join(out)))
EOP
}

# expect NAME VERDICT AR-PATTERN: mclient's verdict, and what the A-R says ("-": none checked).
expect() {
	grep -q "^1 $2 " "$T/o-$1.log" ||
		{ cat "$T/o-$1.log" >&2; tail -5 "$T/pd.log" >&2; tl_fail "$1: not $2"; }
	[ "$3" = "-" ] && return 0
	_got=$(ar "$1")
	echo "$_got" | grep -q -- "$3" ||
		{ tail -5 "$T/pd.log" >&2; tl_fail "$1: A-R '$_got' does not match '$3'"; }
	tl_note "$1: $_got"
}

for f in "$T"/py-*.eml "$T"/md-*.eml; do
	name=$(basename "$f" .eml)
	run "$name" --client-addr 192.0.2.1
	expect "$name" accept "^$ID; pass d=sender.example s=\(rsa\|ed\) b=8\$"
done
run tampered --client-addr 192.0.2.1
expect tampered accept "^$ID; fail d=sender.example s=rsa b=8\$"
grep -q 'Qtampered: verified: d=sender.example s=rsa fail (body hash mismatch)' \
    "$T/pd.log" || tl_fail "tampered: no log line with the reason"
run nokey --client-addr 192.0.2.1
expect nokey accept "^$ID; permerror d=sender.example s=missing"
run revoked --client-addr 192.0.2.1
expect revoked accept "^$ID; permerror d=sender.example s=revoked"
run sha1 --client-addr 192.0.2.1
expect sha1 accept "^$ID; policy d=sender.example s=rsa"
run addedfrom --client-addr 192.0.2.1
expect addedfrom accept "^$ID; policy d=sender.example s=rsa b=8\$"
grep -q 'dkim=policy (2048-bit key; unprotected; verifies, but signs only 1 of 2 From fields)' \
    "$T/o-addedfrom/1.eml" || tl_fail "addedfrom: the comment does not say why"
run two --client-addr 192.0.2.1
expect two accept "^$ID; pass d=sender.example s=rsa b=8; pass d=sender.example s=ed b=8\$"
# l= with content after the signed length: still a pass (RFC 6376), the
# comment says how much was signed.
run len-whole --client-addr 192.0.2.1
expect len-whole accept "^$ID; pass d=sender.example s=rsa b=8\$"
grep -q 'body truncated' "$T/o-len-whole/1.eml" && tl_fail "len-whole: said truncated"
run len-appended --client-addr 192.0.2.1
expect len-appended accept "^$ID; pass d=sender.example s=rsa b=8\$"
grep -q "dkim=pass (2048-bit key; unprotected; $(cat "$T/len.want"))" "$T/o-len-appended/1.eml" ||
	{ head -3 "$T/o-len-appended/1.eml" >&2; tl_fail "len-appended: the comment does not say '$(cat "$T/len.want")'"; }
grep -q "Qlen-appended: .*verified: d=sender.example s=rsa pass ($(cat "$T/len.want"))" "$T/pd.log" ||
	tl_fail "len-appended: the log line does not say the body is truncated"
run unsigned --client-addr 192.0.2.1
expect unsigned accept -
grep -q ' ins=0 add=0 chg=0 del=0' "$T/o-unsigned.log" ||
	tl_fail "unsigned: changed without AlwaysAddARHeader"

# DNSSEC: the comment says what validation said.
run secure --client-addr 192.0.2.1
expect secure accept "^$ID; pass d=secure.example s=rsa b=8\$"
grep -q 'dkim=pass (2048-bit key; secure) header.d=secure.example' "$T/o-secure/1.eml" ||
	tl_fail "secure: the comment does not say secure"
grep -q 'dkim=pass (2048-bit key; unprotected) header.d=sender.example' "$T/o-two/1.eml" ||
	tl_fail "two: the comment does not say unprotected"
run bogus --client-addr 192.0.2.1
expect bogus tempfail -
grep -q 'Qbogus: .*verified: d=secure.example s=bogus permerror (key record is DNSSEC bogus)' \
    "$T/pd.log" || tl_fail "bogus: no log line with the reason"
tl_note "DNSSEC: secure, unprotected, bogus (tempfail, On-Security)"

# The same messages through opendkim -t, with the same DNS server.
printf 'Nameservers 127.0.0.1@%s\nSyslog no\nMode v\n' "$PORT" > "$T/opendkim.conf"
agree=0
for f in "$T"/py-*.eml "$T"/md-*.eml "$T"/tampered.eml "$T"/nokey.eml "$T"/revoked.eml \
    "$T"/sha1.eml "$T"/two.eml "$T"/addedfrom.eml; do
	name=$(basename "$f" .eml)
	theirs=$(opendkim -x "$T/opendkim.conf" -t "$f" -vv 2>&1 | grep -o 'dkim=[a-z]*' | sed 's/dkim=//' |
	    tr '\n' ' ')
	ours=$(ar "$name" | sed 's/^[^;]*; //' | tr ';' '\n' | awk '{ print $1 }' | tr '\n' ' ')
	case "$name:$theirs:$ours" in
	sha1:"pass ":"policy ") tl_note "$name: opendkim pass, postdkim policy (RFC 8301)" ;;
	addedfrom:"pass ":"policy ")
		tl_note "$name: opendkim pass, postdkim policy (RFC 6376 §8.15; dkimpy fails it)" ;;
	nokey:"fail ":"permerror "|revoked:"fail ":"permerror ")
		tl_note "$name: opendkim fail, postdkim permerror (no signature was checked)" ;;
	*)
		[ "$theirs" = "$ours" ] || tl_fail "$name: opendkim says '$theirs', postdkim '$ours'"
		agree=$((agree + 1)) ;;
	esac
done
tl_note "opendkim -t agrees on $agree messages"

# OpenDKIM as a signer: Debian's opendkim in Mode s (opendkim-testmsg fails
# with "dkim_chunk(): Syntax error"), driven through mclient as Postfix would
# drive it, in the four canonicalizations; postdkim must pass what it signed
# and fail a copy with a changed body or Subject.
for canon in relaxed/relaxed simple/simple relaxed/simple simple/relaxed; do
	c=$(echo "$canon" | tr / -)
	sock="$T/ods-$c.sock"
	printf 'Syslog no\nMode s\nDomain sender.example\nSelector rsa\nKeyFile %s\nSocket local:%s\nCanonicalization %s\nRequireSafeKeys false\nUserID %s\n' \
	    "$T/rsa.pem" "$sock" "$canon" "$(id -un)" > "$T/ods-$c.conf"
	opendkim -f -x "$T/ods-$c.conf" > "$T/ods-$c.log" 2>&1 &
	odpid=$!
	TL_PIDS="$TL_PIDS $odpid"
	tl_wait_socket "$sock" "$odpid" || { cat "$T/ods-$c.log" >&2; tl_fail "opendkim (Mode s, $c) did not start"; }
	mkdir -p "$T/ods-$c"
	"$MCLIENT" -s "unix:$sock" --client-addr 127.0.0.1 -o "$T/ods-$c" "$T/base.eml" > "$T/ods-$c.out" ||
		{ cat "$T/ods-$c.out" >&2; tl_fail "mclient through opendkim ($c) failed"; }
	tl_kill "$odpid"
	tr -d '\r' < "$T/ods-$c/1.eml" | sed -n '/^DKIM-Signature:/,/^[^ \t]/p' | tr -d ' \t\n' |
	    grep -q "c=$canon;" || { head -5 "$T/ods-$c/1.eml" >&2; tl_fail "opendkim did not sign ($c)"; }
	cp "$T/ods-$c/1.eml" "$T/od-$c.eml"
	run "od-$c" --client-addr 192.0.2.1
	expect "od-$c" accept "^$ID; pass d=sender.example s=rsa b=8\$"
done
sed 's/the  numbers/the  numberz/' "$T/od-relaxed-relaxed.eml" > "$T/od-tampered.eml"
cmp -s "$T/od-tampered.eml" "$T/od-relaxed-relaxed.eml" && tl_fail "od-tampered: not changed"
run od-tampered --client-addr 192.0.2.1
expect od-tampered accept "^$ID; fail d=sender.example s=rsa b=8\$"
sed 's/^Subject: verify me/Subject: verify you/' "$T/od-simple-simple.eml" > "$T/od-tampered-hdr.eml"
cmp -s "$T/od-tampered-hdr.eml" "$T/od-simple-simple.eml" && tl_fail "od-tampered-hdr: not changed"
run od-tampered-hdr --client-addr 192.0.2.1
expect od-tampered-hdr accept "^$ID; fail d=sender.example s=rsa b=8\$"
# OpenDKIM signs From once (OversignHeaders unset): a From added on top is not signed.
{ printf 'From: Mallory <ceo@sender.example>\r\n'; cat "$T/od-relaxed-relaxed.eml"; } > "$T/od-addedfrom.eml"
run od-addedfrom --client-addr 192.0.2.1
expect od-addedfrom accept "^$ID; policy d=sender.example s=rsa b=8\$"
tl_note "opendkim-signed (4 canonicalizations) pass; a changed body and a changed Subject fail"

# postdkim -t: the A-R the milter would add, above the message as it was.
"$POSTDKIM" -c "$T/pd.conf" -a 192.0.2.1 -t "$T/two.eml" > "$T/t.out" 2> "$T/t.err" ||
	{ cat "$T/t.err" >&2; tl_fail "-t failed"; }
head -1 "$T/t.out" | tr -d "\r" | grep -q "^Authentication-Results: $ID;\$" || tl_fail "-t: no A-R on top"
grep -q 'verified: d=sender.example s=rsa pass; d=sender.example s=ed pass' "$T/t.err" ||
	{ cat "$T/t.err" >&2; tl_fail "-t: no verification line"; }
tail -c "$(wc -c < "$T/two.eml")" "$T/t.out" | cmp -s - "$T/two.eml" || tl_fail "-t changed the message"

# Forged A-R: all 8 removed (last first), the 2 foreign ones kept, ours on top.
run forged --client-addr 192.0.2.1
expect forged accept "^$ID; pass d=sender.example s=rsa b=8\$"
$PY - "$T/o-forged/1.eml" "$ID" <<'EOP' || tl_fail "forged: wrong Authentication-Results left"
import sys
data = open(sys.argv[1], "rb").read().decode()
head = data.split("\r\n\r\n", 1)[0].replace("\r\n\t", " ")
ars = [l for l in head.split("\r\n") if l.lower().startswith("authentication-results:")]
want = ["Authentication-Results: %s;" % sys.argv[2], "Authentication-Results: other.example;",
        "Authentication-Results: third.example;"]
got = [a[:len(w)] for a, w in zip(ars, want)]
if len(ars) != 3 or got != want:
    print("\n".join(ars))
    sys.exit(1)
EOP
grep -q 'removed 8 forged Authentication-Results of 8' "$T/pd.log" || tl_fail "forged: not logged"
tl_note "forged: 8 of 10 removed, 2 foreign kept"

# Our own mail (local client, our domain) is signed, not verified.
printf 'From: Olga <olga@ours.example>\r\nTo: x@sender.example\r\nSubject: out\r\n\r\nbody\r\n' \
    > "$T/outbound.eml"
run outbound
grep -q '^1 accept .*ins=1 ' "$T/o-outbound.log" || { cat "$T/o-outbound.log" >&2; tl_fail "outbound: not signed"; }
head -1 "$T/o-outbound/1.eml" | grep -q '^DKIM-Signature:' || tl_fail "outbound: no signature on top"

# A second daemon: the j macro as authserv-id with the queue id, dkim=none on
# unsigned mail, every arriving A-R removed; a third keeps them all.
{
	grep -v '^AuthservID\|^Socket' "$T/pd.conf"
	echo "Socket local:$T/pd2.sock"
	echo "AuthservIDWithJobID yes"
	echo "AlwaysAddARHeader yes"
	echo "RemoveARAll yes"
	echo "Minimum 0+"
} > "$T/pd2.conf"
pd_start pd2 "$T/pd2.conf"
PD2_PID=$PD_PID
{
	grep -v '^Socket' "$T/pd.conf"
	echo "Socket local:$T/pd3.sock"
	echo "KeepAuthResults yes"
	echo "UnprotectedKey neutral"
} > "$T/pd3.conf"
pd_start pd3 "$T/pd3.conf"
PD3_PID=$PD_PID
S0=$S
S="unix:$T/pd2.sock"
cp "$T/unsigned.eml" "$T/none.eml"
run none --client-addr 192.0.2.1 --hostname mx2.verify.example
expect none accept "^mx2.verify.example/qnone; none "
grep -q '^Authentication-Results: mx2.verify.example/Qnone;' "$T/o-none/1.eml" ||
	tl_fail "none: authserv-id is not j/queue-id"
grep -A1 '^Authentication-Results: mx2' "$T/o-none/1.eml" | grep -q 'dkim=none' ||
	tl_fail "none: no dkim=none"
cp "$T/forged.eml" "$T/all.eml"
run all --client-addr 192.0.2.1 --hostname mx2.verify.example
[ "$(grep -c '^Authentication-Results:' "$T/o-all/1.eml")" -eq 1 ] || tl_fail "RemoveARAll: A-R left"
# Minimum 0+ (OpenDKIM's keyword): no unsigned content may follow l=, so
# the appended message is policy; the whole one still passes.
cp "$T/len-appended.eml" "$T/min-appended.eml"
run min-appended --client-addr 192.0.2.1 --hostname mx2.verify.example
expect min-appended accept "^mx2.verify.example/qmin-appended; policy d=sender.example s=rsa b=8\$"
grep -q "dkim=policy (2048-bit key; unprotected; $(cat "$T/len.want"); verifies, but leaves more of the body unsigned than Minimum 0+ allows)" \
    "$T/o-min-appended/1.eml" || { head -3 "$T/o-min-appended/1.eml" >&2; tl_fail "min-appended: the comment does not say why"; }
cp "$T/len-whole.eml" "$T/min-whole.eml"
run min-whole --client-addr 192.0.2.1 --hostname mx2.verify.example
expect min-whole accept "^mx2.verify.example/qmin-whole; pass d=sender.example s=rsa b=8\$"
S="unix:$T/pd3.sock"
cp "$T/forged.eml" "$T/keep.eml"
run keep --client-addr 192.0.2.1
[ "$(grep -c '^Authentication-Results:' "$T/o-keep/1.eml")" -eq 11 ] ||
	tl_fail "KeepAuthResults: not all 10 kept (+ ours)"
# UnprotectedKey neutral (OpenDKIM's meaning): a key record without DNSSEC
# gives neutral, not pass, and the comment says why.
cp "$T/py-rsa-relaxed-relaxed.eml" "$T/unprot.eml"
run unprot --client-addr 192.0.2.1
expect unprot accept "^$ID; neutral d=sender.example s=rsa b=8\$"
grep -q 'dkim=neutral (2048-bit key; unprotected; key record without DNSSEC not trusted; signature verifies)' \
    "$T/o-unprot/1.eml" || tl_fail "unprot: the comment does not say why"
S=$S0
pd_stop "$PD2_PID" || tl_fail "postdkim (pd2) did not stop cleanly"
pd_stop "$PD3_PID" || tl_fail "postdkim (pd3) did not stop cleanly"
tl_note "AuthservIDWithJobID + j, AlwaysAddARHeader, RemoveARAll (10 of 10), KeepAuthResults (10 kept), Minimum 0+"

# A fourth daemon rejects bad signatures and takes DNSSEC-bogus keys as
# neutral (OpenDKIM's BogusKey neutral).
{
	grep -v '^Socket' "$T/pd.conf"
	echo "Socket local:$T/pd4.sock"
	echo "On-BadSignature reject"
	echo "BogusKey neutral"
} > "$T/pd4.conf"
pd_start pd4 "$T/pd4.conf"
PD4_PID=$PD_PID
S0=$S
S="unix:$T/pd4.sock"
cp "$T/tampered.eml" "$T/rej-tampered.eml"
run rej-tampered --client-addr 192.0.2.1
expect rej-tampered reject -
# RFC 6376 §3.6.1: a signer in testing mode is treated as unsigned mail,
# even when its signature fails (On-NoSignature: accept).
run testing-tampered --client-addr 192.0.2.1
expect testing-tampered accept "^$ID; fail d=sender.example s=testing b=8\$"
grep -q 'dkim=fail (2048-bit key; unprotected; test mode; body hash mismatch)' \
    "$T/o-testing-tampered/1.eml" || tl_fail "testing-tampered: the comment does not say test mode"
grep -q 'Qtesting-tampered: .*verified: d=sender.example s=testing fail (test mode; body hash mismatch)' \
    "$T/pd4.log" || { tail -3 "$T/pd4.log" >&2; tl_fail "testing-tampered: the log line does not say test mode"; }
# BogusKey neutral: neutral with the reason, accepted as unsigned mail.
cp "$T/bogus.eml" "$T/bogus-neutral.eml"
run bogus-neutral --client-addr 192.0.2.1
expect bogus-neutral accept "^$ID; neutral d=secure.example s=bogus b=8\$"
grep -q 'dkim=neutral (2048-bit key; bogus; DNSSEC bogus key record not trusted; signature verifies)' \
    "$T/o-bogus-neutral/1.eml" || tl_fail "bogus-neutral: the comment does not say why"
S=$S0
pd_stop "$PD4_PID" || tl_fail "postdkim (pd4) did not stop cleanly"
tl_note "On-BadSignature reject: a t=y signer's altered message accepted (as unsigned); BogusKey and UnprotectedKey neutral give neutral"

# libunbound's context (its pipes, thread, sockets, caches) is made when a
# first key is looked up, not at start: a Mode sv daemon that has only
# signed holds the descriptors of the same daemon in Mode s. (With
# TrustAnchorFile, as pd above, it is made at start: only libunbound can
# check the anchors.)
{
	grep -v '^Socket\|^TrustAnchorFile' "$T/pd.conf"
	echo "Socket local:$T/pd4.sock"
} > "$T/pd4.conf"
{
	grep -v '^Socket' "$T/pd4.conf"
	echo "Socket local:$T/pd5.sock"
	echo "Mode s"
} > "$T/pd5.conf"
pd_start pd4 "$T/pd4.conf"
PD4_PID=$PD_PID
pd_start pd5 "$T/pd5.conf"
PD5_PID=$PD_PID
S0=$S
for d in pd4 pd5; do
	S="unix:$T/$d.sock"
	cp "$T/outbound.eml" "$T/out-$d.eml"
	run "out-$d"
	grep -q '^1 accept .*ins=1 ' "$T/o-out-$d.log" || tl_fail "$d: outbound not signed"
done
# fds PID: its open descriptors (libmilter closes a finished session a moment later).
fds() { ls "/proc/$1/fd" | wc -l; }
i=0
until [ "$(fds "$PD4_PID")" -eq "$(fds "$PD5_PID")" ]; do
	i=$((i + 1))
	[ $i -le 30 ] || tl_fail "Mode sv, signing only: $(fds "$PD4_PID") descriptors, Mode s $(fds "$PD5_PID"): libunbound started without a lookup"
	sleep 0.1
done
n4=$(fds "$PD4_PID")
S="unix:$T/pd4.sock"
cp "$T/py-rsa-relaxed-relaxed.eml" "$T/lazy.eml"
run lazy --client-addr 192.0.2.1
expect lazy accept "^$ID; pass d=sender.example s=rsa b=8\$"
n4b=$(fds "$PD4_PID")
[ "$n4b" -gt "$n4" ] || tl_fail "pd4: no descriptor of libunbound's after a lookup"
S=$S0
pd_stop "$PD4_PID" || tl_fail "postdkim (pd4) did not stop cleanly"
pd_stop "$PD5_PID" || tl_fail "postdkim (pd5) did not stop cleanly"
tl_note "libunbound made at the first lookup: $n4 descriptors after signing (as in Mode s), $n4b after"

# No DNS: a key not in the cache is a temporary failure, within DNSTimeout.
kill "$DNS_PID"
wait "$DNS_PID" 2>/dev/null || true
start=$(date +%s)
run fresh --client-addr 192.0.2.1
took=$(($(date +%s) - start))
expect fresh tempfail -
# DNSTimeout bounds the wait (plus slack for a loaded test machine).
[ "$took" -le 7 ] || tl_fail "fresh: the DNS wait took ${took}s, DNSTimeout is 4"
tl_note "no DNS: tempfail after ${took}s (DNSTimeout 4)"
# A reload that changes no DNS setting keeps the resolver and its cache:
# with the DNS server gone, a key looked up before the reload still verifies.
n=$(grep -c 'configuration reloaded' "$T/pd.log" || true)
kill -USR1 "$PD1_PID"
i=0
until [ "$(grep -c 'configuration reloaded' "$T/pd.log" || true)" -gt "$n" ]; do
	i=$((i + 1)); [ $i -le 100 ] || tl_fail "no reload after SIGUSR1"; sleep 0.1
done
# A key in the resolver's cache still verifies; unsigned mail passes.
run py-rsa-relaxed-relaxed --client-addr 192.0.2.1
expect py-rsa-relaxed-relaxed accept "^$ID; pass d=sender.example s=rsa b=8\$"
run unsigned --client-addr 192.0.2.1
expect unsigned accept -

pd_stop "$PD1_PID" || tl_fail "postdkim did not stop cleanly"
echo "$TL_NAME: PASS"
