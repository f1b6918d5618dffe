#!/bin/sh
# postdkim-offline.sh - smoke test of `postdkim -n` and `postdkim -t`: a
# configuration with a real key checks out, a broken one fails with the
# file, line and keyword; -t signs LF and CRLF messages keeping their line
# ending, and dkimpy (Debian's python3-dkim) verifies the result.
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

echo "PASS: postdkim -n and -t"
