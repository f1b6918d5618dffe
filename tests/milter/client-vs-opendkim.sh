#!/bin/sh
# client-vs-opendkim.sh - prove that mclient hands a milter the message
# Postfix would and rebuilds the message Postfix would queue: Debian's
# opendkim signs a corpus through mclient (simple and relaxed, with and
# without SMFIP_HDR_LEADSPC, one connection with ABORTs and one connection
# per message), and independent verifiers must accept every signature.
# The same messages sent by the independent client miltload must come out
# byte for byte the same apart from the signature.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"

command -v opendkim >/dev/null 2>&1 || tl_skip "opendkim not installed (apt-get install opendkim)"
command -v opendkim-genkey >/dev/null 2>&1 || tl_skip "opendkim-genkey not installed (opendkim-tools)"
$PY -c 'import dkim' 2>/dev/null || tl_skip "python3-dkim not installed"

tl_corpus "$T/in"
opendkim-genkey -b 2048 -d example.com -s sel -D "$T" || tl_fail "opendkim-genkey"
sed 's/^sel\._domainkey/sel._domainkey.example.com/' "$T/sel.txt" > "$T/zone"

# miltload, the independent client, if it can be built here.
ML=""
if [ -r /work/shared/tools/miltload/miltload.c ] && command -v cc >/dev/null 2>&1; then
	cc -O2 -pthread -o "$T/miltload" /work/shared/tools/miltload/miltload.c 2>/dev/null && ML="$T/miltload"
fi
[ -n "$ML" ] || tl_note "miltload not available: skipping the cross-client comparison"

ncorpus=$(echo $CORPUS | wc -w)

# check_run OUTDIR LOG N: N messages accepted, each with one inserted header.
check_run() {
	n=$(grep -c ' accept stage=eom ins=1 add=0 chg=0 del=0$' "$2" || true)
	[ "$n" -eq "$3" ] || { cat "$2" >&2; tl_fail "$1: $n of $3 messages signed"; }
	[ "$(ls "$1" | wc -l)" -eq "$3" ] || tl_fail "$1: missing output files"
}

for canon in simple/simple relaxed/relaxed; do
	c=$(echo "$canon" | tr / -)
	sock="$T/od-$c.sock"
	cat > "$T/od-$c.conf" <<EOF
Syslog no
Mode s
Domain example.com
Selector sel
KeyFile $T/sel.private
Socket local:$sock
Canonicalization $canon
RequireSafeKeys false
UserID $(id -un)
EOF
	opendkim -f -x "$T/od-$c.conf" > "$T/od-$c.log" 2>&1 &
	pid=$!
	TL_PIDS="$TL_PIDS $pid"
	tl_wait_socket "$sock" "$pid" || { cat "$T/od-$c.log" >&2; tl_fail "opendkim did not start"; }

	# One connection, an aborted transaction before each message, as Postfix reuses it.
	mkdir "$T/$c-reuse"
	"$MCLIENT" -s "unix:$sock" --abort-first -o "$T/$c-reuse" $CORPUS > "$T/$c-reuse.log" \
	    || tl_fail "mclient (reuse) failed"
	check_run "$T/$c-reuse" "$T/$c-reuse.log" "$ncorpus"

	# A new connection per message, small body chunks.
	mkdir "$T/$c-new"
	"$MCLIENT" -s "unix:$sock" -r --chunk 1000 -o "$T/$c-new" $CORPUS > "$T/$c-new.log" \
	    || tl_fail "mclient (reconnect) failed"
	check_run "$T/$c-new" "$T/$c-new.log" "$ncorpus"

	# Without SMFIP_HDR_LEADSPC the milter sees one space less; with simple
	# header canonicalization only single-space fields can survive that.
	mkdir "$T/$c-nolead"
	if [ "$canon" = simple/simple ]; then set -- $CORPUS_ONESPACE; else set -- $CORPUS; fi
	"$MCLIENT" -s "unix:$sock" --no-leadspc -o "$T/$c-nolead" "$@" > "$T/$c-nolead.log" \
	    || tl_fail "mclient (no leadspc) failed"
	check_run "$T/$c-nolead" "$T/$c-nolead.log" $#

	# Clients that leave early must not upset the milter.
	for st in optneg connect helo mail header body; do
		"$MCLIENT" -s "unix:$sock" --stop-after $st --hangup -n 3 "$T/in/01-plain.eml" \
		    > /dev/null 2>&1 || tl_fail "mclient --stop-after $st"
	done
	"$MCLIENT" -s "unix:$sock" --stop-after helo -n 5 > /dev/null 2>&1 || tl_fail "connect-only"
	mkdir "$T/$c-after"
	"$MCLIENT" -s "unix:$sock" -n 20 -o "$T/$c-after" "$T/in/02-crlf-odd.eml" > "$T/$c-after.log" \
	    || tl_fail "mclient after early closes"
	check_run "$T/$c-after" "$T/$c-after.log" 20

	if [ -n "$ML" ]; then
		mkdir "$T/$c-ml"
		"$ML" -s "unix:$sock" -c 1 -n "$ncorpus" -D "$T/$c-ml" $CORPUS > "$T/$c-ml.log" 2>&1 \
		    || { cat "$T/$c-ml.log" >&2; tl_fail "miltload failed"; }
		i=0
		for m in $CORPUS; do
			i=$((i + 1))
			mf=$(printf '%s/msg-%05d.eml' "$T/$c-ml" $((i - 1)))
			tl_strip_sigs "$T/$c-reuse/$i.eml" > "$T/a.eml"
			tl_strip_sigs "$mf" > "$T/b.eml"
			cmp -s "$T/a.eml" "$T/b.eml" || tl_fail "$m: mclient and miltload outputs differ ($c)"
		done
	fi
	tl_kill "$pid"
