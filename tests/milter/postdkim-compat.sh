#!/bin/sh
# postdkim-compat.sh - OpenDKIM settings that installers' files use, as the
# MTA sees them: RemoveOldSignatures removes the message's own
# DKIM-Signature fields when signing (and only then); SoftwareHeader adds a
# DKIM-Filter field; a client in PeerList is passed on at the end of the
# header, neither signed nor verified; a From domain in ExemptDomains is
# neither signed nor verified either; DontSignMailTo, SenderHeaders and
# MaximumHeaders; ResolverConfiguration is an unbound.conf that libunbound
# applies.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

pd_key k rsa
pd_zone sel example.com k
base() {
	cat <<EOF2
Domain		example.com, exempt.example
KeyFile		$T/k.key
Selector	sel
Socket		local:$T/$1.sock
Syslog		no
SyslogSuccess	yes
EOF2
}
H='To: bob@example.net\nSubject: compat\nDate: Mon, 23 Nov 2026 19:00:00 +0000\n'
OLD='DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=old; h=from; bh=AAAA; b=BBBB\n'
printf "$OLD"'From: Alice <alice@example.com>\n'"$H"'\nbody\n' > "$T/old.eml"
printf "$OLD$OLD"'From: Alice <alice@example.com>\n'"$H"'\nbody\n' > "$T/old2.eml"
printf 'From: Alice <alice@example.com>\n'"$H"'\nbody\n' > "$T/plain.eml"
printf 'From: Ed <ed@exempt.example>\n'"$H"'\nbody\n' > "$T/exempt.eml"

# RemoveOldSignatures: off by default (the old field stays), on: gone.
base keep > "$T/keep.conf"
pd_start keep "$T/keep.conf"
mkdir "$T/keep"
"$MCLIENT" -s "unix:$T/keep.sock" -o "$T/keep" "$T/old.eml" > "$T/keep.log" 2>&1 \
    || { cat "$T/keep.log" >&2; tl_fail "keep: mclient failed"; }
grep -q '^1 accept .* ins=1 add=0 chg=0 del=0' "$T/keep.log" || { cat "$T/keep.log" >&2; tl_fail "keep: want one signature added, nothing removed"; }
[ "$(grep -c '^DKIM-Signature:' "$T/keep/1.eml")" -eq 2 ] || tl_fail "keep: the old signature is gone"
{ base rm; echo "RemoveOldSignatures yes"; } > "$T/rm.conf"
pd_start rm "$T/rm.conf"
mkdir "$T/rm"
"$MCLIENT" -s "unix:$T/rm.sock" -o "$T/rm" "$T/old.eml" "$T/old2.eml" "$T/plain.eml" > "$T/rm.log" 2>&1 \
    || { cat "$T/rm.log" >&2; tl_fail "RemoveOldSignatures: mclient failed"; }
grep -q '^1 accept .* ins=1 .* del=1' "$T/rm.log" && grep -q '^2 accept .* ins=1 .* del=2' "$T/rm.log" \
    && grep -q '^3 accept .* ins=1 .* del=0' "$T/rm.log" \
    || { cat "$T/rm.log" >&2; tl_fail "RemoveOldSignatures: old signatures not removed"; }
pd_check 1 "$T/rm/1.eml" "$T/rm/2.eml" "$T/rm/3.eml"
grep -q 's=old' "$T/rm/1.eml" "$T/rm/2.eml" && tl_fail "RemoveOldSignatures: s=old left"
# Mail that is not signed keeps its signatures (here: verified instead).
"$MCLIENT" -s "unix:$T/rm.sock" --client-addr 192.0.2.1 "$T/old.eml" > "$T/rm-in.log" 2>&1 \
    || { cat "$T/rm-in.log" >&2; tl_fail "RemoveOldSignatures inbound: mclient failed"; }
grep -q '^1 accept .* del=0' "$T/rm-in.log" || { cat "$T/rm-in.log" >&2; tl_fail "RemoveOldSignatures: removed from mail it did not sign"; }
tl_note "RemoveOldSignatures: removed when signing, kept otherwise"

