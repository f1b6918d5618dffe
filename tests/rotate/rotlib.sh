# shellcheck shell=sh
# rotlib.sh - what the rotation scenarios share (sourced, not run): private
# DNS servers (dnsharness.sh), keys and tables, the real postdkim signing
# under continuous load (benchdrv -L) while dnsmon.py records what every
# server serves, dkimrotate run on a test clock (--now), and the checks:
# every signature against the DNS of its moment (sigcheck.py) and the
# invariants after every run (rot_invariants).

: "${TOP_BUILDDIR:?TOP_BUILDDIR must be set (run through make check)}"
: "${TESTS_SRCDIR:=$(cd "$(dirname "$0")" && pwd)}"
POSTDKIM="$TOP_BUILDDIR/daemon/postdkim"
DKIMROTATE=${DKIMROTATE:-$TOP_BUILDDIR/keygen/dkimrotate}
BENCHDRV=${BENCHDRV:-$TOP_BUILDDIR/bench/benchdrv}
H="$TESTS_SRCDIR/dnsharness.sh"
PY=/usr/bin/python3
ROT_NAME=$(basename "$0")
# shellcheck source=tests/lib.sh
. "$TESTS_SRCDIR/../lib.sh"

rot_fail() {
	echo "$ROT_NAME: FAIL: $*" >&2
	[ ! -s "${T:-/nonexistent}/rot.log" ] || { echo "--- dkimrotate, last lines:" >&2; tail -n 25 "$T/rot.log" >&2; }
	if [ -n "${DNS_ZONES:-}" ]; then
		for _srv in primary secondary; do
			echo "--- $_srv serves:" >&2
			rot_records "$_srv" 2>/dev/null | cut -c1-90 >&2 || :
		done
	fi
	exit 1
}

rot_note() {
	echo "$ROT_NAME: $*"
}

# A missing server program skips the test, except in CI where it fails.
rot_need() {
	command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || [ -x "/usr/sbin/$1" ] || {
		[ -z "${CI:-}" ] || rot_fail "$1 missing in CI ($2)"
		echo "SKIP: $1 not installed ($2)"
		exit 77
	}
}

rot_need knotd "apt-get install knot knot-dnsutils"
rot_need kdig "apt-get install knot-dnsutils"
$PY -c 'import dkim, dns.query' 2>/dev/null || {
	[ -z "${CI:-}" ] || rot_fail "python3-dkim or python3-dnspython missing in CI"
	echo "SKIP: python3-dkim or python3-dnspython not installed"
	exit 77
}
[ -x "$POSTDKIM" ] || rot_fail "postdkim is not built: $POSTDKIM"
[ -x "$BENCHDRV" ] || rot_fail "benchdrv is not built: $BENCHDRV (make -C bench benchdrv)"
# The program under test: its absence is a failure, named as such.
[ -n "${ROT_NO_TOOL:-}" ] || [ -x "$DKIMROTATE" ] || rot_fail "dkimrotate is not built ($DKIMROTATE): the program of issue 21 is missing"

ROT_PIDS=""
lib_tmpdir rotate ROT_PIDS KILL
# rot_cleanup: the EXIT trap: a test's database or directory server
# (rot_db_start), the DNS servers (kept running, as $T is, with KEEP_TMP),
# then lib_cleanup.
ROT_DB_HARNESS="" ROT_DB_DIR=""
rot_cleanup() {
	[ -z "$ROT_DB_DIR" ] || "$ROT_DB_HARNESS" stop "$ROT_DB_DIR" >/dev/null 2>&1 || :
	[ -n "${KEEP_TMP:-}" ] || "$H" stop "$T/dns" >/dev/null 2>&1 || :
	lib_cleanup
}
trap rot_cleanup EXIT
mkdir -p "$T/keys" "$T/state" "$T/archive"
chmod 700 "$T/keys" "$T/state" "$T/archive"
"$H" start "$T/dns" || rot_fail "the DNS servers did not start"
. "$T/dns/env"
# The TSIG key, safe as a private key must be (0600, root's, in a private directory).
install -m 600 "$DNS_TSIG_KEY" "$T/keys/tsig.key"
install -m 600 "$DNS_TSIG_WRONG" "$T/keys/wrong.key"
: > "$T/keytable"
: > "$T/signingtable"
# The test clock: now, then moved on by rot_adv.
NOW=$(date +%s)

