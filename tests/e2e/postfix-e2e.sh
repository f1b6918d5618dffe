#!/bin/bash
# postfix-e2e.sh - end-to-end test: a real, private Postfix signs through postdkim.
#
# Builds and starts its own Postfix instance (postfix -c DIR: own main.cf,
# master.cf, queue and data directories, smtpd chrooted, 127.0.0.1 high
# ports only), a private Dovecot that answers SASL for the submission
# service, smtp-sink as the relayhost that captures what leaves, and the
# milter, running as the unprivileged user postdkim with its socket in
# QUEUE/var/run/postdkim/. Mail goes in over SMTP from an internal client,
# from an external one (another loopback address), through authenticated
# submission and through sendmail(1). Every captured message is checked
# (e2e_mail.py) and verified by dkimpy, Mail::DKIM, OpenDKIM and postdkim's
# own verifier. Then the faults: milter stopped, milter killed in the middle
# of a run, reload under load; no message may be lost or leave unsigned.
# Last, verification (Mode sv) against a private DNS server on loopback:
# inbound mail signed by an outside signer gets our Authentication-Results,
# a header too large to verify loses its forged one of ours, submitted mail is signed and not verified, and with the DNS server down
# inbound mail is tempfailed, kept, and delivered once DNS answers again.
# Then KeyTable and SigningTable in a private PostgreSQL server, stopped in
# the middle of a run: a domain postdkim has looked up keeps signing, one it
# has not is tempfailed and held, and leaves signed once the server is back.
#
# Needs root (Postfix instance, the postdkim system user). Everything it
# starts is stopped by PID on exit, whatever happens.
# E2E_MILTER=opendkim runs the same test against Debian's OpenDKIM (as a
# reference for the harness itself); E2E_KEEP=1 keeps the work directory.
set -eu

srcdir=${E2E_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
builddir=${E2E_BUILDDIR:-$PWD}
top_srcdir=${E2E_TOP_SRCDIR:-$(cd "$srcdir/../.." && pwd)}
top_builddir=${E2E_TOP_BUILDDIR:-$(cd "$builddir/../.." && pwd)}
MILTER=${E2E_MILTER:-postdkim}
PY=/usr/bin/python3		# the interpreter that has Debian's python3-dkim
MAILPY="$PY $srcdir/e2e_mail.py"
T0=$SECONDS
DEADLINE=$((SECONDS + ${E2E_TIMEOUT:-480}))

skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*" >&2; exit 1; }
say() { echo "e2e: $*"; }

[ "$(id -u)" = 0 ] || skip "must run as root: it starts a private Postfix and creates the user postdkim"
for tool in /usr/sbin/postfix /usr/sbin/postconf /usr/sbin/postqueue /usr/sbin/sendmail \
    /usr/sbin/smtp-sink /usr/sbin/dovecot /usr/bin/openssl /usr/sbin/useradd perl; do
	command -v "$tool" >/dev/null || skip "$tool not installed (Debian: postfix dovecot-core openssl passwd)"
done
$PY -c 'import dkim' 2>/dev/null || skip "python3-dkim not installed for $PY"
perl -MMail::DKIM::Verifier -e1 2>/dev/null || skip "Mail::DKIM not installed (libmail-dkim-perl)"
VERIFY_ALL=""
for d in "$top_srcdir/../shared" /work/shared; do
	[ -x "$d/interop/bin/verify-all" ] && { VERIFY_ALL="$d/interop/bin/verify-all"; break; }
done
[ -n "$VERIFY_ALL" ] || die "interop/bin/verify-all not found beside the checkout (../shared)"
case $MILTER in
postdkim)
	MILTER_BIN="$top_builddir/daemon/postdkim"
	POSTDKIM_MODULE_DIR=${POSTDKIM_MODULE_DIR:-$top_builddir/tables}
	export POSTDKIM_MODULE_DIR
	[ -x "$MILTER_BIN" ] || die "$MILTER_BIN not built"
	RELOAD_SIG=HUP ;;
opendkim)
	MILTER_BIN=/usr/sbin/opendkim
	[ -x "$MILTER_BIN" ] || skip "opendkim not installed"
	RELOAD_SIG=USR1 ;;
*)	die "E2E_MILTER must be postdkim or opendkim" ;;
esac
OWN_VERIFIER="$builddir/e2everify"
if [ ! -x "$OWN_VERIFIER" ]; then
	[ "$MILTER" = opendkim ] || die "$OWN_VERIFIER not built"
	OWN_VERIFIER=""
fi

# The work directory must be searchable by postfix and postdkim (chroot, socket).
WORK=$(mktemp -d /tmp/pdk-e2e.XXXXXX)
chmod 755 "$WORK"
CONF=$WORK/etc
SPOOL=$WORK/spool
SOCKDIR=$SPOOL/var/run/postdkim
LEDGER=$WORK/ledger.jsonl
SENT=$WORK/sent
MILTER_PID="" SINK_PID="" DOVECOT_PID="" WATCHDOG_PID="" BG_PIDS="" DNS_PID="" DBDIR=""

