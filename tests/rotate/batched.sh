#!/bin/sh
# batched.sh - many domains of one zone published by few UPDATE messages:
# 30 domains of example.com and one of customer.org rotated together; the
# run that publishes sends the 32 records (example.com's own too) in one
# UPDATE per zone, as its "DNS:" line says and the primary's log shows (one
# DDNS transaction per message, not per domain); every domain then goes
# through its visibility checks and switches, and signs with its new key.
# Then the primary refuses updates of one of 10 domains of sub.example.com
# (an access rule on names, answered NOTAUTH): their batch is refused, its
# records go again one by one, and only that domain fails (run non-zero,
# status says why); allowed again, it is published by the next run.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

rot_key example.com old
for i in $(seq 30); do
	rot_key "d$i.example.com" old ed25519
done
rot_key shop.customer.org old ed25519
for i in $(seq 10); do
	rot_key "e$i.sub.example.com" old ed25519
done
rot_conf
rot_daemon
rot_load_start sender@example.com
ddns() { grep -c 'DDNS, finished' "$T/dns/primary.log" || :; }
before=$(ddns)
rot_ok start example.com shop.customer.org $(seq -f 'd%g.example.com' 30)
rot_ok run
grep -q '^DNS: 32 records sent in 2 UPDATE messages$' "$T/rot.out" ||
    rot_fail "not one UPDATE per zone: $(grep '^DNS:' "$T/rot.out")"
[ "$(grep -c ': published r' "$T/rot.out")" -eq 32 ] || rot_fail "not 32 domains published"
sleep 1
after=$(ddns)
[ "$after" -gt "$before" ] && [ "$after" -le $((before + 2)) ] ||
    rot_fail "$((after - before)) DDNS transactions on the primary for 2 UPDATE messages"
new=$(rot_new_selector d30.example.com old)
[ -n "$new" ] || rot_fail "d30.example.com: nothing published"
rot_until_switch d30.example.com "$new"
for d in example.com shop.customer.org $(seq -f 'd%g.example.com' 30); do
	[ "$(rot_table_selector "$d")" = "$new" ] || rot_fail "$d did not switch with the others"
done
rot_signs_with "$new" example.com

# One name refused in a batch of 10.
"$H" allow-names "$T/dns" $(seq -f 'e%g.sub.example.com' 10 | grep -vx e7.sub.example.com)
rot_ok start $(seq -f 'e%g.sub.example.com' 10)
rot_err run
grep -q '^DNS: 20 records sent in 11 UPDATE messages$' "$T/rot.out" ||
    rot_fail "the refused batch was not sent again record by record: $(grep '^DNS:' "$T/rot.out")"
grep -q 'e7.sub.example.com: publishing r[0-9]* failed:.*NOTAUTH' "$T/rot.out" ||
    rot_fail "e7.sub.example.com's refusal not reported: $(cat "$T/rot.out")"
[ "$(grep -c ': published r' "$T/rot.out")" -eq 9 ] || rot_fail "not the 9 other domains published"
[ -z "$(rot_new_selector e7.sub.example.com old)" ] || rot_fail "e7.sub.example.com published though refused"
rot_status_has e7.sub.example.com "notauth|refus"
"$H" allow-names "$T/dns"
rot_adv 1h
rot_ok run
grep -q 'e7.sub.example.com: published r' "$T/rot.out" || rot_fail "e7.sub.example.com not published once allowed"
grep -q '^DNS: 1 records sent in 1 UPDATE messages$' "$T/rot.out" ||
    rot_fail "$(grep '^DNS:' "$T/rot.out") for one domain"
sleep 1
rot_load_stop --expect-switch
rot_note ok