# rot_key DOMAIN SELECTOR [rsa|ed25519 [BITS]]: a key in $T/keys/DOMAIN/
# SELECTOR.private, its record published (and on both servers), its lines
# in the file: KeyTable and SigningTable (unless ROT_NOTABLES is set).
# With ROT_RECORD_NAME the record goes there instead (delegated mode).
rot_key() {
	_d=$1 _s=$2 _a=${3:-rsa} _b=${4:-2048}
	mkdir -p "$T/keys/$_d"
	chmod 700 "$T/keys/$_d"
	_f="$T/keys/$_d/$_s.private"
	if [ "$_a" = rsa ]; then
		openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$_b" -out "$_f" 2>/dev/null
	else
		openssl genpkey -algorithm ED25519 -out "$_f" 2>/dev/null
	fi || rot_fail "openssl genpkey"
	chmod 600 "$_f"
	"$H" txt "$T/dns" "${ROT_RECORD_NAME:-$_s._domainkey.$_d}" \
	    "v=DKIM1; k=$_a; p=$(lib_pubkey "$_a" "$_f")" || rot_fail "cannot publish $_s._domainkey.$_d"
	if [ -z "${ROT_NOTABLES:-}" ]; then
		printf '# %s, signed since the start\n%s._domainkey.%s %s:%s:%s\n' "$_d" "$_s" "$_d" "$_d" "$_s" "$_f" >> "$T/keytable"
		printf '%s %s._domainkey.%s\n' "$_d" "$_s" "$_d" >> "$T/signingtable"
	fi
}

# rot_conf [EXTRA LINES]: $T/postdkim.conf, file: tables unless
# ROT_KEYTABLE / ROT_SIGNINGTABLE say otherwise; the Rotate* settings point
# at the private servers (ROT_AUTHORITATIVE set and empty: no
# RotateAuthoritative, the zones' NS are checked); EXTRA
# (newline-separated keyword lines) last.
rot_conf() {
	cat > "$T/postdkim.conf" <<EOF
# postdkim.conf of a rotation test
Socket	local:$T/pd.sock
PidFile	$T/pd.pid
KeyTable	${ROT_KEYTABLE:-file:$T/keytable}
SigningTable	${ROT_SIGNINGTABLE:-file:$T/signingtable}
Nameservers	$DNS_PRIMARY
Syslog	no
SyslogSuccess	yes
EOF
	# (Without the tool, as in checker.sh, a daemon that predates it has no Rotate*.)
	[ -n "${ROT_NO_TOOL:-}" ] || cat >> "$T/postdkim.conf" <<EOF
RotatePublish	${ROT_PUBLISH:-nsupdate:$DNS_PRIMARY}
RotateTSIGKey	$T/keys/tsig.key
RotateStateDirectory	$T/state
RotateSelectorFormat	r%Y%m%d
RotateVisibleChecks	2
RotateRetireAfter	7d
RotateRevokeHold	1d
RotateReloadTimeout	20s
RotateArchiveDirectory	$T/archive
EOF
	[ -n "${ROT_NO_TOOL:-}" ] || [ -z "${ROT_AUTHORITATIVE-x}" ] ||
	    printf 'RotateAuthoritative\t%s\n' "${ROT_AUTHORITATIVE:-$DNS_PRIMARY,$DNS_SECONDARY}" >> "$T/postdkim.conf"
	[ -z "${1:-}" ] || printf '%s\n' "$1" >> "$T/postdkim.conf"
	chmod 600 "$T/postdkim.conf"
	"$H" sync "$T/dns" || rot_fail "the secondary did not get the starting records"
}

# rot_daemon: postdkim in the foreground (signing time fixed with -F, so
# that identical messages carry identical signatures), socket up.
rot_daemon() {
	"$POSTDKIM" -f -c "$T/postdkim.conf" -F 1700000000 > "$T/pd.log" 2>&1 &
	PD_PID=$!
	ROT_PIDS="$ROT_PIDS $PD_PID"
	wait_until 100 rot_sock_or_gone || :
	[ -S "$T/pd.sock" ] || { cat "$T/pd.log" >&2; rot_fail "postdkim did not start"; }
}
rot_sock_or_gone() {
	[ -S "$T/pd.sock" ] || lib_gone "$PD_PID"
}

