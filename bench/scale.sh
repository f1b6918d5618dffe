#!/bin/bash
# scale.sh - many domains: postdkim against Debian's OpenDKIM, in one run.
#
#   bench/scale.sh [--quick] [-b BUILDDIR] [-o OUTDIR] [-n "1 1000 10000 100000"]
#                  [-k KEYS] [-d SECONDS]
#
# For every N, a KeyTable + SigningTable of N domains (dI.example, selector
# s, one RSA-2048 key file per domain, 0600) is given to both milters, once
# as file: SigningTable ("dI.example dI") and once as refile: ("*@dI.example
# dI"). KEYS distinct keys (default 32) are generated and copied to the N
# files (domain I gets key I mod KEYS): generating 100,000 keys would take
# over an hour, and nothing is published (sign-only). Per N, table kind and
# milter, in this order on one process:
#   -n       the configuration check (postdkim -n / opendkim -n), timed
#   start    launch until the socket accepts and answers option negotiation
#   last     8 connections, 2 KB messages, From the last domain of the table
#   distinct 8 connections, From d0..d(M-1) once each, M = min(N, 10000):
#            every key used for the first time; RSS after it (at most 60 s)
#   ws       random From in the M-W..M-1 window, W = min(N, 1000): a working
#            set that fits the key cache (4096) and is in it (warm); after an
#            untimed 2 s of the same, since OpenSSL sets up an RSA key's
#            blinding lazily, once per key and again for the 2nd thread using it
#   uniform  random From over all N domains (cold for most keys when N is
#            far above the cache size)
#   reload   SIGUSR1 until the new configuration is in force (see below);
#            RSS after it; then a short uniform run to show it still signs
# Times are wall-clock; the milter's CPU seconds for -n, start-up and
# reload are recorded beside them (per-thread schedstat, or the children's
# rusage for -n), since a busy machine inflates the first but not the second.
# The two milters alternate which goes first. A sample of every run's
# results is verified with python3-dkim against the public key of the
# From domain (scale_verify.py), so a fast wrong answer cannot pass.
# Tables and the target verdicts: scale_table.py. Needs root (apt-get when
# opendkim is missing; OpenDKIM wants its files under a directory that is
# not world-writable, so the work dir lives in /run).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
quick=0
builddir=
outdir=
ns="1 1000 10000 100000"
nkeys=32
secs=4
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	-b) builddir=$2; shift ;;
	-o) outdir=$2; shift ;;
	-n) ns=$2; shift ;;
	-k) nkeys=$2; shift ;;
	-d) secs=$2; shift ;;
	-h|--help) sed -n '2,35p' "$0"; exit 0 ;;
	*) echo "scale.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
if [ "$quick" = 1 ]; then
	[ "$ns" = "1 1000 10000 100000" ] && ns="1 1000"
	[ "$nkeys" = 32 ] && nkeys=4
	[ "$secs" = 4 ] && secs=1
fi

me=scale.sh
# shellcheck source=bench/benchlib.sh
. "$here/benchlib.sh"

bench_prereq
bench_workdir
bench_build "$builddir"
bench_outdir "$outdir"

nmax=0
for n in $ns; do [ "$n" -gt "$nmax" ] && nmax=$n; done
[ "$nmax" -ge 1 ] || die "-n: no N given"

bench_keys "$nkeys" "$nmax"

# conf KIND N TABLES: write a configuration for KIND, print its path.
conf() {
	local kind=$1 n=$2 tk=$3 f
	f=$work/t$n/$kind-$tk.conf
	{
		echo "Mode s"
		echo "Canonicalization relaxed/simple"
		echo "Socket local:$work/$kind.sock"
		echo "Background no"
		echo "Syslog no"
		echo "KeyTable file:$work/t$n/keytable"
		echo "SigningTable $tk:$work/t$n/signing.$tk"
	} > "$f"
	echo "$f"
}

# reload_postdkim: SIGUSR1, then wait for the log line that says the new
# configuration is in force (it is installed before that line is written).
# The log is followed by bash's own read (no fork per look), every ~1 ms.
reload_postdkim() {
	local t0 t1 c0 line= part deadline
	exec 3<"$log"
	while IFS= read -r part <&3; do :; done
	c0=$(cpu "$mpid")
	t0=$(now)
	deadline=$((${t0%.*} + 900))
	kill -USR1 "$mpid"
	while :; do
		if IFS= read -r part <&3; then
			line=$line$part
			case $line in
			*'configuration reloaded'*) break ;;
			*'reload failed'*) die "postdkim reload failed: $line" ;;
			esac
			line=
		else
			line=$line$part
			kill -0 "$mpid" 2>/dev/null || die "postdkim died in a reload"
			[ "$(date +%s)" -lt "$deadline" ] || die "postdkim reload took over 900 s"
			sleep 0.001
		fi
	done
	t1=$(now)
	exec 3<&-
	echo "$(sub "$t1" "$t0") $(sub "$(cpu "$mpid")" "$c0")"
}

