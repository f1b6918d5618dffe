#!/bin/sh
# postdkim-sign.sh - the real daemon signs through the Postfix-like client:
# all four canonicalizations, RSA, Ed25519 and dual signing
# (MultipleSignatures), with and without SMFIP_HDR_LEADSPC, folded, oddly
# spaced, 8-bit and long headers, a 30 MB body. Every signature is checked
# by libdkim and python3-dkim, a sample by the three interop verifiers, and
# the milter's output must equal offline signing (postdkim -t) byte for byte.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

pd_key rsa rsa
pd_key ed ed25519
pd_zone sel-rsa rsa.example rsa
pd_zone sel-ed ed.example ed
pd_zone sel-rsa dual.example rsa
pd_zone sel-ed dual.example ed

cat > "$T/keytable" <<EOF
rsa	rsa.example:sel-rsa:$T/rsa.key
ed	ed.example:sel-ed:$T/ed.key
dual-rsa	dual.example:sel-rsa:$T/rsa.key
dual-ed	dual.example:sel-ed:$T/ed.key
EOF
cat > "$T/signingtable" <<EOF
rsa.example	rsa
ed.example	ed
dual.example	dual-rsa
dual.example	dual-ed
EOF

for dom in rsa ed dual; do
	tl_corpus "$T/in-$dom" "$dom.example"
	eval "C_$dom=\"\$CORPUS\""
	eval "O_$dom=\"\$CORPUS_ONESPACE\""
done

# A 30 MB body (sent in 65535-byte chunks), dual-signed.
{
	printf 'From: Big <big@dual.example>\nTo: bob@example.net\nSubject: 30 MB\n\n'
	$PY -c '
import sys
line = ("0123456789abcdefghijklmnopqrstuvwxyz" * 3)[:98] + "\n"
sys.stdout.write(line * (30 * 1024 * 1024 // len(line)))
sys.stdout.write("the end   \n\n\n")'
} > "$T/big.eml"

# Body bytes a signer must not trip on: a bare CR, a NUL, a lone dot,
# blanks before CRLF, a 100 KB line (sent as is: no verifier-side quirks
# are involved in python3-dkim and libdkim).
$PY -c '
import sys
w = sys.stdout.buffer.write
w(b"From: odd@dual.example\nTo: bob@example.net\nSubject: odd bytes\n\n")
w(b"bare\rCR inside\nNUL\x00byte\n.\n..\nblanks \t \n" + b"L" * 100000 + b"\n\t\n \n")' > "$T/odd.eml"

pids=""
for canon in simple/simple simple/relaxed relaxed/simple relaxed/relaxed; do
	c=$(echo "$canon" | tr / -)
	cat > "$T/$c.conf" <<EOF
# every canonicalization gets its own daemon
Canonicalization	$canon
KeyTable	file:$T/keytable
SigningTable	file:$T/signingtable
MultipleSignatures	yes
Socket	local:$T/$c.sock
Syslog	no
SyslogSuccess	yes
EOF
	"$POSTDKIM" -n -c "$T/$c.conf" > "$T/$c-n.log" 2>&1 \
	    || { cat "$T/$c-n.log" >&2; tl_fail "postdkim -n rejects a good configuration"; }
	pd_start "$c" "$T/$c.conf"
	pids="$pids $PD_PID"
done
# Without dsn: tables no database client library is loaded (they and what
# they pull in, Kerberos, LDAP, GnuTLS, would be 3 MB of every daemon's memory).
if grep -q '/libpq\.so\|/libmariadb\.so\|/libgnutls\|/libkrb5' "/proc/$PD_PID/maps"; then
	grep '/libpq\.so\|/libmariadb\.so\|/libgnutls\|/libkrb5' "/proc/$PD_PID/maps" >&2
	tl_fail "a daemon without dsn: tables loads database client libraries"
fi

for canon in simple/simple simple/relaxed relaxed/simple relaxed/relaxed; do
	c=$(echo "$canon" | tr / -)
	sock="unix:$T/$c.sock"
	for mode in lead nolead; do
		flag=""
		[ $mode = nolead ] && flag=--no-leadspc
		for dom in rsa ed dual; do
			# Without SMFIP_HDR_LEADSPC the milter cannot know the spacing
			# after the colon: simple header canonicalization then only
			# holds for fields with exactly one space there.
			case $c-$mode in
			simple-*-nolead) eval "set -- \$O_$dom" ;;
			*) eval "set -- \$C_$dom" ;;
			esac
			n=$#
			out="$T/out-$c-$mode-$dom"
			mkdir "$out"
			"$MCLIENT" -s "$sock" $flag --abort-first -o "$out" "$@" > "$out.log" \
			    || { cat "$out.log" >&2; tl_fail "mclient $c $mode $dom"; }
			want=1
			[ $dom = dual ] && want=2
			[ "$(grep -c " accept stage=eom ins=$want add=0 chg=0 del=0\$" "$out.log")" -eq "$n" ] \
			    || { cat "$out.log" "$T/$c.log" >&2; tl_fail "$c $mode $dom: not all signed"; }
			pd_sane "$out"/*.eml
			"$DKIMVERIFY" --zone "$T/zone" --nsig $want "$out"/*.eml > "$out.v" \
			    || { grep -v '^OK' "$out.v" >&2; tl_fail "$c $mode $dom: libdkim verifier"; }
			eval "PY_$want=\"\${PY_$want:-} \$out/*.eml\""
		done
	done
	mkdir "$T/odd-$c"
	"$MCLIENT" -s "$sock" -o "$T/odd-$c" "$T/odd.eml" > "$T/odd-$c.log" || tl_fail "mclient odd bytes ($c)"
	grep -q ' accept stage=eom ins=2 ' "$T/odd-$c.log" || tl_fail "odd bytes not signed ($c)"
	"$DKIMVERIFY" --zone "$T/zone" --nsig 2 "$T/odd-$c/1.eml" > "$T/odd-$c.v" \
	    || { cat "$T/odd-$c.v" >&2; tl_fail "odd bytes ($c): libdkim verifier"; }
	PY_2="$PY_2 $T/odd-$c/1.eml"
	# The 30 MB message, over a connection of its own.
	mkdir "$T/big-$c"
	"$MCLIENT" -s "$sock" -r -o "$T/big-$c" "$T/big.eml" > "$T/big-$c.log" \
	    || tl_fail "mclient 30 MB ($c)"
	grep -q ' accept stage=eom ins=2 ' "$T/big-$c.log" || tl_fail "30 MB message not dual-signed ($c)"
	"$DKIMVERIFY" --zone "$T/zone" --nsig 2 "$T/big-$c/1.eml" > "$T/big-$c.v" \
	    || { cat "$T/big-$c.v" >&2; tl_fail "30 MB ($c): libdkim verifier"; }
	grep -q "signed" "$T/$c.log" || tl_note "no success line in the log ($c)"
done
# python3-dkim over everything, in one run per signature count.
$DKIMCHECK --zone "$T/zone" --nsig 1 $PY_1 > "$T/py1.log" \
    || { grep -v '^OK' "$T/py1.log" >&2; tl_fail "python3-dkim: bad signature"; }
$DKIMCHECK --zone "$T/zone" --nsig 2 $PY_2 > "$T/py2.log" \
    || { grep -v '^OK' "$T/py2.log" >&2; tl_fail "python3-dkim: bad dual signature"; }

# Independent checks of the 30 MB signatures (python3-dkim is slow on 30 MB:
# one canonicalization; opendkim's verifier takes all four).
$DKIMCHECK --zone "$T/zone" --nsig 2 "$T/big-simple-simple/1.eml" > "$T/big-py.log" \
    || { cat "$T/big-py.log" >&2; tl_fail "30 MB: python3-dkim"; }
if [ -x "$VERIFY_ALL" ] && command -v dnsmasq >/dev/null 2>&1; then
	"$VERIFY_ALL" --verifiers opendkim --zone "$T/zone" "$T"/big-*/1.eml > "$T/big-va.log" 2>&1 \
	    || { cat "$T/big-va.log" >&2; tl_fail "30 MB: opendkim verifier"; }
