#!/bin/sh
# postdkim-config.sh - configuration errors stop postdkim with one line that
# names the file, line and keyword (or the key file and what is wrong), for
# -n and for the daemon alike; the plain OpenDKIM-style configuration works;
# SIGHUP/SIGUSR1 reload a good configuration, and a broken one is refused
# while signing goes on with the old. No output shows a database password,
# and a file holding one that others can read is named.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

mkdir -m 700 "$T/keys"
for k in k1 k2 k3; do
	pd_key "$k" rsa
	mv "$T/$k.key" "$T/keys/$k.key"
done
pd_zone s1 example.com keys/k1
pd_zone s2 example.com keys/k2
pd_zone s3 example.com keys/k3

# The five lines of a real OpenDKIM setup, paths replaced.
good() {
	cat <<EOF
Domain example.com
KeyFile $T/keys/$1.key
Selector $2
Canonicalization relaxed/simple
Socket local:$T/pd.sock
EOF
}

# bad NAME EXPECT... : postdkim -n on $T/NAME.conf fails with a message that
# contains every EXPECT; the daemon refuses to start on it too.
bad() {
	name=$1
	shift
	st=0
	"$POSTDKIM" -n -c "$T/$name.conf" > "$T/$name.out" 2>&1 || st=$?
	[ $st -ne 0 ] || { cat "$T/$name.out" >&2; tl_fail "$name: -n accepted a broken configuration"; }
	for e in "$@"; do
		grep -qF -- "$e" "$T/$name.out" || { cat "$T/$name.out" >&2; tl_fail "$name: message lacks '$e'"; }
	done
	tl_note "$name (exit $st): $(head -1 "$T/$name.out")"
	st=0
	"$POSTDKIM" -f -c "$T/$name.conf" > "$T/$name.daemon" 2>&1 &
	p=$!
	tl_waitgone $p 100 || { kill -9 $p; tl_fail "$name: the daemon started on a broken configuration"; }
	wait $p || st=$?
	[ $st -ne 0 ] || tl_fail "$name: the daemon exited 0 on a broken configuration"
	[ ! -e "$T/pd.sock" ] || tl_fail "$name: socket created for a broken configuration"
}

good k1 s1 > "$T/ok.conf"
"$POSTDKIM" -n -c "$T/ok.conf" > "$T/ok.out" 2>&1 || { cat "$T/ok.out" >&2; tl_fail "-n refuses a good configuration"; }

# A typo in a keyword.
{ good k1 s1; echo "Selectr s1"; } > "$T/typo.conf"
bad typo "$T/typo.conf:6" "Selectr"

# A missing key file.
good nothere s1 > "$T/nokey.conf"
bad nokey "$T/nokey.conf:2" "$T/keys/nothere.key"

# A key readable by others.
cp "$T/keys/k1.key" "$T/keys/open.key"
chmod 644 "$T/keys/open.key"
good open s1 > "$T/open.conf"
bad open "$T/keys/open.key" "644"
# ... which RequireSafeKeys no turns into a warning.
{ good open s1; echo "RequireSafeKeys no"; } > "$T/unsafe-ok.conf"
"$POSTDKIM" -n -c "$T/unsafe-ok.conf" > "$T/unsafe-ok.out" 2>&1 \
    || { cat "$T/unsafe-ok.out" >&2; tl_fail "RequireSafeKeys no still refuses"; }
grep -qF "$T/keys/open.key" "$T/unsafe-ok.out" || tl_fail "RequireSafeKeys no: no warning naming the key"

# A key in a directory anyone may write to (not sticky).
mkdir -m 777 "$T/opendir"
chmod 777 "$T/opendir"
cp "$T/keys/k1.key" "$T/opendir/k.key"
chmod 600 "$T/opendir/k.key"
{ good k1 s1 | sed "s|$T/keys/k1.key|$T/opendir/k.key|"; } > "$T/opendir.conf"
bad opendir "$T/opendir"

# A SigningTable entry naming a missing KeyTable entry: -n refuses it, and
# the daemon starts all the same, warns, signs example.com and defers the
# mail of example.org only.
printf 'k1 example.com:s1:%s/keys/k1.key\n' "$T" > "$T/keytable"
printf '# signing table\nexample.com k1\nexample.org k9\n' > "$T/signingtable"
printf 'KeyTable %s/keytable\nSigningTable %s/signingtable\nSocket local:%s/pd.sock\nSyslog no\n' \
    "$T" "$T" "$T" > "$T/tables.conf"
