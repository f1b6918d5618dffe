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
 * first URL's. An ldapi: URL's socket path is used (OpenDKIM ignores it).
 *
 * Unlike OpenDKIM, the key is escaped for where it goes: RFC 4514 in the
 * base (a ',' in a sender's domain must not add an RDN), RFC 4515 in the
 * filter. Referrals are not followed: they could lead anywhere, outside
 * LDAPTimeout.
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
#include <sasl/sasl.h>

#include "dataset_impl.h"
#include "dsn_backend.h"
#include "redact.h"

#define LDAP_URLS_MAX 8		/* as OpenDKIM */
#define LDAP_KEY_MAX 1024	/* longer keys (addresses) have no entry */
#define LDAP_PAGE 500		/* entries a page of a walk: slapd's default size limit */

/* What a data set is: its URLs and the LDAP* settings at its opening. */
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

/* A copy of s (NULL stays NULL); *nomem set when out of memory. */
static char *
ld_dup(const char *s, int *nomem)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		*nomem = 1;
	return p;
}

/* Free a spec. */
static void
ld_spec_free(void *p)
{
	struct ldapspec *sp = p;
	size_t i;

	if (sp == NULL)
		return;
	free(sp->uris);
	free(sp->base);
	free(sp->filter);
	for (i = 0; i < sp->nattrs; i++)
		free(sp->attrs[i]);
	free(sp->mech);
	free(sp->authuser);
	free(sp->authname);
	free(sp->authrealm);
	free(sp);
}

/* Append n bytes of s to the string *buf (NUL-terminated, of size *cap). */
static int
ld_append(char **buf, size_t *len, const char *s, size_t n)
{
	char *nb;

	if ((nb = realloc(*buf, *len + n + 1)) == NULL)
		return -1;
	memcpy(nb + *len, s, n);
	*len += n;
	nb[*len] = '\0';
	*buf = nb;
	return 0;
}

/* Append c as \XX. */
static int
ld_append_hex(char **buf, size_t *len, unsigned char c)
{
	char hex[4];

	snprintf(hex, sizeof(hex), "\\%02x", c);
	return ld_append(buf, len, hex, 3);
}

/* Append key escaped for a DN's attribute value (RFC 4514) or a filter (RFC 4515). */
static int
ld_append_key(char **buf, size_t *len, const char *key, size_t n, int dn)
{
	size_t i;
	unsigned char c;
	int special;

	for (i = 0; i < n; i++) {
		c = (unsigned char)key[i];
		if (dn)
			special = strchr(",+\"\\<>;=", c) != NULL || c < 0x20 ||
			    ((i == 0 && (c == '#' || c == ' ')) || (i + 1 == n && c == ' '));
		else
			special = strchr("*()\\", c) != NULL || c < 0x20;
		if (special ? ld_append_hex(buf, len, c) < 0 : ld_append(buf, len, key + i, 1) < 0)
			return -1;
	}
	return 0;
}

/*
 * tmpl with $d as key and $D as "dc=" labels; walk: $d as "" in the base,
 * "*" (unescaped) in the filter. Caller frees; NULL when out of memory.
 */
static char *
ld_expand(const char *tmpl, const char *key, int dn, int walk)
{
	char *out = NULL;
	const char *p, *dot;
	size_t len = 0;

	if (ld_append(&out, &len, "", 0) < 0)
		return NULL;
	for (p = tmpl; *p != '\0'; p++) {
		if (p[0] != '$' || (p[1] != 'd' && p[1] != 'D')) {
			if (ld_append(&out, &len, p, 1) < 0)
				goto nomem;
			continue;
		}
		p++;
		if (walk) {
			if (!dn && ld_append(&out, &len, "*", 1) < 0)
				goto nomem;
		} else if (*p == 'd') {
			if (ld_append_key(&out, &len, key, strlen(key), dn) < 0)
				goto nomem;
		} else {
			for (const char *l = key; *l != '\0'; l = *dot ? dot + 1 : dot) {
				dot = l + strcspn(l, ".");
				if ((l != key && ld_append(&out, &len, ",", 1) < 0) ||
				    ld_append(&out, &len, "dc=", 3) < 0 ||
				    ld_append_key(&out, &len, l, (size_t)(dot - l), dn) < 0)
					goto nomem;
			}
		}
	}
	return out;
nomem:
	free(out);
	return NULL;
}

