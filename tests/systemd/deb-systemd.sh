#!/bin/sh
# deb-systemd.sh - the Debian package in a Debian 12 container booted under a
# real systemd: lintian and the conffile's mode (0640, group postdkim), install
# with Postfix, nothing runs before a key is configured, then sign mail through
# Postfix (sendmail and SMTP), check the unit's hardening, reload under load,
# stop, upgrade (the conffile's mode fixed or kept), reboot, remove, purge.
# Type=notify: start returns once the socket answers, reload once the new
# generation is loaded (and fails when the reload failed), and the watchdog
# restarts a daemon stopped with SIGSTOP.
#
#   tests/systemd/deb-systemd.sh [DEBDIR]    (default: _deb, from build.sh deb)
#
# Needs root, debootstrap, systemd-container and python3-dkim on the host
# (Debian's /usr/bin/python3: python3 on PATH may be another one).
# Run by .ci/run; not part of make check.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
debdir=$(cd "${1:-$top/_deb}" && pwd)
# shellcheck source=tests/systemd/container.sh
. "$here/container.sh"

[ "$(id -u)" -eq 0 ] || ct_fail "needs root (debootstrap, systemd-nspawn)"
for c in debootstrap systemd-nspawn nsenter; do
	command -v "$c" >/dev/null || ct_fail "$c not found (build.sh deps installs it)"
done
deb=$(find "$debdir" -maxdepth 1 -name 'postdkim_*.deb' | head -n 1)
[ -n "$deb" ] || ct_fail "no postdkim_*.deb in $debdir (run ./build.sh deb)"

