#!/bin/sh
# postdkim-metrics.sh - the metrics endpoint (MetricsSocket) of the real
# daemon in Mode sv: every series is there at 0 from start-up; then
# messages of every outcome go through the milter protocol (signed with
# RSA and Ed25519; ours but left unsigned for each reason a file table can
# give: key missing, unsafe, corrupt, no KeyTable entry, no SigningTable
# entry, no From, a header too large to sign, DontSignMailTo; an aborted
# transaction; verified with pass, fail, policy, neutral, permerror,
# temperror, none, forged Authentication-Results removed) and each counter
# is checked for its exact value. /healthz turns 503 when DNS leaves three
# key lookups in a row unanswered and 200 when its probe of the last one
# is answered (no mail needed), probes not counted as lookups; reloads are
# counted (ok, failed) and each logs the counters since the last line.
# promtool accepts the exposition. The socket listens on loopback only
# when MetricsSocket names no address.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"
command -v promtool >/dev/null 2>&1 || tl_skip "promtool is needed (apt-get install prometheus)"
command -v ss >/dev/null 2>&1 || tl_skip "ss is needed (apt-get install iproute2)"

DNSPY="$TESTS_SRCDIR/../dns/hostile-dns.py"
freeport() {
	$PY "$TESTS_SRCDIR/../freeport.py" "$@"
}
read -r PORT MPORT <<EOF
$(freeport 2)
EOF
ID=mx.metrics.example

# Senders' key and its records; the DNS server answers them and SERVFAILs
# the selector "servfail" anywhere (hostile-dns.py).
openssl genrsa -traditional -out "$T/sender.pem" 2048 2>/dev/null
chmod 600 "$T/sender.pem"
p=$(lib_pubkey rsa "$T/sender.pem")
{
	echo "rsa._domainkey.sender.example v=DKIM1; k=rsa; p=$p"
	echo "again._domainkey.sender.example v=DKIM1; k=rsa; p=$p"
} > "$T/dnszone"
$PY "$DNSPY" "$PORT" "$T/dns.log" "$T/dnszone" > "$T/dns.out" 2>&1 &
TL_PIDS="$TL_PIDS $!"
n=0
until grep -q ready "$T/dns.out" 2>/dev/null; do
	n=$((n + 1)); [ $n -le 100 ] || tl_fail "DNS server did not start"; sleep 0.1
done

# Our keys: good ones (one made long ago), and a missing, an unsafe and a corrupt one.
pd_key k1 rsa
pd_key k2 ed25519
pd_key unsafe rsa
chmod 0644 "$T/unsafe.key"
echo "not a key" > "$T/corrupt.key"
chmod 0600 "$T/corrupt.key"
touch -d '2020-01-01 00:00:00 UTC' "$T/k1.key"
pd_zone mail example.com k1
pd_zone ed ed.example k2
cat > "$T/kt" <<EOF
rsa	example.com:mail:$T/k1.key
ed	ed.example:ed:$T/k2.key
miss	missing.example:mail:$T/nothere.key
unsafe	unsafe.example:mail:$T/unsafe.key
corrupt	corrupt.example:mail:$T/corrupt.key
EOF
cat > "$T/st" <<EOF
example.com	rsa
ed.example	ed
missing.example	miss
unsafe.example	unsafe
corrupt.example	corrupt
nokey.example	absent
EOF
cat > "$T/pd.conf" <<EOF
KeyTable	$T/kt
SigningTable	$T/st
Socket	local:$T/pd.sock
MetricsSocket	inet:$MPORT
MetricsDomains	example.com, missing.example
RotateInterval	30d
DontSignMailTo	bob@nosign.example
Nameservers	127.0.0.1@$PORT
DNSTimeout	4
AuthservID	$ID
Syslog	no
EOF
pd_start pd "$T/pd.conf"
PDP=$PD_PID

mget() { pd_mget "127.0.0.1:$MPORT" "$1"; }
scrape() { pd_scrape "127.0.0.1:$MPORT"; }
want() { pd_want "$@"; }
# health CODE: /healthz answers CODE.
health() {
	mget /healthz
	head -1 "$T/http.out" | grep -qx "$1" && return 0
	cat "$T/http.out" >&2
	mget /metrics
	grep '^postdkim_dns' "$T/http.out" >&2
	tail -5 "$T/pd.log" >&2
	tl_fail "/healthz: not $1"
}

# Loopback only: MetricsSocket named no address.
ss -ltn | grep -q "127.0.0.1:$MPORT " || { ss -ltn >&2; tl_fail "MetricsSocket not on 127.0.0.1"; }
! ss -ltn | grep -q "0.0.0.0:$MPORT " || tl_fail "MetricsSocket on every address"

