#!/bin/sh
# postdkim-forged.sh - forged Authentication-Results fields (our authserv-id)
# through the milter protocol, in messages the verifier cannot verify or the
# A-R reader finds hard: more than 10,000 header fields, a header of about
# 4 MiB, the same from a client of ours whose From domain has no key (the
# signing side's path; our own domain's mail is still refused signing),
# more than 10,000 A-R fields, comments nested deeper than any fixed limit,
# an authserv-id over 255 bytes. Each forged field is removed wherever it
# stands, foreign ones are kept, a message that could not be verified gets
# dkim=permerror in our field and a log line, and nothing is let go at the
# end of the header.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

ID=mx.forged.example
# A port nothing answers on: none of these messages needs a key record.
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pd_key k rsa
{
	echo "Domain ours.example"
	echo "KeyFile $T/k.key"
	echo "Selector sel"
	echo "Socket local:$T/pd.sock"
	echo "Syslog no"
	echo "Nameservers 127.0.0.1@$PORT"
	echo "DNSTimeout 1"
	echo "AuthservID $ID"
} > "$T/pd.conf"
pd_start pd "$T/pd.conf"
PD1_PID=$PD_PID
S="unix:$T/pd.sock"

# The messages: each has forged fields (ours) at the top and at the bottom
# of its header, and one foreign field between them.
$PY - "$T" "$ID" <<'EOP'
import sys
t, ours = sys.argv[1], sys.argv[2]
top = ("Authentication-Results: %s; dkim=pass header.d=paypal.com\r\n"
       "Authentication-Results: other.example; spf=pass\r\n" % ours)
bottom = "Authentication-Results: %s/Q1; dkim=pass header.d=bank.example\r\n" % ours
base = ("From: Paypal <service@paypal.com>\r\nTo: bob@ours.example\r\n"
        "Subject: forged\r\nMessage-ID: <f1@paypal.com>\r\n")
body = "\r\nHello Bob.\r\n"


def put(name, head):
    with open("%s/%s.eml" % (t, name), "w") as f:
        f.write(top + head + bottom + body)


# 10,001 fields besides the others (about 100 KB; Postfix takes it).
put("many", base + "X-Pad: a\r\n" * 10001)
# About 4.2 MiB of header in fields of 60,000 bytes (under Postfix's
# header_size_limit of 100 KB).
put("huge", base + ("X-Big: " + "b" * 60000 + "\r\n") * 70)
# From a client of ours, in a domain without a key: not signed, verified.
put("local", base.replace("paypal.com>", "elsewhere.example>") + "To: x@y.example\r\n" * 10001)
# The same with From last, past the limits (and To in our own domain).
put("latefrom", base.replace("From: Paypal <service@paypal.com>\r\n", "") +
    "To: x@ours.example\r\n" * 10001 + "From: a@elsewhere.example\r\n")
# Our own domain, with a key: signing fails (On-SignatureError), nothing verified.
put("ourbig", base.replace("paypal.com>", "ours.example>") + "To: x@y.example\r\n" * 10001)
# 10,003 A-R fields: past the 10,000th, every one goes (ours among them).
with open("%s/manyar.eml" % t, "w") as f:
    f.write("Authentication-Results: other.example; spf=pass\r\n" * 10000 + bottom +
            "Authentication-Results: other.example; spf=pass\r\n" * 2 + base + body)
# A-R fields the reader once gave up on: comments nested 9 and 2,000 deep,
# an authserv-id of 300 bytes (AuthservIDWithJobID with a long job id),
# and a field that names us but is otherwise malformed.
deep = ("Authentication-Results: " + "(" * 9 + "x" + ")" * 9 + " %s; dkim=pass\r\n"
        "Authentication-Results: " + "(" * 2000 + ")" * 2000 + " %s; dkim=pass\r\n"
        "Authentication-Results: %s/" + "j" * 300 + "; dkim=pass\r\n"
        "Authentication-Results: \"%s/" + "q" * 300 + "\"; dkim=pass\r\n"
        "Authentication-Results: %s dkim=pass\r\n") % (ours, ours, ours, ours, ours)
put("deep", base + deep)
EOP

# run NAME MCLIENT-ARGS...: one message through the milter, into $T/o-NAME,
# accepted at the end of message (or at the stage named by STAGE).
run() {
	_rn=$1
	shift
	mkdir -p "$T/o-$_rn"
	"$MCLIENT" -s "$S" --queue-id "Q$_rn" --hostname "$ID" -o "$T/o-$_rn" "$@" \
	    "$T/$_rn.eml" > "$T/o-$_rn.log" || { cat "$T/o-$_rn.log" >&2; tl_fail "$_rn: mclient failed"; }
	grep -q "^1 accept stage=${STAGE:-eom} " "$T/o-$_rn.log" ||
		{ cat "$T/o-$_rn.log" >&2; tail -3 "$T/pd.log" >&2; tl_fail "$_rn: not accepted at ${STAGE:-eom}"; }
}