start=$(date +%s)
work=$(mktemp -d /var/tmp/postdkim-ct.XXXXXX)
cleanup() {
	rc=$?
	if [ "$rc" -ne 0 ] && [ -n "$CT_NSPAWN" ] && kill -0 "$CT_NSPAWN" 2>/dev/null; then
		ct systemctl --no-pager status postdkim >&2 || true
		ct journalctl -q --no-pager -n 40 >&2 || true
	fi
	ct_halt
	rm -rf "$work"
	[ "$rc" -eq 0 ] || echo "deb-systemd: FAILED (exit $rc)" >&2
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { echo "== [$(( $(date +%s) - start )) s] $*"; }
ok() { echo "ok: $*"; }
# expect WHAT GOT WANTED
expect() {
	[ "$2" = "$3" ] || ct_fail "$1: got '$2', wanted '$3'"
	ok "$1: $2"
}

KEYDIR=/etc/postdkim/keys
SOCK=/var/spool/postfix/var/run/postdkim/postdkim.sock
PIDF=/run/postdkim/postdkim.pid
LOADED=/run/postdkim/postdkim.loaded
SINK=/var/tmp/sink

# optneg: the milter socket answers an option negotiation (as Postfix opens).
optneg() {
	ct python3 - "$SOCK" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(2)
s.connect(sys.argv[1])
s.sendall(struct.pack(">IcIII", 13, b"O", 6, 0x1FF, 0x1FFFFF))
sys.exit(0 if s.recv(5)[4:5] == b"O" else 1)
EOF
}

# generation: the configuration generation in the daemon's load record.
generation() {
	ct sed -n 's/^generation //p' $LOADED
}

step "lintian, and the conffile's mode in the package"
# /etc/postdkim.conf may hold a database password: 0640 in the package
# (group postdkim is given at install: the group does not exist at build).
command -v lintian >/dev/null || ct_fail "lintian not found (build.sh deps installs it)"
lintian --fail-on error,warning "$deb" || ct_fail "lintian: errors or warnings in $deb"
ok "lintian: no error or warning"
expect "/etc/postdkim.conf in the package" \
	"$(dpkg-deb -c "$deb" | awk '$6 == "./etc/postdkim.conf" { print $1, $2 }')" "-rw-r----- root/root"

step "container root"
ct_prepare "$work"
mkdir -p "$ROOT/root/pkg"
cp "$deb" "$ROOT/root/pkg/"
debname=$(basename "$deb")
# The PostgreSQL back end, a package of its own, installed later.
pgdeb=$(find "$debdir" -maxdepth 1 -name 'postdkim-pgsql_*.deb' | head -n 1)
[ -n "$pgdeb" ] || ct_fail "no postdkim-pgsql_*.deb in $debdir"
cp "$pgdeb" "$ROOT/root/pkg/"
pgdebname=$(basename "$pgdeb")
# The booted container has no network: apt fetches what the test installs
# now, on the host's network, into the root's own archive cache.
ct_chroot apt-get install -q -y --download-only --no-install-recommends \
	"/root/pkg/$debname" "/root/pkg/$pgdebname" postfix > "$work/download.log" 2>&1 ||
	{ tail -n 20 "$work/download.log"; ct_fail "apt-get --download-only failed"; }
echo "postfix postfix/main_mailer_type select Local only
postfix postfix/mailname string mx.example.test" > "$ROOT/root/preseed"

step "boot"
ct_boot
ct_wait
ok "systemd is up in the container (init pid $CT_PID on the host)"
ct debconf-set-selections /root/preseed

step "apt-get install ./$debname postfix"
ct sh -c "cd /root/pkg && apt-get install -q -y --no-install-recommends ./$debname postfix" \
	> "$work/install.log" 2>&1 || { cat "$work/install.log"; ct_fail "apt-get install failed"; }
grep '^postdkim:' "$work/install.log" || true
grep -q 'installed, not enabled' "$work/install.log" ||
	ct_fail "the install did not say what to do next"
expect "enabled after install" "$(ct systemctl is-enabled postdkim || true)" disabled
expect "active after install" "$(ct systemctl is-active postdkim || true)" inactive
# The shipped configuration names no key: a verifier that says so.
out=$(ct postdkim -n 2>&1) || ct_fail "postdkim -n refuses the shipped configuration: $out"
case "$out" in
*"nothing is signed"*"configuration OK, verifying only"*) ok "shipped configuration: $out" ;;
*) ct_fail "postdkim -n on the shipped configuration: $out" ;;
esac
# A configuration that cannot start (Mode s, nothing to sign): the service
# fails, is retried a few times (StartLimitBurst), then stays failed: no
# endless restart loop. The conffile gets its bytes back afterwards.
cp -p "$ROOT/etc/postdkim.conf" "$work/shipped.conf"
echo "Mode s" >> "$ROOT/etc/postdkim.conf"
ct systemctl start postdkim 2>/dev/null && ct_fail "postdkim started with nothing to sign"
i=0
until [ "$(ct systemctl is-active postdkim || true)" = failed ]; do
	[ $i -lt 200 ] || ct_fail "postdkim keeps restarting with nothing to sign"
	sleep 0.1
	i=$((i + 1))
done
sleep 3
expect "state a while after a start with nothing to sign" \
	"$(ct systemctl is-active postdkim || true)" failed
n=$(ct systemctl show -P NRestarts postdkim)
[ "$n" -le 3 ] || ct_fail "$n restarts with nothing to sign"
ok "gave up after $n automatic restarts"
ct systemctl reset-failed postdkim
cat "$work/shipped.conf" > "$ROOT/etc/postdkim.conf"
expect "key directory" "$(ct stat -c '%U:%G %a' $KEYDIR)" "postdkim:postdkim 700"
expect "socket directory" "$(ct stat -c '%U:%G %a' "$(dirname $SOCK)")" "postdkim:postdkim 750"
expect "PidFile directory" "$(ct stat -c '%U:%G %a' "$(dirname $PIDF)")" "postdkim:postdkim 755"
expect "configuration file" "$(ct stat -c '%U:%G %a' /etc/postdkim.conf)" "root:postdkim 640"
ct id -nG postfix | tr ' ' '\n' | grep -qx postdkim || ct_fail "postfix is not in group postdkim"
ok "postfix is in group postdkim"
# shellcheck disable=SC2016
ct dpkg-query -W -f='${Conffiles}\n' postdkim | grep -q ' /etc/postdkim.conf ' ||
	ct_fail "/etc/postdkim.conf is not a conffile"
