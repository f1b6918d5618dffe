#!/bin/sh
# late-publish.sh - RotatePublish manual: dkimrotate prints the record and
# waits; while nobody publishes it, runs over days exit 0 and switch
# nothing, the old key keeps signing; published late, it is switched to
# only after RotateVisibleChecks (2) runs have seen it on both servers.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

ROT_PUBLISH=manual
rot_begin
rot_ok start example.com
rot_ok run
grep -q 'v=DKIM1' "$T/rot.log" || rot_fail "manual: no record printed"
new=$(grep -o '[A-Za-z0-9_-]*\._domainkey\.example\.com' "$T/rot.log" | grep -v '^old\.' | head -n 1)
new=${new%%.*}
[ -n "$new" ] || rot_fail "manual: the record printed names no new selector"
[ -z "$(rot_new_selector example.com old)" ] || rot_fail "manual mode published by itself"
rot_no_switch 4 12h example.com "switched to $new, which nobody published"
rot_status_has example.com "$new|wait|publish"
rot_signs_with old example.com
# Published at last, as printed (the key dkimrotate made beside the old one).
key=$(rot_new_key example.com "$T/keys/example.com/old.private")
[ -n "$key" ] || rot_fail "no new key beside the old one"
[ "$(stat -c %a "$key")" = 600 ] || rot_fail "new key $key is mode $(stat -c %a "$key")"
record=$($PY -c '
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"IN\s+TXT\s+\(?((?:\s*\"[^\"]*\")+)", text)
print("".join(re.findall(r"\"([^\"]*)\"", m.group(1))) if m else "")' "$T/rot.log")
case $record in
*"p=$(lib_pubkey rsa "$key")"*) ;;
*) rot_fail "the printed record is not the new key's: $record" ;;
esac
"$H" txt "$T/dns" "$new._domainkey.example.com" "$record"
"$H" sync "$T/dns"
rot_adv 1h
rot_ok run
[ "$(rot_table_selector example.com)" = old ] || rot_fail "switched after one check of the late record"
rot_adv 1h
rot_ok run
[ "$(rot_table_selector example.com)" = "$new" ] || rot_fail "no switch after 2 checks of the late record"
rot_signs_with "$new" example.com
sleep 1
rot_load_stop --expect-switch
rot_note ok
