#!/bin/sh
# postdkim-policy.sh - whose mail postdkim signs, seen from the MTA side:
# ORIGINATING daemon name, SASL user, 127.0.0.1, ::1 and the pickup path
# sign; an external unauthenticated client, a foreign From domain, no From
# and two From fields do not, the message is still accepted, and the log
# says why with the queue id. A From with several mailboxes (and a Sender)
# is signed when every mailbox gets the same keys, not otherwise. On-Default
# tempfail defers our mail that cannot be signed, never mail that is not ours;
# quarantine holds it and discard drops it, as OpenDKIM does.
# A 445-byte From address matches a full-address and a *@domain entry.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

pd_key k rsa
pd_zone sel example.com k
cat > "$T/pd.conf" <<EOF
Domain		example.com
KeyFile		$T/k.key
Selector	sel
Socket		local:$T/pd.sock
MTA		ORIGINATING
Syslog		no
SyslogSuccess	yes
LogWhy		yes
EOF
pd_start pd "$T/pd.conf"
S="unix:$T/pd.sock"

H='To: bob@example.net\nSubject: policy\nDate: Mon, 23 Nov 2026 19:00:00 +0000\n'
printf 'From: Alice <alice@example.com>\n'"$H"'\nbody\n' > "$T/ours.eml"
printf 'From: Alice <alice@EXAMPLE.COM>\n'"$H"'\nbody\n' > "$T/upper.eml"
printf 'From: Eve <eve@other.org>\n'"$H"'\nbody\n' > "$T/foreign.eml"
printf 'From: Sub <x@sub.example.com>\n'"$H"'\nbody\n' > "$T/subdomain.eml"
printf "$H"'\nno from at all\n' > "$T/nofrom.eml"
printf 'From: alice@example.com\n'"$H"'From: mallory@example.com\n\ntwo from fields\n' > "$T/twofrom.eml"
printf 'From: Alice <alice@example.com>, Carol <carol@example.com>\nSender: alice@example.com\n'"$H"'\ntwo mailboxes\n' > "$T/twobox.eml"
printf 'From: alice@example.com, eve@other.org\nSender: alice@example.com\n'"$H"'\ntwo domains\n' > "$T/twodom.eml"
printf 'From: "Alice (Sales)" <alice@example.com> (comment)\n'"$H"'\nquoted\n' > "$T/quoted.eml"

# case NAME WANT(signed|unsigned) MSG MCLIENT-ARGS...
nq=0
case_() {
	name=$1 want=$2 msg=$3
	shift 3
	nq=$((nq + 1))
	qid=$(printf 'A%05dB' "$nq")
	mkdir -p "$T/o-$name"
	"$MCLIENT" -s "$S" --queue-id "$qid" -o "$T/o-$name" "$@" "$T/$msg" > "$T/o-$name.log" \
	    || { cat "$T/o-$name.log" >&2; tl_fail "$name: mclient failed"; }
	grep -q '^1 accept ' "$T/o-$name.log" || { cat "$T/o-$name.log" >&2; tl_fail "$name: not accepted"; }
	if [ "$want" = signed ]; then
		grep -q ' ins=1 ' "$T/o-$name.log" || { tail "$T/pd.log" >&2; tl_fail "$name: not signed"; }
		SIGNED="${SIGNED:-} $T/o-$name/1.eml"
	else
		grep -q ' ins=0 add=0 chg=0 del=0' "$T/o-$name.log" || tl_fail "$name: signed, should not be"
		pd_check 0 "$T/o-$name/1.eml"
		# The log names the queue id and the reason (bounded wait for it).
		n=0
		until grep -q "$qid.*not signed" "$T/pd.log"; do
			n=$((n + 1))
			[ $n -le 50 ] || { cat "$T/pd.log" >&2; tl_fail "$name: no log line with $qid"; }
			sleep 0.1
		done
		tl_note "$name: $(grep "$qid" "$T/pd.log" | head -1 | sed 's/^postdkim: //')"
	fi
}

case_ originating   signed   ours.eml --client-addr 192.0.2.1 --daemon-name ORIGINATING
case_ sasl          signed   ours.eml --client-addr 192.0.2.1 --auth alice
case_ sasl-v6       signed   ours.eml --client-addr 2001:db8::25 --auth alice
case_ localhost     signed   ours.eml
case_ loopback-v6   signed   ours.eml --client-addr ::1 --client-name localhost
case_ pickup        signed   ours.eml --pickup
case_ upper-domain  signed   upper.eml
case_ quoted-from   signed   quoted.eml
case_ external      unsigned ours.eml --client-addr 192.0.2.1 --client-name mx.example.org
case_ external-v6   unsigned ours.eml --client-addr 2001:db8::25
case_ other-daemon  unsigned ours.eml --client-addr 192.0.2.1 --daemon-name smtpd
case_ foreign-from  unsigned foreign.eml
case_ subdomain     unsigned subdomain.eml
case_ no-from       unsigned nofrom.eml
case_ two-from      unsigned twofrom.eml
case_ two-mailboxes signed   twobox.eml
case_ two-domains   unsigned twodom.eml
grep -q 'not signed: From has mailboxes in domains with different keys: example.com, other.org' \
    "$T/pd.log" || tl_fail "two-domains: reason not logged"