ok "/etc/postdkim.conf is a conffile"

step "a key and a domain"
ct dkimgen -d example.test -s mail -D $KEYDIR
ct chown postdkim:postdkim $KEYDIR/mail.private
sed -e 's/^#Domain .*/Domain              example.test/' \
	-e "s|^#KeyFile .*|KeyFile             $KEYDIR/mail.private|" \
	-e 's/^#Selector .*/Selector            mail/' "$ROOT/etc/postdkim.conf" > "$work/conf"
cat "$work/conf" > "$ROOT/etc/postdkim.conf"
ct postdkim -n
sed 's/^mail\._domainkey/mail._domainkey.example.test/' "$ROOT$KEYDIR/mail.txt" > "$work/zone"

step "Postfix: the package's main.cf snippet, relay to a sink on loopback"
cat "$ROOT/usr/share/doc/postdkim/examples/postfix-main.cf.snippet" >> "$ROOT/etc/postfix/main.cf"
ct postconf -e 'relayhost = [127.0.0.1]:2526' 'inet_interfaces = loopback-only' \
	'mydestination = localhost' 'myhostname = mx.example.test' 'smtp_tls_security_level = none' \
	'default_transport = smtp' 'relay_transport = smtp'
ct mkdir -p $SINK
ct chown nobody $SINK
ct systemd-run -q --unit=sink /usr/sbin/smtp-sink -u nobody -d "$SINK/%H%M%S." 127.0.0.1:2526 20
ct systemctl enable -q --now postdkim
# Type=notify: start has returned, so the socket answers a milter now.
optneg || ct_fail "systemctl start returned before the milter socket answered"
ok "systemctl start returned with the milter socket answering an option negotiation"
ct systemctl restart postfix

# send HOW N TAG: N messages from alice@example.test, by sendmail or SMTP.
send() {
	ct python3 - "$@" <<'EOF'
import smtplib, subprocess, sys
how, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for i in range(n):
    msg = ("From: Alice <alice@example.test>\r\nTo: bob@remote.test\r\n"
           "Subject: %s %d\r\nMessage-ID: <%s.%d@example.test>\r\n\r\n"
           "Hello from the container, %s %d.\r\n" % (tag, i, tag, i, tag, i))
    if how == "sendmail":
        subprocess.run(["/usr/sbin/sendmail", "-f", "alice@example.test", "bob@remote.test"],
                       input=msg.replace("\r\n", "\n").encode(), check=True)
    else:
        with smtplib.SMTP("127.0.0.1", 25) as s:
            s.sendmail("alice@example.test", ["bob@remote.test"], msg)
EOF
}

