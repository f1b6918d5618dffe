#!/bin/sh
# refile.sh - a refile: SigningTable (wildcards) over a file: KeyTable, with
# comments, blank lines and other domains around: the switch keeps every
# other line, comment and the order, in both files, and postdkim signs the
# rotated domain with the new selector, the others as before.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

ROT_NOTABLES=1 rot_key example.com old
ROT_NOTABLES=1 rot_key other.example.com mail
cat > "$T/keytable" <<EOT
# KeyTable: two domains

k-other other.example.com:mail:$T/keys/other.example.com/mail.private
# the domain being rotated
k-example example.com:old:$T/keys/example.com/old.private
EOT
cat > "$T/signingtable" <<EOT
# SigningTable (refile:): patterns
*@other.example.com	k-other

*@example.com	k-example
# the end
EOT
ROT_SIGNINGTABLE="refile:$T/signingtable"
rot_conf
rot_daemon
cp "$T/keytable" "$T/kt.before"
cp "$T/signingtable" "$T/st.before"
rot_load_start sender@example.com
rot_ok start example.com
rot_ok run
new=$(rot_new_selector example.com old)
[ -n "$new" ] || rot_fail "nothing published"
rot_until_switch example.com "$new"
grep -q "example.com:$new:" "$T/keytable" || rot_fail "the KeyTable does not name $new: $(cat "$T/keytable")"
rot_signs_with "$new" example.com
# Everything but the rotated domain's own lines, as it was, in order.
for f in kt st; do
	case $f in kt) cur=$T/keytable ;; *) cur=$T/signingtable ;; esac
	grep -v 'example.com:old:\|k-example\|@example.com' "$T/$f.before" > "$T/$f.a"
	grep -v "example.com:$new:\|example.com:old:\|k-example\|@example.com" "$cur" > "$T/$f.b"
	cmp -s "$T/$f.a" "$T/$f.b" || { diff "$T/$f.a" "$T/$f.b" >&2; rot_fail "$cur: other lines changed"; }
done
grep -q '^\*@example.com' "$T/signingtable" || rot_fail "the SigningTable lost example.com's pattern"
sleep 1
rot_load_stop --expect-switch
# The other domain still signs with its own key.
"$BENCHDRV" -s "unix:$T/pd.sock" -n 1 -f sender@other.example.com -L "$T/other.log" > /dev/null ||
    rot_fail "benchdrv"
grep -q 's=mail;' "$T/other.log" || rot_fail "other.example.com no longer signed with s=mail"
rot_note ok
