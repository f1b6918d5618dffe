#!/bin/sh
# postdkim-loaded.sh - the load record dkimrotate confirms reloads by: after
# start and after every successful reload (SIGUSR1, SIGHUP), the file
# "loaded" beside the PidFile holds "GENERATION EPOCH" with the generation
# one higher; a reload that fails leaves it as it was; without a PidFile
# there is none.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

pd_key k rsa
mkdir "$T/run"
conf() {
	cat > "$T/pd.conf" <<EOF2
Domain example.com
KeyFile $T/k.key
Selector ${1:-s}
Socket local:$T/run/pd.sock
PidFile $T/run/pd.pid
Syslog no
EOF2
}
# gen_is N: the record's generation is N (waits up to 10 s), its time now-ish.
gen_is() {
	wait_until 100 sh -c "[ \"\$(cut -d' ' -f1 '$T/run/loaded' 2>/dev/null)\" = $1 ]" ||
	    tl_fail "load record '$(cat "$T/run/loaded" 2>/dev/null)', expected generation $1"
	grep -Eqx "$1 [0-9]+" "$T/run/loaded" || tl_fail "load record '$(cat "$T/run/loaded")' is not 'GENERATION EPOCH'"
	t=$(cut -d' ' -f2 "$T/run/loaded")
	now=$(date +%s)
	[ "$t" -le "$now" ] && [ "$t" -ge $((now - 60)) ] || tl_fail "load record time $t, now $now"
}

conf
pd_start pd "$T/pd.conf"
gen_is 1
[ "$(stat -c %a "$T/run/loaded")" = 644 ] || tl_fail "the load record is mode $(stat -c %a "$T/run/loaded")"
kill -USR1 "$PD_PID"
gen_is 2
kill -HUP "$PD_PID"
gen_is 3
# A reload that fails keeps the configuration in force, and the record.
echo "Frobnicate yes" >> "$T/pd.conf"
kill -USR1 "$PD_PID"
wait_until 100 grep -q 'reload failed' "$T/pd.log" || tl_fail "the broken reload was not logged"
sleep 1
gen_is 3
conf s2
kill -USR1 "$PD_PID"
gen_is 4
# No temporary file left beside it.
[ "$(ls "$T/run" | grep -c loaded)" = 1 ] || tl_fail "files beside the record: $(ls "$T/run")"
pd_stop "$PD_PID" || tl_fail "postdkim did not stop cleanly"

# Without a PidFile: no record anywhere.
rm -f "$T/run/loaded"
sed -i '/^PidFile/d' "$T/pd.conf"
pd_start pd2 "$T/pd.conf"
sleep 1
[ ! -e "$T/run/loaded" ] || tl_fail "a load record without a PidFile"
pd_stop "$PD_PID" || tl_fail "postdkim did not stop cleanly"
tl_note "ok"
