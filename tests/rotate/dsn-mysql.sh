#!/bin/sh
# dsn-mysql.sh - KeyTable and SigningTable in MariaDB (modoboa's layout, the
# private server of tests/db), two domains rotating together: the rows stay
# until the new records were seen on every server on two runs; a switch the
# server refuses (no UPDATE right) fails the run, says why without the
# password and leaves the rows; a switch whose second UPDATE fails (a
# trigger) leaves both rows, the first rolled back; then the next run
# switches both rows in one transaction, the other rows stay byte for byte,
# and postdkim (DatabaseCacheTTL 1) signs with the new selector after the
# reload, every signature checked against the DNS of its moment.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

rot_db_start mysql
my() {
	mariadb --no-defaults --socket="$MY_SOCKET" -uroot -N -B modoboa -e "$1" || rot_fail "mariadb: $1"
}
# selector [DOMAIN]: the selector of the domain's row.
selector() {
	my "SELECT dkim_key_selector FROM admin_domain WHERE name = '${1:-example.com}'"
}
# Every row, each byte of each column shown (HEX), the rotating domains left out.
others() {
	my "SELECT id, HEX(name), HEX(enabled), HEX(enable_dkim), HEX(dkim_key_selector),
	    HEX(dkim_private_key_path) FROM admin_domain
	    WHERE name NOT IN ('example.com', 'other.example.com') ORDER BY id"
}
# unswitched WHEN: neither domain's row switched.
unswitched() {
	[ "$(selector)" = old ] && [ "$(selector other.example.com)" = mail ] ||
	    rot_fail "$1: the rows name $(selector) and $(selector other.example.com)"
}
rot_modoboa_keys my
others > "$T/rows.before"
[ "$(wc -l < "$T/rows.before")" -eq 2 ] || rot_fail "not the 2 other rows: $(cat "$T/rows.before")"
auth="$DB_USER:$DB_PASSWORD"
# shellcheck disable=SC2034 # rotlib.sh reads both
ROT_SIGNINGTABLE="dsn:mysql://$auth@$MY_PORT+127.0.0.1/modoboa/table=dkim?keycol=domain_name?datacol=id"
# shellcheck disable=SC2034
ROT_KEYTABLE="dsn:mysql://$auth@$MY_PORT+127.0.0.1/modoboa/table=dkim?keycol=id?datacol=domain_name,selector,private_key_path"
rot_conf "DatabaseCacheTTL	1"
rot_daemon
rot_load_start sender@example.com
# dkimrotate writes the rows postdkim reads, as the same user; at first
# that user may only read them.
rot_ok start example.com other.example.com
rot_ok run
new=$(rot_new_selector example.com old)
new2=$(rot_new_selector other.example.com mail)
[ -n "$new" ] && [ -n "$new2" ] || rot_fail "not both published"
unswitched "after one check"

# The runs an hour apart until one switches: refused by the server.
rot_until_fails "no run tried to switch (3 runs exited 0)" unswitched "without the UPDATE right"
rot_invariants
grep -q "cannot rewrite the KeyTable.*UPDATE command denied" "$T/rot.out" ||
    rot_fail "the refused run does not say why: $(cat "$T/rot.out")"
rot_note "refused: $(grep 'cannot rewrite' "$T/rot.out")"
! grep -qF "$DB_PASSWORD" "$T/rot.log" || rot_fail "the password shows in dkimrotate's output"
unswitched "the refused switch"
others | cmp -s "$T/rows.before" - || rot_fail "the refused switch changed other rows"
rot_last_sig old example.com || rot_fail "postdkim stopped signing with old after the refused switch"

# The right given, but the second UPDATE of a session fails: all or none.
my "GRANT UPDATE ON modoboa.dkim TO '$DB_USER'@'127.0.0.1'"
mariadb --no-defaults --socket="$MY_SOCKET" -uroot modoboa <<'EOF' || rot_fail "no trigger"
DELIMITER //
CREATE TRIGGER second_update_fails BEFORE UPDATE ON admin_domain FOR EACH ROW
BEGIN
	IF @updates IS NULL THEN
		SET @updates = 1;
	ELSE
		SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'second update refused';
	END IF;
END//
EOF
rot_adv 1h
rot_err run
grep -q "cannot rewrite the KeyTable.*second update refused" "$T/rot.out" ||
    rot_fail "the run whose second UPDATE failed does not say why: $(cat "$T/rot.out")"
unswitched "the failed second UPDATE (the first was not rolled back)"
others | cmp -s "$T/rows.before" - || rot_fail "the failed switch changed other rows"

# Nothing in the way: the next run switches both.
my "DROP TRIGGER second_update_fails"
rot_adv 1h
rot_ok run
grep -q "KeyTable .* 2 entries switched" "$T/rot.out" ||
    rot_fail "the run after the GRANT did not switch: $(cat "$T/rot.out")"
! grep -qF "$DB_PASSWORD" "$T/rot.log" || rot_fail "the password shows in dkimrotate's output"
[ "$(selector)" = "$new" ] || rot_fail "the row names $(selector), not $new"
[ "$(selector other.example.com)" = "$new2" ] ||
    rot_fail "other.example.com's row names $(selector other.example.com), not $new2"
path=$(my "SELECT dkim_private_key_path FROM admin_domain WHERE name = 'example.com'")
[ -f "$path" ] && [ "$(stat -c %a "$path")" = 600 ] || rot_fail "the row names $path, not a 0600 key"
[ "$(rot_p secondary "$new._domainkey.example.com")" = "$(lib_pubkey rsa "$path")" ] ||
    rot_fail "the row's key is not the published one"
others | cmp -s "$T/rows.before" - || rot_fail "other rows changed"
rot_signs_with "$new" example.com
sleep 1
rot_load_stop --expect-switch
rot_note ok