# Start-up: every label value at 0, the reload time is the start time.
scrape
health 200
grep -qx ok "$T/http.out" || tl_fail "/healthz: no ok"
for r in no_key_entry key_missing key_unsafe key_unreadable table_unavailable internal \
    no_signing_rule bad_from signature_error dont_sign_to; do
	want "postdkim_not_signed_total{reason=\"$r\"}" 0
done
for r in pass fail policy neutral temperror permerror none; do
	want "postdkim_verify_results_total{result=\"$r\"}" 0
done
want 'postdkim_signatures_total{algorithm="rsa-sha256"}' 0 \
    'postdkim_signatures_total{algorithm="ed25519-sha256"}' 0 \
    'postdkim_reloads_total{outcome="ok"}' 0 'postdkim_reloads_total{outcome="failed"}' 0 \
    'postdkim_messages_total{mode="sign",action="signed"}' 0 \
    'postdkim_messages_total{mode="verify",action="tempfail"}' 0 \
    'postdkim_forged_ar_removed_total' 0 'postdkim_dns_lookup_duration_seconds_count' 0 \
    'postdkim_sign_duration_seconds_count' 0 'postdkim_key_cache_keys' 0 \
    'postdkim_domain_signed_total{domain="example.com"}' 0 \
    'postdkim_domain_not_signed_total{domain="missing.example"}' 0 \
    'postdkim_db_errors_total{backend="pgsql"}' 0
start=$(awk '$1 == "postdkim_last_reload_success_timestamp_seconds" { print $2 }' "$T/m.txt")
now=$(date +%s)
[ $((now - start)) -ge 0 ] && [ $((now - start)) -le 60 ] || tl_fail "reload timestamp $start is not the start time"
! grep -q '^postdkim_key_oldest_age_seconds' "$T/m.txt" || tl_fail "a key age with no key loaded"
[ "$(wc -c < "$T/m.txt")" -le 51200 ] || tl_fail "exposition over 50 KB"

# Messages of ours, one connection each.
H='To: x@y.example\nSubject: metrics\nDate: Tue, 14 Nov 2023 22:13:20 +0000\n'
for d in example.com ed.example missing.example unsafe.example corrupt.example nokey.example \
    other.example; do
	printf "From: a@$d\n$H\nhello\n" > "$T/$d.eml"
done
printf "$H\nno From\n" > "$T/nofrom.eml"
$PY -c 'import sys; sys.stdout.write("From: a@example.com\r\n" + "To: x@y.example\r\n" * 10001 + "\r\nbig\r\n")' \
    > "$T/big.eml"
pd_signed s1 pd example.com.eml mail example.com
pd_signed s2 pd ed.example.eml ed ed.example
pd_tempfailed t1 pd missing.example.eml
pd_tempfailed t2 pd unsafe.example.eml
pd_tempfailed t3 pd corrupt.example.eml
pd_tempfailed t4 pd nokey.example.eml
pd_unsigned u1 pd other.example.eml
pd_unsigned u2 pd nofrom.eml
pd_unsigned u3 pd big.eml
pd_send u4 pd example.com.eml --rcpt bob@nosign.example
grep -q '^1 accept .* ins=0 ' "$T/u4.log" || { cat "$T/u4.log" >&2; tl_fail "DontSignMailTo: signed"; }
pd_send s3 pd example.com.eml --abort-first
grep -q '^1 accept .* ins=1 ' "$T/s3.log" || { cat "$T/s3.log" >&2; tl_fail "after an abort: not signed"; }

scrape
want 'postdkim_messages_total{mode="sign",action="signed"}' 3 \
    'postdkim_messages_total{mode="sign",action="tempfail"}' 4 \
    'postdkim_messages_total{mode="sign",action="accept"}' 4 \
    'postdkim_messages_total{mode="verify",action="accept"}' 0 \
    'postdkim_messages_total{mode="none",action="accept"}' 0 \
    'postdkim_signatures_total{algorithm="rsa-sha256"}' 2 \
    'postdkim_signatures_total{algorithm="ed25519-sha256"}' 1 \
    'postdkim_sign_duration_seconds_count' 3 \
    'postdkim_not_signed_total{reason="key_missing"}' 1 \
    'postdkim_not_signed_total{reason="key_unsafe"}' 1 \
    'postdkim_not_signed_total{reason="key_unreadable"}' 1 \
    'postdkim_not_signed_total{reason="no_key_entry"}' 1 \
    'postdkim_not_signed_total{reason="no_signing_rule"}' 1 \
    'postdkim_not_signed_total{reason="bad_from"}' 1 \
    'postdkim_not_signed_total{reason="signature_error"}' 1 \
    'postdkim_not_signed_total{reason="dont_sign_to"}' 1 \
    'postdkim_not_signed_total{reason="table_unavailable"}' 0 \
    'postdkim_not_signed_total{reason="internal"}' 0 \
    'postdkim_domain_signed_total{domain="example.com"}' 2 \
    'postdkim_domain_not_signed_total{domain="example.com"}' 2 \
    'postdkim_domain_signed_total{domain="missing.example"}' 0 \
    'postdkim_domain_not_signed_total{domain="missing.example"}' 1 \
    'postdkim_key_cache_keys' 2 'postdkim_key_cache_misses_total' 5 \
    'postdkim_key_cache_hits_total' 3 'postdkim_key_load_failures_total' 3 \
    'postdkim_key_cache_evictions_total' 0 \
    'postdkim_keys_older_than_rotate_interval' 1 \
    'postdkim_milter_connections_total' 11 'postdkim_milter_aborted_total' 1 \
    'postdkim_milter_connections_open' 0
