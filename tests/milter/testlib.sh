# testlib.sh - shell helpers for the protocol-level tests (sourced, not run).
#
# Gives: a private temp dir $T removed on exit (tests/lib.sh), daemons
# started in the background and stopped by their own PID, bounded waits,
# and a corpus of test messages written byte for byte (LF and CRLF, folded,
# 8-bit, long).

: "${MCLIENT:?MCLIENT must point to the mclient binary (run through make check)}"
: "${TESTS_SRCDIR:=$(cd "$(dirname "$0")" && pwd)}"
PY=/usr/bin/python3
DKIMCHECK="$PY $TESTS_SRCDIR/dkimcheck.py"
# The three-verifier interop harness, when this machine has it.
VERIFY_ALL=${VERIFY_ALL:-/work/shared/interop/bin/verify-all}

# shellcheck source=tests/lib.sh
. "$TESTS_SRCDIR/../lib.sh"
# Daemons still running at exit are ended at once, by their own PID.
# shellcheck disable=SC2034 # lib_cleanup reads it by name
TL_PIDS=""
lib_tmpdir mtest TL_PIDS KILL
TL_NAME=$(basename "$0")

tl_fail() {
	echo "$TL_NAME: FAIL: $*" >&2
	exit 1
}

tl_skip() {
	echo "$TL_NAME: SKIP: $*" >&2
	exit 77
}

tl_note() {
	echo "$TL_NAME: $*"
}

# tl_waitgone PID TENTHS: wait up to TENTHS/10 s for a process to end.
tl_waitgone() {
	wait_until "$2" lib_gone "$1"
}

# tl_stop PID: stop one daemon we started, bounded.
tl_stop() {
	kill "$1" 2>/dev/null || true
	tl_waitgone "$1" 50 || kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# tl_kill PID: end a third-party daemon we started at once (opendkim's
# libmilter takes 5 s to wind down on SIGTERM; its shutdown is not under test).
tl_kill() {
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# tl_wait_socket PATH PID [TENTHS]: wait (at most 10 s, or TENTHS/10 s)
# for a unix socket to appear; fails at once when the process ends.
tl_wait_socket() {
	wait_until "${3:-100}" tl_socket_or_gone "$1" "$2" && [ -S "$1" ]
}

# tl_socket_or_gone PATH PID: the socket is there, or the process has ended.
tl_socket_or_gone() {
	[ -S "$1" ] || lib_gone "$2"
}

# tl_strip_sigs FILE: the message without its DKIM-Signature fields.
tl_strip_sigs() {
	$PY -c '
import sys
data = open(sys.argv[1], "rb").read()
head, sep, body = data.partition(b"\r\n\r\n")
out, skip = [], False
for line in head.split(b"\r\n"):
    if line[:1] in (b" ", b"\t"):
        if not skip:
            out.append(line)
        continue
    skip = line.lower().startswith(b"dkim-signature:")
    if not skip:
        out.append(line)
sys.stdout.buffer.write(b"\r\n".join(out) + sep + body)
' "$1"
}

# tl_corpus DIR [DOMAIN]: write the test messages, From in DOMAIN (default
# example.com); sets CORPUS (list of files) and
# CORPUS_ONESPACE (those whose every field has exactly one space after the
# colon, so signatures survive an MTA without SMFIP_HDR_LEADSPC).
tl_corpus() {
	_cd=$1
	_cdom=${2:-example.com}
	mkdir -p "$_cd"
	H='From: Alice <alice@'$_cdom'>\nTo: Bob <bob@example.net>\nDate: Mon, 23 Nov 2026 19:00:00 +0000\nMessage-ID: <%s@example.com>\n'
	# 01: plain, LF line ends
	printf "$H"'Subject: plain\n\nHello Bob,\nthis is a test.\n' 01 > "$_cd/01-plain.eml"
	# 02: CRLF line ends, folded and oddly spaced fields
	printf 'From: alice@'$_cdom'\r\nTo: bob@example.net,\r\n\tcarol@example.net,\r\n  dave@example.net\r\nSubject:\tTab after colon\r\nX-Nospace:value\r\nX-Two:  two  spaces  \r\nX-Folded: a\r\n \r\n\tb\r\nMessage-ID: <02@example.com>\r\n\r\nCRLF body\r\n  indented line  \r\n' > "$_cd/02-crlf-odd.eml"
	# 03: 8-bit UTF-8 header and body
	printf "$H"'Subject: Gr\303\274\303\237e \342\200\224 \346\227\245\346\234\254\nX-8bit: caf\303\251 cr\303\250me\n\n\303\200 bient\303\264t, \342\202\254 100\n' 03 > "$_cd/03-utf8.eml"
	# 04: a 1500-byte folded header and a 1200-byte unfolded one
	{
		printf "$H" 04
		printf 'Subject: long headers\nReferences:'
		_ci=0
		while [ $_ci -lt 30 ]; do
			printf ' <ref-%04d-abcdefghijklmnopqrstuvwxyz@example.org>\n' $_ci
			_ci=$((_ci + 1))
		done
		printf 'X-Long: '
		_ci=0
		while [ $_ci -lt 120 ]; do
			printf 'word%05d ' $_ci
			_ci=$((_ci + 1))
		done
		printf '\n\nbody\n'
	} > "$_cd/04-long.eml"
	# 05: trailing blanks, blank lines at the end of the body
	printf "$H"'Subject: trailing blanks\n\nline one   \n\t\n  \nline four\t\n\n\n\n' 05 > "$_cd/05-trailing.eml"
	# 06: empty body
	printf "$H"'Subject: empty body\n\n' 06 > "$_cd/06-empty.eml"
	# 07: no final newline
	printf "$H"'Subject: no final newline\n\nlast line without newline' 07 > "$_cd/07-nonl.eml"
	# 08: 200 KB body, one line longer than a milter chunk
	{
		printf "$H" 08
		printf 'Subject: big body\n\n'
		$PY -c '
import sys
w = sys.stdout.write
for i in range(2000):
    w("line %05d %s\n" % (i, "x" * (i % 90)))
w("y" * 70000 + "\n")
w("end\n")'
	} > "$_cd/08-big.eml"
	# 09: header only, no empty line
	printf "$H"'Subject: header only\n' 09 > "$_cd/09-nobody.eml"
	# 10: repeated fields
	printf 'Received: from a by b; Mon, 23 Nov 2026 18:00:00 +0000\nReceived: from c by d; Mon, 23 Nov 2026 18:01:00 +0000\n'"$H"'Subject: first\nX-Dup: one\nX-Dup: two\n\nrepeated fields\n' 10 > "$_cd/10-dups.eml"
	CORPUS=$(ls "$_cd"/*.eml)
	CORPUS_ONESPACE="$_cd/01-plain.eml $_cd/03-utf8.eml $_cd/04-long.eml $_cd/05-trailing.eml $_cd/06-empty.eml $_cd/07-nonl.eml $_cd/08-big.eml $_cd/10-dups.eml"
}
