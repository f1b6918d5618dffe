/*
 * rotldap.c - a KeyTable in LDAP (rotkt.h), read and bound to as postdkim
 * does (tables/ldapconn.c: the same URLs, LDAP* settings and escaping):
 *
 *	ldap://HOST/BASE?DOMAIN,SELECTOR,KEY[,ALGORITHM]?SCOPE?(NAMEATTR=$d)
 *	ldap://HOST/BASE?COMBINED?SCOPE?(NAMEATTR=$d)	(domain:selector:key)
 *
 * An entry's name is the value of the attribute "$d" stands for in the
 * filter; its value the attributes, as postdkim reads them (the first
 * value of each, "" when it has none). The walk searches BASE with "$d"
 * as "*", in pages (RFC 2696) of which one at a time is in memory. A
 * switch replaces the selector and key attributes (or the combined one)
 * of the entries a lookup of the name finds, the domain attribute kept.
 *
 * LDAP has no transaction over several entries: the changes are made one
 * by one, and a failure leaves the others made (rotkt_rewrite says which).
 * That is safe: a domain switches only to a selector already visible on
 * every server and to postdkim's resolver, and keeps the old one published
 * until its retirement, so any mix of switched and unswitched entries
 * signs with keys that verify; the domains not switched stay VISIBLE and
 * are switched by the next run.
 *
 * A table whose entries are named by an attribute a switch changes (the
 * selector: OpenDKIM's README.LDAP uses (DKIMSelector=$d)) is refused: the
 * SigningTable would name a key entry that the switch renames. So is one
 * with "$d" or "$D" in the base, whose entries no search can list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <ldap.h>

#include "../tables/dataset.h"
#include "../tables/ldapconn.h"
#include "../tables/redact.h"
#include "rotkt.h"


struct rotldap {
	struct ldapspec *sp;
	char *user, *password;	/* LDAPBindUser, LDAPBindPassword */
	char nameattr[256];	/* the attribute "$d" stands for in the filter */
	char *walkfilter;	/* the filter with "$d" as "*" */
	char *walkattrs[DATASET_FIELDS_MAX + 2];	/* the URL's attributes and nameattr */
	LDAP *l;		/* the connection, once made */
};

/* Free a string that may be a password. */
static void
wipe(char *p)
{
	if (p != NULL) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}

/* Close the connection and free the table. */
void
rotldap_close(struct rotkt *kt)
{
	struct rotldap *t = kt->ldap;

	if (t == NULL)
		return;
	if (t->l != NULL)
		ldap_unbind_ext_s(t->l, NULL, NULL);
	ldapspec_free(t->sp);
	free(t->user);
	wipe(t->password);
	free(t->walkfilter);
	free(t);
	kt->ldap = NULL;
}

/*
 * The attribute of the filter's one "$d", which must stand as a whole
 * assertion value: "(ATTR=$d)". 0, or -1 with why.
 */
static int
name_attr(const char *filter, char *attr, size_t size, char *why, size_t whysize)
{
	const char *d = strstr(filter, "$d"), *a;

	if (d == NULL || strstr(d + 2, "$d") != NULL || strstr(filter, "$D") != NULL) {
		snprintf(why, whysize, "its filter must hold \"$d\" once (and no \"$D\"): "
		    "(ATTRIBUTE=$d) names an entry");
		return -1;
	}
	for (a = d; a > filter && a[-1] != '(' && a[-1] != '&' && a[-1] != '|'; a--)
		;
	if (d == filter || d[-1] != '=' || d[2] != ')' || a == filter || a >= d - 1 ||
	    (size_t)(d - 1 - a) >= size || memchr(a, '~', (size_t)(d - a)) != NULL ||
	    memchr(a, '<', (size_t)(d - a)) != NULL || memchr(a, '>', (size_t)(d - a)) != NULL ||
	    memchr(a, ':', (size_t)(d - a)) != NULL) {
		snprintf(why, whysize, "\"$d\" must be an equality assertion's whole value: "
		    "(ATTRIBUTE=$d)");
		return -1;
	}
	memcpy(attr, a, (size_t)(d - 1 - a));
	attr[d - 1 - a] = '\0';
	return 0;
}

