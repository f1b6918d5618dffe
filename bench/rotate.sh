#!/bin/bash
# rotate.sh - dkimrotate's targets (issue 21), measured against private Knot
# DNS servers (tests/rotate/dnsharness.sh) with the real postdkim:
#
#   switch: one domain rotated while benchdrv signs through postdkim on 8
#     connections; every signature checked with python3-dkim against what
#     each authoritative server served at that moment (dnsmon.py,
#     sigcheck.py): unseen selectors (target 0 over >= 10,000 messages),
#     unsigned or tempfailed messages (0), p99 latency before and during the
#     switch (rise <= 2 ms). Twice: both servers in step, then the secondary
#     lagging while the record is published.
#   domains: N domains (default 100,000; Ed25519 keys, made fast) in file:
#     tables, then in dsn: (PostgreSQL, modoboa's layout), all in zone
#     bench.net, or with -z Z spread over zones z0.net ... z(Z-1).net
#     (domain dI in zone z(I mod Z), as a host's customers): `start --all`
#     and the runs that follow until every domain has switched, each run's
#     time and peak RSS (GNU time), postdkim reloads per run (target 1),
#     `status` for all domains (target <= 2 s).
#
#   bench/rotate.sh -b BUILDDIR [-n N] [-z ZONES] [-R RATE] [-m MSGS] [-o OUTDIR]
#                   [--only switch|domains] [--tables file|dsn|both]
#
# Prints the figures as Markdown rows (bench/RESULTS.md's form) and keeps
# them in OUTDIR/results.md. As root (PostgreSQL runs as nobody).
set -euo pipefail

me=rotate.sh
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
T_SRC=$top/tests/rotate
H=$T_SRC/dnsharness.sh
PY=/usr/bin/python3
build= n=100000 zones=0 rate=1000 msgs=10000 outdir= only= tables=both
while [ $# -gt 0 ]; do
	case $1 in
	-b) build=$(cd "$2" && pwd); shift ;;
	-n) n=$2; shift ;;
	-z) zones=$2; shift ;;
	-R) rate=$2; shift ;;
	-m) msgs=$2; shift ;;
	-o) outdir=$2; shift ;;
	--only) only=$2; shift ;;
	--tables) tables=$2; shift ;;
	*) echo "usage: $me -b BUILDDIR [-n N] [-z ZONES] [-R RATE] [-m MSGS] [-o OUTDIR] [--only switch|domains] [--tables file|dsn|both]" >&2; exit 2 ;;
	esac
	shift
done
die() { echo "$me: $*" >&2; exit 1; }
say() { echo "$me: $*" >&2; }
[ -n "$build" ] || die "-b BUILDDIR is needed"
POSTDKIM=$build/daemon/postdkim
# The PostgreSQL back end of dsn: tables: the build's module.
POSTDKIM_MODULE_DIR=$build/tables
export POSTDKIM_MODULE_DIR
DKIMROTATE=$build/keygen/dkimrotate
BENCHDRV=$build/bench/benchdrv
[ -x "$BENCHDRV" ] || make -C "$build/bench" benchdrv >/dev/null || die "cannot build benchdrv"
for p in "$POSTDKIM" "$DKIMROTATE"; do
	[ -x "$p" ] || die "$p is not built"
done
command -v knotd >/dev/null 2>&1 || [ -x /usr/sbin/knotd ] || die "knotd missing (apt-get install knot knot-dnsutils)"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (apt-get install time)"

W=$(mktemp -d "${TMPDIR:-/tmp}/rotbench.XXXXXX")
chmod 755 "$W"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || :; done
	for d in "$W"/*/dns; do [ ! -d "$d" ] || "$H" stop "$d" >/dev/null 2>&1 || :; done
	for d in "$W"/*/db; do [ ! -d "$d" ] || "$top/tests/db/dbharness.sh" stop "$d" >/dev/null 2>&1 || :; done
	rm -rf "$W"
}
trap cleanup EXIT
[ -n "$outdir" ] || outdir=$W/out
mkdir -p "$outdir"
results=$outdir/results.md
: > "$results"
row() { echo "$*" | tee -a "$results"; }
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')
row "<!-- bench/rotate.sh -n $n -z $zones -R $rate -m $msgs, $(date -u '+%Y-%m-%d %H:%M') UTC, commit $commit, $(nproc) CPUs -->"

