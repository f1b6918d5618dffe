# benchlib.sh - what scale.sh and dsn.sh share, sourced (not run) by them:
# prerequisites, the private work dir, the build, the RSA key pool and its
# per-domain copies, file: tables of N domains, the clock/RSS/CPU readers,
# the results file and one benchdrv run per phase.
#
# The sourcing script sets $me (its name, for messages) and the options,
# then calls, in order: bench_prereq, bench_workdir, bench_build BUILDDIR,
# bench_outdir OUTDIR, bench_keys NKEYS NMAX. Cell functions read the
# globals n, tk (table kind), kind (milter), mpid, sock, outdir, results.
# shellcheck shell=bash disable=SC2154,SC2034

die() { echo "$me: $*" >&2; exit 1; }
say() { echo "$me: $*" >&2; }

PY=/usr/bin/python3

# bench_prereq [PACKAGE...]: Debian's opendkim, python3-dkim and any other
# package named, installed when missing (dpkg -s: no registry query when
# they are there).
bench_prereq() {
	local p missing=
	command -v opendkim >/dev/null 2>&1 || missing=opendkim
	$PY -c 'import dkim' 2>/dev/null || missing="$missing python3-dkim"
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	say "installing$missing"
	# shellcheck disable=SC2086
	apt-get install -y $missing >/dev/null || die "cannot install$missing"
}

# bench_workdir: a private work dir, removed at exit with the milter in
# $mpid. OpenDKIM wants its files under a directory that is not
# world-writable, hence /run rather than /tmp. Scripts that start more
# (database servers) add to bench_atexit.
bench_atexit=:
bench_workdir() {
	local base
	if [ -d /run ] && [ -w /run ]; then base=/run; else base=${HOME:?}; fi
	work=$(mktemp -d -p "$base" "postdkim-${me%.sh}.XXXXXX")
	mpid=
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}
bench_cleanup() {
	if [ -n "$mpid" ]; then
		kill "$mpid" 2>/dev/null || true
		sleep 0.2
		kill -9 "$mpid" 2>/dev/null || true
	fi
	eval "$bench_atexit"
	rm -rf "$work"
}

# bench_build [BUILDDIR]: build in the work dir unless a configured build
# is named; sets builddir, DRV (benchdrv) and PD (postdkim).
bench_build() {
	builddir=$1
	if [ -z "$builddir" ]; then
		builddir=$work/build
		mkdir -p "$builddir"
		say "building in $builddir"
		(cd "$builddir" && "$here/../configure" >/dev/null && make -j"$(nproc)" >/dev/null &&
			make -C bench bench-progs >/dev/null) || die "build failed"
	fi
	builddir=$(cd "$builddir" && pwd)
	DRV=$builddir/bench/benchdrv
	PD=$builddir/daemon/postdkim
	# The database and LDAP back ends: the build's modules.
	POSTDKIM_MODULE_DIR=$builddir/tables
	export POSTDKIM_MODULE_DIR
	local f
	for f in "$DRV" "$PD"; do
		[ -x "$f" ] || die "$f not built (make -C $builddir/bench bench-progs)"
	done
}

# bench_outdir [OUTDIR]: where results.jsonl and the samples go.
bench_outdir() {
	outdir=$1
	[ -n "$outdir" ] || outdir=$(mktemp -d -p "${TMPDIR:-/tmp}" "postdkim-${me%.sh}-out.XXXXXX")
	mkdir -p "$outdir"
	outdir=$(cd "$outdir" && pwd)
	results=$outdir/results.jsonl
	: > "$results"
	rm -rf "$outdir/samples"
}

