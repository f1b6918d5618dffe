#!/bin/sh
# postdkim-alerts.sh - the alert rules shipped in contrib/postdkim-alerts.yml
# load in Prometheus (promtool check rules) and fire on the series they are
# about, and only then (promtool test rules with alerts-test.yml); README's
# Monitoring section shows the same three rules.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/testlib.sh"
command -v promtool >/dev/null 2>&1 || tl_skip "promtool is needed (apt-get install prometheus)"

top=$(cd "$TESTS_SRCDIR/../.." && pwd)
cp "$top/contrib/postdkim-alerts.yml" "$TESTS_SRCDIR/alerts-test.yml" "$T/"
promtool check rules "$T/postdkim-alerts.yml" > "$T/check.out" 2>&1 ||
	{ cat "$T/check.out" >&2; tl_fail "promtool check rules refuses contrib/postdkim-alerts.yml"; }
grep -q "SUCCESS: 3 rules found" "$T/check.out" || { cat "$T/check.out" >&2; tl_fail "not 3 rules"; }
(cd "$T" && promtool test rules alerts-test.yml) > "$T/test.out" 2>&1 ||
	{ cat "$T/test.out" >&2; tl_fail "promtool test rules: an alert does not fire as expected"; }
for a in PostdkimMailNotSigned PostdkimVerifyTemperrors PostdkimKeyOverdue; do
	grep -q "alert: $a\$" "$top/README.md" || tl_fail "README does not show the alert $a"
done
tl_note "3 alert rules load and fire as tested"
