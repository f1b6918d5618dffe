#!/bin/bash
# run.sh - benchmark postdkim against Debian's OpenDKIM, in one run.
#
#   bench/run.sh [--quick] [--verify-only | --sigs-only | --cell SIZE:CONNS...]
#       [--mode s|sv] [-b BUILDDIR] [-r REPS] [-o OUTDIR]
#
# Both milters get the same RSA-2048 key, relaxed/simple, Mode s (--mode sv:
# postdkim in Mode sv, the default, still given only mail it signs), the same
# socket kind, run in the foreground from their own temp dirs, and are
# restarted for every measurement so that VmHWM (peak RSS) is per cell.
# Cells are interleaved (postdkim, opendkim, opendkim, postdkim, ...) and
# repeated; the table shows medians and postdkim/opendkim ratios. The
# verification rows (vtable.py) send pre-signed mail of a domain that is not
# postdkim's, from an outside client address, to postdkim (Mode sv) and
# OpenDKIM (Mode v, QueryCache yes), both asking a DNS server on loopback
# (tests/dns/hostile-dns.py) for the keys; --verify-only runs just those,
# --sigs-only just the rows with 3 and 100 signature fields; --cell 25m:64
# (repeatable) just that cell of the signing table, postdkim and OpenDKIM,
# without the extra and verification rows. A sample
# of every cell's signatures is verified with python3-dkim so that a fast
# wrong answer cannot pass. Without -b, the tree holding this script is
# configured and built in a temp dir first. Needs root for apt-get (when
# opendkim is missing) and for the private dir under /run (OpenDKIM refuses
# a configuration under a world-writable directory such as /tmp).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
quick=0
vonly=0
sonly=0
cells=
pdmode=s
reps=3
builddir=
outdir=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--verify-only) vonly=1 ;;
	--sigs-only) vonly=1; sonly=1 ;;
	--cell) cells="$cells $2"; shift ;;
	--mode) pdmode=$2; shift ;;
	-b) builddir=$2; shift ;;
	-r) reps=$2; shift ;;
	-o) outdir=$2; shift ;;
	-h|--help) sed -n '2,25p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ "$quick" = 1 ] && [ "$reps" = 3 ] && reps=1
case $pdmode in s|sv) ;; *) echo "run.sh: --mode s or sv" >&2; exit 2 ;; esac
for c in $cells; do
	case $c in
	2k:[0-9]*|64k:[0-9]*|1m:[0-9]*|25m:[0-9]*) ;;
	*) echo "run.sh: --cell SIZE:CONNS, SIZE one of 2k 64k 1m 25m: $c" >&2; exit 2 ;;
	esac
done
[ -z "$cells" ] || [ "$vonly" = 0 ] || { echo "run.sh: --cell is for signing cells" >&2; exit 2; }

me=run.sh
# shellcheck source=bench/benchlib.sh
. "$here/benchlib.sh"
bench_prereq
bench_workdir
# The loopback DNS server of the verification rows; benchlib stops the milter.
pids=
bench_atexit='for p in $pids; do kill "$p" 2>/dev/null || true; done'
bench_build "$builddir"
NULLF=$builddir/bench/nullfilter
[ -x "$NULLF" ] || die "$NULLF not built (make -C $builddir/bench bench-progs)"
# Results outlive the run; the work dir (keys, sockets, build) does not.
bench_outdir "$outdir"
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
		if [ "$variant" = verify ]; then
			# Keys from the loopback DNS server; postdkim signs only ours.example.
			echo "Nameservers 127.0.0.1@$dns_port"
			if [ "$kind" = opendkim ]; then
				printf 'Mode v\nQueryCache yes\n'
			else
				printf 'Mode sv\nDomain ours.example\nSelector rsa\nKeyFile %s\n' "$work/rsa.key"
			fi
		elif [ "$kind" = postdkim ]; then
			echo "Mode $pdmode"
		else
			echo "Mode s"
		fi
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

