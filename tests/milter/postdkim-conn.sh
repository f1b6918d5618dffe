#!/bin/sh
# postdkim-conn.sh - connection handling the way Postfix uses a milter:
# many messages per connection with ABORT between them (and aborted
# transactions in the middle), a connection per message, clients that go
# away after CONNECT, HELO or in the middle of a message (politely or not),
# one-byte body chunks, several connections at once, and bytes that are not
# the milter protocol at all. The daemon must keep signing correctly.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

pd_key rsa rsa
pd_key ed ed25519
pd_zone rsa example.com rsa
pd_zone ed example.com ed
cat > "$T/keytable" <<EOF
r example.com:rsa:$T/rsa.key
e example.com:ed:$T/ed.key
EOF
printf 'example.com r\nexample.com e\n' > "$T/signingtable"
cat > "$T/pd.conf" <<EOF
KeyTable		$T/keytable
SigningTable		$T/signingtable
MultipleSignatures	yes
Canonicalization	relaxed/relaxed
Socket			local:$T/pd.sock
Syslog			no
EOF
pd_start pd "$T/pd.conf"
PID=$PD_PID
S="unix:$T/pd.sock"
tl_corpus "$T/in"
set -- $CORPUS
M1=$1 M2=$2 M8=$8

alive() {
	kill -0 "$PID" 2>/dev/null || { cat "$T/pd.log" >&2; tl_fail "postdkim died ($1)"; }
}

# signed_all LOG N: N messages, each accepted with two signatures.
signed_all() {
	got=$(grep -c ' accept stage=eom ins=2 add=0 chg=0 del=0$' "$1" || true)
	[ "$got" -eq "$2" ] || { grep -v ' ins=2 ' "$1" | head >&2; tl_fail "$1: $got of $2 signed"; }
}

# 1. One connection, 3 x 40 messages, an aborted transaction before each.
mkdir "$T/reuse"
"$MCLIENT" -s "$S" --abort-first -n 40 -o "$T/reuse" "$M1" "$M2" "$M8" > "$T/reuse.log" \
    || tl_fail "reuse: mclient failed"
