#!/bin/sh
# loglines.sh - log lines per message in each Mode (s, v, sv), with the
# defaults and with LogResults, LogWhy and SyslogSuccess each: runs
# tests/milter/postdkim-loglines.sh (which also checks the counts) with N
# messages of each kind, and the same on a control build of another commit
# (not checked) when -B names one. Prints the tables in Markdown.
#
#   bench/loglines.sh -b BUILDDIR [-B CONTROL_BUILDDIR] [-n N]
set -eu
me=loglines.sh
here=$(cd "$(dirname "$0")" && pwd)
build= control= n=100
while getopts b:B:n: o; do
	case $o in
	b) build=$(cd "$OPTARG" && pwd) ;;
	B) control=$(cd "$OPTARG" && pwd) ;;
	n) n=$OPTARG ;;
	*) echo "usage: $me -b BUILDDIR [-B CONTROL_BUILDDIR] [-n N]" >&2; exit 2 ;;
	esac
done
[ -n "$build" ] || { echo "$me: -b BUILDDIR is required" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# run BUILDDIR CHECK TABLE: the test against that build's daemon (the
# client and checker are this build's: the control's tree is not touched).
make -C "$build/tests/milter" mclient dkimverify >/dev/null
run() {
	TOP_BUILDDIR=$1 MCLIENT=$build/tests/milter/mclient DKIMVERIFY=$build/tests/milter/dkimverify \
	    TESTS_SRCDIR=$here/../tests/milter LOGLINES_N=$n LOGLINES_CHECK=$2 LOGLINES_TABLE=$3 \
	    sh "$here/../tests/milter/postdkim-loglines.sh" >&2
}
run "$build" yes "$out/this"
echo "### This build ($n messages of each kind per cell; lines per message)"
cat "$out/this"
if [ -n "$control" ]; then
	run "$control" no "$out/control"
	echo
	echo "### Control build ($n messages of each kind per cell; lines per message)"
	cat "$out/control"
fi
