#!/bin/bash
# hostile.sh - the CPU a verifying postdkim spends on messages built to cost
# as much as possible, each against a control message of the same size with
# ordinary signatures. The target: no message Postfix accepts costs more
# than 5 times its control.
#
#   [CASES="issue bodies ..."] bench/hostile.sh [-b BUILDDIR] [-B BEFORE]
#       [-d SECONDS] [-o OUTDIR]
#
# -b: a configured build of this tree (built in a temp dir when absent);
# -B: the build directory of another tree (an older commit, "before"),
# whose daemon/postdkim gets the same messages in the same run; CASES: the
# messages to run (default: all, below). Every cell is a fresh daemon
# (Mode sv, keys from a DNS server on loopback, tests/dns/hostile-dns.py:
# d=bench.example, s=nx is NXDOMAIN, s=rsa, big and exp are published),
# one warm-up message, then messages for SECONDS (default 5; at least one
# message) on one connection from an outside client (benchdrv -m FILE -a
# 192.0.2.1 -v -p PID): the CPU is the daemon's utime + stime from /proc,
# per message. Run it with nice, on a machine that is not compiling.
#
# The messages (all syntactically valid signatures, c=relaxed/relaxed,
# s=nx unless said otherwise):
#   issue    3 signatures, each h= naming "a" 24,000 times, over 9,985
#            one-letter fields (a to z): |h=| x fields x signatures
#   allmatch 3 signatures, each h= naming every one of the 9,985 fields
#   bigheader 3 signatures, each h= naming every one of 30 fields of 59 KB
#            (a 1.8 MB header; one field is one milter command, at most
#            64 KB, and Postfix keeps at most 100 KB of one)
#   spaced   the same, the fields' values " y y y ...": relaxed
#            canonicalization's worst
#   longdup  4,000 fields with one 200-byte name, 3 signatures each naming
#            it 300 times (a 60 KB h=)
#   maxsigs  MaximumSignaturesToVerify 64 and 64 signatures, each naming
#            the 30 fields of the bigheader message
#   bodies   a 9 MB body and 3 signatures with a key (s=rsa, published),
#            each with another l= (none, the body less 1 byte, less 2)
#   bodies64 the same with MaximumSignaturesToVerify 64 and 64 signatures
#   bigkeys  3 signatures whose key is RSA-8192 (the control's RSA-2048),
#            bh= right: each costs an RSA operation
#   bigexp   the same with a 3,072-bit key whose public exponent has 3,070
#            bits
#   forgedar 9,985 Authentication-Results fields with our authserv-id
#            (AuthservID mx.bench.example), each to be removed
# Each control has the same fields and body, its signatures h=from:to:
# subject:date:message-id (no l=), and unsigned X-Pad fields where the
# hostile h= lists were: the same bytes and nearly the same number of
# milter commands.
# Results: OUTDIR/results.jsonl (benchdrv's lines), OUTDIR/verdicts.txt
# (the daemon's log line for the last message of each cell), and a table
# on standard output.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
builddir='' before='' secs=5 outdir=''
while getopts b:B:d:o: opt; do
	case $opt in
	b) builddir=$OPTARG ;;
	B) before=$OPTARG ;;
	d) secs=$OPTARG ;;
	o) outdir=$OPTARG ;;
	*) echo "usage: $0 [-b BUILDDIR] [-B BEFORE] [-d SECONDS] [-o OUTDIR]" >&2; exit 2 ;;
	esac
done

me=hostile.sh
# shellcheck source=bench/benchlib.sh
. "$here/benchlib.sh"
$PY -c 'import dns.message, cryptography' 2>/dev/null ||
	apt-get install -y python3-dnspython python3-cryptography >/dev/null ||
	die "python3-dnspython and python3-cryptography are needed"
bench_workdir
pids=
# shellcheck disable=SC2016 # expanded when the exit handler evals it
bench_atexit='for p in $pids; do kill "$p" 2>/dev/null || true; done'
bench_build "$builddir"
if [ -n "$before" ]; then
	before=$(cd "$before" && pwd)
	[ -x "$before/daemon/postdkim" ] || die "$before/daemon/postdkim not built"
fi
bench_outdir "$outdir"
: > "$outdir/verdicts.txt"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/rsa.key" 2>/dev/null
# The sender's key (s=rsa), for the signatures that must get as far as the body.
echo "rsa._domainkey.bench.example v=DKIM1; k=rsa; p=$(openssl pkey -in "$work/rsa.key" \
    -pubout -outform DER 2>/dev/null | base64 -w0)" > "$work/zone"
dns_port=$($PY "$here/../tests/freeport.py")
$PY "$here/../tests/dns/hostile-dns.py" "$dns_port" "$work/dns.log" "$work/zone" > "$work/dns.out" 2>&1 &
pids="$pids $!"
for _ in $(seq 100); do grep -q ready "$work/dns.out" && break; sleep 0.1; done
grep -q ready "$work/dns.out" || die "DNS server did not start: $(cat "$work/dns.out")"

