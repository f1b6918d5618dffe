#!/bin/sh
# kill9.sh - dkimrotate killed with SIGKILL at every point of every
# transition (publish, each check, switch and reload, revoke, delete), for
# three domains at once: after each kill the invariants hold (no published
# record whose private key is gone, no key deleted before its record is
# revoked, no switch to an unseen selector), and the next run resumes and
# completes the step. Load and signature checks throughout.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

for d in d0 d1 d2; do
	rot_key $d.example.com old
done
rot_conf
rot_daemon
rot_load_start 'sender@d%u.example.com' 0:3
KILLS=0

# killed_runs: dkimrotate run killed after 0 to 400 ms, several times,
# the invariants checked after each; then a full run.
killed_runs() {
	for ms in 0 3 10 25 50 80 120 200 400; do
		echo "== dkimrotate run --now $NOW (killed after $ms ms)" >> "$T/rot.log"
		"$DKIMROTATE" -c "$T/postdkim.conf" run --now "$NOW" >> "$T/rot.log" 2>&1 &
		p=$!
		sleep "$(echo "$ms" | awk '{printf "%.3f", $1 / 1000}')"
		if kill -9 "$p" 2>/dev/null; then
			KILLS=$((KILLS + 1))
		fi
		wait "$p" 2>/dev/null || :
		rot_invariants
	done
	rot_ok run
}

rot_ok start d0.example.com d1.example.com d2.example.com
killed_runs
for d in d0 d1 d2; do
	[ -n "$(rot_new_selector $d.example.com old)" ] || rot_fail "$d: nothing published"
done
"$H" sync "$T/dns"
rot_adv 1h
killed_runs
rot_adv 1h
killed_runs
for d in d0 d1 d2; do
	new=$(rot_new_selector $d.example.com old)
	[ "$(rot_table_selector $d.example.com)" = "$new" ] || rot_fail "$d: no switch to $new"
done
rot_signs_with "$(rot_new_selector d0.example.com old)" d0.example.com
rot_adv 8d
killed_runs
"$H" sync "$T/dns"
rot_adv 1h
killed_runs
rot_adv 2d
killed_runs
rot_adv 1h
killed_runs
"$H" sync "$T/dns"
rot_adv 1h
rot_ok run
for d in d0 d1 d2; do
	rot_wait_p primary old._domainkey.$d.example.com -
	[ ! -f "$T/keys/$d.example.com/old.private" ] || rot_fail "$d: old key never deleted"
done
# The machine stopped after a run linked a new key but before it flushed
# it: the key file is there, empty. Its record never went out (keys are
# flushed first), so the next run writes the key again and publishes it.
rot_key d3.example.com old
"$H" sync "$T/dns"
rot_ok start d3.example.com
k3=$(sed -n 's/^new_key //p' "$T/state/d3.example.com")
[ -n "$k3" ] || rot_fail "d3: no new key in the state"
[ ! -e "$k3" ] || rot_fail "d3: start wrote the key already"
: > "$k3"
chmod 600 "$k3"
rot_ok run
openssl pkey -in "$k3" -noout 2>/dev/null || rot_fail "d3: the empty key file was not written again"
sel3=$(sed -n 's/^new_selector //p' "$T/state/d3.example.com")
grep -q "published $sel3" "$T/rot.log" || rot_fail "d3: $sel3 not published"
rot_invariants
rot_note "$KILLS runs killed"
[ "$KILLS" -gt 0 ] || rot_fail "no run was killed (all ended within 0 ms?)"
sleep 1
rot_load_stop --expect-switch
rot_note ok