/* Open an LDAP KeyTable: its URLs read, its layout checked; no connection yet. */
int
rotldap_open(struct rotkt *kt, const char *spec, char *err, size_t errsize)
{
	struct dataset_ldap_settings ls;
	struct rotldap *t;
	char why[512];
	size_t i, first;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	kt->ldap = t;
	dataset_ldap_current(&ls);
	if ((t->sp = ldapspec_make(spec, &ls, why, sizeof(why))) == NULL) {
		snprintf(err, errsize, "KeyTable %s: %s", kt->name, why);
		goto fail;
	}
	if ((ls.bind_user != NULL && (t->user = strdup(ls.bind_user)) == NULL) ||
	    (ls.bind_password != NULL && (t->password = strdup(ls.bind_password)) == NULL)) {
		snprintf(err, errsize, "out of memory");
		goto fail;
	}
	/* As postdkim reads a KeyTable row (keys/rules.c). */
	if (t->sp->nattrs != 1 && t->sp->nattrs != 3 && t->sp->nattrs != 4) {
		snprintf(err, errsize, "KeyTable %s: the URL's attributes must be one "
		    "(domain:selector:key) or domain,selector,key[,algorithm]", kt->name);
		goto fail;
	}
	if (strchr(t->sp->base, '$') != NULL) {
		snprintf(err, errsize, "KeyTable %s: dkimrotate lists the entries under the "
		    "base, which must be fixed (no \"$d\" or \"$D\")", kt->name);
		goto fail;
	}
	if (name_attr(t->sp->filter, t->nameattr, sizeof(t->nameattr), why, sizeof(why)) < 0) {
		snprintf(err, errsize, "KeyTable %s: %s", kt->name, why);
		goto fail;
	}
	first = t->sp->nattrs == 1 ? 0 : 1;
	for (i = first; i < t->sp->nattrs; i++)
		if (strcasecmp(t->sp->attrs[i], t->nameattr) == 0) {
			snprintf(err, errsize, "KeyTable %s: its entries are named by %s, which a "
			    "switch changes (the SigningTable would name an entry that no longer "
			    "is): name them by an attribute that stays, such as the domain's",
			    kt->name, t->nameattr);
			goto fail;
		}
	/* The walk reads the name too, which the URL need not ask for. */
	for (i = 0; i < t->sp->nattrs; i++)
		t->walkattrs[i] = t->sp->attrs[i];
	t->walkattrs[i] = t->nameattr;
	if ((t->walkfilter = ldapspec_expand(t->sp->filter, NULL, 0, 1)) == NULL) {
		snprintf(err, errsize, "out of memory");
		goto fail;
	}
	return 0;
fail:
	rotldap_close(kt);
	return -1;
}

/* The bind password out of a message, should a server have quoted it. */
static void
scrub(struct rotkt *kt, char *err, size_t errsize)
{
	redact(err, errsize, kt->ldap->password);
}

/* "KeyTable NAME: what: the server's error" into err. */
static void
fail_text(struct rotkt *kt, LDAP *l, int rc, const char *what, char *err, size_t errsize)
{
	char text[512];

	ldapconn_error(l, rc, text, sizeof(text));
	snprintf(err, errsize, "KeyTable %s: %s: %s", kt->name, what, text);
}

/* Connect when first needed (again after the server went away). */
static LDAP *
conn(struct rotkt *kt, char *err, size_t errsize)
{
	struct rotldap *t = kt->ldap;
	char why[512];

	if (t->l != NULL)
		return t->l;
	t->l = ldapconn_open(t->sp, t->user, t->password, t->sp->timeout_s * 1000, why,
	    sizeof(why));
	if (t->l == NULL) {
		snprintf(err, errsize, "KeyTable %s: %s", kt->name, why);
		scrub(kt, err, errsize);
	}
	return t->l;
}

/* The first value of attribute a of entry e, "" when none, into out (size); -1: too long. */
static int
first_value(LDAP *l, LDAPMessage *e, const char *a, char *out, size_t size)
{
	struct berval **v = ldap_get_values_len(l, e, a);
	int rc = 0;

	out[0] = '\0';
	if (v != NULL && v[0] != NULL) {
		if (v[0]->bv_len >= size)
			rc = -1;
		else {
			memcpy(out, v[0]->bv_val, v[0]->bv_len);
			out[v[0]->bv_len] = '\0';
		}
	}
	if (v != NULL)
		ldap_value_free_len(v);
	return rc;
}

