#!/bin/sh
# dsn.sh - KeyTable and SigningTable in PostgreSQL (modoboa's layout, the
# private server of tests/db): the switch changes the domain's row in one
# transaction, the other rows stay, postdkim (DatabaseCacheTTL 1) signs
# with the new selector after the reload; the retire clock is never shorter
# than the cache TTL plus the reload.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

rot_db_start pgsql
pg() {
	psql -X -q -t -A -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d modoboa -v ON_ERROR_STOP=1 \
	    -c "$1" || rot_fail "psql: $1"
}
rot_modoboa_keys pg
# dkimrotate writes the rows postdkim reads: the same user, allowed to update them.
pg "GRANT UPDATE ON dkim, admin_domain TO $DB_USER"
pg "SELECT id, name, dkim_key_selector, dkim_private_key_path FROM admin_domain ORDER BY id" > "$T/rows.before"
auth="$DB_USER:$DB_PASSWORD"
# shellcheck disable=SC2034 # rotlib.sh reads both
ROT_SIGNINGTABLE="dsn:pgsql://$auth@$PG_PORT+127.0.0.1/modoboa/table=dkim?keycol=domain_name?datacol=id"
ROT_KEYTABLE="dsn:pgsql://$auth@$PG_PORT+127.0.0.1/modoboa/table=dkim?keycol=id?datacol=domain_name,selector,private_key_path"
rot_conf "DatabaseCacheTTL	1"
rot_daemon
rot_load_start sender@example.com
rot_ok start example.com
rot_ok run
new=$(rot_new_selector example.com old)
[ -n "$new" ] || rot_fail "nothing published"
[ "$(pg "SELECT dkim_key_selector FROM admin_domain WHERE name = 'example.com'")" = old ] ||
    rot_fail "the row switched after one check"
for _ in 1 2 3; do
	rot_adv 1h
	rot_ok run
	[ "$(pg "SELECT dkim_key_selector FROM admin_domain WHERE name = 'example.com'")" != "$new" ] || break
done
[ "$(pg "SELECT dkim_key_selector FROM admin_domain WHERE name = 'example.com'")" = "$new" ] ||
    rot_fail "the row does not name $new after 3 runs"
path=$(pg "SELECT dkim_private_key_path FROM admin_domain WHERE name = 'example.com'")
[ -f "$path" ] && [ "$(stat -c %a "$path")" = 600 ] || rot_fail "the row names $path, not a 0600 key"
[ "$(rot_p secondary "$new._domainkey.example.com")" = "$(lib_pubkey rsa "$path")" ] ||
    rot_fail "the row's key is not the published one"
pg "SELECT id, name, dkim_key_selector, dkim_private_key_path FROM admin_domain ORDER BY id" |
    grep -v '|example.com|' > "$T/rows.after"
grep -v '|example.com|' "$T/rows.before" | cmp -s - "$T/rows.after" || rot_fail "other rows changed"
rot_signs_with "$new" example.com
sleep 1
rot_load_stop --expect-switch
rot_note ok