# The messages: NAME.eml and NAME-control.eml of the same size.
$PY - "$work" <<'EOP' || die "making the messages failed"
import base64, os, sys
w = sys.argv[1]
BH = base64.b64encode(os.urandom(32)).decode()
STD = ("From: a@bench.example\r\nTo: b@ours.example\r\nSubject: hostile\r\n"
       "Date: Mon, 7 Dec 2026 08:00:00 +0000\r\nMessage-ID: <h@bench.example>\r\n")
BODY = "".join("line %d of a body of two kilobytes, more or less.\r\n" % i for i in range(40))


def fold(items, sep):
    """Items joined by sep, a line folded once it passes 72 bytes (Postfix
    splits lines over 2048 bytes)."""
    out, line = [], ""
    for it in items:
        if line and len(line) + len(it) > 72:
            out.append(line)
            line = ""
        line += (sep if line else "") + it
    out.append(line)
    return (sep + "\r\n\t").join(out)


def sig(names, tags="s=nx", blen=256):
    b = base64.b64encode(os.urandom(blen)).decode()
    return ("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=bench.example; %s;\r\n"
            "\tt=1700000000; bh=%s;\r\n\th=%s;\r\n\tb=%s\r\n" % (tags, BH, fold(names, ":"), b))


def pad(n):
    """An unsigned field of exactly n bytes, CRLF included, folded every 73."""
    vlen = n - len("X-Pad:") - 2
    v = list(" " + "x" * (vlen - 1))
    for p in range(70, vlen - 4, 73):
        v[p:p + 3] = ["\r", "\n", "\t"]
    return "X-Pad:" + "".join(v) + "\r\n"


ORDINARY = ["from", "to", "subject", "date", "message-id"]


def write(name, hnames, fields, nsigs=3, body=BODY, tags=None, blen=256, cfields=None):
    """NAME.eml, and NAME-control.eml: ordinary h= and a pad where each h= list was
    (tags: each signature's tags, s= included, and the control's; cfields: the
    control's other fields, when not the same)."""
    tags = tags or ["s=nx"] * (nsigs + 1)
    hostile = [sig(ORDINARY[:1] + hnames if hnames else ORDINARY, tags[i], blen)
               for i in range(nsigs)]
    ordinary = [sig(ORDINARY, tags[-1]) for _ in range(nsigs)]
    control = [o + (pad(len(h) - len(o)) if len(h) > len(o) else "")
               for h, o in zip(hostile, ordinary)]
    rest = STD + "".join(fields) + "\r\n" + body
    crest = STD + "".join(cfields or fields) + "\r\n" + body
    h, c = "".join(hostile) + rest, "".join(control) + crest
    assert len(c) == len(h), (name, len(c), len(h))
    open("%s/%s.eml" % (w, name), "w").write(h)
    open("%s/%s-control.eml" % (w, name), "w").write(c)


