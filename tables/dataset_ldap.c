/*
 * dataset_ldap.c - ldap:, ldaps: and ldapi: data sets: entries in a
 * directory, read through OpenLDAP's libldap, written as OpenDKIM writes
 * them (RFC 4516 URLs):
 *
 *	ldap://HOST[:PORT]/BASE?ATTR1,ATTR2?SCOPE?FILTER [ldap://OTHER...]
 *
 * A lookup searches BASE with FILTER, "$d" in either standing for the key
 * and "$D" for it as "dc=a,dc=example"; the first entry found answers,
 * one field per attribute in the order written (the first value of each,
 * "" when it has none): a KeyTable reads domain, selector and key from
 * three attributes. No entry, or no such base, is no row. A walk (postdkim
 * -n, host lists) takes "$d" as "" in BASE and "*" in FILTER, every entry
 * a row keyed by the value of its DN's first RDN, read in pages (RFC 2696
 * paged results) so that a server's size limit per search (slapd's 500 by
 * default) does not cut it short. Further URLs name more
 * servers, tried in turn; base, attributes, scope and filter are the
 * first URL's. Reading the URLs, escaping the key (RFC 4514 in the base,
 * RFC 4515 in the filter), connecting and binding are ldapconn.c's,
 * shared with dkimrotate.
 *
 * The connections, the cache and the outage rules are those of dsn: data
 * sets (dataset_dsn.c): this file is a back end to it, built as the module
 * ldap.so (Debian package postdkim-ldap) that dsn_module.c loads when a
 * configuration names an ldap: table, so that a daemon without one does
 * not map libldap and what it pulls in (GnuTLS, SASL). The LDAP* settings
 * are kept by dataset_ldapcfg.c and handed to ld_make with each URL list.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <ldap.h>

#include "dataset_impl.h"
#include "dsn_backend.h"
#include "ldapconn.h"
#include "redact.h"

#define LDAP_KEY_MAX 1024	/* longer keys (addresses) have no entry */

/* Free a spec (the dsn's ext). */
static void
ld_spec_free(void *p)
{
	ldapspec_free(p);
}

/* Connect (StartTLS when asked) and bind, within timeout_ms for each step. */
static void *
ld_connect(const struct dsn *d, unsigned timeout_ms, unsigned query_ms, char *err,
    size_t errsize)
{
	(void)query_ms;
	return ldapconn_open(d->ext, d->user, d->password, timeout_ms, err, errsize);
}

/* Close a connection. */
static void
ld_disconnect(void *conn)
{
	if (conn != NULL)
		ldap_unbind_ext_s(conn, NULL, NULL);
}

/* The attributes of entry e as a row keyed by key. */
static void
ld_row(LDAP *l, const struct ldapspec *sp, LDAPMessage *e, const char *key, struct dsrows *out)
{
	struct berval **vals[DATASET_FIELDS_MAX];
	char *f[DATASET_FIELDS_MAX];
	size_t i;

	for (i = 0; i < sp->nattrs; i++) {
		f[i] = NULL;
		vals[i] = ldap_get_values_len(l, e, sp->attrs[i]);
		if (vals[i] != NULL && vals[i][0] != NULL &&
		    (f[i] = malloc(vals[i][0]->bv_len + 1)) == NULL)
			out->nomem = 1;
		else if (f[i] != NULL) {
			memcpy(f[i], vals[i][0]->bv_val, vals[i][0]->bv_len);
			f[i][vals[i][0]->bv_len] = '\0';
		}
		if (vals[i] != NULL)
			ldap_value_free_len(vals[i]);
	}
	dsrows_add(out, key, sp->nattrs, (const char *const *)f);
	for (i = 0; i < sp->nattrs; i++)
		free(f[i]);
}

