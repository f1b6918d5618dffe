#!/bin/sh
# ldapharness.sh - a private slapd for the tests: its own configuration
# (slapd -f), schema (dkim.schema) and database in DIR, on a free loopback
# port and an ldapi: socket in DIR, never the system's instance.
#
#   ldapharness.sh start DIR   create, load the base tree, start; write DIR/env
#                              (shell assignments: LDAP_PORT, LDAP_SOCK,
#                              LDAP_URI, LDAPS_URI, LDAPI_URI, LDAP_CACERT,
#                              LDAP_ROOTDN, LDAP_ROOTPW, LDAP_BINDDN, LDAP_BINDPW,
#                              LDAP_WRITERS)
#   ldapharness.sh stop DIR    stop and remove DIR
#   ldapharness.sh stop-slapd DIR | start-slapd DIR
#                              stop or start it again (same data, port)
#
# TLS (StartTLS on ldap:, and ldaps:) uses a self-signed certificate for
# 127.0.0.1, LDAP_CACERT, which clients trust through LDAPTLS_CACERT.
# Entries under dc=example,dc=com are readable by bound users only (the
# service account uid=dkim,ou=services and SASL EXTERNAL identities over
# ldapi:), not anonymously: a missing bind shows. Only the members of the
# group LDAP_WRITERS (a groupOfNames, none until a test adds it) may write,
# and only DKIMSelector and DKIMKey under ou=domains (dkimrotate's switch).
# With LDAP_SIZELIMIT=N in the environment at start, a search returns at
# most N entries (sizelimit N), except that the service account may page
# past it in pages of at most 4 (size.pr=4 size.prtotal=unlimited, as an
# administrator would allow).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:?usage: ldapharness.sh start|stop|stop-slapd|start-slapd DIR}
dir=${2:?DIR}
SLAPD=${SLAPD:-/usr/sbin/slapd}
SLAPADD=${SLAPADD:-/usr/sbin/slapadd}

# A free TCP port on 127.0.0.1.
freeport() {
	python3 "$here/../freeport.py" "$@"
}

# Wait up to 10 s for slapd to answer on its socket.
waitup() {
	n=0
	until ldapsearch -LLL -x -H "$LDAPI_URI" -b '' -s base '(objectClass=*)' >/dev/null 2>&1; do
		n=$((n + 1))
		[ $n -le 100 ] || { cat "$dir/slapd.log" >&2; echo "ldapharness.sh: slapd did not start" >&2; return 1; }
		sleep 0.1
	done
}

start_slapd() {
	. "$dir/env"
	"$SLAPD" -f "$dir/slapd.conf" -h "$LDAP_URI $LDAPS_URI $LDAPI_URI" -d 0 > "$dir/slapd.log" 2>&1 &
	echo $! > "$dir/slapd.run"
	waitup
}

stop_slapd() {
	[ -f "$dir/slapd.run" ] || return 0
	pid=$(cat "$dir/slapd.run")
	kill -TERM "$pid" 2>/dev/null || true
	n=0
	while kill -0 "$pid" 2>/dev/null; do
		n=$((n + 1))
		[ $n -le 100 ] || { kill -KILL "$pid" 2>/dev/null || true; break; }
		sleep 0.1
	done
	rm -f "$dir/slapd.run"
}

case $cmd in
start)
	command -v "$SLAPD" >/dev/null 2>&1 && command -v ldapsearch >/dev/null 2>&1 || {
		echo "ldapharness.sh: slapd or ldapsearch missing (apt-get install slapd ldap-utils)" >&2
		exit 1
	}
	mkdir -p "$dir/data"
	read -r port tlsport <<EOF
$(freeport 2)
EOF
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 -keyout "$dir/tls.key" -out "$dir/tls.crt" \
	    > "$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; exit 1; }
	sock="$dir/ldapi"
	enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$sock")
	cat > "$dir/env" <<EOV
LDAP_PORT=$port
LDAP_SOCK='$sock'
LDAP_URI='ldap://127.0.0.1:$port'
LDAPI_URI='ldapi://$enc'
LDAPS_URI='ldaps://127.0.0.1:$tlsport'
LDAP_CACERT='$dir/tls.crt'
LDAP_ROOTDN='cn=admin,dc=example,dc=com'
LDAP_ROOTPW='r00t-secret'
LDAP_BINDDN='uid=dkim,ou=services,dc=example,dc=com'
LDAP_BINDPW='bind:pw@with%signs'
LDAP_WRITERS='cn=dkim-writers,ou=services,dc=example,dc=com'
EOV
	. "$dir/env"
	cat > "$dir/slapd.conf" <<EOC
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $here/dkim.schema
pidfile $dir/slapd.pid
argsfile $dir/slapd.args
TLSCACertificateFile $dir/tls.crt
TLSCertificateFile $dir/tls.crt
TLSCertificateKeyFile $dir/tls.key
modulepath /usr/lib/ldap
moduleload back_mdb
# Zimbra's tables search from the root: "ldap://HOST/?ATTRS?sub?FILTER".
defaultsearchbase "dc=example,dc=com"
database mdb
maxsize 10485760
suffix "dc=example,dc=com"
rootdn "$LDAP_ROOTDN"
rootpw $LDAP_ROOTPW
directory $dir/data
# SASL binds (DIGEST-MD5, SCRAM-SHA-*) check the password kept in the entry of
# the account that the SASL user name maps to.
authz-regexp "uid=([^,]*),(cn=[^,]*,)?cn=[^,]*,cn=auth" "uid=\$1,ou=services,dc=example,dc=com"
access to attrs=userPassword by anonymous auth by * none
access to attrs=entry,objectClass,uid by anonymous auth by users read by * none
# dkimrotate switches keys in entries under ou=domains: members of the
# group LDAP_WRITERS (which a test makes) may replace their selector and key.
access to dn.subtree="ou=domains,dc=example,dc=com" attrs=DKIMSelector,DKIMKey
	by group.exact="$LDAP_WRITERS" write
	by users read
	by * none
access to * by users read by * none
EOC
	if [ -n "${LDAP_SIZELIMIT:-}" ]; then
		printf 'sizelimit %s\nlimits dn.exact="%s" size.pr=4 size.prtotal=unlimited\n' \
		    "$LDAP_SIZELIMIT" "$LDAP_BINDDN" >> "$dir/slapd.conf"
	fi
	cat > "$dir/base.ldif" <<EOL
dn: dc=example,dc=com
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=services,dc=example,dc=com
objectClass: organizationalUnit
ou: services

dn: $LDAP_BINDDN
objectClass: account
objectClass: simpleSecurityObject
uid: dkim
userPassword: $LDAP_BINDPW

dn: ou=people,dc=example,dc=com
objectClass: organizationalUnit
ou: people

dn: ou=domains,dc=example,dc=com
objectClass: organizationalUnit
ou: domains
EOL
	"$SLAPADD" -q -f "$dir/slapd.conf" -l "$dir/base.ldif" > "$dir/slapadd.log" 2>&1 ||
		{ cat "$dir/slapadd.log" >&2; exit 1; }
	start_slapd
	;;
stop)
	stop_slapd
	rm -rf "$dir"
	;;
stop-slapd)
	stop_slapd
	;;
start-slapd)
	start_slapd
	;;
*)
	echo "ldapharness.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
