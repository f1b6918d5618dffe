#!/bin/sh
# interval.sh - rotations begun by age, postdkim signing under load: without
# RotateInterval, run starts nothing, however old the keys; start
# --older-than AGE starts exactly the keys older than AGE. With
# RotateInterval 180d, run (no start) begins the rotation of 20 domains
# whose keys are 170 days old spread over a tenth of the interval: none one
# second before 180d, some but not all at 189d, all at 198d; keys 10 days
# old never. Those rotations go on to switch as any other (the load checks
# every signature), and the keys started by --older-than switch meanwhile.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

T0=$NOW
day=86400
# d1..d20 170 days old, d21 and d22 400 (d21 RSA), y1 and y2 10.
for i in $(seq 22); do
	if [ "$i" = 21 ]; then rot_key d21.example.com old; else rot_key "d$i.example.com" old ed25519; fi
	age=170
	[ "$i" -le 20 ] || age=400
	touch -d "@$((T0 - age * day))" "$T/keys/d$i.example.com/old.private"
done
for i in 1 2; do
	rot_key "y$i.example.com" old ed25519
	touch -d "@$((T0 - 10 * day))" "$T/keys/y$i.example.com/old.private"
done
# A 400-day-old key for every sender's own domain (%): never rotated, said so.
openssl genpkey -algorithm ED25519 -out "$T/keys/shared.private" 2>/dev/null || rot_fail "openssl genpkey"
chmod 600 "$T/keys/shared.private"
touch -d "@$((T0 - 400 * day))" "$T/keys/shared.private"
printf 'shared %%:shared:%s\n' "$T/keys/shared.private" >> "$T/keytable"
printf 'hosted.example shared\n' >> "$T/signingtable"
rot_conf
rot_daemon
rot_load_start 'sender@d%u.example.com' 1:23
started() { sed -n 's/^\([^:]*\): rotation started: old -> .*/\1/p' "$T/rot.out" | sort; }
seq -f 'd%g.example.com' 20 | sort > "$T/olds"
olds=$(cat "$T/olds")

# No RotateInterval: nothing starts, even 400-day-old keys.
rot_ok run
[ -z "$(started)" ] || rot_fail "run without RotateInterval started $(started)"
[ -z "$(ls "$T/state")" ] || rot_fail "run without RotateInterval left states: $(ls "$T/state")"
rot_ok status
[ "$(grep -c ' idle$' "$T/rot.out")" = 24 ] || rot_fail "not 24 idle domains: $(cat "$T/rot.out")"
grep -q '^d1.example.com old ed25519 256 170d idle$' "$T/rot.out" || rot_fail "status does not say d1's key is 170d old"
grep -q "^% shared ed25519 256 400d idle not rotated: entry shared signs for each sender's own domain (%)" "$T/rot.out" ||
    rot_fail "status does not list the % entry as not rotated: $(grep '^%' "$T/rot.out")"
# --older-than: the 400-day-old keys only.
rot_ok start --older-than 300d
[ "$(started | tr '\n' ' ')" = "d21.example.com d22.example.com " ] ||
    rot_fail "start --older-than 300d started '$(started | tr '\n' ' ')', not d21 and d22"
grep -q '^d21.example.com: rotation started: old -> r[0-9]* (rsa 2048)$' "$T/rot.out" || rot_fail "d21: not RSA 2048"
grep -q '^KeyTable entry shared skipped: it signs for each sender.s own domain (%)' "$T/rot.out" ||
    rot_fail "start --older-than did not say why the % entry is left: $(cat "$T/rot.out")"
rot_ok start --older-than 300d
[ -z "$(started)" ] || rot_fail "a second start --older-than started $(started)"

# RotateInterval 180d: spread over 18 days from 180d.
rot_conf "RotateInterval	180d"
NOW=$((T0 + 10 * day - 1))
rot_ok run
[ -z "$(started)" ] || rot_fail "started a second before RotateInterval: $(started)"
new21=$(rot_new_selector d21.example.com old)
[ -n "$new21" ] || rot_fail "d21.example.com (started by --older-than) not published"
"$H" sync "$T/dns" || rot_fail "the secondary does not follow the primary"
NOW=$((T0 + 19 * day))
rot_ok run
started > "$T/first"
n=$(wc -l < "$T/first")
[ "$n" -gt 0 ] && [ "$n" -lt 20 ] || rot_fail "$n of 20 domains started at 189d: not spread"
[ -z "$(comm -23 "$T/first" "$T/olds")" ] || rot_fail "started at 189d, not among the old keys: $(comm -23 "$T/first" "$T/olds")"
rot_note "$n of 20 due domains started at 189d"
"$H" sync "$T/dns" || rot_fail "the secondary does not follow the primary"
NOW=$((T0 + 28 * day))
rot_ok run
started > "$T/second"
[ "$(sort "$T/first" "$T/second")" = "$olds" ] ||
    rot_fail "at 198d the started domains are not all 20 old ones, each once: $(sort "$T/first" "$T/second" | tr '\n' ' ')"
# The first ones switch now, the others in the next runs.
last=$(head -n 1 "$T/second")
newl=$(rot_new_selector "$last" old)
[ -n "$newl" ] || rot_fail "$last: nothing published"
rot_until_switch "$last" "$newl"
for d in $olds d22.example.com; do
	[ "$(rot_table_selector "$d")" != old ] || rot_fail "$d did not switch"
done
[ "$(rot_table_selector d21.example.com)" = "$new21" ] || rot_fail "d21.example.com did not switch"
rot_signs_with "$new21" d21.example.com
for d in y1.example.com y2.example.com; do
	[ "$(rot_table_selector "$d")" = old ] || rot_fail "$d (10 days old) was rotated"
	[ ! -e "$T/state/$d" ] || rot_fail "$d (10 days old) has a rotation state"
done
rot_signs_with "$newl" "$last"
rot_no_secret
sleep 1
rot_load_stop --expect-switch
rot_note ok
