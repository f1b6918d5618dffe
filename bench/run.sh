#!/bin/bash
# run.sh - benchmark postdkim against Debian's OpenDKIM, in one run.
#
#   bench/run.sh [--quick] [-b BUILDDIR] [-r REPS] [-o OUTDIR]
#
# Both milters get the same RSA-2048 key, relaxed/simple, Mode s, the same
# socket kind, run in the foreground from their own temp dirs, and are
# restarted for every measurement so that VmHWM (peak RSS) is per cell.
# Cells are interleaved (postdkim, opendkim, opendkim, postdkim, ...) and
# repeated; the table shows medians and postdkim/opendkim ratios. A sample
# of every cell's signatures is verified with python3-dkim so that a fast
# wrong answer cannot pass. Without -b, the tree holding this script is
# configured and built in a temp dir first. Needs root for apt-get (when
# opendkim is missing) and for the private dir under /run (OpenDKIM refuses
# a configuration under a world-writable directory such as /tmp).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
quick=0
reps=3
builddir=
outdir=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	-b) builddir=$2; shift ;;
	-r) reps=$2; shift ;;
	-o) outdir=$2; shift ;;
	-h|--help) sed -n '2,15p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ "$quick" = 1 ] && [ "$reps" = 3 ] && reps=1

die() { echo "run.sh: $*" >&2; exit 1; }

if ! command -v opendkim >/dev/null 2>&1; then
	echo "run.sh: opendkim missing, installing Debian's package" >&2
	apt-get install -y opendkim >/dev/null || die "cannot install opendkim"
fi
PY=/usr/bin/python3
$PY -c 'import dkim' 2>/dev/null || apt-get install -y python3-dkim >/dev/null ||
	die "python3-dkim missing"

if [ -d /run ] && [ -w /run ]; then base=/run; else base=${HOME:?}; fi
work=$(mktemp -d -p "$base" postdkim-bench.XXXXXX)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "$builddir" ]; then
	builddir=$work/build
	mkdir -p "$builddir"
	echo "run.sh: building in $builddir" >&2
	(cd "$builddir" && "$here/../configure" >/dev/null && make -j"$(nproc)" >/dev/null &&
		make -C bench bench-progs >/dev/null) || die "build failed"
fi
builddir=$(cd "$builddir" && pwd)
DRV=$builddir/bench/benchdrv
NULLF=$builddir/bench/nullfilter
PD=$builddir/milter/postdkim
for f in "$DRV" "$NULLF" "$PD"; do
	[ -x "$f" ] || die "$f not built (make -C $builddir/bench bench-progs)"
done
# Results outlive the run; the work dir (keys, sockets, build) does not.
[ -n "$outdir" ] || outdir=$(mktemp -d -p "${TMPDIR:-/tmp}" postdkim-bench-out.XXXXXX)
mkdir -p "$outdir"
results=$outdir/results.jsonl
: > "$results"

# --- keys and DNS records -------------------------------------------------
umask 077
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/rsa.key" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$work/ed.key" 2>/dev/null
rsa_p=$(openssl pkey -in "$work/rsa.key" -pubout -outform DER 2>/dev/null | base64 -w0)
ed_p=$(openssl pkey -in "$work/ed.key" -pubout -outform DER 2>/dev/null | tail -c 32 | base64 -w0)
cat > "$work/zone" <<EOF
rsa._domainkey.bench.example. v=DKIM1; k=rsa; p=$rsa_p
ed._domainkey.bench.example. v=DKIM1; k=ed25519; p=$ed_p
EOF
echo "bench.example rsa" > "$work/signing.rsa"
printf 'bench.example rsa\nbench.example ed\n' > "$work/signing.dual"
cat > "$work/keys" <<EOF
rsa bench.example:rsa:$work/rsa.key
ed bench.example:ed:$work/ed.key
EOF

# conf KIND SOCKET VARIANT: write a configuration, print its path.
conf() {
	local kind=$1 sock=$2 variant=$3 f
	f=$work/$kind-$variant-$RANDOM.conf
	{
		echo "Mode s"
		echo "Canonicalization relaxed/simple"
		echo "Socket $sock"
		echo "Background no"
		echo "Syslog no"
		case $variant in
		rsa) printf 'Domain bench.example\nSelector rsa\nKeyFile %s\n' "$work/rsa.key" ;;
		ed) printf 'Domain bench.example\nSelector ed\nKeyFile %s\n' "$work/ed.key"
		    echo "SignatureAlgorithm ed25519-sha256" ;;
		dual) printf 'KeyTable %s\nSigningTable %s\nMultipleSignatures yes\n' \
			"$work/keys" "$work/signing.dual" ;;
		esac
	} > "$f"
	echo "$f"
}

