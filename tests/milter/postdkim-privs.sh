#!/bin/sh
# postdkim-privs.sh - postdkim started as root the way a distribution runs
# it: keys read as root, then running for good as UserID (nobody:postfix
# here) with no way back (real, effective and saved IDs, no supplementary
# groups left), a socket of mode 0770 in the group Postfix is in, so the
# postfix user can connect and sign while an unrelated user cannot, and a
# PidFile that goes away on SIGTERM. A key readable by the run-time group
# is used; readable by another group, or group-writable, it is refused.
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

# Keys as installers leave them (0640 root:opendkim, the daemon running as
# opendkim): a key readable by the run-time group is used, here from a
# KeyTable, read by the daemon as nobody:postfix when the message comes;
# the same key readable by another group is refused, naming both groups.
mkdir -m 711 "$T/keys"
cp "$T/k.key" "$T/keys/g.key"
chown root:postfix "$T/keys/g.key"
chmod 640 "$T/keys/g.key"
printf 'g example.com:sel:%s\n' "$T/keys/g.key" > "$T/kt"
printf '*@example.com g\n' > "$T/st"
chmod 644 "$T/kt" "$T/st"
mkdir -m 755 "$T/run2"
chown nobody "$T/run2"
cat > "$T/g.conf" <<EOF2
KeyTable	$T/kt
SigningTable	refile:$T/st
Socket		local:$T/run2/pd.sock
UserID		nobody:postfix
Syslog		no
EOF2
"$POSTDKIM" -n -c "$T/g.conf" > "$T/g-n.out" 2>&1 || { cat "$T/g-n.out" >&2; tl_fail "0640 root:postfix key refused for UserID nobody:postfix"; }
pd_start pg "$T/g.conf"
su -s /bin/sh postfix -c "'$T/mclient' -s 'unix:$T/run2/pd.sock' '$T/m.eml'" > "$T/2.eml" 2> "$T/g.log" \
    || { cat "$T/g.log" "$T/pg.log" >&2; tl_fail "0640 root:postfix key: mclient failed"; }
grep -q '^1 accept .* ins=1 ' "$T/g.log" || { cat "$T/g.log" "$T/pg.log" >&2; tl_fail "0640 root:postfix key: not signed"; }
pd_check 1 "$T/2.eml"
pd_stop "$PD_PID" || tl_fail "postdkim (pg) did not stop cleanly"
chgrp daemon "$T/keys/g.key"
if "$POSTDKIM" -n -c "$T/g.conf" > "$T/g-bad.out" 2>&1; then
	tl_fail "0640 root:daemon key accepted for UserID nobody:postfix"
fi
grep -qF "$T/keys/g.key: readable by group daemon (mode 0640), not the run-time group postfix" \
    "$T/g-bad.out" || { cat "$T/g-bad.out" >&2; tl_fail "0640 root:daemon key: wrong message"; }
chgrp postfix "$T/keys/g.key"
chmod 660 "$T/keys/g.key"
if "$POSTDKIM" -n -c "$T/g.conf" > "$T/g-w.out" 2>&1; then
	tl_fail "0660 root:postfix key accepted"
fi
grep -qF "writable by group (mode 0660)" "$T/g-w.out" || { cat "$T/g-w.out" >&2; tl_fail "0660 key: wrong message"; }
tl_note "ok: 0640 root:postfix key used by nobody:postfix; root:daemon and 0660 refused"
