#!/bin/sh
# run-fuzzers.sh - build the core's libFuzzer targets with clang and run
# each for SECONDS (0: build only). Prints executions and crashes per
# target; exits 1 if any target crashed, leaked, timed out or ran out of
# memory, 77 (skip) when clang or libFuzzer is missing.
#
#   tests/fuzz/run-fuzzers.sh SECONDS [OUTDIR]
#
# OUTDIR keeps the binaries and logs (default: a temporary directory). Crash inputs
# are kept in OUTDIR/artifacts when OUTDIR is given. FUZZ_TARGETS="fuzz_x ..."
# picks targets (default: all). FUZZ_RUNS=N also stops each target after N
# executions (a campaign: FUZZ_RUNS=10000000 with a generous SECONDS).
# FUZZ_CORPUS=DIR keeps each target's corpus in DIR/TARGET, so that a
# campaign can go on where an earlier run stopped (stop a run with SIGINT,
# never SIGSTOP: the stopped time would count as a timeout).
set -eu

usage() { echo "usage: $0 SECONDS [OUTDIR]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
secs=$1
case $secs in ''|*[!0-9]*) usage ;; esac

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
targets=${FUZZ_TARGETS:-"fuzz_header fuzz_canon fuzz_taglist fuzz_verify fuzz_vmsg fuzz_dns fuzz_session fuzz_authres fuzz_verifier"}
CC=${FUZZ_CC:-clang}

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "SKIP: $CC not found (apt-get install clang)"
	exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
if [ $# -eq 2 ]; then
	out=$2
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
else
	out=$work
fi

# Build: each target with the core's sources, all sanitizers on.
ssl_cflags=$(pkg-config --cflags libcrypto 2>/dev/null || true)
ssl_libs="$(pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto) $(pkg-config --libs libidn2 2>/dev/null || echo -lidn2)"
for t in $targets; do
	extra=
	# fuzz_dns includes verify/resolver.c itself, and needs the answer cache,
	# the settings reader and the counters.
	[ "$t" = fuzz_dns ] &&
		extra="$top/verify/dnscache.c $top/verify/resolver_conf.c $top/tables/stats.c -lunbound -lpthread"
	# fuzz_session drives the milter's message path: the session, From and
	# policy (milter/), configuration (config/), verification (verify/) and
	# the tables, file tables only (no database or LDAP back ends in this build).
	if [ "$t" = fuzz_session ]; then
		for f in milter/session milter/from milter/policy verify/verifier verify/resolver \
		    verify/resolver_conf verify/dnscache; do
			extra="$extra $top/$f.c"
		done
		for f in "$top"/config/*.c "$top"/keys/*.c "$top"/tables/*.c; do
			case $f in */dataset_pgsql.c|*/dataset_mysql.c|*/dataset_ldap.c|*/ldapconn.c) ;; *) extra="$extra $f" ;; esac
		done
		extra="$extra -lunbound -lpthread"
	fi
	# fuzz_verifier: the milter's verification and verdict (verify/), with
	# the configuration code for the names of actions; it answers the key
	# lookups itself (no resolver.c, no network), and keeps 8 A-R fields
	# per message, not 10,000, so that inputs get past the ones kept; file
	# tables only, as for fuzz_session.
	if [ "$t" = fuzz_verifier ]; then
		extra="-DVERIFIER_AR_MAX=8 $top/verify/verifier.c $top/verify/verdict.c"
		for f in "$top"/config/*.c "$top"/keys/*.c "$top"/tables/*.c; do
			case $f in */dataset_pgsql.c|*/dataset_mysql.c|*/dataset_ldap.c|*/ldapconn.c) ;; *) extra="$extra $f" ;; esac
		done
	fi
	# shellcheck disable=SC2086
	if ! "$CC" -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -Wall -Wextra -Wvla -Wshadow -Wformat=2 -Werror $ssl_cflags \
	    -o "$out/$t" "$here/$t.c" "$top"/dkim/*.c "$top"/verify/authres.c $extra $ssl_libs; then
		echo "FAIL: $t does not build"
		exit 1
	fi
done
echo "built: $targets in $out"
[ "$secs" -gt 0 ] || exit 0

# Run: each from a copy of its seed corpus, bounded in time.
mkdir -p "$out/artifacts"
failed=0
for t in $targets; do
	seeds=$here/corpus/${t#fuzz_}
	corpus=${FUZZ_CORPUS:-$work/corpus}/$t
	mkdir -p "$corpus"
	[ -d "$seeds" ] && cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true
	log=$out/$t.log
	rc=0
	# shellcheck disable=SC2086
	timeout $((secs + 120)) "$out/$t" -max_total_time="$secs" -timeout=20 \
	    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} \
	    -artifact_prefix="$out/artifacts/$t-" "$corpus" >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	crashes=$(find "$out/artifacts" -name "$t-*" -type f | wc -l)
	printf '%-14s %12s executions, %s crashes, exit %s\n' "$t" "${execs:-?}" \
	    "$crashes" "$rc"
	if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
		failed=1
		grep -E 'ERROR|SUMMARY|==[0-9]+==|runtime error|abort' "$log" | head -n 20 || true
	fi
done
exit $failed
