#!/bin/sh
# postdkim-dsn.sh - KeyTable and SigningTable in a database, through the
# real daemon: modoboa's two lines on PostgreSQL (a view over the domain
# table, key files), README.SQL's layout on MariaDB (the PEM key in a
# column). Two daemons (two MTAs) share one database: a domain inserted, a
# key replaced, a row deleted are seen by both within DatabaseCacheTTL.
# With the server stopped, cached domains keep signing, uncached ones are
# tempfailed, foreign mail passes; after the restart everything signs. No
# output shows the password: -n and a daemon with a wrong one, dns: and
# dsm: typos at start and at reload; a file holding it that others can read
# is named.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

H=$(cd "$TESTS_SRCDIR/../db" && pwd)/dbharness.sh
DB=$(mktemp -d "${TMPDIR:-/tmp}/postdkim-db.XXXXXX")
trap '"$H" stop "$DB"; lib_cleanup' EXIT
"$H" start "$DB" || tl_fail "the database servers did not start"
. "$DB/env"

# SQL as the administrator (the panel).
pg() {
	psql -X -q -t -A -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d modoboa -v ON_ERROR_STOP=1 \
	    -c "$1" || tl_fail "psql: $1"
}
my() {
	mariadb --no-defaults --socket="$MY_SOCKET" -uroot odkim -e "$1" || tl_fail "mariadb: $1"
}

pd_key k1 rsa
pd_key k2 rsa
pd_key k3 rsa
pd_zone mail example.com k1
pd_zone rot example.com k2
pd_zone mail new.example k1
pd_zone sql example.net k3
# The postdkim process reads the key files (root here, files 0600 in $T).
pg "UPDATE admin_domain SET dkim_private_key_path = '$T/k1.key'"
my "UPDATE dkim SET private_key = '$(cat "$T/k3.key")'"

auth="$DB_USER:$DB_PASSWORD"
for n in a b; do
	cat > "$T/$n.conf" <<EOF
SigningTable	dsn:pgsql://$auth@$PG_PORT+127.0.0.1/modoboa/table=dkim?keycol=domain_name?datacol=id
KeyTable	dsn:pgsql://$auth@$PG_PORT+127.0.0.1/modoboa/table=dkim?keycol=id?datacol=domain_name,selector,private_key_path
DatabaseCacheTTL	1
Socket	local:$T/$n.sock
Syslog	no
SyslogSuccess	yes
EOF
done
cat > "$T/c.conf" <<EOF
SigningTable	dsn:mysql://$auth@$MY_PORT+127.0.0.1/odkim/table=dkim_signing?keycol=author?datacol=dkim_id
KeyTable	dsn:mysql://$auth@$MY_PORT+127.0.0.1/odkim/table=dkim?keycol=id?datacol=domain_name,selector,private_key
Socket	local:$T/c.sock
Syslog	no
EOF

# postdkim -n reaches the server and names it; a wrong password is named with the server's words.
"$POSTDKIM" -n -c "$T/a.conf" > "$T/n.log" 2>&1 || { cat "$T/n.log" >&2; tl_fail "postdkim -n"; }
grep -q "PostgreSQL .* at 127.0.0.1" "$T/n.log" || { cat "$T/n.log" >&2; tl_fail "-n: no server named"; }
"$POSTDKIM" -n -c "$T/c.conf" > "$T/n.log" 2>&1 || { cat "$T/n.log" >&2; tl_fail "postdkim -n (MariaDB)"; }
# nopw FILE...: neither password (the right one, the wrong one) in any of them.
nopw() {
	for f in "$@"; do
		! grep -e "$DB_PASSWORD" -e 'with@signs' -e 'Wr0ng' "$f" || tl_fail "$f shows a password"
	done
}
sed -e "s/$DB_PASSWORD/Wr0ng:pw@x/" -e "s/a.sock/e.sock/" "$T/a.conf" > "$T/bad.conf"
"$POSTDKIM" -n -c "$T/bad.conf" > "$T/n-bad.log" 2>&1 && tl_fail "-n accepts a wrong password"
grep -q "password authentication failed" "$T/n-bad.log" || { cat "$T/n-bad.log" >&2; tl_fail "-n: no server error"; }
sed "s/$DB_PASSWORD/Wr0ng:pw@x/" "$T/c.conf" > "$T/badmy.conf"
"$POSTDKIM" -n -c "$T/badmy.conf" > "$T/n-badmy.log" 2>&1 && tl_fail "-n accepts a wrong password (MariaDB)"
grep -q "Access denied" "$T/n-badmy.log" || { cat "$T/n-badmy.log" >&2; tl_fail "-n: no server error (MariaDB)"; }
# A typo of dsn: in either table.
sed "s/^KeyTable	dsn:/KeyTable	dns:/" "$T/a.conf" > "$T/dns.conf"
"$POSTDKIM" -n -c "$T/dns.conf" > "$T/n-dns.log" 2>&1 && tl_fail "-n accepts dns:"
grep -q "KeyTable: 'dns:pgsql://postdkim:\*\*\*@$PG_PORT+127.0.0.1/modoboa/" "$T/n-dns.log" ||
	{ cat "$T/n-dns.log" >&2; tl_fail "dns: typo: the error does not show the URL redacted"; }
