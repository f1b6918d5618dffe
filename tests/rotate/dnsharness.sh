#!/bin/sh
# dnsharness.sh - private authoritative DNS servers for the rotation tests:
# two Knot DNS instances in DIR on free loopback ports (UDP and TCP), never
# the system's. The PRIMARY serves the test zones from files and takes RFC
# 2136 updates signed with a TSIG hmac-sha256 key; the SECONDARY gets them
# by NOTIFY and zone transfer, and can be made to lag or be stopped.
#
#   dnsharness.sh start DIR        create both, load the zones, wait until the
#                                  secondary has them; write DIR/env (below)
#   dnsharness.sh stop DIR         stop both and remove DIR
#   dnsharness.sh stop-primary DIR | start-primary DIR
#   dnsharness.sh stop-secondary DIR | start-secondary DIR
#                                  a server down, then back (same zones, port)
#   dnsharness.sh lag DIR          the secondary stops taking transfers: it
#                                  keeps answering what it has
#   dnsharness.sh catchup DIR      it takes them again; returns once it serves
#                                  what the primary serves
#   dnsharness.sh refuse-tsig DIR  the primary knows the key by another secret:
#                                  signed updates are refused (BADSIG)
#   dnsharness.sh accept-tsig DIR  and back
#   dnsharness.sh allow-names DIR [NAME...]  the primary takes updates only of
#                                  records at or below the NAMEs (none: any)
#   dnsharness.sh txt DIR NAME [TEXT]
#                                  replace NAME's TXT records by TEXT (split in
#                                  strings of 255 bytes), or delete them
#   dnsharness.sh cname DIR NAME [TARGET]
#                                  replace NAME's CNAME, or delete it
#   dnsharness.sh get DIR primary|secondary NAME [TYPE]
#                                  what that server answers (TXT strings joined),
#                                  over UDP; with DNS_TCP=1 over TCP
#   dnsharness.sh sync DIR         wait until the secondary serves the primary's serials
#
# DIR/env (shell assignments): DNS_PRIMARY and DNS_SECONDARY (ADDR@PORT, as
# RotateAuthoritative and Nameservers take them), DNS_PRIMARY_PORT,
# DNS_SECONDARY_PORT, DNS_TSIG_KEY (the BIND-style key file:
# key "NAME" { algorithm hmac-sha256; secret "..."; };), DNS_TSIG_NAME,
# DNS_TSIG_WRONG (the same name with another secret), DNS_ZONES,
# DNS_SIGNED_ZONES, DNS_NS53_ZONES (those served by ns1/ns2.ZONE), and
# with DNS_LISTEN_53 DNS_PRIMARY_ADDR53 and DNS_SECONDARY_ADDR53 (below).
#
# Zones (DNS_ZONES, default below): example.com, sub.example.com
# (delegated from it: a _domainkey name whose zone is not the domain's),
# provider.net (a RotateDelegate zone) and customer.org (whose CNAMEs
# point into it). More: DNS_EXTRA_ZONES="a.org b.org" at start, or a zone
# file of your own as DIR/seed/ZONE.zone made before start (records
# appended to the SOA and NS written here). Not .test names: libunbound,
# which postdkim and dkimrotate resolve with, answers test. itself (RFC 6761)
# and never asks a server.
#
# DNSSEC: DNS_SIGNED_ZONES="a.org ..." at start adds zones that the primary
# signs (Knot's dnssec-signing with its default policy: ECDSA P-256 KSK and
# ZSK, NSEC; updates signed as they come) and the secondary transfers
# signed; a zone's keys are what it serves (kdig DNSKEY).
# The zones' own servers: NS records hold no port, so with DNS_LISTEN_53=1
# at start each server also listens on port 53 of a loopback address of
# its own (127.53.x.y, chosen free), and the extra and signed zones are
# served by ns1.ZONE and ns2.ZONE, A records at the primary's and the
# secondary's address: finding a zone's servers through its NS then finds
# these two. (The default zones keep ns1/ns2.example.com, 127.0.0.1.)
set -eu

cmd=${1:?usage: dnsharness.sh start|stop|...|txt|cname|get|sync DIR}
dir=${2:?DIR}
KNOTD=${KNOTD:-/usr/sbin/knotd}
KNOTC=${KNOTC:-/usr/sbin/knotc}
DEFAULT_ZONES="example.com sub.example.com provider.net customer.org"

# A loopback port free for TCP and UDP, outside the ephemeral range (a
# server stopped and started again finds it still free).
freeport() {
	python3 "$(dirname "$0")/../freeport.py" "$@"
}

