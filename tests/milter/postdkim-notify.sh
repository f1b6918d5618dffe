#!/bin/sh
# postdkim-notify.sh - systemd's notification protocol without systemd: a
# NOTIFY_SOCKET of the test's own (notify.py) receives READY=1 only once the
# milter socket answers, RELOADING=1/READY=1 around reloads (SIGUSR1 and
# postdkim -r, which waits for the load record's new generation and fails on
# a failed reload), WATCHDOG=1 with WATCHDOG_USEC and none while stopped,
# STOPPING=1 at the end; on a UNIX and a TCP socket.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

pd_key k rsa
cat > "$T/pd.conf" <<EOF
Domain example.com
KeyFile $T/k.key
Selector s1
Socket local:$T/pd.sock
PidFile $T/pd.pid
Syslog no
EOF
$PY "$TESTS_SRCDIR/notify.py" "$POSTDKIM" "$T/pd.conf" "local:$T/pd.sock" "$T/pd.pid" ||
	{ cat "$T/notify-pd.log" >&2; tl_fail "notify.py"; }
tl_note "PASS"