# bench_keys NKEYS NMAX: NKEYS RSA-2048 keys in $work/pool (kJ.pem, and
# kJ.pub for scale_verify.py), copied to $work/keys/dI.pem for I < NMAX
# (domain I gets key I mod NKEYS): generating 100,000 keys would take over
# an hour, and nothing is published (sign-only).
bench_keys() {
	local nkeys=$1 nmax=$2 j
	umask 077
	say "$(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg); generating $nkeys RSA-2048 keys"
	mkdir -p "$work/pool" "$work/keys"
	for j in $(seq 0 $((nkeys - 1))); do
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$work/pool/k$j.pem" 2>/dev/null
		openssl pkey -in "$work/pool/k$j.pem" -pubout -outform DER 2>/dev/null |
			base64 -w0 > "$work/pool/k$j.pub"
	done
	# The copies: cp + chmod 600 of each, done in one process (100,000 forks
	# would take minutes on a busy machine).
	say "copying them to $nmax key files (0600)"
	$PY - "$work/pool" "$work/keys" "$nkeys" "$nmax" <<'PYEOF'
import os, sys
pool, keys, k, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
data = [open(os.path.join(pool, "k%d.pem" % j), "rb").read() for j in range(k)]
for i in range(n):
    fd = os.open(os.path.join(keys, "d%d.pem" % i), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, data[i % k])
    os.close(fd)
PYEOF
}

# bench_tables N: KeyTable, file: and refile: SigningTables of N domains in $work/tN.
bench_tables() {
	local n=$1 d=$work/t$1
	mkdir -p "$d"
	awk -v n="$n" -v k="$work/keys" -v d="$d" 'BEGIN {
		for (i = 0; i < n; i++) {
			printf "d%d d%d.example:s:%s/d%d.pem\n", i, i, k, i > (d "/keytable")
			printf "d%d.example d%d\n", i, i > (d "/signing.file")
			printf "*@d%d.example d%d\n", i, i > (d "/signing.refile")
		}
	}'
}

# now: wall-clock seconds with nanoseconds.
now() { date +%s.%N; }
# sub A B: A - B, in seconds.
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a - b }'; }
# rss PID: VmRSS in KiB.
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# cpu PID: CPU seconds of the process's live threads (schedstat, ns
# resolution): unlike wall-clock time, not inflated by other load.
cpu() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.4f", s / 1e9 }'; }

# emit KEY=VALUE...: one JSON line into $results with the current cell's labels.
emit() {
	local line="{\"n\":$n,\"tables\":\"$tk\",\"milter\":\"$kind\"" kv
	for kv in "$@"; do
		case ${kv#*=} in
		''|*[!0-9.]*) line="$line,\"${kv%%=*}\":\"${kv#*=}\"" ;;
		*) line="$line,\"${kv%%=*}\":${kv#*=}" ;;
		esac
	done
	echo "$line}" >> "$results"
}

# stop: TERM the milter, wait at most 10 s, then KILL.
stop() {
	local i
	[ -n "$mpid" ] || return 0
	kill "$mpid" 2>/dev/null || true
	for i in $(seq 100); do
		kill -0 "$mpid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$mpid" 2>/dev/null || true
	wait "$mpid" 2>/dev/null || true
	mpid=
}

# bench_start CONF: launch milter $kind on CONF in the foreground (its
# stderr to $log) and wait until $sock answers option negotiation; sets
# mpid, and start_s to the seconds that took. (Not for $(...): the milter
# must be a child of this shell.)
bench_start() {
	local t0 t1
	rm -f "$sock"
	t0=$(now)
	if [ "$kind" = postdkim ]; then
		"$PD" -f -c "$1" 2>>"$log" & mpid=$!
	else
		opendkim -f -x "$1" 2>>"$log" & mpid=$!
	fi
	t1=$("$DRV" -s "unix:$sock" -W 900000 -p "$mpid") || { tail -5 "$log" >&2; die "$kind did not start"; }
	start_s=$(sub "$t1" "$t0")
}

# bench_verify NKEYS: check the sampled signatures with python3-dkim
# (scale_verify.py) into $outdir/verify.txt; sets vrc (0 when all pass).
bench_verify() {
	say "verifying sampled signatures with python3-dkim"
	vrc=0
	$PY "$here/scale_verify.py" "$work/pool" "$1" "$outdir/samples" > "$outdir/verify.txt" || vrc=$?
	tail -1 "$outdir/verify.txt"
	grep '^FAIL' "$outdir/verify.txt" | head -5 || true
}

