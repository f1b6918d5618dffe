#!/bin/sh
# ldap.sh - KeyTable and SigningTable in LDAP (a private slapd,
# tests/ldap/ldapharness.sh): entries named by their DKIMDomain, the
# SigningTable naming that entry. postdkim (DatabaseCacheTTL 1) signs
# example.com under load throughout. dkimrotate binds as postdkim does
# (LDAPBindUser, LDAPBindPassword). While the bind account may not write
# (slapd's ACL: not yet in the writers' group), the run that would switch
# exits non-zero with the server's reason, no password, and nothing
# switched. Allowed under ou=domains only, the next run switches
# example.com (selector and key replaced, the 0600 key whose public part is
# published) and not third.example.com, whose entry under ou=people it may
# not write: it exits non-zero saying so, example.com goes on (reload,
# signing with the new selector), third.example.com stays visible and
# switches at the run after its entry moved under ou=domains.
# other.example.com's entry never changes.
set -eu
. "${TESTS_SRCDIR:-$(dirname "$0")}/rotlib.sh"

rot_db_start ldap

# ldapmod: an LDIF on stdin, applied as the directory's administrator.
ldapmod() {
	ldapmodify -x -H "$LDAPI_URI" -D "$LDAP_ROOTDN" -w "$LDAP_ROOTPW" > "$T/ldapmodify.log" 2>&1 ||
	    { cat "$T/ldapmodify.log" >&2; rot_fail "ldapmodify"; }
}
# attr DOMAIN ATTRIBUTE: the attribute's value in DOMAIN's entry, as the service account reads it.
attr() {
	ldapsearch -LLL -o ldif-wrap=no -x -H "$LDAPI_URI" -D "$LDAP_BINDDN" -w "$LDAP_BINDPW" \
	    -b dc=example,dc=com "(DKIMDomain=$1)" "$2" | sed -n "s/^$2: //p"
}
# entries: every DKIM entry, whole, as the administrator reads it.
entries() {
	ldapsearch -LLL -o ldif-wrap=no -x -H "$LDAPI_URI" -D "$LDAP_ROOTDN" -w "$LDAP_ROOTPW" \
	    -b dc=example,dc=com '(DKIMDomain=*)' '*' | awk 'BEGIN { RS = ""; ORS = "\n\n" } { print }'
}
# entry OU DOMAIN SELECTOR: a domain's entry under ou=OU.
entry() {
	cat <<EOF
dn: ou=$2,ou=$1,dc=example,dc=com
changetype: add
objectClass: organizationalUnit
objectClass: DKIM
ou: $2
DKIMDomain: $2
DKIMIdentity: $2
DKIMSelector: $3
DKIMKey: $T/keys/$2/$3.private

EOF
}

ROT_NOTABLES=1 rot_key example.com old
ROT_NOTABLES=1 rot_key third.example.com old
ROT_NOTABLES=1 rot_key other.example.com mail
{ entry domains example.com old; entry people third.example.com old
  entry domains other.example.com mail
  printf 'dn: %s\nchangetype: add\nobjectClass: groupOfNames\ncn: dkim-writers\nmember: %s\n' \
      "$LDAP_WRITERS" "$LDAP_ROOTDN"; } | ldapmod
entries | awk 'BEGIN { RS = ""; ORS = "\n\n" } /DKIMDomain: other.example.com/' > "$T/other.before"
grep -q 'DKIMSelector: mail' "$T/other.before" || rot_fail "other.example.com's entry is not there"
# The SigningTable names the key entry by its DKIMDomain, which the KeyTable looks up.
# shellcheck disable=SC2034 # rotlib.sh reads both
ROT_SIGNINGTABLE="$LDAP_URI/dc=example,dc=com?DKIMDomain?sub?(DKIMIdentity=\$d)"
# shellcheck disable=SC2034
ROT_KEYTABLE="$LDAP_URI/dc=example,dc=com?DKIMDomain,DKIMSelector,DKIMKey?sub?(DKIMDomain=\$d)"
rot_conf "DatabaseCacheTTL	1
LDAPBindUser	$LDAP_BINDDN
LDAPBindPassword	$LDAP_BINDPW"
rot_daemon
rot_load_start sender@example.com

