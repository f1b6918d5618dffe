#!/bin/sh
# lifecycle.sh - one domain's whole rotation with file: tables, postdkim
# signing under load throughout: start, publish (TSIG update), visible on
# both servers on 2 runs, switch (the KeyTable rewritten with its comments,
# other lines and order kept; one reload), retiring 7 days, revoked (empty
# p=), held 1 day, deleted (record gone, key archived 0600). start on a
# domain already rotating says so and exits 0; an unknown one is an error;
# run is idempotent; options go before or after the operands.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

rot_key example.com old
rot_key d1.example.com keep
rot_conf
rot_daemon
rot_invariants
rot_load_start sender@example.com
cp "$T/keytable" "$T/keytable.before"
cp "$T/signingtable" "$T/signingtable.before"
old_p=$(lib_pubkey rsa "$T/keys/example.com/old.private")

rot_ok status
grep example.com "$T/rot.out" | grep -q old || rot_fail "status does not show example.com's selector old"
rot_ok start example.com
rot start example.com || rot_fail "start on a domain already rotating exits non-zero"
rot_err start nosuch.example
rot_ok run
new=$(rot_new_selector example.com old)
[ -n "$new" ] || rot_fail "run published no new selector"
case $new in r$(date -u -d "@$NOW" +%Y%m%d)*) ;; *) rot_fail "selector $new is not RotateSelectorFormat r%Y%m%d" ;; esac
[ "$(rot_table_selector example.com)" = old ] || rot_fail "switched after one visibility check"
new_p=$(rot_p primary "$new._domainkey.example.com")
[ "$new_p" != - ] && [ -n "$new_p" ] || rot_fail "the new record has no key"
rot_wait_p secondary "$new._domainkey.example.com" "$new_p"
reloads=$(rot_reloads)
rot_until_switch example.com "$new"
rot_signs_with "$new" example.com
[ "$(rot_reloads)" -eq $((reloads + 1)) ] || rot_fail "$(($(rot_reloads) - reloads)) reloads for one switch"
# Every other line, comment and order kept.
grep -v '^old\._domainkey\.example\.com \|example.com:old:' "$T/keytable.before" > "$T/kt.a"
grep -v "example.com:$new:\|^old\._domainkey\.example\.com \|^$new\._domainkey\.example\.com " "$T/keytable" > "$T/kt.b"
cmp -s "$T/kt.a" "$T/kt.b" || { diff "$T/kt.a" "$T/kt.b" >&2; rot_fail "the KeyTable's other lines changed"; }
grep -q '^# example.com, signed since the start' "$T/keytable" || rot_fail "a comment was lost"
grep -q '^d1.example.com ' "$T/signingtable" || rot_fail "d1's SigningTable line was lost"
# Retiring: the old record stays 7 days after the switch.
rot_adv 6d
rot_ok run
[ "$(rot_p primary old._domainkey.example.com)" = "$old_p" ] || rot_fail "the old record changed before RotateRetireAfter"
rot_adv 2d
rot_ok run
rot_wait_p primary old._domainkey.example.com ""
rot_wait_p secondary old._domainkey.example.com ""
[ -f "$T/keys/example.com/old.private" ] || rot_fail "the old key went with the revocation (before RotateRevokeHold)"
rot_adv 1h
rot_ok run
rot_adv 2d
rot_ok run
rot_adv 1h
rot_ok run
rot_wait_p primary old._domainkey.example.com -
rot_wait_p secondary old._domainkey.example.com -
# The key goes in the first run that sees the record gone everywhere.
rot_adv 1h
rot_ok run
[ ! -f "$T/keys/example.com/old.private" ] || rot_fail "the old key is still there after the deletion"
a=$(find "$T/archive" -type f | head -n 1)
if [ -n "$a" ]; then
	[ "$(stat -c %a "$a")" = 600 ] || rot_fail "archived key $a is mode $(stat -c %a "$a")"
	[ "$(lib_pubkey rsa "$a")" = "$old_p" ] || rot_fail "the archive holds another key"
fi
cp "$T/keytable" "$T/kt.done"
rot_adv 1d
rot_ok run
cmp -s "$T/kt.done" "$T/keytable" || rot_fail "an idle run changed the KeyTable"
rot_status_has example.com "$new"
rot_no_secret
sleep 1
rot_load_stop --expect-switch
rot_note ok