# rot_load_start FROM [LO:HI]: the DNS monitor, then benchdrv on 4
# connections (ROT_CONNS), a new one per message as Postfix opens one per
# session (a reload applies to connections opened after it), each at most
# one message every ROT_PACE_MS (10) ms, sending mail From FROM (%u: a
# number in LO:HI)
# until rot_load_stop.
rot_load_start() {
	"$BENCHDRV" -M "$T/msg.eml" -g 2k || rot_fail "benchdrv -M"
	_zargs=
	for _z in $DNS_ZONES; do
		_zargs="$_zargs --zone $_z"
	done
	# shellcheck disable=SC2086
	$PY "$TESTS_SRCDIR/dnsmon.py" --out "$T/dns.jsonl" --server "primary=$DNS_PRIMARY" \
	    --server "secondary=$DNS_SECONDARY" $_zargs > "$T/mon.out" 2>&1 &
	MON_PID=$!
	ROT_PIDS="$ROT_PIDS $MON_PID"
	wait_until 200 grep -qs ready "$T/mon.out" || { cat "$T/mon.out" >&2; rot_fail "dnsmon.py did not start"; }
	"$BENCHDRV" -s "unix:$T/pd.sock" -c "${ROT_CONNS:-4}" -r -i "${ROT_PACE_MS:-10}" -d 100000 -t 20000 -f "$1" -u "${2:-0:1}" \
	    -L "$T/load.log" > "$T/load.json" 2> "$T/load.err" &
	LOAD_PID=$!
	ROT_PIDS="$ROT_PIDS $LOAD_PID"
	wait_until 100 test -s "$T/load.log" || rot_fail "no message went through postdkim"
}

# rot_load_stop [SIGCHECK-ARGS]: stop the load and the monitor, then check
# every signature against what the servers served (sigcheck.py); the
# verdict in $T/sigcheck.json.
rot_load_stop() {
	rot_load_end
	rot_sigcheck "$@" || rot_fail "signatures: $(cat "$T/sigcheck.json")"
	rot_note "signatures: $(cut -c1-600 "$T/sigcheck.json")"
}

# rot_load_end: stop the load and the monitor.
rot_load_end() {
	kill -TERM "$LOAD_PID" 2>/dev/null || :
	wait "$LOAD_PID" || rot_fail "benchdrv: $(cat "$T/load.err")"
	kill -TERM "$MON_PID" 2>/dev/null || :
	wait "$MON_PID" || :
	rot_note "load: $(cat "$T/load.json")"
}

# rot_sigcheck [SIGCHECK-ARGS]: sigcheck.py's verdict on the last load.
rot_sigcheck() {
	$PY "$TESTS_SRCDIR/sigcheck.py" --log "$T/load.log" --message "$T/msg.eml" --dns "$T/dns.jsonl" \
	    --servers primary,secondary --min "${ROT_MIN_MSGS:-200}" "$@" > "$T/sigcheck.json"
}

# rot_signs_with SELECTOR DOMAIN [TENTHS]: wait until the newest messages
# of the load are signed s=SELECTOR (postdkim reloaded its tables).
rot_signs_with() {
	wait_until "${3:-200}" rot_last_sig "$1" "$2" ||
	    rot_fail "postdkim does not sign $2 with s=$1: $(tail -n 1 "$T/load.log" | grep -o 's=[^;]*;' | head -1)"
}
rot_last_sig() {
	tail -n 20 "$T/load.log" | grep "d=$2;" | tail -n 1 | grep -q "s=$1;"
}

# rot ARGS...: dkimrotate -c CONF ARGS --now NOW; its output and status
# appended to $T/rot.log, the output also in $T/rot.out; returns its status.
rot() {
	echo "== dkimrotate $* --now $NOW" >> "$T/rot.log"
	_st=0
	"$DKIMROTATE" -c "$T/postdkim.conf" "$@" --now "$NOW" > "$T/rot.out" 2>&1 || _st=$?
	cat "$T/rot.out" >> "$T/rot.log"
	echo "== status $_st" >> "$T/rot.log"
	return $_st
}

# rot_ok ARGS...: rot, which must succeed; then the invariants.
rot_ok() {
	rot "$@" || rot_fail "dkimrotate $* exited non-zero"
	rot_invariants
}

