# shellcheck shell=sh
# lib.sh - shell helpers shared by the test directories (sourced, not run;
# it only defines functions): skipping a test that lacks a tool, a private
# temporary directory removed at exit with the processes a test started, a
# bounded wait-until loop, and DKIM keys made with openssl(1).

# lib_skip_unless WHY COMMAND...: unless COMMAND succeeds (its output
# hidden), say "SKIP: WHY" and exit 77, automake's status for a skipped test.
lib_skip_unless() {
	_ls_why=$1
	shift
	"$@" >/dev/null 2>&1 || { echo "SKIP: $_ls_why"; exit 77; }
}

# lib_tmpdir NAME PIDVAR SIGNAL: T, a new private directory
# ${TMPDIR:-/tmp}/NAME.XXXXXX. At exit (HUP, INT and TERM exit 1) every
# process listed in the variable named PIDVAR is sent SIGNAL and waited for,
# and T is removed, or kept and named when KEEP_TMP is set.
lib_tmpdir() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	LIB_PIDVAR=$2
	LIB_SIGNAL=$3
	trap lib_cleanup EXIT
	trap 'exit 1' HUP INT TERM
}

# lib_cleanup: the EXIT trap of lib_tmpdir.
lib_cleanup() {
	# Processes still running here are only in the way (a graceful stop is
	# tested where it matters); the shell's notices of their end are noise.
	exec 2>/dev/null
	_lc_pids=
	eval "_lc_pids=\${$LIB_PIDVAR:-}"
	for _lc_p in $_lc_pids; do
		kill -s "$LIB_SIGNAL" "$_lc_p" || :
	done
	for _lc_p in $_lc_pids; do
		wait "$_lc_p" || :
	done
	if [ -n "${KEEP_TMP:-}" ]; then
		echo "$(basename "$0"): kept $T"
	else
		rm -rf "$T"
	fi
}

# wait_until TENTHS COMMAND...: run COMMAND until it succeeds, a tenth of a
# second apart; returns 1 when it still fails after TENTHS waits.
wait_until() {
	_wu_n=0
	_wu_max=$1
	shift
	until "$@"; do
		_wu_n=$((_wu_n + 1))
		[ "$_wu_n" -le "$_wu_max" ] || return 1
		sleep 0.1
	done
}

# lib_gone PID: the process has ended (for wait_until).
lib_gone() {
	! kill -0 "$1" 2>/dev/null
}

# lib_genkey rsa|ed25519 FILE: a new private key (RSA: 2048 bits) in FILE,
# mode 0600.
lib_genkey() {
	case $1 in
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" 2>/dev/null ;;
	ed25519) openssl genpkey -algorithm ED25519 -out "$2" 2>/dev/null ;;
	*) false ;;
	esac && chmod 600 "$2"
}

# lib_pubkey rsa|ed25519 FILE: the p= value of the key in FILE (for
# Ed25519 the raw 32-byte key, RFC 8463: the tail of the DER form).
lib_pubkey() {
	if [ "$1" = ed25519 ]; then
		openssl pkey -in "$2" -pubout -outform DER 2>/dev/null | tail -c 32 | base64 -w0
	else
		openssl pkey -in "$2" -pubout -outform DER 2>/dev/null | base64 -w0
	fi
}