sed "s/^SigningTable	dsn:/SigningTable	dsm:/" "$T/c.conf" > "$T/dsm.conf"
"$POSTDKIM" -n -c "$T/dsm.conf" > "$T/n-dsm.log" 2>&1 && tl_fail "-n accepts dsm:"
# The files hold the password and others may read them: named, with the fix.
chmod 0644 "$T/a.conf"
"$POSTDKIM" -n -c "$T/a.conf" > "$T/n-a.log" 2>&1 || { cat "$T/n-a.log" >&2; tl_fail "postdkim -n (0644)"; }
grep -q "a.conf:1: SigningTable holds a database password, and $T/a.conf is readable by others (mode 0644): chmod 0" \
    "$T/n-a.log" || { cat "$T/n-a.log" >&2; tl_fail "-n: no warning about a readable password"; }
chmod 0640 "$T/a.conf"
nopw "$T"/n*.log

pd_start a "$T/a.conf"
PDA=$PD_PID
pd_start b "$T/b.conf"
PD_B=$PD_PID
pd_start c "$T/c.conf"
PDC=$PD_PID
pd_start e "$T/bad.conf"

H1='To: bob@example.org\nSubject: db\nDate: Tue, 14 Nov 2023 22:13:20 +0000\nMessage-ID: <1@x>\n'
printf 'From: Alice <alice@example.com>\n'"$H1"'\nhello\n' > "$T/com.eml"
printf 'From: new@new.example\n'"$H1"'\nhello\n' > "$T/new.eml"
printf 'From: other@example.net\n'"$H1"'\nhello\n' > "$T/net.eml"
printf 'From: x@uncached.example\n'"$H1"'\nhello\n' > "$T/unc.eml"
printf 'From: eve@elsewhere.org\n'"$H1"'\nhello\n' > "$T/ext.eml"

pd_signed a-com a com.eml mail
# A wrong password: our mail is tempfailed, the log has the server's reason only.
pd_send e-com e com.eml
grep -q '^1 tempfail ' "$T/e-com.log" || { cat "$T/e-com.log" >&2; tl_fail "wrong password: not tempfailed"; }
grep -q 'SigningTable dsn:pgsql://postdkim@.*password authentication failed' "$T/e.log" ||
	{ cat "$T/e.log" >&2; tl_fail "wrong password: the log does not say why"; }
# A mistyped dsn: at reload: refused, the log has the URL without the password.
cp "$T/b.conf" "$T/b.good"
sed "s/^KeyTable	dsn:/KeyTable	dns:/" "$T/b.good" > "$T/b.conf"
kill -HUP "$PD_B"
n=0
until grep -q "reload failed.*KeyTable: 'dns:pgsql://postdkim:\*\*\*@" "$T/b.log"; do
	n=$((n + 1)); [ $n -le 50 ] || { cat "$T/b.log" >&2; tl_fail "dns: at reload: no redacted error logged"; }; sleep 0.1