st=0
"$POSTDKIM" -n -c "$T/tables.conf" > "$T/tables.out" 2>&1 || st=$?
[ $st -ne 0 ] || { cat "$T/tables.out" >&2; tl_fail "tables: -n accepted a SigningTable entry naming no key"; }
grep -qF "$T/signingtable:3: SigningTable entry 'example.org' names key 'k9'" "$T/tables.out" \
    || { cat "$T/tables.out" >&2; tl_fail "tables: -n message lacks the file, line and key"; }
pd_start tables "$T/tables.conf"
grep -qF "$T/signingtable:3" "$T/tables.log" || { cat "$T/tables.log" >&2; tl_fail "tables: no warning at start"; }
printf 'From: a@example.com\nTo: b@example.net\nSubject: t\n\nbody\n' > "$T/t1.eml"
printf 'From: a@example.org\nTo: b@example.net\nSubject: t\n\nbody\n' > "$T/t2.eml"
mkdir "$T/tables.d"
"$MCLIENT" -s "unix:$T/pd.sock" -o "$T/tables.d" "$T/t1.eml" "$T/t2.eml" > "$T/tables.mc" 2>&1 \
    || { cat "$T/tables.mc" >&2; tl_fail "tables: mclient failed"; }
grep -q '^1 accept .* ins=1 ' "$T/tables.mc" && grep -q '^2 tempfail ' "$T/tables.mc" \
    || { cat "$T/tables.mc" "$T/tables.log" >&2; tl_fail "tables: want example.com signed, example.org deferred"; }
pd_check 1 "$T/tables.d/1.eml"
pd_stop "$PD_PID" || tl_fail "postdkim did not stop cleanly"
tl_note "tables: -n refuses the dangling entry; the daemon signs example.com, defers example.org"

# Features postdkim does not have are refused, not ignored.
{ good k1 s1; echo "Mode sr"; } > "$T/mode.conf"
bad mode "$T/mode.conf:6" "Mode"
{ good k1 s1; echo "On-Default bounce"; } > "$T/action.conf"
bad action "$T/action.conf:6" "On-Default: 'bounce' is not accept, tempfail, reject, discard"
# OpenDKIM's action forms load: abbreviations, discard, quarantine.
{ good k1 s1; printf 'On-Default q\nOn-SignatureError discard\nOn-KeyError T\n'; } > "$T/forms.conf"
"$POSTDKIM" -n -c "$T/forms.conf" > "$T/forms.out" 2>&1 || { cat "$T/forms.out" >&2; tl_fail "On-* forms refused"; }
# OpenDKIM's verifier-only keywords: a warning, not an error.
{ good k1 s1; echo "TrustAnchorFile /usr/share/dns/root.key"; } > "$T/ta.conf"
"$POSTDKIM" -n -c "$T/ta.conf" > "$T/ta.out" 2>&1 || { cat "$T/ta.out" >&2; tl_fail "TrustAnchorFile refused"; }

# A database password is never shown: not by -n, at start, per message or
# at reload, whatever the mistake (a typo of dsn:, a value in the wrong
# keyword, a '/' in it, a server that refuses the connection); and a file
# that holds one and that others can read is named with its fix.
PW='Pa:ss@w0rd'
url() { printf '%s://postdkim:%s@%s/db/table=t?keycol=k?datacol=v' "$1" "$PW" "$2"; }
# nopw FILE...: no part of the password in any of them.
nopw() {
	for f in "$@"; do
		! grep -e 'w0rd' -e 'Pa:ss' "$f" || tl_fail "$f shows the password"
	done
}
{ good k1 s1; echo "KeyTable dns:$(url pgsql 127.0.0.1)"; echo "SigningTable $T/signingtable"; } > "$T/pw-dns.conf"
chmod 0644 "$T/pw-dns.conf"
bad pw-dns "pw-dns.conf:6: KeyTable: 'dns:pgsql://postdkim:***@127.0.0.1/db/"
{ good k1 s1; echo "KeyTable $T/keytable"; echo "SigningTable dsm:$(url mysql 127.0.0.1)"; } > "$T/pw-dsm.conf"
bad pw-dsm "pw-dsm.conf:7: SigningTable: 'dsm:mysql://postdkim:***@127.0.0.1/db/"
good k1 s1 | sed "s|^Domain .*|Domain dns:$(url pgsql 127.0.0.1)|" > "$T/pw-domain.conf"
bad pw-domain "pw-domain.conf:1: Domain: 'dns:pgsql://postdkim:***@127.0.0.1/db/"
{ good k1 s1; echo "InternalHosts dns:$(url pgsql 127.0.0.1)"; } > "$T/pw-hosts.conf"
bad pw-hosts "pw-hosts.conf:6: InternalHosts:"
{ good k1 s1; echo "dsn:$(url pgsql 127.0.0.1)"; } > "$T/pw-line.conf"
bad pw-line "pw-line.conf:6: unknown keyword 'dsn:pgsql://postdkim:***@127.0.0.1/db/"
{ good k1 s1; echo "KeyTable dsn:pgsql://postdkim:Pa:ss/w0rd@127.0.0.1/table=t?keycol=k?datacol=v"; echo "SigningTable $T/signingtable"; } > "$T/pw-slash.conf"
bad pw-slash "pw-slash.conf:6: KeyTable: dsn: ':' without '@HOST'"
grep -q "pw-dns.conf:6: KeyTable holds a database password, and $T/pw-dns.conf is readable by others (mode 0644): chmod 0600 $T/pw-dns.conf (no UserID" \
    "$T/pw-dns.out" || { cat "$T/pw-dns.out" >&2; tl_fail "no warning about a password readable by others"; }