# start KIND VARIANT SOCKKIND: start a milter, set $mpid and $msock.
start() {
	local kind=$1 variant=$2 skind=$3 path port c i
	path=$work/$kind.sock
	rm -f "$path"
	if [ "$skind" = inet ]; then
		port=$((20000 + RANDOM % 20000))
		msock="inet:$port@127.0.0.1"
	else
		msock="unix:$path"
	fi
	case $kind in
	postdkim)
		c=$(conf postdkim "${msock/unix:/local:}" "$variant")
		"$PD" -f -c "$c" 2>>"$work/postdkim.log" & mpid=$! ;;
	opendkim)
		c=$(conf opendkim "${msock/unix:/local:}" "$variant")
		opendkim -f -x "$c" 2>>"$work/opendkim.log" & mpid=$! ;;
	null)
		"$NULLF" -p "$msock" 2>>"$work/null.log" & mpid=$! ;;
	esac
	pids="$pids $mpid"
	# Ready when the socket accepts; bounded to 10 s.
	for i in $(seq 100); do
		if [ "$skind" = inet ]; then
			(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		else
			[ -S "$path" ] && return 0
		fi
		kill -0 "$mpid" 2>/dev/null || break
		sleep 0.1
	done
	tail -5 "$work/$kind.log" >&2 || true
	die "$kind ($variant, $msock) did not start"
}

# stop: TERM the milter, wait at most 10 s, then KILL.
stop() {
	local i
	kill "$mpid" 2>/dev/null || true
	for i in $(seq 100); do
		kill -0 "$mpid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$mpid" 2>/dev/null || true
	wait "$mpid" 2>/dev/null || true
	pids=$(echo "$pids" | sed "s/ $mpid\b//")
}

# measure GROUP KIND VARIANT SOCKKIND SIZE CONNS REP DRIVER-ARGS...
# One fresh milter, one driver run, one JSON line into $results.
measure() {
	local group=$1 kind=$2 variant=$3 skind=$4 size=$5 conns=$6 rep=$7 line sdir
	shift 7
	start "$kind" "$variant" "$skind"
	sdir=$outdir/samples/$group-$kind-$size-$conns
	set -- "$@"
	if [ "$rep" = 1 ] && [ "$kind" != null ]; then
		mkdir -p "$sdir"
		set -- "$@" -D "$sdir" -k "$([ "$size" = 25m ] && echo 1 || echo 2)"
	fi
	line=$("$DRV" -s "$msock" -c "$conns" -g "$size" -p "$mpid" -l "$group" "$@") ||
		{ stop; die "benchdrv failed in $group $kind $size $conns"; }
	stop
	echo "${line%\}},\"group\":\"$group\",\"milter\":\"$kind\",\"variant\":\"$variant\",\"sock\":\"$skind\",\"size\":\"$size\",\"rep\":$rep}" >> "$results"
	printf '  %-8s %-9s %-5s %-4s c=%-3s rep %s: %s\n' "$group" "$kind" "$variant" "$size" \
		"$conns" "$rep" "$(echo "$line" | sed 's/.*"msgs_per_s":\([0-9.]*\).*"p50_ms":\([0-9.]*\),"p99_ms":\([0-9.]*\).*"errors":\([0-9]*\).*/\1 msg\/s p50 \2 ms p99 \3 ms errors \4/')" >&2
}

# Driver limits per body size: seconds, or a message count for big bodies.
limits() {
	local size=$1 conns=$2
	if [ "$quick" = 1 ]; then
		case $size in
		25m) echo "-n $conns -d 20" ;;
		*) echo "-d 1" ;;
		esac
		return
	fi
	case $size in
	2k|64k) echo "-d 4" ;;
	1m) echo "-d 4" ;;
	25m) case $conns in 1) echo "-n 8 -d 60" ;; 8) echo "-n 32 -d 60" ;; *) echo "-n 64 -d 90" ;; esac ;;
	esac
}

