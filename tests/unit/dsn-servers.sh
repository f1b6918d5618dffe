#!/bin/sh
# dsn-servers.sh - start private PostgreSQL and MariaDB servers
# (tests/db/dbharness.sh), run check_dsn_db against them, stop them again,
# whatever happens.
set -eu
srcdir=${srcdir:-$(dirname "$0")}
harness=$(cd "$srcdir/../db" && pwd)/dbharness.sh
dir=$(mktemp -d "${TMPDIR:-/tmp}/postdkim-db.XXXXXX")
trap '"$harness" stop "$dir"' EXIT
trap 'exit 1' INT TERM HUP
t0=$(date +%s)
"$harness" start "$dir"
echo "dsn-servers: servers up in $(( $(date +%s) - t0 )) s"
set -a
# shellcheck disable=SC1091
. "$dir/env"
set +a
# 10^4 reconnect cycles in CI, a tenth of that on a developer machine. A
# PostgreSQL connection (a server process and a SCRAM handshake, some tens
# of milliseconds) is dearer: a fifth as many, to keep CI in its time.
[ -n "${CI:-}" ] && dflt=10000 || dflt=1000
DSN_RECONNECTS=${DSN_RECONNECTS:-$dflt} DSN_RECONNECTS_PGSQL=${DSN_RECONNECTS_PGSQL:-$((dflt / 5))} \
    DBHARNESS=$harness DBHARNESS_DIR=$dir ./check_dsn_db
