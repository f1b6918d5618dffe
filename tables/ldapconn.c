/*
 * ldapconn.c - the LDAP URLs of a table read into a spec, "$d" and "$D"
 * expanded, and a connection bound as the LDAP* settings say (ldapconn.h):
 * the part of an LDAP table that the ldap.so module and dkimrotate share.
 *
 * Unlike OpenDKIM, the key is escaped for where it goes: RFC 4514 in the
 * base (a ',' in a sender's domain must not add an RDN), RFC 4515 in the
 * filter. Referrals are not followed: they could lead anywhere, outside
 * LDAPTimeout. An ldapi: URL's socket path is used (OpenDKIM ignores it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <ldap.h>
#include <sasl/sasl.h>

#include "dsn.h"
#include "ldapconn.h"

/* What SASL's questions are answered from. */
struct ldapauth {
	const struct ldapspec *sp;
	const char *password;
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
void
ldapspec_free(struct ldapspec *sp)
{
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

/* Expand a template (ldapconn.h). */
char *
ldapspec_expand(const char *tmpl, const char *key, int dn, int walk)
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
void
ldapconn_error(LDAP *l, int rc, char *err, size_t errsize)
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
	const struct ldapauth *a = defaults;
	const struct ldapspec *sp = a->sp;
	sasl_interact_t *it;
	const char *v;

	(void)l;
	(void)flags;
	for (it = in; it->id != SASL_CB_LIST_END; it++) {
		switch (it->id) {
		case SASL_CB_PASS:
			v = a->password;
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
LDAP *
ldapconn_open(const struct ldapspec *sp, const char *user, const char *password,
    unsigned timeout_ms, char *err, size_t errsize)
{
	struct ldapauth auth = { sp, password };
	struct timeval tv = { (time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000 };
	struct berval pw;
	int v3 = LDAP_VERSION3, rc;
	LDAP *l = NULL;

	if ((rc = ldap_initialize(&l, sp->uris)) != LDAP_SUCCESS) {
		ldapconn_error(NULL, rc, err, errsize);
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
		ldapconn_error(l, rc, err, errsize);
		ldap_unbind_ext_s(l, NULL, NULL);
		return NULL;
	}
	/* Always bind (anonymously without LDAPBindUser): it is what connects. */
	if (sp->mech == NULL || strcasecmp(sp->mech, "simple") == 0 ||
	    strcasecmp(sp->mech, "none") == 0) {
		pw.bv_val = (char *)password;
		pw.bv_len = password != NULL ? strlen(password) : 0;
		rc = ldap_sasl_bind_s(l, user, LDAP_SASL_SIMPLE, &pw, NULL, NULL, NULL);
	} else
		rc = ldap_sasl_interactive_bind_s(l, user, sp->mech, NULL, NULL,
		    LDAP_SASL_QUIET, ld_interact, &auth);
	if (rc != LDAP_SUCCESS) {
		ldapconn_error(l, rc, err, errsize);
		ldap_unbind_ext_s(l, NULL, NULL);
		return NULL;
	}
	return l;
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

/* A spec for the URLs and the settings ls (ldapconn.h). */
struct ldapspec *
ldapspec_make(const char *urls, const struct dataset_ldap_settings *ls, char *err,
    size_t errsize)
{
	struct ldapspec *sp;
	char *copy;
	int nomem = 0;

	if ((sp = calloc(1, sizeof(*sp))) == NULL || (copy = strdup(urls)) == NULL) {
		free(sp);
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	if (ld_parse(sp, copy, err, errsize) < 0) {
		free(copy);
		ldapspec_free(sp);
		return NULL;
	}
	free(copy);
	sp->mech = ld_dup(ls->auth_mech, &nomem);
	sp->authuser = ld_dup(ls->auth_user, &nomem);
	sp->authname = ld_dup(ls->auth_name, &nomem);
	sp->authrealm = ld_dup(ls->auth_realm, &nomem);
	sp->use_tls = ls->use_tls;
	sp->timeout_s = ls->timeout_s;
	sp->ka_idle = ls->ka_idle;
	sp->ka_probes = ls->ka_probes;
	sp->ka_interval = ls->ka_interval;
	if (nomem) {
		ldapspec_free(sp);
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	return sp;
}

int
ldapconn_walk(LDAP *l, const char *base, int scope, const char *filter, char **attrs,
    struct timeval *tv, ldapconn_page_fn fn, void *arg, int *stop)
{
	struct berval cookie = { 0, NULL };
	LDAPControl *page, *req[2] = { NULL, NULL }, **resp;
	LDAPMessage *res;
	ber_int_t size = LDAP_PAGE, estimate;
	size_t n;
	int rc, code;

	*stop = 0;
	for (;;) {
		if ((rc = ldap_create_page_control(l, size, &cookie, 0, &req[0])) != LDAP_SUCCESS)
			break;
		res = NULL;
		rc = ldap_search_ext_s(l, base, scope, filter, attrs, 0, req, NULL, tv, 0, &res);
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
		n = 0;
		*stop = fn(arg, l, res, &n);
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
		if (*stop != 0 || rc != LDAP_SUCCESS || cookie.bv_len == 0)
			break;
		/* A further page after an empty one would go round for ever. */
		if (n == 0) {
			rc = LDAP_LOOP_DETECT;
			break;
		}
	}
	/* Abandon a walk left half-way on the server: its cookie and size 0. */
	if (cookie.bv_len > 0 && ldap_create_page_control(l, 0, &cookie, 0, &req[0]) ==
	    LDAP_SUCCESS) {
		res = NULL;
		(void)ldap_search_ext_s(l, base, scope, filter, attrs, 0, req, NULL, tv, 0, &res);
		ldap_control_free(req[0]);
		ldap_msgfree(res);
	}
	ldap_memfree(cookie.bv_val);
	return rc;
}
