#!/bin/bash
# dsn.sh - KeyTable and SigningTable in a database (issue 12): postdkim
# against Debian's OpenDKIM with the same dsn: tables, in one run.
#
#   bench/dsn.sh [--quick] [-b BUILDDIR] [-o OUTDIR] [-B pgsql|mysql|both]
#                [-n N] [-k KEYS] [-d SECONDS] [-w W] [-r REPS]
#
# Private database servers (tests/db/dbharness.sh; it always starts both)
# get N domains dI.example in modoboa's tables (tests/db/schema-modoboa.sql:
# admin_domain, read through its dkim view), selector s, key file
# $work/keys/dI.pem (KEYS distinct RSA-2048 keys, domain I has key I mod
# KEYS, as scale.sh makes them). Both milters get modoboa's two lines:
#   SigningTable dsn:B://bench:benchpw@PORT+127.0.0.1/modoboa/table=dkim?keycol=domain_name?datacol=id
#   KeyTable     dsn:B://bench:benchpw@PORT+127.0.0.1/modoboa/table=dkim?keycol=id?datacol=domain_name,selector,private_key_path
# and Mode s, relaxed/simple, a unix socket, the foreground, root. postdkim
# also gets DatabaseCacheTTL 3600 (no answer expires during the run) and
# its cache sizes written out. postdkim with the same N domains as file:
# tables is the reference ("file").
#
# Per repetition (REPS, default 3) and (tables, milter), one fresh process,
# in this order (-n and the fills in the first repetition only):
#   -n        the configuration check (untimed: postdkim loads every key)
#   start     launch until the socket answers option negotiation
#   ws-fill   each of the W working-set domains d0..d(W-1) once (untimed),
#   ws-warmup then 2 s at random over them (untimed: OpenSSL sets up an
#             RSA key's blinding once per key and thread, see RESULTS.md)
#   ws        "warm": random From over the W domains, SECONDS long
#   cold      every message a domain not used before (-q from dW upward),
#             SECONDS long
#   fill1/2   postdkim only: F = 1.25 x DatabaseCacheSize more distinct
#             domains, twice, to show RSS stays bounded by the caches
# 8 connections, 2 KB messages, benchdrv as in scale.sh; besides the
# milter's CPU (utime+stime) the database server's CPU per message is
# recorded (postmaster with its children, or mariadbd). OpenDKIM 2.11 has
# no cache for SQL tables (QueryCache is its DNS cache), so it asks the
# server for every message. Cells alternate which milter goes first, and
# the file: reference runs in every repetition too; the tables show
# medians over the repetitions. A sample of every run is verified with
# python3-dkim against the From domain's public key (scale_verify.py).
# Tables: dsn_table.py. --quick: N = 5,000, W = 200, one repetition of 1 s
# runs, DatabaseCacheSize 1000, KeyCacheSize 256. Needs root.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
quick=0
builddir=
outdir=
backends=pgsql
n=100000
nkeys=32
secs=4
w=1000
reps=3
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	-b) builddir=$2; shift ;;
	-o) outdir=$2; shift ;;
	-B) backends=$2; shift ;;
	-n) n=$2; shift ;;
	-k) nkeys=$2; shift ;;
	-d) secs=$2; shift ;;
	-w) w=$2; shift ;;
	-r) reps=$2; shift ;;
	-h|--help) sed -n '2,41p' "$0"; exit 0 ;;
	*) echo "dsn.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
case $backends in
pgsql|mysql) ;;
both) backends="pgsql mysql" ;;
*) echo "dsn.sh: -B pgsql, mysql or both" >&2; exit 2 ;;
esac
# The caches postdkim is given (the defaults unless --quick): the RSS
# phases are sized from them.
dbcache=20000
keycache=4096
if [ "$quick" = 1 ]; then
	[ "$n" = 100000 ] && n=5000
	[ "$nkeys" = 32 ] && nkeys=4
	[ "$secs" = 4 ] && secs=1
	[ "$w" = 1000 ] && w=200
	[ "$reps" = 3 ] && reps=1
	dbcache=1000
	keycache=256
fi
fill=$((dbcache * 5 / 4))
[ $((w + 2 * fill)) -le "$n" ] || { echo "dsn.sh: -n $n is below W + 2.5 x DatabaseCacheSize" >&2; exit 2; }

me=dsn.sh
# shellcheck source=bench/benchlib.sh
. "$here/benchlib.sh"

# OpenDKIM reaches databases through OpenDBX, whose drivers are packages of their own.
bench_prereq libopendbx1-pgsql libopendbx1-mysql postgresql mariadb-server
bench_workdir
bench_build "$builddir"
bench_outdir "$outdir"
bench_keys "$nkeys" "$n"
bench_tables "$n"

