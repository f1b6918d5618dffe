#!/bin/sh
# status-json.sh - dkimrotate status and status --json, postdkim signing
# under load, with seven domains each in another state: idle (never
# rotated), generate (started, no run yet), publish (the update refused),
# visible (seen on 2 of 3 runs), visible and waiting (the secondary lags),
# active (switched, its reload failed) and retiring (switched, an RSA-1024
# key replaced by RSA-2048). The JSON parses; every member is checked
# against what the test knows (selector, algorithm, bits, age on the --now
# clock, state, new selector, kind, what it waits for); each plain line
# says exactly what its JSON object says; a listed domain gets its line
# only, an unknown one is an error. At --now before a key file's time the
# key's age is 0, never negative. No TSIG secret shows anywhere.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

T0=$NOW
day=86400
rot_key s1.example.com old
touch -d "@$((T0 - 42 * day - 5 * 3600))" "$T/keys/s1.example.com/old.private"
rot_key s2.example.com old rsa 1024
touch -d "@$((T0 - 100 * day))" "$T/keys/s2.example.com/old.private"
for i in 3 4 5 6; do
	rot_key "s$i.example.com" old ed25519
done
rot_key s7.example.com old rsa 1024
rot_conf "RotateReload	exec:if test -e $T/reload.fail; then exit 7; fi; $POSTDKIM -c $T/postdkim.conf -r"
# 3 checks: s4 can be seen on 2; s6's failed reload is not sent again during the test.
sed -i 's/^RotateVisibleChecks.*/RotateVisibleChecks	3/; s/^RotateReloadTimeout.*/RotateReloadTimeout	1h/' "$T/postdkim.conf"
rot_daemon
rot_load_start 'sender@s%u.example.com' 1:8

# s7: retiring (its reload confirmed).
rot_ok start s7.example.com
rot_ok run
tg7=$NOW
new7=$(rot_new_selector s7.example.com old)
[ -n "$new7" ] || rot_fail "s7.example.com: nothing published"
rot_until_switch s7.example.com "$new7"
t7=$NOW
rot_signs_with "$new7" s7.example.com
# s6: active (its reload fails).
touch "$T/reload.fail"
rot_ok start s6.example.com
rot_ok run
tg6=$NOW
new6=$(rot_new_selector s6.example.com old)
for i in 1 2 3 4; do
	"$H" sync "$T/dns" || rot_fail "the secondary does not follow the primary"
	rot_adv 1h
	rot run || break
done
[ "$(rot_table_selector s6.example.com)" = "$new6" ] || rot_fail "s6.example.com did not switch"
grep -q 'reload of postdkim failed' "$T/rot.out" || rot_fail "s6's reload did not fail"
# s4: seen once (a second run when the secondary was late for the first).
rot_ok start s4.example.com
rot_adv 1m
rot_ok run
new4=$(rot_new_selector s4.example.com old)
if ! grep -q "s4.example.com: $new4 visible everywhere (1/3)" "$T/rot.out"; then
	"$H" sync "$T/dns" || rot_fail "the secondary does not follow the primary"
	rot_adv 1m
	rot_ok run
fi
# s5: published while the secondary lags; s3: its update refused.
"$H" lag "$T/dns"
"$H" allow-names "$T/dns" s4.example.com s5.example.com s6.example.com s7.example.com
rot_ok start s3.example.com s5.example.com
rot_adv 1m
rot_err run
grep -q "s4.example.com: $new4 visible everywhere (2/3)" "$T/rot.out" || rot_fail "s4 not seen on its 2nd run"
new5=$(rot_new_selector s5.example.com old)
[ -n "$new5" ] && [ "$(rot_p secondary "$new5._domainkey.s5.example.com")" = - ] || rot_fail "the secondary does not lag"
# s2: generate.
rot_ok start s2.example.com
rot_adv 1m

