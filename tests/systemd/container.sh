# shellcheck shell=sh
# container.sh - a Debian 12 container booted under a real systemd, for
# tests/systemd/deb-systemd.sh (sourced). The host need not run systemd:
# systemd-nspawn boots the container, nsenter runs commands in it.
#
#   ct_prepare WORKDIR    ROOT=WORKDIR/root, a fresh copy of the cached root
#   ct_boot / ct_wait     boot it (private network) and wait until it runs
#   ct CMD...             run a command inside (stdin passed through)
#   ct_reboot             systemctl reboot inside, then boot the same root again
#   ct_halt               power it off (trap: also on failure)
#
# The pristine root is made once with debootstrap from the mirror apt uses
# and kept in $CT_CACHE, named after what it contains: a changed package list
# makes a new one.

CT_CACHE=${POSTDKIM_CT_CACHE:-/var/cache/postdkim-ci}
CT_NAME=postdkim-ct$$
# debootstrap resolves no virtual packages: it gets the boot essentials,
# apt (inside the root) the rest.
CT_BASE="systemd,systemd-sysv,dbus,procps,adduser"
CT_EXTRA="python3"
CT_VERSION=2    # raise when the making of the root changes
CT_PID=
CT_NSPAWN=
CT_LOG=

ct_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# The Debian mirror of the host's apt sources (one-line or deb822 format).
ct_mirror() {
	if [ -n "${POSTDKIM_CT_MIRROR:-}" ]; then
		echo "$POSTDKIM_CT_MIRROR"
		return
	fi
	m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*/\2/p' | head -n 1)
	[ -n "$m" ] || m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
		/^URIs:/ { u = $2 }
		/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") s = 1 }
		/^$/ { if (s && u != "") { print u; exit } u = ""; s = 0 }
		END { if (s && u != "") print u }' | head -n 1)
	echo "${m:-http://deb.debian.org/debian}"
}

# Run a command in ROOT without booting it, on the host's network (apt).
ct_chroot() {
	systemd-nspawn -q --register=no --keep-unit -D "$ROOT" \
		--setenv=DEBIAN_FRONTEND=noninteractive "$@"
}

# Make (or reuse) the cached root and unpack a fresh copy in $1/root.
ct_prepare() {
	mirror=$(ct_mirror)
	key=$(printf '%s\n' "$CT_VERSION" "$CT_BASE" "$CT_EXTRA" "$mirror" | sha256sum | cut -c1-12)
	tarball="$CT_CACHE/bookworm-$key.tar"
	ROOT="$1/root"
	mkdir -p "$ROOT"
	if [ ! -f "$tarball" ]; then
		echo "container: building $tarball from $mirror (a few minutes, once)"
		debootstrap --variant=minbase --include="$CT_BASE" bookworm "$ROOT" "$mirror" \
			> "$1/debootstrap.log" 2>&1 ||
			{ tail -n 30 "$1/debootstrap.log"; ct_fail "debootstrap failed"; }
		# shellcheck disable=SC2086
		{ ct_chroot apt-get update -q &&
			ct_chroot apt-get install -y -q --no-install-recommends $CT_EXTRA; } \
			> "$1/apt.log" 2>&1 ||
			{ tail -n 30 "$1/apt.log"; ct_fail "apt-get in the new root failed"; }
		ct_chroot apt-get clean
		# A disposable test system: dpkg need not fsync every file.
		echo force-unsafe-io > "$ROOT/etc/dpkg/dpkg.cfg.d/postdkim-ci-unsafe-io"
		mkdir -p "$CT_CACHE"
		tmp=$(mktemp "$CT_CACHE/.bookworm.XXXXXX")
		tar -C "$ROOT" -cf "$tmp" . && mv "$tmp" "$tarball"
		# Roots made for an older package list are of no more use.
		find "$CT_CACHE" -maxdepth 1 -name 'bookworm-*.tar' ! -name "${tarball##*/}" -delete
	else
		tar -C "$ROOT" -xf "$tarball"
	fi
}

# The container's init: the systemd child of systemd-nspawn.
ct_find_init() {
	i=0
	while [ $i -lt 100 ]; do
		for p in $(ps -o pid= --ppid "$CT_NSPAWN" 2>/dev/null); do
			if [ "$(cat /proc/"$p"/comm 2>/dev/null)" = systemd ]; then
				CT_PID=$p
				return 0
			fi
		done
		kill -0 "$CT_NSPAWN" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	tail -n 20 "$CT_LOG" >&2
	ct_fail "the container did not start (log above)"
}

# Boot ROOT in the background, with its own network namespace (only lo): its
# Postfix and test servers do not meet the host's.
ct_boot() {
	CT_LOG=$(mktemp /tmp/postdkim-ct-boot.XXXXXX)
	systemd-nspawn --register=no --keep-unit -q -D "$ROOT" -b --console=pipe \
		-M "$CT_NAME" --private-network > "$CT_LOG" 2>&1 < /dev/null &
	CT_NSPAWN=$!
	ct_find_init
}

# Wait until systemd in the container has finished starting up.
ct_wait() {
	# systemctl needs the manager's socket, which comes a moment after exec.
	i=0
	until [ -S "/proc/$CT_PID/root/run/systemd/private" ]; do
		[ $i -lt 300 ] || ct_fail "no /run/systemd/private in the container after 30 s"
		sleep 0.1
		i=$((i + 1))
	done
	state=$(timeout 90 nsenter -t "$CT_PID" -a systemctl is-system-running --wait 2>&1) || true
	case "$state" in
	running) ;;
	degraded)
		echo "container: degraded; failed units:"
		ct systemctl --failed --no-legend ;;
	*) ct_fail "the container's systemd did not come up: $state" ;;
	esac
}

ct() {
	nsenter -t "$CT_PID" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"
}

# systemd-nspawn exits (status 133) when its container reboots; boot again.
ct_reboot() {
	ct systemctl reboot || true
	i=0
	while kill -0 "$CT_NSPAWN" 2>/dev/null; do
		[ $i -lt 300 ] || ct_fail "the container did not shut down for the reboot"
		sleep 0.1
		i=$((i + 1))
	done
	rc=0
	wait "$CT_NSPAWN" || rc=$?
	[ "$rc" -eq 133 ] || ct_fail "systemd-nspawn exited with $rc, not 133 (reboot)"
	rm -f "$CT_LOG"
	ct_boot
	ct_wait
}

# Power off, then wait; kill what is left after 30 s.
ct_halt() {
	[ -n "$CT_NSPAWN" ] || return 0
	if kill -0 "$CT_NSPAWN" 2>/dev/null; then
		[ -z "$CT_PID" ] || nsenter -t "$CT_PID" -a systemctl poweroff >/dev/null 2>&1 ||
			kill "$CT_NSPAWN" 2>/dev/null || true
		i=0
		while kill -0 "$CT_NSPAWN" 2>/dev/null && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		# SIGKILL to the init of a PID namespace ends all of it.
		[ -z "$CT_PID" ] || kill -KILL "$CT_PID" 2>/dev/null || true
		kill -KILL "$CT_NSPAWN" 2>/dev/null || true
	fi
	wait "$CT_NSPAWN" 2>/dev/null || true
	CT_NSPAWN=
	rm -f "$CT_LOG"
}
