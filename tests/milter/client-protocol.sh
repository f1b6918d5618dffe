#!/bin/sh
# client-protocol.sh - mclient against a recording libmilter filter
# (recmilter): what it sends must be what Postfix sends (header values with
# or without the space after the colon, bare "\n" in folded values, CRLF
# body in chunks of 65535 bytes, macros at the right stages, the pickup
# path's bare sender), and every modification it gets back must be applied
# the way Postfix's cleanup applies it.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
: "${RECMILTER:?RECMILTER must point to recmilter (run through make check)}"

N=0
# rec NAME ARGS...: start recmilter on its own socket; sets SOCK and RLOG.
rec() {
	N=$((N + 1))
	SOCK="$T/r$N.sock"
	RLOG="$T/$1.rlog"
	shift
	"$RECMILTER" -s "unix:$SOCK" -o "$RLOG" -b "$RLOG.body" "$@" > "$RLOG.err" 2>&1 &
	RPID=$!
	TL_PIDS="$TL_PIDS $RPID"
	tl_wait_socket "$SOCK" "$RPID" || { cat "$RLOG.err" >&2; tl_fail "recmilter did not start"; }
}
# has LINE: the milter's log has exactly this line.
has() {
	grep -qxF -- "$1" "$RLOG" || { cat "$RLOG" >&2; tl_fail "milter log lacks: $1"; }
}
hasnt() {
	if grep -qF -- "$1" "$RLOG"; then cat "$RLOG" >&2; tl_fail "milter log has: $1"; fi
}
# same FILE EXPECTED-PRINTF: the file holds exactly these bytes.
same() {
	printf "$2" > "$T/expected"
	cmp -s "$1" "$T/expected" || { od -c "$1" | head -40 >&2; tl_fail "$1: unexpected content"; }
}

printf 'From: a@example.com\nSubject:\tTab\nX-Dup: one\nX-Two:  two\nX-Dup: two\nX-None:none\nX-Fold: a\n\tb\n\nbody line\r\nlast' > "$T/m.eml"
MODS="-a i:0:X-Ins:inserted\\n\\tfolded -a h:X-Add:added -a c:1:Subject:changed -a c:2:X-Dup: -a p -a q:held"

# 1. SMFIP_HDR_LEADSPC negotiated, macro lists asked for, every modification.
rec leadspc -l -M $MODS
mkdir "$T/o1"
"$MCLIENT" -s "unix:$SOCK" --auth alice --daemon-name ORIGINATING --queue-id QID1 -o "$T/o1" "$T/m.eml" \
    > "$T/o1.log" || tl_fail "mclient (leadspc)"
grep -qx '1 accept stage=eom ins=1 add=1 chg=1 del=1 quarantine=held' "$T/o1.log" \
    || { cat "$T/o1.log" >&2; tl_fail "leadspc: verdict line"; }
has 'header From= a@example.com'
has 'header Subject=\tTab'
has 'header X-Two=  two'
has 'header X-None=none'
has 'header X-Fold= a\n\tb'
has '  connect {daemon_name}=ORIGINATING'
has '  mail {auth_authen}=alice'
has '  eom i=QID1'
has '  eom {client_name}=localhost'
hasnt '  mail i='
same "$RLOG.body" 'body line\r\nlast\r\n'
# With LEADSPC the milter supplies its own spaces: none here.
same "$T/o1/1.eml" 'X-Ins:inserted\r\n\tfolded\r\nFrom: a@example.com\r\nSubject:changed\r\nX-Dup: one\r\nX-Two:  two\r\nX-None:none\r\nX-Fold: a\r\n\tb\r\nX-Add:added\r\n\r\nbody line\r\nlast\r\n'

# 2. Without SMFIP_HDR_LEADSPC (the milter does not ask): one space, never a
#    tab, is removed; added fields get ": ".
rec noleadspc $MODS
mkdir "$T/o2"
"$MCLIENT" -s "unix:$SOCK" -o "$T/o2" "$T/m.eml" > "$T/o2.log" || tl_fail "mclient (no leadspc)"
has 'header From=a@example.com'
has 'header Subject=\tTab'
has 'header X-Two= two'
has 'header X-None=none'
has 'header X-Fold=a\n\tb'
same "$T/o2/1.eml" 'X-Ins: inserted\r\n\tfolded\r\nFrom: a@example.com\r\nSubject: changed\r\nX-Dup: one\r\nX-Two:  two\r\nX-None:none\r\nX-Fold: a\r\n\tb\r\nX-Add: added\r\n\r\nbody line\r\nlast\r\n'
# --no-leadspc: not offered, so not negotiated even when the milter wants it.
rec notoffered -l
"$MCLIENT" -s "unix:$SOCK" --no-leadspc "$T/m.eml" > /dev/null 2>&1 || tl_fail "mclient --no-leadspc"
has 'negotiate actions=0x1ff protocol=0xfffff'
has 'header From=a@example.com'

# 3. Postfix's default macro lists when the milter asks for none.
rec defaults
"$MCLIENT" -s "unix:$SOCK" --client-addr 192.0.2.7 --client-name mx.example.org \
    --auth bob --queue-id QID3 "$T/m.eml" > /dev/null 2>&1 || tl_fail "mclient (default macros)"