# reload_opendkim: OpenDKIM does not reload at the signal: it reads the
# configuration and tables again when the next connection arrives (seen with
# strace: nothing is opened after SIGUSR1 until a client connects, then the
# configuration, SigningTable and KeyTable are read before the message is
# answered). So: signal, then time one message on a new connection, minus
# the same measured just before the signal.
reload_opendkim() {
	local t0 t1 c0 c1 base cbase
	c0=$(cpu "$mpid"); t0=$(now)
	"$DRV" -s "unix:$sock" -c 1 -n 1 -g 2k -t 600000 -f user@d0.example >/dev/null
	t1=$(now); c1=$(cpu "$mpid")
	base=$(sub "$t1" "$t0"); cbase=$(sub "$c1" "$c0")
	kill -USR1 "$mpid"
	sleep 0.1
	c0=$(cpu "$mpid"); t0=$(now)
	"$DRV" -s "unix:$sock" -c 1 -n 1 -g 2k -t 600000 -f user@d0.example >/dev/null
	t1=$(now); c1=$(cpu "$mpid")
	awk -v a="$(sub "$t1" "$t0")" -v b="$base" -v c="$(sub "$c1" "$c0")" -v d="$cbase" \
		'BEGIN { x = a - b; y = c - d; printf "%.4f %.4f", x < 0 ? 0 : x, y < 0 ? 0 : y }'
}

# cell: every measurement for N, table kind $tk, milter $kind.
cell() {
	local c v u sy rc m w last
	c=$(conf "$kind" "$n" "$tk")
	sock=$work/$kind.sock
	log=$work/$kind-$n-$tk.log
	: > "$log"
	m=$((n < 10000 ? n : 10000))
	w=$((m < 1000 ? m : 1000))
	last=$((n - 1))
	say "  N=$n $tk $kind"
	# -n: the whole configuration check.
	rc=0
	TIMEFORMAT='%R %U %S'
	if [ "$kind" = postdkim ]; then
		{ time timeout 900 "$PD" -n -c "$c" > "$log.n" 2>&1 || rc=$?; } 2> "$log.time"
	else
		{ time timeout 900 opendkim -n -x "$c" > "$log.n" 2>&1 || rc=$?; } 2> "$log.time"
	fi
	read -r v u sy < "$log.time"
	u=$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%.3f", u + s }')
	emit what=check s="$v" cpu_s="$u" rc="$rc"
	printf '    %-8s %s s, CPU %s s (exit %s)\n' "-n" "$v" "$u" "$rc" >&2
	[ "$rc" = 0 ] || { tail -3 "$log.n" >&2; die "$kind -n failed"; }
	# start: until the socket accepts and the milter negotiates.
	bench_start "$c"
	v=$start_s
	u=$(cpu "$mpid")
	emit what=start s="$v" cpu_s="$u" rss_kb="$(rss "$mpid")"
	printf '    %-8s %s s, CPU %s s, RSS %s MiB\n' start "$v" "$u" "$(($(rss "$mpid") / 1024))" >&2
	drive last -d "$secs" -f "user@d$last.example"
	drive distinct -n "$m" -d 60 -q -f 'user@d%u.example' -u "0:$m"
	drive ws-warmup -d 2 -f 'user@d%u.example' -u "$((m - w)):$m"
	drive ws -d "$secs" -f 'user@d%u.example' -u "$((m - w)):$m"
	drive uniform -d "$secs" -f 'user@d%u.example' -u "0:$n"
	if [ "$kind" = postdkim ]; then v=$(reload_postdkim); else v=$(reload_opendkim); fi
	u=${v#* }; v=${v% *}
	sleep 0.2
	emit what=reload s="$v" cpu_s="$u" rss_kb="$(rss "$mpid")"
	printf '    %-8s %s s, CPU %s s, RSS %s MiB\n' reload "$v" "$u" "$(($(rss "$mpid") / 1024))" >&2
	drive after -d 1 -f 'user@d%u.example' -u "0:$n"
	stop
}

t0run=$(date +%s)
say "N = $ns; $secs s per timed run; results in $results"
uptime | sed 's/^/scale.sh: before: /' >&2
for n in $ns; do
	bench_tables "$n"
	for tk in file refile; do
		if [ $(((n + ${#tk}) % 2)) = 0 ]; then order="postdkim opendkim"; else order="opendkim postdkim"; fi
		for kind in $order; do
			cell
		done
	done
done
t1run=$(date +%s)
uptime | sed 's/^/scale.sh: after: /' >&2

bench_verify "$nkeys"
$PY "$here/scale_table.py" "$results" | tee "$outdir/table.md"
echo
bench_footer
cat <<EOF
date: $(date -u '+%Y-%m-%d %H:%M UTC'); measuring took $((t1run - t0run)) s; $nkeys distinct keys
raw results: $results
EOF
[ "$vrc" = 0 ] || die "signature verification failed (see $outdir/verify.txt)"