# conf DIR KEYTABLE SIGNINGTABLE [EXTRA]: DIR/postdkim.conf for the DNS in DIR/dns.
conf() {
	local d=$1
	# shellcheck disable=SC1091
	. "$d/dns/env"
	install -m 600 "$DNS_TSIG_KEY" "$d/keys/tsig.key"
	cat > "$d/postdkim.conf" <<EOF
Socket	local:$d/pd.sock
PidFile	$d/pd.pid
KeyTable	$2
SigningTable	$3
Nameservers	$DNS_PRIMARY
Syslog	no
RotatePublish	nsupdate:$DNS_PRIMARY
RotateTSIGKey	$d/keys/tsig.key
RotateAuthoritative	$DNS_PRIMARY,$DNS_SECONDARY
RotateStateDirectory	$d/state
RotateSelectorFormat	r%Y%m%d
RotateVisibleChecks	2
RotateRate	$rate
RotateReloadTimeout	60s
${4:-}
EOF
	chmod 600 "$d/postdkim.conf"
	mkdir -p "$d/state"
}

# daemon DIR: postdkim in the foreground, socket up; PD_PID.
daemon() {
	"$POSTDKIM" -f -c "$1/postdkim.conf" -F 1700000000 > "$1/pd.log" 2>&1 &
	PD_PID=$!
	PIDS+=("$PD_PID")
	for _ in $(seq 600); do [ -S "$1/pd.sock" ] && return 0; sleep 0.1; done
	cat "$1/pd.log" >&2
	die "postdkim did not start"
}

reloads() { grep -c 'configuration reloaded' "$1/pd.log" || :; }

# ---------------------------------------------------------------- switch
# switch NAME [lag]: one rotation of example.com under load, checked.
switch() {
	local name=$1 lag=${2:-} d=$W/switch-$1 now new i
	mkdir -p "$d/keys/example.com"
	chmod 700 "$d/keys" "$d/keys/example.com"
	"$H" start "$d/dns" >/dev/null || die "DNS servers did not start"
	# shellcheck disable=SC1091
	. "$d/dns/env"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/keys/example.com/old.private" 2>/dev/null
	chmod 600 "$d/keys/example.com/old.private"
	"$H" txt "$d/dns" old._domainkey.example.com "v=DKIM1; k=rsa; p=$(openssl pkey -in "$d/keys/example.com/old.private" -pubout -outform DER 2>/dev/null | base64 -w0)"
	"$H" sync "$d/dns"
	echo "old._domainkey.example.com example.com:old:$d/keys/example.com/old.private" > "$d/keytable"
	echo "example.com old._domainkey.example.com" > "$d/signingtable"
	conf "$d" "file:$d/keytable" "file:$d/signingtable"
	daemon "$d"
	"$BENCHDRV" -M "$d/msg.eml" -g 2k
	$PY "$T_SRC/dnsmon.py" --out "$d/dns.jsonl" --server "primary=$DNS_PRIMARY" \
	    --server "secondary=$DNS_SECONDARY" --zone example.com > "$d/mon.out" 2>&1 &
	local mon=$!
	PIDS+=("$mon")
	for _ in $(seq 200); do grep -qs ready "$d/mon.out" && break; sleep 0.1; done
	"$BENCHDRV" -s "unix:$d/pd.sock" -c 8 -r -i 2 -d 100000 -t 20000 -f sender@example.com \
	    -L "$d/load.log" > "$d/load.json" 2> "$d/load.err" &
	local load=$!
	PIDS+=("$load")
	sleep 5
	now=$(date +%s)
	[ -z "$lag" ] || "$H" lag "$d/dns"
	"$DKIMROTATE" -c "$d/postdkim.conf" start example.com --now "$now" >> "$d/rot.log" 2>&1
	"$DKIMROTATE" -c "$d/postdkim.conf" run --now "$now" >> "$d/rot.log" 2>&1 || die "run failed: $(tail -3 "$d/rot.log")"
	if [ -n "$lag" ]; then
		for i in 1 2 3; do
			now=$((now + 3600))
			"$DKIMROTATE" -c "$d/postdkim.conf" run --now "$now" >> "$d/rot.log" 2>&1 || die "run failed"
			sleep 1
		done
		"$H" catchup "$d/dns"
	fi
	for i in 1 2 3 4; do
		grep -q ' example.com:old:' "$d/keytable" || break
		sleep 1
		now=$((now + 3600))
		"$DKIMROTATE" -c "$d/postdkim.conf" run --now "$now" >> "$d/rot.log" 2>&1 || die "run failed"
	done
	new=$(sed -n 's/.* example.com:\([^:]*\):.*/\1/p' "$d/keytable")
	[ "$new" != old ] || die "$name: no switch: $(tail -5 "$d/rot.log")"
	# Enough messages after the switch too, and >= MSGS in all.
	sleep 5
	while [ "$(wc -l < "$d/load.log")" -lt "$msgs" ]; do sleep 1; done
	kill -TERM "$load"; wait "$load" || :
	kill -TERM "$mon"; wait "$mon" || :
	$PY "$T_SRC/sigcheck.py" --log "$d/load.log" --message "$d/msg.eml" --dns "$d/dns.jsonl" \
	    --servers primary,secondary --min "$msgs" --expect-switch > "$d/sigcheck.json" || :
	$PY - "$d/sigcheck.json" "$d/load.json" "$name" <<'EOF' | while read -r l; do row "$l"; done
import json, sys
r = json.load(open(sys.argv[1])); l = json.load(open(sys.argv[2]))
rise = None if r["p99_during_ms"] is None else r["p99_during_ms"] - r["p99_before_ms"]
print("| %s | %d | %.0f | %d (%d undecided) | %d | %d | %.2f | %.2f | %s |" % (
    sys.argv[3], r["messages"], l["msgs_per_s"], r["unseen"], r.get("undecided", 0),
    r["unsigned"], r["failed"],
    r["p99_before_ms"], r["p99_during_ms"] or 0, "%+.2f" % rise if rise is not None else "-"))
EOF
	kill -TERM "$PD_PID"; wait "$PD_PID" || :
	"$H" stop "$d/dns"
}

