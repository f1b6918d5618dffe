#!/bin/sh
# demo.sh - postdkim's main job, end to end on one machine: dkimgen makes a
# key and its DNS record, postdkim starts on a private socket, a message goes
# through it over the milter protocol exactly as Postfix sends it, and the
# signature that comes back is checked by postdkim's verifier and by an
# independent one (dkimpy, Debian's python3-dkim) against the record.
#
#   tests/demo.sh [BUILD_DIR]        (./build.sh demo runs it)
set -eu

build=$(cd "${1:-$(dirname "$0")/../_build}" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/postdkim-demo.XXXXXX")
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

step() { printf '\n== %s\n' "$*"; }

step "1. dkimgen -s demo -d example.com: a 2048-bit RSA key and the record to publish"
"$build/keygen/dkimgen" -s demo -d example.com -D "$T"
# The zone line with its full name, for the verifiers (no real DNS here).
tr -d '\n' < "$T/demo.txt" | sed 's/^demo\._domainkey/demo._domainkey.example.com./' > "$T/zone"

step "2. postdkim, configured the way an opendkim.conf would be"
cat > "$T/postdkim.conf" <<CONF
Domain			example.com
KeyFile			$T/demo.private
Selector		demo
Canonicalization	relaxed/simple
Socket			local:$T/postdkim.sock
SyslogSuccess		yes
CONF
cat "$T/postdkim.conf"
"$build/daemon/postdkim" -n -c "$T/postdkim.conf"
"$build/daemon/postdkim" -f -c "$T/postdkim.conf" 2> "$T/postdkim.log" &
pid=$!
i=0
while [ ! -S "$T/postdkim.sock" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { cat "$T/postdkim.log"; echo "postdkim did not start" >&2; exit 1; }
	sleep 0.1
done

step "3. a message from an authenticated user, through the milter protocol"
printf '%s\n' \
	'From: Alice Martin <alice@example.com>' \
	'To: Bob <bob@example.org>' \
	'Subject: =?UTF-8?Q?R=C3=A9union?= de lundi' \
	'Date: Mon, 23 Nov 2026 10:00:00 +0100' \
	'Message-ID: <demo.1@example.com>' \
	'MIME-Version: 1.0' \
	'Content-Type: text/plain; charset=utf-8' \
	'' \
	'Bonjour Bob,' \
	'' \
	'la réunion est à 10 h.' > "$T/message.eml"
mkdir "$T/out"
"$build/tests/milter/mclient" -s "unix:$T/postdkim.sock" --auth alice --queue-id 4DemoQ1 \
	-o "$T/out" "$T/message.eml"
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=
cat "$T/postdkim.log"

step "4. the message as Postfix would queue it"
sed -n '1,/^\r*$/p' "$T/out/1.eml" | tr -d '\r'

step "5. verification"
"$build/tests/milter/dkimverify" --zone "$T/zone" "$T/out/1.eml"
/usr/bin/python3 - "$T/zone" "$T/out/1.eml" <<'PY'
import re, sys
import dkim
zone = open(sys.argv[1]).read()
record = "".join(re.findall(r'"([^"]*)"', zone)).encode()
message = open(sys.argv[2], "rb").read()
ok = dkim.verify(message, dnsfunc=lambda name, timeout=5: record)
print("dkimpy (independent verifier):", "pass" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY
printf '\nDemo done: the signature verifies. Publish the record from step 1 in your zone.\n'