# arrived TAG N: wait until the sink has N messages tagged TAG, verify each.
arrived() {
	i=0
	while :; do
		files=$(grep -l "^Subject: $1 " "$ROOT$SINK"/* 2>/dev/null || true)
		n=$(printf '%s' "$files" | grep -c . || true)
		[ "$n" -lt "$2" ] || break
		if [ $i -ge 600 ]; then
			ct postqueue -p >&2 || true
			ct journalctl -q -n 30 -u postfix@- -u postdkim >&2 || true
			ct_fail "$1: $n of $2 messages reached the sink"
		fi
		sleep 0.1
		i=$((i + 1))
	done
	[ "$n" -eq "$2" ] || ct_fail "$1: $n messages reached the sink, wanted $2"
	# shellcheck disable=SC2086
	/usr/bin/python3 "$top/tests/milter/dkimcheck.py" --zone "$work/zone" --nsig 1 $files > "$work/verify" ||
		{ cat "$work/verify"; ct_fail "$1: a signature does not verify"; }
	ok "$1: $2 message(s) relayed, each with one DKIM-Signature that dkimpy verifies"
}

step "the service under systemd"
expect "active" "$(ct systemctl is-active postdkim)" active
pid=$(ct systemctl show -P MainPID postdkim)
status=$(ct cat /proc/"$pid"/status)
field() { printf '%s\n' "$status" | sed -n "s/^$1:[[:space:]]*//p" | tr -s ' \t' ' '; }
expect "NoNewPrivs" "$(field NoNewPrivs)" 1
expect "Seccomp" "$(field Seccomp)" 2
# The container's own init already runs under systemd-nspawn's filter: the
# unit's SystemCallFilter adds at least one more.
base=$(ct sed -n 's/^Seccomp_filters:[[:space:]]*//p' /proc/1/status)
[ "$(field Seccomp_filters)" -gt "$base" ] ||
	ct_fail "no seccomp filter beyond the container's ($(field Seccomp_filters) <= $base)"
ok "Seccomp_filters: $(field Seccomp_filters) (container init: $base)"
# CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_SETGID, CAP_SETUID: bits 0, 1, 6, 7.
expect "CapBnd" "$(field CapBnd)" 00000000000000c3
expect "CapEff after the drop" "$(field CapEff)" 0000000000000000
expect "running as" "$(field Uid | cut -d' ' -f1)" "$(ct id -u postdkim)"
expect "socket" "$(ct stat -c '%U:%G %a %F' $SOCK)" "postdkim:postdkim 770 socket"
expect "PidFile" "$(ct cat $PIDF)" "$pid"
expect "Type" "$(ct systemctl show -P Type postdkim)" notify
expect "load record's pid" "$(ct sed -n 's/^pid //p' $LOADED)" "$pid"
expect "load record's mode" "$(ct stat -c '%U %a' $LOADED)" "postdkim 644"
expect "generation at start" "$(generation)" 1
case "$(ct systemctl show -P StatusText postdkim)" in
*"generation 1 loaded"*) ok "status: $(ct systemctl show -P StatusText postdkim)" ;;
*) ct_fail "StatusText: $(ct systemctl show -P StatusText postdkim)" ;;
esac

step "back ends: modules in packages of their own"
# The base package maps no database or directory client library.
maps=$(ct cat /proc/"$pid"/maps)
for lib in libpq libmariadb libldap; do
	case "$maps" in *"/$lib"*) ct_fail "postdkim maps $lib without a table that needs it" ;; esac
done
ok "no libpq, libmariadb or libldap in the daemon's memory"
printf '*@domain.fr domain.fr\n' > "$ROOT/root/dsn.st"
printf 'Syslog no\nSocket local:/root/dsn.sock\nSigningTable refile:/root/dsn.st\n%s\n' \
	'KeyTable dsn:pgsql://postdkim@127.0.0.1/mail/table=dkim?keycol=d?datacol=k' \
	> "$ROOT/root/dsn.conf"
out=$(ct postdkim -n -c /root/dsn.conf 2>&1) && ct_fail "postdkim -n accepted a pgsql table without its module"
case "$out" in
*"install the package postdkim-pgsql"*) ok "without the module: $out" ;;
*) ct_fail "without the module, postdkim -n says: $out" ;;
esac
ct sh -c "cd /root/pkg && apt-get install -q -y --no-install-recommends ./$pgdebname" \
	> "$work/install-pg.log" 2>&1 || { cat "$work/install-pg.log"; ct_fail "installing $pgdebname failed"; }
out=$(ct postdkim -n -c /root/dsn.conf 2>&1) || true
case "$out" in
*"install the package"*|*"not loaded"*|*"cannot be loaded"*|*"another version"*)
	ct_fail "with the module installed, postdkim -n says: $out" ;;
*PostgreSQL*) ok "with postdkim-pgsql: $(printf '%s' "$out" | grep PostgreSQL | head -n 1)" ;;
*) ct_fail "with the module installed, postdkim -n does not reach the back end: $out" ;;
esac

step "mail through Postfix"
send sendmail 1 viasendmail
arrived viasendmail 1
send smtp 1 viasmtp
arrived viasmtp 1

