#!/bin/sh
# postdkim-keywords.sh - every keyword of opendkim.conf(5) (the manual page
# of Debian's opendkim, installed for the equivalence tests) is one that
# postdkim's configuration reader knows, and has its row in the README's
# "Migrating from OpenDKIM" table, which says what postdkim does with it.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
. "$TESTS_SRCDIR/pdlib.sh"

man5=/usr/share/man/man5/opendkim.conf.5.gz
if [ ! -r "$man5" ]; then
	[ -z "${CI:-}" ] || tl_fail "$man5 not found (build.sh deps installs opendkim)"
	tl_skip "$man5 not found: install opendkim"
fi
zcat "$man5" | sed -n '/^\.TP/{n;s/^\.I \([A-Za-z0-9-]*\) .*/\1/p;}' | sort -u > "$T/kw"
n=$(wc -l < "$T/kw")
[ "$n" -ge 100 ] || tl_fail "only $n keywords read from $man5"
sed -n '/^## Migrating from OpenDKIM/,/^## /s/^| \([A-Za-z0-9-]*\) |.*/\1/p' \
    "$TESTS_SRCDIR/../../README.md" | sort -u > "$T/readme"
missing=$(comm -23 "$T/kw" "$T/readme" | tr '\n' ' ')
[ -z "$missing" ] || tl_fail "not in the README's keyword table: $missing"
# Each keyword, with some value, is read (its value may be refused): never unknown.
while read -r k; do
	printf 'Syslog no\nSocket local:%s/k.sock\nMode v\n%s x\n' "$T" "$k" > "$T/k.conf"
	"$POSTDKIM" -n -c "$T/k.conf" > "$T/k.out" 2>&1 || true
	! grep -q "unknown keyword" "$T/k.out" || { cat "$T/k.out" >&2; tl_fail "$k: unknown to postdkim"; }
done < "$T/kw"
tl_note "$n opendkim.conf(5) keywords: each in the README's table, none unknown to postdkim"
