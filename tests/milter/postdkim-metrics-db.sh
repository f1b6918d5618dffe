#!/bin/sh
# postdkim-metrics-db.sh - /healthz and the database counters with the
# tables on a private PostgreSQL (tests/db/dbharness.sh), the metrics
# endpoint on a UNIX socket: 200 while the server answers, 503 naming the
# server (never the password) within 10 s of its stop, mail of ours whose
# answer is not cached counted as not signed for table_unavailable, 200
# again within 10 s of its restart; lookups, cache hits, errors and
# reconnections counted exactly.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"
command -v promtool >/dev/null 2>&1 || tl_skip "promtool is needed (apt-get install prometheus)"

H=$(cd "$TESTS_SRCDIR/../db" && pwd)/dbharness.sh
DB=$(mktemp -d "${TMPDIR:-/tmp}/postdkim-db.XXXXXX")
trap '"$H" stop "$DB"; lib_cleanup' EXIT
"$H" start "$DB" pgsql || tl_fail "the database server did not start"
. "$DB/env"

pd_key k1 rsa
pd_zone mail example.com k1
psql -X -q -t -A -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d modoboa -v ON_ERROR_STOP=1 \
    -c "UPDATE admin_domain SET dkim_private_key_path = '$T/k1.key'" || tl_fail "psql"
auth="$DB_USER:$DB_PASSWORD"
cat > "$T/pd.conf" <<END
SigningTable	dsn:pgsql://$auth@$PG_PORT+127.0.0.1/modoboa/table=dkim?keycol=domain_name?datacol=id
KeyTable	dsn:pgsql://$auth@$PG_PORT+127.0.0.1/modoboa/table=dkim?keycol=id?datacol=domain_name,selector,private_key_path
DatabaseCacheTTL	600
Socket	local:$T/pd.sock
MetricsSocket	local:$T/metrics.sock
Mode	s
Syslog	no
END
chmod 0600 "$T/pd.conf"
pd_start pd "$T/pd.conf"

mget() { pd_mget "$T/metrics.sock" "$1"; }
# want SERIES VALUE...: exact values on /metrics (promtool-checked).
want() {
	pd_scrape "$T/metrics.sock"
	pd_want "$@"
}
# health_within CODE: /healthz answers CODE within 10 s; the seconds it took in $HW.
health_within() {
	t0=$(date +%s)
	n=0
	until mget /healthz && head -1 "$T/http.out" | grep -qx "$1"; do
		n=$((n + 1))
		[ $n -le 20 ] || { cat "$T/http.out" "$T/pd.log" >&2; tl_fail "/healthz: not $1 within 10 s"; }
		sleep 0.5
	done
	HW=$(($(date +%s) - t0))
}

H1='To: bob@example.org\nSubject: db\nDate: Tue, 14 Nov 2023 22:13:20 +0000\n'
printf 'From: Alice <alice@example.com>\n'"$H1"'\nhello\n' > "$T/com.eml"
printf 'From: x@uncached.example\n'"$H1"'\nhello\n' > "$T/unc.eml"

health_within 200
grep -qx ok "$T/http.out" || tl_fail "/healthz: no ok"
# The SigningTable is asked for alice@example.com, then example.com; the KeyTable once.
pd_signed c1 pd com.eml mail example.com
want 'postdkim_db_lookups_total{backend="pgsql"}' 3 'postdkim_db_cache_hits_total{backend="pgsql"}' 0
pd_signed c2 pd com.eml mail example.com
want 'postdkim_db_lookups_total{backend="pgsql"}' 6 'postdkim_db_cache_hits_total{backend="pgsql"}' 3 \
    'postdkim_db_errors_total{backend="pgsql"}' 0 'postdkim_db_reconnects_total{backend="pgsql"}' 0

"$H" stop-pgsql "$DB"
health_within 503
grep -q "^dsn:pgsql://postdkim@$PG_PORT+127.0.0.1/modoboa/.*: PostgreSQL at 127.0.0.1" "$T/http.out" ||
	{ cat "$T/http.out" >&2; tl_fail "/healthz: the server is not named"; }
! grep -q -e "$DB_PASSWORD" "$T/http.out" || tl_fail "/healthz shows the password"
[ "$(wc -l < "$T/http.out")" -eq 2 ] || tl_fail "/healthz: the reason is not one line"
tl_note "database stopped: /healthz 503 after $HW s: $(sed -n 2p "$T/http.out")"
# Cached mail still signs; mail whose answer is not cached is tempfailed and counted.
pd_signed c3 pd com.eml mail example.com
pd_tempfailed u1 pd unc.eml
want 'postdkim_not_signed_total{reason="table_unavailable"}' 1 \
    'postdkim_messages_total{mode="sign",action="tempfail"}' 1 \
    'postdkim_db_lookups_total{backend="pgsql"}' 10 'postdkim_db_cache_hits_total{backend="pgsql"}' 6 \
    'postdkim_db_errors_total{backend="pgsql"}' 1

"$H" start-pgsql "$DB"
health_within 200
tl_note "database back: /healthz 200 after $HW s"
# Both data sets (SigningTable, KeyTable) connected again, through the probe.
want 'postdkim_db_reconnects_total{backend="pgsql"}' 2 'postdkim_db_errors_total{backend="pgsql"}' 1 \
    'postdkim_messages_total{mode="sign",action="signed"}' 3
! grep -q -e "$DB_PASSWORD" "$T/pd.log" || tl_fail "the log shows the password"