step "systemctl reload under load"
send smtp 30 reload &
sender=$!
sleep 0.3
gen=$(generation)
ct systemctl reload postdkim
# Returned: the new generation is already loaded.
expect "generation when systemctl reload returns" "$(generation)" $((gen + 1))
wait "$sender" || ct_fail "a message was refused during the reload"
arrived reload 30
expect "MainPID after reload" "$(ct systemctl show -P MainPID postdkim)" "$pid"
ct journalctl -q -u postdkim | grep -q 'configuration reloaded from /etc/postdkim.conf' ||
	ct_fail "no 'configuration reloaded' in the journal"
ok "the journal says: configuration reloaded"
# A reload that fails (the configuration unreadable for the postdkim user,
# who reloads; postdkim -r reads it as root): systemctl reload fails, the
# generation in force stays and keeps signing.
ct chmod 0600 /etc/postdkim.conf
ct systemctl reload postdkim 2>/dev/null && ct_fail "systemctl reload succeeded with an unreadable configuration"
ct chmod 0640 /etc/postdkim.conf
expect "generation after a failed reload" "$(generation)" $((gen + 1))
expect "active after a failed reload" "$(ct systemctl is-active postdkim)" active
case "$(ct systemctl show -P StatusText postdkim)" in
*"reload failed"*) ok "status: $(ct systemctl show -P StatusText postdkim)" ;;
*) ct_fail "StatusText after a failed reload: $(ct systemctl show -P StatusText postdkim)" ;;
esac
send smtp 1 afterfailedreload
arrived afterfailedreload 1

# 4 s: a ping every 2 s after a probe of at most 1 s, so that a loaded test
# machine does not miss two in a row.
step "the watchdog restarts a stopped daemon (WatchdogSec=4s in a drop-in)"
expect "WatchdogUSec of the unit" "$(ct systemctl show -P WatchdogUSec postdkim)" 30s
mkdir -p "$ROOT/etc/systemd/system/postdkim.service.d"
printf '[Service]\nWatchdogSec=4s\n' > "$ROOT/etc/systemd/system/postdkim.service.d/watchdog.conf"
ct systemctl daemon-reload
ct systemctl restart postdkim
expect "WatchdogUSec with the drop-in" "$(ct systemctl show -P WatchdogUSec postdkim)" 4s
old=$(ct systemctl show -P MainPID postdkim)
sleep 6
expect "active with a 4 s watchdog, after 6 s" "$(ct systemctl is-active postdkim)" active
expect "MainPID with a 4 s watchdog, after 6 s" "$(ct systemctl show -P MainPID postdkim)" "$old"
old=$(ct systemctl show -P MainPID postdkim)
ct kill -STOP "$old"
i=0
while :; do
	new=$(ct systemctl show -P MainPID postdkim)
	[ "$new" != "$old" ] && [ "$new" != 0 ] && [ "$(ct systemctl is-active postdkim)" = active ] && break
	[ $i -lt 400 ] || ct_fail "the stopped daemon ($old) was not restarted within 40 s"
	sleep 0.1
	i=$((i + 1))
done
ct journalctl -q -u postdkim | grep -q 'Watchdog timeout' || ct_fail "no watchdog timeout in the journal"
ok "watchdog timeout: restarted (pid $old -> $new) in about $((i / 10)) s"
optneg || ct_fail "the restarted daemon's socket does not answer"
send smtp 1 afterwatchdog
arrived afterwatchdog 1
rm -r "$ROOT/etc/systemd/system/postdkim.service.d"
ct systemctl daemon-reload
ct systemctl restart postdkim

step "systemctl stop"
ct systemctl stop postdkim
ct test ! -e $SOCK || ct_fail "the socket is left after stop"
ct test ! -e $PIDF || ct_fail "the PID file is left after stop"
ct test ! -e $LOADED || ct_fail "the load record is left after stop"
ok "stop removed the socket, the PID file and the load record"
ct systemctl start postdkim

step "upgrade (reinstall of the same package): configuration kept, restarted"
# As an earlier package left it (0644 root:root): the upgrade makes it 0640
# root:postdkim.
ct chgrp root /etc/postdkim.conf
ct chmod 0644 /etc/postdkim.conf
old=$(ct systemctl show -P MainPID postdkim)
ct sh -c "cd /root/pkg && apt-get install -q -y --reinstall ./$debname" > "$work/upgrade.log" 2>&1 ||
	{ cat "$work/upgrade.log"; ct_fail "reinstall failed"; }
