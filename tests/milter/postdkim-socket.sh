#!/bin/sh
# postdkim-socket.sh - one reading of Socket for "postdkim -n" and for the
# daemon: prefixes in any case (LOCAL:, Unix:, INET:, Inet6:) and a bare
# path are accepted by both, and the daemon then listens and signs there;
# what -n refuses, the daemon refuses too.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

pd_key k rsa
pd_zone s example.com k
tl_corpus "$T/in"
set -- $CORPUS
M1=$1

# conf SOCKET: $T/pd.conf listening on SOCKET.
conf() {
	cat > "$T/pd.conf" <<EOF2
Domain example.com
KeyFile $T/k.key
Selector s
Socket $1
Syslog no
EOF2
}

# works SOCKET CLIENTSPEC: -n accepts it, the daemon listens there and signs.
works() {
	conf "$1"
	"$POSTDKIM" -n -c "$T/pd.conf" > "$T/n.out" 2>&1 || { cat "$T/n.out" >&2; tl_fail "-n refuses Socket $1"; }
	"$POSTDKIM" -f -c "$T/pd.conf" -F "$PD_TIME" > "$T/pd.log" 2>&1 &
	p=$!
	TL_PIDS="$TL_PIDS $p"
	n=0
	rm -rf "$T/out"
	mkdir "$T/out"
	until "$MCLIENT" -s "$2" -o "$T/out" "$M1" > "$T/m.log" 2>&1; do
		kill -0 $p 2>/dev/null || { cat "$T/pd.log" >&2; tl_fail "the daemon refuses Socket $1 that -n accepted"; }
		n=$((n + 1))
		[ $n -le 100 ] || tl_fail "Socket $1: no signing at $2"
		sleep 0.1
	done
	grep -q ' accept stage=eom ins=1 ' "$T/m.log" || tl_fail "Socket $1: not signed"
	pd_check 1 "$T/out/1.eml"
	pd_stop $p || tl_fail "Socket $1: did not stop cleanly"
	tl_note "Socket $1: -n and the daemon agree, signed"
}

# refused SOCKET: -n and the daemon both refuse it.
refused() {
	conf "$1"
	if "$POSTDKIM" -n -c "$T/pd.conf" > "$T/n.out" 2>&1; then
		tl_fail "-n accepts Socket $1"
	fi
	st=0
	"$POSTDKIM" -f -c "$T/pd.conf" > "$T/pd.log" 2>&1 & p=$!
	TL_PIDS="$TL_PIDS $p"
	tl_waitgone $p 50 || tl_fail "the daemon started on Socket $1"
	wait $p || st=$?
	[ $st -ne 0 ] || tl_fail "the daemon exited 0 on Socket $1"
}

free_port() {
	$PY "$TESTS_SRCDIR/../freeport.py"
}

works "LOCAL:$T/a.sock" "unix:$T/a.sock"
works "Unix:$T/b.sock" "unix:$T/b.sock"
works "$T/c.sock" "unix:$T/c.sock"
P=$(free_port)
works "INET:$P@127.0.0.1" "inet:$P@127.0.0.1"
P=$(free_port)
works "Inet:$P@localhost" "inet:$P@127.0.0.1"
refused "local:relative.sock"
refused "Local:"
refused "inet:0@127.0.0.1"
refused "inet:@127.0.0.1"
refused "tcp:25"
tl_note "ok"
