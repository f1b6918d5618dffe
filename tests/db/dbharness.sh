#!/bin/sh
# dbharness.sh - private PostgreSQL and MariaDB servers for the tests: each
# in a directory of its own, on a free loopback port and a private socket,
# never the system's instances.
#
#   dbharness.sh start DIR [pgsql|mysql]
#                                  create and start both (or only the one
#                                  named), load the schemas, write DIR/env
#                                  (shell assignments)
#   dbharness.sh stop DIR          stop both and remove DIR
#   dbharness.sh stop-pgsql DIR | start-pgsql DIR | stop-mysql DIR | start-mysql DIR
#                                  stop or start one server again (same data, port)
#
# PostgreSQL refuses to run as root and MariaDB wants to be told which user
# to be: as root, both run as "nobody", in directories that user owns.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/../lib.sh"
cmd=${1:?usage: dbharness.sh start|stop|stop-pgsql|start-pgsql|stop-mysql|start-mysql DIR}
dir=${2:?DIR}
only=${3:-}
case $only in
''|pgsql|mysql) ;;
*)	echo "dbharness.sh: start DIR [pgsql|mysql], not $only" >&2; exit 2 ;;
esac

if [ "$(id -u)" -eq 0 ]; then
	runas="runuser -u nobody --"
	myuser="--user=nobody"
else
	runas=
	myuser=
fi

# The newest PostgreSQL server programs installed.
pgbin() {
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/postgres" ] && { echo "$d"; return 0; }
	done
	command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return 0; }
	echo "dbharness: PostgreSQL server not installed (Debian package postgresql)" >&2
	return 1
}

# A free TCP port on 127.0.0.1.
freeport() {
	python3 "$here/../freeport.py" "$@"
}

pg_start() {
	# shellcheck disable=SC1091
	. "$dir/env"
	$runas "$PG_BIN/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w -t 60 -s \
		-o "-k $dir/sock -p $PG_PORT -c listen_addresses=127.0.0.1 -c fsync=off \
		    -c full_page_writes=off -c synchronous_commit=off -c max_connections=60 \
		    -c shared_buffers=16MB" start
}

pg_stop() {
	# shellcheck disable=SC1091
	. "$dir/env"
	[ -f "$dir/pg/postmaster.pid" ] || return 0
	$runas "$PG_BIN/pg_ctl" -D "$dir/pg" -w -t 60 -s -m fast stop || true
}

my_start() {
	# shellcheck disable=SC1091
	. "$dir/env"
	# shellcheck disable=SC2086
	$MY_BIN --no-defaults $myuser --datadir="$dir/my" --socket="$MY_SOCKET" \
		--port="$MY_PORT" --bind-address=127.0.0.1 --pid-file="$dir/my.pid" \
		--log-error="$dir/my.log" --skip-log-bin --skip-name-resolve \
		--innodb-buffer-pool-size=16M --innodb-log-file-size=8M \
		--max-connections=200 --innodb-flush-log-at-trx-commit=0 >/dev/null 2>&1 &
	echo $! >"$dir/my.bgpid"
	i=0
	until mariadb-admin --no-defaults --socket="$MY_SOCKET" -uroot ping >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 $! 2>/dev/null; then
			echo "dbharness: mariadbd did not start:" >&2
			tail -n 20 "$dir/my.log" >&2
			return 1
		fi
		sleep 0.1
	done
}

my_stop() {
	# shellcheck disable=SC1091
	. "$dir/env"
	# Before it wrote its pid file, the server is known by the shell's $!.
	pid=$(cat "$dir/my.pid" 2>/dev/null || cat "$dir/my.bgpid" 2>/dev/null || true)
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || true
	wait_until 300 lib_gone "$pid" || :
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$dir/my.pid" "$dir/my.bgpid"
}

start() {
	mkdir -p "$dir/sock"
	[ -z "$runas" ] || chown -R nobody "$dir"
	PG_BIN=
	[ "$only" = mysql ] || PG_BIN=$(pgbin)
	MY_BIN=$(command -v mariadbd || echo /usr/sbin/mariadbd)
	[ "$only" = pgsql ] || [ -x "$MY_BIN" ] ||
		{ echo "dbharness: mariadbd not installed (Debian package mariadb-server)" >&2; return 1; }
	read -r pg_port my_port <<EOF
$(freeport 2)
EOF
	cat >"$dir/env" <<ENV
PG_BIN='$PG_BIN'
PG_PORT=$pg_port
PG_SOCKDIR='$dir/sock'
MY_BIN='$MY_BIN'
MY_PORT=$my_port
MY_SOCKET='$dir/sock/my.sock'
DB_USER=postdkim
DB_PASSWORD='pw:with@signs'
ENV
	# shellcheck disable=SC1091
	. "$dir/env"
	[ "$only" = mysql ] || pg_create
	[ "$only" = pgsql ] || my_create
}

pg_create() {
	$runas "$PG_BIN/initdb" -D "$dir/pg" -U postgres -A trust --auth-host=scram-sha-256 \
		-E UTF8 --no-locale -N >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; return 1; }
	pg_start
	{
		echo "CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASSWORD';"
		echo "CREATE DATABASE modoboa; CREATE DATABASE odkim;"
		printf '%s\n' "\\connect modoboa"
		cat "$here/schema-modoboa.sql"
		echo "GRANT SELECT ON ALL TABLES IN SCHEMA public TO $DB_USER;"
		printf '%s\n' "\\connect odkim"
		cat "$here/schema-odkim.sql"
		echo "GRANT SELECT ON ALL TABLES IN SCHEMA public TO $DB_USER;"
	} | psql -X -q -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
		>"$dir/pg-load.log" 2>&1 || { cat "$dir/pg-load.log" >&2; return 1; }
}

my_create() {
	# shellcheck disable=SC2086
	mariadb-install-db --no-defaults $myuser --datadir="$dir/my" \
		--auth-root-authentication-method=normal --skip-test-db >"$dir/my-install.log" 2>&1 ||
		{ cat "$dir/my-install.log" >&2; return 1; }
	my_start
	{
		echo "CREATE USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';"
		echo "CREATE DATABASE modoboa; CREATE DATABASE odkim;"
		echo "GRANT SELECT ON modoboa.* TO '$DB_USER'@'127.0.0.1';"
		echo "GRANT SELECT ON odkim.* TO '$DB_USER'@'127.0.0.1';"
		echo "USE modoboa;"
		sed 's/SERIAL PRIMARY KEY/INT AUTO_INCREMENT PRIMARY KEY/' "$here/schema-modoboa.sql"
		echo "USE odkim;"
		sed 's/SERIAL PRIMARY KEY/INT AUTO_INCREMENT PRIMARY KEY/' "$here/schema-odkim.sql"
	} | mariadb --no-defaults --socket="$MY_SOCKET" -uroot >"$dir/my-load.log" 2>&1 ||
		{ cat "$dir/my-load.log" >&2; return 1; }
}

case "$cmd" in
start)	start ;;	# both, or only $3
stop)
	if [ -f "$dir/env" ]; then
		my_stop
		pg_stop
	fi
	rm -rf "$dir" ;;
stop-pgsql) pg_stop ;;
start-pgsql) pg_start ;;
stop-mysql) my_stop ;;
start-mysql) my_start ;;
*)	echo "dbharness.sh: unknown command $cmd" >&2; exit 2 ;;
esac