# Every signature, by both verifiers in one go.
pd_check 1 $SIGNED

# KeyTable + SigningTable: mailboxes of two domains whose mail gets the same
# signature (d=, s=, key) are signed once for all; a domain with a key of its
# own, or a user with a key of their own, makes the set ambiguous: not signed.
pd_key k2 rsa
pd_zone sel2 example.org k2
cat > "$T/kt" <<EOF
com	example.com:sel:$T/k.key
net	example.com:sel:$T/k.key
org	example.org:sel2:$T/k2.key
carol	example.com:sel2:$T/k2.key
EOF
cat > "$T/st" <<EOF
carol@example.com	carol
example.com	com
example.net	net
example.org	org
EOF
cat > "$T/pd3.conf" <<EOF
KeyTable	file:$T/kt
SigningTable	file:$T/st
Socket		local:$T/pd3.sock
Syslog		no
SyslogSuccess	yes
EOF
pd_start pd3 "$T/pd3.conf"
printf 'From: alice@example.com, bob@example.net\nSender: alice@example.com\n'"$H"'\nshared key\n' > "$T/kt1.eml"
printf 'From: alice@example.com, bob@example.org\nSender: alice@example.com\n'"$H"'\nother key\n' > "$T/kt2.eml"
printf 'From: alice@example.com, carol@example.com\nSender: alice@example.com\n'"$H"'\nper-user key\n' > "$T/kt3.eml"
mkdir "$T/ktout"
"$MCLIENT" -s "unix:$T/pd3.sock" -o "$T/ktout" "$T/kt1.eml" "$T/kt2.eml" "$T/kt3.eml" > "$T/kt.log" \
    || tl_fail "KeyTable mailboxes: mclient failed"
grep -q '^1 accept .* ins=1 ' "$T/kt.log" && grep -q '^2 accept .* ins=0 ' "$T/kt.log" &&
    grep -q '^3 accept .* ins=0 ' "$T/kt.log" || { cat "$T/kt.log" "$T/pd3.log" >&2; tl_fail "KeyTable mailboxes: wrong decisions"; }
pd_check 1 "$T/ktout/1.eml"
grep -q 'd=example.com' "$T/ktout/1.eml" || tl_fail "KeyTable mailboxes: not signed for the first author's domain"
grep -q 'different keys: example.com, example.org' "$T/pd3.log" &&
    grep -q 'mailboxes with different keys in example.com' "$T/pd3.log" ||
    { cat "$T/pd3.log" >&2; tl_fail "KeyTable mailboxes: reasons not logged"; }

# Long addresses (local@domain of 445 bytes, as long as the From parser
# takes: 250-byte local part, 194-byte domain) are matched like short ones:
# a full-address entry of a file SigningTable, and *@domain in a refile: one.
L=$($PY -c 'print("x" * 250)')
LD=$($PY -c 'print(".".join(c * 60 for c in "abc") + ".example.com")')
pd_zone sel2 example.com k2
printf '%s@%s\tcarol\n' "$L" "$LD" >> "$T/st"
printf '*@%s\tcom\n' "$LD" > "$T/st4"
sed -e "s|file:$T/st|refile:$T/st4|" -e "s|pd3.sock|pd4.sock|" "$T/pd3.conf" > "$T/pd4.conf"
kill -HUP "$PD_PID"
pd_start pd4 "$T/pd4.conf"
printf 'From: %s@%s\n'"$H"'\nlong address\n' "$L" "$LD" > "$T/long.eml"
for d in pd3 pd4; do
	rm -rf "$T/long-$d"
	mkdir "$T/long-$d"
	n=0
	# pd3 signs with carol's key (s=sel2) once the reload is in force.
	until "$MCLIENT" -s "unix:$T/$d.sock" -o "$T/long-$d" "$T/long.eml" > "$T/long-$d.log" &&
	    grep -q '^1 accept .* ins=1 ' "$T/long-$d.log" && { [ $d = pd4 ] ||
	    grep -q 's=sel2;' "$T/long-$d/1.eml"; }; do
		n=$((n + 1))
		[ $n -le 50 ] || { cat "$T/long-$d.log" "$T/$d.log" >&2; tl_fail "long address ($d): not signed"; }
		sleep 0.1
	done
	pd_check 1 "$T/long-$d/1.eml"
done
grep -q 's=sel;' "$T/long-pd4/1.eml" || tl_fail "long address (refile): not signed by *@domain's key"
tl_note "long address ($(printf '%s@%s' "$L" "$LD" | wc -c) bytes): signed by a full-address and a *@domain entry"