# ---------------------------------------------------------------- domains
# keys DIR: N Ed25519 keys in DIR/keys/dI.private, their records as the seed
# of their zone (old._domainkey.dI in bench.net, or in zJ.net with -z),
# DIR/keytable and DIR/signingtable.
make_domains() {
	local d=$1
	mkdir -p "$d/keys" "$d/dns/seed"
	chmod 700 "$d/keys"
	$PY - "$d" "$n" "$zones" <<'EOF'
import base64, os, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
d, n, nz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
names = ["z%d.net" % j for j in range(nz)] if nz > 0 else ["bench.net"]
seeds = [open(d + "/dns/seed/" + z + ".zone", "w") for z in names]
kt = open(d + "/keytable", "w")
st = open(d + "/signingtable", "w")
for i in range(n):
    k = Ed25519PrivateKey.generate()
    path = "%s/keys/d%d.private" % (d, i)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()))
    os.close(fd)
    pub = base64.b64encode(k.public_key().public_bytes(serialization.Encoding.Raw,
                                                       serialization.PublicFormat.Raw)).decode()
    z = names[i % len(names)]
    seeds[i % len(names)].write('old._domainkey.d%d 300 TXT "v=DKIM1; k=ed25519; p=%s"\n' % (i, pub))
    kt.write("old._domainkey.d%d.%s d%d.%s:old:%s\n" % (i, z, i, z, path))
    st.write("d%d.%s old._domainkey.d%d.%s\n" % (i, z, i, z))
EOF
}

# timed DIR LABEL ARGS...: dkimrotate ARGS, its wall time and peak RSS in
# DIR/LABEL.time ("SECONDS KB"), its output in DIR/LABEL.out; its status.
timed() {
	local d=$1 label=$2
	shift 2
	/usr/bin/time -f "%e %M %U %S" -o "$d/$label.time" "$DKIMROTATE" -c "$d/postdkim.conf" "$@" > "$d/$label.out" 2>&1
}