/* One entry of a walk to fn: 0, 1 when fn stops, -1 with err. */
static int
walk_entry(struct rotkt *kt, LDAPMessage *e, unsigned line, rottable_fn fn, void *arg,
    char *err, size_t errsize)
{
	struct rotldap *t = kt->ldap;
	char name[1024], val[8192], f[4096], *dn, dnmsg[300];
	struct rotentry re;
	size_t i, len = 0;
	int bad = 0;

	bad |= first_value(t->l, e, t->nameattr, name, sizeof(name)) < 0;
	for (i = 0; i < t->sp->nattrs && !bad; i++) {
		bad |= first_value(t->l, e, t->sp->attrs[i], f, sizeof(f)) < 0;
		len += (size_t)snprintf(val + len, sizeof(val) - len, "%s%s", i ? ":" : "", f);
		bad |= len >= sizeof(val);
	}
	/* An algorithm attribute without a value: none (the key says). */
	if (!bad && t->sp->nattrs == 4 && len > 0 && val[len - 1] == ':')
		val[len - 1] = '\0';
	re.name = name;
	re.line = line;
	if (bad || name[0] == '\0' || rotkt_split_value(val, &re) < 0) {
		dn = ldap_get_dn(t->l, e);
		dsn_escape(dnmsg, sizeof(dnmsg), dn != NULL ? dn : "?");
		ldap_memfree(dn);
		snprintf(err, errsize, "KeyTable %s: entry %s: %s", kt->name, dnmsg, bad ?
		    "value too long" : name[0] == '\0' ? "no name" :
		    "value must be domain:selector:keyfile");
		return -1;
	}
	return fn(arg, &re) != 0 ? 1 : 0;
}

/* A walk of the entries as it goes through the pages. */
struct walk {
	struct rotkt *kt;
	rottable_fn fn;
	void *arg;
	unsigned line;
	char *err;
	size_t errsize;
};

/* One page: its entries to the walk's fn; nonzero stops. */
static int
walk_page(void *arg, LDAP *l, LDAPMessage *res, size_t *n)
{
	struct walk *w = arg;
	LDAPMessage *e;
	int stop = 0;

	for (e = ldap_first_entry(l, res); e != NULL && stop == 0; e = ldap_next_entry(l, e)) {
		(*n)++;
		stop = walk_entry(w->kt, e, ++w->line, w->fn, w->arg, w->err, w->errsize);
	}
	return stop;
}

/* Every entry, a page at a time (ldapconn_walk): one page in memory at once. */
int
rotldap_walk(struct rotkt *kt, rottable_fn fn, void *arg, char *err, size_t errsize)
{
	struct rotldap *t = kt->ldap;
	struct timeval tv = { (time_t)t->sp->timeout_s, 0 };
	struct walk w = { kt, fn, arg, 0, err, errsize };
	int rc, stop;
	LDAP *l;

	if ((l = conn(kt, err, errsize)) == NULL)
		return -1;
	rc = ldapconn_walk(l, t->sp->base, t->sp->scope, t->walkfilter, t->walkattrs, &tv,
	    walk_page, &w, &stop);
	if (stop < 0)
		scrub(kt, err, errsize);
	if (stop != 0)
		return stop;
	if (rc != LDAP_SUCCESS) {
		fail_text(kt, l, rc, rc == LDAP_SIZELIMIT_EXCEEDED ||
		    rc == LDAP_ADMINLIMIT_EXCEEDED ? "listing the entries (the server returns "
		    "fewer than the table has: let this identity page past its size limit, "
		    "OpenLDAP: limits ... size.prtotal=unlimited)" : "listing the entries", err,
		    errsize);
		scrub(kt, err, errsize);
		if (rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR) {
			ldap_unbind_ext_s(l, NULL, NULL);
			t->l = NULL;
		}
		return -1;
	}
	return 0;
}

/*
 * Switch the entries named name to value v ("domain:selector:key[:alg]"):
 * each entry a lookup finds gets its selector and key attributes (or the
 * combined one) replaced. The number changed, or -1 with why.
 */
