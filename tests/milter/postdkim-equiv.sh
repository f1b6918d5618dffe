#!/bin/sh
# postdkim-equiv.sh - the opendkim.conf files that installers write, run by
# Debian's OpenDKIM and by postdkim with the same file, keys and tables:
# Debian's stock file, docker-mailserver's, Mail-in-a-Box's, emailwiz's,
# Virtualmin's (also with an Ed25519 key), modoboa's (dsn:, with the
# database tests) and a Zimbra-style one (ldap:, with the LDAP tests). The
# same 15 messages (outbound from InternalHosts and from an authenticated
# client, from two domains, a subdomain and a foreign one, one already
# signed; inbound signed by dkimpy with RSA, Ed25519 and rsa-sha1, altered,
# with no key record, unsigned) must come out with the same verdict, the
# same signatures added (d=, s=, a=, c=, the fields in h=, x= or not), the
# same fields added or removed and the same Authentication-Results verdicts
# (equiv-norm.py says what is compared). Each difference that is not listed
# as expected below fails the test; each listed one is explained in
# doc/migrating.md ("Differences from OpenDKIM, checked") and must still
# occur, so that the list stays true.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"
command -v opendkim >/dev/null 2>&1 || tl_skip "opendkim is needed (apt-get install opendkim)"
$PY -c 'import dns.message, nacl.signing' 2>/dev/null ||
	tl_skip "python3-dnspython and python3-nacl are needed"

NORM="$PY $TESTS_SRCDIR/equiv-norm.py"
DNSPY="$TESTS_SRCDIR/../dns/hostile-dns.py"
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ME=$(id -un)
MYGROUP=$(id -gn)
START=$(date +%s)
# OpenDKIM refuses (RequireSafeKeys) a key below a directory others may
# write, such as /tmp even with its sticky bit: the keys go in a private
# directory below the first of /run (as root), the build tree and $HOME
# whose parents only their owners may write; removed on exit.
safe_base() {
	for _b in "$@"; do
		[ -d "$_b" ] && [ -w "$_b" ] || continue
		_p=$(cd "$_b" && pwd -P)
		_ok=1
		while :; do
			case $(stat -c %A "$_p") in ????????w?) _ok=0 ;; esac
			[ "$_p" != / ] || break
			_p=$(dirname "$_p")
		done
		[ $_ok = 0 ] || { echo "$_b"; return 0; }
	done
	return 1
}
_run=/nonexistent
[ "$(id -u)" != 0 ] || _run=/run
_base=$(safe_base "$_run" "$PWD" "${HOME:-/nonexistent}") ||
	tl_fail "no directory for the keys whose parents only their owners may write (OpenDKIM would refuse them): run as root, or build below such a directory"
KD=$(mktemp -d "$_base/postdkim-equiv-keys.XXXXXX")
# modoboa's tables are in a private PostgreSQL (tests/db/dbharness.sh).
DBH=$(cd "$TESTS_SRCDIR/../db" && pwd)/dbharness.sh
DB=
# Zimbra's tables are in a private slapd (tests/ldap/ldapharness.sh).
LDH=$(cd "$TESTS_SRCDIR/../ldap" && pwd)/ldapharness.sh
LD=
trap 'rm -rf "$KD"; [ -z "$DB" ] || "$DBH" stop "$DB"; [ -z "$LD" ] || "$LDH" stop "$LD"; lib_cleanup' EXIT