domains() {
	local kind=$1 d=$W/domains-$1 now i r0 st kt pending
	make_domains "$d"
	DNS_EXTRA_ZONES=$(ls "$d/dns/seed" | sed 's/\.zone$//' | tr '\n' ' ') "$H" start "$d/dns" \
	    >/dev/null || die "DNS servers did not start"
	if [ "$kind" = dsn ]; then
		local DBH=$top/tests/db/dbharness.sh
		"$DBH" start "$d/db" pgsql >/dev/null || die "PostgreSQL did not start"
		# shellcheck disable=SC1091
		. "$d/db/env"
		$PY - "$d" <<'EOF' > "$d/rows.csv"
import sys
d = sys.argv[1]
for line in open(d + "/keytable"):
    name, spec = line.split()
    dom, sel, path = spec.split(":", 2)
    print("%s,t,%s,%s" % (dom, sel, path))
EOF
		chown nobody "$d/rows.csv"
		psql -X -q -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d modoboa -v ON_ERROR_STOP=1 \
		    -c "DELETE FROM admin_domain" -c "\\copy admin_domain (name, enable_dkim, dkim_key_selector, dkim_private_key_path) FROM '$d/rows.csv' CSV" \
		    -c "GRANT UPDATE ON dkim, admin_domain TO $DB_USER" >/dev/null || die "cannot load the rows"
		local auth="$DB_USER:$DB_PASSWORD"
		kt="dsn:pgsql://$auth@$PG_PORT+127.0.0.1/modoboa/table=dkim?keycol=id?datacol=domain_name,selector,private_key_path"
		st="dsn:pgsql://$auth@$PG_PORT+127.0.0.1/modoboa/table=dkim?keycol=domain_name?datacol=id"
		conf "$d" "$kt" "$st" "DatabaseCacheTTL	5"
	else
		conf "$d" "file:$d/keytable" "file:$d/signingtable"
	fi
	daemon "$d"
	now=$(date +%s)
	r0=$(reloads "$d")
	if ! timed "$d" start start --all -a ed25519 --now "$now"; then
		# Recorded, not fatal: the other table kind still gets measured.
		row "| $kind | $n | start --all | failed: $(tail -n 1 "$d/start.out" | sed "s|$d|DIR|g; s/|/\\|/g") | | | | | |"
		kill -TERM "$PD_PID"; wait "$PD_PID" || :
		"$H" stop "$d/dns"
		[ "$kind" != dsn ] || "$top/tests/db/dbharness.sh" stop "$d/db"
		return 0
	fi
	row "| $kind | $n | start --all | $(tail -n 1 "$d/start.time" | tr " " "|") | $(($(reloads "$d") - r0)) | $(grep -c . "$d/start.out") lines |"
	for i in 1 2 3 4 5 6 7 8; do
		r0=$(reloads "$d")
		st=0
		timed "$d" "run$i" run --now "$now" || st=$?
		sleep 2	# a reload is counted once postdkim logged it
		row "| $kind | $n | run $i (exit $st) | $(tail -n 1 "$d/run$i.time" | tr " " "|") | $(($(reloads "$d") - r0)) | $(grep -c ': published ' "$d/run$i.out" || :) published, $(grep -c ': switched to ' "$d/run$i.out" || :) switched, $(grep -c ': waiting' "$d/run$i.out" || :) waiting |"
		"$H" sync "$d/dns" || :
		timed "$d" status status --now "$now" || :
		# Done when no domain signs with its old selector any more.
		pending=$(awk '$2 == "old"' "$d/status.out" | wc -l)
		[ "$pending" -gt 0 ] || break
		now=$((now + 3600))
	done
	timed "$d" status status --now "$now" || :
	row "| $kind | $n | status (all) | $(tail -n 1 "$d/status.time" | tr " " "|") | - | $(grep -c . "$d/status.out") lines |"
	timed "$d" statusj status --json --now "$now" || :
	row "| $kind | $n | status --json (all) | $(tail -n 1 "$d/statusj.time" | tr " " "|") | - | $(wc -c < "$d/statusj.out") bytes |"
	kill -TERM "$PD_PID"; wait "$PD_PID" || :
	"$H" stop "$d/dns"
	[ "$kind" != dsn ] || "$top/tests/db/dbharness.sh" stop "$d/db"
	for f in "$d"/*.out; do
		cp "$f" "$outdir/$kind-$(basename "$f")"
	done
	rm -rf "$d/keys"
}

if [ "$only" != domains ]; then
	row ""
	row "| scenario | messages | msg/s | unseen selector | unsigned | tempfail/error | p99 before (ms) | p99 during switch (ms) | rise (ms) |"
	row "|---|---|---|---|---|---|---|---|---|"
	switch instep
	switch lagging lag
fi
if [ "$only" != switch ]; then
	row ""
	row "| tables | domains | step | seconds | peak RSS (KB) | user CPU (s) | system CPU (s) | postdkim reloads | output |"
	row "|---|---|---|---|---|---|---|---|---|"
	case $tables in
	file) domains file ;;
	dsn) domains dsn ;;
	*) domains file; domains dsn ;;
	esac
fi
say "results in $results"
