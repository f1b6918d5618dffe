#!/bin/sh
# crosscheck.sh - run crosscheck.py (core <-> dkimpy) with the interpreter
# that has Debian's python3-dkim; python3 on PATH may be another one.
set -eu
PY=/usr/bin/python3
here=$(dirname "$0")
src=${srcdir:-$here}
if ! "$PY" -c 'import dkim, nacl.signing' 2>/dev/null; then
	echo "SKIP: $PY cannot import dkim and nacl (apt-get install python3-dkim python3-nacl)"
	exit 77
fi
if ! perl -MMail::DKIM::Signer -e 1 2>/dev/null; then
	echo "SKIP: perl cannot load Mail::DKIM::Signer (apt-get install libmail-dkim-perl)"
	exit 77
fi
if ! command -v openssl >/dev/null 2>&1; then
	echo "SKIP: the openssl command is needed to make the RSA test key"
	exit 77
fi
exec "$PY" "$src/crosscheck.py" ./dkimtool