# Keys: ours (two domains) and a sender's; the zone publishes all of them.
pd_key ours rsa
pd_key other rsa
openssl genrsa -traditional -out "$T/sender.pem" 2048 2>/dev/null
$PY - "$T" <<'EOP'
import base64, os, subprocess, sys
import nacl.signing
t = sys.argv[1]
seed = os.urandom(32)
open(t + "/ed.seed", "wb").write(base64.b64encode(seed))
ed = base64.b64encode(nacl.signing.SigningKey(seed).verify_key.encode()).decode()
def rsa(path):
    der = subprocess.run(["openssl", "pkey", "-in", path, "-pubout", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    return base64.b64encode(der).decode()
with open(t + "/dnszone", "w") as z:
    z.write("rsa._domainkey.sender.example v=DKIM1; k=rsa; p=%s\n" % rsa(t + "/sender.pem"))
    z.write("ed._domainkey.sender.example v=DKIM1; k=ed25519; p=%s\n" % ed)
    z.write("mail._domainkey.ours.example v=DKIM1; k=rsa; p=%s\n" % rsa(t + "/ours.key"))
    z.write("mail._domainkey.other.example v=DKIM1; k=rsa; p=%s\n" % rsa(t + "/other.key"))
EOP
$PY "$DNSPY" "$PORT" "$T/dns.log" "$T/dnszone" secure.example "$T/ta" > "$T/dns.out" 2>&1 &
TL_PIDS="$TL_PIDS $!"
n=0
until grep -q ready "$T/dns.out" 2>/dev/null; do
	n=$((n + 1)); [ $n -le 100 ] || tl_fail "DNS server did not start"; sleep 0.1
done

# The messages: NAME.eml and how each is sent (mclient options).
H='To: bob@example.net\r\nSubject: equivalence\r\nDate: Mon, 23 Nov 2026 19:00:00 +0000\r\n'
printf 'From: Alice <alice@ours.example>\r\n'"$H"'Message-ID: <o1@ours.example>\r\n\r\nHello Bob,\r\n\r\nthe  numbers \t are in.\r\n' > "$T/out.eml"
printf 'From: Olga <olga@other.example>\r\n'"$H"'Message-ID: <o2@other.example>\r\n\r\nfrom the other domain\r\n' > "$T/out-other.eml"
printf 'From: Sue <sue@mail.ours.example>\r\n'"$H"'Message-ID: <o3@mail.ours.example>\r\n\r\nfrom a subdomain\r\n' > "$T/out-sub.eml"
printf 'From: Fay <fay@foreign.example>\r\n'"$H"'Message-ID: <o4@foreign.example>\r\n\r\nnot one of ours\r\n' > "$T/out-foreign.eml"
printf 'From: Sam <sam@sender.example>\r\n'"$H"'Message-ID: <i1@sender.example>\r\nReceived: from relay.example by mx.example; Mon, 23 Nov 2026 19:00:00 +0000\r\n\r\nHello Bob,\r\n\r\nthe  numbers \t are in.\r\n' > "$T/in-unsigned.eml"
$PY - "$T" <<'EOP'
import sys
import dkim
t = sys.argv[1]
msg = open(t + "/in-unsigned.eml", "rb").read()
rsa = open(t + "/sender.pem", "rb").read()
seed = open(t + "/ed.seed", "rb").read()
D = b"sender.example"
def put(name, data):
    open("%s/%s.eml" % (t, name), "wb").write(data)
put("in-rsa", dkim.sign(msg, b"rsa", D, rsa, canonicalize=(b"relaxed", b"simple")) + msg)
put("in-simple", dkim.sign(msg, b"rsa", D, rsa, canonicalize=(b"simple", b"simple")) + msg)
put("in-ed", dkim.sign(msg, b"ed", D, seed, signature_algorithm=b"ed25519-sha256") + msg)
put("in-sha1", dkim.sign(msg, b"rsa", D, rsa, signature_algorithm=b"rsa-sha1") + msg)
put("in-altered", (dkim.sign(msg, b"rsa", D, rsa) + msg).replace(b"the  numbers", b"the  numberz"))
put("in-nokey", dkim.sign(msg, b"missing", D, rsa) + msg)
# Our own mail that already carries a signature (a list, a forwarder): for
# RemoveOldSignatures.
out = open(t + "/out.eml", "rb").read()
put("out-presigned", dkim.sign(out, b"rsa", D, rsa) + out)
EOP
# NAME|MESSAGE|MCLIENT OPTIONS
cat > "$T/cases" <<EOF
int|out|--client-addr 127.0.0.1
int-other|out-other|--client-addr 127.0.0.1
int-presigned|out-presigned|--client-addr 127.0.0.1
int-sub|out-sub|--client-addr 127.0.0.1
int-foreign|out-foreign|--client-addr 127.0.0.1
auth|out|--client-addr 198.51.100.7 --auth alice --auth-type PLAIN
auth-other|out-other|--client-addr 198.51.100.7 --auth olga --auth-type PLAIN
ext-ours|out|--client-addr 192.0.2.1
in-rsa|in-rsa|--client-addr 192.0.2.1
in-simple|in-simple|--client-addr 192.0.2.1
in-ed|in-ed|--client-addr 192.0.2.1
in-sha1|in-sha1|--client-addr 192.0.2.1
in-altered|in-altered|--client-addr 192.0.2.1
in-nokey|in-nokey|--client-addr 192.0.2.1
in-unsigned|in-unsigned|--client-addr 192.0.2.1
EOF

# Differences known and explained in doc/migrating.md: CONFIG:CASE:WHAT,
# CONFIG "*" for every configuration; WHAT is a line of equiv-norm.py's
# output that only OpenDKIM ("od>") or only postdkim ("pd>") prints.
cat > "$T/expected" <<'EOF'
*:in-sha1:od> ar dkim=pass d=sender.example s=rsa
*:in-sha1:pd> ar dkim=policy d=sender.example s=rsa
*:in-nokey:od> ar dkim=fail d=sender.example s=missing
*:in-nokey:pd> ar dkim=permerror d=sender.example s=missing
EOF
# OpenDKIM adds an ATPS result (RFC 6541, experimental) to each field with a
# signature in it; postdkim does not do ATPS. Debian's file verifies our
# own already signed mail too: it has nothing to sign it with.
for c in in-rsa in-simple in-ed in-sha1 in-altered in-nokey; do
	echo "*:$c:od> ar dkim-atps=neutral"
done >> "$T/expected"
echo "debian:int-presigned:od> ar dkim-atps=neutral" >> "$T/expected"
# hfields CONF C OD-H PD-H CASE:DOMAIN...: where postdkim's defaults sign
# other fields than OpenDKIM's (h= as equiv-norm.py prints it): its
# OversignHeaders defaults to From where OpenDKIM's is empty, and its
# SignHeaders to RFC 6376 section 5.4.1's list, which has Message-ID,
# MIME-Version and Content-*, where OpenDKIM's does not.
# The signatures are s=$HSEL a=$HALG (mail and rsa-sha256 unless set).
hfields() {
	_oc=$1 _cc=$2 _oh=$3 _ph=$4
	shift 4
	for _ocd in "$@"; do
		printf '%s:od> sig d=%s s=%s a=%s c=%s h=%s x=no\n' \
		    "$_oc:${_ocd%:*}" "${_ocd#*:}" "${HSEL:-mail}" "${HALG:-rsa-sha256}" "$_cc" "$_oh"
		printf '%s:pd> sig d=%s s=%s a=%s c=%s h=%s x=no\n' \
		    "$_oc:${_ocd%:*}" "${_ocd#*:}" "${HSEL:-mail}" "${HALG:-rsa-sha256}" "$_cc" "$_ph"
	done >> "$T/expected"
}
# The outbound cases signed by the configurations that sign.
SIGNED="int:ours.example int-other:other.example int-presigned:ours.example auth:ours.example auth-other:other.example"

# run DAEMON CONF: every case through the daemon (od: Debian's opendkim,
# pd: postdkim), normalized into $T/res-CONF-DAEMON.
run() {
	_d=$1 _c=$2
	: > "$T/res-$_c-$_d"
	while IFS='|' read -r _name _msg _opts; do
		rm -rf "$T/o"
		mkdir "$T/o"
		# shellcheck disable=SC2086 # the options are words
		"$MCLIENT" -s "unix:$T/$_c.sock" --hostname mx.ours.example $_opts -o "$T/o" \
		    "$T/$_msg.eml" > "$T/m.log" 2>&1 ||
			{ cat "$T/m.log" >&2; tl_fail "$_c/$_d/$_name: mclient failed"; }
		_v=$(sed -n 's/^1 \([a-z]*\) .*/\1/p' "$T/m.log")
		_o=-
		[ -f "$T/o/1.eml" ] && _o="$T/o/1.eml"
		cp "$T/m.log" "$T/log-$_c-$_d-$_name"
		[ "$_o" = - ] || cp "$_o" "$T/out-$_c-$_d-$_name.eml"
		$NORM "$_v" "$T/$_msg.eml" "$_o" | sed "s/^/$_name /" >> "$T/res-$_c-$_d"
	done < "$T/cases"
}

# compare CONF: both daemons on $T/CONF.conf (its tables and keys in
# place), one after the other, then their difference against the expected.
compare() {
	_c=$1
	rm -f "$T/$_c.sock" "$T/$_c.pid"
	opendkim -f -x "$T/$_c.conf" > "$T/od-$_c.log" 2>&1 &
	_odpid=$!
	TL_PIDS="$TL_PIDS $_odpid"
	tl_wait_socket "$T/$_c.sock" "$_odpid" || { cat "$T/od-$_c.log" >&2; tl_fail "$_c: opendkim did not start"; }
	run od "$_c"
	tl_kill "$_odpid"
	rm -f "$T/$_c.sock" "$T/$_c.pid"
	"$POSTDKIM" -n -c "$T/$_c.conf" > "$T/n-$_c.log" 2>&1 ||
		{ cat "$T/n-$_c.log" >&2; tl_fail "$_c: postdkim -n refuses the file"; }
	pd_start "pd-$_c" "$T/$_c.conf"
	run pd "$_c"
	pd_stop "$PD_PID" || tl_fail "$_c: postdkim did not stop cleanly"
	diff "$T/res-$_c-od" "$T/res-$_c-pd" | sed -n 's/^< /od> /p; s/^> /pd> /p' |
	    while IFS= read -r _l; do
		_who=${_l%%> *}
		_rest=${_l#*> }
		echo "${_rest%% *}:$_who> ${_rest#* }"
	done | sort > "$T/diff-$_c"
	sed -n "s/^[*]://p; s/^$_c://p" "$T/expected" | sort > "$T/want-$_c"
	if ! cmp -s "$T/diff-$_c" "$T/want-$_c"; then
		echo "$_c: differences found (<) and expected (>):" >&2
		diff "$T/diff-$_c" "$T/want-$_c" >&2 || true
		tl_fail "$_c: OpenDKIM and postdkim differ"
	fi
	tl_note "$_c: $(wc -l < "$T/res-$_c-od") result lines, $(grep -c . "$T/diff-$_c" || true) expected differences"
}

# localize NAME < FILE > $T/NAME.conf: the installer's file with one socket
# (its Socket lines replaced) and the PID file in $T, the test's user, the test's DNS server and trust
# anchor; @ETC@ is the configuration directory ($T/etc-NAME), @KEYS@ the
# key directory ($KD/NAME).
localize() {
	mkdir -p "$T/etc-$1"
	sed -e '/^Socket[ 	]/d' \
	    -e "s|^\(PidFile[ 	]*\).*|\1$T/$1.pid|" \
	    -e "s|^\(UserID[ 	]*\).*|\1$ME|" \
	    -e "s|^\(TrustAnchorFile[ 	]*\).*|\1$T/ta|" \
	    -e "s|@ETC@|$T/etc-$1|g" -e "s|@KEYS@|$KD/$1|g" > "$T/$1.conf"
	printf 'Socket\t\t\tlocal:%s\nNameservers\t\t127.0.0.1@%s\n' "$T/$1.sock" "$PORT" >> "$T/$1.conf"
}

# keys NAME [MODE]: our two keys in $KD/NAME as the installer leaves them.
keys() {
	mkdir -p "$KD/$1"
	chmod 700 "$KD/$1"
	cp "$T/ours.key" "$KD/$1/ours.private"
	cp "$T/other.key" "$KD/$1/other.private"
	chmod "${2:-600}" "$KD/$1/ours.private" "$KD/$1/other.private"
}

[ -r /etc/opendkim.conf ] || tl_fail "/etc/opendkim.conf missing (apt-get install opendkim)"

# Debian's stock file: no key, a verifier (Mode sv by default).
localize debian < /etc/opendkim.conf
compare debian

# docker-mailserver (target/opendkim/opendkim.conf, with its setup's tables).
localize dms <<'EOF'
AutoRestart             Yes
AutoRestartRate         10/1h
UMask                   002
Syslog                  yes
SyslogSuccess           Yes
LogWhy                  Yes
RemoveOldSignatures     Yes

Canonicalization        relaxed/simple

ExternalIgnoreList      refile:@ETC@/TrustedHosts
InternalHosts           refile:@ETC@/TrustedHosts
KeyTable                refile:@ETC@/KeyTable
SigningTable            refile:@ETC@/SigningTable

Mode                    sv
PidFile                 /var/run/opendkim/opendkim.pid
SignatureAlgorithm      rsa-sha256

UserID                  opendkim:opendkim

Socket                  inet:8891@localhost
OmitHeaders             Message-ID, Date, Return-Path, Bounces-To, Received, Comments, Keywords, Bcc, Resent-Bcc, DKIM-Signature<Paste>
EOF
keys dms
printf '127.0.0.1\nlocalhost\n' > "$T/etc-dms/TrustedHosts"
printf 'mail._domainkey.ours.example ours.example:mail:%s\nmail._domainkey.other.example other.example:mail:%s\n' \
    "$KD/dms/ours.private" "$KD/dms/other.private" > "$T/etc-dms/KeyTable"
printf '*@ours.example mail._domainkey.ours.example\n*@other.example mail._domainkey.other.example\n' \
    > "$T/etc-dms/SigningTable"
# OmitHeaders takes Message-ID and Date out; From is oversigned by postdkim only.
# shellcheck disable=SC2086 # SIGNED is a list
hfields dms relaxed/simple from:subject:to from:from:subject:to $SIGNED
compare dms

# Mail-in-a-Box (setup/dkim.sh appends to Debian's stock file; its
# management daemon writes the tables keyed by domain).
{
	cat /etc/opendkim.conf
	cat <<'EOF'
MinimumKeyBits          1024
ExternalIgnoreList      refile:@ETC@/TrustedHosts
InternalHosts           refile:@ETC@/TrustedHosts
KeyTable                refile:@ETC@/KeyTable
SigningTable            refile:@ETC@/SigningTable
Socket                  inet:8891@localhost
RequireSafeKeys         false
EOF
} | localize miab
keys miab
printf '127.0.0.1\n' > "$T/etc-miab/TrustedHosts"
printf 'ours.example ours.example:mail:%s\nother.example other.example:mail:%s\n' \
    "$KD/miab/ours.private" "$KD/miab/other.private" > "$T/etc-miab/KeyTable"
printf '*@ours.example ours.example\n*@other.example other.example\n' > "$T/etc-miab/SigningTable"
# Debian's OversignHeaders From: both oversign it; postdkim signs Message-ID too.
# shellcheck disable=SC2086 # SIGNED is a list
hfields miab relaxed/simple date:from:from:subject:to date:from:from:message-id:subject:to $SIGNED
compare miab

# emailwiz (emailwiz.sh edits Debian's stock file: Socket lines commented
# out, its own appended; keys 0640 root:opendkim, here the test's user and group).
{
	sed -e '/Socket/s/^#*/#/' /etc/opendkim.conf
	cat <<'EOF'
KeyTable file:@ETC@/keytable
SigningTable refile:@ETC@/signingtable
InternalHosts refile:@ETC@/trustedhosts
Socket inet:12301@localhost
EOF
} | localize emailwiz
keys emailwiz 640
chgrp "$MYGROUP" "$KD/emailwiz/ours.private" "$KD/emailwiz/other.private"
printf 'mail._domainkey.ours.example ours.example:mail:%s\nmail._domainkey.other.example other.example:mail:%s\n' \
    "$KD/emailwiz/ours.private" "$KD/emailwiz/other.private" > "$T/etc-emailwiz/keytable"
printf '*@ours.example mail._domainkey.ours.example\n*@other.example mail._domainkey.other.example\n' \
    > "$T/etc-emailwiz/signingtable"
printf '127.0.0.1\n10.1.0.0/16\n1.2.3.4/24\n' > "$T/etc-emailwiz/trustedhosts"
# shellcheck disable=SC2086 # SIGNED is a list
hfields emailwiz relaxed/simple date:from:from:subject:to date:from:from:message-id:subject:to $SIGNED
compare emailwiz

# Virtualmin (dkim-lib.pl: save_debian_dkim_config sets Domain to a comma
# list of its domains, Selector and KeyFile in Debian's file, in place of the
# commented-out lines; one key for every domain, made with mode 0700).
sed -e "s|^#Domain.*|Domain ours.example,other.example|" -e 's|^#Selector.*|Selector mail|' \
    -e "s|^#KeyFile.*|KeyFile @KEYS@/dkim.key|" /etc/opendkim.conf | localize virtualmin
keys virtualmin
cp "$T/ours.key" "$KD/virtualmin/dkim.key"
chmod 700 "$KD/virtualmin/dkim.key"
grep -q "^Domain ours.example,other.example" "$T/virtualmin.conf" || tl_fail "virtualmin: Domain not set"
# shellcheck disable=SC2086 # SIGNED is a list
hfields virtualmin relaxed/simple date:from:from:subject:to date:from:from:message-id:subject:to $SIGNED
compare virtualmin

# Ed25519 (RFC 8463): Virtualmin's layout with an Ed25519 key, which
# OpenDKIM signs with only when told SignatureAlgorithm ed25519-sha256
# (postdkim takes the algorithm from the key and accepts the setting).
sed -e "s|^#Domain.*|Domain ours.example,other.example|" -e 's|^#Selector.*|Selector ed|' \
    -e "s|^#KeyFile.*|KeyFile @KEYS@/ed.key|" /etc/opendkim.conf | localize ed25519
printf 'SignatureAlgorithm\ted25519-sha256\n' >> "$T/ed25519.conf"
mkdir -m 700 "$KD/ed25519"
openssl genpkey -algorithm ed25519 -out "$KD/ed25519/ed.key" 2>/dev/null || tl_fail "openssl: no Ed25519 key"
chmod 600 "$KD/ed25519/ed.key"
HSEL=ed HALG=ed25519-sha256
# shellcheck disable=SC2086 # SIGNED is a list
hfields ed25519 relaxed/simple date:from:from:subject:to date:from:from:message-id:subject:to $SIGNED
HSEL= HALG=
compare ed25519

# modoboa (modoboa-installer's opendkim.conf.tpl and opendkim.hosts.tpl;
# the dkim view over its domain table, tests/db/schema-modoboa.sql), with
# the database tests only (configure --disable-db-tests, as distcheck, has none).
ncomp=6
if [ "${EQUIV_DB:-no}" = yes ]; then
	DB=$(mktemp -d "${TMPDIR:-/tmp}/postdkim-db.XXXXXX")
	"$DBH" start "$DB" pgsql || tl_fail "PostgreSQL did not start"
	. "$DB/env"
	mkdir -m 700 "$KD/modoboa"
	psql -X -q -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d modoboa -v ON_ERROR_STOP=1 <<EOF ||
CREATE ROLE equiv LOGIN PASSWORD 'equivpw';
GRANT SELECT ON ALL TABLES IN SCHEMA public TO equiv;
DELETE FROM admin_domain;
INSERT INTO admin_domain (name, enable_dkim, dkim_key_selector, dkim_private_key_path) VALUES
	('ours.example', TRUE, 'mail', '$KD/modoboa/ours.private'),
	('other.example', TRUE, 'mail', '$KD/modoboa/other.private');
EOF
		tl_fail "psql: modoboa's domains"
	localize modoboa <<EOF
Syslog			yes
SyslogSuccess   	Yes
LogWhy			Yes
LogResults  Yes
UMask			007
#Domain			example.com
#KeyFile		/etc/dkimkeys/dkim.key
#Selector		2007
KeyTable		dsn:pgsql://equiv:equivpw@$PG_PORT+127.0.0.1/modoboa/table=dkim?keycol=id?datacol=domain_name,selector,private_key_path
SigningTable		dsn:pgsql://equiv:equivpw@$PG_PORT+127.0.0.1/modoboa/table=dkim?keycol=domain_name?datacol=id
#Canonicalization	simple
#Mode			sv
SubDomains		yes
Canonicalization        relaxed/relaxed
Socket                  inet:10027@localhost
#Socket			local:/var/run/opendkim/opendkim.sock
PidFile               /var/run/opendkim/opendkim.pid
OversignHeaders		From
# ResolverConfiguration     /etc/unbound/unbound.conf
# TrustAnchorFile       /usr/share/dns/root.key
UserID                opendkim
ExternalIgnoreList      @ETC@/opendkim.hosts
InternalHosts           @ETC@/opendkim.hosts
EOF
	chmod 640 "$T/modoboa.conf"
	keys modoboa
	printf '127.0.0.1\n::1\nlocalhost\n' > "$T/etc-modoboa/opendkim.hosts"
	# shellcheck disable=SC2086 # SIGNED is a list
	hfields modoboa relaxed/relaxed date:from:from:subject:to date:from:from:message-id:subject:to $SIGNED
	compare modoboa
	ncomp=7
else
	tl_note "modoboa (dsn:) not compared: the database tests are off (configure --disable-db-tests)"
fi

# Zimbra-style: KeyTable and SigningTable in LDAP, Zimbra's attribute
# layout (the domain entry carries DKIMSelector, DKIMDomain, DKIMIdentity
# and the key itself in DKIMKey), searched from the root with $d by the
# URIs zmconfigd derives from ldap_url (the KeyTable's trailing comma
# included). Over ldap: with a simple bind (Zimbra binds as its zmpostfix
# account; here the harness's service account).
# With the LDAP tests only (configure --disable-ldap-tests has none).
if [ "${EQUIV_LDAP:-no}" = yes ]; then
	LD=$(mktemp -d "${TMPDIR:-/tmp}/postdkim-ldap.XXXXXX")
	"$LDH" start "$LD" || tl_fail "slapd did not start"
	. "$LD/env"
	cat > "$T/zimbra.ldif" <<EOF
dn: dc=ours,ou=domains,dc=example,dc=com
objectClass: dcObject
objectClass: organizationalUnit
objectClass: dkimTestDomain
dc: ours
ou: ours
dkimTestDomainName: ours.example
DKIMSelector: mail
DKIMDomain: ours.example
DKIMIdentity: ours.example
DKIMKey:: $(base64 -w 0 < "$T/ours.key")
EOF
	ldapadd -x -H "$LDAPI_URI" -D "$LDAP_ROOTDN" -w "$LDAP_ROOTPW" -f "$T/zimbra.ldif" \
	    > "$T/ldapadd.log" 2>&1 || { cat "$T/ldapadd.log" >&2; tl_fail "ldapadd"; }
	localize zimbra <<EOF
Syslog			yes
SyslogSuccess		yes
LogWhy			yes
Canonicalization	relaxed/relaxed
Mode			sv
KeyTable		$LDAP_URI/?DKIMDomain,DKIMSelector,DKIMKey,?sub?(DKIMSelector=\$d)
SigningTable		$LDAP_URI/?DKIMSelector?sub?(DKIMIdentity=\$d)
LDAPBindUser		$LDAP_BINDDN
LDAPBindPassword	$LDAP_BINDPW
LDAPUseTLS		no
InternalHosts		refile:@ETC@/TrustedHosts
ExternalIgnoreList	refile:@ETC@/TrustedHosts
OversignHeaders		From
AutoRestart		yes
UMask			007
PidFile			/opt/zimbra/log/opendkim.pid
UserID			zimbra:zimbra
Socket			inet:8465@localhost
EOF
	chmod 640 "$T/zimbra.conf"
	printf '127.0.0.1\n::1\nlocalhost\n' > "$T/etc-zimbra/TrustedHosts"
	hfields zimbra relaxed/relaxed date:from:from:subject:to date:from:from:message-id:subject:to \
	    int:ours.example int-presigned:ours.example auth:ours.example
	compare zimbra
	ncomp=$((ncomp + 1))
else
	tl_note "Zimbra (ldap:) not compared: the LDAP tests are off (configure --disable-ldap-tests)"
fi

tl_note "ok: $ncomp configurations, $(wc -l < "$T/cases") messages each, $(($(date +%s) - START)) s"
