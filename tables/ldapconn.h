/*
 * ldapconn.h - what reads and binds to an LDAP table, shared by the ldap.so
 * module (dataset_ldap.c) and dkimrotate's LDAP KeyTable (keygen/rotldap.c):
 * the URLs read with libldap's parser, "$d" and "$D" expanded with the key
 * escaped, and a connection made and bound as the LDAP* settings say.
 */
#ifndef POSTDKIM_LDAPCONN_H
#define POSTDKIM_LDAPCONN_H

#include <stddef.h>

#include <ldap.h>

#include "dataset.h"

#define LDAP_URLS_MAX 8		/* as OpenDKIM */

/* What a table is: its URLs and the LDAP* settings at its opening. */
struct ldapspec {
	char *uris;			/* for ldap_initialize: "scheme://hostport ..." */
	char *base, *filter;		/* templates, with $d and $D */
	char *attrs[DATASET_FIELDS_MAX + 1];
	size_t nattrs;
	int scope;
	int ldaps;			/* the first URL is ldaps: (no StartTLS) */
	char *mech, *authuser, *authname, *authrealm;
	int use_tls;
	unsigned timeout_s;
	int ka_idle, ka_probes, ka_interval;
};

/*
 * A spec for the URLs with the settings ls (bind user and password not
 * kept: the caller's). NULL with err when the URLs are wrong.
 */
struct ldapspec *ldapspec_make(const char *urls, const struct dataset_ldap_settings *ls,
    char *err, size_t errsize);
void ldapspec_free(struct ldapspec *sp);

/*
 * tmpl with $d as key and $D as "dc=" labels, key escaped for a DN's value
 * (dn 1, RFC 4514) or a filter (RFC 4515); walk: $d as "" in a DN, "*"
 * (unescaped) in a filter. Caller frees; NULL when out of memory.
 */
char *ldapspec_expand(const char *tmpl, const char *key, int dn, int walk);

/* The error's name and the server's diagnostic, escaped, in err. */
void ldapconn_error(LDAP *l, int rc, char *err, size_t errsize);

#define LDAP_PAGE 500		/* entries a page of a walk: slapd's default size limit */

/*
 * One page's entries (res) for a paged walk: *n set to how many there
 * were; nonzero stops the walk (and is handed back in *stop).
 */
typedef int (*ldapconn_page_fn)(void *arg, LDAP *l, LDAPMessage *res, size_t *n);

/*
 * A walk of base's entries matching filter, page after page (RFC 2696)
 * until the server's cookie is empty, each page to fn. The control is
 * not critical: a server without it answers the whole search at once,
 * within its size limit; one that refuses the page size (slapd's size.pr
 * below it) is asked for half as many. A walk fn stops is abandoned on the
 * server. The search's result code.
 */
int ldapconn_walk(LDAP *l, const char *base, int scope, const char *filter, char **attrs,
    struct timeval *tv, ldapconn_page_fn fn, void *arg, int *stop);

/*
 * A connection to sp's servers (StartTLS when asked), bound as user with
 * password (simple) or by SASL, each step within timeout_ms. NULL with err.
 */
LDAP *ldapconn_open(const struct ldapspec *sp, const char *user, const char *password,
    unsigned timeout_ms, char *err, size_t errsize);

#endif