# rot_err ARGS...: rot, which must fail; then the invariants.
rot_err() {
	! rot "$@" || rot_fail "dkimrotate $* succeeded, a failure was expected"
	rot_invariants
}

# rot_adv DURATION: the test clock moves on (s, m, h, d suffixes).
rot_adv() {
	case $1 in
	*d) NOW=$((NOW + ${1%d} * 86400)) ;;
	*h) NOW=$((NOW + ${1%h} * 3600)) ;;
	*m) NOW=$((NOW + ${1%m} * 60)) ;;
	*s) NOW=$((NOW + ${1%s})) ;;
	*) NOW=$((NOW + $1)) ;;
	esac
}

# rot_records SERVER [ZONE]: "NAME<TAB>TEXT" for every TXT record that
# server serves under _domainkey (or every TXT of ZONE), from a zone transfer.
rot_records() {
	eval "_port=\$DNS_$(echo "$1" | tr a-z A-Z)_PORT"
	for _z in ${2:-$DNS_ZONES}; do
		kdig +time=3 +retry=1 @127.0.0.1 -p "$_port" AXFR "$_z" 2>/dev/null
	done | $PY -c '
import re, sys
for line in sys.stdin:
    f = line.split(None, 4)
    if len(f) == 5 and f[3] == "TXT" and not line.startswith(";"):
        print("%s\t%s" % (f[0].rstrip(".").lower(), "".join(re.findall(r"\"((?:[^\"\\\\]|\\\\.)*)\"", f[4]))))
'
}

# rot_txt SERVER NAME: the TXT NAME has on that server (joined), or nothing.
rot_txt() {
	"$H" get "$T/dns" "$1" "$2" 2>/dev/null
}

# rot_pubkeys DIR...: "P-VALUE<TAB>FILE" for every private key file below the DIRs.
rot_pubkeys() {
	find "$@" -type f 2>/dev/null | while read -r _f; do
		_k=$(openssl pkey -in "$_f" -noout -text 2>/dev/null | head -1) || continue
		case $_k in
		*ED25519*) printf '%s\t%s\n' "$(lib_pubkey ed25519 "$_f")" "$_f" ;;
		*Private*) printf '%s\t%s\n' "$(lib_pubkey rsa "$_f")" "$_f" ;;
		esac
	done
}

# rot_invariants: after every run, whatever happened to it:
# - every key record published (non-empty p=) on any server has its
#   private key (among the key directories, not the archive);
# - every key seen before and gone since has its record revoked (empty p=)
#   or removed on every server;
# - every selector the KeyTable (file:) names for signing is visible, with
#   its key's p=, on every server.
rot_invariants() {
	rot_pubkeys "$T/keys" | grep -v '/tsig.key\|/wrong.key' | sort > "$T/inv.keys"
	cat "$T/inv.keys" >> "$T/inv.seen"
	sort -u -o "$T/inv.seen" "$T/inv.seen"
	for _srv in primary secondary; do
		rot_records "$_srv" > "$T/inv.$_srv" || :
	done
	$PY - "$T" "${ROT_KEYTABLE_FILE:-$T/keytable}" "${ROT_DELEGATE:-}" <<'EOF' || rot_fail "an invariant does not hold (above)"
import os, re, sys
T, keytable, delegate = sys.argv[1], sys.argv[2], sys.argv[3]
def keys(path):
    d = {}
    for line in open(path):
        p, f = line.rstrip("\n").split("\t", 1)
        d.setdefault(p, f)
    return d
have, seen = keys(T + "/inv.keys"), keys(T + "/inv.seen")
def ptag(rec):
    m = re.search(r"(?:^|;)\s*p=([^;]*)", rec)
    return None if m is None else "".join(m.group(1).split())
bad = 0
published = {}
servers = [s for s in ("primary", "secondary") if os.path.getsize("%s/inv.%s" % (T, s)) > 0]
for srv in servers:  # a server that is down publishes nothing to check
    recs = {}
    for line in open("%s/inv.%s" % (T, srv)):
        name, rec = line.rstrip("\n").split("\t", 1)
        recs[name] = rec
        p = ptag(rec)
        if p is None or "v=DKIM1" not in rec:
            continue
        if p and p not in have:
            if p in seen:
                print("%s publishes %s with p= of a private key that is gone (%s)" % (srv, name, seen[p]))
                bad += 1
            # a record we never had a key for is a test's own (wrong key): not the tool's
    published[srv] = recs
# Selectors named by the KeyTable (file: form "NAME DOMAIN:SELECTOR:KEYFILE").
if os.path.exists(keytable):
    for line in open(keytable):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        f = line.split(None, 1)
        if len(f) < 2 or f[1].count(":") < 2:
            continue
        dom, sel, kf = f[1].split(":", 2)
        if dom == "%":
            continue    # each sender's own domain: not dkimrotate's
        name = "%s._domainkey.%s" % (sel, dom)
        if delegate:
            name = "%s.%s.%s" % (sel, dom, delegate)
        if not os.path.exists(kf):
            print("the KeyTable names %s, whose key file %s is gone" % (name, kf))
            bad += 1
            continue
        want = [p for p, fn in have.items() if fn == kf]
        for srv in servers:
            got = ptag(published[srv].get(name.lower(), ""))
            if not want or got != want[0]:
                print("the KeyTable signs with %s, which %s does not answer with its key (answers p=%s)"
                      % (name, srv, (got or "")[:40]))
                bad += 1
sys.exit(1 if bad else 0)
EOF
}