# ars NAME: the A-R fields of the result, unfolded, one a line, cut at 100 bytes.
ars() {
	$PY - "$T/o-$1/1.eml" <<'EOP'
import sys
data = open(sys.argv[1], "rb").read().decode()
head = data.split("\r\n\r\n", 1)[0].replace("\r\n\t", " ").replace("\r\n ", " ")
for line in head.split("\r\n"):
    if line.lower().startswith("authentication-results:"):
        print(line[:100])
EOP
}

# expect NAME PATTERN...: the A-R fields of the result, in order, match the patterns.
expect() {
	_en=$1
	shift
	ars "$_en" > "$T/ars-$_en"
	[ "$(wc -l < "$T/ars-$_en")" -eq $# ] ||
		{ cat "$T/ars-$_en" >&2; tl_fail "$_en: $(wc -l < "$T/ars-$_en") A-R fields, want $#"; }
	_ei=0
	for _ep in "$@"; do
		_ei=$((_ei + 1))
		sed -n "${_ei}p" "$T/ars-$_en" | grep -q -- "$_ep" ||
			{ cat "$T/ars-$_en" >&2; tl_fail "$_en: A-R field $_ei does not match '$_ep'"; }
	done
}

for m in many huge; do
	run $m --client-addr 192.0.2.1
	expect $m "^Authentication-Results: $ID; dkim=permerror (" \
	    "^Authentication-Results: other.example; spf=pass"
	grep -q ": Q$m: not signed: .*; verified: not verified: .*\[removed 2 forged Authentication-Results of 2" \
	    "$T/pd.log" || { tail -3 "$T/pd.log" >&2; tl_fail "$m: no log line"; }
done
grep -q "^Authentication-Results: $ID; dkim=permerror (more than 10000 header fields)\$" "$T/ars-many" ||
	tl_fail "many: the permerror does not say why"
grep -q "^Authentication-Results: $ID; dkim=permerror (header section exceeds 4194304 bytes)\$" \
    "$T/ars-huge" || tl_fail "huge: the permerror does not say why"
tl_note "10,001 fields and 4.2 MiB of header: 2 forged fields removed, dkim=permerror added, logged"

for m in local latefrom; do
	run $m
	expect $m "^Authentication-Results: $ID; dkim=permerror (more than 10000 header fields)" \
	    "^Authentication-Results: other.example; spf=pass"
	grep -q ": Q$m: not signed: no signing key for elsewhere.example; verified: not verified: " \
	    "$T/pd.log" || { tail -3 "$T/pd.log" >&2; tl_fail "$m: no log line"; }
done
tl_note "a client of ours, no key for its domain, 10,001 To fields: verified, forged fields removed"
STAGE=eoh
run ourbig
unset STAGE
grep -q "^1 accept .* ins=0 add=0 chg=0 del=0" "$T/o-ourbig.log" || tl_fail "ourbig: changed"
grep -q ": Qourbig: not signed: header: header section too large (action accept)" "$T/pd.log" ||
	{ tail -3 "$T/pd.log" >&2; tl_fail "ourbig: no log line"; }

run manyar --client-addr 192.0.2.1
[ "$(grep -c '^Authentication-Results: other.example; spf=pass' "$T/o-manyar/1.eml")" -eq 10000 ] ||
	tl_fail "manyar: not the first 10,000 foreign fields kept"
[ "$(grep -c '^Authentication-Results:' "$T/o-manyar/1.eml")" -eq 10001 ] ||
	tl_fail "manyar: fields past the 10,000th left"
grep -q ": Qmanyar: not signed: .*\[removed 3 forged Authentication-Results of 3" "$T/pd.log" ||
	{ tail -3 "$T/pd.log" >&2; tl_fail "manyar: not logged"; }
tl_note "10,003 A-R fields: the 10,000 first kept (foreign), the 3 past them removed"

run deep --client-addr 192.0.2.1
expect deep "^Authentication-Results: other.example; spf=pass"
grep -q ": Qdeep: not signed: .*\[removed 7 forged Authentication-Results of 7; left 0 unparsable\]" \
    "$T/pd.log" || { tail -3 "$T/pd.log" >&2; tl_fail "deep: not logged"; }
tl_note "comments nested 9 and 2,000 deep, ids of 300 bytes, a malformed field: removed"

pd_stop "$PD1_PID" || tl_fail "postdkim did not stop cleanly"
echo "$TL_NAME: PASS"