! grep -q 'domain="other.example"' "$T/m.txt" || tl_fail "a domain not in MetricsDomains has series"
age=$(awk '$1 == "postdkim_key_oldest_age_seconds" { print $2 }' "$T/m.txt")
[ "$age" -ge $(($(date +%s) - $(date -d '2020-01-01 00:00:00 UTC' +%s) - 60)) ] ||
	tl_fail "oldest key age $age: not the key of 2020"
# Every signature's time is in the sum of the histogram.
awk '$1 == "postdkim_sign_duration_seconds_sum" { exit !($2 > 0) }' "$T/m.txt" ||
	tl_fail "sign duration sum is 0"
tl_note "signing: every outcome counted, $(wc -c < "$T/m.txt") bytes of exposition"

# Verification: mail from outside, signed by sender.example (dkimpy; an
# expired signature by postdkim -t itself with an old time and SignatureTTL).
printf 'From: Sam <sam@sender.example>\r\nTo: bob@example.com\r\nSubject: verify me\r\nDate: Mon, 23 Nov 2026 19:00:00 +0000\r\nMessage-ID: <v1@sender.example>\r\n\r\nHello Bob.\r\n' > "$T/vbase.eml"
$PY - "$T" <<'EOP'
import sys
import dkim
t = sys.argv[1]
msg = open(t + "/vbase.eml", "rb").read()
key = open(t + "/sender.pem", "rb").read()
D = b"sender.example"


def put(name, data):
    open("%s/%s.eml" % (t, name), "wb").write(data)


good = dkim.sign(msg, b"rsa", D, key) + msg
put("vpass", good)
put("vfail", good.replace(b"Hello Bob", b"Hello Rob"))
put("vsha1", dkim.sign(msg, b"rsa", D, key, signature_algorithm=b"rsa-sha1") + msg)
put("vnx", dkim.sign(msg, b"nx", D, key) + msg)
for d in (b"a.example", b"b.example", b"c.example"):
    put("vsf-" + d.decode(), dkim.sign(msg.replace(b"sender.example>", d + b">"), b"servfail", d, key)
        + msg.replace(b"sender.example>", d + b">"))
put("vagain", dkim.sign(msg, b"again", D, key) + msg)
put("vnone", msg)
forged = ("Authentication-Results: %s; dkim=pass header.d=sender.example\r\n" % "mx.metrics.example").encode()
put("vforged", forged + forged + msg)
EOP
printf 'Domain sender.example\nKeyFile %s\nSelector rsa\nSignatureTTL 60\nSyslog no\nSocket local:%s/x.sock\n' \
    "$T/sender.pem" "$T" > "$T/sender.conf"
"$POSTDKIM" -c "$T/sender.conf" -F 1000000000 -t "$T/vbase.eml" > "$T/vexpired.eml" 2> "$T/sender.err" ||
	{ cat "$T/sender.err" >&2; tl_fail "postdkim -t for the expired signature"; }
: > "$T/vverdicts"
# vsend NAME: sent from outside; its verdict word appended to $T/vverdicts.
vsend() {
	pd_send "$1" pd "$1.eml" --client-addr 192.0.2.1
	sed -n 's/^1 \([a-z]*\) .*/\1/p' "$T/$1.log" >> "$T/vverdicts"
}
for m in vpass vfail vsha1 vexpired vnx vnone vforged; do
	vsend $m
done
grep -q "dkim=pass (2048-bit key) header.d=sender.example" "$T/o-vpass/1.eml" ||
	{ head -5 "$T/o-vpass/1.eml"; tail -8 "$T/pd.log"; tl_fail "vpass: no pass"; } >&2
health 200
for d in a.example b.example c.example; do
	vsend "vsf-$d"
done
health 503
grep -q "^DNS: the last 3 key lookups got no answer" "$T/http.out" ||
	{ cat "$T/http.out" >&2; tl_fail "/healthz: DNS not named"; }
