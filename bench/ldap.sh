#!/bin/bash
# ldap.sh - KeyTable and SigningTable in LDAP (issue 20): postdkim against
# Debian's OpenDKIM (built with USE_LDAP) with the same ldap: tables, in
# one run, and postdkim with the same domains in file: tables.
#
#   bench/ldap.sh [--quick] [-b BUILDDIR] [-o OUTDIR] [-n N] [-k KEYS]
#                 [-d SECONDS] [-w W] [-r REPS]
#
# A private slapd (tests/ldap/ldapharness.sh, back_mdb) gets N domain
# entries in OpenDKIM's README.LDAP layout, loaded offline with slapadd,
# with equality indexes on the attributes the filters name:
#   dn: ou=dI,ou=domains,dc=example,dc=com
#   objectClass: organizationalUnit, DKIM
#   DKIMIdentity: dI.example  DKIMDomain: dI.example  DKIMSelector: s
#   DKIMKey: $work/keys/dI.pem
# (the key is a file name, as in the file: KeyTable, so that both table
# kinds load the same key files: KEYS distinct RSA-2048 keys, domain I has
# key I mod KEYS, as scale.sh makes them). Both milters get the same lines:
#   SigningTable ldap://127.0.0.1:PORT/ou=domains,dc=example,dc=com?ou?one?(DKIMIdentity=$d)
#   KeyTable     ldap://127.0.0.1:PORT/ou=domains,dc=example,dc=com?DKIMDomain,DKIMSelector,DKIMKey?one?(ou=$d)
#   LDAPBindUser uid=bench,ou=services,dc=example,dc=com  (a simple bind)
# and Mode s, relaxed/simple, a unix socket, the foreground, root. postdkim
# also gets DatabaseCacheTTL 3600 (no answer expires during the run) and
# its cache sizes written out. OpenDKIM 2.11 as Debian builds it has no
# LDAP cache (that needs _FFR_LDAP_CACHING), so it asks slapd for every
# lookup. postdkim with the same N domains as file: tables is the
# reference ("file").
#
# Per repetition (REPS, default 3) and (tables, milter), one fresh process,
# in this order (-n and the fills in the first repetition only):
#   -n        the configuration check (untimed)
#   start     launch until the socket answers option negotiation
#   ws-fill   each of the W working-set domains d0..d(W-1) once (untimed),
#   ws-warmup then 2 s at random over them (untimed)
#   ws        "cached": random From over the W domains, SECONDS long
#   cold      every message a domain not used before (-q from dW upward),
#             SECONDS long
#   fill1/2   postdkim over LDAP only: F = 1.25 x DatabaseCacheSize more
#             distinct domains, twice, to show RSS stays bounded by the caches
# 8 connections, 2 KB messages, benchdrv as in scale.sh and dsn.sh; besides
# the milter's CPU (utime+stime) slapd's CPU per message is recorded.
# Cells alternate which milter goes first; the file: reference runs in
# every repetition too; the tables show medians over the repetitions. A
# sample of every run is verified with python3-dkim (scale_verify.py).
# Tables: dsn_table.py. --quick: N = 5,000, W = 200, one repetition of 1 s
# runs, DatabaseCacheSize 1000, KeyCacheSize 256. Needs root.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
quick=0
builddir=
outdir=
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
	-n) n=$2; shift ;;
	-k) nkeys=$2; shift ;;
	-d) secs=$2; shift ;;
	-w) w=$2; shift ;;
	-r) reps=$2; shift ;;
	-h|--help) sed -n '2,46p' "$0"; exit 0 ;;
	*) echo "ldap.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
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
[ $((w + 2 * fill)) -le "$n" ] || { echo "ldap.sh: -n $n is below W + 2.5 x DatabaseCacheSize" >&2; exit 2; }

me=ldap.sh
# shellcheck source=bench/benchlib.sh
. "$here/benchlib.sh"

bench_prereq slapd ldap-utils
opendkim -V 2>&1 | grep -q USE_LDAP || die "this opendkim is built without LDAP (no USE_LDAP in opendkim -V)"
bench_workdir
bench_build "$builddir"
bench_outdir "$outdir"
bench_keys "$nkeys" "$n"
bench_tables "$n"