has 'negotiate actions=0x1ff protocol=0x1fffff'
has 'connect host=mx.example.org'
has '  connect j=mail.example.org'
has '  connect _=mx.example.org [192.0.2.7]'
has '  connect v=Postfix 3.7.11'
has '  connect {daemon_name}=mail.example.org'
has '  mail {auth_type}=PLAIN'
has '  mail {auth_authen}=bob'
has '  mail {mail_addr}=sender@example.com'
has '  rcpt {rcpt_addr}=rcpt@example.net'
has '  data i=QID3'
has '  eoh i=QID3'
hasnt '  connect {client_addr}'
hasnt '  mail i='
has 'mail arg=<sender@example.com>'

# 4. The pickup path: localhost, bare sender, queue id from the start.
rec pickup -M
"$MCLIENT" -s "unix:$SOCK" --pickup --queue-id QID4 --from root@example.com "$T/m.eml" > /dev/null 2>&1 \
    || tl_fail "mclient --pickup"
has 'mail arg=root@example.com'
has '  mail i=QID4'
has '  connect {client_addr}=127.0.0.1'
hasnt '{auth_authen}='

# 5. Body chunks of 65535 bytes; no-reply headers; SMFIR_SKIP.
$PY -c 'import sys; sys.stdout.write("From: a@example.com\n\n" + "".join("%07d %s\n" % (i, "z" * 70) for i in range(2700)))' > "$T/big.eml"
rec chunks -P 80
mkdir "$T/o5"
"$MCLIENT" -s "unix:$SOCK" -o "$T/o5" "$T/big.eml" > /dev/null 2>&1 || tl_fail "mclient (chunks)"
$PY -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d.split(b"\n\n",1)[1].replace(b"\n",b"\r\n"))' "$T/big.eml" > "$T/big.crlf"
size=$(wc -c < "$T/big.crlf")
[ "$(grep -c '^body chunk=65535$' "$RLOG")" -eq $((size / 65535)) ] || { grep body "$RLOG" >&2; tl_fail "chunks of 65535"; }
has "body chunk=$((size % 65535))"
cmp -s "$RLOG.body" "$T/big.crlf" || tl_fail "the milter did not get the CRLF body"
$PY -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d.replace(b"\n",b"\r\n"))' "$T/big.eml" > "$T/big.all"
cmp -s "$T/o5/1.eml" "$T/big.all" || tl_fail "an untouched message did not come back unchanged"
rec skip -P 400 -a k
mkdir "$T/o6"
"$MCLIENT" -s "unix:$SOCK" -o "$T/o6" "$T/big.eml" > /dev/null 2>&1 || tl_fail "mclient (skip)"
[ "$(grep -c '^body chunk=' "$RLOG")" -eq 1 ] || { grep body "$RLOG" >&2; tl_fail "SMFIR_SKIP: body not cut short"; }
cmp -s "$T/o6/1.eml" "$T/o5/1.eml" || tl_fail "SMFIR_SKIP changed the message"
rec nohdrs -P 20
"$MCLIENT" -s "unix:$SOCK" "$T/m.eml" > /dev/null 2>&1 || tl_fail "mclient (NOHDRS)"
hasnt 'header '
has 'eoh'

# 6. Replaced body; reject, tempfail, discard.
rec replbody -a 'b:new\r\nbody\nbare'
mkdir "$T/o7"
"$MCLIENT" -s "unix:$SOCK" -o "$T/o7" "$T/m.eml" > /dev/null 2>&1 || tl_fail "mclient (replbody)"
same "$T/o7/1.eml" 'From: a@example.com\r\nSubject:\tTab\r\nX-Dup: one\r\nX-Two:  two\r\nX-Dup: two\r\nX-None:none\r\nX-Fold: a\r\n\tb\r\n\r\nnew\r\nbody\r\nbare\r\n'
for v in reject tempfail discard; do
	rec "$v" -r "$v"
	mkdir "$T/o-$v"
	"$MCLIENT" -s "unix:$SOCK" -o "$T/o-$v" "$T/m.eml" > "$T/o-$v.log" 2>&1 || tl_fail "mclient ($v)"
	grep -q "^1 $v stage=eom" "$T/o-$v.log" || { cat "$T/o-$v.log" >&2; tl_fail "verdict $v"; }
	[ ! -e "$T/o-$v/1.eml" ] || tl_fail "$v: a message was written"
done
"$MCLIENT" -s "unix:$SOCK" --expect accept "$T/m.eml" > /dev/null 2>&1 && tl_fail "--expect did not fail"

# 7. Reuse: aborted transactions between messages; inet and IPv6 clients.
rec reuse
"$MCLIENT" -s "unix:$SOCK" --abort-first -n 3 --client-addr 2001:db8::7 "$T/m.eml" > /dev/null 2>&1 \
    || tl_fail "mclient (reuse)"
[ "$(grep -c '^abort$' "$RLOG")" -ge 3 ] || { cat "$RLOG" >&2; tl_fail "no ABORT seen"; }
[ "$(grep -c '^eom$' "$RLOG")" -eq 3 ] || tl_fail "not 3 messages"
[ "$(grep -c '^connect host=' "$RLOG")" -eq 1 ] || tl_fail "not one connection"
has 'connect family=inet6'
PORT=$($PY "$TESTS_SRCDIR/../freeport.py")
"$RECMILTER" -s "inet:$PORT@127.0.0.1" -o "$T/inet.rlog" > "$T/inet.err" 2>&1 &
TL_PIDS="$TL_PIDS $!"
n=0
until "$MCLIENT" -s "inet:$PORT@127.0.0.1" -q "$T/m.eml" > /dev/null 2>&1; do
	n=$((n + 1))
	[ $n -le 50 ] || tl_fail "mclient over inet:$PORT@127.0.0.1"
	sleep 0.1
done
tl_note "ok"
