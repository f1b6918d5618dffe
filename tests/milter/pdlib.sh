# pdlib.sh - helpers for the tests that drive the real postdkim daemon
# (sourced after testlib.sh): keys made with openssl, their TXT records in a
# zone file, starting the daemon in the foreground on a private socket, and
# checking signatures with libdkim (dkimverify) and python3-dkim.

: "${TOP_BUILDDIR:?TOP_BUILDDIR must be set (run through make check)}"
POSTDKIM="$TOP_BUILDDIR/daemon/postdkim"
DKIMVERIFY="${DKIMVERIFY:-$TOP_BUILDDIR/tests/milter/dkimverify}"
[ -x "$POSTDKIM" ] || tl_fail "postdkim is not built: $POSTDKIM"
[ -x "$DKIMVERIFY" ] || tl_fail "dkimverify is not built: $DKIMVERIFY"
command -v openssl >/dev/null 2>&1 || tl_skip "openssl(1) not installed"
$PY -c 'import dkim' 2>/dev/null || tl_skip "python3-dkim not installed (apt-get install python3-dkim)"

# The signing time every daemon here is started with (-F), for stable output.
PD_TIME=1700000000

# pd_key NAME rsa|ed25519: a private key in $T/NAME.key, mode 0600.
pd_key() {
	lib_genkey "$2" "$T/$1.key" || tl_fail "openssl genpkey $2"
}

# pd_zone SELECTOR DOMAIN KEYNAME: append the key's TXT record to $T/zone,
# in strings of at most 250 bytes as DNS needs.
pd_zone() {
	if openssl pkey -in "$T/$3.key" -noout -text 2>/dev/null | grep -qi 'ED25519'; then
		_zk=ed25519
	else
		_zk=rsa
	fi
	_zp=$(lib_pubkey "$_zk" "$T/$3.key")
	[ -n "$_zp" ] || tl_fail "cannot export the public key of $3"
	_zr="v=DKIM1; k=$_zk; p=$_zp"
	printf '%s._domainkey.%s IN TXT' "$1" "$2" >> "$T/zone"
	echo "$_zr" | fold -w 250 | while IFS= read -r part; do
		printf ' "%s"' "$part"
	done >> "$T/zone"
	printf '\n' >> "$T/zone"
}

# pd_start NAME CONF [ARGS...]: run "postdkim -f -c CONF -F PD_TIME ARGS" with
# its log in $T/NAME.log; waits for the unix socket named in CONF. Sets PD_PID.
# With PD_WRAP (a command such as valgrind, whose own log is PD_WRAP_LOG)
# postdkim runs under it; PD_WAIT is how long it may take to start, in
# tenths of a second (default 100).
pd_start() {
	_sn=$1
	_sc=$2
	shift 2
	_ss=$(sed -n 's/^Socket[ 	]*local://p' "$_sc")
	# shellcheck disable=SC2086 # PD_WRAP is a command and its words
	${PD_WRAP:-} "$POSTDKIM" -f -c "$_sc" -F "$PD_TIME" "$@" > "$T/$_sn.log" 2>&1 &
	PD_PID=$!
	TL_PIDS="$TL_PIDS $PD_PID"
	if ! tl_wait_socket "$_ss" "$PD_PID" "${PD_WAIT:-100}"; then
		cat "$T/$_sn.log" ${PD_WRAP_LOG:+"$PD_WRAP_LOG"} >&2
		tl_fail "postdkim ($_sn) did not start"
	fi
}

# pd_stop PID: SIGTERM and wait (at most 15 s); returns the exit status.
pd_stop() {
	kill -TERM "$1" 2>/dev/null || return 1
	tl_waitgone "$1" 150 || { kill -9 "$1" 2>/dev/null; return 1; }
	_st=0
	wait "$1" 2>/dev/null || _st=$?
	return $_st
}

# pd_check NSIG FILE...: every file carries NSIG signatures that libdkim and
# python3-dkim both verify with the keys of $T/zone (NSIG 0: none at all).
pd_check() {
	_pn=$1
	shift
	if [ "$_pn" -eq 0 ]; then
		"$DKIMVERIFY" --zone "$T/zone" --none "$@" > "$T/pd_check.log" 2>&1 \
		    || { grep -v '^OK' "$T/pd_check.log" >&2; tl_fail "unexpected signature"; }
		return 0
	fi
	"$DKIMVERIFY" --zone "$T/zone" --nsig "$_pn" "$@" > "$T/pd_check.log" 2>&1 \
	    || { grep -v '^OK' "$T/pd_check.log" >&2; tl_fail "libdkim verifier: bad signature"; }
	$DKIMCHECK --zone "$T/zone" --nsig "$_pn" "$@" > "$T/pd_check.log" 2>&1 \
	    || { grep -v '^OK' "$T/pd_check.log" >&2; tl_fail "python3-dkim: bad signature"; }
}