# The same decisions on one reused connection (state must not leak from
# one transaction to the next: SASL macros are per MAIL).
mkdir "$T/mixed"
"$MCLIENT" -s "$S" -o "$T/mixed" "$T/ours.eml" "$T/foreign.eml" "$T/ours.eml" "$T/nofrom.eml" \
    "$T/ours.eml" > "$T/mixed.log" || tl_fail "mixed: mclient failed"
[ "$(grep -c ' ins=1 ' "$T/mixed.log")" -eq 3 ] || { cat "$T/mixed.log" >&2; tl_fail "mixed: want 3 signed"; }
pd_check 1 "$T/mixed/1.eml" "$T/mixed/3.eml" "$T/mixed/5.eml"
pd_check 0 "$T/mixed/2.eml" "$T/mixed/4.eml"

# On-Default tempfail: our mail that cannot be signed (no key for the From
# domain) is deferred; mail that is not ours still passes untouched; ours
# with a key is still signed.
sed -e "s|$T/pd.sock|$T/pd2.sock|" "$T/pd.conf" > "$T/pd2.conf"
echo "On-Default	tempfail" >> "$T/pd2.conf"
pd_start pd2 "$T/pd2.conf"
"$MCLIENT" -s "unix:$T/pd2.sock" "$T/foreign.eml" "$T/nofrom.eml" 2> "$T/tf.log" > /dev/null \
    || tl_fail "On-Default tempfail: mclient failed"
grep -q '^1 tempfail ' "$T/tf.log" && grep -q '^2 tempfail ' "$T/tf.log" || { cat "$T/tf.log" >&2; tl_fail "On-Default tempfail: unsignable mail of ours not deferred"; }
"$MCLIENT" -s "unix:$T/pd2.sock" --client-addr 192.0.2.1 "$T/ours.eml" 2> "$T/tf1.log" > /dev/null \
    || tl_fail "On-Default tempfail: mclient failed"
grep -q '^1 accept .* ins=0 ' "$T/tf1.log" || { cat "$T/tf1.log" >&2; tl_fail "On-Default tempfail: external mail not passed untouched"; }
"$MCLIENT" -s "unix:$T/pd2.sock" -o "$T" --queue-id TF2 "$T/ours.eml" > "$T/tf2.log" \
    || tl_fail "On-Default tempfail: mclient failed"
grep -q '^1 accept .* ins=1 ' "$T/tf2.log" || tl_fail "On-Default tempfail: ours not signed"

# OpenDKIM's other actions. On-Default quarantine: our unsignable mail is
# accepted and held (smfi_quarantine at the end of the message, although the
# decision is taken at the end of the header); ours with a key is signed and
# not held. On-NoSignature q (OpenDKIM's abbreviation): unsigned inbound mail
# is verified (AlwaysAddARHeader: unsigned mail is let go at the end of the
# header otherwise) and held. On-Default d: our unsignable mail is discarded.
sed -e "s|$T/pd.sock|$T/pq.sock|" "$T/pd.conf" > "$T/pq.conf"
printf 'On-Default\tquarantine\nOn-NoSignature\tq\nAlwaysAddARHeader\tyes\n' >> "$T/pq.conf"
pd_start pq "$T/pq.conf"
"$MCLIENT" -s "unix:$T/pq.sock" "$T/foreign.eml" "$T/ours.eml" > "$T/q.log" 2>&1 \
    || { cat "$T/q.log" >&2; tl_fail "On-Default quarantine: mclient failed"; }
grep -q '^1 accept .* ins=0 .*quarantine=.' "$T/q.log" && grep -q '^2 accept .* ins=1 ' "$T/q.log" \
    && ! grep -q '^2 .*quarantine=' "$T/q.log" \
    || { cat "$T/q.log" "$T/pq.log" >&2; tl_fail "On-Default quarantine: unsignable mail of ours not held"; }
"$MCLIENT" -s "unix:$T/pq.sock" --client-addr 192.0.2.1 "$T/ours.eml" > "$T/q2.log" 2>&1 \
    || { cat "$T/q2.log" >&2; tl_fail "On-NoSignature q: mclient failed"; }
grep -q '^1 accept .* ins=1 .*quarantine=.' "$T/q2.log" \
    || { cat "$T/q2.log" >&2; tl_fail "On-NoSignature q: unsigned inbound mail not held"; }
sed -e "s|$T/pd.sock|$T/pdd.sock|" "$T/pd.conf" > "$T/pdd.conf"
printf 'On-Default\td\n' >> "$T/pdd.conf"
pd_start pdd "$T/pdd.conf"
"$MCLIENT" -s "unix:$T/pdd.sock" "$T/foreign.eml" "$T/ours.eml" > "$T/d.log" 2>&1 \
    || { cat "$T/d.log" >&2; tl_fail "On-Default d: mclient failed"; }
grep -q '^1 discard ' "$T/d.log" && grep -q '^2 accept .* ins=1 ' "$T/d.log" \
    || { cat "$T/d.log" >&2; tl_fail "On-Default d: unsignable mail of ours not discarded"; }
tl_note "ok"