# Two loopback addresses (127.53.x.y) whose port 53 is free for TCP and UDP.
addr53() {
	python3 - <<'EOP'
import random, socket
found = []
for _ in range(1000):
    a = "127.53.%d.%d" % (random.randrange(256), random.randrange(1, 255))
    socks = []
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind)
            socks.append(s)
            s.bind((a, 53))
        if a not in found:
            found.append(a)
    except OSError:
        pass
    finally:
        for s in socks:
            s.close()
    if len(found) == 2:
        print(" ".join(found))
        break
else:
    raise SystemExit("dnsharness.sh: no free port 53 on 127.53.0.0/16 (binding it needs root)")
EOP
}

# Whether word W is in the list L.
in_list() {
	case " $2 " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# knotc for server S (primary or secondary).
kc() {
	_s=$1
	shift
	"$KNOTC" -s "$dir/$_s/knot.sock" -t 10 "$@"
}

# The serial S's server serves for ZONE, or nothing.
serial() {
	. "$dir/env"
	_p=
	eval "_p=\$DNS_$(echo "$1" | tr a-z A-Z)_PORT"
	kdig +short +time=1 +retry=0 @127.0.0.1 -p "$_p" SOA "$2" 2>/dev/null | awk '{print $3}'
}

# Knot's configuration for server S: the primary serves the zone files and
# takes signed updates, the secondary transfers from it.
write_conf() {
	. "$dir/env"
	_s=$1
	_secret=$2
	_S=$(echo "$_s" | tr a-z A-Z)
	_port=$(eval echo "\$DNS_${_S}_PORT")
	_a53=$(eval echo "\${DNS_${_S}_ADDR53:-}")
	# The zone files are read once; from then on the zones (with every
	# update) live in the journal, which survives a stop and start.
	_load=whole
	[ ! -f "$dir/$_s.conf" ] || _load=none
	echo "$_secret" > "$dir/$_s.secret"
	mkdir -p "$dir/$_s/db"
	{
		cat <<EOC
server:
    rundir: "$dir/$_s"
    pidfile: "$dir/$_s/knot.pid"
    listen: [ 127.0.0.1@$_port${_a53:+, $_a53@53} ]
    tcp-workers: 2
    udp-workers: 2
    background-workers: 1
log:
  - target: "$dir/$_s.log"
    any: info
database:
    storage: "$dir/$_s/db"
key:
  - id: $DNS_TSIG_NAME
    algorithm: hmac-sha256
    secret: $_secret
remote:
  - id: primary
    address: 127.0.0.1@$DNS_PRIMARY_PORT
  - id: secondary
    address: 127.0.0.1@$DNS_SECONDARY_PORT
acl:
  - id: update
    key: $DNS_TSIG_NAME
    action: update
EOC
		# allow-names: updates only of records at or below these names.
		[ ! -s "$dir/allow-names" ] || cat <<EOC
    update-owner: name
    update-owner-match: sub-or-equal
    update-owner-name: [$(sed 's/$/./' "$dir/allow-names" | paste -sd, -)]
EOC
		cat <<EOC
  - id: xfr
    address: 127.0.0.1
    action: transfer
  - id: notify
    address: 127.0.0.1
    action: notify
template:
  - id: default
    storage: "$dir/$_s/zones"
    file: "%s.zone"
    semantic-checks: off
    journal-content: all
    zonefile-load: $_load
EOC
		if [ "$_s" = primary ]; then
			cat <<EOC
    notify: secondary
    acl: [update, xfr]
    zonefile-sync: -1
EOC
		else
			cat <<EOC
    master: primary
    acl: [notify, xfr]
    zonefile-sync: -1
EOC
		fi
		echo "zone:"
		for _z in $DNS_ZONES; do
			echo "  - domain: $_z"
			# Signed by the primary only: the secondary serves what it transfers.
			if [ "$_s" = primary ] && in_list "$_z" "$DNS_SIGNED_ZONES"; then
				echo "    dnssec-signing: on"
			fi
		done
	} > "$dir/$_s.conf"
}

# Zone files: SOA (short timers: a secondary that was away refreshes within
# seconds), NS, the delegation of sub.example.com, and any DIR/seed/Z.zone.
write_zones() {
	. "$dir/env"
	mkdir -p "$dir/primary/zones" "$dir/secondary/zones"
	for _z in $DNS_ZONES; do
		{
			printf '$ORIGIN %s.\n$TTL 60\n' "$_z"
			if in_list "$_z" "$DNS_NS53_ZONES"; then
				printf '@ SOA ns1 hostmaster 1 2 1 3600 5\n@ NS ns1\n@ NS ns2\n'
				printf 'ns1 A %s\nns2 A %s\n' "$DNS_PRIMARY_ADDR53" "$DNS_SECONDARY_ADDR53"
			else
				printf '@ SOA ns1.example.com. hostmaster.example.com. 1 2 1 3600 5\n'
				printf '@ NS ns1.example.com.\n@ NS ns2.example.com.\n'
			fi
			if [ "$_z" = example.com ]; then
				printf 'ns1 A 127.0.0.1\nns2 A 127.0.0.1\n'
				printf 'sub NS ns1.example.com.\nsub NS ns2.example.com.\n'
			fi
			[ ! -f "$dir/seed/$_z.zone" ] || cat "$dir/seed/$_z.zone"
		} > "$dir/primary/zones/$_z.zone"
	done
}

start_server() {
	_s=$1
	write_conf "$_s" "$(cat "$dir/$_s.secret")"
	"$KNOTD" -c "$dir/$_s.conf" > "$dir/$_s.out" 2>&1 &
	echo $! > "$dir/$_s.run"
	_n=0
	until kc "$_s" status >/dev/null 2>&1; do
		_n=$((_n + 1))
		if [ $_n -gt 300 ] || ! kill -0 "$(cat "$dir/$_s.run")" 2>/dev/null; then
			cat "$dir/$_s.out" "$dir/$_s.log" >&2 2>/dev/null || :
			echo "dnsharness.sh: knotd ($_s) did not start" >&2
			return 1
		fi
		sleep 0.1
	done
}

stop_server() {
	[ -f "$dir/$1.run" ] || return 0
	_pid=$(cat "$dir/$1.run")
	kill -TERM "$_pid" 2>/dev/null || :
	_n=0
	while kill -0 "$_pid" 2>/dev/null; do
		_n=$((_n + 1))
		[ $_n -le 100 ] || { kill -KILL "$_pid" 2>/dev/null || :; break; }
		sleep 0.1
	done
	rm -f "$dir/$1.run"
}

# Wait (at most 30 s) until the secondary serves every zone at the primary's serial.
sync_zones() {
	. "$dir/env"
	_n=0
	for _z in $DNS_ZONES; do
		while :; do
			_a=$(serial primary "$_z")
			_b=$(serial secondary "$_z")
			[ -z "$_a" ] || [ "$_a" != "$_b" ] || break
			_n=$((_n + 1))
			if [ $_n -gt 300 ]; then
				echo "dnsharness.sh: $_z: the secondary serves serial '$_b', the primary '$_a'" >&2
				return 1
			fi
			sleep 0.1
		done
	done
}

# knsupdate with the good key, against the primary, the zone given.
update() {
	. "$dir/env"
	_z=$1
	shift
	{
		echo "server 127.0.0.1 $DNS_PRIMARY_PORT"
		echo "zone $_z."
		for _l in "$@"; do
			echo "$_l"
		done
		echo send
	} | knsupdate -k "$dir/tsig.knot" -t 10 2>&1
}

# The zone of NAME among ours: the longest suffix in DNS_ZONES.
zone_of() {
	. "$dir/env"
	_best=
	for _z in $DNS_ZONES; do
		case "$1" in
		"$_z" | *".$_z")
			[ ${#_z} -le ${#_best} ] || _best=$_z ;;
		esac
	done
	[ -n "$_best" ] || { echo "dnsharness.sh: $1 is in none of $DNS_ZONES" >&2; return 1; }
	echo "$_best"
}

# TEXT as TXT strings of at most 255 bytes, each quoted (the text holds no quote).
txt_strings() {
	printf '%s\n' "$1" | fold -b -w 255 | while IFS= read -r _part; do
		printf ' "%s"' "$_part"
	done
}

key_file() {
	printf 'key "%s" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "$1" "$2" > "$3"
	chmod 600 "$3"
}

case $cmd in
start)
	command -v "$KNOTD" >/dev/null 2>&1 && command -v kdig >/dev/null 2>&1 &&
	    command -v knsupdate >/dev/null 2>&1 || {
		echo "dnsharness.sh: knotd, kdig or knsupdate missing (apt-get install knot knot-dnsutils)" >&2
		exit 1
	}
	mkdir -p "$dir"
	secret=$(openssl rand -base64 32)
	wrong=$(openssl rand -base64 32)
	cat > "$dir/env" <<EOV
read -r DNS_PRIMARY_PORT DNS_SECONDARY_PORT <<EOF
$(freeport 2)
EOF
DNS_TSIG_NAME=rotate-key
DNS_TSIG_KEY='$dir/tsig.key'
DNS_TSIG_WRONG='$dir/wrong.key'
DNS_ZONES='${DNS_ZONES:-$DEFAULT_ZONES}${DNS_EXTRA_ZONES:+ $DNS_EXTRA_ZONES}${DNS_SIGNED_ZONES:+ $DNS_SIGNED_ZONES}'
DNS_SIGNED_ZONES='${DNS_SIGNED_ZONES:-}'
EOV
	if [ -n "${DNS_LISTEN_53:-}" ]; then
		a53=$(addr53)
		cat >> "$dir/env" <<EOV
DNS_PRIMARY_ADDR53=${a53% *}
DNS_SECONDARY_ADDR53=${a53#* }
DNS_NS53_ZONES='${DNS_EXTRA_ZONES:-} ${DNS_SIGNED_ZONES:-}'
EOV
	else
		echo "DNS_NS53_ZONES=" >> "$dir/env"
	fi
	. "$dir/env"
	printf "DNS_PRIMARY=127.0.0.1@%s\nDNS_SECONDARY=127.0.0.1@%s\n" \
	    "$DNS_PRIMARY_PORT" "$DNS_SECONDARY_PORT" >> "$dir/env"
	key_file "$DNS_TSIG_NAME" "$secret" "$DNS_TSIG_KEY"
	key_file "$DNS_TSIG_NAME" "$wrong" "$DNS_TSIG_WRONG"
	echo "$secret" > "$dir/secret"
	# knsupdate's own form of the key (-k): ALG:NAME:SECRET.
	echo "hmac-sha256:$DNS_TSIG_NAME:$secret" > "$dir/tsig.knot"
	echo "$wrong" > "$dir/wrongsecret"
	write_zones
	echo "$secret" > "$dir/primary.secret"
	echo "$secret" > "$dir/secondary.secret"
	start_server primary
	start_server secondary
	sync_zones
	;;
stop)
	stop_server secondary
	stop_server primary
	rm -rf "$dir"
	;;
stop-primary | stop-secondary)
	stop_server "${cmd#stop-}"
	;;
