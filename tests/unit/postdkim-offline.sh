#!/bin/sh
# postdkim-offline.sh - smoke test of `postdkim -n` and `postdkim -t`: a
# configuration with a real key checks out, a broken one fails with the
# file, line and keyword; -t signs LF and CRLF messages keeping their line
# ending, and dkimpy (Debian's python3-dkim) verifies the result. Mail that
# is not ours is verified by -t as by the milter, keys served by a DNS
# server on loopback: an altered body fails, forged Authentication-Results
# fields are removed, and the action is the configured one.
set -eu

POSTDKIM=${POSTDKIM:-../../daemon/postdkim}
PY=/usr/bin/python3
# shellcheck source=tests/lib.sh
. "${srcdir:-$(dirname "$0")}/../lib.sh"
lib_skip_unless "$POSTDKIM not built" test -x "$POSTDKIM"
lib_skip_unless "python3-dkim (dkimpy) is not installed" "$PY" -c 'import dkim'

# shellcheck disable=SC2034 # lib_cleanup reads it by name
NO_PIDS=
lib_tmpdir postdkim-offline NO_PIDS TERM
fail() { echo "FAIL: $*"; exit 1; }

lib_genkey rsa "$T/rsa.key"
cat > "$T/ok.conf" <<EOC
Domain example.com
KeyFile $T/rsa.key
Selector sel
Canonicalization simple/simple
Socket local:$T/sock
EOC

# -n: a good configuration.
"$POSTDKIM" -n -c "$T/ok.conf" > "$T/n.out" 2>&1 || { cat "$T/n.out"; fail "-n on a good configuration"; }

# -n: a typo is a configuration error (exit 1) naming file and line.
cp "$T/ok.conf" "$T/bad.conf"
echo "Selectr other" >> "$T/bad.conf"
set +e
"$POSTDKIM" -n -c "$T/bad.conf" > "$T/bad.out" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "-n on a bad configuration exited $rc, want 1"
grep -q "bad.conf:6" "$T/bad.out" || { cat "$T/bad.out"; fail "error does not name bad.conf:6"; }

# Usage errors exit 2.
set +e
"$POSTDKIM" -Z > /dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "unknown option exited $rc, want 2"

printf 'From: Alice <alice@example.com>\nTo: bob@example.org\nSubject:  two  spaces \n continued\nMessage-ID: <1@example.com>\n\nHello,\n\ttabbed  line  \n\n\n' > "$T/lf.eml"
sed 's/$/\r/' "$T/lf.eml" > "$T/crlf.eml"

"$POSTDKIM" -c "$T/ok.conf" -F 1700000000 -t "$T/lf.eml" > "$T/lf.out"
"$POSTDKIM" -c "$T/ok.conf" -F 1700000000 -t "$T/crlf.eml" > "$T/crlf.out"

# Signed above the original, which is unchanged.
head -n 1 "$T/lf.out" | grep -q '^DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; d=example.com; s=sel;' ||
	fail "LF output does not start with the signature"
grep -q 't=1700000000;' "$T/lf.out" || fail "-F did not fix t="
tail -c "$(wc -c < "$T/lf.eml")" "$T/lf.out" | cmp -s - "$T/lf.eml" || fail "LF message changed"
tail -c "$(wc -c < "$T/crlf.eml")" "$T/crlf.out" | cmp -s - "$T/crlf.eml" || fail "CRLF message changed"
# Line endings follow the input.
if grep -q "$(printf '\r')" "$T/lf.out"; then fail "CR in LF output"; fi
[ "$(grep -c "$(printf '\r')\$" "$T/crlf.out")" -eq "$(wc -l < "$T/crlf.out")" ] ||
	fail "CRLF output has LF-only lines"

# The same time and message give the same signature (RSA PKCS#1 v1.5).
"$POSTDKIM" -c "$T/ok.conf" -F 1700000000 -t "$T/crlf.eml" | cmp -s - "$T/crlf.out" ||
	fail "signing is not reproducible with -F"

# dkimpy verifies both, with the public key served by a dnsfunc.
openssl rsa -in "$T/rsa.key" -pubout -outform DER 2>/dev/null | base64 | tr -d '\n' > "$T/pub"
"$PY" - "$T/pub" "$T/lf.out" "$T/crlf.out" <<'EOP'
import sys, dkim
pub = open(sys.argv[1]).read().strip()
def dns(name, timeout=5):
    if name in (b"sel._domainkey.example.com.", "sel._domainkey.example.com."):
        return ("v=DKIM1; k=rsa; p=" + pub).encode()
    return None