# --- the database ---------------------------------------------------------
# The servers run as nobody (as root), so their dir is not under the
# private $work.
H=$here/../tests/db/dbharness.sh
DB=$(mktemp -d -p "${TMPDIR:-/tmp}" postdkim-dsn-db.XXXXXX)
# shellcheck disable=SC2016 # expanded when the exit handler evals it
bench_atexit='"$H" stop "$DB" >/dev/null 2>&1 || true'
say "starting PostgreSQL and MariaDB (tests/db/dbharness.sh)"
"$H" start "$DB" || die "the database servers did not start"
# shellcheck disable=SC1091
. "$DB/env"
# OpenDKIM's DSN parser ends the password at the first ':' or '@', so the
# harness's role (password "pw:with@signs") cannot be used by both: a
# role of our own, SELECT only.
DBPW=benchpw
# The harness's example rows name key files that do not exist: replaced.
say "loading $n domains"
psql -X -q -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d modoboa -v ON_ERROR_STOP=1 <<SQL >/dev/null ||
CREATE ROLE bench LOGIN PASSWORD '$DBPW';
DELETE FROM admin_domain;
INSERT INTO admin_domain (name, enable_dkim, dkim_key_selector, dkim_private_key_path)
	SELECT 'd' || i || '.example', TRUE, 's', '$work/keys/d' || i || '.pem'
	FROM generate_series(0, $n - 1) AS i;
ANALYZE admin_domain;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO bench;
SQL
	die "loading PostgreSQL failed"
mariadb --no-defaults --socket="$MY_SOCKET" -uroot modoboa <<SQL >/dev/null ||
CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY '$DBPW';
GRANT SELECT ON modoboa.* TO 'bench'@'127.0.0.1';
DELETE FROM admin_domain;
INSERT INTO admin_domain (name, enable_dkim, dkim_key_selector, dkim_private_key_path)
	SELECT CONCAT('d', seq, '.example'), TRUE, 's', CONCAT('$work/keys/d', seq, '.pem')
	FROM seq_0_to_$((n - 1));
ANALYZE TABLE admin_domain;
SQL
	die "loading MariaDB failed"

# dsn B TABLE: the DSN of modoboa's SigningTable (signing) or KeyTable (key) on back end B.
dsn() {
	local port
	if [ "$1" = pgsql ]; then port=$PG_PORT; else port=$MY_PORT; fi
	if [ "$2" = signing ]; then
		echo "dsn:$1://bench:$DBPW@$port+127.0.0.1/modoboa/table=dkim?keycol=domain_name?datacol=id"
	else
		echo "dsn:$1://bench:$DBPW@$port+127.0.0.1/modoboa/table=dkim?keycol=id?datacol=domain_name,selector,private_key_path"
	fi
}

# conf: the configuration of milter $kind with tables $tk; prints its path.
conf() {
	local f=$work/$kind-$tk.conf
	{
		echo "Mode s"
		echo "Canonicalization relaxed/simple"
		echo "Socket local:$work/$kind.sock"
		echo "Background no"
		echo "Syslog no"
		if [ "$tk" = file ]; then
			echo "KeyTable file:$work/t$n/keytable"
			echo "SigningTable file:$work/t$n/signing.file"
		else
			echo "KeyTable $(dsn "$tk" key)"
			echo "SigningTable $(dsn "$tk" signing)"
		fi
		if [ "$kind" = postdkim ]; then
			echo "DatabaseCacheTTL 3600"
			echo "DatabaseCacheSize $dbcache"
			echo "KeyCacheSize $keycache"
		fi
	} > "$f"
	echo "$f"
}

# dbcpu: CPU seconds of the database server behind $tk so far: the
# postmaster with its children (live ones, and the reaped in cutime/cstime),
# or mariadbd (one process, exited threads included).
clk=$(getconf CLK_TCK)
dbcpu() {
	local p
	case $tk in
	pgsql)
		p=$(head -1 "$DB/pg/postmaster.pid")
		{ cat "/proc/$p/stat"; for c in $(pgrep -P "$p"); do cat "/proc/$c/stat" 2>/dev/null; done; } |
			awk -v p="$p" -v hz="$clk" '{ sub(/^.*\) /, ""); s += $12 + $13; if (NR == 1) s += $14 + $15 }
				END { printf "%.3f", s / hz }' ;;
	mysql)
		p=$(cat "$DB/my.pid")
		sed 's/^.*) //' "/proc/$p/stat" | awk -v hz="$clk" '{ printf "%.3f", ($12 + $13) / hz }' ;;
	*) echo 0 ;;
	esac
}
table_hooks

t0run=$(date +%s)
say "N = $n, W = $w, $secs s per timed run, $reps repetitions, back ends: $backends; results in $results"
uptime | sed 's/^/dsn.sh: before: /' >&2
for rep in $(seq 1 "$reps"); do
	tk=file kind=postdkim table_cell
	i=$rep
	for tk in $backends; do
		if [ $((i % 2)) = 1 ]; then order="postdkim opendkim"; else order="opendkim postdkim"; fi
		for kind in $order; do
			table_cell
		done
		i=$((i + 1))
	done
	uptime | sed "s/^/dsn.sh: after repetition $rep: /" >&2
done
t1run=$(date +%s)
uptime | sed 's/^/dsn.sh: after: /' >&2

bench_verify "$nkeys"
$PY "$here/dsn_table.py" "$results" | tee "$outdir/table.md"
echo
bench_footer
cat <<EOF
date: $(date -u '+%Y-%m-%d %H:%M UTC'); measuring took $((t1run - t0run)) s; N = $n, W = $w, $nkeys distinct keys, $reps repetitions of $secs s runs
postdkim caches: DatabaseCacheSize $dbcache, KeyCacheSize $keycache, DatabaseCacheTTL 3600
servers: $("$PG_BIN/postgres" -V); $("$MY_BIN" --version)
raw results: $results
EOF
[ "$vrc" = 0 ] || die "signature verification failed (see $outdir/verify.txt)"