ct grep -q '^Domain  *example.test' /etc/postdkim.conf || ct_fail "the configuration was not kept"
expect "configuration file after an upgrade from 0644" \
	"$(ct stat -c '%U:%G %a' /etc/postdkim.conf)" "root:postdkim 640"
expect "active after upgrade" "$(ct systemctl is-active postdkim)" active
new=$(ct systemctl show -P MainPID postdkim)
[ "$new" != "$old" ] || ct_fail "the upgrade did not restart postdkim"
ok "restarted by the upgrade (pid $old -> $new)"
send smtp 1 afterupgrade
arrived afterupgrade 1
# A mode of the administrator's own is kept by an upgrade.
ct chmod 0600 /etc/postdkim.conf
ct sh -c "cd /root/pkg && apt-get install -q -y --reinstall ./$debname" > "$work/upgrade2.log" 2>&1 ||
	{ cat "$work/upgrade2.log"; ct_fail "second reinstall failed"; }
expect "configuration file of mode 0600 after an upgrade" \
	"$(ct stat -c '%U:%G %a' /etc/postdkim.conf)" "root:postdkim 600"
ct chmod 0640 /etc/postdkim.conf

step "systemd-analyze security"
ct systemd-analyze security --no-pager postdkim.service > "$work/security" 2>&1 || true
cat "$work/security"
score=$(sed -n 's/.*Overall exposure level for postdkim.service: *\([0-9.]*\).*/\1/p' "$work/security")
[ -n "$score" ] || ct_fail "systemd-analyze security printed no score"
echo "systemd-analyze security: exposure $score"

step "reboot"
ct_reboot
expect "active after reboot" "$(ct systemctl is-active postdkim)" active
expect "socket after reboot" "$(ct stat -c '%U:%G %a %F' $SOCK)" "postdkim:postdkim 770 socket"
ct mkdir -p $SINK
ct chown nobody $SINK
ct systemd-run -q --unit=sink /usr/sbin/smtp-sink -u nobody -d "$SINK/%H%M%S." 127.0.0.1:2526 20
send sendmail 1 afterreboot
arrived afterreboot 1

step "apt-get remove, then purge"
ct apt-get remove -q -y postdkim > "$work/remove.log" 2>&1 ||
	{ cat "$work/remove.log"; ct_fail "remove failed"; }
expect "active after remove" "$(ct systemctl is-active postdkim || true)" inactive
ct test ! -e $SOCK || ct_fail "the socket is left after remove"
ct apt-get purge -q -y postdkim > "$work/purge.log" 2>&1 ||
	{ cat "$work/purge.log"; ct_fail "purge failed"; }
grep '^postdkim:' "$work/purge.log" || true
grep -q "private keys kept in $KEYDIR" "$work/purge.log" || ct_fail "purge did not say where the keys are"
ct test -f $KEYDIR/mail.private || ct_fail "purge deleted the private key"
ok "the key is still in $KEYDIR"
ct test ! -e /etc/postdkim.conf || ct_fail "/etc/postdkim.conf is left after purge"
ct test ! -e "$(dirname $SOCK)" || ct_fail "the socket directory is left after purge"
ct test ! -e "$(dirname $PIDF)" || ct_fail "the PidFile directory is left after purge"
ct getent passwd postdkim >/dev/null || ct_fail "purge removed the user that owns the kept key"
ct test ! -e /lib/systemd/system/postdkim.service || ct_fail "the unit is left after purge"
ct test ! -e /etc/systemd/system/multi-user.target.wants/postdkim.service ||
	ct_fail "the unit is still enabled after purge"
ok "purge removed the configuration, the socket and PidFile directories, the unit's links; kept user postdkim"

echo "deb-systemd: PASS in $(( $(date +%s) - start )) s (systemd-analyze security exposure $score)"