# rot_new_key DOMAIN OLDFILE: the key file dkimrotate made beside OLDFILE.
rot_new_key() {
	find "$(dirname "$2")" -type f ! -path "$2" -newer "$2" | head -n 1
}

# rot_table_selector DOMAIN: the selector the file: KeyTable names for DOMAIN.
rot_table_selector() {
	sed -n "s/^[^#][^ ]* $1:\([^:]*\):.*/\1/p" "${ROT_KEYTABLE_FILE:-$T/keytable}" | head -n 1
}

# rot_reloads: how many reloads postdkim logged.
rot_reloads() {
	grep -c 'configuration reloaded' "$T/pd.log" || :
}

# rot_new_selector DOMAIN OLD: the selector other than OLD that the primary
# publishes for DOMAIN (under _domainkey, or in ROT_DELEGATE's zone).
rot_new_selector() {
	if [ -n "${ROT_DELEGATE:-}" ]; then
		rot_records primary "$ROT_DELEGATE" | sed -n "s/^\([^.]*\)\.$1\.$ROT_DELEGATE	.*/\1/p"
	else
		rot_records primary | sed -n "s/^\([^.]*\)\._domainkey\.$1	.*/\1/p"
	fi | grep -vx "$2" | head -n 1
}

# rot_p SERVER NAME: the p= of the record NAME has on SERVER ("-" when it
# has none, "" when p= is empty: revoked).
rot_p() {
	_r=$(rot_txt "$1" "$2")
	[ -n "$_r" ] || { echo -; return; }
	# The tag, not the last "p=" of the line: base64 may end in "p=".
	printf '%s\n' "$_r" | tr ';' '\n' | sed -n 's/^[[:space:]]*p=//p' | tr -d ' '
}

# rot_wait_p SERVER NAME VALUE: wait (10 s) until rot_p says VALUE.
rot_wait_p() {
	wait_until 100 rot_p_is "$@" || rot_fail "$1 answers $2 with p=$(rot_p "$1" "$2" | cut -c1-30), not p=$(echo "$3" | cut -c1-30)"
}
rot_p_is() {
	[ "$(rot_p "$1" "$2")" = "$3" ]
}

# rot_status_has DOMAIN REGEX: dkimrotate status DOMAIN's line matches REGEX
# (case-insensitive).
rot_status_has() {
	rot status "$1" || rot_fail "dkimrotate status $1 exited non-zero"
	grep -i "$1" "$T/rot.out" | grep -Eqi "$2" ||
	    rot_fail "status $1 does not say /$2/: $(cat "$T/rot.out")"
}

# rot_no_secret: neither TSIG secret in dkimrotate's output, status or log.
rot_no_secret() {
	for _k in "$T/keys/tsig.key" "$T/keys/wrong.key"; do
		_sec=$(sed -n 's/.*secret "\(.*\)";/\1/p' "$_k")
		! grep -qF "$_sec" "$T/rot.log" "$T/pd.log" || rot_fail "a TSIG secret shows in the output"
	done
}