# measure GROUP KIND VARIANT SOCKKIND SIZE CONNS REP DRIVER-ARGS...
# One fresh milter, one driver run, one JSON line into $results.
measure() {
	local group=$1 kind=$2 variant=$3 skind=$4 size=$5 conns=$6 rep=$7 line sdir
	shift 7
	start "$kind" "$variant" "$skind"
	sdir=$outdir/samples/$group-$kind-$size-$conns
	set -- "$@"
	if [ "$rep" = 1 ] && [ "$kind" != null ] && [ "$variant" != verify ]; then
		mkdir -p "$sdir"
		set -- "$@" -D "$sdir" -k "$([ "$size" = 25m ] && echo 1 || echo 2)"
	fi
	line=$("$DRV" -s "$msock" -c "$conns" -g "$size" -p "$mpid" -l "$group" "$@") ||
		{ stop; die "benchdrv failed in $group $kind $size $conns"; }
	stop
	echo "${line%\}},\"group\":\"$group\",\"milter\":\"$kind\",\"variant\":\"$variant\",\"sock\":\"$skind\",\"size\":\"$size\",\"rep\":$rep,\"pdmode\":\"$pdmode\"}" >> "$results"
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

if [ "$vonly" = 1 ] || [ -n "$cells" ]; then
	sizes=""; conns_list=""
elif [ "$quick" = 1 ]; then
	sizes="2k 25m"; conns_list="8"
else
	sizes="2k 64k 1m 25m"; conns_list="1 8 64"
fi
for size in $sizes; do
	for c in $conns_list; do
		pair main rsa unix "$size" "$c"
	done
done
if [ "$quick" = 1 ] && [ "$vonly" = 0 ] && [ -z "$cells" ]; then
	pair main rsa unix 2k 64
fi
for c in $cells; do
	pair main rsa unix "${c%%:*}" "${c#*:}"
done
# The signing-only extra rows (not with --verify-only or --cell).
{ [ "$vonly" = 1 ] || [ -n "$cells" ]; } && reps_extra=0 || reps_extra=$reps

# Ed25519 and the libmilter floor: postdkim vs the do-nothing filter.
for rep in $(seq "$reps_extra"); do
	measure ed postdkim ed unix 2k 8 "$rep" $(limits 2k 8)
	measure ed null none unix 2k 8 "$rep" $(limits 2k 8)
	# The floor for latency under load: libmilter with 64 connections.
	measure ed null none unix 2k 64 "$rep" $(limits 2k 64)
done
# Dual signing (RSA + Ed25519), postdkim only: Debian 12's OpenDKIM
# (2.11.0~beta2) tempfails every message signed with an Ed25519 key.
for rep in $(seq "$reps_extra"); do
	measure dual postdkim dual unix 2k 8 "$rep" $(limits 2k 8)
done
# inet vs unix at one connection.
for rep in $(seq "$reps_extra"); do
	measure inet postdkim rsa unix 2k 1 "$rep" $(limits 2k 1)
	measure inet postdkim rsa inet 2k 1 "$rep" $(limits 2k 1)
	measure inet opendkim rsa unix 2k 1 "$rep" $(limits 2k 1)
	measure inet opendkim rsa inet 2k 1 "$rep" $(limits 2k 1)
done
# Cross-check of the inet row with an independent client, when given one
# (MILTLOAD=path to a miltload binary): it writes each command in one
# segment with TCP_NODELAY, as Postfix's buffered milter client does.
if [ "$vonly" = 0 ] && [ -z "$cells" ] && [ -n "${MILTLOAD:-}" ] && [ -x "$MILTLOAD" ]; then
	"$DRV" -M "$work/bench.eml" -g 2k
	for rep in $(seq "$reps_extra"); do
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

# --- verification rows ----------------------------------------------------
# vmeasure GROUP KIND SIZE CONNS REP MSGFILE: one verification cell.
vmeasure() {
	measure "$1" "$2" verify unix "$3" "$4" "$5" $(limits "$3" "$4") -m "$6" -a 192.0.2.1 -v
}
verify_rows() {
	local dnspy=$here/../tests/dns/hostile-dns.py rep c
	$PY -c 'import dns.message' 2>/dev/null || apt-get install -y python3-dnspython >/dev/null ||
		die "python3-dnspython missing (the DNS server needs it)"
	dns_port=$($PY "$here/../tests/freeport.py")
	$PY "$dnspy" "$dns_port" "$work/dns.log" "$work/zone" > "$work/dns.out" 2>&1 &
	dns_pid=$!
	pids="$pids $dns_pid"
	for c in $(seq 100); do grep -q ready "$work/dns.out" && break; sleep 0.1; done
	grep -q ready "$work/dns.out" || die "DNS server did not start: $(cat "$work/dns.out")"
	# Messages signed beforehand by dkimpy (an outside signer) for bench.example.
	"$DRV" -M "$work/v-2k.eml" -g 2k
	"$DRV" -M "$work/v-25m.eml" -g 25m
	openssl pkey -in "$work/ed.key" -outform DER | tail -c 32 | base64 -w0 > "$work/ed.seed"
	openssl rsa -in "$work/rsa.key" -traditional -out "$work/rsa.trad" 2>/dev/null
	$PY - "$work" <<'EOP' || die "signing the verification messages failed"
import sys
import dkim
w = sys.argv[1]
rsa = open(w + "/rsa.trad", "rb").read()
ed = open(w + "/ed.seed", "rb").read()
for size in ("2k", "25m"):
    m = open("%s/v-%s.eml" % (w, size), "rb").read()
    open("%s/vrsa-%s.eml" % (w, size), "wb").write(dkim.sign(m, b"rsa", b"bench.example", rsa) + m)
    open("%s/ved-%s.eml" % (w, size), "wb").write(
        dkim.sign(m, b"ed", b"bench.example", ed, signature_algorithm=b"ed25519-sha256") + m)
# 3 and 100 RSA signatures on the 2 KB message (postdkim verifies at most
# MaximumSignaturesToVerify of them and only counts the rest). vpad3 has the
# 3 signatures and, in place of the other 97, unsigned fields of the same
# length: the same header bytes and milter commands as vsig100.
m = open(w + "/v-2k.eml", "rb").read()
sigs = [dkim.sign(m, b"rsa", b"bench.example", rsa) for _ in range(100)]
for n in (3, 100):
    open("%s/vsig%d-2k.eml" % (w, n), "wb").write(b"".join(sigs[:n]) + m)
pads = [b"X-Pad: " + b"x" * (len(g) - 9) + b"\r\n" for g in sigs[3:]]
pad3 = b"".join(sigs[:3] + pads) + m
assert len(pad3) == len(b"".join(sigs) + m)
open(w + "/vpad3-2k.eml", "wb").write(pad3)
EOP
	for rep in $(seq "$reps"); do
		for c in $([ "$sonly" = 1 ] || echo 8 64); do
			for size in 2k 25m; do
				for alg in rsa ed; do
					# Ed25519 at 25 MB adds nothing over RSA (the body hash dominates).
					[ "$alg-$size" = ed-25m ] && continue
					if [ $((rep % 2)) = 1 ]; then
						vmeasure "v$alg" postdkim "$size" "$c" "$rep" "$work/v$alg-$size.eml"
						vmeasure "v$alg" opendkim "$size" "$c" "$rep" "$work/v$alg-$size.eml"
					else
						vmeasure "v$alg" opendkim "$size" "$c" "$rep" "$work/v$alg-$size.eml"
						vmeasure "v$alg" postdkim "$size" "$c" "$rep" "$work/v$alg-$size.eml"
					fi
				done
			done
		done
		[ "$sonly" = 1 ] ||
			measure vnull null verify unix 2k 8 "$rep" $(limits 2k 8) -m "$work/vrsa-2k.eml" -a 192.0.2.1
		# libmilter's own cost for 3 and 100 fields (one command each), the floor under both.
		measure vnull3 null verify unix 2k 8 "$rep" $(limits 2k 8) -m "$work/vsig3-2k.eml" -a 192.0.2.1
		measure vnull100 null verify unix 2k 8 "$rep" $(limits 2k 8) -m "$work/vsig100-2k.eml" -a 192.0.2.1
		for kind in postdkim opendkim; do
			vmeasure vsig3 "$kind" 2k 8 "$rep" "$work/vsig3-2k.eml"
			vmeasure vsig100 "$kind" 2k 8 "$rep" "$work/vsig100-2k.eml"
			vmeasure vpad3 "$kind" 2k 8 "$rep" "$work/vpad3-2k.eml"
		done
	done
	kill "$dns_pid" 2>/dev/null || true
	wait "$dns_pid" 2>/dev/null || true
	pids=$(echo "$pids" | sed "s/ $dns_pid\b//")
}
[ -n "$cells" ] || verify_rows
t1=$(date +%s)

# One RSA-2048 signature's CPU, from OpenSSL's own loop.
rsa_sign_ms=$(openssl speed -seconds 1 rsa2048 2>/dev/null |
	awk '/^rsa 2048 bits/ { sub(/s$/, "", $4); print $4 * 1000 }')

# One RSA-2048 verification's CPU (the verify/s column).
rsa_verify_ms=$(openssl speed -seconds 1 rsa2048 2>/dev/null |
	awk '/^rsa 2048 bits/ { print 1000 / $7 }')

vrc=0
if [ "$vonly" = 0 ]; then
	echo "run.sh: verifying sampled signatures with python3-dkim" >&2
	$PY "$here/verify.py" "$work/zone" "$outdir/samples" > "$outdir/verify.txt" || vrc=$?
	cat "$outdir/verify.txt"
	$PY "$here/table.py" "$results" "${rsa_sign_ms:-0}" "$outdir/miltload.jsonl" | tee "$outdir/table.md"
fi
[ -n "$cells" ] || $PY "$here/vtable.py" "$results" "${rsa_verify_ms:-0}" | tee "$outdir/vtable.md"
cat <<EOF

machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
date: $(date -u '+%Y-%m-%d %H:%M UTC'); measuring took $((t1 - t0)) s; $reps repetitions; postdkim Mode $pdmode${cells:+ in the signing cells; cells:$cells}
versions: $("$PD" -V 2>&1 | head -1); $(opendkim -V 2>&1 | head -1); $(openssl version)
one RSA-2048 signature (openssl speed): ${rsa_sign_ms:-?} ms CPU, one verification ${rsa_verify_ms:-?} ms
load: $(uptime)
raw results: $results
EOF
[ "$vrc" = 0 ] || die "signature verification failed (see above)"
