#!/bin/sh
# rsa4096.sh - start -b 4096: a record of about 750 bytes, published in
# strings of at most 255 bytes, larger than a plain UDP answer (the check
# must take it over TCP or EDNS); after the switch postdkim signs with the
# 4096-bit key and every signature verifies against both servers.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

rot_begin
rot_ok start -b 4096 example.com
rot_ok run
new=$(rot_new_selector example.com old)
[ -n "$new" ] || rot_fail "nothing published"
kdig +tcp @127.0.0.1 -p "$DNS_PRIMARY_PORT" TXT "$new._domainkey.example.com" > "$T/kdig.out"
$PY - "$T/kdig.out" <<'PYEOF' || rot_fail "the 4096-bit record is not in strings of at most 255 bytes"
import re, sys
text = open(sys.argv[1]).read()
ans = [l for l in text.splitlines() if "\tTXT\t" in l and not l.startswith(";")]
strings = re.findall(r'"((?:[^"\\]|\\.)*)"', ans[0]) if ans else []
total = sum(len(s) for s in strings)
print("record: %d bytes in %d strings" % (total, len(strings)))
sys.exit(0 if total > 700 and len(strings) >= 3 and all(len(s) <= 255 for s in strings) else 1)
PYEOF
rot_until_switch example.com "$new" "no switch to the 4096-bit key"
kf=$(sed -n "s/.* example.com:$new:\(.*\)/\1/p" "$T/keytable")
openssl pkey -in "$kf" -noout -text 2>/dev/null | head -1 | grep -q 4096 || rot_fail "$kf is not a 4096-bit key"
[ "$(rot_p secondary "$new._domainkey.example.com")" = "$(lib_pubkey rsa "$kf")" ] ||
    rot_fail "the secondary does not answer the 4096-bit record whole"
rot_signs_with "$new" example.com
sleep 1
rot_load_stop --expect-switch
rot_note ok