tl_note "/healthz after 3 SERVFAILs: $(sed -n 2p "$T/http.out")"
# Still failing: the probe asks again, and the health stays what it is.
sleep 4
health 503
# The last of them is answered now: the probe sees it without mail (within 10 s).
echo "servfail._domainkey.c.example v=DKIM1; k=rsa; p=$p" >> "$T/dnszone"
n=0
until pd_mget "127.0.0.1:$MPORT" /healthz && head -1 "$T/http.out" | grep -qx 200; do
	n=$((n + 1)); [ $n -le 20 ] || { cat "$T/http.out" >&2; tl_fail "/healthz: DNS back, not 200 within 10 s"; }
	sleep 0.5
done
tl_note "/healthz once DNS answers the probe: ok (no mail needed)"
vsend vagain
health 200

scrape
want 'postdkim_verify_results_total{result="pass"}' 2 \
    'postdkim_verify_results_total{result="fail"}' 1 \
    'postdkim_verify_results_total{result="policy"}' 1 \
    'postdkim_verify_results_total{result="neutral"}' 1 \
    'postdkim_verify_results_total{result="permerror"}' 1 \
    'postdkim_verify_results_total{result="temperror"}' 3 \
    'postdkim_verify_results_total{result="none"}' 2 \
    'postdkim_verify_dnssec_total{state="unvalidated"}' 9 \
    'postdkim_forged_ar_removed_total' 2 \
    'postdkim_dns_lookups_total{outcome="found"}' 2 \
    'postdkim_dns_lookups_total{outcome="nxdomain_or_nodata"}' 1 \
    'postdkim_dns_lookups_total{outcome="servfail"}' 3 \
    'postdkim_dns_lookups_total{outcome="timeout"}' 0 \
    'postdkim_dns_lookup_duration_seconds_count' 6 \
    'postdkim_verify_duration_seconds_count' 10 \
    'postdkim_messages_total{mode="sign",action="signed"}' 3
# The key of vpass served vfail from the cache; rsa-sha1 and expired
# signatures are decided without their key.
want 'postdkim_dns_cache_hits_total' 1
for a in accept tempfail reject; do
	want "postdkim_messages_total{mode=\"verify\",action=\"$a\"}" "$(grep -c "^$a\$" "$T/vverdicts" || true)"
done
grep -c '^tempfail$' "$T/vverdicts" | grep -qx 3 || { cat "$T/vverdicts" >&2; tl_fail "SERVFAIL: not tempfailed"; }
tl_note "verification: every result counted"

# Reloads: a good one, then a broken configuration kept out; each logs the counters.
kill -HUP "$PDP"
n=0
until grep -q "configuration reloaded" "$T/pd.log"; do
	n=$((n + 1)); [ $n -le 100 ] || { cat "$T/pd.log" >&2; tl_fail "no reload"; }; sleep 0.1
done
grep -q "since the last count: messages sign/signed=3 .*signatures rsa-sha256=2 .*not_signed key_missing=1 " \
    "$T/pd.log" || { grep "since the last" "$T/pd.log" >&2; tl_fail "reload: no counters line"; }
cp "$T/pd.conf" "$T/pd.good"
echo "KeyCacheSize lots" >> "$T/pd.conf"
kill -HUP "$PDP"
n=0
until grep -q "reload failed" "$T/pd.log"; do
	n=$((n + 1)); [ $n -le 100 ] || { cat "$T/pd.log" >&2; tl_fail "no failed reload"; }; sleep 0.1
done
# The second line says what happened since the first: the reload.
grep -q "since the last count: reloads_ok=1\$" "$T/pd.log" || tl_fail "second counters line: not the reload"
cp "$T/pd.good" "$T/pd.conf"
scrape
want 'postdkim_reloads_total{outcome="ok"}' 1 'postdkim_reloads_total{outcome="failed"}' 1
last=$(awk '$1 == "postdkim_last_reload_success_timestamp_seconds" { print $2 }' "$T/m.txt")
[ "$last" -ge "$start" ] || tl_fail "reload timestamp went back"
# libmicrohttpd is opened for MetricsSocket only (postdkim-sign.sh: a daemon
# without it maps neither it nor GnuTLS).
grep -q '/libmicrohttpd\.so' "/proc/$PDP/maps" || tl_fail "MetricsSocket: libmicrohttpd not loaded"
mget /nothing
head -1 "$T/http.out" | grep -qx 404 || tl_fail "/nothing: not 404"
pd_stop "$PDP" || tl_fail "postdkim did not stop cleanly"
grep -q "since the last count: reloads_failed=1\$" "$T/pd.log" || tl_fail "exit: no counters line"
ss -ltn | grep -q "127.0.0.1:$MPORT " && tl_fail "MetricsSocket still open after exit"
tl_note "reloads counted, counters logged at each reload and at exit"