# pd_sane FILE...: the shape Postfix needs: signatures first, CRLF only, no
# "\r\r\n" (a milter that sent CRs), signature lines of at most 78 columns.
pd_sane() {
	$PY - "$@" <<'EOF' || tl_fail "malformed output message"
import sys
bad = 0
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    head = data.split(b"\r\n\r\n", 1)[0]
    why = None
    if b"\r\r" in data:
        why = "CR CR LF"
    elif data.replace(b"\r\n", b"").find(b"\n") >= 0:
        why = "bare LF"
    elif not head.lower().startswith(b"dkim-signature:"):
        why = "signature is not the first field"
    else:
        insig = False
        for line in head.split(b"\r\n"):
            if line[:1] not in (b" ", b"\t"):
                insig = line.lower().startswith(b"dkim-signature:")
            if insig and len(line) > 78:
                why = "signature line of %d columns" % len(line)
    if why:
        print("%s: %s" % (path, why))
        bad += 1
sys.exit(1 if bad else 0)
EOF
}

# pd_send NAME DAEMON MSG [MCLIENT-ARGS...]: $T/MSG through the daemon whose
# socket is $T/DAEMON.sock; the verdict line in $T/NAME.log, the message as
# passed on in $T/o-NAME/1.eml.
pd_send() {
	_n=$1 _d=$2 _m=$3
	shift 3
	rm -rf "$T/o-$_n"
	mkdir -p "$T/o-$_n"
	"$MCLIENT" -s "unix:$T/$_d.sock" -o "$T/o-$_n" "$@" "$T/$_m" > "$T/$_n.log" 2>&1 ||
	    { cat "$T/$_n.log" "$T/$_d.log" >&2; tl_fail "$_n: mclient failed"; }
}

# pd_signed NAME DAEMON MSG SELECTOR [DOMAIN]: pd_send, then one signature
# with s=SELECTOR (and d=DOMAIN) that pd_check verifies.
pd_signed() {
	pd_send "$1" "$2" "$3"
	grep -q '^1 accept .* ins=1 ' "$T/$1.log" || { cat "$T/$1.log" "$T/$2.log" >&2; tl_fail "$1: not signed"; }
	grep -q "s=$4;" "$T/o-$1/1.eml" || { head -5 "$T/o-$1/1.eml" >&2; tl_fail "$1: not s=$4"; }
	[ -z "${5:-}" ] || grep -q "d=$5;" "$T/o-$1/1.eml" ||
	    { head -5 "$T/o-$1/1.eml" >&2; tl_fail "$1: not d=$5"; }
	pd_check 1 "$T/o-$1/1.eml"
}

# pd_unsigned NAME DAEMON MSG, pd_tempfailed NAME DAEMON MSG: pd_send, then
# accepted with nothing added, or tempfailed.
pd_unsigned() {
	pd_send "$1" "$2" "$3"
	grep -q '^1 accept .* ins=0 ' "$T/$1.log" || { cat "$T/$1.log" >&2; tl_fail "$1: signed"; }
}
pd_tempfailed() {
	pd_send "$1" "$2" "$3"
	grep -q '^1 tempfail ' "$T/$1.log" || { cat "$T/$1.log" "$T/$2.log" >&2; tl_fail "$1: not tempfailed"; }
}

# pd_dns ZONEFILE [SECZONE TAFILE]: tests/dns/hostile-dns.py serving
# ZONEFILE ("NAME TEXT" lines) on a free loopback port, PD_DNS_PORT; its
# queries in $T/dns.log.
pd_dns() {
	PD_DNS_PORT=$($PY "$TESTS_SRCDIR/../freeport.py")
	$PY "$TESTS_SRCDIR/../dns/hostile-dns.py" "$PD_DNS_PORT" "$T/dns.log" "$@" > "$T/dns.out" 2>&1 &
	TL_PIDS="$TL_PIDS $!"
	wait_until 100 grep -q ready "$T/dns.out" || tl_fail "the DNS server did not start"
}

# pd_mget ADDR PATH: GET PATH from a metrics endpoint (HOST:PORT, or the
# path of a UNIX socket) into $T/http.out: the HTTP status on the first
# line, then the body.
pd_mget() {
	$PY "$TESTS_SRCDIR/metrics.py" "$1" "$2" > "$T/http.out" 2> "$T/http.err" ||
		{ cat "$T/http.err" "$T/pd.log" >&2; tl_fail "GET $2 failed"; }
}

# pd_scrape ADDR: /metrics into $T/m.txt; promtool must accept it.
pd_scrape() {
	pd_mget "$1" /metrics
	head -1 "$T/http.out" | grep -qx 200 || { cat "$T/http.out" >&2; tl_fail "/metrics: not 200"; }
	sed 1d "$T/http.out" > "$T/m.txt"
	promtool check metrics < "$T/m.txt" > "$T/promtool.out" 2>&1 ||
		{ cat "$T/promtool.out" >&2; tl_fail "promtool check metrics refuses the exposition"; }
}

# pd_want SERIES VALUE...: each series has exactly its value in $T/m.txt.
pd_want() {
	while [ $# -ge 2 ]; do
		_wv=$(awk -v k="$1" '$1 == k { print $2 }' "$T/m.txt")
		[ "$_wv" = "$2" ] || { grep "^${1%%\{*}" "$T/m.txt" >&2; tl_fail "$1 is '$_wv', not $2"; }
		shift 2
	done
}