# --- the directory --------------------------------------------------------
H=$here/../tests/ldap/ldapharness.sh
LD=$(mktemp -d -p "${TMPDIR:-/tmp}" postdkim-ldap-dir.XXXXXX)
# shellcheck disable=SC2016 # expanded when the exit handler evals it
bench_atexit='"$H" stop "$LD" >/dev/null 2>&1 || true'
say "starting slapd (tests/ldap/ldapharness.sh)"
"$H" start "$LD" || die "slapd did not start"
# shellcheck disable=SC1091
. "$LD/env"
"$H" stop-slapd "$LD"
# The harness's database is sized for the tests (10 MiB) and unindexed:
# room for N entries, and the indexes a production directory would have.
# postdkim -n reads every entry of both tables (a walk, as for file:), more
# than slapd's default size limit of 500 entries per search: the bench
# account has none.
BINDDN=uid=bench,ou=services,dc=example,dc=com
sed -i -e 's/^maxsize .*/maxsize 4294967296/' \
	-e "s|^directory .*|&\nindex objectClass eq\nindex ou eq\nindex DKIMIdentity eq\nlimits dn.exact=\"$BINDDN\" size=unlimited|" \
	"$LD/slapd.conf"
BINDPW=benchpw
say "loading $n domains (slapadd)"
t0=$(now)
{
	printf 'dn: %s\nobjectClass: account\nobjectClass: simpleSecurityObject\nuid: bench\nuserPassword: %s\n\n' \
		"$BINDDN" "$BINDPW"
	awk -v n="$n" -v k="$work/keys" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "dn: ou=d%d,ou=domains,dc=example,dc=com\nobjectClass: organizationalUnit\nobjectClass: DKIM\nou: d%d\nDKIMIdentity: d%d.example\nDKIMDomain: d%d.example\nDKIMSelector: s\nDKIMKey: %s/d%d.pem\n\n", i, i, i, i, k, i
	}'
} > "$LD/domains.ldif"
/usr/sbin/slapadd -q -f "$LD/slapd.conf" -l "$LD/domains.ldif" > "$LD/slapadd2.log" 2>&1 ||
	{ tail -5 "$LD/slapadd2.log" >&2; die "slapadd failed"; }
load_s=$(sub "$(now)" "$t0")
"$H" start-slapd "$LD" || die "slapd did not start again"
say "loaded in $load_s s"
base=ou=domains,dc=example,dc=com
got=$(ldapsearch -LLL -x -H "$LDAP_URI" -D "$BINDDN" -w "$BINDPW" -b "$base" "(DKIMIdentity=d$((n - 1)).example)" DKIMKey | grep -c '^DKIMKey:' || true)
[ "$got" = 1 ] || die "the last domain is not in the directory"

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
			echo "SigningTable $LDAP_URI/$base?ou?one?(DKIMIdentity=\$d)"
			echo "KeyTable $LDAP_URI/$base?DKIMDomain,DKIMSelector,DKIMKey?one?(ou=\$d)"
			echo "LDAPBindUser $BINDDN"
			echo "LDAPBindPassword $BINDPW"
		fi
		if [ "$kind" = postdkim ]; then
			echo "DatabaseCacheTTL 3600"
			echo "DatabaseCacheSize $dbcache"
			echo "KeyCacheSize $keycache"
		fi
	} > "$f"
	echo "$f"
}

# dbcpu: slapd's CPU seconds so far (one process; exited threads included).
clk=$(getconf CLK_TCK)
dbcpu() {
	if [ "$tk" = file ]; then echo 0; return; fi
	sed 's/^.*) //' "/proc/$(cat "$LD/slapd.run")/stat" | awk -v hz="$clk" '{ printf "%.3f", ($12 + $13) / hz }'
}
table_hooks

t0run=$(date +%s)
say "N = $n, W = $w, $secs s per timed run, $reps repetitions; results in $results"
uptime | sed 's/^/ldap.sh: before: /' >&2
for rep in $(seq 1 "$reps"); do
	tk=file kind=postdkim table_cell ldap
	tk=ldap
	if [ $((rep % 2)) = 1 ]; then order="postdkim opendkim"; else order="opendkim postdkim"; fi
	for kind in $order; do
		table_cell ldap
	done
	uptime | sed "s/^/ldap.sh: after repetition $rep: /" >&2
done
t1run=$(date +%s)
uptime | sed 's/^/ldap.sh: after: /' >&2

bench_verify "$nkeys"
$PY "$here/dsn_table.py" "$results" | tee "$outdir/table.md"
echo
bench_footer
cat <<EOF
date: $(date -u '+%Y-%m-%d %H:%M UTC'); measuring took $((t1run - t0run)) s; N = $n, W = $w, $nkeys distinct keys, $reps repetitions of $secs s runs
postdkim caches: DatabaseCacheSize $dbcache, KeyCacheSize $keycache, DatabaseCacheTTL 3600
server: $(/usr/sbin/slapd -VV 2>&1 | head -1 | sed 's/^@(#) \$//; s/[ $]*$//'), back_mdb; $n entries loaded with slapadd in $load_s s
load average: $(cut -d' ' -f1-3 /proc/loadavg)
raw results: $results
EOF
[ "$vrc" = 0 ] || die "signature verification failed (see $outdir/verify.txt)"
