#!/bin/sh
# postdkim-idna.sh - internationalized mail (RFC 8616, SMTPUTF8): a From
# with a UTF-8 local part and a U-label domain, a UTF-8 Subject and body,
# is signed with d= in A-label form whether the tables write the domain as
# a U-label or an A-label (KeyTable, SigningTable file: and refile:, Domain
# lists), and python3-dkim and libdkim verify the signatures.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

pd_key rsa rsa
pd_key ed ed25519
# bücher.example, münchen.example, straße.example (IDNA2008: ß stays).
pd_zone sel xn--bcher-kva.example rsa
pd_zone sel xn--mnchen-3ya.example ed
pd_zone sel xn--strae-oqa.example rsa

# KeyTable: one domain as U-label, one as A-label; SigningTable keys as U-labels.
cat > "$T/keytable" <<EOF
buecher	bücher.example:sel:$T/rsa.key
muenchen	xn--mnchen-3ya.example:sel:$T/ed.key
EOF
cat > "$T/signingtable" <<EOF
bücher.example	buecher
.münchen.example	muenchen
münchen.example	muenchen
EOF
cat > "$T/kt.conf" <<EOF
KeyTable	file:$T/keytable
SigningTable	file:$T/signingtable
Socket		local:$T/kt.sock
Syslog		no
SyslogSuccess	yes
EOF
pd_start kt "$T/kt.conf"

# refile: patterns with U-labels; Domain + KeyFile with a U-label list.
cat > "$T/keytable2" <<EOF
strasse	%:sel:$T/rsa.key
EOF
printf '*@straße.example strasse\n' > "$T/signingtable2"
cat > "$T/re.conf" <<EOF
KeyTable	file:$T/keytable2
SigningTable	refile:$T/signingtable2
Socket		local:$T/re.sock
Syslog		no
EOF
pd_start re "$T/re.conf"
cat > "$T/dom.conf" <<EOF
Domain		bücher.example, straße.example
KeyFile		$T/rsa.key
Selector	sel
Socket		local:$T/dom.sock
Syslog		no
EOF
pd_start dom "$T/dom.conf"

msg() {
	printf 'From: "Jörg Müller" <%s>\nTo: bob@example.net\nSubject: Grüße aus München – 日本語\nDate: Mon, 23 Nov 2026 19:00:00 +0000\n\nGrüße,\n\tJörg — ☃\n' "$1"
}
msg 'jörg@bücher.example' > "$T/1.eml"
msg 'jörg@BÜCHER.example' > "$T/2.eml"
msg 'ü@xn--bcher-kva.example' > "$T/3.eml"
msg 'anna@münchen.example' > "$T/4.eml"
msg 'anna@post.münchen.example' > "$T/5.eml"
msg 'jörg@straße.example' > "$T/6.eml"
msg 'jörg@strasse.example' > "$T/7.eml"

# run NAME SOCKET FILES...: each message accepted with one signature.
run() {
	name=$1 sock=$2
	shift 2
	mkdir -p "$T/o-$name"
	"$MCLIENT" -s "unix:$T/$sock.sock" -o "$T/o-$name" "$@" > "$T/o-$name.log" \
	    || { cat "$T/o-$name.log" >&2; tl_fail "$name: mclient failed"; }
}
run kt kt "$T/1.eml" "$T/2.eml" "$T/3.eml" "$T/4.eml" "$T/5.eml"
[ "$(grep -c ' ins=1 ' "$T/o-kt.log")" -eq 5 ] || { cat "$T/o-kt.log" "$T/kt.log" >&2; tl_fail "KeyTable: not every message signed"; }
for i in 1 2 3; do
	tr -d '\r\n\t ' < "$T/o-kt/$i.eml" | grep -q 'd=xn--bcher-kva.example;' || tl_fail "KeyTable: $i.eml: d= is not the A-label"
done
for i in 4 5; do
	tr -d '\r\n\t ' < "$T/o-kt/$i.eml" | grep -q 'a=ed25519-sha256;.*d=xn--mnchen-3ya.example;' || tl_fail "KeyTable: $i.eml: not signed for münchen"
done
pd_check 1 "$T"/o-kt/*.eml
tl_note "KeyTable: U-label and A-label entries sign U-label and A-label mail"

run re re "$T/6.eml" "$T/7.eml"
grep -q '^1 accept .* ins=1 ' "$T/o-re.log" && grep -q '^2 accept .* ins=0 ' "$T/o-re.log" \
    || { cat "$T/o-re.log" "$T/re.log" >&2; tl_fail "refile: wrong decisions (straße is not strasse)"; }
tr -d '\r\n\t ' < "$T/o-re/1.eml" | grep -q 'd=xn--strae-oqa.example;' || tl_fail "refile: d= is not the A-label"
pd_check 1 "$T/o-re/1.eml"

run dom dom "$T/1.eml" "$T/6.eml"
[ "$(grep -c ' ins=1 ' "$T/o-dom.log")" -eq 2 ] || { cat "$T/o-dom.log" "$T/dom.log" >&2; tl_fail "Domain list: not signed"; }
pd_check 1 "$T"/o-dom/*.eml

# -t signs the same bytes as the milter.
"$POSTDKIM" -c "$T/kt.conf" -F "$PD_TIME" -t "$T/1.eml" > "$T/t1.out" 2> "$T/t1.err" \
    || { cat "$T/t1.err" >&2; tl_fail "-t failed"; }
tr -d '\r\n\t ' < "$T/t1.out" | grep -q 'd=xn--bcher-kva.example;' || tl_fail "-t: d= is not the A-label"

# A U-label that IDNA2008 refuses is a configuration error naming the line.
printf 'bad	a\xe2\x80\x8db.example:sel:%s\n' "$T/rsa.key" > "$T/keytable3"
printf 'a\xe2\x80\x8db.example	bad\n' > "$T/signingtable3"
sed -e "s|$T/keytable|$T/keytable3|; s|$T/signingtable|$T/signingtable3|" "$T/kt.conf" > "$T/bad.conf"
if "$POSTDKIM" -n -c "$T/bad.conf" > "$T/bad.log" 2>&1; then
	cat "$T/bad.log" >&2
	tl_fail "-n accepted a name IDNA2008 refuses"
fi
grep -q 'signingtable3.*line 1.*not a valid internationalized name' "$T/bad.log" \
    || { cat "$T/bad.log" >&2; tl_fail "-n: no line for the bad U-label"; }
tl_note "ok"