fi
tl_note "signed and verified: 4 canonicalizations x (RSA, Ed25519, dual) x LEADSPC on/off x 10 messages, and 30 MB"

# The milter and offline signing (-t, same code path) agree byte for byte,
# where the client passed the message through unchanged.
same=0
for m in $C_dual; do
	b=$(basename "$m" .eml)
	$PY -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d.replace(b"\r\n",b"\n").replace(b"\n",b"\r\n"))' "$m" > "$T/crlf.eml"
	i=$(echo $C_dual | tr ' ' '\n' | grep -n "$b" | cut -d: -f1)
	milt="$T/out-relaxed-simple-lead-dual/$i.eml"
	tl_strip_sigs "$milt" > "$T/strip.eml"
	cmp -s "$T/strip.eml" "$T/crlf.eml" || continue
	"$POSTDKIM" -c "$T/relaxed-simple.conf" -F "$PD_TIME" -t "$T/crlf.eml" > "$T/offline.eml" 2> "$T/offline.err" \
	    || { cat "$T/offline.err" >&2; tl_fail "postdkim -t $b"; }
	cmp -s "$T/offline.eml" "$milt" || tl_fail "$b: postdkim -t and the milter differ"
	same=$((same + 1))
done
[ "$same" -ge 5 ] || tl_fail "only $same messages compared with postdkim -t"
tl_note "postdkim -t output identical to the milter's for $same messages"

# The three interop verifiers over one message per canonicalization and
# algorithm (opendkim -t is not given 02: see client-vs-opendkim.sh).
if [ -x "$VERIFY_ALL" ] && command -v dnsmasq >/dev/null 2>&1; then
	set --
	for c in simple-simple simple-relaxed relaxed-simple relaxed-relaxed; do
		for dom in rsa ed dual; do
			set -- "$@" "$T/out-$c-lead-$dom/4.eml" "$T/out-$c-nolead-$dom/3.eml"
		done
	done
	"$VERIFY_ALL" --zone "$T/zone" "$@" > "$T/verify-all.log" 2>&1 \
	    || { cat "$T/verify-all.log" >&2; tl_fail "verify-all"; }
	tl_note "verify-all: $(grep -c '^PASS' "$T/verify-all.log") of $# messages PASS," \
	    "$(grep -c '^PASS 3/3' "$T/verify-all.log") by all three verifiers," \
	    "$(grep -c 'UNSUPPORTED tolerated' "$T/verify-all.log") with Mail::DKIM saying UNSUPPORTED (ed25519)"
	[ -n "${VERIFY_ALL_LOG:-}" ] && cp "$T/verify-all.log" "$VERIFY_ALL_LOG"
else
	tl_note "verify-all or dnsmasq missing: interop verifiers not run"
fi

for p in $pids; do
	pd_stop "$p" || tl_fail "postdkim did not stop cleanly on SIGTERM"
done
for c in simple-simple simple-relaxed relaxed-simple relaxed-relaxed; do
	[ ! -e "$T/$c.sock" ] || tl_fail "socket $T/$c.sock left behind after SIGTERM"
done
tl_note "ok"