# SoftwareHeader: a DKIM-Filter field above the signature.
{ base sw; echo "SoftwareHeader yes"; } > "$T/sw.conf"
pd_start sw "$T/sw.conf"
mkdir "$T/sw"
"$MCLIENT" -s "unix:$T/sw.sock" -o "$T/sw" --queue-id 4ABC123 "$T/plain.eml" > "$T/sw.log" 2>&1 \
    || { cat "$T/sw.log" >&2; tl_fail "SoftwareHeader: mclient failed"; }
grep -q '^1 accept .* ins=2 ' "$T/sw.log" || { cat "$T/sw.log" >&2; tl_fail "SoftwareHeader: want two fields inserted"; }
head -1 "$T/sw/1.eml" | tr -d '\r' | grep -q '^DKIM-Filter: postdkim v[^ ]* [^ ]* 4ABC123$' \
    || { head -3 "$T/sw/1.eml" >&2; tl_fail "SoftwareHeader: no DKIM-Filter field on top"; }
pd_check 1 "$T/sw/1.eml"
tl_note "SoftwareHeader: $(head -1 "$T/sw/1.eml")"

# postdkim -t prints what the milter delivers: the same fields removed
# and added (line ends, host name and queue id aside).
tcmp() {	# tcmp NAME CONF MILTER-OUTPUT INPUT
	"$POSTDKIM" -c "$2" -F "$PD_TIME" -t "$4" > "$T/$1.t" 2> "$T/$1.terr" \
	    || { cat "$T/$1.terr" >&2; tl_fail "$1: postdkim -t failed"; }
	tr -d '\r' < "$T/$1.t" | sed 's/^\(DKIM-Filter: postdkim v[^ ]*\) .*/\1 HOST QID/' > "$T/$1.tn"
	tr -d '\r' < "$3" | sed 's/^\(DKIM-Filter: postdkim v[^ ]*\) .*/\1 HOST QID/' > "$T/$1.mn"
	diff "$T/$1.mn" "$T/$1.tn" >&2 || tl_fail "$1: postdkim -t differs from the milter"
}
tcmp t-rm "$T/rm.conf" "$T/rm/2.eml" "$T/old2.eml"
tcmp t-sw "$T/sw.conf" "$T/sw/1.eml" "$T/plain.eml"
grep -q 's=old' "$T/t-rm.t" && tl_fail "postdkim -t: RemoveOldSignatures not applied"
head -1 "$T/t-sw.t" | grep -q '^DKIM-Filter: postdkim ' || tl_fail "postdkim -t: no DKIM-Filter field"
tl_note "postdkim -t: RemoveOldSignatures and SoftwareHeader as the milter"

# PeerList: by address and by name; ExemptDomains: by From domain.
{ base peer; printf 'PeerList\t192.0.2.7, relay.example.net\nExemptDomains\texempt.example\nAlwaysAddARHeader\tyes\n'; } > "$T/peer.conf"
pd_start peer "$T/peer.conf"
for a in "--client-addr 192.0.2.7 --auth alice" "--client-addr 198.51.100.1 --client-name relay.example.net --auth alice"; do
	# shellcheck disable=SC2086 # the options are words
	"$MCLIENT" -s "unix:$T/peer.sock" $a "$T/plain.eml" > "$T/peer.log" 2>&1 \
	    || { cat "$T/peer.log" >&2; tl_fail "PeerList: mclient failed"; }
	grep -q '^1 accept stage=eoh ins=0 add=0 chg=0 del=0' "$T/peer.log" \
	    || { cat "$T/peer.log" >&2; tl_fail "PeerList ($a): not passed on untouched"; }
done
"$MCLIENT" -s "unix:$T/peer.sock" --client-addr 192.0.2.8 --auth alice "$T/plain.eml" > "$T/peer2.log" 2>&1 \
    || { cat "$T/peer2.log" >&2; tl_fail "PeerList: mclient failed"; }
grep -q '^1 accept .* ins=1 ' "$T/peer2.log" || { cat "$T/peer2.log" >&2; tl_fail "PeerList: a client not listed was not signed"; }
"$MCLIENT" -s "unix:$T/peer.sock" --auth alice "$T/exempt.eml" > "$T/ex.log" 2>&1 \
    || { cat "$T/ex.log" >&2; tl_fail "ExemptDomains: mclient failed"; }
grep -q '^1 accept .* ins=0 add=0 chg=0 del=0' "$T/ex.log" \
    || { cat "$T/ex.log" >&2; tl_fail "ExemptDomains: exempt mail signed"; }
