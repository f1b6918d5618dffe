#!/bin/sh
# reload-exec.sh - RotateReload exec:COMMAND, postdkim signing under load:
# the command (through /bin/sh: it appends to a file, then runs postdkim -r)
# runs once per run that switches, whatever the number of domains switching
# (three here), never in a run that switches nothing; postdkim signs with
# the new keys after it, and the retire clock starts at the confirmed load.
# A command that fails makes the run exit non-zero and say so; its domains
# stay active (the KeyTable already names the new keys, postdkim still
# signs with the old ones, still published) until a later run, after
# RotateReloadTimeout, sends the reload again and sees it confirmed;
# RotateRetireAfter counts from that confirmation, not from the failed run.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

rot_key d1.example.com old
for i in 2 3 4 5 6; do
	rot_key "d$i.example.com" old ed25519
done
# Every invocation appends a line; reload.fail makes it fail (status 7).
rot_conf "RotateReload	exec:echo \"\$\$\" >> $T/reload.count; if test -e $T/reload.fail; then exit 7; fi; $POSTDKIM -c $T/postdkim.conf -r"
: > "$T/reload.count"
rot_daemon
rot_load_start 'sender@d%u.example.com' 1:7
reloads() { wc -l < "$T/reload.count" | tr -d ' '; }
# The state status shows (in its own file: $T/rot.out keeps the last run's).
state() {
	"$DKIMROTATE" -c "$T/postdkim.conf" status "$1" --now "$NOW" > "$T/status.out" 2>&1 || rot_fail "status $1: $(cat "$T/status.out")"
	cat "$T/status.out" >> "$T/rot.log"
	awk '{print $6}' "$T/status.out"
}
# switched3 SELECTOR-RE HOW D...: the last run sent one reload for 3
# domains, and each D.example.com switched to SELECTOR-RE, confirmed (HOW),
# and is retiring.
switched3() {
	_sel=$1 _how=$2
	shift 2
	grep -q '^reload sent to postdkim (3 domains switching)$' "$T/rot.out" ||
	    rot_fail "not one reload for the 3 domains $_how: $(cat "$T/rot.out")"
	for d; do
		grep -q "^$d.example.com: switched to $_sel (postdkim load " "$T/rot.out" ||
		    rot_fail "$d.example.com's switch not confirmed $_how"
		[ "$(state "$d.example.com")" = retiring ] || rot_fail "$d.example.com is $(state "$d.example.com"), not retiring"
	done
}

# Set 1: a working command, three domains switching in one run.
rot_ok start d1.example.com d2.example.com d3.example.com
rot_ok run
[ "$(reloads)" = 0 ] || rot_fail "the reload command ran in a run that switched nothing"
new1=$(rot_new_selector d1.example.com old)
[ -n "$new1" ] || rot_fail "d1.example.com: nothing published"
rot_until_switch d1.example.com "$new1"
[ "$(reloads)" = 1 ] || rot_fail "$(reloads) runs of the reload command for one run switching 3 domains"
switched3 'r[0-9]*' "in the run that switched them" d1 d2 d3
rot_signs_with "$new1" d1.example.com
rot_signs_with "$new1" d3.example.com

# Set 2: the command fails.
touch "$T/reload.fail"
rot_ok start d4.example.com d5.example.com d6.example.com
rot_ok run
new4=$(rot_new_selector d4.example.com old)
[ -n "$new4" ] || rot_fail "d4.example.com: nothing published"
before=$(reloads)
for i in 1 2 3; do
	"$H" sync "$T/dns" || rot_fail "the secondary does not follow the primary"
	rot_adv 1h
	if rot run; then
		[ "$(rot_table_selector d4.example.com)" = old ] ||
		    rot_fail "the run switched d4.example.com, its reload failed, yet it exited 0"
		[ "$(reloads)" = "$before" ] || rot_fail "the reload command ran in a run that switched nothing"
	else
		break
	fi
done
rot_invariants
t1=$NOW
[ "$(rot_table_selector d4.example.com)" = "$new4" ] || rot_fail "d4.example.com did not switch in 3 runs"
[ "$(reloads)" = $((before + 1)) ] || rot_fail "$(($(reloads) - before)) runs of the reload command in the failing run"
grep -q '^dkimrotate: reload of postdkim failed: RotateReload command failed (status 7)$' "$T/rot.out" ||
    rot_fail "the run does not say the reload failed: $(cat "$T/rot.out")"
! grep -q ': switched to' "$T/rot.out" || rot_fail "a switch was reported without a confirmed load"
for d in d4 d5 d6; do
	[ "$(rot_table_selector "$d.example.com")" = "$new4" ] || rot_fail "$d.example.com not in the same switch"
	[ "$(state "$d.example.com")" = active ] || rot_fail "$d.example.com is $(state "$d.example.com") after a failed reload, not active"
done
sleep 1
grep 'd=d4\.example\.com;' "$T/load.log" | grep -q 's=old;' || rot_fail "no d4.example.com message signed"
! grep 'd=d4\.example\.com;' "$T/load.log" | grep -q "s=$new4;" ||
    rot_fail "postdkim signs d4.example.com with the new key without a reload"
# Before RotateReloadTimeout (20s): wait, send nothing.
rot_adv 10s
rot_ok run
[ "$(reloads)" = $((before + 1)) ] || rot_fail "the reload was sent again before RotateReloadTimeout"
grep -q '^d4.example.com: waiting: postdkim to confirm' "$T/rot.out" || rot_fail "the run does not say d4.example.com waits for the reload"
[ "$(state d4.example.com)" = active ] || rot_fail "d4.example.com left active without a load"
# After it: sent again, fails again.
rot_adv 1h
rot_err run
[ "$(reloads)" = $((before + 2)) ] || rot_fail "the unconfirmed reload was not sent again after RotateReloadTimeout"
grep -q 'reload of postdkim failed' "$T/rot.out" || rot_fail "the second failure is not reported"
[ "$(state d6.example.com)" = active ] || rot_fail "d6.example.com left active without a load"
# The command works again: the next run sends it and sees the load.
rm -f "$T/reload.fail"
rot_adv 1d
rot_ok run
t3=$NOW
[ "$(reloads)" = $((before + 3)) ] || rot_fail "$(($(reloads) - before - 2)) runs of the reload command in the run that re-sent it"
switched3 "$new4" "by the re-sent reload" d4 d5 d6
rot_signs_with "$new4" d4.example.com
rot_signs_with "$new4" d6.example.com
# RotateRetireAfter (7d) from the confirmation: 7d after the failed switch
# set 1's old records go, set 2's stay until 7d after t3.
old4=$(lib_pubkey ed25519 "$T/keys/d4.example.com/old.private")
NOW=$((t1 + 7 * 86400 + 3600))
rot_ok run
rot_wait_p primary old._domainkey.d1.example.com ""
[ "$(rot_p primary old._domainkey.d4.example.com)" = "$old4" ] ||
    rot_fail "d4.example.com's old record revoked 7d after the failed reload, before 7d after the confirmed one"
[ "$(state d4.example.com)" = retiring ] || rot_fail "d4.example.com is $(state d4.example.com), not retiring"
NOW=$((t3 + 7 * 86400 + 60))
rot_ok run
rot_wait_p primary old._domainkey.d4.example.com ""
rot_wait_p primary old._domainkey.d6.example.com ""
[ "$(reloads)" = $((before + 3)) ] || rot_fail "the reload command ran in a run that switched nothing"
rot_no_secret
sleep 1
rot_load_stop --expect-switch
rot_note ok
