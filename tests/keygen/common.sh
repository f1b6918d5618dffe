# common.sh - shared by the dkimgen tests: paths, a private temporary
# directory removed at exit (tests/lib.sh), and assertions that say what
# went wrong.

: "${DKIMGEN:?DKIMGEN must name the dkimgen binary}"
srcdir=${srcdir:-.}
# shellcheck source=tests/lib.sh
. "$srcdir/../lib.sh"
# shellcheck disable=SC2034 # lib_cleanup reads it by name
CLEANUP_PIDS=
lib_tmpdir dkimgen-test CLEANUP_PIDS TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# run WANT_RC CMD... : run CMD, keep stdout+stderr in $T/out, check the exit code.
run() {
	want=$1
	shift
	set +e
	"$@" >"$T/out" 2>&1
	got=$?
	set -e
	if [ "$got" != "$want" ]; then
		cat "$T/out" >&2
		fail "'$*' exited $got, expected $want"
	fi
}

# has PHRASE: the last run's output contains PHRASE (fixed string).
has() {
	grep -qF -- "$1" "$T/out" || { cat "$T/out" >&2; fail "output lacks '$1'"; }
}

# hasline LINE: the last run's output has LINE as a whole line, byte for byte.
hasline() {
	grep -qxF -- "$1" "$T/out" || { cat -A "$T/out" >&2; fail "output lacks the line '$1'"; }
}

# hasnt PHRASE: the last run's output does not contain PHRASE.
hasnt() {
	if grep -qF -- "$1" "$T/out"; then cat "$T/out" >&2; fail "output has '$1'"; fi
}

# mode FILE: the permission bits of FILE, in octal.
mode() {
	stat -c %a "$1"
}

# zone_text FILE: the joined quoted strings of a zone-file TXT record.
zone_text() {
	sed -e 's/;[^"]*$//' "$1" | tr -d '\n' | sed -e 's/^[^"]*"//' -e 's/"[^"]*$//' \
	    -e 's/"[^"]*"//g'
}

# A Python that has dkimpy (Debian's python3-dkim) and PyNaCl.
find_python() {
	for p in /usr/bin/python3 python3; do
		if "$p" -c 'import dkim, nacl.signing' 2>/dev/null; then
			PYTHON=$p
			return 0
		fi
	done
	return 1
}