"$MCLIENT" -s "unix:$T/peer.sock" --client-addr 192.0.2.8 "$T/exempt.eml" > "$T/ex2.log" 2>&1 \
    || { cat "$T/ex2.log" >&2; tl_fail "ExemptDomains: mclient failed"; }
grep -q '^1 accept .* ins=0 add=0 chg=0 del=0' "$T/ex2.log" \
    || { cat "$T/ex2.log" >&2; tl_fail "ExemptDomains: exempt inbound mail verified (A-R added)"; }
tl_note "PeerList and ExemptDomains: passed on untouched"

# DontSignMailTo: mail to a listed recipient (any of them) is not signed.
# SenderHeaders Sender: the Sender field, when present, picks the key.
# MaximumHeaders: over it, On-Security acts (here reject).
{ base to; printf 'LogWhy\tyes\nDontSignMailTo\tlist@example.net\nSenderHeaders\tSender\nMaximumHeaders\t400\nOn-Security\treject\nKeyTable\t%s/kt\nSigningTable\trefile:%s/st\n' "$T" "$T"; } > "$T/to.conf"
sed -i -e '/^Domain/d' -e '/^KeyFile/d' -e '/^Selector/d' "$T/to.conf"
printf 'k example.com:sel:%s\n' "$T/k.key" > "$T/kt"
printf '*@example.com k\n' > "$T/st"
printf 'From: Eve <eve@other.example>\nSender: alice@example.com\n'"$H"'\nbody\n' > "$T/sender.eml"
pd_start to "$T/to.conf"
mkdir "$T/to"
"$MCLIENT" -s "unix:$T/to.sock" -o "$T/to" --rcpt bob@example.net --rcpt LIST@example.net "$T/plain.eml" > "$T/to1.log" 2>&1 \
    || { cat "$T/to1.log" >&2; tl_fail "DontSignMailTo: mclient failed"; }
grep -q '^1 accept stage=eoh ins=0 add=0 chg=0 del=0' "$T/to1.log" || { cat "$T/to1.log" "$T/to.log" >&2; tl_fail "DontSignMailTo: mail to a listed recipient signed"; }
grep -q 'not signed: recipient LIST@example.net in DontSignMailTo' "$T/to.log" || { cat "$T/to.log" >&2; tl_fail "DontSignMailTo: not logged"; }
"$MCLIENT" -s "unix:$T/to.sock" -o "$T/to" --rcpt bob@example.net "$T/plain.eml" "$T/sender.eml" > "$T/to2.log" 2>&1 \
    || { cat "$T/to2.log" >&2; tl_fail "DontSignMailTo: mclient failed"; }
grep -q '^1 accept .* ins=1 ' "$T/to2.log" || { cat "$T/to2.log" >&2; tl_fail "DontSignMailTo: mail to others not signed"; }
grep -q '^2 accept .* ins=1 ' "$T/to2.log" || { cat "$T/to2.log" "$T/to.log" >&2; tl_fail "SenderHeaders: not signed by the Sender's key"; }
grep -q 'd=example.com' "$T/to/2.eml" || tl_fail "SenderHeaders: wrong d="
printf 'From: Alice <alice@example.com>\nX-Long: %0400d\n'"$H"'\nbody\n' 0 > "$T/long.eml"
"$MCLIENT" -s "unix:$T/to.sock" "$T/long.eml" > "$T/to3.log" 2>&1 \
    || { cat "$T/to3.log" >&2; tl_fail "MaximumHeaders: mclient failed"; }
grep -q '^1 reject ' "$T/to3.log" || { cat "$T/to3.log" >&2; tl_fail "MaximumHeaders: too much header not rejected"; }
tl_note "DontSignMailTo, SenderHeaders, MaximumHeaders: as OpenDKIM"
# SenderHeaders past the header limits (10,001 fields): the Sender field
# still names the signer, as the From does without SenderHeaders. Its
# domain has no key: not signed by policy, so the message is verified
# (not refused signing for its size on the From's key).
{ base shbig; printf 'SenderHeaders\tSender\nAuthservID\tmx.compat.example\nLogWhy\tyes\n'; } > "$T/shbig.conf"
$PY -c 'import sys; sys.stdout.write("From: Alice <alice@example.com>\r\n" + "To: x@y.example\r\n" * 10001 + "Sender: eve@other.example\r\nSubject: big\r\n\r\nbody\r\n")' > "$T/shbig.eml"
pd_start shbig "$T/shbig.conf"
mkdir "$T/shbig"
"$MCLIENT" -s "unix:$T/shbig.sock" -o "$T/shbig" "$T/shbig.eml" > "$T/shbig-m.log" 2>&1 \
    || { cat "$T/shbig-m.log" >&2; tl_fail "SenderHeaders, 10,001 fields: mclient failed"; }