# Servers that refuse the connection (nothing listens on port 1): -n names
# them with their client library's words; the daemon starts (tables are
# asked per message), tempfails our mail and logs why.
for be in pgsql mysql; do
	printf 'KeyTable dsn:%s\nSigningTable dsn:%s\nSocket local:%s/pd.sock\nSyslog no\n' \
	    "$(url $be 1+127.0.0.1)" "$(url $be 1+127.0.0.1)" "$T" > "$T/pw-$be.conf"
	"$POSTDKIM" -n -c "$T/pw-$be.conf" > "$T/pw-$be.out" 2>&1 && tl_fail "pw-$be: -n accepted an unreachable server"
	grep -q "KeyTable dsn:$be://postdkim@1+127.0.0.1/db/.* at 127.0.0.1 port 1: cannot connect: " "$T/pw-$be.out" ||
	    { cat "$T/pw-$be.out" >&2; tl_fail "pw-$be: -n does not name the server"; }
	pd_start "pw-$be" "$T/pw-$be.conf"
	"$MCLIENT" -s "unix:$T/pd.sock" "$T/t1.eml" > "$T/pw-$be.mc" 2>&1 || tl_fail "pw-$be: mclient failed"
	grep -q '^1 tempfail ' "$T/pw-$be.mc" || { cat "$T/pw-$be.mc" >&2; tl_fail "pw-$be: not tempfailed"; }
	pd_stop "$PD_PID" || tl_fail "pw-$be: postdkim did not stop cleanly"
	grep -q "SigningTable dsn:$be://postdkim@1+127.0.0.1/.*cannot connect" "$T/pw-$be.log" ||
	    { cat "$T/pw-$be.log" >&2; tl_fail "pw-$be: the log does not say why"; }
	tl_note "pw-$be: $(grep -m 1 'cannot connect' "$T/pw-$be.log")"
done
# A mistyped dsn: at reload: refused, logged without the password.
good k1 s1 > "$T/pw-rl.conf"
pd_start pw-rl "$T/pw-rl.conf"
{ good k1 s1; echo "KeyTable dns:$(url pgsql 127.0.0.1)"; echo "SigningTable $T/signingtable"; } > "$T/pw-rl.conf"
kill -HUP "$PD_PID"
n=0
until grep -q "reload failed" "$T/pw-rl.log"; do
	n=$((n + 1)); [ $n -le 50 ] || { cat "$T/pw-rl.log" >&2; tl_fail "pw-rl: no reload failure logged"; }; sleep 0.1
done
grep -q "pw-rl.conf:6: KeyTable: 'dns:pgsql://postdkim:\*\*\*@127.0.0.1" "$T/pw-rl.log" ||
	{ cat "$T/pw-rl.log" >&2; tl_fail "pw-rl: the reload error does not say where"; }
pd_stop "$PD_PID" || tl_fail "pw-rl: postdkim did not stop cleanly"
nopw "$T"/pw-*.out "$T"/pw-*.daemon "$T"/pw-*.log "$T"/pw-*.mc
# Mode 0640: no warning.
chmod 0640 "$T/pw-pgsql.conf"
"$POSTDKIM" -n -c "$T/pw-pgsql.conf" > "$T/pw-0640.out" 2>&1 || true
grep -q 'readable by others' "$T/pw-0640.out" && { cat "$T/pw-0640.out" >&2; tl_fail "a mode 0640 file is said to be readable by others"; }
tl_note "a database password: never shown in $(cat "$T"/pw-*.out "$T"/pw-*.daemon "$T"/pw-*.log "$T"/pw-*.mc | wc -l) lines of -n, daemon and reload output"