# rot_until_switch DOMAIN SELECTOR [WHY]: runs an hour apart (at most 3:
# RotateVisibleChecks is 2, and the publishing run may have been too early
# for the secondary), each once the secondary serves what the primary does
# (Knot sends its NOTIFY about a second after an update), until the
# KeyTable names SELECTOR for DOMAIN.
rot_until_switch() {
	for _i in 1 2 3; do
		"$H" sync "$T/dns" || rot_fail "the secondary does not follow the primary"
		rot_adv 1h
		rot_ok run
		[ "$(rot_table_selector "$1")" != "$2" ] || return 0
	done
	rot_fail "${3:-no switch of $1 to $2} after 3 runs"
}

# rot_modoboa_keys SQL: keys old for example.com and mail for
# other.example.com (not in file: tables), named by the rows of the
# modoboa schema of tests/db: the schema's own example.com row becomes
# ours, other.example.com's is added, its other rows stay as they are. SQL
# is the test's command that runs one statement on that database.
rot_modoboa_keys() {
	ROT_NOTABLES=1 rot_key example.com old
	ROT_NOTABLES=1 rot_key other.example.com mail
	"$1" "UPDATE admin_domain SET dkim_key_selector = 'old', dkim_private_key_path = '$T/keys/example.com/old.private'
	    WHERE name = 'example.com'"
	"$1" "INSERT INTO admin_domain (name, enable_dkim, dkim_key_selector, dkim_private_key_path) VALUES
	    ('other.example.com', TRUE, 'mail', '$T/keys/other.example.com/mail.private')"
}

# rot_until_fails WHY [CHECK...]: runs an hour apart (at most 3), each once
# the secondary serves what the primary does, until one exits non-zero
# (the invariants and CHECK after each that succeeds); fails with WHY when
# none did.
rot_until_fails() {
	_why=$1
	shift
	for _i in 1 2 3; do
		"$H" sync "$T/dns" || rot_fail "the secondary does not follow the primary"
		rot_adv 1h
		rot run || return 0
		rot_invariants
		[ $# -eq 0 ] || "$@"
	done
	rot_fail "$_why"
}

# rot_begin: the usual start: example.com signed with selector old (file:
# tables, Rotate* as rot_conf writes them), postdkim up, load running.
rot_begin() {
	rot_key example.com old
	rot_conf
	rot_daemon
	rot_load_start sender@example.com
}

# rot_no_switch COUNT STEP DOMAIN WHY: COUNT runs, the clock moved by STEP
# before each; every one exits 0 and leaves DOMAIN on selector old.
rot_no_switch() {
	for _i in $(seq "$1"); do
		rot_adv "$2"
		rot_ok run
		[ "$(rot_table_selector "$3")" = old ] || rot_fail "$4"
	done
}

# rot_db_start pgsql|mysql|ldap: the private PostgreSQL or MariaDB server
# (tests/db/dbharness.sh) or slapd (tests/ldap/ldapharness.sh) started in a
# directory of its own, outside $T, which only root may enter (the servers
# run as nobody); its env (ports, sockets, users, passwords) sourced; the
# server stopped and its directory removed at exit (rot_cleanup).
rot_db_start() {
	case $1 in
	pgsql)	_dbh=$TESTS_SRCDIR/../db/dbharness.sh _dbwhat=PostgreSQL _dbdir=rotate-db ;;
	mysql)	rot_need mariadbd "Debian package mariadb-server"
		_dbh=$TESTS_SRCDIR/../db/dbharness.sh _dbwhat=MariaDB _dbdir=rotate-db ;;
	ldap)	rot_need /usr/sbin/slapd "apt-get install slapd"
		rot_need ldapmodify "apt-get install ldap-utils"
		_dbh=$TESTS_SRCDIR/../ldap/ldapharness.sh _dbwhat=slapd _dbdir=rotate-ldap ;;
	*)	rot_fail "rot_db_start: pgsql, mysql or ldap, not $1" ;;
	esac
	ROT_DB_HARNESS="$(cd "$(dirname "$_dbh")" && pwd)/$(basename "$_dbh")"
	ROT_DB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/$_dbdir.XXXXXX")
	if [ "$1" = ldap ]; then
		"$ROT_DB_HARNESS" start "$ROT_DB_DIR"
	else
		"$ROT_DB_HARNESS" start "$ROT_DB_DIR" "$1"
	fi || rot_fail "$_dbwhat did not start"
	# shellcheck source=/dev/null
	. "$ROT_DB_DIR/env"
}