# stop_pid PID: TERM, then KILL after 10 s; only processes this test started.
stop_pid() {
	local pid=$1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	set +e
	if [ -f "$CONF/main.cf" ]; then
		timeout 30 /usr/sbin/postfix -c "$CONF" stop >/dev/null 2>&1
		pid=$(sed -n '1s/ //gp' "$SPOOL/pid/master.pid" 2>/dev/null)
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	fi
	for pid in $BG_PIDS; do stop_pid "$pid"; done
	stop_pid "$MILTER_PID"
	stop_pid "$DOVECOT_PID"
	stop_pid "$SINK_PID"
	stop_pid "$DNS_PID"
	stop_pid "$WATCHDOG_PID"
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		for f in postfix.out maillog milter.log dovecot.log sink.log dns.out db.out db/pg.log; do
			[ -s "$WORK/$f" ] && { echo "---- tail of $f"; tail -n 40 "$WORK/$f"; }
		done
	fi
	[ -n "$DBDIR" ] && "$DBH" stop "$DBDIR" >/dev/null 2>&1
	if [ "${E2E_KEEP:-0}" = 1 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Bound the whole run: the watchdog ends the test (and so its cleanup) when late.
(
	trap 'kill $spid 2>/dev/null; exit 0' TERM
	sleep $((DEADLINE - SECONDS + 30)) &
	spid=$!
	wait $spid
	echo "FAIL: e2e run exceeded its time bound" >&2
	kill -TERM $$
) &
WATCHDOG_PID=$!

# wait_until SECONDS WHAT COMMAND...: poll COMMAND until it succeeds.
wait_until() {
	local limit=$((SECONDS + $1)) what=$2
	shift 2
	until "$@"; do
		[ $SECONDS -lt $limit ] && [ $SECONDS -lt $DEADLINE ] || die "timed out waiting for $what"
		sleep 0.2
	done
}

free_ports() {
	$PY "$srcdir/../freeport.py" "$1"
}

# ------------------------------------------------------------ users and keys
# The milter runs as postdkim; postfix reaches its socket through group postdkim.
getent group postdkim >/dev/null || groupadd --system postdkim
getent passwd postdkim >/dev/null ||
	useradd --system -g postdkim -d /nonexistent -s /usr/sbin/nologin postdkim
id -nG postfix | tr ' ' '\n' | grep -qx postdkim || usermod -a -G postdkim postfix

KEYS=$WORK/keys
mkdir -p "$KEYS"
: >"$WORK/zone"
# mkkey NAME ALG DOMAIN SELECTOR: private key for postdkim, TXT record in the zone.
mkkey() {
	local name=$1 alg=$2 dom=$3 sel=$4 p
	if [ "$alg" = rsa ]; then
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS/$name.pem" 2>/dev/null
		p=$(openssl pkey -in "$KEYS/$name.pem" -pubout -outform DER | base64 -w0)
		echo "$sel._domainkey.$dom IN TXT \"v=DKIM1; k=rsa; \" \"p=$p\"" >>"$WORK/zone"
	else
		openssl genpkey -algorithm ED25519 -out "$KEYS/$name.pem"
		# RFC 8463: p= is the raw 32-byte public key, the tail of the DER form.
		p=$(openssl pkey -in "$KEYS/$name.pem" -pubout -outform DER | tail -c 32 | base64 -w0)
		echo "$sel._domainkey.$dom IN TXT \"v=DKIM1; k=ed25519; p=$p\"" >>"$WORK/zone"
	fi
	echo "$name $dom:$sel:$KEYS/$name.pem" >>"$KEYS/keytable"
}
mkkey com-rsa rsa example.com e2ersa
mkkey org-rsa rsa example.org e2eorgrsa
mkkey org-ed ed25519 example.org e2eorged
# example.org is signed twice (RSA and Ed25519) the OpenDKIM way:
# MultipleSignatures and one SigningTable line per key. (Debian's OpenDKIM,
# the reference run, cannot sign with Ed25519: RSA only there.)
ORG_ED='["ed25519-sha256", "e2eorged"]'
printf '*@example.com com-rsa\n*@example.org org-rsa\n' >"$KEYS/signingtable"
if [ "$MILTER" = postdkim ]; then
	printf '*@example.org org-ed\n' >>"$KEYS/signingtable"
else
	ORG_ED=""
fi
cat >"$WORK/expect.json" <<EOF
{"example.com": {"c": "relaxed/simple", "sigs": [["rsa-sha256", "e2ersa"]]},
 "example.org": {"c": "relaxed/simple",
                 "sigs": [["rsa-sha256", "e2eorgrsa"]${ORG_ED:+, $ORG_ED}]}}
EOF
chown -R postdkim:postdkim "$KEYS"
chmod 700 "$KEYS"
chmod 600 "$KEYS"/*.pem

read -r PORT_MX PORT_SUB PORT_SUBS PORT_SINK PORT_DNS <<<"$(free_ports 5)"
say "work $WORK, milter $MILTER, ports: mx $PORT_MX submission $PORT_SUB submissions $PORT_SUBS sink $PORT_SINK"

# ------------------------------------------------ socket directory, milter
# The socket directory comes from the kit's tmpfiles.d entry, moved into
# this instance's queue directory.
CONTRIB=$top_srcdir/contrib
for f in postdkim.tmpfiles postfix-main.cf.snippet postfix-master.cf.snippet; do
	[ -r "$CONTRIB/$f" ] || die "$CONTRIB/$f missing"
done
# Its /run/postdkim line (for PidFile) is the host's business, not this test's.
sed -e "s|/var/spool/postfix|$SPOOL|g" -e '\|^d /run/|d' "$CONTRIB/postdkim.tmpfiles" >"$WORK/tmpfiles.conf"
if command -v systemd-tmpfiles >/dev/null; then
	systemd-tmpfiles --create "$WORK/tmpfiles.conf" || die "systemd-tmpfiles rejects contrib/postdkim.tmpfiles"
else
	say "no systemd-tmpfiles: socket directory made by hand like contrib/postdkim.tmpfiles"
	mkdir -p "$SOCKDIR"
	chown postdkim:postdkim "$SOCKDIR"
	chmod 750 "$SOCKDIR"
fi
[ "$(stat -c '%U:%G %a' "$SOCKDIR")" = "postdkim:postdkim 750" ] ||
	die "socket directory is $(stat -c '%U:%G %a' "$SOCKDIR"), expected postdkim:postdkim 750"
# OpenDKIM leaves its socket in root's group; setgid lends it the directory's.
[ "$MILTER" = opendkim ] && chmod g+s "$SOCKDIR"
# opendkim.conf syntax, read by postdkim and by opendkim alike.
cat >"$WORK/milter.conf" <<EOF
# postdkim end-to-end test configuration
Mode			s
Socket			local:$SOCKDIR/postdkim.sock
UMask			007
UserID			postdkim:postdkim
KeyTable		$KEYS/keytable
SigningTable		refile:$KEYS/signingtable
MultipleSignatures	yes
Canonicalization	relaxed/simple
InternalHosts		127.0.0.1, ::1
MTA			ORIGINATING
Syslog			no
EOF
if [ "$MILTER" = postdkim ]; then
	printf 'SyslogSuccess\t\tyes\nLogWhy\t\t\tyes\n' >>"$WORK/milter.conf"
	"$MILTER_BIN" -n -c "$WORK/milter.conf" >>"$WORK/milter.log" 2>&1 ||
		die "postdkim -n rejects the test configuration: $(tail -n 3 "$WORK/milter.log")"
else
	# OpenDKIM calls a key under /tmp (world-writable, even if sticky) unsafe.
	printf 'RequireSafeKeys\t\tno\n' >>"$WORK/milter.conf"
fi

# postdkim runs as the kit's systemd unit would start it: -f, the unit's
# UMask, NoNewPrivileges and CapabilityBoundingSet (through setpriv).
UNIT=$CONTRIB/postdkim.service.in
grep -q '^ExecStart=.*postdkim -f ' "$UNIT" && grep -qx 'NoNewPrivileges=yes' "$UNIT" ||
	die "contrib/postdkim.service: expected ExecStart=... postdkim -f and NoNewPrivileges=yes"
UNIT_CAPS=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr 'A-Z' 'a-z' | sed -e 's/cap_/+/g' -e 's/ /,/g')
UNIT_UMASK=$(sed -n 's/^UMask=//p' "$UNIT")
[ -n "$UNIT_CAPS" ] && [ -n "$UNIT_UMASK" ] || die "contrib/postdkim.service: no CapabilityBoundingSet or UMask"
SETPRIV=""
if command -v setpriv >/dev/null; then
	SETPRIV="setpriv --no-new-privs --bounding-set=-all,$UNIT_CAPS"
else
	say "no setpriv(1): postdkim runs without the unit's capability bounding set"
fi
start_milter() {
	if [ "$MILTER" = postdkim ]; then
		(umask "$UNIT_UMASK"; exec $SETPRIV "$MILTER_BIN" -f -c "$WORK/milter.conf") >>"$WORK/milter.log" 2>&1 &
	else
		"$MILTER_BIN" -f -x "$WORK/milter.conf" >>"$WORK/milter.log" 2>&1 &
	fi
	MILTER_PID=$!
	wait_until 20 "the milter socket" test -S "$SOCKDIR/postdkim.sock"
	local mode
	mode=$(stat -c '%a %G' "$SOCKDIR/postdkim.sock")
	case $mode in
	*[0-7][0-7][1-7]\ *|*\ root) die "milter socket is $mode: must be group postdkim, not world-writable" ;;
	esac
	# The daemon must not keep root (it drops to UserID after opening the
	# socket), nor any capability.
	wait_until 10 "the milter to drop root" milter_unprivileged
	grep -q '^CapEff:[[:space:]]*0*$' "/proc/$MILTER_PID/status" ||
		die "the milter kept capabilities: $(grep '^Cap' "/proc/$MILTER_PID/status")"
}
milter_unprivileged() {
	[ "$(ps -o user= -p "$MILTER_PID" 2>/dev/null | tr -d ' ')" = postdkim ]
}
stop_milter() {
	stop_pid "$MILTER_PID"
	MILTER_PID=""
}

# ------------------------------------------------------------------ dovecot
# Only the auth service, its client socket inside the Postfix chroot.
DOVE=$WORK/dovecot
mkdir -p "$DOVE/run" "$DOVE/state"
SASL_PW=$(openssl rand -hex 12)
echo "alice@example.org:{PLAIN}$SASL_PW" >"$DOVE/passwd"
echo "bob@example.com:{PLAIN}$SASL_PW" >>"$DOVE/passwd"
chown root:dovecot "$DOVE/passwd"
chmod 640 "$DOVE/passwd"
cat >"$DOVE/dovecot.conf" <<EOF
base_dir = $DOVE/run
state_dir = $DOVE/state
log_path = $WORK/dovecot.log
protocols = none
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DOVE/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  unix_listener $SPOOL/private/dovecot-auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF

# ------------------------------------------------------------------ postfix
mkdir -p "$CONF" "$WORK/data"
chown postfix "$WORK/data"
cat >"$CONF/main.cf" <<EOF
# Private Postfix instance of the postdkim end-to-end test.
compatibility_level = 3.6
queue_directory = $SPOOL
data_directory = $WORK/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.e2e.test
mydomain = e2e.test
myorigin = \$mydomain
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
local_transport = error:no local delivery in this test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$PORT_SINK
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_peername_lookup = no
smtp_host_lookup = native
maillog_file = $WORK/maillog
maillog_file_prefixes = $WORK
message_size_limit = 52428800
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
smtp_tls_security_level = none
milter_connect_timeout = 10s
milter_command_timeout = 30s
milter_content_timeout = 120s
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/dovecot-auth
smtpd_tls_security_level = may
smtpd_tls_cert_file = $CONF/tls.pem
smtpd_tls_key_file = $CONF/tls.pem
EOF
# The milter settings are the kit's own snippet (the sink announces no
# 8BITMIME, so disable_mime_output_conversion is put to the test).
cat "$CONTRIB/postfix-main.cf.snippet" >>"$CONF/main.cf"
for p in smtpd_milters non_smtpd_milters milter_default_action milter_protocol \
    disable_mime_output_conversion smtp_line_length_limit; do
	grep -q "^$p = " "$CONF/main.cf" || die "contrib/postfix-main.cf.snippet lacks $p"
done
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.e2e.test \
	-keyout "$CONF/tls.pem" -out "$CONF/tls.crt" 2>/dev/null
cat "$CONF/tls.crt" >>"$CONF/tls.pem"
chmod 600 "$CONF/tls.pem"
cat >"$CONF/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$PORT_MX inet n - y - - smtpd
pickup    unix  n       -       y       1       1       pickup
cleanup   unix  n       -       y       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       y       1000?   1       tlsmgr
rewrite   unix  -       -       y       -       -       trivial-rewrite
bounce    unix  -       -       y       -       0       bounce
defer     unix  -       -       y       -       0       bounce
trace     unix  -       -       y       -       0       bounce
verify    unix  -       -       y       -       1       verify
flush     unix  n       -       y       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       y       -       -       smtp
relay     unix  -       -       y       -       -       smtp
showq     unix  n       -       y       -       -       showq
error     unix  -       -       y       -       -       error
retry     unix  -       -       y       -       -       error
discard   unix  -       -       y       -       -       discard
anvil     unix  -       -       y       -       1       anvil
scache    unix  -       -       y       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
# submission (STARTTLS) and submissions (TLS) are the kit's snippet, on our ports.
sed -e "s/^submission /127.0.0.1:$PORT_SUB /" -e "s/^submissions /127.0.0.1:$PORT_SUBS /" \
	"$CONTRIB/postfix-master.cf.snippet" >>"$CONF/master.cf"
grep -q "^127.0.0.1:$PORT_SUB " "$CONF/master.cf" && grep -q "^127.0.0.1:$PORT_SUBS " "$CONF/master.cf" ||
	die "contrib/postfix-master.cf.snippet: no submission/submissions services"
# The chroot needs what Debian's postfix start script copies into it.
mkdir -p "$SPOOL/etc"
for f in localtime services resolv.conf hosts host.conf nsswitch.conf; do
	[ -e "/etc/$f" ] && cp -L "/etc/$f" "$SPOOL/etc/$f"
done
/usr/sbin/postfix -c "$CONF" check >>"$WORK/postfix.out" 2>&1 || die "postfix check failed"

# ------------------------------------------------------------ start it all
mkdir -p "$WORK/sink"
chown nobody "$WORK/sink"
/usr/sbin/smtp-sink -u nobody -8 -d "$WORK/sink/m." "127.0.0.1:$PORT_SINK" 256 >"$WORK/sink.log" 2>&1 &
SINK_PID=$!
/usr/sbin/dovecot -F -c "$DOVE/dovecot.conf" >>"$WORK/dovecot.log" 2>&1 &
DOVECOT_PID=$!
start_milter
/usr/sbin/postfix -c "$CONF" start >>"$WORK/postfix.out" 2>&1 || die "postfix start failed"
port_open() { $PY -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 1).close()" 2>/dev/null; }
wait_until 20 "smtp-sink" port_open "$PORT_SINK"
wait_until 20 "postfix smtpd" port_open "$PORT_MX"
wait_until 20 "postfix submission" port_open "$PORT_SUB"
wait_until 20 "postfix submissions" port_open "$PORT_SUBS"
wait_until 20 "dovecot auth socket" test -S "$SPOOL/private/dovecot-auth"
say "started: postfix, $MILTER (pid $MILTER_PID, user postdkim${SETPRIV:+, capabilities $UNIT_CAPS}), dovecot, smtp-sink ($((SECONDS - T0)) s)"

# --------------------------------------------------------------- helpers
send() { $MAILPY send --ledger "$LEDGER" --sent "$SENT" --conf "$CONF" "$@"; }
queue_files() {
	find "$SPOOL/maildrop" "$SPOOL/incoming" "$SPOOL/active" "$SPOOL/deferred" \
		"$SPOOL/hold" -type f 2>/dev/null | wc -l
}
queue_empty() { [ "$(queue_files)" = 0 ]; }
# delivered_ids PREFIX: how many messages of that batch reached the sink.
delivered_ids() {
	find "$WORK/sink" -type f -print0 | xargs -0 -r grep -l "^X-E2E-Id: $1-" | wc -l
}
# The number of distinct ids sent and accepted so far (each must arrive).
accepted_count() {
	$PY -c '
import json, sys
last = {}
for line in open(sys.argv[1]):
    e = json.loads(line); last[e["id"]] = e["status"]
print(sum(1 for s in last.values() if s == "accepted"))' "$LEDGER"
}
sink_count() { find "$WORK/sink" -type f | wc -l; }
delivered_all() { queue_empty && [ "$(sink_count)" -ge "$(accepted_count)" ]; }
wait_delivery() {
	/usr/sbin/postqueue -c "$CONF" -f >/dev/null 2>&1 || true
	wait_until "$1" "delivery of every accepted message ($(accepted_count) accepted)" delivered_all
}

# ------------------------------------------------ phase 1: the normal paths
MX="--port $PORT_MX"
say "phase 1: internal SMTP, external SMTP, SASL submission (STARTTLS) and submissions (TLS), sendmail(1), 10 MB"
send $MX --prefix mx --count 18 --domains example.com,example.org --parallel 4 \
	--kinds plain,8bit,8bithdr,longlines,folded,dots,blank,mime,empty
send $MX --prefix big --count 1 --kinds big --domains example.org --timeout 300
send $MX --source 127.0.0.3 --prefix ext --count 4 --kinds plain,8bithdr,folded,longlines \
	--domains example.com,example.org --expect unsigned
send --port "$PORT_SUB" --tls starttls --source 127.0.0.3 --auth "alice@example.org:$SASL_PW" \
	--prefix sub --count 8 --domains example.org,example.com --parallel 2
send --port "$PORT_SUBS" --tls smtps --source 127.0.0.3 --auth "bob@example.com:$SASL_PW" \
	--prefix subs --count 4 --domains example.com,example.org --kinds plain,8bit,folded,mime
send --via sendmail --prefix cmd --count 8 --domains example.com,example.org --parallel 2
# Submission without authentication must be refused outright (5xx), not relayed.
if send --port "$PORT_SUB" --tls starttls --source 127.0.0.3 --prefix noauth --count 1 >"$WORK/noauth.out" 2>&1; then
	die "unauthenticated submission was accepted"
fi
grep -q 'noauth-000 error 5' "$WORK/noauth.out" || die "unauthenticated submission: $(cat "$WORK/noauth.out")"
$PY - "$LEDGER" <<'EOF'
import json, sys
lines = [l for l in open(sys.argv[1]) if json.loads(l)["id"] != "noauth-000"]
open(sys.argv[1], "w").writelines(lines)
EOF
wait_delivery 120
say "phase 1 delivered: $(sink_count) messages ($((SECONDS - T0)) s)"

# ---------------------------------------------------- fault 1: milter down
say "fault 1: milter stopped, milter_default_action = tempfail"
stop_milter
send $MX --prefix down --count 3 --domains example.com,example.org --want tempfail ||
	die "fault 1: with the milter stopped a client did not get 4xx"
send --port "$PORT_SUB" --tls starttls --source 127.0.0.3 --auth "bob@example.com:$SASL_PW" --prefix downsub \
	--count 2 --want tempfail || die "fault 1: submission with the milter stopped did not get 4xx"
send --via sendmail --prefix downcmd --count 2 --domains example.com
sleep 3
[ "$(delivered_ids downcmd)" = 0 ] || die "fault 1: sendmail(1) mail left while the milter was down"
queued=$(queue_files)
[ "$queued" -ge 2 ] || die "fault 1: sendmail(1) mail is neither delivered nor queued ($queued in the queue)"
start_milter
$MAILPY resend --ledger "$LEDGER" --sent "$SENT" --conf "$CONF"
wait_delivery 90
F1="fault 1 (milter stopped): 5/5 SMTP and submission got 4xx, 2 sendmail(1) messages held in the queue; after restart + resend + postqueue -f all 7 arrived signed"
say "$F1"

# ------------------------------------------- fault 2: SIGKILL mid-run
say "fault 2: milter killed (SIGKILL) in the middle of 60 messages"
send $MX --prefix kill --count 48 --domains example.com,example.org --parallel 4 --pace 0.05 \
	--kinds plain,8bit,folded,dots,blank,mime --want mixed >"$WORK/kill.out" 2>&1 &
KSEND=$!
BG_PIDS="$BG_PIDS $KSEND"
send --via sendmail --prefix killcmd --count 12 --domains example.org,example.com --pace 0.1 \
	--parallel 1 >"$WORK/killcmd.out" 2>&1 &
KCMD=$!
BG_PIDS="$BG_PIDS $KCMD"
before=$(sink_count)
killed_at() { [ "$(sink_count)" -ge $((before + 10)) ]; }
wait_until 60 "the first messages of the run" killed_at
kill -KILL "$MILTER_PID"
wait "$MILTER_PID" 2>/dev/null || true
MILTER_PID=""
at_kill=$(($(sink_count) - before))
sleep 1.5
cmd_waiting=$((12 - $(delivered_ids killcmd)))
start_milter
wait_until 120 "the senders" eval '! kill -0 $KSEND 2>/dev/null && ! kill -0 $KCMD 2>/dev/null'
wait "$KSEND" || { cat "$WORK/kill.out"; die "fault 2: a message was refused with 5xx"; }
wait "$KCMD" || { cat "$WORK/killcmd.out"; die "fault 2: sendmail(1) failed"; }
ntemp=$(grep -c ' tempfail ' "$WORK/kill.out" || true)
[ "$at_kill" -lt 60 ] && [ $((ntemp + cmd_waiting)) -gt 0 ] ||
	die "fault 2: the kill did not fall in the middle of the run ($at_kill delivered, $ntemp tempfailed)"
$MAILPY resend --ledger "$LEDGER" --sent "$SENT" --conf "$CONF"
wait_delivery 120
F2="fault 2 (SIGKILL after $at_kill of 60 delivered): $ntemp SMTP messages got 4xx and were resent, $cmd_waiting sendmail(1) messages were held until the restart; all 60 arrived signed, none twice"
say "$F2"

# ------------------------------------------- fault 3: reload under load
say "fault 3: reload (SIG$RELOAD_SIG) every 0.2 s under load"
send $MX --prefix hup --count 40 --domains example.com,example.org --parallel 4 --pace 0.02 \
	>"$WORK/hup.out" 2>&1 &
HSEND=$!
BG_PIDS="$BG_PIDS $HSEND"
nhup=0
while kill -0 "$HSEND" 2>/dev/null && [ $SECONDS -lt $DEADLINE ]; do
	kill -"$RELOAD_SIG" "$MILTER_PID"
	nhup=$((nhup + 1))
	sleep 0.2
done
wait "$HSEND" || { cat "$WORK/hup.out"; die "fault 3: a message failed during reloads"; }
kill -0 "$MILTER_PID" || die "fault 3: the milter died during reloads"
wait_delivery 90
reloads=""
if [ "$MILTER" = postdkim ]; then
	! grep -q 'reload failed' "$WORK/milter.log" || die "fault 3: $(grep 'reload failed' "$WORK/milter.log" | head -n 1)"
	reloads=", $(grep -c 'configuration reloaded' "$WORK/milter.log") reloads logged"
fi
F3="fault 3 (SIG$RELOAD_SIG x$nhup under load$reloads): 40/40 accepted without error, all arrived signed"
say "$F3"

# ------------------------------------------------------ verify everything
# check_all TAG LEDGER EXPECT [PREFIX]: collect what the sink received (ids
# starting with PREFIX), prove that every message LEDGER accepted arrived
# exactly once, signed as EXPECT says, and let every verifier judge the
# signed ones. Sets nsigned and VERIFIERS.
check_all() {
	local tag=$1 ledger=$2 expect=$3 prefix=${4:-} list=$WORK/signed$1.list where=${1:+ (${1#-})}
	$MAILPY collect --sink "$WORK/sink" --out "$WORK/msgs$tag" --prefix "$prefix"
	$MAILPY check --ledger "$ledger" --sent "$SENT" --msgs "$WORK/msgs$tag" --zone "$WORK/zone" \
		--expect "$expect" --signed-list "$list" || die "message checks failed$where"
	nsigned=$(wc -l <"$list")
	xargs -d '\n' "$VERIFY_ALL" --zone "$WORK/zone" --only-zone -q <"$list" >"$WORK/verify-all$tag.out" 2>&1 ||
		{ grep -v '^PASS' "$WORK/verify-all$tag.out" | head -n 20; die "verify-all (dkimpy, Mail::DKIM, OpenDKIM) failed$where"; }
	npass=$(grep -c '^PASS' "$WORK/verify-all$tag.out")
	[ "$npass" = "$nsigned" ] || die "verify-all passed $npass of $nsigned messages$where"
	VERIFIERS="dkimpy, Mail::DKIM, OpenDKIM"
	if [ -n "$OWN_VERIFIER" ]; then
		xargs -d '\n' "$OWN_VERIFIER" "$WORK/zone" <"$list" >"$WORK/own$tag.out" 2>&1 ||
			{ grep -v '^PASS' "$WORK/own$tag.out" | head -n 20; die "postdkim's verifier failed$where"; }
		VERIFIERS="$VERIFIERS, postdkim"
	fi
}
check_all "" "$LEDGER" "$WORK/expect.json"
NCHECKED=$nsigned
[ -n "$OWN_VERIFIER" ] || say "postdkim's verifier not built: skipped (reference run with $MILTER)"
# ------------------------------------------- phase 4: verification (Mode sv)
# The same daemon, now in Mode sv, asks a private DNS server on loopback
# (tests/dns/hostile-dns.py serving a zone with an outside domain's keys).
VPHASE="verification phase skipped: it checks postdkim's Authentication-Results (milter $MILTER)"
if [ "$MILTER" = postdkim ]; then
	say "phase 4: verification (Mode sv, DNS server on 127.0.0.1@$PORT_DNS)"
	DNSPY=$top_srcdir/tests/dns/hostile-dns.py
	[ -r "$DNSPY" ] || die "$DNSPY missing"
	$PY -c 'import dns.message' 2>/dev/null || die "python3-dnspython missing (the DNS server needs it)"
	OUT=$WORK/outside
	mkdir -p "$OUT"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$OUT/rsa.pem" 2>/dev/null
	openssl genpkey -algorithm ED25519 -out "$OUT/ed.pem"
	# dkimpy takes an Ed25519 key as its base64 32-byte seed (the tail of the DER form).
	openssl pkey -in "$OUT/ed.pem" -outform DER | tail -c 32 | base64 -w0 >"$OUT/ed.seed"
	prsa=$(openssl pkey -in "$OUT/rsa.pem" -pubout -outform DER | base64 -w0)
	ped=$(openssl pkey -in "$OUT/ed.pem" -pubout -outform DER | tail -c 32 | base64 -w0)
	# "vlate" is first asked for while the DNS server is down: no cached key can hide the outage.
	{
		echo "vrsa._domainkey.sender.example v=DKIM1; k=rsa; p=$prsa"
		echo "ved._domainkey.sender.example v=DKIM1; k=ed25519; p=$ped"
		echo "vlate._domainkey.sender.example v=DKIM1; k=rsa; p=$prsa"
	} >"$WORK/dnszone"
	start_dns() {
		: >"$WORK/dns.out"
		$PY "$DNSPY" "$PORT_DNS" "$WORK/dns.log" "$WORK/dnszone" >>"$WORK/dns.out" 2>&1 &
		DNS_PID=$!
		wait_until 20 "the DNS server" grep -q '^ready' "$WORK/dns.out"
	}
	start_dns
	AUTHSERV=mx.e2e.test
	sed -e 's/^Mode\t.*/Mode\t\t\tsv/' "$WORK/milter.conf" >"$WORK/milter-sv.conf"
	printf 'Nameservers\t\t127.0.0.1@%s\nDNSTimeout\t\t2\nAuthservID\t\t%s\n' "$PORT_DNS" "$AUTHSERV" \
		>>"$WORK/milter-sv.conf"
	grep -q '^Mode[[:space:]]*sv$' "$WORK/milter-sv.conf" || die "phase 4: no Mode line to change"
	"$MILTER_BIN" -n -c "$WORK/milter-sv.conf" >>"$WORK/milter.log" 2>&1 ||
		die "postdkim -n rejects the verification configuration: $(tail -n 3 "$WORK/milter.log")"
	stop_milter
	cp "$WORK/milter-sv.conf" "$WORK/milter.conf"
	start_milter
	SAM="--local sam --domains sender.example"
	# (a) Inbound from an outside client, signed by an outside signer (dkimpy).
	send $MX --source 127.0.0.3 $SAM --prefix vrsa --count 3 --kinds plain,folded,mime \
		--sign "$OUT/rsa.pem:sender.example:vrsa:rsa" --expect unsigned || die "phase 4: inbound RSA-signed mail refused"
	send $MX --source 127.0.0.3 $SAM --prefix ved --count 2 --kinds plain,8bit \
		--sign "$OUT/ed.seed:sender.example:ved:ed25519" --expect unsigned || die "phase 4: inbound Ed25519-signed mail refused"
	send $MX --source 127.0.0.3 $SAM --prefix vbad --count 2 --kinds plain,dots --tamper \
		--sign "$OUT/rsa.pem:sender.example:vrsa:rsa" --expect unsigned || die "phase 4: inbound tampered mail refused"
	# A header too large to verify, with a forged field of ours: the forged
	# field goes, ours says permerror (cmd_authres wants exactly one of ours).
	send $MX --source 127.0.0.3 $SAM --prefix vbig --count 1 --kinds bighdr --expect unsigned ||
		die "phase 4: inbound mail with 10,001 fields refused"
	# (b) Authenticated submission: signed, not verified.
	send --port "$PORT_SUB" --tls starttls --source 127.0.0.3 --auth "alice@example.org:$SASL_PW" \
		--prefix vsub --count 3 --domains example.org --kinds plain,folded,mime || die "phase 4: submission refused"
	wait_delivery 90
	$MAILPY collect --sink "$WORK/sink" --out "$WORK/msgs-v" >/dev/null
	authres() { $MAILPY authres --msgs "$WORK/msgs-v" --authserv "$AUTHSERV" "$@" || die "phase 4: $*"; }
	authres --prefix vrsa --count 3 --want pass
	authres --prefix ved --count 2 --want pass
	authres --prefix vbad --count 2 --want fail
	authres --prefix vsub --count 3 --want none --signed
	authres --prefix vbig --count 1 --want permerror
	grep -q 'verified: not verified: more than 10000 header fields \[removed 1 forged' "$WORK/milter.log" ||
		die "phase 4: the message with 10,001 fields was not logged"
	grep -q 'vrsa._domainkey.sender.example' "$WORK/dns.log" || die "phase 4: the DNS server was never asked"
	# (c) DNS down: a key not in the cache is a temporary error (On-DNSError
	# tempfail): the SMTP client gets 4xx, sendmail(1) mail stays in the queue.
	stop_pid "$DNS_PID"
	DNS_PID=""
	send $MX --source 127.0.0.3 $SAM --prefix vdns --count 2 --kinds plain \
		--sign "$OUT/rsa.pem:sender.example:vlate:rsa" --expect unsigned --want tempfail ||
		die "phase 4: with DNS down inbound signed mail did not get 4xx"
	send --via sendmail $SAM --prefix vq --count 2 --kinds plain,folded \
		--sign "$OUT/rsa.pem:sender.example:vlate:rsa" --expect unsigned
	sleep 3
	[ "$(delivered_ids vq)" = 0 ] || die "phase 4: sendmail(1) mail left while its key could not be fetched"
	queued=$(queue_files)
	[ "$queued" -ge 2 ] || die "phase 4: sendmail(1) mail is neither delivered nor queued ($queued in the queue)"
	# And it was postdkim that said "try later", for the key it could not fetch.
	TF='s=vlate temperror (key lookup failed: .*(DNS error: action tempfail)'
	ntf=$(grep -c "external client 127.0.0.3, .*$TF" "$WORK/milter.log" || true)
	[ "$ntf" = 2 ] || die "phase 4: postdkim logged $ntf DNS tempfails for the SMTP messages, expected 2"
	wait_until 30 "postdkim's DNS tempfail of the sendmail(1) mail" \
		grep -q "no signing key for sender.example; .*$TF" "$WORK/milter.log"
	start_dns
	# As a real client would: try again until accepted. The first lookups just
	# after the server returns may still time out (libunbound backs off from a
	# server that stopped answering), so one retry round is not enough.
	tries=0
	until $MAILPY resend --ledger "$LEDGER" --sent "$SENT" --conf "$CONF"; do
		tries=$((tries + 1))
		[ $tries -lt 15 ] || die "phase 4: inbound mail still tempfailed 15 rounds after DNS came back"
		sleep 2
	done
	wait_delivery 120
	rm -rf "$WORK/msgs-v"
	$MAILPY collect --sink "$WORK/sink" --out "$WORK/msgs-v" >/dev/null
	authres --prefix vdns --count 2 --want pass
	authres --prefix vq --count 2 --want pass
	VPHASE="phase 4 (verification, Mode sv): 5 inbound messages signed outside (3 RSA, 2 Ed25519) got dkim=pass, 2 tampered dkim=fail, 10,001 fields under a forged A-R of ours dkim=permerror and the forged field removed, 3 submitted were signed without our A-R; DNS down: 2 SMTP messages got 4xx, 2 sendmail(1) messages held ($queued in the queue); after DNS restart all 4 arrived with dkim=pass"
	say "$VPHASE"
fi

# --------------- phase 5: tables in a database, the server stopped mid-run
# KeyTable and SigningTable in PostgreSQL (modoboa's view, tests/db/), on a
# private server from tests/db/dbharness.sh. postdkim keeps the answers it
# has had, even past DatabaseCacheTTL, for when the server cannot answer,
# and tempfails what it never asked: with the server stopped, example.com
# (asked before the stop) still leaves signed; example.org (never asked)
# gets 4xx over SMTP and stays in the queue from sendmail(1), nothing
# bounced and nothing unsigned; once the server is back, every one of them
# leaves signed, once.
DBSKIP=""
DBH=$top_srcdir/tests/db/dbharness.sh
if [ "$MILTER" != postdkim ]; then
	DBSKIP="it tests postdkim's dsn: tables (milter $MILTER)"
elif [ "${E2E_DB_TESTS:-yes}" != yes ]; then
	DBSKIP="the database tests are off (configure --disable-db-tests)"
elif [ "${E2E_PGSQL:-yes}" != yes ]; then
	DBSKIP="postdkim was built without PostgreSQL (configure --with-pgsql; Debian libpq-dev)"
elif ! { ls /usr/lib/postgresql/*/bin/postgres || command -v pg_ctl; } >/dev/null 2>&1 ||
    ! command -v psql >/dev/null; then
	DBSKIP="PostgreSQL is not installed (Debian postgresql)"
fi
if [ -n "$DBSKIP" ]; then
	# CI runs the whole test: there, a phase that cannot run is a failure.
	[ -z "${CI:-}" ] || [ "$MILTER" != postdkim ] || die "phase 5 cannot run: $DBSKIP"
	DBPHASE="phase 5 skipped: $DBSKIP"
	say "$DBPHASE"
else
	say "phase 5: KeyTable and SigningTable in PostgreSQL, the server stopped in the middle of a run"
	T5=$SECONDS
	[ -x "$DBH" ] || die "$DBH missing"
	DBDIR=$WORK/db
	"$DBH" start "$DBDIR" pgsql >>"$WORK/db.out" 2>&1 ||
		die "phase 5: PostgreSQL did not start: $(tail -n 5 "$WORK/db.out")"
	# shellcheck disable=SC1091
	. "$DBDIR/env"
	# The panel's rows name this test's keys (files postdkim reads as its own user).
	psql -X -q -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d modoboa -v ON_ERROR_STOP=1 \
	    >>"$WORK/db.out" 2>&1 <<SQL || die "phase 5: psql failed: $(tail -n 3 "$WORK/db.out")"
UPDATE admin_domain SET dkim_key_selector = 'e2ersa', dkim_private_key_path = '$KEYS/com-rsa.pem'
	WHERE name = 'example.com';
UPDATE admin_domain SET dkim_key_selector = 'e2eorgrsa', dkim_private_key_path = '$KEYS/org-rsa.pem'
	WHERE name = 'example.org';
SQL
	cat >"$WORK/expect-db.json" <<JSON
{"example.com": {"c": "relaxed/simple", "sigs": [["rsa-sha256", "e2ersa"]]},
 "example.org": {"c": "relaxed/simple", "sigs": [["rsa-sha256", "e2eorgrsa"]]}}
JSON
	# The configuration so far, without phase 4's verification and the file tables.
	DSN="$DB_USER:$DB_PASSWORD@$PG_PORT+127.0.0.1/modoboa/table=dkim"
	sed -e '/^\(Mode\|KeyTable\|SigningTable\|Nameservers\|DNSTimeout\|AuthservID\)[[:space:]]/d' \
		"$WORK/milter.conf" >"$WORK/milter-db.conf"
	cat >>"$WORK/milter-db.conf" <<CONF
Mode			s
SigningTable		dsn:pgsql://$DSN?keycol=domain_name?datacol=id
KeyTable		dsn:pgsql://$DSN?keycol=id?datacol=domain_name,selector,private_key_path
DatabaseCacheTTL	1
CONF
	"$MILTER_BIN" -n -c "$WORK/milter-db.conf" >"$WORK/n-db.out" 2>&1 ||
		die "phase 5: postdkim -n rejects the database configuration: $(tail -n 3 "$WORK/n-db.out")"
	grep -q "PostgreSQL .* at 127.0.0.1" "$WORK/n-db.out" ||
		die "phase 5: postdkim -n does not name the server: $(head -n 3 "$WORK/n-db.out")"
	# A new daemon: nothing in its cache yet.
	stop_milter
	cp "$WORK/milter-db.conf" "$WORK/milter.conf"
	start_milter

	# (a) example.com is looked up and signed while the server is up.
	send $MX --prefix dbcom --count 2 --domains example.com --kinds plain,folded ||
		die "phase 5: example.com mail refused with the database up"
	wait_delivery 60
	"$DBH" stop-pgsql "$DBDIR" >>"$WORK/db.out" 2>&1
	! "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || die "phase 5: PostgreSQL still answers after the stop"
	# Past the TTL: example.com's answers are expired, kept only for an outage.
	sleep 1.5
	# (b) Server down: example.com still signs, from those stale answers.
	send $MX --prefix dbcomdown --count 3 --domains example.com --kinds plain,8bit,mime ||
		die "phase 5: with the database down, example.com (cached) mail was refused"
	send --via sendmail --prefix dbcomcmd --count 2 --domains example.com --kinds plain,dots
	# (c) example.org was never asked: 4xx over SMTP, held in the queue from sendmail(1).
	send $MX --prefix dborg --count 3 --domains example.org --kinds plain,folded,dots --want tempfail ||
		die "phase 5: with the database down, SMTP mail of example.org (never looked up) did not get 4xx"
	send --via sendmail --prefix dborgcmd --count 3 --domains example.org --kinds plain,folded,blank
	cached_left() { [ "$(delivered_ids dbcomdown)" = 3 ] && [ "$(delivered_ids dbcomcmd)" = 2 ]; }
	wait_until 60 "example.com mail sent while the database is down" cached_left
	# postdkim's own words for each tempfail: the SigningTable lookup, no server.
	TFDB="not signed: SigningTable dsn:pgsql://$DB_USER@$PG_PORT+127.0.0.1/modoboa/table=dkim[^ ]*: "
	TFDB="$TFDB.*PostgreSQL at 127.0.0.1 port $PG_PORT: cannot connect.* (action tempfail)"
	db_tempfails() {
		grep "$TFDB" "$WORK/milter.log" | sed -n 's/^.*\<\([0-9A-F]\{6,\}\): not signed: .*/\1/p' | sort -u
	}
	org_tempfails_logged() { [ "$(db_tempfails | wc -l)" -ge 6 ]; }
	wait_until 60 "postdkim's database tempfail of all 6 example.org messages" org_tempfails_logged
	# Each one is a message from example.org that Postfix answered with 4xx.
	for qid in $(db_tempfails); do
		grep -q "$qid: milter-reject: END-OF-MESSAGE .*: 4\.[0-9.]* .*from=<sender@example.org>" "$WORK/maillog" ||
			die "phase 5: postdkim tempfailed $qid, not an example.org message Postfix answered with 4xx: $(grep "$qid" "$WORK/maillog" | head -n 3)"
	done
	[ "$(delivered_ids dborg)" = 0 ] && [ "$(delivered_ids dborgcmd)" = 0 ] ||
		die "phase 5: example.org mail left while its key could not be looked up"
	held=$(/usr/sbin/postqueue -c "$CONF" -j | $PY -c '
import json, sys
q = [json.loads(l) for l in sys.stdin]
print(sum(1 for m in q if m["sender"] == "sender@example.org"), sum(1 for m in q if m["sender"] == ""))')
	[ "$held" = "3 0" ] ||
		die "phase 5: postqueue -j: expected the 3 sendmail(1) messages of example.org and no bounce, got (example.org, bounces) = ($held)"
	ntf=$(db_tempfails | wc -l)

	# (d) The server returns: after postdkim's reconnect backoff (at most
	# 10 s) example.org is looked up; resend what got 4xx, flush the queue.
	"$DBH" start-pgsql "$DBDIR" >>"$WORK/db.out" 2>&1 || die "phase 5: PostgreSQL did not start again"
	TUP=$SECONDS
	tries=0
	until $MAILPY resend --ledger "$LEDGER" --sent "$SENT" --conf "$CONF" >>"$WORK/dbresend.out"; do
		tries=$((tries + 1))
		[ $tries -lt 30 ] || die "phase 5: example.org mail still tempfailed 30 tries after the database came back"
		sleep 1
	done
	flushed() {
		/usr/sbin/postqueue -c "$CONF" -f >/dev/null 2>&1 || true
		sleep 1
		delivered_all
	}
	wait_until 40 "delivery of every message once the database is back" flushed
	TBACK=$((SECONDS - TUP))
	# Every message of the phase, exactly once, signed (d= its From domain) and verified.
	grep '^{"id": "db' "$LEDGER" >"$WORK/ledger-db.jsonl"
	check_all -db "$WORK/ledger-db.jsonl" "$WORK/expect-db.json" db
	[ "$nsigned" = 13 ] || die "phase 5: $nsigned messages signed and verified, expected 13"
	! grep -qF "$DB_PASSWORD" "$WORK/milter.log" || die "phase 5: the database password is in postdkim's log"
	! grep -q 'status=bounced\|sender non-delivery notification' "$WORK/maillog" ||
		die "phase 5: Postfix bounced: $(grep -m 1 'status=bounced\|sender non-delivery notification' "$WORK/maillog")"
	DBPHASE="phase 5 (dsn: tables on PostgreSQL, server stopped): 5 example.com messages (cached) signed while it was down; 3 example.org SMTP messages got 4xx, 3 sendmail(1) ones held, none bounced ($ntf postdkim tempfails logged); after the restart all arrived signed d=example.org within $TBACK s; 13/13 delivered once and verified ($((SECONDS - T5)) s)"
	say "$DBPHASE"
fi

nunsigned=$(grep -c '"expect": "unsigned"' "$LEDGER" || true)
say "$F1"
say "$F2"
say "$F3"
say "$VPHASE"
say "$DBPHASE"
echo "e2e: $NCHECKED messages checked, verifiers: $VERIFIERS ($nunsigned external messages checked unsigned; milter $MILTER; $((SECONDS - T0)) s)"