for f in sys.argv[2:]:
    data = open(f, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if not dkim.verify(data, dnsfunc=dns):
        print("FAIL: dkimpy does not verify", f)
        sys.exit(1)
EOP

# Policy: mail from an external, unauthenticated client is not signed.
"$POSTDKIM" -c "$T/ok.conf" -a 192.0.2.1 -t "$T/crlf.eml" > "$T/ext.out" 2> "$T/ext.err"
cmp -s "$T/ext.out" "$T/crlf.eml" || fail "external client's message was changed"
grep -q "not signed" "$T/ext.err" || fail "no reason given for not signing"
# ...unless authenticated.
"$POSTDKIM" -c "$T/ok.conf" -a 192.0.2.1 -u alice -t "$T/crlf.eml" | head -n 1 |
	grep -q '^DKIM-Signature:' || fail "authenticated client's message not signed"

# "Name :" (obsolete syntax): -t sees the field as the milter does, which
# Postfix gives without the space before the colon; relaxed signatures verify.
sed 's/^Canonicalization.*/Canonicalization relaxed\/relaxed/' "$T/ok.conf" > "$T/relaxed.conf"
printf 'From : Alice <alice@example.com>\nTo: bob@example.org\nSubject : spaced\n\nHello\n' > "$T/obs.eml"
"$POSTDKIM" -c "$T/relaxed.conf" -F 1700000000 -t "$T/obs.eml" > "$T/obs.out" 2> "$T/obs.err" ||
	{ cat "$T/obs.err"; fail "-t on a 'From :' message"; }
head -n 1 "$T/obs.out" | grep -q '^DKIM-Signature:' || { cat "$T/obs.err"; fail "'From :' not signed by -t"; }
tr -d '\n\t' < "$T/obs.out" | grep -q 'h=from:from:subject:to;' || fail "'Subject :' not signed as subject"
printf 'From\t: alice@example.com\n\nHello\n' > "$T/obstab.eml"
"$POSTDKIM" -c "$T/relaxed.conf" -t "$T/obstab.eml" | head -n 1 | grep -q '^DKIM-Signature:' ||
	fail "'From<TAB>:' not signed by -t"
# dkimpy refuses "Name :" outright; the core's verifier (dkimtool) reads it:
# relaxed verifies, simple cannot (the MTA sends the space the milter never
# saw), as postdkim.conf(5) says.
DKIMTOOL=${DKIMTOOL:-./dkimtool}
printf 'sel._domainkey.example.com v=DKIM1; k=rsa; p=%s\n' "$(cat "$T/pub")" > "$T/zone"
sed 's/$/\r/' "$T/obs.out" > "$T/obs.crlf"
"$DKIMTOOL" verify -z "$T/zone" -t 1700000001 "$T/obs.crlf" > "$T/obs.v" ||
	{ cat "$T/obs.v"; fail "relaxed signature over 'From :' does not verify"; }
"$POSTDKIM" -c "$T/ok.conf" -F 1700000000 -t "$T/obs.eml" | sed 's/$/\r/' > "$T/obs-simple.out"
if "$DKIMTOOL" verify -z "$T/zone" -t 1700000001 "$T/obs-simple.out" > "$T/obs.v"; then
	fail "a simple signature over 'From :' verified: postdkim.conf(5) is wrong"
fi

# Verification (Mode sv, mail from outside): what -t prints must be what the
# milter adds, so the body is hashed and the signature decided.
lib_skip_unless "python3-dnspython is not installed" "$PY" -c 'import dns.message'
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'rsa._domainkey.sender.example v=DKIM1; k=rsa; p=%s\n' "$(cat "$T/pub")" > "$T/dnszone"
"$PY" "${srcdir:-.}/../dns/hostile-dns.py" "$PORT" "$T/dns.log" "$T/dnszone" > "$T/dns.out" 2>&1 &
NO_PIDS="$NO_PIDS $!"
wait_until 100 grep -q ready "$T/dns.out" || fail "the DNS server did not start"
{
	cat "$T/ok.conf"
	echo "Nameservers 127.0.0.1@$PORT"
	echo "AuthservID mx.test"
	echo "On-BadSignature reject"
} > "$T/v.conf"
"$PY" - "$T/rsa.key" "$T" <<'EOP'
import sys, dkim
key = open(sys.argv[1], "rb").read()
t = sys.argv[2]
msg = (b"From: Sam <sam@sender.example>\r\nTo: bob@example.com\r\nSubject: hi\r\n"
       b"\r\nthe numbers are in\r\n")
good = dkim.sign(msg, b"rsa", b"sender.example", key) + msg
open(t + "/good.eml", "wb").write(good)
open(t + "/altered.eml", "wb").write(good.replace(b"numbers", b"numberz"))
forged = b"Authentication-Results: mx.test; dkim=pass header.d=sender.example\r\n"
open(t + "/forged.eml", "wb").write(forged + good)
EOP
# vt NAME: -t on NAME.eml from outside, into NAME.vout and NAME.verr.
vt() {
	"$POSTDKIM" -c "$T/v.conf" -a 192.0.2.1 -t "$T/$1.eml" > "$T/$1.vout" 2> "$T/$1.verr" ||
		{ cat "$T/$1.verr"; fail "-t on $1 exited $?"; }
}
vt good
head -n 2 "$T/good.vout" | tr -d '\r\n' | tr '\t' ' ' | grep -q '^Authentication-Results: mx.test; dkim=pass' ||
	{ cat "$T/good.vout" "$T/good.verr"; fail "good: no dkim=pass on top"; }
grep -q 'action accept' "$T/good.verr" || { cat "$T/good.verr"; fail "good: action not accept"; }
# An altered body fails, and On-BadSignature reject is the action.
vt altered
head -n 2 "$T/altered.vout" | tr -d '\r\n' | tr '\t' ' ' | grep -q '^Authentication-Results: mx.test; dkim=fail' ||
	{ cat "$T/altered.vout" "$T/altered.verr"; fail "altered: not dkim=fail"; }
grep -q 'sender.example s=rsa fail (body hash mismatch)' "$T/altered.verr" ||
	{ cat "$T/altered.verr"; fail "altered: no reason on stderr"; }
grep -q 'action reject' "$T/altered.verr" || { cat "$T/altered.verr"; fail "altered: action not reject"; }
# A forged field with our authserv-id is removed, as the milter removes it.
vt forged
[ "$(grep -c '^Authentication-Results:' "$T/forged.vout")" -eq 1 ] ||
	{ cat "$T/forged.vout"; fail "forged: the forged Authentication-Results field was kept"; }
tail -c "$(wc -c < "$T/good.eml")" "$T/forged.vout" | cmp -s - "$T/good.eml" ||
	fail "forged: the rest of the message changed"

echo "PASS: postdkim -n and -t"
