#!/bin/sh
# postdkim-privs.sh - postdkim started as root the way a distribution runs
# it: keys read as root, then running for good as UserID (nobody:postfix
# here) with no way back (real, effective and saved IDs, no supplementary
# groups left), a socket of mode 0770 in the group Postfix is in, so the
# postfix user can connect and sign while an unrelated user cannot, and a
# PidFile that goes away on SIGTERM.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

[ "$(id -u)" -eq 0 ] || tl_skip "must run as root to test the switch to UserID"
id postfix > /dev/null 2>&1 || tl_skip "no postfix user (apt-get install postfix)"
id nobody > /dev/null 2>&1 || tl_skip "no nobody user"
id daemon > /dev/null 2>&1 || tl_skip "no daemon user"
command -v su > /dev/null 2>&1 || tl_skip "su(1) missing"

# Other users must reach the socket: open the way to it, and give them a
# client they can run.
chmod 711 "$T"
cp "$MCLIENT" "$T/mclient"
chmod 755 "$T/mclient"
pd_key k rsa
pd_zone sel example.com k
# As /run/postdkim (or the socket folder in the Postfix chroot) would be:
# owned by the run-time user, who removes its PidFile and socket on exit.
mkdir -m 755 "$T/run"
chown nobody "$T/run"
printf 'From: a@example.com\nTo: b@example.net\nSubject: privs\n\nbody\n' > "$T/m.eml"
chmod 644 "$T/m.eml"
cat > "$T/pd.conf" <<EOF2
Domain		example.com
KeyFile		$T/k.key
Selector	sel
Socket		local:$T/run/pd.sock
UserID		nobody:postfix
PidFile		$T/run/postdkim.pid
Syslog		no
EOF2
pd_start pd "$T/pd.conf"
PID=$PD_PID

uid=$(id -u nobody)
gid=$(getent group postfix | cut -d: -f3)
grep -q "^Uid:	$uid	$uid	$uid	$uid\$" /proc/$PID/status \
    || { grep -E '^(Uid|Gid|Groups)' /proc/$PID/status >&2; tl_fail "not running as nobody for good"; }
grep -q "^Gid:	$gid	$gid	$gid	$gid\$" /proc/$PID/status \
    || { grep -E '^(Uid|Gid|Groups)' /proc/$PID/status >&2; tl_fail "not running with group postfix for good"; }
groups=$(sed -n 's/^Groups:[ 	]*//p' /proc/$PID/status | tr -d ' ')
[ -z "$groups" ] || [ "$groups" = "$gid" ] || tl_fail "supplementary groups left: $groups"

[ "$(stat -c '%a %U %G' "$T/run/pd.sock")" = "770 nobody postfix" ] \
    || tl_fail "socket is $(stat -c '%a %U %G' "$T/run/pd.sock"), want 770 nobody postfix"
[ "$(cat "$T/run/postdkim.pid" 2>/dev/null)" = "$PID" ] || tl_fail "PidFile does not hold the daemon's PID"

su -s /bin/sh postfix -c "'$T/mclient' -s 'unix:$T/run/pd.sock' '$T/m.eml'" > "$T/1.eml" 2> "$T/postfix.log" \
    || { cat "$T/postfix.log" >&2; tl_fail "the postfix user cannot use the socket"; }
grep -q '^1 accept .* ins=1 ' "$T/postfix.log" || tl_fail "not signed for the postfix user"
pd_check 1 "$T/1.eml"
if su -s /bin/sh daemon -c "'$T/mclient' -s 'unix:$T/run/pd.sock' '$T/m.eml'" > "$T/daemon.log" 2>&1; then
	tl_fail "an unrelated user (daemon) could use the socket"
fi
grep -q 'Permission denied' "$T/daemon.log" || { cat "$T/daemon.log" >&2; tl_fail "daemon user: unexpected error"; }
[ "$(stat -c '%a %U' "$T/k.key")" = "600 root" ] || tl_fail "the key file was changed"

pd_stop "$PID" || tl_fail "postdkim did not stop cleanly"
[ ! -e "$T/run/postdkim.pid" ] || tl_fail "PidFile left behind"
[ ! -e "$T/run/pd.sock" ] || tl_fail "socket left behind"
tl_note "ok: runs as nobody:postfix, socket 0770 for group postfix"