# pair GROUP VARIANT SKIND SIZE CONNS [EXTRA]: both milters, interleaved, $reps times.
pair() {
	local group=$1 variant=$2 skind=$3 size=$4 conns=$5 rep
	shift 5
	for rep in $(seq "$reps"); do
		if [ $((rep % 2)) = 1 ]; then
			measure "$group" postdkim "$variant" "$skind" "$size" "$conns" "$rep" $(limits "$size" "$conns") "$@"
			measure "$group" opendkim "$variant" "$skind" "$size" "$conns" "$rep" $(limits "$size" "$conns") "$@"
		else
			measure "$group" opendkim "$variant" "$skind" "$size" "$conns" "$rep" $(limits "$size" "$conns") "$@"
			measure "$group" postdkim "$variant" "$skind" "$size" "$conns" "$rep" $(limits "$size" "$conns") "$@"
		fi
	done
}

t0=$(date +%s)
echo "run.sh: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)," \
	"$reps repetitions, quick=$quick, results in $results" >&2

if [ "$quick" = 1 ]; then
	sizes="2k 25m"; conns_list="8"
else
	sizes="2k 64k 1m 25m"; conns_list="1 8 64"
fi
for size in $sizes; do
	for c in $conns_list; do
		pair main rsa unix "$size" "$c"
	done
done
if [ "$quick" = 1 ]; then
	pair main rsa unix 2k 64
fi

# Ed25519 and the libmilter floor: postdkim vs the do-nothing filter.
for rep in $(seq "$reps"); do
	measure ed postdkim ed unix 2k 8 "$rep" $(limits 2k 8)
	measure ed null none unix 2k 8 "$rep" $(limits 2k 8)
	# The floor for latency under load: libmilter with 64 connections.
	measure ed null none unix 2k 64 "$rep" $(limits 2k 64)
done
# Dual signing (RSA + Ed25519), postdkim only: Debian 12's OpenDKIM
# (2.11.0~beta2) tempfails every message signed with an Ed25519 key.
for rep in $(seq "$reps"); do
	measure dual postdkim dual unix 2k 8 "$rep" $(limits 2k 8)
done
# inet vs unix at one connection.
for rep in $(seq "$reps"); do
	measure inet postdkim rsa unix 2k 1 "$rep" $(limits 2k 1)
	measure inet postdkim rsa inet 2k 1 "$rep" $(limits 2k 1)
	measure inet opendkim rsa unix 2k 1 "$rep" $(limits 2k 1)
	measure inet opendkim rsa inet 2k 1 "$rep" $(limits 2k 1)
done
# Cross-check of the inet row with an independent client, when given one
# (MILTLOAD=path to a miltload binary): it writes each command in one
# segment with TCP_NODELAY, as Postfix's buffered milter client does.
if [ -n "${MILTLOAD:-}" ] && [ -x "$MILTLOAD" ]; then
	"$DRV" -M "$work/bench.eml" -g 2k
	for rep in $(seq "$reps"); do
		for kind in postdkim opendkim; do
			for skind in unix inet; do
				start "$kind" rsa "$skind"
				line=$("$MILTLOAD" -s "$msock" -c 1 $(limits 2k 1) "$work/bench.eml" 2>/dev/null | tail -1)
				stop
				echo "${line%\}},\"milter\":\"$kind\",\"sock\":\"$skind\",\"rep\":$rep}" >> "$outdir/miltload.jsonl"
			done
		done
	done
fi
t1=$(date +%s)

# One RSA-2048 signature's CPU, from OpenSSL's own loop.
rsa_sign_ms=$(openssl speed -seconds 1 rsa2048 2>/dev/null |
	awk '/^rsa 2048 bits/ { sub(/s$/, "", $4); print $4 * 1000 }')

echo "run.sh: verifying sampled signatures with python3-dkim" >&2
vrc=0
$PY "$here/verify.py" "$work/zone" "$outdir/samples" > "$outdir/verify.txt" || vrc=$?
cat "$outdir/verify.txt"
$PY "$here/table.py" "$results" "${rsa_sign_ms:-0}" "$outdir/miltload.jsonl" | tee "$outdir/table.md"
cat <<EOF

machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
date: $(date -u '+%Y-%m-%d %H:%M UTC'); measuring took $((t1 - t0)) s; $reps repetitions
versions: $("$PD" -V 2>&1 | head -1); $(opendkim -V 2>&1 | head -1); $(openssl version)
one RSA-2048 signature (openssl speed): ${rsa_sign_ms:-?} ms CPU
raw results: $results
EOF
[ "$vrc" = 0 ] || die "signature verification failed (see above)"