# 9,985 fields: the controls' 3 pad fields more stay within the 10,000
# fields the verifier keeps.
letters = ["%s: x\r\n" % chr(ord("a") + i % 26) for i in range(9985)]
write("issue", ["a"] * 24000, letters)
write("allmatch", [chr(ord("a") + i % 26) for i in range(9985)], letters)
# Fields of 59 KB: one header field is one milter command, at most 64 KB.
big = ["X-Big-%d:%s\r\n" % (i, "\r\n\t".join(["y" * 76] * 750)) for i in range(30)]
write("bigheader", ["x-big-%d" % i for i in range(30)], big)
# The same with every other byte a space: relaxed canonicalization's worst.
spaced = ["X-Big-%d:%s\r\n" % (i, "\r\n\t".join([" y" * 38] * 750)) for i in range(30)]
write("spaced", ["x-big-%d" % i for i in range(30)], spaced)
longname = "X-" + "L" * 198
write("longdup", [longname] * 300, ["%s: x\r\n" % longname] * 4000)
write("maxsigs", ["x-big-%d" % i for i in range(30)], big, nsigs=64)
# A 9 MB body (Postfix refuses mail over 10 MB) whose signatures have a key,
# so that the body is hashed: each a different l= (or none), the control's
# all the whole body; lines "y y y ..." are relaxed canonicalization's worst.
body = "".join("y " * 38 + "y\r\n" for _ in range(9 * 1024 * 1024 // 79))
for name, n in (("bodies", 3), ("bodies64", 64)):
    tags = ["s=rsa" + ("; l=%d" % (len(body) - i) if i else "") for i in range(n)]
    write(name, [], [], nsigs=n, body=body, tags=tags + ["s=rsa"])
# Keys that cost to use: an 8,192-bit modulus (b= holds at most 1024
# bytes), and a 3,072-bit one with a 3,070-bit public exponent (OpenSSL
# refuses exponents over 64 bits only for moduli over 3,072 bits). The
# signatures' bh= is right and their b= as long as the modulus, so each
# gets as far as the RSA operation; the control's key is RSA-2048.
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
import hashlib


def odd(bits):
    return int.from_bytes(os.urandom(bits // 8), "big") | 1 << (bits - 1) | 1


def record(e, n):
    der = rsa.RSAPublicNumbers(e, n).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


n3072 = odd(3072)
with open(w + "/zone", "a") as z:
    z.write("big._domainkey.bench.example %s\n" % record(65537, odd(8192)))
    z.write("exp._domainkey.bench.example %s\n" % record(odd(3070), n3072))
BH = base64.b64encode(hashlib.sha256(BODY.encode()).digest()).decode()
for name, sel, blen in (("bigkeys", "big", 1024), ("bigexp", "exp", 384)):
    write(name, [], [], tags=["s=" + sel] * 3 + ["s=rsa"], blen=blen)
# Forged Authentication-Results fields with our authserv-id, each removed
# (one milter reply each); the control's fields have another name.
ar = "Authentication-Results: mx.bench.example; dkim=pass header.d=bench.example\r\n"
write("forgedar", [], [ar] * 9985, cfields=["X-Authentication-Resul" + ar[22:]] * 9985)
EOP

# conf NAME SOCKET: a configuration for cell NAME, its path.
conf() {
	local f=$work/$1.conf
	{
		printf 'Mode sv\nDomain ours.example\nSelector rsa\nKeyFile %s\n' "$work/rsa.key"
		echo "Nameservers 127.0.0.1@$dns_port"
		echo "AuthservID mx.bench.example"
		echo "Socket $2"
		echo "Background no"
		echo "Syslog no"
		case $1 in maxsigs* | bodies64*) echo "MaximumSignaturesToVerify 64" ;; esac
	} > "$f"
	echo "$f"
}

# cell TREE PD MSG: one fresh daemon, one warm-up message, SECONDS measured.
cell() {
	local tree=$1 pd=$2 msg=$3 sock=$work/pd.sock line cpu
	rm -f "$sock"
	"$pd" -f -c "$(conf "$msg" "local:$sock")" 2>>"$work/postdkim-$tree.log" &
	mpid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; kill -0 "$mpid" || break; sleep 0.1; done
	[ -S "$sock" ] || die "postdkim ($tree) did not start: $(tail -3 "$work/postdkim-$tree.log")"
	"$DRV" -s "unix:$sock" -c 1 -n 1 -m "$work/$msg.eml" -a 192.0.2.1 -v > /dev/null ||
		die "warm-up failed ($tree $msg)"
	line=$("$DRV" -s "unix:$sock" -c 1 -d "$secs" -p "$mpid" -l "$msg" -m "$work/$msg.eml" \
	    -a 192.0.2.1 -v) || die "benchdrv failed ($tree $msg)"
	kill "$mpid"
	wait "$mpid" 2>/dev/null || true
	mpid=
	echo "${line%\}},\"tree\":\"$tree\",\"message\":\"$msg\"}" >> "$results"
	# What the daemon made of the last message, for OUTDIR/verdicts.txt.
	echo "$tree $msg: $(grep 'verified:' "$work/postdkim-$tree.log" | tail -1 | cut -c1-400)" \
	    >> "$outdir/verdicts.txt"
	cpu=${line#*\"milter_cpu_ms_per_msg\":}
	say "$tree $msg: ${cpu%%,*} ms CPU per message"
}

say "$(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg); $secs s per cell"
for m in ${CASES:-issue allmatch bigheader spaced longdup maxsigs bodies bodies64 bigkeys bigexp \
    forgedar}; do
	for v in "$m-control" "$m"; do
		cell after "$PD" "$v"
		[ -z "$before" ] || cell before "$before/daemon/postdkim" "$v"
	done
done

# The table: CPU per message and the ratio to the control, after (and before).
$PY - "$results" "$work" <<'EOP'
import json, os, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cpu = {(r["tree"], r["message"]): r["milter_cpu_ms_per_msg"] for r in rows}
trees = [t for t in ("before", "after") if any(k[0] == t for k in cpu)]
head = "| message | size | " + " | ".join(
    "%s: CPU ms/msg (control) | %s: ratio" % (t, t) for t in trees) + " |"
print(head)
print("|" + "---|" * (2 + 2 * len(trees)))
for m in sorted(set(r["message"] for r in rows if not r["message"].endswith("-control")),
              key=lambda m: [r["message"] for r in rows].index(m)):
    size = os.path.getsize("%s/%s.eml" % (sys.argv[2], m))
    cells = []
    for t in trees:
        h, c = cpu[(t, m)], cpu[(t, m + "-control")]
        cells.append("%.2f (%.2f) | **%.2f**" % (h, c, h / c if c > 0 else 0))
    print("| %s | %d KB | %s |" % (m, size // 1024, " | ".join(cells)))
EOP
