#!/bin/sh
# postdkim-loglines.sh - log lines per message, as OpenDKIM's switches ask:
# in each Mode (s, v, sv), with the defaults and with LogResults, LogWhy and
# SyslogSuccess each, five kinds of message go through the daemon and the
# lines each one added to the log are counted against the expected table:
# nothing for mail that went well by default; a results line per signed
# inbound message with LogResults; a line per success with SyslogSuccess;
# why mail not ours was not signed with LogWhy; a key lookup that failed
# for the moment (temperror) always.
#
# With LOGLINES_N set (bench/loglines.sh) each kind is sent that many times
# and the table goes to LOGLINES_TABLE; the counts are checked the same way
# unless LOGLINES_CHECK=no (a control build of another commit).
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

N=${LOGLINES_N:-1}

pd_key k ed25519
pd_key rsa rsa
# sender.example's key in the DNS server's zone; s=servfail is answered
# SERVFAIL by the server (a temperror).
echo "rsa._domainkey.sender.example v=DKIM1; k=rsa; p=$(lib_pubkey rsa "$T/rsa.key")" > "$T/dnszone"
pd_dns "$T/dnszone"
$PY - "$T" <<'EOP'
import sys
import dkim
t = sys.argv[1]
head = (b"To: bob@example.com\r\nSubject: log lines\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n"
        b"Message-ID: <%s@sender.example>\r\n")
key = open(t + "/rsa.key", "rb").read()
def msg(frm, tag, body=b"Hello Bob.\r\n"):
    return b"From: " + frm + b"\r\n" + head % tag + b"\r\n" + body
open(t + "/out.eml", "wb").write(msg(b"Alice <alice@example.com>", b"out"))
m = msg(b"Sam <sam@sender.example>", b"pass")
open(t + "/pass.eml", "wb").write(dkim.sign(m, b"rsa", b"sender.example", key) + m)
m = msg(b"Sam <sam@sender.example>", b"fail")
open(t + "/fail.eml", "wb").write(dkim.sign(m, b"rsa", b"sender.example", key) +
                                  m.replace(b"Hello", b"Jello"))
m = msg(b"Sam <sam@sender.example>", b"temp")
open(t + "/temp.eml", "wb").write(dkim.sign(m, b"servfail", b"sender.example", key) + m)
open(t + "/none.eml", "wb").write(msg(b"Sam <sam@sender.example>", b"none"))
EOP

# The kinds of message: name, file, client address. "out" comes from
# 127.0.0.1 (InternalHosts: ours), the others from outside.
KINDS="out pass fail none temp"

# Expected lines per message, one row per Mode and switch: out pass fail none temp.
expected() {
	case "$1" in
	s-default)		echo "0 0 0 0 0" ;;
	s-LogResults)		echo "0 0 0 0 0" ;;
	s-LogWhy)		echo "0 1 1 1 1" ;;
	s-SyslogSuccess)	echo "1 0 0 0 0" ;;
	v-default)		echo "0 0 0 0 1" ;;
	v-LogResults)		echo "0 1 1 0 1" ;;
	v-LogWhy)		echo "1 1 1 1 1" ;;
	v-SyslogSuccess)	echo "0 1 0 0 1" ;;
	sv-default)		echo "0 0 0 0 1" ;;
	sv-LogResults)		echo "0 1 1 0 1" ;;
	sv-LogWhy)		echo "0 1 1 1 1" ;;
	sv-SyslogSuccess)	echo "1 1 0 0 1" ;;
	esac
}

# lines LOG: lines in the daemon's log that are about messages (a queue id).
lines() {
	grep -c ': info: Q\|: notice: Q\|: warning: Q\|: error: Q' "$1" || true
}

table="| Mode | switch | outbound (ours) | inbound, pass | inbound, fail | inbound, unsigned | inbound, temperror |
|---|---|---|---|---|---|---|"
for mode in s v sv; do
	for sw in default LogResults LogWhy SyslogSuccess; do
		c="$mode-$sw"
		{
			echo "Mode $mode"
			echo "Domain example.com"
			echo "KeyFile $T/k.key"
			echo "Selector sel"
			echo "Socket local:$T/$c.sock"
			echo "Syslog no"
			echo "Nameservers 127.0.0.1@$PD_DNS_PORT"
			echo "DNSTimeout 3"
			[ "$sw" = default ] || echo "$sw yes"
		} > "$T/$c.conf"
		pd_start "$c" "$T/$c.conf"
		row="| $mode | $sw |"
		col=0
		for kind in $KINDS; do
			col=$((col + 1))
			addr=192.0.2.1
			[ "$kind" = out ] && addr=127.0.0.1
			before=$(lines "$T/$c.log")
			# shellcheck disable=SC2046 # N times the same file
			"$MCLIENT" -s "unix:$T/$c.sock" --client-addr $addr --queue-id "Q$kind" -q \
			    $(yes "$T/$kind.eml" | head -n "$N") > "$T/m.log" 2>&1 ||
			    { cat "$T/m.log" "$T/$c.log" >&2; tl_fail "$c $kind: mclient failed"; }
			got=$(( $(lines "$T/$c.log") - before ))
			want=$(expected "$c" | cut -d' ' -f$col)
			[ "${LOGLINES_CHECK:-yes}" = no ] || [ "$got" -eq $((want * N)) ] ||
			    { tail -n 5 "$T/$c.log" >&2; tl_fail "$c, $kind: $got log lines for $N message(s), wanted $((want * N))"; }
			row="$row $(awk -v g="$got" -v n="$N" 'BEGIN { printf "%g", g / n }') |"
		done
		pd_stop "$PD_PID" || tl_fail "$c: postdkim did not stop cleanly"
		table="$table
$row"
	done
done
printf '%s\n' "$table"
[ -z "${LOGLINES_TABLE:-}" ] || printf '%s\n' "$table" > "$LOGLINES_TABLE"
tl_note "PASS: log lines per message as expected in Modes s, v, sv with each switch ($N message(s) per cell)"