grep -q '^1 accept stage=eom ins=1 ' "$T/shbig-m.log" ||
    { cat "$T/shbig-m.log" "$T/shbig.log" >&2; tl_fail "SenderHeaders, 10,001 fields: not verified (no A-R added)"; }
grep -q 'not signed: no signing key for other.example; verified: ' "$T/shbig.log" ||
    { cat "$T/shbig.log" >&2; tl_fail "SenderHeaders, 10,001 fields: the Sender did not decide"; }
tl_note "SenderHeaders past the header limits: the Sender decides"
# ResolverConfiguration: an unbound.conf that libunbound reads (OpenDKIM
# passes it to ub_ctx_config). Here it forwards everything to a listener
# of ours that writes down the names asked and never answers: the key
# query of a verified message reaches it, so the file was applied. A file
# libunbound cannot read is refused by -n, naming file, line and keyword.
PORT=$($PY "$TESTS_SRCDIR/../freeport.py")
$PY - "$PORT" "$T/queries" > "$T/listener.out" 2>&1 <<'EOP' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("ready", flush=True)
while True:
    d, _ = s.recvfrom(4096)
    i, labels = 12, []
    while i < len(d) and d[i] != 0 and len(labels) < 64:
        labels.append(d[i + 1:i + 1 + d[i]].decode("ascii", "replace"))
        i += 1 + d[i]
    with open(sys.argv[2], "a") as f:
        f.write(".".join(labels).lower() + "\n")
EOP
TL_PIDS="$TL_PIDS $!"
n=0
until grep -q ready "$T/listener.out" 2>/dev/null; do
	n=$((n + 1)); [ $n -le 100 ] || tl_fail "listener did not start"; sleep 0.1
done
printf 'server:\n\tdo-not-query-localhost: no\nforward-zone:\n\tname: "."\n\tforward-addr: 127.0.0.1@%s\n' \
    "$PORT" > "$T/unbound.conf"
{ base rc; printf 'ResolverConfiguration\t%s\nDNSTimeout\t1\n' "$T/unbound.conf"; } > "$T/rc.conf"
"$POSTDKIM" -n -c "$T/rc.conf" > "$T/rc-n.out" 2>&1 || { cat "$T/rc-n.out" >&2; tl_fail "ResolverConfiguration refused"; }
pd_start rc "$T/rc.conf"
printf 'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=old; h=from;\n bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=dGVzdA==\nFrom: Alice <alice@example.com>\n'"$H"'\nbody\n' \
    > "$T/sig.eml"
"$MCLIENT" -s "unix:$T/rc.sock" --client-addr 192.0.2.1 "$T/sig.eml" > "$T/rc.log" 2>&1 \
    || { cat "$T/rc.log" >&2; tl_fail "ResolverConfiguration: mclient failed"; }
grep -qx 'old._domainkey.example.com' "$T/queries" \
    || { cat "$T/rc.log" >&2; cat "$T/queries" >&2 || :; tl_fail "ResolverConfiguration: the key query did not go where the file says"; }
printf 'server:\n\tno-such-option: yes\n' > "$T/bad-unbound.conf"
{ base rcbad; printf 'ResolverConfiguration\t%s\n' "$T/bad-unbound.conf"; } > "$T/rcbad.conf"
if "$POSTDKIM" -n -c "$T/rcbad.conf" > "$T/rcbad.out" 2>&1; then
	tl_fail "a ResolverConfiguration libunbound cannot read was accepted"
fi
grep -q "rcbad.conf:7: ResolverConfiguration: $T/bad-unbound.conf: " "$T/rcbad.out" \
    || { cat "$T/rcbad.out" >&2; tl_fail "bad ResolverConfiguration: wrong message"; }
tl_note "ResolverConfiguration: the key query went to the file's forwarder; a bad file: $(grep ResolverConfiguration "$T/rcbad.out" | head -1)"
tl_note "ok"
