#!/bin/sh
# postdkim-miltertest.sh - Debian's miltertest (Lua), a second client that
# shares no code with mclient, drives postdkim through several scenarios
# (sign.lua): RSA, Ed25519 and dual signing, ORIGINATING and SASL from an
# outside address, with and without SMFIP_HDR_LEADSPC, and mail that is not
# ours. The inserted signatures are rebuilt into messages and verified.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"
command -v miltertest >/dev/null 2>&1 || tl_skip "miltertest not installed (apt-get install miltertest)"

pd_key rsa rsa
pd_key ed ed25519
pd_zone rsa example.com rsa
pd_zone ed ed.example ed
pd_zone rsa dual.example rsa
pd_zone ed dual.example ed
cat > "$T/keytable" <<EOF2
r example.com:rsa:$T/rsa.key
e ed.example:ed:$T/ed.key
dr dual.example:rsa:$T/rsa.key
de dual.example:ed:$T/ed.key
EOF2
printf 'example.com r\ned.example e\ndual.example dr\ndual.example de\n' > "$T/signingtable"
cat > "$T/pd.conf" <<EOF2
KeyTable		$T/keytable
SigningTable		$T/signingtable
MultipleSignatures	yes
Canonicalization	simple/simple
MTA			ORIGINATING
Socket			local:$T/pd.sock
Syslog			no
EOF2
pd_start pd "$T/pd.conf"

# run NAME WANT -D...: one miltertest scenario, bounded in time.
run() {
	name=$1 want=$2
	shift 2
	timeout 30 miltertest -s "$TESTS_SRCDIR/sign.lua" -D SOCK="$T/pd.sock" -D WANT="$want" \
	    -D OUT="$T/$name.eml" -D QID="MT$name" "$@" > "$T/$name.mt" 2>&1 \
	    || { cat "$T/$name.mt" >&2; tail -5 "$T/pd.log" >&2; tl_fail "miltertest $name"; }
	[ "$want" -eq 0 ] || eval "W$want=\"\${W$want:-} \$T/\$name.eml\""
}
run rsa 1 -D DOMAIN=example.com
run ed 1 -D DOMAIN=ed.example
run dual 2 -D DOMAIN=dual.example
run rsa-nolead 1 -D DOMAIN=example.com -D NOLEAD=1
run dual-nolead 2 -D DOMAIN=dual.example -D NOLEAD=1
run originating 1 -D DOMAIN=example.com -D ADDR=192.0.2.1 -D HOST=mx.example.org -D DAEMON=ORIGINATING
run sasl 1 -D DOMAIN=example.com -D ADDR=192.0.2.1 -D HOST=mx.example.org -D AUTH=alice
run external 0 -D DOMAIN=example.com -D ADDR=192.0.2.1 -D HOST=mx.example.org
run foreign 0 -D DOMAIN=other.org
pd_check 1 $W1
pd_check 2 $W2
tl_note "ok: 9 miltertest scenarios"