done

# Every signature, checked by python3-dkim with the key from the zone.
$DKIMCHECK --zone "$T/zone" --nsig 1 "$T"/*-reuse/*.eml "$T"/*-new/*.eml \
    "$T"/*-nolead/*.eml "$T"/*-after/*.eml > "$T/dkimcheck.log" \
    || { grep -v '^OK' "$T/dkimcheck.log" >&2; tl_fail "python3-dkim rejected a signature"; }
if [ -n "$ML" ]; then
	$DKIMCHECK --zone "$T/zone" --nsig 1 "$T"/*-ml/*.eml > "$T/dkimcheck-ml.log" \
	    || { grep -v '^OK' "$T/dkimcheck-ml.log" >&2; tl_fail "python3-dkim rejected a miltload signature"; }
fi

# The project's own verifier (libdkim) must agree with opendkim's signatures.
if [ -n "${DKIMVERIFY:-}" ] && [ -x "$DKIMVERIFY" ]; then
	"$DKIMVERIFY" --zone "$T/zone" --nsig 1 "$T"/*-reuse/*.eml "$T"/*-new/*.eml \
	    "$T"/*-nolead/*.eml > "$T/dkimverify.log" \
	    || { grep -v '^OK' "$T/dkimverify.log" >&2; tl_fail "libdkim rejected an opendkim signature"; }
fi

# The checkers must see a change: one altered body byte fails both.
sed 's/Hello Bob/Hello Rob/' "$T/relaxed-relaxed-reuse/1.eml" > "$T/tampered.eml"
cmp -s "$T/tampered.eml" "$T/relaxed-relaxed-reuse/1.eml" && tl_fail "tampering did not change the message"
if $DKIMCHECK --zone "$T/zone" "$T/tampered.eml" > /dev/null; then
	tl_fail "python3-dkim accepted a tampered message"
fi
if [ -n "${DKIMVERIFY:-}" ] && "$DKIMVERIFY" --zone "$T/zone" "$T/tampered.eml" > /dev/null; then
	tl_fail "dkimverify accepted a tampered message"
fi

# And by the three interop verifiers, over real DNS on loopback.
if [ -x "$VERIFY_ALL" ] && command -v dnsmasq >/dev/null 2>&1; then
	set --
	# opendkim -t (test mode) rejects simple header canonicalization of a
	# field with a tab right after the colon (02: "Subject:<TAB>..."), which
	# dkimpy and Mail::DKIM accept: that one is judged by those two.
	i=0
	for m in $CORPUS; do
		i=$((i + 1))
		case $m in
		*/02-crlf-odd.eml) odd=$i ;;
		*) set -- "$@" "$T/simple-simple-reuse/$i.eml" ;;
		esac
	done
	set -- "$@" "$T"/relaxed-relaxed-reuse/*.eml
	"$VERIFY_ALL" -q --zone "$T/zone" "$@" > "$T/verify-all.log" 2>&1 \
	    || { cat "$T/verify-all.log" >&2; tl_fail "verify-all"; }
	"$VERIFY_ALL" -q --verifiers dkimpy,mail-dkim --zone "$T/zone" "$T/simple-simple-reuse/$odd.eml" \
	    > "$T/verify-all2.log" 2>&1 || { cat "$T/verify-all2.log" >&2; tl_fail "verify-all (02)"; }
else
	tl_note "verify-all or dnsmasq missing: interop verifiers not run"
fi
tl_note "ok: $ncorpus messages x 2 canonicalizations x 3 modes signed by opendkim and verified"