/* The value of the first RDN of e's DN (a walk's key); NULL when it has none. */
static char *
ld_rdn_value(LDAP *l, LDAPMessage *e)
{
	char *dnstr, *v = NULL;
	LDAPDN dn = NULL;

	if ((dnstr = ldap_get_dn(l, e)) == NULL)
		return NULL;
	if (ldap_str2dn(dnstr, &dn, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS && dn != NULL &&
	    dn[0] != NULL && dn[0][0] != NULL &&
	    (v = malloc(dn[0][0]->la_value.bv_len + 1)) != NULL) {
		memcpy(v, dn[0][0]->la_value.bv_val, dn[0][0]->la_value.bv_len);
		v[dn[0][0]->la_value.bv_len] = '\0';
	}
	if (dn != NULL)
		ldap_dnfree(dn);
	ldap_memfree(dnstr);
	return v;
}

/* The rows of a search's result: its first entry for key, every entry for a walk. */
static size_t
ld_rows(LDAP *l, const struct ldapspec *sp, LDAPMessage *res, const char *key,
    struct dsrows *out)
{
	LDAPMessage *e;
	size_t n = 0;
	char *k;

	for (e = ldap_first_entry(l, res); e != NULL; e = ldap_next_entry(l, e)) {
		n++;
		if (key != NULL) {
			ld_row(l, sp, e, key, out);
			break;
		}
		if ((k = ld_rdn_value(l, e)) != NULL) {
			ld_row(l, sp, e, k, out);
			free(k);
		}
	}
	return n;
}

/* Where a walk's pages go. */
struct walk_rows {
	const struct ldapspec *sp;
	struct dsrows *out;
};

/* One page of a walk into the rows. */
static int
walk_page(void *arg, LDAP *l, LDAPMessage *res, size_t *n)
{
	struct walk_rows *w = arg;

	*n = ld_rows(l, w->sp, res, NULL, w->out);
	return 0;
}

/* A walk (ldapconn_walk); the search's result code. */
static int
ld_walk(LDAP *l, const struct ldapspec *sp, const char *base, const char *filter,
    struct timeval *tv, struct dsrows *out)
{
	struct walk_rows w = { sp, out };
	int stop;

	return ldapconn_walk(l, base, sp->scope, filter, (char **)sp->attrs, tv, walk_page, &w,
	    &stop);
}

/* Search for key (NULL: walk). */
static int
ld_query(void *conn, const struct dsn *d, const char *key, unsigned timeout_ms,
    struct dsrows *out, int *broken, char *err, size_t errsize)
{
	const struct ldapspec *sp = d->ext;
	struct timeval tv = { (time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000 };
	LDAPMessage *res = NULL;
	char *base, *filter;
	size_t len;
	int rc;

	if (key != NULL && strlen(key) > LDAP_KEY_MAX)
		return 0;
	base = ldapspec_expand(sp->base, key, 1, key == NULL);
	filter = ldapspec_expand(sp->filter, key, 0, key == NULL);
	if (base == NULL || filter == NULL) {
		free(base);
		free(filter);
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	/* A lookup reads the first entry only: the server need send no more. */
	if (key != NULL)
		rc = ldap_search_ext_s(conn, base, sp->scope, filter, (char **)sp->attrs, 0,
		    NULL, NULL, &tv, 1, &res);
	else
		rc = ld_walk(conn, sp, base, filter, &tv, out);
	free(base);
	free(filter);
	if (rc == LDAP_NO_SUCH_OBJECT || (key != NULL && LDAP_NAME_ERROR(rc))) {
		ldap_msgfree(res);
		return 0;
	}
	if (rc != LDAP_SUCCESS && !(key != NULL && rc == LDAP_SIZELIMIT_EXCEEDED)) {
		ldapconn_error(conn, rc, err, errsize);
		if (rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR ||
		    rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY)
			*broken = 1;
		/*
		 * Paged, the total is still capped by the server's hard size
		 * limit (slapd's 500 by default) unless it allows more.
		 */
		if (key == NULL && (rc == LDAP_SIZELIMIT_EXCEEDED ||
		    rc == LDAP_ADMINLIMIT_EXCEEDED) && (len = strlen(err)) < errsize)
			snprintf(err + len, errsize - len, ": the server returns fewer entries "
			    "than the table has to %s; let it page past its size limit "
			    "(OpenLDAP: limits dn.exact=\"%s\" size.prtotal=unlimited, "
			    "olcLimits in cn=config) or raise the limit",
			    d->user != NULL ? d->user : "this identity",
			    d->user != NULL ? d->user : "DN");
		ldap_msgfree(res);
		return -1;
	}
	if (key != NULL)
		ld_rows(conn, sp, res, key, out);
	ldap_msgfree(res);
	return 0;
}

/* No version to ask an LDAP server for without reading its root DSE. */
static void
ld_version(void *conn, char *buf, size_t size)
{
	(void)conn;
	if (size > 0)
		buf[0] = '\0';
}

/* What postdkim -n checked. */
static void
ld_info(const struct dsn *d, const char *version, char *buf, size_t size)
{
	const struct ldapspec *sp = d->ext;

	(void)version;
	/* A SASL bind is by its authentication name (none for EXTERNAL). */
	if (sp->mech != NULL)
		snprintf(buf, size, "LDAP server %s, bound with SASL %s%s%s, base \"%s\"",
		    sp->uris, sp->mech, sp->authname ? " as " : "",
		    sp->authname ? sp->authname : "", sp->base);
	else
		snprintf(buf, size, "LDAP server %s, bound as %s, base \"%s\"", sp->uris,
		    d->user ? d->user : "anonymous", sp->base);
}

/*
 * Fill d for the URLs with the settings ls (what dataset_ldapcfg.c keeps).
 * 0, or -1 with err; d is freed by the caller either way.
 */
static int
ld_make(struct dsn *d, const char *urls, const struct dataset_ldap_settings *ls, char *err,
    size_t errsize)
{
	struct ldapspec *sp;
	int nomem = 0;

	if ((sp = ldapspec_make(urls, ls, err, errsize)) == NULL)
		return -1;
	d->ext = sp;
	d->ext_free = ld_spec_free;
	d->backend = strdup("ldap");
	d->user = ls->bind_user != NULL ? strdup(ls->bind_user) : NULL;
	d->password = ls->bind_password != NULL ? strdup(ls->bind_password) : NULL;
	d->host = strdup(sp->uris);
	d->name = strdup(urls);
	nomem = d->backend == NULL || d->host == NULL || d->name == NULL ||
	    (ls->bind_user != NULL && d->user == NULL) ||
	    (ls->bind_password != NULL && d->password == NULL);
	if (nomem) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	return 0;
}

static const struct dsn_backend ld_backend = {
	"ldap", "LDAP", ld_connect, ld_query, ld_version, ld_disconnect, ld_info, ld_make
};
DSN_MODULE(ld_backend)