done
cp "$T/b.good" "$T/b.conf"
kill -HUP "$PD_B"
pd_signed b-com b com.eml mail
pd_signed c-net c net.eml sql
# The daemon is not linked with the client libraries: each opens its own
# when a data set first connects (postdkim-sign.sh: a daemon without dsn: maps neither).
grep -q '/libpq\.so' "/proc/$PDA/maps" || tl_fail "pgsql daemon: libpq not loaded"
! grep -q '/libmariadb\.so' "/proc/$PDA/maps" || tl_fail "pgsql daemon: libmariadb loaded"
grep -q '/libmariadb\.so' "/proc/$PDC/maps" || tl_fail "mysql daemon: libmariadb not loaded"
! grep -q '/libpq\.so\|/libgnutls' "/proc/$PDC/maps" || tl_fail "mysql daemon: libpq loaded"
tl_note "each daemon maps the one client library its tables need"
pd_unsigned a-new0 a new.eml
pd_unsigned b-new0 b new.eml

# The panel adds a domain: both MTAs sign it within the TTL.
pg "INSERT INTO admin_domain (name, enable_dkim, dkim_key_selector, dkim_private_key_path)
    VALUES ('new.example', TRUE, 'mail', '$T/k1.key')"
sleep 1.3
pd_signed a-new1 a new.eml mail
pd_signed b-new1 b new.eml mail
# The key of example.com is replaced (new selector, new file).
pg "UPDATE admin_domain SET dkim_key_selector = 'rot', dkim_private_key_path = '$T/k2.key'
    WHERE name = 'example.com'"
sleep 1.3
pd_signed a-rot a com.eml rot
pd_signed b-rot b com.eml rot
# The domain is deleted: no more signatures.
pg "DELETE FROM admin_domain WHERE name = 'new.example'"
sleep 1.3
pd_unsigned a-del a new.eml
pd_unsigned b-del b new.eml

# The server goes down: what is cached keeps signing (the TTL has passed:
# stale answers), what is not is tempfailed, mail from outside passes.
"$H" stop-pgsql "$DB"
sleep 1.3
pd_signed a-down a com.eml rot
pd_send a-unc a unc.eml
grep -q '^1 tempfail ' "$T/a-unc.log" || { cat "$T/a-unc.log" >&2; tl_fail "uncached domain with the database down: not tempfailed"; }
pd_send a-ext a ext.eml --client-addr 192.0.2.1
grep -q '^1 accept .* ins=0 ' "$T/a-ext.log" || { cat "$T/a-ext.log" >&2; tl_fail "foreign mail affected by the database"; }
"$H" start-pgsql "$DB"
n=0
until pd_send a-back a com.eml && grep -q '^1 accept .* ins=1 ' "$T/a-back.log" &&
    pd_send a-unc2 a unc.eml && grep -q '^1 accept .* ins=0 ' "$T/a-unc2.log"; do
	n=$((n + 1))
	[ $n -le 30 ] || { cat "$T/a-unc2.log" "$T/a.log" >&2; tl_fail "no recovery after the restart"; }
	sleep 0.5
done
pd_signed b-back b com.eml rot

# The list data sets from the database too: Domain (asked per message) and
# InternalHosts (read at start), with one KeyFile.
pg "CREATE TABLE relay_hosts (addr VARCHAR(64) NOT NULL);
    INSERT INTO relay_hosts VALUES ('127.0.0.1'), ('192.0.2.7');
    GRANT SELECT ON relay_hosts TO $DB_USER"
cat > "$T/d.conf" <<EOF
Domain	dsn:pgsql://$auth@$PG_PORT+127.0.0.1/modoboa/table=admin_domain?keycol=name?datacol=id
InternalHosts	dsn:pgsql://$auth@$PG_PORT+127.0.0.1/modoboa/table=relay_hosts?keycol=addr?datacol=addr
KeyFile	$T/k1.key
Selector	mail
Socket	local:$T/d.sock
Syslog	no
EOF
pd_start d "$T/d.conf"
pd_send d-relay d com.eml --client-addr 192.0.2.7
grep -q '^1 accept .* ins=1 ' "$T/d-relay.log" || { cat "$T/d-relay.log" "$T/d.log" >&2; tl_fail "Domain/InternalHosts from the database: not signed"; }
pd_check 1 "$T/o-d-relay/1.eml"
pd_send d-other d com.eml --client-addr 192.0.2.8
grep -q '^1 accept .* ins=0 ' "$T/d-other.log" || tl_fail "InternalHosts from the database: an outside host's mail signed"
pd_unsigned d-unc d unc.eml
nopw "$T"/[a-e].log "$T"/*-*.log
tl_note "ok"