# bench_footer: the machine and the versions, for the record.
bench_footer() {
	echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	echo "versions: $("$PD" -V 2>&1 | head -1); $(opendkim -V 2>&1 | head -1); $(openssl version)"
}

# drive_before, drive_extra LINE: hooks around each run; drive_extra prints
# more ,"key":value pairs for its JSON line. Nothing by default; tables on a
# server (dsn.sh, ldap.sh) call table_hooks for the repetition and the
# server's CPU per message, read by their own dbcpu (0 for file tables).
drive_before() { :; }
drive_extra() { :; }
table_hooks() {
	drive_before() { db0=$(dbcpu); }
	drive_extra() {
		local msgs
		msgs=$(echo "$1" | sed 's/.*"msgs":\([0-9]*\).*/\1/')
		printf ',"rep":%d' "$rep"
		[ "$tk" = file ] && return 0
		awk -v a="$(dbcpu)" -v b="$db0" -v m="$msgs" \
			'BEGIN { if (m > 0) printf ",\"db_cpu_ms_per_msg\":%.4f", (a - b) * 1000 / m }'
	}
}

# table_cell [FILLTK]: for dsn.sh and ldap.sh (which define conf, and set
# kind, tk, rep, w, n, fill, secs): one process of milter $kind with tables
# $tk, every phase: the working set, then cold lookups; postdkim's first
# repetition (with tables FILLTK only, when given) also fills the cache
# past its size.
table_cell() {
	local c
	c=$(conf)
	sock=$work/$kind.sock
	log=$work/$kind-$tk.log
	say "  $tk $kind (repetition $rep)"
	if [ "$rep" -gt 1 ]; then
		:
	elif [ "$kind" = postdkim ]; then
		"$PD" -n -c "$c" > "$log.n" 2>&1 || { tail -5 "$log.n" >&2; die "postdkim -n failed"; }
	else
		opendkim -n -x "$c" > "$log.n" 2>&1 || { tail -5 "$log.n" >&2; die "opendkim -n failed"; }
	fi
	bench_start "$c"
	emit what=start rep="$rep" s="$start_s" rss_kb="$(rss "$mpid")"
	drive ws-fill -n "$w" -d 600 -q -f 'user@d%u.example' -u "0:$w"
	drive ws-warmup -d 2 -f 'user@d%u.example' -u "0:$w"
	drive ws -d "$secs" -f 'user@d%u.example' -u "0:$w"
	drive cold -d "$secs" -q -f 'user@d%u.example' -u "$w:$n"
	if [ "$kind" = postdkim ] && [ "$rep" = 1 ] && { [ -z "${1:-}" ] || [ "$tk" = "$1" ]; }; then
		drive fill1 -n "$fill" -d 900 -q -f 'user@d%u.example' -u "$w:$n"
		drive fill2 -n "$fill" -d 900 -q -f 'user@d%u.example' -u "$((w + fill)):$n"
	fi
	stop
}

# drive PHASE ARGS...: one benchdrv run against the milter, one JSON line.
drive() {
	local phase=$1 line extra sdir=$outdir/samples/$n-$tk-$kind-$1
	shift
	mkdir -p "$sdir"
	drive_before
	line=$("$DRV" -s "unix:$sock" -c 8 -g 2k -p "$mpid" -l "$phase" -D "$sdir" -k 3 "$@") ||
		die "benchdrv failed: N=$n $tk $kind $phase"
	extra=$(drive_extra "$line")
	echo "${line%\}},\"n\":$n,\"tables\":\"$tk\",\"milter\":\"$kind\",\"phase\":\"$phase\",\"rss_kb\":$(rss "$mpid")$extra}" >> "$results"
	printf '    %-8s %s\n' "$phase" "$(echo "$line" | sed 's/.*"msgs":\([0-9]*\).*"msgs_per_s":\([0-9.]*\).*"p99_ms":\([0-9.]*\).*"unsigned":\([0-9]*\),"errors":\([0-9]*\).*/\1 msgs, \2 msg\/s, p99 \3 ms, unsigned \4, errors \5/'), RSS $(($(rss "$mpid") / 1024)) MiB" >&2
}