rot_ok status
cp "$T/rot.out" "$T/status.txt"
rot_ok status --json
cp "$T/rot.out" "$T/status.json"
$PY - "$T" "$NOW" "$T0" "$tg6" "$tg7" "$t7" "$new4" "$new5" "$new6" "$new7" "$DNS_SECONDARY_PORT" <<'EOF' || rot_fail "status --json (above)"
import json, os, re, sys
T, now, t0, tg6, tg7, t7 = sys.argv[1], *map(int, sys.argv[2:7])
new4, new5, new6, new7, sport = sys.argv[7:12]
day = 86400
objs = json.load(open(T + "/status.json"))
bad = []
def age_text(s):
    return "%dd" % (s // day) if s >= day else "%dh" % (s // 3600) if s >= 3600 else "%dm" % (s // 60)
def new_selector(d):
    # from the state file: s2 and s3 publish nothing yet
    for line in open("%s/state/%s" % (T, d)):
        if line.startswith("new_selector "):
            return line.split()[1]
sel2, sel3 = new_selector("s2.example.com"), new_selector("s3.example.com")
nm = lambda i: "s%d.example.com" % i
# domain: selector, algorithm, bits, age_seconds, state, new_selector, kind, waiting_for (regex)
want = {
    nm(1): ("old", "rsa", 2048, now - (t0 - 42 * day - 5 * 3600), "idle", None, "none", None),
    nm(2): ("old", "rsa", 1024, now - (t0 - 100 * day), "generate", sel2, "rotate",
            re.escape("the next run to make key %s" % sel2)),
    nm(3): ("old", "ed25519", 256, None, "publish", sel3, "rotate",
            re.escape("publishing %s: update of %s._domainkey.%s refused by " % (sel3, sel3, nm(3))) +
            ".*: NOTAUTH.*"),
    nm(4): ("old", "ed25519", 256, None, "visible", new4, "rotate",
            re.escape("%s seen everywhere on 2 of 3 runs" % new4)),
    nm(5): ("old", "ed25519", 256, None, "visible", new5, "rotate",
            re.escape("%s visible everywhere: " % new5) + ".*@%s .*has no record at %s yet" %
            (sport, re.escape("%s._domainkey.%s" % (new5, nm(5))))),
    nm(6): (new6, "ed25519", 256, now - tg6, "active", new6, "rotate",
            re.escape("postdkim to confirm it loaded the tables naming %s" % new6)),
    nm(7): (new7, "rsa", 2048, now - tg7, "retiring", None, "rotate",
            re.escape("retire time: old revoked at %d" % (t7 + 7 * day))),
}
if [o.get("domain") for o in objs] != [nm(i) for i in range(1, 8)]:
    bad.append("domains, in KeyTable order: %r" % [o.get("domain") for o in objs])
members = ["domain", "selector", "algorithm", "bits", "age_seconds", "age", "state",
           "new_selector", "kind", "emergency", "waiting_for"]
lines = {l.split()[0]: l.rstrip("\n") for l in open(T + "/status.txt") if l.strip()}
for o in objs:
    d = o.get("domain")
    if sorted(o) != sorted(members):
        bad.append("%s: members %r" % (d, sorted(o)))
        continue
    if d not in want:
        continue
    sel, alg, bits, age, state, newsel, kind, wait = want[d]
    got = (o["selector"], o["algorithm"], o["bits"], o["state"], o["new_selector"], o["kind"],
           o["emergency"])
    if got != (sel, alg, bits, state, newsel, kind, False):
        bad.append("%s: %r, not %r" % (d, got, (sel, alg, bits, state, newsel, kind, False)))
    # The other keys the test made: their files' time, a few seconds after the clock's start.
    a = o["age_seconds"]
    if not isinstance(a, int) or (age is not None and a != age) or \
            (age is None and abs(a - (now - t0)) > 120):
        bad.append("%s: age_seconds %r, not %r" % (d, a, age if age is not None else now - t0))
    if o["age"] != age_text(a):
        bad.append("%s: age %r for %r seconds" % (d, o["age"], a))
    w = o["waiting_for"]
    if (wait is None) != (w is None) or (wait is not None and not re.fullmatch(wait, w)):
        bad.append("%s: waiting_for %r, not /%s/" % (d, w, wait))
    plain = "%s %s %s %d %s %s" % (d, o["selector"], o["algorithm"], o["bits"], o["age"], o["state"])
    if w is not None:
        plain += " waiting for: " + w
    if lines.get(d) != plain:
        bad.append("%s: the plain line %r says other than the JSON (%r)" % (d, lines.get(d), plain))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF
[ "$(grep -c . "$T/status.txt")" = 7 ] || rot_fail "status printed $(grep -c . "$T/status.txt") lines for 7 domains"
# One domain listed: its line, its object.
rot_ok status s6.example.com
[ "$(cat "$T/rot.out")" = "$(grep '^s6\.example\.com ' "$T/status.txt")" ] || rot_fail "status s6.example.com: $(cat "$T/rot.out")"
rot_ok status --json s1.example.com
$PY -c 'import json, sys; o = json.load(open(sys.argv[1])); sys.exit(not (len(o) == 1 and o[0]["domain"] == "s1.example.com" and o[0]["state"] == "idle"))' "$T/rot.out" ||
    rot_fail "status --json s1.example.com: $(cat "$T/rot.out")"
rot_err status nosuch.example.com
grep -q 'nosuch.example.com: not in the KeyTable' "$T/rot.out" || rot_fail "status of an unknown domain: $(cat "$T/rot.out")"
# A clock before the key files' times (--now in the past): s3's key, made
# after T0, is no age yet (0), and no age is negative, in JSON or plain.
now=$NOW
NOW=$((T0 - 3600))
rot_ok status --json
cp "$T/rot.out" "$T/status-past.json"
rot_ok status
$PY - "$T/status-past.json" <<'EOF' || rot_fail "status --json with --now before the key files (above): $(cat "$T/status-past.json")"
import json, sys
objs = {o["domain"]: o for o in json.load(open(sys.argv[1]))}
bad = ["%s: age_seconds %r, age %r" % (d, o["age_seconds"], o["age"]) for d, o in sorted(objs.items())
       if not isinstance(o["age_seconds"], int) or o["age_seconds"] < 0 or o["age"].startswith("-")]
if (objs["s3.example.com"]["age_seconds"], objs["s3.example.com"]["age"]) != (0, "0m"):
    bad.append("s3.example.com: %r" % objs["s3.example.com"])
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
! awk '$5 !~ /^[0-9]+[dhm]$/' "$T/rot.out" | grep -q . || rot_fail "status with --now before the key files: $(cat "$T/rot.out")"
grep -q '^s3\.example\.com old ed25519 256 0m ' "$T/rot.out" || rot_fail "s3's key is not 0m old at --now before it: $(cat "$T/rot.out")"
NOW=$now
# No TSIG secret: not in the output, the logs, the state files.
rot_no_secret
for k in "$T/keys/tsig.key" "$T/keys/wrong.key"; do
	sec=$(sed -n 's/.*secret "\(.*\)";/\1/p' "$k")
	[ -n "$sec" ] || rot_fail "no secret read from $k"
	! grep -rqF "$sec" "$T/state" "$T/status.json" "$T/status.txt" || rot_fail "a TSIG secret shows in the state or status"
done
"$H" catchup "$T/dns"
sleep 1
rot_load_stop --expect-switch
rot_note ok