rot_ok status
grep example.com "$T/rot.out" | grep -q old || rot_fail "status does not read example.com's entry: $(cat "$T/rot.out")"
grep other.example.com "$T/rot.out" | grep -q mail || rot_fail "status does not read other.example.com's entry"
rot_ok start example.com third.example.com
rot_ok run
new=$(rot_new_selector example.com old)
new3=$(rot_new_selector third.example.com old)
[ -n "$new" ] && [ -n "$new3" ] || rot_fail "nothing published"
[ "$(attr example.com DKIMSelector)" = old ] || rot_fail "the entry switched after one check"

# Not allowed to write: the run that would switch fails, and says why.
rot_until_fails "no run failed while the entries could not be written"
grep -q 'Insufficient access (50)' "$T/rot.out" || rot_fail "the server's reason is not said: $(cat "$T/rot.out")"
grep -q '0 of 2 entries switched' "$T/rot.out" || rot_fail "the failed switch is not counted: $(cat "$T/rot.out")"
! grep -qF -e "$LDAP_BINDPW" -e "$LDAP_ROOTPW" "$T/rot.log" || rot_fail "a password shows in dkimrotate's output"
[ "$(attr example.com DKIMSelector)" = old ] && [ "$(attr third.example.com DKIMSelector)" = old ] ||
    rot_fail "an entry switched although the run failed"
rot_status_has example.com visible
rot_status_has third.example.com visible

# Allowed under ou=domains: example.com switches, third.example.com (under ou=people) cannot.
printf 'dn: %s\nchangetype: modify\nadd: member\nmember: %s\n' "$LDAP_WRITERS" "$LDAP_BINDDN" | ldapmod
reloads=$(rot_reloads)
"$H" sync "$T/dns" || rot_fail "the secondary does not follow the primary"
rot_adv 1h
rot_err run
grep -q '1 of 2 entries switched, 1 not (third.example.com: Insufficient access (50)' "$T/rot.out" ||
    rot_fail "the partial switch is not said: $(cat "$T/rot.out")"
[ "$(attr example.com DKIMSelector)" = "$new" ] || rot_fail "example.com's entry does not name $new"
[ "$(attr third.example.com DKIMSelector)" = old ] || rot_fail "third.example.com's entry changed"
path=$(attr example.com DKIMKey)
[ -f "$path" ] && [ "$(stat -c %a "$path")" = 600 ] || rot_fail "the entry names $path, not a 0600 key"
[ "$(rot_p secondary "$new._domainkey.example.com")" = "$(lib_pubkey rsa "$path")" ] ||
    rot_fail "the entry's key is not the published one"
[ "$(rot_reloads)" -eq $((reloads + 1)) ] || rot_fail "no reload for the domain that switched"
rot_status_has example.com "active|retiring"
rot_status_has third.example.com visible
rot_signs_with "$new" example.com

# Once third.example.com's entry may be written, the next run switches it.
printf 'dn: ou=third.example.com,ou=people,dc=example,dc=com\nchangetype: modrdn\nnewrdn: ou=third.example.com\ndeleteoldrdn: 1\nnewsuperior: ou=domains,dc=example,dc=com\n' | ldapmod
rot_adv 1h
rot_ok run
[ "$(attr third.example.com DKIMSelector)" = "$new3" ] || rot_fail "third.example.com's entry does not name $new3"
path3=$(attr third.example.com DKIMKey)
[ "$(rot_p secondary "$new3._domainkey.third.example.com")" = "$(lib_pubkey rsa "$path3")" ] ||
    rot_fail "third.example.com's key is not the published one"
rot_status_has third.example.com "active|retiring"
[ "$(attr example.com DKIMSelector)" = "$new" ] || rot_fail "example.com's entry changed again"
entries | awk 'BEGIN { RS = ""; ORS = "\n\n" } /DKIMDomain: other.example.com/' > "$T/other.after"
cmp -s "$T/other.before" "$T/other.after" || { diff "$T/other.before" "$T/other.after" >&2; rot_fail "other.example.com's entry changed"; }
sleep 1
rot_load_stop --expect-switch
rot_note ok