# Reload. sign_sel: the s= of a fresh signature through a new connection.
sign_sel() {
	rm -f "$T/r.eml"
	"$MCLIENT" -s "unix:$T/pd.sock" "$T/m.eml" 2> /dev/null > "$T/r.eml" || return 1
	sed -n 's/.*; s=\([a-z0-9]*\);.*/\1/p' "$T/r.eml" | head -1
}
# wait_sel SEL: signatures with s=SEL within 5 s.
wait_sel() {
	n=0
	until [ "$(sign_sel)" = "$1" ]; do
		n=$((n + 1))
		[ $n -le 50 ] || { cat "$T/rl.log" >&2; tl_fail "reload: still not signing with s=$1"; }
		sleep 0.1
	done
	pd_check 1 "$T/r.eml"
}
printf 'From: alice@example.com\nTo: bob@example.net\nSubject: reload\n\nbody\n' > "$T/m.eml"
good k1 s1 > "$T/rl.conf"
{ echo "Syslog no"; } >> "$T/rl.conf"
pd_start rl "$T/rl.conf"
wait_sel s1
good k2 s2 > "$T/rl.conf"
echo "Syslog no" >> "$T/rl.conf"
kill -HUP "$PD_PID"
wait_sel s2
# A broken configuration on SIGHUP: logged, refused, the old one stays.
{ good k3 s3; echo "Syslog no"; echo "Selectr s3"; } > "$T/rl.conf"
kill -HUP "$PD_PID"
# wait_log TEXT: a log line containing TEXT within 5 s.
wait_log() {
	n=0
	until grep -qF -- "$1" "$T/rl.log"; do
		n=$((n + 1))
		[ $n -le 50 ] || { cat "$T/rl.log" >&2; tl_fail "reload: no log line with '$1'"; }
		sleep 0.1
	done
}
wait_log "rl.conf:7: unknown keyword 'Selectr'"
kill -0 "$PD_PID" 2>/dev/null || tl_fail "postdkim died on a broken reload"
[ "$(sign_sel)" = s2 ] || tl_fail "broken reload: not signing with the old configuration"
pd_check 1 "$T/r.eml"
# An unsafe key on reload is refused the same way.
chmod 644 "$T/keys/k3.key"
{ good k3 s3; echo "Syslog no"; } > "$T/rl.conf"
kill -HUP "$PD_PID"
wait_log "$T/keys/k3.key: readable by others"
[ "$(sign_sel)" = s2 ] || tl_fail "reload with an unsafe key was not refused"
chmod 600 "$T/keys/k3.key"
# SIGUSR1 reloads too.
kill -USR1 "$PD_PID"
wait_sel s3
tl_note "reload: s1 -> SIGHUP s2 -> broken config kept s2 -> unsafe key kept s2 -> SIGUSR1 s3"
# The KeyFile in force disappears and a reload fails: the configuration in
# force keeps signing with the key it holds (a failed reload must not take
# it away); once the file is back, mail is signed at once and a reload works.
# wait_count TEXT N: N log lines with TEXT within 5 s.
wait_count() {
	n=0
	until [ "$(grep -cF -- "$1" "$T/rl.log")" -ge "$2" ]; do
		n=$((n + 1))
		[ $n -le 50 ] || { cat "$T/rl.log" >&2; tl_fail "reload: no log line with '$1'"; }
		sleep 0.1
	done
}
failed=$(grep -c "reload failed" "$T/rl.log" || true)
mv "$T/keys/k3.key" "$T/k3.moved"
kill -USR1 "$PD_PID"
wait_count "reload failed" $((failed + 1))
[ "$(sign_sel)" = s3 ] || { cat "$T/r.eml" "$T/rl.log" >&2; tl_fail "a failed reload took the key in force away"; }
pd_check 1 "$T/r.eml"
mv "$T/k3.moved" "$T/keys/k3.key"
[ "$(sign_sel)" = s3 ] || { cat "$T/r.eml" >&2; tl_fail "the key file is back: not signed"; }
done_n=$(grep -c "configuration reloaded" "$T/rl.log" || true)
kill -USR1 "$PD_PID"
wait_count "configuration reloaded" $((done_n + 1))
wait_sel s3
tl_note "the KeyFile gone, a reload failed: still signed with the key in force; back: reloaded"
pd_stop "$PD_PID" || tl_fail "postdkim did not stop cleanly"
tl_note "ok"