static long
switch_one(struct rotkt *kt, const char *name, char *v, char *why, size_t whysize)
{
	struct rotldap *t = kt->ldap;
	struct timeval tv = { (time_t)t->sp->timeout_s, 0 };
	char *filter, *dn, *one[2][2] = { { NULL, NULL }, { NULL, NULL } }, *alg[2] = { NULL, NULL };
	static char noattrs[] = LDAP_NO_ATTRS;
	char *attrs1[] = { noattrs, NULL };
	LDAPMod m[3], *mods[4];
	LDAPMessage *res = NULL, *e;
	struct rotentry re;
	size_t nm = 0;
	long n = 0;
	int rc;

	if (t->sp->nattrs == 1) {
		one[0][0] = v;
		m[nm].mod_op = LDAP_MOD_REPLACE;
		m[nm].mod_type = t->sp->attrs[0];
		m[nm].mod_values = one[0];
		nm++;
	} else {
		if (rotkt_split_value(v, &re) < 0) {
			snprintf(why, whysize, "not domain:selector:keyfile");
			return -1;
		}
		one[0][0] = (char *)re.selector;
		one[1][0] = (char *)re.key;
		for (; nm < 2; nm++) {
			m[nm].mod_op = LDAP_MOD_REPLACE;
			m[nm].mod_type = t->sp->attrs[nm + 1];
			m[nm].mod_values = one[nm];
		}
		/* The algorithm attribute is written only when the entry had one. */
		if (t->sp->nattrs == 4 && re.alg[0] != '\0') {
			alg[0] = (char *)re.alg;
			m[nm].mod_op = LDAP_MOD_REPLACE;
			m[nm].mod_type = t->sp->attrs[3];
			m[nm].mod_values = alg;
			nm++;
		}
	}
	for (size_t i = 0; i < nm; i++)
		mods[i] = &m[i];
	mods[nm] = NULL;
	if ((filter = ldapspec_expand(t->sp->filter, name, 0, 0)) == NULL) {
		snprintf(why, whysize, "out of memory");
		return -1;
	}
	rc = ldap_search_ext_s(t->l, t->sp->base, t->sp->scope, filter, attrs1, 0, NULL, NULL,
	    &tv, 0, &res);
	free(filter);
	if (rc != LDAP_SUCCESS) {
		ldapconn_error(t->l, rc, why, whysize);
		ldap_msgfree(res);
		return -1;
	}
	for (e = ldap_first_entry(t->l, res); e != NULL; e = ldap_next_entry(t->l, e)) {
		if ((dn = ldap_get_dn(t->l, e)) == NULL) {
			snprintf(why, whysize, "an entry without a DN");
			n = -1;
			break;
		}
		rc = ldap_modify_ext_s(t->l, dn, mods, NULL, NULL);
		ldap_memfree(dn);
		if (rc != LDAP_SUCCESS) {
			ldapconn_error(t->l, rc, why, whysize);
			n = -1;
			break;
		}
		n++;
	}
	ldap_msgfree(res);
	if (n == 0)
		snprintf(why, whysize, "no entry");
	return n > 0 ? n : -1;
}

/*
 * Each change in turn (no transaction spans entries: see the top). A
 * failure does not stop the others; err names the first and how many
 * failed, applied says which were made.
 */
int
rotldap_rewrite(struct rotkt *kt, const struct memtable *changes, size_t *changed,
    unsigned char *applied, char *err, size_t errsize)
{
	char v[8192], why[512], first[1024] = "", name[300];
	struct dataset_row r;
	size_t i, nfailed = 0, nok = 0;
	long n;

	*changed = 0;
	if (conn(kt, err, errsize) == NULL)
		return -1;
	for (i = 0; i < changes->n; i++) {
		memtable_row(changes, (uint32_t)i, &r);
		snprintf(v, sizeof(v), "%s", r.field[0]);
		if ((n = switch_one(kt, r.key, v, why, sizeof(why))) < 0) {
			if (nfailed++ == 0) {
				dsn_escape(name, sizeof(name), r.key);
				snprintf(first, sizeof(first), "%s: %s", name, why);
			}
			continue;
		}
		applied[i] = 1;
		nok++;
		*changed += (size_t)n;
	}
	if (nfailed == 0)
		return 0;
	snprintf(err, errsize, "KeyTable %s: %zu of %zu entries switched, %zu not (%s%s)",
	    kt->name, nok, changes->n, nfailed, first, nfailed > 1 ? ", ..." : "");
	scrub(kt, err, errsize);
	return -1;
}
