#!/bin/sh
# crosscheck.sh - run crosscheck.py (core <-> dkimpy) with the interpreter
# that has Debian's python3-dkim; python3 on PATH may be another one.
set -eu
PY=/usr/bin/python3
here=$(dirname "$0")
src=${srcdir:-$here}
# shellcheck source=tests/lib.sh
. "$src/../lib.sh"
lib_skip_unless "$PY cannot import dkim and nacl (apt-get install python3-dkim python3-nacl)" \
    "$PY" -c 'import dkim, nacl.signing'
lib_skip_unless "perl cannot load Mail::DKIM::Signer (apt-get install libmail-dkim-perl)" \
    perl -MMail::DKIM::Signer -e 1
lib_skip_unless "the openssl command is needed to make the RSA test key" command -v openssl
exec "$PY" "$src/crosscheck.py" ./dkimtool
