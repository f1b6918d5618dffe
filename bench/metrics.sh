#!/bin/bash
# metrics.sh - what the metrics endpoint (MetricsSocket) costs.
#
#   bench/metrics.sh [--quick] [-b BUILDDIR] [-o OUTDIR] [-r ROUNDS] [-m MSGS] [-n DOMAINS]
#
# Overhead: the same daemon (Domain + KeyFile, one RSA-2048 key, Mode s,
# relaxed/simple) without MetricsSocket and with it, a scraper asking
# /metrics every second for the whole run; each round starts both afresh,
# in alternating order (off, on, on, off, ...), and sends MSGS 2 KB messages
# over 8 connections (benchdrv). The figure is the daemon's CPU per signed
# message (utime + stime of the whole process as benchdrv reads them, dead
# threads included: libmilter's threads end with their connections),
# median of the rounds, and the ratio on/off.
# Size: a daemon with a KeyTable and SigningTable of DOMAINS domains (default
# 100,000; 4 keys copied to one file per domain), MetricsSocket set, after
# 20,000 messages From random domains (keys loaded, counters moving): the
# bytes of /metrics, the time of 200 scrapes one after the other (each a
# new connection; median, p99, max) as the scraper sees them, and the
# daemon's CPU per scrape (utime + stime over the 200, no mail meanwhile).
# Needs root (OpenDKIM-style files under /run, as the other benchmarks).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
quick=0
builddir=
outdir=
rounds=5
msgs=20000
ndom=100000
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	-b) builddir=$2; shift ;;
	-o) outdir=$2; shift ;;
	-r) rounds=$2; shift ;;
	-m) msgs=$2; shift ;;
	-n) ndom=$2; shift ;;
	-h|--help) sed -n '2,20p' "$0"; exit 0 ;;
	*) echo "metrics.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
if [ "$quick" = 1 ]; then
	rounds=1
	msgs=500
	ndom=1000
fi

me=metrics.sh
# shellcheck source=bench/benchlib.sh
. "$here/benchlib.sh"
bench_prereq
bench_workdir
bench_build "$builddir"
bench_outdir "$outdir"
scraper=
bench_atexit='[ -z "$scraper" ] || kill "$scraper" 2>/dev/null || true'
port=$($PY "$here/../tests/freeport.py")
sock=$work/pd.sock
log=$work/pd.log
kind=postdkim
tk=single
n=1

umask 077
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/k.pem" 2>/dev/null
for m in off on; do
	{
		echo "Mode s"
		echo "Canonicalization relaxed/simple"
		echo "Socket local:$sock"
		echo "Syslog no"
		echo "Domain bench.example"
		echo "KeyFile $work/k.pem"
		echo "Selector s"
		[ "$m" = off ] || echo "MetricsSocket inet:$port"
	} > "$work/$m.conf"
done

# scrape_loop: GET /metrics every second until killed (a process of its own).
scrape_loop() {
	$PY - "$port" <<'PYEOF' &
import sys, time, urllib.request
url = "http://127.0.0.1:%s/metrics" % sys.argv[1]
while True:
    t = time.monotonic()
    try:
        urllib.request.urlopen(url, timeout=5).read()
    except OSError:
        pass
    time.sleep(max(0.0, 1.0 - (time.monotonic() - t)))
PYEOF
	scraper=$!
}

# one MODE: a round of MODE (off, on); appends "MODE CPU_MS_PER_MSG" to $work/cpu.
one() {
	local m=$1 line
	bench_start "$work/$m.conf"
	[ "$m" = off ] || scrape_loop
	line=$("$DRV" -s "unix:$sock" -c 8 -g 2k -n "$msgs" -p "$mpid" -l "$m") ||
		die "benchdrv failed ($m)"
	echo "$line" >> "$outdir/benchdrv.jsonl"
	if [ -n "$scraper" ]; then
		kill "$scraper" 2>/dev/null || true
		wait "$scraper" 2>/dev/null || true
		scraper=
	fi
	case $line in *'"unsigned":0,"errors":0'*) ;; *) die "not every message signed ($m): $line" ;; esac
	stop
	echo "$m $(echo "$line" | sed 's/.*"milter_cpu_ms_per_msg":\([0-9.]*\).*/\1/')" >> "$work/cpu"
	emit "phase=overhead" "metrics=$m" "cpu_ms_per_msg=$(tail -1 "$work/cpu" | cut -d' ' -f2)"
	say "  $m: $(tail -1 "$work/cpu" | cut -d' ' -f2) ms CPU per message"
}

say "$(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds of $msgs messages"
: > "$work/cpu"
for r in $(seq "$rounds"); do
	if [ $((r % 2)) = 1 ]; then one off; one on; else one on; one off; fi
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
off=$(awk '$1 == "off" { print $2 }' "$work/cpu" | median)
on=$(awk '$1 == "on" { print $2 }' "$work/cpu" | median)
ratio=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.4f", a / b }')

# The exposition with DOMAINS domains configured.
say "$ndom domains: keys and tables"
bench_keys 4 "$ndom"
bench_tables "$ndom"
tk=file
n=$ndom
{
	echo "Mode s"
	echo "Socket local:$sock"
	echo "Syslog no"
	echo "KeyTable file:$work/t$ndom/keytable"
	echo "SigningTable file:$work/t$ndom/signing.file"
	echo "MetricsSocket inet:$port"
	echo "MetricsDomains d0.example, d1.example, d2.example, d3.example"
	echo "RotateInterval 90d"
} > "$work/big.conf"
bench_start "$work/big.conf"
"$DRV" -s "unix:$sock" -c 8 -g 2k -n 20000 -f "u@d%u.example" -u "0:$ndom" -p "$mpid" -l warm \
    > /dev/null || die "benchdrv failed (warm)"
$PY - "$port" "$mpid" > "$work/scrape" <<'PYEOF'
import http.client, os, sys, time


def cpu_ms(pid):
    """utime + stime of the daemon, in ms."""
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


times, size = [], 0
c0 = cpu_ms(sys.argv[2])
for i in range(200):
    t = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
    c.request("GET", "/metrics")
    body = c.getresponse().read()
    c.close()
    times.append((time.perf_counter() - t) * 1000)
    size = len(body)
c1 = cpu_ms(sys.argv[2])
times.sort()
print("%d %.3f %.3f %.3f %.3f" % (size, times[len(times) // 2], times[int(len(times) * 0.99) - 1],
                                  times[-1], (c1 - c0) / len(times)))
PYEOF
stop
read -r bytes med p99 max scpu < "$work/scrape"
emit "phase=exposition" "bytes=$bytes" "scrape_median_ms=$med" "scrape_p99_ms=$p99" "scrape_max_ms=$max" \
    "scrape_cpu_ms=$scpu"

echo
echo "CPU per signed message, median of $rounds rounds of $msgs messages (2 KB, 8 connections):"
echo "  without MetricsSocket: $off ms"
echo "  with MetricsSocket, scraped every second: $on ms"
echo "  ratio with/without: $ratio"
echo "/metrics with $ndom domains configured (after 20,000 messages): $bytes bytes;"
echo "  200 scrapes: median $med ms, p99 $p99 ms, max $max ms (wall, client side, new connection each);"
echo "  the daemon's CPU per scrape: $scpu ms"
bench_footer
echo "results: $results"
