#!/bin/sh
# build.sh - install what postdkim needs (Debian/Ubuntu), build it, then run
# the demo or the whole test suite.
#
#   ./build.sh demo    dependencies, build, then sign a message through the milter
#   ./build.sh test    dependencies, build with -Werror, then `make check`
#   ./build.sh deb     dependencies, then the Debian package, in _deb/
#   ./build.sh deps    dependencies only
#
# Root is needed to install packages and for the real-Postfix tests; the
# script uses sudo when it is not run as root.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build="$here/_build"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# Build and test dependencies, all from Debian's archive.
PACKAGES="build-essential autoconf automake pkg-config libssl-dev libmilter-dev libidn2-dev libsystemd-dev check
 clang libclang-rt-14-dev python3 python3-dkim python3-nacl python3-dnspython python3-cryptography python3-authres libmail-dkim-perl libunbound-dev
 opendkim opendkim-tools libopendbx1-pgsql miltertest dnsmasq-base postfix dovecot-core swaks valgrind
 openssl procps iproute2 util-linux libpq-dev libmariadb-dev postgresql mariadb-server
 mariadb-client libldap-dev libsasl2-dev slapd ldap-utils libmicrohttpd-dev prometheus
 libldns-dev knot knot-dnsutils"
# For the Debian package (deb) and its test under systemd (.ci/run).
DEB_PACKAGES="debhelper dpkg-dev fakeroot lintian python3-nacl debootstrap
 systemd-container"

deps() {
	if [ -n "${POSTDKIM_SKIP_DEPS:-}" ]; then
		return 0
	fi
	missing=
	for p in $PACKAGES ${1:-}; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -n "$missing" ] || return 0
	echo "build.sh: installing:$missing"
	# Postfix must install without asking and without starting a system instance.
	echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
	# shellcheck disable=SC2086
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
	# The packages' own daemons are not used: the tests start private instances.
	for s in postfix opendkim dovecot postgresql mariadb slapd prometheus knot; do
		$SUDO systemctl stop "$s" >/dev/null 2>&1 ||
			$SUDO service "$s" stop >/dev/null 2>&1 || true
	done
}

configure_build() {
	cd "$here"
	[ -x configure ] || autoreconf -fi
	mkdir -p "$build"
	cd "$build"
	[ -f Makefile ] || "$here/configure" --enable-werror "$@"
	make -j"$(nproc)"
}

# Fail when automake skipped a test (CI must not skip any).
no_skips() {
	skipped=$(find "$build" -name test-suite.log -exec grep -h '^# SKIP:' {} + |
		awk '{s += $3} END {print s + 0}')
	if [ "$skipped" -ne 0 ]; then
		find "$build" -name '*.log' -exec grep -l '^SKIP' {} + 2>/dev/null | sed 's/^/skipped: /'
		echo "build.sh: $skipped test(s) skipped" >&2
		[ -z "${CI:-}" ] || exit 1
	fi
}

# Build the package from a copy of the tree in _deb/, where dpkg-buildpackage
# also writes the .deb files (it writes beside the source directory).
deb() {
	out="$here/_deb"
	version=$(dpkg-parsechangelog -l "$here/debian/changelog" -S Version)
	rm -rf "$out"
	mkdir -p "$out/postdkim-$version"
	if git -C "$here" rev-parse --git-dir >/dev/null 2>&1; then
		# Tracked files only: no build products of the working tree.
		(cd "$here" && git ls-files -z | tar --null -T - -cf -) |
			tar -C "$out/postdkim-$version" -xf -
	else
		tar -C "$here" --exclude=./_deb --exclude='./_build*' -cf - . |
			tar -C "$out/postdkim-$version" -xf -
	fi
	(cd "$out/postdkim-$version" && dpkg-buildpackage -us -uc -b)
	echo "== lintian"
	# Errors fail the build; warnings must be fixed or overridden in debian/.
	lintian --fail-on error,warning "$out"/postdkim_"$version"_*.changes
	ls "$out"/*.deb
}

case "${1:-}" in
deps)
	deps "$DEB_PACKAGES" ;;
deb)
	deps "$DEB_PACKAGES"
	deb ;;
demo)
	deps
	configure_build
	# The demo's milter client and verifier are test programs.
	make -C "$build/tests/milter" mclient dkimverify >/dev/null
	"$here/tests/demo.sh" "$build" ;;
test)
	deps
	configure_build
	make -j"$(nproc)" check || {
		find "$build" -name '*.log' -path '*tests*' -exec grep -l -E '^(FAIL|ERROR)' {} + |
			while read -r f; do echo "=== $f"; tail -n 60 "$f"; done
		exit 1
	}
	no_skips ;;
*)
	echo "usage: $0 demo | test | deb | deps" >&2
	exit 2 ;;
esac