start-primary | start-secondary)
	start_server "${cmd#start-}"
	;;
lag)
	. "$dir/env"
	# Blocking (-b): the freeze is a zone event of its own. Without -b a
	# NOTIFY arriving before it ran wins the tie (Knot orders events of the
	# same second by type, refresh first) and the secondary transfers anyway.
	for z in $DNS_ZONES; do
		kc secondary -b zone-freeze "$z" >/dev/null
	done
	;;
catchup)
	. "$dir/env"
	for z in $DNS_ZONES; do
		kc secondary -b zone-thaw "$z" >/dev/null
		kc secondary zone-refresh "$z" >/dev/null
	done
	sync_zones
	;;
allow-names)
	shift 2
	printf '%s\n' "$@" | sed '/^$/d' > "$dir/allow-names"
	write_conf primary "$(cat "$dir/primary.secret")"
	kc primary reload >/dev/null
	;;
refuse-tsig | accept-tsig)
	if [ "$cmd" = refuse-tsig ]; then
		write_conf primary "$(cat "$dir/wrongsecret")"
	else
		write_conf primary "$(cat "$dir/secret")"
	fi
	kc primary reload >/dev/null
	;;
txt | cname)
	name=${3:?NAME}
	z=$(zone_of "$name")
	type=$(echo "$cmd" | tr a-z A-Z)
	if [ -z "${4:-}" ]; then
		out=$(update "$z" "del $name. $type") || :
	elif [ "$cmd" = txt ]; then
		out=$(update "$z" "del $name. TXT" "add $name. 60 TXT$(txt_strings "$4")") || :
	else
		out=$(update "$z" "del $name. CNAME" "add $name. 60 CNAME $4") || :
	fi
	[ -z "$out" ] || { echo "dnsharness.sh: update of $name: $out" >&2; exit 1; }
	;;
get)
	. "$dir/env"
	port=
	eval "port=\$DNS_$(echo "${3:?primary|secondary}" | tr a-z A-Z)_PORT"
	# kdig +short prints each TXT record as "str1" "str2": joined here.
	kdig +short +time=2 +retry=0 +bufsize=4096 ${DNS_TCP:+ +tcp} @127.0.0.1 -p "$port" \
	    "${5:-TXT}" "${4:?NAME}" | sed -e 's/" "//g' -e 's/^"//' -e 's/"$//'
	;;
sync)
	sync_zones
	;;
*)
	echo "dnsharness.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
