#!/bin/sh
# postdkim-pidfile.sh - the PidFile is opened as root with care: a FIFO, a
# symbolic link or a hard link at its path is refused at once (nothing
# written through it, no hang), a second postdkim with the same PidFile
# says so and exits 3 leaving the first one alone, a stale file is taken
# over, and at exit the file is removed, or emptied with a warning when the
# UserID user cannot remove it.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

pd_key k rsa
mkdir "$T/run"
# conf NAME SOCKET PIDFILE [EXTRA]: a configuration in $T/NAME.conf.
conf() {
	cat > "$T/$1.conf" <<EOF
Domain example.com
KeyFile $T/k.key
Selector s
Socket local:$2
PidFile $3
Syslog no
${4:-}
EOF
}

# refused NAME WANT: postdkim on $T/NAME.conf exits 3 within 5 s, saying WANT.
refused() {
	"$POSTDKIM" -f -c "$T/$1.conf" > "$T/$1.log" 2>&1 &
	p=$!
	TL_PIDS="$TL_PIDS $p"
	tl_waitgone $p 50 || tl_fail "$1: postdkim still running after 5 s (hung on the PidFile?)"
	st=0
	wait $p || st=$?
	[ $st -eq 3 ] || { cat "$T/$1.log" >&2; tl_fail "$1: exit $st, expected 3"; }
	grep -qF -- "$2" "$T/$1.log" || { cat "$T/$1.log" >&2; tl_fail "$1: message lacks '$2'"; }
	tl_note "$1: $(grep -F -- "$2" "$T/$1.log")"
}

# 1. A FIFO: refused, not a hang.
mkfifo "$T/run/fifo.pid"
conf fifo "$T/run/fifo.sock" "$T/run/fifo.pid"
refused fifo "PidFile $T/run/fifo.pid: not a regular file"
[ ! -e "$T/run/fifo.sock" ] || tl_fail "fifo: socket left behind"

# 2. A symbolic link: refused, its target untouched.
echo precious > "$T/victim"
ln -s "$T/victim" "$T/run/link.pid"
conf link "$T/run/link.sock" "$T/run/link.pid"
refused link "PidFile $T/run/link.pid: a symbolic link"
[ "$(cat "$T/victim")" = precious ] || tl_fail "link: the link's target was written"

# 3. A hard link: refused, the other name's content untouched.
ln "$T/victim" "$T/run/hard.pid"
conf hard "$T/run/hard.sock" "$T/run/hard.pid"
refused hard "PidFile $T/run/hard.pid: has 2 names"
[ "$(cat "$T/victim")" = precious ] || tl_fail "hard: the hard link was truncated"

# 4. A stale file from a crash is taken over; a second postdkim is refused.
printf '99999999\ngarbage' > "$T/run/pd.pid"
conf pd "$T/run/pd.sock" "$T/run/pd.pid"
pd_start pd "$T/pd.conf"
PID=$PD_PID
[ "$(cat "$T/run/pd.pid")" = "$PID" ] || tl_fail "PidFile holds '$(cat "$T/run/pd.pid")', not $PID"
conf second "$T/run/second.sock" "$T/run/pd.pid"
refused second "PidFile $T/run/pd.pid: locked: postdkim $PID is already running"
[ "$(cat "$T/run/pd.pid")" = "$PID" ] || tl_fail "second: the first one's PidFile changed"
[ -S "$T/run/pd.sock" ] || tl_fail "second: the first one's socket is gone"
kill -0 "$PID" || tl_fail "second: the first postdkim died"
pd_stop "$PID" || tl_fail "postdkim did not stop cleanly"
[ ! -e "$T/run/pd.pid" ] || tl_fail "PidFile left behind"

# 5. In the background, the PID is the daemon's, not the parent's.
conf bg "$T/run/bg.sock" "$T/run/bg.pid" "Background yes"
"$POSTDKIM" -c "$T/bg.conf" > "$T/bg.log" 2>&1 || { cat "$T/bg.log" >&2; tl_fail "background start failed"; }
BG=$(cat "$T/run/bg.pid")
TL_PIDS="$TL_PIDS $BG"
kill -0 "$BG" 2>/dev/null || tl_fail "background: PidFile holds $BG, not a running process"
kill -TERM "$BG"
tl_waitgone "$BG" 150 || tl_fail "background: did not stop"
[ ! -e "$T/run/bg.pid" ] || tl_fail "background: PidFile left behind"

# 6. After the switch to UserID the file cannot be removed from a directory
#    of root's: emptied, with a warning.
if [ "$(id -u)" -ne 0 ] || ! id nobody > /dev/null 2>&1; then
	tl_note "SKIP part 6: needs root and user nobody"
	exit 0
fi
chmod 711 "$T"
mkdir -m 755 "$T/rootrun"
conf user "$T/run/user.sock" "$T/rootrun/user.pid" "UserID nobody"
chmod 777 "$T/run"
pd_start user "$T/user.conf"
U=$PD_PID
[ "$(cat "$T/rootrun/user.pid")" = "$U" ] || tl_fail "user: PidFile does not hold $U"
pd_stop "$U" || tl_fail "user: did not stop cleanly"
grep -q "warning: PidFile $T/rootrun/user.pid: not removed (Permission denied), emptied instead" \
    "$T/user.log" || { cat "$T/user.log" >&2; tl_fail "user: no warning about the PidFile"; }
[ -e "$T/rootrun/user.pid" ] && [ ! -s "$T/rootrun/user.pid" ] || tl_fail "user: PidFile not emptied"
tl_note "ok"
