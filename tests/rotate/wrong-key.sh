#!/bin/sh
# wrong-key.sh - RotatePublish exec:PROGRAM, and a provider that publishes
# another key than the one sent: the record answered is not the new key's,
# so runs exit 0, switch nothing, and status says the record is wrong;
# once the right record is answered, 2 runs switch. The program gets the
# action, the zone, the name and the record.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/other.key" 2>/dev/null
cat > "$T/publish" <<EOS
#!/bin/sh
# The provider: records every call; while $T/wrong exists, publishes the
# p= of another key.
printf '%s\n' "\$*" >> "$T/exec.log"
action=\$1 zone=\$2 name=\${3%.} record=\$4
[ "\$zone" = example.com ] || [ "\$zone" = example.com. ] || exit 3
if [ -f "$T/wrong" ]; then
	record=\$(printf '%s' "\$record" | sed "s|p=[^;]*|p=$(lib_pubkey rsa "$T/other.key")|")
fi
case \$action in
*del* | *remove*) exec "$H" txt "$T/dns" "\$name" ;;
*) exec "$H" txt "$T/dns" "\$name" "\$record" ;;
esac
EOS
chmod 700 "$T/publish"
touch "$T/wrong"
ROT_PUBLISH="exec:$T/publish"
rot_begin
rot_ok start example.com
rot_ok run
[ -s "$T/exec.log" ] || rot_fail "the exec: program was not run"
grep -q 'example.com.*_domainkey.example.com.*v=DKIM1' "$T/exec.log" ||
    rot_fail "the exec: program did not get action, zone, name and record: $(cat "$T/exec.log")"
new=$(rot_new_selector example.com old)
[ -n "$new" ] || rot_fail "nothing published through exec:"
rot_no_switch 4 6h example.com "switched to $new whose record holds another key"
rot_status_has example.com "wrong|differ|match|expect|wait"
rm -f "$T/wrong"
# The record as sent to the program, published right.
"$H" txt "$T/dns" "$new._domainkey.example.com" "$(grep "^add " "$T/exec.log" | tail -n 1 | cut -d' ' -f4-)"
"$H" sync "$T/dns"
rot_until_switch example.com "$new" "no switch once the right record is answered"
rot_signs_with "$new" example.com
sleep 1
rot_load_stop --expect-switch
rot_note ok