signed_all "$T/reuse.log" 120
pd_sane "$T/reuse/1.eml" "$T/reuse/119.eml"
"$DKIMVERIFY" --zone "$T/zone" --nsig 2 "$T"/reuse/*.eml > "$T/reuse.v" \
    || { grep -v '^OK' "$T/reuse.v" >&2; tl_fail "reuse: bad signature"; }
# Identical input and fixed time: every copy must be byte-identical.
for i in 4 7 118; do
	cmp -s "$T/reuse/1.eml" "$T/reuse/$i.eml" || tl_fail "reuse: message $i differs from message 1"
done

# 2. A new connection per message, without SMFIP_HDR_LEADSPC too.
mkdir "$T/reconnect" "$T/nolead"
"$MCLIENT" -s "$S" -r -n 5 -o "$T/reconnect" $CORPUS > "$T/reconnect.log" || tl_fail "reconnect"
signed_all "$T/reconnect.log" 50
"$MCLIENT" -s "$S" --no-leadspc -n 2 -o "$T/nolead" $CORPUS > "$T/nolead.log" || tl_fail "nolead"
signed_all "$T/nolead.log" 20
pd_check 2 "$T"/reconnect/1?.eml "$T"/nolead/*.eml

# 3. Clients that leave early, with QUIT/ABORT or by just closing.
for st in optneg connect helo mail rcpt data header body; do
	"$MCLIENT" -s "$S" --stop-after $st --hangup -n 4 "$M8" > /dev/null 2>&1 \
	    || tl_fail "--stop-after $st --hangup"
	"$MCLIENT" -s "$S" --stop-after $st -n 4 "$M8" > /dev/null 2>&1 \
	    || tl_fail "--stop-after $st"
	alive "stop after $st"
done
# Early leavers mixed into a reused connection: partial transactions, then real ones.
mkdir "$T/after"
"$MCLIENT" -s "$S" --stop-after body -n 3 "$M8" > /dev/null 2>&1 || tl_fail "partial bodies"
"$MCLIENT" -s "$S" -n 3 -o "$T/after" "$M8" "$M2" > "$T/after.log" || tl_fail "after early closes"
signed_all "$T/after.log" 6

# 4. One-byte body chunks: chunk boundaries anywhere, even inside CRLF.
mkdir "$T/chunk1"
"$MCLIENT" -s "$S" --chunk 1 -o "$T/chunk1" "$M1" "$M2" > "$T/chunk1.log" || tl_fail "chunk 1"
signed_all "$T/chunk1.log" 2
cmp -s "$T/chunk1/1.eml" "$T/reuse/1.eml" || tl_fail "1-byte chunks give another signature"

# 5. Eight clients at once, 25 messages each.
pids=""
for k in 1 2 3 4 5 6 7 8; do
	mkdir "$T/par$k"
	"$MCLIENT" -s "$S" -n 25 -o "$T/par$k" "$M2" > "$T/par$k.log" 2>&1 &
	pids="$pids $!"
done
for p in $pids; do
	tl_waitgone "$p" 600 || { kill -9 "$p"; tl_fail "a parallel client hung"; }
	wait "$p" || tl_fail "a parallel client failed"
done
for k in 1 2 3 4 5 6 7 8; do
	signed_all "$T/par$k.log" 25
	cmp -s "$T/par$k/25.eml" "$T/reuse/2.eml" || tl_fail "parallel client $k: output differs"
done

# 6. Bytes that are not the protocol: bad length, unknown command, huge
#    length, half a packet, silence. The daemon drops them and carries on.
$PY - "$T/pd.sock" <<'EOF' || tl_fail "garbage client"
import socket, struct, sys, time
def send(data, wait=0.2):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sys.argv[1])
    try:
        s.sendall(data)
        time.sleep(wait)
    except OSError:
        pass
    s.close()
send(b"GET / HTTP/1.0\r\n\r\n")
send(struct.pack(">I", 0))
send(struct.pack(">I", 0x7fffffff) + b"O")
send(struct.pack(">I", 13) + b"O" + struct.pack(">III", 6, 0x1ff, 0x1fffff)[:5])
send(struct.pack(">I", 2) + b"Zz")
send(b"", 0.5)
EOF
alive "garbage"
mkdir "$T/final"
"$MCLIENT" -s "$S" -o "$T/final" "$M1" > "$T/final.log" || tl_fail "signing after garbage"
signed_all "$T/final.log" 1
cmp -s "$T/final/1.eml" "$T/reuse/1.eml" || tl_fail "output after garbage differs"

# 7. The same over TCP on the loopback (inet:PORT@127.0.0.1).
PORT=$($PY "$TESTS_SRCDIR/../freeport.py")
sed "s|^Socket.*|Socket inet:$PORT@127.0.0.1|" "$T/pd.conf" > "$T/inet.conf"
"$POSTDKIM" -f -c "$T/inet.conf" -F "$PD_TIME" > "$T/inet.log" 2>&1 &
TL_PIDS="$TL_PIDS $!"
mkdir "$T/inet"
n=0
until "$MCLIENT" -s "inet:$PORT@127.0.0.1" -n 3 -o "$T/inet" "$M1" > "$T/inet.out" 2>/dev/null; do
	n=$((n + 1))
	[ $n -le 100 ] || { cat "$T/inet.log" >&2; tl_fail "no signing over inet:$PORT@127.0.0.1"; }
	sleep 0.1
done
signed_all "$T/inet.out" 3
cmp -s "$T/inet/3.eml" "$T/reuse/1.eml" || tl_fail "inet: output differs from unix socket"

pd_stop "$PID" || tl_fail "postdkim did not exit cleanly on SIGTERM"
[ ! -e "$T/pd.sock" ] || tl_fail "socket left behind"
tl_note "ok"