/* Server text for a message: the error's name and the server's diagnostic. */
static void
ld_error_text(LDAP *l, int rc, char *err, size_t errsize)
{
	char *diag = NULL, text[512];

	if (l != NULL)
		(void)ldap_get_option(l, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	if (diag != NULL && *diag != '\0')
		snprintf(text, sizeof(text), "%s (%d): %s", ldap_err2string(rc), rc, diag);
	else
		snprintf(text, sizeof(text), "%s (%d)", ldap_err2string(rc), rc);
	if (diag != NULL)
		ldap_memfree(diag);
	dsn_escape(err, errsize, text);
}

/* SASL's questions, answered from the LDAPAuth* settings. */
static int
ld_interact(LDAP *l, unsigned flags, void *defaults, void *in)
{
	const struct dsn *d = defaults;
	const struct ldapspec *sp = d->ext;
	sasl_interact_t *it;
	const char *v;

	(void)l;
	(void)flags;
	for (it = in; it->id != SASL_CB_LIST_END; it++) {
		switch (it->id) {
		case SASL_CB_PASS:
			v = d->password;
			break;
		case SASL_CB_GETREALM:
			v = sp->authrealm;
			break;
		case SASL_CB_AUTHNAME:
			v = sp->authname;
			break;
		case SASL_CB_USER:
			v = sp->authuser;
			break;
		default:
			v = NULL;
			break;
		}
		it->result = v != NULL ? v : "";
		it->len = v != NULL ? (unsigned)strlen(v) : 0;
	}
	return LDAP_SUCCESS;
}

/* Close a connection. */
static void
ld_disconnect(void *conn)
{
	if (conn != NULL)
		ldap_unbind_ext_s(conn, NULL, NULL);
}

/* Set an option, or say which could not be. */
static int
ld_option(LDAP *l, int opt, const void *v, const char *name, char *err, size_t errsize)
{
	if (ldap_set_option(l, opt, v) == LDAP_OPT_SUCCESS)
		return 0;
	snprintf(err, errsize, "cannot set %s", name);
	return -1;
}

/* Connect (StartTLS when asked) and bind, within timeout_ms for each step. */
static void *
ld_connect(const struct dsn *d, unsigned timeout_ms, unsigned query_ms, char *err,
    size_t errsize)
{
	const struct ldapspec *sp = d->ext;
	struct timeval tv = { (time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000 };
	struct berval pw;
	int v3 = LDAP_VERSION3, rc;
	LDAP *l = NULL;

	(void)query_ms;
	if ((rc = ldap_initialize(&l, sp->uris)) != LDAP_SUCCESS) {
		ld_error_text(NULL, rc, err, errsize);
		return NULL;
	}
	if (ld_option(l, LDAP_OPT_PROTOCOL_VERSION, &v3, "the protocol version", err,
	    errsize) < 0 ||
	    ld_option(l, LDAP_OPT_NETWORK_TIMEOUT, &tv, "the connect timeout", err, errsize) < 0 ||
	    ld_option(l, LDAP_OPT_TIMEOUT, &tv, "the timeout", err, errsize) < 0 ||
	    ld_option(l, LDAP_OPT_REFERRALS, LDAP_OPT_OFF, "referrals off", err, errsize) < 0 ||
	    (sp->ka_idle >= 0 && ld_option(l, LDAP_OPT_X_KEEPALIVE_IDLE, &sp->ka_idle,
	    "LDAPKeepaliveIdle", err, errsize) < 0) ||
	    (sp->ka_probes >= 0 && ld_option(l, LDAP_OPT_X_KEEPALIVE_PROBES, &sp->ka_probes,
	    "LDAPKeepaliveProbes", err, errsize) < 0) ||
	    (sp->ka_interval >= 0 && ld_option(l, LDAP_OPT_X_KEEPALIVE_INTERVAL,
	    &sp->ka_interval, "LDAPKeepaliveInterval", err, errsize) < 0)) {
		ldap_unbind_ext_s(l, NULL, NULL);
		return NULL;
	}
	if (sp->use_tls && !sp->ldaps &&
	    (rc = ldap_start_tls_s(l, NULL, NULL)) != LDAP_SUCCESS) {
		ld_error_text(l, rc, err, errsize);
		ldap_unbind_ext_s(l, NULL, NULL);
		return NULL;
	}
	/* Always bind (anonymously without LDAPBindUser): it is what connects. */
	if (sp->mech == NULL || strcasecmp(sp->mech, "simple") == 0 ||
	    strcasecmp(sp->mech, "none") == 0) {
		pw.bv_val = d->password;
		pw.bv_len = d->password != NULL ? strlen(d->password) : 0;
		rc = ldap_sasl_bind_s(l, d->user, LDAP_SASL_SIMPLE, &pw, NULL, NULL, NULL);
	} else
		rc = ldap_sasl_interactive_bind_s(l, d->user, sp->mech, NULL, NULL,
		    LDAP_SASL_QUIET, ld_interact, (void *)d);
	if (rc != LDAP_SUCCESS) {
		ld_error_text(l, rc, err, errsize);
		ldap_unbind_ext_s(l, NULL, NULL);
		return NULL;
	}
	return l;
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

/*
 * A walk, page after page until the server's cookie is empty. The control
 * is not critical: a server without it answers the whole search at once,
 * within its size limit. A server that refuses the page size (slapd's
 * size.pr below it) is asked for half as many. The search's result code.
 */
static int
ld_walk(LDAP *l, const struct ldapspec *sp, const char *base, const char *filter,
    struct timeval *tv, struct dsrows *out)
{
	struct berval cookie = { 0, NULL };
	LDAPControl *page, *req[2] = { NULL, NULL }, **resp;
	LDAPMessage *res;
	ber_int_t size = LDAP_PAGE, estimate;
	size_t n;
	int rc, code;

	for (;;) {
		if ((rc = ldap_create_page_control(l, size, &cookie, 0, &req[0])) !=
		    LDAP_SUCCESS)
			break;
		res = NULL;
		rc = ldap_search_ext_s(l, base, sp->scope, filter, (char **)sp->attrs, 0, req,
		    NULL, tv, 0, &res);
		ldap_control_free(req[0]);
		if (rc == LDAP_ADMINLIMIT_EXCEEDED && cookie.bv_len == 0 && size > 1) {
			ldap_msgfree(res);
			size /= 2;
			continue;
		}
		if (rc != LDAP_SUCCESS) {
			ldap_msgfree(res);
			break;
		}
		n = ld_rows(l, sp, res, NULL, out);
		ldap_memfree(cookie.bv_val);
		cookie.bv_val = NULL;
		cookie.bv_len = 0;
		resp = NULL;
		rc = ldap_parse_result(l, res, &code, NULL, NULL, NULL, &resp, 0);
		ldap_msgfree(res);
		if (rc == LDAP_SUCCESS &&
		    (page = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, resp, NULL)) != NULL)
			rc = ldap_parse_pageresponse_control(l, page, &estimate, &cookie);
		ldap_controls_free(resp);
		if (rc != LDAP_SUCCESS || cookie.bv_len == 0)
			break;
		/* A further page after an empty one would go round for ever. */
		if (n == 0) {
			rc = LDAP_LOOP_DETECT;
			break;
		}
	}
	ldap_memfree(cookie.bv_val);
	return rc;
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
	base = ld_expand(sp->base, key, 1, key == NULL);
	filter = ld_expand(sp->filter, key, 0, key == NULL);
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
		ld_error_text(conn, rc, err, errsize);
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

/* Nonzero when the URL's host part (after "://") holds a user or password. */
static int
ld_has_userinfo(const char *url)
{
	const char *h = strstr(url, "://");

	if (h == NULL)
		return 0;
	h += 3;
	return memchr(h, '@', strcspn(h, "/?")) != NULL;
}

/* Read the URLs into sp; 0, or -1 with err. */
static int
ld_parse(struct ldapspec *sp, char *urls, char *err, size_t errsize)
{
	LDAPURLDesc *u;
	char *url, *save = NULL, *h;
	size_t n = 0, len = 0, i;
	int rc;

	for (url = strtok_r(urls, " \t", &save); url != NULL; url = strtok_r(NULL, " \t", &save)) {
		if (n == LDAP_URLS_MAX) {
			snprintf(err, errsize, "more than %d LDAP URLs", LDAP_URLS_MAX);
			return -1;
		}
		if (ld_has_userinfo(url)) {
			snprintf(err, errsize, "an LDAP URL has no user or password: set "
			    "LDAPBindUser and LDAPBindPassword");
			return -1;
		}
		if ((rc = ldap_url_parse(url, &u)) != LDAP_URL_SUCCESS) {
			snprintf(err, errsize, "'%.200s' is not an LDAP URL (ldap://HOST[:PORT]/"
			    "BASE?ATTRIBUTES?SCOPE?FILTER; error %d)", url, rc);
			return -1;
		}
		if (n == 0) {
			sp->ldaps = strcasecmp(u->lud_scheme, "ldaps") == 0;
			sp->scope = u->lud_scope == LDAP_SCOPE_DEFAULT ? LDAP_SCOPE_BASE :
			    u->lud_scope;
			rc = (sp->base = strdup(u->lud_dn ? u->lud_dn : "")) == NULL ||
			    (sp->filter = strdup(u->lud_filter ? u->lud_filter :
			    "(objectClass=*)")) == NULL;
			for (i = 0; !rc && u->lud_attrs != NULL && u->lud_attrs[i] != NULL; i++) {
				/* "A,B,C," (README.LDAP's KeyTable) has three. */
				if (u->lud_attrs[i][0] == '\0')
					continue;
				if (sp->nattrs == DATASET_FIELDS_MAX) {
					ldap_free_urldesc(u);
					snprintf(err, errsize, "more than %d attributes",
					    DATASET_FIELDS_MAX);
					return -1;
				}
				rc = (sp->attrs[sp->nattrs] = strdup(u->lud_attrs[i])) == NULL;
				sp->nattrs += !rc;
			}
			if (rc) {
				ldap_free_urldesc(u);
				snprintf(err, errsize, "out of memory");
				return -1;
			}
		}
		ldap_free_urldesc(u);
		/* The server part as written: scheme://hostport, an ldapi: socket path kept. */
		h = strstr(url, "://") + 3;
		h += strcspn(h, "/?");
		if ((n > 0 && ld_append(&sp->uris, &len, " ", 1) < 0) ||
		    ld_append(&sp->uris, &len, url, (size_t)(h - url)) < 0) {
			snprintf(err, errsize, "out of memory");
			return -1;
		}
		n++;
	}
	if (n == 0) {
		snprintf(err, errsize, "no LDAP URL");
		return -1;
	}
	return 0;
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
	char *copy;
	int nomem = 0;

	if ((sp = calloc(1, sizeof(*sp))) == NULL || (copy = strdup(urls)) == NULL) {
		free(sp);
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	d->ext = sp;
	d->ext_free = ld_spec_free;
	if (ld_parse(sp, copy, err, errsize) < 0) {
		free(copy);
		return -1;
	}
	free(copy);
	sp->mech = ld_dup(ls->auth_mech, &nomem);
	sp->authuser = ld_dup(ls->auth_user, &nomem);
	sp->authname = ld_dup(ls->auth_name, &nomem);
	sp->authrealm = ld_dup(ls->auth_realm, &nomem);
	sp->use_tls = ls->use_tls;
	sp->ka_idle = ls->ka_idle;
	sp->ka_probes = ls->ka_probes;
	sp->ka_interval = ls->ka_interval;
	d->backend = ld_dup("ldap", &nomem);
	d->user = ld_dup(ls->bind_user, &nomem);
	d->password = ld_dup(ls->bind_password, &nomem);
	d->host = ld_dup(sp->uris, &nomem);
	d->name = ld_dup(urls, &nomem);
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
